// Diagnose: run every check, then decide among three verdicts. problem: a fault on the path is
// proven (its root cause may be only probable, and is labelled so); healthy: the DISCOVER reaches
// a DHCP server and the OFFER the VM, proven, resting on no assumption about a bridge the agent
// programs, and nothing in the case contradicts it; undecided: what is known, where the paths
// go, and exactly what to collect. Unknown is never broken: a gap is never an error.
import { taggedArrivals, taggedText } from '../dataplane/tagged.ts';
import { namespaceOfRemedy } from '../dataplane/trace.ts';
import { endpointText, nodesOf, ruleText, type TraceResult } from '../dataplane/tree.ts';
import { VifpathError } from '../errors/errors.ts';
import { tableFlows } from '../model/flows.ts';
import { chassisByNames } from '../model/ovn.ts';
import { dumpFlowsCommand } from '../model/ovs-version.ts';
import { bridgeRole, portRole, remoteController, type VmPort, xenVifDomid } from '../model/roles.ts';
import { dnsmasqEvents, findExcerpt, type Host, type Port, type Snapshot } from '../model/snapshot.ts';
import { operands, shellWord, vifpathLine } from '../runner/runner.ts';
import { nameList, nearest } from '../text/nearest.ts';
import { agentBridges, agentStopped, wholeListing } from './checks/agent-bridges.ts';
import { captureReads, weighCaptures } from './checks/capture-at-vm.ts';
import { type Check, evid } from './checks/check.ts';
import { checksum } from './checks/checksum.ts';
import { contradictions } from './checks/contradiction.ts';
import { deadTagged, deadVlan, dhcpDeadVlan, staleFinding, staleProof } from './checks/dead-vlan.ts';
import { dhcpClientRuns, dhcpClientServers } from './checks/dhcp-client.ts';
import { dhcpDropFlow } from './checks/dhcp-drop-flow.ts';
import { dhcpPort, qdhcpDevicesCommand, uncollectedQdhcp } from './checks/dhcp-port.ts';
import { dnsmasq } from './checks/dnsmasq.ts';
import { hybridFirewall, hybridNames } from './checks/hybrid-firewall.ts';
import { offHost } from './checks/off-host.ts';
import { offerPath } from './checks/offer-path.ts';
import { OVERLAY_CHECKS } from './checks/overlay.ts';
import { ovsNotAnswering } from './checks/ovs-down.ts';
import { openFailure, structure } from './checks/structure.ts';
import { vlanMismatch } from './checks/vlan-mismatch.ts';
import { noVmDetail, vmIdentity } from './checks/vm-identity.ts';
import { serverElsewhere } from './checks/vm-network.ts';
import { vmPortUntagged } from './checks/vm-port-untagged.ts';
import { buildContext, reachedServer } from './context.ts';
import type { Diagnosis, EvidenceItem, Finding, FindingCode, PathSummary } from './finding.ts';
import { type OvnScope, ovnAlso, ovnFindings, ovnHeadline, ovnScope } from './ovn.ts';
import {
  type ActionNotFollowed,
  actionsNotFollowed,
  provenDelivered,
  provenDropped,
  provenReaches,
  whyUnproven,
} from './proof.ts';
import { listenerCommand, serverShownByClient, serverUnproven } from './server-at-work.ts';
import { tunnelEndCommands, tunnelEndGap, tunnelEndText, unknownTunnelEnd } from './tunnel-end.ts';

/** In the order their findings explain a failure: the direct cause on the path first. */
export const CHECKS: readonly Check[] = [
  vmPortUntagged,
  deadVlan,
  dhcpDropFlow,
  hybridFirewall,
  vlanMismatch,
  ...OVERLAY_CHECKS,
  dhcpDeadVlan,
  dhcpPort,
  agentStopped,
  agentBridges,
  dnsmasq,
  checksum,
  offerPath,
  structure,
  offHost,
  contradictions,
  dhcpClientRuns,
  dhcpClientServers,
  vmIdentity,
];

