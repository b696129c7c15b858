// A memo table for parsers and decoders that see the same text or number over and over (flow
// dumps, captures). It starts over empty once it holds `max` entries: memory stays bounded and the
// hot path pays no LRU bookkeeping.

export class BoundedMemo<K, V> {
  private readonly map = new Map<K, V>();

  /**
   * `own` turns a key into the one kept (and made from) on a miss: ownString for substrings of a
   * large text, which would otherwise keep the whole text alive as long as the memo or any node
   * made from the key.
   */
  constructor(
    private readonly max: number,
    private readonly make: (key: K) => V,
    private readonly own?: (key: K) => K,
  ) {}

  /** The value for `key`, made on first sight. `make` may throw: nothing is then remembered. */
  get(key: K): V {
    let v = this.map.get(key);
    if (v === undefined) {
      if (this.own) key = this.own(key);
      v = this.make(key);
      if (this.map.size >= this.max) this.map.clear();
      this.map.set(key, v);
    }
    return v;
  }

  clear(): void {
    this.map.clear();
  }
}

/**
 * A copy of `s` that shares no memory with the text it was cut from. V8 makes a substring of 13 or
 * more characters a view into its parent (a 40 MB flow dump, for one substring of it): the
 * concatenation is flattened into a string of its own, and the view is then into that.
 */
export function ownString(s: string): string {
  return ` ${s}`.slice(1);
}
