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
  // Shorter ones are never views: V8 copies them when it cuts them out.
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/**
 * BoundedMemo for keys that are ranges of a larger text (a dump line's tokens and action lists):
 * looked up by a hash of the characters in place, so a hit cuts no substring and hashes nothing
 * V8 would hash again. Open addressing; at `max` entries it starts over empty. The key kept on a
 * miss is an own copy (ownString), as in BoundedMemo.
 */
/** Code units of keys a TextMemo keeps (16 MB): bounded like its count. */
const KEY_UNITS_MAX = 1 << 23;

export class TextMemo<V> {
  /** Per slot, its key's hash with the low bit set (0: an empty slot): probed without a key read. */
  private tags = new Int32Array(0);
  /** Key and value of slot i at 2i and 2i + 1: a hit reads one place of memory for both. */
  private entries: (string | V | undefined)[] = [];
  /** Per slot, where its key's code units start in `keyCodes` (compared by getHashedW). */
  private keyAt = new Int32Array(0);
  /** Every key's code units, one after another (its first `used`). */
  private keyCodes = new Uint16Array(1024);
  private used = 0;
  private mask = 0;
  private size = 0;

  constructor(
    private readonly max: number,
    private readonly make: (key: string) => V,
  ) {
    this.clear();
  }

  /** The value for src[a, b), made from an own copy of it on first sight. `make` may throw. */
  get(src: string, a: number, b: number): V {
    return this.getHashed(src, a, b, textHash(src, a, b));
  }

  /**
   * get, for a caller that hashed src[a, b) while it scanned it (h: textHash's value, each
   * character folded in as h = Math.imul(h ^ c, TEXT_HASH_PRIME) from TEXT_HASH_BASIS).
   */
  getHashed(src: string, a: number, b: number, h: number): V {
    const tag = h | 1;
    const len = b - a;
    const tags = this.tags;
    let i = tag & this.mask;
    for (let t = tags[i]!; t !== 0; t = tags[i]!) {
      if (t === tag) {
        const k = this.entries[2 * i] as string;
        if (k.length === len && sameText(src, a, k)) return this.entries[2 * i + 1] as V;
      }
      i = (i + 1) & this.mask;
    }
    return this.add(src, a, b, tag);
  }

  /**
   * getHashed for a caller that reads the text's code units from a window (chars.ts): w holds
   * src[i] at w[i - o]. Compared there with the keys' own code units: no string read at all.
   */
  getHashedW(src: string, w: Uint16Array, o: number, a: number, b: number, h: number): V {
    const tag = h | 1;
    const len = b - a;
    const tags = this.tags;
    const codes = this.keyCodes;
    const p = a - o;
    let i = tag & this.mask;
    for (let t = tags[i]!; t !== 0; t = tags[i]!) {
      if (t === tag) {
        const k = this.entries[2 * i] as string;
        if (k.length === len) {
          const at = this.keyAt[i]!;
          let j = 0;
          while (j < len && codes[at + j] === w[p + j]) j++;
          if (j === len) return this.entries[2 * i + 1] as V;
        }
      }
      i = (i + 1) & this.mask;
    }
    return this.add(src, a, b, tag);
  }

  /** Make and keep the value of the key src[a, b) (hash tag), which is not in the table. */
  private add(src: string, a: number, b: number, tag: number): V {
    const key = ownString(src.slice(a, b));
    const v = this.make(key);
    // At `max` keys, or keys of KEY_UNITS_MAX code units in all (long action lists), start over.
    if (this.size >= this.max || this.used + key.length > KEY_UNITS_MAX) this.clear();
    else if (2 * (this.size + 1) > this.tags.length) this.grow();
    // The key's code units, from the key itself: `make` may have read other texts meanwhile.
    if (this.used + key.length > this.keyCodes.length) {
      const more = new Uint16Array(2 * (this.used + key.length));
      more.set(this.keyCodes.subarray(0, this.used));
      this.keyCodes = more;
    }
    for (let k = 0; k < key.length; k++) this.keyCodes[this.used + k] = key.charCodeAt(k);
    this.insert(key, tag, v, this.used);
    this.used += key.length;
    return v;
  }

  private insert(key: string, tag: number, v: V, at: number): void {
    let i = tag & this.mask;
    while (this.tags[i] !== 0) i = (i + 1) & this.mask;
    this.tags[i] = tag;
    this.keyAt[i] = at;
    this.entries[2 * i] = key;
    this.entries[2 * i + 1] = v;
    this.size++;
  }

  private grow(): void {
    const { tags, entries, keyAt } = this;
    this.alloc(tags.length * 2);
    this.size = 0;
    for (let j = 0; j < tags.length; j++)
      if (tags[j] !== 0) this.insert(entries[2 * j] as string, tags[j]!, entries[2 * j + 1] as V, keyAt[j]!);
  }

  private alloc(slots: number): void {
    this.tags = new Int32Array(slots);
    this.keyAt = new Int32Array(slots);
    this.entries = new Array<string | V | undefined>(2 * slots).fill(undefined);
    this.mask = slots - 1;
  }

  clear(): void {
    this.alloc(1024);
    this.size = 0;
    this.used = 0;
  }
}

/** FNV-1a over UTF-16 code units: what TextMemo hashes a key with. */
export const TEXT_HASH_BASIS = 0x811c9dc5 | 0;
export const TEXT_HASH_PRIME = 0x01000193;

export function textHash(src: string, a: number, b: number): number {
  let h = TEXT_HASH_BASIS;
  for (let i = a; i < b; i++) h = Math.imul(h ^ src.charCodeAt(i), TEXT_HASH_PRIME);
  return h;
}

function sameText(src: string, at: number, key: string): boolean {
  for (let k = 0; k < key.length; k++) if (src.charCodeAt(at + k) !== key.charCodeAt(k)) return false;
  return true;
}
