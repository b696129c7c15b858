import { shellWord } from '../../runner/runner.ts';
import type { DoctorContext } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';

/** One check: an id, a title, and a pure function from the context to findings. */
export interface Check {
  id: string;
  title: string;
  run(ctx: DoctorContext): Finding[];
}

export function evid(text: string, from?: { file: string; line: number }): EvidenceItem {
  return from ? { text, file: from.file, ...(from.line ? { line: from.line } : {}) } : { text };
}

/** A name quoted for sh, always (a cleanup command reads the same whatever the name is). */
export function quoted(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? `'${s.replace(/'/g, `'\\''`)}'` : shellWord(s);
}
