// OVSDB values in RFC 7047 JSON notation, shared by conf.db, `--format=json` output, the text
// formats (converted on read) and, later, the JSON-RPC client.

export type Uuid = ['uuid', string];
export type NamedUuid = ['named-uuid', string];
export type Atom = string | number | boolean | Uuid | NamedUuid;
export type OvsSet = ['set', Atom[]];
export type OvsMap = ['map', [Atom, Atom][]];
export type Datum = Atom | OvsSet | OvsMap;
export type Row = Record<string, Datum>;
/** table → uuid → row */
export type Tables = Map<string, Map<string, Row>>;

function isAtom(d: unknown): d is Atom {
  if (typeof d === 'string' || typeof d === 'boolean') return true;
  if (typeof d === 'number') return Number.isFinite(d);
  return (
    Array.isArray(d) &&
    d.length === 2 &&
    (d[0] === 'uuid' || d[0] === 'named-uuid') &&
    typeof d[1] === 'string'
  );
}

/** Validate untrusted JSON as a datum; undefined when it is not one. */
export function asDatum(x: unknown): Datum | undefined {
  if (isAtom(x)) return x;
  if (!Array.isArray(x) || x.length !== 2) return undefined;
  if (x[0] === 'set' && Array.isArray(x[1]) && x[1].every(isAtom)) return x as OvsSet;
  if (
    x[0] === 'map' &&
    Array.isArray(x[1]) &&
    x[1].every((p) => Array.isArray(p) && p.length === 2 && isAtom(p[0]) && isAtom(p[1]))
  )
    return x as OvsMap;
  return undefined;
}

/** Elements of a set-valued column (a one-element set may be written as the bare atom). */
export function setItems(d: Datum | undefined): Atom[] {
  if (d === undefined) return [];
  if (Array.isArray(d) && d[0] === 'set') return d[1] as Atom[];
  if (Array.isArray(d) && d[0] === 'map') return [];
  return [d as Atom];
}

export function atomText(a: Atom): string {
  return Array.isArray(a) ? a[1] : String(a);
}

/** A column holding at most one integer (`tag`, `ofport`): null when empty. */
export function optInt(d: Datum | undefined): number | null {
  const items = setItems(d);
  if (items.length === 0) return null;
  const a = items[0]!;
  const n = typeof a === 'number' ? a : Number(atomText(a));
  return Number.isInteger(n) ? n : null;
}

export function intSet(d: Datum | undefined): number[] {
  return setItems(d)
    .map((a) => (typeof a === 'number' ? a : Number(atomText(a))))
    .filter(Number.isInteger);
}

export function optString(d: Datum | undefined): string | null {
  const items = setItems(d);
  return items.length === 0 ? null : atomText(items[0]!);
}

export function uuidSet(d: Datum | undefined): string[] {
  return setItems(d).map(atomText);
}

export function mapOf(d: Datum | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(d) && d[0] === 'map')
    for (const [k, v] of d[1] as [Atom, Atom][]) out[atomText(k)] = atomText(v);
  return out;
}
