// The trace engine: walks a packet through flow tables, NORMAL, patch ports and wires between
// hosts (like ofproto/trace, across hosts), appending typed nodes to one tree. Actions are run by
// the handler table in actions.ts, NORMAL by normal.ts, fields are read and written through
// fields.ts. Every default it assumes and every action or field it does not model is recorded.
import { VifpathError } from '../errors/errors.ts';
import { dumpFlowsCommand } from '../model/ovs-version.ts';
import { bridgeRole, portRole, remoteController } from '../model/roles.ts';
import {
  type Excerpt,
  excerptCut,
  type FlowEntry,
  findExcerpt,
  type Port,
  type TableDump,
} from '../model/snapshot.ts';
import { formatFlowRule } from '../openflow/flow.ts';
import { OFPP_MAX } from '../openflow/values.ts';
import { shellWord } from '../runner/runner.ts';
import { escapeControl } from '../text/escape.ts';
import { execute } from './actions.ts';
import { lookup } from './classifier.ts';
import { learnTargets } from './learned.ts';
import { normalSwitch } from './normal.ts';
import {
  findInterface,
  ifaceError,
  isUnnumbered,
  namedInFlows,
  noOpenFlowPort,
  ofportAssumption,
  ofportRemedy,
  ofportUncertainty,
  type PortsCut,
  portList,
  portsCut,
  unnumbered,
} from './ofports.ts';
import { clonePacket, type Packet } from './packet.ts';
import { arrivalOf } from './tagged.ts';
import { towardTargets } from './toward.ts';
import {
  type Assumption,
  type DropReason,
  type Endpoint,
  judge,
  namespaceOfRemedy,
  setRuleFormatter,
  type TargetSpec,
  type TraceNode,
  type TraceResult,
  type Uncertainty,
  type Unsupported,
} from './tree.ts';
import { tunnelOut } from './tunnel.ts';
import {
  isStandIn,
  mayMatch,
  OFPP_LOCAL,
  peerRemedy,
  type RtBridge,
  type RtPort,
  type World,
} from './world.ts';

export type { Drop, Endpoint, Output, TraceNode, TraceResult } from './tree.ts';

export const MAX_DEPTH = 64;
export const MAX_RESUBMITS = 4096;

setRuleFormatter((e: FlowEntry) => formatFlowRule(e.flow));

export class TraceInputError extends VifpathError {}

/** The walk's state: what every handler may read and append to. */
export interface Engine {
  w: World;
  assumptions: Map<string, Assumption>;
  unsupported: Map<string, Unsupported>;
  resubmits: number;
  /** Why what happens from here on is not proven (inherited by every leaf appended meanwhile). */
  uncertain: Uncertainty | undefined;
  /** Leaves appended so far (a table's actions that add none drop the packet: "no output"). */
  leaves: number;
  /** An `exit` action ran: the rest of this bridge's pipeline is skipped. */
  exited: boolean;
  /**
   * The first action of this bridge's pipeline the model ignored (unknown, unmodelled): it may
   * have output the packet, so the pipeline's "no output" is not proven either.
   */
  ignored: Uncertainty | undefined;
}

export function assume(e: Engine, a: Assumption | undefined): void {
  if (a && !e.assumptions.has(a.text)) e.assumptions.set(a.text, a);
}

export function unsupported(e: Engine, rb: RtBridge, text: string, from?: FlowEntry['from']): void {
  const k = `${rb.host}\u0000${rb.name}\u0000${text}`;
  if (!e.unsupported.has(k))
    e.unsupported.set(k, {
      host: rb.host,
      bridge: rb.name,
      text,
      ...(from ? { from: { file: from.file, line: from.line } } : {}),
    });
}

/** What the actions run so far set (read through a call: the compiler keeps no stale narrowing). */
function ignoredIn(e: Engine): Uncertainty | undefined {
  return e.ignored;
}

/**
 * An action ran that the model ignores: what follows it on this branch is not proven (the rest of
 * its list and all it leads to: see execute), nor is a "no output" of the bridge's pipeline.
 */
export function ignoredAction(e: Engine, u: Uncertainty): void {
  e.uncertain ??= u;
  e.ignored ??= u;
}

/** What shows what OVS itself does where the model does not follow the packet. */
export function notModelledRemedy(rb: Pick<RtBridge, 'host' | 'name'>): string {
  return `ovs-appctl ofproto/trace ${shellWord(rb.name)} <the packet>   # on ${rb.host}: what OVS does there`;
}

/** Append a drop leaf. */
export function drop(
  e: Engine,
  out: TraceNode[],
  rb: Pick<RtBridge, 'host' | 'name'>,
  table: number | null,
  reason: DropReason,
  flow?: FlowEntry,
): void {
  e.leaves++;
  out.push({
    kind: 'drop',
    host: rb.host,
    bridge: rb.name,
    table,
    reason,
    ...(flow ? { flow } : {}),
    ...(e.uncertain ? { uncertain: e.uncertain } : {}),
  });
}

function output(
  e: Engine,
  out: TraceNode[],
  rb: RtBridge,
  port: string,
  vlan: number | null,
  endpoint: Endpoint,
): void {
  e.leaves++;
  out.push({
    kind: 'output',
    host: rb.host,
    bridge: rb.name,
    port,
    vlan,
    endpoint,
    ...(e.uncertain ? { uncertain: e.uncertain } : {}),
  });
}

