// What a capture at the VM's own port says against the flows. Where the flows say the VM's DISCOVER
// (or the OFFER back) dies, a capture there that shows the VM's MAC answered (an OFFER or ACK
// reaching its port) cannot be of the same moment as the flow dump: the two disagree, the verdict
// is undecided (drop-contradicted), and what settles it is both taken again, together. A capture
// there of the VM's DISCOVERs leaving with no answer is what the drop predicts: evidence of it.
// A capture of other MACs says nothing of this VM. Every capture read is reported (captureReads).
import type { Drop, TraceResult } from '../../dataplane/tree.ts';
import type { DhcpSighting, Host, Snapshot } from '../../model/snapshot.ts';
import { vifpathLine } from '../../runner/runner.ts';
import type { DoctorContext, VmPort } from '../context.ts';
import type { CaptureRead, EvidenceItem, Finding } from '../finding.ts';
import { provenDropped } from '../proof.ts';
import { serverAddresses } from '../server-at-work.ts';
import { evid } from './check.ts';

type Capture = NonNullable<Host['captures']>[number];

/** A capture taken at the VM's port: on its host, or at the guest's end of the wire from it. */
export interface VmCapture {
  host: Host;
  cap: Capture;
  /** The interface it was taken at (`vif16.0`, the guest's `eth0`). */
  iface: string;
}

/** The capture's interface as its point names it: `<iface>` (`<iface>.pcap`), or capture live's `<host>_<iface>`. */
function pointIface(h: Host, cap: Capture): string {
  const name = cap.point.slice(cap.point.indexOf(':') + 1);
  return name.startsWith(`${h.name}_`) ? name.slice(h.name.length + 1) : name;
}

/**
 * Captures of the case taken at the VM's port: on its host at the port (or one of its interfaces),
 * or at the far end of a wire from it (links.txt, the XenServer vif↔eth wires: the guest's NIC).
 */
export function capturesAtVm(ctx: DoctorContext, vm: VmPort): VmCapture[] {
  const ends: { host: string; iface: string }[] = [
    ...new Set([vm.port.name, ...vm.port.interfaces.map((i) => i.name)]),
  ].map((iface) => ({ host: vm.host.name, iface }));
  for (const l of ctx.snapshot.links)
    for (const [me, far] of [
      [l.a, l.b],
      [l.b, l.a],
    ] as const)
      if (me.host === vm.host.name && ends.some((e) => e.host === me.host && e.iface === me.iface))
        ends.push({ host: far.host, iface: far.iface });
  const out: VmCapture[] = [];
  for (const h of ctx.snapshot.hosts)
    for (const cap of h.captures ?? []) {
      const iface = pointIface(h, cap);
      if (ends.some((e) => e.host === h.name && e.iface === iface)) out.push({ host: h, cap, iface });
    }
  return out;
}

const ANSWER = new Set(['OFFER', 'ACK']);
const ASK = new Set(['DISCOVER', 'REQUEST']);

/** UTC time of a frame, as the capture gives it (to the millisecond). */
export function frameTime(ts: number): string {
  return Number.isFinite(ts) ? new Date(ts * 1000).toISOString() : `ts ${ts}`;
}

/** The first and last frame time of sightings (a loop: a capture may hold 200,000). */
function tsRange(xs: readonly DhcpSighting[]): [number, number] | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const x of xs)
    if (Number.isFinite(x.ts)) {
      if (x.ts < lo) lo = x.ts;
      if (x.ts > hi) hi = x.ts;
    }
  return lo <= hi ? [lo, hi] : undefined;
}

/** `2026-11-25T12:57:20.651Z` or `2026-11-25T12:57:20.651Z–12:57:20.655Z` (one day) for sightings. */
function timeSpan(xs: readonly DhcpSighting[]): string {
  const r = tsRange(xs);
  if (!r) return 'no frame time';
  const [a, b] = [frameTime(r[0]), frameTime(r[1])];
  if (a === b) return a;
  return a.slice(0, 10) === b.slice(0, 10) ? `${a}–${b.slice(11)}` : `${a}–${b}`;
}

/** `DISCOVER x1, OFFER x1, …` in the order of the exchange. */
function counts(xs: readonly DhcpSighting[]): string {
  const n = new Map<string, number>();
  for (const x of xs) n.set(x.type, (n.get(x.type) ?? 0) + 1);
  const order = ['DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM', 'BOOTP'];
  return [...n]
    .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]))
    .map(([t, k]) => `${t} x${k}`)
    .join(', ');
}

