// One handler per action kind, in a table shaped like src/openflow/actions.ts's parsers: adding
// an action to the simulator is one parser row there and one handler here (the mapped type makes
// a missing handler a type error). A handler appends its effects under the action's node.
import { formatAction } from '../openflow/actions.ts';
import type { Action, ActionType, FieldRef } from '../openflow/types.ts';
import type { CompiledFlow } from './classifier.ts';
import { readBits, writeBits, writeField } from './fields.ts';
import { normalSwitch } from './normal.ts';
import { unnumbered } from './ofports.ts';
import { clonePacket, type Packet } from './packet.ts';
import {
  assume,
  drop,
  type Engine,
  emit,
  floodUnnumbered,
  ignoredAction,
  MAX_DEPTH,
  MAX_RESUBMITS,
  notFollowed,
  notModelledRemedy,
  portNumber,
  runTable,
  unsupported,
} from './trace.ts';
import type { ActionAt, TraceNode } from './tree.ts';
import { isStandIn, OFPP_LOCAL, type RtBridge } from './world.ts';

/** What a handler sees: the bridge, the packet (mutable), the flow and the node to append to. */
export interface Frame {
  e: Engine;
  rb: RtBridge;
  p: Packet;
  f: CompiledFlow;
  table: number;
  depth: number;
  node: Extract<TraceNode, { kind: 'action' }>;
}

/** `stop`: the rest of the action list is not executed (drop, goto_table). */
type Handler<K extends ActionType> = (fr: Frame, a: Extract<Action, { type: K }>) => undefined | 'stop';

/** Where the flow running the action is: `file:line`. */
function at(fr: Frame): string {
  return `${fr.f.entry.from.file}:${fr.f.entry.from.line}`;
}

function notModelled(fr: Frame, what: string): void {
  fr.node.note = 'not modelled: ignored';
  unsupported(
    fr.e,
    fr.rb,
    `${fr.node.text} (${at(fr)}): ${what}; ignored, what follows it is not proven`,
    fr.f.entry.from,
  );
  ignoredAction(fr.e, {
    code: 'unsupported-action',
    text: `${fr.rb.host}:${fr.rb.name}: ${fr.node.text} is not modelled (${at(fr)})`,
    remedy: notModelledRemedy(fr.rb),
    at: actionAt(fr, what),
  });
}

function actionAt(fr: Frame, why: string): ActionAt {
  const { file, line } = fr.f.entry.from;
  return { host: fr.rb.host, bridge: fr.rb.name, table: fr.table, action: fr.node.text, why, file, line };
}

function out(fr: Frame, n: number): void {
  emit(fr.e, fr.node.children, fr.rb, n, clonePacket(fr.p), fr.depth + 1);
}

function dropByFlow(fr: Frame): 'stop' {
  drop(fr.e, fr.node.children, fr.rb, fr.table, { code: 'drop-flow', text: 'dropped by a flow' }, fr.f.entry);
  return 'stop';
}

function setVid(p: Packet, vid: number): void {
  if (p.vlans.length) p.vlans[0]!.vid = vid;
  else p.vlans.unshift({ tpid: 0x8100, vid, pcp: 0 });
}

const none = (): undefined => undefined;

function output(fr: Frame, port: { kind: string; n?: number; name?: string }): undefined {
  const n = portNumber(fr.rb, port);
  const hidden =
    n === undefined && port.kind === 'name'
      ? unnumbered(fr.rb.bridge, fr.e.w.hosts.get(fr.rb.host)).find((u) => u.iface.name === port.name)?.iface
          .name
      : undefined;
  if (hidden !== undefined) {
    fr.node.note = 'OpenFlow port number unknown: not followed';
    notFollowed(
      fr.e,
      fr.node.children,
      fr.rb,
      `output to ${hidden}: its OpenFlow port number unknown, not followed`,
      `${fr.rb.host}:${fr.rb.name}: ${hidden} has no OpenFlow port number in the case: where the packet goes from there is not traced`,
      [hidden],
    );
  } else if (n === undefined) fr.node.note = 'no such port on the bridge';
  else if (n === fr.p.in_port) fr.node.note = 'skipping output to input port';
  else out(fr, n);
  return undefined;
}

/**
 * The action reads in_port as a value while the packet came in on a port whose OpenFlow number
 * the case does not give (world.ts: a stand-in): what it computes from it is not known, so the
 * branch is not followed (true), never run on the stand-in.
 */
