// Match part of a flow: `priority=4,in_port=2,dl_vlan=1`, driven by the field table.
import {
  CT_STATE_FLAGS,
  FIELDS,
  formatFieldValue,
  lookupField,
  parseFieldValue,
  SHORTHANDS,
  TCP_FLAGS,
  TUN_FLAGS,
} from './fields.ts';
import type { MatchItem } from './types.ts';
import { madeUnsupported } from './unsupported.ts';

export function parseMatchItem(token: string): MatchItem {
  const eq = token.indexOf('=');
  if (eq < 0) {
    if (SHORTHANDS.has(token)) return { kind: 'shorthand', name: token };
    madeUnsupported();
    return { kind: 'unsupported', text: token };
  }
  const key = token.slice(0, eq);
  const def = lookupField(key);
  if (!def) {
    madeUnsupported();
    return { kind: 'unsupported', text: token };
  }
  return { kind: 'field', field: def.name, name: key, value: parseFieldValue(def, token.slice(eq + 1)) };
}

export function formatMatchItem(m: MatchItem): string {
  switch (m.kind) {
    case 'shorthand':
      return m.name;
    case 'field':
      return `${m.name}=${formatFieldValue(m.value)}`;
    case 'unsupported':
      return m.text;
  }
}

// ---- A field set twice. OVS (3.1) reads `in_port=2,in_port=3` as in_port=3: the last value of a
// field replaces the first, and fields that share bits (dl_vlan and vlan_tci, tp_dst and udp_dst,
// ip_dscp and nw_tos, a shorthand and dl_type/nw_proto) overwrite each other's bits. ovs-ofctl
// prints every field once, so a dump never holds two values for one field: the same value twice
// means what it says, two different ones are a line OVS did not print, read neither way.

/** Fields stored in the same bits: one slot. */
const SHARED_SLOTS: readonly (readonly string[])[] = [
  ['tp_src', 'tcp_src', 'udp_src', 'sctp_src'],
  ['tp_dst', 'tcp_dst', 'udp_dst', 'sctp_dst'],
  ['nw_tos', 'ip_dscp'],
  // The 802.1Q TCI: these set parts of it (each the bits it names; dl_vlan_pcp also the CFI bit).
  ['vlan_tci', 'dl_vlan', 'vlan_vid', 'dl_vlan_pcp', 'vlan_pcp'],
];
const VLAN_SLOT_FIELD = 'vlan_tci';

// ---- A field without its prerequisite. OVS (3.1) leaves a field out of the match when the flow
// does not name the protocol it belongs to ("normalization changed ofp_match", logged at INFO
// only): `tp_dst=67 actions=drop` is installed, and printed, as `actions=drop`, which drops every
// packet. Refused here: no dl_type at all (no shorthand, dl_type or packet_type), where OVS leaves
// out every field of these prerequisites; and a port or ICMP type/code (the fields OVS keeps in
// tp_src/tp_dst) on a flow whose dl_type and nw_proto are not IPv4 or IPv6 with TCP, UDP, SCTP or
// ICMP (ofputil_normalize_match's MAY_TP_ADDR: `ip,tp_dst=67` is installed as `ip`). Other
// fields with a dl_type that does not fit are not checked: OVS reads some as another field
// (`arp,nw_src` is arp_spa, `ip,arp_tpa` nw_dst).
const NEEDS_DL_TYPE: ReadonlySet<string> = new Set([
  'ip',
  'ipv6',
  'arp',
  'tcp',
  'udp',
  'sctp',
  'icmp',
  'icmp6',
  'l4',
  'mpls',
]);

