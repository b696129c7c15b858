// `ovs-ofctl dump-flows <br>` in every form: NXST_FLOW (OF1.0, idle_age/hard_age), OFPST_FLOW
// (OF1.3+), --no-stats, --names (no header), headerless pastes; with OVS's own errors, log lines
// and `***decode error***` blocks kept as diagnostics.
import { FlowSyntaxError } from '../openflow/errors.ts';
import { holdFlowText, parseFlowAt, releaseFlowText } from '../openflow/flow.ts';
import { NextOccurrence } from '../openflow/text.ts';
import type { Flow, OpenFlowVersion } from '../openflow/types.ts';
import { unsupportedMade } from '../openflow/unsupported.ts';
import {
  binaryCheck,
  type Diagnostic,
  diag,
  MAX_LINE,
  noFinalNewline,
  ovsMessage,
  type Parsed,
  VLOG,
} from './diagnostics.ts';
import { FlowIndex, LAZY_DUMP_BYTES } from './flow-index.ts';
import { toolErrorAt } from './tool-errors.ts';

export type { OpenFlowVersion } from '../openflow/types.ts';

export interface DumpedFlow {
  flow: Flow;
  /** 1-based line in the file. */
  line: number;
  /** The line as printed, without its leading indentation. */
  text: string;
}

export interface FlowDump<E = DumpedFlow> {
  /** From the header line; undefined for headerless output. */
  version?: OpenFlowVersion;
  header?: string;
  flows: E[];
  /** False when OVS stopped early (decode error, connection failure): flows may be missing. */
  complete: boolean;
  /** A big dump read as an index (options.lazy): `flows` parses every line when first asked. */
  index?: FlowIndex<E>;
}

// Large dumps come as several replies, each with its header; all but the last say flags=[more].
const HEADER = /^(NXST|OFPST)_FLOW reply(?: \(OF1\.(\d)\))? \(xid=0x[0-9a-f]+\):(?: flags=\[more\])?$/;
/** The header with its colon lost (a hand-edited paste): read as the header, said. */
const HEADER_NO_COLON =
  /^(NXST|OFPST)_FLOW reply(?: \(OF1\.(\d)\))? \(xid=0x[0-9a-f]+\)(?: flags=\[more\])?$/;
const HEX_DUMP = /^[0-9a-f]{8} {1,2}[0-9a-f ]{2,}/;

export interface DumpFlowsOptions {
  /** The command always prints a header (default form with statistics): an empty file is corrupt. */
  expectOutput?: boolean;
  /**
   * Read a dump of at least `from` bytes (default LAZY_DUMP_BYTES) as an index (flow-index.ts):
   * its flows are parsed when asked for; `file` names it in the errors that may raise then.
   */
  lazy?: { file: string; from?: number };
  /**
   * The text may still hold another tool's error lines (tool-errors.ts), said here as the reader
   * would have: a 40 MB dump is then not searched for them apart (flow lines never are one).
   */
  toolErrors?: boolean;
}

export function parseDumpFlows(text: string, opts?: DumpFlowsOptions): Parsed<FlowDump>;
/**
 * `entry` makes what the dump keeps of each flow: the Snapshot's entry straight away, so that a
 * 200k-flow dump does not first build (and the garbage collector copy) an intermediate per flow.
 */
export function parseDumpFlows<E>(
  text: string,
  opts: DumpFlowsOptions,
  entry: (flow: Flow, line: number) => E,
): Parsed<FlowDump<E>>;
export function parseDumpFlows<E>(
  text: string,
  opts: DumpFlowsOptions = {},
  entry?: (flow: Flow, line: number) => E,
): Parsed<FlowDump<E | DumpedFlow>> {
  try {
    holdFlowText();
    return readDump(text, opts, entry);
  } finally {
    releaseFlowText();
  }
}

