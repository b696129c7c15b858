// The lab's capture on the DHCP port records both ways: the DISCOVERs that reach dnsmasq's tap and
// the OFFERs (and ACK) it sends back; tapClientPackets still counts only the client's messages.
// One healthy lab on real OVS, dnsmasq and dhclient.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../capture/analyze.ts';
import { down, Lab } from './lab.ts';
import type { Renewal } from './state.ts';

const dir = join('/tmp', `vifpath-test-dhcpcap-${process.pid}`);
let renewal: Renewal;
beforeAll(async () => {
  const lab = await Lab.up({ dir, scenario: 'healthy', dhcpTimeout: 3 });
  renewal = lab.state.renewals.at(-1)!;
});
afterAll(async () => {
  await down(dir);
});

describe('the DHCP port capture in the lab', () => {
  it('holds the OFFER and the ACK dnsmasq sent, and the client messages it got', () => {
    expect(renewal.lease).not.toBeNull();
    expect(renewal.tapPcap).toBeDefined();
    const a = analyze([
      { bytes: readFileSync(join(dir, renewal.tapPcap!)), file: renewal.tapPcap!, point: 'tap' },
    ]);
    const e = a.exchanges.find((x) => x.seen.some((t) => t.type === 'ACK'))!;
    const types = e.seen.map((t) => t.type);
    expect(types).toEqual(expect.arrayContaining(['DISCOVER', 'OFFER', 'REQUEST', 'ACK']));
    const client = a.exchanges
      .flatMap((x) => x.seen)
      .filter((t) => ['DISCOVER', 'REQUEST', 'DECLINE', 'RELEASE', 'INFORM'].includes(t.type))
      .reduce((n, t) => n + t.count, 0);
    expect(renewal.tapClientPackets).toBe(client);
  });
});
