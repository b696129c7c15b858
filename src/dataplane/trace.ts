// The trace engine: walks a packet through flow tables, NORMAL, patch ports and wires between
// hosts, recording a typed tree of steps (like ofproto/trace, across hosts). Every default it
// assumes and every action or field it does not model is recorded and printed.
import { VifpathError } from '../errors/errors.ts';
import { formatAction } from '../openflow/actions.ts';
import type { Action, FieldRef } from '../openflow/types.ts';
import { type CompiledFlow, lookup } from './classifier.ts';
import { clonePacket, formatPacket, type Packet, setPacketField } from './packet.ts';
import { OFPP_LOCAL, type RtBridge, type RtPort, type World } from './world.ts';

export const MAX_DEPTH = 64;
const NO_FDB =
  'NORMAL: no MAC learning table in the case; frames flood as if no address were learned (collect `ovs-appctl fdb/show <bridge>`)';
export const MAX_RESUBMITS = 4096;

export type Step =
  | {
      kind: 'bridge';
      host: string;
      bridge: string;
      inPort: string;
      packet: string;
      depth: number;
      inferred?: string;
    }
  | {
      kind: 'table';
      table: number;
      depth: number;
      flow?: { rule: string; text: string; n_packets?: number; file: string; line: number };
      miss?: string;
      ambiguous?: string[];
      conjId?: number;
    }
  | { kind: 'action'; text: string; depth: number; note?: string }
  | { kind: 'normal'; depth: number; vlan?: number; text: string }
  | { kind: 'output'; depth: number; port: string; vlan: number | null; endpoint: string }
  | { kind: 'drop'; depth: number; reason: string }
  | { kind: 'cross'; depth: number; via: 'patch' | 'wire'; from: string; to: string; assumed?: string };

export interface Output {
  host: string;
  bridge: string;
  port: string;
  vlan: number | null;
  /** Where the frame goes from there: `namespace qdhcp-…`, `host vm`, `bridge LOCAL`, `unknown`. */
  endpoint: string;
  local: boolean;
}

export interface Drop {
  host: string;
  bridge: string;
  table: number | null;
  flow: string | null;
  n_packets?: number;
  reason: string;
  evidence?: { file: string; line: number };
}

export interface TraceResult {
  verdict: 'delivered' | 'dropped' | 'local-only';
  outputs: Output[];
  drop: Drop | null;
  drops: Drop[];
  hops: Step[];
  assumptions: string[];
  unsupported: string[];
  start: { host: string; bridge: string; port: string; packet: string };
}

interface Ctx {
  w: World;
  steps: Step[];
  outputs: Output[];
  drops: Drop[];
  assumptions: Set<string>;
  unsupported: Set<string>;
  resubmits: number;
}

function assume(ctx: Ctx, text: string | undefined): void {
  if (text) ctx.assumptions.add(text);
}

/** Trace a packet entering `host`'s port `portName`. */
export function trace(w: World, host: string, portName: string, packet: Packet): TraceResult {
  const hit = w.ifaces.get(host)?.get(portName);
  if (!hit) throw new TraceInputError(`no OVS port "${portName}" on host ${host} in this case`);
  const ctx: Ctx = {
    w,
    steps: [],
    outputs: [],
    drops: [],
    assumptions: new Set(),
    unsupported: new Set(),
    resubmits: 0,
  };
  for (const b of w.bridges)
    if (b.unsupported.length)
      for (const u of b.unsupported)
        ctx.unsupported.add(`${b.host}:${b.name}: flow not evaluated (unsupported match) ${u}`);
  const p = clonePacket(packet);
  enterBridge(ctx, hit.bridge, hit.port, p, 0);
  const real = ctx.outputs.filter((o) => !o.local);
  const verdict =
    real.length > 0
      ? 'delivered'
      : ctx.outputs.length > 0 && ctx.drops.length === 0
        ? 'local-only'
        : 'dropped';
  // The drop that matters: the last one recorded on the deepest path (where the packet got furthest).
  const drop = ctx.drops.length
    ? ctx.drops.reduce((a, b) =>
        b.table !== null && a.table === null ? b : a.flow === null && b.flow !== null ? b : a,
      )
    : null;
  return {
    verdict,
    outputs: ctx.outputs,
    drop: verdict === 'delivered' ? null : drop,
    drops: ctx.drops,
    hops: ctx.steps,
    assumptions: [...ctx.assumptions],
    unsupported: [...ctx.unsupported],
    start: new Start(host, hit.bridge.name, portName, clonePacket(packet)),
  };
}

