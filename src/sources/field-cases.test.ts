// Real outputs published by others (sosreports and pasted command outputs: src/parse/fixtures/field/
// PROVENANCE.md), read as cases without --lenient; every expectation below was checked by hand
// against the files.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../doctor/diagnose.ts';
import { findVms, portRole } from '../model/roles.ts';
import { findBridge, findPort, type Host } from '../model/snapshot.ts';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
import { reportData } from '../web/report.ts';
import { readCase } from './case-dir.ts';

const FIELD = join(OWN_FIXTURES, 'field');

describe('hotsos openstack compute node (OVS 2.13, DVR, netstat missing in namespaces)', () => {
  const s = readCase(join(FIELD, 'hotsos-openstack'));
  const h = s.hosts[0]!;
  it('reads every bridge, with flows from the newest OpenFlow dump', () => {
    expect(h.name).toBe('compute');
    expect(h.ovsVersion).toBe('2.13.3');
    expect(h.bridges.map((b) => b.name).sort()).toEqual(['br-data', 'br-ex', 'br-int', 'br-tun']);
    const brInt = findBridge(h, 'br-int')!;
    expect(brInt.failMode).toMatchObject({ known: true, value: 'secure' });
    expect(brInt.flows.known && brInt.flows.value.entries.length).toBe(110);
    expect(brInt.flows.known && brInt.flows.value.complete).toBe(true);
    expect(brInt.flows.known && brInt.flows.value.file).toMatch(/ovs-ofctl_-O_OpenFlow14_dump-flows_br-int$/);
  });
  it('ports, tags and tunnel options as ovs-vsctl show prints them', () => {
    expect(findPort(h, 'tap0e778df8-ca')!.port.tag).toMatchObject({ known: true, value: 3 });
    expect(findPort(h, 'qg-14f81a43-69')!.port.tag).toMatchObject({ known: true, value: 2 });
    const vx = findPort(h, 'vxlan-0a000085')!;
    expect(vx.bridge.name).toBe('br-tun');
    const i = vx.port.interfaces[0]!;
    expect(i.type).toMatchObject({ known: true, value: 'vxlan' });
    expect(i.options.known && i.options.value.remote_ip).toBe('10.0.0.133');
    const patch = findPort(h, 'phy-br-data')!.port.interfaces[0]!;
    expect(patch.options.known && patch.options.value.peer).toBe('int-br-data');
  });
  it('namespaces with their devices; the missing netstat is a tool diagnostic, not corrupt', () => {
    expect(h.namespaces.map((n) => n.name).sort()).toEqual([
      'fip-32981f34-497a-4fae-914a-8576055c8d0d',
      'qrouter-984c22fd-64b3-4fa1-8ddd-87090f401ce5',
      'snat-984c22fd-64b3-4fa1-8ddd-87090f401ce5',
    ]);
    const snat = h.namespaces.find((n) => n.name.startsWith('snat-'))!;
    expect(snat.devices?.length).toBe(4);
    expect(s.diagnostics.filter((d) => d.severity === 'corrupt')).toEqual([]);
    const exec = s.diagnostics.filter((d) => d.code === 'exec-failed');
    expect(exec.length).toBe(3);
    expect(exec[0]).toMatchObject({ severity: 'tool', line: 1 });
    expect(exec[0]!.file).toMatch(/_netstat_-W_-neopa$/);
  });
});

describe('hotsos Sunbeam hypervisor (snap OVS: openstack-hypervisor. names, OVN bridges OF1.3+)', () => {
  const s = readCase(join(FIELD, 'hotsos-sunbeam'));
  const h = s.hosts[0]!;
  it('reads the snap-prefixed files', () => {
    expect(h.ovsVersion).toBe('3.3.0');
    expect(h.bridges.map((b) => b.name).sort()).toEqual(['br-ex', 'br-int']);
    expect(findBridge(h, 'br-int')!.failMode).toMatchObject({ known: true, value: 'secure' });
    const brInt = findBridge(h, 'br-int')!;
    expect(brInt.flows.known && brInt.flows.value.entries.length).toBe(11);
    expect(brInt.flows.known && brInt.flows.value.complete).toBe(true);
  });
  it("the plain dump-flows holds OVS's version negotiation error: an OVS diagnostic, flows from -O OpenFlow13/15", () => {
    expect(s.diagnostics.filter((d) => d.severity === 'corrupt')).toEqual([]);
    expect(
      s.diagnostics.some(
        (d) => d.severity === 'ovs' && d.file.endsWith('openstack-hypervisor.ovs-ofctl_dump-flows_br-ex'),
      ),
    ).toBe(true);
    const brEx = findBridge(h, 'br-ex')!;
    expect(brEx.flows.known && brEx.flows.value.file).toMatch(/-O_OpenFlow1[345]_dump-flows_br-ex$/);
  });
});

