// What a paste does to a command's output, undone before the output's own parser reads it: a web
// page's HTML escapes (`&quot;`, `&gt;`), elision lines marking an excerpt (`...`, `[snip]`), every
// line indented by the same extra spaces or tab (a ticket, a chat), and dump-flows records wrapped
// over several lines by a terminal or a ticket at any width. Line numbers are kept: a removed
// line is blanked, a rejoined record sits on its first line and its continuation is blanked.
// Never guessed: an escape that is not consistent over the whole file is refused (corrupt), and a
// wrapped record is rejoined only when the result parses as one flow, else refused (corrupt),
// never read as several flows.
import { FlowSyntaxError } from '../openflow/errors.ts';
import { parseFlow } from '../openflow/flow.ts';
import { type Diagnostic, diag, VLOG } from './diagnostics.ts';

export interface Repaired {
  text: string;
  diagnostics: Diagnostic[];
  /** The first elision line: the output is an excerpt, what it leaves out stays unknown. */
  excerpt?: number;
  /** Every elision line, in order (from the first, `excerpt`). */
  elisions?: number[];
  /** The first line of a wrapped dump record refused (not rejoinable): flows are missing. */
  refused?: number;
}

/** An elision marker on its own: dots (`...`, `。。。`, `・・・`), an ellipsis, a word for "left out" (日本語, 中文, 한국어). */
const BARE = '\\.+|…+|⋯+|⋮|。{2,}|・{2,}|．{2,}|\\.\\s\\.\\s\\.|省略|中略|以下省略|생략|중략|이하\\s*생략';
/** In brackets or dashes, English words too (`[snip]`, `(output omitted)`, `-- snip --`, `(略)`). */
const WORDED = `${BARE}|略|(?:output\\s+)?(?:snip|snipped|omitted|elided|truncated|cut)`;
/** What says, inside a note, that lines were left out: a marker, or a word for it. */
const LEFT_OUT = String.raw`(?:\.{3}|…|⋯|省略|略|생략|\b(?:snip|snipped|omitted|elided|truncated|removed|deleted|skipped|left out|cut)\b)`;
/**
 * A note in brackets that words what was left out (`[... Bridge br-int omitted ...]`, `(other
 * ports removed)`): the whole line in one pair of brackets, a marker or such a word inside.
 */
const NOTED = [
  ['\\[', '\\]'],
  ['\\(', '\\)'],
  ['<', '>'],
  ['（', '）'],
]
  .map(([o, c]) => `${o}[^${o}${c}\\n]*${LEFT_OUT}[^${o}${c}\\n]*${c}`)
  .join('|');
/**
 * A line that stands for lines left out: a marker bare, in (), [], <>, {}, full-width （）, or
 * between dashes: `...`, `(...)`, `[...]`, `…`, `[snip]`, `(省略)`, `--- snip ---`;
 * or a note in brackets that words it (NOTED).
 */
const ELISION = new RegExp(
  `^\\s*(?:${BARE}|\\((?:${WORDED})\\)|（(?:${WORDED})）|\\[(?:${WORDED})\\]|<(?:${WORDED})>|\\{(?:${WORDED})\\}|-+\\s*(?:${WORDED})\\s*-+|${NOTED})\\s*$`,
  'i',
);
/** Whether `line` stands for lines left out of a pasted output (`...`, `[snip]`, `[... omitted ...]`). */
export function isElision(line: string): boolean {
  return ELISION.test(line);
}
/**
 * A shell prompt copied with the output around it: `[root@dom0 ~]#`, `root@compute1:~# ovs-vsctl
 * show`, `stack@devstack:~/devstack$`, or a bare `#`/`$` before a command that prints these outputs.
 */
