// The parts of an OVSDB schema (RFC 7047 §3.2) a client needs: per column, whether it holds a
// scalar, a set or a map, because update2 "modify" diffs are applied differently for each.
import type { Json } from './jsonrpc.ts';
import { ProtocolError } from './jsonrpc.ts';

export type AtomicType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';
export interface ColumnType {
  key: AtomicType;
  value?: AtomicType;
  min: number;
  max: number; // Infinity for "unlimited"
}
export interface DbSchema {
  name: string;
  version: string;
  tables: Map<string, Map<string, ColumnType>>;
}

const ATOMIC = new Set(['integer', 'real', 'boolean', 'string', 'uuid']);

function baseType(x: Json | undefined, where: string): AtomicType {
  const t = typeof x === 'object' && x !== null && !Array.isArray(x) ? x.type : x;
  if (typeof t !== 'string' || !ATOMIC.has(t)) throw new ProtocolError(`schema: ${where}: bad base type`);
  return t as AtomicType;
}

function columnType(x: Json | undefined, where: string): ColumnType {
  if (typeof x === 'string') return { key: baseType(x, where), min: 1, max: 1 };
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    throw new ProtocolError(`schema: ${where}: bad type`);
  const min = x.min === undefined ? 1 : x.min;
  const max = x.max === undefined ? 1 : x.max === 'unlimited' ? Infinity : x.max;
  if (typeof min !== 'number' || typeof max !== 'number')
    throw new ProtocolError(`schema: ${where}: bad min/max`);
  return {
    key: baseType(x.key, where),
    ...(x.value !== undefined ? { value: baseType(x.value, where) } : {}),
    min,
    max,
  };
}

export function parseSchema(x: Json): DbSchema {
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    throw new ProtocolError('schema is not an object');
  const { name, version, tables } = x;
  if (typeof name !== 'string' || typeof tables !== 'object' || tables === null || Array.isArray(tables))
    throw new ProtocolError('schema without name or tables');
  const out = new Map<string, Map<string, ColumnType>>();
  for (const [t, def] of Object.entries(tables)) {
    const cols = typeof def === 'object' && def !== null && !Array.isArray(def) ? def.columns : undefined;
    if (typeof cols !== 'object' || cols === null || Array.isArray(cols))
      throw new ProtocolError(`schema: table ${t} without columns`);
    const m = new Map<string, ColumnType>();
    for (const [c, cdef] of Object.entries(cols)) {
      const ty = typeof cdef === 'object' && cdef !== null && !Array.isArray(cdef) ? cdef.type : undefined;
      m.set(c, columnType(ty, `${t}.${c}`));
    }
    out.set(t, m);
  }
  return { name, version: typeof version === 'string' ? version : '', tables: out };
}

/**
 * How an update2 diff applies to a column: an optional column (max 1, e.g. Port.tag) is replaced
 * like a scalar; only sets with max > 1 are toggled element by element (ovsdb-server(7)).
 */
export type ColumnKind = 'scalar' | 'set' | 'map';
export function columnKind(t: ColumnType | undefined): ColumnKind {
  if (!t) return 'scalar';
  if (t.value !== undefined) return 'map';
  return t.max === 1 ? 'scalar' : 'set';
}
