// Published outputs a reviewer brought (src/sources/fixtures/review6/PROVENANCE.md): a br-int dump
// the author cut down to the flows he explained, with no marker but without its header line, read
// as the whole table (a table miss "proven": PROBLEM on a working cloud); a header with a trailing
// blank refused; `。。。` (the Chinese ellipsis) taken for a wrapped record.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headerCutAt, parseDumpFlows } from '../parse/dump-flows.ts';
import { repairPaste } from '../parse/paste.ts';
import { ROOT } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const R6 = join(ROOT, 'src/sources/fixtures/review6');
const run = (...args: string[]) =>
  spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

// OVS 3.1, `ovs-ofctl <opts> dump-flows bx` of one bridge (run here on a dummy-datapath instance).
const DEFAULT =
  ' cookie=0x0, duration=0.016s, table=0, n_packets=0, n_bytes=0, idle_age=0, priority=3,in_port=1 actions=drop';
const NAMES =
  ' cookie=0x0, duration=0.043s, table=0, n_packets=0, n_bytes=0, priority=3,in_port=1 actions=drop';
const OF13 =
  ' cookie=0x0, duration=0.037s, table=0, n_packets=0, n_bytes=0, reset_counts priority=3,in_port=1 actions=drop';

describe('a dump in the form that prints a header, without it: an excerpt', () => {
  it.each([
    ['the default form, header kept', `NXST_FLOW reply (xid=0x4):\n${DEFAULT}\n`, undefined],
    ['the default form, header cut off', `${DEFAULT}\n`, 1],
    ['after blank lines', `\n\n${DEFAULT}\n`, 3],
    ['--names / --sort (no header, no idle_age)', `${NAMES}\n`, undefined],
    ['-O OpenFlow13 --sort', `${OF13}\n`, undefined],
    ['--no-stats', ' priority=3,in_port=1 actions=drop\n', undefined],
    ['the header with a trailing blank (a paste)', `NXST_FLOW reply (xid=0x4): \n${DEFAULT}\n`, undefined],
    ['idle_age only inside the actions', ' priority=1 actions=learn(table=1,idle_age=5)\n', undefined],
    // review9: the seed's xapi3 dump piped through sort: its header last, nothing left out.
    ['the header after the flows (sorted)', `${DEFAULT}\nNXST_FLOW reply (xid=0x4):\n`, undefined],
  ])('%s', (_, text, line) => {
    expect(headerCutAt(text)).toBe(line);
  });

  it('cn-vxlan-host42-host41: host42 br-int is an excerpt from its first line, said once', () => {
    const s = readCase(join(R6, 'cn-vxlan-host42-host41'));
    const h = s.hosts.find((x) => x.name === 'host42')!;
    expect(h.excerpts).toContainEqual(
      expect.objectContaining({
        of: 'flows',
        bridge: 'br-int',
        file: 'host42/ovs-ofctl_dump-flows_br-int',
        line: 1,
      }),
    );
    expect(s.diagnostics.filter((d) => d.code === 'header-missing')).toEqual([
      expect.objectContaining({ file: 'host42/ovs-ofctl_dump-flows_br-int', line: 1, severity: 'warning' }),
    ]);
    // host42's br-tun and host41's dumps keep their header: whole.
    expect(s.diagnostics.filter((d) => d.code === 'header-missing')).toHaveLength(1);
  });

  it('diagnose: undecided (was PROBLEM, exit 1: "dies on host42 br-int table 0: no flow matches")', () => {
    const r = run('diagnose', join(R6, 'cn-vxlan-host42-host41'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
    expect(r.stdout).not.toContain('PROBLEM');
    expect(r.stdout).not.toContain('table miss');
    expect(r.stdout).toContain(
      'host42:qvoa1c05cb3-90: DISCOVER incomplete; not proven: host42:br-int: the flow dump host42/ovs-ofctl_dump-flows_br-int is an excerpt',
    );
  });
});

describe('pasted dumps from a Chinese DVR post (cn-dvr-juno-compute in /tmp/review6)', () => {
  // Its br-tun, as published: the header with a trailing blank, `。。。` where flows were left out.
  const BR_TUN = [
    'NXST_FLOW reply (xid=0x4): ',
    '。。。',
    'cookie=0x0, duration=64720.432s, table=1, n_packets=4, n_bytes=168, idle_age=64607, priority=3,arp,dl_vlan=1,arp_tpa=10.0.1.1 actions=drop ',
    'cookie=0x0, duration=62666.766s, table=1, n_packets=2, n_bytes=84, idle_age=62576, priority=3,arp,dl_vlan=2,arp_tpa=10.0.2.1 actions=drop ',
    '。。。',
    '',
  ].join('\n');

  it('the header with a trailing blank is the header (was: not a flow line, exit 2)', () => {
    const r = parseDumpFlows(`${BR_TUN.split('\n')[0]}\n${BR_TUN.split('\n')[2]}\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.value.header).toBe('NXST_FLOW reply (xid=0x4):');
    expect(r.value.version).toBe('OpenFlow10');
    expect(r.value.flows).toHaveLength(1);
  });

  it('a line of blanks between words is passed in one go (the fuzz run hung on a trailing-blank regex)', () => {
    // bench/fuzz's input 298 (seed 1): an ethtool output with 800k blanks inside its second line.
    const r = parseDumpFlows(`NXST_FLOW reply (xid=0x4):\nPause paramet${' '.repeat(300_000)}ers\n`);
    expect(r.value.header).toBe('NXST_FLOW reply (xid=0x4):');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['not-a-flow']);
  });

  it('`。。。` is an elision, as `...` is (was: "one record wrapped over several lines")', () => {
    const p = repairPaste(BR_TUN, { flows: true });
    expect(p.excerpt).toBe(2);
    expect(p.elisions).toEqual([2, 5]);
    expect(p.diagnostics.map((d) => d.code)).not.toContain('wrapped-unreadable');
    const r = parseDumpFlows(p.text);
    expect(r.diagnostics).toEqual([]);
    expect(r.value.flows).toHaveLength(2);
  });
});

describe('ovs-vsctl show copied from below its UUID line (xianghui-havana-gre in /tmp/review6)', () => {
  // The published block's first lines: ovs-vsctl's own 4 spaces, no UUID line above them.
  const SHOW = [
    '    Bridge br-int',
    '        Port "tap6ea55329-d8"',
    '            tag: 1',
    '            Interface "tap6ea55329-d8"',
    '                type: internal',
    '    ovs_version: "1.10.0"',
    '',
  ].join('\n');
  it.each([
    ['as published: no note (was: "every line indented by 4 spaces (a paste)")', SHOW, []],
    [
      "the same with a chat's 2 extra spaces: the paste said",
      SHOW.replace(/^(?=.)/gm, '  '),
      ['every line indented by "      " (a paste): read without it'],
    ],
    [
      'a whole show indented by 4 spaces (its UUID line too): the paste said',
      `    0b3a1e21-6d1f-4f0c-9d4e-5b8a6f1c2d3e\n${SHOW.replace(/^(?=.)/gm, '    ')}`,
      ['every line indented by "    " (a paste): read without it'],
      '    Bridge br-int',
    ],
  ])('%s', (_, text, notes, bridge = 'Bridge br-int') => {
    const r = repairPaste(text, { comments: true, vsctlShow: true });
    expect(r.diagnostics.map((d) => d.message)).toEqual(notes);
    expect(r.text.split('\n')[r.text.split('\n').findIndex((l) => l.includes('Bridge'))]).toBe(bridge);
  });
});
