// One error vocabulary (design.md exit codes): every error vifpath raises on purpose carries the
// exit code it means and, when it concerns input, the file and line. main.ts maps it; anything
// else that escapes is a bug and keeps its stack trace.
import { escapeControl } from '../text/escape.ts';

/** 0 fine; 1 a problem proven / packet dropped; 2 bad input, usage, a limit, not root, a missing tool; 3 undecided. */
export const EXIT = { ok: 0, problem: 1, input: 2, undecided: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class VifpathError extends Error {
  constructor(
    message: string,
    readonly exit: ExitCode = EXIT.input,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** `file:line: message`, the one line the CLI prints (control characters from input made visible). */
  oneLine(): string {
    if (!this.file) return escapeControl(this.message);
    return escapeControl(`${this.file}${this.line ? `:${this.line}` : ''}: ${this.message}`);
  }
}

/** A size, depth or count limit was reached: exit 2, never a stack trace. */
export class LimitError extends VifpathError {
  constructor(message: string, file?: string, line?: number) {
    super(message, EXIT.input, file, line);
  }
}
