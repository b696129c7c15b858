// dnsmasq itself: running (a udp :67 listener in the namespace) and knowing the VM's MAC.

import { taggedArrivals } from '../../dataplane/tagged.ts';
import {
  dnsmasqEvents,
  type Excerpt,
  findExcerpt,
  type Host,
  type SocketListing,
} from '../../model/snapshot.ts';
import { coversUdp4Listeners, scopeGap } from '../../parse/sockets.ts';
import { operands, shellWord } from '../../runner/runner.ts';
import type { DhcpServer, DoctorContext, VmPort } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { provenDelivered } from '../proof.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { excerptGap } from './excerpt.ts';
import { serverFault } from './server-bearing.ts';
import { serverNetId, vmNetwork, vmNetworkCommands } from './vm-network.ts';

/** A dnsmasq log of the host that the case holds only as an excerpt (what it leaves out may answer). */
function logCut(h: Host): Excerpt | undefined {
  const files = new Set((h.dnsmasqLogs ?? []).map((l) => l.file));
  return h.excerpts?.find((x) => x.of === 'log' && files.has(x.file));
}

/** A listing in words: its command as the file name says it, else the file. */
function listingName(l: SocketListing): string {
  return l.command ? `\`${l.command}\`` : l.file;
}

/**
 * Is something listening on udp :67 in the server's namespace? Only a listing that covers
 * listening UDP sockets of IPv4 can say nothing does (`ss -ltnp` cannot); what the listings show
 * of dnsmasq's process says whether it runs, whatever they cover.
 */
