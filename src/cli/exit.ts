/** Exit codes (design.md): 0 fine, 1 problem found / packet dropped, 2 bad input or usage. */
export const EXIT = { ok: 0, problem: 1, input: 2 } as const;
export const EXIT_PROBLEM = EXIT.problem;
