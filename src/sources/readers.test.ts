// The reader table (one entry per file kind, phases explicit) and outputs cut short: by a tool's
// error after part of the output, or by a last record without its newline. Incomplete, not corrupt.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBridge, findPort } from '../model/snapshot.ts';
import { parseVsctlShow } from '../parse/ovs-vsctl-show.ts';
import { OWN_FIXTURES, SEED_CASE } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';
import { PHASES, READERS, ROW_ORDER, showDifference } from './readers.ts';

const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});
function seedCopy(): string {
  const d = mkdtempSync(join(tmpdir(), 'vifpath-readers-'));
  tmp.push(d);
  cpSync(SEED_CASE, d, { recursive: true });
  return d;
}
const OVS31 = join(OWN_FIXTURES, 'ovs31-neutron/sos_commands/openvswitch');

describe('the reader table', () => {
  it('has a reader for every kind; the phases run rows, vsctl show, monitor, ofctl show, the rest', () => {
    expect([...PHASES]).toEqual(['rows', 'vsctl-show', 'monitor', 'ofctl-show', 'rest']);
    for (const k of ROW_ORDER) expect(READERS[k].phase).toBe('rows');
    expect(READERS['vsctl-show'].phase).toBe('vsctl-show');
    expect(READERS.monitor.phase).toBe('monitor');
    expect(READERS['ofctl-show'].phase).toBe('ofctl-show');
    expect(READERS['dump-flows'].phase).toBe('rest');
    expect(READERS.aux.phase).toBe('never');
    // A kind without a reader does not compile:
    const { aux: _aux, ...rest } = READERS;
    // @ts-expect-error aux has no reader in `rest`
    const incomplete: typeof READERS = rest;
    expect(Object.keys(incomplete)).not.toContain('aux');
  });

  it('reads the seed as before: rows and show first, so the monitor and ofctl show find their ports', () => {
    const s = readCase(SEED_CASE);
    const dom0 = s.hosts.find((h) => h.name === 'dom0')!;
    expect(findPort(dom0, 'vif16.0')!.port.tag).toMatchObject({ known: true, value: null });
    const xapi3 = findBridge(dom0, 'xapi3')!;
    expect(xapi3.flows.known && xapi3.flows.value.entries.length).toBe(3);
    expect(xapi3.flows.known && xapi3.flows.value.complete).toBe(true);
    expect(s.diagnostics.filter((d) => d.severity === 'corrupt')).toEqual([]);
  });
});

describe('output kept before a tool error is incomplete where it matters', () => {
  it('a dump-flows cut by an error line: its flows are kept, the dump is incomplete', () => {
    const d = seedCopy();
    const f = join(d, 'dom0/ovs-ofctl_dump-flows_xapi3');
    const lines = readFileSync(f, 'utf8').split('\n');
    writeFileSync(f, `${lines.slice(0, 3).join('\n')}\nCommand timed out after 300s\n`);
    const s = readCase(d);
    const xapi3 = findBridge(s.hosts.find((h) => h.name === 'dom0')!, 'xapi3')!;
    expect(xapi3.flows.known && xapi3.flows.value.entries.length).toBe(2);
    expect(xapi3.flows.known && xapi3.flows.value.complete).toBe(false);
    expect(s.diagnostics).toContainEqual(
      expect.objectContaining({
        file: 'dom0/ovs-ofctl_dump-flows_xapi3',
        severity: 'tool',
        code: 'timeout',
        line: 4,
      }),
    );
  });

  it('the same in a sosreport, where the dump reader says the error line itself', () => {
    const FIELD = join(OWN_FIXTURES, 'field', 'hotsos-openstack');
    const brInt = (dir: string) =>
      findBridge(readCase(dir).hosts.find((h) => h.name === 'compute')!, 'br-int')!;
    const before = brInt(FIELD);
    if (!before.flows.known) throw new Error('the fixture has a br-int dump');
    const file = before.flows.value.file;
    const d = mkdtempSync(join(tmpdir(), 'vifpath-readers-'));
    tmp.push(d);
    cpSync(FIELD, d, { recursive: true });
    const path = join(d, file);
    const text = readFileSync(path, 'utf8');
    const cutAt = text.split('\n').length;
    writeFileSync(path, `${text}Command timed out after 300s\n`);
    const s = readCase(d);
    const after = findBridge(s.hosts.find((h) => h.name === 'compute')!, 'br-int')!;
    // The cut dump is passed over for a complete form of the same bridge, and says why.
    if (!after.flows.known) throw new Error('br-int has a dump');
    expect(after.flows.value.file).not.toBe(file);
    expect(after.flows.value.complete).toBe(true);
    expect(after.flows.value.alternatives).toContainEqual(expect.objectContaining({ file }));
    expect(s.diagnostics).toContainEqual(
      expect.objectContaining({ file, severity: 'tool', code: 'timeout', line: cutAt }),
    );
    // In place of the output: a fact about the host, not corrupt input.
    writeFileSync(
      path,
      'ovs-ofctl: /var/run/openvswitch/br-int.mgmt: failed to connect to socket (Permission denied)\n',
    );
    const only = readCase(d);
    expect(only.diagnostics.filter((x) => x.severity === 'corrupt')).toEqual([]);
    expect(only.diagnostics).toContainEqual(
      expect.objectContaining({ file, severity: 'tool', code: 'permission-denied', line: 1 }),
    );
    // Its flows are unknown, not none: the complete forms of the same bridge are used.
    const br = findBridge(only.hosts.find((h) => h.name === 'compute')!, 'br-int')!;
    if (!br.flows.known) throw new Error('br-int has a dump');
    expect(br.flows.value.file).not.toBe(file);
    expect(br.flows.value.entries.length).toBe(before.flows.value.entries.length);
    // The tool's line last, without a newline: the line is the tool's, no flow was cut.
    writeFileSync(path, `${text}Command timed out after 300s`);
    const unterminated = readCase(d).diagnostics.filter((x) => x.file === file);
    expect(unterminated.map((x) => x.code)).toEqual(['timeout']);
  });

  it('an ovs-vsctl list cut by an error line: rows before it are read, the host says what is missing', () => {
    const d = seedCopy();
    const list = readFileSync(join(OVS31, 'ovs-vsctl_-t_5_list_port'), 'utf8');
    const two = list.split('\n\n').slice(0, 2).join('\n\n');
    const cutAt = two.split('\n').length + 1;
    writeFileSync(join(d, 'dom0/ovs-vsctl_-t_5_list_port'), `${two}\novs-vsctl: Permission denied\n`);
    const s = readCase(d);
    const dom0 = s.hosts.find((h) => h.name === 'dom0')!;
    expect(s.diagnostics.filter((x) => x.severity === 'corrupt')).toEqual([]);
    expect(dom0.gaps).toContainEqual(
      `dom0/ovs-vsctl_-t_5_list_port is cut short at line ${cutAt}: what the command would have printed after it is missing`,
    );
  });
});

