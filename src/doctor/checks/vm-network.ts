// Which Neutron network the VM's port is on, as far as the case decides it. The DHCP agent keeps
// one hosts file per network (var/lib/neutron/dhcp/<net-id>/host, neutron/agent/linux/dhcp.py): a
// MAC missing from another network's file is as it should be, so a check about a network's files
// needs to know the VM is on that network.
import { operands, shellWord } from '../../runner/runner.ts';
import type { DhcpServer, DoctorContext, VmPort } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { provenReaches } from '../proof.ts';
import { evid } from './check.ts';
import { serverNetwork } from './overlay-facts.ts';

const NET_ID = /^qdhcp-(.+)$/;

/** The network id a DHCP server serves: its qdhcp-<net-id> namespace's (lower case). */
export function serverNetId(srv: DhcpServer): string | undefined {
  return NET_ID.exec(srv.ns.name)?.[1]?.toLowerCase();
}

export interface VmNetwork {
  /** The VM's network id (lower case), when exactly one network is tied to the VM. */
  net?: string;
  /** What ties the VM to `net` (or, when it is unknown, to each of several networks). */
  evidence: EvidenceItem[];
  /** Networks the case proves the VM is not on (a DHCP server of the case placed on another network). */
  not: Set<string>;
  /** Why `net` is unknown, in words. */
  why?: string;
}

/**
 * The VM's network, from what ties it to one: its Port's other_config net_uuid (Neutron's OVS
 * agent writes it), a DHCP server whose qdhcp-<net-id> namespace its DISCOVER provably reaches
 * (a port's broadcast stays in its network's segment), or a server serverNetwork puts on its
 * network (the same tunnel key at both ends). Two networks tied to it: unknown.
 */
export function vmNetwork(ctx: DoctorContext, vm: VmPort): VmNetwork {
  const ties = new Map<string, EvidenceItem[]>();
  const tie = (net: string, e: EvidenceItem[]): void => {
    const l = ties.get(net);
    if (l) l.push(...e);
    else ties.set(net, [...e]);
  };
  const not = new Set<string>();
  const oc = vm.port.otherConfig;
  const own = oc.known ? oc.value.net_uuid?.toLowerCase() : undefined;
  if (own && oc.known) tie(own, [evid(`${vm.port.name} has other_config net_uuid=${own}`, oc.from[0])]);
  const t = ctx.discover.get(vm);
  for (const srv of ctx.servers) {
    const net = serverNetId(srv);
    if (!net) continue;
    if (t && provenReaches(ctx.world, t, { host: srv.host.name, name: srv.ns.name })) {
      tie(net, [
        evid(
          `the DISCOVER from ${vm.port.name} reaches ${srv.ns.name} on ${srv.host.name}, proven by the flows (a broadcast stays in its network)`,
        ),
      ]);
      continue;
    }
    const placed = serverNetwork(vm, srv);
    if (placed.on === 'same') tie(net, placed.evidence);
    else if (placed.on === 'other') not.add(net);
  }
  if (ties.size === 1) {
    const [net, evidence] = [...ties][0]!;
    return { net, evidence, not };
  }
  if (ties.size > 1)
    return {
      evidence: [...ties.values()].flat(),
      not,
      why: `the case ties ${vm.port.name} to ${ties.size} networks (${[...ties.keys()].join(', ')})`,
    };
  return {
    evidence: [],
    not,
    why: `${vm.port.name} has no net_uuid in its Port other_config, and its DISCOVER is proven to reach no DHCP server of the case`,
  };
}

/** The commands that say which network the VM's port is on. */
export function vmNetworkCommands(vm: VmPort): string[] {
  return [
    ...portNetworkCommands(vm),
    `ovs-vsctl --columns=name,other_config list Port ${shellWord(vm.port.name)}   # on ${vm.host.name}: net_uuid, the network the agent bound it to`,
  ];
}

/**
 * Which network the VM's Neutron port is on: `openstack port show` by its iface-id when the case
 * has it (Neutron knows ports by ID, never by the OVS port's name); else how to find the port,
 * with values only from the evidence: by its MAC, by the ID its Neutron-style name carries
 * (tap/qvo/qvb + the first 11 characters of the port's ID), and from OVSDB (its iface-id).
 */
