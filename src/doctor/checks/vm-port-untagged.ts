// The seed: the VM's port has no VLAN tag on the integration bridge, so the physical bridge's
// flows (which pass only known local VLANs) drop its frames. The agent never processed the port.

import type { TraceResult } from '../../dataplane/tree.ts';
import { operands, shellWord } from '../../runner/runner.ts';
import { type DoctorContext, reachedServer, type VmPort } from '../context.ts';
import type { Finding } from '../finding.ts';
import { provenDropped, unprovenSteps } from '../proof.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { dropEvidence, dropText, inPortOf, translations } from './drop-evidence.ts';

export const vmPortUntagged: Check = {
  id: 'vm-port-untagged',
  title: 'VM port without VLAN tag on the integration bridge',
  run(ctx) {
    const out: Finding[] = [];
    for (const vm of ctx.vms) {
      const t = ctx.discover.get(vm);
      if (!vm.port.tag.known || vm.port.tag.value !== null || !t || reachedServer(ctx, vm)) continue;
      // Only a proven drop makes the missing tag the cause; otherwise it is an observation.
      if (!provenDropped(ctx.world, t)) {
        const why = unprovenSteps(ctx.world, t)[0]?.text ?? t.uncertain[0]?.text;
        out.push({
          code: 'vm-port-untagged',
          role: 'observation' as const,
          severity: 'warning' as const,
          subject: `${vm.host.name}:${vm.bridge.name}:${vm.port.name}`,
          message: `${vm.port.name} has no VLAN tag on ${vm.bridge.name}; where its DISCOVER goes is not proven by the case (${why ?? 'it leaves what the case shows'})`,
          evidence: [evid(`port ${vm.port.name} on ${vm.bridge.name} has no tag`, vm.port.tag.from[0])],
          fix: [],
        });
        continue;
      }
      const iface = vm.port.interfaces[0];
      const ev = [evid(`port ${vm.port.name} on ${vm.bridge.name} has no tag`, vm.port.tag.from[0])];
      if (iface?.ofport.known && iface.ofport.value !== null)
        ev.push(
          evid(
            `it exists in OVSDB with ofport ${iface.ofport.value}: OVS created it, so the agent had something to process`,
            iface.ofport.from[0],
          ),
        );
      const ids = iface?.externalIds;
      if (ids?.known)
        ev.push(
          evid(
            ids.value['iface-id']
              ? `external_ids iface-id=${ids.value['iface-id']} (Nova plugged it)`
              : 'no external_ids:iface-id on the interface',
          ),
        );
      else
        ev.push(
          evid('the case has no external_ids for it (no `ovs-vsctl list interface`): agent metadata unknown'),
        );
      ev.push(...dropEvidence(t, `its DHCP DISCOVER (untagged, VLAN 0 on ${vm.bridge.name})`));
      // The local VLAN the flows expect: the dl_vlan of the translation flow beside the drop.
      // The agent's log: did it ever process this port (by Neutron port id), or see it in its monitor?
      const portId = ids?.known ? ids.value['iface-id'] : undefined;
      for (const h of ctx.snapshot.hosts) {
        const log = h.agentLog;
        if (!log) continue;
        const about = log.events.filter(
          (e) =>
            (portId && e.subject === portId) ||
            (e.kind === 'monitor-output' && e.subject.includes(`"${vm.port.name}"`)),
        );
        const notFound = about.find((e) => e.kind === 'not-on-bridge');
        if (notFound)
          ev.push(
            evid(
              `${h.name}'s agent looked for the port on its integration bridge and did not find it: ${notFound.text}`,
              notFound.from,
            ),
          );
        else if (about.length === 0)
          ev.push(
            evid(
              `${h.name}'s agent log (${log.events.length} port events) never mentions ${portId ?? vm.port.name}: the agent never saw the port`,
              { file: log.file, line: 0 },
            ),
          );
        else
          ev.push(
            evid(
              `${h.name}'s agent log mentions the port ${about.length} time(s), last: ${about[about.length - 1]!.text}`,
              about[about.length - 1]!.from,
            ),
          );
      }
      // The agent's own configuration: does it rely on the OVSDB monitor to see new ports?
      for (const h of ctx.snapshot.hosts) {
        const c = h.agentConfig;
        if (!c) continue;
        if (c.minimizePolling)
          ev.push(
            evid(
              c.minimizePolling.value
                ? `${h.name}'s OVS agent has minimize_polling = True: it learns about new ports only from its OVSDB monitor`
                : `${h.name}'s OVS agent has minimize_polling = False: it polls every ${c.pollingInterval?.value ?? 2} s, so a missed port points elsewhere (RPC, binding)`,
              { file: c.file, line: c.minimizePolling.line },
            ),
          );
        else
          ev.push(
            evid(
              `${h.name}'s OVS agent config does not set minimize_polling: the default (True) relies on the OVSDB monitor`,
              { file: c.file, line: 0 },
            ),
          );
      }
      // The tag to set comes from evidence or not at all: the local VLANs of the VM's own bridge,
      // which only the translation flows fed by that bridge carry (the drop's in_port is the patch
      // from it, on the VM's host). Another host's flows carry its own local VLANs or the wire's.
      // Exactly one network there determines it.
      // A flow on that port whose VLAN (or in_port) this cannot read leaves the set unknown.
      const tr = fedBy(ctx, vm, t) ? translations(ctx.world, t) : { flows: [] };
      const flows = tr.flows.map((f) => f.entry);
      const locals = [...new Set(tr.flows.map((f) => f.vlan))];
      const local = locals.length === 1 && !tr.unknown ? locals[0] : undefined;
      if (tr.unknown)
        ev.push(
          evid(
            `the flows on ${t.drop!.bridge} pass ${locals.length ? `local VLANs ${locals.join(', ')} and maybe more` : 'VLANs this cannot read'} from that port: \`${tr.unknown.entry.text}\` may match it and ${tr.unknown.why}, so the local VLANs of that port are not known`,
            tr.unknown.entry.from,
          ),
        );
      else if (locals.length === 1)
        ev.push(
          evid(
            `the flows on ${t.drop!.bridge} pass only local VLAN ${local} from that port (one network on the bridge): the tag is ${local}`,
            flows[0]!.from,
          ),
        );
      else if (locals.length > 1)
        ev.push(
          evid(
            `the flows on ${t.drop!.bridge} pass local VLANs ${locals.join(', ')} from that port: several networks, the case does not say which is this VM's`,
            flows[0]!.from,
          ),
        );
      const q = shellWord(vm.port.name);
      const tagFix =
        local !== undefined
          ? [
              `# now, on ${vm.host.name}: give the port its local VLAN (what the agent would have done; changes state)`,
              `ovs-vsctl set Port ${q} tag=${local}`,
            ]
          : [
              `# the tag cannot be told from the case${locals.length ? ` (candidates: ${locals.join(', ')}${tr.unknown ? ', and maybe more' : ''})` : ''}: find the port's network, then the local VLAN the agent gave it`,
              `openstack port show -c network_id ${operands(portId ?? vm.port.name)}`,
              `ovs-vsctl --columns=name,tag,other_config find Port other_config:net_uuid=<network_id>   # on ${vm.host.name}: the tag of the network's other ports`,
            ];
      out.push({
        code: 'vm-port-untagged',
        severity: 'error' as const,
        subject: `${vm.host.name}:${vm.bridge.name}:${vm.port.name}`,
        message: `${vm.port.name} has no VLAN tag on ${vm.bridge.name}, so its DISCOVER ${dropText(t)}`,
        rootCause:
          'the port exists in OVSDB with an ofport but was never tagged, so the L2 agent never processed it (its OVSDB monitor did not report the new port): check the monitor, restart the agent or switch it to polling',
        evidence: ev,
        fix: [
          ...tagFix,
          '# durably, on the host running neutron-openvswitch-agent (it reprocesses every port; with the OVS firewall driver a hand-set tag alone does not restore the port flows):',
          'systemctl restart neutron-openvswitch-agent   # changes state; devstack: restart q-agt',
          '# if new ports keep being missed, stop relying on the OVSDB monitor: in openvswitch_agent.ini [agent] set minimize_polling = False',
          `# and check that the monitor sees new ports on ${vm.host.name}: ovsdb-client monitor Interface name,ofport`,
        ],
      });
    }
    return out;
  },
};

/**
 * Is the drop on a bridge of the VM's host, at an in_port that is the patch from the VM's own
 * bridge? Then the dl_vlan its translation flows match are that bridge's local VLANs.
 */
function fedBy(ctx: DoctorContext, vm: VmPort, t: TraceResult): boolean {
  const d = t.drop;
  if (!d?.entry || d.host !== vm.host.name) return false;
  const rb = ctx.world.bridges.find((b) => b.host === d.host && b.name === d.bridge);
  const port = inPortOf(d.entry.flow);
  if (!rb || port === undefined) return false;
  const rp = /^\d+$/.test(port) ? rb.ports.get(Number(port)) : rb.byName.get(port);
  const peer = rp?.peer ? ctx.world.ifaces.get(d.host)?.get(rp.peer) : undefined;
  return peer?.bridge.name === vm.bridge.name;
}
