// Hand-edited pastes of published outputs (src/sources/fixtures/review3/PROVENANCE.md; each case's
// SOURCE.md says where): an elision line worded in brackets, a note after a flow, a header without
// its colon, excerpts of one `ovs-vsctl show` in several files, an excerpt saved under any name,
// iproute2's abbreviated commands. Each was refused (exit 2) or not read; each is read now, with
// what was skipped said. Run through the CLI as an operator would.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDumpFlows } from '../parse/dump-flows.ts';
import { flowNoteAt } from '../parse/paste.ts';
import { fixtureFiles, ROOT } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const R3 = join(ROOT, 'src/sources/fixtures/review3');
const run = (...args: string[]) =>
  spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('assaf-gre-nextgen1: `[... Bridge br-int omitted ...]` in ovs-vsctl show (was exit 2, not an ovs-vsctl show line)', () => {
  it('an elision: br-tun read, the output an excerpt from line 2', () => {
    const s = readCase(join(R3, 'assaf-gre-nextgen1'));
    const h = s.hosts[0]!;
    expect(s.diagnostics.filter((d) => d.file === 'NextGen1/ovs-vsctl_show')).toEqual([
      expect.objectContaining({ line: 2, severity: 'warning', code: 'excerpt' }),
    ]);
    expect(h.bridges.map((b) => [b.name, b.ports.map((p) => p.name)])).toContainEqual([
      'br-tun',
      ['patch-int', 'br-tun', 'gre-2', 'gre-1'],
    ]);
    expect(h.excerpts).toContainEqual(
      expect.objectContaining({ of: 'ovsdb', file: 'NextGen1/ovs-vsctl_show', line: 2 }),
    );
  });
  it('diagnose reads it: undecided (no VM port, no DHCP server in the case), the excerpt said', () => {
    const r = run('diagnose', join(R3, 'assaf-gre-nextgen1'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
    expect(r.stdout).toContain(
      'NextGen1/ovs-vsctl_show is an excerpt (lines left out at line 2): what it does not show is unknown',
    );
  });
});

const CN = join(R3, 'cn-vlan-flat-multinet');
const lineOf = (rel: string, n: number): string => readFileSync(join(CN, rel), 'utf8').split('\n')[n - 1]!;

describe('cn-vlan-flat-multinet: the author\'s `# note` after a flow (was exit 2, cannot read action "drop #")', () => {
  it.each<[string, string, string]>([
    // compute br-int line 1 ends with `# ` as pasted; controller br-ex line 1 carries a Chinese note.
    ['compute/ovs-ofctl_dump-flows_br-int', 'actions=drop', '# '],
    [
      'controller/ovs-ofctl_dump-flows_br-ex',
      'actions=strip_vlan,NORMAL',
      '#  从数据包中剥离VLAN标记（如果存在）然后转发',
    ],
  ])('%s:1: the note starts at the blanks before #', (rel, ends, note) => {
    const l = lineOf(rel, 1);
    const at = flowNoteAt(l);
    expect(l.slice(0, at).endsWith(ends)).toBe(true);
    expect(l.slice(at).trim()).toBe(note.trim());
  });
  it('no line of any real dump the repository holds has one (learn(), note:, controller(), quoted names)', () => {
    const dumps = fixtureFiles(/dump-flows/);
    expect(dumps.length).toBeGreaterThan(20);
    for (const f of dumps)
      for (const l of readFileSync(f, 'utf8').split('\n')) expect([f, flowNoteAt(l)]).toEqual([f, -1]);
  });
  it.each<[string, number]>([
    // A # with no blank before it, or inside parentheses or quotes, is no note (the flow parser decides).
    ['priority=1 actions=drop#x', -1],
    ['priority=1 actions=learn(table=1, #x)', -1],
    ['priority=1 actions=output:"a #b"', -1],
    ['priority=1 #x actions=drop', -1],
  ])('%s: %s', (l, at) => {
    expect(flowNoteAt(l)).toBe(at);
  });
  it('read: the notes dropped and said (one per dump), the flows kept; diagnose undecided (exit 3)', () => {
    const s = readCase(CN);
    expect(s.diagnostics.filter((d) => d.code === 'inline-note')).toEqual([
      expect.objectContaining({
        file: 'compute/ovs-ofctl_dump-flows_br-int',
        line: 1,
        severity: 'warning',
        text: '#',
      }),
      expect.objectContaining({
        file: 'controller/ovs-ofctl_dump-flows_br-ex',
        line: 1,
        text: '#  从数据包中剥离VLAN标记（如果存在）然后转发',
      }),
    ]);
    const brInt = s.hosts.find((h) => h.name === 'compute')!.bridges.find((b) => b.name === 'br-int')!;
    expect(brInt.flows.known && brInt.flows.value.entries[0]!.text).toMatch(
      /vlan_tci=0x0fff\/0x1fff actions=drop$/,
    );
    expect(brInt.flows.known && brInt.flows.value.complete).toBe(true);
    const r = run('diagnose', CN);
    expect([r.status, r.stderr]).toEqual([3, '']);
    expect(r.stdout).toContain('a note after the actions (blanks, then #: an annotated copy): dropped');
  });
});

const BLOG = join(R3, 'blog-ml2-hybrid-vlan');

describe('blog-ml2-hybrid-vlan: `NXST_FLOW reply (xid=0x4)`, the header without its colon (was exit 2, not a flow line)', () => {
  it('read as the header and said; its flows read (the same dump with the colon reads the same)', () => {
    const text = readFileSync(join(BLOG, 'compute-node/ovs-ofctl_dump-flows_br-int'), 'utf8');
    expect(text.split('\n')[0]).toBe('NXST_FLOW reply (xid=0x4)');
    const loose = parseDumpFlows(text);
    const whole = parseDumpFlows(text.replace('(xid=0x4)\n', '(xid=0x4):\n'));
    expect(loose.diagnostics).toEqual([
      expect.objectContaining({ line: 1, severity: 'warning', code: 'header-colon' }),
    ]);
    expect(whole.diagnostics).toEqual([]);
    expect(loose.value.flows.map((f) => f.text)).toEqual(whole.value.flows.map((f) => f.text));
    expect(loose.value.version).toBe('OpenFlow10');
    expect(loose.value.complete).toBe(true);
  });
  it.each(['NXST_FLOW reply (xid=0x4) x', 'NXST_FLOW reply', 'NXST_FLOW reply (xid=0x4);'])(
    '%s is still no header',
    (line) => {
      expect(parseDumpFlows(`${line}\n`).diagnostics[0]).toMatchObject({
        severity: 'corrupt',
        code: 'not-a-flow',
      });
    },
  );
  it('the case reads (no exit 2): the note at line 1', () => {
    const r = run('diagnose', BLOG);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('the header line without its colon (an edited copy): read as the header');
  });
});
