// What a trace proves, as the doctor may use it. The trace engine fills what the case does not
// say with printed assumptions and walks on; a verdict may rest on some of them and not on others.
// A DISCOVER (or OFFER) is proven dead only when every branch of it dies on steps the case shows:
//
// - NORMAL assumed on a bridge without a flow dump is what Neutron's agent itself programs only
//   where it switches with NORMAL: the integration bridge for frames of its own VM and DHCP ports
//   (the port's OVSDB tag, which the case shows, gives the VLAN), a physical bridge for frames
//   from its uplink (`priority=0 actions=NORMAL`), and a bridge no evidence gives a role. Where
//   the agent's flows translate or filter — a physical bridge entered from the integration patch
//   (local VLAN → segmentation id, `in_port=phy-… actions=drop`), the integration bridge entered
//   from a physical or tunnel patch (segmentation id → local VLAN, `in_port=int-… actions=drop`),
//   every tunnel bridge (tun_id ⇄ local VLAN) — NORMAL assumes away exactly what decides the
//   branch, and nothing past it is proof. On a bridge an external controller programs
//   (OpenDaylight: roles.ts externalController) NORMAL is never the agent's: no step of it is proof.
// - Two flows of one priority matching the packet: which one OVS takes is not known.
// - A branch the trace itself did not follow into a bridge the case does not show (a patch peer
//   OVSDB lists without the case showing its bridge, an inferred bridge whose ports are unknown):
//   the trace marks the leaf (its reason's `gap`, world.ts decides) and is 'incomplete' already;
//   the step is named here so the doctor says what to collect.
//
// A step like that anywhere in the tree makes a 'dropped' trace unproven (the branch through it
// may be the one that arrives); on the path to one node, it makes what that node says unproven.
import { flowsOf, lookup } from '../dataplane/classifier.ts';
import { clonePacket, formatPacket } from '../dataplane/packet.ts';
import { PLACEHOLDER_MAC } from '../dataplane/probes.ts';
import { runTrace, type TraceRequest } from '../dataplane/run.ts';
import { namespaceOfRemedy } from '../dataplane/trace.ts';
import {
  type ActionAt,
  bridgeOf,
  dhcpAgentPort,
  endpointIs,
  nodesOf,
  ruleText,
  type TargetSpec,
  type TraceNode,
  type TraceResult,
  type Undecided,
} from '../dataplane/tree.ts';
import { buildWorld, isStandIn, type World } from '../dataplane/world.ts';
import { dumpFlowsCommand } from '../model/ovs-version.ts';
import { type BridgeRole, bridgeRole, portRole, remoteController } from '../model/roles.ts';
import { findExcerpt, type Host, type Snapshot } from '../model/snapshot.ts';
import { formatMac } from '../openflow/values.ts';
import { shellWord } from '../runner/runner.ts';

/** One step a trace took on what the case does not show, and what would settle it. */
export interface Unproven {
  /** `host:bridge` the step is on. */
  subject: string;
  text: string;
  /** The command that gives the missing evidence. */
  remedy: string;
}

type BridgeNode = Extract<TraceNode, { kind: 'bridge' }>;
type NodeKind = TraceNode['kind'];

interface TraceProof {
  /** Every unproven step in the tree, in tree order, one per text. */
  all: Unproven[];
  /** Per node under (or at) an unproven step: the first such step on its path from the root. */
  below: Map<TraceNode, Unproven>;
}

const proofs = new WeakMap<TraceResult, TraceProof>();

function roleOf(
  s: Snapshot,
  host: string,
  bridge: string,
  inferred: boolean,
): { role: BridgeRole; why: string } {
  // A bridge the world inferred (absent from the case) is inferred from int-<bridge>: a physical one.
  if (inferred) return { role: 'physical', why: 'inferred' };
  const h = s.hosts.find((x) => x.name === host);
  const b = h?.bridges.find((x) => x.name === bridge);
  return h && b ? bridgeRole(h, b) : { role: 'unknown', why: '' };
}

