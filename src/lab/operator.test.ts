// The lab as a new operator uses it (review8 1.2, 1.3, 4.4, 4.7), through the real CLI on real OVS,
// one lab at a time: Ctrl-C during `lab up`'s boot DHCP tears down what it built and never says "up"
// nor records a DHCP outcome; `lab collect` refuses a folder that holds files; each collected host
// folder names its own host, so diagnose takes the three folders as three hosts; the errors of
// `lab status` and `watch lab:vm` name what to give. Every wait is a poll for a condition.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellWord } from '../runner/runner.ts';
import { BIN, runVifpath, scratchDir, until } from '../testing/cli.ts';
import { needRoot } from '../testing/fixtures.ts';
import { down, leftovers } from './lab.ts';
import { readState, STATE_FILE } from './state.ts';

needRoot();
const base = scratchDir('vifpath-test-operator-');

/** Command lines of every process on the machine that is not a zombie. */
function commandLines(): string[] {
  return execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^\s*Z/.test(l));
}

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n !== '');
}

/** Every file under `d` with its content, to see that nothing changed. */
function contents(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(d, { recursive: true, encoding: 'utf8' }).sort()) {
    const p = join(d, rel);
    try {
      out[rel] = readFileSync(p, 'utf8');
    } catch {
      out[rel] = '(folder)';
    }
  }
  return out;
}

describe('Ctrl-C during `lab up` while the VM asks for its boot lease', () => {
  const d = join(base, 'interrupted');
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await down(d);
  });

  it('tears down everything it built, says so, prints no "up" and no DHCP outcome, dies of SIGINT', async () => {
    // A DHCP that cannot succeed (no tag) and a long timeout: dhclient is surely running when the signal comes.
    child = spawn(
      process.execPath,
      [BIN, 'lab', 'up', '--scenario', 'seed-missing-tag', '--dhcp-timeout', '60', '--dir', d],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b) => {
      stdout += b;
    });
    child.stderr!.on('data', (b) => {
      stderr += b;
    });
    const ended = new Promise<{ code: number | null; signal: string | null }>((r) =>
      child!.on('close', (code, signal) => r({ code, signal })),
    );
    const conf = join(d, 'vm/dhclient.conf');
    await until('the VM to run dhclient', () => commandLines().some((l) => l.includes(conf)));
    const prefix = readState(d)!.prefix;
    expect(namespaces().filter((n) => n.startsWith(`${prefix}-`))).toHaveLength(4);
    child.kill('SIGINT');
    const r = await ended;
    expect(r.signal ?? r.code).toBe('SIGINT');
    // Was: "lab vl… up in 3.20 s" and "VM DHCP at boot: NO lease … (dhclient rc null …)".
    expect(stdout).toBe('');
    expect(stderr).toBe(`vifpath lab: lab up interrupted: everything it built in ${d} was removed\n`);
    // Nothing of it runs or exists: no namespace, no OVS, dnsmasq or dhclient of this lab, no folder
    // (so no `lab status` record of the cut attempt).
    expect(namespaces().filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
    expect(commandLines().filter((l) => l.includes(d))).toEqual([]);
    expect(await leftovers(d, prefix)).toEqual([]);
    expect(existsSync(d)).toBe(false);
  });
});

describe('a running lab, collected by an operator', () => {
  const d = join(base, 'lab');
  beforeAll(() => {
    const up = runVifpath(['lab', 'up', '--dir', d]);
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
  });
  afterAll(async () => {
    await down(d);
    expect(existsSync(join(d, STATE_FILE))).toBe(false);
  });

  it('`lab collect` into a folder that holds files: one line naming it, exit 2, nothing written', () => {
    const mine = join(base, 'mine');
    mkdirSync(join(mine, 'dom0'), { recursive: true });
    writeFileSync(join(mine, 'dom0/hostname'), 'precious\n');
    writeFileSync(join(mine, 'notes.txt'), 'keep\n');
    const before = contents(mine);
    const r = runVifpath(['lab', 'collect', mine, '--dir', d]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `vifpath: the case folder ${mine}: the folder exists and is not empty: choose a new one (nothing is overwritten)\n`,
    );
    expect(contents(mine)).toEqual(before);
    // An empty folder is fine (as for collect -o and capture live -o).
    const empty = join(base, 'empty');
    mkdirSync(empty);
    expect(runVifpath(['lab', 'collect', empty, '--dir', d]).status).toBe(0);
    expect(readdirSync(empty).sort()).toEqual(['dom0', 'domu', 'lab.json', 'links.txt', 'vm']);
  });

  it("each host folder's hostname file is that host's name, so diagnose takes the folders as three hosts", () => {
    const c = join(base, 'case');
    expect(runVifpath(['lab', 'collect', c, '--dir', d]).status).toBe(0);
    // Was: "vm" in all three (uname -n in namespaces that share the machine's UTS name).
    expect(['dom0', 'domu', 'vm'].map((h) => readFileSync(join(c, h, 'hostname'), 'utf8'))).toEqual([
      'dom0\n',
      'domu\n',
      'vm\n',
    ]);
    // Was: exit 2, 'two inputs are host "vm" (by its hostname)'.
    const r = runVifpath([
      'diagnose',
      join(c, 'dom0'),
      join(c, 'domu'),
      join(c, 'vm'),
      '--links',
      join(c, 'links.txt'),
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).verdict).toBe('healthy');
  });

  it('`watch lab:vm` names the lab hosts that have an OVSDB, lab:domu among them', () => {
    const r = runVifpath(['watch', 'lab:vm', '--lab-dir', d, '--once']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('vifpath: lab:vm: not a lab OVSDB: the lab runs OVS on lab:dom0 and lab:domu\n');
    const w = runVifpath(['watch', 'nothing:here', '--once']);
    expect(w.status).toBe(2);
    expect(w.stderr).toContain('lab:dom0, lab:domu');
  });
});

it('`lab status` of a folder without a lab suggests `lab up` with that --dir, quoted for the shell', () => {
  const none = join(base, 'no lab here');
  const r = runVifpath(['lab', 'status', '--dir', none]);
  expect(r.status).toBe(2);
  // Was: "(start one with `vifpath lab up`)": the lab would come up in /run/vifpath-lab.
  expect(r.stderr).toBe(
    `vifpath lab: no lab in ${none} (start one with \`vifpath lab up --dir ${shellWord(none)}\`)\n`,
  );
  expect(shellWord(none)).toBe(`'${none}'`);
});
