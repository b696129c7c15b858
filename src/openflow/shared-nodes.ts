// Shared, immutable AST nodes for large dumps. Neutron installs the same rules per port, so a dump
// repeats match items and action lists many times over: equal input gets one node, which saves the
// allocation and, above all, the garbage collector's copying of what a parse keeps (on a 200k-flow
// dump that copying costs more than the parsing). Bounded; holds only successfully parsed input.
//
// The common value kinds (port numbers, integers, canonical MACs, IPv4 with or without /len) are
// read straight from the line and looked up by their numeric value, so no substring is cut or
// hashed for them; everything else goes through the table-driven parseMatchItem, shared by text.
// The two paths give equal nodes (checked by a property test).
import { TEXT_HASH_BASIS, TEXT_HASH_PRIME, TextMemo, textHash } from '../memo/bounded-memo.ts';
import {
  ACTIONS_MAX_DEPTH,
  actionNodeAtW,
  DROP_ACTION,
  dropWithOthers,
  parseActions,
  parseFieldRef,
  refWidth,
  resetActionSharing,
} from './actions.ts';
import { charsAlone, unitsAt, unitsOf } from './chars.ts';
import { FIELDS, type FieldDef } from './fields.ts';
import { CODE_SHORTHAND, CODE_UNKNOWN, fieldCode, parseMatchItem } from './match.ts';
import type { Action, FieldRef, FieldValue, MatchItem } from './types.ts';
import { hexFmt, ipv4W, macW, OFPP_MAX, PORT_NAMED_MIN, prefixToMask4, uintW } from './values.ts';

const SHARE_MAX = 100_000;
/**
 * Slots of the direct-mapped tables of numeric nodes and of action lists. Small on purpose: a table
 * of every value seen (a dump has ~100k distinct ports, MACs, addresses, register values) is some MB,
 * so each lookup missed the processor's cache, and most values are seen once or on nearby lines (a
 * port's flows are printed together): a slot per hash, the newest node in it, shares those and
 * stays in cache. Measured on bench/parse's 200k-flow dump: the parse 12-15% faster than with one
 * open-addressing table of every value; equal values far apart become equal nodes that are not the
 * same object (snapshot --json of 200k flows per bridge: +2-3% peak RSS).
 */
const NUMERIC_SLOTS = 4096;
const LIST_SLOTS = 8192;

/** A field as spelled in a dump (`in_port`, `NXM_OF_IN_PORT`...); `id` tags its nodes in `numeric`. */
interface Spelling {
  def: FieldDef;
  /** def's kind, maskable and name, copied: FieldDefs have several shapes, so reading them from def
   * is a megamorphic load per token. */
  kind: FieldDef['kind'];
  maskable: boolean;
  field: string;
  name: string;
  id: number;
  /** Largest value the field holds (others take the general path, which says what is wrong). */
  max: number;
  /** Bits a value must leave zero (nw_tos's ECN bits); 0 for most fields. */
  zero: number;
  /** Its code for matchError (slot, prerequisite). */
  code: number;
}

const SPELLINGS: ReadonlyMap<string, Spelling> = new Map(
  [...FIELDS].map(([name, def], id) => [
    name,
    {
      def,
      kind: def.kind,
      maskable: def.maskable === true,
      field: def.name,
      name,
      id,
      max: 2 ** (def.valueBits ?? def.bits) - 1,
      zero: def.zeroBits ?? 0,
      code: fieldCode(def.name),
    },
  ]),
);

/**
 * Nodes by (spelling id, numeric key), direct-mapped over typed arrays (NUMERIC_SLOTS): a Map would
 * box every 48-bit MAC or tagged key into a heap number just to look it up. A new node takes its
 * slot from the one there.
 */
class NumericNodes<T> {
  private readonly keys = new Float64Array(NUMERIC_SLOTS);
  /** Spelling id + 1 per slot (0: empty). */
  private readonly ids = new Int32Array(NUMERIC_SLOTS);
  private readonly nodes: (T | undefined)[] = new Array<T | undefined>(NUMERIC_SLOTS).fill(undefined);