const hostOf = (s: Snapshot, name: string): Host | undefined => s.hosts.find((x) => x.name === name);

/** NORMAL assumed where the agent's flows would decide the branch (see the header). */
function assumedNormal(s: Snapshot, br: BridgeNode, entered: NodeKind | undefined): Unproven | undefined {
  const { role, why } = roleOf(s, br.host, br.bridge, br.inferred !== undefined);
  const remedy = `${dumpFlowsCommand(hostOf(s, br.host), br.bridge)}   # on ${br.host}`;
  // A foreign controller's flows decide every frame, whatever port it enters by.
  if (role === 'external')
    return {
      subject: `${br.host}:${br.bridge}`,
      text: `${br.host}:${br.bridge} has no flow dump: NORMAL was assumed for a frame from ${br.inPort}, but an external OpenFlow controller programs the bridge (${why}): its flows decide everything, and nothing says they switch with NORMAL`,
      remedy,
    };
  const fromPatch = entered === 'patch';
  const where = fromPatch
    ? `a frame from the patch ${br.inPort}`
    : entered === 'tunnel'
      ? `a frame from a tunnel`
      : `a frame from ${br.inPort}`;
  // A remote controller the case does not tie to the agent (roles.ts): Neutron's agent elsewhere
  // or an SDN controller; only the first switches this way, so NORMAL is proof of nothing here,
  // whatever the bridge's role (most such bridges have none the case shows).
  const h = s.hosts.find((x) => x.name === br.host);
  const b = br.inferred ? undefined : h?.bridges.find((x) => x.name === br.bridge);
  const remote = h && b ? remoteController(h, b) : undefined;
  if (remote)
    return {
      subject: `${br.host}:${br.bridge}`,
      text: `${br.host}:${br.bridge} has no flow dump: NORMAL was assumed for ${where}, but the bridge's controller is remote (Controller "${remote}"${b?.from[0] ? ` in ${b.from[0].file}` : ''}): Neutron's agent on another host (as XenServer's compute VM programs Dom0's bridges) or an SDN controller (OpenDaylight and the like), which the case does not say; only the agent's flows are NORMAL's kind`,
      remedy,
    };
  if (role === 'unknown') return undefined;
  if (role === 'integration' && !fromPatch) return undefined;
  if (role === 'physical' && !fromPatch && entered !== 'tunnel') return undefined;
  const what =
    role === 'tunnel'
      ? 'its flows map local VLANs and tunnel keys'
      : role === 'physical'
        ? 'its flows translate the local VLAN to the segmentation id, or drop it'
        : 'its flows translate the segmentation id to the local VLAN, or drop it';
  return {
    subject: `${br.host}:${br.bridge}`,
    text: `${br.host}:${br.bridge} ${br.inferred ? 'is not in the case (inferred) and has' : 'has'} no flow dump: NORMAL was assumed for ${where}, where the agent programs the ${role} bridge (${what})`,
    remedy: br.inferred
      ? `ovs-vsctl show; ${dumpFlowsCommand(hostOf(s, br.host), br.bridge)}   # on ${br.host}`
      : remedy,
  };
}

/**
 * NORMAL on an integration bridge switched a VM or DHCP port whose tag the case does not give as a
 * trunk: the agent gives each of them its network's local VLAN, which decides where NORMAL sends
 * the frame and what the bridges past it see (a physical bridge drops an untagged frame from its
 * patch). Patch and tunnel ports carry no tag there: a trunk is what they are.
 */
