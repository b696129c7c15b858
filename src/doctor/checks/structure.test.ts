// structure alone: a secure bridge without flows, a patch peer no bridge has.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, REF_LINKS, refCase, runCheck as run } from '../../testing/case-edits.ts';
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
  it('the healthy lab: nothing', () => {
    expect(
      run(structure, refCase('healthy', ['dom0', 'domu'], REF_LINKS)).filter((x) => x.severity === 'error'),
    ).toEqual([]);
  });
});