  private slot(id: number, key: number): number {
    const h = Math.imul((key >>> 0) ^ Math.imul((key / 4294967296) | 0, 0x9e3779b1) ^ id, 0x85ebca6b);
    return (h ^ (h >>> 15)) & (NUMERIC_SLOTS - 1);
  }

  get(id: number, key: number): T | undefined {
    const i = this.slot(id, key);
    return this.ids[i] === id + 1 && this.keys[i] === key ? this.nodes[i] : undefined;
  }

  set(id: number, key: number, node: T): void {
    const i = this.slot(id, key);
    this.ids[i] = id + 1;
    this.keys[i] = key;
    this.nodes[i] = node;
  }

  clear(): void {
    this.ids.fill(0);
    this.nodes.fill(undefined);
  }
}

const numeric = new NumericNodes<MatchItem>();
// Keys and nodes are made from an own copy of the text: a node must not keep its dump alive.
const byText = new TextMemo(SHARE_MAX, parseMatchItem);
// Frozen: the list is shared by every flow with this text.
const actionLists = new TextMemo(SHARE_MAX, (text: string) => Object.freeze(parseActions(text)) as Action[]);
// A field's spelling found from the dump's characters (no key cut per token); null: not a field.
const spellings = new TextMemo(SHARE_MAX, (name: string) => SPELLINGS.get(name) ?? null);

/** Forget shared nodes (flow.ts's resetFlowSharing, which also forgets the last cookie). */
export function resetSharedNodes(): void {
  byText.clear();
  actionLists.clear();
  spellings.clear();
  numeric.clear();
  listsByNodes.clear();
  recentLists.clear();
  actionNums.clear();
  loadRefs.clear();
  refIds = 0;
  partNodes.length = 0;
  resetActionSharing();
}

const P32 = 2 ** 32;

/**
 * The match item written at line[start, end), with `=` at `eq` (or -1) and the first `/` of the
 * value at `slash` (or -1); its code for matchError goes to codes[at]. Throws FlowSyntaxError like
 * parseMatchItem.
 */
export function matchItemAt(
  line: string,
  start: number,
  eq: number,
  slash: number,
  end: number,
  codes: Int32Array,
  at: number,
): MatchItem {
  const w = charsAlone(line);
  return matchItemHashed(
    line,
    w,
    0,
    start,
    eq,
    slash,
    end,
    textHash(line, start, eq < 0 ? end : eq),
    codes,
    at,
  );
}

/**
 * matchItemAt for a tokenizer that hashed the token's key as it read it: hk is the textHash of
 * line[start, eq) (of the whole token when eq < 0; that of the rest is taken only for the tokens
 * looked up by their whole text); w holds the line's code units, line[i] at w[i - o] (chars.ts).
 */
export function matchItemHashed(
  line: string,
  w: Uint16Array,
  o: number,
  start: number,
  eq: number,
  slash: number,
  end: number,
  hk: number,
  codes: Int32Array,
  at: number,
): MatchItem {
  if (eq >= 0) {
    const sp = eq > start ? spellings.getHashedW(line, w, o, start, eq, hk) : null;
    if (sp !== null) {
      codes[at] = sp.code;
      const item = numericItem(sp, w, o, eq + 1, slash, end);
      if (item !== undefined) return item;
    } else codes[at] = CODE_UNKNOWN;
    return byText.getHashedW(line, w, o, start, end, hashOn(hk, w, o, eq, end));
  }
  const item = byText.getHashedW(line, w, o, start, end, hk);
  codes[at] = item.kind === 'shorthand' ? CODE_SHORTHAND : CODE_UNKNOWN;
  return item;
}

/** textHash of a token from that of its first part (h) and its code units at [a, b) of w (from o). */
function hashOn(h: number, w: Uint16Array, o: number, a: number, b: number): number {
  for (let i = a - o; i < b - o; i++) h = Math.imul(h ^ w[i]!, TEXT_HASH_PRIME);
  return h;
}

