// Two DHCP agents for one network (Neutron's dhcp_agents_per_network=2), one of them dead: its
// fault is the VM's cause only when the evidence ties it to the VM (server-bearing.ts). The shape
// a reviewer reproduced, built from the reference healthy lab: domu2 is a copy of domu (the same
// qdhcp namespace) whose socket listing has no udp :67 listener.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../../sources/case-dir.ts';
import {
  cleanupCases,
  edit,
  REF_LISTENING,
  REF_NS,
  REF_SS_ANO,
  refCase,
  refVmMac,
} from '../../testing/case-edits.ts';
import { buildContext } from '../context.ts';
import { diagnose } from '../diagnose.ts';
import type { Diagnosis, Finding } from '../finding.ts';
import { dhcpPort } from './dhcp-port.ts';
import { dnsmasq } from './dnsmasq.ts';

afterAll(cleanupCases);

const SS = REF_SS_ANO;
const LISTENING = REF_LISTENING;

/**
 * dom0 + domu (listening on :67) + `dead` (domu's copy, nothing on :67), with the given wires.
 * `secondVif`: dom0 gets a second guest vif on xapi2, vif3.1 (port 3), for the dead server's eth1.
 */
function twoAgents(
  links: string,
  opts: { secondVif?: boolean; dead?: string; change?: (d: string) => void } = {},
): string {
  const dead = opts.dead ?? 'domu2';
  return refCase('healthy', ['dom0', 'domu'], links, (d) => {
    writeFileSync(join(d, 'domu/sos_commands/networking', SS), LISTENING);
    cpSync(join(d, 'domu'), join(d, dead), { recursive: true });
    writeFileSync(
      join(d, dead, 'sos_commands/networking', SS),
      LISTENING.split('\n')
        .filter((l) => !l.includes(':67 '))
        .join('\n'),
    );
    if (opts.secondVif) {
      const ovs = join(d, 'dom0/sos_commands/openvswitch');
      edit(
        join(ovs, 'ovs-vsctl_-t_5_show'),
        '        Port vif2.1\n            Interface vif2.1\n',
        '        Port vif2.1\n            Interface vif2.1\n        Port vif3.1\n            Interface vif3.1\n',
      );
      for (const f of ['ovs-ofctl_show_xapi2', 'ovs-ofctl_-O_OpenFlow13_show_xapi2'])
        edit(
          join(ovs, f),
          ' LOCAL(xapi2)',
          ' 3(vif3.1): addr:2a:d7:3b:cc:1a:0c\n     config:     0\n     state:      0\n LOCAL(xapi2)',
        );
    }
    opts.change?.(d);
  });
}

const ctxOf = (dir: string) => buildContext(readCase(dir));

const of = (d: Diagnosis | Finding[], code: string, host: string): Finding[] =>
  (Array.isArray(d) ? d : d.findings).filter((f) => f.code === code && f.subject.startsWith(`${host}:`));