describe('a cut last line (no newline, unparseable) is incomplete, not corrupt, in every OVS parser', () => {
  it('ovs-vsctl list: the record before is kept, the cut value is a truncated warning and a gap', () => {
    const d = seedCopy();
    const list = readFileSync(join(OVS31, 'ovs-vsctl_-t_5_list_port'), 'utf8');
    const at = list.indexOf('external_ids        : {', list.indexOf('\n\n'));
    const text = `${list.slice(0, at)}external_ids        : {"attached-mac"="fa:16`;
    writeFileSync(join(d, 'dom0/ovs-vsctl_-t_5_list_port'), text);
    const s = readCase(d);
    const n = text.split('\n').length;
    expect(s.diagnostics.filter((x) => x.severity === 'corrupt')).toEqual([]);
    expect(s.diagnostics).toContainEqual(
      expect.objectContaining({
        file: 'dom0/ovs-vsctl_-t_5_list_port',
        severity: 'warning',
        code: 'truncated',
        line: n,
      }),
    );
    expect(s.hosts.find((h) => h.name === 'dom0')!.gaps.join('\n')).toContain(
      `ovs-vsctl_-t_5_list_port is cut short at line ${n}`,
    );
  });

  it('ovsdb-client monitor: a row cut off at the end is a warning', () => {
    const d = seedCopy();
    const f = join(d, 'dom0/ovsdb-client_monitor_Interface_name_ofport');
    const full = readFileSync(f, 'utf8');
    writeFileSync(f, full.slice(0, full.trimEnd().length - 6));
    const s = readCase(d);
    expect(s.diagnostics.filter((x) => x.severity === 'corrupt')).toEqual([]);
    expect(s.diagnostics).toContainEqual(
      expect.objectContaining({ file: 'dom0/ovsdb-client_monitor_Interface_name_ofport', code: 'truncated' }),
    );
  });

  it('conf.db cut inside its last record: the database before that transaction, a warning and a gap', () => {
    const d = seedCopy();
    const db = readFileSync(join(OWN_FIXTURES, 'ovs31-neutron/etc/openvswitch/conf.db'));
    mkdirSync(join(d, 'other/etc/openvswitch'), { recursive: true });
    writeFileSync(join(d, 'other/etc/openvswitch/conf.db'), db.subarray(0, db.length - 7));
    const s = readCase(d);
    const other = s.hosts.find((h) => h.name === 'other')!;
    expect(s.diagnostics.filter((x) => x.severity === 'corrupt')).toEqual([]);
    expect(other.bridges.length).toBeGreaterThan(0);
    expect(other.gaps.some((g) => g.startsWith('other/etc/openvswitch/conf.db is cut short'))).toBe(true);
  });
});

