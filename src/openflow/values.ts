// Parse and format the value kinds of flow syntax. Formatting reproduces what ovs-ofctl prints.
import { readEscape } from '../text/unescape.ts';
import { syntaxError } from './errors.ts';
import type {
  BigValue,
  FlagsValue,
  IntFormat,
  IntValue,
  Ipv4Value,
  Ipv6Value,
  MacValue,
  PortRef,
  ReservedPort,
} from './types.ts';

const DEC = /^[0-9]+$/;
const HEX = /^0x[0-9a-fA-F]+$/;

// Shared, never mutated: most values are written in one of a handful of formats.
const DEC_FMT: IntFormat = Object.freeze({ hex: false, pad: 0 });
const HEX_FMTS: IntFormat[] = Array.from({ length: 33 }, (_, i) => Object.freeze({ hex: true, pad: i }));

function fmtOf(text: string): IntFormat {
  return text.charCodeAt(1) === 120 ? hexFmt(text.length - 2) : DEC_FMT;
}

/** The shared format of a value written with `pad` hex digits, or in decimal when pad < 0. */
export function hexFmt(pad: number): IntFormat {
  if (pad < 0) return DEC_FMT;
  return HEX_FMTS[pad] ?? { hex: true, pad };
}

/**
 * Value of a decimal or 0x-hex integer written in `text`, or -1 when it is not one or needs more
 * than 52 bits (callers then take the exact BigInt path). Hand-rolled: this is the parser's hot loop.
 */
export function uintOf(text: string): number {
  return uintAt(text, 0, text.length);
}

/** uintOf for text[start, end), without cutting the text out. */
export function uintAt(text: string, start: number, end: number): number {
  // Longer than 15 characters is never one (15 decimal digits, or 0x and 13 hex digits).
  return end - start > 15 ? -1 : uintW(unitsOf(text, start, end - start), start, start, end);
}

/** An unsigned integer of at most `bits` bits (≤ 52), decimal or 0x hex. */
export function parseUint(text: string, bits: number, what: string): number {
  const n = uintOf(text);
  if (n < 0) {
    if (!DEC.test(text) && !HEX.test(text)) syntaxError(`${what}: "${text}" is not a number`, text);
    syntaxError(`${what}: ${text} does not fit in ${bits} bits`, text);
  }
  if (n > 2 ** bits - 1) syntaxError(`${what}: ${text} does not fit in ${bits} bits`, text);
  return n;
}

const LIMITS = new Map<number, bigint>();

export function parseBig(text: string, bits: number, what: string): bigint {
  const small = uintOf(text);
  if (small >= 0 && bits >= 52) return BigInt(small);
  if (!DEC.test(text) && !HEX.test(text)) syntaxError(`${what}: "${text}" is not a number`, text);
  const n = BigInt(text);
  let limit = LIMITS.get(bits);
  if (limit === undefined) {
    limit = 1n << BigInt(bits);
    LIMITS.set(bits, limit);
  }
  if (n >= limit) syntaxError(`${what}: ${text} does not fit in ${bits} bits`, text);
  return n;
}

export function parseIntValue(text: string, bits: number, maskable: boolean, what: string): IntValue {
  const slash = text.indexOf('/');
  if (slash < 0) return { t: 'int', v: parseUint(text, bits, what), fmt: fmtOf(text) };
  if (!maskable) syntaxError(`${what} cannot be masked`, text);
  const vt = text.slice(0, slash);
  const mt = text.slice(slash + 1);
  return {
    t: 'int',
    v: parseUint(vt, bits, what),
    m: parseUint(mt, bits, what),
    fmt: fmtOf(vt),
    mfmt: fmtOf(mt),
  };
}

export function parseBigValue(text: string, bits: number, maskable: boolean, what: string): BigValue {
  const slash = text.indexOf('/');
  if (slash < 0) return { t: 'big', v: parseBig(text, bits, what), fmt: fmtOf(text) };
  if (!maskable) syntaxError(`${what} cannot be masked`, text);
  const vt = text.slice(0, slash);
  const mt = text.slice(slash + 1);
  return {
    t: 'big',
    v: parseBig(vt, bits, what),
    m: parseBig(mt, bits, what),
    fmt: fmtOf(vt),
    mfmt: fmtOf(mt),
  };
}