function vlanUnknown(s: Snapshot, n: Extract<TraceNode, { kind: 'normal' }>): Unproven | undefined {
  const h = s.hosts.find((x) => x.name === n.host);
  const b = h?.bridges.find((x) => x.name === n.bridge);
  if (!h || !b || bridgeRole(h, b).role !== 'integration') return undefined;
  const tagged = (n.vlanUnknown ?? []).filter((name) => {
    const p = b.ports.find((x) => x.name === name);
    const role = p ? portRole(s, h, b, p).role : 'unknown';
    return role === 'vm' || role === 'service';
  });
  if (tagged.length === 0) return undefined;
  return {
    subject: `${n.host}:${n.bridge}`,
    text: `${n.host}:${n.bridge}: the tag of ${tagged.join(', ')} is not in the case, so NORMAL switched ${tagged.length > 1 ? 'them' : 'it'} as a trunk; the agent gives each VM and DHCP port its network's local VLAN, which decides where NORMAL sends the frame`,
    // Sorted: each VM's trace lists the ports in its own order, and one command asks for them all.
    remedy: `ovs-vsctl --columns=name,tag list Port ${[...tagged].sort().map(shellWord).join(' ')}   # on ${n.host}`,
  };
}

/**
 * A table the packet crossed with the placeholder MAC (the case gives no MAC for the VM) that holds
 * a flow of higher priority than the one taken (or any, on a miss) which the packet would take
 * with that flow's MAC: the VM's own MAC decides the step (Neutron's anti-spoofing table 25 drops
 * any other source MAC).
 */
function macDecides(
  w: World,
  trace: TraceResult,
  n: Extract<TraceNode, { kind: 'table' }>,
): Unproven | undefined {
  const t = w.bridges.find((b) => b.host === n.host && b.name === n.bridge)?.tables?.get(n.table, n.before);
  if (!t) return undefined;
  // A flow above the one taken (or any, on a miss) that the packet takes with that flow's MAC.
  const floor = n.flow?.flow.priority ?? -1;
  for (const f of flowsOf(t)) {
    if (f.priority <= floor) continue;
    for (const m of f.flow.match) {
      if (m.kind !== 'field' || m.value.t !== 'mac') continue;
      const side = m.field === 'dl_src' ? 'dl_src' : m.field === 'dl_dst' ? 'dl_dst' : undefined;
      if (!side || n.before[side] !== PLACEHOLDER_MAC) continue;
      const p = clonePacket(n.before);
      p[side] = m.value.v;
      if (lookup(t, p).flow?.entry !== f.entry) continue;
      return {
        subject: `${n.host}:${n.bridge}`,
        text: `${n.host}:${n.bridge} table ${n.table}: \`${f.rule}\` (${f.entry.from.file}:${f.entry.from.line}) matches the ${side === 'dl_src' ? 'source' : 'destination'} MAC, and the case does not give the VM's MAC (${formatMac(PLACEHOLDER_MAC)} was traced): with its own MAC the packet may take that flow`,
        remedy: vmMacRemedy(trace, side),
      };
    }
  }
  return undefined;
}

/** A table lookup that rests on what the case does not show: NORMAL assumed, a tie, the MAC. */
function tableStep(
  w: World,
  t: TraceResult,
  n: Extract<TraceNode, { kind: 'table' }>,
  br: BridgeNode | undefined,
  entered: NodeKind | undefined,
): Unproven | undefined {
  if (n.assumedNormal) return br ? assumedNormal(w.snapshot, br, entered) : undefined;
  if (n.ambiguous?.length)
    return {
      subject: `${n.host}:${n.bridge}`,
      text: `${n.host}:${n.bridge} table ${n.table}: ${n.ambiguous.length + 1} flows of one priority match the packet; which one OVS takes is not known`,
      remedy: `ovs-appctl ofproto/trace ${shellWord(n.bridge)} <the packet>   # on ${n.host}`,
    };
  if (n.flow?.maybeCut)
    return {
      subject: `${n.host}:${n.bridge}`,
      text: `${n.host}:${n.bridge} table ${n.table}: \`${n.rule ?? n.flow.text}\` is the last line of ${n.flow.from.file}, which has no final newline: the line may be cut where it still reads as a flow (its actions may go on)`,
      remedy: `${dumpFlowsCommand(hostOf(w.snapshot, n.host), n.bridge)}   # on ${n.host}: the whole dump again`,
    };
  if (n.before.dl_src === PLACEHOLDER_MAC || n.before.dl_dst === PLACEHOLDER_MAC) return macDecides(w, t, n);
  return undefined;
}

