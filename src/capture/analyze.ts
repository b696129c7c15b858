// DHCP exchanges from one or more captures: per transaction id, what was seen where and when,
// with VLAN and checksum state, and where the exchange stops.

import { LimitError } from '../errors/errors.ts';
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
import { type RecordVisitor, scanCapture, scanCaptureFile } from './pcap.ts';

export interface Exchange {
  xid: number;
  clientMac: string;
  /** The earliest sightings by time, at most CAPTURE_SIGHTINGS_PER_EXCHANGE of them. */
  sightings: DhcpSighting[];
  /** Every sighting of this xid, also those not kept in `sightings`. */
  sightingCount: number;
  /** Per message type: how often seen, at which points (in the order first seen), VLAN, bad checksums. */
  seen: TypeSummary[];
  /** The furthest message type seen, in DHCP order. */
  last: DhcpType | 'BOOTP';
  lease?: string;
}

export interface TypeSummary {
  type: DhcpType | 'BOOTP';
  /** Sightings: a message seen at three points counts three. */
  count: number;
  /**
   * Messages (the client's retransmissions): a message is seen once per point, and each
   * retransmission carries its own `secs`; so at least the sightings at the busiest point and at
   * least the distinct `secs` values. This is the `x4` of `DISCOVER x4`.
   */
  messages: number;
  points: string[];
  /** VLAN of the earliest of them (null: untagged). */
  vlan: number | null;
  badChecksumAt: string[];
  /** Points where it was seen inside a tunnel (the underlay), with the VNI / GRE key. */
  tunnels?: { point: string; type: 'vxlan' | 'gre' | 'geneve'; key: number }[];
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

/** Sightings kept per transaction (the rest are counted in its summary). */
export const CAPTURE_SIGHTINGS_PER_EXCHANGE = 16;
/** Transactions one analysis follows (~2 KB each): past it the captures are too broad to read per xid. */
export const CAPTURE_MAX_EXCHANGES = 200_000;
/** DHCP messages of one capture in a case (each is kept in the Snapshot). */
export const CAPTURE_MAX_SIGHTINGS = 200_000;
/** Undecodable-frame warnings kept per file (the rest are counted in one more warning). */
export const CAPTURE_MAX_WARNINGS_PER_FILE = 100;

export interface CaptureLimits {
  exchanges?: number;
  sightingsPerExchange?: number;
}

/**
 * Reads sightings record by record, where each lies in the file: headers and BOOTP read into
 * reused scratch objects, only the sighting's own strings made (no Frame, no view per packet).
 */
class SightingReader implements RecordVisitor {
  readonly diagnostics: (Diagnostic & { file: string })[] = [];
  frames = 0;
  private undecodable = 0;
  private readonly h = new Headers();
  private readonly f = new BootpFields();
  constructor(
    private readonly file: string,
    private readonly point: string,
    private readonly onSighting: (s: DhcpSighting) => void,
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
      if (++this.undecodable <= CAPTURE_MAX_WARNINGS_PER_FILE)
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
    this.onSighting({
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
      secs: f.secs,
      tunnel: h.tunnel ? { type: h.tunnel, key: h.tunKey, dst: ipv4At(b, h.outerIp + 16) } : undefined,
    });
  }
  /** Warnings, with one for the undecodable frames past CAPTURE_MAX_WARNINGS_PER_FILE. */
  finish(read: Diagnostic[]): (Diagnostic & { file: string })[] {
    const out = read.map((d) => ({ ...d, file: this.file }));
    for (const d of this.diagnostics) out.push(d);
    const more = this.undecodable - CAPTURE_MAX_WARNINGS_PER_FILE;
    if (more > 0)
      out.push({
        severity: 'warning',
        line: 0,
        code: 'undecodable',
        message: `${more} more undecodable frames (only the first ${CAPTURE_MAX_WARNINGS_PER_FILE} are listed: CAPTURE_MAX_WARNINGS_PER_FILE)`,
        file: this.file,
      });
    return out;
  }
}

/** DHCP messages in one capture file; undecodable frames become diagnostics (never exceptions). */
export function dhcpSightings(
  bytes: Uint8Array,
  file: string,
  point: string,
): { sightings: DhcpSighting[]; frames: number; diagnostics: (Diagnostic & { file: string })[] } {
  const sightings: DhcpSighting[] = [];
  const c = new SightingReader(file, point, (s) => sightings.push(s));
  const read = scanCapture(bytes, c);
  return { sightings, frames: c.frames, diagnostics: c.finish(read) };
}

/**
 * dhcpSightings on a file read piece by piece, keeping at most `maxSightings` (the case reader's
 * captures, every sighting in the Snapshot): past it a corrupt `limit` diagnostic, which the case
 * reader turns into exit 2 or, with --lenient, a warning with the sightings before it.
 */
export function dhcpSightingsFile(
  path: string,
  file: string,
  point: string,
  maxSightings = CAPTURE_MAX_SIGHTINGS,
): { sightings: DhcpSighting[]; frames: number; diagnostics: (Diagnostic & { file: string })[] } {
  const sightings: DhcpSighting[] = [];
  let over: DhcpSighting | undefined;
  const c = new SightingReader(file, point, (s) => {
    if (sightings.length < maxSightings) sightings.push(s);
    else over ??= s;
  });
  const diagnostics = c.finish(scanCaptureFile(path, c));
  if (over)
    diagnostics.unshift({
      severity: 'corrupt',
      line: over.frame,
      code: 'limit',
      message: `more than ${maxSightings} DHCP messages in one capture (CAPTURE_MAX_SIGHTINGS): capture only the VM's DHCP, e.g. tcpdump -r IN -w OUT 'ether host <mac> and udp port 67'`,
      file,
    });
  return { sightings, frames: c.frames, diagnostics };
}

const rank = (t: DhcpType | 'BOOTP'): number => ORDER.indexOf(t);

/** Distinct `secs` values remembered per message type of one exchange (memory per exchange stays small). */
const MAX_SECS_PER_TYPE = 64;

interface TypeAcc {
  count: number;
  /** point → sightings there. */
  perPoint: Map<string, number>;
  /** Distinct `secs` values (at most MAX_SECS_PER_TYPE). */
  secs: Set<number>;
  /** point → earliest time seen there. */
  points: Map<string, number>;
  vlan: number | null;
  vlanTs: number;
  bad: Map<string, number>;
  /** point → the tunnel it was first seen in there. */
  tun: Map<string, { type: 'vxlan' | 'gre' | 'geneve'; key: number }>;
}

interface Acc {
  xid: number;
  /** Order of arrival of the earliest sighting (ties in time keep the input order). */
  firstTs: number;
  firstSeq: number;
  clientMac: string;
  count: number;
  sample: { s: DhcpSighting; seq: number }[];
  types: Map<DhcpType | 'BOOTP', TypeAcc>;
  ack?: { ts: number; seq: number; offered: string | undefined };
}

const before = (ts: number, seq: number, ts2: number, seq2: number): boolean =>
  ts < ts2 || (ts === ts2 && seq < seq2);

/**
 * Per-xid summaries of DHCP sightings fed one at a time: memory grows with the transactions
 * (at most CAPTURE_MAX_EXCHANGES) and never with the frames.
 */
export class ExchangeTable {
  private readonly byXid = new Map<number, Acc>();
  private seq = 0;
  private readonly maxExchanges: number;
  private readonly perExchange: number;
  constructor(limits: CaptureLimits = {}) {
    this.maxExchanges = limits.exchanges ?? CAPTURE_MAX_EXCHANGES;
    this.perExchange = limits.sightingsPerExchange ?? CAPTURE_SIGHTINGS_PER_EXCHANGE;
  }

