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
    // [operand as the name has it, dump-flows?, before, filter, how]
    ['br-int_grep_3e399bf2-31', false, 'br-int', 'grep 3e399bf2-31', 'pipe'],
    ['qvo3e399bf2-31_grep_tag', false, 'qvo3e399bf2-31', 'grep tag', 'pipe'],
    ['br-int_table_0_in_port_2', true, 'br-int', 'table=0,in_port=2', 'match'],
    ['br-tun_head_-20', true, 'br-tun', 'head -20', 'pipe'],
  ] as const)('%s', (operand, dump, before, filter, how) => {
    expect(filteredName(operand, dump)).toEqual({ before, filter, how });
  });
  it.each([
    ['br-int', true],
    ['xapi3', true],
    ['br_ex', true],
    // a flow match only after dump-flows: `ovs-ofctl show br-int_table_0` names a bridge
    ['br-int_table_0', false],
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
