// The declarative table of match fields: one row per field drives parsing, formatting and (in the
// dataplane) matching. Names follow ovs-fields(7); `nxm`/`oxm` are the names used in field
// references (load/move/learn) and accepted as match keys.
import { syntaxError } from './errors.ts';
import type { FieldValue } from './types.ts';
import {
  formatFlags,
  formatIntValue,
  formatIpv4Value,
  formatIpv6Value,
  formatMacValue,
  formatPortRef,
  parseBigValue,
  parseFlags,
  parseIntValue,
  parseIpv4,
  parseIpv6,
  parseMac,
  parsePortRef,
} from './values.ts';

export type FieldKind =
  | 'int'
  | 'big'
  | 'mac'
  | 'ipv4'
  | 'ipv6'
  | 'port'
  | 'ct_state'
  | 'tcp_flags'
  | 'tun_flags'
  | 'frag'
  /** Kept as written (`packet_type=(1,0x800)`): matched by nobody here, never misread. */
  | 'text';

export interface FieldDef {
  name: string;
  kind: FieldKind;
  /**
   * The field's width as ovs-fields(7) (OVS 3.1) gives it, counting only the bits that may be
   * nonzero (dl_vlan 12, vlan_pcp 3, ip_dscp 6): what a match or set_field value and a bit
   * reference (`OXM_OF_VLAN_VID[0..11]`) may use. ovs-ofctl keeps only these bits of a wider value
   * that fits the field's bytes (`dl_vlan=5000` is installed, and printed, as `dl_vlan=904`), so
   * a dump never holds one: such a value is a syntax error, never read either way.
   */
  bits: number;
  /** A value may use more bits than a reference: vlan_vid's OFPVID_PRESENT (0x1000) → 13. */
  valueBits?: number;
  /** One value beyond `bits` that OVS reads: dl_vlan's 0xffff (OFP10_VLAN_NONE, no tag). */
  noTag?: number;
  /** Bits a value must leave zero: nw_tos's ECN bits (0x3); OVS clears them (`nw_tos=3` → `nw_tos=0`). */
  zeroBits?: number;
  maskable: boolean;
  aliases: readonly string[];
  nxm?: string;
  oxm?: string;
  /** Required dl_type / nw_proto for the field to be meaningful (ovs-fields "prerequisites"). */
  prereq?:
    | 'vlan'
    | 'ip'
    | 'ipv6'
    | 'arp'
    | 'tcp'
    | 'udp'
    | 'sctp'
    | 'icmp'
    | 'icmp6'
    | 'l4'
    | 'ct'
    | 'mpls'
    | 'nsh';
}

export const CT_STATE_FLAGS = ['new', 'est', 'rel', 'rpl', 'inv', 'trk', 'snat', 'dnat'] as const;
export const TCP_FLAGS = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr', 'ns'] as const;
export const TUN_FLAGS = ['oam'] as const;
export const FRAG_VALUES = ['no', 'yes', 'first', 'later', 'not_later'] as const;

type Row = [
  name: string,
  kind: FieldKind,
  bits: number,
  maskable: boolean,
  aliases?: string,
  nxm?: string,
  prereq?: FieldDef['prereq'],
];