/** Where the VM's MAC is asked for: the port the DISCOVER starts from, or the OFFER's target. */
function vmMacRemedy(t: TraceResult, side: 'dl_src' | 'dl_dst'): string {
  const vm = side === 'dl_src' ? { host: t.start.host, name: t.start.port } : t.target?.[0];
  return vm
    ? `ovs-vsctl --columns=name,external_ids list Interface ${shellWord(vm.name)}   # on ${vm.host}: the VM port's attached-mac (or give it: --vm ${shellWord(`${vm.host}:${vm.name}`)} --mac <its MAC>)`
    : "ovs-vsctl --columns=name,external_ids list Interface   # on the VM's host: its port's attached-mac (or give it: --vm <host:port> --mac <its MAC>)";
}

function proofOf(w: World, t: TraceResult): TraceProof {
  const s = w.snapshot;
  const cached = proofs.get(t);
  if (cached) return cached;
  const all: Unproven[] = [];
  const below = new Map<TraceNode, Unproven>();
  const add = (u: Unproven): void => {
    if (!all.some((x) => x.text === u.text)) all.push(u);
  };
  // Depth first without recursion (big floods make big trees): node, its parent's kind, the
  // bridge it sits in and how that bridge was entered, and the first unproven step above it.
  const stack: {
    n: TraceNode;
    parent?: NodeKind;
    br?: BridgeNode;
    entered?: NodeKind;
    above?: Unproven;
  }[] = [{ n: t.tree }];
  while (stack.length) {
    const { n, parent, br: inBridge, entered: inEntered, above } = stack.pop()!;
    let br = inBridge;
    let entered = inEntered;
    let here: Unproven | undefined;
    if (n.kind === 'bridge') {
      br = n;
      entered = parent;
    } else if (n.kind === 'table') here = tableStep(w, t, n, br, entered);
    else if (n.kind === 'normal' && n.vlanUnknown?.length) here = vlanUnknown(s, n);
    else if (n.kind === 'drop' && n.reason.gap)
      // A branch the trace did not follow into a bridge the case does not show (it marks it).
      here = { subject: `${n.host}:${n.bridge}`, text: n.reason.gap.text, remedy: n.reason.gap.remedy };
    if (here) add(here);
    const first = above ?? here;
    if (first) below.set(n, first);
    if ('children' in n)
      for (let i = n.children.length - 1; i >= 0; i--)
        stack.push({
          n: n.children[i]!,
          parent: n.kind,
          ...(br ? { br } : {}),
          ...(entered ? { entered } : {}),
          ...(first ? { above: first } : {}),
        });
  }
  const p = { all, below };
  proofs.set(t, p);
  return p;
}

/** Every step of the trace that rests on what the case does not show (see the header). */
export function unprovenSteps(w: World, t: TraceResult): Unproven[] {
  return proofOf(w, t).all;
}

/** The first unproven step on the path from the root to `n` (n included), if any. */
export function unprovenAt(w: World, t: TraceResult, n: TraceNode): Unproven | undefined {
  return proofOf(w, t).below.get(n);
}

/**
 * The trace proves the packet arrives: a branch reaches its target on steps the case shows (the
 * trace's own 'delivered' asks only that the branch's end is not uncertain).
 */
export function provenDelivered(w: World, t: TraceResult | undefined): boolean {
  if (t?.verdict !== 'delivered' || !t.target) return false;
  const p = proofOf(w, t);
  const target = t.target;
  return nodesOf(t.tree, 'output').some(
    (o) => !o.uncertain && !p.below.has(o) && target.some((x) => endpointIs(o, x)),
  );
}

