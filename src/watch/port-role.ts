// Which OVS ports are VM ports: the one rule watch, the lab agent (and diagnose, later) share.

/** A XenServer guest vif as Dom0 names it: `vif<domid>.<device>`; domid 0 is Dom0 itself. */
const XEN_VIF = /^vif(\d+)\.(\d+)$/;

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
  const x = p.externalIds;
  if (x['iface-id'] && x['attached-mac'] && (x['vm-uuid'] || x['xs-vif-uuid'])) return true;
  const m = XEN_VIF.exec(p.name);
  return m !== null && Number(m[1]) !== 0;
}

/**
 * A VM port the L2 agent is expected to bind: a VM port that carries Neutron's iface-id. A guest
 * vif without one (DomU's own vif15.1 on the physical bridge, a trunk by design) is nobody's to tag.
 */
export function awaitsBinding(p: PortRoleInput): boolean {
  return isVmPort(p) && Boolean(p.externalIds['iface-id']);
}
