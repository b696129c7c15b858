// `npm run diff:full`: the differential test (simulator vs real ofproto/trace) on ≥ 10,000 random
// traces: 205 cases × 50 packets from a fresh seed, printed so any mismatch can be replayed with
// VIFPATH_DIFF_SEED=<seed> npm run diff:full.
import { spawnSync } from 'node:child_process';

const seed = process.env.VIFPATH_DIFF_SEED ?? String(Date.now() % 1_000_000);
console.log(
  `diff:full: seed ${seed}, 205 cases x 50 packets (≥ 10,000 compared after the few whose datapath actions are not compared)`,
);
const r = spawnSync('npx', ['vitest', 'run', 'src/dataplane/differential.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, VIFPATH_DIFF_SEED: seed, VIFPATH_DIFF_CASES: '205', VIFPATH_DIFF_PACKETS: '50' },
});
process.exit(r.status ?? 1);
