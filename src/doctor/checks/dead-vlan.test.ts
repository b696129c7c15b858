// dead-vlan alone: tag 4095 on a VM port, with the drop that proves its DISCOVER dies.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../model/snapshot.ts';
import { readCase } from '../../sources/case-dir.ts';
import {
  cleanupCases,
  edit,
  runCheck as run,
  seedCase,
  tagSeedVif16,
  tmpCase,
} from '../../testing/case-edits.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { diagnose } from '../diagnose.ts';
import type { Diagnosis } from '../finding.ts';

import { deadVlan } from './dead-vlan.ts';

afterAll(cleanupCases);

describe('dead-vlan', () => {
  it('tag 4095: an error citing the tag and the drop flow', () => {
    const f = run(
      deadVlan,
      seedCase((d) => tagSeedVif16(d, 4095)),
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.evidence.map((e) => e.file)).toEqual([
      'dom0/ovs-vsctl_show',
      'dom0/ovs-ofctl_dump-flows_xapi3',
    ]);
    expect(f[0]!.fix.join('\n')).not.toMatch(/<port-id>/);
  });
  it('no tag or tag 1: nothing', () => {
    expect(run(deadVlan, seedCase())).toEqual([]);
    expect(
      run(
        deadVlan,
        seedCase((d) => tagSeedVif16(d, 1)),
      ),
    ).toEqual([]);
  });
});

