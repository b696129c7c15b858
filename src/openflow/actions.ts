// The declarative table of actions: one parser per action name and one formatter per action type.
// Anything not in the table becomes an `unsupported` node with its text, never dropped.
import { BoundedMemo, TextMemo } from '../memo/bounded-memo.ts';
import { FlowSyntaxError, syntaxError } from './errors.ts';
import { formatFieldValue, lookupField, parseFieldValue } from './fields.ts';
import { splitTopLevel } from './text.ts';
import type { Action, ActionType, ArgsActionName, CtArg, FieldRef, LearnSpec, PortRef } from './types.ts';
import { madeUnsupported } from './unsupported.ts';
import {
  formatInt,
  formatIntValue,
  formatIpv4,
  formatMac,
  formatPortRef,
  OFPP_MAX,
  parseBig,
  parseBigValue,
  parseIpv4Only,
  parseMacOnly,
  parsePortNumber,
  parsePortRef,
  parseUint,
  uintOf,
} from './values.ts';

const REF = /^([A-Za-z_][A-Za-z0-9_]*)\[(?:(\d+)(?:\.\.(\d+))?)?\]$/;

// References repeat on every flow that loads a register: one frozen node per text.
const refs = new BoundedMemo(10_000, (text: string): FieldRef => Object.freeze(readFieldRef(text)));

export function parseFieldRef(text: string): FieldRef {
  return refs.get(text);
}

function readFieldRef(text: string): FieldRef {
  const m = REF.exec(text);
  if (!m) {
    // A bare field name (`reg0`, `vlan_vid`) refers to the whole field.
    if (isName(text, 0, text.length)) {
      const def = lookupField(text);
      if (def) return { field: def.name, name: text, bare: true };
      syntaxError(`"${text}" is not a field OVS knows`, text);
    }
    syntaxError(`"${text}" is not a field reference`, text);
  }
  const def = lookupField(m[1]!);
  // A name that is no field (`NXM_NX`, a dump cut in the middle of `NXM_NX_REG0[]`) is broken text.
  if (!def) syntaxError(`"${m[1]}" is not a field OVS knows`, text);
  const ref: FieldRef = { name: m[1]!, field: def.name };
  if (m[2] !== undefined) {
    ref.start = Number(m[2]);
    ref.end = m[3] !== undefined ? Number(m[3]) : ref.start;
    if (m[3] === undefined) ref.single = true;
    if (ref.end < ref.start) syntaxError(`bit range ${text} is reversed`, text);
    if (ref.end >= def.bits) syntaxError(`bit range ${text} exceeds the ${def.bits}-bit field`, text);
  }
  return ref;
}

// Spellings whose OVS field is narrower than the field the table files them under: in_port and
// NXM_OF_IN_PORT are OVS's 16-bit MFF_IN_PORT, in_port_oxm and OXM_OF_IN_PORT the 32-bit
// MFF_IN_PORT_OXM (verified with ovs-ofctl 3.1's move; ovs-refusals.test.ts checks every
// spelling's width against it).
const NARROWER: ReadonlyMap<string, number> = new Map([
  ['in_port', 16],
  ['NXM_OF_IN_PORT', 16],
]);

/**
 * How many bits a reference names, as OVS counts them; undefined when it depends on more than the
 * text (a whole tun_metadata field: as wide as its TLV mapping says).
 */
export function refWidth(ref: FieldRef): number | undefined {
  if (ref.start !== undefined) return ref.end! - ref.start + 1;
  if (ref.field?.startsWith('tun_metadata')) return undefined;
  return NARROWER.get(ref.name) ?? lookupField(ref.field!)?.bits;
}

/** text[start, end) is one or more decimal digits. */
function isDigits(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** text[start, end) is an identifier: [A-Za-z_][A-Za-z0-9_]*. */
function isName(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
    if (!letter && !(i > start && c >= 48 && c <= 57)) return false;
  }
  return true;
}

export function formatFieldRef(r: FieldRef): string {
  if (r.bare) return r.name;
  if (r.start === undefined) return `${r.name}[]`;
  return r.single ? `${r.name}[${r.start}]` : `${r.name}[${r.start}..${r.end}]`;
}

function arrow(text: string, what: string): [string, string] {
  const i = text.lastIndexOf('->');
  if (i < 0) syntaxError(`${what}: expected "src->dst" in "${text}"`, text);
  return [text.slice(0, i), text.slice(i + 2)];
}

