// Live collection for real: a private OVS instance behind a real sshd in a test namespace, hostile
// names in OVSDB, a host that cannot be reached, and the lab diagnosed through live targets.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import { Lab } from '../lab/lab.ts';
import { OvsInstance } from '../lab/ovs-instance.ts';
import { exec } from '../runner/exec.ts';
import { LocalRunner, remoteCommand, SshRunner } from '../runner/runner.ts';
import { ROOT } from '../testing/fixtures.ts';
import { HOSTILE_NAMES } from '../testing/hostile-names.ts';
import { startSshd, type TestSshd } from '../testing/sshd.ts';
import { readCase } from './case-dir.ts';
import { collectCase } from './collect.ts';
import { parseTarget } from './targets.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(argv, (s) => {
    out += s;
  });
  return { code, out };
}

describe('argv → remote command line', () => {
  it('the shell sshd hands it to gets back exactly the argv (property, real sh)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ unit: 'binary' }).map((s) => s.replace(/\0/g, '')),
          { maxLength: 5 },
        ),
        async (words) => {
          const r = await exec(['sh', '-c', remoteCommand(['printf', '%s\\0', ...words])]);
          const got = r.stdout.split('\0').slice(0, -1);
          expect(got).toEqual(words.length ? words : ['']);
        },
      ),
      { numRuns: 150 },
    );
    const r = await exec(['sh', '-c', remoteCommand(['printf', '%s\\0', ...HOSTILE_NAMES])]);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual([...HOSTILE_NAMES]);
  });

  it('targets parse; anything else is a case directory', () => {
    expect(parseTarget('dom0=ssh://root@10.0.0.5:2222?sudo')).toMatchObject({
      name: 'dom0',
      sudo: true,
      spec: { kind: 'ssh', user: 'root', host: '10.0.0.5', port: 2222 },
    });
    expect(parseTarget('netns:qdhcp-1').spec).toEqual({ kind: 'netns', ns: 'qdhcp-1' });
    expect(() => parseTarget('ssh://-oProxyCommand=x')).toThrow(/bad ssh target/);
  });
});

describe('ssh runner and collect against a real sshd and OVS', () => {
  const dir = join(ROOT, 'tmp/live-ssh');
  const BAD_BRIDGE = '$(touch vifpath-pwned)';
  let ovs: OvsInstance;
  let sshd: TestSshd;
  const ports = HOSTILE_NAMES.filter((n) => !n.includes('\n'));

  beforeAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    ovs = await OvsInstance.start({
      dir: join(dir, 'ovs'),
      netns: `vpssh${process.pid % 100000}`,
      dummy: true,
    });
    sshd = await startSshd(join(dir, 'sshd'), { ns: ovs.netns!, env: ovs.env });
    const add: string[] = [...OvsInstance.addBridgeArgs('br-int'), ...OvsInstance.addBridgeArgs(BAD_BRIDGE)];
    for (const [i, p] of ports.entries())
      add.push('--', 'add-port', 'br-int', p, '--', 'set', 'port', p, `tag=${i + 1}`);
    await ovs.vsctl(...add);
    await ovs.ofctl('add-flow', BAD_BRIDGE, 'priority=5,udp,tp_dst=67,actions=drop');
  });
  afterAll(async () => {
    await sshd?.stop();
    await ovs?.stop();
  });

  it('runs argv over ssh untouched, in a namespace and with sudo', async () => {
    const r = new SshRunner({ user: 'root', host: sshd.net.nsAddr }, ['-F', sshd.clientConfig]);
    const echo = await r.run(['printf', '%s\\0', ...HOSTILE_NAMES]);
    expect(echo.rc).toBe(0);
    expect(echo.stdout.split('\0').slice(0, -1)).toEqual([...HOSTILE_NAMES]);
    const sudo = await r.within(['sudo', '-n', '--'], 'sudo').run(['id', '-u']);
    expect(sudo.stdout.trim()).toBe('0');
    await r.close();
    const local = await new LocalRunner()
      .within(['ip', 'netns', 'exec', sshd.net.ns], 'ns')
      .run(['ip', '-o', 'addr']);
    expect(local.stdout).toContain(sshd.net.nsAddr);
  });

  it('collect over ssh: hostile bridge and port names arrive intact and never reach a shell', async () => {
    const out = join(dir, 'case');
    const r = await cli('collect', `dom0=${sshd.target()}`, '-o', out, '--ssh-config', sshd.clientConfig);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/collected 1\/1 hosts/);
    const snap = readCase(out);
    const dom0 = snap.hosts.find((h) => h.name === 'dom0')!;
    const bad = dom0.bridges.find((b) => b.name === BAD_BRIDGE)!;
    // Ours, beside the NORMAL flow every new bridge starts with.
    const texts = bad.flows.known ? bad.flows.value.entries.map((e) => e.text) : [];
    expect(texts.filter((t) => t.includes('priority=5,udp,tp_dst=67 actions=drop'))).toHaveLength(1);
    expect(texts).toHaveLength(2);
    const brInt = dom0.bridges.find((b) => b.name === 'br-int')!;
    for (const [i, p] of ports.entries()) {
      const port = brInt.ports.find((x) => x.name === p);
      expect(port, p).toBeDefined();
      expect(port!.tag.known && port!.tag.value).toBe(i + 1);
    }
    // The command substitution in the bridge name never ran, here or there.
    expect(existsSync('/root/vifpath-pwned')).toBe(false);
    expect(existsSync(join(ROOT, 'vifpath-pwned'))).toBe(false);
  });

  it('a live snapshot equals the offline snapshot of what collect wrote', async () => {
    const keep = join(dir, 'kept');
    const live = await cli(
      'snapshot',
      sshd.target(),
      '--json',
      '--ssh-config',
      sshd.clientConfig,
      '--keep',
      keep,
    );
    expect(live.code).toBe(0);
    const offline = await cli('snapshot', keep, '--json');
    const strip = (s: string): unknown => ({ ...(JSON.parse(s) as Record<string, unknown>), source: null });
    expect(strip(live.out)).toEqual(strip(offline.out));
    const hosts = (JSON.parse(live.out) as { hosts: { name: string; bridges: unknown[] }[] }).hosts;
    expect(hosts).toHaveLength(1);
    expect(hosts[0]!.bridges.length).toBe(2);
  });

  it('a host that cannot be reached is reported; the others are collected', async () => {
    const out = join(dir, 'partial');
    rmSync(join(dir, 'slow'), { recursive: true, force: true });
    const results = await collectCase(
      [
        {
          name: 'good',
          runner: new SshRunner({ user: 'root', host: sshd.net.nsAddr }, ['-F', sshd.clientConfig]),
        },
        // A port nothing listens on, on the test's own link: refused at once.
        {
          name: 'gone',
          runner: new SshRunner({ user: 'root', host: sshd.net.nsAddr, port: 2 }, ['-F', sshd.clientConfig]),
        },
      ],
      out,
      { concurrency: 2 },
    );
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['good', true],
      ['gone', false],
    ]);
    expect(results[1]!.error).toMatch(/ssh failed|cannot run/);
    expect(readdirSync(join(out, 'good', 'sos_commands/openvswitch')).length).toBeGreaterThan(10);
    const r = await cli(
      'collect',
      sshd.target(),
      `${sshd.target().replace(/$/, ':2')}`,
      '-o',
      join(dir, 'partial2'),
      '--ssh-config',
      sshd.clientConfig,
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/collected 1\/2 hosts/);
  });
});

