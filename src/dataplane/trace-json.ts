// The trace as JSON (design.md's contract): one plain object built from the tree. Packets become
// ofproto/trace flow strings, flows their dumped text without cookie/duration/counters, with the
// counters and the file:line beside them. The CLI's --json and the web page print this.
import type { FlowEntry } from '../model/snapshot.ts';
import { formatPacket } from './packet.ts';
import { type TaggedArrival, tagCollect, taggedText } from './tagged.ts';
import { type Drop, ruleText, type Stop, type TraceNode, type TraceResult, type Undecided } from './tree.ts';

function flowJson(e: FlowEntry): object {
  return {
    flow: ruleText(e),
    table: e.flow.table,
    n_packets: e.flow.stats.n_packets ?? null,
    file: e.from.file,
    line: e.from.line,
  };
}

function dropJson(d: Drop): object {
  return {
    host: d.host,
    bridge: d.bridge,
    table: d.table,
    flow: d.flow,
    n_packets: d.n_packets ?? null,
    reason: d.reason,
    branch: d.branch,
    ...(d.entry ? { file: d.entry.from.file, line: d.entry.from.line } : {}),
    ...(d.uncertain ? { uncertain: d.uncertain } : {}),
  };
}

function stopJson(s: Stop): object {
  const { node: _node, ...rest } = s;
  return rest;
}

function undecidedJson(u: Undecided): object {
  const { node: _node, ...rest } = u;
  return rest;
}

/** A tree node as JSON; `branches`: what each dead branch is to the verdict (TraceResult.drops). */
export function nodeJson(
  n: TraceNode,
  inPort?: string,
  branches?: ReadonlyMap<TraceNode, Drop['branch']>,
): object {
  switch (n.kind) {
    case 'bridge':
      return {
        kind: n.kind,
        host: n.host,
        bridge: n.bridge,
        inPort: n.inPort,
        packet: formatPacket(n.packet, n.inPort),
        ...(n.inferred ? { inferred: n.inferred } : {}),
        children: n.children.map((c) => nodeJson(c, n.inPort, branches)),
      };
    case 'table':
      return {
        kind: n.kind,
        host: n.host,
        bridge: n.bridge,
        table: n.table,
        flow: n.flow ? flowJson(n.flow) : null,
        ...(n.assumedNormal ? { assumedNormal: true } : {}),
        ...(n.tableUnknown ? { tableUnknown: true } : {}),
        ...(n.ambiguous ? { ambiguous: n.ambiguous.map(flowJson) } : {}),
        ...(n.conjId !== undefined ? { conjId: n.conjId } : {}),
        before: formatPacket(n.before, inPort),
        ...(n.after ? { after: formatPacket(n.after, inPort) } : {}),
        children: n.children.map((c) => nodeJson(c, inPort, branches)),
      };
    case 'action':
      return {
        kind: n.kind,
        type: n.action.type,
        text: n.text,
        ...(n.note ? { note: n.note } : {}),
        children: n.children.map((c) => nodeJson(c, inPort, branches)),
      };
    case 'normal':
      return {
        kind: n.kind,
        host: n.host,
        bridge: n.bridge,
        vlan: n.vlan ?? null,
        decision: n.decision,
        text: n.text,
        ...(n.fdb ? { fdb: n.fdb } : {}),
        children: n.children.map((c) => nodeJson(c, inPort, branches)),
      };
    case 'patch':
    case 'wire':
    case 'tunnel':
      return { ...n, children: n.children.map((c) => nodeJson(c, inPort)) };
    case 'output':
      return { ...n };
    case 'drop':
      return {
        kind: n.kind,
        host: n.host,
        bridge: n.bridge,
        table: n.table,
        reason: n.reason,
        flow: n.flow ? flowJson(n.flow) : null,
        ...(branches?.has(n) ? { branch: branches.get(n) } : {}),
        ...(n.uncertain ? { uncertain: n.uncertain } : {}),
      };
    case 'unsupported':
      return { ...n };
  }
}

export function traceJson(t: TraceResult): object {
  return {
    verdict: t.verdict,
    target: t.target,
    from: { host: t.start.host, bridge: t.start.bridge, port: t.start.port },
    packet: formatPacket(t.start.packet, t.start.port),
    outputs: t.outputs.map((o) => ({ host: o.host, bridge: o.bridge, port: o.port, vlan: o.vlan })),
    reached: t.reached,
    drop: t.drop ? dropJson(t.drop) : null,
    drops: t.drops.map(dropJson),
    stop: t.stop ? stopJson(t.stop) : null,
    undecided: t.undecided.map(undecidedJson),
    uncertain: t.uncertain,
    tree: nodeJson(t.tree, undefined, new Map(t.drops.map((d) => [d.node, d.branch]))),
    assumptions: t.assumptions,
    unsupported: t.unsupported,
    arrival: t.arrival ? { how: t.arrival.how, tagged: t.arrival.tagged.map(taggedJson) } : null,
    // What the walk said when the verdict is 'incomplete' only because that rests on unproven steps.
    ...(t.walked ? { walked: t.walked } : {}),
  };
}

/** A tagged arrival: where, who output it, the port's tag as the case gives it, and why (`text`). */
function taggedJson(a: TaggedArrival): object {
  return {
    host: a.host,
    bridge: a.node.bridge,
    port: a.port,
    vlan: a.vlan,
    portTag: a.portTag,
    by:
      a.by.kind === 'output'
        ? { kind: 'output', action: a.by.action, flow: a.by.flow ? flowJson(a.by.flow) : null }
        : { kind: 'normal' },
    known: a.known,
    guest: a.guest,
    text: taggedText(a, { host: true }),
    ...(a.known ? {} : { collect: tagCollect(a) }),
  };
}
