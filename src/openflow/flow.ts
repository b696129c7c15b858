// One flow line, as `ovs-ofctl dump-flows` prints it (any form: with or without statistics, OF1.0
// or OF1.3, --names) or as `ovs-ofctl add-flow` takes it. parseFlow ∘ formatFlow is the identity
// on what OVS prints.
import { ownString, TEXT_HASH_BASIS, TEXT_HASH_PRIME, textHash } from '../memo/bounded-memo.ts';
import { formatActions } from './actions.ts';
import { charsAlone, charsFrom, charsOf, forgetChars, unitsAt, unitsOf } from './chars.ts';
import { FlowSyntaxError, syntaxError } from './errors.ts';
import { formatMatchItem, matchError } from './match.ts';
import { firstOf, matchItemHashed, resetSharedNodes, sharedActionsW } from './shared-nodes.ts';
import { splitTopLevel } from './text.ts';
import type { Action, BigValue, Flow, FlowFlag, FlowStats, MatchItem } from './types.ts';
import { DEFAULT_PRIORITY } from './types.ts';
import { formatIntValue, hexDigit, parseBigValue, parseUint, uintAt, uintW } from './values.ts';

const FLAGS: ReadonlySet<string> = new Set<FlowFlag>([
  'send_flow_rem',
  'check_overlap',
  'reset_counts',
  'no_packet_counts',
  'no_byte_counts',
]);

// Most flows have no statistics (--no-stats, add-flow text) and no flags: they share these.
const NO_STATS: FlowStats = Object.freeze({});
const NO_FLAGS = Object.freeze([]) as unknown as FlowFlag[];
// What a flow's match and actions are until the line is read (never what a parse returns).
const NO_MATCH = Object.freeze([]) as unknown as MatchItem[];
const NO_ACTIONS = Object.freeze([]) as unknown as Action[];

/** The flow being read (parseFlowAt): its header fields and flags, before the flow is made. */
const cur: Flow = {
  cookie: undefined,
  table: 0,
  tableShown: false,
  priority: DEFAULT_PRIORITY,
  priorityShown: false,
  stats: NO_STATS,
  idle_timeout: undefined,
  hard_timeout: undefined,
  importance: undefined,
  flags: NO_FLAGS,
  match: NO_MATCH,
  actions: NO_ACTIONS,
};

/** `actions=` in src[s, e) that starts a word, or -1. */
function findActions(src: string, s: number, e: number): number {
  let i = src.indexOf('actions=', s);
  while (i > s && i + 8 <= e) {
    const c = src.charCodeAt(i - 1);
    if (c === 32 || c === 44) break;
    i = src.indexOf('actions=', i + 1);
  }
  return i >= 0 && i + 8 <= e ? i : -1;
}

/** Whether src holds `word` at `at` (no substring made, unlike startsWith's slow path). */
function wordAt(src: string, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (src.charCodeAt(at + k) !== word.charCodeAt(k)) return false;
  return true;
}

// The cookie is the same on most flows of a dump: remember the last one parsed.
let lastCookieText = '';
let lastCookie: BigValue | undefined;

/** Forget shared nodes (benchmarks measure a cold parse; tests check independence). */
export function resetFlowSharing(): void {
  resetSharedNodes();
  lastCookie = undefined;
}

// The last cookie's value when it is 0x-hex (as dumps print it), in 32-bit halves, and its length:
// the next line's cookie is compared by value in one reading of its digits (an equal value with as
// many digits is an equal node, whatever the case of its letters).
let lastHex = false;
let lastHi = 0;
let lastLo = 0;
let lastLen = 0;

// What readHex64 read.
let hexHi = 0;
let hexLo = 0;

/**
 * The 0x-hex number of 1 to 16 digits at [vs, end) of the window w (from o) into hexHi and hexLo;
 * false for any other text.
 */
function readHex64(w: Uint16Array, o: number, vs: number, end: number): boolean {
  const n = end - vs - 2;
  if (n < 1 || n > 16 || w[vs - o] !== 48 || w[vs + 1 - o] !== 120) return false;
  const split = end - Math.min(n, 8);
  let hi = 0;
  let lo = 0;
  for (let i = vs + 2; i < end; i++) {
    const d = hexDigit(w[i - o]!);
    if (d < 0) return false;
    if (i < split) hi = hi * 16 + d;
    else lo = lo * 16 + d;
  }
  // As int32 (| 0): a module variable holding a number past 2^31 is a heap number, one allocated
  // per line (a cookie's high half usually is).
  hexHi = hi | 0;
  hexLo = lo | 0;
  return true;
}

