// The flows prove a path, not a server: a DISCOVER delivered to the DHCP port and an OFFER the flows
// would carry back say nothing of whether dnsmasq runs in that namespace and answers. A healthy
// verdict needs the case to show the server at work too (design.md: never state more than the
// evidence proves): a udp :67 listener in its namespace, dnsmasq among the processes of its socket
// listing, dnsmasq's own log answering (DHCPOFFER/DHCPACK) on its port, or a VM's own DHCP client
// (dhclient -v) taking an OFFER or ACK from its port's address. The client's lines count only from
// a VM of that server's network (its MAC the run's, the server on its network) and from one of the
// server's own addresses: an answer from another address is another server's (dhcp-client.ts).
import { type DhcpClient, dnsmasqEvents } from '../model/snapshot.ts';
import { shellWord } from '../runner/runner.ts';
import { evid } from './checks/check.ts';
import { serverNetId, vmNetwork } from './checks/vm-network.ts';
import type { DhcpServer, DoctorContext, VmPort } from './context.ts';
import type { EvidenceItem, Finding } from './finding.ts';
import { provenReaches } from './proof.ts';

/** The devices dnsmasq names for this server: its own, and for a veth pair both ends (ns-<id>, tap<id>). */
function deviceNames(srv: DhcpServer): string[] {
  const d = srv.device.name;
  return d.startsWith('ns-') ? [d, `tap${d.slice(3)}`] : [d];
}

/** The server's own IPv4 addresses (its DHCP port's), the source of its answers. */
export function serverAddresses(srv: DhcpServer): string[] {
  return srv.device.addresses.filter((a) => a.family === 'inet').map((a) => a.address);
}

/** Is `srv` on `vm`'s network: its DISCOVER provably reaches it (a broadcast stays in its network), or both are of one network id. */
function sameNetwork(ctx: DoctorContext, vm: VmPort, srv: DhcpServer): boolean {
  const t = ctx.discover.get(vm);
  if (t && provenReaches(ctx.world, t, { host: srv.host.name, name: srv.device.name })) return true;
  const net = serverNetId(srv);
  return net !== undefined && vmNetwork(ctx, vm).net === net;
}

/**
 * The OFFERs and ACKs the VMs' own DHCP clients took from `srv`'s address: a run whose MAC is a VM
 * port's of `srv`'s network (`vm`'s first), each answer quoted with its file and line.
 */
function clientAnswers(ctx: DoctorContext, srv: DhcpServer, vm?: VmPort): EvidenceItem[] {
  const ips = serverAddresses(srv);
  if (ips.length === 0) return [];
  // The runs' answers from its addresses first (cheap), by the client's MAC: only a VM with such a
  // run is asked whether it is on the server's network.
  const byMac = new Map<string, NonNullable<DhcpClient['answers']>>();
  for (const h of ctx.snapshot.hosts)
    for (const run of h.dhcpClients ?? []) {
      const took = (run.answers ?? []).filter((a) => ips.includes(a.server));
      if (run.mac && took.length) byMac.set(run.mac, [...(byMac.get(run.mac) ?? []), ...took]);
    }
  if (byMac.size === 0) return [];
  const vms = [...(vm ? [vm] : []), ...ctx.vms.filter((v) => v !== vm)];
  for (const v of vms) {
    const mac = v.mac?.toLowerCase();
    const took = mac ? byMac.get(mac) : undefined;
    if (!mac || !took || !sameNetwork(ctx, v, srv)) continue;
    return took
      .slice(-2)
      .map((a) =>
        evid(
          `${v.port.name}'s DHCP client (${mac}) took ${a.type} from ${a.server}, ${srv.ns.name}'s address: "${a.text}"`,
          a,
        ),
      );
  }
  return [];
}

/**
 * What in the case shows dnsmasq at work in `srv`'s namespace (for `vm`: its answers to the VM's
 * MAC first); empty when nothing does. With the context, the VMs' DHCP clients count too.
 */
