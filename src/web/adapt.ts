// The one place that knows which printers make the JSON the page reads: the trace's own JSON
// printer (what `vifpath trace --json` prints) and the diagnosis in its documented form
// (`{verdict: healthy|problem|undecided, headline, findings, collectNext}`). Until src/doctor
// prints that form itself (issue 14), diagnosisJson converts; then it becomes that printer.
import { traceJson as dataplaneTraceJson } from '../dataplane/trace-json.ts';
import type { TraceResult } from '../dataplane/tree.ts';
import type { Diagnosis, Finding } from '../doctor/finding.ts';

/** `vifpath trace --json`: verdict, target, outputs, reached, drop, tree, assumptions, unsupported. */
export type TraceJson = object;

export function traceJson(t: TraceResult): TraceJson {
  return dataplaneTraceJson(t);
}

export interface DiagnosisJson {
  verdict: 'healthy' | 'problem' | 'undecided';
  headline: string;
  findings: Finding[];
  collectNext: string[];
}

export function diagnosisJson(d: Diagnosis): DiagnosisJson {
  const verdict = d.healthy
    ? 'healthy'
    : d.findings.some((f) => f.severity === 'error')
      ? 'problem'
      : 'undecided';
  return { verdict, headline: d.verdict, findings: d.findings, collectNext: d.collect };
}
