// A DROPPED verdict always names where the packet is lost: the drop on the branch toward the
// target, or where that branch stops (tree.ts judge). With neither it is INCOMPLETE, and the
// undecided entry says why. Was (reviewer): a published compute node whose br-int ports are known
// only from excerpts (field/es-gre-compute, PROVENANCE.md) traced 'assumed NORMAL … flooding',
// then `Verdict: DROPPED` (exit 1) with `drop: null` and `uncertain: []`, and diagnose said
// 'discover-dropped … no branch reaches one': the flood went to no port the case shows, and the
// ports the excerpts leave out were never said to get a copy.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colors } from '../cli/colors.ts';
import { formatTrace } from '../cli/format-trace.ts';
import { buildContext } from '../doctor/context.ts';
import { diagnose } from '../doctor/diagnose.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, tmpCase } from '../testing/case-edits.ts';
import { OWN_FIXTURES, ROOT } from '../testing/fixtures.ts';
import { buildSnapshot, type HostSpec } from '../testing/snapshot-builder.ts';
import { traceCommand } from './run.ts';
import { traceJson } from './trace-json.ts';
import { judge, type TargetSpec, type TraceResult, type Undecided } from './tree.ts';

afterAll(cleanupCases);

const BIN = join(ROOT, 'bin/vifpath.mjs');
const ES = join(OWN_FIXTURES, 'field/es-gre-compute');
const plain = colors(false);

const EXCERPT = {
  code: 'excerpt',
  text: 'compute: compute/ovs-ofctl_show_br-int (lines left out at line 1) and compute/ovs-vsctl_show (lines left out at line 1) are excerpts: other ports of br-int, which the flood also goes to, may be in what they leave out',
  remedy:
    'ovs-ofctl show br-int; ovs-vsctl show   # on compute: the whole outputs (the ports, and their tags)',
};

describe('es-gre-compute: a flood on a bridge known from excerpts is not proven dropped', () => {
  const t = traceCommand(readCase(ES), { from: 'compute:qvob079c24c-83', packet: 'dhcp-discover' });
  it('INCOMPLETE, no drop, the excerpt uncertainty with its remedy (was DROPPED with drop null, uncertain [])', () => {
    expect(t.verdict).toBe('incomplete');
    expect(t.drop).toBeNull();
    expect(t.stop).toBeNull();
    expect(t.uncertain).toEqual([EXCERPT]);
    expect(t.undecided.map((u) => [u.kind, u.text, u.remedy])).toEqual([
      ['not-proven', EXCERPT.text, EXCERPT.remedy],
    ]);
    expect(t.drops.map((d) => [d.reason.code, d.reason.text])).toEqual([
      ['excerpt-ports', 'flood to the ports of br-int the case leaves out (an excerpt): not followed'],
    ]);
    expect(t.assumptions).toContainEqual({ code: 'excerpt', text: EXCERPT.text, remedy: EXCERPT.remedy });
  });
  it('the text and JSON printers say so', () => {
    const text = formatTrace(t, plain).split('\n');
    for (const line of [
      '      -> VLAN 1: no learned MAC for destination, flooding',
      '        ~ not followed: flood to the ports of br-int the case leaves out (an excerpt): not followed',
      'Verdict: INCOMPLETE',
      `  not proven: ${EXCERPT.text}  [collect: ${EXCERPT.remedy}]`,
    ])
      expect(text).toContain(line);
    expect(text).not.toContain('Verdict: DROPPED');
    const j = traceJson(t) as { verdict: string; drop: unknown; uncertain: unknown[] };
    expect([j.verdict, j.drop, j.uncertain]).toEqual(['incomplete', null, [EXCERPT]]);
  });
  it('the CLI exits 3 (was 1)', () => {
    const r = spawnSync(
      'node',
      [BIN, 'trace', ES, '--from', 'compute:qvob079c24c-83', '--packet', 'dhcp-discover', '--json'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'incomplete', drop: null, uncertain: [EXCERPT] });
  });
  it('diagnose: the DISCOVER is incomplete, no discover-dropped, the whole outputs asked for', () => {
    const d = diagnose(readCase(ES));
    expect(d.verdict).toBe('undecided');
    expect(d.paths.map((p) => [p.vm, p.discover.verdict, p.discover.drop])).toEqual([
      ['compute:qvob079c24c-83', 'incomplete', undefined],
    ]);
    expect(d.findings.map((f) => f.code)).not.toContain('discover-dropped');
    expect(d.collectNext).toContain(EXCERPT.remedy);
  });
});