export function formatInt(v: number | bigint, fmt: IntFormat): string {
  if (!fmt.hex) return v.toString();
  const h = v.toString(16);
  return `0x${fmt.pad > h.length ? h.padStart(fmt.pad, '0') : h}`;
}

export function formatIntValue(x: IntValue | BigValue): string {
  const v = formatInt(x.v, x.fmt);
  return x.m === undefined ? v : `${v}/${formatInt(x.m, x.mfmt ?? x.fmt)}`;
}

const MAC = /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/;

export function parseMacOnly(text: string, what: string): number {
  const fast = text.length === 17 ? macAt(text, 0) : -1;
  if (fast >= 0) return fast;
  if (!MAC.test(text)) syntaxError(`${what}: "${text}" is not a MAC address`, text);
  let n = 0;
  for (const part of text.split(':')) n = n * 256 + Number.parseInt(part, 16);
  return n;
}

/** The canonical xx:xx:xx:xx:xx:xx address at text[start, start + 17), or -1. */
const FEW = new Uint16Array(17);

/**
 * The code units of text[start, start + n), n at most 17, as a window that starts at `start`: the
 * string readers below are their window readers on a copy (a character past the text's end reads
 * as 0, which none of them takes for a digit or a separator).
 */
function unitsOf(text: string, start: number, n: number): Uint16Array {
  for (let k = 0; k < n; k++) FEW[k] = text.charCodeAt(start + k) || 0;
  return FEW;
}

/** uintAt over the code units at [start, end) of a window w that starts at o (chars.ts). */
export function uintW(w: Uint16Array, o: number, start: number, end: number): number {
  const n = end - start;
  if (n <= 0) return -1;
  const a = start - o;
  const b = end - o;
  let v = 0;
  if (n > 2 && w[a] === 48 && w[a + 1] === 120) {
    if (n - 2 > 13) return -1;
    for (let i = a + 2; i < b; i++) {
      const c = w[i]!;
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else return -1;
      v = v * 16 + d;
    }
    return v;
  }
  if (n > 15) return -1;
  for (let i = a; i < b; i++) {
    const c = w[i]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** macAt over a window w that starts at o (chars.ts). */
export function macW(w: Uint16Array, o: number, start: number): number {
  let n = 0;
  const a = start - o;
  for (let i = a; i < a + 17; i += 3) {
    const hi = hexDigit(w[i]!);
    const lo = hexDigit(w[i + 1]!);
    if (hi < 0 || lo < 0 || (i < a + 15 && w[i + 2] !== 58)) return -1;
    n = n * 256 + hi * 16 + lo;
  }
  return n;
}

/** ipv4At over a window w that starts at o (chars.ts). */
export function ipv4W(w: Uint16Array, o: number, start: number, end: number): number {
  if (end - start > 15) return -1;
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start - o; i < end - o; i++) {
    const c = w[i]!;
    if (c === 46) {
      if (digits === 0 || octet > 255) return -1;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + c - 48;
      digits++;
    } else return -1;
  }
  return dots === 3 && digits > 0 && octet <= 255 ? n * 256 + octet : -1;
}

export function macAt(text: string, start: number): number {
  return macW(unitsOf(text, start, 17), start, start);
}

/** The value of the hex digit with char code c, or -1. */
export function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export function parseMac(text: string, maskable: boolean, what: string): MacValue {
  const slash = text.indexOf('/');
  if (slash < 0) return { t: 'mac', v: parseMacOnly(text, what) };
  if (!maskable) syntaxError(`${what} cannot be masked`, text);
  return {
    t: 'mac',
    v: parseMacOnly(text.slice(0, slash), what),
    m: parseMacOnly(text.slice(slash + 1), what),
  };
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatMac(n: number): string {
  const hi = Math.floor(n / 0x1000000);
  const lo = n % 0x1000000;
  return `${HEX2[hi >>> 16]}:${HEX2[(hi >>> 8) & 255]}:${HEX2[hi & 255]}:${HEX2[lo >>> 16]}:${HEX2[(lo >>> 8) & 255]}:${HEX2[lo & 255]}`;
}

export function formatMacValue(x: MacValue): string {
  return x.m === undefined ? formatMac(x.v) : `${formatMac(x.v)}/${formatMac(x.m)}`;
}

export function parseIpv4Only(text: string, what: string): number {
  const n = ipv4At(text, 0, text.length);
  if (n >= 0) return n;
  return syntaxError(`${what}: "${text}" is not an IPv4 address`, text);
}

/** Four decimal octets at text[start, end), or -1. */
export function ipv4At(text: string, start: number, end: number): number {
  return end - start > 15 ? -1 : ipv4W(unitsOf(text, start, end - start), start, start, end);
}

export function prefixToMask4(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export function parseIpv4(text: string, maskable: boolean, what: string): Ipv4Value {
  const slash = text.indexOf('/');
  if (slash < 0) return { t: 'ipv4', v: parseIpv4Only(text, what) };
  if (!maskable) syntaxError(`${what} cannot be masked`, text);
  const v = parseIpv4Only(text.slice(0, slash), what);
  const mt = text.slice(slash + 1);
  if (DEC.test(mt)) {
    const len = Number(mt);
    if (len > 32) syntaxError(`${what}: prefix /${mt} is longer than 32`, text);
    return { t: 'ipv4', v, m: prefixToMask4(len), prefix: len };
  }
  return { t: 'ipv4', v, m: parseIpv4Only(mt, what) };
}

export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function formatIpv4Value(x: Ipv4Value): string {
  if (x.m === undefined) return formatIpv4(x.v);
  return x.prefix !== undefined ? `${formatIpv4(x.v)}/${x.prefix}` : `${formatIpv4(x.v)}/${formatIpv4(x.m)}`;
}

export function parseIpv6Only(text: string, what: string): bigint {
  const bad = (): never => syntaxError(`${what}: "${text}" is not an IPv6 address`, text);
  if (!/^[0-9a-fA-F:.]+$/.test(text)) bad();
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
    if (tail.includes('::')) bad();
  }
  const groups = (s: string): number[] => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    parts.forEach((p, i) => {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4Only(p, what);
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) bad();
        out.push(Number.parseInt(p, 16));
      }
    });
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (dbl < 0 ? h.length !== 8 : h.length + t.length > 7) bad();
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  let n = 0n;
  for (const g of all) n = (n << 16n) | BigInt(g);
  return n;
}