export class TraceInputError extends VifpathError {}

/**
 * Packet texts are rendered when read (text output, JSON), not while tracing: most traces in a
 * diagnosis or a benchmark are never printed, and formatting is the costliest part of a hop.
 */
class BridgeStep {
  readonly kind = 'bridge' as const;
  constructor(
    readonly host: string,
    readonly bridge: string,
    readonly inPort: string,
    private readonly pkt: Packet,
    readonly depth: number,
    readonly inferred?: string,
  ) {}
  get packet(): string {
    return formatPacket(this.pkt, this.inPort);
  }
  toJSON(): object {
    const { kind, host, bridge, inPort, packet, depth, inferred } = this;
    return { kind, host, bridge, inPort, packet, depth, ...(inferred ? { inferred } : {}) };
  }
}

class Start {
  constructor(
    readonly host: string,
    readonly bridge: string,
    readonly port: string,
    private readonly pkt: Packet,
  ) {}
  get packet(): string {
    return formatPacket(this.pkt, this.port);
  }
  toJSON(): object {
    return { host: this.host, bridge: this.bridge, port: this.port, packet: this.packet };
  }
}

export interface Endpoint {
  text: string;
  down: boolean;
  /** What had to be assumed to find it. */
  assumption?: string;
}

const FLOOD_TEXT = new Map<number, string>();
function floodText(vlan: number): string {
  let t = FLOOD_TEXT.get(vlan);
  if (t === undefined) {
    t = `VLAN ${vlan}: no learned MAC for destination, flooding`;
    FLOOD_TEXT.set(vlan, t);
  }
  return t;
}

function enterBridge(ctx: Ctx, rb: RtBridge, inPort: RtPort, p: Packet, depth: number): void {
  if (depth >= MAX_DEPTH) {
    ctx.steps.push({ kind: 'drop', depth, reason: 'over max translation depth 64 (patch/resubmit loop?)' });
    ctx.drops.push({
      host: rb.host,
      bridge: rb.name,
      table: null,
      flow: null,
      reason: 'over max translation depth',
    });
    return;
  }
  p.in_port = inPort.ofport;
  ctx.steps.push(new BridgeStep(rb.host, rb.name, inPort.name, clonePacket(p), depth, rb.inferred));
  assume(ctx, rb.inferred);
  if (!rb.tables) {
    assume(
      ctx,
      `${rb.host}:${rb.name}: no flow dump in the case; assumed \`priority=0 actions=NORMAL\` (Neutron's default); collect \`ovs-ofctl -O OpenFlow13 dump-flows ${rb.name}\``,
    );
    ctx.steps.push({
      kind: 'table',
      table: 0,
      depth,
      miss: 'no flow dump: assumed priority=0 actions=NORMAL',
    });
    normal(ctx, rb, inPort, p, depth + 1);
    return;
  }
  runTable(ctx, rb, inPort, p, 0, depth);
}