// name, kind, bits, maskable, aliases (space separated), nxm/oxm name, prerequisite
const ROWS: Row[] = [
  ['in_port', 'port', 32, false, 'in_port_oxm', 'NXM_OF_IN_PORT'],
  ['dl_src', 'mac', 48, true, 'eth_src', 'NXM_OF_ETH_SRC'],
  ['dl_dst', 'mac', 48, true, 'eth_dst', 'NXM_OF_ETH_DST'],
  ['dl_type', 'int', 16, false, 'eth_type', 'NXM_OF_ETH_TYPE'],
  ['vlan_tci', 'int', 16, true, '', 'NXM_OF_VLAN_TCI'],
  ['dl_vlan', 'int', 12, false, ''],
  ['dl_vlan_pcp', 'int', 3, false, ''],
  ['vlan_vid', 'int', 12, true, '', 'OXM_OF_VLAN_VID'],
  ['vlan_pcp', 'int', 3, false, '', 'OXM_OF_VLAN_PCP'],
  ['nw_src', 'ipv4', 32, true, 'ip_src', 'NXM_OF_IP_SRC', 'ip'],
  ['nw_dst', 'ipv4', 32, true, 'ip_dst', 'NXM_OF_IP_DST', 'ip'],
  ['nw_proto', 'int', 8, false, 'ip_proto', 'NXM_OF_IP_PROTO', 'ip'],
  ['nw_tos', 'int', 8, false, '', 'NXM_OF_IP_TOS', 'ip'],
  ['ip_dscp', 'int', 6, false, '', 'OXM_OF_IP_DSCP', 'ip'],
  ['nw_ecn', 'int', 2, false, 'ip_ecn', 'NXM_NX_IP_ECN', 'ip'],
  ['nw_ttl', 'int', 8, false, '', 'NXM_NX_IP_TTL', 'ip'],
  ['nw_frag', 'frag', 2, true, 'ip_frag', 'NXM_NX_IP_FRAG', 'ip'],
  ['arp_op', 'int', 16, false, '', 'NXM_OF_ARP_OP', 'arp'],
  ['arp_spa', 'ipv4', 32, true, '', 'NXM_OF_ARP_SPA', 'arp'],
  ['arp_tpa', 'ipv4', 32, true, '', 'NXM_OF_ARP_TPA', 'arp'],
  ['arp_sha', 'mac', 48, true, '', 'NXM_NX_ARP_SHA', 'arp'],
  ['arp_tha', 'mac', 48, true, '', 'NXM_NX_ARP_THA', 'arp'],
  ['tp_src', 'int', 16, true, '', 'NXM_OF_TCP_SRC', 'l4'],
  ['tp_dst', 'int', 16, true, '', 'NXM_OF_TCP_DST', 'l4'],
  ['tcp_src', 'int', 16, true, '', 'OXM_OF_TCP_SRC', 'tcp'],
  ['tcp_dst', 'int', 16, true, '', 'OXM_OF_TCP_DST', 'tcp'],
  ['udp_src', 'int', 16, true, '', 'NXM_OF_UDP_SRC', 'udp'],
  ['udp_dst', 'int', 16, true, '', 'NXM_OF_UDP_DST', 'udp'],
  ['sctp_src', 'int', 16, true, '', 'OXM_OF_SCTP_SRC', 'sctp'],
  ['sctp_dst', 'int', 16, true, '', 'OXM_OF_SCTP_DST', 'sctp'],
  ['tcp_flags', 'tcp_flags', 12, true, '', 'NXM_NX_TCP_FLAGS', 'tcp'],
  ['icmp_type', 'int', 8, false, 'icmpv4_type', 'NXM_OF_ICMP_TYPE', 'icmp'],
  ['icmp_code', 'int', 8, false, 'icmpv4_code', 'NXM_OF_ICMP_CODE', 'icmp'],
  ['ipv6_src', 'ipv6', 128, true, '', 'NXM_NX_IPV6_SRC', 'ipv6'],
  ['ipv6_dst', 'ipv6', 128, true, '', 'NXM_NX_IPV6_DST', 'ipv6'],
  ['ipv6_label', 'int', 20, true, '', 'NXM_NX_IPV6_LABEL', 'ipv6'],
  ['icmpv6_type', 'int', 8, false, '', 'NXM_NX_ICMPV6_TYPE', 'icmp6'],
  ['icmpv6_code', 'int', 8, false, '', 'NXM_NX_ICMPV6_CODE', 'icmp6'],
  ['nd_target', 'ipv6', 128, true, '', 'NXM_NX_ND_TARGET', 'icmp6'],
  ['nd_sll', 'mac', 48, true, '', 'NXM_NX_ND_SLL', 'icmp6'],
  ['nd_tll', 'mac', 48, true, '', 'NXM_NX_ND_TLL', 'icmp6'],
  ['metadata', 'big', 64, true, '', 'OXM_OF_METADATA'],
  ['tun_id', 'big', 64, true, 'tunnel_id', 'NXM_NX_TUN_ID'],
  ['tun_src', 'ipv4', 32, true, '', 'NXM_NX_TUN_IPV4_SRC'],
  ['tun_dst', 'ipv4', 32, true, '', 'NXM_NX_TUN_IPV4_DST'],
  ['pkt_mark', 'int', 32, true, '', 'NXM_NX_PKT_MARK'],
  ['skb_priority', 'int', 32, false, ''],
  ['ct_state', 'ct_state', 32, true, '', 'NXM_NX_CT_STATE'],
  ['ct_zone', 'int', 16, false, '', 'NXM_NX_CT_ZONE'],
  ['ct_mark', 'int', 32, true, '', 'NXM_NX_CT_MARK'],
  ['ct_label', 'big', 128, true, '', 'NXM_NX_CT_LABEL'],
  ['ct_nw_proto', 'int', 8, false, ''],
  ['conj_id', 'int', 32, false, ''],
  ['recirc_id', 'int', 32, false, ''],
  ['dp_hash', 'int', 32, true, ''],
  ['actset_output', 'port', 32, false, ''],
  ['mpls_label', 'int', 20, false, '', 'OXM_OF_MPLS_LABEL'],
  ['mpls_tc', 'int', 3, false, '', 'OXM_OF_MPLS_TC'],
  ['mpls_bos', 'int', 1, false, '', 'OXM_OF_MPLS_BOS'],
  // The rest of ovs-fields(7) (OVS 3.1): tunnels, conntrack tuple, MPLS TTL, NSH, ND extensions.
  ['tun_ipv6_src', 'ipv6', 128, true, '', 'NXM_NX_TUN_IPV6_SRC'],
  ['tun_ipv6_dst', 'ipv6', 128, true, '', 'NXM_NX_TUN_IPV6_DST'],
  ['tun_gbp_id', 'int', 16, true, '', 'NXM_NX_TUN_GBP_ID'],
  ['tun_gbp_flags', 'int', 8, true, '', 'NXM_NX_TUN_GBP_FLAGS'],
  ['tun_erspan_ver', 'int', 4, true, '', 'NXOXM_ET_ERSPAN_VER'],
  ['tun_erspan_idx', 'int', 20, true, '', 'NXOXM_ET_ERSPAN_IDX'],
  ['tun_erspan_dir', 'int', 1, true, '', 'NXOXM_ET_ERSPAN_DIR'],
  ['tun_erspan_hwid', 'int', 6, true, '', 'NXOXM_ET_ERSPAN_HWID'],
  ['tun_gtpu_flags', 'int', 8, true, '', 'NXOXM_ET_GTPU_FLAGS'],
  ['tun_gtpu_msgtype', 'int', 8, true, '', 'NXOXM_ET_GTPU_MSGTYPE'],
  ['tun_flags', 'tun_flags', 1, true, '', 'NXM_NX_TUN_FLAGS'],
  ['packet_type', 'text', 32, false, '', 'OXM_OF_PACKET_TYPE'],
  ['ct_nw_src', 'ipv4', 32, true, '', 'NXM_NX_CT_NW_SRC', 'ct'],
  ['ct_nw_dst', 'ipv4', 32, true, '', 'NXM_NX_CT_NW_DST', 'ct'],
  ['ct_ipv6_src', 'ipv6', 128, true, '', 'NXM_NX_CT_IPV6_SRC', 'ct'],
  ['ct_ipv6_dst', 'ipv6', 128, true, '', 'NXM_NX_CT_IPV6_DST', 'ct'],
  ['ct_tp_src', 'int', 16, true, '', 'NXM_NX_CT_TP_SRC', 'ct'],
  ['ct_tp_dst', 'int', 16, true, '', 'NXM_NX_CT_TP_DST', 'ct'],
  ['mpls_ttl', 'int', 8, false, '', 'NXM_NX_MPLS_TTL', 'mpls'],
  ['nsh_flags', 'int', 8, true, '', 'NXOXM_NSH_FLAGS', 'nsh'],
  ['nsh_ttl', 'int', 8, false, '', 'NXOXM_NSH_TTL', 'nsh'],
  ['nsh_mdtype', 'int', 8, false, '', 'NXOXM_NSH_MDTYPE', 'nsh'],
  ['nsh_np', 'int', 8, false, '', 'NXOXM_NSH_NP', 'nsh'],
  ['nsh_spi', 'int', 24, false, 'nsp', 'NXOXM_NSH_SPI', 'nsh'],
  ['nsh_si', 'int', 8, false, 'nsi', 'NXOXM_NSH_SI', 'nsh'],
  ['nsh_c1', 'int', 32, true, 'nshc1', 'NXOXM_NSH_C1', 'nsh'],
  ['nsh_c2', 'int', 32, true, 'nshc2', 'NXOXM_NSH_C2', 'nsh'],
  ['nsh_c3', 'int', 32, true, 'nshc3', 'NXOXM_NSH_C3', 'nsh'],
  ['nsh_c4', 'int', 32, true, 'nshc4', 'NXOXM_NSH_C4', 'nsh'],
  ['nd_reserved', 'int', 32, false, '', 'ERICOXM_OF_ICMPV6_ND_RESERVED', 'icmp6'],
  ['nd_options_type', 'int', 8, false, '', 'ERICOXM_OF_ICMPV6_ND_OPTIONS_TYPE', 'icmp6'],
];