describe('diagnose live targets on a running lab', () => {
  const dir = join(ROOT, 'tmp/live-lab');
  let lab: Lab;
  let sshd: TestSshd;
  beforeAll(async () => {
    for (const d of ['live-lab-case', 'live-lab-via-lab', 'live-lab-via-ssh'])
      rmSync(join(ROOT, 'tmp', d), { recursive: true, force: true });
    lab = await Lab.up({ dir, scenario: 'seed-missing-tag', dhcpTimeout: 2 });
    sshd = await startSshd(join(ROOT, 'tmp/live-lab-sshd'), { ns: lab.ns('dom0'), env: lab.ovs('dom0').env });
  });
  afterAll(async () => {
    await sshd?.stop();
    const { down } = await import('../lab/lab.ts');
    await down(dir);
  });

  it('lab:HOST targets and dom0 over ssh give the offline verdict', async () => {
    const offlineDir = join(ROOT, 'tmp/live-lab-case');
    expect((await cli('lab', 'collect', offlineDir, '--dir', dir)).code).toBe(0);
    const offline = JSON.parse((await cli('diagnose', offlineDir, '--json')).out) as {
      verdict: string;
      headline: string;
      findings: { code: string }[];
    };
    expect(offline.verdict).toBe('problem');
    expect(offline.headline).toMatch(/vif16\.0/);
    const viaLab = await cli(
      'diagnose',
      'lab:dom0',
      'lab:domu',
      'lab:vm',
      '--lab-dir',
      dir,
      '--json',
      '--keep',
      join(ROOT, 'tmp/live-lab-via-lab'),
    );
    expect(viaLab.code).toBe(1);
    const lab1 = JSON.parse(viaLab.out) as typeof offline;
    const viaSsh = await cli(
      'diagnose',
      `dom0=${sshd.target()}`,
      'lab:domu',
      'lab:vm',
      '--lab-dir',
      dir,
      '--json',
      '--ssh-config',
      sshd.clientConfig,
      '--keep',
      join(ROOT, 'tmp/live-lab-via-ssh'),
    );
    const ssh1 = JSON.parse(viaSsh.out) as typeof offline;
    const codes = (d: typeof offline): string[] => d.findings.map((f) => f.code).sort();
    // The lab-only extras (the VM's dhclient output, captures) are not there live; the cause is.
    expect(lab1.findings[0]!.code).toBe(offline.findings[0]!.code);
    expect(lab1.verdict).toBe(ssh1.verdict);
    expect(codes(lab1)).toEqual(codes(ssh1));
    expect(lab1.verdict).toBe('problem');
    expect(lab1.headline).toMatch(/vif16\.0 has no VLAN tag/);
  });

  it('capture live over ssh: the pcap of dom0:vif16.0 streams back and is correlated with the lab points', async () => {
    // capture live -o wants a new or empty folder (nothing is overwritten): last run's pcaps go first.
    rmSync(join(ROOT, 'tmp/live-lab-capture'), { recursive: true, force: true });
    const r = await cli(
      'capture',
      'live',
      '--vm',
      'vif16.0',
      `dom0=${sshd.target()}`,
      'lab:domu',
      'lab:vm',
      '--lab-dir',
      dir,
      '--renew',
      '--seconds',
      '8',
      '-o',
      join(ROOT, 'tmp/live-lab-capture'),
      '--ssh-config',
      sshd.clientConfig,
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/DISCOVER x\d+ seen at dom0:vif16\.0; never at domu:tap7b39ecad-81/);
    expect(r.out).toMatch(
      /the DISCOVER stops at dom0 xapi3 table 0: `priority=2,in_port=2 actions=drop` counted \+\d+/,
    );
  }, 60_000);
});
