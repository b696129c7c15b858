// The segmentation id a frame carries between hosts differs from the one the far side translates
// back to its local VLAN: the translation flows disagree.

import { bridgeOf, ruleText } from '../../dataplane/tree.ts';
import { reachedServer } from '../context.ts';
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { dropEvidence, isPortDrop, translationFlows, vlanOf } from './drop-evidence.ts';

export const vlanMismatch: Check = {
  id: 'vlan-mismatch',
  title: 'VLAN / segmentation id translation mismatch',
  run(ctx) {
    const out: Finding[] = [];
    for (const vm of ctx.vms) {
      const t = ctx.discover.get(vm);
      const d = t?.drop;
      if (!t || reachedServer(ctx, vm) || !d?.entry || !isPortDrop(d.entry.flow)) continue;
      // The frame's VLAN as it entered the dropping bridge, and what that bridge's flows expect.
      const arrived = bridgeOf(t.tree, d.node)?.packet.vlans[0]?.vid;
      if (arrived === undefined) continue;
      const expected = translationFlows(ctx.snapshot, t);
      if (expected.length === 0 || expected.some((e) => vlanOf(e.flow) === arrived)) continue;
      out.push({
        code: 'vlan-mismatch',
        severity: 'error' as const,
        subject: `${d.host}:${d.bridge}`,
        message: `the DISCOVER reaches ${d.host} ${d.bridge} tagged ${arrived}, but its flows translate only VLAN ${expected.map((e) => vlanOf(e.flow)).join(', ')} from that port, so it dies at \`${d.flow}\`${d.n_packets !== undefined ? ` (n_packets=${d.n_packets})` : ''}`,
        rootCause:
          "the hosts disagree on the network's segmentation id (or the physical network mapping): the sender translates to one id, the receiver expects another",
        evidence: [
          evid(`the frame carries VLAN ${arrived} on the wire into ${d.host}`),
          ...expected.map((e) => evid(`${d.host} ${d.bridge} expects: ${ruleText(e)}`, e.from)),
          ...dropEvidence(t, 'the DHCP DISCOVER'),
        ],
        fix: [
          "# compare the network's segmentation id with the bridge_mappings / provider network on both hosts",
          'openstack network show <network> -c provider:segmentation_id -c provider:physical_network',
          `# then restart the L2 agents so both sides re-install the translation flows: systemctl restart neutron-openvswitch-agent`,
        ],
      });
    }
    return out;
  },
};
