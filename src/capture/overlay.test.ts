// VXLAN and GRE on the underlay: DHCP inside the tunnel packets is decoded (VNI / GRE key, outer
// addresses) and correlated by xid with the captures at the VM and the DHCP tap, on real captures
// from the overlay lab (fixtures/overlay/README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../testing/fixtures.ts';
import { analyze, describeExchange } from './analyze.ts';
import { decodeFrame } from './decode.ts';
import { readCapture } from './pcap.ts';

const DIR = join(ROOT, 'src/capture/fixtures/overlay');
const POINTS = [
  ['vm1', 'vm1'],
  ['compute1-ul', 'compute1-underlay'],
  ['network-ul', 'network-underlay'],
  ['qdhcp', 'qdhcp'],
] as const;

function run(prefix: string) {
  return analyze(
    POINTS.map(([point, f]) => ({
      bytes: readFileSync(join(DIR, `${prefix}-${f}.pcap`)),
      file: `${prefix}-${f}.pcap`,
      point,
    })),
  );
}

describe('DHCP inside VXLAN/GRE on the underlay', () => {
  it('a VXLAN frame decodes to its inner DHCP with VNI 1001 and the outer addresses', () => {
    const frames = readCapture(readFileSync(join(DIR, 'vxlan-healthy-network-underlay.pcap'))).value;
    const d = decodeFrame(frames[0]!);
    expect(d.tunnel).toEqual({ type: 'vxlan', key: 1001, src: '172.16.0.11', dst: '172.16.0.13' });
    expect(d.src).toBe('fa:16:3e:11:22:33');
    expect(d.udp).toMatchObject({ src: 68, dst: 67 });
    expect(d.dhcp?.type).toBe('DISCOVER');
  });

  it('healthy VXLAN: the whole exchange at all four points, the underlay ones in VNI 1001', () => {
    const a = run('vxlan-healthy');
    expect(a.diagnostics).toEqual([]);
    expect(a.exchanges).toHaveLength(1);
    expect(describeExchange(a.exchanges[0]!, a.points).slice(1)).toEqual([
      '  DISCOVER x1 seen at vm1, compute1-ul in VXLAN VNI 1001, network-ul in VXLAN VNI 1001, qdhcp',
      '  OFFER    x1 seen at qdhcp, network-ul in VXLAN VNI 1001, compute1-ul in VXLAN VNI 1001, vm1',
      '  REQUEST  x1 seen at vm1, compute1-ul in VXLAN VNI 1001, network-ul in VXLAN VNI 1001, qdhcp',
      '  ACK      x1 seen at qdhcp, network-ul in VXLAN VNI 1001, compute1-ul in VXLAN VNI 1001, vm1',
    ]);
  });

  it('GRE: the key is the segment', () => {
    const a = run('gre-healthy');
    const e = a.exchanges[0]!;
    expect(e.last).toBe('ACK');
    expect(e.seen[0]!.tunnels).toEqual([
      { point: 'compute1-ul', type: 'gre', key: 1001 },
      { point: 'network-ul', type: 'gre', key: 1001 },
    ]);
  });

  it('Geneve (UDP 6081): the VNI after the options', () => {
    const pts = [
      ['vm1', 'vm1'],
      ['network-ul', 'network-underlay'],
      ['qdhcp', 'qdhcp'],
    ] as const;
    const a = analyze(
      pts.map(([point, f]) => ({
        bytes: readFileSync(join(DIR, `geneve-healthy-${f}.pcap`)),
        file: f,
        point,
      })),
    );
    expect(describeExchange(a.exchanges[0]!, a.points)[1]).toBe(
      '  DISCOVER x1 seen at vm1, network-ul in Geneve VNI 1001, qdhcp',
    );
  });

  it("receiver without the sender's tunnel: seen on both underlay legs, never at the tap; flooded to two tunnels, counted once", () => {
    const a = run('vxlan-rxremote');
    expect(describeExchange(a.exchanges[0]!, a.points)[1]).toBe(
      '  DISCOVER x6 seen at vm1, compute1-ul in VXLAN VNI 1001, network-ul in VXLAN VNI 1001; never at qdhcp',
    );
  });
});
