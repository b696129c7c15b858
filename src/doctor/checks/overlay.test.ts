// The overlay checks on the Neutron overlay as data: each failure of ovs-tunnels.md §7 the case can
// show is named with its cause and evidence; the healthy overlay gives none of them.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../parse/services.ts';
import { readCase } from '../../sources/case-dir.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { type OverlayOptions, overlayCase } from '../../testing/overlay-case.ts';
import { buildSnapshot } from '../../testing/snapshot-builder.ts';
import { diagnose } from '../diagnose.ts';

const OVERLAY_CODES = new Set([
  'tunnel-port-missing',
  'tunnel-flood-missing',
  'tunnel-key-unmapped',
  'tunnel-local-ip',
  'tunnel-receiver-missing',
  'tunnel-remote-unknown',
  'tunnel-vlan-map',
  'tunnel-types-empty',
]);

function run(o: OverlayOptions = {}) {
  const c = overlayCase(o);
  const d = diagnose(buildSnapshot(c.hosts, c.links), { vm: 'fa:16:3e:11:22:33' });
  return { d, overlay: d.findings.filter((f) => OVERLAY_CODES.has(f.code)) };
}

describe('the overlay examples (collected from the real lab)', () => {
  it('examples/vxlan-healthy is healthy: both VMs reach the server over the tunnels and back', async () => {
    const d = diagnose(await readCase(join(ROOT, 'examples/vxlan-healthy')));
    expect(d.verdict).toBe('healthy');
    expect(d.paths.map((p) => [p.vm, p.discover.verdict, p.offer?.verdict])).toEqual([
      ['compute1:tap7f3e1c2a-9b', 'delivered', 'delivered'],
      ['compute2:tap9c8b7a6d-5e', 'delivered', 'delivered'],
    ]);
  });
  it('examples/vxlan-tunport: the missing tunnel is the headline, with the port list as evidence', async () => {
    const d = diagnose(await readCase(join(ROOT, 'examples/vxlan-tunport')), { vm: 'fa:16:3e:11:22:33' });
    expect(d.verdict).toBe('problem');
    const f = d.findings.find((x) => x.code === 'tunnel-port-missing')!;
    expect(d.headline).toContain('compute1 has no tunnel to network (172.16.0.13)');
    expect(f.evidence).toContainEqual({
      text: 'vxlan-ac10000c: remote_ip=172.16.0.12',
      file: 'compute1/sos_commands/openvswitch/ovs-vsctl_-t_5_list_interface',
      line: expect.any(Number),
    });
  });
});

describe('overlay checks', () => {
  it('healthy VXLAN: no overlay finding, the DISCOVER reaches the server', () => {
    const { d, overlay } = run();
    expect(overlay).toEqual([]);
    expect(d.paths[0]?.discover.verdict).toBe('delivered');
  });

  const cases: [string, OverlayOptions, string, string, RegExp][] = [
    [
      'F1 tunnel port missing',
      { noTunnelTo: 'network' },
      'tunnel-port-missing',
      'compute1:br-tun',
      /no tunnel to network \(172\.16\.0\.13\)/,
    ],
    [
      'F2 flood flow lacks the tunnel',
      { floodWithout: 'network' },
      'tunnel-flood-missing',
      'compute1:br-tun:vxlan-ac10000d',
      /flood flow for VLAN 1/,
    ],
    [
      'F3 local_ip not on the host',
      { tunnelLocalIp: '172.16.0.21' },
      'tunnel-local-ip',
      'compute1:br-tun:vxlan-ac10000d',
      /local_ip 172\.16\.0\.21, which compute1 does not have/,
    ],
    [
      'F4 remote_ip nobody has',
      { remoteIp: '172.16.0.99' },
      'tunnel-remote-unknown',
      'compute1:br-tun:vxlan-ac10000d',
      /remote_ip 172\.16\.0\.99.*name says 172\.16\.0\.13/,
    ],
    [
      'F6 receiver expects another peer',
      { receiverRemote: '172.16.0.21' },
      'tunnel-receiver-missing',
      'network:br-tun',
      /no vxlan port with remote_ip 172\.16\.0\.11/,
    ],
    [
      'flood flow sets a key the receiver does not map',
      { floodKey: 1002 },
      'tunnel-key-unmapped',
      'network:br-tun',
      /sends the DISCOVER with vxlan key 0x3ea, but network br-tun table 4 maps only 0x3e9/,
    ],
    [
      'F8 tun_id mapped to a stale VLAN',
      { tunToVlan: 6 },
      'tunnel-vlan-map',
      'network:br-tun',
      /maps it to local VLAN 6, but the DHCP port tapd4a1b2c3-e5 has tag 5/,
    ],
    [
      'GRE F8',
      { type: 'gre', tunToVlan: 6 },
      'tunnel-vlan-map',
      'network:br-tun',
      /table 3 maps it to local VLAN 6/,
    ],
  ];
  it('F7 the underlay firewall drops VXLAN: the flows deliver, the iptables-save rule is the cause', () => {
    const ipt = parseIptablesSave(
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n-A FORWARD -p udp -m udp --dport 4789 -j DROP\n-A INPUT -p gre -j REJECT\n-A OUTPUT -p udp --dport 4789 -j DROP\nCOMMIT\n',
    );
    expect(ipt.value.tunnelDrops).toEqual([
      { line: 4, text: '-A FORWARD -p udp -m udp --dport 4789 -j DROP', tunnel: 'vxlan' },
      { line: 5, text: '-A INPUT -p gre -j REJECT', tunnel: 'gre' },
    ]);
    const c = overlayCase();
    const s = buildSnapshot(c.hosts, c.links);
    s.hosts.find((h) => h.name === 'network')!.iptables = {
      rules: 3,
      tunnelDrops: ipt.value.tunnelDrops!.map((d) => ({
        tunnel: d.tunnel,
        text: d.text,
        from: { file: 'network/iptables-save', line: d.line },
      })),
      from: { file: 'network/iptables-save', line: 0 },
    };
    const d = diagnose(s, { vm: 'fa:16:3e:11:22:33' });
    const f = d.findings.filter((x) => x.code === 'tunnel-underlay-drop');
    // Only the VXLAN rule: the case has no GRE tunnel.
    expect(f.map((x) => x.evidence[0])).toEqual([
      { text: '-A FORWARD -p udp -m udp --dport 4789 -j DROP', file: 'network/iptables-save', line: 4 },
    ]);
    expect(f[0]!.fix[0]).toMatch(/^iptables -D FORWARD -p udp -m udp --dport 4789 -j DROP /);
    expect(d.verdict).toBe('problem');
  });

  it('F4 names the wrong remote_ip, not a missing port', () => {
    const { overlay } = run({ remoteIp: '172.16.0.99' });
    expect(overlay.map((f) => f.code)).toEqual(['tunnel-remote-unknown']);
  });

  for (const [name, o, code, subject, msg] of cases)
    it(`${name}: ${code}`, () => {
      const { d, overlay } = run(o);
      expect(d.verdict).not.toBe('healthy');
      const f = overlay.find((x) => x.code === code && x.subject === subject);
      expect(f, JSON.stringify(d.findings.map((x) => x.code))).toBeDefined();
      expect(f!.subject).toBe(subject);
      expect(f!.message).toMatch(msg);
      expect(f!.evidence.some((e) => e.file)).toBe(true);
      expect(f!.fix.length).toBeGreaterThan(0);
    });
});
