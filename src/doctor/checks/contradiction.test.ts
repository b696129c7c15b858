// contradictions alone: what the hosts saw against what the flows say.

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../../sources/case-dir.ts';
import {
  cleanupCases,
  REF_LINKS,
  refCase,
  refServerListening,
  refVmMac,
  runCheck as run,
} from '../../testing/case-edits.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { diagnose } from '../diagnose.ts';
import type { Finding } from '../finding.ts';
import { contradictions } from './contradiction.ts';

afterAll(cleanupCases);

const LINKS = `${REF_LINKS}dom0:vif16.0 vm16:eth0\n`;
const REFUSED =
  'Nov 25 13:00:01 dnsmasq-dhcp[7364]: DHCPDISCOVER(tap5f1c9a2e-7b) fa:16:3e:11:22:33 no address available\n';

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
  it('dnsmasq answered "no address available" to the VM\'s MAC (its attached-mac): a cause with what confirms it', () => {
    const f = run(
      contradictions,
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
        refVmMac(d);
        appendFileSync(join(d, 'domu/dnsmasq.log'), REFUSED);
      }),
    );
    expect(f[0]).toMatchObject({ code: 'dnsmasq-refused', role: 'cause', severity: 'error' });
    expect(f[0]!.message).toContain('from fa:16:3e:11:22:33 (vif16.0)');
    expect(f[0]!.confirm).toMatch(/grep -n fa:16:3e:11:22:33/);
    expect(f[0]!.fix.join('\n')).toMatch(/systemctl restart neutron-dhcp-agent {3}# changes state/);
  });
  it('a client with its lease: nothing contradicts', () => {
    expect(run(contradictions, refCase('healthy', ['dom0', 'domu', 'vm16'], LINKS))).toEqual([]);
  });
  it("two VMs, one client's output: never pinned on the other VM; a VM that never asked is no contrary", () => {
    expect(run(contradictions, join(ROOT, 'examples/vxlan-healthy'))).toEqual([]);
  });
});