/** A --vm that names no port of the case (findVms found none): exit 2, the nearest names listed. */
export function unknownVm(s: Snapshot, vm: string): VifpathError {
  const all = [
    ...s.hosts.flatMap((h) => h.bridges.flatMap((b) => b.ports.map((p) => `${h.name}:${p.name}`))),
    ...s.hosts.flatMap((h) => (h.unplacedPorts ?? []).map((p) => `${h.name}:${p.name}`)),
  ];
  const down = ovsNotAnswering(s);
  return new VifpathError(
    `--vm ${shellWord(vm)}: no port of the case has this name, host:port, MAC or iface-id (MACs and iface-ids come from \`ovs-vsctl list interface\`)${all.length ? `; nearest: ${nameList(nearest(vm, all), all.length)}` : '; the case has no OVS port'}${down.length ? `; OVS was not answering on ${down.map((f) => f.subject).join(', ')} when the outputs were collected (its files hold OVS's errors), so no port of ${down.length > 1 ? 'those hosts' : 'that host'} is in the case: \`${down[0]!.fix[0]!.replace(/ {3}#.*$/, '')}\` there` : ''}`,
  );
}

/**
 * The ports an excerpt shows without their bridge (Host.unplacedPorts) that `spec` names (the port
 * or its interface, bare or host:name, any letter case); all of them without `spec`.
 */
export function unplacedNamed(s: Snapshot, spec?: string): { host: Host; port: Port }[] {
  const f = spec?.toLowerCase();
  const names = (h: Host, p: Port): string[] =>
    [p.name, ...p.interfaces.map((i) => i.name)]
      .flatMap((n) => [n, `${h.name}:${n}`])
      .map((n) => n.toLowerCase());
  return s.hosts.flatMap((host) =>
    (host.unplacedPorts ?? [])
      .filter((port) => f === undefined || names(host, port).includes(f))
      .map((port) => ({ host, port })),
  );
}

/**
 * An OVS port an excerpt shows without its Bridge line: the port is in the case, where it is is
 * not; no path from it can be traced until the whole output is collected.
 */
function unplacedPortGap(host: Host, port: Port): Finding {
  const at = port.from[0];
  const tag = port.tag.known && port.tag.value !== null ? `, tag ${port.tag.value} there` : '';
  // 4095 is said for what it is whatever the bridge: only Neutron's OVS agent sets it.
  const dead =
    port.tag.known && port.tag.value === 4095 ? ": Neutron's dead VLAN, the OVS agent did not bind it" : '';
  const file = at?.file ?? 'an excerpt';
  const f: Finding = {
    code: 'excerpt-unknown',
    role: 'gap',
    severity: 'warning',
    subject: `${host.name}:${port.name}`,
    message: `${port.name} is an OVS port of ${host.name} (${at ? `${at.file}:${at.line}` : file}${tag}${dead}), but ${file} is an excerpt that leaves out the Bridge line above it: which bridge it is on, its OpenFlow port number and so the path of its DHCP are unknown`,
    evidence: [evid(`Port ${port.name}${tag ? ` (tag: ${(port.tag as { value: number }).value})` : ''}`, at)],
    fix: [`ovs-vsctl show   # on ${host.name}: the whole output, not an excerpt`],
  };
  UNPLACED.set(f, port);
  return f;
}
/** The findings unplacedPortGap made, with their port (the headline names it, and its dead VLAN). */
const UNPLACED = new WeakMap<Finding, Port>();

/** What diagnose says of a VM port itself: named by --vm, its MAC from a flow, a hybrid plug. */
function vmNotes(vm: VmPort, named: string | undefined): Finding[] {
  const out: Finding[] = [];
  const note = (code: FindingCode, message: string, evidence: EvidenceItem[], fix: string[]): void => {
    out.push({
      code,
      role: 'observation',
      severity: 'info',
      subject: `${vm.host.name}:${vm.bridge.name}:${vm.port.name}`,
      message,
      evidence,
      fix,
    });
  };
  if (vm.named)
    note(
      'vm-port-named',
      `${vm.host.name}:${vm.port.name} is taken as the VM port because you named it (--vm ${shellWord(named ?? '')}); by itself it is not recognised as one (${vm.named})`,
      [],
      [],
    );
  if (vm.macFrom)
    note(
      'vm-mac-from-flow',
      `${vm.port.name} has no attached-mac in the case; its MAC ${vm.mac} is taken from the one flow that lets it send (${vm.macFrom.rule})`,
      [evid(vm.macFrom.rule, vm.macFrom)],
      [
        `ovs-vsctl --columns=name,external_ids list Interface ${shellWord(vm.port.name)}   # on ${vm.host.name}: attached-mac`,
      ],
    );
  // Hybrid plugging (the iptables firewall driver): VM tap → qbr Linux bridge → qvb/qvo veth.
  const n = hybridNames(vm.port.name);
  if (n)
    note(
      'vm-port-hybrid',
      `${vm.port.name} is a hybrid plug: the VM's ${n.tap} sits on the Linux bridge ${n.qbr}, joined to OVS by the veth ${n.qvb}/${vm.port.name}, where the iptables firewall filters; the traces start and end at ${vm.port.name}, and what ${n.qbr} and iptables do to DHCP is judged from ${vm.host.name}'s iptables-save (hybrid-firewall), ${n.qbr}'s own forwarding is not modelled`,
      [],
      [
        `ip -d link show master ${shellWord(n.qbr)}; iptables-save -t filter   # on ${vm.host.name}: the bridge's ports, and chain ${n.ingress}, which must RETURN udp from the DHCP server (sport 67, dport 68)`,
      ],
    );
  return out;
}

/** The VM's interface OVS could not open for want of a device (its error says so, or ofport -1). */
function deviceMissing(vm: VmPort): Finding | undefined {
  const i = vm.port.interfaces.find(
    (x) => (x.error && /No such device/.test(x.error.text)) || (x.ofport.known && x.ofport.value === -1),
  );
  if (!i) return undefined;
  const ids = i.externalIds.known ? i.externalIds.value : {};
  const ifaceId = ids['iface-id'];
  const on = `on ${vm.host.name}`;
  return {
    code: 'vm-device-missing',
    severity: 'error',
    subject: `${vm.host.name}:${vm.bridge.name}:${vm.port.name}`,
    message: `${vm.port.name} has no device on ${vm.host.name}: OVS holds the port but could not open it (${i.error ? i.error.text : 'ofport -1'}), so no frame of the VM enters OVS there`,
    rootCause:
      'the instance is not running on this host (stopped, deleted or moved: the port is stale), or Nova/libvirt did not create its tap',
    evidence: [openFailure(i)],
    fix: [
      `virsh list --all   # ${on}: is the instance running here (libvirt creates its tap)?`,
      ...(ifaceId
        ? [
            `openstack port show -c device_id -c binding_host_id -c status ${operands(ifaceId)}   # the instance and host Neutron binds the port to`,
          ]
        : []),
      `ovs-vsctl --columns=name,error,ofport list Interface ${shellWord(i.name)}   # ${on}: still missing?`,
    ],
  };
}

/**
 * vm: the VM asked about (--vm); each: it is one of --all-vms's, asked about in turn rather than
 * named (a stale port of a gone VM is then said, not a cause); mac: --mac.
 */
export function diagnose(s: Snapshot, opts: { vm?: string; mac?: string; each?: boolean } = {}): Diagnosis {
  // Hosts the case shows are OVN's are not ML2/OVS: not traced, no verdict on them (ovn.ts).
  const scope = ovnScope(s, opts.vm, opts.mac);
  return scope ? withOvn(s, scope, opts) : diagnoseMl2(s, opts);
}

/**
 * A case with OVN hosts: the rest diagnosed as ML2/OVS (when a VM of the case is there, or no VM
 * is anywhere), each OVN host said (ovn-not-modelled). No verdict rests on an OVN host: healthy only
 * when no VM of the case is on one; the ML2/OVS DHCP agent's gap is not asked without an ML2/OVS
 * VM (an OVN VM has no DHCP agent).
 */
function withOvn(
  s: Snapshot,
  scope: OvnScope,
  opts: { vm?: string; mac?: string; each?: boolean },
): Diagnosis {
  // A --vm no port answers to: bad input, unless OVS was not answering on an ML2/OVS host (as below).
  const down = ovsNotAnswering(scope.modelled).length > 0;
  if (
    opts.vm !== undefined &&
    scope.vms.length === 0 &&
    scope.ml2Vms.length === 0 &&
    !down &&
    unplacedNamed(s, opts.vm).length === 0
  )
    throw unknownVm(s, opts.vm);
  const ovn = ovnFindings(scope);
  // A port on OVN taken as the VM's only because --vm names it: said as for an ML2/OVS host.
  const named = scope.vms.flatMap((v) => vmNotes(v, opts.vm).filter((f) => f.code === 'vm-port-named'));
  const notTraced = scope.vms.map((v) => ({
    vm: `${v.host.name}:${v.port.name}`,
    discover: {
      verdict: `${NOT_TRACED}: ${v.host.name} ${chassisByNames(v.host) ? 'looks like OVN by its port names' : 'is OVN'} (not modelled)`,
      reached: [],
    },
  }));
  const runMl2 =
    scope.modelled.hosts.length > 0 &&
    (scope.ml2Vms.length > 0 || (scope.vms.length === 0 && (opts.vm === undefined || down)));
  if (!runMl2) {
    const findings = [...ovn, ...named, ...inputNotes(s)];
    const captures = captureReads(s, undefined, findings);
    return {
      case: s.source,
      verdict: 'undecided',
      headline: ovnHeadline(scope),
      findings,
      paths: notTraced,
      collectNext: [...new Set(ovn.filter((f) => f.role === 'gap').flatMap((f) => f.fix))],
      ...(captures.length ? { captures } : {}),
    };
  }
  const d = diagnoseMl2(scope.modelled, scope.ml2Vms.length > 0 || down ? opts : {});
  const rank = { cause: 0, consequence: 1, observation: 2, gap: 3 } as const;
  const findings = d.findings.filter(
    (f) =>
      scope.ml2Vms.length > 0 ||
      (f.code !== 'dhcp-server-not-in-case' && f.code !== 'dhcp-server-not-traced'),
  );
  // Before the reader's notes and the other gaps of its rank: what the case is comes first.
  const at = findings.findIndex((f) => rank[f.role ?? 'observation'] >= rank[ovn[0]!.role!]);
  findings.splice(at < 0 ? findings.length : at, 0, ...ovn, ...named);
  // The dropped gap's commands are no longer asked for; the OVN hosts' are.
  const gone = new Set(d.findings.filter((f) => !findings.includes(f)).flatMap((f) => f.fix));
  const kept = d.collectNext.filter((x) => !gone.has(x) || findings.some((f) => f.fix.includes(x)));
  const collectNext = [...new Set([...kept, ...ovn.filter((f) => f.role === 'gap').flatMap((f) => f.fix)])];
  const verdict = d.verdict === 'healthy' && scope.vms.length > 0 ? 'undecided' : d.verdict;
  const also = ovnAlso(scope, ovn);
  // The captures of the OVN hosts too (read, not placed: those hosts are not traced).
  const ml2Hosts = new Set(scope.modelled.hosts.map((h) => h.name));
  const captures = [
    ...(d.captures ?? []),
    ...captureReads({ ...s, hosts: s.hosts.filter((h) => !ml2Hosts.has(h.name)) }, undefined, findings),
  ];
  return {
    ...d,
    ...(captures.length ? { captures } : {}),
    case: s.source,
    verdict,
    headline: `${d.headline}${verdict === d.verdict ? also : also.replace(/^; /, '; but ')}`,
    findings,
    paths: [...d.paths, ...notTraced],
    collectNext,
  };
}

function diagnoseMl2(s: Snapshot, opts: { vm?: string; mac?: string; each?: boolean }): Diagnosis {
  const ctx = buildContext(s, opts.vm, opts.mac);
  const d = decideMl2(s, opts, ctx);
  // Every capture read is said, whatever it shows and whether or not a finding cites it.
  const captures = captureReads(s, ctx, d.findings);
  return captures.length ? { ...d, captures } : d;
}

function decideMl2(
  s: Snapshot,
  opts: { vm?: string; mac?: string; each?: boolean },
  ctx: ReturnType<typeof buildContext>,
): Diagnosis {
  // A --vm that names no port of the case is bad input, with the names it could have meant; unless
  // OVS was not answering on a host when the case was collected: the port may be one of its, and
  // the case cannot decide (undecided, saying so), which is no fault of the input.
  // A port an excerpt shows without its bridge is a port of the case all the same: said, undecided.
  const unplaced = ctx.vms.length === 0 && opts.vm !== undefined ? unplacedNamed(s, opts.vm) : [];
  if (
    opts.vm !== undefined &&
    ctx.vms.length === 0 &&
    ovsNotAnswering(s).length === 0 &&
    unplaced.length === 0
  )
    throw unknownVm(s, opts.vm);
  ctx.asked = opts.vm === undefined ? undefined : opts.each ? 'each' : 'named';
  // A port at 4095 whose device is gone (dead-vlan.ts): what a deleted VM left behind. Not named,
  // it is no VM port of the case (without --vm it is left out of the VMs), said for what it is,
  // and decides nothing; named with --vm, it is the VM asked about (dead-vlan says its fault).
  const stale: Finding[] = [];
  if (ctx.asked !== 'named') {
    const gone = new Set<VmPort>();
    for (const vm of ctx.vms) {
      const proof = deadTagged(vm) ? staleProof(vm) : undefined;
      if (!proof) continue;
      gone.add(vm);
      stale.push(staleFinding(vm, proof));
    }
    if (ctx.asked === undefined && gone.size) ctx.vms = ctx.vms.filter((v) => !gone.has(v));
  }
  const findings: Finding[] = unplaced.map((u) => unplacedPortGap(u.host, u.port));
  for (const vm of ctx.vms) findings.push(...vmNotes(vm, opts.vm));
  for (const c of CHECKS) for (const f of c.run(ctx)) findings.push(f);
  // What else is said of a stale port (its open error, its hybrid plug and firewall chains) is
  // said by its stale-port finding, or is no VM's concern.
  const staleOf = new Set(stale.map((f) => f.subject));
  const aboutStale = new Set<FindingCode>(['interface-error', 'vm-port-hybrid', 'hybrid-firewall-unknown']);
  for (let i = findings.length - 1; i >= 0; i--)
    if (aboutStale.has(findings[i]!.code) && staleOf.has(findings[i]!.subject)) findings.splice(i, 1);
  findings.push(...stale);
  if (ctx.vms.length === 0 && unplaced.length === 0) {
    // What the case does know: the DHCP server's ports, the VM's MAC from its client's output.
    const known = noVmDetail(s);
    findings.push({
      code: 'no-vm-port',
      role: 'gap',
      severity: 'warning',
      subject: 'VM',
      message: `no port of the case is proven a VM port (Neutron's external_ids iface-id/attached-mac, or a guest vif)${known.text}${knownPorts(s)}`,
      evidence: [],
      fix: [
        ...known.fix,
        'ovs-vsctl list interface   # on the compute node: shows attached-mac and iface-id of each VM port',
      ],
    });
  }
  // The VM you named has no device on its host: OVS holds its port but could not open it, so no
  // frame of the VM enters OVS there, whatever the flows would do with one. (Not for every VM of
  // the case: a stale port of a deleted VM is common and harms no other. --all-vms asks of each VM
  // port in turn without your naming it: there it is said, and decides nothing, as without --vm.)
  if (opts.vm !== undefined)
    for (const vm of ctx.vms) {
      const f = deviceMissing(vm);
      if (f && !opts.each) findings.unshift(f);
      else if (f && !staleOf.has(f.subject)) {
        const { rootCause: _, ...seen } = f;
        findings.push({
          ...seen,
          role: 'observation',
          severity: 'warning',
          message: `${f.message}: most likely a stale port of a VM no longer running here, which decides nothing (name it with --vm to ask about it)`,
        });
      }
    }
  // A DISCOVER proven to die for a reason no check names is still a fault: say where.
  for (const vm of ctx.vms) {
    const t = ctx.discover.get(vm);
    if (
      !t ||
      !provenDropped(ctx.world, t) ||
      findings.some((f) => f.severity === 'error' && f.evidence.length)
    )
      continue;
    // A drop the checks leave open for want of the VM's network (at a server that may be another
    // network's), or every server of the case on another network: not a fault the case shows.
    const subject = `${vm.host.name}:${vm.port.name}`;
    if (findings.some((f) => f.code === 'tunnel-key-network-unknown' && f.subject === subject)) continue;
    const elsewhere = serverElsewhere(ctx, vm);
    if (elsewhere) {
      findings.push(elsewhere);
      continue;
    }
    findings.push({
      code: 'discover-dropped',
      role: 'cause',
      severity: 'error',
      subject: `${vm.host.name}:${vm.port.name}`,
      message: `the DISCOVER from ${vm.port.name} does not reach a DHCP server: ${t.drop ? `it dies on ${t.drop.host} ${t.drop.bridge}${t.drop.table !== null ? ` table ${t.drop.table}` : ''}${t.drop.flow ? ` at \`${t.drop.flow}\`${t.drop.n_packets !== undefined ? ` (n_packets=${t.drop.n_packets})` : ''}` : `: ${t.drop.reason.text}`}` : 'no branch reaches one'}`,
      evidence: t.drop
        ? t.drop.entry || t.drop.reason.code !== 'table-miss'
          ? [
              {
                text: t.drop.flow ?? t.drop.reason.text,
                ...(t.drop.entry ? { file: t.drop.entry.from.file, line: t.drop.entry.from.line } : {}),
              },
            ]
          : missEvidence(ctx, t.drop)
        : [],
      fix: [
        `${vifpathLine('trace', [s.source], ['--from', `${vm.host.name}:${vm.port.name}`, '--packet', 'dhcp-discover'])}   # the full path`,
      ],
    });
  }
  // An action the trace does not follow past, on a path it leaves open: what is unknown, and where.
  findings.push(...notFollowedFindings(ctx));
  // What the readers said of the input: a cut dump, another tool's error text, a file not read.
  // Never a fault by itself; the traces that depend on a cut dump are already unproven.
  findings.push(...inputNotes(s));
  // A capture at a VM's port against the flows: a drop it contradicts is no proven fault (undecided),
  // one it supports gets it as evidence.
  weighCaptures(ctx, findings);
  // A finding without evidence is never an error.
  for (const f of findings) {
    if (f.severity === 'error' && f.evidence.length === 0) {
      f.severity = 'warning';
      f.role = 'observation';
    }
    f.role ??= f.severity === 'error' ? 'cause' : 'observation';
  }
  // Proven causes first, then consequences, observations, gaps; within a role, the check order.
  const rank = { cause: 0, consequence: 1, observation: 2, gap: 3 } as const;
  const sev = { error: 0, warning: 1, info: 2 } as const;
  findings.sort((a, b) => rank[a.role!] - rank[b.role!] || sev[a.severity] - sev[b.severity]);

  // Where a path would cross between hosts the case does not join (no wire, no tunnel), it is
  // not traced, and what to write in links.txt is asked for.
  const unjoined: Unjoined = new Map();
  const paths: PathSummary[] = ctx.vms.map((vm) => {
    const d = ctx.discover.get(vm);
    const o = ctx.offer.get(vm);
    const srv = ctx.offerServer?.get(vm) ?? ctx.servers[0];
    const name = `${vm.host.name}:${vm.port.name}`;
    return {
      vm: name,
      discover: d
        ? pathOf(ctx, d, vm.host.name, srv?.host.name, unjoined, `the DISCOVER from ${name}`)
        : { verdict: NOT_TRACED, reached: [] },
      ...(o
        ? { offer: pathOf(ctx, o, srv?.host.name, vm.host.name, unjoined, `the OFFER back to ${name}`) }
        : {}),
    };
  });
  // The candidate ends of a wire asked for in links.txt: not asked again as 'what is behind' them.
  const wireEnds = new Set<string>();
  for (const w of unjoined.values()) {
    const f = noWire(ctx, w);
    findings.push(f);
    if (f.code === 'wire-unknown')
      for (const e of [...openEnds(ctx, w.a), ...openEnds(ctx, w.b)])
        wireEnds.add(`${e.host}\u0000${e.name}`);
  }
  const causes = findings.filter((f) => f.severity === 'error');
  const contradicted = findings.some((f) => f.code === 'contradicted');
  const leaning = riskyAssumptions(ctx);
  const flowsCarry =
    ctx.vms.length > 0 &&
    ctx.vms.every((vm) => reachedServer(ctx, vm) && provenDelivered(ctx.world, ctx.offer.get(vm)));
  // An OFFER the flows output to the VM only tagged is not back (offer-path.ts: a cause when the
  // case's facts make it tagged, else the port's tag is what is left to collect).
  const taggedBack = findings.find((f) => f.code === 'offer-tagged-unknown');
  const provenPaths = flowsCarry && !taggedBack;
  if (causes.length) {
    const f = causes[0]!;
    const collectNext = whatToCollect(ctx, findings, false);
    return {
      case: s.source,
      verdict: 'problem',
      headline: `${f.message}${f.rootCause ? `; ${f.confirm ? 'probable root cause: ' : ''}${f.rootCause}` : ''}`,
      findings,
      paths,
      collectNext,
    };
  }
  // A firewall on a tunnel the paths cross that may drop them: the paths are not proven end to end.
  const firewall = findings.find((f) => f.code === 'tunnel-underlay-unknown');
  // A hybrid plug: qbr and the iptables firewall, which the model does not follow, stand between
  // the OFFER at qvo and the VM (a server's DHCPACK does not show the VM got it: a rebooting client
  // asks without an OFFER, and an old exchange says nothing of today's).
  // Unless iptables-save proves both directions pass (hybrid-firewall-pass for that port), or the
  // host's bridges hand no frame to iptables (hybrid-firewall-bypassed: the sysctl 0, or
  // br_netfilter not loaded; the chains decide nothing).
  const hybrid = findings.find(
    (f) =>
      f.code === 'vm-port-hybrid' &&
      !findings.some(
        (g) =>
          (g.code === 'hybrid-firewall-pass' || g.code === 'hybrid-firewall-bypassed') &&
          g.subject === f.subject,
      ),
  );
  const hybridGap =
    hybrid && findings.find((g) => g.role === 'gap' && g.subject === hybrid.subject && g.fix.length);
  // The flows prove the path, not the server: whether dnsmasq answers at the server each VM's
  // exchange is proven with must be in the case too (server-at-work.ts), or the verdict waits.
  const served = provenPaths
    ? ctx.vms.flatMap((vm) => (ctx.offerServer?.get(vm) ? [{ vm, srv: ctx.offerServer.get(vm)! }] : []))
    : [];
  const idle = provenPaths ? serverUnproven(ctx, served) : undefined;
  if (idle) findings.push(idle.finding);
  findings.push(...serverShownByClient(ctx, served));
  // dnsmasq refused a MAC the case ties to no VM port while a VM's MAC is not in the case: that
  // VM may be the one refused, so the paths do not make it healthy (contradiction.ts).
  const refusedUntied = findings.find((f) => f.code === 'dnsmasq-refused-untied' && f.severity === 'warning');
  if (provenPaths && !contradicted && leaning.length === 0 && !firewall && !hybrid) {
    // The servers the DISCOVERs were proven to reach, not every server of the case.
    const reached = ctx.servers.filter((x) =>
      [...ctx.discover.values()].some((t) =>
        provenReaches(ctx.world, t, { host: x.host.name, name: x.device.name }),
      ),
    );
    // Several servers (dhcp_agents_per_network > 1 share the namespace's name): each with its host.
    const proven = `the DHCP DISCOVER from ${ctx.vms.map((v) => v.port.name).join(', ')} reaches ${reached.map((x) => `${x.ns.name} ${x.device.name}${reached.length > 1 ? ` on ${x.host.name}` : ''}`).join(', ')} and the OFFER comes back`;
    if (refusedUntied)
      return {
        case: s.source,
        verdict: 'undecided',
        headline: `the path delivers (${proven}), but ${refusalText(refusedUntied)}`,
        findings,
        paths,
        collectNext: whatToCollect(ctx, findings, true, wireEnds),
      };
    if (!idle)
      return {
        case: s.source,
        verdict: 'healthy',
        headline: proven,
        findings,
        paths,
        collectNext: whatToCollect(ctx, findings, false),
      };
    return {
      case: s.source,
      verdict: 'undecided',
      headline: `the path delivers (${proven}); whether dnsmasq answers is not in the case: collect \`${listenerCommand(idle.first)}\` on ${idle.first.host.name}`,
      findings,
      paths,
      collectNext: whatToCollect(ctx, findings, true, wireEnds),
    };
  }
  for (const a of leaning)
    findings.push({
      code: 'assumed-neutron-bridge',
      role: 'gap',
      severity: 'warning',
      subject: a.subject,
      message: `the paths rest on what the case does not prove: ${a.text}`,
      evidence: [],
      fix: a.remedy ? [a.remedy] : [],
    });
  const collectNext = whatToCollect(ctx, findings, true, wireEnds);
  // No VM port, and dnsmasq refused a MAC: whether it is the VM's (its port, the hosts file) first.
  const refusedAsk =
    ctx.vms.length === 0 ? findings.find((f) => f.code === 'dnsmasq-refused-untied')?.fix : undefined;
  // A capture and the flow dump that disagree: both again, together, first.
  const againAsk = findings.find((f) => f.code === 'drop-contradicted')?.fix;
  if (againAsk) collectNext.sort((a, b) => Number(!againAsk.includes(a)) - Number(!againAsk.includes(b)));
  else if (refusedAsk)
    collectNext.sort((a, b) => Number(!refusedAsk.includes(a)) - Number(!refusedAsk.includes(b)));
  // No VM port, and the server answered a MAC: the VM's side (its port, its client) is asked first.
  else if (ctx.vms.length === 0 && findings.some((f) => f.code === 'dnsmasq-answered')) {
    const vmSide = findings.find((f) => f.code === 'no-vm-port')?.fix ?? [];
    collectNext.sort((a, b) => Number(!vmSide.includes(a)) - Number(!vmSide.includes(b)));
  }
  return {
    case: s.source,
    verdict: 'undecided',
    headline:
      taggedBack && flowsCarry && !contradicted && leaning.length === 0
        ? `the flows carry the DHCP traffic, but ${taggedBack.message}: collect \`${taggedBack.fix[0]!.replace(/ {3}#.*$/, '')}\` on ${taggedBack.subject.split(':')[0]}`
        : firewall && provenPaths && !contradicted && leaning.length === 0
          ? `the flows deliver the DHCP traffic, but ${firewall.message}; collect \`${firewall.fix[0]}\``
          : hybrid && provenPaths && !contradicted && leaning.length === 0
            ? `the flows deliver the DHCP traffic to ${hybrid.subject.split(':').pop()} and back, but ${hybridGap ? hybridGap.message : hybrid.message}; ${hybridGap ? 'collect' : 'check'} \`${(hybridGap ?? hybrid).fix[0]}\``
            : undecidedHeadline(ctx, paths, contradicted, leaning.length > 0, findings),
    findings,
    paths,
    collectNext,
  };
}

/** A dnsmasq-refused-untied finding in a headline: the refused line, what it means, what ties it. */
function refusalText(f: Finding): string {
  const e = f.evidence.findLast((x) => x.text.startsWith('DHCPDISCOVER')) ?? f.evidence[0]!;
  const at = e.file ? `, ${e.file}:${e.line}` : '';
  const mac = /\b((?:[0-9a-f]{2}:){5}[0-9a-f]{2})\b/.exec(e.text)?.[1];
  const means = /no address/.test(e.text)
    ? "that MAC is not in its network's hosts file"
    : 'dnsmasq ignores that MAC';
  return `dnsmasq on ${f.subject.split(':')[0]} refused a DISCOVER (\`${e.text}\`${at}: ${means}) and nothing in the case ties ${mac ?? 'that client'} to a VM: collect \`${f.fix[0]!.replace(/ {3}#.*$/, '')}\` (is it the VM's port?), the network's hosts file and the VM's port (see the findings)`;
}

const MAX_INPUT_NOTES = 12;

function inputNotes(s: Snapshot): Finding[] {
  const notes = s.diagnostics;
  const byFile = new Map<string, typeof notes>();
  for (const d of notes) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  const out: Finding[] = [];
  for (const [file, ds] of byFile) {
    if (out.length === MAX_INPUT_NOTES) {
      out.push({
        code: 'input-note',
        role: 'gap',
        severity: 'info',
        subject: 'input',
        message: `${byFile.size - MAX_INPUT_NOTES} more file(s) with reader notes: \`vifpath snapshot <case>\` lists them all`,
        evidence: [],
        fix: [],
      });
      break;
    }
    const d = ds[0]!;
    out.push({
      code: 'input-note',
      role: d.severity === 'ovs' ? 'observation' : 'gap',
      severity: d.severity === 'warning' || d.severity === 'corrupt' ? 'warning' : 'info',
      subject: file,
      message: `${d.message}${ds.length > 1 ? ` (and ${ds.length - 1} more note(s) in this file)` : ''}`,
      // What the line says, else what the note says (the first note's is the message): never blank.
      evidence: ds.slice(0, 3).flatMap((x, i) => {
        const text = x.text?.trim() ? x.text : i > 0 ? x.message : undefined;
        return text ? [{ text, file, ...(x.line ? { line: x.line } : {}) }] : [];
      }),
      fix: [],
    });
  }
  return out;
}

function knownPorts(s: Snapshot): string {
  const names = [
    ...s.hosts.flatMap((h) => h.bridges.flatMap((b) => b.ports.map((p) => `${h.name}:${p.name}`))),
    ...unplacedNamed(s).map((u) => `${u.host.name}:${u.port.name} (its bridge unknown)`),
  ];
  if (names.length === 0) return '';
  return `; ports in the case: ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, … (${names.length})` : ''}`;
}

/** A VM whose port has no OpenFlow port number in the case: its DISCOVER cannot be traced. */
const NOT_TRACED = 'not traced';

/**
 * The wires the case lacks between two hosts: one per pair of hosts whichever way the paths
 * needing it go (a DISCOVER a→b and its OFFER b→a ask for the same wire), keyed by the pair in
 * order; `a` is the host the first path needing it leaves.
 */
interface MissingWire {
  a: string;
  b: string;
  /** The paths that would cross it: what each is, which way, and where it ends as the case stands. */
  paths: { what: string; from: string; to: string; reached: string[] }[];
}
type Unjoined = Map<string, MissingWire>;

/**
 * A trace's path as the doctor may state it: 'dropped' or 'delivered' only when proven
 * (proof.ts), else 'incomplete'; an incomplete path from host `from` to host `to` that nothing in
 * the case joins is 'not traced' (the pair is added to `unjoined`, with `what` the path is).
 */
function pathOf(
  ctx: ReturnType<typeof buildContext>,
  t: TraceResult,
  from: string | undefined,
  to: string | undefined,
  unjoined: Unjoined,
  what: string,
): PathSummary['discover'] {
  const u = whyUnproven(ctx.world, t);
  const verdict = u === undefined ? t.verdict : 'incomplete';
  // Where it dies; else where the branch toward the target ends; and, not proven, what that rests on.
  const drop = t.drop
    ? { drop: dropWhere(ctx, t.drop, verdict === 'dropped') }
    : t.stop
      ? { stop: `${t.stop.host} ${t.stop.bridge} (entered by ${t.stop.inPort}): ${t.stop.why}` }
      : {};
  const reached = t.reached.map(endpointText);
  if (verdict === 'incomplete' && from && to && from !== to && !joined(ctx, t, from, to)) {
    const key = [from, to].sort().join('\u0000');
    const w = unjoined.get(key) ?? { a: from, b: to, paths: [] };
    unjoined.set(key, w);
    w.paths.push({ what, from, to, reached });
    // A host with tunnels to addresses no host owns, the other's tunnel end not in the case: no wire is missing.
    const end = unknownTunnelEnd(ctx, from, to);
    return {
      verdict: `${NOT_TRACED}: ${end ? tunnelEndText(end) : `no wire ${from}→${to} (links.txt)`}`,
      reached,
      ...drop,
    };
  }
  const why = verdict === 'incomplete' ? (t.undecided[0]?.text ?? u?.text) : undefined;
  const rests = why !== undefined ? { undecided: why } : {};
  const tagged = verdict === 'delivered' ? taggedArrivals(ctx.snapshot, t) : [];
  return {
    verdict,
    reached,
    ...drop,
    ...rests,
    ...(tagged.length ? { tagged: tagged.map((a) => taggedText(a)).join('; ') } : {}),
  };
}

/**
 * `host bridge: flow` (or why it dies there), as far as the case shows it: below a bridge whose
 * flow dump is not whole, a miss is no proof the table is empty, and any drop may be outranked.
 * A path not proven dropped (`proven` false) ends there as the case stands, and is not said to be
 * dropped: 'the actions output nothing' (to the ports the case shows), not '… the packet is dropped'.
 */
function dropWhere(
  ctx: ReturnType<typeof buildContext>,
  d: NonNullable<TraceResult['drop']>,
  proven: boolean,
): string {
  const where = `${d.host} ${d.bridge}`;
  const u = d.uncertain;
  const cut =
    u?.code === 'dump-incomplete' ? ctx.world.bridges.find((b) => b.incomplete === u.text) : undefined;
  if (u?.code === 'agent-default-missing' && d.reason.code === 'table-miss')
    return `${where}: no flow of table ${d.table ?? 0} in the dump matches, but the dump lacks the catch-all the agent installs there`;
  if (!cut)
    return `${where}: ${d.flow ?? (proven ? d.reason.text : d.reason.text.replace(/: the packet is dropped$/, ''))}`;
  const same = cut.host === d.host && cut.name === d.bridge;
  if (same && !d.flow && d.reason.code === 'table-miss')
    return `${where}: no flow of table ${d.table ?? 0} in the dump matches, but the dump is incomplete: flows may be missing`;
  return `${where}: ${d.flow ?? d.reason.text} (the flow dump of ${cut.host}:${cut.name} is incomplete: flows may be missing)`;
}

/** Does the case join hosts a and b: a wire path (links.txt, inferred XenServer wires), or a tunnel the trace took? */
function joined(ctx: ReturnType<typeof buildContext>, t: TraceResult, a: string, b: string): boolean {
  if (nodesOf(t.tree, 'tunnel').some((n) => n.to?.host === b || n.from.host === b)) return true;
  if (nodesOf(t.tree, 'wire').some((n) => n.to.host === b || n.from.host === b)) return true;
  const seen = new Set([a]);
  const todo = [a];
  while (todo.length) {
    const h = todo.pop()!;
    for (const l of ctx.snapshot.links) {
      const far = l.a.host === h ? l.b.host : l.b.host === h ? l.a.host : undefined;
      if (far === undefined || seen.has(far)) continue;
      if (far === b) return true;
      seen.add(far);
      todo.push(far);
    }
  }
  // A tunnel port of one host toward an address the other owns.
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const owned = new Set([...ctx.world.owners].filter(([, o]) => o.host === y).map(([ip]) => ip));
    if (
      ctx.world.bridges.some(
        (rb) =>
          rb.host === x &&
          [...rb.ports.values()].some((p) => p.tunnel?.remoteIp && owned.has(p.tunnel.remoteIp)),
      )
    )
      return true;
  }
  return false;
}

/** Ports of a host that lead out with nothing in the case behind them: a missing wire's candidate ends. */
function openEnds(
  ctx: ReturnType<typeof buildContext>,
  host: string,
): { host: string; name: string; bridge: string; from?: { file: string; line: number } }[] {
  const h = ctx.snapshot.hosts.find((x) => x.name === host);
  if (!h) return [];
  const wired = new Set(
    ctx.snapshot.links
      .flatMap((l) => [l.a, l.b])
      .filter((e) => e.host === host)
      .map((e) => e.iface),
  );
  return h.bridges.flatMap((br) =>
    br.ports
      .filter((p) => {
        const i = p.interfaces[0];
        const type = i?.type.known ? i.type.value : undefined;
        return (
          !wired.has(p.name) &&
          portRole(ctx.snapshot, h, br, p).role === 'uplink' &&
          !(type && ['vxlan', 'gre', 'geneve', 'stt'].includes(type))
        );
      })
      .map((p) => ({ host, name: p.name, bridge: br.name, ...(p.from[0] ? { from: p.from[0] } : {}) })),
  );
}

/**
 * The gap: the wire between two hosts is not in the case; what to write in links.txt. Asked once
 * per pair of hosts, with every path that needs it (the DISCOVER one way, the OFFER back the other)
 * and the candidate ends on both hosts as evidence.
 */
function noWire(ctx: ReturnType<typeof buildContext>, w: MissingWire): Finding {
  const { a, b } = w;
  const end = unknownTunnelEnd(ctx, a, b);
  if (end)
    return tunnelEndGap(
      end,
      w.paths.map((p) => evid(`${p.what} is not traced from ${p.from} to ${p.to}`)),
    );
  const endsOf = [...openEnds(ctx, a), ...openEnds(ctx, b)];
  const cands = endsOf.map((x) => `${x.host}:${x.name}`);
  const xen = ctx.snapshot.hosts.some((h) =>
    h.bridges.some((br) => br.ports.some((p) => xenVifDomid(p.name) !== undefined)),
  );
  const both = w.paths.some((p) => p.from === b);
  return {
    code: 'wire-unknown',
    role: 'gap',
    severity: 'warning',
    subject: both ? `${a}↔${b}` : `${a}→${b}`,
    message: `the path from ${a} to ${b}${both ? ' and back' : ''} is not traced: the case has no wire (or tunnel) joining them${cands.length ? `; ports with nothing known behind them: ${cands.join(', ')}` : ''}`,
    evidence: [
      ...w.paths.map((p) =>
        evid(
          `${p.what} is not traced from ${p.from} to ${p.to}${p.reached.length ? `; as the case stands it ends at ${p.reached.slice(0, 3).join('; ')}${p.reached.length > 3 ? `; … (${p.reached.length})` : ''}` : ''}`,
        ),
      ),
      ...endsOf.map((x) => evid(`${x.host}:${x.name} on ${x.bridge}: nothing in the case behind it`, x.from)),
    ],
    fix: [
      `links.txt: add the line \`${a}:<iface> ${b}:<iface>\`   # the wire between ${a} and ${b} (or give it with --links FILE)`,
      ...(xen
        ? [
            "# XenServer: Dom0's vif<domid>.<n> is the DomU's eth<n>; in the DomU, `xenstore-read domid` gives its domid (or save it as the DomU's xenstore-read_domid file)",
          ]
        : []),
    ],
  };
}

