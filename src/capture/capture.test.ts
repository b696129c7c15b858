// Captures: real pcaps from the reference lab and from this run's lab scenarios, every container
// variant, and hostile bytes (typed diagnostics and DecodeErrors only).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OWN_FIXTURES, ROOT } from '../testing/fixtures.ts';
import { analyze, dhcpSightings } from './analyze.ts';
import { DecodeError, decodeFrame } from './decode.ts';
import { readCapture, writePcap } from './pcap.ts';

const REF = join(OWN_FIXTURES, 'reference');
const bytes = (p: string): Uint8Array => readFileSync(p);

describe('reference captures', () => {
  it('healthy: one exchange DISCOVER→ACK seen at the VM and, tagged 1041, on DomU eth1', () => {
    const a = analyze([
      { bytes: bytes(join(REF, 'healthy/pcap/vm16-eth0-dhcp.pcap')), file: 'vm', point: 'vm:eth0' },
      { bytes: bytes(join(REF, 'healthy/pcap/domu-eth1-vlan1041.pcap')), file: 'eth1', point: 'domu:eth1' },
    ]);
    expect(a.diagnostics).toEqual([]);
    expect(a.exchanges).toHaveLength(1);
    const e = a.exchanges[0]!;
    expect(e).toMatchObject({
      xid: 0x6d67f573,
      clientMac: 'fa:16:3e:11:22:33',
      last: 'ACK',
      lease: '10.0.0.3',
    });
    expect(e.sightings.filter((s) => s.point === 'domu:eth1').map((s) => s.vlan)).toEqual([
      1041, 1041, 1041, 1041,
    ]);
    expect(e.sightings.every((s) => s.udpChecksum === 'ok')).toBe(true);
    const offer = e.sightings.find((s) => s.type === 'OFFER')!;
    expect(offer).toMatchObject({ serverId: '10.0.0.2', offered: '10.0.0.3' });
  });

  it('seed failure: seven DISCOVERs at the VM, none at the DHCP tap', () => {
    const a = analyze([
      { bytes: bytes(join(REF, 'seed-failure/pcap/vm16-eth0-dhcp-only.pcap')), file: 'vm', point: 'vm' },
      {
        bytes: bytes(join(REF, 'seed-failure/pcap/qdhcp-tap5f1c9a2e-7b-all.pcap')),
        file: 'tap',
        point: 'tap',
      },
    ]);
    expect(a.exchanges).toHaveLength(1);
    expect(a.exchanges[0]!.last).toBe('DISCOVER');
    expect(a.exchanges[0]!.sightings.map((s) => s.point)).toEqual(Array(7).fill('vm'));
    const r = spawnSync(
      'node',
      [
        join(ROOT, 'bin/vifpath.mjs'),
        'capture',
        'analyze',
        `vm=${join(REF, 'seed-failure/pcap/vm16-eth0-dhcp-only.pcap')}`,
        `tap=${join(REF, 'seed-failure/pcap/qdhcp-tap5f1c9a2e-7b-all.pcap')}`,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('DISCOVER x7 seen at vm; never at tap');
  }, 30_000);
});

describe('containers and bad input', () => {
  const ref = bytes(join(REF, 'healthy/pcap/vm16-eth0-dhcp.pcap'));
  const frames = readCapture(ref).value;

  it('pcap writer round-trips, big-endian and nanosecond pcaps read the same', () => {
    const again = readCapture(writePcap(frames.map((f) => ({ ts: f.ts, data: f.data }))));
    expect(again.value.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(
      frames.map((f) => Buffer.from(f.data).toString('hex')),
    );
    // Big-endian: swap every header field.
    const be = Buffer.from(ref);
    const swap = (o: number): void => {
      be.writeUInt32BE(Buffer.from(ref).readUInt32LE(o), o);
    };
    for (const o of [0, 8, 12, 16, 20]) swap(o);
    be.writeUInt16BE(2, 4);
    be.writeUInt16BE(4, 6);
    let off = 24;
    while (off < be.length) {
      const incl = Buffer.from(ref).readUInt32LE(off + 8);
      for (const k of [0, 4, 8, 12]) swap(off + k);
      off += 16 + incl;
    }
    expect(readCapture(be).value.map((f) => f.data.length)).toEqual(frames.map((f) => f.data.length));
    const ns = Buffer.from(ref);
    ns.writeUInt32LE(0xa1b23c4d, 0);
    expect(readCapture(ns).value[0]!.ts).toBeCloseTo(
      frames[0]!.ts - (frames[0]!.ts % 1) + (frames[0]!.ts % 1) / 1000,
      3,
    );
  });

  it('pcapng with two interfaces (SHB, IDB, EPB, SPB)', () => {
    const blocks: Buffer[] = [];
    const block = (type: number, body: Buffer): Buffer => {
      const pad = (4 - (body.length % 4)) % 4;
      const len = 12 + body.length + pad;
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
    blocks.push(block(0x0a0d0d0a, shb));
    for (let k = 0; k < 2; k++) {
      const idb = Buffer.alloc(8);
      idb.writeUInt16LE(1, 0);
      idb.writeUInt32LE(262144, 4);
      blocks.push(block(1, idb));
    }
    for (const [k, f] of frames.entries()) {
      const epb = Buffer.alloc(20 + f.data.length);
      epb.writeUInt32LE(k % 2, 0);
      epb.writeUInt32LE(0, 4);
      epb.writeUInt32LE(1_000_000 * (k + 1), 8);
      epb.writeUInt32LE(f.data.length, 12);
      epb.writeUInt32LE(f.data.length, 16);
      Buffer.from(f.data).copy(epb, 20);
      blocks.push(block(6, epb));
    }
    const spb = Buffer.alloc(4 + frames[0]!.data.length);
    spb.writeUInt32LE(frames[0]!.data.length, 0);
    Buffer.from(frames[0]!.data).copy(spb, 4);
    blocks.push(block(3, spb));
    const r = readCapture(Buffer.concat(blocks));
    expect(r.diagnostics).toEqual([]);
    expect(r.value.map((f) => f.iface)).toEqual([0, 1, 0, 1, 0]);
    expect(r.value.map((f) => decodeFrame(f).dhcp?.type)).toEqual([
      'DISCOVER',
      'OFFER',
      'REQUEST',
      'ACK',
      'DISCOVER',
    ]);
    expect(r.value[1]!.ts).toBeCloseTo(2, 6);
  });

  it('a cut file is reported truncated with its record number; garbage is not a capture', () => {
    const cut = readCapture(ref.subarray(0, ref.length - 10));
    expect(cut.value).toHaveLength(frames.length - 1);
    expect(cut.diagnostics[0]).toMatchObject({ severity: 'corrupt', code: 'truncated', line: frames.length });
    expect(readCapture(Buffer.from('hello world, not a pcap')).diagnostics[0]).toMatchObject({
      code: 'not-pcap',
    });
  });

  it('fuzzed files and frames: diagnostics and DecodeErrors only', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 0, max: ref.length }),
        fc.uint8Array({ maxLength: 40 }),
        (junk, at, ins) => {
          const mutated = Buffer.concat([
            ref.subarray(0, at),
            Buffer.from(ins),
            ref.subarray(Math.min(ref.length, at + ins.length)),
          ]);
          for (const b of [Buffer.from(junk), mutated]) {
            const r = dhcpSightings(b, 'f', 'p');
            for (const d of r.diagnostics) expect(['corrupt', 'warning']).toContain(d.severity);
          }
          try {
            decodeFrame({ ts: 0, linktype: 1, iface: 0, data: junk, origLen: junk.length, index: 1 });
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('the analysis path and the full decoder agree', () => {
  it('on every frame of every fixture capture, and on mutated frames (property)', () => {
    const files = [
      ...[
        'healthy/pcap/vm16-eth0-dhcp.pcap',
        'healthy/pcap/domu-eth1-vlan1041.pcap',
        'seed-failure/pcap/vm16-eth0-all.pcap',
      ].map((f) => join(REF, f)),
      join(ROOT, 'src/capture/fixtures/qdhcp-any-sll2.pcap'),
      join(ROOT, 'src/capture/fixtures/vm-any-sll.pcap'),
    ];
    const frames = files.flatMap((f) => readCapture(bytes(f)).value);
    // What a sighting says, from the full decoder (undefined: not a DHCP message, or undecodable).
    const viaDecode = (fr: (typeof frames)[number]): unknown => {
      try {
        const d = decodeFrame(fr);
        if (!d.dhcp) return undefined;
        return {
          type: d.dhcp.type ?? 'BOOTP',
          xid: d.dhcp.xid,
          clientMac: d.dhcp.clientMac,
          vlan: d.vlans[0] ?? null,
          serverId: d.dhcp.serverId,
          offered: d.dhcp.op === 2 && d.dhcp.yiaddr !== '0.0.0.0' ? d.dhcp.yiaddr : undefined,
          udpChecksum: d.udp?.checksum,
        };
      } catch {
        return undefined;
      }
    };
    const viaAnalyze = (fr: (typeof frames)[number]): unknown => {
      const s = dhcpSightings(writePcap([{ ts: 0, data: fr.data }], fr.linktype), 'f', 'p').sightings[0];
      return s
        ? {
            type: s.type,
            xid: s.xid,
            clientMac: s.clientMac,
            vlan: s.vlan,
            serverId: s.serverId,
            offered: s.offered,
            udpChecksum: s.udpChecksum,
          }
        : undefined;
    };
    expect(frames.filter((f) => viaDecode(f) !== undefined).length).toBeGreaterThan(20);
    for (const f of frames) expect(viaAnalyze(f)).toEqual(viaDecode(f));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: frames.length - 1 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (k, at, v) => {
          const fr = frames[k]!;
          const data = Uint8Array.from(fr.data);
          data[at % data.length] = v;
          const m = { ...fr, data };
          expect(viaAnalyze(m)).toEqual(viaDecode(m));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('Linux cooked captures from real `tcpdump -i any` (src/capture/fixtures)', () => {
  const FIX = join(ROOT, 'src/capture/fixtures');
  it('SLL2 in the qdhcp namespace and SLL in the VM: one full exchange seen at both', () => {
    const sll2 = bytes(join(FIX, 'qdhcp-any-sll2.pcap'));
    const sll = bytes(join(FIX, 'vm-any-sll.pcap'));
    expect(new Set(readCapture(sll2).value.map((f) => f.linktype))).toEqual(new Set([276]));
    expect(new Set(readCapture(sll).value.map((f) => f.linktype))).toEqual(new Set([113]));
    const a = analyze([
      { bytes: sll2, file: 'qdhcp-any-sll2.pcap', point: 'qdhcp' },
      { bytes: sll, file: 'vm-any-sll.pcap', point: 'vm' },
    ]);
    expect(a.diagnostics).toEqual([]);
    expect(a.exchanges).toHaveLength(1);
    const e = a.exchanges[0]!;
    expect(e).toMatchObject({ clientMac: 'fa:16:3e:11:22:33', last: 'ACK', lease: '10.0.0.3' });
    for (const t of ['DISCOVER', 'OFFER', 'REQUEST', 'ACK'])
      expect(new Set(e.sightings.filter((s) => s.type === t).map((s) => s.point))).toEqual(
        new Set(['qdhcp', 'vm']),
      );
    expect(e.sightings.every((s) => s.udpChecksum === 'ok')).toBe(true);
  });
});
