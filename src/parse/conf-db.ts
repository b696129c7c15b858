// OVSDB standalone database files (conf.db, as sos ≥ 4.3 copies them): a log of records
// `OVSDB JSON <len> <sha1>\n<json>\n` (length and SHA-1 cover the JSON and its newline). The first
// record is the schema; the rest are transactions, replayed in order. OVS ≥ 2.15 writes
// transactions with "_is_diff": true, where set columns hold the symmetric difference and map
// columns the changed pairs (ovsdb_datum_apply_diff).
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type Atom, asDatum, type Datum, type Row, type Tables } from '../ovsdb/datum.ts';
import { clip, type Diagnostic, diag, type Parsed } from './diagnostics.ts';

export interface ConfDb {
  schemaName: string;
  schemaVersion?: string;
  tables: Tables;
  /** Line of the record that last wrote each row: table → uuid → line. */
  rowLines: Map<string, Map<string, number>>;
  records: number;
}

interface ColumnType {
  /** Holds a set or map (max ≠ 1 or min = 0) rather than one atom. */
  multi: boolean;
  map: boolean;
}

const HEADER = /^OVSDB JSON (\d+) ([0-9a-f]{40})$/;

function columnTypes(schema: unknown): Map<string, Map<string, ColumnType>> {
  const out = new Map<string, Map<string, ColumnType>>();
  const tables = (schema as { tables?: Record<string, { columns?: Record<string, { type?: unknown }> }> })
    .tables;
  for (const [t, def] of Object.entries(tables ?? {})) {
    const cols = new Map<string, ColumnType>();
    for (const [c, cdef] of Object.entries(def.columns ?? {})) {
      const ty = cdef.type;
      if (typeof ty === 'string' || ty === undefined) cols.set(c, { multi: false, map: false });
      else {
        const o = ty as { min?: number; max?: number | string; value?: unknown };
        const max = o.max ?? 1;
        const min = o.min ?? 1;
        cols.set(c, { multi: max !== 1 || min === 0 || o.value !== undefined, map: o.value !== undefined });
      }
    }
    out.set(t, cols);
  }
  return out;
}

function key(a: Atom): string {
  return JSON.stringify(a);
}

function items(d: Datum | undefined): Atom[] {
  if (d === undefined) return [];
  if (Array.isArray(d) && d[0] === 'set') return d[1] as Atom[];
  return [d as Atom];
}

function pairs(d: Datum | undefined): [Atom, Atom][] {
  return Array.isArray(d) && d[0] === 'map' ? (d[1] as [Atom, Atom][]) : [];
}

function applyDiff(old: Datum | undefined, diff: Datum, ty: ColumnType | undefined): Datum {
  if (!ty?.multi) return diff;
  if (ty.map) {
    const m = new Map(pairs(old).map(([k, v]) => [key(k), [k, v] as [Atom, Atom]]));
    for (const [k, v] of pairs(diff)) {
      const cur = m.get(key(k));
      if (cur && key(cur[1]) === key(v)) m.delete(key(k));
      else m.set(key(k), [k, v]);
    }
    return ['map', [...m.values()]];
  }
  const s = new Map(items(old).map((a) => [key(a), a]));
  for (const a of items(diff)) {
    if (s.has(key(a))) s.delete(key(a));
    else s.set(key(a), a);
  }
  const out = [...s.values()];
  // RFC 7047: a one-element set is written as the element itself, as ovs-vsctl prints it.
  return out.length === 1 ? out[0]! : ['set', out];
}

/** Largest record (schema or transaction) read, in bytes: a bigger one is a `limit` diagnostic. */
export const CONF_DB_MAX_RECORD_BYTES = 64 * 1024 * 1024;
/** Bytes looked at for a record header line (`OVSDB JSON <len> <sha1>` is under 100). */
const HEADER_WINDOW = 256;

/**
 * The last record cut off (the file ends inside it): what precedes is the database as it was one
 * transaction earlier, as ovsdb-server itself reads such a file. Incomplete, not corrupt.
 */
