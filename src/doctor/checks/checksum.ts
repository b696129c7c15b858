// DHCP replies the client drops for a bad UDP checksum: the veth DHCP port pitfall (ovs_use_veth
// with transmit checksum offload on and no CHECKSUM fill rule). Proven from the server's set-up
// (the namespace's ethtool -k and iptables-save) with captures or logs showing replies lost; or,
// without the namespace in the case, from what the two ends logged: dnsmasq sent OFFERs to a MAC,
// and that MAC's client (its own `Listening on` line) took none and counted bad UDP checksums.
// The client's count alone, with no server log, proves no cause: a hint, what to collect.

import type { DhcpClient, DhcpLog, Host, Snapshot } from '../../model/snapshot.ts';
import { dnsmasqEvents, findExcerpt } from '../../model/snapshot.ts';
import { shellWord } from '../../runner/runner.ts';
import type { DhcpServer } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { serverFault } from './server-bearing.ts';

type LogEvent = DhcpLog['events'][number];

/** What the two ends logged of one server device: OFFERs sent to MACs whose clients took none. */
interface LoggedLoss {
  /** The host whose dnsmasq log it is. */
  host: Host;
  iface: string;
  mac: string;
  discovers: LogEvent[];
  offers: LogEvent[];
  /** The client runs (outputs) of that MAC that took no OFFER and counted bad UDP checksums. */
  runs: { host: Host; run: DhcpClient }[];
}

/** A run of a DHCP client that got no OFFER through and said it dropped packets for bad checksums. */
function rejecting(run: DhcpClient): boolean {
  return run.lease === null && run.offers === 0 && (run.badChecksums ?? 0) > 0;
}

function loggedLosses(s: Snapshot): LoggedLoss[] {
  const out = new Map<string, LoggedLoss>();
  for (const ch of s.hosts)
    for (const run of ch.dhcpClients ?? []) {
      // Only a client whose output names its MAC is tied to the server's lines for that MAC.
      if (!run.mac || !rejecting(run)) continue;
      for (const h of s.hosts) {
        const mine = dnsmasqEvents(h).filter((e) => e.mac === run.mac);
        const offers = mine.filter((e) => e.type === 'DHCPOFFER');
        if (offers.length === 0) continue;
        const iface = offers.at(-1)!.iface;
        const key = `${h.name}\0${iface}\0${run.mac}`;
        const x = out.get(key) ?? {
          host: h,
          iface,
          mac: run.mac,
          discovers: mine.filter((e) => e.type === 'DHCPDISCOVER' && e.iface === iface),
          offers: offers.filter((e) => e.iface === iface),
          runs: [],
        };
        x.runs.push({ host: ch, run });
        out.set(key, x);
      }
    }
  return [...out.values()];
}

/** What the client's output says, each with its line. */
function clientEvidence(run: DhcpClient): EvidenceItem[] {
  const a = run.at;
  return [
    ...(a.listening ? [evid(`${a.listening.text}   (the client is ${run.mac})`, a.listening)] : []),
    ...(a.badChecksums
      ? [
          evid(
            `${a.badChecksums.text}${run.badChecksums !== undefined && !a.badChecksums.text.startsWith(`${run.badChecksums} `) ? ` (${run.badChecksums} in all)` : ''}`,
            a.badChecksums,
          ),
        ]
      : []),
    ...(a.noOffers
      ? [evid(`${a.noOffers.text}   (after ${run.discovers} DISCOVERs)`, a.noOffers)]
      : [evid(`the client sent ${run.discovers} DISCOVERs and took no OFFER`, { file: run.file, line: 0 })]),
  ];
}

/** What the server's log says for that MAC. */
function serverEvidence(x: LoggedLoss): EvidenceItem[] {
  const o = x.offers;
  const first = o[0]!;
  const last = o.at(-1)!;
  const line = (e: LogEvent): string => `${e.type}(${e.iface})${e.ip ? ` ${e.ip}` : ''} ${e.mac}`;
  return [
    evid(
      `${line(first)}   (dnsmasq logged ${x.discovers.length} DISCOVER(s) and ${o.length} OFFER(s) for ${x.mac} on ${x.iface})`,
      first.from,
    ),
    ...(last !== first ? [evid(line(last), last.from)] : []),
  ];
}

/** The OVS end of a veth DHCP port (tap<id> for ns-<id>), when the case shows it. */
function bridgeEnd(s: Snapshot, iface: string): EvidenceItem[] {
  if (!iface.startsWith('ns-')) return [];
  const tap = `tap${iface.slice(3)}`;
  for (const h of s.hosts)
    for (const b of h.bridges) {
      const p = b.ports.find((x) => x.name === tap);
      if (p) return [evid(`${tap}, the veth pair's other end, is a port of ${h.name}:${b.name}`, p.from[0])];
    }
  return [];
}

