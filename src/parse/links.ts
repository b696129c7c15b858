// `<case>/links.txt`: one wire per line, `hostA:ifaceA hostB:ifaceB`; `#` starts a comment.
import { diag, type Parsed, splitLines } from './diagnostics.ts';

export interface ParsedLink {
  a: { host: string; iface: string };
  b: { host: string; iface: string };
  line: number;
}

function end(s: string): { host: string; iface: string } | undefined {
  const i = s.indexOf(':');
  if (i <= 0 || i === s.length - 1) return undefined;
  return { host: s.slice(0, i), iface: s.slice(i + 1) };
}

export function parseLinks(text: string): Parsed<ParsedLink[]> {
  const { lines, diagnostics } = splitLines(text);
  const out: ParsedLink[] = [];
  lines.forEach((l, i) => {
    const t = l.replace(/#.*/, '').trim();
    if (t === '') return;
    const parts = t.split(/\s+/);
    const a = parts.length === 2 ? end(parts[0]!) : undefined;
    const b = parts.length === 2 ? end(parts[1]!) : undefined;
    if (!a || !b) {
      diagnostics.push(diag('corrupt', i + 1, 'bad-link', 'expected "hostA:iface hostB:iface"', l));
      return;
    }
    out.push({ a, b, line: i + 1 });
  });
  return { value: out, diagnostics };
}
