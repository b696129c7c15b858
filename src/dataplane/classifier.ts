// OpenFlow tables compiled once per bridge for fast lookups: tuple space search as in OVS's own
// classifier (one hash table per set of matched fields+masks, visited by falling max priority),
// with equal-priority overlaps reported as ambiguous instead of resolved silently, and
// conjunctive matches (conjunction(id,k/n) + conj_id=id) resolved as OVS does.

import type { FlowEntry } from '../model/snapshot.ts';
import { formatAction } from '../openflow/actions.ts';
import { CT_STATE_FLAGS } from '../openflow/fields.ts';
import { formatFlowRule } from '../openflow/flow.ts';
import type { Flow, MatchItem, PortRef } from '../openflow/types.ts';
import { FIELD_ACCESS } from './fields.ts';
import type { Packet } from './packet.ts';

type Getter = (p: Packet) => number;
type BigGetter = (p: Packet) => bigint;

interface Check {
  id: string;
  get: Getter;
  mask: number;
  value: number;
}

interface BigCheck {
  id: string;
  get: BigGetter;
  mask: bigint;
  value: bigint;
}

export interface CompiledFlow {
  entry: FlowEntry;
  flow: Flow;
  /** `priority=…,match actions=…` as dumped: made on first use (most flows are never quoted), then kept. */
  readonly rule: string;
  /** Text of each action, in order (made on first use). */
  readonly actionTexts: string[];
  priority: number;
  /** Every action is conjunction(...): a clause, not a rule of its own. */
  conjunctive: { id: number; clause: number; nClauses: number }[] | null;
  /** Match items the model cannot evaluate (the flow is treated as not matching). */
  unsupported: readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * A compiled flow whose texts are printed when a trace first quotes it. It keeps no checks of its
 * own: its subtable holds the fields and masks, its bucket key the values (a 50k-flow table then
 * costs some 150 bytes a flow instead of 700).
 */
class Compiled implements CompiledFlow {
  private ruleText: string | undefined;
  private actions: string[] | undefined;
  constructor(
    readonly entry: FlowEntry,
    readonly priority: number,
    readonly conjunctive: { id: number; clause: number; nClauses: number }[] | null,
    readonly unsupported: readonly string[],
  ) {}
  get flow(): Flow {
    return this.entry.flow;
  }
  get rule(): string {
    if (this.ruleText === undefined) this.ruleText = formatFlowRule(this.flow);
    return this.ruleText;
  }
  get actionTexts(): string[] {
    if (this.actions === undefined) this.actions = this.flow.actions.map(formatAction);
    return this.actions;
  }
}

interface Subtable {
  signature: string;
  checks: Check[];
  bigChecks: BigCheck[];
  maxPriority: number;
  /** By key: one flow, or several, highest priority first (most keys have one flow). */
  buckets: Map<string | number, CompiledFlow | CompiledFlow[]>;
}

export interface CompiledTable {
  id: number;
  subtables: Subtable[];
  hasConjunctive: boolean;
  size: number;
}

export interface LookupResult {
  flow?: CompiledFlow;
  /** Other flows of the same priority that match too: OpenFlow leaves the winner undefined. */
  ambiguous: CompiledFlow[];
  /** conj_id set by a completed conjunction, when that is how the flow was found. */
  conjId?: number;
}

const U32 = 0xffffffff;
const hi24 = (n: number): number => Math.floor(n / 0x1000000);
const lo24 = (n: number): number => n % 0x1000000;

// Readers from fields.ts's one table: numbers ≤ 32 bits, 64/128-bit fields as bigints, and the
// 48-bit MAC fields split in two 24-bit halves by the checks below.
const MACS = new Set(['dl_src', 'dl_dst', 'arp_sha', 'arp_tha']);
const GETTERS: Record<string, Getter> = {};
const BIG_GETTERS: Record<string, BigGetter> = {};
/** The 48-bit MAC fields as two 24-bit halves: one getter per half and field, shared by every flow. */
const MAC_HALVES: Record<string, [Getter, Getter]> = {};
for (const [name, a] of FIELD_ACCESS) {
  if (a.big) BIG_GETTERS[name] = a.big;
  else if (a.num && MACS.has(name)) {
    const get = a.num;
    MAC_HALVES[name] = [(p) => hi24(get(p)), (p) => lo24(get(p))];
  } else if (a.num) GETTERS[name] = a.num;
}

export const CT_BITS: Record<string, number> = Object.fromEntries(CT_STATE_FLAGS.map((f, i) => [f, 1 << i]));

/** Resolves a port written in a flow (number, name) to its OpenFlow number on this bridge. */
export type PortResolver = (ref: PortRef) => number | undefined;

function compileItem(
  m: MatchItem,
  resolve: PortResolver,
  checks: Check[],
  big: BigCheck[],
  unsupported: string[],
): void {
  if (m.kind === 'unsupported') {
    unsupported.push(m.text);
    return;
  }
  if (m.kind === 'shorthand') {
    const sh = SHORT[m.name];
    if (!sh) {
      unsupported.push(m.name);
      return;
    }
    checks.push({ id: 'dl_type', get: GETTERS.dl_type!, mask: 0xffff, value: sh[0] });
    if (sh[1] !== undefined)
      checks.push({ id: 'nw_proto', get: GETTERS.nw_proto!, mask: 0xff, value: sh[1] });
    return;
  }
  const v = m.value;
  const f = m.field;
  if (v.t === 'port') {
    const n = resolve(v.port);
    if (n === undefined) {
      unsupported.push(
        `${m.name}=${v.port.kind === 'name' ? v.port.name : JSON.stringify(v.port)} (no such port on the bridge)`,
      );
      return;
    }
    checks.push({ id: f, get: GETTERS.in_port!, mask: U32, value: n });
    return;
  }
  if (v.t === 'mac') {
    const halves = MAC_HALVES[f];
    if (!halves) return void unsupported.push(m.name);
    const mask = v.m ?? 0xffffffffffff;
    checks.push({ id: `${f}.hi`, get: halves[0], mask: hi24(mask), value: hi24(v.v) & hi24(mask) });
    checks.push({ id: `${f}.lo`, get: halves[1], mask: lo24(mask), value: lo24(v.v) & lo24(mask) });
    return;
  }
  if (v.t === 'flags') {
    if (f !== 'ct_state') return void unsupported.push(`${m.name} flags`);
    let mask = 0;
    let value = 0;
    for (const fl of v.flags) {
      const bit = CT_BITS[fl.name] ?? 0;
      mask |= bit;
      if (fl.on) value |= bit;
    }
    checks.push({ id: f, get: GETTERS.ct_state!, mask, value });
    return;
  }
  if (v.t === 'enum') {
    // nw_frag: the traced packet is never a fragment.
    const never = v.v === 'yes' || v.v === 'first' || v.v === 'later';
    checks.push({ id: f, get: GETTERS.nw_frag!, mask: 3, value: never ? 1 : 0 });
    return;
  }
  if (v.t === 'int' || v.t === 'ipv4') {
    const get = GETTERS[f];
    if (!get) return void unsupported.push(m.name);
    const full = f === 'dl_vlan' ? 0xffff : U32;
    const mask = (v.m ?? full) >>> 0;
    // dl_vlan_pcp / vlan_pcp only match tagged frames: the getter says 0x100 when untagged.
    const pcpMask = f === 'dl_vlan_pcp' || f === 'vlan_pcp' ? 0x1ff : mask;
    checks.push({ id: f, get, mask: pcpMask, value: (v.v & pcpMask) >>> 0 });
    return;
  }
  if (v.t === 'big' || v.t === 'ipv6') {
    const get = BIG_GETTERS[f];
    if (!get) return void unsupported.push(m.name);
    const mask = v.m ?? (1n << 128n) - 1n;
    big.push({ id: f, get, mask, value: v.v & mask });
    return;
  }
  unsupported.push(m.name);
}

const SHORT: Record<string, [number, number?]> = {
  ip: [0x0800],
  ipv4: [0x0800],
  ipv6: [0x86dd],
  icmp: [0x0800, 1],
  icmp6: [0x86dd, 58],
  tcp: [0x0800, 6],
  tcp6: [0x86dd, 6],
  udp: [0x0800, 17],
  udp6: [0x86dd, 17],
  sctp: [0x0800, 132],
  sctp6: [0x86dd, 132],
  arp: [0x0806],
  rarp: [0x8035],
  mpls: [0x8847],
  mplsm: [0x8848],
};

/**
 * Why the model cannot evaluate match item `m` on this bridge, or undefined when it can: the same
 * rule compileItem applies, without building any check (world.ts lists a bridge's unsupported
 * flows before compiling its tables, which it does table by table when a trace first visits them).
 */
export function unsupportedItem(m: MatchItem, resolve: PortResolver): string | undefined {
  if (m.kind === 'unsupported') return m.text;
  if (m.kind === 'shorthand') return SHORT[m.name] ? undefined : m.name;
  const v = m.value;
  const f = m.field;
  switch (v.t) {
    case 'port':
      return resolve(v.port) === undefined
        ? `${m.name}=${v.port.kind === 'name' ? v.port.name : JSON.stringify(v.port)} (no such port on the bridge)`
        : undefined;
    case 'mac':
      return MAC_HALVES[f] ? undefined : m.name;
    case 'flags':
      return f === 'ct_state' ? undefined : `${m.name} flags`;
    case 'enum':
      return undefined;
    case 'int':
    case 'ipv4':
      return GETTERS[f] ? undefined : m.name;
    case 'big':
    case 'ipv6':
      return BIG_GETTERS[f] ? undefined : m.name;
    default:
      return m.name;
  }
}

/** A flow's checks, merged per field (udp + nw_proto=17) and sorted by field: its subtable's signature. */
function checksOf(
  flow: Flow,
  resolve: PortResolver,
): { checks: Check[]; bigChecks: BigCheck[]; unsupported: string[] } {
  const checks: Check[] = [];
  const bigChecks: BigCheck[] = [];
  const unsupported: string[] = [];
  for (const m of flow.match) compileItem(m, resolve, checks, bigChecks, unsupported);
  const sorted: Check[] = [];
  for (const c of checks) {
    const i = sorted.findIndex((x) => x.id === c.id);
    if (i >= 0) {
      const prev = sorted[i]!;
      sorted[i] = { ...prev, mask: (prev.mask | c.mask) >>> 0, value: (prev.value | c.value) >>> 0 };
    } else sorted.push(c);
  }
  sorted.sort((a, b) => (a.id < b.id ? -1 : 1));
  return { checks: sorted, bigChecks, unsupported };
}

function conjunctiveOf(flow: Flow): { id: number; clause: number; nClauses: number }[] | null {
  const acts = flow.actions;
  return acts.length > 0 && acts.every((a) => a.type === 'conjunction')
    ? acts.map((a) =>
        a.type === 'conjunction'
          ? { id: a.id, clause: a.clause, nClauses: a.nClauses }
          : { id: 0, clause: 0, nClauses: 0 },
      )
    : null;
}

function signature(checks: Check[], big: BigCheck[]): string {
  let s = '';
  for (const c of checks) s += `${c.id}/${c.mask},`;
  for (const c of big) s += `${c.id}/${c.mask},`;
  return s;
}

// Keys: a number when a subtable checks one field (the common case: in_port, reg5), else a string.
function keyOf(checks: Check[], big: BigCheck[], p: Packet): string | number {
  if (checks.length === 1 && big.length === 0) return (checks[0]!.get(p) & checks[0]!.mask) >>> 0;
  let k = '';
  for (const c of checks) k += `${(c.get(p) & c.mask) >>> 0},`;
  for (const c of big) k += `${c.get(p) & c.mask},`;
  return k;
}

function flowKey(checks: Check[], big: BigCheck[]): string | number {
  if (checks.length === 1 && big.length === 0) return checks[0]!.value >>> 0;
  let k = '';
  for (const c of checks) k += `${c.value},`;
  for (const c of big) k += `${c.value},`;
  return k;
}

const asList = (b: CompiledFlow | CompiledFlow[]): CompiledFlow[] => (Array.isArray(b) ? b : [b]);

/** One table of a bridge, compiled from its dumped flows (in dump order). */
export function compileTable(
  id: number,
  entries: readonly FlowEntry[],
  resolve: PortResolver,
): CompiledTable {
  const subs = new Map<string, Subtable>();
  let hasConjunctive = false;
  for (const entry of entries) {
    const flow = entry.flow;
    const { checks, bigChecks, unsupported } = checksOf(flow, resolve);
    const conj = conjunctiveOf(flow);
    if (conj) hasConjunctive = true;
    const f = new Compiled(entry, flow.priority, conj, unsupported.length > 0 ? unsupported : NONE);
    if (unsupported.length > 0) continue;
    const sig = signature(checks, bigChecks);
    let s = subs.get(sig);
    if (!s) {
      s = { signature: sig, checks, bigChecks, maxPriority: -1, buckets: new Map() };
      subs.set(sig, s);
    }
    s.maxPriority = Math.max(s.maxPriority, f.priority);
    const k = flowKey(checks, bigChecks);
    const b = s.buckets.get(k);
    if (b === undefined) s.buckets.set(k, f);
    else if (Array.isArray(b)) b.push(f);
    else s.buckets.set(k, [b, f]);
  }
  // Highest priority first; a stable sort keeps dump order among equals (the first one wins).
  for (const s of subs.values())
    for (const b of s.buckets.values()) if (Array.isArray(b)) b.sort((x, y) => y.priority - x.priority);
  return {
    id,
    subtables: [...subs.values()].sort((a, b) => b.maxPriority - a.maxPriority),
    hasConjunctive,
    size: entries.length,
  };
}

/** Every flow matching `p`, highest priority first (used when conjunctions are involved). */
function allMatches(t: CompiledTable, p: Packet): CompiledFlow[] {
  const out: CompiledFlow[] = [];
  for (const s of t.subtables) {
    const b = s.buckets.get(keyOf(s.checks, s.bigChecks, p));
    if (b) for (const f of asList(b)) out.push(f);
  }
  return out.sort((a, b) => b.priority - a.priority);
}

function bestOf(t: CompiledTable, p: Packet, skipConjunctive: boolean): LookupResult {
  let best: CompiledFlow | undefined;
  const ambiguous: CompiledFlow[] = [];
  for (const s of t.subtables) {
    if (best && s.maxPriority < best.priority) break;
    const b = s.buckets.get(keyOf(s.checks, s.bigChecks, p));
    if (!b) continue;
    for (const f of asList(b)) {
      if (skipConjunctive && f.conjunctive) continue;
      if (!best || f.priority > best.priority) {
        best = f;
        ambiguous.length = 0;
      } else if (f.priority === best.priority && f !== best) ambiguous.push(f);
      break;
    }
  }
  return best ? { flow: best, ambiguous } : { ambiguous };
}

/**
 * Whether a packet matches every item of `flow`'s match the classifier evaluates (a flow with items
 * it cannot evaluate may match only a packet this accepts: `icmp6,…,nd_target=…` never a UDPv4 one).
 */
export function evaluablePartMatches(flow: Flow, resolve: PortResolver): (p: Packet) => boolean {
  const { checks, bigChecks } = checksOf(flow, resolve);
  return (p) =>
    checks.every((c) => (c.get(p) & c.mask) >>> 0 === c.value >>> 0) &&
    bigChecks.every((c) => (c.get(p) & c.mask) === c.value);
}

/** Every flow of the table the classifier evaluates (not those it cannot), in no set order. */
export function* flowsOf(t: CompiledTable): Generator<CompiledFlow> {
  for (const sub of t.subtables)
    for (const b of sub.buckets.values())
      if (Array.isArray(b)) yield* b;
      else yield b;
}

export function lookup(t: CompiledTable, p: Packet): LookupResult {
  if (!t.hasConjunctive) return bestOf(t, p, false);
  const all = allMatches(t, p);
  const plain = bestOf(t, p, true);
  const floor = plain.flow?.priority ?? -1;
  // A conjunction completes at priority P when every clause 1..n has a matching flow at P.
  const byPrio = new Map<number, Map<number, { n: number; seen: Set<number> }>>();
  for (const f of all) {
    if (!f.conjunctive || f.priority <= floor) continue;
    let m = byPrio.get(f.priority);
    if (!m) {
      m = new Map();
      byPrio.set(f.priority, m);
    }
    for (const c of f.conjunctive) {
      let e = m.get(c.id);
      if (!e) {
        e = { n: c.nClauses, seen: new Set() };
        m.set(c.id, e);
      }
      e.seen.add(c.clause);
    }
  }
  for (const prio of [...byPrio.keys()].sort((a, b) => b - a)) {
    for (const [id, e] of byPrio.get(prio)!) {
      if (e.seen.size < e.n) continue;
      const saved = p.conj_id;
      p.conj_id = id;
      const r = bestOf(t, p, true);
      p.conj_id = saved;
      if (r.flow && r.flow.priority >= floor) return { ...r, conjId: id };
    }
  }
  return plain;
}
