// dhclient -v output and dnsmasq's DHCP log lines, from the reference lab's veth DHCP port case
// (src/parse/fixtures/reference/pitfall-veth-dhcp-port, see its PROVENANCE.md): what each run of
// the client says, line by line, and what dnsmasq logged for it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWN_FIXTURES, read } from '../testing/fixtures.ts';
import { parseDhclient, parseDnsmasqLog } from './services.ts';

const CASE = join(OWN_FIXTURES, 'reference/pitfall-veth-dhcp-port');
const text = (f: string): string => read(join(CASE, f));

describe('dhclient -v, one run per output', () => {
  it.each([
    [
      '1-dhclient-txcsum-on.txt (tx checksum offload on: every OFFER dropped)',
      text('1-dhclient-txcsum-on.txt'),
      {
        discovers: 6,
        offers: 0,
        lease: null,
        badChecksums: 5,
        mac: 'fa:16:3e:11:22:33',
        iface: 'eth0',
        answers: [],
        at: {
          listening: { line: 6, text: 'Listening on LPF/eth0/fa:16:3e:11:22:33' },
          firstDiscover: { line: 9, text: 'DHCPDISCOVER on eth0 to 255.255.255.255 port 67 interval 1' },
          badChecksums: { line: 14, text: '5 bad udp checksums in 5 packets' },
          noOffers: { line: 16, text: 'No DHCPOFFERS received.' },
        },
      },
    ],
    [
      '3-dhclient-txcsum-off.txt (after ethtool -K tx off: bound)',
      text('3-dhclient-txcsum-off.txt'),
      {
        discovers: 1,
        offers: 1,
        lease: '10.0.0.3',
        mac: 'fa:16:3e:11:22:33',
        iface: 'eth0',
        // Where each answer came from: the DHCP port's address (server-at-work.ts).
        answers: [
          {
            type: 'DHCPOFFER',
            ip: '10.0.0.3',
            server: '10.0.0.2',
            line: 10,
            text: 'DHCPOFFER of 10.0.0.3 from 10.0.0.2',
          },
          {
            type: 'DHCPACK',
            ip: '10.0.0.3',
            server: '10.0.0.2',
            line: 12,
            text: 'DHCPACK of 10.0.0.3 from 10.0.0.2',
          },
        ],
        at: {
          listening: { line: 6, text: 'Listening on LPF/eth0/fa:16:3e:11:22:33' },
          firstDiscover: { line: 9, text: 'DHCPDISCOVER on eth0 to 255.255.255.255 port 67 interval 2' },
          bound: { line: 13, text: 'bound to 10.0.0.3 -- renewal in 36995 seconds.' },
        },
      },
    ],
    [
      'the same run pasted from a web page, every line indented',
      text('1-dhclient-txcsum-on.txt').replace(/^(?=.)/gm, '    '),
      { discovers: 6, offers: 0, lease: null, badChecksums: 5, mac: 'fa:16:3e:11:22:33' },
    ],
    [
      // dhclient says it again each time half of 5+ packets were bad (common/packet.c): summed.
      'two bad-checksum counts in one run',
      text('1-dhclient-txcsum-on.txt').replace(
        'No DHCPOFFERS received.',
        '5 bad udp checksums in 5 packets\nNo DHCPOFFERS received.',
      ),
      { badChecksums: 10, at: { badChecksums: { line: 14 }, noOffers: { line: 17 } } },
    ],
  ])('%s', (_what, input, expected) => {
    const r = parseDhclient(input);
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toMatchObject(expected);
  });
});

describe("dnsmasq's DHCP lines", () => {
  it('1-dnsmasq-offers.log: a DISCOVER and an OFFER each time, the device, the MAC and the process', () => {
    const r = parseDnsmasqLog(text('1-dnsmasq-offers.log'));
    expect(r.diagnostics).toEqual([]);
    expect(r.value.map((e) => [e.line, e.type, e.iface, e.ip ?? '', e.mac, e.pid])).toEqual(
      [1, 3, 5, 7, 9, 11].flatMap((l) => [
        [l, 'DHCPDISCOVER', 'ns-5f1c9a2e-7b', '', 'fa:16:3e:11:22:33', 11748],
        [l + 1, 'DHCPOFFER', 'ns-5f1c9a2e-7b', '10.0.0.3', 'fa:16:3e:11:22:33', 11748],
      ]),
    );
  });
});
