// A monitor's replica of the server's rows, kept current from `update` (RFC 7047 §4.1.6) and
// `update2`/`update3` (ovsdb-server(7)) notifications. Every change comes out as a RowChange so a
// consumer (the agent, tests) sees inserts, modifications and deletions, including the ones a
// reconnect's resync implies.
import { type Atom, asDatum, type Datum, type Row } from './datum.ts';
import type { Json } from './jsonrpc.ts';
import { ProtocolError } from './jsonrpc.ts';
import { columnKind, type DbSchema } from './schema.ts';

export interface RowChange {
  table: string;
  uuid: string;
  old: Row | null;
  new: Row | null;
}

/** table → uuid → row (the monitored columns; update2 omits columns at their default value). */
export type Replica = Map<string, Map<string, Row>>;

function obj(x: Json | undefined, what: string): Record<string, Json> {
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    throw new ProtocolError(`${what} is not an object`);
  return x;
}

function toRow(x: Json | undefined, what: string): Row {
  const o = obj(x, what);
  const row: Row = {};
  for (const [c, v] of Object.entries(o)) {
    const d = asDatum(v);
    if (d === undefined) throw new ProtocolError(`${what}: column ${c} is not an OVSDB datum`);
    row[c] = d;
  }
  return row;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function tableOf(r: Replica, t: string): Map<string, Row> {
  let m = r.get(t);
  if (!m) {
    m = new Map();
    r.set(t, m);
  }
  return m;
}

function eachRow(updates: Json, f: (table: string, uuid: string, u: Record<string, Json>) => void): void {
  for (const [t, rows] of Object.entries(obj(updates, 'table-updates')))
    for (const [uuid, u] of Object.entries(obj(rows, `table-update ${t}`))) {
      if (!UUID.test(uuid))
        throw new ProtocolError(`table-update ${t}: ${JSON.stringify(uuid.slice(0, 60))} is not a UUID`);
      f(t, uuid, obj(u, `row-update ${t} ${uuid}`));
    }
}

/**
 * Make the changes real, only once the whole update has been read: a malformed update throws
 * before it touches the replica, so a consumer never sees half of one.
 */
function commit(r: Replica, changes: RowChange[]): RowChange[] {
  for (const c of changes) {
    if (c.new) tableOf(r, c.table).set(c.uuid, c.new);
    else r.get(c.table)?.delete(c.uuid);
  }
  return changes;
}

/** Apply an RFC 7047 `update`: "new" carries every monitored column, "old" only changed ones. */
export function applyUpdate(r: Replica, updates: Json): RowChange[] {
  const out: RowChange[] = [];
  eachRow(updates, (table, uuid, u) => {
    const old = r.get(table)?.get(uuid) ?? null;
    if (u.new === undefined || u.new === null) out.push({ table, uuid, old, new: null });
    else out.push({ table, uuid, old, new: { ...(old ?? {}), ...toRow(u.new, `${table} ${uuid} new`) } });
  });
  return commit(r, out);
}

/**
 * A Map keyed by atoms as RFC 7047 compares them (a uuid is not the string of its text), without
 * building a key string per atom: primitives key themselves, uuids and named-uuids their text in
 * maps of their own. Order is kept within each kind (a column holds one kind).
 */
class AtomMap<V> {
  private readonly prim = new Map<string | number | boolean, V>();
  private readonly uuid = new Map<string, V>();
  private readonly named = new Map<string, V>();
  private slot(a: Atom): [Map<string | number | boolean, V>, string | number | boolean] {
    if (!Array.isArray(a)) return [this.prim, a];
    return [a[0] === 'uuid' ? this.uuid : this.named, a[1]];
  }
  get(a: Atom): V | undefined {
    const [m, k] = this.slot(a);
    return m.get(k);
  }
  set(a: Atom, v: V): void {
    const [m, k] = this.slot(a);
    m.set(k, v);
  }
  delete(a: Atom): boolean {
    const [m, k] = this.slot(a);
    return m.delete(k);
  }
  values(): V[] {
    return [...this.prim.values(), ...this.uuid.values(), ...this.named.values()];
  }
}

function same(a: Atom, b: Atom): boolean {
  return Array.isArray(a) && Array.isArray(b) ? a[0] === b[0] && a[1] === b[1] : a === b;
}

function items(d: Datum | undefined): Atom[] {
  if (d === undefined) return [];
  if (Array.isArray(d) && d[0] === 'set') return d[1] as Atom[];
  if (Array.isArray(d) && d[0] === 'map') return [];
  return [d as Atom];
}

function pairs(d: Datum | undefined): [Atom, Atom][] {
  return Array.isArray(d) && d[0] === 'map' ? (d[1] as [Atom, Atom][]) : [];
}

/**
 * ovsdb-server(7): a set diff toggles elements; a map diff adds, removes (same value) or replaces.
 * Linear in the sizes of the old value and the diff (keyed by atom); order is kept: surviving
 * elements where they were, new ones appended (per kind of atom).
 */
export function applyDiff(kind: 'scalar' | 'set' | 'map', old: Datum | undefined, diff: Datum): Datum {
  if (kind === 'scalar') return diff;
  if (kind === 'set') {
    const cur = new AtomMap<Atom>();
    for (const a of items(old)) cur.set(a, a);
    for (const a of items(diff)) if (!cur.delete(a)) cur.set(a, a);
    return ['set', cur.values()];
  }
  const cur = new AtomMap<[Atom, Atom]>();
  for (const p of pairs(old)) cur.set(p[0], p);
  for (const [k, v] of pairs(diff)) {
    const had = cur.get(k);
    if (had === undefined) cur.set(k, [k, v]);
    else if (same(had[1], v)) cur.delete(k);
    else cur.set(k, [k, v]); // replacing keeps the pair's place
  }
  return ['map', cur.values()];
}

/** Apply `update2` table-updates (also the third element of `update3`). */
export function applyUpdate2(r: Replica, updates: Json, schema: DbSchema): RowChange[] {
  const out: RowChange[] = [];
  eachRow(updates, (table, uuid, u) => {
    const old = r.get(table)?.get(uuid) ?? null;
    const cols = schema.tables.get(table);
    if ('delete' in u) out.push({ table, uuid, old, new: null });
    else if ('initial' in u || 'insert' in u)
      out.push({ table, uuid, old, new: toRow(u.initial ?? u.insert, `${table} ${uuid}`) });
    else if ('modify' in u) {
      if (!old) throw new ProtocolError(`modify of unknown row ${table} ${uuid}`);
      const diff = toRow(u.modify, `${table} ${uuid} modify`);
      const row: Row = { ...old };
      for (const [c, d] of Object.entries(diff)) row[c] = applyDiff(columnKind(cols?.get(c)), old[c], d);
      out.push({ table, uuid, old, new: row });
    } else throw new ProtocolError(`row-update2 ${table} ${uuid} has no initial/insert/delete/modify`);
  });
  return commit(r, out);
}

/** Same row content; `_version` is ignored (a restarted server assigns new ones). */
function sameRow(a: Row, b: Row): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('_version');
  for (const k of keys) if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return false;
  return true;
}

/** What turning replica `a` into `b` amounts to, row by row (used after a resync). */
export function diffReplicas(a: Replica, b: Replica): RowChange[] {
  const out: RowChange[] = [];
  const tables = new Set([...a.keys(), ...b.keys()]);
  for (const t of tables) {
    const ra = a.get(t) ?? new Map<string, Row>();
    const rb = b.get(t) ?? new Map<string, Row>();
    for (const [uuid, row] of ra) {
      const nb = rb.get(uuid);
      if (!nb) out.push({ table: t, uuid, old: row, new: null });
      else if (!sameRow(row, nb)) out.push({ table: t, uuid, old: row, new: nb });
    }
    for (const [uuid, row] of rb) if (!ra.has(uuid)) out.push({ table: t, uuid, old: null, new: row });
  }
  return out;
}
