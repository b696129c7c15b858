// Which OVS ports are VM ports, on OVSDB rows alone: model/roles.ts's rule (diagnose adds what a
// whole case tells: bridge roles, wires, the DomU's domid).
import { vmByOwnFacts } from '../model/roles.ts';

export interface PortRoleInput {
  /** The Interface's (or Port's) name. */
  name: string;
  /** The Interface's external_ids. */
  externalIds: Readonly<Record<string, string>>;
}

/**
 * A VM port: Neutron's binding keys on the Interface (iface-id and attached-mac, with the
 * hypervisor's vm-uuid or XenServer's xs-vif-uuid), or a XenServer guest vif name with a domid
 * other than 0. DHCP and router taps carry iface-id/attached-mac but no VM id: not VM ports.
 */
export function isVmPort(p: PortRoleInput): boolean {
  return vmByOwnFacts(p.name, p.externalIds);
}

/**
 * A VM port the L2 agent is expected to bind: a VM port that carries Neutron's iface-id. A guest
 * vif without one (DomU's own vif15.1 on the physical bridge, a trunk by design) is nobody's to tag.
 */
export function awaitsBinding(p: PortRoleInput): boolean {
  return isVmPort(p) && Boolean(p.externalIds['iface-id']);
}
