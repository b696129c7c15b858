// offer-path alone: the DISCOVER arrives, the OFFER does not come back.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, edit, REF_LINKS, refCase, runCheck as run } from '../../testing/case-edits.ts';

import { offerPath } from './offer-path.ts';

afterAll(cleanupCases);

describe('offer-path', () => {
  it("DomU's br-eth1 lost its return translation: the OFFER dies on the way back", () => {
    const f = run(
      offerPath,
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
        for (const file of ['ovs-ofctl_dump-flows_br-eth1', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-eth1'])
          edit(
            join(d, 'domu/sos_commands/openvswitch', file),
            /priority=4,in_port=1,dl_vlan=1 actions=\S+/,
            'priority=4,in_port=1,dl_vlan=1 actions=drop',
          );
      }),
    );
    expect(f.map((x) => x.code)).toEqual(['offer-dropped']);
    expect(f[0]!.evidence[0]!.file).toMatch(/dump-flows_br-eth1$/);
  });
  it("DomU's br-eth1 without its flow dump: the OFFER's drop rests on NORMAL where the agent translates, nothing", () => {
    const f = run(
      offerPath,
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
        for (const file of ['ovs-ofctl_dump-flows_br-eth1', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-eth1'])
          rmSync(join(d, 'domu/sos_commands/openvswitch', file));
      }),
    );
    expect(f).toEqual([]);
  });
  it('the healthy lab: nothing', () => {
    expect(run(offerPath, refCase('healthy', ['dom0', 'domu'], REF_LINKS))).toEqual([]);
  });
});
