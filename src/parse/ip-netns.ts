// `ip netns` / `ip netns list`: one namespace per line, with or without `(id: N)`.
import { diag, type Parsed, splitLines } from './diagnostics.ts';

export interface ParsedNamespace {
  name: string;
  id?: number;
  line: number;
}

const LINE = /^([A-Za-z0-9_.:@+-]+)(?: \(id: (\d+)\))?$/;

export function parseIpNetns(text: string): Parsed<ParsedNamespace[]> {
  const { lines, diagnostics } = splitLines(text);
  const out: ParsedNamespace[] = [];
  lines.forEach((l, i) => {
    const t = l.trim();
    if (t === '') return;
    const m = LINE.exec(t);
    if (!m) {
      diagnostics.push(diag('corrupt', i + 1, 'not-netns', 'not a namespace name', l));
      return;
    }
    out.push({ name: m[1]!, ...(m[2] ? { id: Number(m[2]) } : {}), line: i + 1 });
  });
  return { value: out, diagnostics };
}