/** A port's "tag unknown" assumptions folded with the others of its host and reason (tagFolds). */
interface TagFold {
  text: string;
  remedy: string;
}

/**
 * The traces' per-port "tag unknown" assumptions (dataplane world.ts: one per port, its remedy
 * `ovs-vsctl list port NAME`), folded where two or more ports of one host lack their tag for the
 * same reason: one assumption naming them, one command for every port's tag. Keyed by the
 * per-port remedy, as the trace gives it (a name on two hosts: both hosts' folds).
 */
function tagFolds(ctx: ReturnType<typeof buildContext>): Map<string, TagFold[]> {
  const remedies = new Set<string>();
  for (const t of [...ctx.discover.values(), ...ctx.offer.values()])
    for (const a of t.assumptions) if (a.code === 'port-vlan-unknown' && a.remedy) remedies.add(a.remedy);
  const groups = new Map<string, { host: string; why: string; ports: { name: string; remedy: string }[] }>();
  for (const h of ctx.snapshot.hosts)
    for (const b of h.bridges)
      for (const p of b.ports) {
        if (p.tag.known) continue;
        const remedy = `ovs-vsctl list port ${shellWord(p.name)}`;
        if (!remedies.has(remedy)) continue;
        const key = `${h.name}\0${p.tag.why}`;
        const g = groups.get(key) ?? { host: h.name, why: p.tag.why, ports: [] };
        g.ports.push({ name: p.name, remedy });
        groups.set(key, g);
      }
  const out = new Map<string, TagFold[]>();
  for (const g of groups.values()) {
    if (g.ports.length < 2) continue;
    const fold: TagFold = {
      text: `ports ${g.ports.map((x) => x.name).join(', ')} of ${g.host}: tag unknown (for each: ${g.why}); treated as ports without tag (trunk of every VLAN)`,
      remedy: `ovs-vsctl list port   # on ${g.host}: every port's tag (${g.ports.length} unknown in the case)`,
    };
    for (const x of g.ports) out.set(x.remedy, [...(out.get(x.remedy) ?? []), fold]);
  }
  return out;
}