export { namespaceOfRemedy };

export interface TraceOptions {
  /** Where the packet should arrive; null asks ofproto/trace's question (any output). */
  target?: TargetSpec[] | null;
  /** Assumptions made before the walk (the VM's MAC). */
  assumptions?: Assumption[];
  /** The targets are the case's DHCP servers: a DHCP agent's port in no namespace may be one (tree.ts judge). */
  dhcpServers?: boolean;
}

/** Trace a packet entering `host`'s port `portName`. */
export function trace(
  w: World,
  host: string,
  portName: string,
  packet: Packet,
  o: TraceOptions = {},
): TraceResult {
  const hit = w.ifaces.get(host)?.get(portName);
  const e: Engine = {
    w,
    assumptions: new Map(),
    unsupported: new Map(),
    resubmits: 0,
    uncertain: undefined,
    leaves: 0,
    exited: false,
    ignored: undefined,
  };
  for (const a of o.assumptions ?? []) assume(e, a);
  const root: TraceNode[] = [];
  let bridge: string;
  if (hit) {
    enterBridge(e, root, hit.bridge, hit.port, clonePacket(packet), 0);
    bridge = hit.bridge.name;
  } else bridge = enterUnnumbered(e, root, host, portName, packet);
  const tree = root[0]!;
  const target = o.target ?? null;
  // Where a way leads to the target: a flooded copy dying off every such way decides nothing.
  const toward = target?.length
    ? towardTargets(w, target, (rb, rp, h, dev, wired) => resolved(w, rb, rp, h, dev, wired).endpoint)
    : undefined;
  const judged = judge(tree, target, {
    dhcpServers: o.dhcpServers ?? false,
    ...(toward ? { toward } : {}),
  });
  return {
    ...judged,
    target,
    start: { host, bridge, port: portName, packet: clonePacket(packet) },
    tree,
    assumptions: [...e.assumptions.values()],
    unsupported: [...e.unsupported.values()],
    arrival: arrivalOf(w.snapshot, { verdict: judged.verdict, target, tree }),
  };
}

/**
 * The start port is not in the world: a port the case names without its OpenFlow port number
 * (pasted `ovs-vsctl show`) is not traced, an unproven leaf says why and the assumption which
 * command gives the number; a port the case does not hold at all, or one OVS gave no OpenFlow
 * port, is bad input. Returns the port's bridge.
 */
function enterUnnumbered(
  e: Engine,
  out: TraceNode[],
  host: string,
  portName: string,
  packet: Packet,
): string {
  const found = findInterface(e.w.hosts.get(host), portName);
  if (!found) {
    // Named in a bridge's flows only (ovs-ofctl --names): a port of that bridge, its number unknown.
    const named = namedInFlows(e.w.hosts.get(host), portName);
    if (!named) throw new TraceInputError(`no OVS port "${portName}" on host ${host} in this case`);
    return unnumberedStart(
      e,
      out,
      host,
      named.bridge.name,
      portName,
      packet,
      ` (its flows name it: ${named.from.file}:${named.from.line})`,
    );
  }
  const { bridge, iface } = found;
  // A port named by its Port record whose one interface is named otherwise.
  const alias = e.w.ifaces.get(host)?.get(iface.name);
  if (alias) {
    enterBridge(e, out, alias.bridge, alias.port, clonePacket(packet), 0);
    return alias.bridge.name;
  }
  if (!isUnnumbered(found))
    throw new TraceInputError(
      `OVS port "${portName}" on host ${host} is not an OpenFlow port (${noOpenFlowPort(found)})${ifaceError(iface)}: no packet enters there`,
    );
  return unnumberedStart(e, out, host, bridge.name, portName, packet, ifaceError(iface));
}

/** The start at a port of `bridge` whose OpenFlow number is unknown: a node whose one leaf says so. */
function unnumberedStart(
  e: Engine,
  out: TraceNode[],
  host: string,
  bridge: string,
  portName: string,
  packet: Packet,
  why: string,
): string {
  const node: TraceNode = {
    kind: 'bridge',
    host,
    bridge,
    inPort: portName,
    packet: clonePacket(packet),
    children: [],
  };
  out.push(node);
  notFollowed(
    e,
    node.children,
    { host, name: bridge },
    `in_port ${portName}: OpenFlow port number unknown, not traced`,
    `${host}:${portName} is a port of ${bridge}${why} but the case does not give its OpenFlow port number: what the bridge does with the packet (flows match on in_port) is not traced`,
    [portName],
  );
  return bridge;
}

/**
 * A branch the trace cannot follow because a port's OpenFlow number is unknown: an unproven leaf
 * (never a drop the verdict rests on) and the command that gives the numbers.
 */
export function notFollowed(
  e: Engine,
  out: TraceNode[],
  rb: Pick<RtBridge, 'host' | 'name'>,
  text: string,
  why: string,
  ports: readonly string[],
): void {
  assume(e, ofportAssumption(rb.host, rb.name, ports));
  const saved = e.uncertain;
  e.uncertain ??= ofportUncertainty(why, ofportRemedy(rb.host, rb.name));
  drop(e, out, rb, null, { code: 'ofport-unknown', text });
  e.uncertain = saved;
}

