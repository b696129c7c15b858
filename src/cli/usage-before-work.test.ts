// Bad usage is refused before any work starts (review): one line on stderr, exit 2, no stack
// trace, and nothing run on the hosts. The tools vifpath would run (ip, tcpdump, ovs-vsctl, uname)
// are shims on PATH here that leave a mark when called, so "nothing ran" is checked, not assumed.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../testing/fixtures.ts';
import { TestOvsdbServer } from '../testing/ovsdb-server.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
let T: string;
const at = (...p: string[]): string => join(T, ...p);
const SHIMMED = ['ip', 'tcpdump', 'timeout', 'uname', 'ovs-vsctl', 'ovs-ofctl', 'ovs-appctl', 'sudo'];

/** vifpath with the shims first on PATH (real tools with `real`). */
function run(args: readonly string[], opts: { real?: boolean; timeoutMs?: number } = {}) {
  return spawnSync('node', [BIN, ...args], {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
    env: {
      ...process.env,
      NO_COLOR: '1',
      ...(opts.real ? {} : { PATH: `${at('shims')}:${process.env.PATH}` }),
    },
  });
}

/** What the shims were asked to run (one file per call). */
const ran = (): string[] => readdirSync(at('ran'));

beforeAll(() => {
  T = mkdtempSync(join(tmpdir(), 'vifpath-usage-'));
  mkdirSync(at('shims'));
  mkdirSync(at('ran'));
  for (const tool of SHIMMED) {
    const f = at('shims', tool);
    writeFileSync(f, `#!/bin/sh\nprintf '%s\\n' "$0" "$@" > "${at('ran')}/${tool}.$$"\nexit 1\n`);
    chmodSync(f, 0o755);
  }
  mkdirSync(at('full'));
  writeFileSync(at('full', 'mine.txt'), 'not vifpath’s\n');
  writeFileSync(at('file.txt'), 'a file\n');
});

afterAll(() => rmSync(T, { recursive: true, force: true }));

interface Row {
  name: string;
  args: () => string[];
  /** The one line on stderr. */
  stderr: RegExp;
}

/** Exit 2, one line, no stack trace, and no tool run. */
function refused(row: Row): void {
  for (const f of ran()) rmSync(at('ran', f));
  const r = run(row.args());
  expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 2 });
  expect(r.stderr).not.toMatch(/\n\s+at |node:internal|^\w*Error:/m);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(row.stderr);
  expect(ran()).toEqual([]);
}

