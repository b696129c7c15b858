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
