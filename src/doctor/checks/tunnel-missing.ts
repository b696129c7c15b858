// The VM's host has no tunnel to the host of the DHCP server (l2population never created it), or
// has one that the flood flow of br-tun table 22 leaves out: the DISCOVER never enters the tunnel.
// Only on an overlay network: the VM's host runs tunnels for other networks too, and a VLAN or flat
// network needs none. The case must type the network (vmNetworkKind): a VLAN/flat one gives
// nothing, an untyped one a gap saying what would type it. Only toward a DHCP server the case puts
// on the VM's network (serverNetwork: the same tunnel key both ends, or the same network id): one
// proven on another network is left out, one it cannot place is a gap. A flood flow holding an
// action whose outputs it does not show (bundle, group, the controller, ...) proves nothing.
import { nodesOf, ruleText } from '../../dataplane/tree.ts';
import { neutronTunnelName } from '../../dataplane/tunnel.ts';
import { tableFlows } from '../../model/flows.ts';
import { dumpFlowsCommand } from '../../model/ovs-version.ts';
import type { FlowEntry } from '../../model/snapshot.ts';
import { findExcerpt } from '../../model/snapshot.ts';
import type { Flow } from '../../openflow/types.ts';
import { operands, shellWord } from '../../runner/runner.ts';
import { type DhcpServer, type DoctorContext, reachedServer, type VmPort } from '../context.ts';
import type { Finding } from '../finding.ts';
import { provenDropped } from '../proof.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { vlanOf } from './drop-evidence.ts';
import { excerptGap } from './excerpt.ts';
import {
  addressesOf,
  type NetworkKind,
  RESTART_AGENT,
  type ServerNetwork,
  serverNetwork,
  type TunnelIface,
  tunnelsOf,
  unreadOutput,
  vmNetworkKind,
} from './overlay-facts.ts';
import { openFailure } from './structure.ts';
import { failedToOpen, tunnelOpenFailure } from './tunnel-open.ts';