type Parser = (arg: string | undefined, paren: boolean, dst?: string) => Action;

function need(arg: string | undefined, name: string): string {
  if (arg === undefined || arg === '') syntaxError(`${name} needs an argument`, name);
  return arg;
}

function noArg(name: string, a: Action): Parser {
  return (arg) => {
    if (arg !== undefined) syntaxError(`${name} takes no argument`, `${name}:${arg}`);
    return a;
  };
}

function parseCt(arg: string): CtArg[] {
  return splitTopLevel(arg, ',')
    .filter((s) => s !== '')
    .map((s): CtArg => {
      if (s === 'commit' || s === 'force') return { kind: 'flag', name: s };
      if (s.startsWith('zone=')) {
        const z = s.slice(5);
        return {
          kind: 'zone',
          zone: /^(0x)?[0-9a-fA-F]+$/.test(z) ? parseUint(z, 16, 'ct zone') : parseFieldRef(z),
        };
      }
      if (s.startsWith('table=')) return { kind: 'table', table: parseUint(s.slice(6), 8, 'ct table') };
      if (s.startsWith('alg=')) return { kind: 'alg', alg: s.slice(4) };
      if (s === 'nat' || s.startsWith('nat(')) return { kind: 'nat', text: s };
      if (s.startsWith('exec(') && s.endsWith(')'))
        return { kind: 'exec', actions: parseActions(s.slice(5, -1)) };
      return { kind: 'other', text: s };
    });
}

function formatCtArg(a: CtArg): string {
  switch (a.kind) {
    case 'flag':
      return a.name;
    case 'zone':
      return `zone=${typeof a.zone === 'number' ? a.zone : formatFieldRef(a.zone)}`;
    case 'table':
      return `table=${a.table}`;
    case 'alg':
      return `alg=${a.alg}`;
    case 'nat':
    case 'other':
      return a.text;
    case 'exec':
      return `exec(${formatActions(a.actions)})`;
  }
}

const LEARN_KEYS = new Set([
  'table',
  'idle_timeout',
  'hard_timeout',
  'priority',
  'cookie',
  'fin_idle_timeout',
  'fin_hard_timeout',
  'limit',
  'result_dst',
]);
const LEARN_FLAGS = new Set(['send_flow_rem', 'delete_learned']);

function refOrText(s: string): FieldRef | string {
  return REF.test(s) ? parseFieldRef(s) : s;
}

function parseLearn(arg: string): LearnSpec[] {
  return splitTopLevel(arg, ',')
    .filter((s) => s !== '')
    .map((s): LearnSpec => {
      if (LEARN_FLAGS.has(s)) return { kind: 'flag', name: s };
      if (s.startsWith('load:')) {
        const [src, dst] = arrow(s.slice(5), 'learn load');
        return { kind: 'load', src: refOrText(src), dst: parseFieldRef(dst) };
      }
      if (s.startsWith('output:')) return { kind: 'output', src: parseFieldRef(s.slice(7)) };
      const eq = s.indexOf('=');
      if (eq > 0 && LEARN_KEYS.has(s.slice(0, eq)))
        return { kind: 'kv', key: s.slice(0, eq), value: s.slice(eq + 1) };
      if (eq > 0) return { kind: 'match', dst: refOrText(s.slice(0, eq)), src: refOrText(s.slice(eq + 1)) };
      return { kind: 'match', dst: refOrText(s) };
    });
}

function fmtRefOrText(x: FieldRef | string): string {
  return typeof x === 'string' ? x : formatFieldRef(x);
}

function formatLearnSpec(s: LearnSpec): string {
  switch (s.kind) {
    case 'flag':
      return s.name;
    case 'kv':
      return `${s.key}=${s.value}`;
    case 'load':
      return `load:${fmtRefOrText(s.src)}->${formatFieldRef(s.dst)}`;
    case 'output':
      return `output:${formatFieldRef(s.src)}`;
    case 'match':
      return s.src === undefined ? fmtRefOrText(s.dst) : `${fmtRefOrText(s.dst)}=${fmtRefOrText(s.src)}`;
  }
}

const MPLS_BITS = { label: 20, tc: 3, ttl: 8 } as const;

