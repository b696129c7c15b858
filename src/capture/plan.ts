// Where to capture a VM's DHCP exchange, from a snapshot of the hosts: the VM's port, the DHCP
// server's device inside its qdhcp namespace and, with `path`, both ends of every wire the
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
  server?: { host: string; ns: string; dev: string };
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

  const servers = findServers(s).filter((x) => !opts.dhcpNs || x.ns.name === opts.dhcpNs);
  if (opts.dhcpNs && servers.length === 0)
    throw new CapturePlanError(
      `--dhcp-ns ${opts.dhcpNs}: no such namespace with a device in the collected hosts`,
    );
  const srv = servers[0];
  if (!srv) notes.push('no qdhcp namespace in the collected hosts: add the host running the DHCP agent');
  else {
    if (servers.length > 1 && !opts.dhcpNs)
      notes.push(
        `${servers.length} DHCP server devices; capturing at ${srv.ns.name} ${srv.device.name} (choose with --dhcp-ns)`,
      );
    points.push({
      host: srv.host.name,
      ns: srv.ns.name,
      dev: srv.device.name,
      why: "the DHCP server's device",
    });
  }

  const flows: PathFlow[] = [];
  if (vm) {
    const world = buildWorld(s);
    const discover = runTrace(s, world, {
      from: `${vm.host.name}:${vm.port.name}`,
      packet: discoverProbe(vm),
      targets: serverTargets(servers),
      dhcpServers: true,
    });
    for (const f of flowsOf(discover, 'DISCOVER')) flows.push(f);
    if (opts.path)
      for (const w of wiresCrossed(discover))
        for (const end of [w.from, w.to]) {
          const p = { host: end.host, dev: end.iface, why: 'a wire on the DISCOVER path' };
          if (!points.some((x) => x.host === p.host && x.dev === p.dev && !x.ns)) points.push(p);
        }
    if (srv?.ovs) {
      const offer = runTrace(s, world, {
        from: `${srv.host.name}:${srv.ovs.port.name}`,
        packet: offerProbe(vm, srv),
        targets: vmTarget(vm),
      });
      for (const f of flowsOf(offer, 'OFFER')) flows.push(f);
    }
  }
  return {
    vm: vmAt,
    ...(srv ? { server: { host: srv.host.name, ns: srv.ns.name, dev: srv.device.name } } : {}),
    points,
    flows,
    notes,
  };
}
