// One case from many inputs (issue 14 item 9) and sos collect bundles (issue 15 item 3), on real
// sosreport content: the hotsos field fixtures inside a bundle laid out as sos collect writes it
// (fixtures/sos-collect/make-bundle.sh), and the reference healthy capture's host folders.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, main } from '../cli/main.ts';
import { OWN_FIXTURES, SEED_CASE } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';
import { sosHostName } from './host-name.ts';
import { planCases, readInputs } from './inputs.ts';

const BUNDLE = join(import.meta.dirname, 'fixtures/sos-collect/sos-collector-2025-05-12-qkwzd.tar');
const HEALTHY = join(OWN_FIXTURES, 'reference/healthy');
const tmp = mkdtempSync(join(tmpdir(), 'vifpath-inputs-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The bundle unpacked (as an operator would), and its two node archives. */
const unpacked = join(tmp, 'unpacked');
mkdirSync(unpacked);
execFileSync('tar', ['-xf', BUNDLE, '-C', unpacked]);
const BUNDLE_DIR = join(unpacked, 'sos-collector-2025-05-12-qkwzd');
const COMPUTE4 = join(BUNDLE_DIR, 'sosreport-compute4-2025-05-12-hnqtaxe.tar.xz');
const SUNBEAM = join(BUNDLE_DIR, 'sosreport-noble-sunbeam-2025-05-12-pzvrfwy.tar.xz');

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(args, (s) => {
    out += s;
  });
  return { code, out };
}

describe('a sos collect bundle is one case with every node', () => {
  it('the tarball: hosts named by their own hostname files, sos_logs/ and sos_reports/ are no hosts', () => {
    const [s, ...more] = readInputs([BUNDLE]);
    expect(more).toEqual([]);
    expect(s!.source).toBe(BUNDLE);
    expect(s!.hosts.map((h) => h.name)).toEqual(['compute4', 'noble-sunbeam']);
    const [compute4, sunbeam] = s!.hosts;
    // Facts checked by hand in the field fixtures (field-cases.test.ts), now inside the bundle.
    expect(compute4!.ovsVersion).toBe('2.13.3');
    expect(compute4!.bridges.map((b) => b.name).sort()).toEqual(['br-data', 'br-ex', 'br-int', 'br-tun']);
    expect(sunbeam!.bridges.length).toBeGreaterThan(0);
    // Evidence names the node's archive inside the bundle.
    expect(compute4!.files.some((f) => f.startsWith('sosreport-compute4-2025-05-12-hnqtaxe.tar.xz/'))).toBe(
      true,
    );
    expect(s!.diagnostics.some((d) => /sos_logs|sos_reports/.test(d.file))).toBe(false);
  });
  it('the same bundle unpacked into a folder reads the same', () => {
    const [s] = readInputs([BUNDLE_DIR]);
    expect(s!.hosts.map((h) => h.name)).toEqual(['compute4', 'noble-sunbeam']);
    expect(s!.hosts[0]!.bridges.map((b) => b.name)).toEqual(
      readInputs([BUNDLE])[0]!.hosts[0]!.bridges.map((b) => b.name),
    );
  });
  it('two node sosreports unpacked side by side (no sos_logs/, any folder name) are two hosts, never one', () => {
    // As an operator leaves them after `tar xf` of each node's archive into one folder.
    const side = join(tmp, 'side-by-side');
    mkdirSync(side);
    for (const a of [COMPUTE4, SUNBEAM]) execFileSync('tar', ['-xf', a, '-C', side]);
    const [s, ...more] = readInputs([side]);
    expect(more).toEqual([]);
    expect(s!.hosts.map((h) => h.name)).toEqual(['compute4', 'noble-sunbeam']);
    expect(s!.hosts[0]!.bridges.map((b) => b.name).sort()).toEqual(['br-data', 'br-ex', 'br-int', 'br-tun']);
    // One unpacked sosreport in a folder is still that one host.
    const single = join(tmp, 'single');
    mkdirSync(single);
    execFileSync('tar', ['-xf', COMPUTE4, '-C', single]);
    expect(readInputs([single])[0]!.hosts.map((h) => h.name)).toEqual(['compute4']);
  });
  it('diagnose --json prints one document that names the case', async () => {
    const r = await cli('diagnose', '--json', '--exit-zero', BUNDLE);
    const j = JSON.parse(r.out);
    expect(j.case).toBe(BUNDLE);
    expect(r.code).toBe(EXIT.ok);
  });
});

describe('trace names a sosreport host as diagnose does', () => {
  // The reviewer's: diagnose printed compute4:tap0e778df8-ca, and `trace --from compute4:…` said
  // 'no host "compute4" in the case (hosts: sosreport-compute4-…)' (trace read the archive by its name).
  it.each([
    ['the sosreport archive', () => COMPUTE4],
    ['the sos collect bundle', () => BUNDLE],
  ])('%s: --from compute4:tap0e778df8-ca is that host', async (_n, input) => {
    const r = await cli(
      'trace',
      input(),
      '--from',
      'compute4:tap0e778df8-ca',
      '--packet',
      'dhcp-discover',
      '--summary',
    );
    expect(r.code).not.toBe(EXIT.input);
    expect(r.out).toMatch(/^from compute4:tap0e778df8-ca \(bridge br-int\)/m);
  });
});

describe('sosreports and host folders given together form one case', () => {
  it('two node archives: one case, hosts by hostname (the root symlink, else hostname -f / hostnamectl)', () => {
    const cases = planCases([COMPUTE4, SUNBEAM]);
    expect(cases.map((c) => c.name)).toEqual([`${COMPUTE4} ${SUNBEAM}`]);
    const s = cases[0]!.load();
    expect(s.hosts.map((h) => h.name)).toEqual(['compute4', 'noble-sunbeam']);
    expect(s.links).toEqual([]);
  });
  it('host folders without a hostname file keep their folder names and read as in their case directory', () => {
    const links = join(tmp, 'healthy-links.txt');
    writeFileSync(links, '# the reference lab\ndom0:vif2.1 domu:eth1\ndom0:vif16.0 vm16:eth0\n');
    const args = ['dom0', 'domu', 'vm16'].map((h) => join(HEALTHY, h));
    const [s] = readInputs(args, { links });
    expect(s!.source).toBe(args.join(' '));
    expect(s!.hosts.map((h) => h.name)).toEqual(['dom0', 'domu', 'vm16']);
    // Same evidence, same paths as the case directory (traces/ and pcap/ there are no hosts).
    const whole = readCase(HEALTHY, { lenient: true });
    for (const h of s!.hosts) expect(h).toEqual(whole.hosts.find((x) => x.name === h.name));
    expect(
      s!.links.map((l) => `${l.a.host}:${l.a.iface} ${l.b.host}:${l.b.iface} ${l.from.file}:${l.from.line}`),
    ).toEqual([`dom0:vif2.1 domu:eth1 ${links}:2`, `dom0:vif16.0 vm16:eth0 ${links}:3`]);
  });
  it('the same host twice is bad input (exit 2) naming both; NAME=PATH names them apart', async () => {
    const copy = join(tmp, 'again.tar.xz');
    cpSync(COMPUTE4, copy);
    expect(() => readInputs([COMPUTE4, copy])).toThrow(
      /two inputs are host "compute4" \(by its (sosreport-compute4-[^/]+\/)?[a-z_/-]+\): .*hnqtaxe\.tar\.xz and .*again\.tar\.xz; give each host once, or name them on the command line: NAME=PATH/,
    );
    expect((await cli('snapshot', COMPUTE4, copy)).code).toBe(EXIT.input);
    const [s] = readInputs([`before=${COMPUTE4}`, `after=${copy}`]);
    expect(s!.hosts.map((h) => h.name)).toEqual(['before', 'after']);
  });
  it('a case directory is still its own case, named by its folders; several are several cases', async () => {
    const cases = planCases([SEED_CASE, HEALTHY]);
    expect(cases.map((c) => c.name)).toEqual([SEED_CASE, HEALTHY]);
    const seed = cases[0]!.load();
    expect(seed.source).toBe(SEED_CASE);
    expect(seed.hosts.map((h) => h.name)).toEqual(['dom0', 'domu']);
    expect(seed.links.map((l) => l.from.file)).toEqual(['links.txt']);
    const r = await cli('snapshot', '--json', '--lenient', SEED_CASE, HEALTHY);
    expect(r.code).toBe(EXIT.ok);
  });
  it('--links replaces a case directory’s links.txt', () => {
    const links = join(tmp, 'seed-links.txt');
    writeFileSync(links, 'dom0:vif15.1 domu:eth1\n');
    const [s] = readInputs([SEED_CASE], { links });
    expect(s!.links.filter((l) => !l.inferred).map((l) => l.from.file)).toEqual([links]);
  });
  it('a case directory mixed with sosreports, a missing --links file, a missing input: exit 2', async () => {
    expect((await cli('snapshot', SEED_CASE, COMPUTE4)).code).toBe(EXIT.input);
    expect((await cli('snapshot', COMPUTE4, '--links', join(tmp, 'nope.txt'))).code).toBe(EXIT.input);
    expect((await cli('snapshot', join(tmp, 'nope.tar.xz'))).code).toBe(EXIT.input);
  });
});

describe("a sosreport's own host name", () => {
  const tree = (name: string, files: Record<string, string>): string => {
    const d = join(tmp, name);
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(d, rel, '..'), { recursive: true });
      writeFileSync(join(d, rel), text);
    }
    return d;
  };
  it('the host plugin file first, its first label', () => {
    const d = tree('t1', { 'sos_commands/host/hostname': 'Compute-7.dc1.example.org\n' });
    expect(sosHostName(d)).toEqual({ name: 'Compute-7', file: 'sos_commands/host/hostname' });
  });
  it('inside an unpacked archive (one sosreport-* folder)', () => {
    const d = tree('t2', { 'sosreport-x-2025/sos_commands/host/hostname_-f': 'x7.lab\n' });
    expect(sosHostName(d)).toEqual({ name: 'x7', file: 'sosreport-x-2025/sos_commands/host/hostname_-f' });
  });
  it('a tool error instead of a name is no name; a symlink out of the report is never followed', () => {
    const d = tree('t3', {
      'sos_commands/host/hostname': 'exec of "hostname" failed: No such file or directory\n',
      'sos_commands/networking/ip_netns': '',
    });
    symlinkSync('/etc/hostname', join(d, 'hostname'));
    expect(sosHostName(d)).toBeUndefined();
    const [s] = readInputs([d]);
    expect(s!.hosts.map((h) => h.name)).toEqual(['t3']);
  });
  it('a dangling root symlink (as in hotsos) falls through to the next file', () => {
    const s = readFileSync(
      join(import.meta.dirname, 'fixtures/sos-collect/host-files/compute4/sos_commands/host/hostname_-f'),
      'utf8',
    );
    expect(s).toBe('compute4.mylab.home\n');
    expect(sosHostName(join(import.meta.dirname, 'fixtures/sos-collect/host-files/compute4'))).toEqual({
      name: 'compute4',
      file: 'sos_commands/host/hostname_-f',
    });
  });
});
