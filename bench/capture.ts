// bench/capture: packets per second decoding a ≥ 1,000,000-packet DHCP-heavy pcap, against
// `tcpdump -nn -v -r FILE > /dev/null` (which decodes the DHCP options too) on the same file, same run.
// Two of ours, both printed:
// - analyze: what `vifpath capture analyze` does per file (dhcpSightings): every frame through
//   Ethernet/802.1Q/IPv4/UDP with both checksums verified, every DHCP option's length checked, and
//   a sighting (type, xid, client MAC, VLAN, server id, offered address, checksum state) made;
// - full decode: decodeFrame on every frame as it is read, every field of every layer as strings
//   (the JSON form), nothing kept.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dhcpSightings } from '../src/capture/analyze.ts';
import { decodeFrame } from '../src/capture/decode.ts';
import { FrameVisitor, readCapture, scanCapture, writePcap } from '../src/capture/pcap.ts';

const N = Number(process.env.BENCH_PACKETS ?? 1_000_000);
const ref = join(import.meta.dirname, '../src/parse/fixtures/reference/healthy/pcap');
// Real DHCP frames, untagged (VM side) and 802.1Q-tagged (DomU eth1), with fresh xids.
const samples = [
  ...readCapture(readFileSync(join(ref, 'vm16-eth0-dhcp.pcap'))).value,
  ...readCapture(readFileSync(join(ref, 'domu-eth1-vlan1041.pcap'))).value,
];
const frames = Array.from({ length: N }, (_, i) => {
  const s = samples[i % samples.length]!;
  const data = Uint8Array.from(s.data);
  // The xid sits at a fixed place in the BOOTP header; the UDP checksum then no longer matches,
  // which the decoder reports (it still verifies every one).
  const off = data[12] === 0x81 ? 18 + 20 + 8 + 4 : 14 + 20 + 8 + 4;
  new DataView(data.buffer).setUint32(off, i, false);
  return { ts: 1_700_000_000 + i / 1000, data };
});
const dir = mkdtempSync(join(tmpdir(), 'vifpath-bench-cap-'));
const file = join(dir, 'dhcp.pcap');
writeFileSync(file, writePcap(frames));
const bytes = readFileSync(file);

function full(): number {
  const t0 = performance.now();
  // Every frame fully decoded as it is read (as tcpdump streams), none kept.
  let dhcp = 0;
  scanCapture(
    bytes,
    new FrameVisitor((f) => {
      if (decodeFrame(f).dhcp) dhcp++;
    }),
  );
  if (dhcp !== N) throw new Error(`decoded ${dhcp} DHCP messages of ${N}`);
  return N / ((performance.now() - t0) / 1000);
}
function analyzeRate(): number {
  const t0 = performance.now();
  const r = dhcpSightings(bytes, file, 'bench');
  if (r.sightings.length !== N) throw new Error(`${r.sightings.length} sightings of ${N}`);
  return N / ((performance.now() - t0) / 1000);
}
const median = (f: () => number): number => {
  f();
  return [f(), f(), f()].sort((a, b) => a - b)[1]!;
};
const oursRate = median(analyzeRate);
const fullRate = median(full);
const t1 = performance.now();
const r = spawnSync('sh', ['-c', 'tcpdump -nn -v -r "$1" > /dev/null 2>&1', 'sh', file]);
const tcpdumpRate = N / ((performance.now() - t1) / 1000);
rmSync(dir, { recursive: true, force: true });
if (r.status !== 0) throw new Error('tcpdump failed');
console.log(
  `DHCP pcap decode, ${N.toLocaleString('en')} packets (${(bytes.length / 1e6).toFixed(0)} MB), node ${process.version}`,
);
const row = (what: string, rate: number): void =>
  console.log(`  ${what.padEnd(54)}: ${Math.round(rate).toLocaleString('en').padStart(10)} packets/s`);
row('vifpath analyze (checksums, options, sightings)', oursRate);
row('vifpath full decode (every field as strings)', fullRate);
row('tcpdump -nn -v -r FILE > /dev/null', tcpdumpRate);
console.log(
  `  ratio analyze / tcpdump: ${(oursRate / tcpdumpRate).toFixed(1)}x (target: >= 3x); full decode / tcpdump: ${(fullRate / tcpdumpRate).toFixed(1)}x   (medians of 3)`,
);