const ARGS_ACTIONS: readonly ArgsActionName[] = [
  'sample',
  'fin_timeout',
  'bundle',
  'bundle_load',
  'multipath',
  'encap',
  'decap',
];

/** Which argument of an args action is a field it writes (bundle_load's 5th, multipath's 6th). */
const ARGS_DST: Partial<Record<ArgsActionName, number>> = { bundle_load: 4, multipath: 5 };

function argsAction(name: ArgsActionName, arg: string | undefined, paren: boolean): Action {
  if (!paren && !(name === 'decap' && arg === undefined))
    syntaxError(`${name} takes its arguments in parentheses`, arg ?? name);
  const args = arg === undefined || arg === '' ? [] : splitTopLevel(arg, ',');
  if (name !== 'decap' && args.length === 0) syntaxError(`${name} needs arguments`, name);
  const di = ARGS_DST[name];
  if (di === undefined) return { type: 'args', name, args };
  if (args.length <= di) syntaxError(`${name}(${arg}): expected at least ${di + 1} arguments`, arg ?? '');
  return { type: 'args', name, args, dst: parseFieldRef(args[di]!) };
}

function outputTrunc(a: string): Action {
  let port: PortRef | undefined;
  let maxLen: number | undefined;
  for (const kv of a.split(',')) {
    const eq = kv.indexOf('=');
    const k = kv.slice(0, eq);
    if (k === 'port') port = parsePortRef(kv.slice(eq + 1), 'output port', OFPP_MAX);
    else if (k === 'max_len') maxLen = parseUint(kv.slice(eq + 1), 32, 'output max_len');
    else syntaxError(`output(${a}): unknown key "${kv}"`, a);
  }
  if (!port || maxLen === undefined) syntaxError(`output(${a}): expected port=P,max_len=N`, a);
  return { type: 'output_trunc', port, maxLen };
}

/** The one `drop` node: a list's drops are counted by identity (no load of a megamorphic `type`). */
export const DROP_ACTION: Action = { type: 'drop' };

