// ps listings under the name of the command as typed, filter included (`ps auxww | grep <net>` →
// ps_auxww_grep_<net>), or pasted under any name and known by their content: a dnsmasq Neutron
// started is its arguments (`--interface=`, `--dhcp-hostsfile=`, /var/lib/neutron/dhcp/<net>/…).
// Fixtures: filtered-names/PROVENANCE.md (datacentred-gre-dhcp's osnet1, grizzly-ps-dnsmasq).
import { cpSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnose } from '../doctor/diagnose.ts';
import { parseDnsmasqProcesses } from '../parse/services.ts';
import { cleanupCases, tmpCase } from '../testing/case-edits.ts';
import { ROOT } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';
import { classify, psCommand, sniff } from './file-kinds.ts';

afterAll(cleanupCases);

const FIX = join(ROOT, 'src/sources/fixtures/filtered-names');
const DC = join(FIX, 'datacentred-gre-dhcp');
const GRIZZLY = join(FIX, 'grizzly-ps-dnsmasq');
const NET = '5f1e4cc8-37e2-4bfb-b96f-ea1884121542';
const PS = `ps_auxww_grep_${NET}`;
const DC_ROW = readFileSync(join(DC, 'osnet1', PS), 'utf8');
const GRIZZLY_LINE = readFileSync(join(GRIZZLY, 'network', 'ps_faux_grep_dnsmasq'), 'utf8');

describe('ps by its name: the command, then any filter', () => {
  it.each([
    // sos's process plugin
    ['ps_auxfwww', 'ps auxfwww'],
    ['ps_alxwww', 'ps alxwww'],
    ['ps_-elfL', 'ps -elfL'],
    // operators' (the reviewers' cases), filtered: was `not read`
    [PS, 'ps auxww'],
    ['ps_faux_grep_dnsmasq', 'ps faux'],
    ['ps_aux_grep_d60e4d79-bc10-4470-9434-297ace28ca84', 'ps aux'],
    ['ps_-ef_grep_dnsmasq', 'ps -ef'],
  ])('%s: ps, the command `%s`', (name, cmd) => {
    expect(classify(name)).toEqual({ kind: 'ps' });
    expect(psCommand(name)).toBe(cmd);
  });
  it.each(['pstree', 'psql_-l', 'ps.txt'])('%s: no ps listing by its name', (name) => {
    expect(classify(name)).toBeUndefined();
    expect(psCommand(name)).toBeUndefined();
  });
});

describe('ps by its content', () => {
  it.each([
    ["datacentred osnet1's row (`ps auxww | grep <net>`)", DC_ROW],
    ["grizzly's `ps faux | grep dnsmasq` (the ps columns cut: the command alone)", GRIZZLY_LINE],
    [
      'a header first (ps aux)',
      'USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot         1  0.0  0.1 167596 11640 ?        Ss   Nov27   0:05 /sbin/init\n',
    ],
    [
      'a header first (ps -ef)',
      'UID          PID    PPID  C STIME TTY          TIME CMD\nroot           1       0  0 Nov27 ?        00:00:05 /sbin/init\n',
    ],
  ])('%s', (_, text) => {
    expect(sniff(text)).toEqual({ kind: 'ps' });
  });
  it.each([
    ["a dnsmasq without Neutron's arguments alone on its line", 'dnsmasq --version\n'],
    ['prose naming dnsmasq', 'the dnsmasq --interface=tap1 line is missing\n'],
  ])('%s: not ps', (_, text) => {
    expect(sniff(text)).toBeUndefined();
  });
  it("grizzly's line: dnsmasq serving tap1a8f1ea3-54 for quantum's network, no pid (no ps column)", () => {
    expect(parseDnsmasqProcesses(GRIZZLY_LINE).value).toMatchObject([
      { interfaces: ['tap1a8f1ea3-54'], net: '5b4619d2-198b-453a-8ab6-b1c5545edb1f', line: 1 },
    ]);
    expect(parseDnsmasqProcesses(GRIZZLY_LINE).value[0]!.pid).toBeUndefined();
  });
});

describe('a filtered ps: its processes read, the excerpt said', () => {
  const only1 = (): string => {
    const d = tmpCase();
    cpSync(DC, d, { recursive: true });
    rmSync(join(d, 'osnet0'), { recursive: true });
    return d;
  };
  it('datacentred osnet1: dnsmasq pid 11651 as from `ps_auxww` (was: not read)', () => {
    const s = readCase(DC);
    const h = s.hosts.find((x) => x.name === 'osnet1')!;
    expect(h.dnsmasqProcesses).toMatchObject([
      { pid: 11651, interfaces: ['tapb7c643d7-1c'], net: NET, from: { file: `osnet1/${PS}`, line: 1 } },
    ]);
    expect(s.diagnostics.filter((d) => d.file === `osnet1/${PS}`).map((d) => d.message)).toEqual([
      `read as an excerpt of \`ps auxww\` (\`grep ${NET}\` after it is the filter its output went through): the processes it shows are read, what it does not show is unknown`,
    ]);
    expect(h.excerpts).toEqual([
      { of: 'other', file: `osnet1/${PS}`, line: 1, filter: `grep ${NET}`, collect: 'ps auxww' },
    ]);
    // A ps listing decides nothing by what it leaves out: nothing to collect for it.
    expect(h.gaps.join('\n')).not.toMatch(/ps_auxww/);
  });
  it('diagnose: the findings of the same bytes named ps_auxww (dhcp-server-not-traced, pid 11651)', () => {
    const a = only1();
    const b = only1();
    renameSync(join(b, 'osnet1', PS), join(b, 'osnet1', 'ps_auxww'));
    const codes = (d: string) =>
      diagnose(readCase(d))
        .findings.filter((f) => f.code !== 'input-note')
        .map((f) => [f.code, f.subject]);
    const ra = diagnose(readCase(a));
    expect(ra.verdict).toBe('undecided');
    expect(codes(a)).toEqual(codes(b));
    const f = ra.findings.find((x) => x.code === 'dhcp-server-not-traced')!;
    expect(f.message).toContain('dnsmasq (pid 11651, network 5f1e4cc8-37e2-4bfb-b96f-ea1884121542)');
  });
  it("grizzly's `ps faux | grep dnsmasq` alone: undecided, its dnsmasq said (was: exit 2 'nothing readable')", () => {
    const r = diagnose(readCase(GRIZZLY));
    expect(r.verdict).toBe('undecided');
    const f = r.findings.find((x) => x.code === 'dhcp-server-not-traced')!;
    expect(f.subject).toBe('network:tap1a8f1ea3-54');
    expect(f.evidence[0]).toMatchObject({ file: 'network/ps_faux_grep_dnsmasq', line: 1 });
  });
});
