// Does a fault of one DHCP server explain a VM's failure? The one rule every server-side check
// (dnsmasq not running / not bound / not listening, the DHCP port down, off its bridge, untagged
// or in the wrong VLAN, a hosts file without the VM, a server that heard and did not answer, a
// veth without the checksum fill) applies to its error, so a server the evidence does not tie to
// a failing VM is not called its cause:
//
// - unreached: no VM of the case can get its DISCOVER there — its trace is whole (every branch
//   ends on steps the case shows, none leaves the case) and never enters the server's bridge (or,
//   off any bridge, its host), or the case puts the VM on another network. An observation about
//   that server, the verdict unaffected.
// - redundant: a VM that reaches it (or may) provably reaches another server of the SAME network
//   (qdhcp-<net-id>) that is proven working: listening on udp :67 (or its own dnsmasq log
//   showing an OFFER or ACK to the VM's MAC on its port), its port up and tagged, its OFFER back
//   proven delivered, and nothing in the case saying it does not answer that VM. Lost
//   redundancy (Neutron's dhcp_agents_per_network), a warning, not the cause.
// - cause: anything else (the VM may reach only the faulty server, or which one is not known):
//   the check's finding stands.
//
// Decided from the typed trace tree and the snapshot, never from printed text.
import { offerProbe, vmTarget } from '../../dataplane/probes.ts';
import { runTrace } from '../../dataplane/run.ts';
import { type Endpoint, nodesOf, type TraceResult } from '../../dataplane/tree.ts';
import { dnsmasqEvents } from '../../model/snapshot.ts';
import type { DhcpServer, DoctorContext, VmPort } from '../context.ts';
import { traceable } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { provenDelivered, provenReaches, unprovenSteps } from '../proof.ts';
import { evid } from './check.ts';
import { serverNetId, vmNetwork } from './vm-network.ts';

export type ServerBearing =
  | { kind: 'cause' }
  | { kind: 'unreached'; text: string; evidence: EvidenceItem[] }
  | { kind: 'redundant'; text: string; evidence: EvidenceItem[] };

export interface BearingOptions {
  /** The VMs the finding is about (default: every VM of the case). */
  vms?: readonly VmPort[];
  /** The server's own log shows it heard these VMs: it is not unreached, whatever the trace says. */
  heard?: boolean;
}

/** An endpoint inside the case: nothing unknown lies behind it that could lead to another host. */
function inside(e: Endpoint): boolean {
  switch (e.kind) {
    case 'local':
    case 'namespace':
    case 'vm':
      return true;
    case 'port':
    case 'device':
      return e.role === 'vm';
    case 'uncollected':
    case 'beyond-tunnel':
      return false;
  }
}

/** Every branch of the trace ends on steps the case shows, and none leaves the case. */
function whole(ctx: DoctorContext, t: TraceResult): boolean {
  return (
    t.verdict !== 'incomplete' &&
    t.uncertain.length === 0 &&
    t.unsupported.length === 0 &&
    !t.drops.some((d) => d.reason.gap) &&
    t.reached.every(inside) &&
    unprovenSteps(ctx.world, t).length === 0
  );
}

/** Where the trace went: the bridges it entered (`host\0bridge`) and the hosts it touched. */
function footprint(t: TraceResult): { bridges: Set<string>; hosts: Set<string> } {
  const bridges = new Set<string>();
  const hosts = new Set<string>([t.start.host]);
  for (const n of nodesOf(t.tree, 'bridge')) {
    bridges.add(`${n.host}\u0000${n.bridge}`);
    hosts.add(n.host);
  }
  for (const n of nodesOf(t.tree, 'wire')) hosts.add(n.to.host);
  for (const n of nodesOf(t.tree, 'tunnel')) if (n.to) hosts.add(n.to.host);
  for (const n of nodesOf(t.tree, 'output')) {
    hosts.add(n.host);
    if ('host' in n.endpoint) hosts.add(n.endpoint.host);
  }
  return { bridges, hosts };
}

