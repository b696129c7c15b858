// Tag 4095 is Neutron's DEAD_VLAN: the agent could not bind the port (and pairs the tag with an
// in_port drop flow, since tag 4095 alone does not stop NORMAL).
//
// A port at 4095 whose device is gone (OVS: "could not open network device … (No such device)";
// or a hybrid plug whose qbr in `brctl show` holds its qvb and no tap) is most likely what a
// deleted VM left behind: common, and harmless to every other VM. Without --vm it is no VM port of
// the case (diagnose leaves it out and says it: staleFinding), never the cause; named with --vm it
// is the VM asked about, and its fault is said with what proves the device gone, and fixed by
// cleaning the port up, not by restarting the agent.
import { portRole, type VmPort } from '../../model/roles.ts';
import type { Bridge, Host, Port } from '../../model/snapshot.ts';
import { operands, shellWord } from '../../runner/runner.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { provenDropped } from '../proof.ts';
import { agentLogCommand } from './agent-bridges.ts';
import type { Check } from './check.ts';
import { evid, quoted } from './check.ts';
import { dropEvidence, dropText } from './drop-evidence.ts';
import { hybridNames } from './hybrid-firewall.ts';
import { serverFault } from './server-bearing.ts';

export function deadTagged(vm: VmPort): boolean {
  return vm.port.tag.known && vm.port.tag.value === 4095;
}

/**
 * What proves the port's device gone, as evidence; undefined when nothing does. OVS's own error
 * on its Interface (No such device), or `brctl show` (read whole) listing the hybrid plug's qbr
 * with its qvb and without the VM's tap.
 */
export function staleProof(vm: VmPort): { evidence: EvidenceItem[]; why: string } | undefined {
  const gone = vm.port.interfaces.find((i) => i.error && /No such device/.test(i.error.text));
  if (gone?.error)
    return {
      evidence: [evid(`error "${gone.error.text}"`, gone.error.from)],
      why: `OVS says "${gone.error.text}"`,
    };
  const n = hybridNames(vm.port.name);
  const br = vm.host.brctl;
  if (!n || !br?.whole) return undefined;
  const qbr = br.bridges.find((b) => b.name === n.qbr);
  if (!qbr) return undefined;
  const names = qbr.interfaces.map((i) => i.name);
  if (!names.includes(n.qvb) || names.includes(n.tap)) return undefined;
  return {
    evidence: [
      evid(`${n.qbr} holds ${names.join(', ')}, no ${n.tap}`, qbr.from),
      evid(`\`brctl show\` of ${vm.host.name} read whole`, { file: br.file, line: 0 }),
    ],
    why: `its Linux bridge ${n.qbr} holds the veth end ${n.qvb} and no VM tap ${n.tap} (\`brctl show\`)`,
  };
}

/** Read-only checks that the port is no VM's, then its cleanup (marked as changing state). */
function cleanup(vm: VmPort, portId: string | undefined): string[] {
  const on = `on ${vm.host.name}`;
  const n = hybridNames(vm.port.name);
  const qbr = n && vm.host.brctl?.bridges.find((b) => b.name === n.qbr);
  const qvb = n && qbr?.interfaces.some((i) => i.name === n.qvb) ? n.qvb : undefined;
  return [
    `ovs-vsctl --columns=name,error,ofport,external_ids list Interface ${quoted(vm.port.name)}   # ${on}: its error, ofport and iface-id (the Neutron port it was plugged for)`,
    `openstack port show -c device_id -c binding_host_id -c status ${portId ? operands(portId) : '<iface-id from the line above>'}   # "No Port found", or a device_id no instance on ${vm.host.name} has: the port is stale`,
    ...(n ? [`ip link show ${quoted(n.tap)}; virsh list --all   # ${on}: the VM's tap and instance`] : []),
    `ovs-vsctl -- --if-exists del-port ${quoted(vm.bridge.name)} ${quoted(vm.port.name)}   # changes state, ${on}: only once the checks above show the port is no VM's`,
    ...(qvb
      ? [
          `ip link delete ${quoted(qvb)}   # changes state, ${on}: the veth ${qvb}/${vm.port.name} (both ends)`,
        ]
      : []),
    ...(qbr
      ? [`ip link delete ${quoted(n!.qbr)}   # changes state, ${on}: the hybrid plug's Linux bridge`]
      : []),
  ];
}

/**
 * The port at 4095 whose device is gone, said for what it is: an observation, deciding nothing
 * (without --vm, or as one of --all-vms's VMs, asked about in turn rather than named).
 */