export const tunnelMissing: Check = {
  id: 'tunnel-missing',
  title: 'no tunnel to the DHCP server host, or the flood flow leaves it out',
  run(ctx) {
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const vm of ctx.vms) {
      const t = ctx.discover.get(vm);
      if (!t || reachedServer(ctx, vm)) continue;
      const mine = tunnelsOf(vm.host);
      if (mine.length === 0) continue; // not an overlay host
      const kind = vmNetworkKind(vm);
      if (kind.kind === 'vlan') continue; // a VLAN or flat network: no tunnel is on its path
      const tunnelled = new Set(
        nodesOf(t.tree, 'tunnel').map((n) => `${n.from.host}\u0000${n.from.remote_ip}`),
      );
      // Per host of a DHCP server: the servers there the case puts on the VM's network, else
      // those it cannot place (a gap); a server proven on another network is no one's concern here.
      const byHost = new Map<string, { srv: DhcpServer; net: ServerNetwork }[]>();
      for (const srv of ctx.servers) {
        if (srv.host === vm.host) continue;
        const net = serverNetwork(vm, srv);
        if (net.on === 'other') continue;
        const l = byHost.get(srv.host.name);
        if (l) l.push({ srv, net });
        else byHost.set(srv.host.name, [{ srv, net }]);
      }
      for (const list of byHost.values()) {
        const { srv, net } = list.find((x) => x.net.on === 'same') ?? list[0]!;
        const addrs = addressesOf(ctx, srv.host.name);
        if (addrs.length === 0) continue;
        if (addrs.some((a) => tunnelled.has(`${vm.host.name}\u0000${a}`))) continue;
        const key = `${vm.host.name}\u0000${srv.host.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const toSrv = mine.filter((x) => x.cfg.remoteIp && addrs.includes(x.cfg.remoteIp));
        const others = mine.map((x) => evid(`${x.iface.name}: remote_ip=${x.cfg.remoteIp ?? '?'}`, x.from));
        // A port named for the server's host (Neutron's <type>-<hex ip>) that points elsewhere is
        // tunnel-remote's finding, not a missing port.
        const misnamed = mine.some((x) =>
          addrs.some((a) => neutronTunnelName(x.cfg.type, a) === x.iface.name),
        );
        if (toSrv.length === 0 && misnamed) continue;
        // A tunnel to that host may be a port the excerpt leaves out.
        const hidden = findExcerpt(vm.host, 'ovsdb');
        if (toSrv.length === 0 && hidden) {
          out.push(
            excerptGap(
              vm.host,
              hidden,
              `${vm.host.name}:${mine[0]!.bridge.name}`,
              `${vm.host.name} shows no tunnel to ${srv.host.name} (${addrs.join(', ')}), where the DHCP server ${srv.ns.name} is`,
              `whether it has one`,
              others,
            ),
          );
          continue;
        }
        if (toSrv.length === 0 && kind.kind === 'unknown') {
          out.push(untyped(vm, srv.ns.name, srv.host.name, addrs, mine, kind));
          continue;
        }
        const lacking = `${vm.host.name} shows no tunnel to ${srv.host.name} (${addrs.join(', ')}), where the DHCP server ${srv.ns.name} is`;
        if (toSrv.length === 0 && net.on !== 'same') {
          out.push(unplaced(vm, srv, lacking, net, [...kind.evidence, ...others]));
          continue;
        }
        if (toSrv.length === 0) {
          out.push({
            code: 'tunnel-port-missing',
            severity: 'error',
            subject: `${vm.host.name}:${mine[0]!.bridge.name}`,
            message: `${vm.host.name} has no tunnel to ${srv.host.name} (${addrs.join(', ')}), where the DHCP server ${srv.ns.name} is: the DISCOVER of ${vm.port.name} never reaches it`,
            rootCause:
              "the OVS agent did not create the tunnel port: with l2_population it adds a tunnel only when the server tells it a port of the network is on that host (the DHCP agent's port not bound, an l2pop message lost, or the other agent's local_ip/tunnel_types not reported)",
            evidence: [
              ...kind.evidence,
              ...net.evidence,
              evid(`${srv.host.name} owns ${addrs.join(', ')}`),
              evid(`${vm.host.name}'s tunnels:`),
              ...others,
            ],
            fix: [
              `openstack network agent list --host ${shellWord(srv.host.name)}   # the L2 agent alive, tunnel_types and local_ip reported (the case's host name taken as the agent's host: Neutron's may differ)`,
              `${RESTART_AGENT}   # changes state, on ${vm.host.name}: a full sync recreates the tunnel ports`,
            ],
          });
          continue;
        }
        // The port exists: is it in the flood flow of the VM's local VLAN?
        const tag = vm.port.tag.known ? vm.port.tag.value : null;
        // A tunnel port OVS could not open has no OpenFlow port: nothing leaves by it, whatever
        // the flows say. The cause when every tunnel to that host is such a port.
        if (kind.kind === 'overlay' && toSrv.every((tp) => failedToOpen(tp.iface))) {
          const tp = toSrv[0]!;
          const flows = tp.bridge.flows.known ? tableFlows(tp.bridge.flows.value, 22) : [];
          const flood = flows.filter((f) => f.flow.table === 22 && tag !== null && vlanOf(f.flow) === tag);
          const says = `${vm.host.name}'s tunnel to ${srv.host.name}, ${tp.iface.name}, failed to open (${tp.iface.error ? `"${tp.iface.error.text}"` : 'ofport -1'})`;
          if (net.on !== 'same') {
            out.push(unplaced(vm, srv, says, net, [openFailure(tp.iface)]));
            continue;
          }
          const why = tunnelOpenFailure(vm.host, tp.bridge, tp.iface);
          const failed = openFailure(tp.iface);
          out.push({
            code: 'tunnel-port-failed',
            severity: 'error',
            subject: `${vm.host.name}:${tp.bridge.name}:${tp.iface.name}`,
            message: `${says}: OVS gave it no OpenFlow port, so nothing leaves ${vm.host.name} by it${flood.length ? ` (the flood flow for VLAN ${tag} outputs to ${flood.flatMap((f) => outputsOf(f.flow)).join(', ') || 'no port'})` : ''}: the DISCOVER of ${vm.port.name} never reaches the DHCP server ${srv.ns.name}`,
            rootCause: why.rootCause,
            ...(why.confirm ? { confirm: why.confirm } : {}),
            evidence: [
              failed,
              ...why.evidence.filter((e) => e.text !== failed.text),
              ...flood.map((f) => evid(floodText(f), f.from)),
              ...net.evidence,
            ],
            fix: why.fix,
          });
          continue;
        }
        for (const tp of toSrv) {
          if (failedToOpen(tp.iface)) continue; // interface-error says so; another tunnel to the host is open
          const flows = tp.bridge.flows.known ? tableFlows(tp.bridge.flows.value, 22) : [];
          const ofport =
            tp.iface.ofport.known && tp.iface.ofport.value !== null && tp.iface.ofport.value >= 0
              ? tp.iface.ofport.value
              : null;
          // The OpenFlow numbers the case gives the bridge's other ports: an output to one of
          // them is not to this tunnel, one to any other number may be.
          const others = new Set(
            tp.bridge.ports.flatMap((p) =>
              p.interfaces.flatMap((x) =>
                x !== tp.iface && x.ofport.known && x.ofport.value !== null ? [x.ofport.value] : [],
              ),
            ),
          );
          const outputsTo = (f: Flow): boolean =>
            f.actions.some(
              (a) =>
                (a.type === 'output' || a.type === 'output_trunc' || a.type === 'enqueue') &&
                ((a.port.kind === 'name' && a.port.name === tp.iface.name) ||
                  (a.port.kind === 'number' && a.port.n === ofport)),
            );
          const maybeTo = (f: Flow): number[] =>
            ofport !== null
              ? []
              : f.actions.flatMap((a) =>
                  (a.type === 'output' || a.type === 'output_trunc' || a.type === 'enqueue') &&
                  a.port.kind === 'number' &&
                  !others.has(a.port.n)
                    ? [a.port.n]
                    : [],
                );
          // Neutron's FLOOD_TO_TUN: table 22, one flow per local VLAN.
          const mineFlood = flows.filter(
            (f) =>
              f.flow.table === 22 && vlanOf(f.flow) !== undefined && (tag === null || vlanOf(f.flow) === tag),
          );
          if (kind.kind !== 'overlay') continue;
          if (mineFlood.length === 0) {
            const gone = floodFlowAbsent(ctx, vm, tp, srv.host.name, tag, flows);
            if (gone && net.on !== 'same') out.push(unplaced(vm, srv, gone.says, net, gone.evidence));
            else if (gone)
              out.push({
                code: 'tunnel-flood-missing',
                severity: 'error',
                subject: `${vm.host.name}:${tp.bridge.name}:${tp.iface.name}`,
                message: `${gone.says}: it dies in table 22 ${gone.dies}`,
                rootCause:
                  "the agent never installed the VLAN's flood flow (or it was removed): with l2population it adds one when the server reports a port of the network on another host, without it when it provisions the local VLAN",
                evidence: [...gone.evidence, ...net.evidence],
                fix: [`${RESTART_AGENT}   # changes state, on ${vm.host.name}: re-installs the flood flows`],
              });
            continue;
          }
          if (mineFlood.some((f) => outputsTo(f.flow))) continue;
          // An action whose outputs the flow does not show (bundle, group, the controller, ...) may
          // send the DISCOVER into this tunnel: nothing is claimed (the trace names the action).
          if (mineFlood.some((f) => unreadOutput(f.flow.actions))) continue;
          // The last line of a dump without its newline may be cut before the output it lacks.
          if (mineFlood.some((f) => f.maybeCut)) continue;
          const floodEvidence = [
            ...mineFlood.map((f) => evid(floodText(f), f.from)),
            evid(`${tp.iface.name}: remote_ip=${tp.cfg.remoteIp}`, tp.from),
          ];
          // The flood flow outputs to a number, and the case does not give the tunnel's: whether
          // that number is the tunnel is unknown, never a missing flood entry.
          const maybe = [...new Set(mineFlood.flatMap((f) => maybeTo(f.flow)))];
          if (maybe.length > 0) {
            out.push({
              code: 'tunnel-flood-port-unknown',
              role: 'gap',
              severity: 'warning',
              subject: `${vm.host.name}:${tp.bridge.name}:${tp.iface.name}`,
              message: `${vm.host.name}'s flood flow for VLAN ${tag ?? '?'} (${tp.bridge.name} table 22) outputs to port ${maybe.join(', ')}, and the case does not give the OpenFlow port number of ${tp.iface.name}, the tunnel to ${srv.host.name}: whether the DISCOVER enters that tunnel is unknown`,
              evidence: [
                ...floodEvidence,
                evid(
                  `${tp.iface.name}: OpenFlow port number not in the case${tp.iface.ofport.known ? '' : ` (${tp.iface.ofport.why})`}`,
                ),
              ],
              fix: [
                `ovs-ofctl show ${operands(tp.bridge.name)}   # on ${vm.host.name}: the OpenFlow port numbers (is ${tp.iface.name} port ${maybe.join(' or ')}?)`,
                `ovs-vsctl --columns=name,ofport list Interface ${shellWord(tp.iface.name)}   # on ${vm.host.name}: its OpenFlow port number`,
              ],
            });
            continue;
          }
          const says = `${vm.host.name}'s flood flow for VLAN ${tag ?? '?'} (${tp.bridge.name} table 22) does not output to ${tp.iface.name}, the tunnel to ${srv.host.name}`;
          if (net.on !== 'same') {
            out.push(unplaced(vm, srv, says, net, floodEvidence));
            continue;
          }
          out.push({
            code: 'tunnel-flood-missing',
            severity: 'error',
            subject: `${vm.host.name}:${tp.bridge.name}:${tp.iface.name}`,
            message: `${says}: broadcasts such as the DISCOVER never reach the DHCP server`,
            rootCause:
              "l2population's flooding entry for that host was never added (or was removed): the agent adds the tunnel to table 22 when the server reports a port of the network there",
            evidence: [...floodEvidence, ...net.evidence],
            fix: [
              `${RESTART_AGENT}   # changes state, on ${vm.host.name}: re-installs the flood flows from l2pop`,
            ],
          });
        }
      }
    }
    return out;
  },
};