/** Action name → parser. The argument is what follows `name:` or sits inside `name(...)`. */
const PARSERS: ReadonlyMap<string, Parser> = new Map<string, Parser>([
  [
    'output',
    (arg, paren) => {
      const a = need(arg, 'output');
      if (paren) return outputTrunc(a);
      if (a.includes('[')) return { type: 'output_reg', src: parseFieldRef(a) };
      return { type: 'output', port: parsePortRef(a, 'output', OFPP_MAX), bare: false };
    },
  ],
  ['NORMAL', noArg('NORMAL', { type: 'normal' })],
  ['FLOOD', noArg('FLOOD', { type: 'flood' })],
  ['ALL', noArg('ALL', { type: 'all' })],
  ['LOCAL', noArg('LOCAL', { type: 'local' })],
  ['IN_PORT', noArg('IN_PORT', { type: 'in_port' })],
  ['drop', noArg('drop', DROP_ACTION)],
  [
    'CONTROLLER',
    (arg) =>
      arg === undefined
        ? { type: 'controller', text: 'CONTROLLER' }
        : { type: 'controller', text: `CONTROLLER:${arg}`, maxLen: parseUint(arg, 16, 'CONTROLLER max_len') },
  ],
  [
    'controller',
    (arg, paren) =>
      arg === undefined
        ? { type: 'controller', text: 'controller' }
        : paren
          ? { type: 'controller', text: `controller(${arg})`, args: splitTopLevel(arg, ',') }
          : {
              type: 'controller',
              text: `controller:${arg}`,
              maxLen: parseUint(arg, 16, 'controller max_len'),
            },
  ],
  [
    'mod_vlan_vid',
    (arg) => ({ type: 'mod_vlan_vid', vid: parseUint(need(arg, 'mod_vlan_vid'), 12, 'mod_vlan_vid') }),
  ],
  [
    'set_vlan_vid',
    (arg) => ({
      type: 'mod_vlan_vid',
      vid: parseUint(need(arg, 'set_vlan_vid'), 12, 'set_vlan_vid'),
      spelling: 'set_vlan_vid',
    }),
  ],
  [
    'set_vlan_pcp',
    (arg) => ({
      type: 'mod_vlan_pcp',
      pcp: parseUint(need(arg, 'set_vlan_pcp'), 3, 'set_vlan_pcp'),
      spelling: 'set_vlan_pcp',
    }),
  ],
  [
    'mod_vlan_pcp',
    (arg) => ({ type: 'mod_vlan_pcp', pcp: parseUint(need(arg, 'mod_vlan_pcp'), 3, 'mod_vlan_pcp') }),
  ],
  ['strip_vlan', noArg('strip_vlan', { type: 'strip_vlan' })],
  ['pop_vlan', noArg('pop_vlan', { type: 'pop_vlan' })],
  [
    'push_vlan',
    (arg) => ({ type: 'push_vlan', ethertype: parseUint(need(arg, 'push_vlan'), 16, 'push_vlan ethertype') }),
  ],
  [
    'set_field',
    (arg) => {
      const [v, d] = arrow(need(arg, 'set_field'), 'set_field');
      const dst = parseFieldRef(d);
      const def = dst.field ? lookupField(dst.field) : undefined;
      if (!def) throw new FlowSyntaxError(`set_field: unknown field "${d}"`, d);
      return { type: 'set_field', value: parseFieldValue({ ...def, maskable: true }, v), dst };
    },
  ],
  [
    'load',
    (arg) => {
      const [v, d] = arrow(need(arg, 'load'), 'load');
      const value = parseBig(v, 128, 'load value');
      const dst = parseFieldRef(d);
      // OVS refuses a value wider than what it loads ("value 0x10 does not fit into 4 bits").
      const width = refWidth(dst) ?? 128;
      // A value below 2^52 (most) is compared as a number: no BigInt made for the test.
      const small = uintOf(v);
      if (width < 128 && (small >= 0 ? small >= 2 ** width : value >> BigInt(width) !== 0n))
        syntaxError(`load:${v}->${d}: ${v} does not fit in the ${width} bits it loads (OVS refuses it)`, v);
      return { type: 'load', value, hex: v.startsWith('0x'), dst };
    },
  ],
  [
    'move',
    (arg) => {
      const [s, d] = arrow(need(arg, 'move'), 'move');
      const src = parseFieldRef(s);
      const dst = parseFieldRef(d);
      // OVS refuses a move between references of different widths.
      const ws = refWidth(src);
      const wd = refWidth(dst);
      if (ws !== undefined && wd !== undefined && ws !== wd)
        syntaxError(
          `move:${s}->${d}: the source is ${ws} bits wide, the destination ${wd} (OVS refuses it)`,
          arg!,
        );
      return { type: 'move', src, dst };
    },
  ],
  [
    'resubmit',
    (arg, paren) => {
      const a = need(arg, 'resubmit');
      if (!paren) return { type: 'resubmit', port: parsePortRef(a, 'resubmit'), ct: false, paren: false };
      const parts = a.split(',');
      if (parts.length < 2 || parts.length > 3) syntaxError(`resubmit(${a}): expected (port,table[,ct])`, a);
      const ct = parts[2] === 'ct';
      if (parts.length === 3 && !ct) syntaxError(`resubmit(${a}): third argument must be ct`, a);
      return {
        type: 'resubmit',
        ...(parts[0] ? { port: parsePortRef(parts[0], 'resubmit') } : {}),
        ...(parts[1] ? { table: parseUint(parts[1], 8, 'resubmit table') } : {}),
        ct,
        paren: true,
      };
    },
  ],
  [
    'goto_table',
    (arg) => ({ type: 'goto_table', table: parseUint(need(arg, 'goto_table'), 8, 'goto_table') }),
  ],
  ['ct', (arg) => ({ type: 'ct', args: arg === undefined ? [] : parseCt(arg) })],
  ['learn', (arg) => ({ type: 'learn', specs: parseLearn(need(arg, 'learn')), text: arg ?? '' })],
  [
    'conjunction',
    (arg) => {
      // id,k/n: three runs of decimal digits (what /^(\d+),(\d+)\/(\d+)$/ takes, without its match).
      const a = need(arg, 'conjunction');
      const comma = a.indexOf(',');
      const slash = comma < 0 ? -1 : a.indexOf('/', comma + 1);
      if (
        slash < 0 ||
        !isDigits(a, 0, comma) ||
        !isDigits(a, comma + 1, slash) ||
        !isDigits(a, slash + 1, a.length)
      )
        syntaxError(`conjunction(${arg}): expected (id,k/n)`, arg ?? '');
      const clause = Number(a.slice(comma + 1, slash));
      const nClauses = Number(a.slice(slash + 1));
      if (nClauses < 2 || nClauses > 64 || clause < 1 || clause > nClauses)
        syntaxError(`conjunction(${arg}): clause k/n needs 1 ≤ k ≤ n and 2 ≤ n ≤ 64`, arg ?? '');
      return {
        type: 'conjunction',
        id: parseUint(a.slice(0, comma), 32, 'conjunction id'),
        clause,
        nClauses,
      };
    },
  ],
  [
    'note',
    (arg) => {
      const a = arg ?? '';
      if (!/^([0-9a-fA-F]{2}(\.?[0-9a-fA-F]{2})*)?$/.test(a)) syntaxError(`note:${a}: expected hex bytes`, a);
      return { type: 'note', hex: a };
    },
  ],
  ['mod_dl_src', (arg) => ({ type: 'mod_dl_src', mac: parseMacOnly(need(arg, 'mod_dl_src'), 'mod_dl_src') })],
  ['mod_dl_dst', (arg) => ({ type: 'mod_dl_dst', mac: parseMacOnly(need(arg, 'mod_dl_dst'), 'mod_dl_dst') })],
  ['mod_nw_src', (arg) => ({ type: 'mod_nw_src', ip: parseIpv4Only(need(arg, 'mod_nw_src'), 'mod_nw_src') })],
  ['mod_nw_dst', (arg) => ({ type: 'mod_nw_dst', ip: parseIpv4Only(need(arg, 'mod_nw_dst'), 'mod_nw_dst') })],
  [
    'mod_nw_tos',
    (arg) => {
      const tos = parseUint(need(arg, 'mod_nw_tos'), 8, 'mod_nw_tos');
      // The low 2 bits are ECN (mod_nw_ecn): OVS refuses them here ("not a valid TOS").
      if (tos & 3)
        syntaxError(`mod_nw_tos:${arg}: not a valid TOS (its low 2 bits are ECN; OVS refuses it)`, arg!);
      return { type: 'mod_nw_tos', tos };
    },
  ],
  [
    'mod_tp_src',
    (arg) => ({ type: 'mod_tp_src', port: parseUint(need(arg, 'mod_tp_src'), 16, 'mod_tp_src') }),
  ],
  [
    'mod_tp_dst',
    (arg) => ({ type: 'mod_tp_dst', port: parseUint(need(arg, 'mod_tp_dst'), 16, 'mod_tp_dst') }),
  ],
  [
    'dec_ttl',
    (arg, paren) => {
      if (arg === undefined) return { type: 'dec_ttl' };
      if (!paren) syntaxError(`dec_ttl:${arg}: controller ids go in parentheses`, arg);
      const ids = arg === '' ? [] : arg.split(',').map((x) => parseUint(x.trim(), 16, 'dec_ttl id'));
      return { type: 'dec_ttl', ids };
    },
  ],
  [
    'check_pkt_larger',
    (arg, paren, dst) => {
      if (!paren || dst === undefined)
        syntaxError('check_pkt_larger: expected check_pkt_larger(len)->dst', arg ?? '');
      const d = parseFieldRef(dst);
      return {
        type: 'check_pkt_larger',
        len: parseUint(need(arg, 'check_pkt_larger'), 16, 'check_pkt_larger'),
        dst: d,
      };
    },
  ],
  ['clone', (arg) => ({ type: 'clone', actions: parseActions(need(arg, 'clone')) })],
  ['write_actions', (arg) => ({ type: 'write_actions', actions: parseActions(need(arg, 'write_actions')) })],
  ['ct_clear', noArg('ct_clear', { type: 'ct_clear' })],
  ['clear_actions', noArg('clear_actions', { type: 'clear_actions' })],
  ['exit', noArg('exit', { type: 'exit' })],
  ['dec_mpls_ttl', noArg('dec_mpls_ttl', { type: 'dec_mpls_ttl' })],
  ['debug_recirc', noArg('debug_recirc', { type: 'debug', name: 'debug_recirc' })],
  ['debug_slow', noArg('debug_slow', { type: 'debug', name: 'debug_slow' })],
  ['group', (arg) => ({ type: 'group', group: parseUint(need(arg, 'group'), 32, 'group') })],
  ['meter', (arg) => ({ type: 'meter', meter: parseUint(need(arg, 'meter'), 32, 'meter') })],
  [
    'push_mpls',
    (arg) => ({ type: 'push_mpls', ethertype: parseUint(need(arg, 'push_mpls'), 16, 'push_mpls ethertype') }),
  ],
  [
    'pop_mpls',
    (arg) => ({ type: 'pop_mpls', ethertype: parseUint(need(arg, 'pop_mpls'), 16, 'pop_mpls ethertype') }),
  ],
  ...(['label', 'tc', 'ttl'] as const).map((field): [string, Parser] => [
    `set_mpls_${field}`,
    (arg, paren) => ({
      type: 'set_mpls',
      field,
      value: parseUint(need(arg, `set_mpls_${field}`), MPLS_BITS[field], `set_mpls_${field}`),
      paren,
    }),
  ]),
  [
    'set_tunnel',
    (arg) => ({ type: 'set_tunnel', id: parseBig(need(arg, 'set_tunnel'), 32, 'set_tunnel'), wide: false }),
  ],
  [
    'set_tunnel64',
    (arg) => ({
      type: 'set_tunnel',
      id: parseBig(need(arg, 'set_tunnel64'), 64, 'set_tunnel64'),
      wide: true,
    }),
  ],
  ['mod_nw_ecn', (arg) => ({ type: 'mod_nw_ecn', ecn: parseUint(need(arg, 'mod_nw_ecn'), 2, 'mod_nw_ecn') })],
  ['mod_nw_ttl', (arg) => ({ type: 'mod_nw_ttl', ttl: parseUint(need(arg, 'mod_nw_ttl'), 8, 'mod_nw_ttl') })],
  ['delete_field', (arg) => ({ type: 'delete_field', field: parseFieldRef(need(arg, 'delete_field')) })],
  [
    'write_metadata',
    (arg) => ({
      type: 'write_metadata',
      value: parseBigValue(need(arg, 'write_metadata'), 64, true, 'write_metadata'),
    }),
  ],
  ['push', (arg) => ({ type: 'stack', op: 'push', ref: parseFieldRef(need(arg, 'push')) })],
  ['pop', (arg) => ({ type: 'stack', op: 'pop', ref: parseFieldRef(need(arg, 'pop')) })],
  ...ARGS_ACTIONS.map((name): [string, Parser] => [name, (arg, paren) => argsAction(name, arg, paren)]),
  [
    'enqueue',
    (arg, paren) => {
      const parts = need(arg, 'enqueue').split(paren ? ',' : ':');
      if (parts.length !== 2) syntaxError(`enqueue: expected port and queue in "${arg}"`, arg ?? '');
      return {
        type: 'enqueue',
        port: parsePortRef(parts[0]!, 'enqueue', OFPP_MAX),
        queue: parseUint(parts[1]!, 32, 'enqueue queue'),
        paren,
      };
    },
  ],
  ['set_queue', (arg) => ({ type: 'set_queue', queue: parseUint(need(arg, 'set_queue'), 32, 'set_queue') })],
  ['pop_queue', noArg('pop_queue', { type: 'pop_queue' })],
]);