describe('a flood on a bridge whose ports the case knows only in part: not proven to go nowhere', () => {
  // Published cases (field/PROVENANCE.md), and es-gre-compute without its elision lines: then its
  // `ovs-ofctl show br-int` lacks the LOCAL port a whole one always lists. slawqo's compute1 `ovs-ofctl
  // show br-int | grep 3e399bf2-31` is one port line; its `ovs-vsctl show` has the author's `...`;
  // with the port's tag 2 read (`ovs-vsctl list port … | grep tag`), NORMAL floods VLAN 2 to no
  // port the case numbers (was DROPPED on br-int table 0, 'the actions output nothing').
  const noElision = (): string => {
    const d = tmpCase();
    cpSync(ES, d, { recursive: true });
    for (const f of ['ovs-vsctl_show', 'ovs-ofctl_show_br-int']) {
      const p = join(d, 'compute', f);
      writeFileSync(p, readFileSync(p, 'utf8').replace(/^\t\.\.\.\n/gm, ''));
    }
    return d;
  };
  it.each<[string, () => string, string, string | RegExp, string]>([
    [
      'es-gre-compute (was DROPPED, drop null)',
      () => ES,
      'compute:qvob079c24c-83',
      EXCERPT.text,
      EXCERPT.remedy,
    ],
    [
      // Its show, without the `...`, still ends without `ovs_version:`: cut after its last line.
      'es-gre-compute without its `...` lines: no LOCAL port in its ovs-ofctl show, no ovs_version in its show',
      noElision,
      'compute:qvob079c24c-83',
      'compute: compute/ovs-ofctl_show_br-int (no LOCAL port, which a whole `ovs-ofctl show` always lists) and compute/ovs-vsctl_show (cut after line 4, no `ovs_version:` line) are excerpts: other ports of br-int, which the flood also goes to, may be in what they leave out',
      'ovs-ofctl show br-int; ovs-vsctl show   # on compute: the whole outputs (the ports, and their tags)',
    ],
    [
      "slawqo's compute1 (was DROPPED on br-int table 0: the actions output nothing)",
      () => join(OWN_FIXTURES, 'field/slawqo-where-is-my-packet-2'),
      'compute1:qvo3e399bf2-31',
      // The one-line show is read as what it is, a filtered output, or, saved under the plain name, one without LOCAL.
      /^compute1: compute1\/ovs-ofctl_show_br-int\S* \((no LOCAL port, which a whole `ovs-ofctl show` always lists|filtered by `grep 3e399bf2-31`)\) and compute1\/ovs-vsctl_show \(lines left out at line 4\) are excerpts: other ports of br-int, which the flood also goes to, may be in what they leave out$/,
      'ovs-ofctl show br-int; ovs-vsctl show   # on compute1: the whole outputs (the ports, and their tags)',
    ],
  ])('%s', (_n, dir, from, text, remedy) => {
    const t = traceCommand(readCase(dir()), { from, packet: 'dhcp-discover' });
    expect([t.verdict, t.drop, t.stop]).toEqual(['incomplete', null, null]);
    const u = {
      code: 'excerpt',
      text: typeof text === 'string' ? text : expect.stringMatching(text),
      remedy,
    };
    expect(t.uncertain).toContainEqual(u);
    expect(t.undecided).toContainEqual(expect.objectContaining({ kind: 'not-proven', text: u.text, remedy }));
    const lines = formatTrace(t, plain).split('\n');
    expect(lines.filter((l) => l.trim().startsWith('~ not followed: flood to the ports of br-int'))).toEqual([
      expect.stringMatching(
        /^ +~ not followed: flood to the ports of br-int the case leaves out \(an excerpt\): not followed$/,
      ),
    ]);
    expect(lines.filter((l) => l.startsWith('  not proven: '))).toContainEqual(
      typeof text === 'string'
        ? `  not proven: ${text}  [collect: ${remedy}]`
        : expect.stringMatching(new RegExp(`^  not proven: ${text.source.slice(1, -1)}  \\[collect: `)),
    );
    expect(lines).not.toContain('Verdict: DROPPED');
  });
});

// Snapshots as data: one host, or two not joined; flows as dumped.
const P = (name: string, ofport: number, tag: number | null = null) => ({ name, ofport, tag, type: '' });
const UDP =
  'udp,dl_src=fa:16:3e:00:00:09,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=0.0.0.0,nw_dst=255.255.255.255,udp_src=68,udp_dst=67';

interface Row {
  name: string;
  hosts: HostSpec[];
  targets: TargetSpec[] | null;
  verdict: TraceResult['verdict'];
  /** The drop named: [host, bridge, reason code]. */
  drop: [string, string, string] | null;
  undecided: [Undecided['kind'], string, string | undefined][];
}

