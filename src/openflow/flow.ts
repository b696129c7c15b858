// One flow line, as `ovs-ofctl dump-flows` prints it (any form: with or without statistics, OF1.0
// or OF1.3, --names) or as `ovs-ofctl add-flow` takes it. parseFlow ∘ formatFlow is the identity
// on what OVS prints.
import { formatActions, parseActions } from './actions.ts';
import { FlowSyntaxError, syntaxError } from './errors.ts';
import { formatMatchItem, parseMatchItem } from './match.ts';
import { splitTopLevel } from './text.ts';
import type { Action, BigValue, Flow, FlowFlag, MatchItem } from './types.ts';
import { DEFAULT_PRIORITY } from './types.ts';
import { formatIntValue, parseBigValue, parseUint, uintOf } from './values.ts';

const FLAGS: ReadonlySet<string> = new Set<FlowFlag>([
  'send_flow_rem',
  'check_overlap',
  'reset_counts',
  'no_packet_counts',
  'no_byte_counts',
]);

function findActions(line: string): number {
  let i = line.indexOf('actions=');
  while (i > 0 && line[i - 1] !== ' ' && line[i - 1] !== ',') i = line.indexOf('actions=', i + 1);
  return i;
}

// Dumps repeat the same match tokens and action lists many times over (neutron installs the same
// rules per port): equal text gets one shared, immutable AST node, which saves the allocation and
// the garbage collector's work on large dumps. Bounded; holds only successfully parsed text.
const SHARE_MAX = 100_000;
const matchShare = new Map<string, MatchItem>();
const actionShare = new Map<string, Action[]>();

/** Forget shared nodes (benchmarks measure a cold parse; tests check independence). */
export function resetFlowSharing(): void {
  matchShare.clear();
  actionShare.clear();
  lastCookieText = '';
}

function sharedMatchItem(tok: string): MatchItem {
  let m = matchShare.get(tok);
  if (m === undefined) {
    m = parseMatchItem(tok);
    if (matchShare.size >= SHARE_MAX) matchShare.clear();
    matchShare.set(tok, m);
  }
  return m;
}

function sharedActions(text: string): Action[] {
  let a = actionShare.get(text);
  if (a === undefined) {
    // Frozen: the list is shared by every flow with this text.
    a = Object.freeze(parseActions(text)) as Action[];
    if (actionShare.size >= SHARE_MAX) actionShare.clear();
    actionShare.set(text, a);
  }
  return a;
}

// The cookie is the same on most flows of a dump: remember the last one parsed.
let lastCookieText = '';
let lastCookie: BigValue | undefined;

function cookieOf(val: string): BigValue {
  if (val !== lastCookieText || !lastCookie) {
    lastCookie = parseBigValue(val, 64, true, 'cookie');
    lastCookieText = val;
  }
  return lastCookie;
}

/** Seconds of `278700.004s`, and the decimals printed. */
function durationOf(val: string, tok: string): [number, number] {
  const n = val.length;
  if (n < 2 || val.charCodeAt(n - 1) !== 115) syntaxError(`duration "${val}" is not N.NNNs`, tok);
  const dot = val.indexOf('.');
  const int = uintOf(dot < 0 ? val.slice(0, -1) : val.slice(0, dot));
  const frac = dot < 0 ? '' : val.slice(dot + 1, -1);
  const f = frac === '' ? 0 : uintOf(frac);
  if (int < 0 || f < 0 || (dot >= 0 && frac === '')) syntaxError(`duration "${val}" is not N.NNNs`, tok);
  return [int + f / 10 ** frac.length, frac.length];
}

function statOf(val: string, key: string): number {
  const n = uintOf(val);
  return n >= 0 ? n : parseUint(val, 64, key);
}

/** Parse one flow. Throws FlowSyntaxError (with the column) on text that is not a flow. */
export function parseFlow(text: string): Flow {
  const line = text.trim();
  const ai = findActions(line);
  if (ai < 0) syntaxError('no "actions=" in flow', line);
  const flow: Flow = {
    table: 0,
    tableShown: false,
    priority: DEFAULT_PRIORITY,
    priorityShown: false,
    stats: {},
    flags: [],
    match: [],
    actions: [],
  };
  // Quoted names and parentheses can hold separators: split those carefully, the rest by hand.
  const head = line.slice(0, ai);
  const nested = head.includes('"') || head.includes('(');
  const tokens = nested ? splitTopLevel(head, ', ') : undefined;
  let k = 0;
  let i = 0;
  for (;;) {
    let tok: string;
    if (tokens) {
      if (k >= tokens.length) break;
      tok = tokens[k++]!;
    } else {
      while (i < ai && (line.charCodeAt(i) === 44 || line.charCodeAt(i) === 32)) i++;
      if (i >= ai) break;
      let j = i;
      for (let c = line.charCodeAt(j); j < ai && c !== 44 && c !== 32; c = line.charCodeAt(++j));
      tok = line.slice(i, j);
      i = j;
    }
    if (tok === '') continue;
    const eq = tok.indexOf('=');
    const key = eq < 0 ? tok : tok.slice(0, eq);
    const val = eq < 0 ? '' : tok.slice(eq + 1);
    try {
      switch (key) {
        case 'cookie':
          flow.cookie = cookieOf(val);
          break;
        case 'duration':
          [flow.stats.duration, flow.stats.durationDigits] = durationOf(val, tok);
          break;
        case 'table':
          flow.table = parseUint(val, 8, 'table');
          flow.tableShown = true;
          break;
        case 'n_packets':
          flow.stats.n_packets = statOf(val, key);
          break;
        case 'n_bytes':
          flow.stats.n_bytes = statOf(val, key);
          break;
        case 'idle_age':
          flow.stats.idle_age = statOf(val, key);
          break;
        case 'hard_age':
          flow.stats.hard_age = statOf(val, key);
          break;
        case 'idle_timeout':
          flow.idle_timeout = parseUint(val, 16, key);
          break;
        case 'hard_timeout':
          flow.hard_timeout = parseUint(val, 16, key);
          break;
        case 'importance':
          flow.importance = parseUint(val, 16, key);
          break;
        case 'priority':
          flow.priority = parseUint(val, 16, 'priority');
          flow.priorityShown = true;
          break;
        default:
          if (eq < 0 && FLAGS.has(key)) flow.flags.push(key as FlowFlag);
          else flow.match.push(sharedMatchItem(tok));
      }
    } catch (e) {
      if (e instanceof FlowSyntaxError) throw new FlowSyntaxError(e.message, line, line.indexOf(tok) + 1);
      throw e;
    }
  }
  try {
    flow.actions = sharedActions(line.slice(ai + 8));
  } catch (e) {
    if (e instanceof FlowSyntaxError) throw new FlowSyntaxError(e.message, line, ai + 9);
    throw e;
  }
  return flow;
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
