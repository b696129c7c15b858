// parse/sysctl.ts against real sysctl outputs (parse/fixtures/sysctl, PROVENANCE.md), the names
// sos and operators save them under (sources/file-kinds.ts), and how a case reads them into
// Host.bridgeNfCallIptables (sources/readers.ts, host-builder.ts; /proc/sys through walk.ts).
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { classify, sniff, sosName } from '../sources/file-kinds.ts';
import { cleanupCases, tmpCase } from '../testing/case-edits.ts';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
import { parseSysctl, parseSysctlValue, sysctlKey } from './sysctl.ts';

afterAll(cleanupCases);

const KEY = 'net.bridge.bridge-nf-call-iptables';
const fixture = (name: string): string => readFileSync(join(OWN_FIXTURES, 'sysctl', name), 'utf8');
const SYSCTL_A = fixture('sysctl_-a');
const ONE_KEY = fixture('sysctl_net.bridge.bridge-nf-call-iptables');
const CANNOT_STAT = `sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\n`;

describe('parseSysctl', () => {
  it('a whole real sysctl -a: every line a key, br_netfilter’s six keys kept with their lines', () => {
    const r = parseSysctl(SYSCTL_A);
    expect(r.diagnostics).toEqual([]);
    expect(r.value.keys).toBe(1554);
    expect(r.value.families).toEqual(expect.arrayContaining(['kernel', 'net', 'vm']));
    expect(r.value.bridge.map((b) => `${b.line} ${b.key} ${b.value}`)).toEqual([
      '194 net.bridge.bridge-nf-call-arptables 1',
      '195 net.bridge.bridge-nf-call-ip6tables 1',
      `196 ${KEY} 1`,
      '197 net.bridge.bridge-nf-filter-pppoe-tagged 0',
      '198 net.bridge.bridge-nf-filter-vlan-tagged 0',
      '199 net.bridge.bridge-nf-pass-vlan-input-dev 0',
    ]);
    expect(r.value.missing).toEqual([]);
  });

  it.each([
    [
      '`sysctl net.bridge.bridge-nf-call-iptables`',
      ONE_KEY,
      { bridge: [{ key: KEY, value: '1', line: 1 }], missing: [], families: ['net'], keys: 1 },
    ],
    [
      'its note when br_netfilter is not loaded',
      CANNOT_STAT,
      { bridge: [], missing: [{ key: KEY, line: 1 }], families: [], keys: 0 },
    ],
    [
      "sysctl's notes on other keys (stderr kept by sos) are skipped",
      `sysctl: permission denied on key 'fs.protected_fifos', ignoring\nsysctl: reading key "net.ipv6.conf.all.stable_secret"\n${KEY} = 0\n`,
      { bridge: [{ key: KEY, value: '0', line: 3 }], missing: [], families: ['net'], keys: 1 },
    ],
    [
      'a multi-line value (dev.cdrom.info) is lines of one key; a key with slashes (sysctl -a on a VLAN device)',
      'dev.cdrom.info = CD-ROM information\ndev.cdrom.info = \nnet.ipv4.conf.eth0/100.forwarding = 1\n',
      { bridge: [], missing: [], families: ['dev', 'net'], keys: 3 },
    ],
  ])('%s', (_what, text, value) => {
    const r = parseSysctl(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toEqual(value);
  });

  it('a line that is no `key = value` is said, the rest read', () => {
    const r = parseSysctl(`$ sysctl -a | grep bridge\n${KEY} = 1\n`);
    expect(r.diagnostics).toEqual([expect.objectContaining({ line: 1, code: 'not-sysctl' })]);
    expect(r.value.bridge).toEqual([{ key: KEY, value: '1', line: 2 }]);
  });
});

describe('parseSysctlValue (a /proc/sys file, sysctl -n)', () => {
  it.each([
    ['1\n', [{ key: KEY, value: '1', line: 1 }], []],
    ['0\n', [{ key: KEY, value: '0', line: 1 }], []],
    [CANNOT_STAT, [], [{ key: KEY, line: 1 }]],
    ['', [], []],
  ])('%j', (text, bridge, missing) => {
    const r = parseSysctlValue(text, KEY);
    expect(r.diagnostics).toEqual([]);
    expect(r.value.bridge).toEqual(bridge);
    expect(r.value.missing).toEqual(missing);
  });

  it('anything but one number is said, not read', () => {
    const r = parseSysctlValue('on\n', KEY);
    expect(r.value.bridge).toEqual([]);
    expect(r.diagnostics).toEqual([expect.objectContaining({ line: 1, code: 'not-sysctl' })]);
    expect(parseSysctlValue('1\n1\n', KEY).diagnostics).toEqual([expect.objectContaining({ line: 2 })]);
  });

  it('a /proc/sys path is its key', () => {
    expect(sysctlKey('net/bridge/bridge-nf-call-iptables')).toBe(KEY);
    expect(sysctlKey('/proc/sys/net/bridge/bridge-nf-call-iptables')).toBe(KEY);
  });
});

describe('sysctl files by name and by content', () => {
  it.each([
    // sos kernel plugin (canonical/hotsos tests/unit/fake_data_root/openstack/sos_commands/kernel/sysctl_-a)
    [sosName(['sysctl', '-a']), { kind: 'sysctl', all: true }],
    [sosName(['sysctl', KEY]), { kind: 'sysctl', all: false }],
    [sosName(['sysctl', KEY, 'net.ipv4.ip_forward']), { kind: 'sysctl', all: false }],
    [sosName(['sysctl', '-n', KEY]), { kind: 'sysctl', all: false, key: KEY }],
    ['sysctl', undefined],
  ])('%s', (name, kind) => {
    expect(classify(name)).toEqual(kind);
  });

  it.each([
    ['a pasted `sysctl -a`', SYSCTL_A],
    ['a pasted `sysctl net.bridge.bridge-nf-call-iptables`', ONE_KEY],
    ["sysctl's note that the key does not exist", CANNOT_STAT],
  ])('%s is recognised', (_what, text) => {
    expect(sniff(text)).toEqual({ kind: 'sysctl', all: false });
  });

  it.each(['[ovs]\nlocal_ip = 10.0.0.1\n', 'bridge_mappings = physnet1:br-ex\n'])(
    'not sysctl: %j',
    (text) => {
      expect(sniff(text)?.kind).not.toBe('sysctl');
    },
  );
});

describe('read into the host', () => {
  /** A sosreport host folder with the given files. */
  const sosHost = (files: Record<string, string>, link?: [string, string]): string => {
    const d = tmpCase();
    const h = join(d, 'compute1');
    mkdirSync(join(h, 'sos_commands/networking'), { recursive: true });
    writeFileSync(join(h, 'sos_commands/networking/ip_netns'), '');
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(h, rel, '..'), { recursive: true });
      writeFileSync(join(h, rel), text);
    }
    if (link) {
      mkdirSync(join(h, link[1], '..'), { recursive: true });
      symlinkSync(link[0], join(h, link[1]));
    }
    return d;
  };
  const nf = (d: string) => readCase(d).hosts[0]!.bridgeNfCallIptables;

  it('sos_commands/kernel/sysctl_-a: the value and its line', () => {
    expect(nf(sosHost({ 'sos_commands/kernel/sysctl_-a': SYSCTL_A }))).toEqual({
      known: true,
      value: 'on',
      from: [{ file: 'compute1/sos_commands/kernel/sysctl_-a', line: 196 }],
    });
  });

  it('sos’s copy of /proc/sys: read although proc/ is not walked; agreeing sources add their evidence', () => {
    expect(
      nf(
        sosHost({
          'sos_commands/kernel/sysctl_-a': SYSCTL_A,
          'proc/sys/net/bridge/bridge-nf-call-iptables': '1\n',
          'proc/sys/net/bridge/bridge-nf-call-arptables': '0\n',
        }),
      ),
    ).toEqual({
      known: true,
      value: 'on',
      from: [
        { file: 'compute1/proc/sys/net/bridge/bridge-nf-call-iptables', line: 1 },
        { file: 'compute1/sos_commands/kernel/sysctl_-a', line: 196 },
      ],
    });
  });

  it('a /proc/sys path through a symbolic link is not followed', () => {
    const d = sosHost({ 'elsewhere/bridge-nf-call-iptables': '0\n' }, [
      '../../../elsewhere/bridge-nf-call-iptables',
      'proc/sys/net/bridge/bridge-nf-call-iptables',
    ]);
    expect(nf(d)).toBeUndefined();
  });

  it('a pasted sysctl -a with lines left out: a missing key proves nothing; the host asks for all of sysctl -a', () => {
    const d = sosHost({
      'sysctl-a.txt': SYSCTL_A.replace(/^net\.bridge\..*\n/gm, '').replace(
        /^(fs\.file-max = .*\n)/m,
        '$1...\n',
      ),
    });
    const h = readCase(d).hosts[0]!;
    expect(h.bridgeNfCallIptables).toBeUndefined();
    expect(h.excerpts).toEqual([
      { of: 'other', collect: 'sysctl -a', file: 'compute1/sysctl-a.txt', line: 16 },
    ]);
  });

  it('a sysctl -a cut short by a tool error: a missing key proves nothing', () => {
    const cut = `${SYSCTL_A.replace(/^net\.bridge\..*\n/gm, '')}sos: command timed out after 300s\n`;
    expect(nf(sosHost({ 'sos_commands/kernel/sysctl_-a': cut }))).toBeUndefined();
  });
});
