// Frame → Ethernet, 802.1Q stack, IPv4 (checksum, fragments noted), UDP (checksum with the pseudo
// header) and DHCP/BOOTP with its options. Typed results; a malformed frame is a typed error.
import { BoundedMemo } from '../memo/bounded-memo.ts';
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
  type?: DhcpType | undefined;
  clientMac: string;
  yiaddr: string;
  ciaddr: string;
  serverId?: string | undefined;
  requestedIp?: string | undefined;
  leaseTime?: number | undefined;
  subnetMask?: string | undefined;
  routers?: string[] | undefined;
  dns?: string[] | undefined;
  hostname?: string | undefined;
  domain?: string | undefined;
  paramList?: number[] | undefined;
  maxSize?: number | undefined;
  clientId?: string | undefined;
  relayAgent?: string | undefined;
  classlessRoutes?: string | undefined;
  /** Options the table does not decode, kept raw (code → hex). */
  unknown: Record<number, string>;
}

export interface Decoded {
  frame: Frame;
  src: string;
  dst: string;
  /** Inner VLANs when the frame was decapsulated. */
  vlans: number[];
  /** The VXLAN/GRE encapsulation the frame was taken out of (src/dst: the outer IPv4 addresses). */
  tunnel?: { type: 'vxlan' | 'gre' | 'geneve'; key: number; src: string; dst: string };
  ip?: { src: string; dst: string; proto: number; ttl: number; checksum: 'ok' | 'bad'; fragment: boolean };
  udp?: { src: number; dst: number; checksum: ChecksumState };
  dhcp?: DhcpMessage;
}

export class DecodeError extends Error {}

// A capture repeats the same few MACs and addresses: one string each, not one per packet
// (bounded: emptied when full).
const ipStrings = new BoundedMemo(65536, formatIpv4);
const macStrings = new BoundedMemo(65536, formatMac);

/** The dotted form of an address held as a number, from the cache. */
export function ipv4String(n: number): string {
  return ipStrings.get(n);
}

