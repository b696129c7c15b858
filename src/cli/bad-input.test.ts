// What a new user runs into (review of 18a1984): paths that cannot be written, ports that cannot
// be listened on, names the case does not hold, a file given as a case — each one line on stderr,
// exit 2, no stack trace; several cases give parseable JSON and a header each; the suggested
// report command is quoted for sh and keeps what selected the case. CLI invocations as tables.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellWord } from '../runner/runner.ts';
import { needRoot, ROOT, SEED_CASE } from '../testing/fixtures.ts';
import { computeName, unitMac, writeFleet } from '../testing/fleet-case.ts';
import { nameList, nearest } from '../text/nearest.ts';
import { fleetVmCase } from './fleet-commands.ts';
import { listenError, systemErrorLine } from './out-paths.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const VXLAN = join(ROOT, 'examples/vxlan-healthy');
const run = (args: readonly string[], opts: { uid?: number } = {}) =>
  opts.uid === undefined
    ? spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
    : spawnSync(
        'setpriv',
        [`--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', 'node', BIN, ...args],
        {
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1' },
        },
      );

let T: string;
/** Folders and files of the tables below, made once. */
const at = (...p: string[]): string => join(T, ...p);

/** The seed with vif16.0 renamed (kept in the monitor table's columns). */
function renamedSeed(dir: string, name: string): void {
  cpSync(SEED_CASE, dir, { recursive: true });
  const show = join(dir, 'dom0/ovs-vsctl_show');
  writeFileSync(show, readFileSync(show, 'utf8').replaceAll('"vif16.0"', JSON.stringify(name)));
  const mon = join(dir, 'dom0/ovsdb-client_monitor_Interface_name_ofport');
  writeFileSync(
    mon,
    readFileSync(mon, 'utf8').replace(/"vif16\.0"( *)/, (_m, pad: string) => {
      const q = JSON.stringify(name);
      return `${q}${' '.repeat(Math.max(1, 9 + pad.length - q.length))}`;
    }),
  );
}

beforeAll(() => {
  T = mkdtempSync(join(tmpdir(), 'vifpath-cli-review-'));
  mkdirSync(at('a folder'));
  writeFileSync(at('file.txt'), 'not a folder\n');
  cpSync(SEED_CASE, at('my case'), { recursive: true });
  renamedSeed(at('renamed'), 'myvm');
  renamedSeed(at('quoted'), "vm port'1");
  // Reader notes: a tool's error text, and a file that is not what its name says.
  cpSync(SEED_CASE, at('notes'), { recursive: true });
  writeFileSync(at('notes/domu/netstat_-W_-neopa'), 'exec of "netstat" failed: No such file or directory\n');
  // A sosreport archive whose name says nothing (as downloaded): still read.
  execFileSync('tar', ['-czf', at('dom0-download'), '-C', join(SEED_CASE, 'dom0'), '.']);
});

afterAll(() => {
  rmSync(T, { recursive: true, force: true });
});

interface Row {
  name: string;
  args: () => string[];
  exit: number;
  /** The one line on stderr (exit 2 rows). */
  stderr?: RegExp;
  stdout?: RegExp;
}

function check(row: Row): ReturnType<typeof run> {
  const r = run(row.args());
  expect({ exit: r.status, stderr: r.stderr }).toMatchObject({ exit: row.exit });
  if (row.exit === 2) {
    expect(r.stderr).not.toMatch(/\n\s+at |node:internal|^\w*Error:/m);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  }
  if (row.stderr) expect(r.stderr).toMatch(row.stderr);
  if (row.stdout) expect(r.stdout).toMatch(row.stdout);
  return r;
}

describe('7. a path a command cannot write: one line naming it and what to do, exit 2', () => {
  const rows: Row[] = [
    {
      name: 'report -o a folder',
      args: () => ['report', SEED_CASE, '-o', at('a folder')],
      exit: 2,
      stderr:
        /^vifpath: -o .*\/a folder is a folder: give a file to write, e\.g\. .*\/a folder\/report\.html\n$/,
    },
    {
      name: 'report -o in a folder that does not exist',
      args: () => ['report', SEED_CASE, '-o', '/nonexist-vifpath/dir/r.html'],
      exit: 2,
      stderr:
        /^vifpath: -o \/nonexist-vifpath\/dir\/r\.html: folder \/nonexist-vifpath\/dir does not exist: create it first/,
    },
    {
      name: 'report -o below a file',
      args: () => ['report', SEED_CASE, '-o', at('file.txt', 'r.html')],
      exit: 2,
      stderr: /file\.txt is not a folder: write elsewhere\n$/,
    },
    {
      name: 'collect -o a file',
      args: () => ['collect', 'local', '-o', at('file.txt')],
      exit: 2,
      stderr: /^vifpath: -o .*file\.txt is a file, not a folder: give a folder to write into/,
    },
    {
      name: 'collect -o below a file',
      args: () => ['collect', 'local', '-o', at('file.txt', 'case')],
      exit: 2,
      stderr: /file\.txt is a file, not a folder: write elsewhere\n$/,
    },
    {
      name: 'capture live -o a file',
      args: () => ['capture', 'live', '--point', 'local:lo', '--seconds', '1', '-o', at('file.txt')],
      exit: 2,
      stderr: /^vifpath: -o .*file\.txt is a file, not a folder/,
    },
    {
      name: 'lab collect into a file',
      args: () => ['lab', 'collect', at('file.txt')],
      exit: 2,
      stderr: /^vifpath: the case folder .*file\.txt is a file, not a folder/,
    },
    {
      name: 'lab up --dir a file',
      args: () => ['lab', 'up', '--dir', at('file.txt')],
      exit: 2,
      stderr: /^vifpath: --dir .*file\.txt is a file, not a folder/,
    },
    {
      name: 'snapshot --keep a file',
      args: () => ['snapshot', 'local', '--keep', at('file.txt')],
      exit: 2,
      stderr: /^vifpath: --keep .*file\.txt is a file, not a folder/,
    },
    {
      name: 'diagnose --keep below a file',
      args: () => ['diagnose', 'local', '--keep', at('file.txt', 'x')],
      exit: 2,
      stderr: /^vifpath: --keep .*file\.txt\/x: .*file\.txt is a file, not a folder/,
    },
    {
      name: 'watch --state a folder',
      args: () => ['watch', 'local', '--once', '--state', at('a folder')],
      exit: 2,
      stderr: /^vifpath: --state .*a folder is a folder: give a file to write, e\.g\. .*watch\.json\n$/,
    },
    // The reviewer's: `report -o` aimed at the case's own flow dump replaced it with HTML (exit 0).
    {
      name: 'report -o an existing file that is no vifpath report: kept',
      args: () => ['report', SEED_CASE, '-o', at('file.txt')],
      exit: 2,
      stderr:
        /^vifpath: -o .*file\.txt: the file exists and is not a vifpath report: vifpath overwrites only what it wrote; remove it or give another file\n$/,
    },
    {
      name: 'watch --state an existing file that is no watch state: kept',
      args: () => ['watch', 'local', '--once', '--state', at('file.txt')],
      exit: 2,
      stderr: /^vifpath: --state .*file\.txt: the file exists and is not a vifpath watch state/,
    },
    {
      name: 'agent --pid-file an existing file that is no pid file: kept',
      args: () => ['agent', 'lab:dom0', '--pid-file', at('file.txt')],
      exit: 2,
      stderr: /^vifpath: --pid-file .*file\.txt: the file exists and is not a pid file/,
    },
    {
      name: 'agent --pid-file in a folder that does not exist',
      args: () => ['agent', 'lab:dom0', '--pid-file', '/nonexist-vifpath/agent.pid'],
      exit: 2,
      stderr: /^vifpath: --pid-file \/nonexist-vifpath\/agent\.pid: folder \/nonexist-vifpath does not exist/,
    },
  ];
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    check(row);
    // Whatever was refused, the file that was there is as it was.
    expect(readFileSync(at('file.txt'), 'utf8')).toBe('not a folder\n');
  });

  it('a case whose host folders are links out of it: exit 2 saying so (was: only "nothing readable")', () => {
    const c = at('linked-case');
    mkdirSync(c);
    symlinkSync(join(SEED_CASE, 'dom0'), join(c, 'dom0'));
    symlinkSync(join(SEED_CASE, 'domu'), join(c, 'domu'));
    check({
      name: 'linked',
      args: () => ['diagnose', c],
      exit: 2,
      stderr:
        /^vifpath: nothing readable in .*linked-case: dom0, domu are symbolic links out of the case, not followed .*give them as arguments \(with --links for the wires\)\n$/,
    });
  });

  it('report -o a pipe (bash process substitution, /dev/fd/63 on proc): written, exit 0', () => {
    const out = at('a folder', 'piped.html');
    const r = spawnSync(
      'bash',
      ['-c', `node "$0" report "$1" -o >(cat > "$2"); wait $!`, BIN, SEED_CASE, out],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^vifpath: wrote \/dev\/fd\/\d+ /);
    expect(readFileSync(out, 'utf8')).toContain('<title>vifpath report</title>');
  });

  it('report -o a file in a folder that exists: written, exit 0', () => {
    const r = run(['report', SEED_CASE, '-o', at('a folder', 'r.html')]);
    expect(r.status).toBe(0);
    expect(existsSync(at('a folder', 'r.html'))).toBe(true);
    // Its own report it replaces.
    expect(run(['report', SEED_CASE, '-o', at('a folder', 'r.html')]).status).toBe(0);
  });
});

/** A TCP port held by this process while `f` runs. */
async function withBusyPort(f: (port: number) => void): Promise<void> {
  const srv: Server = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    f((srv.address() as { port: number }).port);
  } finally {
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}

describe('8. serve cannot listen: one line, exit 2', () => {
  it('the port is in use: says so and suggests --port', async () => {
    await withBusyPort((port) =>
      check({
        name: 'busy',
        args: () => ['serve', SEED_CASE, '--port', String(port)],
        exit: 2,
        stderr: new RegExp(
          `^vifpath: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use: choose another with --port N, or --port 0 for any free port\\n$`,
        ),
      }),
    );
  });

  const rows: Row[] = [
    {
      name: '--listen a host name that does not resolve',
      args: () => ['serve', SEED_CASE, '--port', '0', '--listen', 'nosuch.invalid'],
      exit: 2,
      stderr: /^vifpath: cannot listen on nosuch\.invalid:0: no such host or address "nosuch\.invalid"/,
    },
    {
      name: '--listen an address this machine does not have',
      args: () => ['serve', SEED_CASE, '--port', '0', '--listen', '192.0.2.77'],
      exit: 2,
      stderr: /^vifpath: cannot listen on 192\.0\.2\.77:0: 192\.0\.2\.77 is not an address of this machine/,
    },
    {
      name: '--port out of range',
      args: () => ['serve', SEED_CASE, '--port', '70000'],
      exit: 2,
      stderr: /^vifpath: --port 70000: not a port/,
    },
    {
      name: '--port not a number',
      args: () => ['serve', SEED_CASE, '--port', '80x'],
      exit: 2,
      stderr: /^vifpath: --port 80x: not a port/,
    },
    {
      name: '--vm no case holds (said before listening)',
      args: () => ['serve', SEED_CASE, '--port', '0', '--vm', 'nosuch'],
      exit: 2,
      stderr: /^vifpath: --vm nosuch: no port of the case has this name/,
    },
  ];
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    check(row);
  });

  // Ports below net.ipv4.ip_unprivileged_port_start need root: as nobody when this runs as root.
  const unprivStart = (): number => {
    try {
      return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    } catch {
      return 1024;
    }
  };
  // Needs root (to run as nobody) and setpriv: fails saying so rather than skipping.
  it('a privileged port without root: says it needs root and suggests --port', () => {
    needRoot();
    expect(spawnSync('setpriv', ['--version']).status, 'setpriv (util-linux) is needed').toBe(0);
    expect(unprivStart(), 'net.ipv4.ip_unprivileged_port_start must be above 80 here').toBeGreaterThan(80);
    const r = run(['serve', SEED_CASE, '--port', '80'], { uid: 65534 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^vifpath: cannot listen on 127\.0\.0\.1:80: ports below 1024 need root: choose --port 1024 or higher/,
    );
  });

  it('the same refusals as one line, from the error Node gives', () => {
    const err = (code: string) => Object.assign(new Error(`listen ${code}`), { code, syscall: 'listen' });
    const flags = { port: '--port', host: '--listen' };
    expect(listenError(err('EACCES'), flags, '127.0.0.1', 443).message).toMatch(/ports below 1024 need root/);
    expect(listenError(err('EADDRINUSE'), flags, '::1', 8018).message).toBe(
      'cannot listen on [::1]:8018: the port is in use: choose another with --port N, or --port 0 for any free port',
    );
    expect(listenError(err('EADDRNOTAVAIL'), flags, '10.9.9.9', 1).message).toMatch(
      /not an address of this machine/,
    );
    expect(listenError(err('ENOTFOUND'), flags, 'x.invalid', 1).message).toMatch(/no such host or address/);
  });
});

describe('a system error nothing checked first: one line with the path', () => {
  it('names the path, what failed and the call', () => {
    const e = Object.assign(new Error("EISDIR: illegal operation on a directory, open '/tmp'"), {
      code: 'EISDIR',
      syscall: 'open',
      path: '/tmp',
    });
    expect(systemErrorLine(e)).toBe('/tmp: is a folder, a file was expected (EISDIR, open)');
    const nospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
    });
    expect(systemErrorLine(nospc)).toBe('write: no space left on the device (ENOSPC)');
  });
});

describe('10. several cases with --json: one document per case, one a line', () => {
  const lines = (s: string) =>
    s
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
  it('diagnose: each line parses alone, in the order given; exit the worst verdict', () => {
    const r = run(['diagnose', SEED_CASE, VXLAN, '--json']);
    expect(r.status).toBe(1);
    const docs = lines(r.stdout);
    expect(docs.map((d) => [d.case, d.verdict])).toEqual([
      [SEED_CASE, 'problem'],
      [VXLAN, 'healthy'],
    ]);
  });
  it('one case: the document as before (indented, parses whole)', () => {
    const r = run(['diagnose', SEED_CASE, '--json']);
    expect(r.stdout.startsWith('{\n  "case"')).toBe(true);
    expect(JSON.parse(r.stdout).verdict).toBe('problem');
  });
  it('snapshot: one Snapshot a line', () => {
    const r = run(['snapshot', SEED_CASE, VXLAN, '--json']);
    expect(r.status).toBe(0);
    expect(lines(r.stdout).map((d) => d.source)).toEqual([SEED_CASE, VXLAN]);
  });
  it('diagnose --all-vms: one {case, vms} a line, each case its own', () => {
    const r = run(['diagnose', SEED_CASE, VXLAN, '--all-vms', '--json']);
    expect(r.status).toBe(1);
    expect(lines(r.stdout).map((d) => [d.case, d.vms.map((v: { vm: string }) => v.vm)])).toEqual([
      [SEED_CASE, ['vif16.0']],
      [VXLAN, ['tap7f3e1c2a-9b', 'tap9c8b7a6d-5e']],
    ]);
  });
});

describe('11. trace: a --to or --from the case does not hold is bad input, with the nearest names', () => {
  const trace =
    (...more: string[]) =>
    () => ['trace', SEED_CASE, '--packet', 'dhcp-discover', ...more];
  const rows: Row[] = [
    {
      name: '--to a name no port, namespace or device has',
      args: trace('--from', 'dom0:vif16.0', '--to', 'domu:nosuch'),
      exit: 2,
      stderr:
        /^vifpath: --to: nothing named "nosuch" on host domu in this case \(a port, bridge, namespace or device\); nearest: domu:/,
    },
    {
      name: '--to one of several is unknown',
      args: trace('--from', 'dom0:vif16.0', '--to', 'domu:tap7b39ecad-81', 'domu:tap7b39ecad-8'),
      exit: 2,
      stderr: /"tap7b39ecad-8" on host domu.*nearest: domu:tap7b39ecad-81,/,
    },
    {
      name: '--from a port the case does not hold',
      args: trace('--from', 'dom0:vif16'),
      exit: 2,
      stderr: /^vifpath: no OVS port "vif16" on host dom0 in this case; nearest: dom0:vif16\.0, /,
    },
    {
      name: '--to the DHCP namespace: traced (dropped at xapi3)',
      args: trace(
        '--from',
        'dom0:vif16.0',
        '--to',
        'domu:qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7',
        '--summary',
      ),
      exit: 1,
      stdout: /target: domu:qdhcp-49a623fd/,
    },
    {
      name: '--to a wire end (a kernel device) and a bridge: known names',
      args: trace('--from', 'dom0:vif16.0', '--to', 'domu:eth1', 'dom0:xapi5', '--summary'),
      exit: 0,
    },
    // A reply preset with two VMs of different MACs: no verdict on a made-up MAC (review9 #1).
    {
      name: 'dhcp-offer without --to, two VMs with different MACs: which one is asked',
      args: () => ['trace', VXLAN, '--from', 'network:tapd4a1b2c3-e5', '--packet', 'dhcp-offer'],
      exit: 2,
      stderr:
        /^vifpath: --packet dhcp-offer: the case has 2 VM ports with different MACs \(compute1:tap7f3e1c2a-9b fa:16:3e:11:22:33, compute2:tap9c8b7a6d-5e fa:16:3e:44:55:66\): say which one the reply goes to with --to <host:port> or --mac <MAC>\n$/,
    },
    {
      name: "dhcp-offer --to the guest's end of the VM port's wire: that VM's MAC",
      args: () => [
        'trace',
        VXLAN,
        '--from',
        'network:tapd4a1b2c3-e5',
        '--packet',
        'dhcp-offer',
        '--to',
        'vm1:eth0',
      ],
      exit: 0,
      stdout: /^Trace of udp,.*dl_dst=fa:16:3e:11:22:33,/,
    },
  ];
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    check(row);
  });
});

describe('12. --vm: a port name, host:port, MAC or iface-id of any port', () => {
  const rows: Row[] = [
    {
      name: 'host:port, the form trace uses',
      args: () => ['diagnose', SEED_CASE, '--vm', 'dom0:vif16.0'],
      exit: 1,
      stdout: /^PROBLEM: vif16\.0 has no VLAN tag on xapi5/,
    },
    {
      name: 'a MAC in another letter case',
      args: () => ['diagnose', VXLAN, '--vm', 'FA:16:3E:11:22:33', '--json'],
      exit: 0,
      stdout: /"vm": "compute1:tap7f3e1c2a-9b"/,
    },
    {
      name: 'a name matching nothing: exit 2 with the nearest ports',
      args: () => ['diagnose', SEED_CASE, '--vm', 'vif16'],
      exit: 2,
      stderr:
        /^vifpath: --vm vif16: no port of the case has this name, host:port, MAC or iface-id .*; nearest: dom0:vif16\.0, dom0:vif15\.1, /,
    },
    {
      name: 'a port not recognised as a VM port, named: taken, and said so',
      args: () => ['diagnose', at('renamed'), '--vm', 'myvm'],
      exit: 1,
      stdout:
        /^PROBLEM: myvm has no VLAN tag on xapi5[\s\S]*dom0:myvm is taken as the VM port because you named it \(--vm myvm\); by itself it is not recognised as one \(unknown port: /,
    },
    {
      name: 'the same by host:port',
      args: () => ['diagnose', at('renamed'), '--vm', 'dom0:myvm'],
      exit: 1,
      stdout: /taken as the VM port because you named it/,
    },
    {
      name: 'a name with a blank and a quote: the fix quotes it for sh',
      args: () => ['diagnose', at('quoted'), '--vm', "vm port'1"],
      exit: 1,
      stdout: /ovs-vsctl set Port 'vm port'\\''1' tag=1\n/,
    },
    {
      name: 'report --vm matching nothing',
      args: () => ['report', SEED_CASE, '--vm', 'nosuch', '-o', at('a folder', 'x.html')],
      exit: 2,
      stderr: /^vifpath: --vm nosuch: no port of the case/,
    },
  ];
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    check(row);
  });

  it('report --vm of a named port: the page opens on it with its DISCOVER traced', () => {
    const out = at('a folder', 'named.html');
    const r = run(['report', at('renamed'), '--vm', 'myvm', '-o', out]);
    expect(r.status).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('"focus":"dom0:myvm"');
    expect(html).toContain('"dom0:myvm dhcp-discover"');
    expect(html).toContain('vm-port-named');
  });

  it('serve --vm of a named port: the view focuses it', async () => {
    const child = spawn('node', [BIN, 'serve', at('renamed'), '--port', '0', '--vm', 'dom0:myvm'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (b: Buffer) => {
          text += b.toString();
          const m = /on (http:\/\/\S+\/)/.exec(text);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (c) => reject(new Error(`serve exited ${c}`)));
      });
      const view = await (await fetch(new URL('c/0/api/view', url))).json();
      expect(view.focus).toBe('dom0:myvm');
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe("12. --vm host:port on a fleet: only that host's group is read", () => {
  it('the same hosts as its MAC reads, and the same diagnosis', async () => {
    const dir = at('fleet');
    writeFleet(dir, { units: 8, flowsPerDump: 20, broken: new Map([[3, 'untagged']]) });
    const byPort = await fleetVmCase([dir], {}, `${computeName(3)}:vif16.0`);
    const byMac = await fleetVmCase([dir], {}, unitMac(3));
    expect(byPort?.hosts.map((h) => h.name)).toEqual(byMac?.hosts.map((h) => h.name));
    expect(byPort!.hosts.length).toBeLessThan(16);
    const r = run(['diagnose', dir, '--vm', `${computeName(3)}:vif16.0`, '--json']);
    expect(r.status, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).paths.map((p: { vm: string }) => p.vm)).toEqual([
      `${computeName(3)}:vif16.0`,
    ]);
  });
});

describe('13. a file given as a case', () => {
  const rows: Row[] = [
    {
      name: "diagnose a case's links.txt",
      args: () => ['diagnose', join(SEED_CASE, 'links.txt')],
      exit: 2,
      stderr: new RegExp(
        `^vifpath: ${SEED_CASE}/links\\.txt is a file, not a case folder, sosreport archive or sos collect bundle \\(expected a case folder .*; the case is its folder, ${SEED_CASE}\\)\\n$`,
      ),
    },
    {
      name: 'snapshot a text file',
      args: () => ['snapshot', at('file.txt')],
      exit: 2,
      stderr: /file\.txt is a file, not a case folder, sosreport archive or sos collect bundle \(expected /,
    },
    {
      name: 'trace a text file',
      args: () => ['trace', at('file.txt'), '--from', 'dom0:vif16.0', '--packet', 'dhcp-discover'],
      exit: 2,
      stderr: /file\.txt is a file, not a case folder/,
    },
    {
      name: 'report of a text file',
      args: () => ['report', at('file.txt'), '-o', at('a folder', 'y.html')],
      exit: 2,
      stderr: /file\.txt is a file, not a case folder/,
    },
    {
      name: 'a sosreport archive whose name says nothing is still read',
      args: () => ['snapshot', at('dom0-download')],
      exit: 0,
      stdout: /^snapshot of .*dom0-download: 1 host\(s\)/,
    },
  ];
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    check(row);
  });
});

describe('15. the suggested report command: quoted for sh, with what selected the case', () => {
  const suggestion = (stdout: string): string => {
    const m = /^Picture \(.*\): (vifpath report .*)$/m.exec(stdout);
    expect(m).not.toBeNull();
    return m![1]!;
  };
  it('a path with a blank and --vm: quoted and kept; the command runs as printed', () => {
    const r = run(['diagnose', at('quoted'), '--vm', "vm port'1"]);
    const cmd = suggestion(r.stdout);
    expect(cmd).toBe(`vifpath report ${shellWord(at('quoted'))} --vm 'vm port'\\''1' -o report.html`);
    const spaced = suggestion(run(['diagnose', at('my case'), '--vm', 'dom0:vif16.0']).stdout);
    expect(spaced).toBe(`vifpath report ${shellWord(at('my case'))} --vm dom0:vif16.0 -o report.html`);
    expect(spaced).toContain("'");
    // As sh reads it: the same case, the same VM.
    const html = at('a folder', 'suggested.html');
    const sh = spawnSync(
      'sh',
      [
        '-c',
        `${spaced.replace(/^vifpath/, `node ${shellWord(BIN)}`).replace(/report\.html$/, shellWord(html))}`,
      ],
      { encoding: 'utf8' },
    );
    expect(sh.status).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('"focus":"dom0:vif16.0"');
  });
  it('host folders given together with --links and --lenient: all of them, and the options', () => {
    const links = join(SEED_CASE, 'links.txt');
    const r = run([
      'diagnose',
      join(SEED_CASE, 'dom0'),
      join(SEED_CASE, 'domu'),
      '--links',
      links,
      '--lenient',
    ]);
    expect(suggestion(r.stdout)).toBe(
      `vifpath report ${join(SEED_CASE, 'dom0')} ${join(SEED_CASE, 'domu')} --links ${links} --lenient -o report.html`,
    );
  });
  it('a case folder named like an option (-mycase): the suggestion puts it after --, and runs', () => {
    cpSync(SEED_CASE, at('-mycase'), { recursive: true });
    const r = spawnSync('node', [BIN, 'diagnose', '--', '-mycase'], {
      cwd: T,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status).toBe(1);
    const cmd = suggestion(r.stdout);
    expect(cmd).toBe('vifpath report -o report.html -- -mycase');
    const sh = spawnSync('sh', ['-c', cmd.replace(/^vifpath/, `node ${shellWord(BIN)}`)], {
      cwd: T,
      encoding: 'utf8',
    });
    expect(sh.status, sh.stderr).toBe(0);
    expect(existsSync(at('report.html'))).toBe(true);
  });
  it.each([
    ['a bidi override', 'vif16.0\u202e', "$'vif16.0\\xe2\\x80\\xae'"],
    // short: ovsdb-client's table keeps its column width, and the name goes in JSON-escaped
    ['ESC', 'vif\u001b', "$'vif\\x1b'"],
  ])("a port name with %s: printed in $'…', which bash reads back to the port", (_what, name, quoted) => {
    const dir = at(`ctl-${quoted.length}`);
    renamedSeed(dir, name);
    const r = run(['diagnose', dir, '--vm', name]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain(`    ovs-vsctl set Port ${quoted} tag=`);
    const cmd = suggestion(r.stdout);
    expect(cmd).toBe(`vifpath report ${dir} --vm ${quoted} -o report.html`);
    const html = join(dir, 'suggested.html');
    const bash = spawnSync(
      'bash',
      ['-c', cmd.replace(/^vifpath/, `node ${shellWord(BIN)}`).replace(/report\.html$/, shellWord(html))],
      { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
    );
    expect(bash.status, bash.stderr).toBe(0);
    // The page's data escapes what a script must not hold raw (\u202e, \u001b): JSON either way.
    const focus = /"focus":("(?:[^"\\]|\\.)*")/.exec(readFileSync(html, 'utf8'))?.[1];
    expect(JSON.parse(focus ?? 'null')).toBe(`dom0:${name}`);
  });
  it('several case directories: each suggestion names its own case', () => {
    const r = run(['diagnose', SEED_CASE, at('my case')]);
    expect([...r.stdout.matchAll(/^Picture \(.*\): (vifpath report .*)$/gm)].map((m) => m[1])).toEqual([
      `vifpath report ${SEED_CASE} -o report.html`,
      `vifpath report ${shellWord(at('my case'))} -o report.html`,
    ]);
  });
});

