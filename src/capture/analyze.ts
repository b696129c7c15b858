// DHCP exchanges from one or more captures: per transaction id, what was seen where and when,
// with VLAN and checksum state, and where the exchange stops.

import type { DhcpSighting } from '../model/capture.ts';
import type { Diagnostic } from '../model/diagnostic.ts';

export type { DhcpSighting } from '../model/capture.ts';

import {
  BootpFields,
  DecodeError,
  type DhcpType,
  Headers,
  ipv4At,
  ipv4String,
  isDhcpPorts,
  macAt,
  readBootp,
  readHeaders,
} from './decode.ts';
import { type RecordVisitor, scanCapture } from './pcap.ts';

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

/**
 * Collects sightings record by record, where each lies in the file: headers and BOOTP read into
 * reused scratch objects, only the sighting's own strings made (no Frame, no view per packet).
 */
class SightingCollector implements RecordVisitor {
  readonly sightings: DhcpSighting[] = [];
  readonly diagnostics: (Diagnostic & { file: string })[] = [];
  frames = 0;
  private readonly h = new Headers();
  private readonly f = new BootpFields();
  constructor(
    private readonly file: string,
    private readonly point: string,
  ) {}
  record(
    b: Uint8Array,
    linktype: number,
    start: number,
    end: number,
    ts: number,
    _orig: number,
    _iface: number,
    index: number,
  ): void {
    this.frames++;
    const h = this.h;
    const f = this.f;
    try {
      readHeaders(b, start, end, linktype, index, h);
      if (!isDhcpPorts(h)) return;
      readBootp(b, h.udp + 8, h.udpEnd, index, f);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.diagnostics.push({
        severity: 'warning',
        line: index,
        code: 'undecodable',
        message: e.message,
        file: this.file,
      });
      return;
    }
    const sid = f.serverId;
    // Every field always present (undefined when absent): one object shape for all sightings.
    this.sightings.push({
      point: this.point,
      ts,
      type: f.type ?? 'BOOTP',
      xid: f.xid,
      clientMac: macAt(b, f.chaddr),
      vlan: h.vlans.length ? h.vlans[0]! : null,
      serverId: sid >= 0 ? ipv4At(b, sid) : undefined,
      offered: f.op === 2 && f.yiaddr !== 0 ? ipv4String(f.yiaddr) : undefined,
      udpChecksum: h.udpChecksum,
      frame: index,
      file: this.file,
    });
  }
}

/** DHCP messages in one capture file; undecodable frames become diagnostics (never exceptions). */
export function dhcpSightings(
  bytes: Uint8Array,
  file: string,
  point: string,
): { sightings: DhcpSighting[]; frames: number; diagnostics: (Diagnostic & { file: string })[] } {
  const c = new SightingCollector(file, point);
  const read = scanCapture(bytes, c);
  const diagnostics = [...read.map((d) => ({ ...d, file })), ...c.diagnostics];
  return { sightings: c.sightings, frames: c.frames, diagnostics };
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
