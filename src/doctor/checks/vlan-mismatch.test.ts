// vlan-mismatch alone: the frame arrives in one segmentation id, the receiver translates another;
// only when every branch is proven dead and the dropped one is the network's path.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, edit, runCheck as run, seedCase, tagSeedVif16 } from '../../testing/case-edits.ts';
import { OWN_FIXTURES } from '../../testing/fixtures.ts';

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
    expect(f[0]!.message).toMatch(
      /^dom0 sends the DISCOVER to domu tagged 1041, but domu br-int translates only VLAN 1042/,
    );
    // The proof that the dropped branch is the network's path: the sender's translation flow, and the wire.
    expect(f[0]!.evidence.slice(0, 2)).toEqual([
      {
        text: "dom0 xapi3 translates the network's local VLAN 1 to 1041: priority=4,in_port=2,dl_vlan=1 actions=mod_vlan_vid:1041,NORMAL",
        file: 'dom0/ovs-ofctl_dump-flows_xapi3',
        line: 3,
      },
      { text: 'the frame crosses the wire dom0:vif15.1 → domu:eth1 in VLAN 1041' },
    ]);
  });
  it("a flood branch dropped by a physical bridge of the VM's own host (hotsos DVR/VXLAN compute): nothing", () => {
    // br-int floods VLAN 3 (a VXLAN network: br-tun maps it to tun_id 0x4d1) to int-br-data too;
    // br-data maps only VLAN 2 and drops the rest by design, while the tunnel branch leaves the case.
    expect(run(vlanMismatch, join(OWN_FIXTURES, 'field/hotsos-openstack'))).toEqual([]);
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
