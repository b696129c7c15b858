import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBridge, findPort, toJson } from '../model/snapshot.ts';
import { OWN_FIXTURES, SEED_CASE } from '../testing/fixtures.ts';
import { thrown } from '../testing/thrown.ts';
import { readCase } from './case-dir.ts';
import { InputError } from './errors.ts';

const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'vifpath-case-'));
  tmp.push(d);
  return d;
}

describe('the seed case', () => {
  const s = readCase(SEED_CASE);
  const dom0 = s.hosts.find((h) => h.name === 'dom0')!;
  const domu = s.hosts.find((h) => h.name === 'domu')!;

  it('dom0 xapi5: vif16.0 has no tag (known, from ovs-vsctl show), int-xapi3 patches to phy-xapi3', () => {
    const vif = findPort(dom0, 'vif16.0')!;
    expect(vif.bridge.name).toBe('xapi5');
    expect(vif.port.tag).toEqual({
      known: true,
      value: null,
      from: [{ file: 'dom0/ovs-vsctl_show', line: 6 }],
    });
    expect(vif.port.interfaces[0]!.ofport).toMatchObject({ known: true, value: 2 });
    const patch = findPort(dom0, 'int-xapi3')!.port.interfaces[0]!;
    expect(patch.type).toMatchObject({ known: true, value: 'patch' });
    expect(patch.options).toMatchObject({ known: true, value: { peer: 'phy-xapi3' } });
    expect(findBridge(dom0, 'xapi5')!.failMode).toMatchObject({ known: true, value: 'secure' });
  });

  it('dom0 xapi3: 3 flows with counters; the drop flow has n_packets=7', () => {
    const xapi3 = findBridge(dom0, 'xapi3')!;
    expect(xapi3.flows.known).toBe(true);
    if (!xapi3.flows.known) return;
    expect(xapi3.flows.value.entries.map((e) => e.flow.stats.n_packets)).toEqual([42917, 31, 7]);
    expect(xapi3.flows.value.entries[2]!.from).toEqual({ file: 'dom0/ovs-ofctl_dump-flows_xapi3', line: 4 });
    // Ports seen only in ovs-ofctl show: their tag is unknown, not "no tag".
    expect(findPort(dom0, 'phy-xapi3')!.port.tag.known).toBe(false);
  });

  it('domu: br-int with 5 flows, the qdhcp namespace holds tap7b39ecad-81 with 10.0.0.2/24', () => {
    const brInt = findBridge(domu, 'br-int')!;
    expect(brInt.flows.known && brInt.flows.value.entries.length).toBe(5);
    const ns = domu.namespaces.find((n) => n.name.startsWith('qdhcp-49a623fd'))!;
    const tap = ns.devices!.find((d) => d.name === 'tap7b39ecad-81')!;
    expect(tap.addresses[0]).toMatchObject({ family: 'inet', address: '10.0.0.2', prefixlen: 24 });
    expect(findPort(domu, 'tap7b39ecad-81')!.port.interfaces[0]!.ofctl).toMatchObject({
      config: ['PORT_DOWN'],
    });
  });

  it('the monitor places vif17.0 (ofport 3) on no known bridge, and the wire comes from links.txt', () => {
    expect(dom0.unplacedInterfaces.find((i) => i.name === 'vif17.0')!.ofport).toMatchObject({ value: 3 });
    expect(s.links).toEqual([
      {
        a: { host: 'dom0', iface: 'vif15.1' },
        b: { host: 'domu', iface: 'eth1' },
        from: { file: 'links.txt', line: 3 },
        inferred: false,
      },
    ]);
    expect(s.diagnostics.filter((d) => d.severity === 'corrupt')).toEqual([]);
  });

  it('says what is missing', () => {
    expect(dom0.gaps).toContain(
      'bridge xapi5: no flow dump (collect `ovs-ofctl -O OpenFlow13 dump-flows xapi5`)',
    );
  });

  it('survives a JSON round trip', () => {
    const j = JSON.parse(toJson(s));
    expect(j.hosts[0].bridges[0].ports[1].name).toBe('vif16.0');
  });
});

