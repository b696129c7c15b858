// A signal sent to the vifpath process alone (kill PID, a supervisor), not to its process group:
// what vifpath started is ended and reaped, what it made and did not finish is removed, and it still
// dies of the signal (exit 130 / 143). The real CLI, real tcpdump, ssh and tar; every wait is a poll
// for a condition with a generous bound, never a fixed delay.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../testing/fixtures.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const work = mkdtempSync(join(tmpdir(), 'sigtest-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  args: string;
}

/** Every process on the machine (ps), with its parent, group and command line. */
function processes(): Proc[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,pgid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), args: m[4]! }));
}

async function until<T>(what: string, f: () => T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`still waiting after ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function vifpath(args: string[]): {
  child: ChildProcess;
  ended: Promise<{ code: number | null; signal: string | null; stderr: string }>;
} {
  // detached: its own process group, so the signal reaches vifpath alone (as `kill PID` does).
  const child = spawn('node', [BIN, ...args], {
    cwd: work,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  child.stdout!.resume();
  const ended = new Promise<{ code: number | null; signal: string | null; stderr: string }>((r) =>
    child.on('close', (code, signal) => r({ code, signal, stderr })),
  );
  return { child, ended };
}

/** Processes descended from `pid` (children, their children, …). */
function descendants(pid: number): Proc[] {
  const all = processes();
  const out: Proc[] = [];
  let front = [pid];
  while (front.length > 0) {
    const next = all.filter((p) => front.includes(p.ppid));
    out.push(...next);
    front = next.map((p) => p.pid);
  }
  return out;
}

const alive = (pid: number): boolean => {
  const p = processes().find((x) => x.pid === pid);
  return p !== undefined && !p.args.includes('<defunct>');
};

describe.each(['SIGINT', 'SIGTERM'] as const)('%s to vifpath alone', (sig) => {
  const status = sig === 'SIGINT' ? 'SIGINT' : 'SIGTERM';

  it('capture live: every tcpdump it started is gone when it has exited', async () => {
    const out = join(work, `cap-${sig}`);
    const v = vifpath(['capture', 'live', '--point', 'local:lo', '--seconds', '600', '-o', out]);
    const tcpdump = await until('tcpdump to start', () =>
      descendants(v.child.pid!).find((p) => p.args.startsWith('tcpdump ')),
    );
    // Its own process group, not vifpath's: the terminal's Ctrl-C is not what ends it.
    expect(tcpdump.pgid).toBe(tcpdump.pid);
    process.kill(v.child.pid!, sig);
    const r = await v.ended;
    expect(r.signal).toBe(status);
    expect(alive(tcpdump.pid)).toBe(false);
    expect(processes().filter((p) => p.args.includes(out))).toEqual([]);
  });
});