/**
 * No tunnel to the server's host, on a network the case does not type: a missing tunnel would be
 * the cause only on an overlay. What would type it: the tunnel bridge's flows, the port's network.
 */
function untyped(
  vm: VmPort,
  ns: string,
  srvHost: string,
  addrs: string[],
  mine: TunnelIface[],
  kind: NetworkKind,
): Finding {
  const h = vm.host;
  const ids = vm.port.interfaces[0]?.externalIds;
  const ifaceId = ids?.known ? ids.value['iface-id'] : undefined;
  const undumped = [...new Set(mine.map((t) => t.bridge))].filter((b) => !b.flows.known);
  return {
    code: 'tunnel-network-type-unknown',
    role: 'gap',
    severity: 'warning',
    subject: `${h.name}:${vm.port.name}`,
    message: `${h.name} shows no tunnel to ${srvHost} (${addrs.join(', ')}), where the DHCP server ${ns} is, but the case does not say whether ${vm.port.name}'s network is an overlay (VXLAN/GRE/Geneve) or a VLAN/flat one (${kind.why}): the missing tunnel is the cause only for an overlay`,
    evidence: [
      ...kind.evidence,
      ...mine.map((x) => evid(`${x.iface.name}: remote_ip=${x.cfg.remoteIp ?? '?'}`, x.from)),
    ],
    fix: [
      ...undumped.map((b) => `${dumpFlowsCommand(h, b.name)}   # on ${h.name}`),
      ifaceId
        ? `openstack port show -c network_id ${operands(ifaceId)}`
        : `openstack port list --mac-address <the VM's MAC> -c network_id   # the port of ${vm.port.name}`,
      'openstack network show <network_id> -c provider:network_type -c provider:segmentation_id',
    ],
  };
}

