/** Exit codes (design.md): 0 fine, 1 problem found / packet dropped, 2 bad input or usage, 3 undecided. */
export { EXIT } from '../errors/errors.ts';

import type { TraceResult } from '../dataplane/tree.ts';
import { EXIT } from '../errors/errors.ts';
export const EXIT_PROBLEM = EXIT.problem;

/**
 * trace's exit code: the verdict's (design.md), and a delivery only tagged (dataplane/tagged.ts
 * arrivalOf) is not healthy: 1 when the case's facts make it tagged (the receiver ignores it, as
 * diagnose's offer-tagged), 3 when it rests on a port tag the case does not give.
 */
export function traceExit(t: Pick<TraceResult, 'verdict' | 'arrival'>): number {
  if (t.verdict === 'dropped') return EXIT.problem;
  if (t.verdict !== 'delivered') return EXIT.undecided;
  return t.arrival?.how === 'tagged'
    ? EXIT.problem
    : t.arrival?.how === 'tag-unknown'
      ? EXIT.undecided
      : EXIT.ok;
}
