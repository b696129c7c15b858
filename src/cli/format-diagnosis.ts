// Text rendering of a diagnosis: the verdict first, then each finding with its evidence and fix.
import type { Diagnosis } from '../doctor/finding.ts';
import { escapeControl as e } from '../text/escape.ts';
import type { Colors } from './colors.ts';

export function formatDiagnosis(d: Diagnosis, c: Colors): string {
  const out: string[] = [];
  out.push(d.healthy ? c.green(`HEALTHY: ${e(d.verdict)}`) : c.bold(c.red(`PROBLEM: ${e(d.verdict)}`)));
  for (const f of d.findings) {
    out.push('');
    const sev =
      f.severity === 'error' ? c.red('error') : f.severity === 'warning' ? c.yellow('warning') : 'info';
    out.push(`[${sev}] ${c.bold(e(f.code))} (${e(f.subject)})`);
    out.push(`  ${e(f.message)}`);
    if (f.rootCause) out.push(`  root cause: ${e(f.rootCause)}`);
    if (f.evidence.length) {
      out.push('  evidence:');
      for (const v of f.evidence)
        out.push(`    - ${e(v.text)}${v.file ? c.dim(`  [${e(v.file)}${v.line ? `:${v.line}` : ''}]`) : ''}`);
    }
    if (f.fix.length) {
      out.push('  fix:');
      for (const x of f.fix) out.push(`    ${x.startsWith('#') ? c.dim(e(x)) : e(x)}`);
    }
  }
  if (d.collect.length) {
    out.push('', 'To be sure, collect next:');
    for (const x of d.collect) out.push(`  - ${e(x)}`);
  }
  return out.join('\n');
}
