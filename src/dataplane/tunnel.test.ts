// Tunnels in the trace: encapsulation at a VXLAN/GRE port, the remote host found by its underlay
// address, its tunnel port found the way OVS's receive lookup does, the decapsulated packet with
// tun_id/tun_src/tun_dst; and each way the overlay breaks, on the Neutron overlay as data.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colors } from '../cli/colors.ts';
import { formatTrace } from '../cli/format-trace.ts';
import { readCase } from '../sources/case-dir.ts';
import { ROOT } from '../testing/fixtures.ts';
import { DHCP_TAP, type OverlayOptions, overlayCase, QDHCP, VM } from '../testing/overlay-case.ts';
import { buildSnapshot } from '../testing/snapshot-builder.ts';
import { formatPacket } from './packet.ts';
import { traceCommand } from './run.ts';
import { traceJson } from './trace-json.ts';
import { nodesOf } from './tree.ts';
import { neutronTunnelName, tunnelConfig } from './tunnel.ts';

function discover(o: OverlayOptions = {}, from = `compute1:${VM.vm1.tap}`) {
  const c = overlayCase(o);
  return traceCommand(buildSnapshot(c.hosts, c.links), { from, packet: 'dhcp-discover' });
}

describe('VXLAN across hosts (Neutron br-tun)', () => {
  it('the DISCOVER crosses br-tun, the tunnel with VNI 0x3e9 and the network node to the qdhcp tap', () => {
    const t = discover();
    expect(t.target).toEqual([{ host: 'network', name: QDHCP }]);
    expect(t.verdict).toBe('delivered');
    const tun = nodesOf(t.tree, 'tunnel');
    expect(tun.map((n) => [n.from.port, n.from.local_ip, n.from.remote_ip, n.from.key, n.to])).toEqual([
      [
        'vxlan-ac10000c',
        '172.16.0.11',
        '172.16.0.12',
        '0x3e9',
        { host: 'compute2', bridge: 'br-tun', port: 'vxlan-ac10000b' },
      ],
      [
        'vxlan-ac10000d',
        '172.16.0.11',
        '172.16.0.13',
        '0x3e9',
        { host: 'network', bridge: 'br-tun', port: 'vxlan-ac10000b' },
      ],
    ]);
    expect(tun[0]!.from.dst_port).toBe(4789);
    // The decapsulated packet enters the remote br-tun with the tunnel metadata set.
    const entered = nodesOf(t.tree, 'bridge').find((b) => b.host === 'network' && b.bridge === 'br-tun')!;
    expect(entered.inPort).toBe('vxlan-ac10000b');
    expect(formatPacket(entered.packet)).toContain('tun_id=0x3e9,tun_src=172.16.0.11,tun_dst=172.16.0.13');
    // Table 4 maps the VNI to network's local VLAN 5; br-int delivers on the tag-5 tap.
    expect(t.reached).toContainEqual(
      expect.objectContaining({ kind: 'namespace', host: 'network', namespace: QDHCP, device: DHCP_TAP }),
    );
    const netInt = nodesOf(t.tree, 'bridge').find((b) => b.host === 'network' && b.bridge === 'br-int')!;
    expect(netInt.packet.vlans[0]?.vid).toBe(5);
    // Compute2 gets it too (flood): its br-tun maps the VNI to its own local VLAN 2, the VM port's tag.
    expect(t.reached).toContainEqual({ kind: 'vm', host: 'vm2', device: 'eth0' });
    const c2 = nodesOf(t.tree, 'bridge').find((b) => b.host === 'compute2' && b.bridge === 'br-int')!;
    expect(c2.packet.vlans[0]?.vid).toBe(2);
    expect(t.assumptions.map((a) => a.code)).toContain('underlay');
    // learn() in table 10 writes table 20, which the DISCOVER (broadcast, table 22) never looks up.
    expect(t.assumptions.map((a) => a.code)).not.toContain('learn');
  });

  it('the OFFER comes back over the l2pop unicast flow of network table 20', () => {
    const c = overlayCase();
    const t = traceCommand(buildSnapshot(c.hosts, c.links), {
      from: `network:${DHCP_TAP}`,
      packet: 'dhcp-offer',
      mac: VM.vm1.mac,
    });
    expect(t.verdict).toBe('delivered');
    const tun = nodesOf(t.tree, 'tunnel');
    expect(tun).toHaveLength(1);
    expect(tun[0]!.from).toMatchObject({ host: 'network', port: 'vxlan-ac10000b', remote_ip: '172.16.0.11' });
    expect(tun[0]!.to).toEqual({ host: 'compute1', bridge: 'br-tun', port: 'vxlan-ac10000d' });
    expect(t.reached).toContainEqual({ kind: 'vm', host: 'vm1', device: 'eth0' });
  });

  it('table 20 without learned flows is an assumption only where a learned flow could outrank the match', () => {
    const c = overlayCase();
    const net = c.hosts.find((h) => h.name === 'network')!;
    const brTun = net.bridges!.find((b) => b.name === 'br-tun')!;
    const offer = () =>
      traceCommand(buildSnapshot(c.hosts, c.links), {
        from: `network:${DHCP_TAP}`,
        packet: 'dhcp-offer',
        mac: VM.vm1.mac,
      });
    // The l2pop unicast flow (priority 2) outranks any learned flow (priority 1): no assumption.
    expect(offer().assumptions.map((a) => a.code)).not.toContain('learn');
    // Without it the lookup falls to priority 0 (flood via table 22): what was learned matters.
    brTun.flows = brTun.flows!.filter((f) => !f.startsWith('table=20,priority=2'));
    const t = offer();
    expect(t.verdict).toBe('delivered');
    const a = t.assumptions.find((x) => x.code === 'learn')!;
    expect(a.text).toContain(
      'network:br-tun table 20: learn() writes flows here (priority 1) and the dump holds none',
    );
    // A learned flow in the dump is evidence: used, no assumption.
    brTun.flows.push(
      'table=20,hard_timeout=300,priority=1,vlan_tci=0x0005/0x0fff,dl_dst=fa:16:3e:11:22:33 actions=load:0->NXM_OF_VLAN_TCI[],load:0x3e9->NXM_NX_TUN_ID[],output:vxlan-ac10000b',
    );
    const u = offer();
    expect(u.assumptions.map((x) => x.code)).not.toContain('learn');
    expect(nodesOf(u.tree, 'tunnel').map((n) => n.from.port)).toEqual(['vxlan-ac10000b']);
  });

  it('GRE: gre-<hex> ports, table 3, no UDP port', () => {
    const t = discover({ type: 'gre' });
    expect(t.verdict).toBe('delivered');
    const tun = nodesOf(t.tree, 'tunnel');
    expect(tun.map((n) => [n.from.type, n.from.port, n.to?.port])).toEqual([
      ['gre', 'gre-ac10000c', 'gre-ac10000b'],
      ['gre', 'gre-ac10000d', 'gre-ac10000b'],
    ]);
    expect(tun[0]!.from.dst_port).toBeUndefined();
  });

  it('the text printer shows the tunnel hop with its VNI; JSON carries it as a node', () => {
    const t = discover();
    const text = formatTrace(t, colors(false));
    expect(text).toContain(
      '~> tunnel vxlan compute1:vxlan-ac10000d 172.16.0.11 -> 172.16.0.13 key 0x3e9 udp 4789 -> network:br-tun:vxlan-ac10000b',
    );
    expect(text).toContain('network: bridge("br-tun") in_port=vxlan-ac10000b');
    const j = JSON.stringify(traceJson(t));
    expect(j).toContain('"kind":"tunnel"');
    expect(j).toContain('"remote_ip":"172.16.0.13"');
  });
});

