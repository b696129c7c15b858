// Every parser on hostile input: random text, binary, cut files, over-long lines, empty files.
// A parser returns typed diagnostics with valid line numbers; it never throws and never hangs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OWN_FIXTURES, read, SEED_CASE } from '../testing/fixtures.ts';
import { parseConfDb } from './conf-db.ts';
import { type Diagnostic, MAX_LINE, type Parsed } from './diagnostics.ts';
import { parseDumpFlows } from './dump-flows.ts';
import { parseIfconfig } from './ifconfig.ts';
import { parseIpAddr } from './ip-addr.ts';
import { parseIpNetns } from './ip-netns.ts';
import { parseLinks } from './links.ts';
import { parseOfctlShow } from './ovs-ofctl-show.ts';
import { parseVsctlShow } from './ovs-vsctl-show.ts';
import { parseOvsdbMonitor } from './ovsdb-client-monitor.ts';
import { parseOvsdbDump, parseVsctlList } from './ovsdb-rows.ts';
import { parseDhcpHosts, parseDhcpLeases, parseDhcpOpts, parsePidFile } from './services.ts';

const OWN = join(OWN_FIXTURES, 'ovs31-neutron/sos_commands');
const DHCP = join(OWN_FIXTURES, 'lab-dhcp/var/lib/neutron/dhcp/49a623fd-c168-4f27-ad82-946bfb6df3d7');

type TextParser = (t: string) => Parsed<unknown>;
const PARSERS: [string, TextParser, string][] = [
  [
    'dump-flows',
    (t) => parseDumpFlows(t, { expectOutput: true }),
    read(join(OWN, 'openvswitch/ovs-ofctl_dump-flows_br-int')),
  ],
  ['vsctl show', parseVsctlShow, read(join(OWN, 'openvswitch/ovs-vsctl_-t_5_show'))],
  ['vsctl list', (t) => parseVsctlList(t, 'Port'), read(join(OWN, 'openvswitch/ovs-vsctl_-t_5_list_port'))],
  [
    'vsctl list json',
    (t) => parseVsctlList(t, 'Interface'),
    read(join(OWN, 'openvswitch/ovs-vsctl_--format_json_list_Interface')),
  ],
  ['ofctl show', parseOfctlShow, read(join(OWN, 'openvswitch/ovs-ofctl_show_br-int'))],
  ['ovsdb dump', parseOvsdbDump, read(join(OWN, 'openvswitch/ovsdb-client_dump'))],
  ['monitor', parseOvsdbMonitor, read(join(OWN, 'openvswitch/ovsdb-client_monitor_Port_name_tag_trunks'))],
  ['ip netns', parseIpNetns, read(join(SEED_CASE, 'domu/ip_netns'))],
  [
    'ifconfig',
    parseIfconfig,
    read(join(SEED_CASE, 'domu/ip_netns_exec_qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7_ifconfig')),
  ],
  ['ip addr', parseIpAddr, read(join(OWN, 'networking/ip_-d_address'))],
  ['ip -j addr', parseIpAddr, read(join(OWN, 'networking/ip_-j_addr'))],
  ['links', parseLinks, read(join(SEED_CASE, 'links.txt'))],
  ['dhcp leases', parseDhcpLeases, read(join(DHCP, 'leases'))],
  ['dhcp opts', parseDhcpOpts, read(join(DHCP, 'opts'))],
  ['dhcp hosts', parseDhcpHosts, read(join(DHCP, 'host'))],
  ['pid file', parsePidFile, read(join(DHCP, 'pid'))],
];

function checkDiagnostics(diags: Diagnostic[], text: string): void {
  const nlines = text.split('\n').length;
  for (const d of diags) {
    expect(['corrupt', 'ovs', 'warning']).toContain(d.severity);
    expect(Number.isInteger(d.line) && d.line >= 0 && d.line <= nlines, `line ${d.line} of ${nlines}`).toBe(
      true,
    );
    expect(typeof d.message).toBe('string');
    expect(d.code).toMatch(/^[a-z0-9-]+$/);
  }
}

describe.each(PARSERS)('%s parser on bad input', (_name, parse, good) => {
  it('reads its real sample cleanly', () => {
    expect(parse(good).diagnostics.filter((d) => d.severity === 'corrupt')).toEqual([]);
  });

  it('random and mutated text: typed diagnostics, never an exception', () => {
    const mutated = fc
      .tuple(
        fc.integer({ min: 0, max: good.length }),
        fc.integer({ min: 0, max: 40 }),
        fc.string({ maxLength: 20 }),
      )
      .map(([at, del, ins]) => good.slice(0, at) + ins + good.slice(at + del));
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 }), mutated),
        (text) => {
          checkDiagnostics(parse(text).diagnostics, text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a file cut mid-line is never presented as complete', () => {
    const cuts = fc
      .integer({ min: 1, max: good.length - 2 })
      .filter((k) => good[k - 1] !== '\n' && good[k] !== '\n');
    fc.assert(
      fc.property(cuts, (k) => {
        const text = good.slice(0, k);
        const r = parse(text);
        checkDiagnostics(r.diagnostics, text);
        // Either the format itself says corrupt, or at least the missing final newline is reported.
        expect(r.diagnostics.some((d) => d.severity === 'corrupt' || d.code === 'no-final-newline')).toBe(
          true,
        );
      }),
      { numRuns: 100 },
    );
  });

  it('binary content, NUL bytes and a line over 1 MiB are corrupt with a line number', () => {
    const withNul = `${good.slice(0, 10)}\0${good.slice(10)}`;
    expect(parse(withNul).diagnostics[0]).toMatchObject({
      severity: 'corrupt',
      code: 'binary',
      line: good.slice(0, 10).split('\n').length,
    });
    const long = `${good}${'x'.repeat(MAX_LINE + 1)}\n`;
    const d = parse(long).diagnostics[0]!;
    expect(d).toMatchObject({ severity: 'corrupt', code: 'line-too-long' });
    expect(d.line).toBe(good.split('\n').length);
    expect(parse('\uFFFD\uFFFD garbage').diagnostics[0]).toMatchObject({
      severity: 'corrupt',
      code: 'binary',
    });
  });
});

describe('conf.db on bad input', () => {
  const db = readFileSync(join(OWN_FIXTURES, 'ovs31-neutron/etc/openvswitch/conf.db'));
  it('random bytes and cut files: corrupt diagnostics, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: db.length }), (junk, cut) => {
        for (const buf of [
          Buffer.from(junk),
          db.subarray(0, cut),
          Buffer.concat([db.subarray(0, cut), junk]),
        ]) {
          const r = parseConfDb(buf);
          // Corrupt, or a last record cut off (incomplete: a warning).
          for (const d of r.diagnostics)
            expect(d.severity === 'corrupt' || (d.severity === 'warning' && d.code === 'truncated')).toBe(
              true,
            );
          if (buf.length !== db.length || !buf.equals(db)) {
            // Anything but the whole file or a prefix ending exactly on a record boundary is flagged.
            const ok = r.diagnostics.length === 0;
            if (ok) expect(r.value.records).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 300 },
    );
    expect(parseConfDb(Buffer.alloc(0)).diagnostics[0]).toMatchObject({ code: 'empty' });
  });
});
