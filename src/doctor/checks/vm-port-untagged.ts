// The seed: the VM's port has no VLAN tag on the integration bridge, so the physical bridge's
// flows (which pass only known local VLANs) drop its frames. The agent never processed the port.

import type { TraceResult } from '../../dataplane/tree.ts';
import type { Evidence } from '../../model/evidence.ts';
import { bridgeRole, portRole, remoteController } from '../../model/roles.ts';
import { operands, shellWord } from '../../runner/runner.ts';
import { type DoctorContext, reachedServer, type VmPort } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { provenDropped, unprovenSteps } from '../proof.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { dropEvidence, dropText, inPortOf, translations } from './drop-evidence.ts';
import { portNetworkCommands } from './vm-network.ts';

export const vmPortUntagged: Check = {
  id: 'vm-port-untagged',
  title: 'VM port without VLAN tag on the integration bridge',
  run(ctx) {
    const out: Finding[] = [];
    for (const vm of ctx.vms) {
      const t = ctx.discover.get(vm);
      if (!vm.port.tag.known || vm.port.tag.value !== null || !t || reachedServer(ctx, vm)) continue;
      // An uplink (a port of a physical or tunnel bridge, a trunk, a wire to OVS) named with --vm:
      // the agent never tags one, so its missing tag says nothing.
      if (portRole(ctx.snapshot, vm.host, vm.bridge, vm.port).role === 'uplink') continue;
      // A bridge an external controller programs (OpenDaylight) isolates networks by its own flows:
      // a port's tag carries no Neutron meaning there, and none is missing.
      // So, likely, one whose remote controller nothing ties to the agent (roles.ts remoteController).
      if (bridgeRole(vm.host, vm.bridge).role === 'external' || remoteController(vm.host, vm.bridge))
        continue;
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
      // Why the agent never tagged it, as far as its log and configuration say (agentReason).
      const portId = ids?.known ? ids.value['iface-id'] : undefined;
      const why = agentReason(ctx, vm, portId);
      ev.push(...why.evidence);
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
              ...portNetworkCommands(vm),
              `ovs-vsctl --columns=name,tag,other_config find Port other_config:net_uuid=<network_id>   # on ${vm.host.name}: the tag of the network's other ports`,
            ];
      out.push({
        code: 'vm-port-untagged',
        severity: 'error' as const,
        subject: `${vm.host.name}:${vm.bridge.name}:${vm.port.name}`,
        message: `${vm.port.name} has no VLAN tag on ${vm.bridge.name}, so its DISCOVER ${dropText(t)}`,
        // The untagged port is proven; why the agent left it so is probable, never more (design.md).
        rootCause: `the port exists in OVSDB with an ofport but was never tagged: the L2 agent never finished processing it; ${why.reason}`,
        confirm: why.confirm,
        evidence: ev,
        fix: [
          ...tagFix,
          '# durably, on the host running neutron-openvswitch-agent (it reprocesses every port; with the OVS firewall driver a hand-set tag alone does not restore the port flows):',
          'systemctl restart neutron-openvswitch-agent   # changes state; devstack: restart q-agt',
          ...why.fix,
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

/** Why the agent left the port untagged, as its log and configuration let the case say. */
interface AgentReason {
  evidence: EvidenceItem[];
  /** The probable reason, in words (after 'the L2 agent never finished processing it; '). */
  reason: string;
  /** What would confirm it (the finding's `confirm`). */
  confirm: string;
  /** Fix lines for this reason only; none that the case shows already in place. */
  fix: string[];
}

/**
 * The actions Neutron's interface monitor reads as a port added (neutron/agent/common/
 * ovsdb_monitor.py: 'initial', 'insert', and 'new' for a changed row), on a row naming the port,
 * in one `Output received from [ovsdb-client monitor …]: {"data": …}` line.
 */
function monitorReported(json: string, port: string): string | undefined {
  try {
    const v = JSON.parse(json) as { data?: unknown[][]; headings?: string[] };
    const h = v.headings ?? ['row', 'action', 'name'];
    const [ai, ni] = [h.indexOf('action'), h.indexOf('name')];
    for (const row of v.data ?? [])
      if (row[ni] === port && ['initial', 'insert', 'new'].includes(String(row[ai]))) return String(row[ai]);
  } catch {
    // A line cut short (the log's own limit): the row as text.
    const m = new RegExp(
      `\\["[0-9a-f-]+","(initial|insert|new)","${port.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`,
    ).exec(json);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Deaf OVSDB monitor, the port's details never fetched (RPC), its binding failed, no iface-id, or
 * looked for on another bridge: which one the case points at, with its evidence. Each is probable
 * (the case holds no proof of the agent's inner state): what would confirm it goes with it.
 */
function agentReason(ctx: DoctorContext, vm: VmPort, portId: string | undefined): AgentReason {
  const evidence: EvidenceItem[] = [];
  const name = vm.port.name;
  const grepFor = operands(portId ?? name);
  let reported: { host: string; action: string; text: string; from: Evidence } | undefined;
  let bindingFailed: { host: string; text: string; from: Evidence } | undefined;
  let notFound: { host: string; text: string; from: Evidence } | undefined;
  for (const h of ctx.snapshot.hosts) {
    const log = h.agentLog;
    if (!log) continue;
    const about = log.events.filter(
      (e) =>
        (portId !== undefined && e.subject === portId) ||
        (e.kind === 'monitor-output' && e.subject.includes(`"${name}"`)),
    );
    for (const e of about) {
      const action = e.kind === 'monitor-output' ? monitorReported(e.subject, name) : undefined;
      if (action) reported ??= { host: h.name, action, text: e.text, from: e.from };
      if (e.kind === 'binding-failed') bindingFailed ??= { host: h.name, text: e.text, from: e.from };
      if (e.kind === 'not-on-bridge') notFound ??= { host: h.name, text: e.text, from: e.from };
    }
    if (notFound)
      evidence.push(
        evid(
          `${h.name}'s agent looked for the port on its integration bridge and did not find it: ${notFound.text}`,
          notFound.from,
        ),
      );
    else if (about.length === 0)
      evidence.push(
        evid(
          `${h.name}'s agent log (${log.events.filter((e) => e.stop === undefined).length} port events) never mentions ${portId ?? name}`,
          {
            file: log.file,
            line: 0,
          },
        ),
      );
    else if (reported?.host === h.name)
      evidence.push(
        evid(
          `${h.name}'s agent log shows its OVSDB monitor reported ${name} (${reported.action}): ${reported.text}`,
          reported.from,
        ),
      );
    else
      evidence.push(
        evid(
          `${h.name}'s agent log mentions the port ${about.length} time(s), last: ${about[about.length - 1]!.text}`,
          about[about.length - 1]!.from,
        ),
      );
  }
  // The agent's own configuration: does it rely on the OVSDB monitor to see new ports?
  let polls: { host: string; from: Evidence } | undefined;
  let monitorOnly: { host: string; from: Evidence; set: boolean } | undefined;
  for (const h of ctx.snapshot.hosts) {
    const c = h.agentConfig;
    if (!c) continue;
    const from = { file: c.file, line: c.minimizePolling?.line ?? 0 };
    if (c.minimizePolling && !c.minimizePolling.value) {
      polls ??= { host: h.name, from };
      evidence.push(
        evid(
          `${h.name}'s OVS agent has minimize_polling = False: it polls OVSDB every ${c.pollingInterval?.value ?? 2} s, so it does not depend on its monitor to see a new port`,
          from,
        ),
      );
    } else {
      monitorOnly ??= { host: h.name, from, set: c.minimizePolling !== undefined };
      evidence.push(
        evid(
          c.minimizePolling
            ? `${h.name}'s OVS agent has minimize_polling = True: it learns about new ports only from its OVSDB monitor`
            : `${h.name}'s OVS agent config does not set minimize_polling: the default (True) relies on the OVSDB monitor`,
          from,
        ),
      );
    }
  }
  const where = reported?.host ?? polls?.host ?? monitorOnly?.host;
  const onAgent = where ? `on ${where}` : 'on the host running neutron-openvswitch-agent';
  const rpc = `grep ${grepFor} /var/log/neutron/openvswitch-agent.log`;
  const rpcWhat = `${onAgent}: the agent's lines about the port (get_devices_details_list, a MessagingTimeout, 'binding failed')`;
  if (bindingFailed)
    return {
      evidence,
      reason: `most likely the Neutron server has no usable binding for it on this host (${bindingFailed.host}'s agent log: "${bindingFailed.text}"; the agent then puts the port in VLAN 4095 unless its ofport is -1)`,
      confirm: `openstack port show -c binding_vif_type -c binding_host_id ${operands(portId!)}   # binding_failed, or a host other than ${vm.host.name}`,
      fix: [],
    };
  if (notFound)
    return {
      evidence,
      reason: `most likely the agent looks for its ports on another bridge than ${vm.bridge.name}, where this port is (${notFound.host}'s agent log: it did not find the port on its integration bridge)`,
      confirm: `grep -E '^[[:space:]]*integration_bridge' /etc/neutron/plugins/ml2/openvswitch_agent.ini   # ${onAgent}: the bridge it manages, against ${vm.bridge.name}`,
      fix: [],
    };
  const ifaceIds = vm.port.interfaces[0]?.externalIds;
  if (ifaceIds?.known && !ifaceIds.value['iface-id'])
    return {
      evidence,
      reason: `most likely it has no external_ids:iface-id, and the agent only processes ports that carry one (Nova sets it when it plugs the VIF)`,
      confirm: `ovs-vsctl get Interface ${shellWord(name)} external_ids   # on ${vm.host.name}: no iface-id, the agent skips the port`,
      fix: [],
    };
  if (reported || polls) {
    const how = reported
      ? `its OVSDB monitor reported the port (${reported.action}, ${reported.host}'s agent log)`
      : `it polls OVSDB (minimize_polling = False on ${polls!.host})`;
    return {
      evidence,
      reason: `not for want of seeing it: ${how}; most likely fetching the port's details from the Neutron server failed or timed out (RPC; a binding that failed would have left it in VLAN 4095, the agent's port_dead)`,
      confirm: `${rpc}   # ${rpcWhat}`,
      fix: [],
    };
  }
  // Nothing says the agent saw the port: its monitor is the likely suspect, the RPC the other.
  const relies = monitorOnly
    ? monitorOnly.set
      ? `minimize_polling = True on ${monitorOnly.host} relies on it`
      : `${monitorOnly.host}'s agent config leaves minimize_polling at its default, True, which relies on it`
    : 'the default minimize_polling = True relies on it; the agent config is not in the case';
  return {
    evidence,
    reason: `most likely its OVSDB monitor did not report the new port (${relies}), else fetching the port's details from the Neutron server failed (RPC)`,
    confirm: `${rpc}; ovsdb-client monitor Interface name,ofport,external_ids --format=json   # ${onAgent}: the agent's lines about the port, and whether the monitor shows a new port as "insert"`,
    fix: [
      '# if new ports keep being missed, stop relying on the OVSDB monitor: in openvswitch_agent.ini [agent] set minimize_polling = False',
      `# and check that the monitor sees new ports on ${vm.host.name}: ovsdb-client monitor Interface name,ofport`,
    ],
  };
}