/** The fields OVS keeps in the flow's tp_src and tp_dst (ports, ICMP type and code). */
const IN_TP_BITS: ReadonlySet<string> = new Set(
  ['tp', 'tcp', 'udp', 'sctp']
    .flatMap((p) => [`${p}_src`, `${p}_dst`])
    .concat('icmp_type', 'icmp_code', 'icmpv6_type', 'icmpv6_code'),
);
/** nw_proto values under which OVS keeps tp_src/tp_dst, by dl_type (MAY_TP_ADDR). */
const TP_PROTOS: ReadonlyMap<number, ReadonlySet<number>> = new Map([
  [0x0800, new Set([6, 17, 132, 1])],
  [0x86dd, new Set([6, 17, 132, 58])],
]);

// Bits of a field's code below its slot number.
const NEEDS_TYPE_BIT = 1;
const TP_BIT = 2;
const SLOT_SHIFT = 2;

/**
 * Canonical field name → slot number (fields sharing bits share one) shifted by SLOT_SHIFT, plus
 * NEEDS_TYPE_BIT when OVS drops the field from a flow that names no dl_type, and TP_BIT for the
 * fields kept in tp_src/tp_dst.
 */
const SLOT: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  let n = 0;
  for (const def of FIELDS.values()) if (!m.has(def.name)) m.set(def.name, n++ << SLOT_SHIFT);
  for (const group of SHARED_SLOTS) for (const f of group) m.set(f, m.get(group[0]!)!);
  for (const def of FIELDS.values()) {
    if (def.prereq && NEEDS_DL_TYPE.has(def.prereq)) m.set(def.name, m.get(def.name)! | NEEDS_TYPE_BIT);
    if (IN_TP_BITS.has(def.name)) m.set(def.name, m.get(def.name)! | TP_BIT);
  }
  return m;
})();
for (const f of IN_TP_BITS) if (!SLOT.has(f)) throw new Error(`IN_TP_BITS names an unknown field ${f}`);
const DL_TYPE = SLOT.get('dl_type')! >> SLOT_SHIFT;
const NW_PROTO = SLOT.get('nw_proto')! >> SLOT_SHIFT;
const VLAN = SLOT.get(VLAN_SLOT_FIELD)! >> SLOT_SHIFT;
const PACKET_TYPE = SLOT.get('packet_type')! >> SLOT_SHIFT;

/** An item's code for matchError: a field's SLOT code; these for the rest. */
export const CODE_UNKNOWN = -1;
export const CODE_SHORTHAND = -2;

/** The code of a field (by canonical name): what the parser records as it reads the item. */
export function fieldCode(field: string): number {
  return SLOT.get(field) ?? CODE_UNKNOWN;
}

function codeOf(it: MatchItem): number {
  return it.kind === 'field' ? fieldCode(it.field) : it.kind === 'shorthand' ? CODE_SHORTHAND : CODE_UNKNOWN;
}

/** Whether a shorthand sets nw_proto (tcp, udp6, icmp...), told by its letters: no lookup per flow. */
function setsNwProto(name: string): boolean {
  const c = name.charCodeAt(0);
  return c === 116 || c === 117 || c === 115 || (c === 105 && name.charCodeAt(1) === 99);
}
for (const [name, sh] of SHORTHANDS)
  if (setsNwProto(name) !== (sh.nw_proto !== undefined)) throw new Error(`setsNwProto is wrong for ${name}`);

// Per item: its slot, and a second one (a shorthand with nw_proto); -1 for none. Reused.
let slotA = new Int32Array(64);
let slotB = new Int32Array(64);

/**
 * What makes a flow's match one OVS would not print: a field without its prerequisite (no dl_type
 * at all), or two items that set one field (or shared bits) to different values; as an error
 * message and the item to blame. Undefined when there is none. `codes` holds each item's code as
 * the parser recorded it (fieldCode, CODE_SHORTHAND), so that this costs no lookup per item;
 * without it they are looked up. Only the first `n` items are the match. No allocation unless two
 * items share a slot.
 */
