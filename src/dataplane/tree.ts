// The trace as data, in the spirit of OVN's ovn-trace: the simulator only appends typed nodes to
// one tree; verdicts, the doctor, the text and JSON printers and the web page read that tree.
// Nothing downstream parses text the trace produced.
import type { PortRole } from '../model/roles.ts';
import type { FlowEntry } from '../model/snapshot.ts';
import type { Action } from '../openflow/types.ts';
import type { Packet } from './packet.ts';

/** What a trace assumed because the case did not say, and the command that would settle it. */
export interface Assumption {
  code: AssumptionCode;
  text: string;
  /** The command (or step) that would replace the assumption with evidence. */
  remedy?: string;
}

export type AssumptionCode =
  | 'no-flow-dump'
  | 'no-fdb'
  | 'fdb-age'
  | 'port-vlan-unknown'
  | 'vlan-mode-unknown'
  | 'patch-inferred'
  | 'bridge-inferred'
  | 'ambiguous-flows'
  | 'conntrack'
  | 'learn'
  | 'veth-peer'
  | 'vm-mac'
  | 'packet-length'
  | 'behind-port-unknown'
  | 'underlay'
  | 'underlay-owner'
  | 'tunnel-inferred'
  /** A port the case names without its OpenFlow port number (pasted `ovs-vsctl show`). */
  | 'ofport-unknown'
  /** What a drop rests on may be in the part an output pasted as an excerpt leaves out. */
  | 'excerpt'
  /** A patch peer OVSDB lists on a bridge the case does not show. */
  | 'patch-peer-unplaced';

export type DropCode =
  | 'table-miss'
  | 'drop-flow'
  | 'no-output'
  | 'vlan-filter'
  | 'depth-limit'
  | 'unsupported-action'
  | 'port-down'
  | 'patch-peer-missing'
  | 'ttl-exceeded'
  | 'unknown-input-port'
  | 'learned-on-input'
  | 'no-such-port'
  /** Output to a tunnel whose local_ip the sending host does not have (OVS: "native tunnel routing failed"). */
  | 'tunnel-route'
  /** The remote host has no tunnel port for (type, key, remote=our local_ip): "receive tunnel port not found". */
  | 'tunnel-port-not-found'
  /** A flow-based option (`remote_ip=flow`, `key=flow`) the flows never set. */
  | 'tunnel-flow-unset'
  /** The packet goes to (or enters) a port whose OpenFlow port number the case does not give: not followed. */
  | 'ofport-unknown'
  /** Through a patch whose peer OVSDB lists on a bridge the case does not show: not followed. */
  | 'patch-peer-unplaced'
  /**
   * Into a bridge inferred from an int-<bridge> patch port with no port known but the patch (a
   * flood on it, or a wire to a device that may be its uplink): not followed.
   */
  | 'bridge-ports-unknown'
  /**
   * An action the model ignores (unknown, unmodelled, the controller) ran beside outputs it
   * follows: where it sends the packet, if anywhere, is not followed.
   */
  | 'ignored-may-output'
  /**
   * NORMAL took the input port, whose tag the case does not give, as a trunk: the frame's real
   * VLAN may be another, and the ports of that VLAN (which the assumed one skips) get it: not followed.
   */
  | 'vlan-assumed';

/**
 * Leaves of branches the trace does not follow (the case does not show where they go): unproven,
 * never a dead branch, never the drop a verdict rests on.
 */
const NOT_FOLLOWED: ReadonlySet<DropCode> = new Set<DropCode>([
  'ofport-unknown',
  'patch-peer-unplaced',
  'bridge-ports-unknown',
  'ignored-may-output',
  'vlan-assumed',
]);

export function isNotFollowed(r: DropReason): boolean {
  return NOT_FOLLOWED.has(r.code);
}

export interface DropReason {
  code: DropCode;
  text: string;
  /**
   * A branch not followed because a bridge it goes to is not in the case (an unplaced patch peer,
   * an inferred bridge's ports): what the case lacks, and the command that gives it. The doctor
   * takes it as an unproven step (src/doctor/proof.ts).
   */
  gap?: { text: string; remedy: string };
}

