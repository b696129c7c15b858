// Dumps printed with port names (OVS 3.x prints them when stdout is a terminal: every pasted
// dump) and no `ovs-ofctl show`: the ports' OpenFlow numbers are unknown, but a trace whose flows
// name every port, or use NORMAL, floods and patches, needs none: it runs, matching by name
// (world.ts stand-ins). Where a number is really needed (a flow matching or sending to a number,
// in_port copied into a register, resubmit from a number) it stops there, not followed, and asks
// for `ovs-ofctl show <bridge>` as before. Fixtures: fixtures/PROVENANCE.md (jp-octavia-lb-compute,
// the seventh review's problem 3).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnose } from '../doctor/diagnose.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, ofctlShow, tmpCase } from '../testing/case-edits.ts';
import { ROOT } from '../testing/fixtures.ts';
import { traceCommand } from './run.ts';
import { nodesOf, type TraceResult } from './tree.ts';

afterAll(cleanupCases);

const JP = join(ROOT, 'src/dataplane/fixtures/jp-octavia-lb-compute');
const JP_MAY = join(ROOT, 'src/dataplane/fixtures/jp-octavia-lb-compute-2024may');
const BR_INT = 'compute/ovs-ofctl_dump-flows_br-int';
const LB_VXLAN = 'compute:tap9113df4c-ca';
const LB_MGMT = 'compute:tap13abc033-93';

const discover = (s: Snapshot, from: string) => traceCommand(s, { from, packet: 'dhcp-discover' });
/** The tables the packet went through, bridge by bridge: `br-int 0`, `br-tun 22`. */
const tables = (t: TraceResult) => nodesOf(t.tree, 'table').map((n) => `${n.bridge} ${n.table}`);
const ofportRemedies = (t: TraceResult) =>
  t.assumptions.filter((a) => a.code === 'ofport-unknown').map((a) => a.remedy);

