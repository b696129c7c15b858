// The flows prove a path, not a server: a DISCOVER delivered to the DHCP port and an OFFER the flows
// would carry back say nothing of whether dnsmasq runs in that namespace and answers. A healthy
// verdict needs the case to show the server at work too (design.md: never state more than the
// evidence proves): a udp :67 listener in its namespace, dnsmasq among the processes of its socket
// listing, or dnsmasq's own log answering (DHCPOFFER/DHCPACK) on its port.
import { dnsmasqEvents } from '../model/snapshot.ts';
import { shellWord } from '../runner/runner.ts';
import { evid } from './checks/check.ts';
import type { DhcpServer, VmPort } from './context.ts';
import type { EvidenceItem, Finding } from './finding.ts';

/** The devices dnsmasq names for this server: its own, and for a veth pair both ends (ns-<id>, tap<id>). */
function deviceNames(srv: DhcpServer): string[] {
  const d = srv.device.name;
  return d.startsWith('ns-') ? [d, `tap${d.slice(3)}`] : [d];
}

/**
 * What in the case shows dnsmasq at work in `srv`'s namespace (for `vm`: its answers to the VM's
 * MAC first); empty when nothing does.
 */
export function serverAtWork(srv: DhcpServer, vm?: VmPort): EvidenceItem[] {
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
  served: readonly { vm: VmPort; srv: DhcpServer }[],
): { finding: Finding; first: DhcpServer } | undefined {
  const idle = served.filter(({ vm, srv }) => serverAtWork(srv, vm).length === 0);
  if (idle.length === 0) return undefined;
  const seen = new Set<DhcpServer>();
  const servers = idle.filter(({ srv }) => !seen.has(srv) && seen.add(srv));
  const names = servers.map(({ srv }) => `${srv.ns.name} on ${srv.host.name}`).join(', ');
  const finding: Finding = {
    code: 'dhcp-server-unproven',
    role: 'gap',
    severity: 'warning',
    subject: servers.map(({ srv }) => `${srv.host.name}:${srv.ns.name}`).join(', '),
    message: `the flows deliver ${idle.map(({ vm }) => vm.port.name).join(', ')}'s DISCOVER to ${names} and carry the OFFER back, but whether dnsmasq answers there is not in the case: no udp :67 listener, dnsmasq process or dnsmasq log of ${servers.length > 1 ? 'those namespaces' : 'that namespace'}`,
    evidence: servers.map(({ srv }) => evid(`${srv.device.name} in ${srv.ns.name}`, srv.device.from)),
    fix: servers.flatMap(({ srv, vm }) => serverAtWorkCommands(srv, vm)),
  };
  return { finding, first: servers[0]!.srv };
}
