// The lab destroys only what it made: an operator's directory, a case that merely looks like one,
// a corrupt or foreign state.json (a `qdhcp` prefix would match every Neutron DHCP namespace), a
// reused pid, a neighbouring directory (`/tmp/lab` vs `/tmp/lab2`) all survive `down`. A relative
// --dir under a private (0700) folder works, and `up` interrupted tears down what it built.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VifpathError } from '../errors/errors.ts';
import { exec } from '../runner/exec.ts';
import { ROOT } from '../testing/fixtures.ts';
import { down, Lab, leftovers } from './lab.ts';
import { type LabState, LOCK_FILE, readState, STATE_FILE } from './state.ts';

const base = mkdtempSync(join(tmpdir(), 'vifpath-test-own-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<VifpathError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VifpathError);
    return e as VifpathError;
  }
  throw new Error('expected a rejection');
}

/** Every file under `d`, relative. */
function tree(d: string): string[] {
  return readdirSync(d, { recursive: true, encoding: 'utf8' }).sort();
}

function sleeper(...args: string[]): ChildProcess {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1e9)', ...args], { stdio: 'ignore' });
  children.push(c);
  return c;
}

function stateFor(dir: string, over: Partial<LabState> = {}): LabState {
  return {
    version: 2,
    prefix: 'vl0badd0',
    dir,
    createdDir: true,
    files: [STATE_FILE],
    scenario: 'healthy',
    createdAt: new Date().toISOString(),
    namespaces: [],
    processes: [],
    ready: true,
    timings: {},
    renewals: [],
    ...over,
  };
}

describe('down removes nothing it did not record', () => {
  it('up refuses a non-empty directory and leaves it as it was', async () => {
    const d = join(base, 'evidence');
    mkdirSync(join(d, 'dom0'), { recursive: true });
    writeFileSync(join(d, 'notes.txt'), 'my notes');
    const before = tree(d);
    const e = await rejection(Lab.up({ dir: d }));
    expect(e.exit).toBe(2);
    expect(e.message).toMatch(/is not empty/);
    expect(tree(d)).toEqual(before);
  });

  it('down of a directory that looks like a case (dom0/, domu/) but holds no lab removes nothing', async () => {
    const d = join(base, 'case');
    for (const h of ['dom0', 'domu']) mkdirSync(join(d, h), { recursive: true });
    writeFileSync(join(d, 'dom0', 'ovs-vsctl_show'), 'x');
    const before = tree(d);
    const r = await down(d);
    expect(r.removed).toEqual([]);
    expect(r.kept.sort()).toEqual(['dom0', 'domu']);
    expect(tree(d)).toEqual(before);
  });

  it('a corrupt state.json: exit 2, nothing removed, cleanup commands printed', async () => {
    const d = join(base, 'corrupt');
    mkdirSync(join(d, 'dom0'), { recursive: true });
    writeFileSync(join(d, STATE_FILE), '{"version": 2, "prefix": "vl00beef", "namespaces": ["vl00beef-dom0"');
    const before = tree(d);
    const e = await rejection(down(d));
    expect(e.exit).toBe(2);
    expect(e.message).toMatch(
      /not a record this lab can trust \(not JSON.*nothing was removed\. To clean up by hand: /,
    );
    expect(tree(d)).toEqual(before);
    expect(existsSync(join(d, LOCK_FILE))).toBe(false);
  });

  it("a corrupt state.json naming another lab's prefix: its namespaces named for a check, never as commands", async () => {
    const ns = `vl0ff1ce-dom0`;
    await exec(['ip', 'netns', 'add', ns]);
    try {
      const d = join(base, 'corrupt-other');
      mkdirSync(join(d, 'dom0'), { recursive: true });
      writeFileSync(
        join(d, STATE_FILE),
        '{"version": 2, "prefix": "vl0ff1ce", "namespaces": ["vl0ff1ce-dom0"',
      );
      const e = await rejection(down(d));
      expect(e.exit).toBe(2);
      expect(e.message).toContain(
        `these namespaces have it: ${ns}; delete one (ip netns del NAME) only once`,
      );
      expect(e.message).not.toContain(`ip netns del ${ns}`);
      expect(e.message).toMatch(/To clean up by hand: (?!then)/);
      expect((await exec(['ip', 'netns', 'list'])).stdout).toContain(ns);
    } finally {
      await exec(['ip', 'netns', 'del', ns]);
    }
  });

  it('a foreign state.json (prefix qdhcp, a Neutron namespace listed, another dir): nothing removed', async () => {
    const ns = `qdhcp-vifpath-test-${process.pid}`;
    await exec(['ip', 'netns', 'add', ns]);
    try {
      const d = join(base, 'foreign');
      mkdirSync(d, { recursive: true });
      for (const bad of [
        stateFor(d, { prefix: 'qdhcp', namespaces: [ns] }),
        stateFor(d, { namespaces: [ns] }),
        stateFor('/etc', { files: ['passwd'] }),
        stateFor(d, { files: ['../outside'] }),
        { ...stateFor(d), version: 1, pids: { 1: 'init' } },
        [],
      ]) {
        writeFileSync(join(d, STATE_FILE), JSON.stringify(bad));
        const e = await rejection(down(d));
        expect(e.exit).toBe(2);
        expect(e.message).toMatch(/nothing was removed/);
        expect(existsSync(join(d, STATE_FILE))).toBe(true);
      }
      expect((await exec(['ip', 'netns', 'list'])).stdout).toContain(ns);
    } finally {
      await exec(['ip', 'netns', 'del', ns]);
    }
  });

  it('kills a recorded pid only while start time and exact command line match; /tmp/lab is not /tmp/lab2', async () => {
    const d = join(base, 'lab');
    const neighbour = join(base, 'lab2');
    mkdirSync(join(d, 'dom0/run'), { recursive: true });
    // Not ours: a pid whose start time differs from the record (a reused pid) ...
    const reused = sleeper(join(d, 'dom0/conf.db'));
    // ... a daemon of the neighbouring lab, whose pid file was planted in ours ...
    const other = sleeper(join(neighbour, 'dom0/conf.db'));
    // ... and ours, recorded exactly.
    const ours = sleeper('ours');
    await new Promise((r) => setTimeout(r, 200));
    const id = (pid: number) => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return {
        startTime: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]),
        cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '').split('\0'),
      };
    };
    writeFileSync(join(d, 'dom0/run/ovsdb-server.pid'), `${other.pid}\n`);
    const r0 = id(reused.pid!);
    writeFileSync(
      join(d, STATE_FILE),
      JSON.stringify(
        stateFor(d, {
          files: [STATE_FILE, 'dom0'],
          processes: [
            { pid: reused.pid!, startTime: r0.startTime + 1, cmdline: r0.cmdline, what: 'ovsdb-server' },
            { pid: ours.pid!, ...id(ours.pid!), what: 'dnsmasq' },
          ],
        }),
      ),
    );
    const r = await down(d);
    expect(r.removed).toEqual([`process ${ours.pid} (dnsmasq)`, 'dom0', `directory ${d}`]);
    await new Promise((res) =>
      ours.exitCode !== null || ours.signalCode !== null ? res(null) : ours.on('exit', res),
    );
    expect(ours.signalCode).toBe('SIGKILL');
    expect(reused.exitCode ?? reused.signalCode).toBeNull();
    expect(other.exitCode ?? other.signalCode).toBeNull();
    expect(existsSync(d)).toBe(false);
  });

  it('a lock held by a live process stops a second up/down on the same directory', async () => {
    const d = join(base, 'locked');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, STATE_FILE), JSON.stringify(stateFor(d)));
    const holder = sleeper();
    await new Promise((r) => setTimeout(r, 200));
    const stat = readFileSync(`/proc/${holder.pid}/stat`, 'utf8');
    const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: holder.pid, startTime }));
    const e = await rejection(down(d));
    expect(e.message).toMatch(/another `vifpath lab` \(pid \d+\) is working on/);
    expect(existsSync(join(d, STATE_FILE))).toBe(true);
    // A stale lock (its holder gone) is taken over.
    holder.kill('SIGKILL');
    await new Promise((r) => holder.on('exit', r));
    expect((await down(d)).removed).toEqual([`directory ${d}`]);
  });
});

