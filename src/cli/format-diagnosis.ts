// Text rendering of a diagnosis: the verdict first, then each finding with its evidence and fix.
import type { Diagnosis } from '../doctor/finding.ts';
import type { Colors } from './colors.ts';

export function formatDiagnosis(d: Diagnosis, c: Colors): string {
  const out: string[] = [];
  out.push(d.healthy ? c.green(`HEALTHY: ${d.verdict}`) : c.bold(c.red(`PROBLEM: ${d.verdict}`)));
  for (const f of d.findings) {
    out.push('');
    const sev =
      f.severity === 'error' ? c.red('error') : f.severity === 'warning' ? c.yellow('warning') : 'info';
    out.push(`[${sev}] ${c.bold(f.code)} (${f.subject})`);
    out.push(`  ${f.message}`);
    if (f.rootCause) out.push(`  root cause: ${f.rootCause}`);
    if (f.evidence.length) {
      out.push('  evidence:');
      for (const e of f.evidence)
        out.push(`    - ${e.text}${e.file ? c.dim(`  [${e.file}${e.line ? `:${e.line}` : ''}]`) : ''}`);
    }
    if (f.fix.length) {
      out.push('  fix:');
      for (const x of f.fix) out.push(`    ${x.startsWith('#') ? c.dim(x) : x}`);
    }
  }
  if (d.collect.length) {
    out.push('', 'To be sure, collect next:');
    for (const x of d.collect) out.push(`  - ${x}`);
  }
  return out.join('\n');
}