function cookieAt(line: string, w: Uint16Array, o: number, vs: number, end: number): BigValue {
  if (lastCookie !== undefined) {
    if (lastHex) {
      if (end - vs === lastLen && readHex64(w, o, vs, end) && hexHi === lastHi && hexLo === lastLo)
        return lastCookie;
    } else if (end - vs === lastCookieText.length && wordAt(line, vs, lastCookieText)) return lastCookie;
  }
  const val = line.slice(vs, end);
  lastCookie = parseBigValue(val, 64, true, 'cookie');
  lastCookieText = ownString(val);
  lastLen = end - vs;
  lastHex = readHex64(w, o, vs, end);
  lastHi = hexHi;
  lastLo = hexLo;
  return lastCookie;
}

/** An unsigned value of at most `bits` bits at line[vs, end); the general parser says what is wrong. */
function uintIn(
  line: string,
  w: Uint16Array,
  o: number,
  vs: number,
  end: number,
  bits: 8 | 16,
  what: string,
): number {
  const n = uintW(w, o, vs, end);
  // A constant bound: `2 ** bits` is a call to Math.pow on every header field of every line.
  return n >= 0 && n <= (bits === 8 ? 0xff : 0xffff) ? n : parseUint(line.slice(vs, end), bits, what);
}

function badDuration(line: string, vs: number, end: number): never {
  const val = line.slice(vs, end);
  return syntaxError(`duration "${val}" is not N.NNNs`, val);
}

/** Seconds of `278700.004s`, and the decimals printed. */
function durationAt(line: string, vs: number, end: number): [number, number] {
  if (end - vs < 2 || line.charCodeAt(end - 1) !== 115) badDuration(line, vs, end);
  const dot = line.indexOf('.', vs);
  const hasDot = dot >= 0 && dot < end;
  const int = uintAt(line, vs, hasDot ? dot : end - 1);
  const digits = hasDot ? end - 1 - dot - 1 : 0;
  const f = digits === 0 ? 0 : uintAt(line, dot + 1, end - 1);
  if (int < 0 || f < 0 || (hasDot && digits === 0)) badDuration(line, vs, end);
  return [int + f / 10 ** digits, digits];
}

function statsOf(f: Flow): FlowStats {
  // All six from the start: one object shape, all of it in the object (see the Flow literal).
  if (f.stats === NO_STATS)
    f.stats = {
      duration: undefined,
      durationDigits: undefined,
      n_packets: undefined,
      n_bytes: undefined,
      idle_age: undefined,
      hard_age: undefined,
    };
  return f.stats;
}

/**
 * What ovs-ofctl prints before the match, in its order; the rest is match. Numbered: setHeader sets
 * each in one switch (a table of closures made each of a line's three or four header fields a call
 * through V8's generic Call builtin).
 */
const HEADER = [
  'cookie',
  'duration',
  'table',
  'n_packets',
  'n_bytes',
  'idle_age',
  'hard_age',
  'idle_timeout',
  'hard_timeout',
  'importance',
  'priority',
] as const;

/** Sets the header field HEADER[id] of f from its value at line[vs, end). */
function setHeader(
  id: number,
  f: Flow,
  line: string,
  w: Uint16Array,
  o: number,
  vs: number,
  end: number,
): void {
  switch (id) {
    case 0:
      f.cookie = cookieAt(line, w, o, vs, end);
      return;
    case 1: {
      const st = statsOf(f);
      [st.duration, st.durationDigits] = durationAt(line, vs, end);
      return;
    }
    case 2:
      f.table = uintIn(line, w, o, vs, end, 8, 'table');
      f.tableShown = true;
      return;
    case 3:
    case 4:
    case 5:
    case 6: {
      const key = HEADER[id] as 'n_packets' | 'n_bytes' | 'idle_age' | 'hard_age';
      const n = uintW(w, o, vs, end);
      statsOf(f)[key] = n >= 0 ? n : parseUint(line.slice(vs, end), 64, key);
      return;
    }
    case 7:
      f.idle_timeout = uintIn(line, w, o, vs, end, 16, 'idle_timeout');
      return;
    case 8:
      f.hard_timeout = uintIn(line, w, o, vs, end, 16, 'hard_timeout');
      return;
    case 9:
      f.importance = uintIn(line, w, o, vs, end, 16, 'importance');
      return;
    default:
      f.priority = uintIn(line, w, o, vs, end, 16, 'priority');
      f.priorityShown = true;
  }
}