function framesText(xs: readonly DhcpSighting[]): string {
  // Runs of consecutive frames as ranges (`1–7`), at most 6 parts.
  const parts: string[] = [];
  const f = xs.map((x) => x.frame);
  for (let i = 0; i < f.length; ) {
    let j = i;
    while (j + 1 < f.length && f[j + 1] === f[j]! + 1) j++;
    parts.push(j > i ? `${f[i]}–${f[j]}` : `${f[i]}`);
    i = j + 1;
  }
  const shown = parts.length > 6 ? [...parts.slice(0, 5), '…', parts.at(-1)!] : parts;
  return `frame${f.length > 1 ? 's' : ''} ${shown.join(', ')}`;
}

/** One sighting as evidence: frame, time, what, of whom, from which server. */
function sightingText(x: DhcpSighting): string {
  const what =
    x.type === 'OFFER' || x.type === 'ACK'
      ? `${x.type}${x.offered ? ` of ${x.offered}` : ''} to ${x.clientMac}${x.serverId ? ` from server ${x.serverId}` : ''}`
      : `${x.type} from ${x.clientMac}`;
  return `frame ${x.frame}, ${frameTime(x.ts)}: ${what} (xid 0x${x.xid.toString(16).padStart(8, '0')})`;
}

/** What one capture at the VM's port shows of it: its sightings for the VM's MAC (every one when the MAC is unknown). */
export interface CaptureSaw {
  at: VmCapture;
  /** The VM's MAC (lower case); undefined: the case does not give it. */
  mac?: string;
  mine: DhcpSighting[];
  answers: DhcpSighting[];
  asks: DhcpSighting[];
}

export function captureSaw(vm: VmPort, at: VmCapture): CaptureSaw {
  const mac = vm.mac?.toLowerCase();
  const mine = at.cap.sightings.filter((x) => mac === undefined || x.clientMac.toLowerCase() === mac);
  return {
    at,
    ...(mac !== undefined ? { mac } : {}),
    mine,
    answers: mine.filter((x) => ANSWER.has(x.type)),
    asks: mine.filter((x) => ASK.has(x.type)),
  };
}

/** The VM's paths the flows prove dead: its DISCOVER to the servers, the OFFER back. */
export function provenDrops(ctx: DoctorContext, vm: VmPort): { what: string; t: TraceResult }[] {
  return (
    [
      ['DISCOVER', ctx.discover.get(vm)],
      ['OFFER back', ctx.offer.get(vm)],
    ] as const
  ).flatMap(([what, t]) => (t && provenDropped(ctx.world, t) ? [{ what, t }] : []));
}

function dropText(t: TraceResult): string {
  const d = t.drop;
  if (!d)
    return t.stop
      ? `stops on ${t.stop.host} ${t.stop.bridge}: ${t.stop.why}`
      : 'reaches no end it is sent to';
  return `dies on ${d.host} ${d.bridge}${d.flow ? ` at \`${d.flow}\`${d.n_packets !== undefined ? ` (n_packets=${d.n_packets})` : ''}` : `: ${d.reason.text}`}`;
}

/** The drop flow as evidence, with what its counters say of time (idle_age: since it last matched). */
function dropEvidence(vm: VmPort, what: string, d: Drop): EvidenceItem {
  const idle = d.entry?.flow.stats.idle_age;
  const age =
    idle === undefined
      ? ''
      : `; idle_age=${idle}: no packet matched it in the ${idle >= 65534 ? `${idle} s (or more)` : `${idle} s`} before the dump`;
  return evid(
    `the flow dump: ${vm.port.name}'s ${what} is dropped on ${d.host} ${d.bridge}${d.table !== null ? ` table ${d.table}` : ''} by \`${d.flow ?? d.reason.text}\`${d.n_packets !== undefined ? ` (n_packets=${d.n_packets}${age})` : age}`,
    d.entry?.from,
  );
}

/** The findings a drop-contradicted finding stands against: its VM and the drops it contradicts. */
const CONTRADICTED = new WeakMap<Finding, { vm: VmPort; drops: TraceResult[] }>();

/**
 * The flows say the VM's DISCOVER (or OFFER back) dies; a capture at its port shows its MAC
 * answered: one finding per capture. With the VM's MAC unknown, an answer to any client there is
 * said as what it would be if that client is the VM.
 */
export function dropContradictions(ctx: DoctorContext): Finding[] {
  const out: Finding[] = [];
  for (const vm of ctx.vms) {
    const drops = provenDrops(ctx, vm);
    if (drops.length === 0) continue;
    for (const at of capturesAtVm(ctx, vm)) {
      const saw = captureSaw(vm, at);
      if (saw.answers.length === 0) continue;
      out.push(contradiction(ctx, vm, drops, saw));
    }
  }
  return out;
}

