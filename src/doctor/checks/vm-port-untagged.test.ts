// vm-port-untagged alone: the cause only with a proven drop, the tag only when determined.

import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, edit, runCheck as run, seedCase, tagSeedVif16 } from '../../testing/case-edits.ts';
import { vmPortUntagged } from './vm-port-untagged.ts';

afterAll(cleanupCases);

describe('vm-port-untagged', () => {
  it.each([
    [
      'the seed: error, tag 1 from the one translation flow',
      () => seedCase(),
      'error',
      'ovs-vsctl set Port vif16.0 tag=1',
    ],
    ['tagged: nothing', () => seedCase((d) => tagSeedVif16(d, 1)), null, null],
    [
      'the dump cut short: an observation, no fix',
      () =>
        seedCase((d) =>
          appendFileSync(
            join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'),
            '  priority=9,in_port=2 actions=load:0x2->NXM_NX',
          ),
        ),
      'warning',
      null,
    ],
    [
      "xapi3's flow dump missing: the path rests on NORMAL where the agent translates, an observation, no fix",
      () => seedCase((d) => rmSync(join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'))),
      'warning',
      null,
    ],
    [
      "xapi3's show missing (phy-xapi3 only in the OVSDB monitor): an observation, no fix",
      () => seedCase((d) => rmSync(join(d, 'dom0/ovs-ofctl_show_xapi3'))),
      'warning',
      null,
    ],
  ] as const)('%s', (_n, build, severity, fix) => {
    const f = run(vmPortUntagged, build());
    expect(f[0]?.severity ?? null).toBe(severity);
    if (fix) expect(f[0]!.fix).toContain(fix);
    else if (f[0]) expect(f[0].fix).toEqual([]);
  });
});

describe("the tag to set comes from the VM's own bridge", () => {
  it("a drop proven on another host's bridge: the cause, but no tag value (that host's VLANs are not the VM bridge's)", () => {
    // xapi3 without its in_port drop: the untagged frame leaves over the wire and dies on DomU's br-int,
    // whose in_port=1 flows match the wire VLAN 1041, not a local VLAN of xapi5.
    const f = run(
      vmPortUntagged,
      seedCase((d) =>
        edit(join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'), /^.*priority=2,in_port=2 actions=drop\n/m, ''),
      ),
    );
    expect(f[0]!.severity).toBe('error');
    expect(f[0]!.message).toMatch(/dies on domu br-int at `priority=2,in_port=1 actions=drop`/);
    expect(f[0]!.fix.join('\n')).not.toMatch(/set Port .* tag=/);
    expect(f[0]!.fix.join('\n')).toMatch(/the tag cannot be told from the case/);
  });
});

describe('the tag candidates: every translation flow on the drop in_port, however written', () => {
  const withFlow = (match: string) =>
    run(
      vmPortUntagged,
      seedCase((d) =>
        appendFileSync(
          join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'),
          ` cookie=0x0, duration=1s, table=0, n_packets=0, n_bytes=0, priority=4,${match} actions=mod_vlan_vid:1042,NORMAL\n`,
        ),
      ),
    )[0]!;
  it.each([
    ['in_port by number (the control)', 'in_port=2,dl_vlan=2'],
    ['in_port by name', 'in_port=phy-xapi3,dl_vlan=2'],
    ['a masked vlan_tci fixing the VID and CFI', 'in_port=2,vlan_tci=0x1002/0x1fff'],
    ['an exact vlan_tci', 'in_port=2,vlan_tci=0x1002'],
    ['a vlan_vid with OFPVID_PRESENT', 'in_port=2,vlan_vid=0x1002/0x1fff'],
  ])('%s: candidates 1, 2, no tag set', (_n, match) => {
    const f = withFlow(match);
    expect(f.severity).toBe('error');
    expect(f.fix.join('\n')).not.toMatch(/set Port .* tag=/);
    expect(f.fix.join('\n')).toContain('(candidates: 1, 2)');
  });
  it.each([
    ['a VLAN match that fixes no single VID', 'in_port=2,vlan_tci=0x1000/0x1000'],
    ['an in_port name the bridge does not have', 'in_port=nosuch,dl_vlan=2'],
  ])('%s: candidates unknown, the flow named, no tag set', (_n, match) => {
    const f = withFlow(match);
    expect(f.severity).toBe('error');
    expect(f.fix.join('\n')).not.toMatch(/set Port .* tag=/);
    expect(f.fix.join('\n')).toMatch(/the tag cannot be told from the case/);
    expect(f.evidence.map((e) => e.text).join('\n')).toContain(match);
  });
});
