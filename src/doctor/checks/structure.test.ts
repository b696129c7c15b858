// structure alone: a secure bridge without flows, a patch peer no bridge has (a gap when OVSDB has it).

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupCases,
  edit,
  REF_LINKS,
  refCase,
  runCheck as run,
  seedCase,
} from '../../testing/case-edits.ts';
import { structure } from './structure.ts';

afterAll(cleanupCases);

describe('structure', () => {
  it('a secure bridge with an empty dump drops everything', () => {
    const f = run(
      structure,
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
        writeFileSync(
          join(d, 'dom0/sos_commands/openvswitch/ovs-ofctl_-O_OpenFlow13_dump-flows_xapi2'),
          'OFPST_FLOW reply (OF1.3) (xid=0x2):\n',
        );
        writeFileSync(
          join(d, 'dom0/sos_commands/openvswitch/ovs-ofctl_dump-flows_xapi2'),
          'NXST_FLOW reply (xid=0x4):\n',
        );
      }),
    );
    expect(f.map((x) => [x.code, x.subject])).toContainEqual(['secure-bridge-no-flows', 'dom0:xapi2']);
  });
  it("a peer OVSDB has on a bridge the case does not show (xapi3's ovs-ofctl show missing): a gap naming the show", () => {
    const f = run(
      structure,
      seedCase((d) => rmSync(join(d, 'dom0/ovs-ofctl_show_xapi3'))),
    ).filter((x) => x.code === 'patch-peer-missing');
    expect(f.map((x) => [x.role, x.severity, x.subject])).toEqual([
      ['gap', 'warning', 'dom0:xapi5:int-xapi3'],
    ]);
    expect(f[0]!.message).toMatch(/which dom0's OVSDB has \(ofport 2\) on a bridge the case does not show/);
    expect(f[0]!.evidence[1]).toEqual({
      text: 'phy-xapi3 ofport 2',
      file: 'dom0/ovsdb-client_monitor_Interface_name_ofport',
      line: 7,
    });
    expect(f[0]!.fix[0]).toMatch(/^ovs-ofctl show xapi3 {3}# on dom0/);
  });
  it('a peer no bridge and no OVSDB row has (a misnamed peer): the dead patch stays named', () => {
    const f = run(
      structure,
      seedCase((d) => edit(join(d, 'dom0/ovs-vsctl_show'), 'peer="phy-xapi3"', 'peer="phy-xapi9"')),
    ).filter((x) => x.code === 'patch-peer-missing');
    expect(f.map((x) => [x.role ?? 'observation', x.severity])).toEqual([['observation', 'warning']]);
    expect(f[0]!.message).toBe('patch port int-xapi3 names peer phy-xapi9, which no bridge in the case has');
  });
  it('the healthy lab: nothing', () => {
    expect(
      run(structure, refCase('healthy', ['dom0', 'domu'], REF_LINKS)).filter((x) => x.severity === 'error'),
    ).toEqual([]);
  });
});
