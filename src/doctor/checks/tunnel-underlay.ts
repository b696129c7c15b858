// Whether a host's firewall lets the DHCP traffic's tunnel packets through. Each tunnel hop the
// DISCOVER or OFFER takes toward its target is one packet (UDP to the tunnel's port, or GRE, from
// the sender's underlay address to the receiver's); the receiving host's INPUT chain is evaluated
// in order for it (firewall.ts). A proven DROP/REJECT is the cause, and the fix lets that peer in
// just before what dropped it (deleting a broad DROP would weaken the host's hardening); a way
// through the chain that rests on a rule the model cannot decide is a gap naming the rule, with
// the counters that settle it. A host without OVS (a router or a filtering bridge on the underlay)
// is judged by its FORWARD chain, and only by a rule that names the tunnel's protocol: a host
// that drops every forwarded packet may not be on the path at all. The trace does not simulate
// the underlay (an assumption it prints), so this check is what names the cause.
import { endpointIs, nodesOf, type TraceNode } from '../../dataplane/tree.ts';
import { findExcerpt, type Host } from '../../model/snapshot.ts';
import { shellWord } from '../../runner/runner.ts';
import type { DoctorContext } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { excerptGap } from './excerpt.ts';
import {
  type Decider,
  evaluateChain,
  type FirewallOutcome,
  insertAt,
  parseRule,
  type TunnelPacket,
} from './firewall.ts';

type Hop = Extract<TraceNode, { kind: 'tunnel' }>;

/** The protocol words of a hop: `-p udp -m udp --dport 4789`, or `-p 47` (GRE); none for others. */
function protocolOf(
  h: Hop,
): { packet: Omit<TunnelPacket, 'local'>; words: string[]; name: string } | undefined {
  const f = h.from;
  const src = f.local_ip !== '?' ? { src: f.local_ip } : {};
  if (f.type === 'gre')
    return { packet: { proto: 'gre', ...src, dst: f.remote_ip }, words: ['-p', '47'], name: 'GRE' };
  if ((f.type === 'vxlan' || f.type === 'geneve') && f.dst_port !== undefined)
    return {
      packet: { proto: 'udp', ...src, dst: f.remote_ip, dport: f.dst_port },
      words: ['-p', 'udp', '-m', 'udp', '--dport', String(f.dst_port)],
      name: `${f.type === 'vxlan' ? 'VXLAN' : 'Geneve'} (UDP ${f.dst_port})`,
    };
  return undefined;
}

function deciderText(d: Decider): string {
  if (d.kind === 'rule') return `${d.rule.chain} rule ${d.rule.index} \`${d.rule.text}\``;
  const where = d.last.index !== undefined ? ` (RETURNed by ${d.last.chain} rule ${d.last.index})` : '';
  return `${d.chain}'s policy ${d.policy}${where}`;
}

/** Does a dropping rule name the tunnel's protocol (not a drop of everything forwarded)? */
function namesProtocol(d: Decider): boolean {
  return (
    d.kind === 'rule' &&
    parseRule(d.rule.text).opts.some(
      (o) =>
        (o.name === '-p' || o.name === '--protocol') && !o.neg && /^(udp|17|gre|47)$/i.test(o.args[0] ?? ''),
    )
  );
}

/**
 * A host that may carry tunnels between others: no OVS bridge (it ends none), and not a VM (a
 * host wired to an OVS host's port sits on the overlay, not under it).
 */
function mayForward(ctx: DoctorContext, h: Host): boolean {
  if (h.bridges.length > 0) return false;
  const ovs = new Set(ctx.snapshot.hosts.filter((x) => x.bridges.length > 0).map((x) => x.name));
  return !ctx.snapshot.links.some(
    (l) => (l.a.host === h.name && ovs.has(l.b.host)) || (l.b.host === h.name && ovs.has(l.a.host)),
  );
}

interface Judged {
  h: Host;
  chain: 'INPUT' | 'FORWARD';
  o: FirewallOutcome;
  /** The save it comes from; `several` set (its file) when the host has more than one. */
  file: string;
  several?: string;
  /** The hops it decides alike, with their protocol. */
  hops: { n: Hop; recv: string; proto: NonNullable<ReturnType<typeof protocolOf>> }[];
}

