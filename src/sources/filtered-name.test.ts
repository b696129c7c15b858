// Filtered outputs saved under the sos-mangled name of the command as typed (fixtures/filtered-names/
// PROVENANCE.md): the words after the bridge or record are a filter, never a bridge of their own.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBridge, findExcerpt, findPort } from '../model/snapshot.ts';
import { ROOT } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';
import { filteredName } from './filtered-name.ts';

const FIX = join(ROOT, 'src/sources/fixtures/filtered-names');

describe('filteredName: the operand and the filter in a mangled name', () => {
  it.each([
    // [operand as the name has it, dump-flows?, before, filter, how, table, cut]
    ['br-int_grep_3e399bf2-31', false, 'br-int', 'grep 3e399bf2-31', 'pipe', undefined, 'grep 3e399bf2-31'],
    ['qvo3e399bf2-31_grep_tag', false, 'qvo3e399bf2-31', 'grep tag', 'pipe', undefined, 'grep tag'],
    ['br-int_table_0_in_port_2', true, 'br-int', 'table=0,in_port=2', 'match', 0, 'in_port=2'],
    ['br-tun_head_-20', true, 'br-tun', 'head -20', 'pipe', undefined, 'head -20'],
  ] as const)('%s', (operand, dump, before, filter, how, table, cut) => {
    expect(filteredName(operand, dump)).toEqual({ before, filter, how, table, cut });
  });
  // Names of real files in reviewers' cases (fixtures/filtered-names/PROVENANCE.md): the bridge,
  // then any of a table, a flow match and a pipe, in any order; the table stays the table.
  it.each([
    // datacentred-gre-dhcp (Nick Jones's post): `dump-flows br-tun table=2 | grep 0x1b` on osnet0
    ['br-tun_table=2_grep_0x1b', 'br-tun', 'table=2 | grep 0x1b', 'pipe', 2, 'grep 0x1b'],
    ['br-tun_table=21_grep_0x1b', 'br-tun', 'table=21 | grep 0x1b', 'pipe', 21, 'grep 0x1b'],
    // its acid: each part alone
    ['br-tun_table=10', 'br-tun', 'table=10', 'match', 10, undefined],
    ['br-tun_grep_0x1b', 'br-tun', 'grep 0x1b', 'pipe', undefined, 'grep 0x1b'],
    // the same as sos's rule writes them, and in the other order (a name typed by hand)
    ['br-tun_table_2_grep_0x1b', 'br-tun', 'table=2 | grep 0x1b', 'pipe', 2, 'grep 0x1b'],
    ['br-tun_grep_0x1b_table=2', 'br-tun', 'table=2 | grep 0x1b', 'pipe', 2, 'grep 0x1b'],
    ['br-tun_table(2)_grep_0x1b', 'br-tun', 'table=2 | grep 0x1b', 'pipe', 2, 'grep 0x1b'],
    // the operations guide's compute node; a port-check post
    ['br-int_grep_vlan=2113', 'br-int', 'grep vlan=2113', 'pipe', undefined, 'grep vlan=2113'],
    ['br-eth1_grep_2113', 'br-eth1', 'grep 2113', 'pipe', undefined, 'grep 2113'],
    ['br-tun_grep_0x3', 'br-tun', 'grep 0x3', 'pipe', undefined, 'grep 0x3'],
    [
      'br-int_grep_fa:16:3e:14:b6:10',
      'br-int',
      'grep fa:16:3e:14:b6:10',
      'pipe',
      undefined,
      'grep fa:16:3e:14:b6:10',
    ],
    // a grep's first word is its pattern: `grep table=2` shows lines of any table with `table=2` in them
    ['br-tun_grep_table=2', 'br-tun', 'grep table=2', 'pipe', undefined, 'grep table=2'],
    ['br-tun_grep_-v_table_0', 'br-tun', 'grep -v table 0', 'pipe', undefined, 'grep -v table 0'],
    // a table and a match and a pipe; two tables are no one table; every table filtered is the bridge filtered
    [
      'br-int_table=0_in_port=2_grep_0x1b',
      'br-int',
      'table=0,in_port=2 | grep 0x1b',
      'pipe',
      0,
      'in_port=2 | grep 0x1b',
    ],
    ['br-int_table_0_table_1', 'br-int', 'table=0,table=1', 'match', undefined, 'table=0,table=1'],
    ['br-tun_table_255_grep_x', 'br-tun', 'table=255 | grep x', 'pipe', undefined, 'table=255 | grep x'],
  ] as const)('dump-flows %s', (operand, before, filter, how, table, cut) => {
    expect(filteredName(operand, true)).toEqual({ before, filter, how, table, cut });
  });
  it.each([
    ['br-int', true],
    ['xapi3', true],
    ['br_ex', true],
    // a flow match only after dump-flows: `ovs-ofctl show br-int_table_0` names a bridge
    ['br-int_table_0', false],
    // a pipe with no pattern is no filter of a name
    ['br-int_grep', true],
  ] as const)('%s: no filter', (operand, dump) => {
    expect(filteredName(operand, dump)).toBeUndefined();
  });
});

