// What every check needs: the snapshot, the trace world, the VM ports, the DHCP servers, and the
// DISCOVER / OFFER traces between them (computed once).

import { macOf } from '../dataplane/packet.ts';
import { discoverProbe, offerProbe, serverTargets, vmTarget } from '../dataplane/probes.ts';
import { runTrace } from '../dataplane/run.ts';
import type { TraceResult } from '../dataplane/trace.ts';
import { buildWorld, type World } from '../dataplane/world.ts';
import { VifpathError } from '../errors/errors.ts';
import { type DhcpServer, findServers, findVms, type VmPort } from '../model/roles.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { formatMac } from '../openflow/values.ts';
import { vmServers } from './checks/vm-network.ts';
import { provenDelivered, provenReaches } from './proof.ts';

export type { DhcpServer, VmPort };

export interface DoctorContext {
  snapshot: Snapshot;
  world: World;
  vms: VmPort[];
  servers: DhcpServer[];
  /** Per VM whose port the world holds (see traceable). */
  discover: Map<VmPort, TraceResult>;
  offer: Map<VmPort, TraceResult>;
  /**
   * The server each VM's OFFER is traced from: of those its DISCOVER provably reaches, the first
   * whose OFFER is proven back, else the first reached; none reached: the first that may be the
   * VM's (vm-network.ts), else the first of the case.
   */
  offerServer?: Map<VmPort, DhcpServer>;
  /**
   * How the VMs were asked about: `named` with --vm, `each` as one of --all-vms's (named for the
   * run, not by the operator); undefined: every VM port of the case, none named.
   */
  asked?: 'named' | 'each';
  /**
   * The VM's MAC as `--mac` gives it (lower case), kept also when the case proves no VM port to
   * carry it: what the hosts logged for that MAC is the VM's.
   */
  givenMac?: string;
}

/**
 * Did the DISCOVER reach a DHCP server of the case (the trace's target), proven? A branch that
 * arrives only past a step the case does not show (NORMAL assumed where the agent's flows decide,
 * see proof.ts) does not count: the checks of the path then still look for what stops it.
 */
export function reachedServer(ctx: DoctorContext, vm: VmPort): boolean {
  return provenDelivered(ctx.world, ctx.discover.get(vm));
}

/**
 * Can a trace start at this port? The world holds a port only with its OpenFlow port number, which
 * pasted `ovs-vsctl show` and `dump-flows` do not give (`ovs-ofctl show` does): such a VM or
 * server is not traced, and the host's gaps say what to collect.
 */
export function traceable(world: World, host: string, port: string): boolean {
  return world.ifaces.get(host)?.has(port) ?? false;
}

/**
 * `--mac`: the VM's MAC where the case does not give it (as trace --mac). It must be a MAC, name one
 * VM (--vm, or the case has one), and agree with a MAC the case gives that port.
 */
export function withGivenMac(vms: readonly VmPort[], mac: string, vmFilter?: string): VmPort[] {
  const m = formatMac(macOf(mac));
  if (vms.length > 1)
    throw new VifpathError(
      `--mac ${m}: the case has ${vms.length} VM ports (${vms.map((v) => `${v.host.name}:${v.port.name}`).join(', ')}): name the one it is of with --vm`,
    );
  const vm = vms[0];
  if (!vm) return [];
  if (vm.mac && vm.mac.toLowerCase() !== m && !vm.macFrom)
    throw new VifpathError(
      `--mac ${m}: ${vm.host.name}:${vm.port.name}${vmFilter !== undefined ? '' : ' (the VM port of the case)'} has attached-mac ${vm.mac.toLowerCase()} in OVSDB`,
    );
  return [{ ...vm, mac: m }];
}

/**
 * `--mac` for the commands that show a case (report, serve): the VM port it gives the MAC of, as
 * `host:port` (trace's --from), with the MAC as diagnose takes it; undefined when the case has no
 * VM port. Refused as diagnose refuses it (withGivenMac).
 */
export function givenMacPort(
  s: Snapshot,
  mac: string,
  vmFilter?: string,
): { from: string; mac: string } | undefined {
  const vm = withGivenMac(findVms(s, vmFilter), mac, vmFilter)[0];
  return vm?.mac ? { from: `${vm.host.name}:${vm.port.name}`, mac: vm.mac } : undefined;
}

export function buildContext(s: Snapshot, vmFilter?: string, mac?: string): DoctorContext {
  const world = buildWorld(s);
  const found = findVms(s, vmFilter);
  const vms = mac !== undefined ? withGivenMac(found, mac, vmFilter) : found;
  const servers = findServers(s);
  const discover = new Map<VmPort, TraceResult>();
  const offer = new Map<VmPort, TraceResult>();
  const offerServer = new Map<VmPort, DhcpServer>();
  for (const vm of vms)
    if (traceable(world, vm.host.name, vm.port.name))
      discover.set(
        vm,
        runTrace(s, world, {
          from: `${vm.host.name}:${vm.port.name}`,
          packet: discoverProbe(vm),
          targets: serverTargets(servers),
          dhcpServers: true,
        }),
      );
  const ctx: DoctorContext = {
    snapshot: s,
    world,
    vms,
    servers,
    discover,
    offer,
    offerServer,
    ...(mac !== undefined ? { givenMac: formatMac(macOf(mac)).toLowerCase() } : {}),
  };
  const offerOf = (vm: VmPort, srv: DhcpServer): TraceResult | undefined =>
    srv.ovs && traceable(world, srv.host.name, srv.ovs.port.name)
      ? runTrace(s, world, {
          from: `${srv.host.name}:${srv.ovs.port.name}`,
          packet: offerProbe(vm, srv),
          targets: vmTarget(vm),
        })
      : undefined;
  for (const [vm, d] of discover) {
    // One server answering is enough for the VM (dhcp_agents_per_network > 1): of the servers its
    // DISCOVER provably reaches, the first whose OFFER is proven back, else the first reached; the
    // others' ways back are judged by offer-path, as lost redundancy when one works.
    const reached = servers.filter((x) => provenReaches(world, d, { host: x.host.name, name: x.ns.name }));
    let chosen: { srv: DhcpServer; t: TraceResult | undefined } | undefined;
    for (const srv of reached) {
      const t = offerOf(vm, srv);
      chosen ??= { srv, t };
      if (provenDelivered(world, t)) {
        chosen = { srv, t };
        break;
      }
    }
    // None reached: a server that may be the VM's, not one the case places on another network.
    if (!chosen) {
      const srv = vmServers(ctx, vm).mine[0] ?? servers[0];
      if (srv) chosen = { srv, t: offerOf(vm, srv) };
    }
    if (!chosen) continue;
    offerServer.set(vm, chosen.srv);
    if (chosen.t) offer.set(vm, chosen.t);
  }
  return ctx;
}
