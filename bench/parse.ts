// bench/parse: dump-flows parse throughput on a ≥ 200,000-line neutron-style br-int, against
// python ovs.flow (the peer) on the same content in the same run. OVS 3.1's ovs.flow rejects
// lines with statistics (its decoder table spells n_packet), so both parse the --no-stats form;
// ours also parses the form with statistics.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetFlowSharing } from '../src/openflow/flow.ts';
import type { Flow } from '../src/openflow/types.ts';
import { type DumpedFlow, parseDumpFlows } from '../src/parse/dump-flows.ts';
import { neutronDump } from './neutron-dump.ts';

const N = Number(process.env.BENCH_FLOWS ?? 200_000);
const PY_N = Number(process.env.BENCH_PY_FLOWS ?? 20_000);

// A full collection before each timed call: each starts, as the one parse of a `vifpath` process
// does, on a heap without the garbage of the calls before it (whose marking and compaction would
// otherwise fall inside whichever call happens to fill the heap).
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:parse does)');
const collect = gc;

/**
 * Best of `runs` for each of fns, run in turn (1, 2, 3, 1, 2, 3...): the parse and the floor it is
 * compared with see the same spells of a noisy machine, not one spell each. Each cold: the
 * shared-node tables are emptied before every call.
 */
function bestOfEach(fns: readonly (() => number)[], runs = 7): number[] {
  const b = fns.map(() => Number.POSITIVE_INFINITY);
  for (let i = 0; i < runs; i++)
    for (let k = 0; k < fns.length; k++) {
      resetFlowSharing();
      collect();
      const t0 = performance.now();
      const n = fns[k]!();
      const dt = (performance.now() - t0) / 1000;
      if (n <= 0) throw new Error('nothing parsed');
      b[k] = Math.min(b[k]!, dt);
    }
  return b;
}

// Joined into one flat string, as a file read is (a template literal around a join makes a cons
// string, whose every character read costs a lookup more: 13% slower, a cost no real input has).
const noStats = [...neutronDump(N, false), ''].join('\n');
const withStats = ['NXST_FLOW reply (xid=0x4):', ...neutronDump(N, true), ''].join('\n');
const check = parseDumpFlows(noStats);
if (check.diagnostics.length > 0 || check.value.flows.length !== N)
  throw new Error(`bad dump: ${JSON.stringify(check.diagnostics[0])}`);

// The floor under any parser that returns this model, on this machine: build only the objects a
// parse returns per flow (DumpedFlow, Flow, its match array, the line's text) from the parsed dump,
// reusing every shared node and parsing nothing. Keeping objects alive costs what it costs here
// (the garbage collector copies them, the kernel faults in fresh pages), whatever the parser does.
const ends: number[] = [];
for (let pos = 0, i = 0; i < N; i++) {
  const e = noStats.indexOf('\n', pos);
  ends.push(pos + 1, e); // the dump's lines start with one space
  pos = e + 1;
}
function rebuild(src: string, parsed: readonly DumpedFlow[]): number {
  const out: DumpedFlow[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const d = parsed[i]!;
    const f = d.flow;
    const flow: Flow = {
      cookie: f.cookie,
      table: f.table,
      tableShown: f.tableShown,
      priority: f.priority,
      priorityShown: f.priorityShown,
      stats: f.stats,
      idle_timeout: f.idle_timeout,
      hard_timeout: f.hard_timeout,
      importance: f.importance,
      flags: f.flags,
      match: f.match.slice(),
      actions: f.actions,
    };
    out.push({ flow, line: d.line, text: src.slice(ends[2 * i]!, ends[2 * i + 1]!) });
  }
  return out.length;
}
// ... plus one copy of every distinct node the flows hold (match items, their values, action lists
// and actions), collected beforehand: what a parse must build once however it shares. Distinct by
// value, not by identity: the floor is that of a parser sharing every equal node, whatever this one
// shares (a parser that shares less builds more, and must not lower its own bar by it). Frozen
// nodes (integer formats, empty stats, field references) are left out, so the printed floor is, if
// anything, faster than the real one.
const sharedNodes: object[] = [];
{
  const seen = new Set<object>();
  const equal = new Set<string>();
  const byValue = (x: unknown): string => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
  const visit = (x: unknown): void => {
    if (typeof x !== 'object' || x === null || seen.has(x)) return;
    seen.add(x);
    const k = byValue(x);
    if (equal.has(k)) return;
    equal.add(k);
    if (Array.isArray(x) || !Object.isFrozen(x)) sharedNodes.push(x);
    for (const v of Object.values(x)) visit(v);
  };
  for (const d of check.value.flows) {
    for (const m of d.flow.match) visit(m);
    visit(d.flow.actions);
  }
}
function copyShared(nodes: readonly object[]): number {
  const out: object[] = [];
  for (const n of nodes) out.push(Array.isArray(n) ? n.slice() : { ...n });
  return out.length;
}
const [tNo, tRebuild, tShared, tStats] = bestOfEach([
  () => parseDumpFlows(noStats).value.flows.length,
  () => rebuild(noStats, check.value.flows),
  () => copyShared(sharedNodes),
  () => parseDumpFlows(withStats).value.flows.length,
]) as [number, number, number, number];
const tFloor = tRebuild + tShared;

// The peer: python ovs.flow on the first PY_N lines of the same --no-stats text (it is slow).
const dir = mkdtempSync(join(tmpdir(), 'vifpath-bench-'));
let py: { flows: number; seconds: number; runs: number; cores: number };
try {
  const file = join(dir, 'br-int.no-stats');
  writeFileSync(file, `${noStats.split('\n').slice(0, PY_N).join('\n')}\n`);
  py = JSON.parse(
    execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'ovs_flow_parse.py'), file], {
      encoding: 'utf8',
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ours = N / tNo;
const peer = py.flows / py.seconds;
console.log(`dump-flows parse, neutron-style br-int, ${N} flows (node ${process.version})`);
console.log(
  `  vifpath  --no-stats form : ${Math.round(ours).toLocaleString('en')} flows/s (${(tNo * 1000).toFixed(0)} ms)`,
);
console.log(
  `  vifpath  with statistics : ${Math.round(N / tStats).toLocaleString('en')} flows/s (${(tStats * 1000).toFixed(0)} ms)`,
);
console.log(
  `  object floor, no parsing : ${Math.round(N / tFloor).toLocaleString('en')} flows/s (${(tFloor * 1000).toFixed(0)} ms to build its ${(sharedNodes.length / N).toFixed(1)} shared + 5 own objects per flow; parse at ${((tFloor / tNo) * 100).toFixed(0)}% of it)`,
);
console.log(
  `  ovs.flow --no-stats form : ${Math.round(peer).toLocaleString('en')} flows/s (${py.flows} flows in ${py.seconds.toFixed(2)} s, best of ${py.runs} runs on ${py.cores} cores)`,
);
console.log(
  `  ratio vifpath / ovs.flow : ${(ours / peer).toFixed(1)}x   (targets, issue 20: parse >= 50% of the object floor and >= 10x ovs.flow)`,
);
