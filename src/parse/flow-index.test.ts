// The dump index (flow-index.ts) against the whole parse, on every real dump in the fixtures: the
// same flows per table, and a lookup by in_port and VLAN drops only flows the packet cannot match
// (decided from the parsed flows here, from the text there).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFieldValue } from '../openflow/fields.ts';
import type { Flow } from '../openflow/types.ts';
import { ROOT } from '../testing/fixtures.ts';
import { thrown } from '../testing/thrown.ts';
import { parseDumpFlows } from './dump-flows.ts';
import { type FlowIndex, LazyFlowError } from './flow-index.ts';

interface At {
  flow: Flow;
  line: number;
}
const entry = (flow: Flow, line: number): At => ({ flow, line });

function dumps(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...dumps(p));
    else if (/ovs-ofctl.*dump-flows_|^dump-flows-.*\.txt$|^flows-/.test(n)) out.push(p);
  }
  return out;
}

// Real dumps only: the fixtures' own and published ones, and the examples.
const FILES = [...dumps(join(ROOT, 'src/parse/fixtures')), ...dumps(join(ROOT, 'examples'))].filter((f) => {
  const r = parseDumpFlows(readFileSync(f, 'utf8'));
  return r.value.flows.length > 0 && !r.diagnostics.some((d) => d.severity === 'corrupt');
});

/** The decimal value of a match field, undefined when absent, NaN when written otherwise. */
function fieldOf(f: Flow, field: string): number | undefined {
  const m = f.match.find((x) => x.kind === 'field' && x.field === field);
  if (m?.kind !== 'field') return undefined;
  const t = formatFieldValue(m.value);
  return /^\d+$/.test(t) ? Number(t) : Number.NaN;
}

/** Whether the line holds a double quote before its actions (a name the index does not read into). */
function quoted(text: string, line: number): boolean {
  const l = text.split('\n')[line - 1] ?? '';
  return l.slice(0, l.indexOf('actions=')).includes('"');
}

function both(file: string): { eager: At[]; index: FlowIndex<At> } {
  const text = readFileSync(file, 'utf8');
  const eager = parseDumpFlows(text, {}, entry).value.flows;
  const lazy = parseDumpFlows(text, { lazy: { file, from: 0 } }, entry);
  expect(lazy.diagnostics.map((d) => d.code)).toContain('flows-indexed');
  return { eager, index: lazy.value.index! };
}

const lines = (xs: readonly At[]): number[] => xs.map((x) => x.line);

describe('the dump index gives what the whole parse gives', () => {
  it('finds real dumps to check', () => {
    expect(FILES.length).toBeGreaterThan(40);
  });

  it.each(FILES.map((f) => [relative(ROOT, f), f] as const))('%s', (_n, file) => {
    const { eager, index } = both(file);
    const text = readFileSync(file, 'utf8');
    expect(index.count).toBe(eager.length);
    // Only lines with a quoted name are parsed when the dump is read.
    expect(index.parsed).toBe(eager.filter((e) => quoted(text, e.line)).length);
    const tables = [...new Set(eager.map((e) => e.flow.table))];
    for (const t of tables) {
      const inTable = eager.filter((e) => e.flow.table === t);
      expect(lines(index.table(t))).toEqual(lines(inTable));
      const ports = [...new Set(inTable.map((e) => fieldOf(e.flow, 'in_port')))].filter(
        (p): p is number => p !== undefined && !Number.isNaN(p),
      );
      const vlans = [...new Set(inTable.map((e) => fieldOf(e.flow, 'dl_vlan')))].filter(
        (v): v is number => v !== undefined && !Number.isNaN(v),
      );
      for (const port of [...ports, 65000])
        for (const vlan of [...vlans, 0xffff]) {
          // What the index files away: a decimal in_port below the reserved ports, a decimal VLAN id
          // (0-4095), and neither on a line with a quoted name; anything else stays in every lookup.
          const can = inTable.filter((e) => {
            const p = fieldOf(e.flow, 'in_port');
            const v = fieldOf(e.flow, 'dl_vlan');
            const named = quoted(text, e.line) || (p !== undefined && (Number.isNaN(p) || p > 0xfeff));
            return (
              (p === undefined || named || p === port) &&
              (v === undefined || named || Number.isNaN(v) || v > 4095 || v === vlan)
            );
          });
          expect(lines(index.table(t, port, vlan)), `table ${t} in_port ${port} dl_vlan ${vlan}`).toEqual(
            lines(can),
          );
        }
    }
    for (const port of new Set(eager.map((e) => fieldOf(e.flow, 'in_port'))))
      if (port !== undefined && !Number.isNaN(port)) {
        const got = index.withInPort(String(port));
        expect(lines(got)).toEqual(
          expect.arrayContaining(lines(eager.filter((e) => fieldOf(e.flow, 'in_port') === port))),
        );
      }
    const learns = eager.filter((e) => e.flow.actions.some((a) => a.type === 'learn'));
    expect(lines(index.learning())).toEqual(expect.arrayContaining(lines(learns)));
    // The same objects whichever way a flow was asked for, and every flow in dump order.
    expect(lines(index.all())).toEqual(lines(eager));
    expect(index.all().map((e) => e.flow)).toEqual(eager.map((e) => e.flow));
    expect(index.parsed).toBe(eager.length);
  });
});

