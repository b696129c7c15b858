// A DHCP port at VLAN 4095 (the dead VLAN), and an OVS agent whose configured bridges OVS does not
// have. cn-dvr-network-4095 (doctor/fixtures/PROVENANCE.md): a published Liberty DVR network node,
// every br-int port at 4095, the DHCP port tap8311fca4-65 among them; bridge_mappings names br-vlan,
// tunnel_types is set, and OVS has neither br-vlan nor br-tun. Was: only "UNDECIDED: no VM port is
// proven…", exit 3, nothing said of either.

import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../../sources/case-dir.ts';
import { cleanupCases, edit, REF_LINKS, refCase, tmpCase } from '../../testing/case-edits.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { diagnose } from '../diagnose.ts';
import type { Diagnosis } from '../finding.ts';

afterAll(cleanupCases);

const DVR = join(ROOT, 'src/doctor/fixtures/cn-dvr-network-4095');
const LOG =
  "grep -E 'ERROR|CRITICAL|does not exist|Agent terminated' /var/log/neutron/openvswitch-agent.log | tail -n 50; systemctl status neutron-openvswitch-agent   # on network: why the OVS agent stopped or bound nothing (or add its log to the case)";

/** Every command that changes a host says so. */
function marked(d: Diagnosis): void {
  for (const f of d.findings)
    for (const x of f.fix)
      if (/\b(add-br|del-port|restart|ip link (?:set|delete))\b/.test(x.replace(/#.*$/, '')))
        expect(x, f.code).toMatch(/# changes state/);
}

function dvrCopy(change: (d: string) => void): string {
  const d = tmpCase();
  cpSync(DVR, d, { recursive: true });
  change(d);
  return d;
}

describe('the DHCP port at 4095 and the agent not wired (cn-dvr-network-4095)', () => {
  it('no VM: still undecided, the DHCP port and the missing bridges said with their lines, the agent log asked first', () => {
    const d = diagnose(readCase(DVR));
    expect(d.verdict).toBe('undecided');
    expect(d.headline).toBe(
      "no VM port is proven in the case, so no DHCP path can be traced; but the DHCP port tap8311fca4-65 on network is at VLAN 4095 (Neutron's dead VLAN): DHCP for its network cannot work from there (see the findings)",
    );
    const dhcp = d.findings.find((f) => f.code === 'dhcp-port-dead-vlan')!;
    expect([dhcp.role, dhcp.severity, dhcp.subject]).toEqual([
      'observation',
      'warning',
      'network:br-int:tap8311fca4-65',
    ]);
    expect(dhcp.message).toMatch(
      /^the DHCP port tap8311fca4-65 is tagged 4095 \(Neutron's dead VLAN\) on network:br-int: no VM's DHCP frame reaches it .*, so DHCP for its network cannot work from host network \(tap8311fca4-65 is the DHCP agent's port by Neutron's naming: an internal port named tap<id>; most likely in qdhcp-2ffdf0df-54cb-46e8-81d8-5b40d7cfd45e, the one qdhcp namespace `ip netns` lists on network, whose devices are not in the case\)/,
    );
    expect(dhcp.evidence.map((e) => `${e.file}:${e.line}`)).toEqual([
      'network/ovs-vsctl_show:19',
      'network/ovs-vsctl_show:21',
      'network/ip_netns:3',
    ]);
    const br = d.findings.find((f) => f.code === 'agent-bridge-missing')!;
    expect([br.role, br.severity, br.subject]).toEqual(['observation', 'warning', 'network']);
    expect(br.message).toMatch(
      /^network's OVS agent configuration maps physical network vlan to br-vlan \(bridge_mappings\) and sets tunnel_types = gre,vxlan, but OVS on network has no br-vlan and no br-tun: most likely the agent has not set this host up/,
    );
    expect(br.evidence.map((e) => `${e.text} [${e.file}:${e.line ?? ''}]`)).toEqual([
      'bridge_mappings = vlan:br-vlan,external:br-ex [network/etc/neutron/plugins/ml2/ml2_conf.ini:3]',
      'tunnel_types = gre,vxlan [network/etc/neutron/plugins/ml2/ml2_conf.ini:7]',
      "network's bridges: br-int, br-ex; no br-vlan, no br-tun [network/ovs-vsctl_show:]",
      'port sg-ee7fdd84-0e tag 4095 [network/ovs-vsctl_show:7]',
      'port qr-3e60aab4-57 tag 4095 [network/ovs-vsctl_show:11]',
      'port qg-7cac7e10-cc tag 4095 [network/ovs-vsctl_show:15]',
      'port tap8311fca4-65 tag 4095 [network/ovs-vsctl_show:19]',
    ]);
    expect(br.fix[0]).toBe(LOG);
    expect(d.collectNext[0]).toBe(LOG);
    expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
    marked(d);
  });

  it('the bridges there: no agent-bridge-missing; the listing an excerpt: nothing proven missing', () => {
    const wired = dvrCopy((d) =>
      edit(
        join(d, 'network/ovs-vsctl_show'),
        '    Bridge br-ex\n',
        '    Bridge br-tun\n        Port br-tun\n            Interface br-tun\n                type: internal\n    Bridge br-vlan\n        Port br-vlan\n            Interface br-vlan\n                type: internal\n    Bridge br-ex\n',
      ),
    );
    expect(diagnose(readCase(wired)).findings.map((f) => f.code)).not.toContain('agent-bridge-missing');
    const cut = dvrCopy((d) =>
      edit(join(d, 'network/ovs-vsctl_show'), '    Bridge br-ex\n', '    ...\n    Bridge br-ex\n'),
    );
    expect(diagnose(readCase(cut)).findings.map((f) => f.code)).not.toContain('agent-bridge-missing');
  });

  it('another DHCP port of the host with a VLAN tag (esxi-flat-havana-like): it may be a stale DHCP port, said as info, not in the headline', () => {
    const c = dvrCopy((d) =>
      edit(
        join(d, 'network/ovs-vsctl_show'),
        '    Bridge br-ex\n',
        '        Port "tap0000aaaa-01"\n            tag: 1\n            Interface "tap0000aaaa-01"\n                type: internal\n    Bridge br-ex\n',
      ),
    );
    const d = diagnose(readCase(c));
    expect(d.verdict).toBe('undecided');
    expect(d.headline).toBe('no VM port is proven in the case, so no DHCP path can be traced');
    const f = d.findings.find((x) => x.code === 'dhcp-port-dead-vlan')!;
    expect([f.severity, f.role, f.rootCause]).toEqual(['info', 'observation', undefined]);
    expect(f.message).toMatch(
      /tap0000aaaa-01 \(tag 1\) is a DHCP port of network with a VLAN tag, so it may be a stale DHCP port of a network no longer served here: whether its network has a working DHCP port on network the case does not say$/,
    );
    expect(f.message).not.toMatch(/cannot work|most likely in qdhcp/);
  });

  it("a VM in the case, the DHCP server's port at 4095 (the reference lab, its tap's tag edited): the proven cause", () => {
    const c = refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
      edit(
        join(d, 'domu/sos_commands/openvswitch/ovs-vsctl_-t_5_show'),
        /(Port tap5f1c9a2e-7b\n {12}tag: )1\n/,
        '$14095\n',
      );
      edit(
        join(d, 'domu/sos_commands/openvswitch/ovs-vsctl_-t_5_list_port'),
        /(name {16}: tap5f1c9a2e-7b\n(?:.*\n){0,12}?tag {17}: )1\n/,
        '$14095\n',
      );
    });
    const d = diagnose(readCase(c));
    expect(d.verdict).toBe('problem');
    const f = d.findings[0]!;
    expect([f.code, f.role, f.severity]).toEqual(['dhcp-port-dead-vlan', 'cause', 'error']);
    expect(d.headline).toMatch(
      /^the DHCP port tap5f1c9a2e-7b of qdhcp-5f1c9a2e-7b3d-4c8e-9a61-0d2b4e6f8a10 is tagged 4095 \(Neutron's dead VLAN\) on domu:br-int/,
    );
    expect(f.evidence.map((e) => e.text)).toContain(
      'the DHCP DISCOVER from vif16.0 stops on domu br-int: NORMAL switched the frame in VLAN 1; tap5f1c9a2e-7b has tag 4095',
    );
    // Not also a VLAN mismatch of the DHCP port: the dead VLAN is what it is.
    expect(d.findings.map((x) => x.code)).not.toContain('dhcp-port-vlan-mismatch');
    marked(d);
  });
});
