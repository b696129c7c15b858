// The characters of the flow text being parsed, as UTF-16 code units in a typed array. In the
// parser's optimized code every `line.charCodeAt(i)` on a string parameter expands to V8's string
// representation dispatch (map, instance type, cons/sliced/thin/external, one or two bytes: some
// 15-20 instructions and branches per character), while `w[i - o]` on a Uint16Array is a bounds
// check and a load. A dump line is read a few times over (tokens, keys, values, memo compares), so
// the parser reads its characters from here: a window of the text copied in by V8's own widening
// copy (Buffer#write as utf16le), the same code units charCodeAt returns, for any text.
//
// A dump read in order (parseDumpFlows) refills the window one chunk of lines at a time. Anything
// else (one flow, a dump's index parsing the lines a trace asks for) copies its line in alone and
// leaves the window empty: it is never trusted to hold a text it was not just filled from.

/** Code units per chunk a held text is refilled with (grown for a longer line). */
const CHUNK = 1 << 16;

// Buffer#write as utf16le writes little-endian code units; a Uint16Array reads the platform's order.
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let bytes = Buffer.allocUnsafeSlow(2 * CHUNK);
let units = new Uint16Array(bytes.buffer, bytes.byteOffset, CHUNK);
/** The window holds src[winStart, winEnd) of the text of the dump being read (none when winEnd < 0). */
let winStart = 0;
let winEnd = -1;

/** Where the window starts in the text: the code unit of src[i] is at [i - charsFrom]. */
export let charsFrom = 0;

/** Forget what the window holds: a dump's read starts or ends (nested reads refill it). */
export function forgetChars(): void {
  winEnd = -1;
}

/**
 * The window with src[s, e) in it; charsFrom is where it starts in src. `inOrder`: the caller is
 * the read of one dump from top to bottom (between two forgetChars), whose later lines may come
 * from the same chunk; anything else copies its line alone and leaves nothing to reuse.
 */
export function charsOf(src: string, s: number, e: number, inOrder: boolean): Uint16Array {
  if (inOrder && s >= winStart && e <= winEnd) return units;
  const to = inOrder ? Math.max(e, Math.min(src.length, s + CHUNK)) : e;
  if (to - s > units.length) {
    bytes = Buffer.allocUnsafeSlow(2 * (to - s));
    units = new Uint16Array(bytes.buffer, bytes.byteOffset, to - s);
  }
  if (LITTLE) bytes.write(src.slice(s, to), 0, 'utf16le');
  else for (let i = s; i < to; i++) units[i - s] = src.charCodeAt(i);
  winStart = s;
  winEnd = inOrder ? to : -1;
  charsFrom = s;
  return units;
}

/** The code units of s (a word a parser looks for with unitsAt). */
export function unitsOf(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

/** Whether the window w (from o) holds the code units `word` at `at`. */
export function unitsAt(w: Uint16Array, o: number, at: number, word: readonly number[]): boolean {
  const p = at - o;
  for (let k = 0; k < word.length; k++) if (w[p + k] !== word[k]) return false;
  return true;
}

let alone = new Uint16Array(256);

/**
 * The code units of a short text apart from the window (a token cut out of a line the window
 * holds), from index 0; valid until the next call.
 */
export function charsAlone(text: string): Uint16Array {
  if (text.length > alone.length) alone = new Uint16Array(2 * text.length);
  for (let i = 0; i < text.length; i++) alone[i] = text.charCodeAt(i);
  return alone;
}
