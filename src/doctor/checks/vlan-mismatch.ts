// The segmentation id a frame carries between hosts differs from the one the far side translates
// back to its local VLAN: the translation flows disagree.
//
// Said only when the trace proves it: every branch of the DISCOVER is dead (a drop on one branch
// of a flood is not the cause while another may leave the case and arrive), and the dropped
// branch is the network's path — the VLAN the frame carries into the dropping bridge was set by a
// translation flow of another host (the network's local VLAN mapped on that host's physical
// bridge), and the frame crossed a wire since. A frame that reaches a physical bridge of its own
// host in a local VLAN the bridge does not map is that bridge's flood filtering (the network is
// not on its physical network), not two hosts disagreeing.

import { bridgeOf, pathTo, ruleText, type TraceNode } from '../../dataplane/tree.ts';
import type { Finding } from '../finding.ts';
import { provenDropped } from '../proof.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { dropEvidence, isPortDrop, translations } from './drop-evidence.ts';

type TableNode = Extract<TraceNode, { kind: 'table' }>;
type Crossing = Extract<TraceNode, { kind: 'wire' | 'tunnel' }>;

export const vlanMismatch: Check = {
  id: 'vlan-mismatch',
  title: 'VLAN / segmentation id translation mismatch',
  run(ctx) {
    const out: Finding[] = [];
    for (const vm of ctx.vms) {
      const t = ctx.discover.get(vm);
      if (!t || !provenDropped(ctx.world, t)) continue;
      const d = t.drop;
      if (!d?.entry || !isPortDrop(d.entry.flow)) continue;
      // The frame's VLAN as it entered the dropping bridge, and what that bridge's flows expect.
      const arrived = bridgeOf(t.tree, d.node)?.packet.vlans[0]?.vid;
      if (arrived === undefined) continue;
      // Only when every flow on that port reads as one VLAN id: 'translates only' is then proven.
      const tr = translations(ctx.world, t);
      if (tr.unknown || tr.flows.length === 0 || tr.flows.some((e) => e.vlan === arrived)) continue;
      const expected = tr.flows.map((e) => e.entry);
      // Who set that VLAN: the last flow on the path that changed it, and a wire crossed since.
      let setter: TableNode | undefined;
      let crossed: Crossing | undefined;
      for (const n of pathTo(t.tree, d.node))
        if (n.kind === 'table' && n.flow && n.after && n.after.vlans[0]?.vid !== n.before.vlans[0]?.vid) {
          setter = n;
          crossed = undefined;
        } else if ((n.kind === 'wire' || n.kind === 'tunnel') && !crossed) crossed = n;
      const local = setter?.before.vlans[0]?.vid;
      if (
        !setter?.flow ||
        !crossed ||
        setter.host === d.host ||
        setter.after?.vlans[0]?.vid !== arrived ||
        local === undefined
      )
        continue;
      const over =
        crossed.kind === 'wire'
          ? `the wire ${crossed.from.host}:${crossed.from.iface} → ${crossed.to.host}:${crossed.to.iface}`
          : `the ${crossed.from.type} tunnel ${crossed.from.host}:${crossed.from.port} → ${crossed.from.remote_ip}`;
      out.push({
        code: 'vlan-mismatch',
        severity: 'error' as const,
        subject: `${d.host}:${d.bridge}`,
        message: `${setter.host} sends the DISCOVER to ${d.host} tagged ${arrived}, but ${d.host} ${d.bridge} translates only VLAN ${tr.flows.map((e) => e.vlan).join(', ')} from that port, so it dies at \`${d.flow}\`${d.n_packets !== undefined ? ` (n_packets=${d.n_packets})` : ''}`,
        rootCause:
          "the hosts disagree on the network's segmentation id (or the physical network mapping): the sender translates to one id, the receiver expects another",
        evidence: [
          evid(
            `${setter.host} ${setter.bridge} translates the network's local VLAN ${local} to ${arrived}: ${ruleText(setter.flow)}`,
            setter.flow.from,
          ),
          evid(`the frame crosses ${over} in VLAN ${arrived}`),
          ...expected.map((e) => evid(`${d.host} ${d.bridge} expects: ${ruleText(e)}`, e.from)),
          ...dropEvidence(t, 'the DHCP DISCOVER'),
        ],
        fix: [
          "# compare the network's segmentation id with the bridge_mappings / provider network on both hosts",
          'openstack network show <network> -c provider:segmentation_id -c provider:physical_network',
          `# then restart the L2 agents so both sides re-install the translation flows: systemctl restart neutron-openvswitch-agent   # changes state, on ${setter.host} and ${d.host}`,
        ],
      });
    }
    return out;
  },
};