/** Assumptions the traces made about bridges the agent programs: a verdict may not rest on them. */
function riskyAssumptions(
  ctx: ReturnType<typeof buildContext>,
): { subject: string; text: string; remedy?: string }[] {
  const out = new Map<string, { subject: string; text: string; remedy?: string }>();
  const folds = tagFolds(ctx);
  const add = (subject: string, text: string, remedy?: string): void => {
    if (!out.has(text)) out.set(text, { subject, text, ...(remedy ? { remedy } : {}) });
  };
  for (const t of [...ctx.discover.values(), ...ctx.offer.values()]) {
    // A bridge without a flow dump that the agent programs: its flows are not NORMAL.
    for (const n of nodesOf(t.tree, 'table')) {
      if (!n.assumedNormal) continue;
      const h = ctx.snapshot.hosts.find((x) => x.name === n.host);
      const b = h?.bridges.find((x) => x.name === n.bridge);
      const role = h && b ? bridgeRole(h, b) : undefined;
      const remote = h && b ? remoteController(h, b) : undefined;
      if (role && role.role !== 'unknown')
        add(
          `${n.host}:${n.bridge}`,
          role.role === 'external'
            ? `${n.host}:${n.bridge} has no flow dump, and an external OpenFlow controller programs it (${role.why}; Neutron's OVS agent would be the local 127.0.0.1:6633 or none): its flows decide everything, and NORMAL, which was assumed, is not Neutron's default there`
            : remote
              ? `${n.host}:${n.bridge} has no flow dump, and its controller is remote (Controller "${remote}"): Neutron's agent on another host (as XenServer's compute VM programs Dom0's bridges) or an SDN controller (OpenDaylight and the like), which the case does not say: NORMAL was assumed`
              : `${n.host}:${n.bridge} has no flow dump, and the agent programs it (${role.role} bridge: ${role.why}): NORMAL was assumed`,
          `${dumpFlowsCommand(h, n.bridge)}   # on ${n.host}`,
        );
    }
    for (const a of t.assumptions)
      if (
        a.code === 'bridge-inferred' ||
        a.code === 'ambiguous-flows' ||
        a.code === 'conntrack' ||
        a.code === 'learn' ||
        a.code === 'port-vlan-unknown' ||
        a.code === 'vlan-mode-unknown'
      ) {
        // Several ports of a host without their tag for one reason: one assumption for them.
        const folded = a.code === 'port-vlan-unknown' && a.remedy ? folds.get(a.remedy) : undefined;
        if (folded) for (const x of folded) add('trace', x.text, x.remedy);
        else add('trace', a.text, a.remedy);
      }
  }
  return [...out.values()];
}

