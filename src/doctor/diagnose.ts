// Diagnose: run every check, then decide among three verdicts. problem: a fault on the path is
// proven (its root cause may be only probable, and is labelled so); healthy: the DISCOVER reaches
// a DHCP server and the OFFER the VM, proven, resting on no assumption about a bridge the agent
// programs, and nothing in the case contradicts it; undecided: what is known, where the paths
// go, and exactly what to collect. Unknown is never broken: a gap is never an error.
import { endpointText, nodesOf, type TraceResult } from '../dataplane/tree.ts';
import { VifpathError } from '../errors/errors.ts';
import { bridgeRole } from '../model/roles.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { shellWord } from '../runner/runner.ts';
import { nameList, nearest } from '../text/nearest.ts';
import type { Check } from './checks/check.ts';
import { checksum } from './checks/checksum.ts';
import { contradictions } from './checks/contradiction.ts';
import { deadVlan } from './checks/dead-vlan.ts';
import { dhcpDropFlow } from './checks/dhcp-drop-flow.ts';
import { dhcpPort } from './checks/dhcp-port.ts';
import { dnsmasq } from './checks/dnsmasq.ts';
import { offerPath } from './checks/offer-path.ts';
import { OVERLAY_CHECKS } from './checks/overlay.ts';
import { structure } from './checks/structure.ts';
import { vlanMismatch } from './checks/vlan-mismatch.ts';
import { vmPortUntagged } from './checks/vm-port-untagged.ts';
import { buildContext, reachedServer } from './context.ts';
import type { Diagnosis, Finding, PathSummary } from './finding.ts';

/** In the order their findings explain a failure: the direct cause on the path first. */
export const CHECKS: readonly Check[] = [
  vmPortUntagged,
  deadVlan,
  dhcpDropFlow,
  vlanMismatch,
  ...OVERLAY_CHECKS,
  dhcpPort,
  dnsmasq,
  checksum,
  offerPath,
  structure,
  contradictions,
];

/** A --vm that names no port of the case (findVms found none): exit 2, the nearest names listed. */
export function unknownVm(s: Snapshot, vm: string): VifpathError {
  const all = s.hosts.flatMap((h) => h.bridges.flatMap((b) => b.ports.map((p) => `${h.name}:${p.name}`)));
  return new VifpathError(
    `--vm ${shellWord(vm)}: no port of the case has this name, host:port, MAC or iface-id (MACs and iface-ids come from \`ovs-vsctl list interface\`)${all.length ? `; nearest: ${nameList(nearest(vm, all), all.length)}` : '; the case has no OVS port'}`,
  );
}