describe('openvswitch/ovs-issues#141 (OVS 2.3.0, quoted names, a port OpenFlow does not list)', () => {
  const s = readCase(join(FIELD, 'ovs-issues-141'));
  const h = s.hosts[0]!;
  it('pasted outputs with their own names, recognised by content, the bridge from the file name', () => {
    expect(s.diagnostics).toEqual([]);
    expect(h.files).toEqual(['host/vsctl-show.txt', 'host/ofctl-show-clients0.txt']);
    expect(h.ovsVersion).toBe('2.3.0');
    expect(h.bridges.map((b) => [b.name, b.ports.map((p) => p.name)])).toEqual([
      ['servers0', ['router0', 'servers0']],
      ['clients0', ['clients0', 'router1']],
    ]);
    expect(findBridge(h, 'clients0')!.dpid).toBe('00007e5eb4927447');
  });
  it('ofctl show lists only LOCAL: clients0 is 65534, router1 has no OpenFlow port number', () => {
    expect(findPort(h, 'clients0')!.port.interfaces[0]!.ofport).toMatchObject({ known: true, value: 65534 });
    expect(findPort(h, 'router1')!.port.interfaces[0]!.ofport.known).toBe(false);
  });
});

/** Flows of a bridge whose dumped text holds every one of `parts`. */
function flowsWith(h: Host, bridge: string, ...parts: string[]) {
  const f = findBridge(h, bridge)!.flows;
  return f.known ? f.value.entries.filter((e) => parts.every((x) => e.text.includes(x))) : [];
}

const QDHCP = 'qdhcp-6ee86f5e-5d22-4c00-a2cd-6622ec856e17';