/**
 * A branch the trace cannot follow because the bridge it goes to is not in the case (an unplaced
 * patch peer, an inferred bridge's unknown ports): an unproven leaf (never a dead branch), and the
 * assumption names what to collect. `gap` is carried on the leaf's reason for the doctor.
 */
export function notShown(
  e: Engine,
  out: TraceNode[],
  rb: Pick<RtBridge, 'host' | 'name'>,
  code: 'patch-peer-unplaced' | 'bridge-ports-unknown',
  text: string,
  gap: { text: string; remedy: string },
): void {
  assume(e, { code: code === 'patch-peer-unplaced' ? code : 'bridge-inferred', ...gap });
  const saved = e.uncertain;
  e.uncertain ??= { code, text: gap.text, remedy: gap.remedy };
  drop(e, out, rb, null, { code, text, gap });
  e.uncertain = saved;
}

/**
 * A drop that rests on an absence (no patch peer, no such port, no receiving tunnel port) from an
 * output the case holds only as an excerpt: what is missing may be in the lines it leaves out, so
 * the branch is not proven, and the assumption names the whole output to collect.
 */
export function excerptDrop(
  e: Engine,
  out: TraceNode[],
  rb: Pick<RtBridge, 'host' | 'name'>,
  x: Excerpt,
  what: string,
  reason: DropReason,
): void {
  const why = `${x.file} is an excerpt (${excerptCut(x)}): ${what} may be in what it leaves out`;
  assume(e, {
    code: 'excerpt',
    text: `${rb.host}: ${why}`,
    remedy: `${x.collect}   # on ${rb.host}: the whole output`,
  });
  const saved = e.uncertain;
  e.uncertain ??= {
    code: 'excerpt',
    text: `${rb.host}: ${why}`,
    remedy: `${x.collect}   # on ${rb.host}: the whole output`,
  };
  drop(e, out, rb, null, reason);
  e.uncertain = saved;
}

/**
 * A flood also goes to the bridge's ports without a known number (those `mayGet` accepts), and to
 * the ports an excerpt of its port list leaves out (ofports.ts portsCut): say so, each a branch
 * not followed. A flood the case shows going nowhere is not proven to go nowhere when the list of
 * ports it floods to is cut.
 */
export function floodUnnumbered(
  e: Engine,
  out: TraceNode[],
  rb: RtBridge,
  mayGet: (port: Port) => boolean = () => true,
): void {
  const h = e.w.hosts.get(rb.host);
  // Those held under a stand-in number got their copy: the ones left (OVS could not open them).
  const missed = unnumbered(rb.bridge, h)
    .filter((u) => mayGet(u.port) && !rb.byName.has(u.iface.name))
    .map((u) => u.iface.name);
  if (missed.length)
    notFollowed(
      e,
      out,
      rb,
      `flood to ${portList(missed)}: OpenFlow port numbers unknown, not followed`,
      `${rb.host}:${rb.name}: the flood also goes to ${portList(missed)}, whose OpenFlow port numbers the case does not give`,
      missed,
    );
  const cut = rb.portsUnknown ? [] : portsCut(rb.bridge, h);
  if (cut.length) floodExcerpt(e, out, rb, cut);
}

/**
 * A flood on a bridge whose ports the case knows only from excerpts: the ports they leave out get
 * a copy too, and one may be the way to the target. A branch not followed (never a dead one),
 * whose uncertainty and assumption name the whole outputs to collect.
 */
function floodExcerpt(e: Engine, out: TraceNode[], rb: RtBridge, cut: readonly PortsCut[]): void {
  const files = cut.map((x) => `${x.file} (${x.cut})`);
  const why = `${files.join(' and ')} ${cut.length > 1 ? 'are excerpts' : 'is an excerpt'}: other ports of ${rb.name}, which the flood also goes to, may be in what ${cut.length > 1 ? 'they leave' : 'it leaves'} out`;
  const remedy = `${cut.map((x) => x.collect).join('; ')}   # on ${rb.host}: the whole output${cut.length > 1 ? 's (the ports, and their tags)' : ''}`;
  const u: Uncertainty = { code: 'excerpt', text: `${rb.host}: ${why}`, remedy };
  assume(e, { code: 'excerpt', text: u.text, remedy });
  const saved = e.uncertain;
  e.uncertain ??= u;
  drop(e, out, rb, null, {
    code: 'excerpt-ports',
    text: `flood to the ports of ${rb.name} the case leaves out (an excerpt): not followed`,
  });
  e.uncertain = saved;
}

