// The packet a trace walks: Ethernet with a VLAN stack, IPv4/IPv6, ARP, L4 ports, and the
// pipeline's registers and metadata. Plain numbers (bigint for 64/128-bit fields).

import { FlowSyntaxError } from '../openflow/errors.ts';
import { lookupField, parseFieldValue, SHORTHANDS } from '../openflow/fields.ts';
import { splitTopLevel } from '../openflow/text.ts';
import { formatIpv4, formatIpv6, formatMac, parseMacOnly, parseUint } from '../openflow/values.ts';
import { readField, writeField } from './fields.ts';

export interface Vlan {
  tpid: number;
  vid: number;
  pcp: number;
}

export interface Packet {
  /** OpenFlow port the packet entered the current bridge on. */
  in_port: number;
  dl_src: number;
  dl_dst: number;
  /** Outermost first. */
  vlans: Vlan[];
  dl_type: number;
  nw_src: number;
  nw_dst: number;
  nw_proto: number;
  nw_tos: number;
  nw_ttl: number;
  tp_src: number;
  tp_dst: number;
  arp_op: number;
  arp_spa: number;
  arp_tpa: number;
  arp_sha: number;
  arp_tha: number;
  ipv6_src: bigint;
  ipv6_dst: bigint;
  regs: number[];
  metadata: bigint;
  tun_id: bigint;
  /** Outer IPv4 source/destination of the tunnel the packet arrived on (0: none). */
  tun_src: number;
  tun_dst: number;
  pkt_mark: number;
  ct_state: number;
  ct_zone: number;
  ct_mark: number;
  conj_id: number;
}

export function emptyPacket(): Packet {
  return {
    in_port: 0,
    dl_src: 0,
    dl_dst: 0,
    vlans: [],
    dl_type: 0,
    nw_src: 0,
    nw_dst: 0,
    nw_proto: 0,
    nw_tos: 0,
    nw_ttl: 0,
    tp_src: 0,
    tp_dst: 0,
    arp_op: 0,
    arp_spa: 0,
    arp_tpa: 0,
    arp_sha: 0,
    arp_tha: 0,
    ipv6_src: 0n,
    ipv6_dst: 0n,
    regs: new Array(16).fill(0),
    metadata: 0n,
    tun_id: 0n,
    tun_src: 0,
    tun_dst: 0,
    pkt_mark: 0,
    ct_state: 0,
    ct_zone: 0,
    ct_mark: 0,
    conj_id: 0,
  };
}

/** A copy (the trace forks the packet at every output); spelled out because it is hot. */
export function clonePacket(p: Packet): Packet {
  const vlans: Vlan[] = [];
  for (const v of p.vlans) vlans.push({ tpid: v.tpid, vid: v.vid, pcp: v.pcp });
  return {
    in_port: p.in_port,
    dl_src: p.dl_src,
    dl_dst: p.dl_dst,
    vlans,
    dl_type: p.dl_type,
    nw_src: p.nw_src,
    nw_dst: p.nw_dst,
    nw_proto: p.nw_proto,
    nw_tos: p.nw_tos,
    nw_ttl: p.nw_ttl,
    tp_src: p.tp_src,
    tp_dst: p.tp_dst,
    arp_op: p.arp_op,
    arp_spa: p.arp_spa,
    arp_tpa: p.arp_tpa,
    arp_sha: p.arp_sha,
    arp_tha: p.arp_tha,
    ipv6_src: p.ipv6_src,
    ipv6_dst: p.ipv6_dst,
    regs: p.regs.slice(),
    metadata: p.metadata,
    tun_id: p.tun_id,
    tun_src: p.tun_src,
    tun_dst: p.tun_dst,
    pkt_mark: p.pkt_mark,
    ct_state: p.ct_state,
    ct_zone: p.ct_zone,
    ct_mark: p.ct_mark,
    conj_id: p.conj_id,
  };
}

export const BROADCAST = 0xffffffffffff;

/** Presets: what a DHCP client and server put on the wire. */
export function preset(
  name: string,
  mac: number,
  serverMac = 0xfa163ee346c1,
  serverIp = 0x0a000002,
  clientIp = 0x0a000003,
): Packet {
  const p = emptyPacket();
  p.dl_type = 0x0800;
  p.nw_proto = 17;
  p.nw_ttl = 64;
  switch (name) {
    case 'dhcp-discover':
    case 'dhcp-request':
      p.dl_src = mac;
      p.dl_dst = BROADCAST;
      p.nw_src = 0;
      p.nw_dst = 0xffffffff;
      p.tp_src = 68;
      p.tp_dst = 67;
      return p;
    case 'dhcp-offer':
    case 'dhcp-ack':
      p.dl_src = serverMac;
      p.dl_dst = mac;
      p.nw_src = serverIp;
      p.nw_dst = clientIp;
      p.tp_src = 67;
      p.tp_dst = 68;
      return p;
    default:
      throw new FlowSyntaxError(
        `unknown packet preset "${name}" (dhcp-discover, dhcp-request, dhcp-offer, dhcp-ack)`,
        name,
      );
  }
}