describe('hosts the case does not hold', () => {
  it('a tunnel to an address no host owns ends beyond the tunnel; the server reached elsewhere still delivers', () => {
    const t = discover({ hosts: ['compute1', 'network'] });
    expect(t.verdict).toBe('delivered');
    expect(t.reached).toContainEqual({
      kind: 'beyond-tunnel',
      remote_ip: '172.16.0.12',
      tunnel: 'vxlan',
      key: '0x3e9',
      from: { host: 'compute1', bridge: 'br-tun', port: 'vxlan-ac10000c' },
    });
  });
  it('only the compute node in the case: the server is not located, the verdict is incomplete, not dropped', () => {
    const t = discover({ hosts: ['compute1'] });
    expect(t.verdict).toBe('incomplete');
    expect(
      t.reached
        .filter((r) => r.kind === 'beyond-tunnel')
        .map((r) => r.kind === 'beyond-tunnel' && r.remote_ip),
    ).toEqual(['172.16.0.12', '172.16.0.13']);
  });
});

describe('a published compute-node sosreport (canonical/hotsos test data, src/parse/fixtures/field)', () => {
  it('the DISCOVER of its VM crosses br-tun into both VXLAN tunnels with VNI 0x4d1, beyond which the case ends', async () => {
    const s = await readCase(join(ROOT, 'src/parse/fixtures/field/hotsos-openstack'));
    const t = traceCommand(s, { from: 'compute:tap0e778df8-ca', packet: 'dhcp-discover' });
    expect(
      nodesOf(t.tree, 'tunnel').map((n) => [
        n.from.port,
        n.from.local_ip,
        n.from.remote_ip,
        n.from.key,
        n.to,
      ]),
    ).toEqual([
      ['vxlan-0a000072', '10.0.0.128', '10.0.0.114', '0x4d1', null],
      ['vxlan-0a000085', '10.0.0.128', '10.0.0.133', '0x4d1', null],
    ]);
    expect(t.reached).toContainEqual(
      expect.objectContaining({ kind: 'beyond-tunnel', remote_ip: '10.0.0.133' }),
    );
    // The network nodes are not in the case: not dropped, not delivered.
    expect(t.verdict).toBe('incomplete');
  });
});

