// dnsmasq alone: not bound to udp 67, answered (from its log), an old lease as an observation.

import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupCases,
  REF_LINKS,
  refCase,
  refVmMac,
  runCheck as run,
  seedCase,
} from '../../testing/case-edits.ts';
import { dnsmasq } from './dnsmasq.ts';

afterAll(cleanupCases);

describe('dnsmasq', () => {
  it('running with :53 only: not bound to udp 67', () => {
    const f = run(
      dnsmasq,
      seedCase((d) =>
        writeFileSync(
          join(d, 'domu/ip_netns_exec_qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7_netstat_-W_-neopa'),
          'Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name     Timer\nudp        0      0 10.0.0.2:53             0.0.0.0:*                           0          12346      4242/dnsmasq         off (0.00/0/0)\n',
        ),
      ),
    );
    expect(f.map((x) => x.code)).toEqual(['dnsmasq-not-bound']);
    expect(f[0]!.evidence[0]!.file).toMatch(/netstat_-W_-neopa$/);
  });
  it('its log shows OFFER and ACK for the VM: answered, an observation', () => {
    const f = run(
      dnsmasq,
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
        refVmMac(d);
        // dnsmasq's own lines from the reference lab's healthy run (shared/reference/fixtures/healthy/domu/dnsmasq.log).
        writeFileSync(
          join(d, 'domu/dnsmasq.log'),
          'Nov 25 12:55:03 dnsmasq-dhcp[7364]: DHCPDISCOVER(tap5f1c9a2e-7b) fa:16:3e:11:22:33\nNov 25 12:55:03 dnsmasq-dhcp[7364]: DHCPOFFER(tap5f1c9a2e-7b) 10.0.0.3 fa:16:3e:11:22:33\nNov 25 12:55:03 dnsmasq-dhcp[7364]: DHCPACK(tap5f1c9a2e-7b) 10.0.0.3 fa:16:3e:11:22:33 host-10-0-0-3\n',
        );
      }),
    );
    expect(f.map((x) => [x.code, x.severity])).toContainEqual(['dnsmasq-answered', 'info']);
  });
  it('its log shows DISCOVERs and nothing else for the VM: hearing, not answering', () => {
    const f = run(
      dnsmasq,
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
        refVmMac(d);
        writeFileSync(join(d, 'domu/dnsmasq.log'), '');
        appendFileSync(
          join(d, 'domu/dnsmasq.log'),
          'Nov 25 13:00:01 dnsmasq-dhcp[7364]: DHCPDISCOVER(tap5f1c9a2e-7b) fa:16:3e:11:22:33\n',
        );
      }),
    );
    expect(f.map((x) => x.code)).toContain('dnsmasq-not-answering');
  });
});