/** Where a branch ends: the typed answer to "where did the frame go". */
export type Endpoint =
  /** The bridge's LOCAL port (the host's own stack). */
  | { kind: 'local'; host: string; bridge: string }
  /** An OVS port with nothing in the case behind it. */
  | { kind: 'port'; host: string; bridge: string; port: string; role: PortRole }
  /** A device inside a network namespace (a qdhcp tap, or its veth peer). */
  | {
      kind: 'namespace';
      host: string;
      namespace: string;
      device: string;
      addresses: string[];
      /** The OVS-side veth end, when the device is the namespace end of a pair. */
      veth?: string;
    }
  /** A device of the host that is not an OVS port and not in a namespace. */
  | { kind: 'device'; host: string; device: string; role: PortRole }
  /** A device on another host of the case reached over a wire that ends there (a VM's eth0). */
  | { kind: 'vm'; host: string; device: string }
  /** A wire to a host the case does not hold. */
  | { kind: 'uncollected'; host: string; iface: string; from: { host: string; port: string } }
  /**
   * A tunnel to an underlay address no host of the case is known to own (an uncollected host), or
   * one several hosts of the case claim (`claimants`: which of them receives it is unknown).
   */
  | {
      kind: 'beyond-tunnel';
      remote_ip: string;
      tunnel: TunnelType;
      key: string;
      from: PortAt;
      claimants?: string[];
    };

export type TunnelType =
  | 'vxlan'
  | 'gre'
  | 'geneve'
  | 'stt'
  | 'erspan'
  | 'ip6gre'
  | 'gtpu'
  | 'bareudp'
  | 'lisp';

/** The sending end of a tunnel hop: the port, the outer addresses and the key (VNI / GRE key) as hex. */
export interface TunnelFrom extends PortAt {
  type: TunnelType;
  local_ip: string;
  remote_ip: string;
  /** `0x3e9`: the VNI (VXLAN, Geneve) or GRE key the packet carries on the underlay. */
  key: string;
  /** UDP destination port for UDP-based tunnels (VXLAN 4789, Geneve 6081); absent for GRE. */
  dst_port?: number;
}

export interface PortAt {
  host: string;
  bridge: string;
  port: string;
}

/** Why what follows on a branch is not proven by the evidence (it inherits to every leaf below). */
export interface Uncertainty {
  code:
    | 'unsupported-action'
    | 'unsupported-match'
    | 'dump-incomplete'
    | 'controller'
    | 'ofport-unknown'
    /** The drop rests on an absence from an output the case holds only as an excerpt. */
    | 'excerpt'
    /** A patch peer OVSDB lists on a bridge the case does not show: the patch is not followed. */
    | 'patch-peer-unplaced'
    /** An inferred bridge whose ports (but the patch) are unknown: what it does is not followed. */
    | 'bridge-ports-unknown'
    /**
     * A DHCP request reaches a DHCP agent's port (an OVS internal tap<id>) that no namespace of the
     * case holds: it may be this packet's DHCP server, the case does not say (judge, `dhcpServers`).
     */
    | 'server-unproven'
    /**
     * NORMAL switched the frame with a port (the input, or this branch's output) whose tag the case
     * does not give taken as a trunk of every VLAN: the frame's VLAN, and so where it goes, rest on it.
     */
    | 'vlan-assumed';
  text: string;
  /** An action the walk did not follow (unsupported-action, controller): the flow that holds it. */
  at?: ActionAt;
}

/** Where an action the model does not follow ran: its flow's bridge, table, file and line. */
export interface ActionAt {
  host: string;
  bridge: string;
  table: number;
  /** The action as dumped. */
  action: string;
  /** Why it is not followed (`unknown action`, `group tables are not in the case`, ...). */
  why: string;
  file: string;
  line: number;
}

