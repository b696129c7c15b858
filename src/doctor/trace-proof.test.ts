// trace says what diagnose says of the same path (proof.ts provenTrace). The reviewer's (review11
// P1): the OSP 16.1 undercloud the author shows working (fixtures/tripleo-undercloud-osp16,
// PROVENANCE.md) traced DROPPED, exit 1, only because NORMAL was assumed on br-int, which has no
// flow dump, for the frame from the physical bridge's patch (where the agent installs
// mod_vlan_vid:<local vlan>,NORMAL), while diagnose --vm undercloud:eth0 said UNDECIDED, exit 3.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, seedCase } from '../testing/case-edits.ts';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';

afterAll(cleanupCases);

const BIN = join(ROOT, 'bin/vifpath.mjs');
const UNDERCLOUD = join(ROOT, 'src/doctor/fixtures/tripleo-undercloud-osp16');

function vifpath(...args: string[]) {
  return spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

const BR_INT =
  'undercloud:br-int has no flow dump: NORMAL was assumed for a frame from the patch int-br-ctlplane, where the agent programs the integration bridge (its flows translate the segmentation id to the local VLAN, or drop it)';
const BR_INT_COLLECT = 'ovs-ofctl -O OpenFlow13 dump-flows br-int   # on undercloud';

describe('trace: a drop that rests on an unproven step is INCOMPLETE, as diagnose says', () => {
  // [name, case, --from, exit, verdict line, the not-proven line (or none), JSON verdict, walked]
  it.each([
    [
      'the undercloud: NORMAL assumed on br-int for the frame from int-br-ctlplane (was DROPPED, exit 1)',
      () => UNDERCLOUD,
      'undercloud:eth0',
      3,
      'Verdict: INCOMPLETE: as the case stands it is dropped, but that rests on what the case does not show (see below)',
      `  not proven: ${BR_INT}  [collect: ${BR_INT_COLLECT}]`,
      'incomplete',
      'dropped',
    ],
    [
      'the seed without xapi3 dump: NORMAL assumed on the physical bridge for the frame from its patch',
      () => seedCase((d) => rmSync(join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'))),
      'dom0:vif16.0',
      3,
      'Verdict: INCOMPLETE: as the case stands it is dropped, but that rests on what the case does not show (see below)',
      '  not proven: dom0:xapi3 has no flow dump: NORMAL was assumed for a frame from the patch phy-xapi3, where the agent programs the physical bridge (its flows translate the local VLAN to the segmentation id, or drop it)  [collect: ovs-ofctl -O OpenFlow13 dump-flows xapi3   # on dom0]',
      'incomplete',
      'dropped',
    ],
    [
      // NORMAL is assumed on xapi5, the VM's own integration bridge, for the VM's frame: proof.ts accepts it.
      'the seed: the drop on xapi3 rests on its dumped flows: still DROPPED, exit 1',
      () => SEED_CASE,
      'dom0:vif16.0',
      1,
      'Verdict: DROPPED',
      undefined,
      'dropped',
      undefined,
    ],
  ])('%s', (_name, dir, from, exit, verdict, line, json, walked) => {
    const d = dir();
    for (const summary of [[], ['--summary']]) {
      const r = vifpath('trace', d, '--from', from, '--packet', 'dhcp-discover', ...summary);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(exit);
      const lines = r.stdout.split('\n');
      expect(lines).toContain(verdict);
      if (line) expect(lines).toContain(line);
      else expect(r.stdout).not.toMatch(/not proven:/);
    }
    const j = vifpath('trace', d, '--from', from, '--packet', 'dhcp-discover', '--json');
    expect(j.status).toBe(exit);
    const o = JSON.parse(j.stdout) as { verdict: string; walked?: string; undecided: unknown[] };
    expect(o.verdict).toBe(json);
    expect(o.walked).toBe(walked);
    if (!walked) expect(o.undecided).toEqual([]);
  });

  it('the undercloud: --json names the step as diagnose does, with its collect command', () => {
    const j = vifpath(
      'trace',
      UNDERCLOUD,
      '--from',
      'undercloud:eth0',
      '--packet',
      'dhcp-discover',
      '--json',
    );
    const o = JSON.parse(j.stdout) as { undecided: unknown[]; stop: { bridge: string } | null };
    expect(o.undecided).toEqual([
      { kind: 'not-proven', host: 'undercloud', bridge: 'br-int', text: BR_INT, remedy: BR_INT_COLLECT },
    ]);
    // The walk's own stop stays (the tree is OVS's simulation): where it ends as the case stands.
    expect(o.stop?.bridge).toBe('br-int');
    // diagnose on the same path: UNDECIDED, the same step and command.
    const d = vifpath('diagnose', UNDERCLOUD, '--vm', 'undercloud:eth0', '--json');
    expect(d.status).toBe(3);
    const dj = JSON.parse(d.stdout) as { verdict: string; headline: string };
    expect(dj.verdict).toBe('undecided');
    expect(dj.headline).toContain(`${BR_INT}; collect \`${BR_INT_COLLECT}\``);
  });

  it("the assumption: plain NORMAL is not called Neutron's default for a frame from a patch", () => {
    const r = vifpath('trace', UNDERCLOUD, '--from', 'undercloud:eth0', '--packet', 'dhcp-discover');
    const assumed = r.stdout.split('\n').filter((l) => l.includes('no flow dump in the case'));
    expect(assumed).toEqual([
      "  - undercloud:br-ctlplane: no flow dump in the case; assumed `priority=0 actions=NORMAL` (Neutron's default)  [collect: ovs-ofctl -O OpenFlow13 dump-flows br-ctlplane   # on undercloud]",
      "  - undercloud:br-int: no flow dump in the case; assumed `priority=0 actions=NORMAL` for the frame from the patch int-br-ctlplane, though where Neutron's agent programs the bridge its flows translate such a frame's VLAN (or drop it) instead  [collect: ovs-ofctl -O OpenFlow13 dump-flows br-int   # on undercloud]",
    ]);
  });
});
