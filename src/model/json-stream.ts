// JSON written piece by piece: the same text as toJson (JSON.stringify with bigints as hex
// strings, two-space indent), handed to `write` in chunks of about JSON_CHUNK_CHARS, so a
// snapshot of 200,000 flows (~14× its input as JSON) never becomes one string larger than V8
// allows ("Invalid string length") nor needs that string's memory at once.

/** Characters gathered before they are handed to `write`. */
export const JSON_CHUNK_CHARS = 1 << 16;
/** Elements of arrays at least this long (flows, ports, rows) are each stringified whole. */
const WHOLE_ELEMENTS_FROM = 32;

const bigintAsHex = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v);

/** Write `value` as JSON through `write`; exactly `toJson(value, indent)` once the pieces are joined. */
export function writeJson(value: unknown, write: (s: string) => void, indent = 2): void {
  const pad = ' '.repeat(indent);
  let parts: string[] = [];
  let size = 0;
  const emit = (s: string): void => {
    parts.push(s);
    size += s.length;
    if (size >= JSON_CHUNK_CHARS) flush();
  };
  const flush = (): void => {
    if (size === 0) return;
    write(parts.join(''));
    parts = [];
    size = 0;
  };
  const indents: string[] = [''];
  const at = (depth: number): string => {
    while (indents.length <= depth) indents.push(indents[indents.length - 1] + pad);
    return indents[depth]!;
  };

  /** JSON.stringify's SerializeJSONProperty after toJSON and the bigint replacer; undefined = omitted. */
  const prepare = (key: string, v: unknown): unknown => {
    if (v !== null && (typeof v === 'object' || typeof v === 'bigint')) {
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') v = toJSON.call(v, key);
    }
    if (typeof v === 'bigint') return `0x${v.toString(16)}`;
    if (v instanceof Number) return Number(v);
    if (v instanceof String) return String(v);
    if (v instanceof Boolean) return v.valueOf();
    if (typeof v === 'function' || typeof v === 'symbol') return undefined;
    return v;
  };

  const put = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object') {
      emit(JSON.stringify(v) as string); // NaN and ±Infinity print as null, as in JSON.stringify
      return;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) {
        emit('[]');
        return;
      }
      const inner = indent ? `\n${at(depth + 1)}` : '';
      emit('[');
      for (let i = 0; i < v.length; i++) {
        emit(i === 0 ? inner : `,${inner}`);
        const x = prepare(String(i), v[i]);
        if (v.length >= WHOLE_ELEMENTS_FROM && x !== null && typeof x === 'object') whole(x, depth + 1);
        else put(x === undefined ? null : x, depth + 1);
      }
      emit(indent ? `\n${at(depth)}]` : ']');
      return;
    }
    const o = v as Record<string, unknown>;
    const inner = indent ? `\n${at(depth + 1)}` : '';
    const sep = indent ? ': ' : ':';
    let first = true;
    for (const k of Object.keys(o)) {
      const x = prepare(k, o[k]);
      if (x === undefined) continue;
      emit(first ? `{${inner}` : `,${inner}`);
      first = false;
      emit(JSON.stringify(k));
      emit(sep);
      put(x, depth + 1);
    }
    emit(first ? '{}' : indent ? `\n${at(depth)}}` : '}');
  };

  /** One element of a long array (a flow, a port) in one JSON.stringify call, indented to its depth. */
  const whole = (x: object, depth: number): void => {
    let text: string;
    try {
      text = JSON.stringify(x, bigintAsHex, indent);
    } catch (e) {
      // An element too large for one string: piece by piece after all.
      if (!(e instanceof RangeError)) throw e;
      put(x, depth);
      return;
    }
    emit(indent && depth > 0 ? text.replaceAll('\n', `\n${at(depth)}`) : text);
  };

  const top = prepare('', value);
  if (top !== undefined) put(top, 0);
  flush();
}