export function enterBridge(
  e: Engine,
  out: TraceNode[],
  rb: RtBridge,
  inPort: RtPort,
  p: Packet,
  depth: number,
): void {
  if (depth >= MAX_DEPTH) {
    drop(e, out, rb, null, {
      code: 'depth-limit',
      text: 'over max translation depth 64 (patch/resubmit loop?)',
    });
    return;
  }
  p.in_port = inPort.ofport;
  const node: TraceNode = {
    kind: 'bridge',
    host: rb.host,
    bridge: rb.name,
    inPort: inPort.name,
    packet: clonePacket(p),
    ...(rb.inferred ? { inferred: rb.inferred.text } : {}),
    children: [],
  };
  out.push(node);
  assume(e, rb.inferred);
  const saved = e.uncertain;
  const savedExit = e.exited;
  const savedIgnored = e.ignored;
  e.exited = false;
  e.ignored = undefined;
  if (rb.incomplete && !e.uncertain) {
    const cut = e.w.hosts.get(rb.host) && findExcerpt(e.w.hosts.get(rb.host)!, 'flows', rb.name);
    e.uncertain = {
      code: 'dump-incomplete',
      text: rb.incomplete,
      remedy: `${cut ? cut.collect : dumpFlowsCommand(e.w.hosts.get(rb.host), rb.name)}   # on ${rb.host}: the whole dump`,
    };
  }
  try {
    if (!rb.tables) {
      const h = e.w.hosts.get(rb.host);
      const role = h && rb.bridge ? bridgeRole(h, rb.bridge) : undefined;
      const remote = h && rb.bridge ? remoteController(h, rb.bridge) : undefined;
      assume(e, {
        code: 'no-flow-dump',
        // Plain NORMAL is Neutron's default only for frames of a bridge's own ports; a frame entering
        // by a patch or a tunnel meets the agent's VLAN translation (or drop) instead.
        text: `${rb.host}:${rb.name}: no flow dump in the case; assumed \`priority=0 actions=NORMAL\` ${
          role?.role === 'external'
            ? `(not Neutron's: an external OpenFlow controller programs the bridge, ${role.why}, and its flows decide everything)`
            : remote
              ? `(Neutron's default, if Neutron's agent programs the bridge: its controller is remote, Controller "${remote}", the agent on another host or an SDN controller)`
              : inPort.peer !== undefined || inPort.tunnel
                ? `for the frame from the ${inPort.tunnel ? 'tunnel' : 'patch'} ${inPort.name}, though where Neutron's agent programs the bridge its flows translate such a frame's VLAN (or drop it) instead`
                : "(Neutron's default)"
        }`,
        remedy: `${dumpFlowsCommand(e.w.hosts.get(rb.host), rb.name)}   # on ${rb.host}`,
      });
      const t: TraceNode = {
        kind: 'table',
        host: rb.host,
        bridge: rb.name,
        table: 0,
        flow: null,
        assumedNormal: true,
        before: clonePacket(p),
        children: [],
      };
      node.children.push(t);
      const a: TraceNode = { kind: 'action', action: { type: 'normal' }, text: 'NORMAL', children: [] };
      t.children.push(a);
      const before = e.leaves;
      normalSwitch(e, a.children, rb, p, depth + 1);
      // NORMAL sent no copy anywhere (no other port of the frame's VLAN): OVS's "no output".
      if (e.leaves === before)
        drop(e, a.children, rb, 0, {
          code: 'no-output',
          text: 'NORMAL sent no copy: no other port of the bridge takes the frame: the packet is dropped',
        });
      return;
    }
    const before = e.leaves;
    runTable(e, node.children, rb, p, 0, depth);
    // Actions that output nothing (and drop nothing explicitly) drop the packet: OVS's "no output".
    // Not proven when an action the model ignored ran: it may have output the packet.
    if (e.leaves === before) {
      const ignored = ignoredIn(e);
      e.uncertain ??= ignored;
      drop(e, node.children, rb, 0, {
        code: 'no-output',
        text:
          ignored?.code === 'controller'
            ? 'the actions output nothing but to the controller (which may send the packet on)'
            : ignored
              ? 'the actions the model follows output nothing (an action it ignores may output the packet)'
              : 'the actions output nothing: the packet is dropped',
      });
    } else {
      // Outputs the model follows, and an action it ignores that may send the packet elsewhere
      // (to the DHCP server, say): that branch is not followed, so no drop beside it is proven.
      const ignored = ignoredIn(e);
      if (ignored) {
        const kept = e.uncertain;
        e.uncertain ??= ignored;
        drop(e, node.children, rb, null, {
          code: 'ignored-may-output',
          text:
            ignored.code === 'controller'
              ? 'the controller may send the packet on: not followed'
              : 'an action the model ignores may send the packet elsewhere: not followed',
        });
        e.uncertain = kept;
      }
    }
  } finally {
    e.uncertain = saved;
    e.exited = savedExit;
    e.ignored = savedIgnored;
  }
}

function tableNode(
  rb: RtBridge,
  table: number,
  flow: FlowEntry | null,
  p: Packet,
): Extract<TraceNode, { kind: 'table' }> {
  return { kind: 'table', host: rb.host, bridge: rb.name, table, flow, before: clonePacket(p), children: [] };
}