function readDump<E>(
  text: string,
  opts: DumpFlowsOptions,
  entry: ((flow: Flow, line: number) => E) | undefined,
): Parsed<FlowDump<E | DumpedFlow>> {
  const ACTIONS = new NextOccurrence('actions=');
  // One warning per unmodelled action or match, at its first flow, with how many flows have it.
  const odd = new Map<string, { d: Diagnostic; n: number }>();
  const unmodelled = (what: string, line: number, flowText: string): void => {
    const seen = odd.get(what);
    if (seen) {
      seen.n++;
      seen.d.message = unmodelledMessage(what, seen.n);
      return;
    }
    const d = diag('warning', line, 'unsupported', unmodelledMessage(what, 1), flowText);
    odd.set(what, { d, n: 1 });
    diagnostics.push(d);
  };
  const diagnostics = binaryCheck(text);
  const dump: FlowDump<E | DumpedFlow> = { flows: [], complete: diagnostics.length === 0 };
  if (!dump.complete) return { value: dump, diagnostics };
  const index =
    opts.lazy && entry && text.length >= (opts.lazy.from ?? LAZY_DUMP_BYTES)
      ? new FlowIndex<E>(text, opts.lazy.file, entry)
      : undefined;
  // The flows' array made about as long as the dump has lines (filled in by index, cut to its
  // count at the end): grown by push, a 200k-flow dump's array is copied some 25 times, and the
  // large ones each come as fresh pages from the kernel.
  const flows: (E | DumpedFlow)[] = index ? [] : new Array(linesAbout(text));
  dump.flows = flows;
  let count = 0;
  const cut = text !== '' && !text.endsWith('\n');
  // Its line, the last one, is known at the end.
  const unterminated = cut ? noFinalNewline(0) : undefined;
  if (unterminated) diagnostics.push(unterminated);
  // OVS prints a decode error as a block: the `***decode error: X***` line, the message's hex dump,
  // and its log lines; the block is one diagnostic at its first line.
  let block: { d: Diagnostic; last: number } | undefined;
  // Whether a line that is no tool error came before (options.toolErrors).
  let seen = false;
  // Line by line, not split: a 200k-line array of substrings lives as long as the parse, which
  // makes the garbage collector copy every line once more.
  let n = 0;
  // A byte order mark past the file's start (decodeText strips that one): the next, searched once.
  let bom = text.indexOf('\ufeff');
  for (let pos = 0; pos < text.length; ) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    n++;
    if (eol - pos > MAX_LINE) {
      diagnostics.push(
        diag('corrupt', n, 'line-too-long', `line is ${eol - pos} characters (limit ${MAX_LINE})`),
      );
      return { value: { flows: [], complete: false }, diagnostics };
    }
    const start = pos;
    pos = eol + 1;
    // The last line, when the file lacks its final newline: the output may have been cut there.
    const last = cut && pos > text.length;
    // The line without its surrounding blanks (what trim() would leave), read in place.
    let s = start;
    let e = eol;
    while (s < e && isBlank(text.charCodeAt(s))) s++;
    while (e > s && isBlank(text.charCodeAt(e - 1))) e--;
    if (s === e) continue;
    const a = ACTIONS.indexWithin(text, s, e);
    if (a < 0 && opts.toolErrors) {
      const t = toolErrorAt(text.slice(start, text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol), n, seen);
      if (t) {
        diagnostics.push(t);
        // After output: the command stopped part way, what it had not printed is missing. In
        // place of it: nothing is known of the flows (not an empty table).
        dump.complete = false;
        // The tool's line ends the file without a newline: it is the line, not a cut flow.
        if (unterminated && eol === text.length) diagnostics.splice(diagnostics.indexOf(unterminated), 1);
        continue;
      }
    }
    seen = true;
    if (block) {
      const raw = text.slice(start, text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol);
      if (HEX_DUMP.test(raw) || VLOG.test(raw)) {
        block.last = n;
        block.d.message = decodeMessage(block.d.line, n);
        continue;
      }
      block = undefined;
    }
    if (bom >= 0 && bom < start) bom = text.indexOf('\ufeff', start);
    if (a >= 0 && bom >= 0 && bom < eol) {
      // Inside a flow line (its start, between fields, in a value): saved or joined badly (a
      // pasted file, two dumps concatenated). Refused, never read around: which text was meant
      // is not known.
      diagnostics.push(
        diag(
          'corrupt',
          n,
          'bom-inside',
          `a byte order mark (U+FEFF) inside the flow line, at column ${bom - start + 1} (text saved or joined badly): delete it`,
          text.slice(start, text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol),
        ),
      );
      continue;
    }
    if (a >= 0) {
      // Placed now, parsed when asked for (flow-index.ts); the last line of a file without its
      // newline is parsed now: whether it was cut off decides whether the dump is complete.
      if (index && !last && (a === s || isSep(text.charCodeAt(a - 1))) && index.add(s, e, a, n)) continue;
      try {
        const flow = parseFlowAt(text, s, e, a === s || isSep(text.charCodeAt(a - 1)) ? a : -1, true);
        const odd = unsupportedMade() === 0 ? undefined : unsupportedOf(flow);
        // A last line without its newline that reads as unknown syntax was most likely cut off.
        if (last && odd !== undefined) {
          diagnostics.push(
            cutOff(n, 'last flow cut off (no newline, unknown syntax at the end)', text.slice(s, e)),
          );
          dump.complete = false;
          continue;
        }
        if (odd !== undefined) unmodelled(odd, n, text.slice(s, e));
        if (index) index.addParsed(s, e, a, n, flow, (entry as (flow: Flow, line: number) => E)(flow, n));
        else flows[count++] = entry ? entry(flow, n) : { flow, line: n, text: text.slice(s, e) };
      } catch (err) {
        if (!(err instanceof FlowSyntaxError)) throw err;
        const t = text.slice(s, e);
        if (last) {
          diagnostics.push(cutOff(n, `last flow cut off: ${err.message}`, t));
          dump.complete = false;
        } else diagnostics.push(diag('corrupt', n, 'bad-flow', err.message, t));
      }
      continue;
    }
    const raw = text.slice(start, text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol);
    // The header without the blanks a paste leaves around it (`NXST_FLOW reply (xid=0x4): `); not
    // trim(), which takes a byte order mark too (two saved dumps joined: refused below); not a
    // regex, whose `[ \t]+$` backtracks quadratically over a long run of blanks inside a line.
    let hs = 0;
    let he = raw.length;
    while (hs < he && isSpaceOrTab(raw.charCodeAt(hs))) hs++;
    while (he > hs && isSpaceOrTab(raw.charCodeAt(he - 1))) he--;
    const head = raw.slice(hs, he);
    const loose = HEADER.test(head) ? null : HEADER_NO_COLON.exec(head);
    const h = loose ?? HEADER.exec(head);
    if (loose)
      diagnostics.push(
        diag(
          'warning',
          n,
          'header-colon',
          'the header line without its colon (an edited copy): read as the header',
          raw,
        ),
      );
    if (h) {
      dump.header = head;
      dump.version = h[2] ? (`OpenFlow1${h[2]}` as OpenFlowVersion) : 'OpenFlow10';
      continue;
    }
    if (raw.includes('***decode error') || raw.includes('***parse error***')) {
      const d = diag('ovs', n, 'decode-error', decodeMessage(n, n), raw);
      diagnostics.push(d);
      dump.complete = false;
      block = { d, last: n };
      continue;
    }
    const m = ovsMessage(raw, n);
    if (m) {
      if (m.code === 'ovs-error') dump.complete = false;
      diagnostics.push(m);
      continue;
    }
    if (last) {
      diagnostics.push(cutOff(n, 'last line cut off before "actions="', raw));
      dump.complete = false;
      continue;
    }
    diagnostics.push(diag('corrupt', n, 'not-a-flow', 'not a flow line', raw));
  }
  if (unterminated) unterminated.line = n;
  flows.length = count;
  if (n === 0 && opts.expectOutput)
    diagnostics.push(diag('corrupt', 0, 'empty', 'empty file: dump-flows always prints a header line'));
  if (diagnostics.some((d) => d.severity === 'corrupt')) dump.complete = false;
  if (index) {
    Object.defineProperty(dump, 'flows', { enumerable: true, get: () => index.all() });
    dump.index = index;
    diagnostics.push(
      diag(
        'warning',
        0,
        'flows-indexed',
        `${index.count.toLocaleString('en')} flows (${(text.length / 1048576).toFixed(0)} MB): each flow is parsed and checked when a trace looks it up; lines no trace reaches are not checked (\`vifpath snapshot\` checks every line)`,
      ),
    );
  }
  return { value: dump, diagnostics };
}

