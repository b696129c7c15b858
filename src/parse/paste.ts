// What a paste does to a command's output, undone before the output's own parser reads it: a web
// page's HTML escapes (`&quot;`, `&gt;`), elision lines marking an excerpt (`...`, `[snip]`), every
// line indented by the same extra spaces or tab (a ticket, a chat), and dump-flows records wrapped
// over two lines by a terminal or a ticket at 80 or 100 columns. Line numbers are kept: a removed
// line is blanked, a rejoined record sits on its first line and its continuation is blanked.
// Never guessed: an escape that is not consistent over the whole file is refused (corrupt), and a
// wrapped record is rejoined only when the result parses as one flow.
import { FlowSyntaxError } from '../openflow/errors.ts';
import { parseFlow } from '../openflow/flow.ts';
import { type Diagnostic, diag, VLOG } from './diagnostics.ts';

export interface Repaired {
  text: string;
  diagnostics: Diagnostic[];
  /** The first elision line: the output is an excerpt, what it leaves out stays unknown. */
  excerpt?: number;
}

/** A line that stands for lines left out. */
const ELISION =
  /^\s*(?:\.{1,}|…|\[(?:snip|snipped|\.\.\.|…)\]|<snip>|\(snip\)|\.\s\.\s\.|-+\s*snip\s*-+)\s*$/i;