// The match items of the flow being parsed (the first `items` of scratch; copied out at the end at
// their exact count: setting an array's length to 0 lets go of its store, which push then grows
// anew per flow). And each one's code for matchError, recorded as it is read.
const scratch: MatchItem[] = [];
let items = 0;
let codes = new Int32Array(64);

// HEADER by key length, each with the textHash of its key: most tokens are match items, turned
// away by one array read and a comparison of hashes the tokenizer computed as it read the key.
const HEADER_BY_LEN: { codes: number[]; hash: number; id: number }[][] = [];
for (const [id, key] of HEADER.entries()) {
  const same = HEADER_BY_LEN[key.length] ?? [];
  same.push({ codes: unitsOf(key), hash: textHash(key, 0, key.length), id });
  HEADER_BY_LEN[key.length] = same;
}

/** The header field whose key is line[start, keyEnd) (hk its textHash), found without cutting it out. */
function headerAt(w: Uint16Array, o: number, start: number, keyEnd: number, hk: number): number {
  const hs = HEADER_BY_LEN[keyEnd - start];
  if (hs === undefined) return -1;
  for (let k = 0; k < hs.length; k++) {
    const h = hs[k]!;
    if (h.hash === hk && unitsAt(w, o, start, h.codes)) return h.id;
  }
  return -1;
}

// HEADER by the first character of its key, each key with its `=`: dumps print these first.
const HEADER_BY_FIRST: ({ codes: number[]; id: number }[] | undefined)[] = [];
for (const [id, key] of HEADER.entries()) {
  const c = key.charCodeAt(0);
  const same = HEADER_BY_FIRST[c] ?? [];
  same.push({ codes: unitsOf(`${key}=`), id });
  HEADER_BY_FIRST[c] = same;
}

/**
 * The header fields ovs-ofctl prints before the match (cookie, duration, table, statistics,
 * priority...), read from src[i, ai) by their key's characters, neither hashed nor looked up as
 * the tokens after them are; where the header ends, the index of the first token that is none.
 * -1 at a parenthesis or a quote: the line is for parseFlowAt's careful path.
 */
function headerPrefix(
  flow: Flow,
  src: string,
  w: Uint16Array,
  o: number,
  s: number,
  e: number,
  ai: number,
): number {
  let i = s;
  for (;;) {
    let c = w[i - o]!;
    while (i < ai && (c === 44 || c === 32)) c = w[++i - o]!;
    if (i >= ai) return i;
    const hs = HEADER_BY_FIRST[c];
    if (hs === undefined) return i;
    let id = -1;
    let vs = i;
    for (let k = 0; k < hs.length; k++) {
      const h = hs[k]!;
      if (i + h.codes.length <= ai && unitsAt(w, o, i, h.codes)) {
        id = h.id;
        vs = i + h.codes.length;
        break;
      }
    }
    if (id < 0) return i;
    let end = vs;
    for (c = w[end - o]!; end < ai && c !== 44 && c !== 32; c = w[++end - o]!)
      if (c === 40 || c === 34) return -1;
    try {
      setHeader(id, flow, src, w, o, vs, end);
    } catch (err) {
      throw withColumn(err, src.slice(s, e), i - s + 1);
    }
    i = end;
  }
}

// The flags' names are 12 to 16 characters long: a shorter word (ip, arp, tcp...) is none.
const FLAG_MIN = Math.min(...[...FLAGS].map((x) => x.length));

/**
 * One `key[=value]` token at line[start, end): header field, flag or match item. hk is the
 * textHash of its key (the whole token when it has no `=`).
 */
