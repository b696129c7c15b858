// dead-vlan alone: tag 4095 on a VM port, with the drop that proves its DISCOVER dies.
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, runCheck as run, seedCase, tagSeedVif16 } from '../../testing/case-edits.ts';

import { deadVlan } from './dead-vlan.ts';

afterAll(cleanupCases);

describe('dead-vlan', () => {
  it('tag 4095: an error citing the tag and the drop flow', () => {
    const f = run(
      deadVlan,
      seedCase((d) => tagSeedVif16(d, 4095)),
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.evidence.map((e) => e.file)).toEqual([
      'dom0/ovs-vsctl_show',
      'dom0/ovs-ofctl_dump-flows_xapi3',
    ]);
    expect(f[0]!.fix.join('\n')).not.toMatch(/<port-id>/);
  });
  it('no tag or tag 1: nothing', () => {
    expect(run(deadVlan, seedCase())).toEqual([]);
    expect(
      run(
        deadVlan,
        seedCase((d) => tagSeedVif16(d, 1)),
      ),
    ).toEqual([]);
  });
});
