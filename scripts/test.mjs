// `npm test`: system packages, type-check, lint, then every vitest test. Ends with the plain
// line `N passed, N failed` for the whole suite (type-check and lint count as one test each).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureSystemDeps } from './system-deps.mjs';

ensureSystemDeps();

let passed = 0;
let failed = 0;
function step(name, cmd, args) {
  console.log(`\n== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status === 0) passed++;
  else {
    failed++;
    console.log(`== ${name} FAILED (exit ${r.status ?? r.signal})`);
  }
}

step('type-check', 'npx', ['tsc', '--noEmit']);
step('lint', 'npx', ['biome', 'check', '.']);

mkdirSync('tmp', { recursive: true });
const out = 'tmp/vitest-report.json';
rmSync(out, { force: true });
const extra = process.argv.slice(2);
console.log('\n== tests: vitest run');
const v = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${out}`, ...extra],
  {
    stdio: 'inherit',
  },
);
try {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A file that fails to load has no tests but is a failure.
  for (const f of report.testResults ?? []) {
    if (f.status === 'failed' && (f.assertionResults ?? []).length === 0) failed++;
  }
  if (v.status !== 0 && report.numFailedTests === 0 && failed === 0) failed++;
} catch {
  failed++;
  console.log(`== vitest produced no report (exit ${v.status ?? v.signal})`);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
