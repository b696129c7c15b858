// The seed case with many generated flows added to each of its two bridges (dom0's xapi3 and
// domu's br-int), in two shapes: bench/neutron-dump.ts's neutron firewall tables, and a
// firewall-heavy shape where every flow has its own source MAC and UDP port (nothing to share).
// The seed's own flows stay first in each dump, so the diagnosis is the seed's.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { neutronDump } from './neutron-dump.ts';

export type Shape = 'neutron' | 'firewall';

const SEED = join(import.meta.dirname, '..', 'examples', 'xenserver-seed');

const hex2 = (n: number): string => (n & 255).toString(16).padStart(2, '0');

/** Flows that share nothing: a distinct source MAC and UDP source port on every line. */
export function firewallDump(nFlows: number, stats: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < nFlows; i++) {
    const ofport = 11 + (i % 500);
    const mac = `fa:16:${hex2(i >> 24)}:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`;
    const tp = 1024 + (i % 64000);
    const reg = `reg5=0x${ofport.toString(16)}`;
    const table = [0, 71, 72, 82][i % 4];
    const head = stats
      ? `cookie=0x9bf3d60450c2ae94, duration=${(i % 900000) / 1000}s, table=${table}, n_packets=${i % 1000}, n_bytes=${(i % 1000) * 98}, idle_age=${i % 65535}, hard_age=65534, `
      : `table=${table}, cookie=0x9bf3d60450c2ae94, `;
    out.push(
      ` ${head}priority=${70 + (i % 5)},udp,${reg},in_port=${ofport},dl_src=${mac},tp_src=${tp},tp_dst=${(i * 7) % 65536} actions=resubmit(,73)`,
    );
  }
  return out;
}

/** Writes the case into `dir` (which must not exist or be empty) and returns its flow files. */
export function writeBigCase(dir: string, shape: Shape, flowsPerBridge: number): string[] {
  cpSync(SEED, dir, { recursive: true });
  const files = [
    join(dir, 'dom0', 'ovs-ofctl_dump-flows_xapi3'),
    join(dir, 'domu', 'ovs-ofctl_dump-flows_br-int'),
  ];
  files.forEach((file, k) => {
    const seed = readFileSync(file, 'utf8');
    const extra =
      shape === 'neutron' ? neutronDump(flowsPerBridge, true, k + 1) : firewallDump(flowsPerBridge, true);
    writeFileSync(file, `${seed}${extra.join('\n')}\n`);
  });
  return files;
}

if (process.argv[1] === import.meta.filename) {
  const [dir, shape = 'neutron', n = '200000'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: big-case.ts DIR [neutron|firewall] [flows per bridge]');
  writeBigCase(dir, shape as Shape, Number(n));
}