describe('a filtered output is an excerpt of the bridge or record before the filter', () => {
  it('slawqo compute1: `ovs-ofctl show br-int | grep 3e399bf2-31` and `ovs-vsctl list port qvo3e399bf2-31 | grep tag`', () => {
    const s = readCase(join(FIX, 'slawqo-compute1'));
    const h = s.hosts[0]!;
    // Was: bridge br-int_grep_3e399bf2-31 holding the VM port, and the list port row dropped.
    expect(h.bridges.map((b) => b.name).sort()).toEqual(['br-int', 'br-tun']);
    const p = findPort(h, 'qvo3e399bf2-31')!;
    expect(p.bridge.name).toBe('br-int');
    expect(p.port.tag).toMatchObject({
      known: true,
      value: 2,
      from: [{ file: 'compute1/ovs-vsctl_list_port_qvo3e399bf2-31_grep_tag', line: 2 }],
    });
    expect(p.port.interfaces[0]!.ofport).toMatchObject({ known: true, value: 7 });
    expect(findExcerpt(h, 'ofctl-show', 'br-int')).toMatchObject({
      file: 'compute1/ovs-ofctl_show_br-int_grep_3e399bf2-31',
      collect: 'ovs-ofctl show br-int',
    });
    const said = s.diagnostics.filter((d) => d.code === 'filtered').map((d) => `${d.file}: ${d.message}`);
    expect(said).toEqual([
      "compute1/ovs-vsctl_list_port_qvo3e399bf2-31_grep_tag: read as an excerpt of `ovs-vsctl list port qvo3e399bf2-31` (`grep tag` after it is the filter its output went through): its lines are Port qvo3e399bf2-31's; what it does not show is unknown",
      "compute1/ovs-ofctl_show_br-int_grep_3e399bf2-31: read as an excerpt of `ovs-ofctl show br-int`: `grep 3e399bf2-31` after the bridge's name is the filter its output went through, not a bridge (the case has no bridge br-int_grep_3e399bf2-31); what it does not show is unknown",
    ]);
    expect(h.gaps.join('\n')).not.toMatch(/bridge br-int_grep/);
  });
  it('the seed with `ovs-ofctl dump-flows xapi3 table=0`: xapi3 flows of table 0 (per-table.test.ts), other tables unknown', () => {
    const s = readCase(join(FIX, 'seed-table0'));
    const dom0 = s.hosts.find((x) => x.name === 'dom0')!;
    expect(dom0.bridges.map((b) => b.name).sort()).toEqual(['xapi3', 'xapi5']);
    const f = findBridge(dom0, 'xapi3')!.flows;
    expect(f.known && f.value.entries.length).toBe(3);
    // Only table 0 is shown, all of it: what other tables hold is unknown, not absent.
    expect(f.known && f.value.complete).toBe(false);
    expect(f.known && f.value.tables).toEqual([
      { table: 0, file: 'dom0/ovs-ofctl_dump-flows_xapi3_table_0', complete: true },
    ]);
    expect(findExcerpt(dom0, 'flows', 'xapi3')).toBeUndefined();
    expect(dom0.gaps).toContain(
      "bridge xapi3: flows of table 0 only (per-table dumps): any other table's flows are unknown (collect the whole `ovs-ofctl -O OpenFlow13 dump-flows xapi3`)",
    );
    expect(dom0.gaps.join('\n')).not.toMatch(/xapi3_table_0: no flow dump|bridge xapi3_table_0/);
  });
});