describe('9506hqwy/openstack_study_notes vxlan network: a controller with the qdhcp namespace (OVS 3.3.1, pasted outputs)', () => {
  const s = readCase(join(FIELD, 'study-notes-vxlan-network'));
  const h = s.hosts[0]!;
  it('reads the pasted outputs by content; ovs-dpctl show, list-tunnels and ip route are not read, and said so', () => {
    // Loose files vifpath does not read are named, each with why (review: skipped in silence).
    expect(s.diagnostics.map((d) => [d.file, d.code, d.severity])).toEqual([
      ['controller/dpctl-show.txt', 'not-read', 'info'],
      [`controller/ip_netns_exec_${QDHCP}_ip_route.txt`, 'not-read', 'info'],
      ['controller/list-tunnels.txt', 'not-read', 'info'],
    ]);
    expect(s.diagnostics[0]!.message).toMatch(/^not read: `ovs-dpctl show`/);
    expect(s.diagnostics[2]!.message).toMatch(/^not read: neither its name nor its content/);
    expect(h.name).toBe('controller');
    expect(h.ovsVersion).toBe('3.3.1');
    expect(h.files.length).toBe(10);
    expect(h.ignored.sort()).toEqual([
      'controller/dpctl-show.txt',
      `controller/ip_netns_exec_${QDHCP}_ip_route.txt`,
      'controller/list-tunnels.txt',
    ]);
    expect(h.bridges.map((b) => b.name)).toEqual(['br-tun', 'br-provider', 'br-mgmt', 'br-int']);
    for (const b of h.bridges) expect(b.failMode).toMatchObject({ known: true, value: 'secure' });
    const counts = h.bridges.map((b) => [b.name, b.flows.known && b.flows.value.entries.length]);
    expect(counts).toEqual([
      ['br-tun', 13],
      ['br-provider', 4],
      ['br-mgmt', 2],
      ['br-int', 29],
    ]);
    for (const b of h.bridges) expect(b.flows.known && b.flows.value.complete).toBe(true);
  });
  it('br-int: three internal tap ports with their local VLANs; the patch pairs and the VXLAN port', () => {
    const tags = ['tap183c56bb-b2', 'tap2dac2cf0-61', 'tap52b1b85b-8e'].map((n) => {
      const p = findPort(h, n)!;
      expect(p.bridge.name).toBe('br-int');
      expect(p.port.interfaces[0]!.type).toMatchObject({ known: true, value: 'internal' });
      return p.port.tag.known && p.port.tag.value;
    });
    expect(tags).toEqual([1, 3, 2]);
    const patch = findPort(h, 'patch-tun')!.port.interfaces[0]!;
    expect(patch.options.known && patch.options.value.peer).toBe('patch-int');
    const vx = findPort(h, 'vxlan-ac10001f')!;
    expect(vx.bridge.name).toBe('br-tun');
    const o = vx.port.interfaces[0]!.options;
    expect(o.known && o.value).toMatchObject({
      local_ip: '172.16.0.11',
      remote_ip: '172.16.0.31',
      in_key: 'flow',
      out_key: 'flow',
    });
  });
  it('br-tun maps local VLAN 3 to VNI 239 (0xef) both ways', () => {
    expect(flowsWith(h, 'br-tun', 'table=4,', 'tun_id=0xef', 'mod_vlan_vid:3').length).toBe(1);
    const out = flowsWith(h, 'br-tun', 'table=22,', 'dl_vlan=3', 'load:0xef->NXM_NX_TUN_ID[]');
    expect(out.map((e) => e.flow.stats.n_packets)).toEqual([11]);
  });
  it('the qdhcp namespace: the DHCP port with its addresses, and udp :67 bound (ss -ano -4, read by content)', () => {
    expect(h.namespaces.map((n) => n.name)).toEqual([QDHCP]);
    const ns = h.namespaces[0]!;
    const tap = ns.devices!.find((d) => d.name === 'tap2dac2cf0-61')!;
    expect(tap).toMatchObject({ mac: 'fa:16:3e:e9:26:5b', mtu: 1450, up: true });
    expect(
      tap.addresses!.filter((a) => a.family === 'inet').map((a) => `${a.address}/${a.prefixlen}`),
    ).toEqual(['169.254.169.254/32', '192.168.101.1/24']);
    expect(ns.sockets!.length).toBe(8);
    expect(ns.sockets!.some((l) => l.proto === 'udp' && l.address === '0.0.0.0' && l.port === 67)).toBe(true);
    // ip-d-link-show.txt is link output: its devices, none of their addresses (not "none").
    expect(h.devices).toBeUndefined();
    expect(h.links).toMatchObject({ file: 'controller/ip-d-link-show.txt', whole: false });
    expect(h.links!.devices.length).toBe(11);
  });
  it('no VM here: the internal taps are the DHCP agent’s ports; undecided, asking for OpenFlow port numbers', () => {
    for (const n of ['tap183c56bb-b2', 'tap52b1b85b-8e', 'tap2dac2cf0-61']) {
      const p = findPort(h, n)!;
      expect(portRole(s, h, p.bridge, p.port).role).toBe('service');
    }
    expect(findVms(s)).toEqual([]);
    expect(h.gaps).toContain(
      'bridge br-int: OpenFlow port numbers unknown (collect `ovs-ofctl show br-int`)',
    );
    const d = diagnose(s);
    expect(d.verdict).toBe('undecided');
    expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(d.findings.map((f) => f.code)).toEqual(['no-vm-port', 'input-note', 'input-note', 'input-note']);
  });
});

