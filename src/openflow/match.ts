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

export function parseMatchItem(token: string): MatchItem {
  const eq = token.indexOf('=');
  if (eq < 0) {
    if (SHORTHANDS.has(token)) return { kind: 'shorthand', name: token };
    return { kind: 'unsupported', text: token };
  }
  const key = token.slice(0, eq);
  const def = lookupField(key);
  if (!def) return { kind: 'unsupported', text: token };
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

/** Canonical field name → slot number (fields sharing bits share one). */
const SLOT: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  for (const def of FIELDS.values()) if (!m.has(def.name)) m.set(def.name, m.size);
  for (const group of SHARED_SLOTS) for (const f of group) m.set(f, m.get(group[0]!)!);
  return m;
})();
const DL_TYPE = SLOT.get('dl_type')!;
const NW_PROTO = SLOT.get('nw_proto')!;
const VLAN = SLOT.get(VLAN_SLOT_FIELD)!;

// Per item: its slot, and a second one (a shorthand with nw_proto); -1 for none. Reused.
let slotA = new Int32Array(64);
let slotB = new Int32Array(64);

/**
 * Two items of `items` that set one field (or shared bits) to different values, as an error
 * message and the later item; undefined when every field is set once (or again to the same value).
 * No allocation unless two items share a slot.
 */
export function conflictingItems(
  items: readonly MatchItem[],
): { message: string; item: MatchItem } | undefined {
  const n = items.length;
  if (n < 2) return undefined;
  if (n > slotA.length) {
    slotA = new Int32Array(n * 2);
    slotB = new Int32Array(n * 2);
  }
  for (let i = 0; i < n; i++) {
    const it = items[i]!;
    slotB[i] = -1;
    if (it.kind === 'field') slotA[i] = SLOT.get(it.field) ?? -1;
    else if (it.kind === 'shorthand') {
      slotA[i] = DL_TYPE;
      if (SHORTHANDS.get(it.name)?.nw_proto !== undefined) slotB[i] = NW_PROTO;
    } else slotA[i] = -1;
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
  return undefined;
}

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
