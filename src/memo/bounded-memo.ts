// A memo table for parsers and decoders that see the same text or number over and over (flow
// dumps, captures). It starts over empty once it holds `max` entries: memory stays bounded and the
// hot path pays no LRU bookkeeping.

export class BoundedMemo<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    private readonly max: number,
    private readonly make: (key: K) => V,
  ) {}

  /** The value for `key`, made on first sight. `make` may throw: nothing is then remembered. */
  get(key: K): V {
    let v = this.map.get(key);
    if (v === undefined) {
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
