// A watch and an agent someone started on a lab (`vifpath watch lab:dom0`, `vifpath agent lab:dom0`)
// are not the lab's: `lab down` does not stop them. They ran on after it, retrying an OVSDB that
// would never come back. Now each notices its lab is gone (its record removed) and exits 2 with one
// line, closing what it opened (the agent's pid file); while the lab is there, its OVSDB going down
// is reported as ever and they keep running. A real lab (root, OVS); every wait is a poll.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVifpath, scratchDir, startVifpath, until } from '../testing/cli.ts';

const work = scratchDir('vifpath-test-labgone-');
const dir = join(work, 'lab');
afterAll(() => {
  runVifpath(['lab', 'down', '--dir', dir], { timeoutMs: 60_000 });
});

function start(args: string[]): { child: ChildProcess; said: () => string; out: () => string } {
  const v = startVifpath(args, { cwd: work });
  return { child: v.child, said: v.stderr, out: v.stdout };
}

const ended = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

describe('watch and agent on a lab taken down', () => {
  it('report its OVSDB down while the lab is there; once `lab down` ran: one line, exit 2', async () => {
    const up = runVifpath(['lab', 'up', '--dir', dir], { timeoutMs: 120_000 });
    expect(up.status, up.stderr).toBe(0);
    const prefix = (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { prefix: string }).prefix;
    const pidFile = join(work, 'agent.pid');
    const w = start(['watch', 'lab:dom0', '--lab-dir', dir, '--poll', '1']);
    const a = start(['agent', 'lab:dom0', '--lab-dir', dir, '--poll', '1', '--pid-file', pidFile]);
    try {
      await until('watch to run', () => w.said().includes('vifpath watch: watching dom0'));
      await until('the agent to run', () => a.out().includes(' agent: started on '));
      expect(existsSync(pidFile)).toBe(true);

      // The lab's dom0 OVSDB dies, the lab is still there: reported as designed, both run on.
      const db = Number(readFileSync(join(dir, 'dom0', 'run', 'ovsdb-server.pid'), 'utf8').trim());
      process.kill(db, 'SIGKILL');
      await until('watch to report the monitor down', () => w.out().includes('MONITOR-DOWN dom0'));
      await until('the agent to report its monitor down', () => a.out().includes('agent: monitor down'));
      expect(ended(w.child)).toBe(false);
      expect(ended(a.child)).toBe(false);

      const down = runVifpath(['lab', 'down', '--dir', dir], { timeoutMs: 60_000 });
      expect(down.status, down.stderr).toBe(0);
      await until('watch to exit', () => ended(w.child));
      await until('the agent to exit', () => ended(a.child));
      const line = `lab:dom0: the lab ${prefix} in ${dir} is gone (taken down); stopped\n`;
      expect({ code: w.child.exitCode, last: w.said().split('\n').at(-2) }).toEqual({
        code: 2,
        last: `vifpath watch: ${line.trimEnd()}`,
      });
      expect({ code: a.child.exitCode, said: a.said() }).toEqual({ code: 2, said: `vifpath agent: ${line}` });
      expect(existsSync(pidFile)).toBe(false);
    } finally {
      for (const c of [w.child, a.child])
        try {
          c.kill('SIGKILL');
        } catch {
          // gone, as it should be
        }
    }
  });
});
