// dnsmasq alone: not bound to udp 67, answered (from its log), an old lease as an observation; and
// what a socket listing covers: no udp :67 in a TCP-only listing proves nothing.

import { appendFileSync, cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../../sources/case-dir.ts';
import {
  cleanupCases,
  REF_LINKS,
  refCase,
  refVmMac,
  runCheck as run,
  seedCase,
  tmpCase,
} from '../../testing/case-edits.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { diagnose } from '../diagnose.ts';
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

// examples/vxlan-healthy with its qdhcp namespace's `ss -peaonmi` replaced by another listing (the
// agent's pid file names dnsmasq pid 10653). Listings in the shape ss (iproute2 6.1.0) and netstat
// (net-tools 2.10) print on Debian 12 (src/parse/sockets.test.ts has the captures), pids changed.
const VX_NET = '3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12';
const VX_NS = `qdhcp-${VX_NET}`;
function vxlanWith(command: string, text: string): { dir: string; file: string } {
  const dir = tmpCase();
  cpSync(join(ROOT, 'examples/vxlan-healthy'), dir, { recursive: true });
  const nsDir = join(dir, `network/sos_commands/networking/namespaces/${VX_NS}`);
  for (const f of readdirSync(nsDir)) if (/_ss_-peaonmi$/.test(f)) rmSync(join(nsDir, f));
  const file = `ip_netns_exec_${VX_NS}_${command}`;
  writeFileSync(join(nsDir, file), text);
  return { dir, file };
}
const SS_LTNP =
  'State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\nLISTEN 0      32          10.0.0.2:53        0.0.0.0:*    users:(("dnsmasq",pid=10653,fd=7))\n';
const NETSTAT_TLNP =
  'Active Internet connections (only servers)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    \ntcp        0      0 10.0.0.2:53             0.0.0.0:*               LISTEN      10653/dnsmasq       \n';

describe('dnsmasq and what the socket listing covers (vxlan-healthy)', () => {
  it.each([
    ['ss_-ltnp', SS_LTNP],
    ['netstat_-tlnp', NETSTAT_TLNP],
  ])(
    'a TCP-only listing (%s) showing dnsmasq on tcp :53: no claim about udp :67, healthy, a gap',
    (cmd, text) => {
      const { dir, file } = vxlanWith(cmd, text);
      const d = diagnose(readCase(dir));
      // Was: PROBLEM "nothing listens on udp port 67 … dnsmasq (pid 10653) … died … pid file is stale",
      // its evidence at network/sos_commands/networking/ip_netns:1.
      expect(d.verdict).toBe('healthy');
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(JSON.stringify(d)).not.toMatch(/died|stale|not running/);
      const gap = d.findings.find((f) => f.code === 'dnsmasq-listener-unknown')!;
      expect(gap).toMatchObject({ role: 'gap', subject: `network:${VX_NS}` });
      expect(gap.message).toMatch(/lists TCP sockets only/);
      expect(gap.message).toMatch(/dnsmasq runs \(pid 10653: tcp 10\.0\.0\.2:53\)/);
      // Evidence: the listing's header and dnsmasq's line in it, never ip_netns.
      expect(gap.evidence.map((e) => `${e.file?.split('/').pop()}:${e.line}`)).toEqual([
        `${file}:1`,
        `${file}:${cmd.startsWith('ss') ? 2 : 3}`,
      ]);
      expect(gap.fix).toEqual([expect.stringMatching(new RegExp(`^ip netns exec ${VX_NS} ss -ulpn `))]);
      expect(d.collectNext[0]).toMatch(/ss -ulpn/);
    },
  );
  it('a listing covering UDP (ss -ulpn) with dnsmasq on udp :53 and nothing on :67: still a problem, not bound', () => {
    const { dir, file } = vxlanWith(
      'ss_-ulpn',
      'State  Recv-Q Send-Q   Local Address:Port Peer Address:PortProcess                            \nUNCONN 0      0             10.0.0.2:53        0.0.0.0:*    users:(("dnsmasq",pid=10653,fd=5))\n',
    );
    const d = diagnose(readCase(dir));
    expect(d.verdict).toBe('problem');
    const f = d.findings.find((x) => x.code === 'dnsmasq-not-bound')!;
    expect(f.message).toMatch(/dnsmasq runs \(pid 10653: udp 10\.0\.0\.2:53\)/);
    expect(f.evidence.map((e) => `${e.file?.split('/').pop()}:${e.line}`)).toEqual([
      `${file}:2`,
      `${file}:1`,
    ]);
  });
  it('ss -peaonmi with no socket of dnsmasq at all: not running, the pid file stale, evidence in the listing', () => {
    const { dir, file } = vxlanWith(
      'ss_-peaonmi',
      'Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\nnl    UNCONN 0      0                  0:0                 *     sk=0 cb=0 groups=0x00000000\t skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)\n',
    );
    const d = diagnose(readCase(dir));
    expect(d.verdict).toBe('problem');
    expect(d.headline).toMatch(/^nothing listens on udp port 67 .*dnsmasq \(pid 10653\) but it died/);
    const f = d.findings.find((x) => x.code === 'dnsmasq-not-running')!;
    expect(f.evidence[0]!.file).toBe(`network/sos_commands/networking/namespaces/${VX_NS}/${file}`);
    expect(f.evidence[0]!.line).toBe(1);
    expect(f.evidence[1]!.file).toBe(`network/var/lib/neutron/dhcp/${VX_NET}/pid`);
  });
  it('a listing covering UDP without processes (ss -ano -4): nothing on :67 is a problem, "died" is not claimed', () => {
    const { dir } = vxlanWith(
      'ss_-ano_-4',
      'Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\ntcp   LISTEN 0      32          10.0.0.2:53         0.0.0.0:*\n',
    );
    const d = diagnose(readCase(dir));
    expect(d.verdict).toBe('problem');
    const f = d.findings.find((x) => x.code === 'dhcp-not-listening')!;
    expect(f.rootCause).toMatch(/names no processes; the agent's pid file names pid 10653/);
    expect(JSON.stringify(f)).not.toMatch(/died|stale/);
  });
  it('the example as collected: udp :67 bound, nothing said', () => {
    const d = diagnose(readCase(join(ROOT, 'examples/vxlan-healthy')));
    expect(d.verdict).toBe('healthy');
    expect(d.findings.filter((f) => /dnsmasq-(not|listener)|dhcp-not-listening/.test(f.code))).toEqual([]);
  });
});
