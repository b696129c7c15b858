// The trace as data, in the spirit of OVN's ovn-trace: the simulator only appends typed nodes to
// one tree; verdicts, the doctor, the text and JSON printers and the web page read that tree.
// Nothing downstream parses text the trace produced.
import type { PortRole } from '../model/roles.ts';
import type { FlowEntry } from '../model/snapshot.ts';
import type { Action } from '../openflow/types.ts';
import { shellWord } from '../runner/runner.ts';
import type { Packet } from './packet.ts';
import type { Arrival } from './tagged.ts';
import type { Toward, Way } from './toward.ts';

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
  | 'vlan-assumed'
  /**
   * A flood on a bridge whose ports the case knows only from excerpts (a pasted `ovs-ofctl show`,
   * `ovs-vsctl show` with `...`): the ports they leave out get a copy too: not followed.
   */
  | 'excerpt-ports';

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
  'excerpt-ports',
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
    /**
     * A miss in table 0 of the integration bridge, whose dump lacks the catch-all flow Neutron's
     * agent always installs there: the dump is cut, or the agent never finished the bridge.
     */
    | 'agent-default-missing'
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
  /** The command (or what to add to the case) that would decide the branch, when the walk knows it. */
  remedy?: string;
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
      /** The bridge's flows come from per-table dumps and none holds this table: its flows are unknown. */
      tableUnknown?: boolean;
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

/**
 * What a dead branch is to a verdict with a target (judge). A flood (NORMAL, a flow's several
 * outputs, a shared segment of links.txt) sends copies every way; most die harmlessly:
 * - 'toward': a way leads on from where it died to a target the case locates (toward.ts): the
 *   branch that would have reached it. Without a target (ofproto/trace's question) every dead
 *   branch is 'toward': any output counts.
 * - 'copy': no way leads from there to any target: a flooded copy; its drop decides nothing.
 * - 'unplaced': no target is located in the case (no DHCP server in it), so whether this copy is
 *   the one that would have reached it is not known.
 */
export type DropBranch = 'toward' | 'copy' | 'unplaced';

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
  /** What this dead branch is to the verdict. */
  branch: DropBranch;
  /** The drop node in the tree. */
  node: DropNode;
}

/**
 * A branch an 'incomplete' verdict rests on: where it leaves what the case proves, why, and what
 * would decide it. One per distinct reason (a flood past one unproven step has many leaves).
 */
export interface Undecided {
  /** 'leaves': the branch goes where the case holds nothing (an uncollected host, a port with
   *  nothing known behind it, a tunnel to an address no host of the case owns); 'not-proven': a
   *  step on it rests on what the case does not show (its Uncertainty); 'server': it reaches a
   *  DHCP agent's port in no namespace of the case. What a verdict that would be 'dropped' with
   *  neither a drop nor a stop to name rests on instead (judge): 'unplaced', no branch leaves the
   *  case but it locates no target, so which end is the way to one is not known; 'unjoined', no
   *  branch reaches the target and the case shows no way to it from where the packet enters;
   *  'no-end', the tree shows no end of the packet at all (no output, no drop). */
  kind: 'leaves' | 'not-proven' | 'server' | 'unplaced' | 'unjoined' | 'no-end';
  host: string;
  bridge: string;
  text: string;
  remedy?: string;
  /** The first leaf that rests on it (for 'no-end', the bridge the packet entered). */
  node: OutputNode | DropNode | Extract<TraceNode, { kind: 'bridge' }>;
}

/**
 * Where the branch toward the target ends when no drop ends it: the last bridge on it from which
 * a way still leads to the target, and the port of that way no copy left by (NORMAL switched the
 * frame in another VLAN, the flows output elsewhere).
 */