export const tunnelUnderlay: Check = {
  id: 'tunnel-underlay',
  title: 'the underlay firewall drops the tunnel protocol',
  run(ctx) {
    // Hops on a branch that reaches the trace's target: the ones the DHCP exchange depends on.
    const hops: Hop[] = [];
    for (const t of [...ctx.discover.values(), ...ctx.offer.values()])
      for (const n of nodesOf(t.tree, 'tunnel'))
        if (t.target === null || nodesOf(n, 'output').some((o) => t.target!.some((x) => endpointIs(o, x))))
          hops.push(n);
    const groups = new Map<string, Judged>();
    const seen = new Set<string>();
    for (const n of hops) {
      const proto = protocolOf(n);
      const recv = ctx.world.owners.get(n.from.remote_ip)?.host;
      // iptables (IPv4) never sees an IPv6 packet: ip6tables-save decides, which the case does not
      // hold; an address family it cannot tell, likewise. No claim from iptables-save then.
      if (
        !proto ||
        !recv ||
        !isIpv4(n.from.remote_ip) ||
        !(n.from.local_ip === '?' || isIpv4(n.from.local_ip))
      )
        continue;
      const k = `${n.from.host}\u0000${recv}\u0000${proto.words.join(' ')}\u0000${n.from.local_ip}\u0000${n.from.remote_ip}`;
      if (seen.has(k)) continue;
      seen.add(k);
      for (const h of ctx.snapshot.hosts) {
        // The receiver's INPUT; a host that may forward it (see mayForward), its FORWARD.
        const chain = h.name === recv ? 'INPUT' : mayForward(ctx, h) ? 'FORWARD' : undefined;
        if (!chain) continue;
        // Every save of the host (iptables-nft's and iptables-legacy's can both hook the kernel):
        // a drop in any is a drop, citing its file; else what any leaves open is said.
        const outs = (h.iptables ?? []).flatMap((sv) => {
          if (!sv.filter) return [];
          const o = evaluateChain(sv.filter, chain, { ...proto.packet, local: chain === 'INPUT' });
          if (o.verdict === 'accept') return [];
          // Not known to be on the path: only a drop by a rule aimed at the tunnel protocol counts.
          if (chain === 'FORWARD' && (o.verdict === 'unknown' || !o.by.every(namesProtocol))) return [];
          return [{ o, file: sv.from.file }];
        });
        const drops = outs.filter((x) => x.o.verdict === 'drop');
        for (const { o, file } of drops.length ? drops : outs) {
          const several = (h.iptables?.length ?? 0) > 1 ? file : undefined;
          const gk = `${h.name}\u0000${chain}\u0000${file}\u0000${o.verdict === 'unknown' ? o.unsure.map((u) => u.rule.text).join('\n') : o.by.map(deciderText).join('\n')}`;
          const g = groups.get(gk);
          if (g) g.hops.push({ n, recv, proto });
          else
            groups.set(gk, {
              h,
              chain,
              o,
              file,
              ...(several ? { several } : {}),
              hops: [{ n, recv, proto }],
            });
        }
      }
    }
    return [...groups.values()].map(render);
  },
};

const isIpv4 = (s: string): boolean =>
  /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/.test(s);
const pairOf = (n: Hop, recv: string): string =>
  `${n.from.host} ${n.from.local_ip} -> ${recv} ${n.from.remote_ip}`;
const hopEvidence = (n: Hop): EvidenceItem =>
  evid(`trace: ${n.from.host}:${n.from.port} ${n.from.local_ip} -> ${n.from.remote_ip} key ${n.from.key}`);
const deciderEvidence = (d: Decider): EvidenceItem =>
  d.kind === 'rule' ? evid(d.rule.text, d.rule.from) : evid(`:${d.chain} ${d.policy}`, d.from);