function listening(srv: DhcpServer): Finding[] {
  const listings = srv.ns.socketListings ?? [];
  const socks = srv.ns.sockets ?? [];
  if (listings.length === 0 || socks.some((l) => l.proto === 'udp' && l.port === 67)) return [];
  const subject = `${srv.host.name}:${srv.ns.name}`;
  const net = srv.host.dhcpNetworks.find((n) => `qdhcp-${n.net}` === srv.ns.name);
  const pid = net?.pid;
  // dnsmasq as the listings show it: its sockets, else any socket of a process of that name.
  const own = socks.filter((l) => /dnsmasq/.test(l.process ?? ''));
  const procs = listings.flatMap((l) => l.processes);
  const alive = procs.filter((p) => /dnsmasq/.test(p.name));
  const aliveText = (): string => {
    const pids = [...new Set(alive.map((p) => p.pid))];
    return `dnsmasq runs (pid ${pids.join(', ')}${own.length ? `: ${own.map((l) => `${l.proto} ${l.address}:${l.port}`).join(', ')}` : ''})`;
  };
  const aliveEvidence = (): EvidenceItem[] =>
    own.length
      ? own.map((l) =>
          evid(`dnsmasq (pid ${l.pid ?? '?'}) listens on ${l.proto} ${l.address}:${l.port}`, l.from),
        )
      : alive.slice(0, 1).map((p) => evid(`a socket of dnsmasq (pid ${p.pid})`, p.from));
  const covering = listings.filter((l) => l.scope.known && coversUdp4Listeners(l.scope.value));
  const base = covering[0];
  if (!base) {
    // No listing shows listening UDP sockets: absence of :67 in them proves nothing.
    const why = listings.map((l) =>
      l.scope.known ? `${listingName(l)}: ${scopeGap(l.scope.value)}` : l.scope.why,
    );
    return [
      {
        code: 'dnsmasq-listener-unknown',
        role: 'gap',
        severity: 'warning',
        subject,
        message: `whether anything listens on udp port 67 in ${srv.ns.name} is unknown: the case's socket listing of it shows no listening UDP socket of IPv4 (${why.join('; ')})${alive.length ? `; it shows that ${aliveText()}` : ''}`,
        evidence: [
          ...listings.map((l) => evid(`the socket listing ${listingName(l)}`, l.from)),
          ...(alive.length ? aliveEvidence() : []),
        ],
        fix: [
          `ip netns exec ${shellWord(srv.ns.name)} ss -ulpn   # on ${srv.host.name}: the listening UDP sockets and their processes`,
        ],
      },
    ];
  }
  const none = evid(
    `${listingName(base)} lists the listening UDP sockets: ${socks.length ? `${socks.length} listening socket(s) in all, ` : ''}none on udp :67`,
    base.from,
  );
  // The :67 listener may be in a line the excerpt leaves out.
  const hidden = findExcerpt(srv.host, 'sockets', srv.ns.name);
  if (hidden)
    return [
      excerptGap(
        srv.host,
        hidden,
        subject,
        `the listening sockets of ${srv.ns.name} show none on udp port 67`,
        'whether dnsmasq listens there',
        [none],
      ),
    ];
  if (alive.length)
    // Running but not bound to :67 (the listings show dnsmasq with other sockets).
    return [
      {
        code: 'dnsmasq-not-bound',
        role: 'cause',
        severity: 'error',
        subject,
        message: `${aliveText()} in ${srv.ns.name} but is not bound to udp port 67: it serves no DHCP there`,
        rootCause:
          'dnsmasq was started without a DHCP range for this subnet (the subnet has enable_dhcp off, or its options failed), or another process holds :67',
        confirm: `ip netns exec ${shellWord(srv.ns.name)} cat /proc/$(pgrep -f ${shellWord(`dnsmasq.*${srv.ns.name.slice(6)}`)})/cmdline | tr '\\0' ' '   # look for --dhcp-range`,
        evidence: [...aliveEvidence(), none],
        fix: ['systemctl restart neutron-dhcp-agent   # changes state'],
      },
    ];
  // Nothing on :67 and no dnsmasq among the processes: "not running" needs a listing that names
  // processes; the agent's pid file then says dnsmasq was started and died.
  const named = covering.find((l) => l.scope.known && l.scope.value.processes);
  if (!named)
    return [
      {
        code: 'dhcp-not-listening',
        role: 'cause',
        severity: 'error',
        subject,
        message: `nothing listens on udp port 67 in ${srv.ns.name}: no DHCP server answers there`,
        rootCause: `dnsmasq is not running, or runs without binding :67 (${listingName(base)} names no processes${pid ? `; the agent's pid file names pid ${pid.pid}` : ''})`,
        confirm: `ip netns exec ${shellWord(srv.ns.name)} ss -ulpn${pid ? `; ps -o pid,args -p ${pid.pid}` : ''}   # on ${srv.host.name}`,
        evidence: [
          none,
          ...(pid ? [evid(`the agent's pid file names dnsmasq pid ${pid.pid}`, pid.from)] : []),
        ],
        fix: [
          'grep -i dnsmasq /var/log/neutron/dhcp-agent.log | tail',
          'systemctl restart neutron-dhcp-agent   # changes state',
        ],
      },
    ];
  // The pid file's pid may belong to another process now.
  const holder = pid ? procs.find((p) => p.pid === pid.pid) : undefined;
  return [
    {
      code: 'dnsmasq-not-running',
      severity: 'error',
      subject,
      message: `nothing listens on udp port 67 in ${srv.ns.name}: dnsmasq is not running`,
      rootCause: pid
        ? `the DHCP agent started dnsmasq (pid ${pid.pid}) but it died and was not restarted: its pid file is stale`
        : 'the DHCP agent did not start (or lost) dnsmasq for this network',
      evidence: [
        evid(
          `${listingName(named)} lists the listening UDP sockets with their processes: ${socks.length ? `${socks.length} listening socket(s) in all, ` : ''}none on udp :67, none of dnsmasq`,
          named.from,
        ),
        ...(pid
          ? [
              evid(
                holder
                  ? `the agent's pid file names dnsmasq pid ${pid.pid}, which is ${holder.name} here`
                  : `the agent's pid file names dnsmasq pid ${pid.pid}, which has no socket here`,
                pid.from,
              ),
            ]
          : []),
      ],
      fix: [
        'grep -i dnsmasq /var/log/neutron/dhcp-agent.log | tail',
        'systemctl restart neutron-dhcp-agent   # changes state',
      ],
    },
  ];
}

