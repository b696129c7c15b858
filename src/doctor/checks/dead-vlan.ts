// Tag 4095 is Neutron's DEAD_VLAN: the agent could not bind the port (and pairs the tag with an
// in_port drop flow, since tag 4095 alone does not stop NORMAL).
//
// A port at 4095 whose device is gone (OVS: "could not open network device … (No such device)";
// or a hybrid plug whose qbr in `brctl show` holds its qvb and no tap) is most likely what a
// deleted VM left behind: common, and harmless to every other VM. Without --vm it is no VM port of
// the case (diagnose leaves it out and says it: staleFinding), never the cause; named with --vm it
// is the VM asked about, and its fault is said with what proves the device gone, and fixed by
// cleaning the port up, not by restarting the agent.
import type { VmPort } from '../../model/roles.ts';
import { operands, shellWord } from '../../runner/runner.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { provenDropped } from '../proof.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { dropEvidence, dropText } from './drop-evidence.ts';
import { hybridNames } from './hybrid-firewall.ts';

/** A name quoted for sh, always (a cleanup command reads the same whatever the name is). */
export function quoted(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? `'${s.replace(/'/g, `'\\''`)}'` : shellWord(s);
}

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
    return out;
  },
};