function token(
  f: Flow,
  line: string,
  w: Uint16Array,
  o: number,
  start: number,
  eq: number,
  slash: number,
  end: number,
  hk: number,
): void {
  const header = headerAt(w, o, start, eq < 0 ? end : eq, hk);
  if (header >= 0) {
    setHeader(header, f, line, w, o, eq < 0 ? end : eq + 1, end);
    return;
  }
  if (eq < 0 && end - start >= FLAG_MIN) {
    const key = line.slice(start, end);
    if (FLAGS.has(key)) {
      if (f.flags === NO_FLAGS) f.flags = [];
      f.flags.push(ownString(key) as FlowFlag);
      return;
    }
  }
  const at = items;
  if (at === codes.length) {
    const wider = new Int32Array(2 * at);
    wider.set(codes);
    codes = wider;
  }
  scratch[at] = matchItemHashed(line, w, o, start, eq, slash, end, hk, codes, at);
  items = at + 1;
}

function withColumn(e: unknown, line: string, column: number): unknown {
  return e instanceof FlowSyntaxError ? new FlowSyntaxError(e.message, line, column) : e;
}

/** Nothing read yet into the flow being read (and none of its match items). */
function startFlow(flow: Flow): void {
  flow.cookie = undefined;
  flow.table = 0;
  flow.tableShown = false;
  flow.priority = DEFAULT_PRIORITY;
  flow.priorityShown = false;
  flow.stats = NO_STATS;
  flow.idle_timeout = undefined;
  flow.hard_timeout = undefined;
  flow.importance = undefined;
  flow.flags = NO_FLAGS;
  items = 0;
}

/** What each ASCII character is to quickMatch's tokenizer: 0 nothing, 1 a separator, 2 `=`, 3 `/`, 4 `(` or `"`. */
const CHAR_CLASS = new Uint8Array(128);
CHAR_CLASS[44] = 1;
CHAR_CLASS[32] = 1;
CHAR_CLASS[61] = 2;
CHAR_CLASS[47] = 3;
CHAR_CLASS[40] = 4;
CHAR_CLASS[34] = 4;

/**
 * Reads the header and match of the flow at src[s, ai) into flow (w from o: chars.ts); false at a
 * parenthesis or a quote, with whatever it read left for startFlow to forget.
 */
function quickMatch(
  flow: Flow,
  src: string,
  w: Uint16Array,
  o: number,
  s: number,
  e: number,
  ai: number,
): boolean {
  let i = headerPrefix(flow, src, w, o, s, e, ai);
  if (i < 0) return false;
  for (;;) {
    let c = w[i - o]!;
    while (i < ai && (c === 44 || c === 32)) c = w[++i - o]!;
    if (i >= ai) return true;
    const start = i;
    let eq = -1;
    let slash = -1;
    // The textHash of its key (what precedes the first `=`; the whole token when it has none), as
    // it is read: the value's is taken only when the token is looked up by its text.
    let h = TEXT_HASH_BASIS;
    let hk = 0;
    for (; i < ai; c = w[++i - o]!) {
      const k = c < 128 ? CHAR_CLASS[c]! : 0;
      if (k !== 0) {
        if (k === 1) break;
        if (k === 2) {
          if (eq < 0) {
            eq = i;
            hk = h;
          }
        } else if (k === 3) {
          if (eq >= 0 && slash < 0) slash = i;
        } else return false;
      }
      if (eq < 0) h = Math.imul(h ^ c, TEXT_HASH_PRIME);
    }
    try {
      token(flow, src, w, o, start, eq, slash, i, eq < 0 ? h : hk);
    } catch (err) {
      throw withColumn(err, src.slice(s, e), start - s + 1);
    }
  }
}

/** parseFlowAt is done with the text it read in place: keep nothing of it. */
export function releaseFlowText(): void {
  forgetChars();
}

/** The lines of one dump are parsed next, in order (parseFlowAt's inOrder), until releaseFlowText. */
export function holdFlowText(): void {
  forgetChars();
}

/** Parse one flow. Throws FlowSyntaxError (with the column) on text that is not a flow. */
export function parseFlow(text: string): Flow {
  const line = text.trim();
  try {
    return parseFlowAt(line, 0, line.length);
  } finally {
    releaseFlowText();
  }
}

/**
 * Parse the flow at src[s, e) (no surrounding blanks): a dump's line read in place, without cutting
 * it out of the dump. Throws FlowSyntaxError with the column within the flow text.
 */
