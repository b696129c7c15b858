// A signal sent to the vifpath process alone (kill PID, a supervisor), not to its process group:
// what vifpath started is ended and reaped, what it made and did not finish is removed, and it still
// dies of the signal (exit 130 / 143). The real CLI, real tcpdump, ssh and tar; every wait is a poll
// for a condition with a generous bound, never a fixed delay.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../testing/cli.ts';
import { ROOT } from '../testing/fixtures.ts';
import { writeFleet } from '../testing/fleet-case.ts';
import { TestOvsdbServer } from '../testing/ovsdb-server.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const work = mkdtempSync(join(tmpdir(), 'sigtest-'));
// An "ssh server" that accepts and never says a word: ssh waits for its banner.
const held: Socket[] = [];
let mute: Server;
let port = 0;
beforeAll(async () => {
  mute = createServer((s) => void held.push(s));
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  port = (mute.address() as { port: number }).port;
});
afterAll(() => {
  for (const s of held) s.destroy();
  mute.close();
  rmSync(work, { recursive: true, force: true });
});

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

function vifpath(args: string[]): {
  child: ChildProcess;
  stderr: () => string;
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
  return { child, stderr: () => stderr, ended };
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

describe.each(['SIGINT', 'SIGTERM'] as const)('%s to vifpath alone while an --exec hook runs', (sig) => {
  // watch's cheapest trigger: a VM port (Neutron's iface-id, no tag) on a real ovsdb-server is
  // alerted as stuck after --grace, and the alert runs the hook.
  it('watch --exec: the hook and what it started are gone when it has exited', async () => {
    const s = await TestOvsdbServer.create(join(work, `db-${sig}`));
    const left: number[] = [];
    try {
      await s.vsctl('add-br', 'br-int');
      await s.vsctl(
        'add-port',
        'br-int',
        'vif16.0',
        '--',
        'set',
        'interface',
        'vif16.0',
        'external_ids:iface-id=3f1c9a2e',
        'external_ids:attached-mac=fa:16:3e:00:00:01',
        'external_ids:vm-uuid=vm-1',
      );
      // The stuck alert's hook waits on a child of its own (what a pager script starts); the
      // others (monitor-ok) end at once. The comment tells this run's hook from any other's.
      const mark = `vifpath-hook-test-${process.pid}-${sig}`;
      const hook = `grep -q '"kind":"stuck"' || exit 0; sleep 600 & wait # ${mark}`;
      const v = vifpath(['watch', `dom0=${s.remote}`, '--grace', '0.1', '--poll', '0', '--exec', hook]);
      left.push(v.child.pid!);
      const [sh, sleep] = await until('the hook and its sleep', () => {
        const d = descendants(v.child.pid!);
        const h = d.find(
          (p) => p.args.includes(mark) && d.some((z) => z.ppid === p.pid && z.args === 'sleep 600'),
        );
        const z = h && d.find((p) => p.ppid === h.pid && p.args === 'sleep 600');
        return h && z ? [h, z] : undefined;
      });
      left.push(sh.pid, sleep.pid);
      process.kill(v.child.pid!, sig);
      // Its exit, not the close of its pipes: a hook left running holds them (it inherits stderr).
      await until('vifpath to exit', () => v.child.exitCode !== null || v.child.signalCode !== null);
      expect(v.child.signalCode).toBe(sig);
      expect(alive(sh.pid)).toBe(false);
      expect(alive(sleep.pid)).toBe(false);
    } finally {
      for (const pid of left)
        for (const target of [-pid, pid])
          try {
            process.kill(target, 'SIGKILL');
          } catch {
            // gone, as it should be
          }
      await s.stop();
    }
  });
});

describe.each(['SIGINT', 'SIGTERM'] as const)('%s as the command starts', (sig) => {
  // A command that signals its parent at once: the signal can come before spawn has returned to
  // vifpath (a test that saw tcpdump in `ps` did that). The handlers are in place before the child
  // exists, so the child is still ended and vifpath still dies of the signal.
  it('a child that signals vifpath as it starts is ended all the same', async () => {
    const pidFile = join(work, `early-${sig}.pid`);
    const script = `import { register } from 'tsx/esm/api'; register();
      const { LocalRunner } = await import(${JSON.stringify(join(ROOT, 'src/runner/runner.ts'))});
      new LocalRunner().start(['sh', '-c', 'echo $$ > "$1"; kill -${sig.slice(3)} $PPID; exec sleep 600', 'sh', ${JSON.stringify(pidFile)}]);
      setInterval(() => undefined, 1000);`;
    const child = spawn('node', ['--input-type=module', '-e', script], { cwd: ROOT, stdio: 'ignore' });
    const ended = await new Promise<string | null>((r) => child.on('close', (_c, s) => r(s)));
    const pid = Number(
      await until('the pid file', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8')),
    );
    try {
      expect(ended).toBe(sig);
      expect(alive(pid)).toBe(false);
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });
});

describe.each(['SIGINT', 'SIGTERM'] as const)('%s to vifpath alone during collect', (sig) => {
  it.each([
    ['a folder it makes', false],
    ['an empty folder that was there', true],
  ])(
    'ssh to a host that never answers, into %s: no ssh left, no control folder, the folder as before',
    async (_, existed) => {
      const out = join(work, `col-${sig}-${existed}`);
      if (existed) mkdirSync(out);
      const v = vifpath(['collect', `ssh://root@127.0.0.1:${port}`, '-o', out]);
      const ssh = await until('ssh to connect', () =>
        descendants(v.child.pid!).find((p) => p.args.startsWith('ssh ') && p.args.includes(`-p ${port}`)),
      );
      const control = /ControlPath=(\S+)\/%C/.exec(ssh.args)?.[1];
      expect(control).toBeDefined();
      expect(existsSync(control!)).toBe(true);
      await until('the staging folder', () => existsSync(join(out, '.collecting-0')));
      process.kill(v.child.pid!, sig);
      const r = await v.ended;
      expect(r.signal).toBe(sig);
      expect(alive(ssh.pid)).toBe(false);
      expect(processes().filter((p) => p.args.includes(`-p ${port}`))).toEqual([]);
      expect(existsSync(control!)).toBe(false);
      if (existed) expect(readdirSync(out)).toEqual([]);
      else expect(existsSync(out)).toBe(false);
      expect(r.stderr).toContain(`interrupted (${sig}): nothing collected is kept`);
    },
  );

  it('a host collected before the signal stays, the one still collecting goes', async () => {
    const out = join(work, `col-some-${sig}`);
    const v = vifpath(['collect', 'here=local', `far=ssh://root@127.0.0.1:${port}`, '-o', out]);
    await until('the local host to be collected', () => /here: \d+ files/.test(v.stderr()));
    await until('ssh to connect', () =>
      descendants(v.child.pid!).find((p) => p.args.startsWith('ssh ') && p.args.includes(`-p ${port}`)),
    );
    process.kill(v.child.pid!, sig);
    const r = await v.ended;
    expect(r.signal).toBe(sig);
    expect(readdirSync(out)).toEqual(['here']);
    expect(processes().filter((p) => p.args.includes(`-p ${port}`))).toEqual([]);
  });
});

/**
 * A small .tar.gz holding one 3 GiB member of zeros: gzip members concatenated (gzip -d reads them
 * as one stream), so it is made in a moment, while `tar -tvf` takes tens of seconds to list it.
 */
function bigArchive(path: string): void {
  const size = 3 * 1024 ** 3;
  const h = Buffer.alloc(512);
  const field = (off: number, len: number, v: string): void => void h.write(v, off, len, 'latin1');
  field(0, 100, 'm');
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${size.toString(8).padStart(11, '0')}\0`);
  field(
    136,
    12,
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
  );
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 8, 'ustar\x0000');
  let sum = 0;
  for (const b of h) sum += b;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const chunk = gzipSync(Buffer.alloc(64 * 1024 ** 2), { level: constants.Z_BEST_SPEED });
  const parts = [gzipSync(h), ...Array.from({ length: size / (64 * 1024 ** 2) }, () => chunk)];
  parts.push(gzipSync(Buffer.alloc(10240)));
  writeFileSync(path, Buffer.concat(parts));
}

// Every command that reads a case: snapshot (and diagnose, trace) read it with readInputsAsync;
// report and serve read it through their case sources (serve --vm reads it at start, to check the
// VM); all unpack with tar as a tracked child, not with spawnSync, which held off the signal.
const readers: [string, (archive: string, out: string) => string[]][] = [
  ['snapshot', (a) => ['snapshot', a]],
  ['report -o', (a, out) => ['report', '-o', out, a]],
  ['serve --vm', (a) => ['serve', '--port', '0', '--vm', 'vif16.0', a]],
];

describe.each(['SIGINT', 'SIGTERM'] as const)('%s to vifpath alone while it reads an archive', (sig) => {
  it.each(readers)(
    '%s of a .tar.gz: tar -tvf and its gzip -d are gone when it has exited',
    async (what, argv) => {
      const archive = join(work, `big-${sig}.tar.gz`);
      const out = join(work, `report-${sig}.html`);
      bigArchive(archive);
      const v = vifpath(argv(archive, out));
      const left: number[] = [v.child.pid!];
      try {
        const [tar, gzip] = await until(`tar and its gzip (${what})`, () => {
          const d = descendants(v.child.pid!);
          const t = d.find((p) => p.args.startsWith('tar -tvf'));
          const g = t && d.find((p) => p.ppid === t.pid && p.args.startsWith('gzip'));
          return t && g ? [t, g] : undefined;
        });
        left.push(tar.pid, gzip.pid);
        expect(tar.pgid).toBe(tar.pid);
        process.kill(v.child.pid!, sig);
        // Its exit, bounded: a synchronous tar held the signal off until tar was done.
        await until('vifpath to exit', () => v.child.exitCode !== null || v.child.signalCode !== null);
        expect(v.child.signalCode).toBe(sig);
        expect(alive(tar.pid)).toBe(false);
        expect(alive(gzip.pid)).toBe(false);
        expect(processes().filter((p) => p.args.includes(archive))).toEqual([]);
        expect(existsSync(out)).toBe(false);
      } finally {
        for (const pid of left)
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone, as it should be
          }
        rmSync(archive, { force: true });
      }
    },
  );
});

// diagnose --all-vms reads a fleet in worker threads, which no signal reaches: the main thread
// records the tar each worker runs and the folder their archives are unpacked into.
describe.each(['SIGINT', 'SIGTERM'] as const)('%s to vifpath alone during diagnose --all-vms', (sig) => {
  it('a worker thread unpacking an archive: its tar and gzip are gone, and its temporary folders', async () => {
    const fleet = join(work, `fleet-${sig}`);
    mkdirSync(fleet);
    // 28 hosts (two chunks: two workers), then one host as a big archive, in the second chunk.
    writeFleet(fleet, { units: 14 });
    bigArchive(join(fleet, 'z-big.tar.gz'));
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('vifpath-')));
    const v = vifpath(['diagnose', fleet, '--all-vms']);
    const left: number[] = [v.child.pid!];
    try {
      const [tar, gzip] = await until('tar and its gzip, in a worker', () => {
        const d = descendants(v.child.pid!);
        const t = d.find((p) => p.args.startsWith('tar -tvf') && p.args.includes('z-big'));
        const g = t && d.find((p) => p.ppid === t.pid && p.args.startsWith('gzip'));
        return t && g ? [t, g] : undefined;
      });
      left.push(tar.pid, gzip.pid);
      expect(tar.pgid).toBe(tar.pid);
      expect(readdirSync(tmpdir()).some((n) => n.startsWith('vifpath-fleet-') && !before.has(n))).toBe(true);
      process.kill(v.child.pid!, sig);
      await until('vifpath to exit', () => v.child.exitCode !== null || v.child.signalCode !== null);
      expect(v.child.signalCode).toBe(sig);
      expect(alive(tar.pid)).toBe(false);
      expect(alive(gzip.pid)).toBe(false);
      expect(readdirSync(tmpdir()).filter((n) => n.startsWith('vifpath-') && !before.has(n))).toEqual([]);
    } finally {
      for (const pid of left)
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
      rmSync(fleet, { recursive: true, force: true });
    }
  });
});
