// Text rendering of a diagnosis: the verdict first, then each finding with its evidence and fix.
import type { Diagnosis, PathVerdict } from '../doctor/finding.ts';
import { vifpathLine } from '../runner/runner.ts';
import { escapeControl as e } from '../text/escape.ts';
import type { Colors } from './colors.ts';

export interface FormatOptions {
  /**
   * The arguments of `vifpath report` that show the same case as diagnosed: its inputs (operands)
   * and the options that selected it (--vm, --links, ...). Default: the case as one word.
   */
  report?: { operands: readonly string[]; options: readonly string[] };
}

export function formatDiagnosis(d: Diagnosis, c: Colors, o: FormatOptions = {}): string {
  const out: string[] = [];
  const head = d.headline;
  out.push(
    d.verdict === 'healthy'
      ? c.green(`HEALTHY: ${e(head)}`)
      : d.verdict === 'problem'
        ? c.bold(c.red(`PROBLEM: ${e(head)}`))
        : c.bold(c.yellow(`UNDECIDED: ${e(head)}`)),
  );
  if (d.paths.length) {
    out.push('', 'Paths (as the flows say):');
    // Where a path not proven dropped stops is where the case stops showing it, not a drop; an
    // incomplete one says what it rests on (the first branch or step not proven).
    const at = (x: PathVerdict): string =>
      (x.drop
        ? x.verdict === 'dropped'
          ? ` at ${e(x.drop)}`
          : `; as the case stands it ends at ${e(x.drop)}`
        : x.stop
          ? x.verdict === 'dropped'
            ? `: stops on ${e(x.stop)}`
            : `; as the case stands it stops on ${e(x.stop)}`
          : '') + (x.undecided ? `; not proven: ${e(x.undecided)}` : '');
    // Delivered tagged (onto a port without tag) is said as how it arrives, not as "delivered".
    const how = (x: PathVerdict): string => (x.tagged ? e(x.tagged) : x.verdict);
    for (const p of d.paths) {
      out.push(`  ${e(p.vm)}: DISCOVER ${how(p.discover)}${at(p.discover)}`);
      if (p.offer) out.push(`  ${' '.repeat(p.vm.length)}  OFFER back ${how(p.offer)}${at(p.offer)}`);
    }
  }
  // Every capture read, whatever it shows (what of it a finding cites is in the finding).
  if (d.captures?.length) {
    out.push('', 'Captures read:');
    for (const x of d.captures)
      out.push(
        `  ${e(x.point)} (${e(x.file)}): ${x.dhcpMessages} DHCP message(s)${x.from ? `, ${x.from === x.to ? x.from : `${x.from} to ${x.to}`}` : ''}; ${e(x.use.join('; '))}`,
      );
  }
  for (const f of d.findings) {
    out.push('');
    const sev =
      f.severity === 'error' ? c.red('error') : f.severity === 'warning' ? c.yellow('warning') : 'info';
    out.push(
      `[${sev}] ${c.bold(e(f.code))} (${e(f.subject)})${f.role && f.role !== 'cause' ? c.dim(` ${f.role}`) : ''}`,
    );
    out.push(`  ${e(f.message)}`);
    if (f.rootCause) out.push(`  ${f.confirm ? 'probable root cause' : 'root cause'}: ${e(f.rootCause)}`);
    if (f.confirm) out.push(`  to confirm: ${e(f.confirm)}`);
    // Evidence that says nothing is not printed (a blank bullet).
    const evidence = f.evidence.filter((v) => v.text.trim() !== '');
    if (evidence.length) {
      out.push('  evidence:');
      for (const v of evidence)
        out.push(`    - ${e(v.text)}${v.file ? c.dim(`  [${e(v.file)}${v.line ? `:${v.line}` : ''}]`) : ''}`);
    }
    if (f.fix.length) {
      out.push('  fix:');
      for (const x of f.fix) out.push(`    ${x.startsWith('#') ? c.dim(e(x)) : e(x)}`);
    }
  }
  if (d.collectNext.length) {
    out.push('', d.verdict === 'undecided' ? 'To decide, collect next:' : 'To be sure, collect next:');
    for (const x of d.collectNext) out.push(`  - ${e(x)}`);
  }
  // The one-file picture to attach to a ticket (the same case, as the operator gave it).
  out.push(
    '',
    c.dim(
      `Picture (topology, path, findings in one HTML file): ${e(vifpathLine('report', o.report?.operands ?? [d.case], [...(o.report?.options ?? []), '-o', 'report.html']))}`,
    ),
  );
  return out.join('\n');
}