function runTable(ctx: Ctx, rb: RtBridge, inPort: RtPort, p: Packet, table: number, depth: number): void {
  const t = rb.tables?.get(table);
  const r = t ? lookup(t, p) : { ambiguous: [] };
  if (!r.flow) {
    // Table miss: OpenFlow 1.3+ and OVS drop (no controller); a standalone bridge's NORMAL is a real flow in dumps.
    const why = t ? 'no flow matches (table miss: drop)' : `table ${table} is empty (table miss: drop)`;
    ctx.steps.push({ kind: 'table', table, depth, miss: why });
    ctx.drops.push({ host: rb.host, bridge: rb.name, table, flow: null, reason: why });
    return;
  }
  const f = r.flow;
  if (r.conjId !== undefined) p.conj_id = r.conjId;
  const amb = r.ambiguous.map((a) => a.rule);
  if (amb.length)
    ctx.assumptions.add(
      `${rb.host}:${rb.name} table ${table}: equal-priority flows overlap (${[f.rule, ...amb].join(' | ')}); OpenFlow leaves the winner undefined, the first in the dump was used`,
    );
  ctx.steps.push({
    kind: 'table',
    table,
    depth,
    flow: {
      rule: f.rule,
      text: f.entry.text,
      ...(f.flow.stats.n_packets !== undefined ? { n_packets: f.flow.stats.n_packets } : {}),
      file: f.entry.from.file,
      line: f.entry.from.line,
    },
    ...(amb.length ? { ambiguous: amb } : {}),
    ...(r.conjId !== undefined ? { conjId: r.conjId } : {}),
  });
  execute(ctx, rb, inPort, p, f, f.flow.actions, table, depth + 1);
}

function dropFlow(ctx: Ctx, rb: RtBridge, f: CompiledFlow, table: number, depth: number): void {
  ctx.steps.push({ kind: 'drop', depth, reason: 'drop' });
  ctx.drops.push({
    host: rb.host,
    bridge: rb.name,
    table,
    flow: f.rule,
    ...(f.flow.stats.n_packets !== undefined ? { n_packets: f.flow.stats.n_packets } : {}),
    reason: 'dropped by a flow',
    evidence: f.entry.from,
  });
}