describe('16. several cases in text: a header each; no blank evidence', () => {
  it('each case begins with its name, then its verdict', () => {
    const r = run(['diagnose', SEED_CASE, VXLAN]);
    const heads = r.stdout
      .split('\n')
      .flatMap((l, i, all) => (l.startsWith('== case ') ? [[l, all[i + 1]]] : []));
    expect(heads).toEqual([
      [`== case 1/2: ${SEED_CASE}`, expect.stringMatching(/^PROBLEM: /)],
      [`== case 2/2: ${VXLAN}`, expect.stringMatching(/^HEALTHY: /)],
    ]);
    // One case: no header, as before.
    expect(run(['diagnose', SEED_CASE]).stdout).not.toMatch(/^== case/m);
  });
  it('reader notes: every evidence line says something (text and JSON)', () => {
    const r = run(['diagnose', at('notes')]);
    expect(r.stdout).toContain('exec of "netstat" failed');
    expect(r.stdout).toContain('not netstat or ss output');
    expect(r.stdout).not.toMatch(/^\s+-\s*(\[[^\]]*\])?\s*$/m);
    const j = JSON.parse(run(['diagnose', at('notes'), '--json']).stdout);
    for (const f of j.findings) for (const ev of f.evidence) expect(ev.text.trim()).not.toBe('');
  });
});

