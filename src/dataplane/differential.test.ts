// Differential test: the simulator against real `ovs-appctl ofproto/trace` on random bridges,
// ports, flows and packets, loaded into a real ovs-vswitchd (dummy datapath, own namespace).
// Final egress ports and VLANs, and the verdict (delivered when any branch outputs, LOCAL
// included, as ofproto/trace judges), must agree on every case the simulator claims to model.
// CI runs a fixed seed; `npm run diff:full` runs more cases over printed seeds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsInstance } from '../lab/ovs-instance.ts';
import { dpPorts, loadCase, parseDatapathActions, snapshotOf } from '../testing/oracle.ts';
import { randomCase, randomPackets } from '../testing/random-case.ts';
import { parsePacketSpec } from './packet.ts';
import { trace } from './trace.ts';
import { nodesOf } from './tree.ts';
import { buildWorld } from './world.ts';

const CASES = Number(process.env.VIFPATH_DIFF_CASES ?? 40);
const PACKETS = Number(process.env.VIFPATH_DIFF_PACKETS ?? 50);
const SEED0 = Number(process.env.VIFPATH_DIFF_SEED ?? 20261129);

let ovs: OvsInstance;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vifpath-diff-'));
  ovs = await OvsInstance.start({ dir, netns: `vpd${process.pid}`, dummy: true });
});
afterAll(async () => {
  await ovs?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('simulator vs real ofproto/trace', () => {
  it(`agrees on egress ports and VLANs for ${CASES * PACKETS} random traces (seed ${SEED0})`, async () => {
    let compared = 0;
    const skipped: Record<string, number> = {};
    const mismatches: string[] = [];
    for (let k = 0; k < CASES; k++) {
      const seed = SEED0 + k;
      const c = randomCase(seed);
      await loadCase(ovs, c);
      const snap = await snapshotOf(
        ovs,
        c.bridges.map((b) => b.name),
      );
      const w = buildWorld(snap);
      const ports = await dpPorts(ovs);
      const packets = randomPackets(seed, c, PACKETS);
      // Real traces, a few at a time (each is an ovs-appctl process).
      const reals: string[] = [];
      for (let i = 0; i < packets.length; i += 6) {
        const batch = packets
          .slice(i, i + 6)
          .map((pk) =>
            ovs.direct(['ovs-appctl', 'ofproto/trace', pk.bridge, `in_port=${pk.inPort},${pk.fields}`]),
          );
        for (const r of await Promise.all(batch)) reals.push(r.stdout);
      }
      for (const [j, pk] of packets.entries()) {
        const real = { stdout: reals[j]! };
        const spec = parsePacketSpec(pk.fields);
        const ours = trace(w, 'h', pk.inPort, spec.packet, { target: null });
        const r = parseDatapathActions(
          real.stdout,
          spec.packet.vlans.map((v) => v.vid),
          ports,
        );
        const why = r.unsupported.length
          ? 'datapath action not compared'
          : ours.unsupported.length
            ? 'simulator: unsupported'
            : nodesOf(ours.tree, 'table').some((n) => n.ambiguous)
              ? 'equal-priority overlap'
              : undefined;
        if (why) {
          skipped[why] = (skipped[why] ?? 0) + 1;
          continue;
        }
        const mine = ours.outputs.map((o) => `${o.port}/${o.vlan ?? '-'}`).sort();
        const realVerdict = r.outputs.length > 0 ? 'delivered' : 'dropped';
        compared++;
        if (JSON.stringify(mine) !== JSON.stringify(r.outputs) || ours.verdict !== realVerdict)
          mismatches.push(
            `seed ${seed} ${pk.bridge} in_port=${pk.inPort},${pk.fields}\n  real: ${realVerdict} ${r.outputs.join(' ')} (${r.raw})\n  ours: ${ours.verdict} ${mine.join(' ')}`,
          );
      }
    }
    console.log(
      `differential: ${compared} traces compared (verdict and output set), skipped ${JSON.stringify(skipped)}, ${mismatches.length} mismatches (seeds ${SEED0}..${SEED0 + CASES - 1})`,
    );
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(Math.floor(CASES * PACKETS * 0.9));
  }, 600_000);
});
