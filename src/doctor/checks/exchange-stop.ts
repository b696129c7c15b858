// Where a VM's DHCP exchange stops, considering every DHCP server that may be its own (Neutron's
// dhcp_agents_per_network puts one qdhcp namespace of a network on each of several nodes; a node
// serves many networks): what each server's own dnsmasq log, or a capture at its device, shows of
// the VM's DISCOVER and of its answer. One server answering is enough for the VM, so a server that
// got the DISCOVER and stayed silent while another answered is lost redundancy, not where the
// exchange stops; a server of another network says nothing of it.
import { dnsmasqEvents } from '../../model/snapshot.ts';
import type { DhcpServer, DoctorContext, VmPort } from '../context.ts';
import type { EvidenceItem } from '../finding.ts';
import { evid } from './check.ts';
import { serverNames, vmServers } from './vm-network.ts';

export interface ServerSaw {
  srv: DhcpServer;
  /** It got the VM's DISCOVER; undefined: the case does not show (`why`). */
  heard?: boolean;
  /** It answered the VM (an OFFER or ACK); undefined: the case does not show. */
  answered?: boolean;
  evidence: EvidenceItem[];
  why?: string;
}

/** A capture of the case taken at the server's device (`<host>:<dev>`, or capture live's `<host>_<dev>`). */
function capturesAt(srv: DhcpServer) {
  const dev = srv.device.name;
  return (srv.host.captures ?? []).filter((c) => {
    const name = c.point.slice(c.point.indexOf(':') + 1);
    return name === dev || name === `${srv.host.name}_${dev}`;
  });
}

/**
 * What the server's own dnsmasq log and captures at its device show of this VM. Its host's log
 * covers it when it has lines of its device, or when the case holds no other server on that host
 * (one host's log may hold several dnsmasq instances, told apart by the device).
 */
export function serverSaw(ctx: DoctorContext, vm: VmPort, srv: DhcpServer): ServerSaw {
  const mac = vm.mac?.toLowerCase();
  const name = `${srv.ns.name} on ${srv.host.name}`;
  if (!mac) return { srv, evidence: [], why: `${vm.port.name}'s MAC is not in the case` };
  const dev = srv.device.name;
  const evidence: EvidenceItem[] = [];
  let heard: boolean | undefined;
  let answered: boolean | undefined;
  // Every dnsmasq log of its host counts together (one per network, or a rotated one beside).
  const logs = srv.host.dnsmasqLogs ?? [];
  const events = dnsmasqEvents(srv.host);
  const alone = ctx.servers.every((x) => x === srv || x.host !== srv.host);
  if (logs.length && (alone || events.some((e) => e.iface === dev))) {
    const mine = events.filter((e) => e.mac === mac && e.iface === dev);
    const disc = mine.filter((e) => e.type === 'DHCPDISCOVER');
    const ans = mine.filter((e) => e.type === 'DHCPOFFER' || e.type === 'DHCPACK');
    heard = disc.length > 0 || ans.length > 0;
    answered = ans.length > 0;
    if (ans.length)
      for (const e of ans.slice(-2))
        evidence.push(
          evid(`${name} answered ${mac}: ${e.type}(${e.iface})${e.ip ? ` ${e.ip}` : ''}`, e.from),
        );
    else if (disc.length)
      evidence.push(
        evid(
          `${name} logged ${disc.length} DISCOVER(s) from ${mac} and no OFFER or ACK to it${disc.some((e) => e.note) ? ` ("${disc.find((e) => e.note)!.note}")` : ''}`,
          disc[disc.length - 1]!.from,
        ),
      );
    else
      for (const l of logs)
        evidence.push(
          evid(
            `dnsmasq's log on ${srv.host.name} (${l.events.length} DHCP lines${logs.length > 1 ? `, one of its ${logs.length}` : ''}) never shows a DISCOVER from ${mac} on ${dev}`,
            { file: l.file, line: 0 },
          ),
        );
  }
  const ip = srv.device.addresses.filter((a) => a.family === 'inet').map((a) => a.address);
  for (const c of capturesAt(srv)) {
    const s = c.sightings.filter((x) => x.clientMac.toLowerCase() === mac);
    const disc = s.filter((x) => x.type === 'DISCOVER');
    // An answer is this server's by its server identifier: a broadcast OFFER of another server of
    // the network floods to this device too.
    const ans = s.filter(
      (x) => (x.type === 'OFFER' || x.type === 'ACK') && x.serverId !== undefined && ip.includes(x.serverId),
    );
    heard = heard || disc.length > 0 || ans.length > 0;
    answered = answered || ans.length > 0;
    evidence.push(
      evid(
        `the capture at ${c.point} shows ${disc.length} DISCOVER(s) from ${mac} and ${ans.length ? `${ans.length} answer(s) of ${srv.ns.name} to it` : 'no answer of this server to it'}`,
        { file: c.file, line: ans[0]?.frame ?? disc[0]?.frame ?? 0 },
      ),
    );
  }
  if (heard === undefined)
    return {
      srv,
      evidence,
      why: `the case holds neither dnsmasq's log of ${name} (lines of ${dev}) nor a capture at ${dev}`,
    };
  return { srv, heard, answered: answered ?? false, evidence };
}