function contradiction(
  ctx: DoctorContext,
  vm: VmPort,
  drops: { what: string; t: TraceResult }[],
  saw: CaptureSaw,
): Finding {
  const { at, answers, mac } = saw;
  const clients = [...new Set(answers.map((x) => x.clientMac.toLowerCase()))];
  const who = mac ?? clients.join(', ');
  const shown = saw.mine.slice(0, 8);
  const types = [...new Set(answers.map((x) => x.type))].join(', ');
  const offered = [...new Set(answers.map((x) => x.offered).filter((x): x is string => !!x))];
  const servers = [...new Set(answers.map((x) => x.serverId).filter((x): x is string => !!x))];
  const answered = `${types}${offered.length ? ` of ${offered.join(', ')}` : ''}${servers.length ? ` from ${servers.join(', ')}` : ''}`;
  // An answer from an address no DHCP server of the case has is another server's: said.
  const own = new Set(ctx.servers.flatMap(serverAddresses));
  const foreign = servers.filter((x) => !own.has(x));
  const flows = drops.map(({ what, t }) => `${vm.port.name}'s ${what} ${dropText(t)}`).join(', and ');
  const when = timeSpan(saw.mine);
  const macNote =
    mac === undefined
      ? `; the case does not give ${vm.port.name}'s MAC, so this holds if ${clients.length > 1 ? 'one of them' : 'it'} is the VM's (\`ovs-vsctl get Interface ${vm.port.name} external_ids:attached-mac\` on ${vm.host.name})`
      : '';
  const foreignNote = foreign.length
    ? `; unless the answer came from a DHCP server the case does not show: server identifier ${foreign.join(', ')} is the address of no DHCP port of the case`
    : '';
  const message = `the flows say ${flows}, but the capture at ${at.cap.point} (${at.cap.file}, ${framesText(answers)}) shows ${who} answered there (${answered}): both cannot hold at one moment; they were taken at different moments (the capture at ${when}, the flow dump at a time the case does not record: dump-flows prints no clock time), so which holds now is not known${foreignNote}${macNote}`;
  const hosts = [...new Set([vm.host.name, at.host.name, ...ctx.servers.map((x) => x.host.name)])];
  const f: Finding = {
    code: 'drop-contradicted',
    role: 'gap',
    severity: 'warning',
    subject: `${vm.host.name}:${vm.port.name}`,
    message,
    evidence: [
      ...shown.map((x) => evid(`${at.cap.point}: ${sightingText(x)}`, { file: at.cap.file, line: x.frame })),
      ...(saw.mine.length > shown.length
        ? [evid(`… ${saw.mine.length - shown.length} more DHCP frame(s) of ${who} in ${at.cap.file}`)]
        : []),
      ...drops.flatMap(({ what, t }) =>
        t.drop
          ? [dropEvidence(vm, what, t.drop)]
          : [evid(`the flows: ${vm.port.name}'s ${what} ${dropText(t)}`)],
      ),
    ],
    fix: [
      `# the capture and the flow dump are of different moments: take both again, together (read-only), the capture running while the dump is taken and ${vm.port.name}'s VM asks for its lease:`,
      vifpathLine(
        'capture live',
        hosts.map((h) => `${h}=ssh://root@${h}`),
        ['--vm', vm.port.name, '--path', '--seconds', '120', '-o', './capture-now'],
      ),
      `${vifpathLine(
        'collect',
        ctx.snapshot.hosts.map((h) => `${h.name}=ssh://root@${h.name}`),
        ['-o', './case-now'],
      )}   # in another terminal, during the capture`,
      `# then diagnose ./case-now with the capture at ${vm.port.name} from ./capture-now (--pcap ${vm.host.name}:<its file>)`,
    ],
  };
  CONTRADICTED.set(f, { vm, drops: drops.map((x) => x.t) });
  return f;
}

/** Does the finding rest on one of these drops: it cites the drop flow, or it is about the VM's port. */
function restsOn(f: Finding, vm: VmPort, drops: readonly TraceResult[]): boolean {
  const at = drops.flatMap((t) => (t.drop?.entry ? [t.drop.entry.from] : []));
  if (f.evidence.some((e) => at.some((x) => x.file === e.file && x.line === e.line))) return true;
  const parts = f.subject.split(':');
  return parts[0] === vm.host.name && parts.at(-1) === vm.port.name;
}

/**
 * After every check: a cause resting on a drop a capture contradicts is no longer a proven fault
 * (what the flow dump says, not now: a warning, said so, its fix kept behind a first step); a
 * capture of the VM's DISCOVERs leaving its port with no answer is evidence of the cause resting
 * on its drop.
 */