/** Host gaps first (they name host and command); when undecided, also where the paths leave the case. */
/** Flows of the table cited for a miss: enough to check it against the dump, not a copy of it. */
const MISS_FLOWS = 6;

/**
 * What a table miss rests on: the dump it is read from and the flows that table holds there (none
 * match the packet), each by file and line; an empty table by its dump file and number. Nothing
 * when the case holds no dump of that bridge (then it is no evidence, and no error).
 */
function missEvidence(
  ctx: ReturnType<typeof buildContext>,
  d: NonNullable<TraceResult['drop']>,
): EvidenceItem[] {
  const rb = ctx.world.bridges.find((b) => b.host === d.host && b.name === d.bridge);
  const flows = rb?.bridge?.flows.known ? rb.bridge.flows.value : undefined;
  if (!flows || d.table === null) return [];
  const file = rb?.held?.get(d.table)?.file ?? flows.file;
  const held = tableFlows(flows, d.table);
  if (held.length === 0) return [{ text: `table ${d.table} holds no flow (table miss: drop)`, file }];
  const more = held.length - MISS_FLOWS;
  return [
    {
      text: `no flow of table ${d.table} matches (table miss: drop); the table's ${held.length} flow(s) in the dump:`,
      file,
    },
    ...held.slice(0, MISS_FLOWS).map((e) => ({ text: ruleText(e), file: e.from.file, line: e.from.line })),
    ...(more > 0 ? [{ text: `… and ${more} more flow(s) of table ${d.table}`, file }] : []),
  ];
}