type Formatters = { [T in ActionType]: (a: Extract<Action, { type: T }>) => string };

const FORMAT: Formatters = {
  output: (a) => (a.bare ? formatPortRef(a.port) : `output:${formatPortRef(a.port)}`),
  output_reg: (a) => `output:${formatFieldRef(a.src)}`,
  normal: () => 'NORMAL',
  flood: () => 'FLOOD',
  all: () => 'ALL',
  local: () => 'LOCAL',
  in_port: () => 'IN_PORT',
  drop: () => 'drop',
  controller: (a) => a.text,
  mod_vlan_vid: (a) => `${a.spelling ?? 'mod_vlan_vid'}:${a.vid}`,
  mod_vlan_pcp: (a) => `${a.spelling ?? 'mod_vlan_pcp'}:${a.pcp}`,
  strip_vlan: () => 'strip_vlan',
  pop_vlan: () => 'pop_vlan',
  push_vlan: (a) => `push_vlan:0x${a.ethertype.toString(16)}`,
  set_field: (a) => `set_field:${formatFieldValue(a.value)}->${formatFieldRef(a.dst)}`,
  load: (a) => `load:${formatInt(a.value, { hex: a.hex, pad: 0 })}->${formatFieldRef(a.dst)}`,
  move: (a) => `move:${formatFieldRef(a.src)}->${formatFieldRef(a.dst)}`,
  resubmit: (a) =>
    a.paren
      ? `resubmit(${a.port ? formatPortRef(a.port) : ''},${a.table ?? ''}${a.ct ? ',ct' : ''})`
      : `resubmit:${a.port ? formatPortRef(a.port) : ''}`,
  goto_table: (a) => `goto_table:${a.table}`,
  ct: (a) => (a.args.length === 0 ? 'ct' : `ct(${a.args.map(formatCtArg).join(',')})`),
  learn: (a) => `learn(${a.specs.map(formatLearnSpec).join(',')})`,
  conjunction: (a) => `conjunction(${a.id},${a.clause}/${a.nClauses})`,
  note: (a) => `note:${a.hex}`,
  mod_dl_src: (a) => `mod_dl_src:${formatMac(a.mac)}`,
  mod_dl_dst: (a) => `mod_dl_dst:${formatMac(a.mac)}`,
  mod_nw_src: (a) => `mod_nw_src:${formatIpv4(a.ip)}`,
  mod_nw_dst: (a) => `mod_nw_dst:${formatIpv4(a.ip)}`,
  mod_nw_tos: (a) => `mod_nw_tos:${a.tos}`,
  mod_tp_src: (a) => `mod_tp_src:${a.port}`,
  mod_tp_dst: (a) => `mod_tp_dst:${a.port}`,
  dec_ttl: (a) => (a.ids ? `dec_ttl(${a.ids.join(',')})` : 'dec_ttl'),
  check_pkt_larger: (a) => `check_pkt_larger(${a.len})->${formatFieldRef(a.dst)}`,
  clone: (a) => `clone(${formatActions(a.actions)})`,
  write_actions: (a) => `write_actions(${formatActions(a.actions)})`,
  ct_clear: () => 'ct_clear',
  clear_actions: () => 'clear_actions',
  exit: () => 'exit',
  dec_mpls_ttl: () => 'dec_mpls_ttl',
  debug: (a) => a.name,
  group: (a) => `group:${a.group}`,
  meter: (a) => `meter:${a.meter}`,
  output_trunc: (a) => `output(port=${formatPortRef(a.port)},max_len=${a.maxLen})`,
  args: (a) => `${a.name}(${a.args.join(',')})`,
  push_mpls: (a) => `push_mpls:0x${a.ethertype.toString(16)}`,
  pop_mpls: (a) => `pop_mpls:0x${a.ethertype.toString(16)}`,
  set_mpls: (a) => (a.paren ? `set_mpls_${a.field}(${a.value})` : `set_mpls_${a.field}:${a.value}`),
  set_tunnel: (a) => `set_tunnel${a.wide ? '64' : ''}:0x${a.id.toString(16)}`,
  mod_nw_ecn: (a) => `mod_nw_ecn:${a.ecn}`,
  mod_nw_ttl: (a) => `mod_nw_ttl:${a.ttl}`,
  delete_field: (a) => `delete_field:${formatFieldRef(a.field)}`,
  write_metadata: (a) => `write_metadata:${formatIntValue(a.value)}`,
  stack: (a) => `${a.op}:${formatFieldRef(a.ref)}`,
  enqueue: (a) =>
    a.paren ? `enqueue(${formatPortRef(a.port)},${a.queue})` : `enqueue:${formatPortRef(a.port)}:${a.queue}`,
  set_queue: (a) => `set_queue:${a.queue}`,
  pop_queue: () => 'pop_queue',
  unsupported: (a) => a.text,
};