export type TraceNode =
  | {
      kind: 'bridge';
      host: string;
      bridge: string;
      inPort: string;
      packet: Packet;
      inferred?: string;
      children: TraceNode[];
    }
  | {
      kind: 'table';
      host: string;
      bridge: string;
      table: number;
      /** The matched flow, by reference; null on a miss or when no dump exists (NORMAL assumed). */
      flow: FlowEntry | null;
      /** `priority=…,match actions=…` of the matched flow (the classifier's canonical text). */
      rule?: string;
      /** No flow dump for the bridge: the lookup is the assumed `priority=0 actions=NORMAL`. */
      assumedNormal?: boolean;
      ambiguous?: FlowEntry[];
      conjId?: number;
      before: Packet;
      after?: Packet;
      children: TraceNode[];
    }
  | {
      kind: 'action';
      action: Action;
      /** The action as dumped. */
      text: string;
      note?: string;
      children: TraceNode[];
    }
  | {
      kind: 'normal';
      host: string;
      bridge: string;
      vlan?: number;
      decision: 'flood' | 'learned' | 'rejected';
      text: string;
      /** The fdb/show line that decided a learned forward. */
      fdb?: { file: string; line: number };
      /** Ports whose VLAN (tag) the case does not give, switched as trunks here. */
      vlanUnknown?: string[];
      children: TraceNode[];
    }
  | { kind: 'patch'; from: PortAt; to: PortAt; assumed?: string; children: TraceNode[] }
  | {
      kind: 'wire';
      from: { host: string; iface: string };
      to: { host: string; iface: string };
      children: TraceNode[];
    }
  /**
   * Output to a tunnel port: encapsulation on `from`, the underlay (not simulated, an assumption),
   * decapsulation on `to` (the remote host's tunnel port that accepts it), or null when the packet
   * does not get that far (its children then end in a drop or a beyond-tunnel output).
   */
  | { kind: 'tunnel'; from: TunnelFrom; to: PortAt | null; children: TraceNode[] }
  | {
      kind: 'output';
      host: string;
      bridge: string;
      port: string;
      vlan: number | null;
      endpoint: Endpoint;
      uncertain?: Uncertainty;
    }
  | {
      kind: 'drop';
      host: string;
      bridge: string;
      table: number | null;
      reason: DropReason;
      flow?: FlowEntry;
      uncertain?: Uncertainty;
    }
  | { kind: 'unsupported'; host: string; bridge: string; text: string };

export type NodeKind = TraceNode['kind'];
export type OutputNode = Extract<TraceNode, { kind: 'output' }>;
export type DropNode = Extract<TraceNode, { kind: 'drop' }>;

export interface TargetSpec {
  host: string;
  /** An OVS port, a namespace, or a device (in a namespace or on the host). */
  name: string;
}

export interface Unsupported {
  host: string;
  bridge: string;
  text: string;
  /** The flow that holds it, when it is one: file and line of the dump. */
  from?: { file: string; line: number };
}

export interface Output {
  host: string;
  bridge: string;
  port: string;
  vlan: number | null;
  endpoint: Endpoint;
}

export interface Drop {
  host: string;
  bridge: string;
  table: number | null;
  reason: DropReason;
  /** The dropping flow (explicit drop, TTL, depth), by reference. */
  entry?: FlowEntry;
  /** Its match and actions as dumped, without cookie, duration and counters. */
  flow: string | null;
  n_packets?: number;
  uncertain?: Uncertainty;
  /** The drop node in the tree. */
  node: DropNode;
}

export type Verdict = 'delivered' | 'dropped' | 'incomplete';

export interface TraceResult {
  verdict: Verdict;
  /** What the verdict answers: null = ofproto/trace's question (any output). */
  target: TargetSpec[] | null;
  start: { host: string; bridge: string; port: string; packet: Packet };
  tree: TraceNode;
  outputs: Output[];
  reached: Endpoint[];
  /** The dead branch that matters (closest to the target); null when delivered. */
  drop: Drop | null;
  drops: Drop[];
  /** Branches whose end the evidence does not prove (unsupported action, cut dump, uncollected host). */
  uncertain: Uncertainty[];
  assumptions: Assumption[];
  unsupported: Unsupported[];
}

/** Every node, depth first, with its depth in the tree. */
export function* walk(n: TraceNode, depth = 0): Generator<{ node: TraceNode; depth: number }> {
  yield { node: n, depth };
  if ('children' in n) for (const c of n.children) yield* walk(c, depth + 1);
}

export function nodesOf<K extends NodeKind>(t: TraceNode, kind: K): Extract<TraceNode, { kind: K }>[] {
  // Depth first, in tree order, without a generator or recursion (big floods make big trees).
  const out: Extract<TraceNode, { kind: K }>[] = [];
  const stack: TraceNode[] = [t];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.kind === kind) out.push(n as Extract<TraceNode, { kind: K }>);
    if ('children' in n) for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

/** Does this endpoint (or the OVS port it hangs off) answer to the target? */
export function endpointIs(o: Output, t: TargetSpec): boolean {
  const e = o.endpoint;
  if (o.host === t.host && o.port === t.name) return true;
  switch (e.kind) {
    case 'namespace':
      return e.host === t.host && (e.namespace === t.name || e.device === t.name || e.veth === t.name);
    case 'vm':
    case 'device':
      return e.host === t.host && e.device === t.name;
    case 'port':
      return e.host === t.host && e.port === t.name;
    case 'local':
      return e.host === t.host && e.bridge === t.name;
    case 'uncollected':
      return e.host === t.host && e.iface === t.name;
    case 'beyond-tunnel':
      return false;
  }
}