export function runTable(
  e: Engine,
  out: TraceNode[],
  rb: RtBridge,
  p: Packet,
  table: number,
  depth: number,
): void {
  if (
    rb.standIns &&
    !isStandIn(p.in_port) &&
    p.in_port > 0 &&
    p.in_port < OFPP_MAX &&
    !rb.ports.has(p.in_port)
  ) {
    // in_port set to a number (resubmit(N,…), load) no port of the bridge has in the case: it may
    // be one of those known by name only, and flows naming them may match.
    const node = tableNode(rb, table, null, p);
    out.push(node);
    notFollowed(
      e,
      node.children,
      rb,
      `table ${table}: in_port ${p.in_port} may be ${portList(rb.standIns)} (OpenFlow port numbers unknown): not followed`,
      `${rb.host}:${rb.name}: in_port is ${p.in_port}, which may be ${rb.standIns.length === 1 ? '' : 'one of '}${portList(rb.standIns)}, whose OpenFlow port numbers the case does not give: which flows match is not known`,
      rb.standIns,
    );
    return;
  }
  const t = rb.tables?.get(table, p);
  const r = t ? lookup(t, p) : { ambiguous: [] };
  // A flow matching in_port by a number the case gives no port, at this priority or above, when
  // the packet came in on a port known by name only: whether it matches is not known.
  const byNumber = isStandIn(p.in_port)
    ? t?.unsure.find((u) => u.byNumber && u.priority >= (r.flow?.priority ?? -1) && mayMatch(u, p))?.byNumber
    : undefined;
  const node = tableNode(rb, table, byNumber ? null : (r.flow?.entry ?? null), p);
  out.push(node);
  if (byNumber) {
    const name = rb.ports.get(p.in_port)?.name ?? '?';
    notFollowed(
      e,
      node.children,
      rb,
      `table ${table}: \`${byNumber.rule}\` (${byNumber.from.file}:${byNumber.from.line}) matches in_port by number; ${name}'s OpenFlow port number unknown, not followed`,
      `${rb.host}:${rb.name} table ${table}: the flow \`${byNumber.rule}\` (${byNumber.from.file}:${byNumber.from.line}) matches in_port by number, and the case does not give ${name}'s: whether it matches the packet is not known`,
      [name],
    );
    return;
  }
  const saved = e.uncertain;
  // Per-table dumps (BridgeFlows.tables): a table none of them holds is unknown, whatever the
  // lookup finds there (nothing: no proof of a miss); one whose own dump is not whole may lack a
  // flow that outranks what matched. A table they hold whole is judged as in a whole dump.
  const missing = rb.held && !rb.held.has(table);
  if (missing) node.tableUnknown = true;
  if (rb.held && !e.uncertain) e.uncertain = heldUncertainty(e, rb, rb.held, table);
  // A flow the model cannot evaluate at this priority or above could have matched instead.
  // Flows here the model cannot evaluate, unless this packet's in_port or VLAN rules them out.
  let unsure: number | undefined;
  for (const u of t?.unsure ?? []) {
    // By number below the flow that matched: it cannot win (one above it stopped the lookup).
    if (u.byNumber || !mayMatch(u, p)) continue;
    unsupported(e, rb, `flow not evaluated (unsupported match) ${u.text}`);
    unsure = Math.max(unsure ?? -1, u.priority);
  }
  if (unsure !== undefined && unsure >= (r.flow?.priority ?? -1) && !e.uncertain)
    e.uncertain = {
      code: 'unsupported-match',
      text: `${rb.host}:${rb.name} table ${table}: a flow with a match the simulator does not evaluate (priority ${unsure}) could have matched`,
      remedy: notModelledRemedy(rb),
    };
  // A table that learn() writes to, with nothing learned in the dump: a learned flow that would
  // outrank what matched (or the miss) is unknown, so the lookup is an assumption.
  const learn = learnTargets(rb.bridge)?.get(table);
  if (learn && learn.learned === 0 && (r.flow?.priority ?? -1) < learn.priority)
    assume(e, {
      code: 'learn',
      text: `${rb.host}:${rb.name} table ${table}: learn() writes flows here (priority ${learn.priority}) and the dump holds none; taken as nothing learned${r.flow ? ` (the lookup falls to \`${r.flow.rule}\`)` : ''}`,
      remedy: `${dumpFlowsCommand(e.w.hosts.get(rb.host), rb.name, `table=${table}`)}   # on ${rb.host}, after traffic: learned flows appear`,
    });
  try {
    if (!r.flow) {
      // Table miss: OpenFlow 1.3+ and OVS drop (no controller); a standalone bridge's NORMAL is a real flow in dumps.
      if (table === 0 && !missing && !e.uncertain) e.uncertain = agentDefaultMissing(e, rb);
      drop(e, node.children, rb, table, {
        code: 'table-miss',
        text: missing
          ? `table ${table} is in no per-table dump of the case: its flows are unknown`
          : t
            ? 'no flow matches (table miss: drop)'
            : rb.incomplete
              ? `no flow of table ${table} in the dump, which is incomplete: flows may be missing`
              : `table ${table} is empty (table miss: drop)`,
      });
      return;
    }
    const f = r.flow;
    node.rule = f.rule;
    if (r.conjId !== undefined) {
      p.conj_id = r.conjId;
      node.conjId = r.conjId;
    }
    if (r.ambiguous.length) {
      node.ambiguous = r.ambiguous.map((a) => a.entry);
      assume(e, {
        code: 'ambiguous-flows',
        text: `${rb.host}:${rb.name} table ${table}: equal-priority flows overlap (${[f.rule, ...r.ambiguous.map((a) => a.rule)].join(' | ')}); OpenFlow leaves the winner undefined, the first in the dump was used`,
        remedy: 'give the overlapping flows distinct priorities (or tighter matches)',
      });
    }
    execute(e, node.children, rb, p, f, f.flow.actions, table, depth + 1);
    node.after = clonePacket(p);
  } finally {
    e.uncertain = saved;
  }
}

