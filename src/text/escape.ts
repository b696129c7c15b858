// Text that came from input (port and bridge names, excerpts of corrupt lines, a host's stderr) is
// printed with every character a terminal would act on made visible: a port named
// "\x1b[2J\x1b[32mHEALTHY" must not clear the screen and print a fake verdict. JSON output keeps the
// exact strings; only text output and error messages go through here.

/**
 * C0 controls (including TAB, LF, CR), DEL, C1 controls, the Unicode bidi embeddings, overrides and
 * isolates (Trojan Source), the implicit direction marks, the line/paragraph separators, and the
 * characters that print as nothing (soft hyphen, zero-width space/joiners, word joiner and the
 * invisible operators, the byte order mark U+FEFF): a name or a line holding one looks like another.
 */
export const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
const UNSAFE_TEST =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const cp = ch.codePointAt(0)!;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
}

/**
 * `s` with control characters, ESC and bidi controls rendered visibly (`\x1b`, `\n`, `\u{202e}`).
 * Everything else, backslashes included, is kept as is, so ordinary names print unchanged.
 */
export function escapeControl(s: string): string {
  return UNSAFE_TEST.test(s) ? s.replace(UNSAFE, visible) : s;
}