/** One string per distinct endpoint (a flood reaches the same ones many times; JSON.stringify is slow). */
function endpointKey(e: Endpoint): string {
  switch (e.kind) {
    case 'local':
      return `l\0${e.host}\0${e.bridge}`;
    case 'port':
      return `p\0${e.host}\0${e.bridge}\0${e.port}`;
    case 'namespace':
      return `n\0${e.host}\0${e.namespace}\0${e.device}`;
    case 'device':
    case 'vm':
      return `${e.kind}\0${e.host}\0${e.device}`;
    case 'uncollected':
      return `u\0${e.host}\0${e.iface}\0${e.from.host}\0${e.from.port}`;
    default:
      return JSON.stringify(e);
  }
}

/**
 * A DHCP agent's port the packet reaches that the case places in no namespace: an OVS internal
 * port named tap<id> (portRole 'service'; a router's qr-/qg-… ports are no DHCP server). A port
 * the case does place in a qdhcp namespace is a namespace endpoint, and one of the DHCP targets.
 */
export function dhcpAgentPort(o: Output): string | undefined {
  const e = o.endpoint;
  if (e.kind === 'port' && e.role === 'service' && e.port.startsWith('tap')) return e.port;
  if (e.kind === 'device' && e.role === 'service' && e.device.startsWith('tap')) return e.device;
  return undefined;
}

/** A leaf that leaves the evidence toward the unknown (nothing known behind it). */
function leavesEvidence(o: Output): boolean {
  const e = o.endpoint;
  // A VM's port or a router/DHCP namespace's leads to no other switch: not a way on to the target.
  if (e.kind === 'port' || e.kind === 'device') return e.role === 'uplink' || e.role === 'unknown';
  return e.kind === 'uncollected' || e.kind === 'beyond-tunnel';
}

export function dropOf(d: DropNode): Drop {
  return {
    host: d.host,
    bridge: d.bridge,
    table: d.table,
    reason: d.reason,
    flow: d.flow ? ruleText(d.flow) : null,
    ...(d.flow ? { entry: d.flow } : {}),
    ...(d.flow?.flow.stats.n_packets !== undefined ? { n_packets: d.flow.flow.stats.n_packets } : {}),
    ...(d.uncertain ? { uncertain: d.uncertain } : {}),
    node: d,
  };
}

/** The nodes from the root down to `target` (both included), or [] when it is not in the tree. */
export function pathTo(root: TraceNode, target: TraceNode): TraceNode[] {
  if (root === target) return [root];
  if ('children' in root)
    for (const c of root.children) {
      const p = pathTo(c, target);
      if (p.length) return [root, ...p];
    }
  return [];
}

/** The bridge node a node sits in (the packet as it entered that bridge). */
export function bridgeOf(root: TraceNode, n: TraceNode): Extract<TraceNode, { kind: 'bridge' }> | undefined {
  const path = pathTo(root, n);
  for (let i = path.length - 1; i >= 0; i--) {
    const x = path[i]!;
    if (x.kind === 'bridge') return x;
  }
  return undefined;
}

let ruleFormatter: (e: FlowEntry) => string = (e) => e.text;
/** The flow formatter (set by the engine: tree.ts stays free of the openflow printer's imports). */
export function setRuleFormatter(f: (e: FlowEntry) => string): void {
  ruleFormatter = f;
}
export function ruleText(e: FlowEntry): string {
  return ruleFormatter(e);
}

/**
 * The verdict over every branch. Without a target it is ofproto/trace's: delivered when a branch
 * outputs (the evidence proving it), else incomplete when a branch's end is not proven, else
 * dropped. With a target: delivered only when a proven branch reaches it; incomplete when a
 * branch is not proven or leaves the evidence (a port with nothing known behind it, a host the
 * case lacks: the target may lie beyond); else dropped, with the dead branch closest to it.
 *
 * `dhcpServers`: the targets are the case's DHCP servers (a DISCOVER/REQUEST's default question,
 * diagnose's): a branch that reaches a DHCP agent's port the case places in no namespace may have
 * reached this packet's server, so the packet is not proven lost, whatever other branches (a
 * flooded copy dropped by Neutron's `in_port=phy-br-X actions=drop` on another physical network)
 * hit: incomplete, that port named in `uncertain`, and no dead branch is the drop that matters.
 */
