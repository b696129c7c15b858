// dhcp-port alone: the server's port down, not on a bridge; a server not in the case is a gap.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, edit, REF_LINKS, REF_NS, refCase, runCheck as run } from '../../testing/case-edits.ts';

import { dhcpPort } from './dhcp-port.ts';

afterAll(cleanupCases);

describe('dhcp-port', () => {
  it('the tap DOWN in its namespace: an error naming the device line', () => {
    const f = run(
      dhcpPort,
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) =>
        edit(
          join(d, `domu/sos_commands/networking/ip_netns_exec_${REF_NS}_ip_address_show`),
          /(tap5f1c9a2e-7b[^<]*<)[^>]*>/,
          '$1BROADCAST,MULTICAST>',
        ),
      ),
    );
    expect(f.map((x) => [x.code, x.severity])).toEqual([['dhcp-port-down', 'error']]);
    expect(f[0]!.fix[0]).toBe(`ip netns exec ${REF_NS} ip link set tap5f1c9a2e-7b up   # changes state`);
  });
  it('no server in the case (a compute node alone): a gap, never an error', () => {
    const f = run(dhcpPort, refCase('healthy', ['dom0'], null));
    expect(f.map((x) => [x.code, x.role, x.severity])).toEqual([
      ['dhcp-server-not-in-case', 'gap', 'warning'],
    ]);
  });
  it('a healthy server: nothing', () => {
    expect(run(dhcpPort, refCase('healthy', ['dom0', 'domu'], REF_LINKS))).toEqual([]);
  });
});