/** The trace proves the packet reaches `target` (one of its targets, or any endpoint) on steps the case shows. */
export function provenReaches(w: World, t: TraceResult, target: TargetSpec): boolean {
  if (t.verdict !== 'delivered') return false;
  const p = proofOf(w, t);
  return nodesOf(t.tree, 'output').some((o) => !o.uncertain && !p.below.has(o) && endpointIs(o, target));
}

/**
 * Why the trace's own verdict is not proof, when it is not: for 'dropped' the first unproven step
 * anywhere, for 'delivered' the first on the branches that arrive, for 'incomplete' the first
 * branch the trace did not follow into a bridge the case does not show (its reason's `gap`), …,
 * else the first branch that leaves the case (its undecided entry).
 * Undefined: the verdict stands (or is 'incomplete' for other reasons the trace says itself).
 */
export function whyUnproven(w: World, t: TraceResult): Unproven | undefined {
  if (t.verdict === 'dropped') return unprovenSteps(w, t)[0];
  // Incomplete for a bridge the case does not show: the trace's own mark, with what to collect;
  // or for a flow dump that is not whole (a tool's error in place of flows, a cut): which, and why.
  if (t.verdict === 'incomplete')
    return (
      notShownStep(t) ??
      incompleteDumpStep(w, t) ??
      agentDefaultStep(t) ??
      unevaluatedStep(t) ??
      serverUnprovenStep(t) ??
      (t.uncertain.some((u) => u.code === 'vlan-assumed') ? unprovenSteps(w, t)[0] : undefined) ??
      leavesStep(t)
    );
  if (t.verdict !== 'delivered' || !t.target || provenDelivered(w, t)) return undefined;
  const p = proofOf(w, t);
  const target = t.target;
  for (const o of nodesOf(t.tree, 'output'))
    if (!o.uncertain && target.some((x) => endpointIs(o, x)) && p.below.has(o)) return p.below.get(o);
  return undefined;
}

/**
 * The branches that leave the case (tree.ts undecided 'leaves': a tunnel to an address no host of
 * the case owns, a port or wire to a host not collected): the first, and what to add to the case
 * for each (any of them may lead to the target; a flood over many tunnels names the first four).
 */
