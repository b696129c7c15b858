// Findings are data: a code, a severity, the subject, what is wrong, the evidence that proves it
// (facts with file:line, flows with counters, trace hops) and the fix as exact commands.

export interface EvidenceItem {
  text: string;
  file?: string;
  line?: number;
}

export interface Finding {
  code: string;
  severity: 'error' | 'warning' | 'info';
  subject: string;
  message: string;
  evidence: EvidenceItem[];
  fix: string[];
  /** The probable root cause behind the direct one, when known. */
  rootCause?: string;
}

export interface Diagnosis {
  verdict: string;
  healthy: boolean;
  findings: Finding[];
  /** What to collect next when the evidence cannot decide. */
  collect: string[];
}