describe('nearest names', () => {
  it('closest first, a name containing what was typed before others, the host part optional', () => {
    const known = ['dom0:xapi5', 'dom0:vif16.0', 'dom0:vif15.1', 'domu:br-int'];
    expect(nearest('vif16', known, 2)).toEqual(['dom0:vif16.0', 'dom0:vif15.1']);
    expect(nearest('DOM0:VIF15.1', known, 1)).toEqual(['dom0:vif15.1']);
    expect(nameList(['a', 'b'], 2)).toBe('a, b');
    expect(nameList(['a', 'b'], 5)).toBe('a, b, … (5 known)');
  });
});

// The reviewer's: options that cannot apply were accepted and ignored in silence.
describe('options that cannot apply are said, not ignored', () => {
  const rows: Row[] = [
    {
      name: 'collecting options with a case read from disk',
      args: () => [
        'diagnose',
        SEED_CASE,
        '--keep',
        at('k2'),
        '--timeout',
        '5',
        '--sudo',
        '-i',
        '/nonexistent',
      ],
      exit: 2,
      stderr:
        /^vifpath: --identity, --sudo, --timeout, --keep apply to live targets \(local, netns:NAME, ssh:\/\/host, lab:HOST\) only: .* is read from disk\n$/,
    },
    {
      name: 'report --concurrency with a case read from disk',
      args: () => ['report', SEED_CASE, '-o', at('a folder', 'c.html'), '--concurrency', '3'],
      exit: 2,
      stderr: /^vifpath: --concurrency applies to live targets .* only/,
    },
    {
      name: "diagnose --vm '' (was: the automatic choice)",
      args: () => ['diagnose', SEED_CASE, '--vm', ''],
      exit: 2,
      stderr: /^vifpath: --vm '': no port of the case has this name/,
    },
    {
      name: "report --vm ''",
      args: () => ['report', SEED_CASE, '-o', at('a folder', 'v.html'), '--vm', ''],
      exit: 2,
      stderr: /^vifpath: --vm '': no port of the case/,
    },
    {
      name: "trace --mac '' (was: the made-up MAC)",
      args: () => ['trace', SEED_CASE, '--from', 'dom0:vif16.0', '--packet', 'dhcp-discover', '--mac', ''],
      exit: 2,
      stderr: /^vifpath: mac: "" is not a MAC address/,
    },
    {
      name: 'trace --json --summary (was: --summary ignored)',
      args: () => [
        'trace',
        SEED_CASE,
        '--from',
        'dom0:vif16.0',
        '--packet',
        'dhcp-discover',
        '--json',
        '--summary',
      ],
      exit: 2,
      stderr: /^vifpath: --json and --summary exclude each other/,
    },
  ];
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    check(row);
    expect(existsSync(at('k2'))).toBe(false);
  });
});
