// Branches into a bridge the case does not show are not followed, not dropped ("unknown is not
// broken"), so that `vifpath trace` and the doctor (src/doctor/proof.ts) agree:
// (a) a patch whose peer OVSDB lists (a monitor or `ovs-vsctl list` row, with its ofport) on no
//     bridge of the case: the peer's bridge is missing from the case (its `ovs-ofctl show`, its part
//     of `ovs-vsctl show`), not the peer;
// (b) a flood into a bridge inferred from an int-<bridge> patch port, with no known uplink: it went
//     nowhere the case shows, not nowhere.
// Each ends in an unproven leaf naming what to collect: verdict incomplete (exit 3), never the drop.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildContext } from '../doctor/context.ts';
import { provenDropped, whyUnproven } from '../doctor/proof.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, edit, seedCase, tagSeedVif16 } from '../testing/case-edits.ts';
import { ROOT } from '../testing/fixtures.ts';
import { traceCommand } from './run.ts';
import { type DropCode, nodesOf, type TraceResult } from './tree.ts';
import { buildWorld } from './world.ts';

afterAll(cleanupCases);

const BIN = join(ROOT, 'bin/vifpath.mjs');
const MONITOR = 'dom0/ovsdb-client_monitor_Interface_name_ofport';
const noShow = (d: string): void => rmSync(join(d, 'dom0/ovs-ofctl_show_xapi3'));
/** phy-xapi3 as `ovs-vsctl list interface` prints it, instead of the monitor's row. */
const LIST_PHY = `_uuid               : ba3af0f5-e8ed-4bdb-8c3d-67a638b81091
admin_state         : up
name                : phy-xapi3
ofport              : 2
options             : {peer=int-xapi3}
type                : patch
`;

const discover = (d: string): TraceResult =>
  traceCommand(readCase(d), { from: 'dom0:vif16.0', packet: 'dhcp-discover', mac: 'fa:16:3e:11:22:33' });
const offer = (d: string): TraceResult =>
  traceCommand(readCase(d), { from: 'domu:tap7b39ecad-81', packet: 'dhcp-offer', mac: 'fa:16:3e:11:22:33' });
const codes = (t: TraceResult): DropCode[] => nodesOf(t.tree, 'drop').map((n) => n.reason.code);

