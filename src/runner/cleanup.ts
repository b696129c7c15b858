// What this process made and must not leave behind: temporary directories, folders it made for the
// user that are not complete yet (made paths), child processes (each in its own process group) and
// teardown hooks that run before the process dies of a signal (a half-built lab). On a signal: the
// children's process groups are ended (SIGTERM, then SIGKILL) and reaped, hooks run, whatever the
// main flow started meanwhile is ended too, temp dirs and unkept made paths go, then the signal is
// raised again so the exit status still says what ended the process (130, 143). A stdout that can
// no longer be written, or a lab a watch or agent works on taken down (stopAndExit), stops the
// process the same way, then exits with the code given: not of a signal nobody sent. At exit (also
// after an error) the same, without waiting: SIGKILL to every group still running.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs = new Set<string>();
const made = new Set<string>();
const hooks = new Set<() => Promise<void> | void>();
const children = new Set<ChildProcess>();
// Process groups a worker thread of this process started (their leaders' pids, as the worker said):
// signals come to the main thread only, which ends them with its own children.
const groups = new Set<number>();
// In a worker thread: told of each child it starts and ends (see reportChildren).
let childListener: ((pid: number, running: boolean) => void) | undefined;
// Where tempDir makes its folders when no base is given (setTempBase).
let tempBase: string | undefined;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;
// Why the process is ending: a signal's name, or what stopped it without one (stopAndExit).
let ending: string | undefined;

function removeAll(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
  for (const p of made) rmSync(p, { recursive: true, force: true });
  made.clear();
}

/** Signal a child's whole process group (it leads one: spawned detached); gone already is fine. */
export function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      // gone
    }
  }
}

/** Signal the process group led by `pid`; false once it is gone. */
function signalGroup(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Wait until no group of `pids` has a process left, at most `ms` (they are not ours to reap). */
async function groupsGone(pids: readonly number[], ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (pids.some((p) => signalGroup(p, 0)) && Date.now() < until)
    await new Promise((r) => setTimeout(r, 20));
}

/** Wait until every child in `cs` has exited (been reaped), at most `ms`. */
function exited(cs: readonly ChildProcess[], ms: number): Promise<void> {
  const running = cs.filter((c) => c.exitCode === null && c.signalCode === null);
  if (running.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = running.length;
    const timer = setTimeout(resolve, ms);
    for (const c of running)
      c.once('exit', () => {
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
  });
}

/** End the children running now: SIGTERM to their groups, SIGKILL to what is left. */
async function endChildren(): Promise<void> {
  const cs = [...children];
  const gs = [...groups];
  if (cs.length === 0 && gs.length === 0) return;
  for (const c of cs) killGroup(c, 'SIGTERM');
  for (const g of gs) signalGroup(g, 'SIGTERM');
  await Promise.all([exited(cs, 3000), groupsGone(gs, 3000)]);
  for (const c of cs) killGroup(c, 'SIGKILL');
  for (const g of gs) signalGroup(g, 'SIGKILL');
  await Promise.all([exited(cs, 3000), groupsGone(gs, 3000)]);
}

function killAllNow(): void {
  for (const c of children) killGroup(c, 'SIGKILL');
  children.clear();
  for (const g of groups) signalGroup(g, 'SIGKILL');
  groups.clear();
}

/** Stop: end what runs, run the hooks, remove what was made, then `finish` ends the process. */
async function stop(why: string, finish: () => void): Promise<void> {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  ending = why;
  // Nothing else may hold the event loop while this runs: the process must end by `finish`, not
  // quietly with the main flow's exit code once its children are gone.
  const hold = setInterval(() => undefined, 1000);
  // First what runs now (a tcpdump in a namespace would keep the namespace a hook deletes).
  await endChildren();
  for (const h of [...hooks]) {
    try {
      await h();
    } catch (e) {
      process.stderr.write(`vifpath: cleanup after ${why}: ${(e as Error).message}\n`);
    }
  }
  // What the main flow started while the hooks ran.
  await endChildren();
  killAllNow();
  removeAll();
  clearInterval(hold);
  finish();
}

function onSignal(sig: NodeJS.Signals): Promise<void> {
  return stop(sig, () => process.kill(process.pid, sig));
}

/**
 * Stop as on a signal (end what runs, run the hooks: a watch's canary key, a half-built lab, an
 * agent's pid file), then exit with `code`: stdout that cannot be written any more (a reader gone, a
 * full disk), or what a long-running command watches gone (a lab taken down). Not of a signal nobody
 * sent. False when this process has nothing of ours to stop (no child, temp dir or hook was ever
 * registered): the caller decides.
 */
export function stopAndExit(code: number, why: string): boolean {
  if (!installed) return false;
  if (ending === undefined) void stop(why, () => process.exit(code));
  return true;
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    killAllNow();
    removeAll();
  });
  for (const s of SIGNALS) process.on(s, onSignal);
}