export function diagnose(s: Snapshot, opts: { vm?: string } = {}): Diagnosis {
  const ctx = buildContext(s, opts.vm);
  // A --vm that names no port of the case is bad input, with the names it could have meant.
  if (opts.vm !== undefined && ctx.vms.length === 0) throw unknownVm(s, opts.vm);
  const findings: Finding[] = [];
  for (const vm of ctx.vms)
    if (vm.named)
      findings.push({
        code: 'vm-port-named',
        role: 'observation',
        severity: 'info',
        subject: `${vm.host.name}:${vm.bridge.name}:${vm.port.name}`,
        message: `${vm.host.name}:${vm.port.name} is taken as the VM port because you named it (--vm ${shellWord(opts.vm!)}); by itself it is not recognised as one (${vm.named})`,
        evidence: [],
        fix: [],
      });
  for (const c of CHECKS) for (const f of c.run(ctx)) findings.push(f);
  if (ctx.vms.length === 0)
    findings.push({
      code: 'no-vm-port',
      role: 'gap',
      severity: 'warning',
      subject: 'VM',
      message: `no port of the case is proven a VM port (Neutron's external_ids iface-id/attached-mac, or a guest vif)${knownPorts(s)}`,
      evidence: [],
      fix: [
        'ovs-vsctl list interface   # on the compute node: shows attached-mac and iface-id of each VM port',
      ],
    });
  // A DISCOVER proven to die for a reason no check names is still a fault: say where.
  for (const vm of ctx.vms) {
    const t = ctx.discover.get(vm);
    if (t?.verdict !== 'dropped' || findings.some((f) => f.severity === 'error' && f.evidence.length))
      continue;
    findings.push({
      code: 'discover-dropped',
      role: 'cause',
      severity: 'error',
      subject: `${vm.host.name}:${vm.port.name}`,
      message: `the DISCOVER from ${vm.port.name} does not reach a DHCP server: ${t.drop ? `it dies on ${t.drop.host} ${t.drop.bridge}${t.drop.flow ? ` at \`${t.drop.flow}\`${t.drop.n_packets !== undefined ? ` (n_packets=${t.drop.n_packets})` : ''}` : `: ${t.drop.reason.text}`}` : 'no branch reaches one'}`,
      evidence: t.drop
        ? [
            {
              text: t.drop.flow ?? t.drop.reason.text,
              ...(t.drop.entry ? { file: t.drop.entry.from.file, line: t.drop.entry.from.line } : {}),
            },
          ]
        : [],
      fix: [
        `vifpath trace ${shellWord(s.source)} --from ${shellWord(`${vm.host.name}:${vm.port.name}`)} --packet dhcp-discover   # the full path`,
      ],
    });
  }
  // What the readers said of the input: a cut dump, another tool's error text, a file not read.
  // Never a fault by itself; the traces that depend on a cut dump are already unproven.
  findings.push(...inputNotes(s));
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

  const paths: PathSummary[] = ctx.vms.map((vm) => {
    const d = ctx.discover.get(vm);
    return {
      vm: `${vm.host.name}:${vm.port.name}`,
      discover: d ? pathOf(d) : { verdict: NOT_TRACED, reached: [] },
      ...(ctx.offer.get(vm) ? { offer: pathOf(ctx.offer.get(vm)!) } : {}),
    };
  });
  const causes = findings.filter((f) => f.severity === 'error');
  const contradicted = findings.some((f) => f.code === 'contradicted');
  const leaning = riskyAssumptions(ctx);
  const provenPaths =
    ctx.vms.length > 0 &&
    ctx.vms.every((vm) => reachedServer(ctx, vm) && ctx.offer.get(vm)?.verdict === 'delivered');
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
  if (provenPaths && !contradicted && leaning.length === 0)
    return {
      case: s.source,
      verdict: 'healthy',
      headline: `the DHCP DISCOVER from ${ctx.vms.map((v) => v.port.name).join(', ')} reaches ${ctx.servers.map((x) => `${x.ns.name} ${x.device.name}`).join(', ')} and the OFFER comes back`,
      findings,
      paths,
      collectNext: whatToCollect(ctx, findings, false),
    };
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
  const collectNext = whatToCollect(ctx, findings, true);
  return {
    case: s.source,
    verdict: 'undecided',
    headline: undecidedHeadline(ctx, paths, contradicted, leaning.length > 0),
    findings,
    paths,
    collectNext,
  };
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
  const names = s.hosts.flatMap((h) => h.bridges.flatMap((b) => b.ports.map((p) => `${h.name}:${p.name}`)));
  if (names.length === 0) return '';
  return `; ports in the case: ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, … (${names.length})` : ''}`;
}

/** A VM whose port has no OpenFlow port number in the case: its DISCOVER cannot be traced. */
const NOT_TRACED = 'not traced';

function pathOf(t: TraceResult): PathSummary['discover'] {
  return {
    verdict: t.verdict,
    reached: t.reached.map(endpointText),
    ...(t.drop ? { drop: `${t.drop.host} ${t.drop.bridge}: ${t.drop.flow ?? t.drop.reason.text}` } : {}),
  };
}

/** Assumptions the traces made about bridges the agent programs: a verdict may not rest on them. */
function riskyAssumptions(
  ctx: ReturnType<typeof buildContext>,
): { subject: string; text: string; remedy?: string }[] {
  const out = new Map<string, { subject: string; text: string; remedy?: string }>();
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
      if (role && role.role !== 'unknown')
        add(
          `${n.host}:${n.bridge}`,
          `${n.host}:${n.bridge} has no flow dump, and the agent programs it (${role.role} bridge: ${role.why}): NORMAL was assumed`,
          `ovs-ofctl -O OpenFlow13 dump-flows ${shellWord(n.bridge)}   # on ${n.host}`,
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
      )
        add('trace', a.text, a.remedy);
  }
  return [...out.values()];
}