export function serverAtWork(srv: DhcpServer, vm?: VmPort, ctx?: DoctorContext): EvidenceItem[] {
  const out: EvidenceItem[] = [];
  const listener = (srv.ns.sockets ?? []).find((l) => l.proto === 'udp' && l.port === 67);
  if (listener)
    out.push(
      evid(
        `${srv.ns.name} on ${srv.host.name} listens on udp ${listener.address}:${listener.port}${listener.process ? ` (${listener.process})` : ''}`,
        listener.from,
      ),
    );
  const proc = (srv.ns.socketListings ?? []).flatMap((l) => l.processes).find((p) => /dnsmasq/.test(p.name));
  if (proc && !listener)
    out.push(
      evid(`dnsmasq (pid ${proc.pid}) holds a socket in ${srv.ns.name} on ${srv.host.name}`, proc.from),
    );
  const devs = deviceNames(srv);
  const mac = vm?.mac?.toLowerCase();
  const answers = dnsmasqEvents(srv.host).filter(
    (e) => devs.includes(e.iface) && (e.type === 'DHCPOFFER' || e.type === 'DHCPACK'),
  );
  const toVm = mac ? answers.filter((e) => e.mac === mac) : [];
  for (const e of (toVm.length ? toVm : answers).slice(-1))
    out.push(
      evid(
        `dnsmasq on ${srv.host.name} answered${e.mac ? ` ${e.mac}` : ''}: ${e.type}(${e.iface})${e.ip ? ` ${e.ip}` : ''}`,
        e.from,
      ),
    );
  if (ctx) out.push(...clientAnswers(ctx, srv, vm));
  return out;
}

/**
 * The servers only a VM's DHCP client shows at work (no listener, dnsmasq process or log of theirs
 * in the case): one observation each, quoting the client's lines, so the healthy verdict says what
 * it rests on.
 */
export function serverShownByClient(
  ctx: DoctorContext,
  served: readonly { vm: VmPort; srv: DhcpServer }[],
): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<DhcpServer>();
  for (const { vm, srv } of served) {
    if (seen.has(srv) || serverAtWork(srv, vm).length > 0) continue;
    const took = clientAnswers(ctx, srv, vm);
    if (took.length === 0) continue;
    seen.add(srv);
    out.push({
      code: 'dhcp-client-answered',
      role: 'observation',
      severity: 'info',
      subject: `${srv.host.name}:${srv.ns.name}`,
      message: `the VM's own DHCP client took answers from ${serverAddresses(srv).join(', ')}, the address of ${srv.device.name} in ${srv.ns.name} on ${srv.host.name}: dnsmasq answers there (the case holds no socket listing or dnsmasq log of that namespace)`,
      evidence: took,
      fix: [],
    });
  }
  return out;
}

/** The listening UDP sockets of the server's namespace, with their processes. */
export function listenerCommand(srv: DhcpServer): string {
  return `ip netns exec ${shellWord(srv.ns.name)} ss -ulpn`;
}

/** What shows a server at work, on its host: its sockets with their processes, its log's answers to the VM. */
export function serverAtWorkCommands(srv: DhcpServer, vm?: VmPort): string[] {
  return [
    `${listenerCommand(srv)}   # on ${srv.host.name}: dnsmasq listening on udp :67`,
    ...(vm?.mac
      ? [
          `journalctl -t dnsmasq-dhcp | grep -i ${shellWord(vm.mac)}   # on ${srv.host.name}: dnsmasq's DHCPOFFER/DHCPACK to ${vm.port.name} (or wherever its log goes)`,
        ]
      : []),
  ];
}

/**
 * For VMs whose DHCP exchange the flows prove (DISCOVER delivered, OFFER back): the servers they
 * reach whose work the case does not show. One gap naming them, or undefined when each is shown.
 */
export function serverUnproven(
  ctx: DoctorContext,
  served: readonly { vm: VmPort; srv: DhcpServer }[],
): { finding: Finding; first: DhcpServer } | undefined {
  const idle = served.filter(({ vm, srv }) => serverAtWork(srv, vm, ctx).length === 0);
  if (idle.length === 0) return undefined;
  const seen = new Set<DhcpServer>();
  const servers = idle.filter(({ srv }) => !seen.has(srv) && seen.add(srv));
  const names = servers.map(({ srv }) => `${srv.ns.name} on ${srv.host.name}`).join(', ');
  const finding: Finding = {
    code: 'dhcp-server-unproven',
    role: 'gap',
    severity: 'warning',
    subject: servers.map(({ srv }) => `${srv.host.name}:${srv.ns.name}`).join(', '),
    message: `the flows deliver ${idle.map(({ vm }) => vm.port.name).join(', ')}'s DISCOVER to ${names} and carry the OFFER back, but whether dnsmasq answers there is not in the case: no udp :67 listener, dnsmasq process or dnsmasq log of ${servers.length > 1 ? 'those namespaces' : 'that namespace'}, nor a VM's DHCP client output taking an OFFER or ACK from ${servers.length > 1 ? 'their addresses' : 'its address'}`,
    evidence: servers.map(({ srv }) => evid(`${srv.device.name} in ${srv.ns.name}`, srv.device.from)),
    fix: servers.flatMap(({ srv, vm }) => serverAtWorkCommands(srv, vm)),
  };
  return { finding, first: servers[0]!.srv };
}