/** The shared node for a value of a common kind, or undefined to take the general path. */
function numericItem(
  sp: Spelling,
  w: Uint16Array,
  o: number,
  vs: number,
  slash: number,
  end: number,
): MatchItem | undefined {
  let key: number;
  let value: FieldValue;
  switch (sp.kind) {
    case 'port': {
      if (slash >= 0) return undefined;
      // Decimal only: OVS reads `0x3` as a port name.
      if (w[vs + 1 - o] === 120) return undefined;
      const n = uintW(w, o, vs, end);
      if (n < 0 || n >= PORT_NAMED_MIN) return undefined;
      key = n;
      const hit = numeric.get(sp.id, key);
      if (hit !== undefined) return hit;
      value = { t: 'port', port: { kind: 'number', n } };
      break;
    }
    case 'int': {
      if (slash >= 0) return undefined;
      const n = uintW(w, o, vs, end);
      if (n < 0 || n > sp.max || (n & sp.zero) !== 0) return undefined;
      const pad = w[vs + 1 - o] === 120 ? end - vs - 2 : -1;
      key = n + (pad + 1) * P32;
      const hit = numeric.get(sp.id, key);
      if (hit !== undefined) return hit;
      value = { t: 'int', v: n, fmt: hexFmt(pad) };
      break;
    }
    case 'mac': {
      if (slash >= 0 || end - vs !== 17) return undefined;
      const n = macW(w, o, vs);
      if (n < 0) return undefined;
      key = n;
      const hit = numeric.get(sp.id, key);
      if (hit !== undefined) return hit;
      value = { t: 'mac', v: n };
      break;
    }
    case 'ipv4': {
      const n = ipv4W(w, o, vs, slash < 0 ? end : slash);
      if (n < 0) return undefined;
      let len = -1;
      if (slash >= 0) {
        if (!sp.maskable) return undefined;
        len = uintW(w, o, slash + 1, end);
        // Only a plain decimal /len (not 0x.., not a dotted mask) takes this path.
        if (len < 0 || len > 32 || w[slash + 2 - o] === 120 || end - slash > 3) return undefined;
      }
      key = n + (len + 1) * P32;
      const hit = numeric.get(sp.id, key);
      if (hit !== undefined) return hit;
      value = len < 0 ? { t: 'ipv4', v: n } : { t: 'ipv4', v: n, m: prefixToMask4(len), prefix: len };
      break;
    }
    default:
      return undefined;
  }
  const item: MatchItem = { kind: 'field', field: sp.field, name: sp.name, value };
  numeric.set(sp.id, key, item);
  return item;
}

// ---- Action lists. Most are read in place: one scan splits the list at its top-level commas and
// hashes each action; each action's node comes from the action memo (actions.ts), and the list from
// a table keyed by its sequence of nodes, so a new list costs no substrings, no split array and no
// key of its own. Lists this scan does not take (quotes, braces, anything parseActions refuses)
// go through parseActions by their text, which says what is wrong.

// The scanned actions of the list being read: start, end and textHash of each.
let partStart = new Int32Array(16);
let partEnd = new Int32Array(16);
let partHash = new Int32Array(16);
const partNodes: Action[] = [];

function morePartRoom(): void {
  const n = partStart.length * 2;
  const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
    const b = new Int32Array(n);
    b.set(a);
    return b;
  };
  partStart = grow(partStart);
  partEnd = grow(partEnd);
  partHash = grow(partHash);
}

/** 1 for the characters that mean nothing to splitActionsAt: all but , ( ) [ ] { } and ". */
const LIST_PLAIN = new Uint8Array(128).fill(1);
for (const c of ',()[]{}"') LIST_PLAIN[c.charCodeAt(0)] = 0;

/**
 * Split src[a, b) into actions as parseActions would (splitTopLevel at commas, after `balanced`),
 * into partStart/partEnd/partHash; their count, or -1 for a list to leave to parseActions: empty,
 * an empty action, quotes or braces, parentheses that do not balance or nest too deep, or a comma
 * inside brackets of a list without parentheses (splitTopLevel's fast path splits there).
 */