function ip4(b: Uint8Array, o: number): string {
  return ipv4String(((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!);
}

function mac(b: Uint8Array, o: number): string {
  let n = 0;
  for (let i = 0; i < 6; i++) n = n * 256 + b[o + i]!;
  return macStrings.get(n);
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

function hex(b: Uint8Array, o: number, len: number): string {
  let s = '';
  for (let i = o; i < o + len; i++) s += HEX2[b[i]!];
  return s;
}

// Module-level helpers: closures created per packet cost more than the decoding itself.
function ipList(b: Uint8Array, o: number, len: number): string[] {
  const out: string[] = [];
  for (let k = 0; k + 4 <= len; k += 4) out.push(ip4(b, o + k));
  return out;
}

/**
 * The numbers of one frame's headers, read where the frame lies (`b[start, end)`), checksums
 * verified; strings are made by whoever needs them. One object is reused frame after frame.
 */
export class Headers {
  /** Offset of the source / destination MAC, -1 when the link layer has none (cooked captures). */
  srcMac = -1;
  dstMac = -1;
  readonly vlans: number[] = [];
  etype = 0;
  /** IPv4 header offset, -1 when not IPv4. */
  ip = -1;
  ipOk = false;
  fragment = false;
  proto = 0;
  /** UDP header offset, -1 when not (the first fragment of) UDP. */
  udp = -1;
  /** End of the UDP payload within the capture. */
  udpEnd = 0;
  udpChecksum: ChecksumState = 'none';
  sport = 0;
  dport = 0;
  /** The frame was decapsulated: VXLAN (UDP 4789), Geneve (UDP 6081) or GRE carrying Ethernet; '' when not. */
  tunnel: '' | 'vxlan' | 'gre' | 'geneve' = '';
  /** The VNI (VXLAN) or GRE key (0 when the GRE header has none). */
  tunKey = 0;
  /** Offset of the outer IPv4 header (its addresses), when decapsulated. */
  outerIp = -1;
}

/** Fill `h` from the frame at b[start, end); a malformed frame is a DecodeError. */
export function readHeaders(
  b: Uint8Array,
  start: number,
  end: number,
  linktype: number,
  index: number,
  h: Headers,
): void {
  let off: number;
  let etype: number;
  h.srcMac = -1;
  h.dstMac = -1;
  h.vlans.length = 0;
  h.ip = -1;
  h.udp = -1;
  h.tunnel = '';
  h.tunKey = 0;
  h.outerIp = -1;
  const len = end - start;
  if (linktype === LINKTYPE_ETHERNET) {
    if (len < 14) throw new DecodeError(`frame ${index}: ${len} bytes, shorter than an Ethernet header`);
    h.dstMac = start;
    h.srcMac = start + 6;
    etype = (b[start + 12]! << 8) | b[start + 13]!;
    off = start + 14;
  } else if (linktype === LINKTYPE_LINUX_SLL) {
    if (len < 16) throw new DecodeError(`frame ${index}: shorter than a cooked (SLL) header`);
    if (((b[start + 4]! << 8) | b[start + 5]!) >= 6) h.srcMac = start + 6;
    etype = (b[start + 14]! << 8) | b[start + 15]!;
    off = start + 16;
  } else if (linktype === LINKTYPE_LINUX_SLL2) {
    if (len < 20) throw new DecodeError(`frame ${index}: shorter than a cooked (SLL2) header`);
    etype = (b[start]! << 8) | b[start + 1]!;
    if (b[start + 11]! >= 6) h.srcMac = start + 12;
    off = start + 20;
  } else
    throw new DecodeError(
      `frame ${index}: link type ${linktype} is not supported (Ethernet, Linux SLL, SLL2)`,
    );
  readL3(b, off, etype, end, index, h);
}

/** From the first EtherType on: VLAN tags, IPv4, UDP; one level of VXLAN/GRE is decapsulated. */
function readL3(b: Uint8Array, off: number, etype: number, end: number, index: number, h: Headers): void {
  while (etype === 0x8100 || etype === 0x88a8) {
    if (off + 4 > end) throw new DecodeError(`frame ${index}: VLAN tag cut off`);
    h.vlans.push(((b[off]! << 8) | b[off + 1]!) & 0xfff);
    etype = (b[off + 2]! << 8) | b[off + 3]!;
    off += 4;
  }
  h.etype = etype;
  if (etype !== 0x0800) return;
  if (off + 20 > end) throw new DecodeError(`frame ${index}: IPv4 header cut off`);
  const ihl = (b[off]! & 0x0f) * 4;
  if (b[off]! >> 4 !== 4 || ihl < 20 || off + ihl > end)
    throw new DecodeError(`frame ${index}: not a valid IPv4 header`);
  h.ip = off;
  const totalLen = (b[off + 2]! << 8) | b[off + 3]!;
  const flags = (b[off + 6]! << 8) | b[off + 7]!;
  h.fragment = (flags & 0x2000) !== 0 || (flags & 0x1fff) !== 0;
  h.proto = b[off + 9]!;
  h.ipOk = fold(sum16(b, off, off + ihl)) === 0xffff;
  // GRE carrying Ethernet (Neutron's GRE tunnels): flags C/K/S say which optional words follow.
  if (h.proto === 47 && (flags & 0x1fff) === 0 && !h.tunnel && off + ihl + 4 <= end) {
    const g = off + ihl;
    const gflags = (b[g]! << 8) | b[g + 1]!;
    const gproto = (b[g + 2]! << 8) | b[g + 3]!;
    let inner = g + 4;
    if (gflags & 0x8000) inner += 4;
    let key = 0;
    if (gflags & 0x2000) {
      if (inner + 4 > end) throw new DecodeError(`frame ${index}: GRE key cut off`);
      key = ((b[inner]! << 24) >>> 0) + (b[inner + 1]! << 16) + (b[inner + 2]! << 8) + b[inner + 3]!;
      inner += 4;
    }
    if (gflags & 0x1000) inner += 4;
    if (gproto === 0x6558 && inner + 14 <= end) decapsulate(b, inner, end, index, h, 'gre', key, off);
    return;
  }
  if (h.proto !== 17 || (flags & 0x1fff) !== 0) return;
  const u = off + ihl;
  if (u + 8 > end) throw new DecodeError(`frame ${index}: UDP header cut off`);
  const ulen = (b[u + 4]! << 8) | b[u + 5]!;
  const uend = Math.min(end, u + ulen, off + totalLen);
  const stored = (b[u + 6]! << 8) | b[u + 7]!;
  if (stored === 0) h.udpChecksum = 'none';
  else if (uend < u + ulen) h.udpChecksum = 'partial';
  else {
    let sum = sum16(b, off + 12, off + 20);
    sum += 17 + ulen;
    sum = sum16(b, u, u + ulen, sum);
    h.udpChecksum = fold(sum) === 0xffff ? 'ok' : 'bad';
  }
  h.udp = u;
  h.udpEnd = uend;
  h.sport = (b[u]! << 8) | b[u + 1]!;
  h.dport = (b[u + 2]! << 8) | b[u + 3]!;
  // VXLAN (RFC 7348): 8 bytes, the I flag set, the VNI in bytes 4-6, then the inner Ethernet frame.
  if (h.dport === 4789 && !h.tunnel && u + 8 + 8 + 14 <= uend && (b[u + 8]! & 0x08) !== 0) {
    const vni = (b[u + 12]! << 16) | (b[u + 13]! << 8) | b[u + 14]!;
    decapsulate(b, u + 16, uend, index, h, 'vxlan', vni, off);
  }
  // Geneve (RFC 8926): 8 bytes plus options (length in 4-byte words), protocol 0x6558 = Ethernet.
  if (h.dport === 6081 && !h.tunnel && u + 16 <= uend && b[u + 8]! >> 6 === 0) {
    const inner = u + 16 + (b[u + 8]! & 0x3f) * 4;
    const proto = (b[u + 10]! << 8) | b[u + 11]!;
    const vni = (b[u + 12]! << 16) | (b[u + 13]! << 8) | b[u + 14]!;
    if (proto === 0x6558 && inner + 14 <= uend) decapsulate(b, inner, uend, index, h, 'geneve', vni, off);
  }
}

function decapsulate(
  b: Uint8Array,
  inner: number,
  end: number,
  index: number,
  h: Headers,
  kind: 'vxlan' | 'gre' | 'geneve',
  key: number,
  outerIp: number,
): void {
  h.tunnel = kind;
  h.tunKey = key;
  h.outerIp = outerIp;
  h.dstMac = inner;
  h.srcMac = inner + 6;
  h.vlans.length = 0;
  h.ip = -1;
  h.udp = -1;
  readL3(b, inner + 14, (b[inner + 12]! << 8) | b[inner + 13]!, end, index, h);
}

export function isDhcpPorts(h: Headers): boolean {
  return h.udp >= 0 && (h.sport === 67 || h.sport === 68) && (h.dport === 67 || h.dport === 68);
}

export function decodeFrame(frame: Frame): Decoded {
  const b = frame.data;
  const h = new Headers();
  readHeaders(b, 0, b.length, frame.linktype, frame.index, h);
  const d: Decoded = {
    frame,
    src: h.srcMac >= 0 ? mac(b, h.srcMac) : '',
    dst: h.dstMac >= 0 ? mac(b, h.dstMac) : '',
    vlans: [...h.vlans],
    ...(h.tunnel
      ? {
          tunnel: {
            type: h.tunnel,
            key: h.tunKey,
            src: ip4(b, h.outerIp + 12),
            dst: ip4(b, h.outerIp + 16),
          },
        }
      : {}),
  };
  if (h.ip < 0) return d;
  d.ip = {
    src: ip4(b, h.ip + 12),
    dst: ip4(b, h.ip + 16),
    proto: h.proto,
    ttl: b[h.ip + 8]!,
    checksum: h.ipOk ? 'ok' : 'bad',
    fragment: h.fragment,
  };
  if (h.udp < 0) return d;
  d.udp = { src: h.sport, dst: h.dport, checksum: h.udpChecksum };
  if (isDhcpPorts(h)) d.dhcp = decodeDhcp(b, frame.index, h.udp + 8, h.udpEnd);
  return d;
}

/**
 * What a DHCP sighting needs from the BOOTP message at b[start, end), every option's length
 * checked as decodeDhcp does: op, xid, message type, client MAC offset, server id, yiaddr.
 */
export class BootpFields {
  op = 0;
  xid = 0;
  /** Seconds since the client began (a retransmission carries a later value). */
  secs = 0;
  type: DhcpType | undefined = undefined;
  /** Offset of chaddr. */
  chaddr = 0;
  yiaddr = 0;
  /** -1 when option 54 is absent. */
  serverId = -1;
  /** Offset of the first DHCP option, -1 for plain BOOTP (no magic cookie). */
  options = -1;
}

export function readBootp(b: Uint8Array, start: number, end: number, index: number, f: BootpFields): void {
  if (end - start < 240)
    throw new DecodeError(`frame ${index}: BOOTP message of ${end - start} bytes (at least 240)`);
  const op = b[start]!;
  if (op !== 1 && op !== 2)
    throw new DecodeError(`frame ${index}: BOOTP op ${op} is neither request nor reply`);
  f.op = op;
  f.xid = ((b[start + 4]! << 24) >>> 0) + (b[start + 5]! << 16) + (b[start + 6]! << 8) + b[start + 7]!;
  f.secs = (b[start + 8]! << 8) + b[start + 9]!;
  f.chaddr = start + 28;
  f.yiaddr = ((b[start + 16]! << 24) >>> 0) + (b[start + 17]! << 16) + (b[start + 18]! << 8) + b[start + 19]!;
  f.type = undefined;
  f.serverId = -1;
  f.options = -1;
  if (b[start + 236] !== 99 || b[start + 237] !== 130 || b[start + 238] !== 83 || b[start + 239] !== 99)
    return;
  f.options = start + 240;
  let o = start + 240;
  while (o < end) {
    const code = b[o]!;
    if (code === 0) {
      o++;
      continue;
    }
    if (code === 255) break;
    if (o + 1 >= end) throw new DecodeError(`frame ${index}: DHCP option ${code} cut off`);
    const len = b[o + 1]!;
    if (o + 2 + len > end)
      throw new DecodeError(
        `frame ${index}: DHCP option ${code} announces ${len} bytes, ${end - o - 2} present`,
      );
    if (code === 53 && len >= 1) f.type = TYPES[b[o + 2]!];
    else if (code === 54 && len >= 4) f.serverId = o + 2;
    o += 2 + len;
  }
}

export { ip4 as ipv4At, mac as macAt };

const NO_UNKNOWN: Record<number, string> = Object.freeze({});
const SCRATCH = new BootpFields();

/** The BOOTP/DHCP message at b[start, end) (the whole array by default). Offsets, no views. */
export function decodeDhcp(b: Uint8Array, index: number, start = 0, end = b.length): DhcpMessage {
  // readBootp checks the message and every option's length; the walk below only reads values.
  const f = SCRATCH;
  readBootp(b, start, end, index, f);
  // Every field present from the start (undefined until an option fills it): one object shape
  // for all messages, whichever options they carry. `unknown` is made on first use.
  const m: DhcpMessage = {
    op: f.op as 1 | 2,
    xid: f.xid,
    type: f.type,
    clientMac: mac(b, f.chaddr),
    yiaddr: ipv4String(f.yiaddr),
    ciaddr: ip4(b, start + 12),
    serverId: undefined,
    requestedIp: undefined,
    leaseTime: undefined,
    subnetMask: undefined,
    routers: undefined,
    dns: undefined,
    hostname: undefined,
    domain: undefined,
    paramList: undefined,
    maxSize: undefined,
    clientId: undefined,
    relayAgent: undefined,
    classlessRoutes: undefined,
    unknown: NO_UNKNOWN,
  };
  if (f.options < 0) return m; // plain BOOTP
  let o = f.options;
  while (o < end) {
    const code = b[o]!;
    if (code === 0) {
      o++;
      continue;
    }
    if (code === 255) break;
    const len = b[o + 1]!;
    const v = o + 2;
    switch (code) {
      case 53: // the message type: read by readBootp
        break;
      case 54:
        if (len >= 4) m.serverId = ip4(b, v);
        break;
      case 50:
        if (len >= 4) m.requestedIp = ip4(b, v);
        break;
      case 51:
        if (len === 4) m.leaseTime = ((b[v]! << 24) >>> 0) + (b[v + 1]! << 16) + (b[v + 2]! << 8) + b[v + 3]!;
        break;
      case 1:
        if (len >= 4) m.subnetMask = ip4(b, v);
        break;
      case 3:
        m.routers = ipList(b, v, len);
        break;
      case 6:
        m.dns = ipList(b, v, len);
        break;
      case 12:
        m.hostname = UTF8.decode(b.subarray(v, v + len));
        break;
      case 15:
        m.domain = UTF8.decode(b.subarray(v, v + len));
        break;
      case 55: {
        const list: number[] = [];
        for (let k = v; k < v + len; k++) list.push(b[k]!);
        m.paramList = list;
        break;
      }
      case 57:
        if (len === 2) m.maxSize = (b[v]! << 8) | b[v + 1]!;
        break;
      case 61:
        m.clientId = hex(b, v, len);
        break;
      case 82:
        m.relayAgent = hex(b, v, len);
        break;
      case 121:
        m.classlessRoutes = hex(b, v, len);
        break;
      default:
        if (m.unknown === NO_UNKNOWN) m.unknown = {};
        m.unknown[code] = hex(b, v, len);
    }
    o += 2 + len;
  }
  return m;
}