export function matchError(
  items: readonly MatchItem[],
  codes?: Int32Array,
  n = items.length,
): { message: string; item: MatchItem } | undefined {
  if (n > slotA.length) {
    slotA = new Int32Array(n * 2);
    slotB = new Int32Array(n * 2);
  }
  let needs = -1;
  let tp = -1;
  let typed = false;
  let packetType = false;
  for (let i = 0; i < n; i++) {
    const code = codes === undefined ? codeOf(items[i]!) : codes[i]!;
    slotB[i] = -1;
    if (code >= 0) {
      const slot = code >> SLOT_SHIFT;
      slotA[i] = slot;
      if (code & NEEDS_TYPE_BIT && needs < 0) needs = i;
      if (code & TP_BIT && tp < 0) tp = i;
      if (slot === DL_TYPE) typed = true;
      else if (slot === PACKET_TYPE) typed = packetType = true;
    } else if (code === CODE_SHORTHAND) {
      typed = true;
      slotA[i] = DL_TYPE;
      if (setsNwProto((items[i] as Extract<MatchItem, { kind: 'shorthand' }>).name)) slotB[i] = NW_PROTO;
    } else slotA[i] = -1;
  }
  if (needs >= 0 && !typed) {
    const it = items[needs] as Extract<MatchItem, { kind: 'field' }>;
    const prereq = lookupField(it.field)!.prereq!;
    return {
      message: `${formatMatchItem(it)} without the protocol it belongs to (${PREREQ_TEXT[prereq] ?? prereq}): OVS leaves ${it.field} out of the match ("normalization changed ofp_match"), so ovs-ofctl never prints it`,
      item: it,
    };
  }
  for (let j = 1; j < n; j++) {
    const a2 = slotA[j]!;
    const b2 = slotB[j]!;
    if (a2 < 0) continue;
    for (let i = 0; i < j; i++) {
      const a1 = slotA[i]!;
      const b1 = slotB[i]!;
      if (a1 !== a2 && a1 !== b2 && (b1 < 0 || (b1 !== a2 && b1 !== b2))) continue;
      if (items[i] === items[j]) continue; // one shared node: the same text twice
      for (const s of [a1, b1])
        if (s >= 0 && (s === a2 || s === b2)) {
          const message = conflict(items[i]!, items[j]!, s);
          if (message !== undefined) return { message, item: items[j]! };
        }
    }
  }
  // A packet_type names the dl_type its own way: left to OVS.
  if (tp >= 0 && !packetType) return tpError(items, n, items[tp] as Extract<MatchItem, { kind: 'field' }>);
  return undefined;
}

/**
 * The error for a port or ICMP field (`it`) on a flow whose dl_type and nw_proto (from shorthands
 * and fields, which agree: conflicts are refused before) are not ones OVS keeps it under.
 */
function tpError(
  items: readonly MatchItem[],
  n: number,
  it: Extract<MatchItem, { kind: 'field' }>,
): { message: string; item: MatchItem } | undefined {
  let dlType = -1;
  let proto = -1;
  for (let i = 0; i < n; i++) {
    const x = items[i]!;
    if (x.kind === 'shorthand') {
      const sh = SHORTHANDS.get(x.name)!;
      dlType = sh.dl_type;
      if (sh.nw_proto !== undefined) proto = sh.nw_proto;
    } else if (x.kind === 'field' && x.value.t === 'int' && x.value.m === undefined) {
      if (x.field === 'dl_type') dlType = x.value.v;
      else if (x.field === 'nw_proto') proto = x.value.v;
    }
  }
  if (TP_PROTOS.get(dlType)?.has(proto)) return undefined;
  const on =
    proto >= 0
      ? `nw_proto=${proto}`
      : dlType === 0x0800
        ? 'ip'
        : dlType === 0x86dd
          ? 'ipv6'
          : `dl_type=0x${dlType.toString(16).padStart(4, '0')}`;
  return {
    message: `${formatMatchItem(it)} on a flow of ${on}, not TCP, UDP, SCTP or ICMP: OVS leaves ${it.field} out of the match ("normalization changed ofp_match"), so ovs-ofctl never prints it`,
    item: it,
  };
}

