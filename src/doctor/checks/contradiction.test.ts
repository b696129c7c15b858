// contradictions alone: what the hosts saw against what the flows say.

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, REF_LINKS, refCase, runCheck as run } from '../../testing/case-edits.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { contradictions } from './contradiction.ts';

afterAll(cleanupCases);

const LINKS = `${REF_LINKS}dom0:vif16.0 vm16:eth0\n`;

describe('contradiction', () => {
  it("the VM's client got no OFFER while the flows deliver: contradicted, capture command given", () => {
    const f = run(
      contradictions,
      refCase('healthy', ['dom0', 'domu', 'vm16'], LINKS, (d) => {
        const p = join(d, 'vm16/dhclient_-1_-v_eth0.txt');
        writeFileSync(p, `${readFileSync(p, 'utf8').split('DHCPOFFER')[0]}No DHCPOFFERS received.\n`);
      }),
    );
    expect(f.map((x) => [x.code, x.role])).toEqual([['contradicted', 'observation']]);
  });
  it('dnsmasq answered "no address available": a cause with what confirms it', () => {
    const f = run(
      contradictions,
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) =>
        appendFileSync(
          join(d, 'domu/dnsmasq.log'),
          'Nov 25 13:00:01 dnsmasq-dhcp[7364]: DHCPDISCOVER(tap5f1c9a2e-7b) fa:16:3e:11:22:33 no address available\n',
        ),
      ),
    );
    expect(f[0]).toMatchObject({ code: 'dnsmasq-refused', role: 'cause', severity: 'error' });
    expect(f[0]!.confirm).toMatch(/grep -n fa:16:3e:11:22:33/);
  });
  it('a client with its lease: nothing contradicts', () => {
    expect(run(contradictions, refCase('healthy', ['dom0', 'domu', 'vm16'], LINKS))).toEqual([]);
  });
  it("two VMs, one client's output: never pinned on the other VM; a VM that never asked is no contrary", () => {
    expect(run(contradictions, join(ROOT, 'examples/vxlan-healthy'))).toEqual([]);
  });
});