/**
 * Where the VM's exchange stops as the servers that may be its own saw it, in words, with the
 * evidence (each server's, and why another network's servers are left out), and those servers.
 */
export function whereItStops(
  ctx: DoctorContext,
  vm: VmPort,
): { text: string; evidence: EvidenceItem[]; servers: DhcpServer[] } {
  const vs = vmServers(ctx, vm);
  const left = vs.others.map((o) =>
    evid(`${o.srv.ns.name} on ${o.srv.host.name} is not counted, a DHCP server of another network: ${o.why}`),
  );
  if (vs.mine.length === 0)
    return {
      text: `no DHCP server of ${vm.port.name}'s network is in the case, so where the exchange stops is unknown`,
      evidence: left,
      servers: [],
    };
  const saws = vs.mine.map((srv) => serverSaw(ctx, vm, srv));
  const evidence = [...saws.flatMap((x) => x.evidence), ...left];
  const names = (xs: ServerSaw[]): string => serverNames(xs.map((x) => x.srv));
  const answering = saws.filter((x) => x.answered);
  const silent = saws.filter((x) => x.heard && !x.answered);
  const deaf = saws.filter((x) => x.heard === false);
  const unknown = saws.filter((x) => x.heard === undefined);
  const unseen = unknown.length ? `what ${names(unknown)} saw is not in the case (${unknown[0]!.why})` : '';
  const which =
    vs.network.net === undefined && vs.mine.length > 1
      ? `which of ${names(saws)} serves ${vm.port.name}'s network is unknown (${vs.network.why}); `
      : '';
  let text: string;
  if (answering.length)
    text = `${names(answering)} answered ${vm.port.name}: the exchange stops past the server, between its answer and ${vm.port.name}'s client${silent.length ? `; ${names(silent)} got the DISCOVER and stayed silent: lost redundancy (another server answered), not where it stops` : ''}`;
  else if (silent.length)
    text = `${names(silent)} got the DISCOVER and answered nothing${deaf.length ? `, ${names(deaf)} never got it` : ''}${unknown.length ? `; ${unseen}, so whether the exchange stops at the servers is unknown` : `: the exchange stops at ${silent.length > 1 ? 'the servers' : 'the server'}`}`;
  else if (deaf.length && !unknown.length)
    text = `no DHCP server ${vs.network.net !== undefined ? `of network ${vs.network.net} ` : ''}(${names(deaf)}) got the DISCOVER: the exchange stops on the way to ${deaf.length > 1 ? 'them' : 'it'}`;
  else if (deaf.length) text = `${names(deaf)} never got the DISCOVER; ${unseen}`;
  else text = `where the exchange stops is unknown: ${unseen}`;
  return { text: `${which}${text}`, evidence, servers: vs.mine };
}