const PREREQ_TEXT: Record<string, string> = {
  ip: 'ip or ipv6',
  l4: 'tcp, udp or sctp',
  icmp: 'icmp',
  icmp6: 'icmp6',
};

/** What an item sets in a slot: bits (value and mask), or a key for values that are no bits. */
type Claim = { v: bigint; m: bigint } | { key: string };

function claimOf(it: MatchItem, slot: number): Claim {
  if (it.kind === 'shorthand') {
    const sh = SHORTHANDS.get(it.name)!;
    return slot === NW_PROTO ? { v: BigInt(sh.nw_proto!), m: 0xffn } : { v: BigInt(sh.dl_type), m: 0xffffn };
  }
  if (it.kind !== 'field') return { key: formatMatchItem(it) };
  const def = lookupField(it.field)!;
  const x = it.value;
  switch (x.t) {
    case 'int':
    case 'big':
    case 'mac':
    case 'ipv4':
    case 'ipv6': {
      const full = (1n << BigInt(def.valueBits ?? def.bits)) - 1n;
      const m = x.m === undefined ? full : BigInt(x.m);
      const v = BigInt(x.v) & m;
      if (slot === VLAN) return tciClaim(it.field, v, m);
      if (it.field === 'ip_dscp') return { v: v << 2n, m: 0xfcn };
      if (it.field === 'nw_tos') return { v, m: 0xfcn };
      return { v, m };
    }
    case 'flags': {
      // ct_state, tcp_flags and tun_flags list their flags in bit order.
      const names =
        it.field === 'ct_state' ? CT_STATE_FLAGS : it.field === 'tcp_flags' ? TCP_FLAGS : TUN_FLAGS;
      let v = 0n;
      let m = 0n;
      for (const f of x.flags) {
        const bit = 1n << BigInt((names as readonly string[]).indexOf(f.name));
        m |= bit;
        if (f.on) v |= bit;
      }
      return { v, m };
    }
    case 'port':
      return { key: `${x.port.kind}:${x.port.kind === 'number' ? x.port.n : x.port.name}` };
    case 'enum':
      return { key: x.v };
  }
}

/** The TCI bits (value, mask) a VLAN field sets, as OVS's match_set_* functions set them. */
function tciClaim(field: string, v: bigint, m: bigint): Claim {
  switch (field) {
    case 'dl_vlan':
      return v === 0xffffn ? { v: 0n, m: 0xffffn } : { v: 0x1000n | v, m: 0x1fffn };
    case 'dl_vlan_pcp':
    case 'vlan_pcp':
      return { v: 0x1000n | (v << 13n), m: 0xf000n };
    default:
      // vlan_tci, and vlan_vid (its 0x1000 is the TCI's CFI bit)
      return { v, m };
  }
}

function conflict(a: MatchItem, b: MatchItem, slot: number): string | undefined {
  const ca = claimOf(a, slot);
  const cb = claimOf(b, slot);
  let differ: boolean;
  if ('key' in ca || 'key' in cb) differ = !('key' in ca && 'key' in cb && ca.key === cb.key);
  else if (slot === VLAN && a.kind === 'field' && b.kind === 'field' && a.field !== b.field)
    // Different VLAN fields set their own bits of the TCI: they conflict where both set a bit.
    differ = ((ca.v ^ cb.v) & ca.m & cb.m) !== 0n;
  else differ = ca.v !== cb.v || ca.m !== cb.m;
  if (!differ) return undefined;
  const what = slot === DL_TYPE ? 'dl_type' : slot === NW_PROTO ? 'nw_proto' : undefined;
  const ta = formatMatchItem(a);
  const tb = formatMatchItem(b);
  const same = a.kind === 'field' && b.kind === 'field' && a.field === b.field;
  return `${same ? `${a.field} given twice` : `${ta} and ${tb} set ${what ?? 'the same bits'}`} with different values (${ta}, then ${tb}): ovs-ofctl never prints that (add-flow keeps the last)`;
}