export interface Stop {
  host: string;
  bridge: string;
  inPort: string;
  /** The port of the way to the target (toward.ts), and its tag when the case gives one. */
  way: string;
  wayTag?: number;
  /** The VLAN NORMAL switched the frame in there, when NORMAL ran. */
  vlan?: number;
  /** Why no copy went on there (`NORMAL switched the frame in VLAN 2; tap52b1b85b-8e has tag 1`). */
  why: string;
  text: string;
  /** Why the way the branch took up to there is not proven, when a step above rests on what the case does not show. */
  uncertain?: Uncertainty;
  node: Extract<TraceNode, { kind: 'bridge' }>;
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
  /**
   * The dead branch that matters: on the way to the target (closest to it), never a flooded copy
   * that dies where no way leads to the target; null when delivered, or when no dead branch is
   * known to matter (see `stop`, `undecided`, and each drop's `branch`).
   */
  drop: Drop | null;
  drops: Drop[];
  /** Where the branch toward the target ends when no drop ends it (a dead verdict's stopping point). */
  stop: Stop | null;
  /** What an 'incomplete' verdict rests on, with what would decide it; [] otherwise. */
  undecided: Undecided[];
  /** Branches whose end the evidence does not prove (unsupported action, cut dump, uncollected host). */
  uncertain: Uncertainty[];
  assumptions: Assumption[];
  unsupported: Unsupported[];
  /**
   * Delivered to a target: whether it arrives there untagged (tagged.ts arrivalOf; an ordinary
   * receiver ignores an 802.1Q frame). Null without a target or when not delivered.
   */
  arrival: Arrival | null;
  /**
   * Set by the doctor (proof.ts provenTrace) for the trace a user is shown: the walk says
   * 'dropped', but every way it stops rests on a step the case does not show, so `verdict` is
   * 'incomplete' and `undecided` names those steps. The tree and everything else stay the walk's.
   */
  walked?: 'dropped';
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

export function dropOf(d: DropNode, branch: DropBranch = 'toward'): Drop {
  return {
    branch,
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
 *
 * `toward` (toward.ts): whether a way leads from where a copy died to a target. A flood's copies
 * die harmlessly on bridges that lead nowhere near the target; only a dead branch on the way to
 * it is the drop that matters ('toward'); the others are 'copy' (or 'unplaced' when the case
 * locates no target), said as such by every printer and never the packet's stopping point.
 * Without `toward` (a caller with no world) every dead branch is taken as on the way.
 */
export function judge(
  tree: TraceNode,
  target: TargetSpec[] | null,
  o: { dhcpServers?: boolean; toward?: Toward } = {},
): Pick<
  TraceResult,
  'verdict' | 'outputs' | 'reached' | 'drop' | 'drops' | 'uncertain' | 'stop' | 'undecided'
> {
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
  const uncertain: Uncertainty[] = [];
  for (const n of [...outs, ...dropNodes])
    if (n.uncertain && !uncertain.some((u) => u.text === n.uncertain!.text)) uncertain.push(n.uncertain);
  const proven = outs.filter((x) => !x.uncertain);
  let verdict: Verdict;
  // DHCP agent ports reached that may be the server (dhcpServers only), each named once.
  const maybeServer = new Map<string, OutputNode>();
  const hits = (x: OutputNode): boolean => target?.some((t) => endpointIs(x, t)) ?? false;
  if (!target) {
    verdict = proven.length > 0 ? 'delivered' : uncertain.length > 0 ? 'incomplete' : 'dropped';
  } else {
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
  const serverUnproven = new Map<OutputNode, Uncertainty>();
  if (verdict !== 'delivered')
    for (const x of maybeServer.values()) {
      const port = dhcpAgentPort(x)!;
      const u: Uncertainty = {
        code: 'server-unproven',
        text: `${x.host}:${port} (${x.bridge}), an OVS internal port named tap<id> (the DHCP agent's device) in no namespace of the case, is reached: whether it is a DHCP server for this packet is not proven`,
        remedy: namespaceOfRemedy(x.host, port),
      };
      uncertain.push(u);
      serverUnproven.set(x, u);
    }
  // Topology tells copies apart only when it joins where the packet enters to a target: where the
  // case's own ways are cut (a patch peer missing, a port without its number), a dead branch may
  // be the one that mattered, and each is taken as on the way.
  const joined =
    o.toward !== undefined &&
    tree.kind === 'bridge' &&
    o.toward(tree.host, tree.bridge, tree.inPort) !== undefined;
  // Each dead branch, with the bridge it died in (entered by which port): on the way to a target or a copy.
  const inBridge = joined && target?.length ? bridgesOf(tree) : undefined;
  const branchOf = (d: DropNode): DropBranch => {
    if (!target) return 'toward';
    if (target.length === 0) return 'unplaced';
    if (!o.toward || !inBridge) return 'toward';
    // Asked of the bridge the copy was in (a tunnel's far end dropping it on arrival is below
    // the sending bridge): whether a way led on from there to a target.
    const br = inBridge.get(d);
    return br && o.toward(br.host, br.bridge, br.inPort) ? 'toward' : 'copy';
  };
  const drops = dropNodes.map((d) => dropOf(d, branchOf(d)));
  const targetHosts = new Set(target?.map((t) => t.host) ?? []);
  const score = (d: Drop, i: number): number =>
    (targetHosts.has(d.host) ? 1000 : 0) + (d.entry ? 100 : d.table !== null ? 50 : 0) + i / 1000;
  // A branch not followed (a port number, a bridge the case lacks) is no dead branch: never the drop that matters.
  const dead = drops.filter((d) => !isNotFollowed(d.reason));
  // The dead branches that may be where the packet is lost: on the way to a target; with no
  // target located, the only one when every branch is dead (one copy dying among several is
  // not known to be the one that matters).
  const candidates = dead.filter(
    (d) => d.branch === 'toward' || (d.branch === 'unplaced' && verdict === 'dropped' && dead.length === 1),
  );
  let drop: Drop | null = null;
  // A copy reaches a port that may be the server: no dead branch is where the packet is lost.
  if (verdict !== 'delivered' && maybeServer.size === 0 && candidates.length)
    drop = candidates.reduce((a, b) => (score(b, dead.indexOf(b)) > score(a, dead.indexOf(a)) ? b : a));
  // A branch that reaches the target, unproven, does not stop short of it: no stop then.
  const stop =
    verdict !== 'delivered' && !drop && joined && target?.length && !outs.some(hits)
      ? stopOf(tree, target, o.toward!)
      : null;
  // A dropped verdict names where the packet is lost: the drop on the branch toward the target, or
  // where that branch ends (stop). With neither, nothing shows it lost: every branch dies but the
  // case locates no target to tell which of them matters, or the tree shows no end at all (a walk
  // that appended no leaf). Incomplete, and why: never 'dropped' with nothing to show.
  if (verdict === 'dropped' && !drop && !stop)
    return {
      verdict: 'incomplete',
      outputs,
      reached,
      drop,
      drops,
      uncertain,
      stop,
      undecided: [unsettled(tree, target, dead, outs, o.dhcpServers ?? false)],
    };
  const undecided = verdict === 'incomplete' ? undecidedOf(tree, target, hits, serverUnproven) : [];
  return { verdict, outputs, reached, drop, drops, uncertain, stop, undecided };
}

/**
 * Why a trace that no branch takes to its target names neither a drop nor a stop (judge): the case
 * locates no target (which dead copy, or which end, is the way to it is not known), the case shows
 * no way from where the packet enters to the target, or the tree has no leaf at all.
 */
function unsettled(
  tree: TraceNode,
  target: TargetSpec[] | null,
  dead: readonly Drop[],
  outs: readonly OutputNode[],
  dhcpServers: boolean,
): Undecided {
  const root = tree.kind === 'bridge' ? tree : undefined;
  const leaf = dead[0]?.node ?? outs[0];
  if (!leaf || !root)
    return {
      kind: 'no-end',
      host: root?.host ?? '',
      bridge: root?.bridge ?? '',
      text: `the trace shows no end of the packet${root ? ` entering ${root.host} ${root.bridge} by ${root.inPort}` : ''} (no output, no drop): where it goes is not proven`,
      ...(root
        ? {
            remedy: `ovs-appctl ofproto/trace ${shellWord(root.bridge)} <the packet>   # on ${root.host}: what OVS does there`,
          }
        : {}),
      node: root ?? leaf!,
    };
  const ends = [
    ...new Set([
      ...dead.map((d) => `dies on ${d.host} ${d.bridge}`),
      ...outs.map((x) => `at ${endpointText(x.endpoint)}`),
    ]),
  ];
  const list = `${ends.slice(0, 4).join('; ')}${ends.length > 4 ? `; … (${ends.length})` : ''}`;
  const at = { host: leaf.host, bridge: leaf.bridge, node: leaf };
  // Every branch ends on the host the packet entered, at that host's own ports (its VMs, its
  // service and internal devices, LOCAL) or dead there: a DHCP server it reaches is on that host.
  const own = (e: Endpoint): boolean =>
    e.kind === 'local' || e.kind === 'namespace'
      ? e.host === root.host
      : (e.kind === 'port' || e.kind === 'device') &&
        e.host === root.host &&
        ['vm', 'service', 'local'].includes(e.role);
  const home = dead.every((d) => d.host === root.host) && outs.every((x) => own(x.endpoint));
  if (!target?.length)
    return {
      kind: 'unplaced',
      ...at,
      text: `the case locates no target, and no branch leaves it (${list}): which of them is the way to the target is not known`,
      remedy: !dhcpServers
        ? 'name the target: --to <host>:<port>'
        : home
          ? `ip netns; ip -all netns exec ip -d address show   # on ${root.host}: every branch ends on ${root.host}, at its own ports, so a DHCP server for this packet would be there (its qdhcp namespace); or name the target: --to <host>:<port>`
          : 'add the host running the DHCP agent (its qdhcp namespace) to the case, or name the target: --to <host>:<port>',
    };
  const hosts = [...new Set(target.map((t) => t.host))].filter((h) => h !== root.host);
  return {
    kind: 'unjoined',
    ...at,
    text: `no branch reaches ${targetText(target)}, and the case shows no way to it from ${root.host} ${root.bridge} (entered by ${root.inPort}); the branches end: ${list}`,
    remedy: hosts.length
      ? `add what joins ${root.host} to ${hosts.join(', ')} to the case (a wire in links.txt, or the host between)`
      : `ovs-vsctl show   # on ${root.host}: the ports and patches that join ${root.bridge} to ${targetText(target)}`,
  };
}

/** The bridge node each node sits in (the packet as it entered that bridge, and by which port). */
function bridgesOf(tree: TraceNode): Map<TraceNode, Extract<TraceNode, { kind: 'bridge' }>> {
  const out = new Map<TraceNode, Extract<TraceNode, { kind: 'bridge' }>>();
  // Without recursion: big floods make big trees.
  const stack: { n: TraceNode; br?: Extract<TraceNode, { kind: 'bridge' }> }[] = [{ n: tree }];
  while (stack.length) {
    const { n, br: above } = stack.pop()!;
    const br = n.kind === 'bridge' ? n : above;
    if (br) out.set(n, br);
    if ('children' in n) for (const c of n.children) stack.push({ n: c, ...(br ? { br } : {}) });
  }
  return out;
}

/**
 * The last bridge, deepest in the tree, from which a way still leads to a target, when no drop
 * ends the branch there: the packet got that far toward the target and no copy took the way on.
 */
function stopOf(tree: TraceNode, target: TargetSpec[], toward: Toward): Stop | null {
  let best: { n: Extract<TraceNode, { kind: 'bridge' }>; depth: number; way: Way } | undefined;
  for (const { node: n, depth } of walkFlat(tree)) {
    if (n.kind !== 'bridge') continue;
    const way = toward(n.host, n.bridge, n.inPort);
    if (way && (!best || depth > best.depth)) best = { n, depth, way };
  }
  if (!best) return null;
  const { n, way } = best;
  // NORMAL's VLAN there (the first switch of the frame in that bridge, not one of a later bridge),
  // and the uncertainty its leaves inherit (a leaf of that bridge first, else any below it).
  let vlan: number | undefined;
  let uncertain: Uncertainty | undefined;
  const stack: TraceNode[] = [...n.children];
  while (stack.length) {
    const x = stack.shift()!;
    if (x.kind === 'normal' && x.vlan !== undefined) vlan ??= x.vlan;
    if ((x.kind === 'output' || x.kind === 'drop') && x.uncertain) uncertain ??= x.uncertain;
    if ('children' in x && x.kind !== 'patch' && x.kind !== 'wire' && x.kind !== 'tunnel')
      stack.push(...x.children);
  }
  uncertain ??= nodesOf(n, 'output').find((x) => x.uncertain)?.uncertain;
  uncertain ??= nodesOf(n, 'drop').find((x) => x.uncertain)?.uncertain;
  const why =
    vlan !== undefined && way.tag !== undefined && way.tag !== vlan
      ? `NORMAL switched the frame in VLAN ${vlan}; ${way.port} has tag ${way.tag}`
      : vlan !== undefined
        ? `NORMAL switched the frame in VLAN ${vlan} and sent no copy out of ${way.port}`
        : `its flows send no copy out of ${way.port}`;
  return {
    host: n.host,
    bridge: n.bridge,
    inPort: n.inPort,
    way: way.port,
    ...(way.tag !== undefined ? { wayTag: way.tag } : {}),
    ...(vlan !== undefined ? { vlan } : {}),
    why,
    text: `the branch toward ${targetText(target)} ends on ${n.host} ${n.bridge} (entered by ${n.inPort}), whose way to it is ${way.port}: ${why}`,
    ...(uncertain ? { uncertain } : {}),
    node: n,
  };
}

/** Every node with its depth, depth first in tree order, without recursion. */
function walkFlat(t: TraceNode): { node: TraceNode; depth: number }[] {
  const out: { node: TraceNode; depth: number }[] = [];
  const stack: { node: TraceNode; depth: number }[] = [{ node: t, depth: 0 }];
  while (stack.length) {
    const x = stack.pop()!;
    out.push(x);
    const n = x.node;
    if ('children' in n)
      for (let i = n.children.length - 1; i >= 0; i--)
        stack.push({ node: n.children[i]!, depth: x.depth + 1 });
  }
  return out;
}

/** What an incomplete verdict rests on, in tree order, one per reason. */
function undecidedOf(
  tree: TraceNode,
  target: TargetSpec[] | null,
  hits: (x: OutputNode) => boolean,
  serverUnproven: Map<OutputNode, Uncertainty>,
): Undecided[] {
  const out: Undecided[] = [];
  const seen = new Set<string>();
  const add = (u: Undecided): void => {
    if (seen.has(u.text)) return;
    seen.add(u.text);
    out.push(u);
  };
  for (const { node: n } of walkFlat(tree)) {
    if (n.kind !== 'output' && n.kind !== 'drop') continue;
    const at = { host: n.host, bridge: n.bridge, node: n };
    if (n.uncertain)
      add({
        kind: 'not-proven',
        ...at,
        text: n.uncertain.text,
        ...(n.uncertain.remedy ? { remedy: n.uncertain.remedy } : {}),
      });
    else if (n.kind === 'output') {
      const s = serverUnproven.get(n);
      if (s) add({ kind: 'server', ...at, text: s.text, ...(s.remedy ? { remedy: s.remedy } : {}) });
      else if (target && !hits(n) && leavesEvidence(n))
        add({
          kind: 'leaves',
          ...at,
          text: `leaves the case: ${endpointText(n.endpoint)}`,
          remedy: beyondRemedy(n.endpoint),
        });
    }
  }
  return out;
}

/** What would show where a branch that leaves the case goes. */
function beyondRemedy(e: Endpoint): string {
  switch (e.kind) {
    case 'beyond-tunnel':
      return e.claimants
        ? `ip -o address   # on ${e.claimants.join(' and on ')}: which one owns ${e.remote_ip}`
        : `add the host that owns ${e.remote_ip} to the case (its sosreport; \`ip -o address\` there shows ${e.remote_ip})`;
    case 'uncollected':
      return `add host ${e.host} to the case (its sosreport; its ${e.iface} is wired to ${e.from.host}:${e.from.port})`;
    case 'port':
      return `add the host behind ${e.port} to the case, or a wire for it in links.txt`;
    case 'device':
      return `add the host behind ${e.device} to the case, or a wire for it in links.txt`;
    default:
      return 'add the host it leads to to the case';
  }
}

/** The command that names the namespace holding `port` (a DHCP agent's tap<id>) on `host`. */
export function namespaceOfRemedy(host: string, port: string): string {
  return `ip -all netns exec ip -d address show dev ${shellWord(port)}   # on ${host}: the namespace that holds it; collect that namespace`;
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