function splitActionsAt(w: Uint16Array, o: number, a: number, b: number): number {
  if (a >= b) return -1;
  let n = 0;
  let start = a;
  let h = TEXT_HASH_BASIS;
  let parens = 0; // balanced(): ( and ) only
  let depth = 0; // splitTopLevel: ( and [, never below 0
  let opened = false;
  let nestedCommas = 0;
  for (let i = a; i < b; i++) {
    const c = w[i - o]!;
    // Most characters are none of those below: one table read tells.
    if (c >= 128 || LIST_PLAIN[c] === 1) {
      h = Math.imul(h ^ c, TEXT_HASH_PRIME);
      continue;
    }
    if (c === 44) {
      if (depth === 0) {
        if (i === start) return -1;
        if (n === partStart.length) morePartRoom();
        partStart[n] = start;
        partEnd[n] = i;
        partHash[n++] = h;
        start = i + 1;
        h = TEXT_HASH_BASIS;
        continue;
      }
      nestedCommas++;
    } else if (c === 40) {
      if (++parens > ACTIONS_MAX_DEPTH) return -1;
      depth++;
      opened = true;
    } else if (c === 41) {
      if (--parens < 0) return -1;
      if (depth > 0) depth--;
    } else if (c === 91) depth++;
    else if (c === 93) {
      if (depth > 0) depth--;
    } else if (c === 34 || c === 123 || c === 125) return -1;
    h = Math.imul(h ^ c, TEXT_HASH_PRIME);
  }
  if (parens !== 0 || start === b || (nestedCommas > 0 && !opened)) return -1;
  if (n === partStart.length) morePartRoom();
  partStart[n] = start;
  partEnd[n] = b;
  partHash[n++] = h;
  return n;
}

/** Frozen action lists by their nodes (identity), direct-mapped (LIST_SLOTS) on a hash of their texts. */
class ListsByNodes {
  /** Per slot, the hash with the low bit set (0: empty), compared before the list is read. */
  private readonly tags = new Int32Array(LIST_SLOTS);
  private readonly lists: (Action[] | undefined)[] = new Array<Action[] | undefined>(LIST_SLOTS).fill(
    undefined,
  );

  /** The list of nodes[0, n) (h: their hash), made from a copy unless the slot holds it. */
  get(nodes: Action[], n: number, h: number): Action[] {
    const tag = h | 1;
    const i = tag & (LIST_SLOTS - 1);
    if (this.tags[i] === tag) {
      const l = this.lists[i]!;
      if (l.length === n && sameNodes(l, nodes, n)) return l;
    }
    const list = firstOf(nodes, n);
    this.tags[i] = tag;
    this.lists[i] = list;
    return list;
  }

  clear(): void {
    this.tags.fill(0);
    this.lists.fill(undefined);
  }
}

/**
 * A copy of xs[0, n) (a flow's match items, an action list): an array literal per count, not
 * slice. A literal has an allocation site, through which V8 learns that a dump's arrays outlive
 * the parse and allocates them where long-lived objects go, instead of copying each one twice as
 * the young generation fills up.
 */
export function firstOf<T>(xs: readonly T[], n: number): T[] {
  const s = xs;
  switch (n) {
    case 0:
      return [];
    case 1:
      return [s[0]!];
    case 2:
      return [s[0]!, s[1]!];
    case 3:
      return [s[0]!, s[1]!, s[2]!];
    case 4:
      return [s[0]!, s[1]!, s[2]!, s[3]!];
    case 5:
      return [s[0]!, s[1]!, s[2]!, s[3]!, s[4]!];
    case 6:
      return [s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!];
    case 7:
      return [s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!];
    case 8:
      return [s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!, s[7]!];
    default:
      return s.slice(0, n);
  }
}

function sameNodes(l: readonly Action[], nodes: readonly Action[], n: number): boolean {
  for (let k = 0; k < n; k++) if (l[k] !== nodes[k]) return false;
  return true;
}

const listsByNodes = new ListsByNodes();

/** The action list at src[a, b) (everything after `actions=`), shared and frozen. */
export function sharedActions(src: string, a: number, b: number): Action[] {
  return sharedActionsW(src, charsAlone(src), 0, a, b);
}

