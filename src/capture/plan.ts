// Where to capture a VM's DHCP exchange, from a snapshot of the hosts: the VM's port, the device of
// each DHCP server of its network inside its qdhcp namespace and, with `path`, both ends of every wire the
// DISCOVER crosses; and which flows the DISCOVER and the OFFER hit (their counters are read
// again after the capture, to say which flow saw the packets).

import {
  discoverProbe,
  matchedFlows,
  offerProbe,
  serverTargets,
  vmTarget,
  wiresCrossed,
} from '../dataplane/probes.ts';
import { runTrace } from '../dataplane/run.ts';
import type { TraceResult } from '../dataplane/trace.ts';
import { buildWorld } from '../dataplane/world.ts';
import { ownServerCommands, serverNames, vmServers } from '../doctor/checks/vm-network.ts';
import { type DoctorContext, traceable } from '../doctor/context.ts';
import { VifpathError } from '../errors/errors.ts';
import { findServers, findVms } from '../model/roles.ts';
import type { Snapshot } from '../model/snapshot.ts';

export class CapturePlanError extends VifpathError {}

export interface PlannedPoint {
  host: string;
  /** Namespace on that host (the DHCP server's). */
  ns?: string;
  dev: string;
  why: string;
}

export interface PathFlow {
  direction: 'DISCOVER' | 'OFFER';
  host: string;
  bridge: string;
  table: number;
  rule: string;
  /** The flow drops what it matches (its actions are empty or `drop`). */
  drops: boolean;
  n_packets?: number;
  file: string;
  line: number;
}

export interface CapturePlan {
  vm: { host: string; port: string; mac?: string };
  /** Every DHCP server captured at: each of the VM's network's, never another network's. */
  servers: { host: string; ns: string; dev: string }[];
  points: PlannedPoint[];
  flows: PathFlow[];
  notes: string[];
}

export function pointName(p: PlannedPoint): string {
  return `${p.host}:${p.dev}`;
}

function flowsOf(t: TraceResult, direction: PathFlow['direction']): PathFlow[] {
  return matchedFlows(t).map((f) => ({
    direction,
    host: f.host,
    bridge: f.bridge,
    table: f.table,
    rule: f.rule,
    drops: f.entry.flow.actions.every((a) => a.type === 'drop'),
    ...(f.entry.flow.stats.n_packets !== undefined ? { n_packets: f.entry.flow.stats.n_packets } : {}),
    file: f.entry.from.file,
    line: f.entry.from.line,
  }));
}

/**
 * vmSpec: the VM's port name, MAC or iface-id; `host:vifN.M` for a port that does not exist yet
 * (the capture then waits for it, as for a VM still booting).
 */