/**
 * The line of a dump's first flow when no header line comes before it although the flow is in the
 * form that prints one: only the default form (OF1.0, with statistics) prints `idle_age=`, and it
 * prints `NXST_FLOW reply (xid=…):` first (OVS 3.1: `--names`, `--sort`, `--no-stats` and `-O` print
 * no idle_age, `-O` prints its own header). Such a dump lost lines above its first flow (an excerpt
 * a poster cut out); undefined when the header is there, or the form says nothing.
 */
export function headerCutAt(text: string): number | undefined {
  // A header anywhere (a dump piped through sort puts it last): the file kept it, nothing says a cut.
  if (text.includes('_FLOW reply')) return undefined;
  let n = 0;
  for (let pos = 0; pos < text.length; ) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    n++;
    const line = text.slice(pos, eol).trim();
    pos = eol + 1;
    if (line === '') continue;
    if (HEADER.test(line) || HEADER_NO_COLON.test(line)) return undefined;
    const a = line.indexOf('actions=');
    if (a < 0) continue;
    return /(?:^|[ ,])idle_age=\d/.test(line.slice(0, a)) ? n : undefined;
  }
  return undefined;
}

/**
 * About as many lines as `text` has, at least: counted in its first 64K characters, scaled by its
 * length (10% more, a few more); a bound of 1M at most (the array grows past it as needed).
 */
