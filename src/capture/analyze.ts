// DHCP exchanges from one or more captures: per transaction id, what was seen where and when,
// with VLAN and checksum state, and where the exchange stops.
import type { Diagnostic } from '../parse/diagnostics.ts';
import { DecodeError, type DhcpType, decodeFrame } from './decode.ts';
import { readCapture } from './pcap.ts';

export interface DhcpSighting {
  point: string;
  ts: number;
  type: DhcpType | 'BOOTP';
  xid: number;
  clientMac: string;
  vlan: number | null;
  serverId?: string;
  offered?: string;
  udpChecksum: string;
  /** Frame number in its file. */
  frame: number;
  file: string;
}

export interface Exchange {
  xid: number;
  clientMac: string;
  sightings: DhcpSighting[];
  /** The furthest message type seen, in DHCP order. */
  last: DhcpType | 'BOOTP';
  lease?: string;
}

export interface CaptureAnalysis {
  exchanges: Exchange[];
  points: string[];
  frames: number;
  diagnostics: (Diagnostic & { file: string })[];
}

const ORDER: (DhcpType | 'BOOTP')[] = [
  'BOOTP',
  'DISCOVER',
  'OFFER',
  'REQUEST',
  'DECLINE',
  'ACK',
  'NAK',
  'RELEASE',
  'INFORM',
];

/** DHCP messages in one capture file; undecodable frames become diagnostics (never exceptions). */
export function dhcpSightings(
  bytes: Uint8Array,
  file: string,
  point: string,
): { sightings: DhcpSighting[]; frames: number; diagnostics: (Diagnostic & { file: string })[] } {
  const r = readCapture(bytes);
  const diagnostics = r.diagnostics.map((d) => ({ ...d, file }));
  const sightings: DhcpSighting[] = [];
  for (const f of r.value) {
    try {
      const d = decodeFrame(f);
      if (!d.dhcp) continue;
      sightings.push({
        point,
        ts: f.ts,
        type: d.dhcp.type ?? 'BOOTP',
        xid: d.dhcp.xid,
        clientMac: d.dhcp.clientMac,
        vlan: d.vlans[0] ?? null,
        ...(d.dhcp.serverId ? { serverId: d.dhcp.serverId } : {}),
        ...(d.dhcp.op === 2 && d.dhcp.yiaddr !== '0.0.0.0' ? { offered: d.dhcp.yiaddr } : {}),
        udpChecksum: d.udp?.checksum ?? 'none',
        frame: f.index,
        file,
      });
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      diagnostics.push({ severity: 'warning', line: f.index, code: 'undecodable', message: e.message, file });
    }
  }
  return { sightings, frames: r.value.length, diagnostics };
}

export function analyze(inputs: { bytes: Uint8Array; file: string; point: string }[]): CaptureAnalysis {
  const all: DhcpSighting[] = [];
  const diagnostics: CaptureAnalysis['diagnostics'] = [];
  let frames = 0;
  for (const i of inputs) {
    const r = dhcpSightings(i.bytes, i.file, i.point);
    all.push(...r.sightings);
    diagnostics.push(...r.diagnostics);
    frames += r.frames;
  }
  const byXid = new Map<number, DhcpSighting[]>();
  for (const s of all.sort((a, b) => a.ts - b.ts)) {
    const l = byXid.get(s.xid) ?? [];
    l.push(s);
    byXid.set(s.xid, l);
  }
  const exchanges = [...byXid].map(([xid, s]) => {
    const last = s.reduce((a, x) => (ORDER.indexOf(x.type) > ORDER.indexOf(a) ? x.type : a), s[0]!.type);
    const ack = s.find((x) => x.type === 'ACK');
    return {
      xid,
      clientMac: s[0]!.clientMac,
      sightings: s,
      last,
      ...(ack?.offered ? { lease: ack.offered } : {}),
    };
  });
  return { exchanges, points: inputs.map((i) => i.point), frames, diagnostics };
}

/** One line per exchange: where each message type was seen, and where it stops. */
export function describeExchange(e: Exchange, points: string[]): string[] {
  const out = [
    `xid 0x${e.xid.toString(16).padStart(8, '0')} client ${e.clientMac}: last ${e.last}${e.lease ? `, lease ${e.lease}` : ''}`,
  ];
  for (const t of ORDER) {
    const seen = e.sightings.filter((s) => s.type === t);
    if (!seen.length) continue;
    const at = [...new Set(seen.map((s) => s.point))];
    const missing = points.filter((p) => !at.includes(p));
    const bad = seen.filter((s) => s.udpChecksum === 'bad').map((s) => s.point);
    out.push(
      `  ${t.padEnd(8)} x${seen.length} seen at ${at.join(', ')}${missing.length ? `; never at ${missing.join(', ')}` : ''}${seen[0]!.vlan !== null ? ` (vlan ${seen[0]!.vlan})` : ''}${bad.length ? `; BAD UDP checksum at ${[...new Set(bad)].join(', ')}` : ''}`,
    );
  }
  return out;
}