describe('jp-octavia-lb-compute: 203 flows, every port by name, no ovs-ofctl show', () => {
  const s = readCase(JP);
  it('the amphora VIP port (VLAN 2): through the firewall tables to NORMAL, br-tun, out vxlan-ac10000b to 172.16.0.11 (was: not traced at br-int)', () => {
    const t = discover(s, LB_VXLAN);
    // Undecided: it leaves the case (the controller, with the DHCP agent, is not in it).
    expect(t.verdict).toBe('incomplete');
    expect(tables(t).slice(0, 9)).toEqual([
      'br-int 0',
      'br-int 58',
      'br-int 60',
      'br-int 71',
      'br-int 73',
      'br-int 94',
      'br-tun 0',
      'br-tun 2',
      'br-tun 22',
    ]);
    expect(nodesOf(t.tree, 'table').find((n) => n.bridge === 'br-int' && n.table === 60)?.rule).toBe(
      'priority=100,in_port="tap9113df4c-ca" actions=load:0x6->NXM_NX_REG5[],load:0x2->NXM_NX_REG6[],resubmit(,71)',
    );
    expect(t.undecided.map((u) => u.text)).toContain(
      'leaves the case: beyond vxlan-ac10000b to 172.16.0.11 (vxlan key 0xef; no host of the case owns 172.16.0.11: not collected)',
    );
    expect(ofportRemedies(t)).toEqual([]);
    expect(t.drops.filter((d) => d.reason.code === 'ofport-unknown')).toEqual([]);
  });
  it('the lb-mgmt port (VLAN 4): int-br-mgmt → br-mgmt strip_vlan,NORMAL → eth3, undecided there', () => {
    const t = discover(s, LB_MGMT);
    expect(t.verdict).toBe('incomplete');
    expect(nodesOf(t.tree, 'table').find((n) => n.bridge === 'br-mgmt')?.rule).toBe(
      'priority=4,in_port="phy-br-mgmt",dl_vlan=4 actions=strip_vlan,NORMAL',
    );
    expect(t.reached).toContainEqual(expect.objectContaining({ bridge: 'br-mgmt', port: 'eth3' }));
    expect(ofportRemedies(t)).toEqual([]);
  });
  it('a stale port (OVS could not open it: ofport -1) stays not traced, its number asked for', () => {
    const t = discover(s, 'compute:tap0ab9a23c-99');
    expect(t.verdict).toBe('incomplete');
    expect(tables(t)).toEqual([]);
    expect(ofportRemedies(t)).toEqual(['ovs-ofctl show br-int   # on compute: the OpenFlow port numbers']);
  });
  it('diagnose: undecided, the live VMs traced (the DHCP server is on a host not in the case), no error', () => {
    const d = diagnose(s);
    expect(d.verdict).toBe('undecided');
    expect(d.paths.map((p) => [p.vm, p.discover.verdict])).toEqual([
      [LB_VXLAN, 'incomplete'],
      ['compute:tap0ab9a23c-99', 'not traced'],
      [LB_MGMT, 'incomplete'],
      ['compute:tap635485ff-6c', 'not traced'],
      ['compute:tap648437e1-0d', 'incomplete'],
    ]);
    expect(d.headline).toMatch(
      /^no DHCP server \(qdhcp namespace\) is in the case; the DISCOVER from compute:tap9113df4c-ca, compute:tap13abc033-93, compute:tap648437e1-0d reaches beyond vxlan-ac10000b to 172\.16\.0\.11 /,
    );
    expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
  it('the 2024 version (OVS 3.1.4): both amphora ports traced, undecided', () => {
    const d = diagnose(readCase(JP_MAY));
    expect(d.verdict).toBe('undecided');
    expect(d.paths.map((p) => p.discover.verdict)).toEqual(['incomplete', 'incomplete']);
  });
});

describe('by name with numbers unknown = the same trace with every number known', () => {
  // The case with an `ovs-ofctl show` per bridge (numbers in the order ovs-vsctl show lists the
  // ports; any would do, the flows naming ports): what the trace finds must not change.
  const numbered = (): Snapshot => {
    const d = tmpCase();
    cpSync(JP, d, { recursive: true });
    for (const b of readCase(JP).hosts[0]!.bridges) {
      const ports = b.ports
        .flatMap((p) => p.interfaces)
        .filter((i) => !i.error)
        .map((i, k): [number | 'LOCAL', string] => [i.name === b.name ? 'LOCAL' : k + 1, i.name]);
      writeFileSync(join(d, `compute/ovs-ofctl_show_${b.name}`), ofctlShow(ports));
    }
    return readCase(d);
  };
  const shape = (t: TraceResult) => ({
    verdict: t.verdict,
    tables: tables(t),
    reached: t.reached,
    drops: t.drops.map((x) => [x.host, x.bridge, x.table, x.flow, x.reason.code]),
    undecided: t.undecided.map((u) => u.text),
  });
  // Not LB_MGMT: its way floods on br-mgmt, whose port list (ovs-vsctl show) has no LOCAL port,
  // so an `ovs-ofctl show` written from it would be one no OVS prints.
  it.each([LB_VXLAN, 'compute:tap648437e1-0d'])('%s', (from) => {
    const withNumbers = discover(numbered(), from);
    expect(ofportRemedies(withNumbers)).toEqual([]);
    expect(shape(discover(readCase(JP), from))).toEqual(shape(withNumbers));
  });
});

describe('where a number is really needed, the trace stops there and asks for ovs-ofctl show', () => {
  const FLOW = ' cookie=0x0, duration=1.0s, n_packets=0, n_bytes=0, ';
  const withBrInt = (change: (text: string) => string): Snapshot => {
    const d = tmpCase();
    cpSync(JP, d, { recursive: true });
    const f = join(d, BR_INT);
    writeFileSync(f, change(readFileSync(f, 'utf8')));
    return readCase(d);
  };
  const add = (line: string) => (text: string) => `${text}${FLOW}${line}\n`;
  const cases: {
    name: string;
    change: (text: string) => string;
    /** The not-followed leaf, or null: traced as without the change. */
    notFollowed: string | null;
  }[] = [
    {
      name: 'table 0 matches in_port=7 above the flow that matched: tap9113df4c-ca may be 7',
      change: add('table=0, priority=10,in_port=7 actions=drop'),
      notFollowed:
        "table 0: `priority=10,in_port=7 actions=drop` (compute/ovs-ofctl_dump-flows_br-int:184) matches in_port by number; tap9113df4c-ca's OpenFlow port number unknown, not followed",
    },
    {
      name: 'the firewall copies in_port into reg5 (move:NXM_OF_IN_PORT[]) instead of loading a constant',
      change: (t) =>
        t.replace(
          'priority=100,in_port="tap9113df4c-ca" actions=load:0x6->NXM_NX_REG5[]',
          'priority=100,in_port="tap9113df4c-ca" actions=move:NXM_OF_IN_PORT[]->NXM_NX_REG5[0..15]',
        ),
      notFollowed:
        'move:NXM_OF_IN_PORT[]->NXM_NX_REG5[0..15]: in_port tap9113df4c-ca: its OpenFlow port number unknown, not followed',
    },
    {
      name: 'output to a number (output:7) on the way',
      change: add('table=94, priority=50 actions=output:7'),
      notFollowed: 'output to port 7: not a port the case numbers on br-int, not followed',
    },
    {
      name: 'resubmit from a number (resubmit(7,95)): flows naming ports may match it',
      change: add('table=94, priority=50 actions=resubmit(7,95)'),
      notFollowed: expect.stringMatching(
        /^table 95: in_port 7 may be .* \(OpenFlow port numbers unknown\): not followed$/,
      ) as unknown as string,
    },
    {
      name: 'a flow matching in_port=7 below the one that matched by name: no matter, traced as before',
      change: add('table=60, priority=50,in_port=7 actions=drop'),
      notFollowed: null,
    },
  ];
  it.each(cases)('$name', (c) => {
    const t = discover(withBrInt(c.change), LB_VXLAN);
    expect(t.verdict).toBe('incomplete');
    const leaves = nodesOf(t.tree, 'drop').filter((d) => d.reason.code === 'ofport-unknown');
    if (c.notFollowed === null) {
      expect(leaves).toEqual([]);
      expect(shape(t)).toEqual(shape(discover(readCase(JP), LB_VXLAN)));
      return;
    }
    expect(leaves.map((d) => d.reason.text)).toEqual([c.notFollowed]);
    // Never a drop the verdict rests on; the command that gives the numbers.
    expect(t.drop).toBeNull();
    for (const d of leaves)
      expect(d.uncertain?.remedy).toBe('ovs-ofctl show br-int   # on compute: the OpenFlow port numbers');
    expect(ofportRemedies(t)).toEqual(['ovs-ofctl show br-int   # on compute: the OpenFlow port numbers']);
  });
  const shape = (t: TraceResult) => ({ verdict: t.verdict, tables: tables(t), reached: t.reached });
});