/** Why the VM's DISCOVER provably never gets to the server; undefined when that is not proven. */
function notReached(ctx: DoctorContext, vm: VmPort, srv: DhcpServer): EvidenceItem[] | undefined {
  const net = serverNetId(srv);
  const mine = vmNetwork(ctx, vm);
  if (net && ((mine.net !== undefined && mine.net !== net) || mine.not.has(net)))
    return [
      evid(`${vm.port.name} is on ${mine.net ? `network ${mine.net}` : 'another network'}, not ${net}:`),
      ...mine.evidence,
    ];
  const t = ctx.discover.get(vm);
  if (!t || !whole(ctx, t)) return undefined;
  const { bridges, hosts } = footprint(t);
  if (srv.ovs) {
    if (bridges.has(`${srv.host.name}\u0000${srv.ovs.bridge.name}`)) return undefined;
    return [
      evid(
        `the DISCOVER from ${vm.host.name}:${vm.port.name} never enters ${srv.host.name}:${srv.ovs.bridge.name}, where ${srv.device.name} is: every branch of it ends on steps the case shows${hosts.has(srv.host.name) ? '' : `, none on ${srv.host.name} (no wire or tunnel of the case leads there)`}`,
      ),
    ];
  }
  if (hosts.has(srv.host.name)) return undefined;
  return [
    evid(
      `the DISCOVER from ${vm.host.name}:${vm.port.name} never reaches ${srv.host.name}: every branch of it ends on steps the case shows, none there (no wire or tunnel of the case leads there)`,
    ),
  ];
}

const offers = new WeakMap<DoctorContext, Map<VmPort, Map<DhcpServer, TraceResult | undefined>>>();

/** The OFFER from this server back to the VM (the context's own when it traced from this server). */
export function offerFrom(ctx: DoctorContext, vm: VmPort, srv: DhcpServer): TraceResult | undefined {
  if (ctx.offerServer?.get(vm) === srv) return ctx.offer.get(vm);
  const byVm = offers.get(ctx) ?? new Map<VmPort, Map<DhcpServer, TraceResult | undefined>>();
  offers.set(ctx, byVm);
  const bySrv = byVm.get(vm) ?? new Map<DhcpServer, TraceResult | undefined>();
  byVm.set(vm, bySrv);
  if (bySrv.has(srv)) return bySrv.get(srv);
  const t =
    srv.ovs && traceable(ctx.world, srv.host.name, srv.ovs.port.name)
      ? runTrace(ctx.snapshot, ctx.world, {
          from: `${srv.host.name}:${srv.ovs.port.name}`,
          packet: offerProbe(vm, srv),
          targets: vmTarget(vm),
        })
      : undefined;
  bySrv.set(srv, t);
  return t;
}

/**
 * The server is proven to serve this VM: it answers on udp :67 — a listener in its namespace, or
 * its own dnsmasq log (the one the case holds of its host) showing an OFFER or ACK to the VM's MAC
 * on its port, which proves it answers this VM at least as well as a listener does —, its port up,
 * on a bridge and tagged, its OFFER back proven delivered, and nothing of the case saying
 * otherwise (a hosts file of its network without the VM's MAC, a log of DISCOVERs from it left
 * unanswered, a veth with transmit checksum offload and no fill rule). The evidence, or undefined.
 */