// What the widths above do not say (see FieldDef).
const SPECIAL: Record<string, Pick<FieldDef, 'valueBits' | 'noTag' | 'zeroBits'>> = {
  vlan_vid: { valueBits: 13 },
  dl_vlan: { noTag: 0xffff },
  nw_tos: { zeroBits: 0x3 },
};

for (let i = 0; i < 16; i++) ROWS.push([`reg${i}`, 'int', 32, true, '', `NXM_NX_REG${i}`]);
for (let i = 0; i < 8; i++) ROWS.push([`xreg${i}`, 'big', 64, true, '', `OXM_OF_PKT_REG${i}`]);
for (let i = 0; i < 4; i++) ROWS.push([`xxreg${i}`, 'big', 128, true, '', `NXM_NX_XXREG${i}`]);
for (let i = 0; i < 64; i++) ROWS.push([`tun_metadata${i}`, 'big', 992, true, '', `NXM_NX_TUN_METADATA${i}`]);

export const FIELDS: ReadonlyMap<string, FieldDef> = (() => {
  const m = new Map<string, FieldDef>();
  for (const [name, kind, bits, maskable, aliases, nxm, prereq] of ROWS) {
    const def: FieldDef = {
      name,
      kind,
      bits,
      maskable,
      aliases: aliases ? aliases.split(' ') : [],
      ...(nxm && !nxm.includes('OXM') ? { nxm } : {}),
      ...(nxm?.includes('OXM') ? { oxm: nxm } : {}),
      ...(prereq ? { prereq } : {}),
    };
    const extra = SPECIAL[name];
    if (extra) Object.assign(def, extra);
    m.set(name, def);
    for (const a of def.aliases) m.set(a, def);
    if (nxm) m.set(nxm, def);
  }
  // The other spelling of fields whose NXM and OXM names both exist.
  const extra: [string, string][] = [
    ['OXM_OF_IN_PORT', 'in_port'],
    ['OXM_OF_ETH_SRC', 'dl_src'],
    ['OXM_OF_ETH_DST', 'dl_dst'],
    ['OXM_OF_ETH_TYPE', 'dl_type'],
    ['OXM_OF_IPV4_SRC', 'nw_src'],
    ['OXM_OF_IPV4_DST', 'nw_dst'],
    ['OXM_OF_IP_PROTO', 'nw_proto'],
    ['OXM_OF_UDP_SRC', 'udp_src'],
    ['OXM_OF_UDP_DST', 'udp_dst'],
    ['OXM_OF_TUNNEL_ID', 'tun_id'],
    ['OXM_OF_IPV6_SRC', 'ipv6_src'],
    ['OXM_OF_IPV6_DST', 'ipv6_dst'],
    ['OXM_OF_IPV6_FLABEL', 'ipv6_label'],
    ['OXM_OF_IP_ECN', 'nw_ecn'],
    ['OXM_OF_ARP_OP', 'arp_op'],
    ['OXM_OF_ARP_SPA', 'arp_spa'],
    ['OXM_OF_ARP_TPA', 'arp_tpa'],
    ['OXM_OF_ARP_SHA', 'arp_sha'],
    ['OXM_OF_ARP_THA', 'arp_tha'],
    ['ONFOXM_ET_TCP_FLAGS', 'tcp_flags'],
    ['OXM_OF_TCP_FLAGS', 'tcp_flags'],
    ['OXM_OF_ICMPV4_TYPE', 'icmp_type'],
    ['OXM_OF_ICMPV4_CODE', 'icmp_code'],
    ['OXM_OF_ICMPV6_TYPE', 'icmpv6_type'],
    ['OXM_OF_ICMPV6_CODE', 'icmpv6_code'],
    ['OXM_OF_IPV6_ND_TARGET', 'nd_target'],
    ['OXM_OF_IPV6_ND_SLL', 'nd_sll'],
    ['OXM_OF_IPV6_ND_TLL', 'nd_tll'],
    ['ONFOXM_ET_ACTSET_OUTPUT', 'actset_output'],
    ['OXM_OF_ACTSET_OUTPUT', 'actset_output'],
    ['NXM_NX_CONJ_ID', 'conj_id'],
    ['NXM_NX_CT_NW_PROTO', 'ct_nw_proto'],
    ['NXM_NX_DP_HASH', 'dp_hash'],
    ['NXM_NX_RECIRC_ID', 'recirc_id'],
  ];
  for (const [alias, name] of extra) m.set(alias, m.get(name)!);
  return m;
})();

