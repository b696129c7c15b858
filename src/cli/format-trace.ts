// Text printers of the one trace tree, in the spirit of ofproto/trace (detailed) and ovn-trace's
// --summary: the same tree, pruned differently. Names from input are escaped for the terminal.
import { formatPacket } from '../dataplane/packet.ts';
import { type Arrival, tagCollect, taggedText } from '../dataplane/tagged.ts';
import {
  type Drop,
  endpointText,
  isNotFollowed,
  ruleText,
  type TraceNode,
  type TraceResult,
  targetText,
} from '../dataplane/tree.ts';
import { escapeControl as esc } from '../text/escape.ts';
import type { Colors } from './colors.ts';

function counters(n: {
  flow: { flow: { stats: { n_packets?: number } }; from: { file: string; line: number } };
}): string {
  const s = n.flow.flow.stats;
  return `${s.n_packets !== undefined ? `n_packets=${s.n_packets}, ` : ''}${esc(n.flow.from.file)}:${n.flow.from.line}`;
}

/** What the printers say of a dead branch that is not where the packet is lost (tree.ts DropBranch). */
function copyNote(t: TraceResult, d: Drop): string {
  if (d.branch === 'copy')
    return `a flooded copy: no way leads from there to ${targetText(t.target)}; it does not decide the verdict`;
  return t.verdict === 'dropped'
    ? 'one of the copies that die: the case locates no target, so which of them would have reached it is not known'
    : 'a flooded copy: the case locates no target to tell whether it matters; it does not decide the verdict';
}

function lines(
  n: TraceNode,
  depth: number,
  c: Colors,
  out: string[],
  summary: boolean,
  copies: ReadonlyMap<TraceNode, string>,
): void {
  const pad = '  '.repeat(depth);
  let next = depth + 1;
  switch (n.kind) {
    case 'bridge': {
      const title = `${esc(n.host)}: bridge("${esc(n.bridge)}") in_port=${esc(n.inPort)}`;
      out.push('', `${pad}${c.bold(title)}`);
      if (!summary) {
        out.push(
          `${pad}${'-'.repeat(title.length)}`,
          `${pad}${c.dim(`packet: ${esc(formatPacket(n.packet, n.inPort))}`)}`,
        );
        if (n.inferred) out.push(`${pad}${c.yellow(`(inferred: ${esc(n.inferred)})`)}`);
      }
      break;
    }
    case 'table':
      if (n.assumedNormal)
        out.push(
          `${pad}${String(n.table).padStart(2)}. ${c.yellow('no flow dump: assumed priority=0 actions=NORMAL')}`,
        );
      else if (n.flow) {
        out.push(
          `${pad}${String(n.table).padStart(2)}. ${esc(n.rule ?? ruleText(n.flow))}${c.dim(`  (${counters({ flow: n.flow })})`)}`,
        );
        if (n.ambiguous)
          out.push(
            `${pad}    ${c.yellow(`ambiguous: also matches at the same priority: ${n.ambiguous.map((a) => esc(ruleText(a))).join(' | ')}`)}`,
          );
      } else if (n.tableUnknown)
        out.push(
          `${pad}${String(n.table).padStart(2)}. ${c.yellow('not in the case (no per-table dump of it): its flows unknown')}`,
        );
      else out.push(`${pad}${String(n.table).padStart(2)}. ${c.yellow('no flow matches (table miss)')}`);
      break;
    case 'action':
      // An explicit drop prints as its drop line only.
      if ((summary && !n.note) || n.action.type === 'drop') next = depth;
      else out.push(`${pad}${esc(n.text)}${n.note ? c.dim(`  -> ${n.note}`) : ''}`);
      break;
    case 'normal':
      out.push(`${pad}-> ${esc(n.text)}`);
      break;
    case 'patch':
      out.push(
        `${pad}~> patch ${esc(n.from.bridge)}:${esc(n.from.port)} -> ${esc(n.to.bridge)}:${esc(n.to.port)}`,
      );
      break;
    case 'wire':
      out.push(
        `${pad}~> wire ${esc(n.from.host)}:${esc(n.from.iface)} -> ${esc(n.to.host)}:${esc(n.to.iface)}`,
      );
      break;
    case 'tunnel':
      out.push(
        `${pad}~> tunnel ${esc(n.from.type)} ${esc(n.from.host)}:${esc(n.from.port)} ${esc(n.from.local_ip)} -> ${esc(n.from.remote_ip)} key ${esc(n.from.key)}${n.from.dst_port !== undefined ? ` udp ${n.from.dst_port}` : ''}${n.to ? ` -> ${esc(n.to.host)}:${esc(n.to.bridge)}:${esc(n.to.port)}` : ''}`,
      );
      break;
    case 'output':
      out.push(
        `${pad}${c.green(`=> output ${esc(n.port)}${n.vlan === null ? ' untagged' : ` vlan ${n.vlan}`}: ${esc(endpointText(n.endpoint))}`)}${n.uncertain ? c.yellow(`  (not proven: ${esc(n.uncertain.text)})`) : ''}`,
      );
      return;
    case 'drop':
      // Not a dead branch: the trace cannot follow a port whose OpenFlow number is unknown, or
      // into a bridge the case does not show.
      if (isNotFollowed(n.reason)) {
        out.push(`${pad}${c.yellow(`~ not followed: ${esc(n.reason.text)}`)}`);
        return;
      }
      out.push(
        `${pad}${c.red(`x ${n.reason.code === 'drop-flow' || n.reason.code === 'table-miss' ? 'drop' : esc(n.reason.text)}`)}${copies.has(n) ? c.dim(`  (${esc(copies.get(n)!)})`) : ''}${n.uncertain ? c.yellow(`  (not proven: ${esc(n.uncertain.text)})`) : ''}`,
      );
      return;
    case 'unsupported':
      out.push(`${pad}${c.yellow(`? ${esc(n.text)}`)}`);
      return;
  }
  for (const ch of n.children) lines(ch, next, c, out, summary, copies);
}