describe('overlay failures (ovs-tunnels.md §7)', () => {
  it('F1 no tunnel port to the network node: dropped, only compute2 is reached', () => {
    const t = discover({ noTunnelTo: 'network' });
    expect(t.verdict).toBe('dropped');
    expect(nodesOf(t.tree, 'tunnel').map((n) => n.from.remote_ip)).toEqual(['172.16.0.12']);
  });
  it('F2 flood flow without the tunnel: dropped', () => {
    const t = discover({ floodWithout: 'network' });
    expect(t.verdict).toBe('dropped');
    expect(nodesOf(t.tree, 'tunnel')).toHaveLength(1);
  });
  it('F3 local_ip the host does not have: native tunnel routing fails on the sender', () => {
    const t = discover({ tunnelLocalIp: '172.16.0.21' });
    expect(t.verdict).toBe('dropped');
    expect(t.drop).toMatchObject({ host: 'compute1', bridge: 'br-tun', reason: { code: 'tunnel-route' } });
    expect(t.drop!.reason.text).toContain('local_ip 172.16.0.21 is not an address of compute1');
  });
  it('F4 remote_ip no host has: the branch leaves the case (incomplete: whatever owns .99 is not in it)', () => {
    const t = discover({ remoteIp: '172.16.0.99' });
    expect(t.verdict).toBe('incomplete');
    expect(t.reached).toContainEqual(
      expect.objectContaining({ kind: 'beyond-tunnel', remote_ip: '172.16.0.99' }),
    );
  });
  it('F6 receiver expects another peer address: "receive tunnel port not found" on the network node', () => {
    const t = discover({ receiverRemote: '172.16.0.21' });
    expect(t.verdict).toBe('dropped');
    expect(t.drop).toMatchObject({
      host: 'network',
      bridge: 'br-tun',
      reason: { code: 'tunnel-port-not-found' },
    });
    const tun = nodesOf(t.tree, 'tunnel').find((n) => n.from.remote_ip === '172.16.0.13')!;
    expect(tun.to).toBeNull();
  });
  it('F8 table 4 maps the VNI to a VLAN the DHCP port is not on: arrives, not delivered to the tap', () => {
    const t = discover({ tunToVlan: 6 });
    expect(t.verdict).toBe('dropped');
    const net = t.outputs.filter((o) => o.host === 'network');
    expect(net.map((o) => [o.port, o.vlan])).toEqual([['br-int', 6]]);
  });
  it('br-tun on the network node without flows (agent never programmed it): table miss there', () => {
    const t = discover({ networkBrTunEmpty: true });
    expect(t.verdict).toBe('dropped');
    expect(t.drop).toMatchObject({ host: 'network', bridge: 'br-tun', reason: { code: 'table-miss' } });
  });
});

