// bench/diagnose: end to end, one cold process per run, on the seed case plus 200,000 generated
// flows on each of its two bridges (bench/big-case.ts), in two shapes: bench/neutron-dump.ts's
// neutron tables, and a firewall-heavy shape where every flow has its own source MAC and UDP port.
// Wall time and peak RSS of `vifpath diagnose` (and of `vifpath snapshot --json`, streamed to
// /dev/null), against the replica approach of ovs-dbg's ovs-offline measured in the same run:
// start a dummy-datapath ovs-vswitchd, `ovs-ofctl add-flows` the same flows of one bridge, one
// `ofproto/trace`. Medians of BENCH_RUNS (3) runs each. Needs root (the replica's namespace).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OvsInstance } from '../src/lab/ovs-instance.ts';
import { type Shape, writeBigCase } from './big-case.ts';

const FLOWS = Number(process.env.BENCH_FLOWS ?? 200_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SHAPES = (process.env.BENCH_SHAPES ?? 'neutron,firewall').split(',') as Shape[];
const BIN = join(import.meta.dirname, '..', 'bin', 'vifpath.mjs');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall seconds and peak RSS (MB) of one cold `vifpath ...` process, output to /dev/null. */
function run(args: string[]): { s: number; mb: number; rc: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, BIN, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
  });
  const m = /(\d+(?:\.\d+)?) (\d+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${r.stderr.slice(-500)}`);
  return { s: Number(m[1]), mb: Number(m[2]) / 1024, rc: r.status ?? -1 };
}

function medianRun(args: string[]): { s: number; mb: number; rc: number; all: string } {
  const rs = Array.from({ length: RUNS }, () => run(args));
  return {
    s: median(rs.map((r) => r.s)),
    mb: median(rs.map((r) => r.mb)),
    rc: rs[0]!.rc,
    all: rs.map((r) => `${r.s.toFixed(1)} s/${r.mb.toFixed(0)} MB`).join(', '),
  };
}

/** The flows of a dump as `ovs-ofctl add-flows` takes them: no statistics, no header. */
function addFlowsText(dump: string): string {
  return `${dump
    .split('\n')
    .filter((l) => l.includes('actions='))
    .map((l) => l.trim().replace(/(?:duration|n_packets|n_bytes|idle_age|hard_age)=[^,]*, /g, ''))
    .join('\n')}\n`;
}

/** The replica: a fresh dummy-datapath ovs-vswitchd, add-flows of one bridge, one ofproto/trace. */
async function replica(
  flowFile: string,
  dir: string,
): Promise<{ start: number; load: number; trace: number }> {
  const t0 = performance.now();
  const ovs = await OvsInstance.start({ dir, dummy: true, netns: `vpd${process.pid}` });
  try {
    const args = OvsInstance.addBridgeArgs('br-int', 'fail_mode=secure');
    for (let i = 1; i <= 3; i++)
      args.push(
        '--',
        'add-port',
        'br-int',
        `p${i}`,
        '--',
        'set',
        'interface',
        `p${i}`,
        `ofport_request=${i}`,
      );
    await ovs.vsctl(...args);
    const t1 = performance.now();
    await ovs.ofctl('add-flows', 'br-int', flowFile);
    const t2 = performance.now();
    const r = await ovs.direct([
      'ovs-appctl',
      'ofproto/trace',
      'br-int',
      'in_port=2,udp,dl_src=fa:16:3e:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=0.0.0.0,nw_dst=255.255.255.255,udp_src=68,udp_dst=67',
    ]);
    if (!r.stdout.includes('Datapath actions')) throw new Error(`ofproto/trace failed: ${r.stderr}`);
    const t3 = performance.now();
    return { start: (t1 - t0) / 1000, load: (t2 - t1) / 1000, trace: (t3 - t2) / 1000 };
  } finally {
    await ovs.stop();
  }
}

const load = (): string => {
  const l = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return `load average ${l[0]} ${l[1]} ${l[2]}`;
};

// The first run after a source change bundles src/ (bin/vifpath.mjs): not part of any timing.
run(['diagnose', join(import.meta.dirname, '..', 'examples', 'xenserver-seed')]);
const startup = medianRun(['diagnose', join(import.meta.dirname, '..', 'examples', 'xenserver-seed')]);

console.log(
  `diagnose, the seed case + ${FLOWS.toLocaleString('en')} generated flows on each of its 2 bridges, one cold process per run, median of ${RUNS} (node ${process.version}; ${load()})`,
);
for (const shape of SHAPES) {
  const dir = mkdtempSync(join(tmpdir(), `vifpath-bench-diagnose-${shape}-`));
  try {
    const caseDir = join(dir, 'case');
    const [, brInt] = writeBigCase(caseDir, shape, FLOWS);
    const flowFile = join(dir, 'add-flows');
    writeFileSync(flowFile, addFlowsText(readFileSync(brInt!, 'utf8')));
    const d = medianRun(['diagnose', caseDir]);
    if (d.rc !== 1) throw new Error(`diagnose exited ${d.rc}, expected 1 (the seed's problem)`);
    const j = medianRun(['snapshot', caseDir, '--json']);
    const reps: { start: number; load: number; trace: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const rd = join(dir, `ovs${i}`);
      reps.push(await replica(flowFile, rd));
      rmSync(rd, { recursive: true, force: true });
    }
    const rLoad = median(reps.map((r) => r.load));
    const rAll = median(reps.map((r) => r.start + r.load + r.trace));
    const perFlow = (d.mb * 1024 * 1024) / (2 * FLOWS);
    console.log(`${shape} shape:`);
    console.log(
      `  vifpath diagnose of the seed alone (start-up and the case): ${startup.s.toFixed(2)} s, peak RSS ${startup.mb.toFixed(0)} MB`,
    );
    console.log(
      `  vifpath diagnose        : ${d.s.toFixed(2)} s, peak RSS ${d.mb.toFixed(0)} MB (${perFlow.toFixed(0)} bytes per flow)   [${d.all}]`,
    );
    console.log(
      `  vifpath snapshot --json : ${j.s.toFixed(2)} s, peak RSS ${j.mb.toFixed(0)} MB (streamed to /dev/null)   [${j.all}]`,
    );
    console.log(
      `  replica (ovs-vswitchd, dummy datapath): add-flows of one bridge ${rLoad.toFixed(2)} s; start + load + one ofproto/trace ${rAll.toFixed(2)} s`,
    );
    console.log(
      `  ratio replica load of one bridge / vifpath diagnose of both: ${(rLoad / d.s).toFixed(1)}x   (targets: >= 7x and <= 400 MB)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`(${load()} at the end)`);