export function weighCaptures(ctx: DoctorContext, findings: Finding[]): void {
  const contra = findings.filter((f) => CONTRADICTED.has(f));
  for (const c of contra) {
    const { vm, drops } = CONTRADICTED.get(c)!;
    for (const f of findings) {
      if (f === c || f.severity !== 'error' || !restsOn(f, vm, drops)) continue;
      f.severity = 'warning';
      f.role = 'observation';
      f.message = `${f.message} — as the flow dump shows it; a capture at ${vm.port.name} of another moment shows the exchange answered (drop-contradicted), so whether this holds now is not known`;
      if (f.fix.length)
        f.fix = [
          `# only if the dump and a capture taken together still show it (drop-contradicted):`,
          ...f.fix,
        ];
    }
  }
  for (const vm of ctx.vms) {
    if (contra.some((c) => CONTRADICTED.get(c)!.vm === vm)) continue;
    const drops = provenDrops(ctx, vm).map((x) => x.t);
    if (drops.length === 0) continue;
    const support = capturesAtVm(ctx, vm)
      .map((at) => captureSaw(vm, at))
      .filter((s) => s.asks.length > 0 && s.answers.length === 0);
    if (support.length === 0) continue;
    const items = support.map((s) =>
      evid(
        `the capture at ${s.at.cap.point} (${s.at.cap.file}) shows ${counts(s.asks)} from ${s.mac ?? [...new Set(s.asks.map((x) => x.clientMac.toLowerCase()))].join(', ')} at ${s.at.iface} (${framesText(s.asks)}, ${timeSpan(s.asks)}) and no OFFER or ACK to it: ${s.mac ? 'the VM asks and no answer comes back' : `a client asks there and no answer comes back (the case does not give ${vm.port.name}'s MAC: the VM's, if it is that one)`}, as the drop says`,
        { file: s.at.cap.file, line: s.asks[0]!.frame },
      ),
    );
    for (const f of findings) if (f.severity === 'error' && restsOn(f, vm, drops)) f.evidence.push(...items);
  }
}

/**
 * Every capture the case holds (its own `<point>.pcap` files and --pcap's): where it was taken,
 * what DHCP it holds, and what diagnose took from it. Reported whatever it shows.
 */
export function captureReads(
  s: Snapshot,
  ctx: DoctorContext | undefined,
  findings: readonly Finding[],
): CaptureRead[] {
  const out: CaptureRead[] = [];
  for (const h of s.hosts)
    for (const cap of h.captures ?? []) {
      const seen = cap.sightings;
      const clients = [...new Set(seen.map((x) => x.clientMac.toLowerCase()))];
      const types = [...new Set(seen.map((x) => x.type))];
      const use: string[] = [];
      for (const vm of ctx?.vms ?? []) {
        const at = capturesAtVm(ctx!, vm).find((x) => x.cap === cap);
        if (!at) continue;
        const saw = captureSaw(vm, at);
        const name =
          at.host === vm.host
            ? `the VM port ${vm.host.name}:${vm.port.name}`
            : `${at.host.name}:${at.iface}, the far end of the VM port ${vm.host.name}:${vm.port.name}'s wire,`;
        if (saw.mine.length === 0)
          use.push(
            `at ${name} no DHCP of its MAC ${saw.mac}${clients.length ? ` (only of ${clients.join(', ')})` : ''}: nothing of this VM`,
          );
        else
          use.push(
            `at ${name} ${saw.mac ? `of its MAC ${saw.mac}` : `of ${clients.join(', ')} (the VM's MAC is not in the case)`}: ${counts(saw.mine)}${saw.answers.length ? '' : ', no OFFER or ACK'}`,
          );
      }
      for (const srv of ctx?.servers ?? [])
        if (srv.host === h && [srv.device.name, `${h.name}_${srv.device.name}`].includes(pointIface(h, cap)))
          use.push(`at the DHCP server ${srv.ns.name} ${srv.device.name} on ${h.name}`);
      if (use.length === 0)
        use.push(
          `not at a VM port or DHCP server of the case (its point ${cap.point} names ${pointIface(h, cap)}; name the file <iface>.pcap after the interface it was taken at)`,
        );
      const cited = findings.filter((f) => f.evidence.some((e) => e.file === cap.file)).map((f) => f.code);
      const r = tsRange(seen);
      out.push({
        point: cap.point,
        file: cap.file,
        dhcpMessages: seen.length,
        ...(r ? { from: frameTime(r[0]), to: frameTime(r[1]) } : {}),
        messages: types,
        clients,
        use,
        citedBy: [...new Set(cited)],
      });
    }
  return out;
}