describe('9506hqwy/openstack_study_notes vxlan instance: the VM’s compute node and the DHCP agent’s files (OVS 3.3.1)', () => {
  const s = readCase(join(FIELD, 'study-notes-vxlan-instance'));
  const [compute, controller] = s.hosts as [Host, Host];
  it('two hosts: the compute node’s pasted outputs, the controller’s var/lib/neutron/dhcp files', () => {
    expect(s.diagnostics.map((d) => [d.file, d.code, d.message.replace(/:.*/, '')])).toEqual([
      ['compute/dpctl-show.txt', 'not-read', 'not read'],
      ['compute/list-tunnels.txt', 'not-read', 'not read'],
      ['compute/tcpdump-n-e-i-eth0.txt', 'not-read', 'not read'],
      ['compute/tcpdump-n-e-i-vxlan_sys_4789.txt', 'not-read', 'not read'],
    ]);
    expect(s.diagnostics[2]!.message).toBe(
      "not read: tcpdump's text: vifpath reads packet captures as pcap files (`tcpdump -w <point>.pcap`)",
    );
    expect(s.hosts.map((x) => x.name)).toEqual(['compute', 'controller']);
    expect(compute.ovsVersion).toBe('3.3.1');
    expect(compute.ignored.sort()).toEqual([
      'compute/dpctl-show.txt',
      'compute/list-tunnels.txt',
      'compute/tcpdump-n-e-i-eth0.txt',
      'compute/tcpdump-n-e-i-vxlan_sys_4789.txt',
    ]);
    expect(compute.bridges.map((b) => [b.name, b.flows.known && b.flows.value.entries.length])).toEqual([
      ['br-mgmt', 2],
      ['br-int', 76],
      ['br-tun', 14],
      ['br-provider', 4],
    ]);
    for (const b of compute.bridges) expect(b.flows.known && b.flows.value.complete).toBe(true);
    expect(controller.bridges).toEqual([]);
    expect(controller.ignored).toEqual([
      'controller/var/lib/neutron/dhcp/6ee86f5e-5d22-4c00-a2cd-6622ec856e17/addn_hosts',
    ]);
  });
  it('the VM port on VLAN 3; two stale ports whose devices are gone (OVS’s error kept)', () => {
    const vm = findPort(compute, 'tap648437e1-0d')!;
    expect(vm.port.tag).toMatchObject({ known: true, value: 3 });
    expect(vm.port.interfaces[0]!.type).toMatchObject({ known: true, value: '' });
    expect(compute.links!.devices.find((d) => d.name === 'tap648437e1-0d')!.mac).toBe('fe:16:3e:61:21:c6');
    const stale = ['tap0ab9a23c-99', 'tap635485ff-6c'].map((n) => {
      const p = findPort(compute, n)!;
      return [p.port.tag.known && p.port.tag.value, p.port.interfaces[0]!.error?.text];
    });
    expect(stale).toEqual([
      [1, 'could not open network device tap0ab9a23c-99 (No such device)'],
      [2, 'could not open network device tap635485ff-6c (No such device)'],
    ]);
    const o = findPort(compute, 'vxlan-ac10000b')!.port.interfaces[0]!.options;
    expect(o.known && o.value).toMatchObject({ local_ip: '172.16.0.31', remote_ip: '172.16.0.11' });
  });
  it('the counters say the VM asked and was answered: DISCOVER/REQUEST out, the reply delivered', () => {
    const asked = flowsWith(compute, 'br-int', 'table=71,', 'nw_src=0.0.0.0,tp_src=68,tp_dst=67');
    expect(asked.map((e) => e.flow.stats.n_packets)).toEqual([2]);
    const answered = flowsWith(compute, 'br-int', 'table=81,', 'udp,reg5=0x4,tp_src=67,tp_dst=68');
    expect(answered.map((e) => e.flow.stats.n_packets)).toEqual([2]);
    // br-tun learned the DHCP port's MAC behind the tunnel to the controller, VNI 239.
    const learned = flowsWith(compute, 'br-tun', 'table=20,', 'dl_dst=fa:16:3e:e9:26:5b');
    expect(learned.map((e) => e.flow.hard_timeout)).toEqual([300]);
    expect(learned[0]!.text).toContain('load:0xef->NXM_NX_TUN_ID[],output:"vxlan-ac10000b"');
  });
  it('the DHCP agent’s host entry and lease for the VM’s MAC', () => {
    const net = controller.dhcpNetworks[0]!;
    expect(net.net).toBe('6ee86f5e-5d22-4c00-a2cd-6622ec856e17');
    expect(net.hosts!.map((x) => [x.mac, x.ip])).toEqual([['fa:16:3e:61:21:c6', '192.168.101.85']]);
    expect(net.leases!.map((x) => [x.mac, x.ip, x.expiry])).toEqual([
      ['fa:16:3e:61:21:c6', '192.168.101.85', 1715960522],
    ]);
  });
  it('diagnose: undecided (no OpenFlow port numbers, no qdhcp namespace), never a problem; the stale ports are observations', () => {
    expect(findVms(s).map((v) => v.port.name)).toEqual([
      'tap648437e1-0d',
      'tap0ab9a23c-99',
      'tap635485ff-6c',
    ]);
    const d = diagnose(s);
    expect(d.verdict).toBe('undecided');
    // The VM port's number is unknown but every flow on its way names ports: traced, undecided
    // where it leaves the case (was: not traced); the stale ports (OVS could not open them) not.
    expect(d.paths.map((p) => p.discover.verdict)).toEqual(['incomplete', 'not traced', 'not traced']);
    expect(d.headline).toMatch(
      /^no DHCP server \(qdhcp namespace\) is in the case; the DISCOVER from compute:tap648437e1-0d reaches beyond vxlan-ac10000b to 172\.16\.0\.11 /,
    );
    expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
    // The VM's MAC is the one its firewall flows let it send from (instance02's fa:16:3e:61:21:c6,
    // as the notes say), and with it the controller's lease for it is found.
    expect(d.findings.map((f) => [f.code, f.role])).toEqual([
      ['interface-error', 'observation'],
      ['interface-error', 'observation'],
      ['vm-mac-from-flow', 'observation'],
      ['dhcp-lease-held', 'observation'],
      ['dhcp-server-not-in-case', 'gap'],
      // The stale taps have no anti-spoofing flow to prove them a VM's: taken by name, and said.
      ['vm-port-by-name', 'gap'],
      ['input-note', 'gap'],
      ['input-note', 'gap'],
      ['input-note', 'gap'],
      ['input-note', 'gap'],
    ]);
    expect(d.findings.find((f) => f.code === 'vm-port-by-name')!.subject).toBe(
      'compute:tap0ab9a23c-99, compute:tap635485ff-6c',
    );
    expect(d.findings.find((f) => f.code === 'vm-mac-from-flow')!.message).toContain('fa:16:3e:61:21:c6');
    expect(d.collectNext).toContain(
      'compute: bridge br-int: OpenFlow port numbers unknown (collect `ovs-ofctl show br-int`)',
    );
    expect(d.collectNext).toContain(`ip netns; ip netns exec ${QDHCP} ip -d address show   # on controller`);
  });
  it('vifpath report builds: the precomputed trace of the VM port without an OpenFlow port number runs by name, undecided where it leaves the case', () => {
    const r = reportData(s, { now: new Date(0) });
    expect(r.diagnosis.verdict).toBe('undecided');
    const t = r.traces['compute:tap648437e1-0d dhcp-discover'] as {
      verdict: string;
      drop: unknown;
      assumptions: { code: string; remedy?: string }[];
    };
    expect(Object.keys(r.traces)).toHaveLength(3);
    expect(t.verdict).toBe('incomplete');
    expect(t.drop).toBeNull();
    // Was: not followed, `ovs-ofctl show br-int` asked: no flow on the way needs a number.
    expect(t.assumptions.filter((a) => a.code === 'ofport-unknown')).toEqual([]);
  });
});

describe('9506hqwy/openstack_study_notes vlan: a VM port whose device is gone', () => {
  it("the interface's error cites its own `error:` line (was the Interface line above it)", () => {
    const s = readCase(join(OWN_FIXTURES, 'field/study-notes-vlan'));
    const h = s.hosts.find((x) => x.name === 'compute')!;
    const p = findPort(h, 'tap635485ff-6c')!;
    const e = p.port.interfaces[0]!.error!;
    expect(e.text).toBe('could not open network device tap635485ff-6c (No such device)');
    // compute/ovs-vsctl_show:33 is `Interface tap635485ff-6c`, :34 its `error: "…"`.
    expect(e.from).toMatchObject({ file: 'compute/ovs-vsctl_show', line: 34 });
  });
});
