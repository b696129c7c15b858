// Two hosts the case does not join, when one of them has tunnels (VXLAN, GRE, Geneve) to addresses
// no host of the case owns and the other's underlay addresses are not in the case: an overlay joins
// hosts without any wire, so links.txt is not what is missing. The other host's tunnel end is (its
// tunnel ports' local_ip, its addresses): with it the tunnel leads somewhere, or is proven not to.
import { evid } from './checks/check.ts';
import { addressesOf, optionsText, type TunnelIface, tunnelsOf } from './checks/overlay-facts.ts';
import type { DoctorContext } from './context.ts';
import type { EvidenceItem, Finding } from './finding.ts';

export interface TunnelEndUnknown {
  /** The host whose tunnels lead to addresses no host of the case owns. */
  from: string;
  /** The host whose tunnel end is not in the case. */
  peer: string;
  tunnels: TunnelIface[];
  /** Their remote_ip values, each once, in order. */
  remotes: string[];
}

/** Whether the hosts `a` and `b` may be joined by a tunnel of one whose far end the case lacks. */
export function unknownTunnelEnd(ctx: DoctorContext, a: string, b: string): TunnelEndUnknown | undefined {
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const hx = ctx.snapshot.hosts.find((h) => h.name === x);
    if (!hx || !ctx.snapshot.hosts.some((h) => h.name === y)) continue;
    // The peer's addresses are known: the tunnels do not go to it (tunnel-remote judges them).
    if (addressesOf(ctx, y).length > 0) continue;
    const tunnels = tunnelsOf(hx).filter((t) => {
      const r = t.cfg.remoteIp;
      return r !== undefined && r !== 'flow' && !ctx.world.owners.has(r);
    });
    if (tunnels.length === 0) continue;
    const remotes = [...new Set(tunnels.map((t) => t.cfg.remoteIp!))];
    return { from: x, peer: y, tunnels, remotes };
  }
  return undefined;
}

/** The path verdict's words: which end is missing, and where the known tunnels go. */
export function tunnelEndText(e: TunnelEndUnknown): string {
  return `${e.peer}'s tunnel end is not in the case (${e.from}'s tunnels go to ${e.remotes.join(', ')}, which no host of the case owns)`;
}

/** What settles it, on the peer: its tunnel ports with their local_ip, and its addresses. */
export function tunnelEndCommands(e: TunnelEndUnknown): string[] {
  const which = e.remotes.join(' or ');
  return [
    `ovs-vsctl show   # on ${e.peer}: its tunnel ports and their local_ip (${e.from}'s tunnels go to ${which})`,
    `ip -4 address show   # on ${e.peer}: whether it owns ${which}`,
  ];
}

/** The gap in place of a links.txt line: the peer's tunnel end, with the paths that need it. */
export function tunnelEndGap(e: TunnelEndUnknown, paths: EvidenceItem[]): Finding {
  return {
    code: 'tunnel-end-unknown',
    role: 'gap',
    severity: 'warning',
    subject: `${e.from}→${e.peer}`,
    message: `the path between ${e.from} and ${e.peer} is not traced: ${e.from}'s tunnels ${e.tunnels.map((t) => t.iface.name).join(', ')} go to ${e.remotes.join(', ')}, which no host of the case owns, and ${e.peer}'s tunnel end (its tunnel ports' local_ip, its addresses) is not in the case: a tunnel, not a wire, may join them`,
    evidence: [
      ...paths,
      ...e.tunnels.map((t) => evid(`${t.iface.name} on ${e.from}: ${optionsText(t)}`, t.from)),
    ],
    fix: tunnelEndCommands(e),
  };
}
