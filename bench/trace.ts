// bench/trace: traces per second on a 10,000-flow neutron-style br-int, in-process, against
// `ovs-appctl ofproto/trace` on the same table loaded into a real ovs-vswitchd, same run.
// Run with a larger young generation (npm run bench:trace passes --max-semi-space-size=32): with
// V8's default sizing the same code measured anywhere from 48k to 213k traces/s between runs.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePacketSpec } from '../src/dataplane/packet.ts';
import { trace } from '../src/dataplane/trace.ts';
import { nodesOf } from '../src/dataplane/tree.ts';
import { buildWorld } from '../src/dataplane/world.ts';
import { OvsInstance } from '../src/lab/ovs-instance.ts';
import { snapshotOf } from '../src/testing/oracle.ts';
import { neutronDump } from './neutron-dump.ts';

const FLOWS = Number(process.env.BENCH_FLOWS ?? 10_200);
const PORTS = 50;
const OURS = Number(process.env.BENCH_TRACES ?? 100_000);
const PEER = Number(process.env.BENCH_PEER_TRACES ?? 200);

const dir = mkdtempSync(join(tmpdir(), 'vifpath-bench-trace-'));
const ovs = await OvsInstance.start({ dir, dummy: true, netns: `vpb${process.pid}` });
try {
  const args = OvsInstance.addBridgeArgs('br-int', 'fail_mode=secure');
  args.push(
    '--',
    'add-port',
    'br-int',
    'int-br-eth1',
    '--',
    'set',
    'interface',
    'int-br-eth1',
    'ofport_request=1',
  );
  for (let i = 1; i <= PORTS; i++)
    args.push(
      '--',
      'add-port',
      'br-int',
      `tap${i}`,
      `tag=${(i % 4000) + 1}`,
      '--',
      'set',
      'interface',
      `tap${i}`,
      `ofport_request=${i + 10}`,
    );
  await ovs.vsctl(...args);
  const file = join(dir, 'flows');
  // The per-port firewall rules plus the pipeline's defaults, so a DHCP DISCOVER walks tables
  // 0 → 60 → 71 → 73 → 94 and ends in NORMAL, as on a real integration bridge.
  const defaults = [
    'table=0,priority=0,actions=resubmit(,60)',
    'table=60,priority=3,actions=NORMAL',
    'table=73,priority=0,actions=resubmit(,94)',
    'table=94,priority=1,actions=NORMAL',
  ];
  writeFileSync(file, `${[...neutronDump(FLOWS, false).map((l) => l.trim()), ...defaults].join('\n')}\n`);
  await ovs.ofctl('add-flows', 'br-int', file);
  const snap = await snapshotOf(ovs, ['br-int']);
  const n = snap.hosts[0]!.bridges[0]!.flows;
  const loaded = n.known ? n.value.entries.length : 0;
  // Tables are compiled when a trace first looks into them: time the world and one trace.
  const t0 = performance.now();
  const w = buildWorld(snap);
  const packets = Array.from({ length: 256 }, (_, i) => {
    const port = 1 + (i % PORTS);
    const mac = `fa:16:3e:00:${(port >> 8).toString(16).padStart(2, '0')}:${(port & 255).toString(16).padStart(2, '0')}`;
    return {
      port: `tap${port}`,
      spec: `udp,dl_src=${mac},dl_dst=ff:ff:ff:ff:ff:ff,nw_src=0.0.0.0,nw_dst=255.255.255.255,udp_src=68,udp_dst=67`,
    };
  });
  const parsed = packets.map((p) => ({ port: p.port, packet: parsePacketSpec(p.spec).packet }));
  const sample = trace(w, 'h', parsed[0]!.port, parsed[0]!.packet);
  const compileMs = performance.now() - t0;
  const tables = nodesOf(sample.tree, 'table').length;
  for (let i = 0; i < 2000; i++) trace(w, 'h', parsed[i % 256]!.port, parsed[i % 256]!.packet);
  // Median of three rounds: one round is short enough for a garbage collection to skew it.
  const rounds: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t1 = performance.now();
    for (let i = 0; i < OURS; i++) trace(w, 'h', parsed[i % 256]!.port, parsed[i % 256]!.packet);
    rounds.push(OURS / ((performance.now() - t1) / 1000));
  }
  const ours = rounds.sort((a, b) => a - b)[1]!;
  const t2 = performance.now();
  for (let i = 0; i < PEER; i++) {
    const p = packets[i % 256]!;
    const r = await ovs.direct(['ovs-appctl', 'ofproto/trace', 'br-int', `in_port=${p.port},${p.spec}`]);
    if (!r.stdout.includes('Datapath actions')) throw new Error(`ofproto/trace failed: ${r.stderr}`);
  }
  const peer = PEER / ((performance.now() - t2) / 1000);
  console.log(
    `trace, neutron-style br-int with ${loaded} flows loaded from a real dump (node ${process.version})`,
  );
  console.log(
    `  world built and the visited tables compiled by the first trace in ${compileMs.toFixed(0)} ms; each DISCOVER visits ${tables} tables and ends with ${sample.outputs.length} outputs (${sample.verdict})`,
  );
  console.log(
    `  vifpath in-process        : ${Math.round(ours).toLocaleString('en')} traces/s (median of 3 rounds of ${OURS} DHCP DISCOVERs from ${PORTS} ports)`,
  );
  console.log(
    `  ovs-appctl ofproto/trace  : ${peer.toFixed(1)} traces/s (${PEER} calls, same table, real ovs-vswitchd)`,
  );
  console.log(
    `  ratio                     : ${(ours / peer).toFixed(0)}x   (targets: >= 100,000 traces/s and >= 500x)`,
  );
} finally {
  await ovs.stop();
  rmSync(dir, { recursive: true, force: true });
}