/** sharedActions for a caller reading src's code units from a window: src[i] is w[i - o]. */
export function sharedActionsW(src: string, w: Uint16Array, o: number, a: number, b: number): Action[] {
  const n = splitActionsAt(w, o, a, b);
  if (n < 0) return actionLists.get(src, a, b);
  let h = TEXT_HASH_BASIS;
  for (let k = 0; k < n; k++) h = Math.imul(h ^ partHash[k]!, TEXT_HASH_PRIME);
  const seen = recentLists.get(w, a - o, b - o, h);
  if (seen !== undefined) return seen;
  let drops = 0;
  for (let k = 0; k < n; k++) {
    // In order: the first action parseAction refuses is the error, as in parseActions.
    const node =
      numericAction(src, w, o, partStart[k]!, partEnd[k]!) ??
      actionNodeAtW(src, w, o, partStart[k]!, partEnd[k]!, partHash[k]!);
    if (node === DROP_ACTION) drops++;
    partNodes[k] = node;
  }
  if (drops > 0 && drops < n) dropWithOthers(src.slice(a, b));
  const list = listsByNodes.get(partNodes, n, h);
  recentLists.set(w, a - o, b - o, h, list);
  return list;
}

/**
 * Action lists by their text, for texts of at most RECENT_UNITS code units, direct-mapped
 * (RECENT_SLOTS) with each slot's text kept in place: a dump repeats a few lists on every port
 * (`resubmit(,24)`, `ct(table=72,zone=NXM_NX_REG6[0..15])`), and such a list is then one lookup,
 * not one per action and one for the list. Holds only lists sharedActionsW made from that text.
 */
const RECENT_SLOTS = 4096;
const RECENT_UNITS = 64;

class RecentLists {
  private readonly tags = new Int32Array(RECENT_SLOTS);
  private readonly lens = new Int32Array(RECENT_SLOTS);
  private readonly units = new Uint16Array(RECENT_SLOTS * RECENT_UNITS);
  private readonly lists: (Action[] | undefined)[] = new Array<Action[] | undefined>(RECENT_SLOTS).fill(
    undefined,
  );

  /** The list made from the text w[p, q) (h: its hash), if this slot holds it. */
  get(w: Uint16Array, p: number, q: number, h: number): Action[] | undefined {
    const tag = h | 1;
    const i = (tag >>> 7) & (RECENT_SLOTS - 1);
    const len = q - p;
    if (this.tags[i] !== tag || this.lens[i] !== len) return undefined;
    const u = this.units;
    const at = i * RECENT_UNITS;
    for (let k = 0; k < len; k++) if (u[at + k] !== w[p + k]) return undefined;
    return this.lists[i];
  }

  set(w: Uint16Array, p: number, q: number, h: number, list: Action[]): void {
    const len = q - p;
    if (len > RECENT_UNITS) return;
    const tag = h | 1;
    const i = (tag >>> 7) & (RECENT_SLOTS - 1);
    const u = this.units;
    const at = i * RECENT_UNITS;
    for (let k = 0; k < len; k++) u[at + k] = w[p + k]!;
    this.tags[i] = tag;
    this.lens[i] = len;
    this.lists[i] = list;
  }

  clear(): void {
    this.tags.fill(0);
    this.lists.fill(undefined);
  }
}

const recentLists = new RecentLists();

// ---- Actions whose argument is a number (output:N, load:0xN->REF, mod_vlan_vid:N,
// conjunction(id,k/n)): a dump has one per port, each seen once or twice, so reading them by text
// means parsing and copying out a key for most. Read here straight from the line and shared by
// value; anything else about them (a bound crossed, another spelling) takes parseAction's path,
// which says what is wrong. Both paths give equal nodes (checked by a property test).

const OUTPUT = 0;
const MOD_VLAN_VID = 1;
const CONJUNCTION = 2;
/** load:0x…->REF: LOAD + REF's id (one per reference text). */
const LOAD = 3;

const actionNums = new NumericNodes<Action>();
let refIds = 0;
// A load's destination by its text, with its id and width; null: parseFieldRef refuses it.
const loadRefs = new TextMemo(SHARE_MAX, (text: string) => {
  let ref: FieldRef;
  try {
    ref = parseFieldRef(text);
  } catch {
    return null;
  }
  return { ref, id: refIds++, width: refWidth(ref) ?? 128 };
});