export function parseFlowAt(src: string, s: number, e: number, actionsAt = -1, inOrder = false): Flow {
  // Where `actions=` starts when the caller found it already (a blank or comma before it).
  const ai = actionsAt >= 0 ? actionsAt : findActions(src, s, e);
  if (ai < 0) syntaxError('no "actions=" in flow', src.slice(s, e));
  // The line is read into `cur`, one object for every line; the flow is made once it is read, all
  // of its properties in one literal: a flow made first and filled in as the line is read takes a
  // write barrier per store once V8 allocates a dump's flows where long-lived objects go.
  const flow = cur;
  startFlow(flow);
  const w = charsOf(src, s, e, inOrder);
  const o = charsFrom;
  // The match read by hand; quoted names and parentheses can hold separators: a line with either
  // before `actions=` is read again, carefully.
  if (!quickMatch(flow, src, w, o, s, e, ai)) {
    startFlow(flow);
    const line = src.slice(s, e);
    for (const tok of splitTopLevel(src.slice(s, ai), ', ')) {
      if (tok === '') continue;
      const eq = tok.indexOf('=');
      try {
        token(
          flow,
          tok,
          charsAlone(tok),
          0,
          0,
          eq,
          eq < 0 ? -1 : tok.indexOf('/', eq),
          tok.length,
          textHash(tok, 0, eq < 0 ? tok.length : eq),
        );
      } catch (err) {
        throw withColumn(err, line, line.indexOf(tok) + 1);
      }
    }
  }
  // A field without its prerequisite, or given twice with different values (checked once the
  // line is read).
  if (items > 0) {
    const c = matchError(scratch, codes, items);
    if (c !== undefined) {
      const at = src.lastIndexOf(formatMatchItem(c.item), ai);
      throw new FlowSyntaxError(c.message, src.slice(s, e), at >= s ? at - s + 1 : undefined);
    }
  }
  const match = firstOf(scratch, items);
  let actions: Action[];
  try {
    actions = sharedActionsW(src, w, o, ai + 8, e);
  } catch (err) {
    throw withColumn(err, src.slice(s, e), ai - s + 9);
  }
  return {
    cookie: flow.cookie,
    table: flow.table,
    tableShown: flow.tableShown,
    priority: flow.priority,
    priorityShown: flow.priorityShown,
    stats: flow.stats,
    idle_timeout: flow.idle_timeout,
    hard_timeout: flow.hard_timeout,
    importance: flow.importance,
    flags: flow.flags,
    match,
    actions,
  };
}

/** The flow as ovs-ofctl prints it (without the leading space of a dump line). */
export function formatFlow(f: Flow): string {
  let s = '';
  if (f.cookie) s += `cookie=${formatIntValue(f.cookie)}, `;
  const st = f.stats;
  if (st.duration !== undefined) s += `duration=${st.duration.toFixed(st.durationDigits ?? 3)}s, `;
  if (f.tableShown) s += `table=${f.table}, `;
  if (st.n_packets !== undefined) s += `n_packets=${st.n_packets}, `;
  if (st.n_bytes !== undefined) s += `n_bytes=${st.n_bytes}, `;
  if (f.idle_timeout !== undefined) s += `idle_timeout=${f.idle_timeout}, `;
  if (f.hard_timeout !== undefined) s += `hard_timeout=${f.hard_timeout}, `;
  // OVS prints flags (OF1.3+ only) before importance; idle/hard_age only exist in OF1.0 dumps.
  for (const fl of f.flags) s += `${fl} `;
  if (f.importance !== undefined) s += `importance=${f.importance}, `;
  if (st.idle_age !== undefined) s += `idle_age=${st.idle_age}, `;
  if (st.hard_age !== undefined) s += `hard_age=${st.hard_age}, `;
  s += formatFlowMatch(f);
  if (s !== '' && !s.endsWith(' ')) s += ' ';
  return `${s}actions=${formatActions(f.actions)}`;
}

/** `priority=4,in_port=2,dl_vlan=1`: the part that identifies a flow within its table. */
export function formatFlowMatch(f: Flow): string {
  const parts: string[] = [];
  if (f.priorityShown) parts.push(`priority=${f.priority}`);
  for (const m of f.match) parts.push(formatMatchItem(m));
  return parts.join(',');
}

/** The flow as design.md quotes it: match and actions as dumped, without cookie, stats and table. */
export function formatFlowRule(f: Flow): string {
  const m = formatFlowMatch(f);
  return `${m === '' ? '' : `${m} `}actions=${formatActions(f.actions)}`;
}