/**
 * The VM's MAC missing from dnsmasq's hosts file: a fault only in the file of the VM's own network
 * (the agent writes one file per network, so every other network's file lacks it by design). The
 * VM's network unknown and no hosts file of the case listing its MAC: a gap naming the files and
 * how to tell its network, never an error.
 */
function hostEntries(ctx: DoctorContext, vm: VmPort, vmMac: string): Finding[] {
  const mac = vmMac.toLowerCase();
  const files = ctx.snapshot.hosts.flatMap((h) =>
    h.dhcpNetworks.flatMap((net) => (net.hosts ? [{ h, net, hosts: net.hosts }] : [])),
  );
  const lacking = files.filter((x) => !x.hosts.some((e) => e.mac === mac));
  if (lacking.length === 0) return [];
  const mine = vmNetwork(ctx, vm);
  const out: Finding[] = [];
  for (const { h, net, hosts } of lacking) {
    const id = net.net.toLowerCase();
    if (mine.net !== id) continue;
    const hidden = h.excerpts?.find(
      (x) =>
        x.of === 'dhcp-agent' &&
        x.net === net.net &&
        (hosts.length === 0 || hosts.some((e) => e.from.file === x.file)),
    );
    if (hidden) {
      out.push(
        excerptGap(
          h,
          hidden,
          `${h.name}:${net.net}`,
          `dnsmasq's hosts file for network ${net.net} (the case puts ${vm.port.name} on that network) shows no entry for ${vmMac} (${vm.port.name})`,
          'whether it has one',
          mine.evidence,
        ),
      );
      continue;
    }
    const finding: Finding = {
      code: 'dnsmasq-no-host-entry',
      severity: 'error',
      subject: `${h.name}:${net.net}`,
      message: `dnsmasq's hosts file for network ${net.net} has no entry for ${vmMac} (${vm.port.name}): it will not answer that MAC, and the case puts ${vm.port.name} on that network (see the evidence)`,
      rootCause: 'the DHCP agent has not synced the port (RPC from neutron-server missed or failed)',
      evidence: [
        ...mine.evidence,
        evid(
          `${hosts.length} entries, none for ${vmMac}`,
          hosts[0]?.from ?? { file: net.files[0]!, line: 0 },
        ),
      ],
      fix: [
        'systemctl restart neutron-dhcp-agent   # changes state: resyncs every network',
        `grep -i ${operands(vmMac, `/var/lib/neutron/dhcp/${net.net}/host`)}`,
      ],
    };
    // The file is the agent's on that host: its server there, as the evidence ties it to the VM.
    const srv = ctx.servers.find((x) => x.host === h && serverNetId(x) === id);
    out.push(srv ? serverFault(ctx, srv, finding, { vms: [vm] }) : finding);
  }
  if (mine.net !== undefined) return out;
  // The VM's network unknown. A hosts file that lists the MAC is most likely its network's (the
  // others lack it by design); a network the case places elsewhere is not its own. Else: a gap.
  if (lacking.length < files.length) return out;
  const open = lacking.filter((x) => !mine.not.has(x.net.net.toLowerCase()));
  if (open.length === 0) return out;
  out.push({
    code: 'dnsmasq-host-entry-unknown',
    role: 'gap',
    severity: 'warning',
    subject: `${vm.host.name}:${vm.port.name}`,
    message: `no dnsmasq hosts file of the case lists ${vmMac} (${vm.port.name}): ${open.map((x) => `${x.h.name}'s for network ${x.net.net}`).join(', ')}; the DHCP agent writes one file per network, so this is a fault only in the file of ${vm.port.name}'s own network, which the case does not give (${mine.why})`,
    evidence: [
      ...mine.evidence,
      ...open.map((x) =>
        evid(
          `${x.hosts.length} entries, none for ${vmMac}`,
          x.hosts[0]?.from ?? { file: x.net.files[0]!, line: 0 },
        ),
      ),
    ],
    fix: vmNetworkCommands(vm),
  });
  return out;
}

export const dnsmasq: Check = {
  id: 'dnsmasq',
  title: 'dnsmasq running with a host entry for the VM',
  run(ctx) {
    const out: Finding[] = [];
    // A server's fault is a cause only as the evidence ties it to the VMs (server-bearing.ts).
    for (const srv of ctx.servers) out.push(...listening(srv).map((f) => serverFault(ctx, srv, f)));
    // Bound, and its log says whether it answered this VM: DISCOVER without OFFER is a server that
    // hears and does not answer; OFFER/ACK is a server that answered (the fault is elsewhere).
    for (const vm of ctx.vms) {
      if (!vm.mac) continue;
      const mac = vm.mac.toLowerCase();
      for (const h of ctx.snapshot.hosts) {
        const ev = dnsmasqEvents(h).filter((e) => e.mac === mac);
        const disc = ev.filter((e) => e.type === 'DHCPDISCOVER');
        const answers = ev.filter((e) => e.type === 'DHCPOFFER' || e.type === 'DHCPACK');
        if (answers.length) {
          // The last few answers are cited; the message counts all of them and says which are cited.
          const cited = answers.slice(-MAX_CITED);
          const types = (xs: typeof answers): string[] => [...new Set(xs.map((e) => e.type))];
          const kinds =
            cited.length === answers.length
              ? answers.map((e) => e.type).join(', ')
              : `${answers.length} answers: ${types(answers)
                  .map((t) => `${answers.filter((e) => e.type === t).length} ${t}`)
                  .join(', ')}; the last ${cited.length} cited`;
          // Whether anything is left to look at: the flows prove the OFFER back to the VM's port
          // (untagged where it arrives), or they do not.
          const o = ctx.offer.get(vm);
          const back =
            o && provenDelivered(ctx.world, o) && taggedArrivals(ctx.snapshot, o).length === 0
              ? `, and the flows carry the OFFER back to ${vm.port.name}`
              : `; the way back to ${vm.port.name} and the client are what is left to look at`;
          out.push({
            code: 'dnsmasq-answered',
            role: 'observation',
            severity: 'info',
            subject: `${h.name}:${answers[0]!.iface}`,
            message: `dnsmasq's log on ${h.name} shows it answered ${vm.mac} (${kinds}): the server side works${back}`,
            evidence: cited.map((e) => evid(`${e.type}(${e.iface}) ${e.ip ?? ''} ${e.mac}`, e.from)),
            fix: [],
          });
        } else if (disc.length && !disc.some((e) => e.note) && logCut(h))
          out.push(
            excerptGap(
              h,
              logCut(h)!,
              `${h.name}:${disc[0]!.iface}`,
              `dnsmasq's log on ${h.name} shows ${disc.length} DISCOVER(s) from ${vm.mac} and no answer`,
              'whether it answered',
              disc.slice(-3).map((e) => evid(`DHCPDISCOVER(${e.iface}) ${e.mac}`, e.from)),
            ),
          );
        else if (disc.length && !disc.some((e) => e.note)) {
          const finding: Finding = {
            code: 'dnsmasq-not-answering',
            role: 'cause',
            severity: 'error',
            subject: `${h.name}:${disc[0]!.iface}`,
            message: `dnsmasq on ${h.name} received ${disc.length} DISCOVER(s) from ${vm.mac} and answered none`,
            rootCause:
              'dnsmasq has no usable entry or range for the MAC (hosts file not synced, or the subnet has no DHCP range)',
            confirm: `grep -in ${operands(mac)} /var/lib/neutron/dhcp/*/host   # on ${h.name}`,
            evidence: disc.slice(-3).map((e) => evid(`DHCPDISCOVER(${e.iface}) ${e.mac}`, e.from)),
            fix: ['systemctl restart neutron-dhcp-agent   # changes state: resyncs the hosts file'],
          };
          // The server that logged it heard this VM: a cause unless another server answers it.
          const srv = ctx.servers.find((x) => x.host === h && x.device.name === disc[0]!.iface);
          out.push(srv ? serverFault(ctx, srv, finding, { vms: [vm], heard: true }) : finding);
        }
      }
    }
    // No VM port in the case: what dnsmasq answered is still said (answeredAnyone).
    if (ctx.vms.length === 0) out.push(...answeredAnyone(ctx));
    for (const vm of ctx.vms) {
      if (!vm.mac) continue;
      // A lease for the VM's MAC: dnsmasq answered it up to ACK at least once. Not a fault by
      // itself, but it moves the suspicion to the way back (or to the client) when the VM has no IP.
      for (const h of ctx.snapshot.hosts)
        for (const net of h.dhcpNetworks)
          for (const l of net.leases ?? [])
            if (l.mac === vm.mac.toLowerCase())
              out.push({
                code: 'dhcp-lease-held',
                severity: 'info',
                subject: `${h.name}:${net.net}`,
                role: 'observation',
                message: `dnsmasq's lease file holds ${l.ip} for ${vm.mac} (${vm.port.name}), ${l.expiry === 0 ? 'with no expiry' : `expiring ${new Date(l.expiry * 1000).toISOString()}`}: dnsmasq answered this MAC through ACK at some time (the file does not say when; an old lease proves nothing about today)`,
                evidence: [evid(`${l.expiry} ${l.mac} ${l.ip}`, l.from)],
                fix: [],
              });
      out.push(...hostEntries(ctx, vm, vm.mac));
    }
    return out;
  },
};