export function lookupField(name: string): FieldDef | undefined {
  return FIELDS.get(name);
}

/** Protocol shorthands: what each one means for dl_type / nw_proto. */
export const SHORTHANDS: ReadonlyMap<string, { dl_type: number; nw_proto?: number }> = new Map([
  ['ip', { dl_type: 0x0800 }],
  ['ipv4', { dl_type: 0x0800 }],
  ['ipv6', { dl_type: 0x86dd }],
  ['icmp', { dl_type: 0x0800, nw_proto: 1 }],
  ['icmp6', { dl_type: 0x86dd, nw_proto: 58 }],
  ['tcp', { dl_type: 0x0800, nw_proto: 6 }],
  ['tcp6', { dl_type: 0x86dd, nw_proto: 6 }],
  ['udp', { dl_type: 0x0800, nw_proto: 17 }],
  ['udp6', { dl_type: 0x86dd, nw_proto: 17 }],
  ['sctp', { dl_type: 0x0800, nw_proto: 132 }],
  ['sctp6', { dl_type: 0x86dd, nw_proto: 132 }],
  ['arp', { dl_type: 0x0806 }],
  ['rarp', { dl_type: 0x8035 }],
  ['mpls', { dl_type: 0x8847 }],
  ['mplsm', { dl_type: 0x8848 }],
]);

