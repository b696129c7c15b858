// The table format of OVS utilities (`ovsdb-client monitor`, `ovsdb-client dump`,
// `ovs-vsctl --format=table`): a heading line, a line of dashes giving each column's width,
// then rows. Cells are cut at the dash columns, so values containing spaces (`[1, 2]`) survive.
import type { Datum } from '../ovsdb/datum.ts';
import { parseTextDatum, TextDatumError } from '../ovsdb/text-datum.ts';
import { type Diagnostic, diag } from './diagnostics.ts';

export interface TextTable {
  /** `Bridge table` title line when printed (dump, multi-table monitor). */
  title?: string;
  headings: string[];
  rows: { cells: string[]; line: number }[];
  line: number;
}

const DASHES = /^-+( -+)*\s*$/;

/** Split `lines` into tables; lines that belong to no table are returned for the caller to judge. */
export function readTables(lines: readonly string[]): { tables: TextTable[]; stray: number[] } {
  const tables: TextTable[] = [];
  const stray: number[] = [];
  let cur: { t: TextTable; cols: [number, number][] } | undefined;
  let title: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === '') {
      cur = undefined;
      continue;
    }
    const next = lines[i + 1];
    if (next !== undefined && DASHES.test(next) && l.trim() !== '') {
      const cols: [number, number][] = [];
      const re = /-+/g;
      for (let m = re.exec(next); m; m = re.exec(next)) cols.push([m.index, m.index + m[0].length]);
      const headings = cols.map(([s, e], k) => l.slice(s, k === cols.length - 1 ? undefined : e).trim());
      const t: TextTable = { headings, rows: [], line: i + 1 };
      if (title !== undefined) t.title = title;
      title = undefined;
      tables.push(t);
      cur = { t, cols };
      i++;
      continue;
    }
    if (cur) {
      const cells = cur.cols.map(([s, e], k) =>
        (k === cur!.cols.length - 1 ? l.slice(s) : l.slice(s, e)).trim(),
      );
      cur.t.rows.push({ cells, line: i + 1 });
      continue;
    }
    const tm = /^(\S+) table$/.exec(l.trim());
    if (tm) {
      title = tm[1]!;
      continue;
    }
    stray.push(i);
  }
  return { tables, stray };
}

/** A cell as an OVSDB datum; an empty cell is undefined (monitor's `old` rows leave them blank). */
export function cellDatum(
  cell: string,
  line: number,
  column: string,
  diags: Diagnostic[],
): Datum | undefined {
  if (cell === '') return undefined;
  try {
    return parseTextDatum(cell);
  } catch (e) {
    if (!(e instanceof TextDatumError)) throw e;
    diags.push(diag('corrupt', line, 'bad-value', `column ${column}: ${e.message}`, cell));
    return undefined;
  }
}