/** How many of a VM's answers in dnsmasq's log are cited, the last ones. */
const MAX_CITED = 3;

/** How many MACs dnsmasq answered are said, the last answered first. */
const MAX_ANSWERED = 3;

/**
 * Without a VM port in the case, the MACs dnsmasq's log shows it answered (DHCPOFFER, DHCPACK) whose
 * client's own output the case does not hold: one observation per MAC (the last answered first), quoting its exchange, each line with its time. It
 * proves the server side answered that MAC then, not that the answer reached the VM, nor anything
 * of today: the VM's side is what the case lacks (no-vm-port asks for its port by that MAC).
 */
export function answeredAnyone(ctx: DoctorContext): Finding[] {
  const out: Finding[] = [];
  // A MAC whose own DHCP client output the case holds: what reached the VM is in the case, and
  // the client's checks (dhcp-client.ts, veth-pitfall) judge it.
  const clients = new Set(
    ctx.snapshot.hosts.flatMap((h) => (h.dhcpClients ?? []).flatMap((c) => (c.mac ? [c.mac] : []))),
  );
  for (const h of ctx.snapshot.hosts) {
    const events = dnsmasqEvents(h);
    const last = new Map<string, (typeof events)[number]>();
    for (const e of events)
      if (e.mac && !clients.has(e.mac) && (e.type === 'DHCPOFFER' || e.type === 'DHCPACK')) {
        last.delete(e.mac);
        last.set(e.mac, e);
      }
    const macs = [...last.keys()].reverse();
    for (const mac of macs.slice(0, MAX_ANSWERED)) {
      const a = last.get(mac)!;
      const lines = events.filter((e) => e.mac === mac && e.iface === a.iface).slice(-4);
      const acked = a.type === 'DHCPACK';
      out.push({
        code: 'dnsmasq-answered',
        role: 'observation',
        severity: 'info',
        subject: `${h.name}:${a.iface}`,
        message: `dnsmasq's log on ${h.name} shows the DHCP server answered ${mac}${a.ip ? ` with ${a.ip}` : ''}${a.time ? ` at ${a.time}` : ''} (${a.type} on ${a.iface}${
          lines.length > 1
            ? `, after ${lines
                .slice(0, -1)
                .map((e) => e.type)
                .join(', ')}`
            : ''
        }): ${acked ? 'the exchange went through on the server side' : 'the server side offered an address'}; whether the answer reached the VM is not in the case (it proves no VM port to follow it to)${macs.length > MAX_ANSWERED && mac === macs[0] ? `; ${macs.length - MAX_ANSWERED} more MAC(s) answered in that log` : ''}`,
        evidence: lines.map((e) =>
          evid(e.text ?? `${e.type}(${e.iface})${e.ip ? ` ${e.ip}` : ''} ${e.mac}`, e.from),
        ),
        fix: [],
      });
    }
  }
  return out;
}
