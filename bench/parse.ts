// bench/parse: dump-flows parse throughput on a ≥ 200,000-line neutron-style br-int, against
// python ovs.flow (the peer) on the same content in the same run. OVS 3.1's ovs.flow rejects
// lines with statistics (its decoder table spells n_packet), so both parse the --no-stats form;
// ours also parses the form with statistics.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetFlowSharing } from '../src/openflow/flow.ts';
import { parseDumpFlows } from '../src/parse/dump-flows.ts';
import { neutronDump } from './neutron-dump.ts';

const N = Number(process.env.BENCH_FLOWS ?? 200_000);
const PY_N = Number(process.env.BENCH_PY_FLOWS ?? 20_000);

/** Best of `runs` cold parses: the shared-node tables are emptied before each. */
function best(fn: () => number, runs = 5): number {
  let b = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    resetFlowSharing();
    const t0 = performance.now();
    const n = fn();
    const dt = (performance.now() - t0) / 1000;
    if (n <= 0) throw new Error('nothing parsed');
    b = Math.min(b, dt);
  }
  return b;
}

const noStats = `${neutronDump(N, false).join('\n')}\n`;
const withStats = `NXST_FLOW reply (xid=0x4):\n${neutronDump(N, true).join('\n')}\n`;
const check = parseDumpFlows(noStats);
if (check.diagnostics.length > 0 || check.value.flows.length !== N)
  throw new Error(`bad dump: ${JSON.stringify(check.diagnostics[0])}`);

const tNo = best(() => parseDumpFlows(noStats).value.flows.length);
const tStats = best(() => parseDumpFlows(withStats).value.flows.length);

// The peer: python ovs.flow on the first PY_N lines of the same --no-stats text (it is slow).
const dir = mkdtempSync(join(tmpdir(), 'vifpath-bench-'));
const file = join(dir, 'br-int.no-stats');
writeFileSync(file, `${noStats.split('\n').slice(0, PY_N).join('\n')}\n`);
const py = JSON.parse(
  execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'ovs_flow_parse.py'), file], {
    encoding: 'utf8',
  }),
);
rmSync(dir, { recursive: true, force: true });

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
  `  ovs.flow --no-stats form : ${Math.round(peer).toLocaleString('en')} flows/s (${py.flows} flows in ${py.seconds.toFixed(2)} s)`,
);
console.log(
  `  ratio vifpath / ovs.flow : ${(ours / peer).toFixed(1)}x   (targets: >= 1,000,000 flows/s and >= 30x)`,
);
