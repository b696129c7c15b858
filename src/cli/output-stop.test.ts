// A stdout that cannot be written any more, in a command that runs something: a watch with its
// canary key in OVSDB and an --exec hook running. It stops as on Ctrl-C (the hook's process group
// ended, the canary key removed) and exits as a command that started nothing does: a full device
// one line and exit 2, a reader gone (`| head -1`) quietly, never of a SIGTERM nobody sent (it exited
// 143; on EPIPE it left the canary key). The real CLI and a real ovsdb-server; every wait is a poll.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, scratchDir, until } from '../testing/cli.ts';
import { TestOvsdbServer } from '../testing/ovsdb-server.ts';

const work = scratchDir('vifpath-test-outstop-');
let s: TestOvsdbServer;
beforeAll(async () => {
  s = await TestOvsdbServer.create(join(work, 'db'));
  await s.vsctl('add-br', 'br-int');
});
afterAll(async () => {
  await s.stop();
});

const alive = (pid: number): boolean => {
  try {
    return !/^Z/.test(execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim());
  } catch {
    return false;
  }
};

/** Pids of the processes whose command line has `mark`. */
const marked = (mark: string): number[] =>
  execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(mark) && !l.includes('ps -eo'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));

const externalIds = (): Promise<string> => s.vsctl('get', 'Open_vSwitch', '.', 'external_ids');

/** A VM port as Neutron plugs it (iface-id, no tag): watch alerts it as stuck after --grace. */
const plug = (name: string): Promise<string> =>
  s.vsctl(
    'add-port',
    'br-int',
    name,
    '--',
    'set',
    'interface',
    name,
    `external_ids:iface-id=id-${name}`,
    'external_ids:attached-mac=fa:16:3e:00:00:01',
  );

function watch(mark: string, stdout: 'pipe' | number): ChildProcess {
  // The stuck alert's hook waits on a child of its own, as a pager script might.
  const hook = `grep -q '"kind":"stuck"' || exit 0; sleep 600 & wait # ${mark}`;
  return spawn(
    'node',
    [
      BIN,
      'watch',
      `dom0=${s.remote}`,
      '--json',
      '--grace',
      '0.1',
      '--poll',
      '0',
      '--canary',
      '0.2',
      '--exec',
      hook,
    ],
    { cwd: work, stdio: ['ignore', stdout, 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
}

async function exited(v: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  await until('vifpath to exit', () => v.exitCode !== null || v.signalCode !== null);
  return { code: v.exitCode, signal: v.signalCode };
}

describe('watch whose stdout fails', () => {
  it('a reader gone (EPIPE): the hook ended, the canary key removed, exit 0, nothing said', async () => {
    const mark = `vifpath-outstop-epipe-${process.pid}`;
    const v = watch(mark, 'pipe');
    let stderr = '';
    v.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    let seen = '';
    v.stdout!.on('data', (b: Buffer) => {
      seen += b.toString();
    });
    try {
      const key = `vifpath-canary-${v.pid}`;
      // Something printed and read, and the key in OVSDB, written by this watch.
      await until('monitor-ok on stdout', () => seen.includes('"kind":"monitor-ok"'));
      let ids = '';
      await until('the canary key', () => ids.includes(key) || void externalIds().then((x) => (ids = x)));
      await plug('vif16.0');
      const [hook] = await until('the hook and its sleep', () => {
        const m = marked(mark);
        return m.length > 0 && m;
      });
      // The reader goes away: the next alert vifpath prints meets EPIPE.
      v.stdout!.destroy();
      await plug('vif17.0');
      const r = await exited(v);
      expect(r).toEqual({ code: 0, signal: null });
      expect(alive(hook!)).toBe(false);
      expect(marked(mark)).toEqual([]);
      expect(await externalIds()).not.toContain(key);
      expect(stderr).not.toContain('cannot write');
    } finally {
      for (const pid of [v.pid!, ...marked(mark)])
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
      await s.vsctl('--if-exists', 'del-port', 'vif16.0');
      await s.vsctl('--if-exists', 'del-port', 'vif17.0');
    }
  });

  it('a full device (ENOSPC): one line, exit 2, the canary key removed', async () => {
    const mark = `vifpath-outstop-enospc-${process.pid}`;
    const full = openSync('/dev/full', 'w');
    const v = watch(mark, full);
    closeSync(full);
    let stderr = '';
    v.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    try {
      // Its first alert (monitor-ok, once the canary came back) is what fails to be written.
      const r = await exited(v);
      expect(r).toEqual({ code: 2, signal: null });
      expect(stderr.split('\n').filter((l) => !l.startsWith('vifpath watch: watching '))).toEqual([
        'vifpath: cannot write the output: no space left on device (ENOSPC)',
        '',
      ]);
      expect(await externalIds()).not.toContain(`vifpath-canary-${v.pid}`);
      expect(marked(mark)).toEqual([]);
    } finally {
      try {
        process.kill(v.pid!, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });
});
