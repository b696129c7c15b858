// Where the global setup leaves the cases it collected from real labs, and how tests read them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Renewal } from '../lab/state.ts';
import { ROOT } from './fixtures.ts';

/** Per run (the global setup names it in the environment the test workers inherit), so two runs never share it. */
export const LAB_CASES = process.env.VIFPATH_LAB_CASES ?? join(ROOT, 'tmp/lab-cases');

export interface LabResult {
  scenario: string;
  caseDir: string;
  dir: string;
  ok: boolean;
  prefix?: string;
  upMs?: number;
  downMs?: number;
  renewal?: Renewal;
  leftovers?: string[];
  error?: string;
}

/** Results of this run's global lab setup; throws (never skips) when it did not run. */
export function labResults(): { totalMs: number; results: LabResult[] } {
  const p = join(LAB_CASES, 'results.json');
  if (!existsSync(p))
    throw new Error(`${p} is missing: the lab global setup did not run (run the suite with \`npm test\`)`);
  return JSON.parse(readFileSync(p, 'utf8'));
}

export function labResult(scenario: string): LabResult {
  const r = labResults().results.find((x) => x.scenario === scenario);
  if (!r) throw new Error(`no lab result for scenario ${scenario}`);
  return r;
}