describe('who owns the remote_ip', () => {
  // A host folder with the network node's underlay address on its eth0 (a tenant subnet may
  // overlap the underlay); named so that it comes first, as app2 did in the review.
  const withTwin = (ovs: boolean) => {
    const { hosts, links } = overlayCase();
    hosts.unshift({
      name: 'app2',
      devices: [{ name: 'eth0', addresses: ['172.16.0.13/24'] }],
      ...(ovs
        ? { bridges: [{ name: 'br-app', ports: [{ name: 'br-app', ofport: 65534, type: 'internal' }] }] }
        : {}),
    });
    return traceCommand(buildSnapshot(hosts, links), {
      from: `compute1:${VM.vm1.tap}`,
      packet: 'dhcp-discover',
    });
  };
  it('a host without OVS is no tunnel endpoint: the tunnel still reaches the network node', () => {
    const t = withTwin(false);
    expect(t.verdict).toBe('delivered');
    expect(nodesOf(t.tree, 'tunnel').map((n) => n.to?.host)).toEqual(['compute2', 'network']);
  });
  it('two OVS hosts claiming it: the owner is unknown, not followed, both named', () => {
    const t = withTwin(true);
    expect(t.verdict).toBe('incomplete');
    const tun = nodesOf(t.tree, 'tunnel').find((n) => n.from.remote_ip === '172.16.0.13')!;
    expect(tun.to).toBeNull();
    expect(nodesOf(tun, 'drop')).toEqual([]);
    expect(nodesOf(tun, 'output').map((o) => o.endpoint)).toEqual([
      expect.objectContaining({ kind: 'beyond-tunnel', claimants: ['app2', 'network'] }),
    ]);
    const a = t.assumptions.find((x) => x.code === 'underlay-owner')!;
    expect(a.text).toBe(
      '172.16.0.13 is claimed by app2 (its ip addr) and network (its ip addr): which of them a tunnel to 172.16.0.13 reaches is unknown, so it is not followed',
    );
  });
});

describe('what the case leaves unsaid', () => {
  it('no ip addr: the underlay owner is taken from the tunnels local_ip, said as an assumption', () => {
    const t = discover({ noAddresses: true });
    expect(t.verdict).toBe('delivered');
    const a = t.assumptions.find((x) => x.code === 'underlay-owner')!;
    expect(a.text).toContain('options:local_ip of its tunnel');
  });
  it('tunnel ports seen only by name: Neutron naming gives type and remote, said as an assumption', () => {
    const t = discover({ typesUnknown: true });
    expect(t.verdict).toBe('delivered');
    expect(t.assumptions.some((a) => a.code === 'tunnel-inferred' && a.text.includes('vxlan-ac10000d'))).toBe(
      true,
    );
  });
  it('remote_ip=flow ports accept any peer; key=flow takes the packet key', () => {
    const { hosts, links } = overlayCase();
    const net = hosts.find((h) => h.name === 'network')!;
    const brTun = net.bridges!.find((b) => b.name === 'br-tun')!;
    for (const p of brTun.ports) if (p.options?.remote_ip === '172.16.0.11') p.options.remote_ip = 'flow';
    const t = traceCommand(buildSnapshot(hosts, links), {
      from: `compute1:${VM.vm1.tap}`,
      packet: 'dhcp-discover',
    });
    expect(t.verdict).toBe('delivered');
  });
  it('tunnelConfig reads key, in_key/out_key, dst_port; Neutron names', () => {
    const f = { file: 'x', line: 1 };
    const c = tunnelConfig('h', 'vx', {
      name: 'vx',
      type: { known: true, value: 'vxlan', from: [f] },
      ofport: { known: true, value: 5, from: [f] },
      options: { known: true, value: { remote_ip: '10.0.0.9', key: '77', dst_port: '8472' }, from: [f] },
      externalIds: { known: true, value: {}, from: [f] },
      from: [f],
    });
    expect(c).toEqual({ type: 'vxlan', remoteIp: '10.0.0.9', inKey: 77n, outKey: 77n, dstPort: 8472 });
    expect(neutronTunnelName('gre', '172.16.0.13')).toBe('gre-ac10000d');
  });
});