const rows: Row[] = [
  {
    name: 'NORMAL on a whole bridge sends no copy (no other port of VLAN 1, no LOCAL listed): dropped, the no-output drop named',
    hosts: [{ name: 'h', bridges: [{ name: 'br', ports: [P('p1', 1, 1), P('p2', 2, 2)] }] }],
    targets: null,
    verdict: 'dropped',
    drop: ['h', 'br', 'no-output'],
    undecided: [],
  },
  {
    name: 'no target located, two copies die (two table misses): incomplete, which one matters is not known (was dropped, drop null)',
    hosts: [
      {
        name: 'h',
        bridges: [
          {
            name: 'br',
            ports: [P('p1', 1), P('p2', 2)],
            flows: ['priority=10,in_port=1 actions=resubmit(,1),resubmit(,2)'],
          },
        ],
      },
    ],
    targets: [],
    verdict: 'incomplete',
    drop: null,
    undecided: [
      [
        'unplaced',
        'the case locates no target, and no branch leaves it (dies on h br): which of them is the way to the target is not known',
        'name the target: --to <host>:<port>',
      ],
    ],
  },
  {
    name: 'no target located, one copy dies: dropped there (as before)',
    hosts: [
      {
        name: 'h',
        bridges: [
          {
            name: 'br',
            ports: [P('p1', 1), P('p2', 2)],
            flows: ['priority=10,in_port=1 actions=resubmit(,1)'],
          },
        ],
      },
    ],
    targets: [],
    verdict: 'dropped',
    drop: ['h', 'br', 'table-miss'],
    undecided: [],
  },
  {
    name: 'the target on a host the case does not join, the packet ends at LOCAL: incomplete, no way to it (was dropped, drop null)',
    hosts: [
      {
        name: 'h',
        bridges: [
          { name: 'br', ports: [P('p1', 1), P('br', 65534)], flows: ['priority=10,in_port=1 actions=LOCAL'] },
        ],
      },
      { name: 'g', bridges: [{ name: 'bg', ports: [P('q1', 1)] }] },
    ],
    targets: [{ host: 'g', name: 'q1' }],
    verdict: 'incomplete',
    drop: null,
    undecided: [
      [
        'unjoined',
        'no branch reaches g:q1, and the case shows no way to it from h br (entered by p1); the branches end: at h bridge br LOCAL port',
        'add what joins h to g to the case (a wire in links.txt, or the host between)',
      ],
    ],
  },
];

describe('a dropped verdict names its drop or stop; else incomplete, and why', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_n, r) => {
    const t = traceCommand(buildSnapshot(r.hosts), { from: 'h:p1', packet: UDP, targets: r.targets });
    expect(t.verdict).toBe(r.verdict);
    expect(t.drop ? [t.drop.host, t.drop.bridge, t.drop.reason.code] : null).toEqual(r.drop);
    expect(t.undecided.map((u) => [u.kind, u.text, u.remedy])).toEqual(r.undecided);
    if (r.verdict === 'incomplete')
      expect(formatTrace(t, plain).split('\n')).toContain(
        `  undecided: ${r.undecided[0]![1]}  [collect: ${r.undecided[0]![2]}]`,
      );
  });

  it('a tree with no leaf at all (no output, no drop) is incomplete, never dropped', () => {
    const t = traceCommand(buildSnapshot(rows[0]!.hosts), { from: 'h:p1', packet: UDP, targets: null });
    const bare = { ...t.tree, children: [] } as TraceResult['tree'];
    const j = judge(bare, null);
    expect([j.verdict, j.drop]).toEqual(['incomplete', null]);
    expect(j.undecided.map((u) => [u.kind, u.text, u.remedy])).toEqual([
      [
        'no-end',
        'the trace shows no end of the packet entering h br by p1 (no output, no drop): where it goes is not proven',
        'ovs-appctl ofproto/trace br <the packet>   # on h: what OVS does there',
      ],
    ]);
  });
});

describe('every trace of every real case: dropped only with a drop or a stop to show', () => {
  const cases = [
    ...readdirSync(join(ROOT, 'examples')).map((x) => join(ROOT, 'examples', x)),
    ...readdirSync(join(OWN_FIXTURES, 'field'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(OWN_FIXTURES, 'field', e.name)),
    ...['healthy', 'seed-failure'].map((x) => join(OWN_FIXTURES, 'reference', x)),
  ];
  it.each(cases.map((c) => [c.slice(ROOT.length + 1), c] as const))('%s', (_n, dir) => {
    const ctx = buildContext(readCase(dir));
    const traces = [...ctx.discover.values(), ...ctx.offer.values()];
    for (const t of traces) {
      if (t.verdict === 'dropped') expect(t.drop ?? t.stop).not.toBeNull();
      if (t.verdict === 'incomplete') expect(t.undecided.length).toBeGreaterThan(0);
    }
  });
});