export function staleFinding(vm: VmPort, proof: { evidence: EvidenceItem[]; why: string }): Finding {
  const ids = vm.port.interfaces[0]?.externalIds;
  const portId = ids?.known ? ids.value['iface-id'] : undefined;
  return {
    code: 'stale-port',
    role: 'observation',
    severity: 'warning',
    subject: `${vm.host.name}:${vm.bridge.name}:${vm.port.name}`,
    message: `${vm.port.name} on ${vm.host.name} is most likely a stale port of a deleted VM: it is tagged 4095 (Neutron's dead VLAN) and ${proof.why}; it decides nothing for the other VMs (name it with --vm to ask about it)`,
    evidence: [
      evid(`port ${vm.port.name} tag 4095`, vm.port.tag.known ? vm.port.tag.from[0] : undefined),
      ...proof.evidence,
    ],
    fix: cleanup(vm, portId),
  };
}

export const deadVlan: Check = {
  id: 'dead-vlan',
  title: 'VM port on the dead VLAN (4095)',
  run(ctx) {
    const out: Finding[] = [];
    for (const vm of ctx.vms.filter(deadTagged)) {
      const stale = staleProof(vm);
      // As one of --all-vms's: diagnose says it (staleFinding), it decides nothing.
      if (stale && ctx.asked === 'each') continue;
      // The port's tag is the proven fault; where its DISCOVER dies is said only when proven.
      const t = ctx.discover.get(vm);
      const dead = t && provenDropped(ctx.world, t) ? t : undefined;
      const ids = vm.port.interfaces[0]?.externalIds;
      const portId = ids?.known ? ids.value['iface-id'] : undefined;
      // Without --vm, one port at 4095 among VM ports the agent tagged: it may be the VM asked
      // about, or not; say which port it is and that the others are not so.
      const others = ctx.asked === undefined ? ctx.vms.filter((v) => v !== vm) : [];
      const tagged = others.filter(
        (v) => v.port.tag.known && v.port.tag.value !== null && v.port.tag.value !== 4095,
      );
      const rest =
        tagged.length === others.length
          ? `the other ${others.length} ${others.length > 1 ? 'have' : 'has'} a VLAN tag`
          : `${tagged.length} of the other ${others.length} ${tagged.length === 1 ? 'has' : 'have'} a VLAN tag`;
      const among = others.length
        ? `${vm.port.name} on ${vm.host.name}, of the case's ${others.length + 1} VM ports the one broken (${rest}), `
        : '';
      const where = `${vm.host.name}:${vm.bridge.name}`;
      out.push({
        code: 'dead-vlan',
        severity: 'error' as const,
        subject: `${where}:${vm.port.name}`,
        message: `${among || `${vm.port.name} `}is tagged 4095 (Neutron's dead VLAN) on ${vm.bridge.name}${dead ? `; its DISCOVER ${dropText(dead)}` : ''}`,
        rootCause: stale
          ? `the port's device is gone (${stale.why}): its VM is not running on ${vm.host.name}, most likely deleted, and the port is left over`
          : 'the L2 agent could not bind the port (no network/segment for it, or the binding failed): see the agent log for the port id',
        evidence: [
          evid(`port ${vm.port.name} tag 4095`, vm.port.tag.known ? vm.port.tag.from[0] : undefined),
          ...(stale ? stale.evidence : []),
          ...(dead ? dropEvidence(dead, 'its DHCP DISCOVER') : []),
        ],
        // A stale port is cleaned up, not rebound: restarting the agent gives it no device.
        fix: stale
          ? cleanup(vm, portId)
          : [
              ...(among
                ? ['# the VM you ask about is another port? name it: vifpath diagnose <case> --vm <port>']
                : []),
              '# on the agent host: find why binding failed',
              `grep -E ${shellWord(`${portId ?? vm.port.name}|binding_failed|Port .* was not found`)} /var/log/neutron/openvswitch-agent.log`,
              `openstack port show -c binding_vif_type -c binding_host_id ${portId ? operands(portId) : '<port-id: the case has no iface-id for it>'}   # binding_failed means no mechanism driver took it`,
              'systemctl restart neutron-openvswitch-agent   # changes state',
            ],
      });
    }
    // A VM port an excerpt shows without its Bridge line, at 4095: the tag is proven, the bridge
    // and the path are not, so it is said and decides nothing (named with --vm, diagnose says it
    // as the port asked about: unplacedPortGap).
    if (ctx.asked === undefined)
      for (const h of ctx.snapshot.hosts)
        for (const p of h.unplacedPorts ?? []) {
          if (!p.tag.known || p.tag.value !== 4095) continue;
          const role = portRole(ctx.snapshot, h, undefined, p);
          if (role.role !== 'vm') continue;
          const at = p.tag.from[0];
          const gone = p.interfaces.find((i) => i.error && /No such device/.test(i.error.text));
          out.push({
            code: 'dead-vlan',
            role: 'observation',
            severity: 'warning',
            subject: `${h.name}:${p.name}`,
            message: `${p.name} on ${h.name} (a VM port by ${role.why}) is tagged 4095 (Neutron's dead VLAN) on a bridge that ${at?.file ?? 'the excerpt'} does not name (an excerpt without its Bridge line): the OVS agent did not bind it${gone?.error ? `, and OVS says "${gone.error.text}": most likely a stale port of a deleted VM` : ''}; no path from it can be traced until the whole \`ovs-vsctl show\` places it (name it with --vm to ask about it)`,
            evidence: [
              evid(`port ${p.name} tag 4095`, at),
              ...(gone?.error ? [evid(`error "${gone.error.text}"`, gone.error.from)] : []),
            ],
            fix: [
              `ovs-vsctl show   # on ${h.name}: the whole output, which bridge ${p.name} is on`,
              `ovs-vsctl --columns=name,error,ofport,external_ids list Interface ${quoted(p.name)}   # on ${h.name}: its error, ofport and iface-id (the Neutron port it was plugged for)`,
            ],
          });
        }
    return out;
  },
};

