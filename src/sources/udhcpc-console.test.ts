// A VM's console log with cirros' udhcpc (the DHCP client of the usual OpenStack test image) is
// the VM's DHCP client output, read under any name as dhclient -v's is. The case: a published note
// (doctor/fixtures/PROVENANCE.md, bugnote-no-address-available).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../paths.ts';
import { readCase } from './case-dir.ts';

const CASE = join(ROOT, 'src/doctor/fixtures/bugnote-no-address-available');

describe('udhcpc in a console log', () => {
  it('is read as the DHCP client run of its host: three DISCOVERs, no OFFER, no lease; not "not read"', () => {
    const c = readCase(CASE);
    const inst = c.hosts.find((h) => h.name === 'instance');
    expect(inst?.dhcpClients?.length).toBe(1);
    const run = inst!.dhcpClients![0]!;
    expect(run.discovers).toBe(3);
    expect(run.offers).toBe(0);
    expect(run.lease).toBeNull();
    expect(run.at.noOffers).toMatchObject({ line: 9, text: 'No lease, failing' });
    expect(run.at.firstDiscover).toMatchObject({ line: 5, text: 'Sending discover...' });
    expect(
      c.diagnostics.some((d) => d.file?.includes('openstack_console_log_show') && /not read/.test(d.message)),
    ).toBe(false);
  });
});