export function planCapture(
  s: Snapshot,
  vmSpec: string,
  opts: { dhcpNs?: string; path?: boolean } = {},
): CapturePlan {
  const notes: string[] = [];
  const colon = /^([A-Za-z0-9_.-]+):(vif\d+\.\d+|tap[\w-]+|qvo[\w-]+)$/.exec(vmSpec);
  const vms = findVms(s, colon ? colon[2] : vmSpec).filter((v) => !colon || v.host.name === colon[1]);
  if (vms.length > 1)
    throw new CapturePlanError(
      `--vm ${vmSpec} matches ${vms.length} ports (${vms.map((v) => `${v.host.name}:${v.port.name}`).join(', ')}): give host:port`,
    );
  const vm = vms[0];
  if (!vm && !colon)
    throw new CapturePlanError(
      `--vm ${vmSpec}: no such VM port in the collected hosts (give host:vifN.M for a port that does not exist yet)`,
    );
  const points: PlannedPoint[] = [];
  const vmAt = vm
    ? { host: vm.host.name, port: vm.port.name, ...(vm.mac ? { mac: vm.mac } : {}) }
    : { host: colon![1]!, port: colon![2]! };
  if (!vm)
    notes.push(`${vmAt.host}:${vmAt.port} is not in OVS yet: its capture retries until the interface exists`);
  points.push({ host: vmAt.host, dev: vmAt.port, why: "the VM's port" });
  // The other end of the VM's wire (its eth0), when the VM itself is one of the hosts.
  if (opts.path)
    for (const l of s.links)
      for (const [me, peer] of [
        [l.a, l.b],
        [l.b, l.a],
      ] as const)
        if (me.host === vmAt.host && me.iface === vmAt.port)
          points.push({ host: peer.host, dev: peer.iface, why: "the VM's own interface" });

  const all = findServers(s);
  const named = all.filter((x) => !opts.dhcpNs || x.ns.name === opts.dhcpNs);
  if (opts.dhcpNs && named.length === 0)
    throw new CapturePlanError(
      `--dhcp-ns ${opts.dhcpNs}: no such namespace with a device in the collected hosts`,
    );
  if (all.length === 0)
    notes.push('no qdhcp namespace in the collected hosts: add the host running the DHCP agent');

  const flows: PathFlow[] = [];
  let servers = named;
  if (vm) {
    const world = buildWorld(s);
    // Every server a target, as diagnose traces it: what the DISCOVER provably reaches ties the
    // VM to a network (vm-network.ts), whichever server is captured.
    const discover = runTrace(s, world, {
      from: `${vm.host.name}:${vm.port.name}`,
      packet: discoverProbe(vm),
      targets: serverTargets(all),
      dhcpServers: true,
    });
    const ctx: DoctorContext = {
      snapshot: s,
      world,
      vms: [vm],
      servers: all,
      discover: new Map([[vm, discover]]),
      offer: new Map(),
    };
    // Each server of the VM's network (dhcp_agents_per_network > 1: one per network node), never
    // another network's: the exchange stops where none of them answers.
    const mine = vmServers(ctx, vm);
    if (!opts.dhcpNs) {
      servers = mine.mine;
      for (const o of mine.others)
        notes.push(
          `not capturing at ${o.srv.host.name}:${o.srv.ns.name} ${o.srv.device.name}, a DHCP server of another network: ${o.why}`,
        );
      if (mine.network.net === undefined && servers.length > 1)
        notes.push(
          `which DHCP server serves ${vm.port.name}'s network is unknown (${mine.network.why}): capturing at each of ${serverNames(servers)}`,
        );
      else if (mine.network.net !== undefined && servers.length > 1)
        notes.push(
          `network ${mine.network.net} of ${vm.port.name} has ${servers.length} DHCP servers in the collected hosts: capturing at each (one answering is enough)`,
        );
      else if (servers.length === 0 && all.length > 0)
        notes.push(
          `no DHCP server of ${vm.port.name}'s network in the collected hosts: add the host running it (${ownServerCommands(vm).join('; ')})`,
        );
    } else
      for (const o of mine.others.filter((x) => named.includes(x.srv)))
        notes.push(
          `--dhcp-ns ${opts.dhcpNs} on ${o.srv.host.name} is a DHCP server of another network: ${o.why}; captured as asked`,
        );
    for (const f of flowsOf(discover, 'DISCOVER')) flows.push(f);
    if (opts.path)
      for (const w of wiresCrossed(discover))
        for (const end of [w.from, w.to]) {
          const p = { host: end.host, dev: end.iface, why: 'a wire on the DISCOVER path' };
          if (!points.some((x) => x.host === p.host && x.dev === p.dev && !x.ns)) points.push(p);
        }
    // The OFFER of each server captured: a flow on several ways back is listed once.
    for (const srv of servers)
      if (srv.ovs && traceable(world, srv.host.name, srv.ovs.port.name)) {
        const offer = runTrace(s, world, {
          from: `${srv.host.name}:${srv.ovs.port.name}`,
          packet: offerProbe(vm, srv),
          targets: vmTarget(vm),
        });
        for (const f of flowsOf(offer, 'OFFER'))
          if (!flows.some((x) => x.direction === f.direction && x.file === f.file && x.line === f.line))
            flows.push(f);
      }
  } else if (servers.length > 1)
    notes.push(
      `${vmAt.host}:${vmAt.port} is not in the case, so its network is unknown: capturing at each DHCP server (${serverNames(servers)})`,
    );
  // The servers' points right after the VM's own, before the wires.
  const at = points.findIndex((x) => x.why === 'a wire on the DISCOVER path');
  const serverPoints = servers.map((srv) => ({
    host: srv.host.name,
    ns: srv.ns.name,
    dev: srv.device.name,
    why: "the DHCP server's device",
  }));
  points.splice(at < 0 ? points.length : at, 0, ...serverPoints);
  return {
    vm: vmAt,
    servers: servers.map((srv) => ({ host: srv.host.name, ns: srv.ns.name, dev: srv.device.name })),
    points,
    flows,
    notes,
  };
}