function whatToCollect(
  ctx: ReturnType<typeof buildContext>,
  findings: Finding[],
  deep: boolean,
  wireEnds: ReadonlySet<string> = new Set(),
): string[] {
  const out: string[] = [];
  // One command on one host is asked once, whatever each asker says it is for (the same
  // iptables-save for each hybrid VM of a host).
  // A host gap names its command as `host: what (collect \`cmd\`)`: the same ask as `cmd   # on
  // host`, which says what it decides and takes the gap's place.
  const asked = new Map<string, { at: number; gap: boolean }>();
  const add = (x: string): void => {
    if (out.includes(x)) return;
    const cmd = /^(.*?) {3}# on ([^\s:]+)/.exec(x);
    const gap = cmd ? null : /^([^\s:]+): .*\(collect `([^`]+)`\)$/.exec(x);
    const key = cmd ? `${cmd[1]}\0${cmd[2]}` : gap ? `${gap[2]}\0${gap[1]}` : undefined;
    const was = key === undefined ? undefined : asked.get(key);
    if (was?.gap && cmd) {
      out[was.at] = x;
      asked.set(key!, { at: was.at, gap: false });
    }
    if (was) return;
    if (key !== undefined) asked.set(key, { at: out.length, gap: gap !== null });
    out.push(x);
  };
  // A bridge a whole listing shows shut in on its host: what is on that host decides, first.
  for (const f of findings) if (f.code === 'no-way-off-host') for (const x of f.fix) add(x);
  // Undecided: first what would settle a path whose verdict rests on a step the case does not show.
  // Or past an action it is not followed beyond: the ofproto/trace that shows what OVS does there.
  if (deep)
    for (const [vm, t] of [...ctx.discover, ...ctx.offer]) {
      const u = whyUnproven(ctx.world, t);
      if (u) add(u.remedy);
      else for (const a of actionsNotFollowed(t, vm.mac !== undefined)) add(a.remedy);
    }
  // The OVS agent's log, where the case shows the agent has not wired a host or bound its DHCP port.
  for (const f of findings)
    if ((f.code === 'agent-bridge-missing' || f.code === 'dhcp-port-dead-vlan') && f.fix[0]) add(f.fix[0]);
  // A host whose OVS was not answering: its OVS outputs were collected and hold OVS's errors; the
  // same commands before OVS runs again would bring the same errors (ovs-not-answering says what to do).
  const ovsDown = new Set(findings.filter((f) => f.code === 'ovs-not-answering').map((f) => f.subject));
  // A bridge a whole listing shows without any port moves no frame: its flows decide nothing.
  const portless = new Set(
    ctx.snapshot.hosts.flatMap((h) =>
      wholeListing(h) ? h.bridges.filter((b) => b.ports.length === 0).map((b) => `${h.name}\0${b.name}`) : [],
    ),
  );
  for (const h of ctx.snapshot.hosts)
    for (const g of h.gaps) {
      const flowless = /^bridge (\S+): no flow dump /.exec(g);
      if (flowless && portless.has(`${h.name}\0${flowless[1]}`)) continue;
      if (!ovsDown.has(h.name) || !/`ovs-(?:vsctl|ofctl|appctl)\b/.test(g)) add(`${h.name}: ${g}`);
    }
  for (const f of findings) if (f.role === 'gap') for (const x of f.fix) add(x);
  if (!deep) return out;
  for (const t of ctx.discover.values())
    for (const e of t.reached)
      if (e.kind === 'uncollected')
        add(`${e.host}: the host behind ${e.from.host}:${e.from.port} (a sosreport, or \`vifpath collect\`)`);
      // A DHCP agent's port (an internal tap<id>): no wire leads on from it, a namespace holds it.
      else if (
        (e.kind === 'port' || e.kind === 'device') &&
        e.role === 'service' &&
        /^tap/.test(e.kind === 'port' ? e.port : e.device)
      )
        add(namespaceOfRemedy(e.host, e.kind === 'port' ? e.port : e.device));
      // Another VM's port (a flood reaches every VM of the VLAN): nothing to follow there.
      else if ((e.kind === 'port' || e.kind === 'device') && e.role === 'vm') continue;
      // A candidate end of a wire-unknown gap: its links.txt line already asks what is behind it.
      else if (
        (e.kind === 'port' || e.kind === 'device') &&
        wireEnds.has(`${e.host}\u0000${e.kind === 'port' ? e.port : e.device}`)
      )
        continue;
      else if (e.kind === 'port')
        add(
          `${e.host}: what is behind ${e.bridge} port ${e.port} (a wire in links.txt, or the host it leads to)`,
        );
      else if (e.kind === 'device')
        add(`${e.host}: what is behind device ${e.device} (a wire in links.txt, or the host it leads to)`);
  const folds = tagFolds(ctx);
  for (const t of [...ctx.discover.values(), ...ctx.offer.values()])
    for (const a of t.assumptions)
      if (a.remedy && a.code !== 'behind-port-unknown')
        for (const x of folds.get(a.remedy)?.map((f) => f.remedy) ?? [a.remedy]) add(x);
  // What an incomplete path rests on when no step, end or assumption above asks for it: no target
  // located, no way to it, no end (tree.ts judge); the other kinds' remedies are asked above.
  for (const t of [...ctx.discover.values(), ...ctx.offer.values()]) {
    const u = t.verdict === 'incomplete' ? t.undecided[0] : undefined;
    if (u?.remedy && (u.kind === 'unplaced' || u.kind === 'unjoined' || u.kind === 'no-end')) add(u.remedy);
  }
  return out;
}

/** Gaps that say a DISCOVER's drop is a fault only if a server is on the VM's network, which the case does not say. */
const OPEN_NETWORK: ReadonlySet<string> = new Set(['tunnel-key-network-unknown', 'dhcp-server-not-in-case']);

/**
 * What the headline says of traced DISCOVERs none of which is followed to an end: where each stops
 * when the first thing its verdict rests on is a flow dump the case does not hold whole (an
 * excerpt, a cut, no agent catch-all in table 0): 'is not proven past <host> <bridge> (…)'; else
 * that they are not followed to an end. Undefined when any path has a verdict of its own.
 */
