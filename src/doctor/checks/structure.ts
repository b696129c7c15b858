// Broken plumbing anywhere on the path: a patch port whose peer is missing, an interface OVS
// could not open, a secure bridge without flows; and a host whose OVS was not answering.

import { peerRemedy, unplaced } from '../../dataplane/world.ts';
import { flowCount } from '../../model/flows.ts';
import { portRole } from '../../model/roles.ts';
import { findExcerpt, type Interface, linkShows } from '../../model/snapshot.ts';
import { shellWord } from '../../runner/runner.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { agentLogCommand, wholeListing } from './agent-bridges.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { excerptGap } from './excerpt.ts';
import { ovsNotAnswering } from './ovs-down.ts';
import { isTunnelIface, tunnelOpenFailure } from './tunnel-open.ts';

export const structure: Check = {
  id: 'structure',
  title: 'patch peers, interface errors, secure bridges without flows, OVS not answering',
  run(ctx) {
    const out: Finding[] = [];
    for (const h of ctx.snapshot.hosts) {
      const hidden = findExcerpt(h, 'ovsdb');
      const listing = hidden ? undefined : wholeListing(h);
      const names = new Set(
        h.bridges.flatMap((b) => b.ports.flatMap((p) => p.interfaces.map((i) => i.name))),
      );
      for (const b of h.bridges) {
        if (
          b.failMode.known &&
          b.failMode.value === 'secure' &&
          b.flows.known &&
          flowCount(b.flows.value) === 0 &&
          b.flows.value.complete
        )
          out.push({
            code: 'secure-bridge-no-flows',
            severity: 'error',
            subject: `${h.name}:${b.name}`,
            message: `${b.name} is fail_mode secure and has no flows: it drops everything`,
            evidence: [
              evid(`fail_mode secure`, b.failMode.from[0]),
              evid('empty flow dump', { file: b.flows.value.file, line: 0 }),
            ],
            fix: ['systemctl restart neutron-openvswitch-agent   # changes state: reinstalls the flows'],
          });
        for (const p of b.ports)
          for (const i of p.interfaces) {
            const peer = i.options.known ? i.options.value.peer : undefined;
            const peerEv = evid(`options:peer=${peer}`, i.options.known ? i.options.from[0] : undefined);
            const dangling =
              i.type.known && i.type.value === 'patch' && peer && !names.has(peer) && h.bridges.length > 1;
            // The peer may be on a bridge, or be a port, that an excerpt leaves out: no misnaming
            // is suggested. A bridge the case has without its ports (a flow dump of it) may hold it.
            if (dangling && hidden) {
              // Neutron names a physical bridge's end phy-<bridge>: that bridge, not another, then.
              const named = /^phy-(.+)$/.exec(peer)?.[1];
              const portless = h.bridges
                .filter((x) => x.ports.length === 0 && (named === undefined || x.name === named))
                .map((x) => x.name);
              const holder =
                portless.length === 0
                  ? ''
                  : ` (the case has ${portless.join(', ')} without ${portless.length === 1 ? 'its' : 'their'} ports, which may hold it)`;
              const g = excerptGap(
                h,
                hidden,
                `${h.name}:${b.name}:${i.name}`,
                `patch port ${i.name} names peer ${peer}, which no bridge in the case shows${holder}`,
                `whether ${peer} exists`,
                [peerEv],
              );
              out.push(portless.length ? { ...g, fix: [...g.fix, peerRemedy(h, peer)] } : g);
            } else if (dangling && unplaced(h, peer)) {
              // OVSDB has the peer, the case does not show its bridge: a gap, not a dead patch.
              const pi = unplaced(h, peer)!;
              out.push({
                code: 'patch-peer-missing',
                role: 'gap',
                severity: 'warning',
                subject: `${h.name}:${b.name}:${i.name}`,
                message: `patch port ${i.name} names peer ${peer}, which ${h.name}'s OVSDB has${pi.ofport.known && pi.ofport.value !== null ? ` (ofport ${pi.ofport.value})` : ''} on a bridge the case does not show: the patch is not followed`,
                evidence: [
                  peerEv,
                  evid(
                    `${peer}${pi.ofport.known && pi.ofport.value !== null ? ` ofport ${pi.ofport.value}` : ''}`,
                    pi.ofport.known ? pi.ofport.from[0] : pi.from[0],
                  ),
                ],
                fix: [peerRemedy(h, peer)],
              });
            } else if (dangling && listing)
              // The case holds the host's whole listing: it answers whether the peer exists (no).
              out.push({
                code: 'patch-peer-missing',
                severity: 'warning',
                subject: `${h.name}:${b.name}:${i.name}`,
                message: `patch port ${i.name} names peer ${peer}, which the whole listing of ${h.name}'s bridges does not have: the patch is dead, nothing crosses it`,
                evidence: [
                  peerEv,
                  evid(`${h.name}'s bridges and their ports, without ${peer}`, { file: listing, line: 0 }),
                ],
                fix: [
                  `grep -E '^[[:space:]]*(bridge_mappings|tunnel_types)' /etc/neutron/plugins/ml2/openvswitch_agent.ini /etc/neutron/plugins/ml2/ml2_conf.ini   # on ${h.name}: the OVS agent makes ${peer} at start from these (phy-<bridge> on a bridge of bridge_mappings, patch-int on br-tun for tunnel_types)`,
                  agentLogCommand(h),
                ],
              });
            else if (dangling)
              out.push({
                code: 'patch-peer-missing',
                severity: 'warning',
                subject: `${h.name}:${b.name}:${i.name}`,
                message: `patch port ${i.name} names peer ${peer}, which no bridge in the case has`,
                evidence: [peerEv],
                fix: [
                  `ovs-vsctl show   # on ${h.name}: does ${peer} exist? (a misnamed peer leaves the patch dead)`,
                ],
              });
            if (!(i.error || (i.ofport.known && i.ofport.value === -1))) continue;
            // A tunnel's device is OVS's own (no device must exist before add-port): what its
            // error says of a tunnel, and the port that holds its configuration when it is shown.
            if (isTunnelIface(i)) {
              const why = tunnelOpenFailure(h, b, i);
              out.push({
                code: 'interface-error',
                severity: 'warning',
                subject: `${h.name}:${b.name}:${i.name}`,
                message: `OVS could not open the tunnel port ${i.name}${i.error ? `: ${i.error.text}` : ' (ofport -1)'}: it has no OpenFlow port, nothing leaves or enters by it`,
                rootCause: why.rootCause,
                ...(why.confirm ? { confirm: why.confirm } : {}),
                evidence: [openFailure(i), ...why.evidence.filter((e) => e.text !== openFailure(i).text)],
                fix: why.fix,
              });
              continue;
            }
            const vm = portRole(ctx.snapshot, h, b, p).role === 'vm';
            // The host's whole `ip link` listing already says whether the device exists: said, not asked again.
            // Only for a kernel device: `ip link` never lists a DPDK or vhost-user port's device.
            const kernel = !i.type.known || ['', 'system', 'internal', 'tap'].includes(i.type.value);
            const link = kernel ? linkShows(h, i.name) : undefined;
            const gone = link && 'absent' in link ? link.absent : undefined;
            out.push({
              code: 'interface-error',
              severity: 'warning',
              subject: `${h.name}:${b.name}:${i.name}`,
              message: `OVS could not open ${i.name}${i.error ? `: ${i.error.text}` : ' (ofport -1)'}${gone ? `; ${h.name}'s \`ip link\` listing (${gone.file}) has no ${i.name}: the device does not exist there${vm ? " (libvirt removes a VM's tap when the instance stops or is deleted; the port stays on the bridge)" : ''}` : ''}`,
              evidence: [
                openFailure(i),
                ...(gone
                  ? [
                      evid(`${gone.devices.length} devices listed, no ${i.name}`, {
                        file: gone.file,
                        line: 0,
                      }),
                    ]
                  : []),
              ],
              // A VM's tap is made by libvirt when the instance starts: a missing one says the
              // instance is not running here, not that someone must create a device.
              fix: !kernel
                ? [
                    `ovs-vsctl --columns=name,type,options,error list Interface ${shellWord(i.name)}; ovs-vsctl get Open_vSwitch . other_config   # on ${h.name}: a ${i.type.known ? i.type.value : ''} port's device is no kernel device (never in ip link): dpdk-init and the port's options (dpdk-devargs, vhost-server-path) say what OVS tried to open`,
                  ]
                : vm
                  ? [
                      gone
                        ? `virsh list --all   # on ${h.name}: is the instance running here? (libvirt creates its tap when it starts)`
                        : `ip link show ${shellWord(i.name)}; virsh list --all   # on ${h.name}: libvirt creates a VM's tap when the instance starts; is it running here?`,
                    ]
                  : gone
                    ? [
                        `ovs-vsctl --columns=name,type,external_ids list Interface ${shellWord(i.name)}   # on ${h.name}: what made the port; recreate its device, or remove the stale port (ovs-vsctl del-port)`,
                      ]
                    : [
                        `ip link show ${shellWord(i.name)}   # on ${h.name}: the device must exist before ovs-vsctl add-port`,
                      ],
            });
          }
      }
    }
    // A host whose OVS outputs are the tools' errors: OVS was not answering there.
    out.push(...ovsNotAnswering(ctx.snapshot));
    return out;
  },
};

/** What says OVS could not open an interface: its error, else its ofport -1 (diagnose's vm-device-missing too). */
export function openFailure(i: Interface): EvidenceItem {
  return evid(
    i.error ? `error "${i.error.text}"` : 'ofport -1',
    i.error?.from ?? (i.ofport.known ? i.ofport.from[0] : undefined),
  );
}