export function portNetworkCommands(vm: VmPort): string[] {
  const ids = vm.port.interfaces[0]?.externalIds;
  const ifaceId = ids?.known ? ids.value['iface-id'] : undefined;
  const name = vm.port.name;
  if (ifaceId) return [`openstack port show -c network_id ${operands(ifaceId)}   # the network of ${name}`];
  const short = /^(?:tap|qvo|qvb)([0-9a-f]{8}-[0-9a-f]{2})$/.exec(name)?.[1];
  // Nova's external_ids:vm-uuid is the instance, the port's device_id.
  const device = ids?.known ? ids.value['vm-uuid'] : undefined;
  return [
    ...(device
      ? [`openstack port list --device-id ${operands(device)} -c ID -c network_id   # the network of ${name}`]
      : []),
    ...(vm.mac
      ? [
          `openstack port list --mac-address ${operands(vm.mac)} -c ID -c network_id   # the network of ${name}`,
        ]
      : []),
    ...(short
      ? [
          `openstack port list -c ID -c network_id | grep ${shellWord(short)}   # the network of ${name}: its name carries the first 11 characters of its Neutron port's ID`,
        ]
      : []),
    `ovs-vsctl get Interface ${shellWord(name)} external_ids   # on ${vm.host.name}: iface-id is its Neutron port's ID${vm.mac ? '' : ', attached-mac its MAC'} (then: openstack port show -c network_id <that ID>)`,
  ];
}

/**
 * A DISCOVER proven to reach no DHCP server, when the case places every DHCP server it holds on
 * another network than the VM's: no fault the case shows (its own network's server is elsewhere),
 * a gap saying so and how to find that server. Undefined when a server may be the VM's.
 */
export function serverElsewhere(ctx: DoctorContext, vm: VmPort): Finding | undefined {
  if (ctx.servers.length === 0) return undefined;
  const placed = ctx.servers.map((srv) => ({ srv, net: serverNetwork(vm, srv) }));
  if (placed.some((x) => x.net.on !== 'other')) return undefined;
  const names = placed.map((x) => `${x.srv.host.name}:${x.srv.ns.name}`).join(', ');
  return {
    code: 'dhcp-server-not-in-case',
    role: 'gap',
    severity: 'warning',
    subject: `${vm.host.name}:${vm.port.name}`,
    message: `the DISCOVER from ${vm.port.name} reaches no DHCP server, but the case puts every DHCP server it holds (${names}) on another network than ${vm.port.name}'s (see the evidence): the server of its own network is not in the case, so where its DISCOVER should go is unknown (were those facts stale, the hosts would disagree on the network's key: the network ids settle it)`,
    evidence: placed.flatMap((x) => x.net.evidence),
    fix: ownServerCommands(vm),
  };
}

/** How to find the DHCP server of the VM's own network when the case holds another's. */
export function ownServerCommands(vm: VmPort): string[] {
  return [
    ...vmNetworkCommands(vm),
    'openstack network agent list --agent-type dhcp --network <network_id>   # the hosts serving it: add one to the case',
  ];
}

/** The DHCP servers of the case as they bear on one VM: those that may serve it, and the others. */
export interface VmServers {
  /**
   * The servers that may serve the VM: those of its network when the case ties it to one (plus
   * any whose namespace names no network); else every server the case does not place elsewhere.
   */
  mine: DhcpServer[];
  /** Servers the case places on another network than the VM's, with why (in words, and the evidence). */
  others: { srv: DhcpServer; why: string; evidence: EvidenceItem[] }[];
  /** The VM's network as the case decides it; `network.net` undefined: which of `mine` serve it is unknown. */
  network: VmNetwork;
}

/**
 * Which DHCP servers of the case are the VM's (Neutron's dhcp_agents_per_network puts one
 * qdhcp-<net-id> namespace of a network on each of several nodes; a node serves many networks).
 */
export function vmServers(ctx: DoctorContext, vm: VmPort): VmServers {
  const network = vmNetwork(ctx, vm);
  const mine: DhcpServer[] = [];
  const others: VmServers['others'] = [];
  for (const srv of ctx.servers) {
    const net = serverNetId(srv);
    if (net !== undefined && network.net !== undefined && net !== network.net) {
      const why = `it serves network ${net}, ${vm.port.name} is on ${network.net}`;
      others.push({
        srv,
        why: `${why}${network.evidence[0] ? ` (${network.evidence[0].text})` : ''}`,
        evidence: [evid(`${srv.ns.name} on ${srv.host.name}: ${why}:`), ...network.evidence],
      });
    } else if (net !== undefined && network.not.has(net)) {
      const placed = serverNetwork(vm, srv).evidence;
      others.push({
        srv,
        why: `the case places it on another network than ${vm.port.name}'s${placed[0] ? ` (${placed[0].text})` : ''}`,
        evidence: placed,
      });
    } else mine.push(srv);
  }
  return { mine, others, network };
}

/** `qdhcp-… on host` for each server, in words. */
export function serverNames(servers: readonly DhcpServer[]): string {
  return servers.map((s) => `${s.ns.name} on ${s.host.name}`).join(', ');
}
