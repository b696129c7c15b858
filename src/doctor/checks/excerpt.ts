// What an excerpt leaves out is unknown (issue 15 item 2): a check that would assert an absence
// from an output the case holds only as an excerpt (a paste with `...` or `[snip]`) gives a gap
// instead, naming the output and the command that gives it whole. What the excerpt shows is used.
import { type Excerpt, excerptCut, type Host } from '../../model/snapshot.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { evid } from './check.ts';

/** "what the excerpt shows; x is an excerpt, so `question` is unknown", with what to collect. */
export function excerptGap(
  h: Host,
  x: Excerpt,
  subject: string,
  what: string,
  question: string,
  evidence: EvidenceItem[] = [],
): Finding {
  return {
    code: 'excerpt-unknown',
    role: 'gap',
    severity: 'warning',
    subject,
    message: `${what}; ${x.file} is an excerpt (${excerptCut(x)}), so ${question} is unknown`,
    // An excerpt cut at its end: its last line (the one after it is not in the file).
    evidence: [
      ...evidence,
      evid('an excerpt', { file: x.file, line: x.end !== undefined ? x.line - 1 : x.line }),
    ],
    fix: [`${x.collect}   # on ${h.name}: the whole output, not an excerpt`],
  };
}
