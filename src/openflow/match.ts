// Match part of a flow: `priority=4,in_port=2,dl_vlan=1`, driven by the field table.
import { formatFieldValue, lookupField, parseFieldValue, SHORTHANDS } from './fields.ts';
import type { MatchItem } from './types.ts';

export function parseMatchItem(token: string): MatchItem {
  const eq = token.indexOf('=');
  if (eq < 0) {
    if (SHORTHANDS.has(token)) return { kind: 'shorthand', name: token };
    return { kind: 'unsupported', text: token };
  }
  const key = token.slice(0, eq);
  const def = lookupField(key);
  if (!def) return { kind: 'unsupported', text: token };
  return { kind: 'field', field: def.name, name: key, value: parseFieldValue(def, token.slice(eq + 1)) };
}

export function formatMatchItem(m: MatchItem): string {
  switch (m.kind) {
    case 'shorthand':
      return m.name;
    case 'field':
      return `${m.name}=${formatFieldValue(m.value)}`;
    case 'unsupported':
      return m.text;
  }
}
