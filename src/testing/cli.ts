// Running vifpath as an operator does, for tests of the CLI: its own process (exit code, stdout and
// stderr as they are printed), and a scratch folder per test file for what it writes.
import { type ChildProcess, type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { ROOT } from './fixtures.ts';

/** The CLI's entry point. */
export const BIN = join(ROOT, 'bin/vifpath.mjs');

/**
 * `vifpath ARGS` in a child process, without colours (NO_COLOR), its output as text.
 * `timeoutMs`: killed after it (a hang fails the test with the output so far); none by default.
 */
export function runVifpath(
  args: readonly string[],
  opts: { timeoutMs?: number; cwd?: string } = {},
): SpawnSyncReturns<string> {
  return spawnSync('node', [BIN, ...args], {
    encoding: 'utf8',
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    env: { ...process.env, NO_COLOR: '1' },
  });
}

/**
 * `vifpath ARGS` started and left running (a watch, an agent, a server), without colours: its
 * process, and what it has printed so far on stdout and on stderr.
 */
export function startVifpath(
  args: readonly string[],
  opts: { cwd?: string } = {},
): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn('node', [BIN, ...args], {
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  return { child, stdout: () => out, stderr: () => err };
}

/** A new folder under the temporary directory, removed after the tests of the file (or describe) calling it. */
export function scratchDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/**
 * Poll `f` every 50 ms until it gives a value (not undefined or false), at most `ms`: a test waits
 * for a condition (a process started, a file written), never for a fixed delay.
 */
export async function until<T>(what: string, f: () => T | undefined | false, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`still waiting after ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