export const PRESETS = ['dhcp-discover', 'dhcp-request', 'dhcp-offer', 'dhcp-ack'] as const;

/**
 * ofproto/trace style field list: `udp,dl_src=..,dl_dst=..,nw_src=..,udp_src=68,dl_vlan=5`.
 * `in_port` is returned separately (a name or number, resolved against the bridge).
 *
 * Every value is checked against its field's width as ovs-ofctl checks a flow (`dl_vlan=4096`,
 * `tp_dst=70000`, `nw_ttl=999`, `-1` are refused, never cut to fit), and the list must say one
 * thing: a field given twice with different values, two fields that overlap and disagree
 * (`tp_dst=67,udp_dst=68`, `vlan_tci=0,dl_vlan_pcp=3`) or two protocols (`udp,tcp`) are refused
 * naming both, never settled by taking the last; so is a protocol other than a preset's own
 * (`dhcp-discover,tcp`), while a preset's other values are only defaults the list may change.
 */
export function parsePacketSpec(
  text: string,
  base: Packet = emptyPacket(),
  /** The preset `base` is (`dhcp-discover`): its protocol is said, another one contradicts it. */
  baseName?: string,
): { packet: Packet; inPort?: string } {
  const p = clonePacket(base);
  let inPort: string | undefined;
  let inPortTok = '';
  // What each token set, read back after it: a later token that changes it contradicts it.
  const said: { field: string; value: bigint; tok: string; proto: boolean }[] = [];
  // Every field token, checked against the protocol once the whole list is read.
  const given: { field: string; tok: string }[] = [];
  const check = (tok: string, proto: boolean): void => {
    for (const s of said) {
      if (readField(p, s.field) === s.value) continue;
      throw new FlowSyntaxError(
        s.proto && proto
          ? `--packet: two protocols, "${s.tok}" and "${tok}"; give one`
          : `--packet: "${s.tok}" and "${tok}" disagree (both set ${s.field}); give one value`,
        text,
      );
    }
  };
  const record = (tok: string, fields: string[], proto: boolean): void => {
    for (const field of fields) said.push({ field, value: readField(p, field) ?? 0n, tok, proto });
  };
  if (baseName !== undefined) record(baseName, ['dl_type', 'nw_proto'], true);
  for (const tok of splitTopLevel(text, ',')) {
    if (tok === '') continue;
    const eq = tok.indexOf('=');
    const key = eq < 0 ? tok : tok.slice(0, eq);
    const val = eq < 0 ? '' : tok.slice(eq + 1);
    const sh = SHORTHANDS.get(key);
    if (eq < 0 && sh) {
      p.dl_type = sh.dl_type;
      if (sh.nw_proto !== undefined) p.nw_proto = sh.nw_proto;
      check(tok, true);
      record(tok, sh.nw_proto !== undefined ? ['dl_type', 'nw_proto'] : ['dl_type'], true);
      continue;
    }
    const def = lookupField(key);
    if (!def) throw new FlowSyntaxError(`unknown packet field "${key}"`, text);
    if (def.name === 'in_port') {
      if (val === '') throw new FlowSyntaxError('--packet: in_port needs a value', text);
      if (inPort !== undefined && inPort !== val)
        throw new FlowSyntaxError(
          `--packet: "${inPortTok}" and "${tok}" disagree (both set in_port); give one value`,
          text,
        );
      inPort = val;
      inPortTok = tok;
      continue;
    }
    if (def.name === 'dl_vlan' || def.name === 'vlan_vid') {
      const vid = vlanValue(def.name, val);
      if (vid === undefined) p.vlans.shift();
      else if (p.vlans.length === 0) p.vlans.push({ tpid: 0x8100, vid, pcp: 0 });
      else p.vlans[0]!.vid = vid;
    } else if (def.name === 'dl_vlan_pcp' || def.name === 'vlan_pcp') {
      // As OVS's flow_set_vlan_pcp: a PCP on an untagged packet gives it a tag (VID 0).
      const pcp = Number(parseUint(val, def.bits, def.name));
      if (p.vlans.length === 0) p.vlans.push({ tpid: 0x8100, vid: 0, pcp });
      else p.vlans[0]!.pcp = pcp;
    } else {
      const v = parseFieldValue({ ...def, maskable: false }, val);
      const n = 'v' in v && (typeof v.v === 'number' || typeof v.v === 'bigint') ? v.v : undefined;
      // A value the model cannot hold, or a field it does not carry: said, never left out.
      if (n === undefined || !setPacketField(p, def.name, n)) {
        throw new FlowSyntaxError(
          `--packet: "${tok}": ${key} is not modelled by the simulator, so a trace cannot honour it; leave it out or use ovs-appctl ofproto/trace`,
          text,
        );
      }
    }
    check(tok, false);
    record(tok, [def.name], false);
    given.push({ field: def.name, tok });
  }
  // A field the packet's protocol does not have (`arp,udp_dst=67`, `udp,ipv6_src=::1`,
  // `udp,icmp_type=3`): ofproto/trace refuses it ("prerequisites not met for setting …"), so is it
  // here, never dropped or read as another field that shares its bits.
  for (const g of given) {
    const need = prereqMissing(g.field, p);
    if (need)
      throw new FlowSyntaxError(
        `--packet: "${g.tok}" needs ${need}, and the packet is ${protoText(p)}: prerequisites not met (as ofproto/trace says)`,
        text,
      );
  }
  return { packet: p, ...(inPort !== undefined ? { inPort } : {}) };
}

