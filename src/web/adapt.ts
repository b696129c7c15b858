// The one place that knows which printers make the JSON the page reads: the trace's own JSON
// printer (what `vifpath trace --json` prints) and the diagnosis in its documented form
// (`{verdict: healthy|problem|undecided, headline, findings, collectNext}`). While src/doctor moves
// to that form (issue 14), diagnosisJson accepts both; then it becomes the doctor's own printer.
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
  [more: string]: unknown;
}

/** Either shape of the diagnosis (before and after issue 14) → the documented JSON. */
export function diagnosisJson(d: Diagnosis): DiagnosisJson {
  const x = d as unknown as {
    verdict: string;
    healthy?: boolean;
    headline?: string;
    findings: Finding[];
    collect?: string[];
    collectNext?: string[];
  };
  if (x.headline !== undefined) {
    const { collect, healthy, ...rest } = x;
    return { ...rest, headline: x.headline, collectNext: x.collectNext ?? collect ?? [] } as DiagnosisJson;
  }
  const verdict = x.healthy
    ? 'healthy'
    : x.findings.some((f) => f.severity === 'error')
      ? 'problem'
      : 'undecided';
  return { verdict, headline: x.verdict, findings: x.findings, collectNext: x.collect ?? [] };
}