function execute(
  ctx: Ctx,
  rb: RtBridge,
  inPort: RtPort,
  p: Packet,
  f: CompiledFlow,
  actions: readonly Action[],
  table: number,
  depth: number,
): void {
  if (actions.length === 0 || (actions.length === 1 && actions[0]!.type === 'drop')) {
    dropFlow(ctx, rb, f, table, depth);
    return;
  }
  for (let ai = 0; ai < actions.length; ai++) {
    const a = actions[ai]!;
    const text = actions === f.flow.actions ? f.actionTexts[ai]! : formatAction(a);
    switch (a.type) {
      case 'drop':
        dropFlow(ctx, rb, f, table, depth);
        return;
      case 'output':
      case 'enqueue': {
        const n = portNumber(rb, a.port);
        if (n === undefined) {
          ctx.steps.push({ kind: 'action', text, depth, note: 'no such port on the bridge' });
          break;
        }
        if (n === p.in_port) {
          ctx.steps.push({ kind: 'action', text, depth, note: 'skipping output to input port' });
          break;
        }
        ctx.steps.push({ kind: 'action', text, depth });
        emit(ctx, rb, n, clonePacket(p), depth + 1);
        break;
      }
      case 'output_reg': {
        const n = Number(readBits(p, a.src));
        ctx.steps.push({ kind: 'action', text, depth, note: `port ${n}` });
        if (n !== p.in_port) emit(ctx, rb, n, clonePacket(p), depth + 1);
        break;
      }
      case 'in_port':
        ctx.steps.push({ kind: 'action', text, depth });
        emit(ctx, rb, p.in_port, clonePacket(p), depth + 1);
        break;
      case 'local':
        ctx.steps.push({ kind: 'action', text, depth });
        if (p.in_port !== OFPP_LOCAL) emit(ctx, rb, OFPP_LOCAL, clonePacket(p), depth + 1);
        break;
      case 'normal':
        ctx.steps.push({ kind: 'action', text, depth });
        normal(ctx, rb, inPort, p, depth + 1); // NORMAL copies the packet per output; p is left as it was
        break;
      case 'flood':
      case 'all':
        ctx.steps.push({ kind: 'action', text, depth });
        // Every port but the input one, the bridge's LOCAL port included.
        for (const port of rb.ports.values())
          if (port.ofport !== p.in_port && port.ofport !== OFPP_LOCAL)
            emit(ctx, rb, port.ofport, clonePacket(p), depth + 1);
        if (p.in_port !== OFPP_LOCAL) emit(ctx, rb, OFPP_LOCAL, clonePacket(p), depth + 1);
        break;
      case 'controller':
        ctx.steps.push({
          kind: 'action',
          text,
          depth,
          note: 'sent to the controller (what it does next is not modelled)',
        });
        ctx.unsupported.add(`${rb.host}:${rb.name}: ${text}: the controller's reaction is not modelled`);
        break;
      case 'mod_vlan_vid':
        if (p.vlans.length) p.vlans[0]!.vid = a.vid;
        else p.vlans.unshift({ tpid: 0x8100, vid: a.vid, pcp: 0 });
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'mod_vlan_pcp':
        if (p.vlans.length) p.vlans[0]!.pcp = a.pcp;
        else p.vlans.unshift({ tpid: 0x8100, vid: 0, pcp: a.pcp });
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'strip_vlan':
      case 'pop_vlan':
        p.vlans.shift();
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'push_vlan':
        // The new tag copies the VID/PCP of the current outer tag, or 0.
        p.vlans.unshift({ tpid: a.ethertype, vid: p.vlans[0]?.vid ?? 0, pcp: p.vlans[0]?.pcp ?? 0 });
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'set_field': {
        const field = a.dst.field ?? a.dst.name;
        const v = a.value;
        const num =
          v.t === 'big' || v.t === 'ipv6' ? v.v : 'v' in v && typeof v.v === 'number' ? v.v : undefined;
        if (field === 'vlan_vid' && typeof num === 'number') {
          if (p.vlans.length) p.vlans[0]!.vid = num & 0xfff;
          else p.vlans.unshift({ tpid: 0x8100, vid: num & 0xfff, pcp: 0 });
        } else if (field === 'vlan_pcp' && typeof num === 'number') {
          if (p.vlans.length) p.vlans[0]!.pcp = num & 7;
        } else if (num === undefined || !setPacketField(p, field, num)) {
          ctx.unsupported.add(`${rb.host}:${rb.name}: ${text}: field ${field} is not modelled; ignored`);
          ctx.steps.push({ kind: 'action', text, depth, note: 'not modelled: ignored' });
          break;
        }
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      }
      case 'load':
        if (!writeBits(p, a.dst, a.value)) {
          ctx.unsupported.add(`${rb.host}:${rb.name}: ${text}: field ${a.dst.name} is not modelled; ignored`);
          ctx.steps.push({ kind: 'action', text, depth, note: 'not modelled: ignored' });
        } else ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'move': {
        const v = readBits(p, a.src);
        if (v === undefined || !writeBits(p, a.dst, v)) {
          ctx.unsupported.add(`${rb.host}:${rb.name}: ${text}: field not modelled; ignored`);
          ctx.steps.push({ kind: 'action', text, depth, note: 'not modelled: ignored' });
        } else ctx.steps.push({ kind: 'action', text, depth });
        break;
      }
      case 'resubmit': {
        ctx.resubmits++;
        if (ctx.resubmits > MAX_RESUBMITS || depth >= MAX_DEPTH) {
          ctx.steps.push({ kind: 'drop', depth, reason: 'over max translation depth / resubmit limit' });
          ctx.drops.push({
            host: rb.host,
            bridge: rb.name,
            table,
            flow: f.rule,
            reason: 'resubmit limit',
          });
          return;
        }
        ctx.steps.push({ kind: 'action', text, depth });
        const saved = p.in_port;
        if (a.port) {
          const n = portNumber(rb, a.port);
          if (n !== undefined) p.in_port = n;
        }
        if (a.ct)
          ctx.unsupported.add(
            `${rb.host}:${rb.name}: resubmit(,${a.table},ct): the conntrack original tuple is not modelled`,
          );
        runTable(ctx, rb, inPort, p, a.table ?? table, depth + 1);
        p.in_port = saved;
        break;
      }
      case 'goto_table':
        ctx.steps.push({ kind: 'action', text, depth });
        runTable(ctx, rb, inPort, p, a.table, depth + 1);
        return;
      case 'ct': {
        const tableArg = a.args.find((x) => x.kind === 'table');
        ctx.steps.push({
          kind: 'action',
          text,
          depth,
          note: 'conntrack assumed: ct_state=+trk+new (a first packet)',
        });
        ctx.assumptions.add(
          `${rb.host}:${rb.name}: ${text}: connection tracking is not modelled; the packet is assumed a new connection (ct_state=+new+trk)`,
        );
        if (tableArg && tableArg.kind === 'table') {
          const q = clonePacket(p);
          q.ct_state = 0x21;
          runTable(ctx, rb, inPort, q, tableArg.table, depth + 1);
        }
        break;
      }
      case 'learn':
        ctx.steps.push({
          kind: 'action',
          text: 'learn(...)',
          depth,
          note: 'adds a flow; not modelled (no learned flows assumed)',
        });
        ctx.assumptions.add(
          `${rb.host}:${rb.name}: learn() actions are not executed; flows they would add are absent from the trace`,
        );
        break;
      case 'conjunction':
      case 'note':
      case 'set_queue':
      case 'pop_queue':
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'mod_dl_src':
        p.dl_src = a.mac;
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'mod_dl_dst':
        p.dl_dst = a.mac;
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'mod_nw_src':
        p.nw_src = a.ip;
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'mod_nw_dst':
        p.nw_dst = a.ip;
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'mod_nw_tos':
        p.nw_tos = a.tos & 0xfc;
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'mod_tp_src':
        p.tp_src = a.port;
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'mod_tp_dst':
        p.tp_dst = a.port;
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'dec_ttl':
        if (p.dl_type === 0x0800 && p.nw_ttl <= 1) {
          ctx.steps.push({ kind: 'drop', depth, reason: 'dec_ttl: TTL exceeded' });
          ctx.drops.push({
            host: rb.host,
            bridge: rb.name,
            table,
            flow: f.rule,
            reason: 'TTL exceeded',
          });
          return;
        }
        if (p.dl_type === 0x0800) p.nw_ttl--;
        ctx.steps.push({ kind: 'action', text, depth });
        break;
      case 'unsupported':
        ctx.steps.push({ kind: 'action', text, depth, note: 'NOT MODELLED: ignored' });
        ctx.unsupported.add(
          `${rb.host}:${rb.name}: action ${text} is not modelled; the trace continued without it`,
        );
        break;
    }
  }
}