export function formatAction(a: Action): string {
  return (FORMAT[a.type] as (x: Action) => string)(a);
}

export function formatActions(actions: readonly Action[]): string {
  return actions.length === 0 ? 'drop' : actions.map(formatAction).join(',');
}

export function parseAction(text: string): Action {
  const c0 = text.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) {
    // A bare port number is output to it (OF1.0 syntax).
    return {
      type: 'output',
      port: { kind: 'number', n: parsePortNumber(text, 'output', OFPP_MAX) },
      bare: true,
    };
  }
  let i = 0;
  for (let c = c0; i < text.length && c !== 58 && c !== 40; c = text.charCodeAt(++i));
  if (!isName(text, 0, i)) syntaxError(`cannot read action "${text}"`, text);
  const name = text.slice(0, i);
  let arg: string | undefined;
  let paren = false;
  let dst: string | undefined;
  if (i === text.length) arg = undefined;
  else if (text.charCodeAt(i) === 58) arg = text.slice(i + 1);
  else {
    const close = matchingParen(text, i);
    if (close < 0) syntaxError(`unbalanced parentheses in "${text}"`, text);
    arg = text.slice(i + 1, close);
    paren = true;
    if (close !== text.length - 1) {
      // `check_pkt_larger(100)->NXM_NX_REG0[10]`: a destination after the parentheses.
      if (!text.startsWith('->', close + 1)) syntaxError(`cannot read action "${text}"`, text);
      dst = text.slice(close + 3);
    }
  }
  const parser = PARSERS.get(name);
  // Well-formed but not in the table: kept verbatim; the simulator reports it as unsupported.
  if (!parser) {
    madeUnsupported();
    return { type: 'unsupported', name, text };
  }
  if (dst !== undefined && name !== 'check_pkt_larger') syntaxError(`cannot read action "${text}"`, text);
  return parser(arg, paren, dst);
}