function leavesStep(t: TraceResult): Unproven | undefined {
  const all = t.undecided.filter((x) => x.kind === 'leaves' && x.remedy);
  const u = all[0];
  if (!u) return undefined;
  const remedies = [...new Set(all.map((x) => x.remedy!))];
  const more = all.length - 1;
  return {
    subject: `${u.host}:${u.bridge}`,
    text: more ? `${u.text} (and ${more} more branch${more > 1 ? 'es' : ''} leaving the case)` : u.text,
    remedy: `${remedies.slice(0, 4).join('; ')}${remedies.length > 4 ? `; … (${remedies.length} in all: the trace's undecided)` : ''}`,
  };
}

/** The first branch the trace did not follow into a bridge the case does not show. */
function notShownStep(t: TraceResult): Unproven | undefined {
  for (const d of t.drops) if (d.reason.gap) return { subject: `${d.host}:${d.bridge}`, ...d.reason.gap };
  return undefined;
}

/**
 * The first DHCP agent's port (an OVS internal tap<id>) the packet reaches that no namespace of the
 * case holds, when the trace says it may be the server (tree.ts judge, 'server-unproven').
 */
function serverUnprovenStep(t: TraceResult): Unproven | undefined {
  const u = t.uncertain.find((x) => x.code === 'server-unproven');
  if (!u) return undefined;
  for (const o of nodesOf(t.tree, 'output')) {
    const port = dhcpAgentPort(o);
    if (port === undefined || t.target?.some((x) => endpointIs(o, x))) continue;
    return { subject: `${o.host}:${o.bridge}`, text: u.text, remedy: namespaceOfRemedy(o.host, port) };
  }
  return undefined;
}

/** The first branch whose lookup a flow the model does not evaluate could have decided. */
function unevaluatedStep(t: TraceResult): Unproven | undefined {
  for (const n of [...nodesOf(t.tree, 'drop'), ...nodesOf(t.tree, 'output')])
    if (n.uncertain?.code === 'unsupported-match')
      return {
        subject: `${n.host}:${n.bridge}`,
        text: n.uncertain.text,
        remedy: `ovs-appctl ofproto/trace ${shellWord(n.bridge)} <the packet>   # on ${n.host}: what OVS does there`,
      };
  return undefined;
}

/**
 * The first miss in table 0 of an integration bridge whose dump lacks the catch-all Neutron's agent
 * installs there (trace.ts agentDefaultMissing): the whole dump settles it.
 */
function agentDefaultStep(t: TraceResult): Unproven | undefined {
  for (const d of t.drops)
    if (d.uncertain?.code === 'agent-default-missing' && d.uncertain.remedy)
      return { subject: `${d.host}:${d.bridge}`, text: d.uncertain.text, remedy: d.uncertain.remedy };
  return undefined;
}

/** The first branch (in tree order) that crossed a bridge whose flow dump is not whole. */
function incompleteDumpStep(w: World, t: TraceResult): Unproven | undefined {
  const stack: TraceNode[] = [t.tree];
  while (stack.length) {
    const n = stack.pop()!;
    if ((n.kind === 'drop' || n.kind === 'output') && n.uncertain?.code === 'dump-incomplete') {
      const text = n.uncertain.text;
      const rb = w.bridges.find((b) => b.incomplete === text);
      if (rb) return incompleteDump(w, rb.host, rb.name);
    }
    if ('children' in n) for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return undefined;
}

/**
 * A bridge whose flow dump is not whole: which file, why (a tool's error in place of its flows,
 * the dump cut short, a decode error, an excerpt), and the command that gives it again.
 * Undefined when the bridge's dump is whole.
 */
export function incompleteDump(w: World, host: string, bridge: string): Unproven | undefined {
  const rb = w.bridges.find((b) => b.host === host && b.name === bridge);
  const b = rb?.bridge;
  if (!rb?.incomplete || !b?.flows.known) return undefined;
  const dump = b.flows.value;
  const file = dump.file;
  const h = w.snapshot.hosts.find((x) => x.name === host);
  const excerpt = h && findExcerpt(h, 'flows', bridge);
  const subject = `${host}:${bridge}`;
  const again = `${dumpFlowsCommand(h, bridge)}   # on ${host}`;
  if (excerpt)
    return { subject, text: rb.incomplete, remedy: `${excerpt.collect}   # on ${host}: the whole dump` };
  const notes = w.snapshot.diagnostics.filter((d) => d.file === file);
  const count = dump.lookup ? dump.lookup.count : dump.entries.length;
  const at = (d: { line: number }): string => (d.line ? `line ${d.line}: ` : '');
  const error = notes.find((d) => (d.severity === 'ovs' && d.code === 'ovs-error') || d.severity === 'tool');
  const cut = notes.find((d) => d.code === 'truncated');
  const decode = notes.find((d) => d.code === 'decode-error');
  const what = error
    ? count === 0
      ? `holds only a tool's error in place of its flows (${at(error)}"${error.text ?? error.message}"): its flows are not known`
      : `holds a tool's error after ${count} flow(s) (${at(error)}"${error.text ?? error.message}"): the command stopped part way, flows may be missing`
    : cut
      ? `is cut short (${at(cut)}${cut.message}): flows after it may be missing`
      : decode
        ? `is incomplete (${at(decode)}${decode.message}): flows may be missing`
        : 'is incomplete (unreadable lines): flows may be missing';
  return { subject, text: `${subject}: the flow dump ${file} ${what}`, remedy: again };
}

/**
 * The trace proves the packet dies: every branch is dead (the trace's own 'dropped': none leaves
 * the evidence, none is uncertain, none reaches the target) and no branch rests on an unproven step.
 */
export function provenDropped(w: World, t: TraceResult | undefined): boolean {
  return t?.verdict === 'dropped' && unprovenSteps(w, t).length === 0;
}

/**
 * The trace as the trace command and the page say it. The tree stays OVS's walk; but a 'dropped'
 * that is not proven (provenDropped: a step above some stop rests on what the case does not show)
 * is what diagnose calls UNDECIDED on the same path, so it is said 'incomplete' (exit 3), each
 * such step in `undecided` with diagnose's text and the command that settles it, and `walked`
 * keeps what the walk itself said. Anything else is returned as it is.
 */
export function provenTrace(w: World, t: TraceResult): TraceResult {
  if (t.verdict !== 'dropped') return t;
  const steps = unprovenSteps(w, t);
  if (!steps.length) return t;
  const below = proofOf(w, t).below;
  // The first leaf that rests on each step (the page marks it), else where the walk stops.
  const leaves = [...nodesOf(t.tree, 'drop'), ...nodesOf(t.tree, 'output')];
  const fallback = t.drop?.node ?? t.stop?.node ?? (t.tree.kind === 'bridge' ? t.tree : leaves[0]);
  const undecided: Undecided[] = [];
  for (const u of steps) {
    const node = leaves.find((n) => below.get(n)?.text === u.text) ?? fallback;
    if (!node) continue;
    const i = u.subject.indexOf(':');
    undecided.push({
      kind: 'not-proven',
      host: u.subject.slice(0, i),
      bridge: u.subject.slice(i + 1),
      text: u.text,
      remedy: u.remedy,
      node,
    });
  }
  return { ...t, verdict: 'incomplete', walked: 'dropped', undecided };
}

/** A trace asked of a case (the trace command, the page), as provenTrace says it. */
export function traceProven(s: Snapshot, r: TraceRequest): TraceResult {
  const w = buildWorld(s);
  return provenTrace(w, runTrace(s, w, r));
}

/** An action on a path the trace did not follow past (not modelled, or the controller's): where, and what settles it. */
export interface ActionNotFollowed {
  at: ActionAt;
  /** The flow that holds it, as dumped without counters. */
  rule: string;
  /** `ovs-appctl ofproto/trace` of the packet as it entered that bridge: what OVS does there. */
  remedy: string;
  /** The action sends the packet to the controller (modelled; its reaction is not in the case). */
  controller: boolean;
}

/**
 * The actions a trace did not follow past whose branches leave its verdict open ('incomplete'):
 * one per flow, in the order the trace met them. None for a trace whose verdict they do not hold.
 * `vmMacKnown` false: the trace's VM MAC is the placeholder, named as such in the remedy.
 */
export function actionsNotFollowed(t: TraceResult, vmMacKnown: boolean): ActionNotFollowed[] {
  if (t.verdict !== 'incomplete') return [];
  const out: ActionNotFollowed[] = [];
  for (const u of t.uncertain) {
    const at = u.at;
    if (!at || out.some((x) => x.at.file === at.file && x.at.line === at.line)) continue;
    const table = nodesOf(t.tree, 'table').find(
      (n) =>
        n.host === at.host &&
        n.bridge === at.bridge &&
        n.flow?.from.file === at.file &&
        n.flow.from.line === at.line,
    );
    const br = table ? bridgeOf(t.tree, table) : undefined;
    // A port without a known number (a stand-in, dataplane/world.ts) is traced by its name.
    let packet = br
      ? formatPacket(br.packet, isStandIn(br.packet.in_port) ? br.inPort : String(br.packet.in_port))
      : '<the packet>';
    // A MAC the trace made up (the case has no attached-mac) is not a value to trace with.
    if (!vmMacKnown) packet = packet.replace(formatMac(PLACEHOLDER_MAC), '<the-VM-MAC>');
    out.push({
      at,
      rule: table?.flow ? ruleText(table.flow) : `${at.action} (${at.file}:${at.line})`,
      remedy: `ovs-appctl ofproto/trace ${shellWord(at.bridge)} ${shellWord(packet)}   # on ${at.host}`,
      controller: u.code === 'controller',
    });
  }
  return out;
}