describe('a fault of one of two DHCP servers of a network', () => {
  it('(a) the dead server no DISCOVER reaches (not wired): an observation, the verdict healthy', () => {
    const d = diagnose(readCase(twoAgents('dom0:vif2.1 domu:eth1\n')));
    expect(d.verdict).toBe('healthy');
    const [f, ...more] = of(d, 'dhcp-not-listening', 'domu2');
    expect(more).toEqual([]);
    expect([f!.role, f!.severity]).toEqual(['observation', 'warning']);
    expect(f!.message).toMatch(/not the cause: no DISCOVER of the case gets to domu2's/);
    expect(f!.evidence.map((e) => e.text).join('\n')).toMatch(
      /the DISCOVER from dom0:vif16\.0 never enters domu2:br-int, .* none on domu2/,
    );
    expect(d.findings.filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('(a) with the dead server first among the servers: the OFFER is traced from the one reached', () => {
    const d = diagnose(readCase(twoAgents('dom0:vif2.1 domu:eth1\n', { dead: 'adomu' })));
    expect(d.verdict).toBe('healthy');
    expect(d.paths[0]!.offer?.verdict).toBe('delivered');
    expect(of(d, 'dhcp-not-listening', 'adomu').map((f) => f.severity)).toEqual(['warning']);
  });

  it('(a) its port down and untagged as well: every server-side fault of it is an observation', () => {
    const f = [dhcpPort, dnsmasq].flatMap((c) =>
      c.run(
        ctxOf(
          twoAgents('dom0:vif2.1 domu:eth1\n', {
            change: (d) =>
              edit(
                join(d, `domu2/sos_commands/networking/ip_netns_exec_${REF_NS}_ip_address_show`),
                /(tap5f1c9a2e-7b[^<]*<)[^>]*>/,
                '$1BROADCAST,MULTICAST>',
              ),
          }),
        ),
      ),
    );
    expect(of(f, 'dhcp-port-down', 'domu2').map((x) => [x.role, x.severity])).toEqual([
      ['observation', 'warning'],
    ]);
    expect(f.filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('(b) both reached, the other proven working: lost redundancy, a warning, not the cause', () => {
    const d = diagnose(
      readCase(twoAgents('dom0:vif2.1 domu:eth1\ndom0:vif3.1 domu2:eth1\n', { secondVif: true })),
    );
    expect(d.verdict).toBe('healthy');
    const [f, ...more] = of(d, 'dhcp-not-listening', 'domu2');
    expect(more).toEqual([]);
    expect([f!.role, f!.severity]).toEqual(['observation', 'warning']);
    expect(f!.message).toMatch(
      /^lost redundancy, not the cause: vif16\.0 also reaches qdhcp-\S+ on domu, another DHCP server of network 5f1c9a2e-/,
    );
    const ev = f!.evidence.map((e) => `${e.text} [${e.file ?? ''}]`).join('\n');
    expect(ev).toMatch(/on domu listens on udp 0\.0\.0\.0:67 \[domu\//);
    expect(ev).toMatch(/port tap5f1c9a2e-7b on br-int tag 1/);
  });

  it('(b) not when the other one is not proven listening (its listing not in the case): the cause', () => {
    const d = diagnose(
      readCase(
        twoAgents('dom0:vif2.1 domu:eth1\ndom0:vif3.1 domu2:eth1\n', {
          secondVif: true,
          change: (dir) => writeFileSync(join(dir, 'domu/sos_commands/networking', SS), ''),
        }),
      ),
    );
    expect(d.verdict).toBe('problem');
    expect(of(d, 'dhcp-not-listening', 'domu2').map((f) => f.severity)).toEqual(['error']);
  });

  // The working server's own dnsmasq log answering this VM proves it serves it as a listener
  // would: domu's socket listing left out, its log (as the reviewer's two_nolist case has it).
  const LOG = 'domu/var/log/neutron/dnsmasq.log';
  const logLines = (types: string[]) =>
    [
      'Nov 29 18:27:18 dnsmasq[10653]: started, version 2.90 cachesize 150',
      'Nov 29 18:27:18 dnsmasq-dhcp[10653]: DHCP, static leases only on 10.0.0.0, lease time 1d',
      ...types.map(
        (t) =>
          `Nov 29 18:27:20 dnsmasq-dhcp[10653]: 2643794556 ${t}(tap5f1c9a2e-7b)${t === 'DHCPDISCOVER' ? '' : ' 10.0.0.3'} fa:16:3e:11:22:33 `,
      ),
      '',
    ].join('\n');
  const logOnly = (types: string[]) =>
    twoAgents('dom0:vif2.1 domu:eth1\ndom0:vif3.1 domu2:eth1\n', {
      secondVif: true,
      change: (dir) => {
        refVmMac(dir);
        rmSync(join(dir, 'domu/sos_commands/networking', SS));
        mkdirSync(join(dir, LOG, '..'), { recursive: true });
        writeFileSync(join(dir, LOG), logLines(types));
      },
    });

  it('(b) the other one with no socket listing but its own log answering the VM: lost redundancy', () => {
    const d = diagnose(readCase(logOnly(['DHCPDISCOVER', 'DHCPOFFER', 'DHCPREQUEST', 'DHCPACK'])));
    expect(d.verdict).toBe('healthy');
    const [f, ...more] = of(d, 'dhcp-not-listening', 'domu2');
    expect(more).toEqual([]);
    expect([f!.role, f!.severity]).toEqual(['observation', 'warning']);
    expect(f!.message).toMatch(/^lost redundancy, not the cause: vif16\.0 also reaches qdhcp-\S+ on domu, /);
    const ev = f!.evidence.map((e) => `${e.text} [${e.file ?? ''}:${e.line ?? ''}]`).join('\n');
    expect(ev).toContain(
      `dnsmasq on domu answered vif16.0's fa:16:3e:11:22:33: DHCPOFFER(tap5f1c9a2e-7b) 10.0.0.3 [${LOG}:4]`,
    );
    expect(ev).toContain(`DHCPACK(tap5f1c9a2e-7b) 10.0.0.3 [${LOG}:6]`);
    expect(ev).not.toMatch(/listens on udp/);
  });

  it('(b) not when its log shows only DISCOVERs from the VM, no OFFER: not proof, the cause', () => {
    const d = diagnose(readCase(logOnly(['DHCPDISCOVER', 'DHCPDISCOVER'])));
    expect(d.verdict).toBe('problem');
    expect(of(d, 'dhcp-not-listening', 'domu2').map((f) => f.severity)).toEqual(['error']);
  });

  it('(c) the only server the VM reaches is the dead one: still PROBLEM', () => {
    const d = diagnose(readCase(twoAgents('dom0:vif3.1 domu2:eth1\n', { secondVif: true })));
    expect(d.verdict).toBe('problem');
    expect(d.findings[0]!.code).toBe('dhcp-not-listening');
    expect(d.findings[0]!.subject).toBe(`domu2:${REF_NS}`);
    expect(d.headline).toMatch(/^nothing listens on udp port 67 in qdhcp-/);
  });

  it('(c) which server the VM reaches unknown (no wire at all): not downgraded', () => {
    const d = diagnose(readCase(twoAgents('')));
    expect(of(d, 'dhcp-not-listening', 'domu2').map((f) => f.severity)).toEqual(['error']);
  });
});
