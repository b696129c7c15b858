// Tag 4095 is Neutron's DEAD_VLAN: the agent could not bind the port (and pairs the tag with an
// in_port drop flow, since tag 4095 alone does not stop NORMAL).
import { operands, shellWord } from '../../runner/runner.ts';
import { provenDropped } from '../proof.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { dropEvidence, dropText } from './drop-evidence.ts';

export const deadVlan: Check = {
  id: 'dead-vlan',
  title: 'VM port on the dead VLAN (4095)',
  run(ctx) {
    return ctx.vms
      .filter((vm) => vm.port.tag.known && vm.port.tag.value === 4095)
      .map((vm) => {
        // The port's tag is the proven fault; where its DISCOVER dies is said only when proven.
        const t = ctx.discover.get(vm);
        const dead = t && provenDropped(ctx.world, t) ? t : undefined;
        const ids = vm.port.interfaces[0]?.externalIds;
        const portId = ids?.known ? ids.value['iface-id'] : undefined;
        return {
          code: 'dead-vlan',
          severity: 'error' as const,
          subject: `${vm.host.name}:${vm.bridge.name}:${vm.port.name}`,
          message: `${vm.port.name} is tagged 4095 (Neutron's dead VLAN) on ${vm.bridge.name}${dead ? `; its DISCOVER ${dropText(dead)}` : ''}`,
          rootCause:
            'the L2 agent could not bind the port (no network/segment for it, or the binding failed): see the agent log for the port id',
          evidence: [
            evid(`port ${vm.port.name} tag 4095`, vm.port.tag.known ? vm.port.tag.from[0] : undefined),
            ...(dead ? dropEvidence(dead, 'its DHCP DISCOVER') : []),
          ],
          fix: [
            '# on the agent host: find why binding failed',
            `grep -E ${shellWord(`${portId ?? vm.port.name}|binding_failed|Port .* was not found`)} /var/log/neutron/openvswitch-agent.log`,
            `openstack port show -c binding_vif_type -c binding_host_id ${portId ? operands(portId) : '<port-id: the case has no iface-id for it>'}   # binding_failed means no mechanism driver took it`,
            'systemctl restart neutron-openvswitch-agent   # changes state',
          ],
        };
      });
  },
};
