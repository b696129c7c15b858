// Real sosreports published by others (src/parse/fixtures/field/PROVENANCE.md), read as cases
// without --lenient; every expectation below was checked by hand against the files.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBridge, findPort } from '../model/snapshot.ts';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
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
