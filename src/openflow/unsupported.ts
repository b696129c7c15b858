// How many unsupported match items and actions the parser has made so far. While none, no flow
// parsed since holds one, and a dump's reader need not look (a read of every action's `type`,
// megamorphic over the action kinds, per flow).
let made = 0;

/** An unsupported node was made (match.ts, actions.ts). */
export function madeUnsupported(): void {
  made++;
}

/** How many unsupported nodes were made: 0 means no parsed flow holds one. */
export function unsupportedMade(): number {
  return made;
}
