// `npm run diff:full`: the differential test (simulator vs real ofproto/trace) on ≥ 10,000 random
// traces: 200 cases × 50 packets from a fresh seed, printed so any mismatch can be replayed with
// VIFPATH_DIFF_SEED=<seed> npm run diff:full.
import { spawnSync } from 'node:child_process';

const seed = process.env.VIFPATH_DIFF_SEED ?? String(Date.now() % 1_000_000);
console.log(`diff:full: seed ${seed}, 200 cases x 50 packets`);
const r = spawnSync('npx', ['vitest', 'run', 'src/dataplane/differential.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, VIFPATH_DIFF_SEED: seed, VIFPATH_DIFF_CASES: '200', VIFPATH_DIFF_PACKETS: '50' },
});
process.exit(r.status ?? 1);