/** The finding when the logs prove it and no server of the case (its namespace) is that device. */
function fromLogs(x: LoggedLoss, s: Snapshot, srv: DhcpServer | undefined): Finding {
  const bad = x.runs.reduce((n, r) => n + (r.run.badChecksums ?? 0), 0);
  const files = [...new Set(x.runs.map((r) => r.run.file))].join(', ');
  // Neutron names a veth DHCP port's namespace end ns-<port id>; an internal port is tap<port id>.
  const veth = x.iface.startsWith('ns-');
  // The namespace's own offload setting, when the case holds it, can say it is not the veth's offload.
  const off = srv?.ns.offloads?.[x.iface];
  const offloadOff = off?.txChecksum === false;
  const pid = x.offers.at(-1)!.pid;
  const dev = shellWord(x.iface);
  const ns = srv ? shellWord(srv.ns.name) : 'qdhcp-<network-id>';
  const on = `on ${x.host.name}`;
  const findNs = srv
    ? []
    : [
        pid !== undefined
          ? `ip netns identify ${pid}   # ${on}: the namespace of the dnsmasq that logged the OFFERs (qdhcp-<network-id>); if dnsmasq was restarted since: ip netns | grep qdhcp`
          : `ip netns | grep qdhcp   # ${on}: the namespace holding ${x.iface} (ip netns exec <ns> ip -o link show ${dev})`,
      ];
  return {
    code: 'dhcp-reply-checksum',
    role: 'cause',
    severity: 'error',
    subject: `${x.host.name}:${srv ? `${srv.ns.name}:` : ''}${x.iface}`,
    message: `dnsmasq sent ${x.offers.length} OFFER(s) to ${x.mac} on ${x.iface}, and that client took none: it dropped ${bad} packet(s) for a bad UDP checksum (${files})`,
    ...(veth && !offloadOff
      ? {
          rootCause: `${x.iface} is the namespace end of a veth pair (Neutron's ns-/tap naming: ovs_use_veth): with transmit checksum offload on, the kernel leaves the UDP checksum of dnsmasq's replies to the device, and OVS forwards them unfinished (userspace datapath) — Neutron adds an iptables CHECKSUM --checksum-fill rule for this`,
          ...(off?.txChecksum
            ? {}
            : {
                confirm: `ip netns exec ${ns} ethtool -k ${dev}   # ${on}: tx-checksumming: on`,
              }),
        }
      : {}),
    evidence: [
      ...serverEvidence(x),
      ...x.runs.slice(0, 2).flatMap((r) => clientEvidence(r.run)),
      ...bridgeEnd(s, x.iface),
      ...(off ? [evid(`tx-checksumming: ${off.txChecksum ? 'on' : 'off'} for ${x.iface}`, off.from)] : []),
    ],
    fix:
      veth && !offloadOff
        ? [
            ...findNs,
            `ip netns exec ${ns} ethtool -K ${dev} tx off   # changes state: dnsmasq's replies leave with whole checksums; lost when the agent re-creates the device`,
            `# lasting: internal ports instead of veth pairs (ovs_use_veth = False in the DHCP agent's ini, then restart neutron-dhcp-agent: changes state), or the fill rule Neutron adds: ip netns exec ${ns} iptables -t mangle -A POSTROUTING -o ${dev} -p udp --dport 68 -j CHECKSUM --checksum-fill`,
          ]
        : [
            // Not a veth by its name (or its offload is off): where the checksum breaks is not shown.
            ...findNs,
            `ip netns exec ${ns} tcpdump -ni ${dev} -vv udp port 67 or udp port 68   # ${on}: does the OFFER leave with a good checksum?`,
            'tcpdump -ni <the VM interface> -vv udp port 67 or udp port 68   # on the VM or its tap: where it arrives bad',
          ],
  };
}

/** Only the client says it: bad checksums and no OFFER, and no server log of the case to tie them to. */
function hint(h: Host, run: DhcpClient): Finding {
  const mac = run.mac ? shellWord(run.mac) : '<the VM MAC>';
  return {
    code: 'dhcp-client-bad-checksums',
    role: 'observation',
    severity: 'warning',
    subject: `${h.name}:${run.file}`,
    message: `the DHCP client (${run.file}) took no OFFER and dropped ${run.badChecksums} packet(s) for a bad UDP checksum: if those were the server's OFFERs, the replies' checksums break on the way (a veth DHCP port with transmit checksum offload, ovs_use_veth); no dnsmasq log of the case shows the server sent them${run.mac ? ` to ${run.mac}` : ''}, so that is not proven`,
    evidence: clientEvidence(run),
    fix: [
      `grep -i -- ${mac} /var/log/syslog   # on the DHCP agent's host (or dnsmasq's own log): did dnsmasq send the OFFER (DHCPOFFER(<device>))?`,
      `ip netns exec qdhcp-<network-id> ethtool -k <its device>   # there: tx-checksumming on a veth ns-<id> device is the known pitfall`,
    ],
  };
}