function linesAbout(text: string): number {
  const head = Math.min(text.length, 65536);
  let n = 1;
  for (let p = text.indexOf('\n'); p >= 0 && p < head; p = text.indexOf('\n', p + 1)) n++;
  return Math.min(1_000_000, Math.ceil(((n * text.length) / Math.max(head, 1)) * 1.1) + 16);
}

function isSpaceOrTab(c: number): boolean {
  return c === 32 || c === 9;
}

/** A blank or a comma: what precedes a key. */
function isSep(c: number): boolean {
  return c === 32 || c === 44;
}

/** What String.prototype.trim removes. */
function isBlank(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function decodeMessage(first: number, last: number): string {
  return `ovs-ofctl could not decode a flow${last > first ? ` (its error block: lines ${first}-${last})` : ''}; later flows are missing (use the -O OpenFlow13 dump)`;
}

/** The first action or match item of the flow the simulator does not model, as written. */
function unsupportedOf(f: Flow): string | undefined {
  for (let i = 0; i < f.actions.length; i++) {
    const a = f.actions[i]!;
    if (a.type === 'unsupported') return `action ${a.text}`;
  }
  for (let i = 0; i < f.match.length; i++) {
    const m = f.match[i]!;
    if (m.kind === 'unsupported') return `match ${m.text}`;
  }
  return undefined;
}

function unmodelledMessage(what: string, flows: number): string {
  return `${what} is not modelled${flows > 1 ? ` (${flows} flows, this is the first)` : ''}: a trace through such a flow lists it and proves nothing past it`;
}

/**
 * The dump ends inside a record (last line without its newline, not a whole flow): what precedes
 * is used, the dump is incomplete (not corrupt), and whatever depends on the rest says so.
 */
function cutOff(line: number, message: string, text: string): Diagnostic {
  return diag('warning', line, 'truncated', `${message}: the dump is incomplete`, text);
}