function readsStandIn(fr: Frame, src: FieldRef): boolean {
  if ((src.field ?? src.name) !== 'in_port' || !isStandIn(fr.p.in_port)) return false;
  const name = fr.rb.ports.get(fr.p.in_port)?.name ?? '?';
  fr.node.note = 'in_port as a number: unknown, not followed';
  notFollowed(
    fr.e,
    fr.node.children,
    fr.rb,
    `${fr.node.text}: in_port ${name}: its OpenFlow port number unknown, not followed`,
    `${fr.rb.host}:${fr.rb.name}: ${fr.node.text} (${at(fr)}) uses in_port as a number, and the case does not give ${name}'s`,
    [name],
  );
  return true;
}

export const HANDLERS: { readonly [K in ActionType]: Handler<K> } = {
  drop: (fr) => dropByFlow(fr),
  output: (fr, a) => output(fr, a.port),
  enqueue: (fr, a) => output(fr, a.port),
  output_reg: (fr, a) => {
    if (readsStandIn(fr, a.src)) return undefined;
    const v = readBits(fr.p, a.src.field ?? a.src.name, a.src.start, a.src.end);
    if (v === undefined) return void notModelled(fr, `field ${a.src.name} is not modelled`);
    const n = Number(v);
    fr.node.note = `port ${n}`;
    if (n !== fr.p.in_port) out(fr, n);
    return undefined;
  },
  in_port: (fr) => void out(fr, fr.p.in_port),
  local: (fr) => {
    if (fr.p.in_port !== OFPP_LOCAL) out(fr, OFPP_LOCAL);
    return undefined;
  },
  normal: (fr) => void normalSwitch(fr.e, fr.node.children, fr.rb, fr.p, fr.depth + 1),
  flood: (fr) => flood(fr),
  all: (fr) => flood(fr),
  controller: (fr) => {
    fr.node.note = 'sent to the controller (what it does next is not modelled)';
    unsupported(
      fr.e,
      fr.rb,
      `${fr.node.text} (${at(fr)}): the controller's reaction is not modelled`,
      fr.f.entry.from,
    );
    // The packet goes on unchanged (what follows is as proven as before), but the controller may
    // send it out again: that the pipeline outputs nothing is no proven drop.
    fr.e.ignored ??= {
      code: 'controller',
      text: `${fr.rb.host}:${fr.rb.name}: ${fr.node.text} (${at(fr)}) sends the packet to the controller, whose reaction the case does not show`,
      remedy: notModelledRemedy(fr.rb),
      at: actionAt(fr, 'it sends the packet to the controller, whose reaction the case does not show'),
    };
    return undefined;
  },
  mod_vlan_vid: (fr, a) => void setVid(fr.p, a.vid),
  mod_vlan_pcp: (fr, a) => {
    if (fr.p.vlans.length) fr.p.vlans[0]!.pcp = a.pcp;
    else fr.p.vlans.unshift({ tpid: 0x8100, vid: 0, pcp: a.pcp });
    return undefined;
  },
  strip_vlan: (fr) => void fr.p.vlans.shift(),
  pop_vlan: (fr) => void fr.p.vlans.shift(),
  push_vlan: (fr, a) => {
    // The new tag copies the VID/PCP of the current outer tag, or 0.
    const p = fr.p;
    p.vlans.unshift({ tpid: a.ethertype, vid: p.vlans[0]?.vid ?? 0, pcp: p.vlans[0]?.pcp ?? 0 });
    return undefined;
  },
  set_field: (fr, a) => {
    const field = a.dst.field ?? a.dst.name;
    const v = a.value;
    const num =
      v.t === 'big' || v.t === 'ipv6' ? v.v : 'v' in v && typeof v.v === 'number' ? BigInt(v.v) : undefined;
    if (num === undefined || !writeField(fr.p, field, num)) notModelled(fr, `field ${field} is not modelled`);
    return undefined;
  },
  load: (fr, a) => {
    const field = a.dst.field ?? a.dst.name;
    if (!writeBits(fr.p, field, a.value, a.dst.start, a.dst.end))
      notModelled(fr, `field ${a.dst.name} is not modelled`);
    return undefined;
  },
  move: (fr, a) => {
    if (readsStandIn(fr, a.src)) return 'stop';
    const v = readBits(fr.p, a.src.field ?? a.src.name, a.src.start, a.src.end);
    if (v === undefined || !writeBits(fr.p, a.dst.field ?? a.dst.name, v, a.dst.start, a.dst.end))
      notModelled(fr, 'field not modelled');
    return undefined;
  },
  resubmit: (fr, a) => {
    const { e, rb, p } = fr;
    e.resubmits++;
    if (e.resubmits > MAX_RESUBMITS || fr.depth >= MAX_DEPTH) {
      drop(
        e,
        fr.node.children,
        rb,
        fr.table,
        { code: 'depth-limit', text: 'over max translation depth / resubmit limit' },
        fr.f.entry,
      );
      return 'stop';
    }
    const saved = p.in_port;
    if (a.port) {
      const n = portNumber(rb, a.port);
      if (n !== undefined) p.in_port = n;
    }
    if (a.ct) unsupported(e, rb, `resubmit(,${a.table},ct): the conntrack original tuple is not modelled`);
    runTable(e, fr.node.children, rb, p, a.table ?? fr.table, fr.depth + 1);
    p.in_port = saved;
    return undefined;
  },
  goto_table: (fr, a) => {
    runTable(fr.e, fr.node.children, fr.rb, fr.p, a.table, fr.depth + 1);
    return 'stop';
  },
  ct: (fr, a) => {
    const tableArg = a.args.find((x) => x.kind === 'table');
    fr.node.note = 'conntrack assumed: ct_state=+trk+new (a first packet)';
    assume(fr.e, {
      code: 'conntrack',
      text: `${fr.rb.host}:${fr.rb.name}: ${fr.node.text}: connection tracking is not modelled; the packet is assumed a new connection (ct_state=+new+trk)`,
      remedy: `ovs-appctl dpctl/dump-conntrack   # on ${fr.rb.host}: the connection's real state`,
    });
    if (tableArg && tableArg.kind === 'table') {
      const q = clonePacket(fr.p);
      q.ct_state = 0x21;
      runTable(fr.e, fr.node.children, fr.rb, q, tableArg.table, fr.depth + 1);
    }
    return undefined;
  },
  // learn() adds a flow for later packets; like ofproto/trace, the trace does not execute it. What
  // was learned before collection is in the dump; a lookup in the learned table without any is
  // an assumption (runTable).
  learn: (fr) => {
    fr.node.text = 'learn(...)';
    fr.node.note = 'adds a flow for later packets; not executed by a trace (as ofproto/trace)';
    return undefined;
  },
  conjunction: none,
  note: none,
  set_queue: none,
  pop_queue: none,
  mod_dl_src: (fr, a) => {
    fr.p.dl_src = a.mac;
    return undefined;
  },
  mod_dl_dst: (fr, a) => {
    fr.p.dl_dst = a.mac;
    return undefined;
  },
  mod_nw_src: (fr, a) => {
    fr.p.nw_src = a.ip;
    return undefined;
  },
  mod_nw_dst: (fr, a) => {
    fr.p.nw_dst = a.ip;
    return undefined;
  },
  mod_nw_tos: (fr, a) => {
    fr.p.nw_tos = a.tos & 0xfc;
    return undefined;
  },
  mod_tp_src: (fr, a) => {
    fr.p.tp_src = a.port;
    return undefined;
  },
  mod_tp_dst: (fr, a) => {
    fr.p.tp_dst = a.port;
    return undefined;
  },
  dec_ttl: (fr) => {
    const p = fr.p;
    if (p.dl_type === 0x0800 && p.nw_ttl <= 1) {
      drop(
        fr.e,
        fr.node.children,
        fr.rb,
        fr.table,
        { code: 'ttl-exceeded', text: 'dec_ttl: TTL exceeded' },
        fr.f.entry,
      );
      return 'stop';
    }
    if (p.dl_type === 0x0800) p.nw_ttl--;
    return undefined;
  },
  check_pkt_larger: (fr, a) => {
    if (a.len < ASSUMED_MAX_LEN) return unmodelled(fr, 'the packet length is not modelled');
    assume(fr.e, {
      code: 'packet-length',
      text: `${fr.rb.host}:${fr.rb.name}: ${fr.node.text}: the traced packet is taken as at most ${ASSUMED_MAX_LEN} bytes (a DHCP message), so not larger than ${a.len}`,
      remedy: 'trace with the real packet length in ofproto/trace on the host',
    });
    if (!writeBits(fr.p, a.dst.field ?? a.dst.name, 0n, a.dst.start, a.dst.end))
      notModelled(fr, `field ${a.dst.name} is not modelled`);
    return undefined;
  },
  clone: (fr, a) => {
    // The clone's actions run on a copy; the original continues unchanged.
    execute(fr.e, fr.node.children, fr.rb, clonePacket(fr.p), fr.f, a.actions, fr.table, fr.depth + 1);
    return undefined;
  },
  ct_clear: (fr) => {
    fr.p.ct_state = 0;
    fr.p.ct_zone = 0;
    fr.p.ct_mark = 0;
    return undefined;
  },
  group: (fr) => unmodelled(fr, 'group tables are not in the case'),
  meter: (fr) => {
    fr.node.note = 'rate limiting is not modelled: the packet is taken as within the rate';
    return undefined;
  },
  output_trunc: (fr, a) => output(fr, a.port),
  args: (fr, a) => {
    // sample and fin_timeout never change where a packet goes; the others do.
    if (a.name === 'sample' || a.name === 'fin_timeout') {
      fr.node.note = 'no effect on forwarding';
      return undefined;
    }
    return unmodelled(fr, `${a.name} is not simulated`);
  },
  push_mpls: (fr) => unmodelled(fr, 'MPLS is not modelled'),
  pop_mpls: (fr) => unmodelled(fr, 'MPLS is not modelled'),
  set_mpls: (fr) => unmodelled(fr, 'MPLS is not modelled'),
  dec_mpls_ttl: (fr) => unmodelled(fr, 'MPLS is not modelled'),
  set_tunnel: (fr, a) => {
    fr.p.tun_id = a.id;
    return undefined;
  },
  mod_nw_ecn: (fr, a) => {
    fr.p.nw_tos = (fr.p.nw_tos & 0xfc) | (a.ecn & 3);
    return undefined;
  },
  mod_nw_ttl: (fr, a) => {
    fr.p.nw_ttl = a.ttl & 0xff;
    return undefined;
  },
  delete_field: (fr) => unmodelled(fr, 'TLV fields are not modelled'),
  write_metadata: (fr, a) => {
    const mask = a.value.m ?? 0xffffffffffffffffn;
    fr.p.metadata = (fr.p.metadata & ~mask) | (a.value.v & mask);
    return undefined;
  },
  stack: (fr) => unmodelled(fr, 'the field stack is not modelled'),
  write_actions: (fr) => unmodelled(fr, 'the OpenFlow action set is not modelled'),
  clear_actions: none,
  exit: (fr) => {
    // exit halts every action still pending in this bridge's pipeline, resubmit callers included.
    fr.e.exited = true;
    return 'stop';
  },
  debug: none,
  unsupported: (fr) => unmodelled(fr, 'unknown action'),
};

