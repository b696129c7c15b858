// Row-oriented OVSDB outputs: `ovs-vsctl list <table>` (text records), `ovs-vsctl --format=json
// list <table>`, and `ovsdb-client dump` (one text table per OVSDB table). All give rows in RFC
// 7047 notation with the line each row (and each column, for text records) came from.
import { asDatum, type Row } from '../ovsdb/datum.ts';
import { parseTextDatum, TextDatumError } from '../ovsdb/text-datum.ts';
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

export interface SourcedRow {
  table: string;
  uuid: string;
  row: Row;
  line: number;
  /** Line of each column where the format has one line per column. */
  columnLines?: Record<string, number>;
}

const KV = /^([A-Za-z_][A-Za-z0-9_:-]*)\s*: (.*)$/;

/** `ovs-vsctl list <table>` text records: `column : value`, records separated by blank lines. */
export function parseVsctlList(text: string, table: string): Parsed<SourcedRow[]> {
  if (text.trimStart().startsWith('{')) return parseVsctlListJson(text, table);
  const { lines, diagnostics } = splitLines(text);
  const rows = readRecords(lines, 0, lines.length, table, diagnostics, text.endsWith('\n'));
  return { value: rows, diagnostics };
}

/** Records of lines [from, to): the list format shared by `ovs-vsctl list` and `ovsdb-client -f list dump`. */
function readRecords(
  lines: readonly string[],
  from: number,
  to: number,
  table: string,
  diagnostics: Diagnostic[],
  endsWithNewline: boolean,
): SourcedRow[] {
  const rows: SourcedRow[] = [];
  let cur: SourcedRow | undefined;
  for (let i = from; i < to; i++) {
    const l = lines[i]!;
    const n = i + 1;
    if (l.trim() === '') {
      cur = undefined;
      continue;
    }
    const om = ovsMessage(l.trim(), n);
    if (om) {
      diagnostics.push(om);
      continue;
    }
    const last = i === lines.length - 1 && !endsWithNewline;
    const m = KV.exec(l);
    if (!m) {
      diagnostics.push(
        unreadable(lines, i, endsWithNewline ? '\n' : '', 'not-list', 'not a "column : value" line'),
      );
      continue;
    }
    if (!cur) {
      cur = { table, uuid: '', row: {}, line: n, columnLines: {} };
      rows.push(cur);
    }
    const col = m[1]!;
    try {
      const d = parseTextDatum(m[2]!);
      if (col === '_uuid')
        cur.uuid = typeof d === 'string' ? d : Array.isArray(d) && d[0] === 'uuid' ? d[1] : String(d);
      else cur.row[col] = d;
      cur.columnLines![col] = n;
    } catch (e) {
      if (!(e instanceof TextDatumError)) throw e;
      diagnostics.push(
        last
          ? diag('warning', n, 'truncated', `${col}: value cut off: the output is incomplete`, l)
          : diag('corrupt', n, 'bad-value', `${col}: ${e.message}`, l),
      );
    }
  }
  for (const r of rows) if (r.uuid === '') r.uuid = `${table}@${r.line}`;
  return rows;
}