describe('a real lab where an operator would put it', () => {
  it('relative --dir under a private (0700) folder: the VM gets its lease; down keeps the folder and its other files', async () => {
    const priv = mkdtempSync(join(base, 'priv-'));
    chmodSync(priv, 0o700);
    writeFileSync(join(priv, 'keep-me'), 'x');
    const bin = join(ROOT, 'bin/vifpath.mjs');
    const up = spawnSync(process.execPath, [bin, 'lab', 'up', '--dir', 'sub/lab', '--dhcp-timeout', '3'], {
      cwd: priv,
      encoding: 'utf8',
    });
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    expect(up.stdout).toMatch(/VM DHCP at boot: lease 10\.0\.0\.3/);
    const s = readState(join(priv, 'sub/lab'))!;
    expect(s.dir).toBe(join(priv, 'sub/lab'));
    const dn = spawnSync(process.execPath, [bin, 'lab', 'down', '--dir', 'sub/lab'], {
      cwd: priv,
      encoding: 'utf8',
    });
    expect(dn.status).toBe(0);
    expect(await leftovers(join(priv, 'sub/lab'), s.prefix)).toEqual([]);
    // The lab made sub/lab, not sub: sub stays, as does the operator's file.
    expect(tree(priv)).toEqual(['keep-me', 'sub']);
  });

  it('lab up interrupted with SIGINT tears down everything it built, then dies of the signal', async () => {
    const d = join(base, 'interrupted');
    const child = spawn(process.execPath, [join(ROOT, 'bin/vifpath.mjs'), 'lab', 'up', '--dir', d], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (b) => {
      stderr += b;
    });
    let prefix = '';
    for (let i = 0; i < 3000; i++) {
      const s = existsSync(join(d, STATE_FILE)) ? readState(d) : undefined;
      if (s && s.processes.length >= 2) {
        prefix = s.prefix;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(prefix).not.toBe('');
    expect((await leftovers(d, prefix)).length).toBeGreaterThan(0);
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
      child.on('close', (c, s) => r([c, s])),
    );
    expect(signal ?? code).toBe('SIGINT');
    expect(stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(await leftovers(d, prefix)).toEqual([]);
    expect(existsSync(d)).toBe(false);
  });
});