  add(s: DhcpSighting): void {
    const seq = this.seq++;
    let a = this.byXid.get(s.xid);
    if (!a) {
      if (this.byXid.size >= this.maxExchanges)
        throw new LimitError(
          `more than ${this.maxExchanges} DHCP transactions (CAPTURE_MAX_EXCHANGES): capture or filter only the VM's DHCP, e.g. tcpdump -r IN -w OUT 'ether host <mac> and udp port 67'`,
          s.file,
          s.frame,
        );
      a = {
        xid: s.xid,
        firstTs: s.ts,
        firstSeq: seq,
        clientMac: s.clientMac,
        count: 0,
        sample: [],
        types: new Map(),
      };
      this.byXid.set(s.xid, a);
    } else if (before(s.ts, seq, a.firstTs, a.firstSeq)) {
      a.firstTs = s.ts;
      a.firstSeq = seq;
      a.clientMac = s.clientMac;
    }
    a.count++;
    // Keep the earliest sightings: replace the latest kept one when this one is earlier.
    if (a.sample.length < this.perExchange) a.sample.push({ s, seq });
    else {
      let late = 0;
      for (let i = 1; i < a.sample.length; i++)
        if (before(a.sample[late]!.s.ts, a.sample[late]!.seq, a.sample[i]!.s.ts, a.sample[i]!.seq)) late = i;
      const l = a.sample[late]!;
      if (before(s.ts, seq, l.s.ts, l.seq)) a.sample[late] = { s, seq };
    }
    let t = a.types.get(s.type);
    if (!t) {
      t = {
        count: 0,
        perPoint: new Map(),
        secs: new Set(),
        points: new Map(),
        vlan: s.vlan,
        vlanTs: s.ts,
        bad: new Map(),
        tun: new Map(),
      };
      a.types.set(s.type, t);
    } else if (s.ts < t.vlanTs) {
      t.vlan = s.vlan;
      t.vlanTs = s.ts;
    }
    t.count++;
    // On an underlay one message is seen once per tunnel it is flooded into: count per destination.
    const pk = s.tunnel ? `${s.point}\u0000${s.tunnel.dst}` : s.point;
    t.perPoint.set(pk, (t.perPoint.get(pk) ?? 0) + 1);
    if (s.secs !== undefined && t.secs.size < MAX_SECS_PER_TYPE) t.secs.add(s.secs);
    const p = t.points.get(s.point);
    if (p === undefined || s.ts < p) t.points.set(s.point, s.ts);
    if (s.tunnel && !t.tun.has(s.point)) t.tun.set(s.point, { type: s.tunnel.type, key: s.tunnel.key });
    if (s.udpChecksum === 'bad') {
      const b = t.bad.get(s.point);
      if (b === undefined || s.ts < b) t.bad.set(s.point, s.ts);
    }
    if (s.type === 'ACK' && (!a.ack || before(s.ts, seq, a.ack.ts, a.ack.seq)))
      a.ack = { ts: s.ts, seq, offered: s.offered };
  }

