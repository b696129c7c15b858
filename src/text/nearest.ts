// "Did you mean": the known names closest to one the user typed, for the one-line errors that
// reject a name (a --vm, a trace's --from / --to). Closest by edit distance, letter case ignored,
// a name that contains the typed one (or is contained in it) first.

/** Levenshtein distance, two rows. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** Names compared beyond this length are cut (a typed MAC or iface-id is short; this bounds the work). */
const MAX_COMPARED = 64;

/** The `n` names of `known` nearest `wanted` (distinct, best first; ties in the order given). */
export function nearest(wanted: string, known: readonly string[], n = 8): string[] {
  const w = wanted.toLowerCase().slice(0, MAX_COMPARED);
  const scored = [...new Set(known)].map((name, i) => {
    const k = name.toLowerCase().slice(0, MAX_COMPARED);
    const contains = w !== '' && (k.includes(w) || w.includes(k));
    // Without a host in what was typed, the part after `host:` is compared (`vif16.0` is near `dom0:vif16.0`).
    const d = distance(w, w.includes(':') ? k : k.slice(k.indexOf(':') + 1));
    return { name, i, score: (contains ? 0 : 1000) + d };
  });
  scored.sort((a, b) => a.score - b.score || a.i - b.i);
  return scored.slice(0, n).map((x) => x.name);
}

/** `a, b, c` or `a, b, c, … (N known)` when there are more than shown. */
export function nameList(shown: readonly string[], total: number): string {
  return `${shown.join(', ')}${total > shown.length ? `, … (${total} known)` : ''}`;
}