/**
 * Why this process is ending (a signal's name, or `stdout failed` …), once it is: long work stops
 * starting new commands.
 */
export function interrupted(): string | undefined {
  return ending;
}

/**
 * Spawn a command in its own process group (`detached`), tracked as trackChild does. The signal
 * handlers are installed before the child exists: a signal that comes once the child runs but before
 * spawn has returned to us (someone who saw it in `ps`) would otherwise end this process with no
 * handler and leave the child running.
 */
export function spawnTracked(
  argv: readonly string[],
  opts: Omit<SpawnOptions, 'detached'> = {},
): ChildProcess {
  install();
  const child = spawn(argv[0]!, argv.slice(1), { ...opts, detached: true });
  trackChild(child);
  return child;
}

/**
 * A child process spawned with `detached: true` (its own process group: a `timeout`, `sudo` or
 * `tar` and what it starts): its group is ended when this process ends, however it ends, unless it
 * exited before.
 */
function trackChild(child: ChildProcess): void {
  install();
  const pid = child.pid;
  if (pid === undefined) return;
  children.add(child);
  childListener?.(pid, true);
  child.once('exit', () => {
    children.delete(child);
    childListener?.(pid, false);
  });
}

/**
 * In a worker thread, which no signal reaches: tell `listener` of every child (process group) it
 * starts and of its end, for the main thread to record with trackGroup.
 */
export function reportChildren(listener: (pid: number, running: boolean) => void): void {
  childListener = listener;
}

/**
 * Record (running) or forget the process group a worker thread started: ended, as this process's
 * own children are, however this process ends.
 */
export function trackGroup(pid: number, running: boolean): void {
  install();
  if (running) groups.add(pid);
  else groups.delete(pid);
}

/**
 * Make tempDir's folders under `dir` (a worker thread's, under a folder its main thread made and
 * recorded: removed with it if the process ends by a signal, which the worker never sees).
 */
export function setTempBase(dir: string): void {
  tempBase = dir;
}

/**
 * A new directory under the system's temporary folder (or `base`), removed when the process ends
 * however it ends.
 */
export function tempDir(prefix: string, base: string = tempBase ?? tmpdir()): string {
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

/**
 * A path this process made for the user (collect's case folder, a host folder in it) that is not
 * complete yet: removed if the process ends (a signal, an error) before `keep()`; `remove()` removes
 * it now. Record it right after making it.
 */
export function madePath(path: string): { keep(): void; remove(): void } {
  install();
  made.add(path);
  return {
    keep: () => {
      made.delete(path);
    },
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      made.delete(path);
    },
  };
}

/** Run `fn` if a signal ends the process before the returned function is called. */
export function onInterrupt(fn: () => Promise<void> | void): () => void {
  install();
  hooks.add(fn);
  return () => {
    hooks.delete(fn);
  };
}

/**
 * A long-running command (watch, agent, serve) runs until a signal (or a stdout gone): then `undo`
 * closes what it opened, as one of the stop's hooks, and the process ends as every command does
 * (dies of the signal: 130, 143). A listener of its own on SIGINT/SIGTERM would end it with exit 0
 * while nothing else was registered, and of the signal once a child had been spawned.
 */
export function runUntilStopped(undo: () => Promise<void> | void): Promise<never> {
  onInterrupt(undo);
  return new Promise<never>(() => {});
}

/** Temporary directories this process still holds (for tests). */
export function liveTempDirs(): string[] {
  return [...dirs];
}