  /** The exchanges, earliest first. */
  exchanges(): Exchange[] {
    const byTime = (m: Map<string, number>): string[] => [...m].sort((x, y) => x[1] - y[1]).map(([p]) => p);
    const accs = [...this.byXid.values()].sort((x, y) =>
      before(x.firstTs, x.firstSeq, y.firstTs, y.firstSeq) ? -1 : 1,
    );
    return accs.map((a) => {
      let last: DhcpType | 'BOOTP' = 'BOOTP';
      for (const t of a.types.keys()) if (rank(t) > rank(last)) last = t;
      const seen = ORDER.filter((t) => a.types.has(t)).map((type) => {
        const t = a.types.get(type)!;
        return {
          type,
          count: t.count,
          messages: Math.max(t.secs.size, ...t.perPoint.values()),
          points: byTime(t.points),
          vlan: t.vlan,
          badChecksumAt: byTime(t.bad),
          ...(t.tun.size ? { tunnels: [...t.tun].map(([point, x]) => ({ point, ...x })) } : {}),
        };
      });
      return {
        xid: a.xid,
        clientMac: a.clientMac,
        sightings: a.sample.sort((x, y) => (before(x.s.ts, x.seq, y.s.ts, y.seq) ? -1 : 1)).map((x) => x.s),
        sightingCount: a.count,
        seen,
        last,
        ...(a.ack?.offered ? { lease: a.ack.offered } : {}),
      };
    });
  }
}

export function analyze(
  inputs: { bytes: Uint8Array; file: string; point: string }[],
  limits: CaptureLimits = {},
): CaptureAnalysis {
  const table = new ExchangeTable(limits);
  const diagnostics: CaptureAnalysis['diagnostics'] = [];
  let frames = 0;
  for (const i of inputs) {
    const c = new SightingReader(i.file, i.point, (s) => table.add(s));
    const read = scanCapture(i.bytes, c);
    for (const d of c.finish(read)) diagnostics.push(d);
    frames += c.frames;
  }
  return { exchanges: table.exchanges(), points: inputs.map((i) => i.point), frames, diagnostics };
}

/** analyze on capture files read piece by piece: memory bounded whatever the files' sizes. */
export function analyzeFiles(
  inputs: { path: string; file: string; point: string }[],
  limits: CaptureLimits = {},
): CaptureAnalysis {
  const table = new ExchangeTable(limits);
  const diagnostics: CaptureAnalysis['diagnostics'] = [];
  let frames = 0;
  for (const i of inputs) {
    const c = new SightingReader(i.file, i.point, (s) => table.add(s));
    const read = scanCaptureFile(i.path, c);
    for (const d of c.finish(read)) diagnostics.push(d);
    frames += c.frames;
  }
  return { exchanges: table.exchanges(), points: inputs.map((i) => i.point), frames, diagnostics };
}

/** One line per exchange: where each message type was seen, and where it stops. */
export function describeExchange(e: Exchange, points: string[]): string[] {
  const out = [
    `xid 0x${e.xid.toString(16).padStart(8, '0')} client ${e.clientMac}: last ${e.last}${e.lease ? `, lease ${e.lease}` : ''}`,
  ];
  for (const t of e.seen) {
    const missing = points.filter((p) => !t.points.includes(p));
    const at = (p: string): string => {
      const x = t.tunnels?.find((y) => y.point === p);
      const what = x?.type === 'vxlan' ? 'VXLAN VNI' : x?.type === 'geneve' ? 'Geneve VNI' : 'GRE key';
      return x ? `${p} in ${what} ${x.key}` : p;
    };
    out.push(
      `  ${t.type.padEnd(8)} x${t.messages} seen at ${t.points.map(at).join(', ')}${missing.length ? `; never at ${missing.join(', ')}` : ''}${t.vlan !== null ? ` (vlan ${t.vlan})` : ''}${t.badChecksumAt.length ? `; BAD UDP checksum at ${t.badChecksumAt.join(', ')}` : ''}`,
    );
  }
  return out;
}
