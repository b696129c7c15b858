// capture analyze is bounded in memory (issue 19 item 4): 125k DHCP frames overflowed the stack
// (a spread push of every sighting) and large files ran out of heap (the whole file and every
// frame's sighting were held). Files are now read piece by piece into per-xid summaries; the
// limits (transactions followed, sightings kept, warnings listed) are named and hit as LimitError.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LimitError } from '../errors/errors.ts';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
import {
  analyze,
  analyzeFiles,
  CAPTURE_MAX_WARNINGS_PER_FILE,
  CAPTURE_SIGHTINGS_PER_EXCHANGE,
  describeExchange,
  dhcpSightings,
  dhcpSightingsFile,
} from './analyze.ts';
import {
  CAPTURE_MAX_BLOCK_BYTES,
  type RecordVisitor,
  readCapture,
  scanCapture,
  scanCaptureFile,
  writePcap,
} from './pcap.ts';

const REF = join(OWN_FIXTURES, 'reference');
const samples = [
  ...readCapture(readFileSync(join(REF, 'healthy/pcap/vm16-eth0-dhcp.pcap'))).value,
  ...readCapture(readFileSync(join(REF, 'healthy/pcap/domu-eth1-vlan1041.pcap'))).value,
];

/** `n` real DHCP frames (untagged and 802.1Q) with xids cycling over `xids` values. */
function dhcpFrames(n: number, xids: number): { ts: number; data: Uint8Array }[] {
  return Array.from({ length: n }, (_, i) => {
    const s = samples[i % samples.length]!;
    const data = Uint8Array.from(s.data);
    const off = data[12] === 0x81 ? 18 + 20 + 8 + 4 : 14 + 20 + 8 + 4;
    new DataView(data.buffer).setUint32(off, i % xids, false);
    return { ts: 1_700_000_000 + i / 1000, data };
  });
}