const PROMPT = new RegExp(
  [
    String.raw`^\[[^\]\s@]+@[^\]\s]+(?:\s[^\]]*)?\]\s?[#$%>](?:\s.*)?$`,
    String.raw`^[\w.-]+@[\w.-]+:[^\s#$%]*\s?[#$%](?:\s.*)?$`,
    String.raw`^[#$]\s+(?:sudo\s+)?(?:ovs-vsctl|ovs-ofctl|ovs-appctl|ovsdb-client|ip|ifconfig|ss|netstat|iptables-save|ethtool|cat)(?:\s.*)?$`,
  ].join('|'),
);
/** The tools whose outputs vifpath reads, as typed (a colon after the name is the tool's own error). */
const TOOLS = String.raw`(?:ovs-vsctl|ovs-ofctl|ovs-appctl|ovs-dpctl|ovsdb-client|ip|ifconfig|ss|netstat|iptables-save|iptables-legacy-save|iptables-nft-save|ethtool|sysctl|cat|journalctl|dhclient)`;
/**
 * A command line typed above its output: a shell prompt with a command (PROMPT's forms), or the
 * command alone (`sudo ovs-ofctl dump-flows br-int`, `ip netns exec qdhcp-… ip a`).
 */
const COMMAND = new RegExp(
  String.raw`^(?:(?:\[[^\]\s@]+@[^\]\s]+(?:\s[^\]]*)?\]\s?|[\w.-]+@[\w.-]+:[^\s#$%]*\s?)?[#$%]\s*)?(?:sudo\s+(?:-\S+\s+)*)?${TOOLS}\s+[^\s:]`,
);
export function isCommandLine(line: string): boolean {
  return COMMAND.test(line.trim());
}
/** Whether `line` is a shell prompt (PROMPT), whatever blanks surround it. */
export function isShellPrompt(line: string): boolean {
  return PROMPT.test(line.trim());
}
/**
 * A comment line (`# …`) that says lines were left out, in an output with no `#` line of its own:
 * a marker (`# ...`, `# [snip]`) or a note that words it (`# other ports removed`).
 */
