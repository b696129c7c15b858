// One field accessor module: how every OpenFlow field the simulator models is read from and
// written to a Packet. The classifier's getters, the actions (set_field, load, move, output_reg)
// and the packet spec parser all go through this table; a field not in it is not modelled, and
// whoever asks reports that out loud.
import type { Packet } from './packet.ts';

export interface FieldAccess {
  /** Width in bits (writes are masked to it). */
  bits: number;
  /** Read as a plain number when the field fits (≤ 48 bits: MACs included). */
  num?: (p: Packet) => number;
  big?: (p: Packet) => bigint;
  /** Write; absent for fields a trace cannot set (nw_frag, tcp_flags). */
  set?: (p: Packet, v: bigint) => void;
}

const tagged = (p: Packet): boolean => p.vlans.length > 0;
const n = (v: bigint, bits: number): number => Number(v & ((1n << BigInt(bits)) - 1n));

function setTci(p: Packet, tci: number): void {
  if (tci & 0x1000) {
    if (p.vlans.length) Object.assign(p.vlans[0]!, { vid: tci & 0xfff, pcp: tci >> 13 });
    else p.vlans.unshift({ tpid: 0x8100, vid: tci & 0xfff, pcp: tci >> 13 });
  } else p.vlans.shift();
}

function setVid(p: Packet, vid: number): void {
  if (p.vlans.length) p.vlans[0]!.vid = vid & 0xfff;
  else p.vlans.unshift({ tpid: 0x8100, vid: vid & 0xfff, pcp: 0 });
}

// Setting a PCP on an untagged frame does nothing (mod_vlan_pcp, which pushes a tag, is its own action).
function setPcp(p: Packet, pcp: number): void {
  if (p.vlans.length) p.vlans[0]!.pcp = pcp & 7;
}

type NumKey =
  | 'dl_src'
  | 'dl_dst'
  | 'dl_type'
  | 'nw_src'
  | 'nw_dst'
  | 'nw_proto'
  | 'nw_ttl'
  | 'arp_op'
  | 'arp_spa'
  | 'arp_tpa'
  | 'arp_sha'
  | 'arp_tha'
  | 'pkt_mark'
  | 'tun_src'
  | 'tun_dst'
  | 'ct_state'
  | 'ct_zone'
  | 'ct_mark'
  | 'conj_id'
  | 'in_port';

function plain(key: NumKey, bits: number): FieldAccess {
  return {
    bits,
    num: (p) => p[key],
    set: (p, v) => {
      p[key] = n(v, bits);
    },
  };
}

const tpSrc: FieldAccess = {
  bits: 16,
  num: (p) => p.tp_src,
  set: (p, v) => {
    p.tp_src = n(v, 16);
  },
};
const tpDst: FieldAccess = {
  bits: 16,
  num: (p) => p.tp_dst,
  set: (p, v) => {
    p.tp_dst = n(v, 16);
  },
};