/**
 * A missing tunnel (or flood entry) toward a DHCP server the case does not place on the VM's
 * network: the cause only if it is. What would place it: the VM port's network id, the DHCP
 * port's tag and the server host's tunnel-bridge flows (the key it maps to that tag).
 */
function unplaced(
  vm: VmPort,
  srv: DhcpServer,
  says: string,
  net: ServerNetwork,
  seen: Finding['evidence'],
): Finding {
  const ids = vm.port.interfaces[0]?.externalIds;
  const ifaceId = ids?.known ? ids.value['iface-id'] : undefined;
  const undumped = [...new Set(tunnelsOf(srv.host).map((t) => t.bridge))].filter((b) => !b.flows.known);
  const netId = /^qdhcp-(.+)$/.exec(srv.ns.name)?.[1];
  return {
    code: 'tunnel-network-type-unknown',
    role: 'gap',
    severity: 'warning',
    subject: `${vm.host.name}:${vm.port.name}`,
    message: `${says}, but the case does not say whether that server is on ${vm.port.name}'s network (${net.why ?? 'nothing places it'}): the missing tunnel is the cause only if it is`,
    evidence: [...net.evidence, ...seen],
    fix: [
      ...undumped.map(
        (b) =>
          `${dumpFlowsCommand(srv.host, b.name)}   # on ${srv.host.name}: the key it maps to the DHCP port's tag`,
      ),
      ifaceId
        ? `openstack port show -c network_id ${operands(ifaceId)}`
        : `openstack port list --mac-address <the VM's MAC> -c network_id   # the port of ${vm.port.name}`,
      ...(netId
        ? [
            `openstack network show -c provider:segmentation_id ${operands(netId)}   # the network of ${srv.ns.name}`,
          ]
        : []),
    ],
  };
}