function portNumber(rb: RtBridge, ref: { kind: string; n?: number; name?: string }): number | undefined {
  if (ref.kind === 'number') return ref.n;
  if (ref.kind === 'reserved') return ref.name === 'LOCAL' ? OFPP_LOCAL : undefined;
  return ref.name ? rb.byName.get(ref.name)?.ofport : undefined;
}

const FIELD_BITS: Record<string, number> = { metadata: 64, tun_id: 64, dl_src: 48, dl_dst: 48 };

function readField(p: Packet, field: string): bigint | undefined {
  const r = /^reg(\d+)$/.exec(field);
  if (r) return BigInt(p.regs[Number(r[1])]!);
  switch (field) {
    case 'metadata':
      return p.metadata;
    case 'tun_id':
      return p.tun_id;
    case 'in_port':
      return BigInt(p.in_port);
    case 'vlan_tci':
      return BigInt(p.vlans.length ? 0x1000 | (p.vlans[0]!.pcp << 13) | p.vlans[0]!.vid : 0);
    case 'ct_mark':
      return BigInt(p.ct_mark);
    case 'ct_zone':
      return BigInt(p.ct_zone);
    case 'pkt_mark':
      return BigInt(p.pkt_mark);
    case 'dl_src':
    case 'dl_dst':
    case 'nw_src':
    case 'nw_dst':
    case 'dl_type':
    case 'nw_proto':
    case 'tp_src':
    case 'tp_dst':
      return BigInt(p[field]);
    default:
      return undefined;
  }
}

function readBits(p: Packet, ref: FieldRef): bigint | undefined {
  const v = readField(p, ref.field ?? ref.name);
  if (v === undefined) return undefined;
  if (ref.start === undefined) return v;
  const width = BigInt(ref.end! - ref.start + 1);
  return (v >> BigInt(ref.start)) & ((1n << width) - 1n);
}