const ENTITY = /&(?:quot|lt|gt|amp|apos|nbsp|#\d{1,6}|#x[0-9a-f]{1,6});/gi;

export interface RepairOptions {
  /** The text is an ovs-ofctl dump-flows: rejoin wrapped records. */
  flows?: boolean;
}

export function repairPaste(text: string, opts: RepairOptions = {}): Repaired {
  const diagnostics: Diagnostic[] = [];
  let t = text;
  // 1. HTML escapes, only when the whole file is consistently escaped.
  if (t.includes('&') && /&(?:quot|lt|gt|amp|#\d+|#x[0-9a-f]+);/i.test(t)) {
    const lines = t.split('\n');
    const entityAt = lines.findIndex((l) => /&(?:quot|lt|gt|amp|#\d+|#x[0-9a-f]+);/i.test(l));
    const rawAt = lines.findIndex((l) => /[<>]/.test(l) || (/&quot;/i.test(t) && l.includes('"')));
    if (rawAt >= 0) {
      diagnostics.push(
        diag(
          'corrupt',
          rawAt + 1,
          'html-mixed',
          `HTML-escaped in part (an escape such as &quot; or &gt; at line ${entityAt + 1}, a raw character it would have escaped here): not read, save the text as the page shows it`,
          lines[rawAt],
        ),
      );
      return { text: '', diagnostics };
    }
    t = t.replace(ENTITY, decodeEntity);
    diagnostics.push(
      diag(
        'warning',
        entityAt + 1,
        'html-escaped',
        'HTML-escaped text (a web page copy): decoded',
        lines[entityAt],
      ),
    );
  }
  const lines = t.split('\n');
  // 2. Elision lines: the output is an excerpt.
  let excerpt: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (!ELISION.test(lines[i]!)) continue;
    excerpt ??= i + 1;
    lines[i] = '';
  }
  if (excerpt !== undefined)
    diagnostics.push(
      diag(
        'warning',
        excerpt,
        'excerpt',
        'an excerpt (lines were left out here): its facts are used, what it does not show stays unknown',
      ),
    );
  // 3. Every line indented by the same extra whitespace.
  // (A headerless dump's records have one space of their own.)
  let prefix = commonIndent(lines);
  if (opts.flows && prefix === ' ') prefix = '';
  if (prefix !== '') {
    for (let i = 0; i < lines.length; i++)
      if (lines[i]!.trim() !== '') lines[i] = lines[i]!.slice(prefix.length);
    const first = lines.findIndex((l) => l.trim() !== '');
    diagnostics.push(
      diag(
        'warning',
        first + 1,
        'reindented',
        `every line indented by ${JSON.stringify(prefix)} (a paste): read without it`,
      ),
    );
  }
  // 4. Wrapped dump-flows records.
  if (opts.flows) rejoinFlows(lines, diagnostics);
  return { text: lines.join('\n'), diagnostics, ...(excerpt !== undefined ? { excerpt } : {}) };
}

function decodeEntity(e: string): string {
  const n = e.slice(1, -1).toLowerCase();
  if (n === 'quot') return '"';
  if (n === 'lt') return '<';
  if (n === 'gt') return '>';
  if (n === 'amp') return '&';
  if (n === 'apos') return "'";
  if (n === 'nbsp') return ' ';
  const code = n.startsWith('#x') ? Number.parseInt(n.slice(2), 16) : Number(n.slice(1));
  return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : e;
}

function commonIndent(lines: readonly string[]): string {
  let prefix: string | undefined;
  for (const l of lines) {
    if (l.trim() === '') continue;
    const ws = /^[ \t]*/.exec(l)![0];
    if (prefix === undefined) prefix = ws;
    else {
      let k = 0;
      while (k < prefix.length && k < ws.length && prefix[k] === ws[k]) k++;
      prefix = prefix.slice(0, k);
    }
    if (prefix === '') return '';
  }
  return prefix ?? '';
}

/** Lines of a dump that are no record: headers, OVS's messages, decode error blocks. */
function notRecord(l: string): boolean {
  const t = l.trim();
  return (
    t === '' ||
    /^(?:NXST|OFPST)_FLOW reply\b/.test(t) ||
    VLOG.test(t) ||
    /^(?:ovs-ofctl|ovs-vsctl|ovs-appctl): /.test(t) ||
    t.includes('***decode error') ||
    /^[0-9a-f]{8} {1,2}[0-9a-f ]{2,}/.test(t)
  );
}

function parsesWhole(t: string): boolean {
  try {
    const f = parseFlow(t.trim());
    return !f.actions.some((a) => a.type === 'unsupported') && !f.match.some((m) => m.kind === 'unsupported');
  } catch (e) {
    if (e instanceof FlowSyntaxError) return false;
    throw e;
  }
}

const indent = (l: string): number => /^[ \t]*/.exec(l)![0].length;

/** Join parts as a terminal broke them (nothing lost) or as a ticket wrapped them (a space lost). */
function joins(parts: readonly string[]): string[] {
  let out = [parts[0]!];
  for (const p of parts.slice(1)) {
    const q = p.trimStart();
    out = out.flatMap((o) => [o + q, `${o} ${q}`]);
  }
  return out;
}

/**
 * A record broken over lines by a terminal or a ticket (80 or 100 columns): its continuation lines
 * sit at the margin, less indented than records (which ovs-ofctl prints with a leading space);
 * where indentation says nothing, a part without `actions=` goes with the next line. Rejoined only
 * when the result parses whole as one flow; else left for the parser to refuse.
 */
function rejoinFlows(lines: string[], diagnostics: Diagnostic[]): void {
  for (let i = 0; i < lines.length; i++) {
    const a = lines[i]!;
    // The common case first: a record and the next line each with their actions.
    if (a.includes('actions=') && (lines[i + 1]?.includes('actions=') ?? true)) continue;
    if (notRecord(a)) continue;
    const k = indent(a);
    const parts = [a];
    const at = [i];
    for (let j = i + 1; j < lines.length && parts.length < 5; j++) {
      const b = lines[j]!;
      if (b.trim() === '') continue;
      if (notRecord(b)) break;
      // A part without actions= is never a whole record: the next line goes on with it.
      const open = !parts.some((p) => p.includes('actions='));
      const cont = k > 0 ? indent(b) < k || open : parts.length === 1 && (open || !b.includes('actions='));
      if (!cont) break;
      parts.push(b);
      at.push(j);
    }
    if (parts.length === 1) continue;
    // The longest span that parses whole as one record.
    for (let n = parts.length; n >= 2; n--) {
      const joined = joins(parts.slice(0, n)).find((c) => c.split('actions=').length === 2 && parsesWhole(c));
      if (joined === undefined) continue;
      lines[i] = joined;
      for (const j of at.slice(1, n)) lines[j] = '';
      diagnostics.push(
        diag(
          'warning',
          i + 1,
          'rejoined',
          `a record wrapped over lines ${i + 1}-${at[n - 1]! + 1} (a paste): rejoined`,
          joined,
        ),
      );
      break;
    }
  }
}