export const FIELD_ACCESS: ReadonlyMap<string, FieldAccess> = (() => {
  const m = new Map<string, FieldAccess>([
    ['in_port', plain('in_port', 32)],
    ['dl_src', plain('dl_src', 48)],
    ['dl_dst', plain('dl_dst', 48)],
    ['dl_type', plain('dl_type', 16)],
    ['arp_sha', plain('arp_sha', 48)],
    ['arp_tha', plain('arp_tha', 48)],
    ['arp_op', plain('arp_op', 16)],
    ['arp_spa', plain('arp_spa', 32)],
    ['arp_tpa', plain('arp_tpa', 32)],
    ['nw_src', plain('nw_src', 32)],
    ['nw_dst', plain('nw_dst', 32)],
    ['nw_proto', plain('nw_proto', 8)],
    ['nw_ttl', plain('nw_ttl', 8)],
    ['pkt_mark', plain('pkt_mark', 32)],
    ['tun_src', plain('tun_src', 32)],
    ['tun_dst', plain('tun_dst', 32)],
    ['ct_state', plain('ct_state', 32)],
    ['ct_zone', plain('ct_zone', 16)],
    ['ct_mark', plain('ct_mark', 32)],
    ['conj_id', plain('conj_id', 32)],
    [
      'nw_tos',
      {
        bits: 8,
        num: (p) => p.nw_tos,
        set: (p, v) => {
          p.nw_tos = n(v, 8) & 0xfc;
        },
      },
    ],
    [
      'ip_dscp',
      {
        bits: 6,
        num: (p) => p.nw_tos >> 2,
        set: (p, v) => {
          p.nw_tos = (p.nw_tos & 3) | ((n(v, 6) << 2) & 0xfc);
        },
      },
    ],
    ['nw_ecn', { bits: 2, num: (p) => p.nw_tos & 3 }],
    ['nw_frag', { bits: 8, num: () => 0 }],
    ['tcp_flags', { bits: 12, num: () => 0 }],
    ['tp_src', tpSrc],
    ['tp_dst', tpDst],
    ['tcp_src', tpSrc],
    ['tcp_dst', tpDst],
    ['udp_src', tpSrc],
    ['udp_dst', tpDst],
    ['sctp_src', tpSrc],
    ['sctp_dst', tpDst],
    ['icmp_type', tpSrc],
    ['icmp_code', tpDst],
    ['icmpv6_type', tpSrc],
    ['icmpv6_code', tpDst],
    [
      'vlan_tci',
      {
        bits: 16,
        num: (p) => (tagged(p) ? 0x1000 | (p.vlans[0]!.pcp << 13) | p.vlans[0]!.vid : 0),
        set: (p, v) => setTci(p, n(v, 16)),
      },
    ],
    [
      'vlan_vid',
      {
        bits: 13,
        num: (p) => (tagged(p) ? 0x1000 | p.vlans[0]!.vid : 0),
        set: (p, v) => setVid(p, n(v, 12)),
      },
    ],
    // dl_vlan/dl_vlan_pcp/vlan_pcp of an untagged frame read as values no tag can have.
    [
      'dl_vlan',
      { bits: 12, num: (p) => (tagged(p) ? p.vlans[0]!.vid : 0xffff), set: (p, v) => setVid(p, n(v, 12)) },
    ],
    [
      'dl_vlan_pcp',
      { bits: 3, num: (p) => (tagged(p) ? p.vlans[0]!.pcp : 0x100), set: (p, v) => setPcp(p, n(v, 3)) },
    ],
    [
      'vlan_pcp',
      { bits: 3, num: (p) => (tagged(p) ? p.vlans[0]!.pcp : 0x100), set: (p, v) => setPcp(p, n(v, 3)) },
    ],
    [
      'metadata',
      {
        bits: 64,
        big: (p) => p.metadata,
        set: (p, v) => {
          p.metadata = v & 0xffffffffffffffffn;
        },
      },
    ],
    [
      'tun_id',
      {
        bits: 64,
        big: (p) => p.tun_id,
        set: (p, v) => {
          p.tun_id = v & 0xffffffffffffffffn;
        },
      },
    ],
    [
      'ipv6_src',
      {
        bits: 128,
        big: (p) => p.ipv6_src,
        set: (p, v) => {
          p.ipv6_src = v;
        },
      },
    ],
    [
      'ipv6_dst',
      {
        bits: 128,
        big: (p) => p.ipv6_dst,
        set: (p, v) => {
          p.ipv6_dst = v;
        },
      },
    ],
  ]);
  for (let i = 0; i < 16; i++)
    m.set(`reg${i}`, {
      bits: 32,
      num: (p) => p.regs[i]!,
      set: (p, v) => {
        p.regs[i] = n(v, 32) >>> 0;
      },
    });
  return m;
})();

/** The whole field as a bigint, or undefined when the model does not carry it. */
export function readField(p: Packet, field: string): bigint | undefined {
  const a = FIELD_ACCESS.get(field);
  if (!a) return undefined;
  if (a.big) return a.big(p);
  return a.num ? BigInt(a.num(p)) : undefined;
}

/** Write the whole field; false when the model does not carry it or it cannot be set. */
export function writeField(p: Packet, field: string, v: bigint): boolean {
  const a = FIELD_ACCESS.get(field);
  if (!a?.set) return false;
  a.set(p, v);
  return true;
}

/** Bits [start..end] of a field (NXM_NX_REG0[0..15]); the whole field without a range. */
export function readBits(p: Packet, field: string, start?: number, end?: number): bigint | undefined {
  const v = readField(p, field);
  if (v === undefined || start === undefined) return v;
  const width = BigInt(end! - start + 1);
  return (v >> BigInt(start)) & ((1n << width) - 1n);
}

export function writeBits(p: Packet, field: string, value: bigint, start?: number, end?: number): boolean {
  const a = FIELD_ACCESS.get(field);
  if (!a?.set) return false;
  if (start === undefined) return writeField(p, field, value);
  const cur = readField(p, field) ?? 0n;
  const width = BigInt(end! - start + 1);
  const mask = ((1n << width) - 1n) << BigInt(start);
  return writeField(p, field, (cur & ~mask) | ((value << BigInt(start)) & mask));
}
