// vlan-mismatch alone: the frame arrives in one segmentation id, the receiver translates another.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, edit, runCheck as run, seedCase, tagSeedVif16 } from '../../testing/case-edits.ts';

import { vlanMismatch } from './vlan-mismatch.ts';

afterAll(cleanupCases);

describe('vlan-mismatch', () => {
  it('DomU translates 1042 where Dom0 sends 1041', () => {
    const f = run(
      vlanMismatch,
      seedCase((d) => {
        tagSeedVif16(d, 1);
        edit(join(d, 'domu/ovs-ofctl_dump-flows_br-int'), 'dl_vlan=1041', 'dl_vlan=1042');
      }),
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/tagged 1041, but its flows translate only VLAN 1042/);
  });
  it('agreeing hosts: nothing', () => {
    expect(
      run(
        vlanMismatch,
        seedCase((d) => tagSeedVif16(d, 1)),
      ),
    ).toEqual([]);
  });
});
