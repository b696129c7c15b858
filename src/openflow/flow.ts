// One flow line, as `ovs-ofctl dump-flows` prints it (any form: with or without statistics, OF1.0
// or OF1.3, --names) or as `ovs-ofctl add-flow` takes it. parseFlow ∘ formatFlow is the identity
// on what OVS prints.
import { formatActions, parseActions } from './actions.ts';
import { FlowSyntaxError, syntaxError } from './errors.ts';
import { formatMatchItem, parseMatchItem } from './match.ts';
import { splitTopLevel } from './text.ts';
import type { Flow, FlowFlag, MatchItem } from './types.ts';
import { DEFAULT_PRIORITY } from './types.ts';
import { formatIntValue, parseBigValue, parseUint } from './values.ts';

const FLAGS: ReadonlySet<string> = new Set<FlowFlag>([
  'send_flow_rem',
  'check_overlap',
  'reset_counts',
  'no_packet_counts',
  'no_byte_counts',
]);

const DURATION = /^(\d+)(?:\.(\d+))?s$/;

function findActions(line: string): number {
  let i = line.indexOf('actions=');
  while (i > 0 && line[i - 1] !== ' ' && line[i - 1] !== ',') i = line.indexOf('actions=', i + 1);
  return i;
}

/** Parse one flow. Throws FlowSyntaxError (with the column) on text that is not a flow. */
export function parseFlow(text: string): Flow {
  const line = text.trim();
  const ai = findActions(line);
  if (ai < 0) syntaxError('no "actions=" in flow', line);
  const head = line.slice(0, ai);
  const actionsText = line.slice(ai + 8);
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
  const match: MatchItem[] = [];
  const tokens = head.includes('"') || head.includes('(') ? splitTopLevel(head, ', ') : head.split(/[, ]/);
  for (const tok of tokens) {
    if (tok === '') continue;
    const eq = tok.indexOf('=');
    const key = eq < 0 ? tok : tok.slice(0, eq);
    const val = eq < 0 ? '' : tok.slice(eq + 1);
    try {
      switch (key) {
        case 'cookie':
          flow.cookie = parseBigValue(val, 64, true, 'cookie');
          break;
        case 'duration': {
          const m = DURATION.exec(val);
          if (!m) syntaxError(`duration "${val}" is not N.NNNs`, tok);
          flow.stats.duration = Number(val.slice(0, -1));
          flow.stats.durationDigits = m[2]?.length ?? 0;
          break;
        }
        case 'table':
          flow.table = parseUint(val, 8, 'table');
          flow.tableShown = true;
          break;
        case 'n_packets':
        case 'n_bytes':
        case 'idle_age':
        case 'hard_age':
          flow.stats[key] = parseUint(val, 64, key);
          break;
        case 'idle_timeout':
        case 'hard_timeout':
        case 'importance':
          flow[key] = parseUint(val, 16, key);
          break;
        case 'priority':
          flow.priority = parseUint(val, 16, 'priority');
          flow.priorityShown = true;
          break;
        default:
          if (eq < 0 && FLAGS.has(key)) flow.flags.push(key as FlowFlag);
          else match.push(parseMatchItem(tok));
      }
    } catch (e) {
      if (e instanceof FlowSyntaxError) throw new FlowSyntaxError(e.message, line, line.indexOf(tok) + 1);
      throw e;
    }
  }
  flow.match = match;
  try {
    flow.actions = parseActions(actionsText);
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