/** Host gaps first (they name host and command); when undecided, also where the paths leave the case. */
function whatToCollect(ctx: ReturnType<typeof buildContext>, findings: Finding[], deep: boolean): string[] {
  const out: string[] = [];
  const add = (x: string): void => {
    if (!out.includes(x)) out.push(x);
  };
  for (const h of ctx.snapshot.hosts) for (const g of h.gaps) add(`${h.name}: ${g}`);
  for (const f of findings) if (f.role === 'gap') for (const x of f.fix) add(x);
  if (!deep) return out;
  for (const t of ctx.discover.values())
    for (const e of t.reached)
      if (e.kind === 'uncollected')
        add(`${e.host}: the host behind ${e.from.host}:${e.from.port} (a sosreport, or \`vifpath collect\`)`);
      else if (e.kind === 'port')
        add(
          `${e.host}: what is behind ${e.bridge} port ${e.port} (a wire in links.txt, or the host it leads to)`,
        );
      else if (e.kind === 'device')
        add(`${e.host}: what is behind device ${e.device} (a wire in links.txt, or the host it leads to)`);
  for (const t of [...ctx.discover.values(), ...ctx.offer.values()])
    for (const a of t.assumptions) if (a.remedy && a.code !== 'behind-port-unknown') add(a.remedy);
  return out;
}

function undecidedHeadline(
  ctx: ReturnType<typeof buildContext>,
  paths: PathSummary[],
  contradicted: boolean,
  leaning: boolean,
): string {
  if (ctx.vms.length === 0) return 'no VM port is proven in the case, so no DHCP path can be traced';
  const untraced = paths.find((x) => x.discover.verdict === NOT_TRACED);
  if (untraced)
    return `the DISCOVER from ${untraced.vm} is not traced: the case names its port but does not give its OpenFlow port number (\`ovs-ofctl show\` does)${ctx.servers.length === 0 ? '; no DHCP server (qdhcp namespace) is in the case either' : ''}`;
  if (ctx.servers.length === 0)
    return `no DHCP server (qdhcp namespace) is in the case; the DISCOVER from ${paths.map((p) => p.vm).join(', ')} reaches ${[...new Set(paths.flatMap((p) => p.discover.reached))].join('; ') || 'nothing'}: add the host running the DHCP agent`;
  if (contradicted)
    return 'the flows deliver, but what the hosts saw contradicts it (see the findings): capture on the path';
  const p =
    paths.find((x) => x.discover.verdict !== 'delivered') ??
    paths.find((x) => x.offer?.verdict !== 'delivered');
  if (p && p.discover.verdict !== 'delivered')
    return `the DISCOVER from ${p.vm} leaves what the case shows (${p.discover.reached.join('; ') || 'no end'}) before reaching the DHCP server`;
  if (p)
    return `the DISCOVER from ${p.vm} reaches the DHCP server, but the OFFER back is not proven (${p.offer ? p.offer.reached.join('; ') || p.offer.verdict : 'not traced: the server has no OVS port with an OpenFlow port number in the case'})`;
  if (leaning)
    return 'the paths deliver, but only on assumptions about bridges the agent programs (see the findings)';
  return 'see the findings and what to collect';
}