export function parseIpv6(text: string, maskable: boolean, what: string): Ipv6Value {
  const slash = text.indexOf('/');
  if (slash < 0) return { t: 'ipv6', v: parseIpv6Only(text, what) };
  if (!maskable) syntaxError(`${what} cannot be masked`, text);
  const v = parseIpv6Only(text.slice(0, slash), what);
  const mt = text.slice(slash + 1);
  if (DEC.test(mt)) {
    const len = Number(mt);
    if (len > 128) syntaxError(`${what}: prefix /${mt} is longer than 128`, text);
    const m = len === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - len)) - 1n);
    return { t: 'ipv6', v, m, prefix: len };
  }
  return { t: 'ipv6', v, m: parseIpv6Only(mt, what) };
}

/** RFC 5952 text: lowercase, longest run of ≥ 2 zero groups compressed. */
export function formatIpv6(n: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function formatIpv6Value(x: Ipv6Value): string {
  if (x.m === undefined) return formatIpv6(x.v);
  return x.prefix !== undefined ? `${formatIpv6(x.v)}/${x.prefix}` : `${formatIpv6(x.v)}/${formatIpv6(x.m)}`;
}

export const RESERVED_PORTS: ReadonlySet<string> = new Set<ReservedPort>([
  'LOCAL',
  'IN_PORT',
  'NORMAL',
  'FLOOD',
  'ALL',
  'CONTROLLER',
  'ANY',
  'NONE',
  'TABLE',
]);

/**
 * OpenFlow 1.0's OFPP_MAX: ports are numbered below it. OVS (3.1) still reads 0xff00..0xfff6 as
 * port numbers (and prints them so; it refuses output to them), reads 0xfff7..0xffff as the
 * reserved ports it prints by name (UNSET, IN_PORT ... LOCAL, ANY), OpenFlow 1.1's 0xffffff00 and
 * up as their 1.0 counterparts, and refuses every other number from 65536 on.
 */
export const OFPP_MAX = 0xff00;
/** The first number OVS prints by name (OFPP_UNSET): no number from here on is in what it prints. */
export const PORT_NAMED_MIN = 0xfff7;

const RESERVED_BY_NUMBER = [
  'UNSET',
  'IN_PORT',
  'TABLE',
  'NORMAL',
  'FLOOD',
  'ALL',
  'CONTROLLER',
  'LOCAL',
  'ANY',
];

/**
 * A port number in decimal, as ovs-ofctl prints and reads it, below `limit`: PORT_NAMED_MIN for a
 * port matched or resubmitted from, OFPP_MAX for one output to.
 */
export function parsePortNumber(text: string, what: string, limit = PORT_NAMED_MIN): number {
  if (!DEC.test(text)) syntaxError(`${what}: "${text}" is not a port number`, text);
  const n = uintOf(text);
  if (n >= 0 && n < limit) return n;
  // OpenFlow 1.1's reserved numbers (0xffffff00 and up) are read as their 1.0 counterparts.
  const m = n >= 0xffffff00 && n <= 0xffffffff ? n - 0xffff0000 : n;
  let why = 'OVS refuses it';
  if (m >= PORT_NAMED_MIN && m <= 0xffff)
    why = `OVS reads it as ${RESERVED_BY_NUMBER[m - PORT_NAMED_MIN]}, and prints it so`;
  else if (m >= OFPP_MAX && m <= 0xffff)
    why = `it is in OpenFlow 1.0's reserved range (${OFPP_MAX}..65535): OVS refuses output to it`;
  return syntaxError(`${what}: port ${text} is not below ${limit}: ${why}`, text);
}

/**
 * A port as flow syntax writes it: number, reserved name, plain or quoted name. Numbers are decimal:
 * OVS reads `0x3` as the name of a port (and quotes such a name when it prints it: `"0x3"`).
 */
export function parsePortRef(text: string, what: string, limit = PORT_NAMED_MIN): PortRef {
  if (DEC.test(text)) return { kind: 'number', n: parsePortNumber(text, what, limit) };
  if (RESERVED_PORTS.has(text)) return { kind: 'reserved', name: text as ReservedPort };
  if (text.startsWith('"')) {
    if (text.length < 2 || !text.endsWith('"')) syntaxError(`${what}: unterminated quoted port name`, text);
    return { kind: 'name', name: unquote(text), quoted: true };
  }
  if (text === '') syntaxError(`${what}: missing port`, text);
  return { kind: 'name', name: text, quoted: false };
}

export function formatPortRef(p: PortRef): string {
  switch (p.kind) {
    case 'number':
      return String(p.n);
    case 'reserved':
      return p.name;
    case 'name':
      return p.quoted ? quote(p.name) : p.name;
  }
}

/** C-style quoted string as OVS prints it ("we\"ird"). */
export function unquote(text: string): string {
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    const e = c === '\\' ? readEscape(body, i + 1) : undefined;
    if (e) {
      out += e.ch;
      i = e.next - 1;
    } else out += c;
  }
  return out;
}

export function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function parseFlags(text: string, known: readonly string[], what: string): FlagsValue {
  const flags: { name: string; on: boolean }[] = [];
  const re = /([+-])([a-z_]+)/y;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) syntaxError(`${what}: cannot read flags at "${text.slice(i)}"`, text);
    if (!known.includes(m[2]!)) syntaxError(`${what}: unknown flag "${m[2]}"`, text);
    flags.push({ name: m[2]!, on: m[1] === '+' });
    i = re.lastIndex;
  }
  if (flags.length === 0) syntaxError(`${what}: empty flags`, text);
  return { t: 'flags', flags };
}

export function formatFlags(x: FlagsValue): string {
  return x.flags.map((f) => `${f.on ? '+' : '-'}${f.name}`).join('');
}
