// Diagnose: run every check, put the direct cause and where it happens first, then the root
// cause, then what to collect when the evidence cannot decide.
import type { Snapshot } from '../model/snapshot.ts';
import type { Check } from './checks/check.ts';
import { checksum } from './checks/checksum.ts';
import { deadVlan } from './checks/dead-vlan.ts';
import { dhcpDropFlow } from './checks/dhcp-drop-flow.ts';
import { dhcpPort } from './checks/dhcp-port.ts';
import { dnsmasq } from './checks/dnsmasq.ts';
import { offerPath } from './checks/offer-path.ts';
import { structure } from './checks/structure.ts';
import { vlanMismatch } from './checks/vlan-mismatch.ts';
import { vmPortUntagged } from './checks/vm-port-untagged.ts';
import { buildContext, reachedServer } from './context.ts';
import type { Diagnosis, Finding } from './finding.ts';

/** In the order their findings explain a failure: the direct cause on the path first. */
export const CHECKS: readonly Check[] = [
  vmPortUntagged,
  deadVlan,
  dhcpDropFlow,
  vlanMismatch,
  dhcpPort,
  dnsmasq,
  checksum,
  offerPath,
  structure,
];

export function diagnose(s: Snapshot, opts: { vm?: string } = {}): Diagnosis {
  const ctx = buildContext(s, opts.vm);
  const findings: Finding[] = [];
  for (const c of CHECKS) findings.push(...c.run(ctx));
  const collect = [...new Set(s.hosts.flatMap((h) => h.gaps.map((g) => `${h.name}: ${g}`)))];
  if (ctx.vms.length === 0)
    findings.push({
      code: 'no-vm-port',
      severity: 'warning',
      subject: 'VM',
      message: opts.vm
        ? `no VM port matches "${opts.vm}" (a port name, MAC or iface-id)`
        : 'no VM port found (XenServer vif<domid>.<n> or a port with external_ids:attached-mac)',
      evidence: [],
      fix: [
        'ovs-vsctl list interface   # on the compute node: shows attached-mac and iface-id of each VM port',
      ],
    });
  // A DISCOVER that dies for a reason no check names is still a finding: say where.
  for (const vm of ctx.vms) {
    const t = ctx.discover.get(vm);
    if (!t || reachedServer(ctx, vm) || findings.some((f) => f.severity === 'error')) continue;
    findings.push({
      code: 'discover-dropped',
      severity: 'error',
      subject: `${vm.host.name}:${vm.port.name}`,
      message: `the DISCOVER from ${vm.port.name} does not reach a DHCP server: ${t.drop ? `dropped on ${t.drop.host} ${t.drop.bridge}${t.drop.flow ? ` by \`${t.drop.flow}\`` : `: ${t.drop.reason.text}`}` : 'no output'}`,
      evidence: t.drop?.entry
        ? [
            {
              text: t.drop.flow ?? t.drop.reason.text,
              file: t.drop.entry.from.file,
              line: t.drop.entry.from.line,
            },
          ]
        : [],
      fix: [
        `vifpath trace <case> --from ${vm.host.name}:${vm.port.name} --packet dhcp-discover   # the full path`,
      ],
    });
  }
  const errors = findings.filter((f) => f.severity === 'error');
  const first = errors[0];
  const healthy = errors.length === 0 && ctx.vms.length > 0 && ctx.vms.every((vm) => reachedServer(ctx, vm));
  const verdict = first
    ? `${first.message}${first.rootCause ? `; ${first.rootCause}` : ''}`
    : healthy
      ? `healthy: the DHCP DISCOVER from ${ctx.vms.map((v) => v.port.name).join(', ')} reaches ${ctx.servers.map((x) => `${x.ns.name} ${x.device.name}`).join(', ') || 'a DHCP port'} and the OFFER comes back`
      : 'undecided: see the findings and what to collect';
  return { verdict, healthy, findings, collect };
}