const IPV4 = 0x0800;
const IPV6 = 0x86dd;
/** Fields OVS reads as IPv4 only (the rest of prereq 'ip', nw_proto, nw_tos, nw_ttl…, are IPv4 or IPv6). */
const IPV4_ONLY: ReadonlySet<string> = new Set(['nw_src', 'nw_dst']);
const L4: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

/**
 * What field `field` needs that packet `p` is not (ovs-fields(7) prerequisites, as OVS's
 * mf_are_prereqs_ok checks them; the table is the one flows are checked with, openflow/fields.ts),
 * or undefined when it has it. tp_src/tp_dst are taken as any TCP, UDP or SCTP port.
 */
export function prereqMissing(field: string, p: Packet): string | undefined {
  const prereq = lookupField(field)?.prereq;
  const ipAny = p.dl_type === IPV4 || p.dl_type === IPV6;
  switch (prereq) {
    case undefined:
    case 'vlan':
      return undefined;
    case 'ip':
      if (IPV4_ONLY.has(field)) return p.dl_type === IPV4 ? undefined : 'IPv4 (ip, or dl_type=0x0800)';
      return ipAny ? undefined : 'IP (ip or ipv6)';
    case 'ipv6':
      return p.dl_type === IPV6 ? undefined : 'IPv6 (ipv6, or dl_type=0x86dd)';
    case 'arp':
      return p.dl_type === 0x0806 || p.dl_type === 0x8035 ? undefined : 'ARP (arp or rarp)';
    case 'tcp':
    case 'udp':
    case 'sctp':
      return ipAny && p.nw_proto === L4[prereq]
        ? undefined
        : `${prereq.toUpperCase()} (${prereq} or ${prereq}6)`;
    case 'l4':
      return ipAny && Object.values(L4).includes(p.nw_proto) ? undefined : 'TCP, UDP or SCTP';
    case 'icmp':
      return p.dl_type === IPV4 && p.nw_proto === 1 ? undefined : 'ICMP (icmp)';
    case 'icmp6':
      return p.dl_type === IPV6 && p.nw_proto === 58 ? undefined : 'ICMPv6 (icmp6)';
    default:
      return prereq;
  }
}

/** The packet's protocol in words, for an error. */
function protoText(p: Packet): string {
  const name = protoName(p);
  if (name) return name;
  return p.dl_type === 0
    ? 'of no protocol (no dl_type)'
    : `dl_type=0x${p.dl_type.toString(16).padStart(4, '0')}`;
}

/** The shorthand ofproto/trace prints for the packet's protocol, if any. */
function protoName(p: Packet): string | undefined {
  if (p.dl_type === IPV4 || p.dl_type === IPV6) {
    const six = p.dl_type === IPV6 ? '6' : '';
    switch (p.nw_proto) {
      case 6:
        return `tcp${six}`;
      case 17:
        return `udp${six}`;
      case 132:
        return `sctp${six}`;
      case 1:
        return six ? undefined : 'icmp';
      case 58:
        return six ? 'icmp6' : undefined;
    }
    return six ? 'ipv6' : 'ip';
  }
  if (p.dl_type === 0x0806) return 'arp';
  if (p.dl_type === 0x8035) return 'rarp';
  return undefined;
}

/**
 * A VLAN ID as ovs-fields(7) reads it: dl_vlan 0..4095 or 0xffff (no tag); vlan_vid with its
 * OFPVID_PRESENT bit (0x1000|VID) or 0 (no tag). undefined: no tag.
 */