/**
 * A miss in table 0 of the bridge the case takes for Neutron's integration bridge. Its agent always
 * installs a catch-all there (`priority=0 actions=NORMAL`, `priority=1 actions=normal` before
 * Icehouse, `priority=0 actions=resubmit(,60)` or the like since), and a catch-all matches every
 * packet: a miss means the dump lacks it, so it is cut (an abridged paste) or the agent never
 * finished the bridge. Either way the miss is no proof of a drop.
 */
function agentDefaultMissing(e: Engine, rb: RtBridge): Uncertainty | undefined {
  const h = e.w.hosts.get(rb.host);
  if (!h || !rb.bridge) return undefined;
  const role = bridgeRole(h, rb.bridge);
  if (role.role !== 'integration') return undefined;
  const file = rb.bridge.flows.known ? rb.bridge.flows.value.file : undefined;
  return {
    code: 'agent-default-missing',
    text: `${rb.host}:${rb.name} (taken for Neutron's integration bridge: ${role.why}): no flow of table 0${file ? ` in ${file}` : ''} matches, but the table holds no catch-all flow, which Neutron's OVS agent always installs there: the dump is cut, or the agent never finished setting the bridge up`,
    remedy: `${dumpFlowsCommand(h, rb.name)}   # on ${rb.host}: the whole dump`,
  };
}

/**
 * Why a lookup in table `table` of a bridge known from per-table dumps is not proven, if it is
 * not: the table is in none of them (its flows unknown: collect that table), or its dump is an
 * excerpt or incomplete.
 */
function heldUncertainty(
  e: Engine,
  rb: RtBridge,
  held: ReadonlyMap<number, TableDump>,
  table: number,
): Uncertainty | undefined {
  const d = held.get(table);
  const again = `${dumpFlowsCommand(e.w.hosts.get(rb.host), rb.name, `table=${table}`)}   # on ${rb.host}`;
  if (!d) {
    const own = [...held.values()].filter((t) => !t.bridgeDump).map((t) => t.table);
    const bridgeDump = [...held.values()].find((t) => t.bridgeDump)?.file;
    return {
      code: 'excerpt',
      text: `${rb.host}:${rb.name}: table ${table} is in none of the case's per-table dumps of ${rb.name} (tables ${own.join(', ')})${bridgeDump ? ` nor in the bridge's dump ${bridgeDump}, which is not whole` : ''}: its flows are unknown`,
      remedy: again,
    };
  }
  if (d.complete) return undefined;
  const h = e.w.hosts.get(rb.host);
  const x = h?.excerpts?.find((y) => y.of === 'flows' && y.file === d.file);
  // A table no per-table dump holds, as the bridge's own dump (not whole) shows it.
  const dump = d.bridgeDump
    ? `the bridge's dump ${d.file}, which alone shows table ${table},`
    : `the dump of table ${table}, ${d.file},`;
  return x
    ? {
        code: 'excerpt',
        text: `${rb.host}:${rb.name}: ${dump} is an excerpt (${excerptCut(x)}): flows of table ${table} may be missing`,
        remedy: `${again}: the whole table`,
      }
    : {
        code: 'dump-incomplete',
        text: `${rb.host}:${rb.name}: ${dump} is incomplete (cut short or unreadable lines): flows of table ${table} may be missing`,
        remedy: again,
      };
}

export function portNumber(
  rb: RtBridge,
  ref: { kind: string; n?: number; name?: string },
): number | undefined {
  if (ref.kind === 'number') return ref.n;
  if (ref.kind === 'reserved') return ref.name === 'LOCAL' ? OFPP_LOCAL : undefined;
  return ref.name ? rb.byName.get(ref.name)?.ofport : undefined;
}

// ---- Leaving a port: patch, wire to another host, or an endpoint.