export const checksum: Check = {
  id: 'checksum',
  title: 'UDP checksum of DHCP replies',
  run(ctx) {
    const out: Finding[] = [];
    const s = ctx.snapshot;
    // Captures are the strongest evidence: replies that reached a client with a bad UDP checksum.
    const badReplies = s.hosts.flatMap((h) =>
      (h.captures ?? []).flatMap((c) =>
        c.sightings.filter((x) => (x.type === 'OFFER' || x.type === 'ACK') && x.udpChecksum === 'bad'),
      ),
    );
    const losses = loggedLosses(s);
    const used = new Set<LoggedLoss>();
    for (const srv of ctx.servers) {
      const off = srv.ns.offloads?.[srv.device.name];
      const logged = losses.find((x) => x.host === srv.host && x.iface === srv.device.name);
      if ((!srv.veth || !off?.txChecksum || srv.ns.iptables?.checksumFill) && badReplies.length === 0)
        continue;
      if (logged) used.add(logged);
      // An excerpt of the rules does not show the fill rule absent: as if not collected.
      const rulesCut = srv.ns.iptables ? findExcerpt(srv.host, 'iptables', srv.ns.name) : undefined;
      const rulesWhole = srv.ns.iptables !== undefined && rulesCut === undefined;
      const offers = dnsmasqEvents(srv.host).filter((e) => e.type === 'DHCPOFFER');
      // A run of a client that took no OFFER: this server's, when its MAC is one dnsmasq offered to
      // (or its output names none).
      const offered = new Set(offers.flatMap((e) => (e.mac ? [e.mac] : [])));
      const client = s.hosts
        .flatMap((h) => h.dhcpClients ?? [])
        .find((c) => c.offers === 0 && c.lease === null && (!c.mac || offered.has(c.mac)));
      const lost = (offers.length > 0 && client !== undefined) || badReplies.length > 0;
      const finding: Finding = {
        code: 'dhcp-reply-checksum',
        severity: lost || rulesWhole ? 'error' : 'warning',
        subject: `${srv.host.name}:${srv.ns.name}:${srv.device.name}`,
        message: `DHCP replies leave ${srv.device.name} (a veth) with transmit checksum offload on and no CHECKSUM fill rule: clients drop them for a bad UDP checksum${lost && offers.length ? `; dnsmasq sent ${offers.length} OFFER(s) and the client received none` : ''}`,
        rootCause:
          'with ovs_use_veth the kernel leaves UDP checksums to the veth peer, which OVS forwards unfinished (userspace datapath) — Neutron adds an iptables CHECKSUM --checksum-fill rule for this',
        evidence: [
          ...(off
            ? [evid(`tx-checksumming: ${off.txChecksum ? 'on' : 'off'} for ${srv.device.name}`, off.from)]
            : []),
          evid(
            srv.ns.iptables
              ? `iptables-save in ${srv.ns.name} has ${srv.ns.iptables.rules} rules, no CHECKSUM --checksum-fill for udp dport 68${rulesCut ? ` in what the excerpt shows (lines left out at line ${rulesCut.line})` : ''}`
              : 'iptables-save of the namespace not in the case',
            srv.ns.iptables?.from,
          ),
          ...(offers[0] ? [evid(`dnsmasq logged ${offers.length} DHCPOFFER`, offers[0].from)] : []),
          ...(client
            ? client.at.listening || client.at.noOffers || client.at.badChecksums
              ? clientEvidence(client)
              : [
                  evid(
                    `the client saw ${client.offers} OFFER${client.badChecksums ? ` and ${client.badChecksums} bad udp checksums` : ''}`,
                    { file: client.file, line: 0 },
                  ),
                ]
            : []),
          ...badReplies.slice(0, 3).map((x) =>
            evid(
              `${x.type} xid 0x${x.xid.toString(16)} arrived at ${x.point} with a BAD UDP checksum (frame ${x.frame})`,
              {
                file: x.file,
                line: x.frame,
              },
            ),
          ),
        ],
        fix: [
          ...(rulesCut
            ? [`${rulesCut.collect}   # on ${srv.host.name}: the whole output, not an excerpt`]
            : []),
          `ip netns exec ${shellWord(srv.ns.name)} iptables -t mangle -A POSTROUTING -o ${shellWord(srv.device.name)} -p udp --dport 68 -j CHECKSUM --checksum-fill   # changes state (the DHCP agent adds this rule itself when it manages the namespace)`,
          `# or turn the offload off: ip netns exec ${shellWord(srv.ns.name)} ethtool -K ${shellWord(srv.device.name)} tx off`,
        ],
      };
      // Bad replies captured, or the client's own output for a MAC this server offered to, are the
      // VM's own evidence; else the server's set-up, tied to the VMs only as server-bearing.ts says.
      out.push(badReplies.length || logged ? finding : serverFault(ctx, srv, finding));
    }
    // The two ends' logs prove it where the case's servers did not already say so.
    for (const x of losses) {
      if (used.has(x)) continue;
      const srv = ctx.servers.find((v) => v.host === x.host && v.device.name === x.iface);
      out.push(fromLogs(x, s, srv));
    }
    // The client's count alone: a hint, never a cause.
    const tied = new Set(losses.flatMap((x) => x.runs.map((r) => r.run)));
    if (out.length === 0)
      for (const h of s.hosts)
        for (const run of h.dhcpClients ?? []) if (rejecting(run) && !tied.has(run)) out.push(hint(h, run));
    return out;
  },
};