function stoppedAt(ctx: ReturnType<typeof buildContext>): string | undefined {
  const where = new Map<string, string>();
  let other = false;
  for (const t of ctx.discover.values()) {
    if (t.verdict !== 'incomplete') return undefined;
    const n = t.undecided[0]?.kind === 'not-proven' ? t.undecided[0].node : undefined;
    const u = n?.kind === 'drop' ? n.uncertain : undefined;
    // 'excerpt' also marks a flood to ports an excerpt leaves out: a flow dump's only at a lookup.
    const dump =
      u &&
      (u.code === 'excerpt'
        ? n?.kind === 'drop' && (n.reason.code === 'table-miss' || n.reason.code === 'drop-flow')
        : DUMP_NOT_WHOLE.has(u.code));
    if (n?.kind !== 'drop' || !u || !dump) {
      other = true;
      continue;
    }
    const h = ctx.snapshot.hosts.find((x) => x.name === n.host);
    const why =
      u.code === 'agent-default-missing'
        ? `in table ${n.table ?? 0}, whose dump lacks the catch-all flow Neutron's agent installs there`
        : h && findExcerpt(h, 'flows', n.bridge)
          ? 'where the excerpt of its flow dump ends'
          : 'where its flow dump is cut';
    where.set(`${n.host} ${n.bridge}`, why);
  }
  if (other || where.size === 0) return 'is not followed to an end the case shows (see the paths)';
  return `is not proven past ${[...where].map(([b, why]) => `${b} (it stops ${why})`).join(', ')}`;
}

/** Uncertainties that say a flow dump of the case is not whole where the path stops. */
const DUMP_NOT_WHOLE: ReadonlySet<string> = new Set(['dump-incomplete', 'agent-default-missing']);

function undecidedHeadline(
  ctx: ReturnType<typeof buildContext>,
  paths: PathSummary[],
  contradicted: boolean,
  leaning: boolean,
  findings: readonly Finding[] = [],
): string {
  // One of --all-vms's VMs whose port is stale: that is what there is to say of it.
  const stale = ctx.asked === 'each' ? findings.find((f) => f.code === 'stale-port') : undefined;
  if (stale) return stale.message;
  // A capture at the VM's port shows its exchange answered where the flows drop it.
  const again = findings.find((f) => f.code === 'drop-contradicted');
  if (again)
    return `${again.message}: take both again, together: \`${again.fix[1]}\` and, during it, \`${again.fix[2]!.replace(/ {3}#.*$/, '')}\``;
  const unplaced = findings.find((f) => UNPLACED.has(f));
  if (ctx.vms.length === 0 && unplaced) {
    const [host, port] = [
      unplaced.subject.split(':')[0],
      unplaced.subject.slice(unplaced.subject.indexOf(':') + 1),
    ];
    const tag = UNPLACED.get(unplaced)!.tag;
    const dead = tag.known && tag.value === 4095 ? ", at VLAN 4095 (Neutron's dead VLAN)" : '';
    return `${port} is an OVS port of ${host}${dead}, but the case shows it only in an excerpt of \`ovs-vsctl show\` without its bridge, so no DHCP path from it can be traced: collect the whole \`ovs-vsctl show\` on ${host}`;
  }
  if (ctx.vms.length === 0) {
    // dnsmasq refused a MAC no VM port of the case carries: whether it is the VM's is the question.
    const refused = findings.find((f) => f.code === 'dnsmasq-refused-untied');
    if (refused) return `no VM port is proven in the case, and ${refusalText(refused)}`;
    // The server answered a MAC (dnsmasq's log): the question is whether the answer reached the VM.
    const answered = findings.find((f) => f.code === 'dnsmasq-answered');
    const e = answered && lastAnswer(ctx.snapshot, answered.subject);
    const ask = findings.find((f) => f.code === 'no-vm-port')?.fix[0];
    if (e && ask)
      return `the DHCP server answered ${e.mac}${e.ip ? ` with ${e.ip}` : ''} (${e.type} on ${answered!.subject}${e.time ? ` at ${e.time}` : ''}, ${e.from.file}:${e.from.line}); whether that answer reached the VM is not in the case: it proves no VM port, so the way back is not traced; collect \`${ask.replace(/ {3}#.*$/, '')}\` on the compute node, and the VM's own DHCP client output`;
    const down = findings.filter((f) => f.code === 'ovs-not-answering');
    // A DHCP port the case shows at the dead VLAN: what a VM of its network would meet.
    const dead = findings.filter((f) => f.code === 'dhcp-port-dead-vlan' && f.severity !== 'info');
    const deadText = dead.length
      ? `; but the DHCP port${dead.length > 1 ? 's' : ''} ${dead.map((f) => f.subject.split(':').pop()).join(', ')} on ${[...new Set(dead.map((f) => f.subject.split(':')[0]))].join(', ')} ${dead.length > 1 ? 'are' : 'is'} at VLAN 4095 (Neutron's dead VLAN): DHCP for ${dead.length > 1 ? 'their networks' : 'its network'} cannot work from there (see the findings)`
      : '';
    // A VM port an excerpt shows at 4095 without its bridge (dead-vlan.ts): said, deciding nothing.
    const deadVm = findings.filter((f) => f.code === 'dead-vlan' && f.role === 'observation');
    const deadVmText = deadVm.length
      ? `; the VM port${deadVm.length > 1 ? 's' : ''} ${deadVm.map((f) => f.subject).join(', ')} ${deadVm.length > 1 ? 'are' : 'is'} at VLAN 4095 (Neutron's dead VLAN) on a bridge the excerpt does not name: collect the whole \`ovs-vsctl show\``
      : '';
    return `no VM port is proven in the case, so no DHCP path can be traced${deadText}${deadVmText}${down.length ? `; OVS was not answering on ${down.map((f) => f.subject).join(', ')} when the outputs were collected (its files hold OVS's errors): collect \`${down[0]!.fix[0]!.replace(/ {3}#.*$/, '')}\` there` : ''}`;
  }
  // A port OVS could not open (its device gone: a deleted VM's) has no path to trace; when other
  // VMs' paths are traced, the headline is about them (the interface-error finding names it).
  const opened = (i: number): boolean => !ctx.vms[i]!.port.interfaces.some((x) => x.error);
  const traced = paths.some((x) => x.discover.verdict !== NOT_TRACED);
  // A port taken for the VM by its name alone is said to be so (vm-identity.ts says why).
  const byName = (vm: string): boolean =>
    findings.some((f) => f.code === 'vm-port-by-name' && f.subject.split(', ').includes(vm));
  const untraced = paths.find((x, i) => x.discover.verdict === NOT_TRACED && (opened(i) || !traced));
  if (untraced) {
    const vm = ctx.vms[paths.indexOf(untraced)]!;
    const want = ctx.servers.length === 0 ? serverWanting(findings, ctx.snapshot.hosts) : undefined;
    const noServer = want ? `; ${want.text} either${want.collect ? `: ${want.collect}` : ''}` : '';
    const cut = cutInterface(vm);
    const who = `${untraced.vm}${byName(untraced.vm) ? ' (the VM port by its name alone)' : ''}`;
    if (cut) return `the DISCOVER from ${who} is not traced: ${cut}${noServer}`;
    return `the DISCOVER from ${who} is not traced: the case names its port but does not give its OpenFlow port number (\`ovs-ofctl show\` does)${noServer}`;
  }
  if (ctx.servers.length === 0) {
    const seen = findings.find((f) => f.code === 'dhcp-server-not-traced');
    const want = serverWanting(findings, ctx.snapshot.hosts);
    const reached = [...new Set(paths.flatMap((p) => p.discover.reached))];
    // Reaching no end is said only of a path proven to end: one that stops where the case stops
    // showing it (an excerpt's end, a dump without the agent's catch-all) is not proven at all.
    const stops = reached.length === 0 ? stoppedAt(ctx) : undefined;
    const from = paths
      .filter((p) => p.discover.verdict !== NOT_TRACED)
      .map((p) => `${p.vm}${byName(p.vm) ? ' (the VM port by its name alone)' : ''}`)
      .join(', ');
    // A whole listing proves the VMs' bridge shut in on its host: no other host can answer them.
    const shut = findings.filter((f) => f.code === 'no-way-off-host');
    const tracedVms = ctx.vms.filter((vm) => ctx.discover.has(vm));
    if (
      !want.collect &&
      !seen &&
      shut.length > 0 &&
      tracedVms.every((vm) => shut.some((f) => f.subject === `${vm.host.name}:${vm.bridge.name}`))
    )
      return `${want.text}; ${shut.map((f) => f.message).join('; ')}; ${collectText(shut[0]!.fix[0]!)}`;
    // The DISCOVER reaches a DHCP agent's device on a host of the case: which namespace holds it
    // decides, not another host.
    const agentPort = [...ctx.discover.values()]
      .flatMap((t) => t.undecided)
      .find((u) => u.kind === 'server' && u.remedy);
    return `${want.text}; the DISCOVER from ${from} ${stops ?? `reaches ${reached.join('; ') || 'nothing'}`}: ${want.collect ?? (seen ? (seen.fix[0] ? `collect \`${seen.fix[0].replace(/ {3}#.*$/, '')}\`` : 'see the findings') : agentPort ? `${collectText(agentPort.remedy!)} (${agentPort.host}, which is in the case, holds the DHCP agent's device the DISCOVER reaches)` : 'add the host running the DHCP agent')}`;
  }
  if (contradicted)
    return 'the flows deliver, but what the hosts saw contradicts it (see the findings): capture on the path';
  const p =
    paths.find((x) => x.discover.verdict !== 'delivered') ??
    paths.find((x) => x.offer?.verdict !== 'delivered');
  const vm = p ? ctx.vms[paths.indexOf(p)] : undefined;
  // A path whose verdict rests on a step the case does not show: where, on what, what settles it.
  for (const [what, t] of [
    ['discover', vm && p?.discover.verdict !== 'delivered' ? ctx.discover.get(vm) : undefined],
    ['offer', vm ? ctx.offer.get(vm) : undefined],
  ] as const) {
    if (!t || p?.[what]?.verdict.startsWith(NOT_TRACED)) continue;
    const u = whyUnproven(ctx.world, t);
    const whose = what === 'discover' ? `the DISCOVER from ${p!.vm}` : `the OFFER back to ${p!.vm}`;
    const action = u ? undefined : actionsNotFollowed(t, vm?.mac !== undefined)[0];
    if (action)
      return `${whose} is not followed past ${actionText(action)}, so where the packet goes from there is unknown; collect \`${action.remedy}\``;
    if (!u) continue;
    if (t.verdict === 'incomplete')
      return `${whose} is not followed to its end: ${u.text}; collect \`${u.remedy}\``;
    const claim =
      t.verdict === 'delivered'
        ? 'arrives'
        : t.drop
          ? `would die on ${t.drop.host} ${t.drop.bridge}${t.drop.flow ? ` at \`${t.drop.flow}\`` : ''}`
          : 'would not arrive';
    return `${whose} ${claim}, but that rests on what the case does not show: ${u.text}; collect \`${u.remedy}\``;
  }
  for (const [what, x] of [
    ['DISCOVER from', p?.discover],
    ['OFFER back to', p?.offer],
  ] as const)
    if (x?.verdict.startsWith(`${NOT_TRACED}:`)) {
      // A tunnel whose far end is missing (tunnel-end.ts): that end is what to collect, not a wire.
      const srv = vm && (ctx.offerServer?.get(vm) ?? ctx.servers[0]);
      const end = vm && srv ? unknownTunnelEnd(ctx, vm.host.name, srv.host.name) : undefined;
      return `the ${what} ${p!.vm} is ${x.verdict.replace(/ \(links\.txt\)$/, '')}: ${end && !x.verdict.endsWith('(links.txt)') ? `collect \`${tunnelEndCommands(end)[0]!.replace(/ {3}#.*$/, '')}\` on ${end.peer}` : 'write the wire between the hosts in links.txt'}${x.drop ? ` (as the case stands it ends at ${x.drop})` : ''}`;
    }
  // A DISCOVER that dies where the case does not say whether the server is the VM's: that gap.
  const open = p && findings.find((f) => OPEN_NETWORK.has(f.code) && f.role === 'gap' && f.subject === p.vm);
  if (open) return `${open.message}; collect \`${open.fix[0]}\``;
  if (p && p.discover.verdict !== 'delivered') {
    // A step the DISCOVER rests on that the case does not show (a patch peer without its number):
    // that, and what settles it, before where the branches end.
    const und = vm && ctx.discover.get(vm)?.undecided.find((x) => x.kind === 'not-proven' && x.remedy);
    if (und)
      return `the DISCOVER from ${p.vm} is not followed to its end: ${und.text}; collect \`${und.remedy}\``;
    return `the DISCOVER from ${p.vm} leaves what the case shows (${p.discover.reached.join('; ') || 'no end'}) before reaching the DHCP server`;
  }
  if (p)
    return `the DISCOVER from ${p.vm} reaches the DHCP server, but the OFFER back is not proven (${p.offer ? p.offer.reached.join('; ') || p.offer.verdict : 'not traced: the server has no OVS port with an OpenFlow port number in the case'})`;
  if (leaning)
    return 'the paths deliver, but only on assumptions about bridges the agent programs (see the findings)';
  return 'see the findings and what to collect';
}