describe('sosreport trees and the reference lab', () => {
  it('reads the reference healthy capture: tag 1 on vif16.0, OF1.3 dumps preferred', () => {
    const s = readCase(join(OWN_FIXTURES, 'reference/healthy'));
    const dom0 = s.hosts.find((h) => h.name === 'dom0')!;
    expect(findPort(dom0, 'vif16.0')!.port.tag).toMatchObject({ known: true, value: 1 });
    const xapi2 = findBridge(dom0, 'xapi2')!;
    expect(xapi2.flows.known && xapi2.flows.value.file).toBe(
      'dom0/sos_commands/openvswitch/ovs-ofctl_-O_OpenFlow13_dump-flows_xapi2',
    );
    expect(xapi2.flows.known && xapi2.flows.value.alternatives[0]!.file).toBe(
      'dom0/sos_commands/openvswitch/ovs-ofctl_dump-flows_xapi2',
    );
    const domu = s.hosts.find((h) => h.name === 'domu')!;
    const ns = domu.namespaces.find((n) => n.name === 'qdhcp-5f1c9a2e-7b3d-4c8e-9a61-0d2b4e6f8a10')!;
    expect(ns.devices!.find((x) => x.name === 'tap5f1c9a2e-7b')!.addresses[0]).toMatchObject({
      address: '10.0.0.2',
      prefixlen: 24,
    });
  });

  it('a modern sosreport with only conf.db still gives tags, trunks, ofports and external_ids', () => {
    const d = scratch();
    cpSync(join(OWN_FIXTURES, 'ovs31-neutron/etc'), join(d, 'h/etc'), { recursive: true });
    const h = readCase(d).hosts[0]!;
    const vm = findPort(h, 'tapvm1')!;
    expect(vm.port.tag).toMatchObject({ known: true, value: 1 });
    expect(vm.port.interfaces[0]!.externalIds).toMatchObject({
      known: true,
      value: { 'attached-mac': 'fa:16:3e:11:22:33' },
    });
    expect(vm.port.interfaces[0]!.ofport).toMatchObject({ known: true, value: 1 });
    expect(findPort(h, 'pnative')!.port.vlanMode).toMatchObject({ known: true, value: 'native-untagged' });
    expect(findPort(h, 'ptrunk')!.port.trunks).toMatchObject({ known: true, value: [10, 20] });
    expect(findPort(h, 'vif99.0')!.port.interfaces[0]!.ofport).toMatchObject({ value: -1 });
  });

  it('reads a sosreport archive with the system tar', async () => {
    const d = scratch();
    const { execFileSync } = await import('node:child_process');
    execFileSync('tar', [
      '-cJf',
      join(d, 'dom0.tar.xz'),
      '-C',
      join(OWN_FIXTURES, 'reference/healthy/dom0'),
      '.',
    ]);
    const s = readCase(d);
    expect(s.hosts.map((h) => h.name)).toEqual(['dom0']);
    expect(findPort(s.hosts[0]!, 'vif16.0')!.port.tag).toMatchObject({ value: 1 });
  });
});

describe('bad input', () => {
  it('a dump cut inside a record is incomplete, not corrupt: read, marked, named by file and line', () => {
    const d = scratch();
    cpSync(SEED_CASE, d, { recursive: true });
    writeFileSync(
      join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'),
      'NXST_FLOW reply (xid=0x4):\n cookie=0x0, duration=1.0s, table=0, n_packets=7, n_bytes=799, idle_age=5, priority=2,in_port=2 actions=drop\n cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, idle_age=5, priority=3,in_port=1 actions=load:0x2->NXM_NX',
    );
    const s = readCase(d);
    const xapi3 = findBridge(s.hosts[0]!, 'xapi3')!;
    expect(xapi3.flows.known && xapi3.flows.value.complete).toBe(false);
    expect(xapi3.flows.known && xapi3.flows.value.entries).toHaveLength(1);
    expect(s.diagnostics).toContainEqual(
      expect.objectContaining({ file: 'dom0/ovs-ofctl_dump-flows_xapi3', line: 3, code: 'truncated' }),
    );
    expect(findPort(s.hosts[0]!, 'vif16.0')!.port.tag.known).toBe(true);
  });

  it('a broken record inside a dump is one error naming file and line; --lenient reads the rest', () => {
    const d = scratch();
    cpSync(SEED_CASE, d, { recursive: true });
    writeFileSync(
      join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'),
      'NXST_FLOW reply (xid=0x4):\n cookie=0x0, duration=1.0s, table=0, n_packets=7, n_bytes=799, idle_age=5, priority=2,in_port=2 actions=clone(drop\n',
    );
    const err = thrown(() => readCase(d), InputError);
    expect((err as InputError).oneLine()).toMatch(/^dom0\/ovs-ofctl_dump-flows_xapi3:2: /);
    const s = readCase(d, { lenient: true });
    const xapi3 = findBridge(s.hosts[0]!, 'xapi3')!;
    expect(xapi3.flows.known && xapi3.flows.value.complete).toBe(false);
    expect(findPort(s.hosts[0]!, 'vif16.0')!.port.tag.known).toBe(true);
  });

  it('OVS down at collection time: its errors are diagnostics, the case still reads', () => {
    const d = scratch();
    writeFileSync(join(d, 'links.txt'), '');
    const h = join(d, 'dom0');
    cpSync(join(SEED_CASE, 'dom0'), h, { recursive: true });
    writeFileSync(
      join(h, 'ovs-vsctl_show'),
      'ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed (No such file or directory)\n',
    );
    const s = readCase(d);
    expect(s.diagnostics.map((x) => [x.severity, x.code])).toContainEqual(['ovs', 'ovs-error']);
    expect(findPort(s.hosts[0]!, 'vif16.0')).toBeUndefined();
  });

  it('a missing case directory is an input error', () => {
    expect(() => readCase('/nonexistent/case')).toThrow(InputError);
  });
});
