// DHCP port as a veth pair with transmit checksum offload on and no CHECKSUM fill rule: replies
// leave with partial UDP checksums and the client drops every OFFER.

import { findExcerpt } from '../../model/snapshot.ts';
import { shellWord } from '../../runner/runner.ts';
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { serverFault } from './server-bearing.ts';

export const checksum: Check = {
  id: 'checksum',
  title: 'UDP checksum of DHCP replies',
  run(ctx) {
    const out: Finding[] = [];
    // Captures are the strongest evidence: replies that reached a client with a bad UDP checksum.
    const badReplies = ctx.snapshot.hosts.flatMap((h) =>
      (h.captures ?? []).flatMap((c) =>
        c.sightings.filter((x) => (x.type === 'OFFER' || x.type === 'ACK') && x.udpChecksum === 'bad'),
      ),
    );
    for (const srv of ctx.servers) {
      const off = srv.ns.offloads?.[srv.device.name];
      if ((!srv.veth || !off?.txChecksum || srv.ns.iptables?.checksumFill) && badReplies.length === 0)
        continue;
      // An excerpt of the rules does not show the fill rule absent: as if not collected.
      const rulesCut = srv.ns.iptables ? findExcerpt(srv.host, 'iptables', srv.ns.name) : undefined;
      const rulesWhole = srv.ns.iptables !== undefined && rulesCut === undefined;
      const offers = srv.host.dnsmasqLog?.events.filter((e) => e.type === 'DHCPOFFER') ?? [];
      const client = ctx.snapshot.hosts.map((h) => h.dhcpClient).find(Boolean);
      const lost =
        (offers.length > 0 && client !== undefined && client.offers === 0) || badReplies.length > 0;
      const finding: Finding = {
        code: 'dhcp-reply-checksum',
        severity: lost || rulesWhole ? 'error' : 'warning',
        subject: `${srv.host.name}:${srv.ns.name}:${srv.device.name}`,
        message: `DHCP replies leave ${srv.device.name} (a veth) with transmit checksum offload on and no CHECKSUM fill rule: clients drop them for a bad UDP checksum${lost ? `; dnsmasq sent ${offers.length} OFFER(s) and the client received none` : ''}`,
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
            ? [
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
      // Bad replies captured are the VM's own evidence; else the server's set-up, tied to the VMs
      // only as server-bearing.ts says.
      out.push(badReplies.length ? finding : serverFault(ctx, srv, finding));
    }
    return out;
  },
};
