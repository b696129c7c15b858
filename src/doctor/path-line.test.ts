// diagnose's Paths line says where a path ends and what it rests on: the drop, else where the
// branch toward the target stops (the trace's `stop`), and for a path not proven what it rests on
// (the trace's first `undecided`, else the unproven step), the remedy in collect next. whyUnproven
// falls back to the branches that leave the case. Was: 'DISCOVER incomplete' / 'DISCOVER dropped'
// with nothing more (bbeb905 took the copy's drop off the line and put nothing in its place).
// Real cases: field/ (PROVENANCE.md) and the seed.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colors } from '../cli/colors.ts';
import { formatDiagnosis } from '../cli/format-diagnosis.ts';
import { readCase } from '../sources/case-dir.ts';
import { OWN_FIXTURES, SEED_CASE } from '../testing/fixtures.ts';
import { buildContext } from './context.ts';
import { diagnose } from './diagnose.ts';
import { whyUnproven } from './proof.ts';

const FIELD = join(OWN_FIXTURES, 'field');
const plain = colors(false);

const TUNNELS =
  'add the host that owns 10.0.0.114 to the case (its sosreport; `ip -o address` there shows 10.0.0.114); add the host that owns 10.0.0.133 to the case (its sosreport; `ip -o address` there shows 10.0.0.133)';

describe('the Paths line names what a path rests on and where it stops; the remedy is in collect next', () => {
  it.each<[string, string, string, string | null]>([
    [
      'es-gre-compute: a flood on a bridge known from excerpts (was "DISCOVER dropped")',
      join(FIELD, 'es-gre-compute'),
      '  compute:qvob079c24c-83: DISCOVER incomplete; not proven: compute: compute/ovs-ofctl_show_br-int (lines left out at line 1) and compute/ovs-vsctl_show (lines left out at line 1) are excerpts: other ports of br-int, which the flood also goes to, may be in what they leave out',
      'ovs-ofctl show br-int; ovs-vsctl show   # on compute: the whole outputs (the ports, and their tags)',
    ],
    [
      'hotsos-openstack: the DISCOVER goes on into two VXLAN tunnels to hosts not in the case (was "DISCOVER incomplete")',
      join(FIELD, 'hotsos-openstack'),
      '  compute:tap0e778df8-ca: DISCOVER incomplete; not proven: leaves the case: beyond vxlan-0a000072 to 10.0.0.114 (vxlan key 0x4d1; no host of the case owns 10.0.0.114: not collected)',
      TUNNELS,
    ],
    [
      "vn-l2-flat-vlan: the VM port's tag not in the case",
      join(FIELD, 'vn-l2-flat-vlan'),
      "  compute:qvo23d0f2c7-c2: DISCOVER incomplete; not proven: compute:br-int: the tag of port qvo23d0f2c7-c2 is not in the case; NORMAL switched it as a port without tag (trunk of every VLAN), and the frame's VLAN (so where it goes) rests on that: `ovs-vsctl --columns=name,tag list Port qvo23d0f2c7-c2` on compute gives it",
      'ovs-vsctl --columns=name,tag list Port qvo23d0f2c7-c2 qvodbe633c6-33 qvoe9feecdf-5d   # on compute',
    ],
    [
      "the seed's OFFER back: the DHCP port's tag not in the case (was 'OFFER back incomplete')",
      SEED_CASE,
      "                OFFER back incomplete; not proven: domu:br-int: the tag of port tap7b39ecad-81 is not in the case; NORMAL switched it as a port without tag (trunk of every VLAN), and the frame's VLAN (so where it goes) rests on that: `ovs-vsctl --columns=name,tag list Port tap7b39ecad-81` on domu gives it",
      // A problem proven: collect next is not asked to decide it.
      null,
    ],
  ])('%s', (_n, dir, line, collect) => {
    const d = diagnose(readCase(dir));
    expect(formatDiagnosis(d, plain).split('\n')).toContain(line);
    if (collect) expect(d.collectNext).toContain(collect);
  });

  it('hotsos-openstack: whyUnproven names the first branch leaving the case, and what to add for each', () => {
    const ctx = buildContext(readCase(join(FIELD, 'hotsos-openstack')));
    const t = [...ctx.discover.values()][0]!;
    expect(t.verdict).toBe('incomplete');
    expect(whyUnproven(ctx.world, t)).toEqual({
      subject: 'compute:br-tun',
      text: 'leaves the case: beyond vxlan-0a000072 to 10.0.0.114 (vxlan key 0x4d1; no host of the case owns 10.0.0.114: not collected) (and 1 more branch leaving the case)',
      remedy: TUNNELS,
    });
    // Asked first: what the verdict rests on.
    expect(diagnose(readCase(join(FIELD, 'hotsos-openstack'))).collectNext[0]).toBe(TUNNELS);
  });

  it('the JSON path carries stop and undecided', () => {
    const d = diagnose(readCase(join(FIELD, 'es-gre-compute')));
    expect(d.paths[0]!.discover).toEqual({
      verdict: 'incomplete',
      reached: [],
      undecided:
        'compute: compute/ovs-ofctl_show_br-int (lines left out at line 1) and compute/ovs-vsctl_show (lines left out at line 1) are excerpts: other ports of br-int, which the flood also goes to, may be in what they leave out',
    });
  });
});