/** An action the simulator does not model and that may change where the packet goes. */
function unmodelled(fr: Frame, why: string): undefined {
  fr.node.note = 'NOT MODELLED: ignored';
  unsupported(
    fr.e,
    fr.rb,
    `action ${fr.node.text} (${at(fr)}) is not modelled (${why}); the trace went on without it, and what follows it is not proven`,
    fr.f.entry.from,
  );
  ignoredAction(fr.e, {
    code: 'unsupported-action',
    text: `${fr.rb.host}:${fr.rb.name}: action ${fr.node.text} is not modelled (${why}; ${at(fr)})`,
    remedy: notModelledRemedy(fr.rb),
    at: actionAt(fr, why),
  });
  return undefined;
}

/** The largest DHCP message a client must accept is 576 bytes (RFC 2131): traced frames are smaller. */
const ASSUMED_MAX_LEN = 576;

function flood(fr: Frame): undefined {
  // Every port but the input one, the bridge's LOCAL port included.
  for (const port of fr.rb.ports.values())
    if (port.ofport !== fr.p.in_port && port.ofport !== OFPP_LOCAL) out(fr, port.ofport);
  if (fr.p.in_port !== OFPP_LOCAL) out(fr, OFPP_LOCAL);
  floodUnnumbered(fr.e, fr.node.children, fr.rb);
  return undefined;
}

/**
 * Run an action list. The uncertainty an unsupported action raises covers the rest of this list
 * and everything it leads to, and ends with it (the caller's frame restores it).
 */
export function execute(
  e: Engine,
  out: TraceNode[],
  rb: RtBridge,
  p: Packet,
  f: CompiledFlow,
  actions: readonly Action[],
  table: number,
  depth: number,
): void {
  if (actions.length === 0) {
    drop(e, out, rb, table, { code: 'drop-flow', text: 'dropped by a flow (no actions)' }, f.entry);
    return;
  }
  for (let ai = 0; ai < actions.length; ai++) {
    const a = actions[ai]!;
    const node: Extract<TraceNode, { kind: 'action' }> = {
      kind: 'action',
      action: a,
      text: actions === f.flow.actions ? f.actionTexts[ai]! : formatAction(a),
      children: [],
    };
    out.push(node);
    const h = HANDLERS[a.type] as Handler<typeof a.type>;
    if (h({ e, rb, p, f, table, depth, node }, a as never) === 'stop' || e.exited) return;
  }
}
