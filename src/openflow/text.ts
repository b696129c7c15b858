// Splitting of flow text at top-level separators: commas inside (), [] and {} and quotes belong to
// their group (ct(commit,zone=1), learn(...), {peer=x}).

const LPAREN = 40;
const RPAREN = 41;
const LBRACK = 91;
const RBRACK = 93;
const LBRACE = 123;
const RBRACE = 125;
const QUOTE = 34;
const BACKSLASH = 92;

/** Split at `seps` characters that are outside brackets and double quotes. */
export function splitTopLevel(text: string, seps: string): string[] {
  // Fast path: nothing nested, nothing quoted.
  if (seps.length === 1 && text.indexOf('(') < 0 && text.indexOf('"') < 0 && text.indexOf('{') < 0)
    return text.split(seps);
  const s0 = seps.charCodeAt(0);
  const s1 = seps.length > 1 ? seps.charCodeAt(1) : s0;
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) quoted = false;
      continue;
    }
    if (c === QUOTE) quoted = true;
    else if (c === LPAREN || c === LBRACK || c === LBRACE) depth++;
    else if (c === RPAREN || c === RBRACK || c === RBRACE) depth = depth > 0 ? depth - 1 : 0;
    else if (depth === 0 && (c === s0 || c === s1)) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

// Set while lines of a text are read in no order (a dump's index parsing what a trace asks for):
// remembering the next occurrence pays only when lines come in order, and a search from a line
// back in the text for a word it lacks would run to the text's end every time.
let linesInAnyOrder = false;

/** Run `fn`, whose NextOccurrence searches look at each line alone. */
export function readingLinesInAnyOrder<T>(fn: () => T): T {
  const was = linesInAnyOrder;
  linesInAnyOrder = true;
  try {
    return fn();
  } finally {
    linesInAnyOrder = was;
  }
}

/** Where `word` starts within src[s, e), or -1: a search of those characters only. */
function localIndex(src: string, word: string, s: number, e: number): number {
  const c0 = word.charCodeAt(0);
  const last = e - word.length;
  outer: for (let i = s; i <= last; i++) {
    if (src.charCodeAt(i) !== c0) continue;
    for (let k = 1; k < word.length; k++) if (src.charCodeAt(i + k) !== word.charCodeAt(k)) continue outer;
    return i;
  }
  return -1;
}

/**
 * Whether `word` occurs within src[s, e), for a text read line by line with growing s: the next
 * occurrence is remembered, so a word absent from most lines costs one search of the text in all
 * rather than one to its end per line.
 */
export class NextOccurrence {
  private src = '';
  /** Where the last search started, and what it found (-1: nothing from there on). */
  private from = 0;
  private at = -1;
  constructor(private readonly word: string) {}

  within(src: string, s: number, e: number): boolean {
    return this.indexWithin(src, s, e) >= 0;
  }

  /** Where the word starts within src[s, e), or -1. */
  indexWithin(src: string, s: number, e: number): number {
    if (linesInAnyOrder) return localIndex(src, this.word, s, e);
    // A new text, or the same one read again from an earlier line: search afresh.
    if (src !== this.src || s < this.from || (this.at !== -1 && this.at < s)) {
      this.src = src;
      this.from = s;
      this.at = src.indexOf(this.word, s);
    }
    return this.at >= s && this.at + this.word.length <= e ? this.at : -1;
  }

  /** Let go of the text (a dump of 40 MB is not kept alive by a search). */
  reset(): void {
    this.src = '';
    this.from = 0;
    this.at = -1;
  }
}