export function parseFieldValue(def: FieldDef, text: string): FieldValue {
  const what = def.name;
  switch (def.kind) {
    case 'int': {
      if (def.noTag !== undefined) {
        const x = parseIntValue(text, 16, def.maskable, what);
        if (x.v > 2 ** def.bits - 1 && x.v !== def.noTag)
          syntaxError(
            `${what}: ${text} does not fit in ${def.bits} bits (0..${2 ** def.bits - 1}, or ${def.noTag} for no VLAN): ovs-ofctl never prints it (add-flow keeps the low ${def.bits} bits, ${x.v & (2 ** def.bits - 1)})`,
            text,
          );
        return x;
      }
      const x = parseIntValue(text, def.valueBits ?? def.bits, def.maskable, what);
      if (def.zeroBits !== undefined && (x.v & def.zeroBits) !== 0)
        syntaxError(
          `${what}: ${text} sets bits the field does not hold (0x${def.zeroBits.toString(16)}): ovs-ofctl never prints it (add-flow clears them: ${x.v & ~def.zeroBits})`,
          text,
        );
      return x;
    }
    case 'big':
      return parseBigValue(text, def.bits, def.maskable, what);
    case 'mac':
      return parseMac(text, def.maskable, what);
    case 'ipv4':
      return parseIpv4(text, def.maskable, what);
    case 'ipv6':
      return parseIpv6(text, def.maskable, what);
    case 'port':
      return { t: 'port', port: parsePortRef(text, what) };
    case 'ct_state':
      return text.startsWith('+') || text.startsWith('-')
        ? parseFlags(text, CT_STATE_FLAGS, what)
        : parseIntValue(text, 32, true, what);
    case 'tcp_flags':
      return text.startsWith('+') || text.startsWith('-')
        ? parseFlags(text, TCP_FLAGS, what)
        : parseIntValue(text, def.bits, true, what);
    case 'tun_flags':
      // `+oam-...` to match, `oam` (flag names joined by `|`) as set_field prints a value.
      if (text.startsWith('+') || text.startsWith('-')) return parseFlags(text, TUN_FLAGS, what);
      if (text.split('|').every((f) => (TUN_FLAGS as readonly string[]).includes(f)))
        return { t: 'enum', v: text };
      return parseIntValue(text, def.bits, true, what);
    case 'text':
      if (text === '') syntaxError(`${what} needs a value`, text);
      return { t: 'enum', v: text };
    case 'frag':
      if (!(FRAG_VALUES as readonly string[]).includes(text))
        syntaxError(`${what}: unknown value "${text}"`, text);
      return { t: 'enum', v: text };
  }
}

export function formatFieldValue(v: FieldValue): string {
  switch (v.t) {
    case 'int':
    case 'big':
      return formatIntValue(v);
    case 'mac':
      return formatMacValue(v);
    case 'ipv4':
      return formatIpv4Value(v);
    case 'ipv6':
      return formatIpv6Value(v);
    case 'port':
      return formatPortRef(v.port);
    case 'flags':
      return formatFlags(v);
    case 'enum':
      return v.v;
  }
}
