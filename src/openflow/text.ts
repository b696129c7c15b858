// Splitting of flow text at top-level separators: commas inside (), [] and {} and quotes belong to
// their group (ct(commit,zone=1), learn(...), {peer=x}).

const OPEN = new Set(['(', '[', '{']);

/** Split at `sep` characters that are outside brackets and double quotes. */
export function splitTopLevel(text: string, seps: string): string[] {
  // Fast path: nothing nested, nothing quoted.
  if (seps.length === 1 && !/[([{"]/.test(text)) return text.split(seps);
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (OPEN.has(c)) depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (depth === 0 && seps.includes(c)) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** True when brackets and quotes in `text` are balanced. */
export function balanced(text: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (OPEN.has(c)) depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth < 0) return false;
    }
  }
  return depth === 0 && !quoted;
}
