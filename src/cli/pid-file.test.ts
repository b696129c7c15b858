// Review5 item 1: `echo 1 > init.pid; agent lab:dom0 --pid-file init.pid` overwrote init.pid with
// the agent's pid and removed it at exit (the same with a live `sleep`'s pid). Now a pid file naming
// a live process that is not a vifpath agent is refused (exit 2, naming it) before anything runs,
// and at exit only the file vifpath wrote, still holding its pid, is removed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runVifpath } from '../testing/cli.ts';
import { checkPidFile, PidFile, pidOwner } from './pid-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-pidfile-'));
const kids: ChildProcess[] = [];
afterAll(() => {
  for (const k of kids) k.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const at = (n: string): string => join(dir, n);
/** A pid no process has now: a child that has exited. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(String(r.stdout).trim());
}
const sleeper = (): ChildProcess => {
  const k = spawn('sleep', ['300'], { stdio: 'ignore' });
  kids.push(k);
  return k;
};

describe('pidOwner', () => {
  it('init is another program, a gone pid is dead, a vifpath agent is one', () => {
    expect(pidOwner(1).kind).toBe('other');
    expect(pidOwner(deadPid()).kind).toBe('dead');
    expect(pidOwner(0).kind).toBe('dead');
    // A process whose command line is `node … /x/bin/vifpath.mjs agent lab:dom0`.
    const fake = spawn('node', ['-e', 'setInterval(() => {}, 1000)', BIN, 'agent', 'lab:dom0'], {
      stdio: 'ignore',
    });
    kids.push(fake);
    return new Promise<void>((resolve) => setTimeout(resolve, 300)).then(() => {
      expect(pidOwner(fake.pid!).kind).toBe('agent');
      expect(pidOwner(sleeper().pid!)).toEqual({ kind: 'other', cmd: 'sleep 300' });
    });
  });
});

describe('checkPidFile and PidFile', () => {
  it("refuses a live other program's pid file, keeps a stale one replaceable", () => {
    writeFileSync(at('init.pid'), '1\n');
    expect(() => checkPidFile('--pid-file', at('init.pid'))).toThrow(
      /--pid-file .*init\.pid: holds the pid 1 of a running process that is not a vifpath agent/,
    );
    writeFileSync(at('stale.pid'), `${deadPid()}\n`);
    expect(() => checkPidFile('--pid-file', at('stale.pid'))).not.toThrow();
    expect(() => checkPidFile('--pid-file', at('none.pid'))).not.toThrow();
  });

  it('removes at exit only its own file still holding its pid', () => {
    const p = new PidFile(at('own.pid'), 4242);
    expect(p.remove()).toBe(false); // never written
    p.write();
    expect(readFileSync(at('own.pid'), 'utf8')).toBe('4242\n');
    expect(p.remove()).toBe(true);
    expect(existsSync(at('own.pid'))).toBe(false);
    // Another program took the file over meanwhile: left as it is.
    const q = new PidFile(at('taken.pid'), 4242);
    q.write();
    writeFileSync(at('taken.pid'), '777\n');
    expect(q.remove()).toBe(false);
    expect(readFileSync(at('taken.pid'), 'utf8')).toBe('777\n');
  });
});

describe('agent --pid-file through the CLI (before any lab is needed)', () => {
  const run = (args: string[]) => runVifpath(args, { timeoutMs: 30_000 });
  const lab = ['--lab-dir', at('no-lab')];
  it("init's pid file, a live sleep's: exit 2 naming the file, the file as it was", () => {
    writeFileSync(at('init.pid'), '1\n');
    const r = run(['agent', 'lab:dom0', ...lab, '--pid-file', at('init.pid')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^vifpath: --pid-file .*init\.pid: holds the pid 1 of a running process that is not a vifpath agent \(.+\): vifpath overwrites only a stale pid file or its own; give another file\n$/,
    );
    expect(readFileSync(at('init.pid'), 'utf8')).toBe('1\n');
    const s = sleeper();
    writeFileSync(at('sleep.pid'), `${s.pid}\n`);
    const r2 = run(['agent', 'lab:dom0', ...lab, '--pid-file', at('sleep.pid')]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain(
      `holds the pid ${s.pid} of a running process that is not a vifpath agent (sleep 300)`,
    );
    expect(readFileSync(at('sleep.pid'), 'utf8')).toBe(`${s.pid}\n`);
  });
  it('a stale pid file passes the check (the next error is the missing lab)', () => {
    writeFileSync(at('stale2.pid'), `${deadPid()}\n`);
    const r = run(['agent', 'lab:dom0', ...lab, '--pid-file', at('stale2.pid')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^vifpath: lab:dom0: no lab OVSDB at /);
  });
});