function commentElision(line: string): boolean {
  const m = /^\s*#+\s*(.*)$/.exec(line);
  if (!m) return false;
  return (
    ELISION.test(m[1]!) ||
    /\.{3}|…|⋯|\b(?:snip|snipped|omitted|elided|truncated|removed|deleted|left out|cut)\b/i.test(m[1]!)
  );
}
const ENTITY = /&(?:quot|lt|gt|amp|apos|nbsp|#\d{1,6}|#x[0-9a-f]{1,6});/gi;

export interface RepairOptions {
  /** The text is an ovs-ofctl dump-flows: rejoin wrapped records. */
  flows?: boolean;
  /** A log or a service's file, read verbatim: only its elision lines are looked for. */
  elisionsOnly?: boolean;
  /** With elisionsOnly: a common indentation of every line is a paste's too (a file whose lines start at the margin). */
  indent?: boolean;
  /**
   * The output prints no line starting with `#` (ovs-vsctl show): a comment line that says lines
   * were left out is an elision too.
   */
  comments?: boolean;
  /**
   * The text is an ovs-vsctl show: below its first line (the UUID, at the margin) it indents every
   * line by 4 spaces of its own, so a copy that starts below that line has them without any paste.
   */
  vsctlShow?: boolean;
}

export function repairPaste(text: string, opts: RepairOptions = {}): Repaired {
  const diagnostics: Diagnostic[] = [];
  let t = text;
  // 1. HTML escapes, only when the whole file is consistently escaped.
  if (!opts.elisionsOnly && t.includes('&') && /&(?:quot|lt|gt|amp|#\d+|#x[0-9a-f]+);/i.test(t)) {
    const lines = t.split('\n');
    const entityAt = lines.findIndex((l) => /&(?:quot|lt|gt|amp|#\d+|#x[0-9a-f]+);/i.test(l));
    const rawAt = lines.findIndex((l) => /[<>]/.test(l) || (/&quot;/i.test(t) && l.includes('"')));
    if (rawAt >= 0) {
      diagnostics.push(
        diag(
          'corrupt',
          rawAt + 1,
          'html-mixed',
          `HTML-escaped in part (an escape such as &quot; or &gt; at line ${entityAt + 1}, a raw character it would have escaped here): not read, save the text as the page shows it`,
          lines[rawAt],
        ),
      );
      return { text: '', diagnostics };
    }
    t = t.replace(ENTITY, decodeEntity);
    diagnostics.push(
      diag(
        'warning',
        entityAt + 1,
        'html-escaped',
        'HTML-escaped text (a web page copy): decoded',
        lines[entityAt],
      ),
    );
  }
  const lines = t.split('\n');
  // 2. Elision lines: the output is an excerpt.
  const elisions: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!ELISION.test(lines[i]!) && !(opts.comments && commentElision(lines[i]!))) continue;
    elisions.push(i + 1);
    lines[i] = '';
  }
  const excerpt = elisions[0];
  if (excerpt !== undefined)
    diagnostics.push(
      diag(
        'warning',
        excerpt,
        'excerpt',
        'an excerpt (lines were left out here): its facts are used, what it does not show stays unknown',
      ),
    );
  if (opts.elisionsOnly) {
    if (opts.indent) stripIndent(lines, diagnostics, false, false);
    return { text: lines.join('\n'), diagnostics, ...(excerpt !== undefined ? { excerpt, elisions } : {}) };
  }
  // 3. A shell prompt before or after the output (copied from the terminal with it): not the
  // command's, refused like any line the output's reader does not know (the prompt named), and
  // blanked for --lenient.
  // The command typed above its output (`sudo ovs-ofctl dump-flows br-int`, `[root@dom0 ~]#
  // ovs-vsctl show`): no line of the output, skipped and said.
  const head = lines.findIndex((l) => l.trim() !== '');
  if (head >= 0 && lines.findLastIndex((l) => l.trim() !== '') > head && isCommandLine(lines[head]!)) {
    diagnostics.push(
      diag('warning', head + 1, 'command-line', 'command line above the output: skipped', lines[head]),
    );
    lines[head] = '';
  }
  for (const at of [lines.findIndex((l) => l.trim() !== ''), lines.findLastIndex((l) => l.trim() !== '')]) {
    // (One line both first and last: blanked the first time, no prompt the second.)
    if (at < 0 || !isShellPrompt(lines[at]!)) continue;
    diagnostics.push(
      diag(
        'corrupt',
        at + 1,
        'shell-prompt',
        "a shell prompt copied with the output, not the command's output: delete the line",
        lines[at],
      ),
    );
    lines[at] = '';
  }
  // 4. Every line indented by the same extra whitespace.
  stripIndent(lines, diagnostics, opts.flows ?? false, opts.vsctlShow ?? false);
  // 4b. Only the first line indented, every other at the margin: the copy began before the
  // first character (` # Generated by iptables-save v1.6.0 …` above `*raw`). A dump's records
  // keep their own leading space.
  const at = lines.findIndex((l) => l.trim() !== '');
  const rest = lines.slice(at + 1).filter((l) => l.trim() !== '');
  const lead = at < 0 ? '' : /^[ \t]+/.exec(lines[at]!)?.[0];
  if (!opts.flows && lead && rest.length >= 2 && rest.every((l) => /^\S/.test(l))) {
    lines[at] = lines[at]!.slice(lead.length);
    diagnostics.push(
      diag(
        'warning',
        at + 1,
        'reindented',
        `the first line indented by ${JSON.stringify(lead)}, the others not (a paste): read without it`,
      ),
    );
  }
  // 5. A note after a record's actions (` # …`, an annotated copy).
  if (opts.flows) dropFlowNotes(lines, diagnostics);
  // 6. Wrapped dump-flows records.
  const refused = opts.flows ? rejoinFlows(lines, diagnostics) : undefined;
  return {
    text: lines.join('\n'),
    diagnostics,
    ...(excerpt !== undefined ? { excerpt, elisions } : {}),
    ...(refused !== undefined ? { refused } : {}),
  };
}

/**
 * Where a note pasted after a record's actions starts (the blanks before its `#`), else -1. ovs-ofctl
 * prints no `#` in a flow (a name holding one is quoted; ovs-ofctl's own flow files take `#` for a
 * comment, lib/dynamic-string.c ds_get_preprocessed_line), so a `#` after `actions=` with a blank
 * before it, outside quotes and parentheses, starts the operator's note.
 */
export function flowNoteAt(line: string): number {
  const a = line.indexOf('actions=');
  if (a < 0) return -1;
  let depth = 0;
  for (let i = a + 8; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      for (i++; i < line.length && line[i] !== '"'; i++) if (line[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === '#' && depth === 0 && /[ \t]/.test(line[i - 1]!)) {
      let j = i;
      while (j > a && /[ \t]/.test(line[j - 1]!)) j--;
      return j;
    }
  }
  return -1;
}

/** Notes after records' actions (blanks, then `#`): dropped, said once at the first. */
function dropFlowNotes(lines: string[], diagnostics: Diagnostic[]): void {
  let first: number | undefined;
  let count = 0;
  let text: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const at = flowNoteAt(lines[i]!);
    if (at < 0) continue;
    count++;
    if (first === undefined) {
      first = i;
      text = lines[i]!.slice(at).trim();
    }
    lines[i] = lines[i]!.slice(0, at);
  }
  if (first === undefined) return;
  diagnostics.push(
    diag(
      'warning',
      first + 1,
      'inline-note',
      `${count === 1 ? 'a note after the actions' : `notes after the actions on ${count} lines, the first here`} (blanks, then #: an annotated copy): dropped`,
      text,
    ),
  );
}

/** Every line indented by the same extra whitespace (a paste): read without it, said. */
function stripIndent(lines: string[], diagnostics: Diagnostic[], flows: boolean, vsctlShow: boolean): void {
  // (A headerless dump's records have one space of their own.)
  let prefix = commonIndent(lines);
  if (flows && prefix === ' ') prefix = '';
  if (prefix !== '') {
    const first = lines.findIndex((l) => l.trim() !== '');
    // ovs-vsctl show's own 4 spaces, its UUID line not copied: read at the margin, nothing to say.
    const own = vsctlShow && prefix === '    ' && /^ {4}(?:Bridge|Manager|ovs_version:)/.test(lines[first]!);
    for (let i = 0; i < lines.length; i++)
      if (lines[i]!.trim() !== '') lines[i] = lines[i]!.slice(prefix.length);
    if (own) return;
    diagnostics.push(
      diag(
        'warning',
        first + 1,
        'reindented',
        `every line indented by ${JSON.stringify(prefix)} (a paste): read without it`,
      ),
    );
  }
}

function decodeEntity(e: string): string {
  const n = e.slice(1, -1).toLowerCase();
  if (n === 'quot') return '"';
  if (n === 'lt') return '<';
  if (n === 'gt') return '>';
  if (n === 'amp') return '&';
  if (n === 'apos') return "'";
  if (n === 'nbsp') return ' ';
  const code = n.startsWith('#x') ? Number.parseInt(n.slice(2), 16) : Number(n.slice(1));
  return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : e;
}

function commonIndent(lines: readonly string[]): string {
  let prefix: string | undefined;
  for (const l of lines) {
    if (l.trim() === '') continue;
    const ws = /^[ \t]*/.exec(l)![0];
    if (prefix === undefined) prefix = ws;
    else {
      let k = 0;
      while (k < prefix.length && k < ws.length && prefix[k] === ws[k]) k++;
      prefix = prefix.slice(0, k);
    }
    if (prefix === '') return '';
  }
  return prefix ?? '';
}

/** Lines of a dump that are no record: headers, OVS's messages, decode error blocks. */
function notRecord(l: string): boolean {
  const t = l.trim();
  return (
    t === '' ||
    /^(?:NXST|OFPST)_FLOW reply\b/.test(t) ||
    VLOG.test(t) ||
    /^(?:ovs-ofctl|ovs-vsctl|ovs-appctl): /.test(t) ||
    t.includes('***decode error') ||
    /^[0-9a-f]{8} {1,2}[0-9a-f ]{2,}/.test(t)
  );
}

function parsesWhole(t: string): boolean {
  try {
    const f = parseFlow(t.trim());
    return !f.actions.some((a) => a.type === 'unsupported') && !f.match.some((m) => m.kind === 'unsupported');
  } catch (e) {
    if (e instanceof FlowSyntaxError) return false;
    throw e;
  }
}

const indent = (l: string): number => /^[ \t]*/.exec(l)![0].length;

/** Lines one record may be wrapped over (a 2,500-character flow folded at 40 columns). */
export const MAX_WRAPPED_LINES = 64;
/** Joins tried per wrapped record before it is refused. */
const MAX_JOINS = 512;

/**
 * How the parts of a wrapped record join, most likely first. At each break a space was lost (a
 * ticket or mail client wraps at a blank and drops it) or nothing was (a terminal cuts at the
 * column). Blanks kept at either side of a break say a space; a break in the actions (which hold
 * no blank) lost nothing; otherwise a part as long as the longest part says a cut (nothing lost),
 * a shorter one a wrap at a blank. Alternatives flip the fewest of those last breaks first, up to
 * MAX_JOINS candidates in all.
 */
function* joins(parts: readonly string[]): Generator<string> {
  const breaks = parts.length - 1;
  const width = Math.max(...parts.slice(0, -1).map((p) => p.length));
  const pref: string[] = [];
  const open: number[] = [];
  let head = '';
  for (let j = 0; j < breaks; j++) {
    const l = parts[j]!;
    const r = parts[j + 1]!;
    head += l.trim();
    if (/[ \t]\r?$/.test(l) || /^[ \t]/.test(r)) pref.push(' ');
    // ovs-ofctl prints no blank in actions: a break after `actions=` lost nothing.
    else if (head.includes('actions=')) pref.push('');
    else {
      pref.push(l.length >= width ? '' : ' ');
      open.push(j);
    }
  }
  const build = (flip: ReadonlySet<number>): string => {
    let out = parts[0]!.trimEnd();
    for (let j = 0; j < breaks; j++) {
      const sep = flip.has(j) ? (pref[j] === '' ? ' ' : '') : pref[j]!;
      out += sep + parts[j + 1]!.trim();
    }
    return out;
  };
  // Subsets of the uncertain breaks by size: 0 flips, then 1, then 2, ...
  let tried = 0;
  for (let k = 0; k <= open.length; k++) {
    const idx = Array.from({ length: k }, (_, n) => n);
    for (;;) {
      if (tried++ === MAX_JOINS) return;
      yield build(new Set(idx.map((n) => open[n]!)));
      let m = k - 1;
      while (m >= 0 && idx[m] === open.length - k + m) m--;
      if (m < 0) break;
      idx[m]!++;
      for (let n = m + 1; n < k; n++) idx[n] = idx[n - 1]! + 1;
    }
  }
}

const HEADER_START = /^\s*(?:NXST|OFPST)_FLOW reply\b/;
const HEADER = /^(?:NXST|OFPST)_FLOW reply(?: \(OF1\.\d\))? \(xid=0x[0-9a-f]+\):(?: flags=\[more\])?$/;

/** The dump's header line wrapped (at under 40 columns): rejoined when whole, else left. */
function rejoinHeader(lines: string[], i: number, diagnostics: Diagnostic[]): void {
  const parts = [lines[i]!];
  const at = [i];
  for (let j = i + 1; j < lines.length && parts.length < 8; j++) {
    const b = lines[j]!;
    // A blank line ends the header: a paste's wrap never adds one.
    if (b.trim() === '') break;
    if (b.includes('actions=') || indent(b) > 0) break;
    parts.push(b);
    at.push(j);
    for (const c of joins(parts)) {
      if (!HEADER.test(c.trim())) continue;
      lines[i] = c;
      for (const k of at.slice(1)) lines[k] = '';
      diagnostics.push(
        diag(
          'warning',
          i + 1,
          'rejoined',
          `the header wrapped over lines ${i + 1}-${j + 1} (a paste): rejoined`,
          c,
        ),
      );
      return;
    }
  }
}

/**
 * A record broken over lines by a terminal or a ticket (any width): its continuation lines sit at
 * the margin, less indented than records (which ovs-ofctl prints with a leading space); where
 * indentation says nothing, a part without `actions=` goes on with the next line, and after it a
 * line without `actions=` that does not start a record (`cookie=`, `duration=`). Rejoined when the
 * result parses whole as one flow. Lines taken for one wrapped record that rejoin into no flow, or
 * over more than MAX_WRAPPED_LINES lines, are refused (corrupt, named by their first line) and
 * blanked: never read as flows of their own, `--lenient` included. Returns the first refused line.
 */
function rejoinFlows(lines: string[], diagnostics: Diagnostic[]): number | undefined {
  let refused: number | undefined;
  // The text ends without its newline: its last record may be cut there (the dump parser says so).
  const cutAtEnd = lines.length > 0 && lines[lines.length - 1] !== '';
  for (let i = 0; i < lines.length; i++) {
    const a = lines[i]!;
    // The common case first: a record and the next line each with their actions.
    if (a.includes('actions=') && (lines[i + 1]?.includes('actions=') ?? true)) continue;
    if (HEADER_START.test(a) && !HEADER.test(a.trim())) {
      rejoinHeader(lines, i, diagnostics);
      continue;
    }
    if (notRecord(a)) continue;
    const k = indent(a);
    const parts = [a];
    const at = [i];
    // A part without actions= is never a whole record: the next line goes on with it (the word
    // itself may be cut: `a` / `ctions=`).
    let open = !a.includes('actions=');
    for (let j = i + 1; j < lines.length; j++) {
      const b = lines[j]!;
      // A wrap never adds a blank line: one ends the record (a record whole before it stands
      // alone; the poster's prose after it is no part of it, and is judged on its own).
      if (b.trim() === '') break;
      if (notRecord(b)) break;
      const cont =
        k > 0
          ? indent(b) < k || open
          : open || (!b.includes('actions=') && !/^(?:cookie|duration)=/.test(b.trimStart()));
      if (!cont) break;
      open &&= !`${parts[parts.length - 1]!.trim().slice(-8)}${b.trim()}`.includes('actions=');
      parts.push(b);
      at.push(j);
    }
    if (parts.length === 1) continue;
    const last = at[at.length - 1]!;
    const span = `${i + 1}-${last + 1}`;
    const tooLong = parts.length > MAX_WRAPPED_LINES;
    let done = false;
    // The longest span that parses whole as one record. Lines at the margin under an indented
    // record are its continuation for sure: all of them, or none (a record left out of a rejoined
    // head would read as a shorter flow); without indentation a new record may have been taken in.
    const least = k > 0 ? parts.length : 2;
    for (let n = tooLong ? 0 : parts.length; n >= least && !done; n--) {
      for (const c of joins(parts.slice(0, n))) {
        if (c.split('actions=').length !== 2 || !parsesWhole(c)) continue;
        lines[i] = c;
        for (const j of at.slice(1, n)) lines[j] = '';
        diagnostics.push(
          diag(
            'warning',
            i + 1,
            'rejoined',
            `a record wrapped over lines ${i + 1}-${at[n - 1]! + 1} (a paste): rejoined`,
            c,
          ),
        );
        done = true;
        break;
      }
    }
    if (done) continue;
    // A record cut at the end of the text: the dump parser reads its last line as cut off.
    if (cutAtEnd && last === lines.length - 1 && !tooLong) continue;
    diagnostics.push(
      diag(
        'corrupt',
        i + 1,
        'wrapped-unreadable',
        tooLong
          ? `a record wrapped over more than ${MAX_WRAPPED_LINES} lines from here (a paste): not read, paste the dump unwrapped`
          : `lines ${span} are one record wrapped over several lines (a paste) that rejoins into no flow: not read, paste the dump unwrapped`,
        a,
      ),
    );
    refused ??= i + 1;
    for (const j of at) lines[j] = '';
    i = last;
  }
  return refused;
}