function writeBits(p: Packet, ref: FieldRef, value: bigint): boolean {
  const field = ref.field ?? ref.name;
  const cur = readField(p, field);
  if (cur === undefined) return false;
  let next: bigint;
  if (ref.start === undefined) next = value;
  else {
    const width = BigInt(ref.end! - ref.start + 1);
    const mask = ((1n << width) - 1n) << BigInt(ref.start);
    next = (cur & ~mask) | ((value << BigInt(ref.start)) & mask);
  }
  if (field === 'vlan_tci') {
    const tci = Number(next & 0xffffn);
    if (tci & 0x1000) {
      if (p.vlans.length) Object.assign(p.vlans[0]!, { vid: tci & 0xfff, pcp: tci >> 13 });
      else p.vlans.unshift({ tpid: 0x8100, vid: tci & 0xfff, pcp: tci >> 13 });
    } else p.vlans.shift();
    return true;
  }
  const bits = FIELD_BITS[field] ?? 32;
  const masked = next & ((1n << BigInt(bits)) - 1n);
  return setPacketField(p, field, bits > 32 ? masked : Number(masked));
}

// ---- NORMAL: OVS's L2 switch with its VLAN rules (reference/ovs-semantics.md §1).

function includes(v: RtPort['vlan'], vlan: number): boolean {
  switch (v.mode) {
    case 'access':
      return (v.tag ?? 0) === vlan;
    case 'trunk':
      return v.trunks.length === 0 || v.trunks.includes(vlan);
    case 'native-tagged':
    case 'native-untagged':
      // OVS forces the native VLAN into the trunks and never trunks VLAN 0 on such a port.
      if (vlan === v.tag) return true;
      if (vlan === 0) return false;
      return v.trunks.length === 0 || v.trunks.includes(vlan);
    default:
      return false;
  }
}

/** The VLAN the frame belongs to on input, or a reason to drop it. */
function inputVlan(port: RtPort, p: Packet): { vlan: number } | { drop: string } {
  const vid = p.vlans[0]?.vid ?? 0;
  const v = port.vlan;
  switch (v.mode) {
    case 'access':
      if (vid !== 0)
        return {
          drop: `dropping VLAN ${vid} tagged packet received on port ${port.name} configured as VLAN ${v.tag ?? 0} access port`,
        };
      return { vlan: v.tag ?? 0 };
    case 'trunk':
      if (v.trunks.length && !v.trunks.includes(vid))
        return {
          drop: `dropping VLAN ${vid} packet received on port ${port.name} not configured for trunking VLAN ${vid}`,
        };
      return { vlan: vid };
    case 'native-tagged':
    case 'native-untagged':
      // The native VLAN counts as trunked (OVS adds the tag to the port's trunk bitmap).
      if (vid === 0 || vid === v.tag) return { vlan: v.tag ?? 0 };
      if (v.trunks.length && !v.trunks.includes(vid))
        return {
          drop: `dropping VLAN ${vid} packet received on port ${port.name} not configured for trunking VLAN ${vid}`,
        };
      return { vlan: vid };
    default:
      return { drop: `vlan_mode ${v.mode} of port ${port.name} is not modelled` };
  }
}

