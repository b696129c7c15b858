// Parser results: a typed value plus diagnostics with line numbers. Parsers never throw on bad
// input; the source that reads files decides what a `corrupt` diagnostic means (exit 2, or a
// warning with --lenient).

import type { Diagnostic, Severity } from '../model/diagnostic.ts';

export type { Diagnostic, FileDiagnostic, Severity } from '../model/diagnostic.ts';

export interface Parsed<T> {
  value: T;
  diagnostics: Diagnostic[];
}

export const MAX_LINE = 1024 * 1024;

export function clip(s: string, n = 120): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

export function diag(
  severity: Severity,
  line: number,
  code: string,
  message: string,
  text?: string,
): Diagnostic {
  return text === undefined
    ? { severity, line, code, message }
    : { severity, line, code, message, text: clip(text) };
}

/**
 * Split text into lines after checks every text format shares: binary content and over-long lines
 * are corrupt. Returns null lines when the text cannot be read at all.
 */
export function splitLines(text: string): { lines: string[]; diagnostics: Diagnostic[] } {
  const diagnostics = binaryCheck(text);
  if (diagnostics.length > 0) return { lines: [], diagnostics };
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  else if (text !== '') diagnostics.push(noFinalNewline(lines.length));
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.length > MAX_LINE) {
      diagnostics.push(
        diag('corrupt', i + 1, 'line-too-long', `line is ${l.length} characters (limit ${MAX_LINE})`),
      );
      return { lines: [], diagnostics };
    }
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  return { lines, diagnostics };
}

/** The text is not text (a NUL byte, bytes that are not UTF-8): one corrupt diagnostic, else none. */
export function binaryCheck(text: string): Diagnostic[] {
  const nul = text.indexOf('\0');
  if (nul >= 0)
    return [diag('corrupt', countLines(text, nul), 'binary', 'binary data (NUL byte) in a text file')];
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0) return [diag('corrupt', countLines(text, bad), 'binary', 'bytes that are not UTF-8 text')];
  return [];
}

/** splitLines' warning for a text whose last line (`lines` lines in all) lacks its newline. */
export function noFinalNewline(lines: number): Diagnostic {
  return diag('warning', lines, 'no-final-newline', 'no newline at the end: the output may be cut off');
}

/** Lines in text[0, upto) (one more than its newlines). */
export function countLines(text: string, upto: number): number {
  let n = 1;
  for (let i = 0; i < upto; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** OVS's vlog line: `2026-11-25T13:01:42Z|00001|module|LEVEL|message`. */
export const VLOG = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\|\d+\|[\w-]+\|(EMER|ERR|WARN|INFO|DBG)\|/;

/** An error printed by an OVS utility (`ovs-ofctl: br: failed to connect...`). */
export const OVS_TOOL_ERROR = /^(ovs-vsctl|ovs-ofctl|ovs-appctl|ovsdb-client|ovs-dpctl|ovsdb-tool): /;

/** Lines OVS prints in place of data: returns a diagnostic or undefined. */
export function ovsMessage(line: string, n: number): Diagnostic | undefined {
  if (VLOG.test(line)) return diag('ovs', n, 'ovs-log', 'OVS log line in the output', line);
  if (OVS_TOOL_ERROR.test(line)) return diag('ovs', n, 'ovs-error', line.trim());
  return undefined;
}

export function hasCorrupt(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'corrupt');
}

/**
 * A line the format cannot read: `truncated` when it is the last line and the file lacks its final
 * newline (the output was cut: a warning, the output is incomplete, not corrupt), else a corrupt
 * `code` with `message`.
 */
export function unreadable(
  lines: readonly string[],
  i: number,
  text: string,
  code: string,
  message: string,
  cutMessage = 'line cut off',
): Diagnostic {
  const last = i === lines.length - 1 && !text.endsWith('\n');
  return last
    ? diag('warning', i + 1, 'truncated', `${cutMessage}: the output is incomplete`, lines[i])
    : diag('corrupt', i + 1, code, message, lines[i]);
}
