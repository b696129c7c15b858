// The collector against a real OVS whose bridges carry hostile names, through the local and the ssh
// runner: no name is read as an option (a bridge named `--log-file=pwned.log` made ovs-ofctl create
// and append to a root-owned file), every name arrives intact (each bridge's own flow comes back in
// its own file, newlines included), and a command whose output passes the per-command limit fails
// its host with the limit named while the other hosts are kept and links.txt is written.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsInstance } from '../lab/ovs-instance.ts';
import { LocalRunner, type Runner, SshRunner } from '../runner/runner.ts';
import { HOSTILE_NAMES } from '../testing/hostile-names.ts';
import { startSshd, type TestSshd } from '../testing/sshd.ts';
import { collectCase, collectHost } from './collect.ts';
import { sosName } from './file-kinds.ts';

/** Bridge names: option look-alikes (one that would open a log file), shell syntax, newline, 255 bytes. */
// ovs-vswitchd refuses a bridge whose name holds `/` (it is a path of its socket): those stay out.
const BRIDGES = [...new Set([...HOSTILE_NAMES, '--log-file=pwned.log', '-O', '--version', '-h'])].filter(
  (n) => !n.includes('/'),
);

describe('collect with hostile bridge names, local and over ssh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-hostile-'));
  let ovs: OvsInstance;
  let sshd: TestSshd;
  /** What each bridge's dump must show: a flow with a cookie only that bridge has. */
  const cookieOf = new Map<string, number>();

  beforeAll(async () => {
    ovs = await OvsInstance.start({
      dir: join(dir, 'ovs'),
      netns: `vphost${process.pid % 100000}`,
      dummy: true,
    });
    sshd = await startSshd(join(dir, 'sshd'), { ns: ovs.netns!, env: ovs.env });
    for (const [i, b] of BRIDGES.entries()) {
      await ovs.vsctl(...OvsInstance.addBridgeArgs(b));
      // Some names ovs-vswitchd keeps in OVSDB but cannot open (`back\\slash`): ovs-ofctl then says
      // so, quoting the name, which proves it arrived intact just as well.
      const r = await ovs.exec([
        'ovs-ofctl',
        'add-flow',
        '--',
        b,
        `cookie=${0x1000 + i},priority=7,udp,tp_dst=67,actions=drop`,
      ]);
      if (r.rc === 0) cookieOf.set(b, 0x1000 + i);
    }
    expect(cookieOf.size).toBeGreaterThan(BRIDGES.length / 2);
  });
  afterAll(async () => {
    await sshd?.stop();
    await ovs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const check = (root: string): void => {
    const ovsDir = join(root, 'sos_commands/openvswitch');
    for (const b of BRIDGES) {
      const name = (argv: string[]) => readFileSync(join(ovsDir, sosName(argv)), 'utf8');
      const cookie = cookieOf.get(b);
      const what = JSON.stringify(b);
      if (cookie === undefined) {
        expect(name(['ovs-ofctl', 'show', b]), what).toContain(b);
        continue;
      }
      // Every bridge's own dump holds its own cookie, in OF1.0 and OF1.3.
      for (const argv of [
        ['ovs-ofctl', 'dump-flows', b],
        ['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', b],
      ])
        expect(name(argv), what).toContain(`cookie=0x${cookie.toString(16)}`);
      expect(name(['ovs-ofctl', 'show', b]), what).toContain('OFPT_FEATURES_REPLY');
      expect(name(['ovs-ofctl', 'dump-ports', b]), what).toContain('OFPST_PORT reply');
      expect(name(['ovs-appctl', 'fdb/show', b]), what).toMatch(/port\s+VLAN\s+MAC/);
    }
    // No option was read from a name: no log file appeared anywhere ovs-ofctl could have put it.
    for (const d of [join(ovs.dir, 'log'), process.cwd(), '/var/log/openvswitch'])
      expect(existsSync(join(d, 'pwned.log')), d).toBe(false);
    // Nothing a name asked a shell to do happened.
    expect(existsSync('/root/vifpath-pwned')).toBe(false);
  };

  it('local runner: every hostile bridge name reaches ovs-ofctl and ovs-appctl intact', async () => {
    const root = join(dir, 'local');
    const r = await collectHost(
      { name: 'h', runner: new LocalRunner(ovs.wrap([]), 'local-ovs'), namespaces: [] },
      root,
    );
    expect(r.error ?? '').toBe('');
    expect(r.ok).toBe(true);
    check(root);
  });

  it('ssh runner: the same, through the remote shell', async () => {
    const root = join(dir, 'ssh');
    const runner: Runner = new SshRunner({ user: 'root', host: sshd.net.nsAddr }, ['-F', sshd.clientConfig]);
    const r = await collectHost({ name: 'h', runner, namespaces: [] }, root);
    await runner.close();
    expect(r.error ?? '').toBe('');
    expect(r.ok).toBe(true);
    check(root);
  });

  it('a command over the output limit fails its host with the limit named; the others are kept', async () => {
    // Enough flows that one dump passes a 64 KiB limit; the second host has no OVS to ask.
    const flows = Array.from(
      { length: 800 },
      (_, i) => `priority=${i + 10},udp,tp_src=${i + 1},actions=drop`,
    );
    await ovs.vsctl(...OvsInstance.addBridgeArgs('big'));
    writeFileSync(join(dir, 'flows.txt'), `${flows.join('\n')}\n`);
    await ovs.ofctl('add-flows', '--', 'big', join(dir, 'flows.txt'));
    const out = join(dir, 'capped');
    const results = await collectCase(
      [
        { name: 'big', runner: new LocalRunner(ovs.wrap([]), 'big-ovs'), namespaces: [] },
        { name: 'small', runner: new LocalRunner(ovs.wrap([]), 'small-host'), namespaces: [], ovs: false },
      ],
      out,
      { maxOutputBytes: 64 * 1024, concurrency: 2 },
    );
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['big', false],
      ['small', true],
    ]);
    expect(results[0]!.error).toMatch(
      /dump-flows -- big. printed more than 65536 bytes .*COLLECT_MAX_OUTPUT_BYTES/,
    );
    expect(readdirSync(join(out, 'small')).length).toBeGreaterThan(1);
    expect(existsSync(join(out, 'links.txt'))).toBe(true);
    // What the big host said before the limit is kept in its log, with the reason.
    expect(readFileSync(join(out, 'big', 'vifpath-collect.log'), 'utf8')).toMatch(
      /stopped: output over 65536 bytes/,
    );
  });
});

describe('collect with hostile namespace and device names', () => {
  it('never hands a name outside [A-Za-z0-9_.-] to a tool; each one left out is said', async () => {
    const asked: string[] = [];
    const root = mkdtempSync(join(tmpdir(), 'vifpath-test-hostile-ns-'));
    try {
      // `echo` as the host: every command "succeeds" and prints its own argv, which no parser reads.
      const echo = new LocalRunner(['echo'], 'echo-host');
      const namespaces = ['qdhcp-ok', ...HOSTILE_NAMES];
      const r = await collectHost(
        {
          name: 'h',
          runner: echo,
          namespaces,
          ovs: false,
          inNamespace: (ns) => {
            asked.push(ns);
            return echo;
          },
        },
        root,
      );
      expect(r.ok).toBe(true);
      expect(asked).toContain('qdhcp-ok');
      for (const ns of asked) expect(ns).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/);
      const left = namespaces.filter((n) => !asked.includes(n));
      expect(left.length).toBeGreaterThan(0);
      for (const n of left) expect(r.skipped.some((x) => x.includes(JSON.stringify(n)))).toBe(true);
      expect(readFileSync(join(root, 'vifpath-collect.log'), 'utf8')).toContain('skipped: namespace ');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