/**
 * A DHCP port at the dead VLAN: no VM's DHCP frame reaches it (they come in their network's local
 * VLAN), so DHCP for its network cannot work from that host. A server of the case (its namespace's
 * device on that port): its fault as the evidence ties it to the VMs (server-bearing.ts); with no
 * VM in the case, said and deciding nothing. A DHCP agent's port known only by Neutron's naming (an
 * internal tap<id>, its namespace's devices not in the case): said, with the qdhcp namespace that
 * most likely holds it when the host lists one alone; its network is not proven, so it is no VM's
 * cause.
 */
export const dhcpDeadVlan: Check = {
  id: 'dhcp-dead-vlan',
  title: 'DHCP port on the dead VLAN (4095)',
  run(ctx) {
    const out: Finding[] = [];
    const seen = new Set<Port>();
    // `b` undefined: a port an excerpt shows without its Bridge line; the tag is proven, the
    // bridge is not. Only Neutron's OVS agent sets 4095, on the integration bridge's ports: what
    // follows is said as following from that, and the whole `ovs-vsctl show` is asked for.
    const base = (h: Host, b: Bridge | undefined, p: Port, ns: string | undefined): Finding => {
      const at = p.tag.known ? p.tag.from[0] : undefined;
      const fate = `no VM's DHCP frame reaches it (they come in their network's local VLAN), so DHCP for its network cannot work from host ${h.name}`;
      return {
        code: 'dhcp-port-dead-vlan',
        severity: 'error',
        subject: b ? `${h.name}:${b.name}:${p.name}` : `${h.name}:${p.name}`,
        message: `the DHCP port ${p.name}${ns ? ` of ${ns}` : ''} is tagged 4095 (Neutron's dead VLAN) ${b ? `on ${h.name}:${b.name}: ${fate}` : `on a bridge of ${h.name} that ${at?.file ?? 'the excerpt'} does not name (an excerpt without its Bridge line); only Neutron's OVS agent sets that tag, on the integration bridge's ports; there ${fate}`}`,
        rootCause:
          "the OVS agent did not bind the DHCP port (it is not running, stopped before wiring the host, or the port's binding failed): see the agent's log",
        evidence: [evid(`port ${p.name} tag 4095`, at)],
        fix: [
          agentLogCommand(h),
          `grep -F ${quoted(p.name.replace(/^tap/, ''))} /var/log/neutron/openvswitch-agent.log | tail -n 20   # on ${h.name}: what the agent did with this port (its id begins so)`,
          `openstack port list --device-owner network:dhcp --long   # which network's DHCP port begins with ${p.name.replace(/^tap/, '')}, and its status`,
          ...(b ? [] : [`ovs-vsctl show   # on ${h.name}: the whole output, which bridge ${p.name} is on`]),
        ],
      };
    };
    for (const srv of ctx.servers) {
      const o = srv.ovs;
      if (!o?.port.tag.known || o.port.tag.value !== 4095 || seen.has(o.port)) continue;
      seen.add(o.port);
      const f = base(srv.host, o.bridge, o.port, srv.ns.name);
      f.evidence.push(evid(`${srv.device.name} in ${srv.ns.name}`, srv.device.from));
      // A VM's DISCOVER proven to die on the way: where (the first such VM).
      const died = ctx.vms.map((vm) => ctx.discover.get(vm)).find((t) => t && provenDropped(ctx.world, t));
      if (died?.drop) f.evidence.push(...dropEvidence(died, `the DHCP DISCOVER from ${died.start.port}`));
      else if (died?.stop)
        f.evidence.push(
          evid(
            `the DHCP DISCOVER from ${died.start.port} stops on ${died.stop.host} ${died.stop.bridge}: ${died.stop.why}`,
          ),
        );
      // No VM in the case: what it means for one is said, the verdict waits on a VM.
      out.push(
        ctx.vms.length
          ? serverFault(ctx, srv, f)
          : {
              ...f,
              role: 'observation',
              severity: 'warning',
              message: `${f.message}; a VM of that network would get no address from this server (no VM is in the case)`,
            },
      );
    }
    // Every bridge's ports, then those an excerpt shows without their bridge (unplaced).
    for (const h of ctx.snapshot.hosts)
      for (const [b, p] of [
        ...h.bridges.flatMap((b) => b.ports.map((p) => [b, p] as const)),
        ...(h.unplacedPorts ?? []).map((p) => [undefined, p] as const),
      ]) {
        if (seen.has(p) || !p.tag.known || p.tag.value !== 4095) continue;
        if (portRole(ctx.snapshot, h, b, p).role !== 'service' || !/^tap/.test(p.name)) continue;
        // A tap<id> in a namespace of the case that is no server (a router's?) is not said here.
        if (
          h.namespaces.some((n) =>
            n.devices?.some((d) => d.name === p.name || d.name === `ns-${p.name.slice(3)}`),
          )
        )
          continue;
        seen.add(p);
        const i = p.interfaces[0];
        const f = base(h, b, p, undefined);
        const internal = i?.type.known ? [evid(`${i.name} type internal`, i.type.from[0])] : [];
        const byName = `${p.name} is the DHCP agent's port by Neutron's naming: an internal port named tap<id>`;
        // Other DHCP-agent ports of the host with a VLAN tag: this one may be a stale port of a
        // network no longer served here, or its network's; the case does not say which.
        const agentPorts = [
          ...h.bridges.flatMap((x) => x.ports.map((q) => [x, q] as const)),
          ...(h.unplacedPorts ?? []).map((q) => [undefined, q] as const),
        ]
          .filter(([x, q]) => /^tap/.test(q.name) && portRole(ctx.snapshot, h, x, q).role === 'service')
          .map(([, q]) => q);
        const tagged = agentPorts.filter(
          (q) => q !== p && q.tag.known && q.tag.value !== null && q.tag.value !== 4095,
        );
        const on = b ? `${h.name}:${b.name}` : `a bridge of ${h.name} the excerpt does not name`;
        if (tagged.length) {
          const { rootCause: _, ...said } = f;
          out.push({
            ...said,
            role: 'observation',
            severity: 'info',
            message: `the DHCP port ${p.name} is tagged 4095 (Neutron's dead VLAN) on ${on}, so it gets no VM's DHCP frame (${byName}); ${tagged.map((q) => `${q.name} (tag ${q.tag.known ? q.tag.value : '?'})`).join(', ')} ${tagged.length > 1 ? 'are DHCP ports' : 'is a DHCP port'} of ${h.name} with a VLAN tag, so it may be a stale DHCP port of a network no longer served here: whether its network has a working DHCP port on ${h.name} the case does not say`,
            evidence: [
              ...f.evidence,
              ...internal,
              ...tagged.map((q) =>
                evid(
                  `port ${q.name} tag ${q.tag.known ? q.tag.value : '?'}`,
                  q.tag.known ? q.tag.from[0] : undefined,
                ),
              ),
            ],
          });
          continue;
        }
        const qdhcp = h.namespaces.filter((n) => n.name.startsWith('qdhcp-'));
        const one =
          agentPorts.length === 1 && qdhcp.length === 1 && qdhcp[0]!.devices === undefined
            ? qdhcp[0]
            : undefined;
        out.push({
          ...f,
          role: 'observation',
          severity: 'warning',
          message: `${f.message} (${byName}${one ? `; most likely in ${one.name}, the one qdhcp namespace \`ip netns\` lists on ${h.name}, whose devices are not in the case` : ''}); a VM of that network would get no address from it${ctx.vms.length ? " (which network it serves the case does not prove, so it is no VM's cause here)" : ' (no VM is in the case)'}`,
          evidence: [
            ...f.evidence,
            ...internal,
            ...(one ? [evid(`namespace ${one.name}`, one.from[0])] : []),
          ],
          fix: [
            ...f.fix,
            ...(one
              ? [
                  `ip netns exec ${quoted(one.name)} ip -d address show   # on ${h.name}: is ${p.name} its device?`,
                ]
              : []),
          ],
        });
      }
    return out;
  },
};
