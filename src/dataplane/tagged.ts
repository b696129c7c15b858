// A frame that reaches its target's port tagged. An ordinary receiver (a guest's eth0, a DHCP tap)
// has no VLAN interface and ignores it, so "delivered" alone would say more than the trace proves:
// the printers and diagnose say how it arrives. Two ways lead there (trace-notes.md 7, ovs-semantics
// §1): an explicit output (output:N, IN_PORT, …) never applies the port's VLAN config, so the frame
// keeps its tag whatever the port's tag; NORMAL applies it and sends a VLAN tagged only on a trunk
// (a port without tag, or native-tagged).
import { type FlowEntry, findPort, type Snapshot } from '../model/snapshot.ts';
import { shellWord } from '../runner/runner.ts';
import { endpointIs, nodesOf, type OutputNode, type TraceNode, type TraceResult } from './tree.ts';

export interface TaggedArrival {
  host: string;
  /** The OVS port the frame leaves by, tagged. */
  port: string;
  vlan: number;
  /**
   * What the case says of the port's own tag: none, a VLAN id, or not in the case (the trace took
   * it as none: a trunk).
   */
  portTag: number | 'none' | 'unknown';
  /**
   * Who output it: a flow's explicit output (`flow` the flow that holds it, `action` the action as
   * dumped; no flow when the bridge's lookup was assumed) or NORMAL.
   */
  by: { kind: 'output'; action: string; flow: FlowEntry | null } | { kind: 'normal' };
  /**
   * The case's facts decide that it leaves tagged: an explicit output (the port's config plays no
   * part), or NORMAL onto a port whose tag the case gives. Not: NORMAL onto a port taken as a trunk
   * because its tag is not in the case.
   */
  known: boolean;
  /** A VM's device is behind it (its guest receives), else a namespace's or a host's. */
  guest: boolean;
  /** The trace's output node (callers ask the proof of the steps above it). */
  node: OutputNode;
}

/**
 * How a delivered trace arrives at its target. The verdict stays OVS's (the port is reached); this
 * says whether the receiver takes it, for the exit code and the printers, as diagnose does for the
 * OFFER (offer-path.ts). 'untagged': some arrival is untagged. 'tagged': every arrival is tagged
 * and the case's facts make it so, so an ordinary receiver ignores it (exit 1, as diagnose's
 * offer-tagged). 'tag-unknown': tagged only by NORMAL onto ports whose tag the case does not give
 * (exit 3, as diagnose's offer-tagged-unknown: the Port row decides).
 */
export interface Arrival {
  how: 'untagged' | 'tagged' | 'tag-unknown';
  /** The tagged arrivals (with 'untagged': copies that arrive tagged besides). */
  tagged: TaggedArrival[];
}

/** Null when there is no target or it is not reached. */
export function arrivalOf(s: Snapshot, t: Pick<TraceResult, 'verdict' | 'target' | 'tree'>): Arrival | null {
  if (t.verdict !== 'delivered' || !t.target?.length) return null;
  const target = t.target;
  const tagged = taggedArrivals(s, t);
  const untagged =
    !tagged.length ||
    nodesOf(t.tree, 'output').some((o) => o.vlan === null && target.some((x) => endpointIs(o, x)));
  return { how: untagged ? 'untagged' : tagged.some((a) => a.known) ? 'tagged' : 'tag-unknown', tagged };
}

/** The command that gives the port's tag (what decides an arrival that is not `known`). */
export function tagCollect(a: TaggedArrival): string {
  return `ovs-vsctl --columns=name,tag,trunks,vlan_mode list port ${shellWord(a.port)}   # on ${a.host}`;
}

/** Every output to one of the trace's targets that leaves tagged (one per port and VLAN). */
export function taggedArrivals(s: Snapshot, t: Pick<TraceResult, 'target' | 'tree'>): TaggedArrival[] {
  if (!t.target?.length) return [];
  const target = t.target;
  const outs = nodesOf(t.tree, 'output').filter(
    (o) => o.vlan !== null && target.some((x) => endpointIs(o, x)),
  );
  if (!outs.length) return [];
  const parent = parents(t.tree);
  const out: TaggedArrival[] = [];
  for (const o of outs) {
    if (out.some((x) => x.host === o.host && x.port === o.port && x.vlan === o.vlan)) continue;
    const h = s.hosts.find((x) => x.name === o.host);
    const tag = h ? findPort(h, o.port)?.port.tag : undefined;
    const portTag = !tag?.known ? 'unknown' : tag.value === null ? 'none' : tag.value;
    const by = outputBy(o, parent);
    out.push({
      host: o.host,
      port: o.port,
      vlan: o.vlan!,
      portTag,
      by,
      known: by.kind === 'output' || portTag !== 'unknown',
      guest: o.endpoint.kind === 'vm',
      node: o,
    });
  }
  return out;
}

function parents(root: TraceNode): Map<TraceNode, TraceNode> {
  const m = new Map<TraceNode, TraceNode>();
  const stack: TraceNode[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if ('children' in n)
      for (const c of n.children) {
        m.set(c, n);
        stack.push(c);
      }
  }
  return m;
}

/** Up from the output: a NORMAL decision before any table means NORMAL sent it; else the flow's action did. */
function outputBy(o: OutputNode, parent: Map<TraceNode, TraceNode>): TaggedArrival['by'] {
  let action: string | undefined;
  for (let n = parent.get(o); n; n = parent.get(n)) {
    if (n.kind === 'normal') return { kind: 'normal' };
    if (n.kind === 'action') action ??= n.text;
    if (n.kind === 'table') return { kind: 'output', action: action ?? 'output', flow: n.flow };
  }
  return { kind: 'output', action: action ?? 'output', flow: null };
}

/** Why it leaves tagged, from the facts: the explicit output, the port without tag, or the tag not in the case. */
export function taggedWhy(a: TaggedArrival): string {
  if (a.by.kind === 'output') {
    const out = `\`${a.by.action}\` is an explicit output`;
    if (typeof a.portTag === 'number')
      return `\`${a.by.action}\`, an explicit output, keeps the frame's tag; only NORMAL applies the port's tag ${a.portTag}`;
    if (a.portTag === 'none') return `${out} of the tagged frame onto a port without tag`;
    return `${out}, which keeps the frame's tag whatever the port's tag`;
  }
  if (a.portTag === 'none') return 'the port has no tag, so NORMAL sends the frame tagged, as on a trunk';
  if (typeof a.portTag === 'number')
    return `the port's VLAN mode sends VLAN ${a.vlan} tagged (tag ${a.portTag}): NORMAL keeps the tag`;
  return "the case does not give the port's tag; the trace took it as none, a trunk, where NORMAL sends the frame tagged";
}

/** "reaches vif16.0 tagged VLAN 1 (the port has no tag: …)" (`host`: dom0:vif16.0); names as given: the caller escapes. */
export function taggedText(a: TaggedArrival, o: { host?: boolean } = {}): string {
  return `reaches ${o.host ? `${a.host}:` : ''}${a.port} tagged VLAN ${a.vlan} (${taggedWhy(a)}: ${a.guest ? 'the guest' : 'the receiver'} sees an 802.1Q frame and ignores it unless it runs a VLAN interface)`;
}