describe('1. capture live --point: a namespace or interface name that could read as an option is refused', () => {
  const live = (point: string): string[] => [
    'capture',
    'live',
    '--point',
    point,
    '--seconds',
    '1',
    '-o',
    at('cap-never'),
  ];
  const rows: Row[] = [
    {
      name: 'an option with a command substitution',
      args: () => live('-evil$(id):eth0'),
      stderr: /^vifpath: -evil\$\(id\):eth0: --point: namespace "-evil\$\(id\)" has characters outside/,
    },
    { name: 'a bare option', args: () => live('-n:eth0'), stderr: /namespace "-n"/ },
    { name: 'a long option', args: () => live('--all:eth0'), stderr: /namespace "--all"/ },
    { name: 'a shell word', args: () => live('ns;reboot:eth0'), stderr: /namespace "ns;reboot"/ },
    { name: 'a space', args: () => live('my ns:eth0'), stderr: /namespace "my ns"/ },
    {
      name: 'an interface as an option',
      args: () => live('local:-w/etc/x'),
      stderr: /interface "-w\/etc\/x"/,
    },
    { name: 'an interface of a namespace', args: () => live('qdhcp-1:--help'), stderr: /interface "--help"/ },
  ];
  for (const row of rows)
    it(row.name, () => {
      refused(row);
      expect(existsSync(at('cap-never'))).toBe(false);
    });
  const targets: Row[] = [
    {
      name: 'collect netns:-evil',
      args: () => ['collect', 'netns:-evil', '-o', at('cap-never')],
      stderr: /^vifpath: netns:-evil: namespace "-evil" has characters outside/,
    },
    {
      name: 'snapshot netns:--all',
      args: () => ['snapshot', 'netns:--all'],
      stderr: /namespace "--all"/,
    },
    {
      name: 'capture live --vm with a netns:.hidden target',
      args: () => ['capture', 'live', '--vm', 'vif1.0', 'netns:.hidden', '-o', at('cap-never')],
      stderr: /namespace "\.hidden"/,
    },
  ];
  for (const row of targets)
    it(`a netns: target: ${row.name}`, () => {
      refused(row);
      expect(existsSync(at('cap-never'))).toBe(false);
    });
  it('a safe namespace name still reaches ip netns exec (the shim), with the filter after --', () => {
    for (const f of ran()) rmSync(at('ran', f));
    const r = run(['capture', 'live', '--point', 'qdhcp-1.a_b:tap0', '--seconds', '1', '-o', at('cap-ok')]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const calls = ran().filter((f) => f.startsWith('ip.'));
    expect(calls.length).toBeGreaterThan(0);
    const argv = spawnSync('cat', [at('ran', calls[0]!)], { encoding: 'utf8' }).stdout.split('\n');
    expect(argv.slice(1, 8)).toEqual(['netns', 'exec', 'qdhcp-1.a_b', 'tcpdump', '-i', 'tap0', '-n']);
    expect(argv[argv.indexOf('--') + 1]).toMatch(/^udp port 67/);
  });
});

describe('2. numeric options: NaN, negative, a meaningless zero or past the limit is exit 2 before any work', () => {
  const point = ['capture', 'live', '--point', 'local:lo', '-o', 'never'];
  const watch =
    (...o: string[]): (() => string[]) =>
    () => ['watch', 'unix:/nonexistent/db.sock', ...o];
  const rows: Row[] = [
    ...['abc', '-5', '0', '0.5', '86401', '1e3', '', '5s'].map((v) => ({
      name: `capture live --seconds ${JSON.stringify(v)}`,
      args: () => [...point, '--seconds', v],
      stderr: new RegExp(`^vifpath: --seconds wants a number from 1 to 86400, not "${v}"\\n$`),
    })),
    {
      name: 'capture live --timeout abc (unused with --point, still checked)',
      args: () => [...point, '--timeout', 'abc'],
      stderr: /--timeout wants a number/,
    },
    ...[
      ['--timeout', 'abc'],
      ['--timeout', '0'],
      ['--timeout', '-1'],
      ['--timeout', '86401'],
      ['--concurrency', '0'],
      ['--concurrency', '2.5'],
      ['--concurrency', '257'],
    ].map(([flag, v]) => ({
      name: `collect ${flag} ${v}`,
      args: () => ['collect', 'local', '-o', at('never'), flag!, v!],
      stderr: new RegExp(`^vifpath: ${flag} wants .* not "${v}"\\n$`),
    })),
    ...['abc', '-1', '65536', '1.5'].map((v) => ({
      name: `serve --port ${v}`,
      args: () => ['serve', join(ROOT, 'examples/xenserver-seed'), '--port', v],
      stderr: /^vifpath: --port .*: not a port \(0 to 65535/,
    })),
    {
      name: 'serve --timeout x (an offline case: still checked)',
      args: () => ['serve', join(ROOT, 'examples/xenserver-seed'), '--timeout', 'x'],
      stderr: /^vifpath: --timeout /,
    },
    ...[
      ['--grace', 'abc'],
      ['--grace', '-1'],
      ['--grace', '0'],
      ['--grace', '86401'],
      ['--poll', 'abc'],
      ['--poll', '-2'],
      ['--poll', '0.01'],
      ['--probe', '0'],
      ['--canary', '0'],
      ['--canary', 'x'],
      ['--nudge-interval', '0'],
    ].flatMap(([flag, v]) =>
      [[], ['--once']].map((once) => ({
        name: `watch ${once.join('')} ${flag} ${v}`,
        args: watch(...once, flag!, v!),
        stderr: new RegExp(`^vifpath: ${flag} wants .*not "${v}"\\n$`),
      })),
    ),
    {
      name: 'agent --poll abc',
      args: () => ['agent', 'unix:/nonexistent/db.sock', '--poll', 'abc'],
      stderr: /^vifpath: --poll wants 0 \(off\) or a number of seconds from 0\.1 to 86400, not "abc"\n$/,
    },
  ];
  for (const row of rows) it(row.name, () => refused(row));
  it('in range still runs: --poll 0 is off, --seconds 1 captures', () => {
    const r = run(['watch', 'unix:/nonexistent/db.sock', '--once', '--poll', '0', '--grace', '0.1']);
    expect(r.stderr).toMatch(/cannot watch/);
    expect(r.status).toBe(2);
  });
});

describe('3. an output folder that exists and is not empty is refused as collect refuses it (one helper)', () => {
  const rows: Row[] = [
    {
      name: 'capture live -o a folder with a file of its own',
      args: () => ['capture', 'live', '--point', 'local:lo', '--seconds', '1', '-o', at('full')],
      stderr:
        /^vifpath: -o .*\/full: the folder exists and is not empty: choose a new one \(nothing is overwritten\)\n$/,
    },
    {
      name: 'capture live --vm -o the same',
      args: () => ['capture', 'live', '--vm', 'vif1.0', 'local', '-o', at('full')],
      stderr: /-o .*\/full: the folder exists and is not empty/,
    },
    {
      name: 'collect -o the same',
      args: () => ['collect', 'local', '-o', at('full')],
      stderr: /^vifpath: -o .*\/full: the folder exists and is not empty: choose a new one/,
    },
    {
      name: 'snapshot --keep the same',
      args: () => ['snapshot', 'local', '--keep', at('full')],
      stderr: /^vifpath: --keep .*\/full: the folder exists and is not empty/,
    },
  ];
  for (const row of rows)
    it(row.name, () => {
      refused(row);
      expect(readdirSync(at('full'))).toEqual(['mine.txt']);
    });
  it('an empty folder is still taken', () => {
    mkdirSync(at('empty-cap'));
    const r = run(['capture', 'live', '--point', 'local:lo', '--seconds', '1', '-o', at('empty-cap')]);
    expect(r.stderr).not.toMatch(/not empty/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('4. watch --metrics: checked and bound before the monitor starts, --once or not', () => {
  let db: TestOvsdbServer;
  let held: Server;
  let heldPort = 0;
  beforeAll(async () => {
    db = await TestOvsdbServer.create(at('db'));
    held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', () => r()));
    heldPort = (held.address() as AddressInfo).port;
  });
  afterAll(async () => {
    held.close();
    await db.stop();
  });
  const bad =
    /^vifpath: --metrics .*: give ADDRESS:PORT, an IP address of this machine and a port from 0 to 65535/;
  const rows: { name?: string; metrics: () => string; stderr: RegExp }[] = [
    { metrics: () => '127.0.0.1:99999', stderr: bad },
    { metrics: () => 'foo', stderr: bad },
    { metrics: () => 'foo:80', stderr: bad },
    { metrics: () => '999.1.1.1:80', stderr: bad },
    { metrics: () => '127.0.0.1:', stderr: bad },
    { metrics: () => '', stderr: bad },
    {
      metrics: () => '10.9.9.9:9477',
      stderr:
        /^vifpath: --metrics 10\.9\.9\.9:9477: cannot listen: 10\.9\.9\.9 is not an address of this machine/,
    },
    {
      name: '127.0.0.1:<a port in use>',
      metrics: () => `127.0.0.1:${heldPort}`,
      stderr: /^vifpath: --metrics 127\.0\.0\.1:\d+: cannot listen: the port is in use/,
    },
  ];
  for (const row of rows)
    for (const once of [[], ['--once']])
      it(`${once.join(' ')} --metrics ${row.name ?? JSON.stringify(row.metrics())}: exit 2, the monitor never runs`, () => {
        // A real OVSDB: the old code watched it and ran on without metrics (spawnSync's timeout would end it).
        const args = ['watch', `h=${db.remote}`, '--grace', '0.1', ...once, '--metrics', row.metrics()];
        refused({ name: '', args: () => args, stderr: row.stderr });
      });
  it('a good --metrics with --once: exit 0, the port freed', () => {
    const r = run(['watch', `h=${db.remote}`, '--grace', '0.1', '--once', '--metrics', '127.0.0.1:0']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });
});

describe('5. two live targets with the same host name: exit 2 naming both, nothing collected', () => {
  const rows: Row[] = [
    {
      name: 'collect a=local a=local',
      args: () => ['collect', 'a=local', 'a=local', '-o', at('dup')],
      stderr:
        /^vifpath: two targets are host "a": a=local and a=local; give each host once, or name them apart: NAME=TARGET\n$/,
    },
    {
      name: 'collect a=local a=netns:x?sudo',
      args: () => ['collect', 'a=local', 'b=local', 'a=netns:x?sudo', '-o', at('dup')],
      stderr: /two targets are host "a": a=local and a=netns:x\?sudo;/,
    },
    {
      name: 'snapshot dom0=ssh://h1 dom0=ssh://h2',
      args: () => ['snapshot', 'dom0=ssh://h1', 'dom0=ssh://h2'],
      stderr: /two targets are host "dom0": dom0=ssh:\/\/h1 and dom0=ssh:\/\/h2;/,
    },
    {
      name: 'diagnose a lab host and a target named as it',
      args: () => ['diagnose', 'lab:dom0', 'dom0=local', '--lab-dir', at('no-lab')],
      stderr: /two targets are host "dom0": lab:dom0 and dom0=local;/,
    },
  ];
  for (const row of rows)
    it(row.name, () => {
      refused(row);
      expect(existsSync(at('dup'))).toBe(false);
    });
  it('collectCase itself refuses two sources of one name before writing', async () => {
    const { collectCase } = await import('../sources/collect.ts');
    const { LocalRunner } = await import('../runner/runner.ts');
    const src = { name: 'a', runner: new LocalRunner([], 'local') };
    await expect(collectCase([src, src], at('dup-lib'))).rejects.toThrow(/two sources are host "a"/);
    expect(existsSync(at('dup-lib'))).toBe(false);
  });
});

describe('6. an output on a kernel filesystem (/proc, /sys) is refused at once, never an endless mkdir', () => {
  const kernel = /is on (proc|sysfs), a kernel filesystem, not one for files: write elsewhere\n$/;
  const rows: Row[] = [
    {
      name: 'collect -o /proc/vifpathx',
      args: () => ['collect', 'local', '-o', '/proc/vifpathx'],
      stderr: kernel,
    },
    {
      name: 'collect -o /proc/vifpathx/a/b',
      args: () => ['collect', 'local', '-o', '/proc/vifpathx/a/b'],
      stderr: /^vifpath: -o \/proc\/vifpathx\/a\/b: \/proc is on proc/,
    },
    {
      name: 'snapshot --keep /proc/vpk',
      args: () => ['snapshot', 'local', '--keep', '/proc/vpk'],
      stderr: /^vifpath: --keep \/proc\/vpk: \/proc is on proc, a kernel filesystem/,
    },
    {
      name: 'capture live -o /proc/vpc',
      args: () => ['capture', 'live', '--point', 'local:lo', '--seconds', '1', '-o', '/proc/vpc'],
      stderr: kernel,
    },
    {
      name: 'collect -o /sys/kernel/vifpathx',
      args: () => ['collect', 'local', '-o', '/sys/kernel/vifpathx'],
      stderr: /\/sys\/kernel is on sysfs/,
    },
    {
      name: 'report -o /proc/r.html (the folder exists)',
      args: () => ['report', join(ROOT, 'examples/xenserver-seed'), '-o', '/proc/r.html'],
      stderr: /^vifpath: -o \/proc\/r\.html: \/proc is on proc/,
    },
    {
      name: 'report -o /proc/vpx/r.html (as before: the folder does not exist)',
      args: () => ['report', join(ROOT, 'examples/xenserver-seed'), '-o', '/proc/vpx/r.html'],
      stderr: /^vifpath: -o \/proc\/vpx\/r\.html: folder \/proc\/vpx does not exist/,
    },
    {
      name: 'watch --state /proc/w.json',
      args: () => ['watch', 'unix:/nonexistent/db.sock', '--state', '/proc/w.json'],
      stderr: /^vifpath: --state \/proc\/w\.json: \/proc is on proc/,
    },
  ];
  for (const row of rows) it(row.name, () => refused(row));
  it('makeDirs (collect, capture) fails at once where mkdir cannot make a folder, and makes nested ones elsewhere', async () => {
    const { makeDirs } = await import('../runner/make-dir.ts');
    expect(() => makeDirs('/proc/vifpath-never/x')).toThrow(/ENOENT/);
    makeDirs(at('made', 'a', 'b'));
    makeDirs(at('made', 'a', 'b'));
    expect(existsSync(at('made', 'a', 'b'))).toBe(true);
  });
});