/** A table-22 flow as evidence: its rule and counter. */
function floodText(f: FlowEntry): string {
  return `${ruleText(f)}${f.flow.stats.n_packets !== undefined ? ` (n_packets=${f.flow.stats.n_packets})` : ''}`;
}

/** The ports a flow outputs to, as written (`2`, `"vxlan-0a00644d"`). */
function outputsOf(f: Flow): string[] {
  return f.actions.flatMap((a) =>
    a.type === 'output' || a.type === 'output_trunc' || a.type === 'enqueue'
      ? [a.port.kind === 'number' ? `port ${a.port.n}` : a.port.kind === 'name' ? a.port.name : a.port.name]
      : [],
  );
}

/**
 * No table-22 flow for the VM's local VLAN at all, and the DISCOVER proven to die in that table of
 * that bridge: the flood entry is missing, not merely short of one tunnel. What says so (the
 * table's flows for other VLANs, its default), or undefined when the trace does not prove the drop
 * there, or the dump may hide such a flow.
 */
function floodFlowAbsent(
  ctx: DoctorContext,
  vm: VmPort,
  tp: TunnelIface,
  srvHost: string,
  tag: number | null,
  table22: FlowEntry[],
): { says: string; dies: string; evidence: Finding['evidence'] } | undefined {
  const t = ctx.discover.get(vm);
  const d = t?.drop;
  if (tag === null || !t || !d || !provenDropped(ctx.world, t)) return undefined;
  if (d.host !== vm.host.name || d.bridge !== tp.bridge.name || d.table !== 22) return undefined;
  if (!tp.bridge.flows.known || !tp.bridge.flows.value.complete) return undefined;
  const in22 = table22.filter((f) => f.flow.table === 22);
  const others = in22.filter((f) => vlanOf(f.flow) !== undefined && vlanOf(f.flow) !== tag);
  const rest = in22.filter((f) => vlanOf(f.flow) === undefined);
  const where = `${vm.host.name}'s ${tp.bridge.name} table 22`;
  return {
    says: `${where} has no flood flow for VLAN ${tag} (${vm.port.name}'s local VLAN): the DISCOVER, a broadcast, never enters ${tp.iface.name}, the tunnel to ${srvHost}`,
    dies: d.flow
      ? `at \`${d.flow}\`${d.n_packets !== undefined ? ` (n_packets=${d.n_packets})` : ''}`
      : `(${d.reason.text})`,
    evidence: [
      ...(others.length
        ? others.map((f) => evid(`table 22 floods VLAN ${vlanOf(f.flow)}: ${floodText(f)}`, f.from))
        : [evid(`${where}: no flood flow for any VLAN in ${tp.bridge.flows.value.file}`)]),
      ...rest.map((f) => evid(`table 22: ${floodText(f)}`, f.from)),
      evid(`${tp.iface.name}: remote_ip=${tp.cfg.remoteIp}`, tp.from),
    ],
  };
}