function render({ h, chain, o, file, several, hops }: Judged): Finding {
  const in_ = several
    ? ` (by ${several}, one of ${h.name}'s ${h.iptables?.length} iptables saves: iptables-nft's and iptables-legacy's rule sets can both hook the kernel)`
    : '';
  const names = [...new Set(hops.map((x) => x.proto.name))].join(', ');
  const pairs = hops.map((x) => pairOf(x.n, x.recv)).join(', ');
  const hopEv = hops.slice(0, 3).map((x) => hopEvidence(x.n));
  if (o.verdict === 'unknown') {
    const unsure = o.unsure.slice(0, 3);
    const chains = [...new Set([chain, ...o.unsure.map((u) => u.rule.chain)])];
    return {
      code: 'tunnel-underlay-unknown',
      role: 'gap',
      severity: 'warning',
      subject: h.name,
      message: `whether ${h.name}'s firewall lets ${names} in from its tunnel peers (${pairs}) depends on ${unsure
        .map(
          (u) =>
            `${u.rule.index ? `${u.rule.chain} rule ${u.rule.index} ` : ''}\`${u.rule.text}\` (${u.why})`,
        )
        .join(', ')}: one way through ${chain} accepts it, another does not${in_}`,
      evidence: [...unsure.map((u) => evid(u.rule.text, u.rule.from)), ...hopEv],
      fix: chains.map(
        (c) =>
          `iptables -L ${shellWord(c)} -nv --line-numbers   # on ${h.name}: the counters say which rule the tunnel traffic hits`,
      ),
    };
  }
  const evidence = [...o.by.map(deciderEvidence), ...hopEv];
  const where = o.by.map(deciderText).join(' and at ');
  const cut =
    h.excerpts?.find((x) => x.of === 'iptables' && x.file === file) ??
    (several ? undefined : findExcerpt(h, 'iptables', null));
  if (cut)
    return excerptGap(
      h,
      cut,
      h.name,
      `${h.name}'s firewall drops ${names} from ${pairs} at ${where}`,
      'whether a rule it leaves out accepts it first',
      evidence,
    );
  // Let each peer in just before what dropped it (several points in one chain: the last first,
  // so the numbers hold); deleting a broad DROP would open the host to everyone.
  const at = o.by
    .map(insertAt)
    .filter((a, i, all) => all.findIndex((b) => b.chain === a.chain && b.index === a.index) === i)
    .sort((a, b) => (a.chain === b.chain ? (b.index ?? 1e9) - (a.index ?? 1e9) : 0));
  const fix = hops.flatMap(({ n, proto }) =>
    at.map((a) => {
      const place =
        a.index !== undefined ? `ahead of ${a.chain} rule ${a.index}` : `at the end of ${a.chain}`;
      if (!isIpv4(n.from.local_ip) || !isIpv4(n.from.remote_ip))
        return `# let ${proto.name} from ${n.from.host}'s underlay address (${isIpv4(n.from.remote_ip) && n.from.local_ip === '?' ? 'the case does not give it' : `${n.from.local_ip}, not IPv4`}) to ${n.from.remote_ip} through ${place}, on ${h.name}`;
      const cmd = a.index !== undefined ? `-I ${shellWord(a.chain)} ${a.index}` : `-A ${shellWord(a.chain)}`;
      return `iptables ${cmd} -s ${n.from.local_ip}/32 -d ${n.from.remote_ip}/32 ${proto.words.join(' ')} -j ACCEPT   # changes state, on ${h.name}: lets ${n.from.host}'s ${proto.name} through ${place}; add it to ${h.name}'s firewall configuration to keep it`;
    }),
  );
  return {
    code: 'tunnel-underlay-drop',
    severity: 'error',
    subject: h.name,
    message: `${h.name}'s firewall drops ${names} ${chain === 'INPUT' ? 'from its tunnel peers' : 'it forwards between tunnel peers'} (${pairs}) at ${where}${in_}: the flows deliver the DHCP traffic, the underlay does not`,
    ...(chain === 'INPUT'
      ? { rootCause: `${h.name}'s INPUT chain drops the overlay from these peers before anything accepts it` }
      : {
          rootCause: `${h.name} filters the underlay (a router, or a bridge with br_netfilter) and drops the overlay; that the tunnels cross it is not in the case`,
          confirm: `iptables -L FORWARD -nv --line-numbers   # on ${h.name}: the rule's counters grow while the VM asks for an address`,
        }),
    evidence,
    fix,
  };
}