export function emit(
  e: Engine,
  out: TraceNode[],
  rb: RtBridge,
  ofport: number,
  p: Packet,
  depth: number,
): void {
  const port = rb.ports.get(ofport);
  const vlan = p.vlans[0]?.vid ?? null;
  if (!port || port.local) {
    if (ofport === OFPP_LOCAL || port?.local) {
      output(e, out, rb, port?.name ?? rb.name, vlan, { kind: 'local', host: rb.host, bridge: rb.name });
      return;
    }
    const missed = unnumbered(rb.bridge, e.w.hosts.get(rb.host)).map((u) => u.iface.name);
    if (missed.length) {
      notFollowed(
        e,
        out,
        rb,
        `output to port ${ofport}: not a port the case numbers on ${rb.name}, not followed`,
        `${rb.host}:${rb.name}: output to port ${ofport}, which may be ${missed.length === 1 ? '' : 'one of '}${portList(missed)} (OpenFlow port numbers unknown)`,
        missed,
      );
      return;
    }
    const reason: DropReason = {
      code: 'no-such-port',
      text: `output to port ${ofport}, which the case does not show on ${rb.name}`,
    };
    const h = e.w.hosts.get(rb.host);
    const cut = h && (findExcerpt(h, 'ofctl-show', rb.name) ?? findExcerpt(h, 'ovsdb'));
    if (cut) excerptDrop(e, out, rb, cut, `port ${ofport}`, reason);
    else drop(e, out, rb, null, reason);
    return;
  }
  if (port.peer) {
    const peer = e.w.ifaces.get(rb.host)?.get(port.peer);
    const hidden = peer ? undefined : findInterface(e.w.hosts.get(rb.host), port.peer);
    if (hidden && isUnnumbered(hidden)) {
      notFollowed(
        e,
        out,
        { host: rb.host, name: hidden.bridge.name },
        `patch port ${port.name} to ${hidden.bridge.name}:${port.peer}: its OpenFlow port number unknown, not followed`,
        `${rb.host}: the patch peer ${hidden.bridge.name}:${port.peer} of ${rb.name}:${port.name} has no OpenFlow port number in the case: ${hidden.bridge.name}'s flows cannot be looked up`,
        [port.peer],
      );
      return;
    }
    if (!peer && port.peerUnplaced) {
      // OVSDB has the peer, the case does not show its bridge: a gap, not a dead patch.
      const h = e.w.hosts.get(rb.host)!;
      const i = port.peerUnplaced;
      const of = i.ofport.known && i.ofport.value !== null ? ` with ofport ${i.ofport.value}` : '';
      const at = i.from[0] ? ` (${i.from[0].file}${i.from[0].line ? `:${i.from[0].line}` : ''})` : '';
      notShown(
        e,
        out,
        rb,
        'patch-peer-unplaced',
        `patch port ${port.name} to ${port.peer}: ${port.peer} is in ${rb.host}'s OVSDB on a bridge the case does not show`,
        {
          text: `${port.peer}, the peer of patch port ${rb.name}:${port.name}, is in ${rb.host}'s OVSDB${of}${at}, but the case does not show which bridge holds it`,
          remedy: peerRemedy(h, port.peer),
        },
      );
      return;
    }
    if (!peer) {
      const reason: DropReason = {
        code: 'patch-peer-missing',
        text: `patch port ${port.name} has no peer ${port.peer} on ${rb.host}`,
      };
      const h = e.w.hosts.get(rb.host);
      const cut = h && findExcerpt(h, 'ovsdb');
      if (cut) excerptDrop(e, out, rb, cut, `the patch peer ${port.peer}`, reason);
      else drop(e, out, rb, null, reason);
      return;
    }
    assume(e, port.peerAssumed);
    assume(e, peer.port.peerAssumed);
    const node: TraceNode = {
      kind: 'patch',
      from: { host: rb.host, bridge: rb.name, port: port.name },
      to: { host: rb.host, bridge: peer.bridge.name, port: peer.port.name },
      ...(port.peerAssumed ? { assumed: port.peerAssumed.text } : {}),
      children: [],
    };
    out.push(node);
    // Crossing a patch port starts a new pipeline: registers and metadata are cleared.
    p.regs.fill(0);
    p.metadata = 0n;
    p.conj_id = 0;
    enterBridge(e, node.children, peer.bridge, peer.port, p, depth + 1);
    return;
  }
  if (port.tunnel) {
    tunnelOut(e, out, rb, port, p, depth);
    return;
  }
  const peers = e.w.links.get(`${rb.host}\u0000${port.name}`);
  if (peers?.length) {
    // A shared segment (the interface wired more than once): the frame reaches every peer, each
    // with its own copy of the packet.
    for (const link of peers)
      wireOut(e, out, rb, port, peers.length > 1 ? clonePacket(p) : p, vlan, link, depth);
    return;
  }
  deliver(e, out, rb, port, vlan, rb.host, port.name, false);
}

/** The frame crosses a wire to one far end: the bridge there, or the device it reaches. */
function wireOut(
  e: Engine,
  out: TraceNode[],
  rb: RtBridge,
  port: RtPort,
  p: Packet,
  vlan: number | null,
  link: { host: string; iface: string },
  depth: number,
): void {
  const node: TraceNode = {
    kind: 'wire',
    from: { host: rb.host, iface: port.name },
    to: { host: link.host, iface: link.iface },
    children: [],
  };
  out.push(node);
  const remote = e.w.ifaces.get(link.host)?.get(link.iface);
  if (remote) {
    enterBridge(e, node.children, remote.bridge, remote.port, p, depth + 1);
    return;
  }
  // An OVS port at the far end, whose number the case does not give: not a device reached.
  const hidden = findInterface(e.w.hosts.get(link.host), link.iface);
  if (hidden && isUnnumbered(hidden)) {
    notFollowed(
      e,
      node.children,
      { host: link.host, name: hidden.bridge.name },
      `wire to ${link.host}:${link.iface}: its OpenFlow port number unknown, not followed`,
      `${link.host}:${link.iface} is a port of ${hidden.bridge.name} without an OpenFlow port number in the case: ${hidden.bridge.name}'s flows cannot be looked up`,
      [link.iface],
    );
    return;
  }
  // A device of the far host that may be the uplink of a bridge inferred there with unknown ports.
  const up = e.w.bridges.find((b) => b.host === link.host && b.uplinkCandidates?.includes(link.iface));
  if (up?.portsUnknown?.remedy) {
    notShown(
      e,
      node.children,
      up,
      'bridge-ports-unknown',
      `wire to ${link.host}:${link.iface}: it may be the uplink of ${up.name}, inferred (not in the case), its ports unknown`,
      { text: up.portsUnknown.text, remedy: up.portsUnknown.remedy },
    );
    return;
  }
  deliver(e, node.children, rb, port, vlan, link.host, link.iface, true);
}