const TRUNCATED_DB = (what: string): string =>
  `${what}: the last transaction is missing, the database is read as it was before it`;

/** Where the records come from: the bytes in memory, or a file read record by record. */
interface RecordSource {
  size: number;
  bytes(pos: number, len: number): Buffer;
}

export interface ConfDbLimits {
  maxRecordBytes?: number;
}

export function parseConfDb(data: Uint8Array, limits: ConfDbLimits = {}): Parsed<ConfDb> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return parseRecords({ size: buf.length, bytes: (p, n) => buf.subarray(p, p + n) }, limits);
}

/** parseConfDb on a file, holding one record at a time (never the whole file). */
export function parseConfDbFile(path: string, limits: ConfDbLimits = {}): Parsed<ConfDb> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = (pos: number, len: number): Buffer => {
      const b = Buffer.allocUnsafe(Math.max(0, Math.min(len, size - pos)));
      let got = 0;
      while (got < b.length) {
        const n = readSync(fd, b, got, b.length - got, pos + got);
        if (n === 0) break;
        got += n;
      }
      return b.subarray(0, got);
    };
    return parseRecords({ size, bytes }, limits);
  } finally {
    closeSync(fd);
  }
}

function parseRecords(src: RecordSource, limits: ConfDbLimits): Parsed<ConfDb> {
  const maxRecord = limits.maxRecordBytes ?? CONF_DB_MAX_RECORD_BYTES;
  const diagnostics: Diagnostic[] = [];
  const db: ConfDb = { schemaName: '', tables: new Map(), rowLines: new Map(), records: 0 };
  let types = new Map<string, Map<string, ColumnType>>();
  let off = 0;
  let line = 1;
  if (src.size === 0) return { value: db, diagnostics: [diag('corrupt', 0, 'empty', 'empty database file')] };
  if (src.bytes(0, 14).toString('latin1') === 'OVSDB CLUSTER ')
    return {
      value: db,
      diagnostics: [
        diag(
          'corrupt',
          1,
          'clustered',
          'clustered OVSDB database: not supported; give `ovsdb-client dump` output instead',
        ),
      ],
    };
  while (off < src.size) {
    const win = src.bytes(off, HEADER_WINDOW);
    const wnl = win.indexOf(10);
    const atEnd = off + win.length >= src.size;
    const headText = win.subarray(0, wnl < 0 ? Math.min(win.length, 200) : wnl).toString('latin1');
    const h = wnl < 0 ? null : HEADER.exec(headText);
    if (!h) {
      const cut = wnl < 0 && atEnd;
      diagnostics.push(
        cut
          ? diag('warning', line, 'truncated', TRUNCATED_DB('record header cut off'), headText)
          : diag('corrupt', line, 'bad-record', 'not an "OVSDB JSON <len> <sha1>" record header', headText),
      );
      break;
    }
    const len = Number(h[1]);
    const start = off + wnl + 1;
    if (len > maxRecord) {
      diagnostics.push(
        diag(
          'corrupt',
          line,
          'limit',
          `record of ${len} bytes is over the ${maxRecord}-byte limit on a conf.db record (CONF_DB_MAX_RECORD_BYTES); compact the database (ovsdb-tool compact) or give \`ovsdb-client dump\` output instead`,
        ),
      );
      break;
    }
    if (start + len > src.size) {
      diagnostics.push(
        diag(
          'warning',
          line,
          'truncated',
          TRUNCATED_DB(`record of ${len} bytes cut off after ${src.size - start} bytes`),
        ),
      );
      break;
    }
    const body = src.bytes(start, len);
    const sha = createHash('sha1').update(body).digest('hex');
    if (sha !== h[2]) {
      diagnostics.push(
        diag(
          'corrupt',
          line,
          'bad-sha1',
          `${len} bytes starting at offset ${start} have SHA-1 ${sha} but should have ${h[2]}`,
        ),
      );
      break;
    }
    let rec: unknown;
    try {
      rec = JSON.parse(body.toString('utf8'));
    } catch (e) {
      diagnostics.push(diag('corrupt', line + 1, 'bad-json', `record is not JSON: ${(e as Error).message}`));
      break;
    }
    if (db.records === 0) {
      const problem = schemaProblem(rec);
      if (problem) {
        diagnostics.push(
          diag('corrupt', line + 1, 'no-schema', `first record is not a database schema: ${problem}`),
        );
        break;
      }
      const s = rec as { name: string; version?: unknown };
      db.schemaName = s.name;
      if (typeof s.version === 'string') db.schemaVersion = s.version;
      types = columnTypes(rec);
    } else if (!applyTxn(db, rec, types, line + 1, diagnostics)) break;
    db.records++;
    // Count the lines the record spans so diagnostics point at the right place.
    line++;
    for (let i = 0; i < body.length; i++) if (body[i] === 10) line++;
    off = start + len;
  }
  return { value: db, diagnostics };
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** What makes `rec` not a schema (`{name, tables: {T: {columns: {C: {type}}}}}`), or undefined. */
function schemaProblem(rec: unknown): string | undefined {
  if (!isObject(rec) || typeof rec.name !== 'string') return 'no "name"';
  if (!isObject(rec.tables)) return '"tables" is not an object';
  for (const [t, def] of Object.entries(rec.tables)) {
    if (!isObject(def) || !isObject(def.columns)) return `table ${clip(t, 40)} has no "columns" object`;
    for (const [c, cdef] of Object.entries(def.columns))
      if (!isObject(cdef)) return `column ${clip(t, 40)}.${clip(c, 40)} is not an object`;
  }
  return undefined;
}

/** Replay one transaction; false (with a corrupt diagnostic) when its shape is not a transaction's. */
function applyTxn(
  db: ConfDb,
  rec: unknown,
  types: Map<string, Map<string, ColumnType>>,
  line: number,
  diagnostics: Diagnostic[],
): boolean {
  const bad = (code: string, message: string): false => {
    diagnostics.push(diag('corrupt', line, code, message));
    return false;
  };
  if (!isObject(rec)) return bad('bad-txn', 'transaction record is not a JSON object');
  const isDiff = rec._is_diff === true;
  // Shape first, in one pass over the record, before anything is applied: {table: {uuid: row|null}}
  // with every row an object of columns (a string row would be replayed character by character).
  for (const [table, rows] of Object.entries(rec)) {
    if (table.startsWith('_')) continue;
    if (!isObject(rows)) return bad('bad-txn', `table ${clip(table, 40)}: rows are not a JSON object`);
    for (const [uuid, r] of Object.entries(rows))
      if (r !== null && !isObject(r))
        return bad('bad-row', `${clip(table, 40)} row ${clip(uuid, 40)} is not a JSON object or null`);
  }
  for (const [table, rows] of Object.entries(rec)) {
    if (table.startsWith('_')) continue;
    let t = db.tables.get(table);
    if (!t) {
      t = new Map();
      db.tables.set(table, t);
      db.rowLines.set(table, new Map());
    }
    const lines = db.rowLines.get(table)!;
    const cols = types.get(table);
    for (const [uuid, r] of Object.entries(rows as Record<string, Record<string, unknown> | null>)) {
      if (r === null) {
        t.delete(uuid);
        lines.delete(uuid);
        continue;
      }
      const prev = t.get(uuid);
      const row: Row = prev ? { ...prev } : {};
      for (const [c, v] of Object.entries(r)) {
        const d = asDatum(v);
        if (d === undefined) {
          diagnostics.push(
            diag(
              'corrupt',
              line,
              'bad-value',
              `${clip(table, 40)} ${clip(uuid, 40)} column ${clip(c, 40)}: not an OVSDB value`,
            ),
          );
          continue;
        }
        row[c] = isDiff ? applyDiff(row[c], d, cols?.get(c)) : d;
      }
      t.set(uuid, row);
      lines.set(uuid, line);
    }
  }
  return true;
}
