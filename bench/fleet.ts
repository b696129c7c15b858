// bench/fleet: a generated `sos collect`-style fleet (src/testing/fleet-case.ts: 1,000 hosts, each
// compute node wired to its network node with the qdhcp namespace, thousands of flows per host, a
// handful of VMs broken on purpose), one cold process per run, median of BENCH_RUNS (3):
// `vifpath diagnose --vm <mac>` (reads only the VM's hosts) and `vifpath diagnose --all-vms`
// (every VM, worker threads on every core), wall time and peak RSS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Breakage, unitMac, writeFleet } from '../src/testing/fleet-case.ts';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 1000);
const FLOWS = Number(process.env.BENCH_FLOWS_PER_DUMP ?? 750);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIN = join(import.meta.dirname, '..', 'bin', 'vifpath.mjs');
const units = Math.floor(HOSTS / 2);
const broken = new Map<number, Breakage>([
  [Math.floor(units * 0.1), 'untagged'],
  [Math.floor(units * 0.35), 'dead-vlan'],
  [Math.floor(units * 0.6), 'no-host-entry'],
  [Math.floor(units * 0.9), 'untagged'],
]);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function run(args: string[]): { s: number; mb: number; rc: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const m = /(\d+(?:\.\d+)?) (\d+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${r.stderr.slice(-500)}`);
  return { s: Number(m[1]), mb: Number(m[2]) / 1024, rc: r.status ?? -1, stdout: r.stdout };
}

function medianRun(args: string[]): { s: number; mb: number; rc: number; stdout: string; all: string } {
  const rs = Array.from({ length: RUNS }, () => run(args));
  return {
    s: median(rs.map((r) => r.s)),
    mb: median(rs.map((r) => r.mb)),
    rc: rs[0]!.rc,
    stdout: rs[0]!.stdout,
    all: rs.map((r) => `${r.s.toFixed(1)} s/${r.mb.toFixed(0)} MB`).join(', '),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'vifpath-bench-fleet-'));
try {
  const t0 = performance.now();
  const vms = writeFleet(dir, { units, flowsPerDump: FLOWS, broken });
  const made = (performance.now() - t0) / 1000;
  console.log(
    `fleet: ${units * 2} hosts (${units} compute + ${units} network nodes), ${vms.length} VMs, ${4 * FLOWS + 20} flows per host in 4 dumps, ${broken.size} VMs broken on purpose; generated in ${made.toFixed(0)} s (node ${process.version}, ${availableParallelism()} cores, load average ${load()})`,
  );
  const target = vms[Math.floor(units * 0.35)]!;
  const one = medianRun(['diagnose', dir, '--vm', unitMac(Math.floor(units * 0.35)), '--json']);
  const oneVerdict = JSON.parse(one.stdout).verdict;
  console.log(
    `  diagnose --vm ${target.mac} (${target.host}, ${target.broken}): ${one.s.toFixed(2)} s, peak RSS ${one.mb.toFixed(0)} MB, ${oneVerdict}   [${one.all}]   (targets: <= 5 s, <= 500 MB)`,
  );
  const all = medianRun(['diagnose', dir, '--all-vms', '--json']);
  const d = JSON.parse(all.stdout) as { vms: { host: string; verdict: string }[] };
  const problems = d.vms.filter((v) => v.verdict === 'problem').map((v) => v.host);
  const expected = vms.filter((v) => v.broken).map((v) => v.host);
  const right = JSON.stringify(problems) === JSON.stringify(expected);
  console.log(
    `  diagnose --all-vms: ${all.s.toFixed(2)} s, peak RSS ${all.mb.toFixed(0)} MB (one process, its worker threads included), ${d.vms.length} VMs, exit ${all.rc}, problems ${right ? 'exactly the broken ones' : `WRONG: ${problems.join(' ')} (expected ${expected.join(' ')})`}   [${all.all}]   (target: <= 60 s)`,
  );
  console.log(`  (load average ${load()} at the end)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
