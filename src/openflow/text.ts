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