/** The frame leaves OVS for a device: delivered, unless the device is down. */
function deliver(
  e: Engine,
  out: TraceNode[],
  rb: RtBridge,
  port: RtPort,
  vlan: number | null,
  host: string,
  dev: string,
  wired: boolean,
): void {
  const d = resolved(e.w, rb, port, host, dev, wired);
  assume(e, d.assumption);
  if (d.down) {
    drop(e, out, rb, null, { code: 'port-down', text: `${d.down} is DOWN: the frame is not received` });
    return;
  }
  output(e, out, rb, port.name, vlan, d.endpoint);
}

/** Where device `dev` of `host` leads, worked out once per world. */
function resolved(
  w: World,
  rb: RtBridge,
  port: RtPort,
  host: string,
  dev: string,
  wired: boolean,
): ResolvedEndpoint {
  const key = `${host}\u0000${dev}\u0000${wired}`;
  let d = w.endpoints.get(key);
  if (!d) {
    d = endpointOf(w, rb, port, host, dev, wired);
    w.endpoints.set(key, d);
  }
  return d;
}

export interface ResolvedEndpoint {
  endpoint: Endpoint;
  /** The device that is down, when one is. */
  down?: string;
  assumption?: Assumption;
}

function endpointOf(
  w: World,
  rb: RtBridge,
  port: RtPort,
  host: string,
  dev: string,
  wired: boolean,
): ResolvedEndpoint {
  const h = w.hosts.get(host);
  if (!h)
    return { endpoint: { kind: 'uncollected', host, iface: dev, from: { host: rb.host, port: port.name } } };
  const inNs = (name: string, veth?: string): ResolvedEndpoint | undefined => {
    for (const ns of h.namespaces ?? []) {
      const d = ns.devices?.find((x) => x.name === name);
      if (!d) continue;
      const addresses = d.addresses
        .filter((x) => x.family === 'inet')
        .map((x) => `${x.address}/${x.prefixlen}`);
      return {
        endpoint: {
          kind: 'namespace',
          host,
          namespace: ns.name,
          device: name,
          addresses,
          ...(veth ? { veth } : {}),
        },
        ...(d.up ? {} : { down: `namespace ${ns.name} device ${name}` }),
      };
    }
    return undefined;
  };
  const direct = inNs(dev);
  if (direct) return direct;
  const d = h.devices?.find((x) => x.name === dev);
  // Its `@peer` as an `ip link` listing shows it, when the address listing has none.
  const peerOf = d?.peer ?? h.links?.devices.find((x) => x.name === dev)?.peer;
  // Neutron's ovs_use_veth: tap<id> on the bridge, ns-<id> in the namespace.
  if (dev.startsWith('tap')) {
    const peer = inNs(`ns-${dev.slice(3)}`, dev);
    if (peer) {
      const down = peer.down ?? (d && !d.up ? `${host} ${dev}` : undefined);
      return {
        endpoint: peer.endpoint,
        ...(down ? { down } : {}),
        assumption: {
          code: 'veth-peer',
          text: `${host}:${dev} is taken as the veth peer of ns-${dev.slice(3)} (Neutron's tap-/ns- naming${peerOf ? `; ip link shows ${dev}@${peerOf}` : ''})`,
          remedy: `ip -d link show ${shellWord(dev)}   # on ${host}: its peer and peer netns`,
        },
      };
    }
  }
  // What the port is (a VM's, an uplink, ...) says whether the unknown behind it could lead on.
  const role =
    rb.bridge && port.port && host === rb.host
      ? portRole(w.snapshot, h, rb.bridge, port.port).role
      : 'unknown';
  if (d)
    return {
      endpoint: wired ? { kind: 'vm', host, device: dev } : { kind: 'device', host, device: dev, role },
      ...(d.up ? {} : { down: `${host} ${dev}` }),
    };
  if (wired) return { endpoint: { kind: 'vm', host, device: dev } };
  // The DHCP agent's device (portRole: an OVS internal tap<id>) moved into a namespace the case lacks.
  if (role === 'service' && port.name.startsWith('tap'))
    return {
      endpoint: { kind: 'port', host: rb.host, bridge: rb.name, port: port.name, role },
      assumption: {
        code: 'behind-port-unknown',
        text: `${host}:${port.name}: an OVS internal port named tap<id> (the DHCP agent's device) in no namespace of the case: which qdhcp namespace holds it is not known`,
        remedy: namespaceOfRemedy(host, port.name),
      },
    };
  return {
    endpoint: { kind: 'port', host: rb.host, bridge: rb.name, port: port.name, role },
    assumption: {
      code: 'behind-port-unknown',
      text: `${host}:${port.name}: nothing in the case says what is behind this port`,
      remedy: `add the host behind ${escapeControl(port.name)} to the case, or a wire for it in links.txt`,
    },
  };
}
