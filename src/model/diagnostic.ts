// What a reader says about its input besides the facts: the model's own type, so src/model needs
// nothing from the parsers (src/parse re-exports it for them).

export type Severity =
  /** The file is not what its name says: binary, garbage, a broken record the verdict needs. */
  | 'corrupt'
  /** OVS itself printed an error or log line in place of data: a fact about the host, not bad input. */
  | 'ovs'
  /** Another tool printed an error in place of its output (`exec of "netstat" failed`, iproute2's `Error: ...`). */
  | 'tool'
  /** Readable, but something is missing or unusual (a dump cut short: incomplete, not corrupt). */
  | 'warning'
  /** For the record, nothing wrong with the input: a file given that vifpath does not read, and why. */
  | 'info';

export interface Diagnostic {
  severity: Severity;
  /** 1-based line in the file; 0 for the file as a whole. */
  line: number;
  code: string;
  message: string;
  /** The offending text, cut to a readable length. */
  text?: string;
}

export interface FileDiagnostic extends Diagnostic {
  file: string;
}
