// The overlay checks on the Neutron overlay as data: each failure of ovs-tunnels.md §7 the case can
// show is named with its cause and evidence; the healthy overlay gives none of them.

import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../parse/services.ts';
import { readCase } from '../../sources/case-dir.ts';
import {
  cleanupCases,
  edit,
  runCheck as run2,
  seedCase,
  tagSeedVif16,
  tmpCase,
} from '../../testing/case-edits.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { type OverlayOptions, overlayCase } from '../../testing/overlay-case.ts';
import { buildSnapshot } from '../../testing/snapshot-builder.ts';
import { diagnose } from '../diagnose.ts';
import { dhcpPort } from './dhcp-port.ts';

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
  // F7, with network's filter table read as iptables-save writes it (iptables-nft 1.8.9, saved in a
  // throwaway namespace: see firewall.test.ts). The chain is evaluated in order for each peer.
  const withIptables = (rules: string) => {
    const c = overlayCase();
    const s = buildSnapshot(c.hosts, c.links);
    const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules}COMMIT\n`;
    const f = parseIptablesSave(text).value.filter!;
    const from = (line: number) => ({ file: 'network/iptables-save', line });
    s.hosts.find((h) => h.name === 'network')!.iptables = [
      {
        rules: f.rules.length,
        filter: {
          chains: f.chains.map((x) => ({
            name: x.name,
            ...(x.policy ? { policy: x.policy } : {}),
            from: from(x.line),
          })),
          rules: f.rules.map((x) => ({ chain: x.chain, text: x.text, from: from(x.line) })),
        },
        from: from(0),
      },
    ];
    const d = diagnose(s, { vm: 'fa:16:3e:11:22:33' });
    return { d, f: d.findings.filter((x) => x.code.startsWith('tunnel-underlay')) };
  };

  it('F7 the receiving host drops VXLAN in INPUT: that rule, and a fix that lets the peer in before it', () => {
    const { d, f } = withIptables('-A INPUT -p udp -m udp --dport 4789 -j DROP\n');
    expect(f.map((x) => x.code)).toEqual(['tunnel-underlay-drop']);
    expect(f[0]!.evidence[0]).toEqual({
      text: '-A INPUT -p udp -m udp --dport 4789 -j DROP',
      file: 'network/iptables-save',
      line: 5,
    });
    // Only compute1 -> network: the DISCOVER's hop to the server, not its flood to compute2.
    expect(f[0]!.message).toContain('(compute1 172.16.0.11 -> network 172.16.0.13)');
    expect(f[0]!.fix).toEqual([
      expect.stringMatching(
        /^iptables -I INPUT 1 -s 172\.16\.0\.11\/32 -d 172\.16\.0\.13\/32 -p udp -m udp --dport 4789 -j ACCEPT {3}# changes state, on network/,
      ),
    ]);
    expect(d.verdict).toBe('problem');
  });

  it('F7 the peers accepted first, a DROP after, FORWARD and GRE rules: nothing drops the VXLAN, healthy', () => {
    const { d, f } = withIptables(
      '-A INPUT -s 172.16.0.0/24 -p udp -m udp --dport 4789 -j ACCEPT\n-A INPUT -p udp -m udp --dport 4789 -j DROP\n-A INPUT -p gre -j REJECT --reject-with icmp-port-unreachable\n-A FORWARD -p udp -m udp --dport 4789 -j DROP\n',
    );
    expect(f).toEqual([]);
    expect(d.verdict).toBe('healthy');
  });

  it('F7 an INPUT rule the model cannot decide before the DROP: a gap with the counters, undecided', () => {
    const { d, f } = withIptables(
      '-A INPUT -i eth1 -j ACCEPT\n-A INPUT -p udp -m udp --dport 4789 -j DROP\n',
    );
    expect(f.map((x) => [x.code, x.role])).toEqual([['tunnel-underlay-unknown', 'gap']]);
    expect(f[0]!.message).toContain('INPUT rule 1 `-A INPUT -i eth1 -j ACCEPT`');
    expect(f[0]!.fix).toEqual([
      'iptables -L INPUT -nv --line-numbers   # on network: the counters say which rule the tunnel traffic hits',
    ]);
    expect(d.verdict).toBe('undecided');
    expect(d.headline).toContain('iptables -L INPUT -nv --line-numbers');
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

/** examples/<name> copied, with `files` of `host` removed (both dump-flows spellings given). */
function exampleWithout(name: string, host: string, files: string[]): string {
  const d = tmpCase();
  cpSync(join(ROOT, 'examples', name), d, { recursive: true });
  for (const f of files) rmSync(join(d, host, 'sos_commands/openvswitch', f));
  return d;
}
const BR_TUN_DUMPS = ['ovs-ofctl_dump-flows_br-tun', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-tun'];

describe('a br-tun without its flow dump: NORMAL assumed there proves nothing', () => {
  afterAll(cleanupCases);
  it("the VM's host: no key mismatch from the key 0x0 NORMAL leaves (the F-case above stays raised)", () => {
    const d = diagnose(readCase(exampleWithout('vxlan-healthy', 'compute1', BR_TUN_DUMPS)));
    expect(d.verdict).toBe('undecided');
    expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(d.collectNext[0]).toBe('ovs-ofctl -O OpenFlow13 dump-flows br-tun   # on compute1');
  });
  it("the DHCP server's host: the VLAN NORMAL leaves is not the network's, no stale-tag claim", () => {
    const c = exampleWithout('vxlan-healthy', 'network', BR_TUN_DUMPS);
    expect(run2(dhcpPort, c)).toEqual([]);
    expect(diagnose(readCase(c)).verdict).toBe('undecided');
  });
  it('the DHCP port really in another VLAN (its tag changed, dumps whole): dhcp-port-vlan-mismatch stays', () => {
    const c = exampleWithout('vxlan-healthy', 'network', []);
    const f = join(c, 'network/sos_commands/openvswitch/ovs-vsctl_-t_5_list_port');
    writeFileSync(
      f,
      readFileSync(f, 'utf8')
        .split('\n\n')
        .map((r) =>
          r.includes('name                : tapd4a1b2c3-e5')
            ? r.replace(/^tag\s+: 5$/m, 'tag                 : 7')
            : r,
        )
        .join('\n\n'),
    );
    const m = run2(dhcpPort, c).filter((x) => x.code === 'dhcp-port-vlan-mismatch');
    expect(m.map((x) => x.message)).toContain(
      'the DISCOVER from tap7f3e1c2a-9b reaches br-int in VLAN 5, but the DHCP port tapd4a1b2c3-e5 is tagged 7',
    );
  });
  it('a relay through a br-tun assumed NORMAL is no way to the server: the missing tunnel stays the cause', () => {
    // vxlan-tunport: compute1 has no tunnel to network; with compute2's br-tun assumed NORMAL the
    // trace relays compute1's DISCOVER through compute2 to network (Neutron's br-tun never does).
    const d = diagnose(readCase(exampleWithout('vxlan-tunport', 'compute2', BR_TUN_DUMPS)), {
      vm: 'fa:16:3e:11:22:33',
    });
    expect(d.verdict).toBe('problem');
    expect(d.findings[0]!.code).toBe('tunnel-port-missing');
    expect(d.findings.map((f) => f.code)).not.toContain('tunnel-key-unmapped');
  });
});

// A missing tunnel is a cause only on an overlay network: the case must say the VM's network is
// one (its host's flows put the VM's local VLAN into a tunnel key, or map a key to it). A VLAN or
// flat network (its physical bridge translates the local VLAN) needs no tunnel; a network the
// case does not type is a gap naming what would type it, never an error.
describe("tunnel-port-missing only when the VM's network is proven an overlay", () => {
  afterAll(cleanupCases);
  const VM_MAC = 'fa:16:3e:11:22:33';

  it("vxlan-tunport: compute1's br-tun flows map the VM's VLAN 1 to tun_id 0x3e9, cited as evidence", () => {
    const d = diagnose(readCase(join(ROOT, 'examples/vxlan-tunport')), { vm: VM_MAC });
    const f = d.findings.find((x) => x.code === 'tunnel-port-missing')!;
    expect(f.severity).toBe('error');
    expect(f.evidence).toContainEqual({
      text: expect.stringMatching(
        /^tap7f3e1c2a-9b's network is an overlay: compute1 br-tun table 22 puts its local VLAN 1 into tunnel key 0x3e9: priority=1,dl_vlan=1 actions=/,
      ),
      file: 'compute1/sos_commands/openvswitch/ovs-ofctl_-O_OpenFlow13_dump-flows_br-tun',
      line: expect.any(Number),
    });
  });

  it("vxlan-tunport without compute1's br-tun dumps: the type is unknown, a gap saying what to collect", () => {
    const d = diagnose(readCase(exampleWithout('vxlan-tunport', 'compute1', BR_TUN_DUMPS)), { vm: VM_MAC });
    expect(d.findings.map((f) => f.code)).not.toContain('tunnel-port-missing');
    expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(d.verdict).toBe('undecided');
    const g = d.findings.find((f) => f.code === 'tunnel-network-type-unknown')!;
    expect(g.role).toBe('gap');
    expect(g.message).toMatch(
      /^compute1 shows no tunnel to network \(172\.16\.0\.13\), where the DHCP server qdhcp-3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12 is, but the case does not say whether tap7f3e1c2a-9b's network is an overlay/,
    );
    expect(g.fix).toContain('ovs-ofctl -O OpenFlow13 dump-flows br-tun   # on compute1');
    expect(g.fix).toContain('openstack port show -c network_id port-vm1');
    expect(d.collectNext).toContain('ovs-ofctl -O OpenFlow13 dump-flows br-tun   # on compute1');
  });

  it('a VLAN network (the seed, tagged, with a VXLAN tunnel on dom0 to another host): no tunnel claim', () => {
    // The seed with vif16.0 tagged 1 and DomU translating 1042 where Dom0 sends 1041 (a proven
    // drop), in a deployment that also runs VXLAN: dom0 has a tunnel to a third host, DomU's agent
    // has local_ip 192.0.2.30. xapi3 translates local VLAN 1 to 1041: the network is a VLAN one.
    const dir = seedCase((d) => {
      tagSeedVif16(d, 1);
      edit(join(d, 'domu/ovs-ofctl_dump-flows_br-int'), 'dl_vlan=1041', 'dl_vlan=1042');
      appendFileSync(
        join(d, 'dom0/ovs-vsctl_show'),
        'Bridge "br-tun"\n    Port "vxlan-c0000263"\n        Interface "vxlan-c0000263"\n            type: vxlan\n            options: {in_key=flow, local_ip="192.0.2.10", out_key=flow, remote_ip="192.0.2.99"}\n',
      );
      writeFileSync(
        join(d, 'domu/openvswitch_agent.ini'),
        '[ovs]\nlocal_ip = 192.0.2.30\nbridge_mappings = physnet1:br-eth1\n[agent]\ntunnel_types = vxlan\n',
      );
    });
    const d = diagnose(readCase(dir));
    expect(d.findings.map((f) => f.code)).not.toContain('tunnel-port-missing');
    expect(d.findings.map((f) => f.code)).not.toContain('tunnel-network-type-unknown');
    expect(d.verdict).toBe('problem');
    expect(d.findings[0]!.code).toBe('vlan-mismatch');
  });
});
