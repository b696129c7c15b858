// What to do about a port watch alerts, beside what is stuck (review8 2.4): the read-only looks
// first, then what changes state, marked so. The advice is diagnose's for the same state
// (vm-port-untagged: the agent never processed the port), less what watch cannot know: it has no
// flows, so the tag to set is diagnose's to derive, never a value written here.
import { operands, shellWord, vifpathLine } from '../runner/runner.ts';

/** How `vifpath diagnose` reaches the watched host (watch's endpoint as a live target), if it can. */
export interface DiagnoseTarget {
  operands: string[];
  options: string[];
}

export interface NextInput {
  host: string;
  port: string;
  ifaceId: string | null;
  /** waitingFor()'s reasons. */
  reasons: readonly string[];
  diagnose?: DiagnoseTarget;
}

const AGENT_HOST = 'on the host running neutron-openvswitch-agent';

/** Command lines with a `#` comment each, pastable as they are. */
export function nextSteps(x: NextInput): string[] {
  const q = shellWord(x.port);
  const on = `on ${x.host}`;
  const tagWait = x.reasons.some((r) => r.startsWith('tag ') || r.startsWith('a usable tag'));
  const dead = x.reasons.some((r) => r.startsWith('a usable tag'));
  const device = x.reasons.some((r) => r.startsWith('an ofport') || r.startsWith('no interface error'));
  const out: string[] = [];
  if (x.diagnose)
    out.push(
      `${vifpathLine('diagnose', x.diagnose.operands, [...x.diagnose.options, '--vm', x.port])}   # read-only: the drop flow, the tag the flows expect, why, and the fix`,
    );
  if (tagWait) {
    out.push(
      `ovs-vsctl --columns=name,tag,other_config list Port ${q}; ovs-vsctl get Interface ${q} external_ids   # read-only, ${on}: the agent writes net_uuid/segmentation_id in other_config when it binds a port; iface-id is what it asks the Neutron server about`,
      `grep ${operands(x.ifaceId ?? x.port)} /var/log/neutron/openvswitch-agent.log   # read-only, ${AGENT_HOST}: did its OVSDB monitor report the port, did fetching its details (RPC) fail?`,
    );
    if (dead && x.ifaceId)
      out.push(
        `openstack port show -c binding_vif_type -c binding_host_id ${operands(x.ifaceId)}   # read-only: binding_failed, or bound to a host other than ${x.host}`,
      );
  }
  if (device)
    out.push(
      `ovs-vsctl get Interface ${q} ofport error; ip link show dev ${q}   # read-only, ${on}: OVS could not open the device: does it exist?`,
    );
  if (tagWait)
    out.push(
      `systemctl restart neutron-openvswitch-agent   # changes state, ${AGENT_HOST}: it reprocesses every port and tags this one (devstack: restart q-agt)`,
      `# or now, ${on} (changes state): ovs-vsctl set Port ${q} tag=<the local VLAN diagnose derives from the flows: watch has no flows>`,
    );
  return out;
}