/** `ovs-vsctl --format=json list <table>`: {"data":[[...]],"headings":[...]}, compact or --pretty. */
export function parseVsctlListJson(text: string, table: string): Parsed<SourcedRow[]> {
  const { diagnostics } = splitLines(text);
  if (hasCorrupt(diagnostics)) return { value: [], diagnostics };
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    const pos = /position (\d+)/.exec(String(e));
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : 1;
    return {
      value: [],
      diagnostics: [diag('corrupt', line, 'bad-json', `not valid JSON: ${(e as Error).message}`)],
    };
  }
  const o = obj as { data?: unknown; headings?: unknown };
  if (!Array.isArray(o.data) || !Array.isArray(o.headings) || !o.headings.every((h) => typeof h === 'string'))
    return {
      value: [],
      diagnostics: [diag('corrupt', 1, 'bad-json', 'expected {"data":[...],"headings":[...]}')],
    };
  const headings = o.headings as string[];
  const rows: SourcedRow[] = [];
  (o.data as unknown[]).forEach((cells, k) => {
    if (!Array.isArray(cells) || cells.length !== headings.length) {
      diagnostics.push(
        diag('corrupt', 1, 'bad-json', `row ${k + 1} does not have ${headings.length} values`),
      );
      return;
    }
    const r: SourcedRow = { table, uuid: `${table}#${k + 1}`, row: {}, line: 1 };
    headings.forEach((h, c) => {
      const d = asDatum(cells[c]);
      if (d === undefined)
        diagnostics.push(diag('corrupt', 1, 'bad-json', `row ${k + 1} column ${h}: not an OVSDB value`));
      else if (h === '_uuid') r.uuid = Array.isArray(d) ? String(d[1]) : String(d);
      else r.row[h] = d;
    });
    rows.push(r);
  });
  return { value: rows, diagnostics };
}

/** `ovsdb-client dump`: `<Table> table` titles, each followed by a text table with `_uuid`. */
export function parseOvsdbDump(text: string): Parsed<SourcedRow[]> {
  const { lines, diagnostics } = splitLines(text);
  const rows: SourcedRow[] = [];
  if (lines.some((l) => /^_uuid\s+: /.test(l))) {
    // `ovsdb-client -f list dump`: a title line per table, then list records.
    const titles = lines.flatMap((l, i) => (/^\S+ table$/.test(l) ? [i] : []));
    if (titles[0] !== 0)
      diagnostics.push(diag('corrupt', 1, 'not-dump', 'expected a "<Table> table" title first', lines[0]));
    titles.forEach((start, k) => {
      const table = lines[start]!.replace(/ table$/, '');
      const records = readRecords(
        lines,
        start + 1,
        titles[k + 1] ?? lines.length,
        table,
        diagnostics,
        text.endsWith('\n'),
      );
      for (const r of records) rows.push(r);
    });
    return { value: rows, diagnostics };
  }
  const { tables, stray } = readTables(lines.map((l, i) => (ovsMessage(l.trim(), i + 1) ? '' : l)));
  lines.forEach((l, i) => {
    const om = ovsMessage(l.trim(), i + 1);
    if (om) diagnostics.push(om);
  });
  for (const s of stray) {
    if (ovsMessage(lines[s]!.trim(), s + 1)) continue;
    diagnostics.push(unreadable(lines, s, text, 'not-dump', 'not ovsdb-client dump output'));
  }
  const cut = !text.endsWith('\n') && text !== '' ? lines.length : 0;
  for (const t of tables) {
    const table = t.title ?? 'unknown';
    if (!t.title)
      diagnostics.push(diag('warning', t.line, 'no-title', 'table without a "<name> table" title'));
    const ui = t.headings.indexOf('_uuid');
    for (const r of t.rows) {
      const row: Row = {};
      const cellDiags: Diagnostic[] = [];
      t.headings.forEach((h, k) => {
        if (k === ui) return;
        const d = cellDatum(r.cells[k] ?? '', r.line, h, cellDiags);
        if (d !== undefined) row[h] = d;
      });
      // The last row without its newline, unreadable: the dump was cut there (incomplete).
      if (cellDiags.length > 0 && r.line === cut) {
        diagnostics.push(
          diag('warning', r.line, 'truncated', 'row cut off: the output is incomplete', lines[r.line - 1]),
        );
        continue;
      }
      for (const d of cellDiags) diagnostics.push(d);
      rows.push({ table, uuid: ui >= 0 ? r.cells[ui]! : `${table}@${r.line}`, row, line: r.line });
    }
  }
  if (lines.length === 0)
    diagnostics.push(diag('corrupt', 0, 'empty', 'empty file: ovsdb-client dump prints every table'));
  return { value: rows, diagnostics };
}