function vlanValue(field: 'dl_vlan' | 'vlan_vid', text: string): number | undefined {
  if (field === 'dl_vlan') {
    const v = parseUint(text, 32, field);
    if (v === 0xffff) return undefined;
    if (v > 0xfff)
      throw new FlowSyntaxError(
        `dl_vlan: ${text} does not fit in 12 bits (0..4095, or 0xffff for no VLAN)`,
        text,
      );
    return v;
  }
  const v = parseUint(text, 13, field);
  if (v === 0) return undefined;
  if (!(v & 0x1000))
    throw new FlowSyntaxError(
      `vlan_vid: ${text} lacks OFPVID_PRESENT (0x1000), so ofproto/trace reads it as no VLAN; write dl_vlan=${v} or vlan_vid=0x${(0x1000 | v).toString(16)}`,
      text,
    );
  return v & 0xfff;
}

/** Set one field by canonical name (fields.ts's table); false for fields the packet model does not carry. */
export function setPacketField(p: Packet, field: string, v: number | bigint): boolean {
  return writeField(p, field, typeof v === 'bigint' ? v : BigInt(v));
}

/**
 * The packet as ofproto/trace prints a flow: the fields of its protocol (IPv4 or IPv6 addresses,
 * ports or ICMP type and code, ARP's fields), and any other field the packet carries a value in,
 * so that every field a --packet gave shows.
 */
export function formatPacket(p: Packet, inPort?: string): string {
  const parts: string[] = [];
  const proto = protoName(p);
  if (proto) parts.push(proto);
  if (p.tun_id) parts.push(`tun_id=0x${p.tun_id.toString(16)}`);
  if (p.tun_src) parts.push(`tun_src=${formatIpv4(p.tun_src)}`);
  if (p.tun_dst) parts.push(`tun_dst=${formatIpv4(p.tun_dst)}`);
  if (inPort !== undefined) parts.push(`in_port=${inPort}`);
  if (p.vlans.length === 0) parts.push('vlan_tci=0x0000');
  else for (const v of p.vlans) parts.push(`dl_vlan=${v.vid}${v.pcp ? `,dl_vlan_pcp=${v.pcp}` : ''}`);
  parts.push(`dl_src=${formatMac(p.dl_src)}`, `dl_dst=${formatMac(p.dl_dst)}`);
  if (!proto) parts.push(`dl_type=0x${p.dl_type.toString(16).padStart(4, '0')}`);
  const ip = p.dl_type === IPV4 || p.dl_type === IPV6;
  if (p.dl_type === IPV4) parts.push(`nw_src=${formatIpv4(p.nw_src)}`, `nw_dst=${formatIpv4(p.nw_dst)}`);
  if (p.dl_type === IPV6)
    parts.push(`ipv6_src=${formatIpv6(p.ipv6_src)}`, `ipv6_dst=${formatIpv6(p.ipv6_dst)}`);
  if (ip) {
    if (proto === 'ip' || proto === 'ipv6') {
      if (p.nw_proto) parts.push(`nw_proto=${p.nw_proto}`);
    }
    if (p.nw_tos) parts.push(`nw_tos=${p.nw_tos}`);
    // Presets send with TTL 64; any other (given, or after dec_ttl) is said.
    if (p.nw_ttl && p.nw_ttl !== 64) parts.push(`nw_ttl=${p.nw_ttl}`);
    if (Object.values(L4).includes(p.nw_proto)) parts.push(`tp_src=${p.tp_src}`, `tp_dst=${p.tp_dst}`);
    else if (proto === 'icmp' || proto === 'icmp6')
      parts.push(`icmp_type=${p.tp_src}`, `icmp_code=${p.tp_dst}`);
  }
  if (p.dl_type === 0x0806 || p.dl_type === 0x8035)
    parts.push(
      `arp_spa=${formatIpv4(p.arp_spa)}`,
      `arp_tpa=${formatIpv4(p.arp_tpa)}`,
      `arp_op=${p.arp_op}`,
      `arp_sha=${formatMac(p.arp_sha)}`,
      `arp_tha=${formatMac(p.arp_tha)}`,
    );
  if (p.pkt_mark) parts.push(`pkt_mark=0x${p.pkt_mark.toString(16)}`);
  if (p.ct_state) parts.push(`ct_state=0x${p.ct_state.toString(16)}`);
  if (p.ct_zone) parts.push(`ct_zone=${p.ct_zone}`);
  if (p.ct_mark) parts.push(`ct_mark=0x${p.ct_mark.toString(16)}`);
  p.regs.forEach((r, i) => {
    if (r) parts.push(`reg${i}=0x${r.toString(16)}`);
  });
  if (p.metadata) parts.push(`metadata=0x${p.metadata.toString(16)}`);
  return parts.join(',');
}

export function macOf(text: string): number {
  return parseMacOnly(text, 'mac');
}