/** A collect line (`cmd   # on host: why`) for a headline: "collect `cmd` on host". */
function collectText(remedy: string): string {
  const m = /^(.*?) {3}# on ([^\s:]+)/.exec(remedy);
  return m ? `collect \`${m[1]}\` on ${m[2]}` : `collect \`${remedy}\``;
}

/** dnsmasq's last answer (DHCPOFFER, DHCPACK) logged on `subject` (host:device), or undefined. */
function lastAnswer(s: Snapshot, subject: string): ReturnType<typeof dnsmasqEvents>[number] | undefined {
  const at = subject.indexOf(':');
  const h = s.hosts.find((x) => x.name === subject.slice(0, at));
  return (h ? dnsmasqEvents(h) : [])
    .filter(
      (e) => e.iface === subject.slice(at + 1) && e.mac && (e.type === 'DHCPOFFER' || e.type === 'DHCPACK'),
    )
    .at(-1);
}

/**
 * What the case lacks of a DHCP server when it holds none in a qdhcp namespace: nothing at all, or
 * a dnsmasq a `ps` listing shows (dhcp-server-not-traced), which is a server, only not traced to,
 * or qdhcp namespaces a host of the case lists whose devices were not collected: then the command
 * that collects them (the dhcp-server-not-in-case finding gives one for each).
 */
function serverWanting(
  findings: readonly Finding[],
  hosts: readonly Host[],
): { text: string; collect?: string } {
  const seen = findings.filter((f) => f.code === 'dhcp-server-not-traced');
  if (seen.length)
    return {
      text: `the DHCP server dnsmasq runs as (${seen.map((f) => f.subject).join(', ')}, from \`ps\`) is in no qdhcp namespace of the case, so no path is traced to it`,
    };
  const listed = uncollectedQdhcp(hosts);
  if (!listed.length) return { text: 'no DHCP server (qdhcp namespace) is in the case' };
  const by = [...new Set(listed.map((x) => x.h))].map((h) => ({
    h,
    names: listed.filter((x) => x.h === h).map((x) => x.ns),
  }));
  const first = listed[0]!;
  return {
    text: `the devices of the qdhcp namespace${listed.length > 1 ? 's' : ''} ${by.map(({ h, names }) => `${h.name} lists (${names.join(', ')})`).join(' and ')} were not collected, so no DHCP server is in the case`,
    collect: `collect \`${qdhcpDevicesCommand(first.ns)}\` on ${first.h.name}${listed.length > 1 ? ', and the same for each other one' : ''}`,
  };
}

/**
 * A VM port without its interface, whose interface the host holds unplaced because an elision of
 * the pasted `ovs-vsctl show` cut it from its Port line: why the port is not traced, and what to
 * collect. Undefined when that is not why.
 */
function cutInterface(vm: ReturnType<typeof buildContext>['vms'][number]): string | undefined {
  if (vm.port.interfaces.length > 0) return undefined;
  const i = vm.host.unplacedInterfaces.find((x) => x.name === vm.port.name);
  if (!i) return undefined;
  const ex = vm.host.excerpts?.find((x) => x.of === 'ovsdb' && i.from.some((e) => e.file === x.file));
  const shown = ex && i.from.find((e) => e.file === ex.file);
  if (!ex || !shown) return undefined;
  const ofport = i.ofport.known && i.ofport.value !== null ? i.ofport : undefined;
  return `its interface ${i.name} (${shown.file}:${shown.line}) follows an elision (lines left out at line ${ex.line}), so the excerpt does not show which port and bridge it belongs to${ofport ? ` (its ofport, ${ofport.value}, is known${ofport.from[0] ? ` from ${ofport.from[0].file}:${ofport.from[0].line}` : ''})` : ''}: collect the whole \`${ex.collect}\` on ${vm.host.name}`;
}

/** `` `dr0p` on dom0 xapi3 table 0 (file:line): the simulator does not model that action (why) ``. */
function actionText(a: ActionNotFollowed): string {
  const { at } = a;
  const where = `\`${at.action}\` on ${at.host} ${at.bridge} table ${at.table} (${at.file}:${at.line})`;
  return a.controller
    ? `${where}: ${at.why}`
    : `${where}: the simulator does not model that action (${at.why})`;
}

/** One gap per action the DISCOVER or OFFER of a VM is not followed past (the same flow once). */
function notFollowedFindings(ctx: ReturnType<typeof buildContext>): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const vm of ctx.vms)
    for (const [what, t] of [
      [`the DISCOVER from ${vm.port.name}`, ctx.discover.get(vm)],
      [`the OFFER back to ${vm.port.name}`, ctx.offer.get(vm)],
    ] as const) {
      if (!t) continue;
      for (const a of actionsNotFollowed(t, vm.mac !== undefined)) {
        const k = `${a.at.host}\u0000${a.at.file}\u0000${a.at.line}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push({
          code: 'action-not-modelled',
          role: 'gap',
          severity: 'warning',
          subject: `${a.at.host}:${a.at.bridge}`,
          message: `${what} meets ${actionText(a)}; where the packet goes past it is unknown, and no verdict rests on it`,
          evidence: [{ text: a.rule, file: a.at.file, line: a.at.line }],
          fix: [a.remedy],
        });
      }
    }
  return out;
}