/** Index of the `)` closing the `(` at text[open], skipping quoted text; -1 when there is none. */
function matchingParen(text: string, open: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === 92) i++;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return i;
  }
  return -1;
}

/**
 * Parentheses nested deeper than this in one action list (`ct(commit,exec(ct(commit,exec(…`) are a
 * syntax error, not a recursion that overflows the stack: OVS itself nests ct/clone a few levels.
 */
export const ACTIONS_MAX_DEPTH = 64;

/** Parentheses of an action list balance (outside quotes); nesting past ACTIONS_MAX_DEPTH is refused. */
function balanced(text: string): boolean {
  if (text.indexOf('(') < 0 && text.indexOf(')') < 0) return true;
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === 92) i++;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 40) {
      if (++depth > ACTIONS_MAX_DEPTH)
        syntaxError(
          `actions nested more than ${ACTIONS_MAX_DEPTH} parentheses deep (ACTIONS_MAX_DEPTH): not read`,
          text.length > 200 ? `${text.slice(0, 200)}…` : text,
        );
    } else if (c === 41 && --depth < 0) return false;
  }
  return depth === 0 && !quoted;
}

// Single actions repeat across otherwise different lists (`resubmit(,71)`, the same ct(...)):
// one node per text. Bounded; nodes are never mutated.
const actionNodes = new TextMemo(100_000, parseAction);

