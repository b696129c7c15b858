// Frame → Ethernet, 802.1Q stack, IPv4 (checksum, fragments noted), UDP (checksum with the pseudo
// header) and DHCP/BOOTP with its options. Typed results; a malformed frame is a typed error.
import { formatIpv4, formatMac } from '../openflow/values.ts';
import { type Frame, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from './pcap.ts';

export type DhcpType = 'DISCOVER' | 'OFFER' | 'REQUEST' | 'DECLINE' | 'ACK' | 'NAK' | 'RELEASE' | 'INFORM';
const TYPES: Record<number, DhcpType> = {
  1: 'DISCOVER',
  2: 'OFFER',
  3: 'REQUEST',
  4: 'DECLINE',
  5: 'ACK',
  6: 'NAK',
  7: 'RELEASE',
  8: 'INFORM',
};

export type ChecksumState = 'ok' | 'bad' | 'none' | 'partial';

export interface DhcpMessage {
  op: 1 | 2;
  xid: number;
  type?: DhcpType;
  clientMac: string;
  yiaddr: string;
  ciaddr: string;
  serverId?: string;
  requestedIp?: string;
  leaseTime?: number;
  subnetMask?: string;
  routers?: string[];
  dns?: string[];
  hostname?: string;
  domain?: string;
  paramList?: number[];
  maxSize?: number;
  clientId?: string;
  relayAgent?: string;
  classlessRoutes?: string;
  /** Options the table does not decode, kept raw (code → hex). */
  unknown: Record<number, string>;
}

export interface Decoded {
  frame: Frame;
  src: string;
  dst: string;
  vlans: number[];
  ip?: { src: string; dst: string; proto: number; ttl: number; checksum: 'ok' | 'bad'; fragment: boolean };
  udp?: { src: number; dst: number; checksum: ChecksumState };
  dhcp?: DhcpMessage;
}

export class DecodeError extends Error {}

function ip4(b: Uint8Array, o: number): string {
  return formatIpv4(((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!);
}

function mac(b: Uint8Array, o: number): string {
  let n = 0;
  for (let i = 0; i < 6; i++) n = n * 256 + b[o + i]!;
  return formatMac(n);
}

function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  let s = acc;
  for (let i = start; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) & 1) s += b[end - 1]! << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const UTF8 = new TextDecoder();

function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX2[b[i]!];
  return s;
}

// Module-level helpers: closures created per packet cost more than the decoding itself.
function ipList(v: Uint8Array, len: number): string[] {
  const out: string[] = [];
  for (let k = 0; k + 4 <= len; k += 4) out.push(ip4(v, k));
  return out;
}

export function decodeFrame(frame: Frame): Decoded {
  const b = frame.data;
  let off: number;
  let src = '';
  let dst = '';
  let etype: number;
  if (frame.linktype === LINKTYPE_ETHERNET) {
    if (b.length < 14)
      throw new DecodeError(`frame ${frame.index}: ${b.length} bytes, shorter than an Ethernet header`);
    dst = mac(b, 0);
    src = mac(b, 6);
    etype = (b[12]! << 8) | b[13]!;
    off = 14;
  } else if (frame.linktype === LINKTYPE_LINUX_SLL) {
    if (b.length < 16) throw new DecodeError(`frame ${frame.index}: shorter than a cooked (SLL) header`);
    if (((b[4]! << 8) | b[5]!) >= 6) src = mac(b, 6);
    etype = (b[14]! << 8) | b[15]!;
    off = 16;
  } else if (frame.linktype === LINKTYPE_LINUX_SLL2) {
    if (b.length < 20) throw new DecodeError(`frame ${frame.index}: shorter than a cooked (SLL2) header`);
    etype = (b[0]! << 8) | b[1]!;
    if (b[11]! >= 6) src = mac(b, 12);
    off = 20;
  } else
    throw new DecodeError(
      `frame ${frame.index}: link type ${frame.linktype} is not supported (Ethernet, Linux SLL, SLL2)`,
    );
  const vlans: number[] = [];
  while (etype === 0x8100 || etype === 0x88a8) {
    if (off + 4 > b.length) throw new DecodeError(`frame ${frame.index}: VLAN tag cut off`);
    vlans.push(((b[off]! << 8) | b[off + 1]!) & 0xfff);
    etype = (b[off + 2]! << 8) | b[off + 3]!;
    off += 4;
  }
  const d: Decoded = { frame, src, dst, vlans };
  if (etype !== 0x0800) return d;
  if (off + 20 > b.length) throw new DecodeError(`frame ${frame.index}: IPv4 header cut off`);
  const ihl = (b[off]! & 0x0f) * 4;
  if (b[off]! >> 4 !== 4 || ihl < 20 || off + ihl > b.length)
    throw new DecodeError(`frame ${frame.index}: not a valid IPv4 header`);
  const totalLen = (b[off + 2]! << 8) | b[off + 3]!;
  const flags = (b[off + 6]! << 8) | b[off + 7]!;
  const fragment = (flags & 0x2000) !== 0 || (flags & 0x1fff) !== 0;
  const proto = b[off + 9]!;
  const ipOk = fold(sum16(b, off, off + ihl)) === 0xffff;
  d.ip = {
    src: ip4(b, off + 12),
    dst: ip4(b, off + 16),
    proto,
    ttl: b[off + 8]!,
    checksum: ipOk ? 'ok' : 'bad',
    fragment,
  };
  if (proto !== 17 || (fragment && (flags & 0x1fff) !== 0)) return d;
  const u = off + ihl;
  if (u + 8 > b.length) throw new DecodeError(`frame ${frame.index}: UDP header cut off`);
  const ulen = (b[u + 4]! << 8) | b[u + 5]!;
  const end = Math.min(b.length, u + ulen, off + totalLen);
  const stored = (b[u + 6]! << 8) | b[u + 7]!;
  let checksum: ChecksumState;
  if (stored === 0) checksum = 'none';
  else if (end < u + ulen) checksum = 'partial';
  else {
    let s = sum16(b, off + 12, off + 20);
    s += 17 + ulen;
    s = sum16(b, u, u + ulen, s);
    checksum = fold(s) === 0xffff ? 'ok' : 'bad';
  }
  d.udp = { src: (b[u]! << 8) | b[u + 1]!, dst: (b[u + 2]! << 8) | b[u + 3]!, checksum };
  const isDhcp = (d.udp.src === 67 || d.udp.src === 68) && (d.udp.dst === 67 || d.udp.dst === 68);
  if (isDhcp) d.dhcp = decodeDhcp(b.subarray(u + 8, end), frame.index);
  return d;
}

export function decodeDhcp(b: Uint8Array, index: number): DhcpMessage {
  if (b.length < 240)
    throw new DecodeError(`frame ${index}: BOOTP message of ${b.length} bytes (at least 240)`);
  const op = b[0]!;
  if (op !== 1 && op !== 2)
    throw new DecodeError(`frame ${index}: BOOTP op ${op} is neither request nor reply`);
  const xid = ((b[4]! << 24) >>> 0) + (b[5]! << 16) + (b[6]! << 8) + b[7]!;
  const m: DhcpMessage = {
    op,
    xid,
    clientMac: mac(b, 28),
    yiaddr: ip4(b, 16),
    ciaddr: ip4(b, 12),
    unknown: {},
  };
  if (b[236] !== 99 || b[237] !== 130 || b[238] !== 83 || b[239] !== 99) return m; // plain BOOTP
  let o = 240;
  while (o < b.length) {
    const code = b[o]!;
    if (code === 0) {
      o++;
      continue;
    }
    if (code === 255) break;
    if (o + 1 >= b.length) throw new DecodeError(`frame ${index}: DHCP option ${code} cut off`);
    const len = b[o + 1]!;
    const v = b.subarray(o + 2, o + 2 + len);
    if (v.length < len)
      throw new DecodeError(
        `frame ${index}: DHCP option ${code} announces ${len} bytes, ${v.length} present`,
      );
    switch (code) {
      case 53:
        if (TYPES[v[0]!]) m.type = TYPES[v[0]!];
        break;
      case 54:
        if (len >= 4) m.serverId = ip4(v, 0);
        break;
      case 50:
        if (len >= 4) m.requestedIp = ip4(v, 0);
        break;
      case 51:
        if (len === 4) m.leaseTime = ((v[0]! << 24) >>> 0) + (v[1]! << 16) + (v[2]! << 8) + v[3]!;
        break;
      case 1:
        if (len >= 4) m.subnetMask = ip4(v, 0);
        break;
      case 3:
        m.routers = ipList(v, len);
        break;
      case 6:
        m.dns = ipList(v, len);
        break;
      case 12:
        m.hostname = UTF8.decode(v);
        break;
      case 15:
        m.domain = UTF8.decode(v);
        break;
      case 55:
        m.paramList = Array.from(v);
        break;
      case 57:
        if (len === 2) m.maxSize = (v[0]! << 8) | v[1]!;
        break;
      case 61:
        m.clientId = hex(v);
        break;
      case 82:
        m.relayAgent = hex(v);
        break;
      case 121:
        m.classlessRoutes = hex(v);
        break;
      default:
        m.unknown[code] = hex(v);
    }
    o += 2 + len;
  }
  return m;
}
