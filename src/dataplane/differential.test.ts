// Differential test: the simulator against real `ovs-appctl ofproto/trace` on random bridges,
// ports, flows and packets, loaded into a real ovs-vswitchd (dummy datapath, own namespace).
// Final egress ports and VLANs must agree on every case the simulator claims to model. The
// generator seed is printed on any mismatch so it can be replayed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsInstance } from '../lab/ovs-instance.ts';
import { dpPorts, loadCase, parseDatapathActions, snapshotOf } from './oracle.ts';
import { parsePacketSpec } from './packet.ts';
import { randomCase, randomPackets } from './random-case.ts';
import { trace } from './trace.ts';
import { buildWorld } from './world.ts';

const CASES = Number(process.env.VIFPATH_DIFF_CASES ?? 40);
const PACKETS = Number(process.env.VIFPATH_DIFF_PACKETS ?? 55);
const SEED0 = Number(process.env.VIFPATH_DIFF_SEED ?? Date.now() % 100000);

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
        const ours = trace(w, 'h', pk.inPort, spec.packet);
        const r = parseDatapathActions(
          real.stdout,
          spec.packet.vlans.map((v) => v.vid),
          ports,
        );
        const why = r.unsupported.length
          ? 'datapath action not compared'
          : ours.unsupported.length
            ? 'simulator: unsupported'
            : ours.hops.some((h) => h.kind === 'table' && h.ambiguous)
              ? 'equal-priority overlap'
              : undefined;
        if (why) {
          skipped[why] = (skipped[why] ?? 0) + 1;
          continue;
        }
        const mine = ours.outputs.map((o) => `${o.port}/${o.vlan ?? '-'}`).sort();
        compared++;
        if (JSON.stringify(mine) !== JSON.stringify(r.outputs))
          mismatches.push(
            `seed ${seed} ${pk.bridge} in_port=${pk.inPort},${pk.fields}\n  real: ${r.outputs.join(' ')} (${r.raw})\n  ours: ${mine.join(' ')}`,
          );
      }
    }
    console.log(
      `differential: ${compared} traces compared, skipped ${JSON.stringify(skipped)}, ${mismatches.length} mismatches (seeds ${SEED0}..${SEED0 + CASES - 1})`,
    );
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(Math.floor(CASES * PACKETS * 0.9));
  }, 600_000);
});
