// `ovsdb-client monitor [db] TABLE [COLUMNS]` output, table format (each transaction one table:
// initial / insert / delete rows, and old+new row pairs for a modification) or --format=json (one
// JSON object per update). OVS's log lines (fatal_signal on exit) become diagnostics.
import { asDatum, type Row } from '../ovsdb/datum.ts';
import {
  type Diagnostic,
  diag,
  hasCorrupt,
  ovsMessage,
  type Parsed,
  splitLines,
  unreadable,
} from './diagnostics.ts';
import { cellDatum, readTables } from './ovsdb-table.ts';

export type MonitorAction = 'initial' | 'insert' | 'delete' | 'modify';

export interface MonitorEvent {
  uuid: string;
  action: MonitorAction;
  table?: string;
  /** Values after the event (for delete: the row as it was). */
  row: Row;
  /** For modify: the old values of the columns that changed. */
  old?: Row;
  line: number;
}

export interface MonitorOutput {
  columns: string[];
  events: MonitorEvent[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function rowFrom(headings: string[], cells: (unknown | undefined)[]): Row {
  const row: Row = {};
  headings.forEach((h, k) => {
    if (k < 2) return;
    const d = cells[k];
    if (d !== undefined && d !== null) {
      const v = asDatum(d);
      if (v !== undefined) row[h] = v;
    }
  });
  return row;
}

export function parseOvsdbMonitor(text: string): Parsed<MonitorOutput> {
  const { lines, diagnostics } = splitLines(text);
  const out: MonitorOutput = { columns: [], events: [] };
  if (hasCorrupt(diagnostics)) return { value: out, diagnostics };
  const textLines: string[] = [];
  // JSON form: each line one object; everything else goes to the table reader.
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const om = ovsMessage(l.trim(), i + 1);
    if (om) {
      diagnostics.push(om);
      textLines.push('');
      continue;
    }
    if (l.startsWith('{')) {
      readJsonUpdate(l, i + 1, out, diagnostics);
      textLines.push('');
    } else textLines.push(l);
  }
  const { tables, stray } = readTables(textLines);
  for (const s of stray) {
    diagnostics.push(unreadable(lines, s, text, 'not-monitor', 'not ovsdb-client monitor output'));
  }
  for (const t of tables) {
    if (t.headings[0] !== 'row' || t.headings[1] !== 'action') {
      diagnostics.push(
        diag('corrupt', t.line, 'not-monitor', 'table without "row action" columns', lines[t.line - 1]),
      );
      continue;
    }
    for (const h of t.headings.slice(2)) if (!out.columns.includes(h)) out.columns.push(h);
    let pendingOld: { uuid: string; row: Row; line: number } | undefined;
    for (const sliced of t.rows) {
      // Pasted tables (the seed's) can lose their alignment: fall back to splitting on blanks.
      const r = aligned(sliced.cells)
        ? sliced
        : { ...sliced, cells: byWords(lines[sliced.line - 1]!, t.headings.length) };
      const [uuid, action] = r.cells;
      const cellDiags: Diagnostic[] = [];
      const cells = r.cells.map((c, k) =>
        k < 2 ? undefined : cellDatum(c, r.line, t.headings[k]!, cellDiags),
      );
      // The last row without its newline, unreadable: the output was cut there (incomplete).
      if (cellDiags.length > 0 && r.line === lines.length && !text.endsWith('\n')) {
        diagnostics.push(
          diag('warning', r.line, 'truncated', 'row cut off: the output is incomplete', lines[r.line - 1]),
        );
        continue;
      }
      for (const d of cellDiags) diagnostics.push(d);
      const row = rowFrom(t.headings, cells);
      if (action === 'old' && uuid && UUID.test(uuid)) {
        pendingOld = { uuid, row, line: r.line };
        continue;
      }
      if (action === 'new' && (uuid === '' || uuid === pendingOld?.uuid) && pendingOld) {
        out.events.push({
          uuid: pendingOld.uuid,
          action: 'modify',
          row,
          old: pendingOld.row,
          line: pendingOld.line,
          ...(t.title ? { table: t.title } : {}),
        });
        pendingOld = undefined;
        continue;
      }
      if ((action === 'initial' || action === 'insert' || action === 'delete') && uuid && UUID.test(uuid)) {
        out.events.push({ uuid, action, row, line: r.line, ...(t.title ? { table: t.title } : {}) });
        continue;
      }
      const last = r.line === lines.length && !text.endsWith('\n');
      diagnostics.push(
        last
          ? diag('warning', r.line, 'truncated', 'row cut off: the output is incomplete', lines[r.line - 1])
          : diag(
              'corrupt',
              r.line,
              'bad-row',
              `unexpected monitor row (action "${action}")`,
              lines[r.line - 1],
            ),
      );
    }
    if (pendingOld)
      diagnostics.push(
        !text.endsWith('\n') && text !== ''
          ? diag(
              'warning',
              pendingOld.line,
              'truncated',
              '"old" row cut off before its "new" row: the output is incomplete',
            )
          : diag('corrupt', pendingOld.line, 'truncated', '"old" row without its "new" row'),
      );
  }
  if (out.events.length === 0 && tables.length === 0 && !diagnostics.some((d) => d.severity !== 'warning'))
    diagnostics.push(
      diag('corrupt', 0, 'empty', 'empty file: ovsdb-client monitor prints at least the initial table'),
    );
  return { value: out, diagnostics };
}

const ACTIONS = new Set(['initial', 'insert', 'delete', 'old', 'new']);

function aligned(cells: string[]): boolean {
  return ACTIONS.has(cells[1] ?? '') && (cells[0] === '' || UUID.test(cells[0] ?? ''));
}

/** Cells of a row split on blanks outside quotes and brackets; a row without a UUID gets ''. */
function byWords(line: string, n: number): string[] {
  const words: string[] = [];
  const re = /"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}|\S+/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[0]);
  if (!UUID.test(words[0] ?? '')) words.unshift('');
  while (words.length < n) words.push('');
  return words.length === n ? words : [words[0]!, '?'];
}

function readJsonUpdate(l: string, n: number, out: MonitorOutput, diagnostics: Diagnostic[]): void {
  let obj: unknown;
  try {
    obj = JSON.parse(l);
  } catch {
    diagnostics.push(diag('corrupt', n, 'bad-json', 'not a JSON object', l));
    return;
  }
  const o = obj as { data?: unknown; headings?: unknown };
  if (
    !Array.isArray(o.data) ||
    !Array.isArray(o.headings) ||
    !o.headings.every((h) => typeof h === 'string')
  ) {
    diagnostics.push(diag('corrupt', n, 'bad-json', 'expected {"data":[...],"headings":[...]}', l));
    return;
  }
  const headings = o.headings as string[];
  for (const h of headings.slice(2)) if (!out.columns.includes(h)) out.columns.push(h);
  let pendingOld: { uuid: string; row: Row } | undefined;
  for (const cells of o.data as unknown[]) {
    if (!Array.isArray(cells)) continue;
    const [uuid, action] = cells as [unknown, unknown];
    const row = rowFrom(headings, cells);
    if (action === 'old' && typeof uuid === 'string') pendingOld = { uuid, row };
    else if (action === 'new' && pendingOld) {
      out.events.push({ uuid: pendingOld.uuid, action: 'modify', row, old: pendingOld.row, line: n });
      pendingOld = undefined;
    } else if (
      (action === 'initial' || action === 'insert' || action === 'delete') &&
      typeof uuid === 'string'
    )
      out.events.push({ uuid, action, row, line: n });
    else
      diagnostics.push(
        diag('corrupt', n, 'bad-row', `unexpected monitor row (action ${JSON.stringify(action)})`),
      );
  }
}

/** The rows as they stand after every event (deleted rows removed), with the line of their last change. */
export function monitorState(
  events: readonly MonitorEvent[],
): Map<string, { row: Row; line: number; table?: string }> {
  const state = new Map<string, { row: Row; line: number; table?: string }>();
  for (const e of events) {
    if (e.action === 'delete') state.delete(e.uuid);
    else {
      const prev = state.get(e.uuid)?.row ?? {};
      state.set(e.uuid, { row: { ...prev, ...e.row }, line: e.line, ...(e.table ? { table: e.table } : {}) });
    }
  }
  return state;
}
