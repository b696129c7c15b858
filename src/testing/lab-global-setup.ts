// Vitest global setup: build every boot-time lab scenario once per test run on real OVS, let the VM ask for
// its lease, collect the case, tear the lab down and check nothing is left. The lab, trace and
// diagnose tests all read what this leaves in tmp/lab-cases/ (results.json + one case per scenario).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect } from '../lab/collect.ts';
import { down, Lab, leftovers } from '../lab/lab.ts';
import { BOOT_SCENARIOS } from '../lab/topology.ts';
import { ROOT } from './fixtures.ts';
import type { LabResult } from './lab-cases.ts';

// One directory per vitest run: concurrent runs (two terminals, a helper) never clobber each other.
const LAB_CASES = join(ROOT, 'tmp', `lab-cases-${process.pid}`);

async function one(name: string): Promise<LabResult> {
  const dir = join('/tmp', `vifpath-test-lab-${process.pid}-${name}`);
  const caseDir = join(LAB_CASES, name);
  const r: LabResult = { scenario: name, caseDir, dir, ok: false };
  try {
    const t0 = performance.now();
    const lab = await Lab.up({ dir, scenario: name, dhcpTimeout: 3 });
    r.upMs = Math.round(performance.now() - t0);
    r.renewal = lab.state.renewals.at(-1);
    r.prefix = lab.state.prefix;
    await collect(lab, caseDir);
    r.ok = true;
  } catch (e) {
    r.error = String((e as Error).stack ?? e);
  } finally {
    const t1 = performance.now();
    try {
      await down(dir);
    } catch (e) {
      r.error = `${r.error ?? ''}\ndown: ${String(e)}`;
    }
    r.downMs = Math.round(performance.now() - t1);
    r.leftovers = await leftovers(dir, r.prefix);
  }
  return r;
}

export default async function setup(): Promise<() => void> {
  process.env.VIFPATH_LAB_CASES = LAB_CASES;
  rmSync(LAB_CASES, { recursive: true, force: true });
  mkdirSync(LAB_CASES, { recursive: true });
  const t0 = performance.now();
  // The late-port scenarios (an agent process, a port plugged after boot) are src/lab/agent.test.ts's.
  const results = await Promise.all(BOOT_SCENARIOS.map((s) => one(s.name)));
  writeFileSync(
    join(LAB_CASES, 'results.json'),
    `${JSON.stringify({ totalMs: Math.round(performance.now() - t0), results }, null, 2)}\n`,
  );
  return () => rmSync(LAB_CASES, { recursive: true, force: true });
}