const OUTPUT_COLON = unitsOf('output:');
const MOD_VLAN_VID_COLON = unitsOf('mod_vlan_vid:');
const CONJUNCTION_PAREN = unitsOf('conjunction(');
const LOAD_HEX = unitsOf('load:0x');

/** Decimal digits only in [a, b) of the window, at most 15 (uintW also reads 0x). */
function decimalAt(w: Uint16Array, o: number, a: number, b: number): number {
  if (b - a > 1 && w[a + 1 - o] === 120) return -1;
  return uintW(w, o, a, b);
}

/** The first c in [a, b) of the window, or -1. */
function indexIn(w: Uint16Array, o: number, c: number, a: number, b: number): number {
  for (let i = a; i < b; i++) if (w[i - o] === c) return i;
  return -1;
}

/** The shared node of the numeric action at src[a, b), or undefined for parseAction's path. */
function numericAction(src: string, w: Uint16Array, o: number, a: number, b: number): Action | undefined {
  switch (w[a - o]) {
    case 111: {
      if (b - a < 8 || !unitsAt(w, o, a, OUTPUT_COLON)) return undefined;
      const n = decimalAt(w, o, a + 7, b);
      if (n < 0 || n >= OFPP_MAX) return undefined;
      const hit = actionNums.get(OUTPUT, n);
      if (hit !== undefined) return hit;
      const node: Action = { type: 'output', port: { kind: 'number', n }, bare: false };
      actionNums.set(OUTPUT, n, node);
      return node;
    }
    case 109: {
      if (b - a < 14 || !unitsAt(w, o, a, MOD_VLAN_VID_COLON)) return undefined;
      const n = uintW(w, o, a + 13, b);
      if (n < 0 || n > 4095) return undefined;
      const hit = actionNums.get(MOD_VLAN_VID, n);
      if (hit !== undefined) return hit;
      const node: Action = { type: 'mod_vlan_vid', vid: n };
      actionNums.set(MOD_VLAN_VID, n, node);
      return node;
    }
    case 99: {
      if (b - a < 17 || w[b - 1 - o] !== 41 || !unitsAt(w, o, a, CONJUNCTION_PAREN)) return undefined;
      const comma = indexIn(w, o, 44, a + 12, b);
      const slash = comma < 0 ? -1 : indexIn(w, o, 47, comma + 1, b);
      if (slash < 0) return undefined;
      const id = decimalAt(w, o, a + 12, comma);
      const clause = decimalAt(w, o, comma + 1, slash);
      const nClauses = decimalAt(w, o, slash + 1, b - 1);
      if (id < 0 || id > 0xffffffff || nClauses < 2 || nClauses > 64 || clause < 1 || clause > nClauses)
        return undefined;
      const key = id * 16384 + clause * 128 + nClauses;
      const hit = actionNums.get(CONJUNCTION, key);
      if (hit !== undefined) return hit;
      const node: Action = { type: 'conjunction', id, clause, nClauses };
      actionNums.set(CONJUNCTION, key, node);
      return node;
    }
    case 108: {
      if (b - a < 12 || !unitsAt(w, o, a, LOAD_HEX)) return undefined;
      let arrow = a + 7;
      while (arrow < b && w[arrow - o] !== 45) arrow++;
      if (arrow + 2 >= b || w[arrow + 1 - o] !== 62) return undefined;
      const n = uintW(w, o, a + 5, arrow);
      if (n < 0) return undefined;
      let rh = TEXT_HASH_BASIS;
      for (let i = arrow + 2 - o; i < b - o; i++) rh = Math.imul(rh ^ w[i]!, TEXT_HASH_PRIME);
      const r = loadRefs.getHashedW(src, w, o, arrow + 2, b, rh);
      // Another `->` in the reference (lastIndexOf reads the line otherwise), or a value wider
      // than the reference: parseAction's path, and its error.
      if (r === null || (r.width < 53 && n >= 2 ** r.width)) return undefined;
      const hit = actionNums.get(LOAD + r.id, n);
      if (hit !== undefined) return hit;
      const node: Action = { type: 'load', value: BigInt(n), hex: true, dst: r.ref };
      actionNums.set(LOAD + r.id, n, node);
      return node;
    }
    default:
      return undefined;
  }
}
