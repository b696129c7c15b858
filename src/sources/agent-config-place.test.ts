// Which openvswitch_agent.ini is the host's: the one /etc holds, not a deployment tool's template.
// The reviewer's case: canonical/hotsos@57b256c's fake sosreport of an OpenStack compute node holds
// both etc/neutron/plugins/ml2/openvswitch_agent.ini and the Juju charm's Jinja templates
// (var/lib/juju/agents/unit-neutron-openvswitch-1/charm/templates/<release>/openvswitch_agent.ini);
// the last one read won: local_ip "{{ local_ip }}", tunnel types "{{ overlay_network_type }}".
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../testing/fixtures.ts';
import { agentConfigPlace, readCase } from './case-dir.ts';

describe('agentConfigPlace', () => {
  it.each([
    ['etc/neutron/plugins/ml2/openvswitch_agent.ini', true],
    ['etc/neutron/plugins/ml2/ml2_conf.ini', true],
    ['etc/kolla/neutron-openvswitch-agent/openvswitch_agent.ini', true],
    ['var/snap/openstack-hypervisor/common/etc/neutron/openvswitch_agent.ini', true],
    ['openvswitch_agent.ini', true],
    ['var/lib/juju/agents/unit-neutron-openvswitch-1/charm/templates/queens/openvswitch_agent.ini', false],
    ['var/lib/juju/agents/unit-neutron-openvswitch-1/charm/templates/mitaka/ml2_conf.ini', false],
    ['usr/share/doc/neutron/openvswitch_agent.ini', false],
  ])('%s → %s', (rel, own) => {
    expect(agentConfigPlace(rel)).toBe(own);
  });
});

describe("a charm's template beside the host's configuration", () => {
  it('the host reads /etc, whatever else the tree holds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-'));
    try {
      cpSync(join(ROOT, 'examples/vxlan-healthy'), dir, { recursive: true });
      const tpl = join(dir, 'compute1/var/lib/juju/agents/unit-neutron-openvswitch-1/charm/templates/zed');
      mkdirSync(tpl, { recursive: true });
      writeFileSync(
        join(tpl, 'openvswitch_agent.ini'),
        '[ovs]\n{% if local_ip -%}\nlocal_ip = {{ local_ip }}\n{% endif -%}\n[agent]\ntunnel_types = {{ overlay_network_type }}\n',
      );
      const h = readCase(dir).hosts.find((x) => x.name === 'compute1')!;
      expect(h.agentConfig?.file).toBe('compute1/etc/neutron/plugins/ml2/openvswitch_agent.ini');
      expect(h.agentConfig?.localIp?.value).toBe('172.16.0.11');
      expect(h.ignored.some((f) => f.includes('templates/zed/openvswitch_agent.ini'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
