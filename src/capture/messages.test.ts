// `DISCOVER x4` counts messages (the client's retransmissions), not sightings across capture points:
// on real captures of the reference lab, one DISCOVER seen on the VM and on DomU's eth1 is one
// message; the seed's VM sent seven (same xid, secs 0 1 2 4 7 11 15), seen at one point.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
import { analyze, describeExchange } from './analyze.ts';

const REF = join(OWN_FIXTURES, 'reference');
const input = (file: string, point: string) => ({
  bytes: readFileSync(join(REF, file)),
  file,
  point,
});

describe('capture messages, not sightings', () => {
  it('healthy: each message seen at two points is x1 (two sightings)', () => {
    const a = analyze([
      input('healthy/pcap/vm16-eth0-dhcp.pcap', 'vm16:eth0'),
      input('healthy/pcap/domu-eth1-vlan1041.pcap', 'domu:eth1'),
    ]);
    expect(a.exchanges).toHaveLength(1);
    const e = a.exchanges[0]!;
    expect(e.seen.map((t) => [t.type, t.messages, t.count])).toEqual([
      ['DISCOVER', 1, 2],
      ['OFFER', 1, 2],
      ['REQUEST', 1, 2],
      ['ACK', 1, 2],
    ]);
    expect(describeExchange(e, a.points).join('\n')).toMatch(/DISCOVER x1 seen at vm16:eth0, domu:eth1/);
  });
  it('seed failure: seven retransmissions at the VM are x7; the other points never see them', () => {
    const a = analyze([
      input('seed-failure/pcap/vm16-eth0-dhcp-only.pcap', 'vm16:eth0'),
      input('seed-failure/pcap/dom0-vif2.1-dhcp-only.pcap', 'dom0:vif2.1'),
      input('seed-failure/pcap/qdhcp-tap5f1c9a2e-7b-dhcp-only.pcap', 'qdhcp:tap5f1c9a2e-7b'),
    ]);
    const e = a.exchanges[0]!;
    expect(e.sightings.map((s) => s.secs)).toEqual([0, 1, 2, 4, 7, 11, 15]);
    expect(e.seen.map((t) => [t.type, t.messages, t.count])).toEqual([['DISCOVER', 7, 7]]);
    expect(describeExchange(e, a.points).join('\n')).toMatch(
      /DISCOVER x7 seen at vm16:eth0; never at dom0:vif2\.1, qdhcp:tap5f1c9a2e-7b/,
    );
  });
  it('the same capture given as two points counts its messages once', () => {
    const a = analyze([
      input('seed-failure/pcap/vm16-eth0-dhcp-only.pcap', 'vm16:eth0'),
      input('seed-failure/pcap/vm16-eth0-all.pcap', 'vm16:eth0-all'),
    ]);
    expect(a.exchanges[0]!.seen.map((t) => [t.type, t.messages, t.count])).toEqual([['DISCOVER', 7, 14]]);
  });
});
