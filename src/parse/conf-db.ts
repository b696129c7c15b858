// OVSDB standalone database files (conf.db, as sos ≥ 4.3 copies them): a log of records
// `OVSDB JSON <len> <sha1>\n<json>\n` (length and SHA-1 cover the JSON and its newline). The first
// record is the schema; the rest are transactions, replayed in order. OVS ≥ 2.15 writes
// transactions with "_is_diff": true, where set columns hold the symmetric difference and map
// columns the changed pairs (ovsdb_datum_apply_diff).
import { createHash } from 'node:crypto';
import { type Atom, asDatum, type Datum, type Row, type Tables } from '../ovsdb/datum.ts';
import { type Diagnostic, diag, type Parsed } from './diagnostics.ts';

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

export function parseConfDb(data: Uint8Array): Parsed<ConfDb> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const diagnostics: Diagnostic[] = [];
  const db: ConfDb = { schemaName: '', tables: new Map(), rowLines: new Map(), records: 0 };
  let types = new Map<string, Map<string, ColumnType>>();
  let off = 0;
  let line = 1;
  if (buf.length === 0)
    return { value: db, diagnostics: [diag('corrupt', 0, 'empty', 'empty database file')] };
  if (buf.subarray(0, 14).toString('latin1') === 'OVSDB CLUSTER ')
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
  while (off < buf.length) {
    const nl = buf.indexOf(10, off);
    const headText = buf.subarray(off, nl < 0 ? Math.min(buf.length, off + 200) : nl).toString('latin1');
    const h = HEADER.exec(headText);
    if (!h || nl < 0) {
      diagnostics.push(
        diag(
          'corrupt',
          line,
          nl < 0 ? 'truncated' : 'bad-record',
          nl < 0 ? 'record header cut off' : 'not an "OVSDB JSON <len> <sha1>" record header',
          headText,
        ),
      );
      break;
    }
    const len = Number(h[1]);
    const start = nl + 1;
    if (start + len > buf.length) {
      diagnostics.push(
        diag(
          'corrupt',
          line,
          'truncated',
          `record of ${len} bytes cut off after ${buf.length - start} bytes`,
        ),
      );
      break;
    }
    const body = buf.subarray(start, start + len);
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
      const s = rec as { name?: unknown; version?: unknown };
      if (typeof s.name !== 'string') {
        diagnostics.push(diag('corrupt', line + 1, 'no-schema', 'first record is not a database schema'));
        break;
      }
      db.schemaName = s.name;
      if (typeof s.version === 'string') db.schemaVersion = s.version;
      types = columnTypes(rec);
    } else applyTxn(db, rec, types, line + 1, diagnostics);
    db.records++;
    // Count the lines the record spans so diagnostics point at the right place.
    for (let i = off; i < start + len; i++) if (buf[i] === 10) line++;
    off = start + len;
  }
  return { value: db, diagnostics };
}

function applyTxn(
  db: ConfDb,
  rec: unknown,
  types: Map<string, Map<string, ColumnType>>,
  line: number,
  diagnostics: Diagnostic[],
): void {
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
    diagnostics.push(diag('corrupt', line, 'bad-txn', 'transaction record is not a JSON object'));
    return;
  }
  const isDiff = (rec as Record<string, unknown>)._is_diff === true;
  for (const [table, rows] of Object.entries(rec as Record<string, unknown>)) {
    if (table.startsWith('_')) continue;
    if (typeof rows !== 'object' || rows === null) continue;
    let t = db.tables.get(table);
    if (!t) {
      t = new Map();
      db.tables.set(table, t);
      db.rowLines.set(table, new Map());
    }
    const lines = db.rowLines.get(table)!;
    const cols = types.get(table);
    for (const [uuid, r] of Object.entries(rows as Record<string, unknown>)) {
      if (r === null) {
        t.delete(uuid);
        lines.delete(uuid);
        continue;
      }
      const prev = t.get(uuid);
      const row: Row = prev ? { ...prev } : {};
      for (const [c, v] of Object.entries(r as Record<string, unknown>)) {
        const d = asDatum(v);
        if (d === undefined) {
          diagnostics.push(
            diag('corrupt', line, 'bad-value', `${table} ${uuid} column ${c}: not an OVSDB value`),
          );
          continue;
        }
        row[c] = isDiff ? applyDiff(row[c], d, cols?.get(c)) : d;
      }
      t.set(uuid, row);
      lines.set(uuid, line);
    }
  }
}
