// The suite's own leftover check: a vifpath-* folder left in the run's TMPDIR fails the run.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import setup from './leftovers-setup.ts';

it('a vifpath-* folder left in the run TMPDIR fails the run and is removed; a clean run passes', () => {
  const savedCode = process.exitCode;
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const clean = setup();
    clean();
    expect(process.exitCode).toBe(savedCode);
    const teardown = setup();
    const run = tmpdir();
    expect(run).toMatch(/vitest-run-/);
    const leaked = mkdtempSync(join(run, 'vifpath-leak-'));
    mkdtempSync(join(run, 'other-tool-'));
    teardown();
    expect(process.exitCode).toBe(1);
    expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain(
      `the test run left things behind:\n  temporary folder left behind: ${leaked}\n`,
    );
    expect(existsSync(run)).toBe(false);
  } finally {
    process.exitCode = savedCode;
    err.mockRestore();
  }
});
