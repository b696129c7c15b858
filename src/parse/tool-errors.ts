// Another tool's error text in place of (or after) its output, as collected files hold it: sos and
// our collector keep stderr with stdout. Such lines are facts about the host (the tool was missing,
// the namespace was gone), never corrupt input; the partial output before them is still read.
import { NextOccurrence } from '../openflow/text.ts';
import { type Diagnostic, diag } from './diagnostics.ts';

/** One row per error form the field writes; first match wins. */
const TOOL_ERRORS: readonly [RegExp, string][] = [
  // `ip netns exec NS netstat ...` when the binary is missing (sos per-namespace commands)
  [/^exec of "[^"]*" failed: /, 'exec-failed'],
  [/^(?:\S+: )?(?:line \d+: )?\S+: command not found$/, 'command-not-found'],
  [/^(?:sudo: )?\S+: (?:No such file or directory|Permission denied)$/, 'cannot-run'],
  // iproute2: `Error: Peer netns reference is invalid.`, `Error: any valid prefix is expected...`
  [/^Error: /, 'iproute2-error'],
  [/^Cannot open network namespace "[^"]*": /, 'netns-missing'],
  [/^setting the network namespace "[^"]*" failed: /, 'netns-missing'],
  [
    /^(?:ip|ss|netstat|ethtool|ifconfig|iptables-save|ip6tables-save|iptables|tail|cat|xenstore-read): /,
    'tool-error',
  ],
  [/\bPermission denied\b/, 'permission-denied'],
  // sos: a command past its timeout leaves this note (sos ≥ 4)
  [/^(?:sos: )?[Cc]ommand timed out(?: after \d+s)?\.?$/, 'timeout'],
];

export function toolErrorCode(line: string): string | undefined {
  for (const [re, code] of TOOL_ERRORS) if (re.test(line)) return code;
  return undefined;
}

/**
 * Line `n`, `l`, as another tool's error: after output (`afterData`), the command stopped part way.
 * Undefined when it is no error line.
 */
export function toolErrorAt(l: string, n: number, afterData: boolean): Diagnostic | undefined {
  const t = l.trim();
  const code = toolErrorCode(t);
  if (code === undefined) return undefined;
  return diag(
    'tool',
    n,
    code,
    afterData
      ? `the command failed after printing part of its output: ${t}`
      : `the command printed an error instead of its output: ${t}`,
    l,
  );
}

/**
 * Blank out tool-error lines (keeping every other line at its number) and say what they were.
 * `data` is whether any other non-empty line is left; `partial` is the line of the first error that
 * followed output (the command stopped part way: what it had not printed yet is missing).
 */
export function stripToolErrors(text: string): {
  text: string;
  diagnostics: Diagnostic[];
  data: boolean;
  partial?: number;
} {
  const diagnostics: Diagnostic[] = [];
  const blank: [number, number][] = [];
  let data = false;
  let seenData = false;
  let partial: number | undefined;
  // Line by line without splitting: a 40 MB flow dump is one pass, its flow lines skipped at once.
  const cues = new Cues(text);
  for (let start = 0, n = 1; start < text.length; n++) {
    // Past the first data line, straight to the next line that may be an error, counting lines
    // on the way: a 40 MB dump without one is not walked line by line.
    if (seenData) {
      const hit = cues.next(start);
      if (hit < 0) break;
      const from = text.lastIndexOf('\n', hit - 1) + 1;
      for (let i = text.indexOf('\n', start); i >= 0 && i < from; i = text.indexOf('\n', i + 1)) n++;
      start = from;
    }
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const next = end + 1;
    if (!cues.maybeError(start, end)) {
      if (!seenData && text.slice(start, end).trim() !== '') seenData = data = true;
      start = next;
      continue;
    }
    const l = text.slice(start, end).replace(/\r$/, '');
    start = next;
    if (l.trim() === '') continue;
    const d = toolErrorAt(l, n, seenData);
    if (d === undefined) {
      data = true;
      seenData = true;
      continue;
    }
    diagnostics.push(d);
    if (seenData) partial ??= n;
    blank.push([end - l.length - (text.charCodeAt(end - 1) === 13 ? 1 : 0), end]);
  }
  if (diagnostics.length === 0) return { text, diagnostics, data };
  let out = '';
  let at = 0;
  for (const [a, b] of blank) {
    out += text.slice(at, a);
    at = b;
  }
  out += text.slice(at);
  return { text: out, diagnostics, data, ...(partial !== undefined ? { partial } : {}) };
}

/**
 * Whether a line can be an error line at all: every TOOL_ERRORS form has a `: `, or says
 * "Permission denied" or "timed out"; flow lines (`actions=`) never are one. Each word's next
 * occurrence is remembered, so the whole text is searched once per word, not once per line.
 */
class Cues {
  private readonly colon = new NextOccurrence(': ');
  private readonly denied = new NextOccurrence('Permission denied');
  private readonly timedOut = new NextOccurrence('timed out');
  private readonly flow = new NextOccurrence('actions=');
  constructor(private readonly text: string) {}

  maybeError(start: number, end: number): boolean {
    const t = this.text;
    const any =
      this.colon.within(t, start, end) ||
      this.denied.within(t, start, end) ||
      this.timedOut.within(t, start, end);
    return any && !this.flow.within(t, start, end);
  }

  /** Where the next cue of any kind is from `start` on, or -1. */
  next(start: number): number {
    const t = this.text;
    let best = -1;
    for (const w of [this.colon, this.denied, this.timedOut]) {
      const i = w.indexWithin(t, start, t.length);
      if (i >= 0 && (best < 0 || i < best)) best = i;
    }
    return best;
  }
}
