// BusyBox udhcpc, one run per output, from real published outputs (lines verbatim):
// - cirros 1.20.1, no lease: the console log of src/doctor/fixtures/bugnote-no-address-available
//   (doctor/fixtures/PROVENANCE.md);
// - udhcpc 1.22.1 with a lease: a published walk-through's console block (stored index file id
//   37850705562, `sh /tmp/conduit-stage1`);
// - udhcpc 1.25.0 with a lease, the `udhcpc: ` spelling: a Buildroot boot log in a published note
//   (stored index file id 21400297123).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../testing/fixtures.ts';
import { isUdhcpc, parseUdhcpc, udhcpcMessage } from './dhcp-client.ts';

const CIRROS = readFileSync(
  join(ROOT, 'src/doctor/fixtures/bugnote-no-address-available/instance/openstack_console_log_show'),
  'utf8',
);
const V122 = [
  'udhcpc (v1.22.1) started',
  'Sending discover...',
  'Sending discover...',
  'Sending select for 192.168.4.9...',
  'Lease of 192.168.4.9 obtained, lease time 86400',
  '/etc/udhcpc.d/50default: Adding DNS 192.168.4.1',
].join('\n');
const V125 = [
  'Starting network: smsc911x 4e000000.ethernet eth0: SMSC911x/921x identified at 0x912a0000, IRQ: 31',
  'udhcpc: started, v1.25.0',
  'udhcpc: sending discover',
  'udhcpc: sending discover',
  'udhcpc: sending select for 10.0.2.15',
  'udhcpc: lease of 10.0.2.15 obtained, lease time 86400',
  'deleting routers',
  'adding dns 10.0.2.3',
].join('\n');

describe('udhcpc, one run per output', () => {
  it.each([
    [
      'cirros 1.20.1 (bugnote): three DISCOVERs, no OFFER, no lease',
      CIRROS,
      {
        discovers: 3,
        offers: 0,
        lease: null,
        answers: [],
        at: {
          firstDiscover: { line: 5, text: 'Sending discover...' },
          noOffers: { line: 9, text: 'No lease, failing' },
        },
      },
    ],
    [
      'udhcpc 1.22.1: an OFFER taken (select), the lease',
      V122,
      {
        discovers: 2,
        offers: 1,
        lease: '192.168.4.9',
        answers: [],
        at: {
          firstDiscover: { line: 2, text: 'Sending discover...' },
          bound: { line: 5, text: 'Lease of 192.168.4.9 obtained, lease time 86400' },
        },
      },
    ],
    [
      'udhcpc 1.25.0 (`udhcpc: ` lines): an OFFER taken, the lease',
      V125,
      {
        discovers: 2,
        offers: 1,
        lease: '10.0.2.15',
        answers: [],
        at: {
          firstDiscover: { line: 3, text: 'udhcpc: sending discover' },
          bound: { line: 6, text: 'udhcpc: lease of 10.0.2.15 obtained, lease time 86400' },
        },
      },
    ],
  ])('%s', (_what, text, want) => {
    expect(parseUdhcpc(text).value).toEqual(want);
    expect(isUdhcpc(text)).toBe(true);
  });

  it('its lines, bare, from syslog or prefixed; other outputs are not udhcpc', () => {
    expect(udhcpcMessage('Nov 25 12:57:27 cirros udhcpc[812]: Sending discover...')).toBe(
      'Sending discover...',
    );
    expect(udhcpcMessage('udhcpc: no lease, failing')).toBe('no lease, failing');
    expect(udhcpcMessage('udhcpc (v1.20.1) started')).toBe('udhcpc (v1.20.1) started');
    expect(isUdhcpc('Sending discover...\nSending discover...\n')).toBe(false);
    expect(isUdhcpc('Internet Systems Consortium DHCP Client 4.4.1\nNo DHCPOFFERS received.\n')).toBe(false);
  });
});