export function judge(
  tree: TraceNode,
  target: TargetSpec[] | null,
  o: { dhcpServers?: boolean } = {},
): Pick<TraceResult, 'verdict' | 'outputs' | 'reached' | 'drop' | 'drops' | 'uncertain'> {
  const outs: OutputNode[] = nodesOf(tree, 'output');
  const dropNodes = nodesOf(tree, 'drop');
  const outputs: Output[] = outs.map((o) => ({
    host: o.host,
    bridge: o.bridge,
    port: o.port,
    vlan: o.vlan,
    endpoint: o.endpoint,
  }));
  const reached: Endpoint[] = [];
  const seen = new Set<string>();
  for (const o of outputs) {
    const k = endpointKey(o.endpoint);
    if (!seen.has(k)) {
      seen.add(k);
      reached.push(o.endpoint);
    }
  }
  const drops = dropNodes.map(dropOf);
  const uncertain: Uncertainty[] = [];
  for (const n of [...outs, ...dropNodes])
    if (n.uncertain && !uncertain.some((u) => u.text === n.uncertain!.text)) uncertain.push(n.uncertain);
  const proven = outs.filter((x) => !x.uncertain);
  let verdict: Verdict;
  // DHCP agent ports reached that may be the server (dhcpServers only), each named once.
  const maybeServer = new Map<string, OutputNode>();
  if (!target) {
    verdict = proven.length > 0 ? 'delivered' : uncertain.length > 0 ? 'incomplete' : 'dropped';
  } else {
    const hits = (x: OutputNode): boolean => target.some((t) => endpointIs(x, t));
    if (o.dhcpServers)
      for (const x of outs) {
        const port = dhcpAgentPort(x);
        if (port !== undefined && !hits(x) && !maybeServer.has(`${x.host}\0${port}`))
          maybeServer.set(`${x.host}\0${port}`, x);
      }
    if (proven.some(hits)) verdict = 'delivered';
    else if (
      outs.some((x) => x.uncertain) ||
      dropNodes.some((d) => d.uncertain) ||
      outs.some((x) => leavesEvidence(x)) ||
      maybeServer.size > 0
    )
      verdict = 'incomplete';
    else verdict = 'dropped';
  }
  if (verdict !== 'delivered')
    for (const x of maybeServer.values()) {
      const port = dhcpAgentPort(x)!;
      uncertain.push({
        code: 'server-unproven',
        text: `${x.host}:${port} (${x.bridge}), an OVS internal port named tap<id> (the DHCP agent's device) in no namespace of the case, is reached: whether it is a DHCP server for this packet is not proven`,
      });
    }
  const targetHosts = new Set(target?.map((t) => t.host) ?? []);
  const score = (d: Drop, i: number): number =>
    (targetHosts.has(d.host) ? 1000 : 0) + (d.entry ? 100 : d.table !== null ? 50 : 0) + i / 1000;
  // A branch not followed (a port number, a bridge the case lacks) is no dead branch: never the drop that matters.
  const dead = drops.filter((d) => !isNotFollowed(d.reason));
  let drop: Drop | null = null;
  // A copy reaches a port that may be the server: no dead branch is where the packet is lost.
  if (verdict !== 'delivered' && maybeServer.size === 0 && dead.length)
    drop = dead.reduce((a, b, i) => (score(b, i) > score(a, dead.indexOf(a)) ? b : a));
  return { verdict, outputs, reached, drop, drops, uncertain };
}

/** One line for an endpoint, as the printers and findings say it. */
export function endpointText(e: Endpoint): string {
  switch (e.kind) {
    case 'local':
      return `${e.host} bridge ${e.bridge} LOCAL port`;
    case 'port':
      return `${e.host} ${e.bridge} port ${e.port} (nothing in the case says what is behind it)`;
    case 'namespace':
      return `${e.host} namespace ${e.namespace} device ${e.device}${e.addresses.length ? ` ${e.addresses.join(' ')}` : ''}${e.veth ? ` (veth peer of ${e.veth})` : ''}`;
    case 'device':
      return `${e.host} device ${e.device}`;
    case 'vm':
      return `host ${e.host} device ${e.device}`;
    case 'uncollected':
      return `host ${e.host} (not in the case) ${e.iface}, wired to ${e.from.host}:${e.from.port}`;
    case 'beyond-tunnel':
      return `beyond ${e.from.port} to ${e.remote_ip} (${e.tunnel} key ${e.key}; ${e.claimants ? `${e.claimants.join(' and ')} both claim ${e.remote_ip}: which one receives it is unknown` : `no host of the case owns ${e.remote_ip}: not collected`})`;
  }
}

export function targetText(t: TargetSpec[] | null): string {
  if (!t) return 'any output';
  if (t.length === 0) return 'none located in the case';
  return t.map((x) => `${x.host}:${x.name}`).join(', ');
}
