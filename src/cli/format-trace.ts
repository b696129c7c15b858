// Text rendering of a trace, in the spirit of ofproto/trace, across hosts.
import type { Step, TraceResult } from '../dataplane/trace.ts';
import type { Colors } from './colors.ts';

function stepLine(s: Step, c: Colors): string[] {
  const pad = '  '.repeat(s.depth);
  switch (s.kind) {
    case 'bridge': {
      const title = `${s.host}: bridge("${s.bridge}") in_port=${s.inPort}`;
      return [
        '',
        `${pad}${c.bold(title)}`,
        `${pad}${'-'.repeat(title.length)}`,
        `${pad}${c.dim(`packet: ${s.packet}`)}`,
        ...(s.inferred ? [`${pad}${c.yellow(`(inferred: ${s.inferred})`)}`] : []),
      ];
    }
    case 'table':
      if (s.flow)
        return [
          `${pad}${String(s.table).padStart(2)}. ${s.flow.rule}${s.flow.n_packets !== undefined ? c.dim(`  (n_packets=${s.flow.n_packets}, ${s.flow.file}:${s.flow.line})`) : c.dim(`  (${s.flow.file}:${s.flow.line})`)}`,
          ...(s.ambiguous
            ? [
                `${pad}    ${c.yellow(`ambiguous: also matches at the same priority: ${s.ambiguous.join(' | ')}`)}`,
              ]
            : []),
        ];
      return [`${pad}${String(s.table).padStart(2)}. ${c.yellow(s.miss ?? 'miss')}`];
    case 'action':
      return [`${pad}${s.text}${s.note ? c.dim(`  -> ${s.note}`) : ''}`];
    case 'normal':
      return [`${pad}-> ${s.text}`];
    case 'output':
      return [
        `${pad}${c.green(`=> output ${s.port}${s.vlan === null ? ' untagged' : ` vlan ${s.vlan}`}: ${s.endpoint}`)}`,
      ];
    case 'drop':
      return [`${pad}${c.red(`x ${s.reason}`)}`];
    case 'cross':
      return [`${pad}~> ${s.via === 'patch' ? 'patch' : 'wire'} ${s.from} -> ${s.to}`];
  }
}

export function formatTrace(t: TraceResult, c: Colors): string {
  const out: string[] = [
    `Trace of ${t.start.packet}`,
    `from ${t.start.host}:${t.start.port} (bridge ${t.start.bridge})`,
  ];
  for (const s of t.hops) out.push(...stepLine(s, c));
  out.push('');
  const verdict = t.verdict === 'delivered' ? c.green('DELIVERED') : c.red(t.verdict.toUpperCase());
  out.push(`Verdict: ${verdict}`);
  for (const o of t.outputs.filter((x) => !x.local))
    out.push(
      `  reaches ${o.host}:${o.bridge}:${o.port} ${o.vlan === null ? 'untagged' : `vlan ${o.vlan}`} -> ${o.endpoint}`,
    );
  if (t.drop)
    out.push(
      `  dropped on ${t.drop.host} ${t.drop.bridge}${t.drop.table !== null ? ` table ${t.drop.table}` : ''}: ${t.drop.flow ?? t.drop.reason}${t.drop.n_packets !== undefined ? ` (n_packets=${t.drop.n_packets})` : ''}`,
    );
  if (t.assumptions.length) {
    out.push('Assumptions (what the case did not say):');
    for (const a of t.assumptions) out.push(`  - ${a}`);
  }
  if (t.unsupported.length) {
    out.push('Not modelled (reported, never silently ignored):');
    for (const u of t.unsupported) out.push(`  - ${u}`);
  }
  return out.join('\n');
}
