// Which way leads to the target, over the case's topology: patch ports, the wires of links.txt (a
// shared segment reaches every peer), tunnels to the hosts that own their remote address. A flood
// sends a copy of the packet out of every port; a copy that dies where no way leads on to a target
// (a physical bridge of another network dropping NORMAL's copy with `in_port=phy-br-X
// actions=drop`, a peer of a shared segment the VM is not behind) is not where the packet is lost
// (tree.ts judge). Flows are not consulted here: the trace did that; a way the flows never take is
// still a way, so a branch is called a copy only when nothing at all leads from it to the target.
import { type Endpoint, endpointIs, type TargetSpec } from './tree.ts';
import type { RtBridge, RtPort, World } from './world.ts';

/** The first port out of the bridge on a way to a target; its tag when the case gives one. */
export interface Way {
  port: string;
  tag?: number;
}

/**
 * From bridge `bridge` of `host`, entered by `inPort`, leaving by any other port: a way to one of
 * the targets, or undefined when none leads there.
 */
export type Toward = (host: string, bridge: string, inPort: string) => Way | undefined;

/** Where a port leads when it is no patch, tunnel or wire to another bridge (trace.ts's endpoint resolution). */
export type EndpointAt = (rb: RtBridge, rp: RtPort, host: string, dev: string, wired: boolean) => Endpoint;

export function towardTargets(w: World, targets: readonly TargetSpec[], endpointAt: EndpointAt): Toward {
  const memo = new Map<string, Way | null>();
  const hits = (rb: RtBridge, rp: RtPort, e: Endpoint): boolean =>
    targets.some((t) =>
      endpointIs({ host: rb.host, bridge: rb.name, port: rp.name, vlan: null, endpoint: e }, t),
    );
  // The bridges a tunnel port may reach: on the host owning its remote address (any host's, for
  // remote_ip=flow), those with a tunnel port of its type.
  const tunnelEnds = (rp: RtPort): { rb: RtBridge; entry: string }[] => {
    const t = rp.tunnel!;
    let hosts: string[];
    if (t.remoteIp && t.remoteIp !== 'flow') {
      const o = w.owners.get(t.remoteIp);
      hosts = o?.host !== undefined ? [o.host] : (o?.claimants ?? []);
    } else hosts = [...w.hosts.keys()];
    const out: { rb: RtBridge; entry: string }[] = [];
    for (const rb of w.bridges)
      if (hosts.includes(rb.host))
        for (const x of rb.ports.values()) if (x.tunnel?.type === t.type) out.push({ rb, entry: x.name });
    return out;
  };
  return (host, bridge, inPort) => {
    if (targets.length === 0) return undefined;
    const key = `${host}\u0000${bridge}\u0000${inPort}`;
    const known = memo.get(key);
    if (known !== undefined) return known ?? undefined;
    const start = w.bridges.find((b) => b.host === host && b.name === bridge);
    let found: Way | undefined;
    if (start) {
      const seen = new Set<RtBridge>([start]);
      const queue: { rb: RtBridge; entry: string; first?: RtPort }[] = [{ rb: start, entry: inPort }];
      search: for (let i = 0; i < queue.length; i++) {
        const { rb, entry, first } = queue[i]!;
        for (const rp of rb.ports.values()) {
          if (rp.name === entry) continue;
          const way = first ?? rp;
          const next = (nb: RtBridge, at: string): void => {
            if (seen.has(nb)) return;
            seen.add(nb);
            queue.push({ rb: nb, entry: at, first: way });
          };
          let hit = targets.some((t) => t.host === rb.host && t.name === rp.name);
          if (!hit && rp.local) hit = hits(rb, rp, { kind: 'local', host: rb.host, bridge: rb.name });
          else if (!hit && rp.peer) {
            const peer = w.ifaces.get(rb.host)?.get(rp.peer);
            if (peer) next(peer.bridge, peer.port.name);
          } else if (!hit && rp.tunnel) for (const x of tunnelEnds(rp)) next(x.rb, x.entry);
          else if (!hit) {
            const peers = w.links.get(`${rb.host}\u0000${rp.name}`);
            if (peers?.length)
              for (const far of peers) {
                const remote = w.ifaces.get(far.host)?.get(far.iface);
                if (remote) next(remote.bridge, far.iface);
                else if (hits(rb, rp, endpointAt(rb, rp, far.host, far.iface, true))) hit = true;
              }
            else hit = hits(rb, rp, endpointAt(rb, rp, rb.host, rp.name, false));
          }
          if (hit) {
            const tag = way.vlan.assumed ? undefined : (way.vlan.tag ?? undefined);
            found = { port: way.name, ...(tag !== undefined ? { tag } : {}) };
            break search;
          }
        }
      }
    }
    memo.set(key, found ?? null);
    return found;
  };
}