function normal(ctx: Ctx, rb: RtBridge, _inPortArg: RtPort, p: Packet, depth: number): void {
  const inPort = rb.ports.get(p.in_port);
  if (!inPort) {
    ctx.steps.push({ kind: 'normal', depth, text: `input port ${p.in_port} unknown: cannot switch` });
    ctx.drops.push({
      host: rb.host,
      bridge: rb.name,
      table: null,
      flow: null,
      reason: `NORMAL: input port ${p.in_port} unknown`,
    });
    return;
  }
  assume(ctx, inPort.vlan.assumed);
  const iv = inputVlan(inPort, p);
  if ('drop' in iv) {
    ctx.steps.push({ kind: 'normal', depth, text: iv.drop });
    ctx.drops.push({ host: rb.host, bridge: rb.name, table: null, flow: null, reason: `NORMAL: ${iv.drop}` });
    return;
  }
  const vlan = iv.vlan;
  // Unicast to a MAC the bridge has learned goes to that port only (fdb/show at collection time).
  const multicast = Math.floor(p.dl_dst / 0x10000000000) & 1;
  let only: number | undefined;
  if (!rb.fdb) ctx.assumptions.add(NO_FDB);
  else if (!multicast) {
    const hit = rb.fdb.entries.get(`${vlan}/${p.dl_dst}`);
    if (hit) {
      if (hit.port === p.in_port) {
        ctx.steps.push({
          kind: 'normal',
          depth,
          vlan,
          text: `learned port is input port (${rb.fdb.file}:${hit.line}): dropping`,
        });
        ctx.drops.push({
          host: rb.host,
          bridge: rb.name,
          table: null,
          flow: null,
          reason: 'NORMAL: destination MAC learned on the input port',
        });
        return;
      }
      only = hit.port;
      ctx.assumptions.add(
        `${rb.host}:${rb.name}: NORMAL used the MAC table collected in ${rb.fdb.file} (entries age out; it is the state at collection time)`,
      );
      ctx.steps.push({
        kind: 'normal',
        depth,
        vlan,
        text: `VLAN ${vlan}: forwarding to learned port ${rb.ports.get(hit.port)?.name ?? hit.port} (${rb.fdb.file}:${hit.line})`,
      });
    }
  }
  if (only === undefined) ctx.steps.push({ kind: 'normal', depth, vlan, text: floodText(vlan) });
  for (const port of rb.ports.values()) {
    if (port.ofport === p.in_port) continue;
    if (only !== undefined && port.ofport !== only) continue;
    if (port.vlan.assumed && !port.local) ctx.assumptions.add(port.vlan.assumed);
    const v = port.local ? ({ tag: null, trunks: [], mode: 'trunk' } as RtPort['vlan']) : port.vlan;
    if (!includes(v, vlan)) continue;
    const q = clonePacket(p);
    // The output tag: stripped on access ports (and native-untagged for its own VLAN), else the frame's VLAN.
    q.vlans.shift();
    const untagged = v.mode === 'access' || (v.mode === 'native-untagged' && vlan === v.tag) || vlan === 0;
    if (!untagged) q.vlans.unshift({ tpid: 0x8100, vid: vlan, pcp: p.vlans[0]?.pcp ?? 0 });
    emit(ctx, rb, port.ofport, q, depth + 1);
  }
}

// ---- Leaving a port: patch, wire to another host, or an endpoint.

function emit(ctx: Ctx, rb: RtBridge, ofport: number, p: Packet, depth: number): void {
  const port = rb.ports.get(ofport);
  const vlan = p.vlans[0]?.vid ?? null;
  if (!port) {
    const name = ofport === OFPP_LOCAL ? rb.name : `#${ofport}`;
    const local = ofport === OFPP_LOCAL;
    ctx.steps.push({
      kind: 'output',
      depth,
      port: name,
      vlan,
      endpoint: local ? 'bridge LOCAL port' : 'port not in the case',
    });
    ctx.outputs.push({
      host: rb.host,
      bridge: rb.name,
      port: name,
      vlan,
      endpoint: local ? 'bridge LOCAL port' : 'unknown',
      local,
    });
    return;
  }
  if (port.local) {
    ctx.steps.push({ kind: 'output', depth, port: port.name, vlan, endpoint: 'bridge LOCAL port' });
    ctx.outputs.push({
      host: rb.host,
      bridge: rb.name,
      port: port.name,
      vlan,
      endpoint: 'bridge LOCAL port',
      local: true,
    });
    return;
  }
  if (port.peer) {
    const peer = ctx.w.ifaces.get(rb.host)?.get(port.peer);
    if (!peer) {
      ctx.steps.push({
        kind: 'drop',
        depth,
        reason: `patch ${port.name}: peer ${port.peer} not found on ${rb.host}`,
      });
      ctx.drops.push({
        host: rb.host,
        bridge: rb.name,
        table: null,
        flow: null,
        reason: `patch port ${port.name} has no peer ${port.peer} on ${rb.host}`,
      });
      return;
    }
    assume(ctx, port.peerAssumed);
    assume(ctx, peer.port.peerAssumed);
    ctx.steps.push({
      kind: 'cross',
      depth,
      via: 'patch',
      from: `${rb.name}:${port.name}`,
      to: `${peer.bridge.name}:${peer.port.name}`,
      ...(port.peerAssumed ? { assumed: port.peerAssumed } : {}),
    });
    // Crossing a patch port starts a new pipeline: registers and metadata are cleared.
    p.regs.fill(0);
    p.metadata = 0n;
    p.conj_id = 0;
    enterBridge(ctx, peer.bridge, peer.port, p, depth + 1);
    return;
  }
  // A wire to another host?
  const link = ctx.w.snapshot.links.find(
    (l) =>
      (l.a.host === rb.host && l.a.iface === port.name) || (l.b.host === rb.host && l.b.iface === port.name),
  );
  if (link) {
    const far = link.a.host === rb.host && link.a.iface === port.name ? link.b : link.a;
    const remote = ctx.w.ifaces.get(far.host)?.get(far.iface);
    ctx.steps.push({
      kind: 'cross',
      depth,
      via: 'wire',
      from: `${rb.host}:${port.name}`,
      to: `${far.host}:${far.iface}`,
    });
    if (remote) {
      enterBridge(ctx, remote.bridge, remote.port, p, depth + 1);
      return;
    }
    deliver(ctx, rb, port, vlan, far.host, far.iface, depth);
    return;
  }
  deliver(ctx, rb, port, vlan, rb.host, port.name, depth);
}