// A refusal is the VM's cause only as the evidence ties its MAC to a VM port of the case. Was
// (bugnote-no-address-available, doctor/fixtures/PROVENANCE.md: a published note's console log and
// its controller's dnsmasq line): PROBLEM 'dnsmasq received the DISCOVER from 20:4c:03:37:a5:cd …',
// fix `systemctl restart neutron-dhcp-agent`, beside 'no port of the case is proven a VM port'.
describe('a refusal of a MAC no VM port of the case carries', () => {
  const BUGNOTE = join(ROOT, 'src/doctor/fixtures/bugnote-no-address-available');
  const restart = (fs: Finding[]) => fs.flatMap((x) => x.fix).filter((x) => /restart|changes state/.test(x));

  it('bugnote: UNDECIDED (no VM port), the refusal said with what ties it, no restart', () => {
    const d = diagnose(readCase(BUGNOTE));
    expect(d.verdict).toBe('undecided');
    expect(d.headline).toBe(
      "no VM port is proven in the case, and dnsmasq on controller refused a DISCOVER (`DHCPDISCOVER(ns-4dcae4ef-73) 20:4c:03:37:a5:cd no address available`, controller/messages:1: that MAC is not in its network's hosts file) and nothing in the case ties 20:4c:03:37:a5:cd to a VM: collect `openstack port list --mac-address '20:4c:03:37:a5:cd' --long` (is it the VM's port?), the network's hosts file and the VM's port (see the findings)",
    );
    expect(d.findings.filter((x) => x.severity === 'error')).toEqual([]);
    expect(restart(d.findings)).toEqual([]);
    const f = d.findings.find((x) => x.code === 'dnsmasq-refused-untied')!;
    expect(f).toMatchObject({ role: 'gap', severity: 'warning', subject: 'controller:ns-4dcae4ef-73' });
    expect(f.message).toContain(
      'nothing in the case ties 20:4c:03:37:a5:cd to a VM port (the case proves no VM port)',
    );
    expect(f.message).toContain("not of Neutron's default base_mac (fa:16:3e:…)");
    expect(f.evidence).toEqual([
      {
        text: 'DHCPDISCOVER(ns-4dcae4ef-73) 20:4c:03:37:a5:cd no address available',
        file: 'controller/messages',
        line: 1,
      },
    ]);
    expect(f.fix[0]).toMatch(/^openstack port list --mac-address '20:4c:03:37:a5:cd' --long {3}#/);
    expect(f.fix[1]).toMatch(
      /^cat \/var\/lib\/neutron\/dhcp\/<network-id>\/host {3}# on controller: .*`ip netns identify 4456`/,
    );
    expect(f.fix[2]).toMatch(
      /^ovs-vsctl --columns=name,external_ids find Interface 'external_ids:attached-mac="20:4c:03:37:a5:cd"' {3}#/,
    );
    expect(d.collectNext.slice(0, 3)).toEqual(f.fix);
  });

  it('bugnote with --mac 20:4c:03:37:a5:cd: the operator ties it, the refusal is the cause', () => {
    const d = diagnose(readCase(BUGNOTE), { mac: '20:4C:03:37:A5:CD' });
    expect(d.verdict).toBe('problem');
    expect(d.findings[0]).toMatchObject({ code: 'dnsmasq-refused', role: 'cause' });
    expect(d.headline).toMatch(
      /^dnsmasq received the DISCOVER from 20:4c:03:37:a5:cd \(the VM, as --mac gives its MAC\)/,
    );
  });

  it("the VM's MAC not in the case: a gap with its network's hosts file, the path's verdict undecided", () => {
    const dir = refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
      refServerListening(d);
      appendFileSync(join(d, 'domu/dnsmasq.log'), REFUSED);
    });
    const f = run(contradictions, dir);
    expect(f.map((x) => [x.code, x.role, x.severity])).toEqual([
      ['dnsmasq-refused-untied', 'gap', 'warning'],
    ]);
    expect(f[0]!.message).toContain('(the case gives no MAC for dom0:vif16.0)');
    expect(f[0]!.fix[1]).toMatch(
      /^cat \/var\/lib\/neutron\/dhcp\/5f1c9a2e-7b3d-4c8e-9a61-0d2b4e6f8a10\/host {3}# on domu/,
    );
    expect(restart(f)).toEqual([]);
    // Without the refusal the same case is healthy: the refused MAC may be the VM's.
    const d = diagnose(readCase(dir));
    expect(d.verdict).toBe('undecided');
    expect(d.headline).toMatch(/^the path delivers \(.*\), but dnsmasq on domu refused a DISCOVER/);
    const clean = refCase('healthy', ['dom0', 'domu'], REF_LINKS, (x) => refServerListening(x));
    expect(diagnose(readCase(clean)).verdict).toBe('healthy');
    // --mac ties it: the cause.
    expect(diagnose(readCase(dir), { mac: 'fa:16:3e:11:22:33' }).findings[0]).toMatchObject({
      code: 'dnsmasq-refused',
      role: 'cause',
    });
  });

  it("another MAC than the VM's (attached-mac): an observation, the verdict the path's", () => {
    const dir = refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
      refVmMac(d);
      refServerListening(d);
      appendFileSync(join(d, 'domu/dnsmasq.log'), REFUSED.replace('fa:16:3e:11:22:33', 'fa:16:3e:aa:bb:cc'));
    });
    const f = run(contradictions, dir);
    expect(f.map((x) => [x.code, x.role, x.severity])).toEqual([
      ['dnsmasq-refused-untied', 'observation', 'info'],
    ]);
    expect(f[0]!.message).toContain('the VM ports of the case carry fa:16:3e:11:22:33 (vif16.0)');
    expect(f[0]!.message).not.toContain('base_mac');
    expect(diagnose(readCase(dir)).verdict).toBe('healthy');
  });
});
