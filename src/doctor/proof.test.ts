// What a trace proves: NORMAL assumed is accepted only where the agent itself switches with NORMAL;
// a patch peer OVSDB lists on a bridge the case does not show is not a dead patch (the trace marks it).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, edit, seedCase, tagSeedVif16 } from '../testing/case-edits.ts';
import { buildContext } from './context.ts';
import { provenDropped, unprovenSteps, whyUnproven } from './proof.ts';

afterAll(cleanupCases);

function discover(dir: string) {
  const ctx = buildContext(readCase(dir));
  const t = ctx.discover.get(ctx.vms[0]!)!;
  return { ctx, t };
}

describe('proof of a DISCOVER', () => {
  it.each([
    [
      "the seed: NORMAL assumed on the VM's own integration bridge (xapi5), the drop on xapi3's dumped flows",
      () => seedCase(),
      'dropped',
      true,
      undefined,
    ],
    [
      'the seed with the sender translating 1041 and DomU expecting 1042: through the inferred br-eth1 from its uplink',
      () =>
        seedCase((d) => {
          tagSeedVif16(d, 1);
          edit(join(d, 'domu/ovs-ofctl_dump-flows_br-int'), 'dl_vlan=1041', 'dl_vlan=1042');
        }),
      'dropped',
      true,
      undefined,
    ],
    [
      'no xapi3 dump: NORMAL assumed on the physical bridge for a frame from the integration patch',
      () => seedCase((d) => rmSync(join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'))),
      'dropped',
      false,
      /^dom0:xapi3 has no flow dump: NORMAL was assumed for a frame from the patch phy-xapi3, where the agent programs the physical bridge/,
    ],
    [
      // The trace itself does not follow the patch (world.ts marks the peer): incomplete, not dropped.
      'no xapi3 show: phy-xapi3 is in the OVSDB monitor, on no bridge the case shows',
      () => seedCase((d) => rmSync(join(d, 'dom0/ovs-ofctl_show_xapi3'))),
      'incomplete',
      false,
      /^phy-xapi3, the peer of patch port xapi5:int-xapi3, is in dom0's OVSDB with ofport 2 \(dom0\/ovsdb-client_monitor_Interface_name_ofport:7\)/,
    ],
    [
      'a misnamed peer nobody has: the dead patch is proven',
      () => seedCase((d) => edit(join(d, 'dom0/ovs-vsctl_show'), 'peer="phy-xapi3"', 'peer="phy-xapi9"')),
      'dropped',
      true,
      undefined,
    ],
  ] as const)('%s', (_n, build, verdict, proven, why) => {
    const { ctx, t } = discover(build());
    expect(t.verdict).toBe(verdict);
    expect(provenDropped(ctx.world, t)).toBe(proven);
    if (why) expect(whyUnproven(ctx.world, t)?.text).toMatch(why);
    else expect(unprovenSteps(ctx.world, t)).toEqual([]);
  });
  it('names the command that settles each step', () => {
    const { ctx, t } = discover(seedCase((d) => rmSync(join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'))));
    expect(unprovenSteps(ctx.world, t).map((u) => u.remedy)).toEqual([
      'ovs-ofctl -O OpenFlow13 dump-flows xapi3   # on dom0',
    ]);
  });
});