/** The frame leaves OVS for a device: delivered, unless the device is down. */
function deliver(
  ctx: Ctx,
  rb: RtBridge,
  port: RtPort,
  vlan: number | null,
  host: string,
  dev: string,
  depth: number,
): void {
  const key = `${host}\u0000${dev}`;
  let e = ctx.w.endpoints.get(key);
  if (!e) {
    e = endpointOf(ctx, host, dev);
    ctx.w.endpoints.set(key, e);
  }
  if (e.assumption) ctx.assumptions.add(e.assumption);
  if (e.down) {
    const reason = `${e.text} is DOWN: the frame is not received`;
    ctx.steps.push({ kind: 'drop', depth, reason });
    ctx.drops.push({ host: rb.host, bridge: rb.name, table: null, flow: null, reason });
    return;
  }
  ctx.steps.push({ kind: 'output', depth, port: port.name, vlan, endpoint: e.text });
  ctx.outputs.push({ host: rb.host, bridge: rb.name, port: port.name, vlan, endpoint: e.text, local: false });
}

function endpointOf(ctx: Ctx, host: string, dev: string): Endpoint {
  const h = ctx.w.hosts.get(host);
  const inNs = (name: string): { text: string; down: boolean } | undefined => {
    for (const ns of h?.namespaces ?? []) {
      const d = ns.devices?.find((x) => x.name === name);
      if (!d) continue;
      const a = d.addresses.filter((x) => x.family === 'inet').map((x) => `${x.address}/${x.prefixlen}`);
      return { text: `namespace ${ns.name} device ${name}${a.length ? ` ${a.join(' ')}` : ''}`, down: !d.up };
    }
    return undefined;
  };
  const direct = inNs(dev);
  if (direct) return direct;
  const d = h?.devices?.find((x) => x.name === dev);
  // Neutron's ovs_use_veth: tap<id> on the bridge, ns-<id> in the namespace.
  if (dev.startsWith('tap')) {
    const peer = inNs(`ns-${dev.slice(3)}`);
    if (peer) {
      return {
        text: `${peer.text} (veth peer of ${dev})`,
        down: peer.down || (d ? !d.up : false),
        assumption: `${host}:${dev} is taken as the veth peer of ns-${dev.slice(3)} (Neutron's tap-/ns- naming${d?.peer ? `; ip link shows ${dev}@${d.peer}` : ''})`,
      };
    }
  }
  if (d) return { text: `host ${host} device ${dev}`, down: !d.up };
  return { text: `host ${host} ${dev} (nothing in the case says what is behind it)`, down: false };
}