// Two published working compute nodes (doctor/fixtures/PROVENANCE.md), each with one port at 4095
// that a deleted VM left behind. Was: PROBLEM (exit 1), "qvoe0f204ea-12 is tagged 4095 (Neutron's
// dead VLAN) on br-int; the L2 agent could not bind the port", fix `systemctl restart
// neutron-openvswitch-agent`, on a node whose five VMs work.
describe('a port at 4095 whose device is gone: a stale port of a deleted VM', () => {
  const FIX = join(ROOT, 'src/doctor/fixtures');
  const multinet = (): Snapshot => readCase(join(FIX, 'cn-vxlan-hybrid-multinet'));
  const blog = (): Snapshot => readCase(join(FIX, 'blog-ml2-hybrid-vlan'), { lenient: true });
  const noRestart = (d: Diagnosis): void => {
    for (const f of d.findings) for (const x of f.fix) expect(x, f.code).not.toMatch(/restart/);
  };

  it('No such device, without --vm: an observation with its evidence and cleanup; not the cause, not a VM of the case', () => {
    const d = diagnose(multinet());
    expect(d.verdict).toBe('undecided');
    expect(d.findings.map((f) => f.code)).not.toContain('dead-vlan');
    expect(d.paths.map((p) => p.vm)).not.toContain('node2:qvoe0f204ea-12');
    expect(d.headline).not.toMatch(/qvoe0f204ea-12/);
    const f = d.findings.filter((x) => x.code === 'stale-port');
    expect(f).toHaveLength(1);
    expect([f[0]!.role, f[0]!.severity, f[0]!.subject]).toEqual([
      'observation',
      'warning',
      'node2:br-int:qvoe0f204ea-12',
    ]);
    expect(f[0]!.message).toBe(
      `qvoe0f204ea-12 on node2 is most likely a stale port of a deleted VM: it is tagged 4095 (Neutron's dead VLAN) and OVS says "could not open network device qvoe0f204ea-12 (No such device)"; it decides nothing for the other VMs (name it with --vm to ask about it)`,
    );
    expect(f[0]!.evidence.map((e) => `${e.file}:${e.line}`)).toEqual([
      'node2/ovs-vsctl_show:27',
      'node2/ovs-vsctl_show:30',
    ]);
    // Read-only checks first; the cleanup quoted for sh and marked; no qbr/qvb to delete (brctl shows none).
    expect(f[0]!.fix.filter((x) => /changes state/.test(x))).toEqual([
      "ovs-vsctl -- --if-exists del-port 'br-int' 'qvoe0f204ea-12'   # changes state, on node2: only once the checks above show the port is no VM's",
    ]);
    expect(f[0]!.fix[0]).toMatch(
      /^ovs-vsctl --columns=name,error,ofport,external_ids list Interface 'qvoe0f204ea-12' {3}# on node2/,
    );
    // Its open error and hybrid-plug notes are said by it, not again.
    expect(d.findings.filter((x) => x.subject === 'node2:br-int:qvoe0f204ea-12').map((x) => x.code)).toEqual([
      'stale-port',
    ]);
    noRestart(d);
  });

  it('a hybrid plug whose qbr holds its qvb and no tap (brctl show), without --vm: the same, with the qvb and qbr cleanup', () => {
    const d = diagnose(blog());
    expect(d.verdict).toBe('undecided');
    expect(d.findings.map((f) => f.code)).not.toContain('dead-vlan');
    const f = d.findings.find((x) => x.code === 'stale-port')!;
    expect(f.subject).toBe('compute-node:br-int:qvo7da6ac84-13');
    expect(f.evidence.map((e) => `${e.text} [${e.file}:${e.line ?? ''}]`)).toEqual([
      'port qvo7da6ac84-13 tag 4095 [compute-node/ovs-vsctl_show:19]',
      'qbr7da6ac84-13 holds qvb7da6ac84-13, no tap7da6ac84-13 [compute-node/brctl_show:4]',
      '`brctl show` of compute-node read whole [compute-node/brctl_show:]',
    ]);
    expect(f.fix.filter((x) => /changes state/.test(x)).map((x) => x.replace(/ {3}#.*/, ''))).toEqual([
      "ovs-vsctl -- --if-exists del-port 'br-int' 'qvo7da6ac84-13'",
      "ip link delete 'qvb7da6ac84-13'",
      "ip link delete 'qbr7da6ac84-13'",
    ]);
    // qbre5146132-19 has no tap either, but its port is tagged 4: a stopped VM, maybe; nothing said.
    expect(d.findings.some((x) => x.subject.endsWith(':qvoe5146132-19') && x.code === 'stale-port')).toBe(
      false,
    );
    noRestart(d);
  });

  it('--vm another port: undecided, the stale port not in it; --vm the stale port: PROBLEM, cleaned up, not restarted', () => {
    const other = diagnose(multinet(), { vm: 'qvo85bcbfb0-bc' });
    expect(other.verdict).toBe('undecided');
    // Only OVS's open error about it, as an observation (structure): nothing of it decides.
    expect(
      other.findings.filter((f) => f.subject.endsWith(':qvoe0f204ea-12')).map((f) => [f.code, f.role]),
    ).toEqual([['interface-error', 'observation']]);
    const named = diagnose(multinet(), { vm: 'qvoe0f204ea-12' });
    expect(named.verdict).toBe('problem');
    const dv = named.findings.find((f) => f.code === 'dead-vlan')!;
    expect(dv.rootCause).toMatch(/^the port's device is gone \(OVS says "could not open network device/);
    noRestart(named);
    const hybrid = diagnose(blog(), { vm: 'qvo7da6ac84-13' });
    expect(hybrid.verdict).toBe('problem');
    expect(hybrid.headline).toMatch(
      /^qvo7da6ac84-13 is tagged 4095 \(Neutron's dead VLAN\) on br-int; the port's device is gone \(its Linux bridge qbr7da6ac84-13 holds the veth end qvb7da6ac84-13 and no VM tap/,
    );
    noRestart(hybrid);
  });

  it('--all-vms (each VM asked in turn): the stale port is undecided, its headline says what it is', () => {
    for (const [s, vm] of [
      [multinet(), 'node2:qvoe0f204ea-12'],
      [blog(), 'compute-node:qvo7da6ac84-13'],
    ] as const) {
      const d = diagnose(s, { vm, each: true });
      expect(d.verdict, vm).toBe('undecided');
      expect(d.headline).toMatch(/is most likely a stale port of a deleted VM: it is tagged 4095/);
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.findings.map((f) => f.code)).not.toContain('vm-device-missing');
    }
  });

  it('at 4095 and NOT proven stale, among tagged VM ports, without --vm: the problem of that port, named as the one of several', () => {
    const c = tmpCase();
    cpSync(join(FIX, 'cn-vxlan-hybrid-multinet'), c, { recursive: true });
    edit(
      join(c, 'node2/ovs-vsctl_show'),
      /^ {16}error: "could not open network device qvoe0f204ea-12 \(No such device\)"\n/m,
      '',
    );
    const d = diagnose(readCase(c));
    expect(d.verdict).toBe('problem');
    expect(d.headline).toBe(
      "qvoe0f204ea-12 on node2, of the case's 6 VM ports the one broken (the other 5 have a VLAN tag), is tagged 4095 (Neutron's dead VLAN) on br-int; the L2 agent could not bind the port (no network/segment for it, or the binding failed): see the agent log for the port id",
    );
    expect(d.findings.map((f) => f.code)).not.toContain('stale-port');
  });
});