describe('what the index does not check until asked', () => {
  const good =
    ' cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, priority=1,in_port=2 actions=NORMAL';
  const broken =
    ' cookie=0x0, duration=1.0s, table=7, n_packets=0, n_bytes=0, priority=1,in_port=3 actions=load:0x2->NXM_NX';
  const text = `NXST_FLOW reply (xid=0x4):\n${good}\n${broken}\n`;

  it('a broken line in a table nobody looks at is read, and refused with its file and line when asked for', () => {
    expect(parseDumpFlows(text).diagnostics.map((d) => d.severity)).toContain('corrupt');
    const r = parseDumpFlows(text, { lazy: { file: 'h/ovs-ofctl_dump-flows_br0', from: 0 } }, entry);
    expect(r.diagnostics.map((d) => d.severity)).not.toContain('corrupt');
    const index = r.value.index!;
    expect(lines(index.table(0, 2, 0xffff))).toEqual([2]);
    const e = thrown(() => index.table(7), LazyFlowError);
    expect({ file: e.file, line: e.line, exit: e.exit }).toEqual({
      file: 'h/ovs-ofctl_dump-flows_br0',
      line: 3,
      exit: 2,
    });
    expect(e.oneLine()).toMatch(/^h\/ovs-ofctl_dump-flows_br0:3: .*NXM_NX/);
    thrown(() => r.value.flows, LazyFlowError);
  });

  it('a last line cut off is found when the dump is read, as without the index', () => {
    const cut = `${good}\n${good.replace('in_port=2 actions=NORMAL', 'in_port=3 actions=load:0x2->NXM_N')}`;
    const r = parseDumpFlows(cut, { lazy: { file: 'f', from: 0 } }, entry);
    expect(r.value.complete).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toContain('truncated');
    expect(r.value.index!.count).toBe(1);
  });

  it('what the text search cannot be sure of is left to the parser: quoted names, a key given twice, values out of range', () => {
    const flows = [
      // A quoted port name holding what looks like keys: filed by what the parser reads.
      ' priority=9,in_port="p,table=7,x" actions=drop',
      ' priority=8,in_port="q,dl_vlan=5,y" actions=drop',
      // table= twice: ovs-ofctl keeps the last.
      ' table=5, priority=1,table=0,in_port=1 actions=drop',
      // A VLAN id no tag can have: the parser refuses it when a lookup reaches it.
      ' priority=5,in_port=2,dl_vlan=4097 actions=drop',
      // A port number in OpenFlow's reserved range.
      ' priority=4,in_port=65300 actions=drop',
    ];
    const r = parseDumpFlows(`${flows.join('\n')}\n`, { lazy: { file: 'f', from: 0 } }, entry);
    const index = r.value.index!;
    expect(lines(index.table(7))).toEqual([]);
    expect(lines(index.table(5))).toEqual([]);
    // Lines 1, 2 and 3 parsed when the dump was read; the others wait.
    expect(index.parsed).toBe(3);
    expect(lines(index.table(0, 3, 1))).toEqual([1, 2, 5]);
    const e = thrown(() => index.table(0, 2, 1), LazyFlowError);
    expect(e.line).toBe(4);
    expect(e.message).toMatch(/12 bits/);
  });

  it('a small dump is parsed whole unless asked otherwise', () => {
    const r = parseDumpFlows(text, { lazy: { file: 'f' } }, entry);
    expect(r.value.index).toBeUndefined();
    expect(r.diagnostics.map((d) => d.severity)).toContain('corrupt');
  });
});