function working(ctx: DoctorContext, vm: VmPort, s: DhcpServer): EvidenceItem[] | undefined {
  const listener = (s.ns.sockets ?? []).find((l) => l.proto === 'udp' && l.port === 67);
  const mac = vm.mac?.toLowerCase();
  // Its own log's answers to this VM, on its port (a host's log may hold several servers').
  const answered = mac
    ? dnsmasqEvents(s.host).filter(
        (e) => e.mac === mac && e.iface === s.device.name && (e.type === 'DHCPOFFER' || e.type === 'DHCPACK'),
      )
    : [];
  if ((!listener && answered.length === 0) || !s.device.up || !s.ovs) return undefined;
  const tag = s.ovs.port.tag;
  if (!tag.known || tag.value === null) return undefined;
  if (!provenDelivered(ctx.world, offerFrom(ctx, vm, s))) return undefined;
  if (mac) {
    const net = s.host.dhcpNetworks.find((n) => `qdhcp-${n.net}` === s.ns.name);
    if (net?.hosts && !net.hosts.some((e) => e.mac === mac)) return undefined;
    const ev = dnsmasqEvents(s.host).filter((e) => e.mac === mac);
    if (
      ev.some((e) => e.type === 'DHCPDISCOVER') &&
      !ev.some((e) => e.type === 'DHCPOFFER' || e.type === 'DHCPACK')
    )
      return undefined;
  }
  if (s.veth && s.ns.offloads?.[s.device.name]?.txChecksum && !s.ns.iptables?.checksumFill) return undefined;
  return [
    ...(listener
      ? [
          evid(
            `${s.ns.name} on ${s.host.name} listens on ${listener.proto} ${listener.address}:${listener.port}`,
            listener.from,
          ),
        ]
      : []),
    ...answered
      .slice(-2)
      .map((e) =>
        evid(
          `dnsmasq on ${s.host.name} answered ${vm.port.name}'s ${mac}: ${e.type}(${e.iface})${e.ip ? ` ${e.ip}` : ''}`,
          e.from,
        ),
      ),
    evid(`${s.device.name} is UP`, s.device.from),
    evid(`port ${s.ovs.port.name} on ${s.ovs.bridge.name} tag ${tag.value}`, tag.from[0]),
    evid(
      `the DISCOVER from ${vm.port.name} reaches ${s.ns.name} on ${s.host.name} and the OFFER from ${s.device.name} comes back, proven by the flows`,
    ),
  ];
}

/** What a fault of `srv` has to do with the VMs' failure (see the header). */
export function serverBearing(ctx: DoctorContext, srv: DhcpServer, opts: BearingOptions = {}): ServerBearing {
  const vms = opts.vms ?? ctx.vms;
  if (vms.length === 0) return { kind: 'cause' };
  const net = serverNetId(srv);
  const away: EvidenceItem[] = [];
  const backups: { vm: VmPort; by: DhcpServer; evidence: EvidenceItem[] }[] = [];
  for (const vm of vms) {
    const why = opts.heard ? undefined : notReached(ctx, vm, srv);
    if (why) {
      away.push(...why);
      continue;
    }
    const t = ctx.discover.get(vm);
    if (!t || !net) return { kind: 'cause' };
    let backup: { vm: VmPort; by: DhcpServer; evidence: EvidenceItem[] } | undefined;
    for (const s of ctx.servers) {
      if (s === srv || serverNetId(s) !== net) continue;
      if (!provenReaches(ctx.world, t, { host: s.host.name, name: s.ns.name })) continue;
      const evidence = working(ctx, vm, s);
      if (evidence) {
        backup = { vm, by: s, evidence };
        break;
      }
    }
    if (!backup) return { kind: 'cause' };
    backups.push(backup);
  }
  if (backups.length === 0)
    return {
      kind: 'unreached',
      text: `no DISCOVER of the case gets to ${srv.host.name}'s ${srv.ns.name} (see the evidence), so it is not why ${vms.map((v) => v.port.name).join(', ')} ${vms.length > 1 ? 'get' : 'gets'} no address`,
      evidence: away,
    };
  const by = [...new Set(backups.map((b) => `${b.by.ns.name} on ${b.by.host.name}`))];
  return {
    kind: 'redundant',
    text: `lost redundancy, not the cause: ${backups.map((b) => b.vm.port.name).join(', ')} also ${backups.length > 1 ? 'reach' : 'reaches'} ${by.join(', ')}, another DHCP server of network ${net}, proven working (listening on udp :67 or, in its own dnsmasq log, answering the VM; its port up and tagged, its OFFER back delivered); the network has one working DHCP agent fewer`,
    evidence: [...backups.flatMap((b) => b.evidence), ...away],
  };
}

/**
 * A server-side error as the evidence ties it to the VMs: unchanged when it may be their cause,
 * else a warning observation saying why it is not (unreached, or lost redundancy).
 */
export function serverFault(
  ctx: DoctorContext,
  srv: DhcpServer,
  f: Finding,
  opts: BearingOptions = {},
): Finding {
  if (f.severity !== 'error') return f;
  const b = serverBearing(ctx, srv, opts);
  if (b.kind === 'cause') return f;
  return {
    ...f,
    role: 'observation',
    severity: 'warning',
    message: b.kind === 'redundant' ? `${b.text}: ${f.message}` : `${f.message}; not the cause: ${b.text}`,
    evidence: [...f.evidence, ...b.evidence],
  };
}
