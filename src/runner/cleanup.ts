// What this process made and must not leave behind: temporary directories (removed on exit, on
// error and on SIGINT/SIGTERM/SIGHUP) and teardown hooks that run before the process dies of a
// signal (a half-built lab). On a signal, hooks run, temp dirs go, then the signal is raised again
// so the exit status still says what ended the process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs = new Set<string>();
const hooks = new Set<() => Promise<void> | void>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function removeAll(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

async function onSignal(sig: NodeJS.Signals): Promise<void> {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  for (const h of [...hooks]) {
    try {
      await h();
    } catch (e) {
      process.stderr.write(`vifpath: cleanup after ${sig}: ${(e as Error).message}\n`);
    }
  }
  removeAll();
  process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', removeAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

/**
 * A new directory under the system's temporary folder (or `base`), removed when the process ends
 * however it ends.
 */
export function tempDir(prefix: string, base: string = tmpdir()): string {
  install();
  const d = mkdtempSync(join(base, prefix));
  dirs.add(d);
  return d;
}

/** Remove a directory made by tempDir now. */
export function removeTempDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}

/** Run `fn` if a signal ends the process before the returned function is called. */
export function onInterrupt(fn: () => Promise<void> | void): () => void {
  install();
  hooks.add(fn);
  return () => {
    hooks.delete(fn);
  };
}

/** Temporary directories this process still holds (for tests). */
export function liveTempDirs(): string[] {
  return [...dirs];
}
