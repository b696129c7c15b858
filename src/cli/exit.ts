/** Exit codes (design.md): 0 fine, 1 problem found / packet dropped, 2 bad input or usage, 3 undecided. */
export { EXIT } from '../errors/errors.ts';

import { EXIT } from '../errors/errors.ts';
export const EXIT_PROBLEM = EXIT.problem;
