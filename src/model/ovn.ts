// OVN on a host (Host.ovn, read by sources/host-builder.ts) and how a command is spelled there
// (Host.snap): the doctor says of an OVN host that vifpath does not model it, with commands that
// run on it.
import type { Host, OvnHost } from './snapshot.ts';

/** What shows ovn-controller programs the host's OVS, when something does. */
export function ovnChassis(h: Host): OvnHost | undefined {
  return h.ovn.known && h.ovn.value && h.ovn.value.chassis.length > 0 ? h.ovn.value : undefined;
}

/**
 * The host is taken for an OVN chassis by its port names alone (tunnel-names): said as likely, with
 * what confirms it.
 */
export function chassisByNames(h: Host): boolean {
  const c = ovnChassis(h);
  return c?.chassis.every((x) => x.kind === 'tunnel-names') ?? false;
}

/** What shows the host runs or reads OVN's databases or ovn-northd, when something does. */
export function ovnCentral(h: Host): OvnHost | undefined {
  return h.ovn.known && h.ovn.value && h.ovn.value.central.length > 0 ? h.ovn.value : undefined;
}

/** Whether the case shows OVN on the host at all (a chassis, or OVN's databases). */
export function isOvn(h: Host): boolean {
  return h.ovn.known && h.ovn.value !== null;
}

/**
 * The tools each snap ships as `<snap>.<tool>` (its snap/snapcraft.yaml apps): Sunbeam's hypervisor
 * (canonical/snap-openstack-hypervisor: OVS's and ovn-controller's tools, no ovn-nbctl/ovn-sbctl,
 * whose databases run elsewhere) and MicroOVN (canonical/microovn).
 */
const SNAP_APPS: Readonly<Record<string, readonly string[]>> = {
  'openstack-hypervisor': [
    'ovs-vsctl',
    'ovs-ofctl',
    'ovs-appctl',
    'ovs-dpctl',
    'ovn-appctl',
    'ovn-trace',
    'ovn-detrace',
    'virsh',
  ],
  microovn: [
    'ovs-vsctl',
    'ovs-ofctl',
    'ovs-appctl',
    'ovs-dpctl',
    'ovsdb-client',
    'ovn-appctl',
    'ovn-nbctl',
    'ovn-sbctl',
    'ovn-trace',
  ],
};
/** Another snap's tools: those sos is seen running with its prefix (OVS's). */
const SNAP_SEEN: readonly string[] = ['ovs-vsctl', 'ovs-ofctl', 'ovs-appctl', 'ovs-dpctl'];

/**
 * A tool as it is run on the host: `openstack-hypervisor.ovs-vsctl` where the case shows the host's
 * OVS is that snap's (a plain `ovs-vsctl` does not exist there), else the tool's own name.
 */
export function hostTool(h: Host | undefined, tool: string): string {
  const snap = h?.snap?.name;
  if (!snap) return tool;
  return (SNAP_APPS[snap] ?? SNAP_SEEN).includes(tool) ? `${snap}.${tool}` : tool;
}

/** Where ovn-controller logs on the host (its --log-file): the snap's own place, else the packages'. */
export function ovnControllerLog(h: Host): string {
  return h.snap?.name === 'openstack-hypervisor'
    ? '/var/snap/openstack-hypervisor/common/log/ovn/ovn-controller.log'
    : '/var/log/ovn/ovn-controller.log';
}