/**
 * The shared node of the one action written at src[a, b), h its textHash (a flow's action list
 * read in place, split by its caller): parseAction's node, and its errors.
 */
export function actionNodeAt(src: string, a: number, b: number, h: number): Action {
  return actionNodes.getHashed(src, a, b, h);
}

/** actionNodeAt for a caller reading the text's code units from a window: src[i] is w[i - o]. */
export function actionNodeAtW(
  src: string,
  w: Uint16Array,
  o: number,
  a: number,
  b: number,
  h: number,
): Action {
  return actionNodes.getHashedW(src, w, o, a, b, h);
}

/** parseActions' refusal of `drop` with other actions in the list `text`. */
export function dropWithOthers(text: string): never {
  return syntaxError(`"drop" must not be accompanied by any other action (OVS 3.x refuses "${text}")`, text);
}

/** Parse an action list (`mod_vlan_vid:1,NORMAL`). An empty list is an error; `drop` is explicit. */
export function parseActions(text: string): Action[] {
  if (text === '') syntaxError('empty action list', text);
  if (!balanced(text)) syntaxError(`unbalanced parentheses in "${text}"`, text);
  const parts = splitTopLevel(text, ',');
  const out: Action[] = [];
  let drops = 0;
  for (const p of parts) {
    if (p === '') syntaxError(`empty action in "${text}"`, text);
    const a = actionNodes.get(p, 0, p.length);
    if (a === DROP_ACTION) drops++;
    out.push(a);
  }
  // OVS 3.x: `drop` is the whole list or absent (`drop,drop` reads as drop); ovs-ofctl refuses
  // "drop,NORMAL" ("drop" must not be accompanied by any other action or instruction).
  if (drops > 0 && drops < out.length) dropWithOthers(text);
  return out;
}

/** Forget shared field references and actions (a benchmark's cold parse). */
export function resetActionSharing(): void {
  refs.clear();
  actionNodes.clear();
}