/** A little-endian pcapng file: SHB, one Ethernet IDB, one EPB per frame. */
function pcapng(frames: { ts: number; data: Uint8Array }[]): Buffer {
  const block = (type: number, body: Buffer): Buffer => {
    const len = 12 + body.length + ((4 - (body.length % 4)) % 4);
    const b = Buffer.alloc(len);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(len, 4);
    body.copy(b, 8);
    b.writeUInt32LE(len, len - 4);
    return b;
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(1, 0);
  idb.writeUInt32LE(262144, 4);
  const out = [block(0x0a0d0d0a, shb), block(1, idb)];
  for (const f of frames) {
    const epb = Buffer.alloc(20 + f.data.length);
    const us = BigInt(Math.round(f.ts * 1e6));
    epb.writeUInt32LE(Number(us >> 32n), 4);
    epb.writeUInt32LE(Number(us & 0xffffffffn), 8);
    epb.writeUInt32LE(f.data.length, 12);
    epb.writeUInt32LE(f.data.length, 16);
    Buffer.from(f.data).copy(epb, 20);
    out.push(block(6, epb));
  }
  return Buffer.concat(out);
}

/** What a visitor is handed, as plain values (the file reader's bytes are valid during the call only). */
function records(scan: (v: RecordVisitor) => unknown): { diagnostics: unknown; recs: string[] } {
  const recs: string[] = [];
  const diagnostics = scan({
    record(b, linktype, start, end, ts, orig, iface, index) {
      recs.push(
        `${index} ${linktype} ${ts} ${orig} ${iface} ${Buffer.from(b.subarray(start, end)).toString('hex')}`,
      );
    },
  });
  return { diagnostics, recs };
}

describe('capture analyze within limits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-capture-limits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('130,000 DHCP frames: per-xid summaries counting every frame, a bounded sample, same as in memory', () => {
    const file = join(dir, 'many.pcap');
    const bytes = writePcap(dhcpFrames(130_000, 7));
    writeFileSync(file, bytes);
    const a = analyzeFiles([{ path: file, file, point: 'vm' }]);
    expect(a.frames).toBe(130_000);
    expect(a.exchanges).toHaveLength(7);
    expect(a.exchanges.reduce((n, e) => n + e.sightingCount, 0)).toBe(130_000);
    for (const e of a.exchanges) {
      expect(e.sightings).toHaveLength(CAPTURE_SIGHTINGS_PER_EXCHANGE);
      expect(e.seen.reduce((n, t) => n + t.count, 0)).toBe(e.sightingCount);
      // The kept sightings are the earliest ones, in time order.
      const ts = e.sightings.map((s) => s.ts);
      expect(ts).toEqual([...ts].sort((x, y) => x - y));
      expect(e.sightings[0]!.frame).toBe(e.xid + 1);
    }
    // (the xid rewrite leaves the UDP checksums wrong, which the summary reports)
    expect(describeExchange(a.exchanges[0]!, a.points)[1]).toMatch(
      /^ {2}DISCOVER x\d+ seen at vm; BAD UDP checksum at vm$/,
    );
    // Read from the file piece by piece (47 MB, windows of 4 MiB) or whole in memory: the same.
    expect(analyze([{ bytes, file, point: 'vm' }])).toEqual(a);
  });

  it('past CAPTURE_MAX_EXCHANGES transactions: a LimitError naming the limit, the file and the frame', () => {
    const file = join(dir, 'xids.pcap');
    writeFileSync(file, writePcap(dhcpFrames(101, 101)));
    expect(() => analyzeFiles([{ path: file, file, point: 'vm' }], { exchanges: 100 })).toThrow(LimitError);
    try {
      analyzeFiles([{ path: file, file, point: 'vm' }], { exchanges: 100 });
    } catch (e) {
      expect((e as LimitError).exit).toBe(2);
      expect((e as LimitError).oneLine()).toMatch(
        new RegExp(
          `^${file}:101: more than 100 DHCP transactions \\(CAPTURE_MAX_EXCHANGES\\): capture or filter only the VM's DHCP`,
        ),
      );
    }
    expect(analyzeFiles([{ path: file, file, point: 'vm' }], { exchanges: 101 }).exchanges).toHaveLength(101);
  });

  it("a case's capture keeps at most CAPTURE_MAX_SIGHTINGS: past it a corrupt limit diagnostic", () => {
    const file = join(dir, 'case.pcap');
    writeFileSync(file, writePcap(dhcpFrames(30, 3)));
    const r = dhcpSightingsFile(file, 'h/eth0.pcap', 'h:eth0', 20);
    expect(r.sightings).toHaveLength(20);
    expect(r.frames).toBe(30);
    expect(r.diagnostics[0]).toEqual({
      severity: 'corrupt',
      line: 21,
      code: 'limit',
      message:
        "more than 20 DHCP messages in one capture (CAPTURE_MAX_SIGHTINGS): capture only the VM's DHCP, e.g. tcpdump -r IN -w OUT 'ether host <mac> and udp port 67'",
      file: 'h/eth0.pcap',
    });
    expect(dhcpSightingsFile(file, 'f', 'p').sightings).toEqual(
      dhcpSightings(readFileSync(file), 'f', 'p').sightings,
    );
  });

  it('undecodable frames: the first CAPTURE_MAX_WARNINGS_PER_FILE are listed, the rest counted', () => {
    // UDP to port 67 whose BOOTP is cut short: a DecodeError per frame.
    const f = Uint8Array.from(samples[0]!.data.subarray(0, 14 + 20 + 8 + 10));
    const dv = new DataView(f.buffer);
    dv.setUint16(14 + 2, 20 + 8 + 10);
    dv.setUint16(14 + 20 + 4, 8 + 10);
    const n = CAPTURE_MAX_WARNINGS_PER_FILE + 250;
    const a = analyze([
      {
        bytes: writePcap(Array.from({ length: n }, (_, i) => ({ ts: i, data: f }))),
        file: 'bad',
        point: 'p',
      },
    ]);
    const undecodable = a.diagnostics.filter((d) => d.code === 'undecodable');
    expect(undecodable).toHaveLength(CAPTURE_MAX_WARNINGS_PER_FILE + 1);
    expect(undecodable.at(-1)!.message).toBe(
      `250 more undecodable frames (only the first ${CAPTURE_MAX_WARNINGS_PER_FILE} are listed: CAPTURE_MAX_WARNINGS_PER_FILE)`,
    );
  });

  it('pcap and pcapng read from a file are what they are in memory, cut anywhere', () => {
    const frames = dhcpFrames(20_000, 50);
    for (const whole of [Buffer.from(writePcap(frames)), pcapng(frames)]) {
      for (const cut of [whole.length, whole.length - 7, 4 * 1024 * 1024 + 5, 4 * 1024 * 1024 - 3, 30, 3]) {
        const bytes = whole.subarray(0, cut);
        const file = join(dir, 'cut.bin');
        writeFileSync(file, bytes);
        const mem = records((v) => scanCapture(bytes, v));
        const disk = records((v) => scanCaptureFile(file, v));
        expect(disk.diagnostics, String(cut)).toEqual(mem.diagnostics);
        expect(disk.recs.length, String(cut)).toBe(mem.recs.length);
        expect(disk.recs).toEqual(mem.recs);
      }
    }
  });

  it('a pcapng block longer than CAPTURE_MAX_BLOCK_BYTES is corrupt, named, and never read', () => {
    const one = pcapng(dhcpFrames(1, 1));
    // The EPB's length field (after the 28-byte SHB and 20-byte IDB) says 64 MiB; the file is short.
    const big = Buffer.from(one);
    big.writeUInt32LE(64 * 1024 * 1024, 48 + 4);
    const file = join(dir, 'big.pcapng');
    writeFileSync(file, Buffer.concat([big, Buffer.alloc(64 * 1024 * 1024 - big.length + 48)]));
    const d = scanCaptureFile(file, { record() {} });
    expect(d).toEqual([
      {
        severity: 'corrupt',
        line: 3,
        code: 'limit',
        message: `block 3: length ${64 * 1024 * 1024} is over the ${CAPTURE_MAX_BLOCK_BYTES}-byte limit on a pcapng block (CAPTURE_MAX_BLOCK_BYTES); no packet is that large: the file is damaged`,
      },
    ]);
  });
});