describe('showDifference: the first thing two whole `ovs-vsctl show` outputs disagree on', () => {
  // ovs31-neutron's output (its README.md says how it was captured), each row an edit of it; the line in each output.
  const show = readFileSync(join(OVS31, 'ovs-vsctl_-t_5_show'), 'utf8');
  const parsed = (t: string) => parseVsctlShow(t).value;
  it('the same output: none', () => {
    expect(showDifference(parsed(show), parsed(show))).toBeUndefined();
  });
  it.each<[string, string, string, ReturnType<typeof showDifference>]>([
    [
      'the database UUID',
      'f3f045bc-b7dd-45fc-9e3a-ad5c8405fc5f',
      'f3f045bc-b7dd-45fc-9e3a-ad5c8405fc50',
      {
        what: 'the database UUID',
        there: 'f3f045bc-b7dd-45fc-9e3a-ad5c8405fc5f',
        here: 'f3f045bc-b7dd-45fc-9e3a-ad5c8405fc50',
        line: 1,
        thereLine: 1,
      },
    ],
    [
      'a bridge only here',
      '    Bridge br-of13\n',
      '    Bridge br-new\n        Port br-new\n            Interface br-new\n    Bridge br-of13\n',
      { what: 'bridge br-new', there: 'absent', here: 'shown', line: 47 },
    ],
    [
      'a bridge only there',
      '    Bridge br-of13\n        datapath_type: netdev\n        Port p13a\n            Interface p13a\n                type: internal\n        Port p13b\n            Interface p13b\n                type: internal\n        Port br-of13\n            Interface br-of13\n                type: internal\n',
      '',
      { what: 'bridge br-of13', there: 'shown', here: 'absent', line: 0, thereLine: 47 },
    ],
    [
      'fail_mode',
      '        fail_mode: secure\n        datapath_type: netdev\n        Port a-very',
      '        fail_mode: standalone\n        datapath_type: netdev\n        Port a-very',
      { what: "bridge br-int's fail_mode", there: '"secure"', here: '"standalone"', line: 2, thereLine: 2 },
    ],
    [
      'datapath_type',
      '    Bridge br-of13\n        datapath_type: netdev\n',
      '    Bridge br-of13\n',
      { what: "bridge br-of13's datapath_type", there: '"netdev"', here: 'none', line: 47, thereLine: 47 },
    ],
    [
      'a port only here',
      '        Port br-of13\n',
      '        Port p13c\n            Interface p13c\n        Port br-of13\n',
      { what: 'port p13c on br-of13', there: 'absent', here: 'shown', line: 55 },
    ],
    [
      'a port only there',
      '        Port p13b\n            Interface p13b\n                type: internal\n',
      '',
      { what: 'port p13b on br-of13', there: 'shown', here: 'absent', line: 47, thereLine: 52 },
    ],
    [
      'a tag',
      '            tag: 20\n',
      '            tag: 21\n',
      { what: "port pntag's tag", there: '20', here: '21', line: 16, thereLine: 16 },
    ],
    [
      'trunks',
      '            trunks: [10, 20]\n',
      '            trunks: [10]\n',
      { what: "port ptrunk's trunks", there: '[10,20]', here: '[10]', line: 32, thereLine: 32 },
    ],
    [
      'an interface only here (after one with another type: that one first)',
      '            Interface pntag\n                type: internal\n',
      '            Interface pntag\n                type: system\n            Interface pntag2\n',
      { what: "interface pntag's type", there: '"internal"', here: '"system"', line: 18, thereLine: 18 },
    ],
    [
      'an interface only here',
      '            Interface pntag\n                type: internal\n',
      '            Interface pntag\n                type: internal\n            Interface pntag2\n',
      { what: 'interface pntag2 of port pntag', there: 'absent', here: 'shown', line: 20 },
    ],
    [
      'an interface only there (after another type: the type first)',
      '            Interface pntag\n                type: internal\n',
      '            Interface pntag\n                type: system\n',
      { what: "interface pntag's type", there: '"internal"', here: '"system"', line: 18, thereLine: 18 },
    ],
    [
      'an interface renamed: the new name, shown here',
      '        Port pntag\n            tag: 20\n            Interface pntag\n                type: internal\n',
      '        Port pntag\n            tag: 20\n            Interface pntag0\n                type: internal\n',
      { what: 'interface pntag0 of port pntag', there: 'absent', here: 'shown', line: 18 },
    ],
    [
      'options',
      '                options: {peer=patch-int}\n',
      '                options: {peer=patch-int2}\n',
      {
        what: "interface patch-tun's options",
        there: '{"peer":"patch-int"}',
        here: '{"peer":"patch-int2"}',
        line: 9,
        thereLine: 9,
      },
    ],
  ])('%s', (_, from, to, expected) => {
    expect(show).toContain(from);
    expect(showDifference(parsed(show), parsed(show.replace(from, to)))).toEqual(expected);
  });
  it('an interface only there: named with the port line here', () => {
    // An error line (not compared) moves the lines after it there: the port's differs here.
    const two = show
      .replace(
        '            Interface pntag\n                type: internal\n',
        '            Interface pntag\n                type: internal\n            Interface pntag2\n',
      )
      .replace(
        '            Interface a-very-long-port-name-1\n',
        '            Interface a-very-long-port-name-1\n                error: "gone"\n',
      );
    expect(showDifference(parsed(two), parsed(show))).toEqual({
      what: 'interface pntag2 of port pntag',
      there: 'shown',
      here: 'absent',
      line: 16,
      thereLine: 21,
    });
  });
});