describe('(a) a patch peer OVSDB lists on a bridge the case does not show: not followed', () => {
  it.each<[string, (d: string) => void, TraceResult['verdict'], DropCode, string | undefined]>([
    [
      "the seed without xapi3's ovs-ofctl show: phy-xapi3 is in the monitor with ofport 2",
      noShow,
      'incomplete',
      'patch-peer-unplaced',
      'ovs-ofctl show xapi3   # on dom0: its ports with their numbers (is phy-xapi3 one?)',
    ],
    [
      'the same with the peer in `ovs-vsctl list interface` instead of the monitor',
      (d) => {
        noShow(d);
        edit(join(d, MONITOR), /^.*initial "phy-xapi3".*\n/m, '');
        writeFileSync(join(d, 'dom0/ovs-vsctl_list_interface'), LIST_PHY);
      },
      'incomplete',
      'patch-peer-unplaced',
      'ovs-ofctl show xapi3   # on dom0: its ports with their numbers (is phy-xapi3 one?)',
    ],
    [
      'no bridge of the host without ports (the peer could be anywhere): ovs-vsctl asked where',
      (d) => {
        noShow(d);
        rmSync(join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'));
      },
      'incomplete',
      'patch-peer-unplaced',
      'ovs-vsctl port-to-br phy-xapi3; ovs-vsctl show   # on dom0',
    ],
    [
      'the peer in no OVSDB output of the case either: the dead patch stands',
      (d) => {
        noShow(d);
        edit(join(d, MONITOR), /^.*initial "phy-xapi3".*\n/m, '');
      },
      'dropped',
      'patch-peer-missing',
      undefined,
    ],
    [
      'a misnamed peer nobody has (the monitor lists phy-xapi3, not phy-xapi9): the dead patch stands',
      (d) => edit(join(d, 'dom0/ovs-vsctl_show'), 'peer="phy-xapi3"', 'peer="phy-xapi9"'),
      'dropped',
      'patch-peer-missing',
      undefined,
    ],
  ])('%s', (_name, change, verdict, code, remedy) => {
    const d = seedCase(change);
    const t = discover(d);
    expect(t.verdict).toBe(verdict);
    expect(codes(t)).toContain(code);
    const leaf = nodesOf(t.tree, 'drop').find((n) => n.reason.code === code)!;
    if (!remedy) {
      expect(t.drop?.reason.code).toBe(code);
      expect(leaf.reason.gap).toBeUndefined();
      return;
    }
    // Not the drop the verdict rests on; unproven; the assumption and the leaf name what to collect.
    expect(t.drop).toBeNull();
    expect(leaf.uncertain?.code).toBe('patch-peer-unplaced');
    expect(leaf.reason.gap?.remedy).toBe(remedy);
    expect(t.assumptions).toContainEqual(expect.objectContaining({ code: 'patch-peer-unplaced', remedy }));
    expect(leaf.uncertain?.text).toMatch(
      /^phy-xapi3, the peer of patch port xapi5:int-xapi3, is in dom0's OVSDB with ofport 2 \(dom0\/ovs.*\), but the case does not show which bridge holds it$/,
    );
    // The doctor takes the trace's mark: the same step, the same command.
    const ctx = buildContext(readCase(d));
    const dt = ctx.discover.get(ctx.vms[0]!)!;
    expect(provenDropped(ctx.world, dt)).toBe(false);
    expect(whyUnproven(ctx.world, dt)).toEqual({
      subject: 'dom0:xapi5',
      text: leaf.uncertain!.text,
      remedy,
    });
  });

  it('world.ts marks the port (one rule): the OVSDB interface record of the peer', () => {
    const w = buildWorld(readCase(seedCase(noShow)));
    const p = w.ifaces.get('dom0')!.get('int-xapi3')!.port;
    expect(p.peerUnplaced?.name).toBe('phy-xapi3');
    const whole = buildWorld(readCase(seedCase()));
    expect(whole.ifaces.get('dom0')!.get('int-xapi3')!.port.peerUnplaced).toBeUndefined();
  });

  it('the CLI: INCOMPLETE, exit 3, the leaf printed as not followed (was DROPPED, exit 1)', () => {
    const r = spawnSync(
      'node',
      [BIN, 'trace', seedCase(noShow), '--from', 'dom0:vif16.0', '--packet', 'dhcp-discover'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(r.status).toBe(3);
    expect(r.stdout).toContain(
      "~ not followed: patch port int-xapi3 to phy-xapi3: phy-xapi3 is in dom0's OVSDB on a bridge the case does not show",
    );
    expect(r.stdout).toContain('Verdict: INCOMPLETE');
    expect(r.stdout).not.toContain('dropped on');
    expect(r.stdout).toContain('[collect: ovs-ofctl show xapi3   # on dom0');
  });
});

describe('(b) a flood into an inferred bridge with no known uplink: not followed', () => {
  it.each<[string, (d: string) => void, TraceResult['verdict'], string | undefined]>([
    [
      "the seed's OFFER without links.txt: br-eth1 is inferred, no wire for an uplink",
      (d) => rmSync(join(d, 'links.txt')),
      'incomplete',
      'no wire of the case ends at a device of the host outside OVS',
    ],
    [
      'two wires of DomU outside OVS: which one is the uplink is not known',
      (d) => writeFileSync(join(d, 'links.txt'), 'dom0:vif15.1 domu:eth1\ndom0:vif15.2 domu:eth2\n'),
      'incomplete',
      '2 wires of the host have no OVS port: eth1, eth2',
    ],
    // Was 'delivered': the OFFER enters domu's br-int from tap7b39ecad-81, whose tag the seed does
    // not give; NORMAL's choice of VLAN, so where the OFFER goes, rests on that (vlan-assumed).
    [
      "the seed as it is: eth1 is br-eth1's uplink, the flood is followed (the DHCP port's tag unknown: incomplete)",
      () => {},
      'incomplete',
      undefined,
    ],
  ])('%s', (_name, change, verdict, why) => {
    const t = offer(seedCase(change));
    expect(t.verdict).toBe(verdict);
    const leaves = nodesOf(t.tree, 'drop').filter((n) => n.reason.code === 'bridge-ports-unknown');
    if (!why) {
      expect(leaves).toEqual([]);
      return;
    }
    expect(leaves).toHaveLength(1);
    const leaf = leaves[0]!;
    expect([leaf.host, leaf.bridge]).toEqual(['domu', 'br-eth1']);
    expect(leaf.reason.text).toBe(
      'flood on br-eth1: bridge br-eth1 is inferred (not in the case), its ports unknown',
    );
    // The first reason on the way is the leaf's (here the DHCP port's unknown tag); its own stays in the gap.
    expect(leaf.uncertain).toBeDefined();
    expect(leaf.reason.gap?.text).toContain(why);
    expect(leaf.reason.gap?.remedy).toBe('ovs-vsctl show   # on domu: the ports of br-eth1');
    expect(t.assumptions).toContainEqual(
      expect.objectContaining({
        code: 'bridge-inferred',
        remedy: 'ovs-vsctl show   # on domu: the ports of br-eth1',
      }),
    );
    expect(t.drop).toBeNull();
  });

  it('two wires of DomU outside OVS, the other way: the DISCOVER over the wire to eth1 (maybe the uplink) is not followed', () => {
    const d = seedCase((x) => {
      tagSeedVif16(x, 1);
      writeFileSync(join(x, 'links.txt'), 'dom0:vif15.1 domu:eth1\ndom0:vif15.2 domu:eth2\n');
    });
    const t = discover(d);
    // Was 'dropped': eth1 taken for a VM's device the wire ends at.
    expect(t.verdict).toBe('incomplete');
    expect(t.reached.some((x) => x.kind === 'vm')).toBe(false);
    const leaf = nodesOf(t.tree, 'drop').find((n) => n.reason.code === 'bridge-ports-unknown')!;
    expect(leaf.reason.text).toBe(
      'wire to domu:eth1: it may be the uplink of br-eth1, inferred (not in the case), its ports unknown',
    );
    expect(leaf.reason.gap?.remedy).toBe('ovs-vsctl show   # on domu: the ports of br-eth1');
  });
});