/** Beside DELIVERED: how it arrives, when it arrives tagged. */
function arrivalNote(a: Arrival, c: Colors): string {
  if (a.how === 'tag-unknown')
    return c.yellow(
      ", but whether it arrives untagged rests on the port's tag, which the case does not give (see below)",
    );
  if (a.how === 'untagged') return '';
  const who = a.tagged.filter((x) => x.known).every((x) => x.guest) ? 'the guest' : 'the receiver';
  return c.red(`, but only tagged where it arrives: ${who} ignores it (see below)`);
}

/** Undecided branches and copies listed under the verdict before "… and N more". */
const MAX_LISTED = 6;

export function formatTrace(t: TraceResult, c: Colors, o: { summary?: boolean } = {}): string {
  const out: string[] = [
    `Trace of ${esc(formatPacket(t.start.packet, t.start.port))}`,
    `from ${esc(t.start.host)}:${esc(t.start.port)} (bridge ${esc(t.start.bridge)}); target: ${esc(targetText(t.target))}`,
  ];
  // Dead branches that are not where the packet is lost, with what to say of each.
  const copies = new Map<TraceNode, string>();
  for (const d of t.drops)
    if (d !== t.drop && d.branch !== 'toward' && !isNotFollowed(d.reason)) copies.set(d.node, copyNote(t, d));
  lines(t.tree, 0, c, out, o.summary ?? false, copies);
  out.push('');
  const v = t.verdict.toUpperCase();
  // Delivered, but tagged where it arrives: OVS is right that it reaches the port, but an ordinary
  // receiver ignores an 802.1Q frame, so the verdict says what that makes of it (and the exit code
  // follows: cli/exit.ts traceExit), in diagnose's words.
  const a = t.arrival;
  // The walk says dropped, but every way it stops rests on a step the case does not show
  // (doctor/proof.ts provenTrace): said as diagnose says it, the steps listed below.
  const walked = t.walked
    ? c.yellow(
        ': as the case stands it is dropped, but that rests on what the case does not show (see below)',
      )
    : '';
  out.push(
    `Verdict: ${t.verdict === 'delivered' ? (a && a.how !== 'untagged' ? c.yellow(v) : c.green(v)) : t.verdict === 'dropped' ? c.red(v) : c.yellow(v)}${a ? arrivalNote(a, c) : ''}${walked}`,
  );
  for (const e of t.reached) out.push(`  reaches ${esc(endpointText(e))}`);
  for (const x of a?.tagged ?? [])
    out.push(
      a!.how === 'tag-unknown'
        ? `  ${c.yellow('not proven:')} it ${esc(taggedText(x, { host: true }))}${c.dim(`  [collect: ${esc(tagCollect(x))}]`)}`
        : `  ${c.yellow(a!.how === 'tagged' ? 'but it' : 'a copy also')} ${esc(taggedText(x, { host: true }))}`,
    );
  const where = (d: Drop): string =>
    `${esc(d.host)} ${esc(d.bridge)}${d.table !== null ? ` table ${d.table}` : ''}: ${esc(d.flow ?? d.reason.text)}${d.n_packets !== undefined ? ` (n_packets=${d.n_packets})` : ''}`;
  if (t.drop) out.push(`  dropped on ${where(t.drop)}`);
  if (t.stop)
    out.push(
      `  ${t.verdict === 'dropped' ? c.red('stops:') : c.yellow('stops:')} ${esc(t.stop.text)}${t.stop.uncertain ? c.yellow(`  (not proven: ${esc(t.stop.uncertain.text)})`) : ''}`,
    );
  const collect = (r: string | undefined): string => (r ? c.dim(`  [collect: ${esc(r)}]`) : '');
  // An incomplete verdict names the branches it rests on, each with what would decide it.
  if (t.verdict === 'incomplete') {
    for (const u of t.undecided.slice(0, MAX_LISTED))
      out.push(
        `  ${c.yellow(u.kind === 'not-proven' || u.kind === 'server' ? 'not proven:' : 'undecided:')} ${esc(u.text)}${collect(u.remedy)}`,
      );
    if (t.undecided.length > MAX_LISTED)
      out.push(`  … and ${t.undecided.length - MAX_LISTED} more undecided branches (--json: undecided)`);
  } else
    for (const u of t.uncertain) out.push(`  ${c.yellow('not proven:')} ${esc(u.text)}${collect(u.remedy)}`);
  // The copies that die, when the packet is not delivered: said as copies, never as where it stops.
  const dead = t.verdict === 'delivered' ? [] : t.drops.filter((d) => copies.has(d.node));
  for (const d of dead.slice(0, MAX_LISTED))
    out.push(`  ${c.dim(`copy dies on ${where(d)} (${esc(copyNote(t, d))})`)}`);
  if (dead.length > MAX_LISTED) out.push(`  ${c.dim(`… and ${dead.length - MAX_LISTED} more copies die`)}`);
  if (t.assumptions.length) {
    out.push('Assumptions (what the case did not say, and what would settle it):');
    for (const a of t.assumptions)
      out.push(`  - ${esc(a.text)}${a.remedy ? c.dim(`  [collect: ${esc(a.remedy)}]`) : ''}`);
  }
  if (t.unsupported.length) {
    out.push('Not modelled (reported, never silently ignored):');
    for (const u of t.unsupported) out.push(`  - ${esc(u.host)}:${esc(u.bridge)}: ${esc(u.text)}`);
  }
  return out.join('\n');
}
