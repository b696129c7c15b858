// The text form OVS utilities print OVSDB values in (`ovs-vsctl list`, `ovsdb-client dump`,
// `ovsdb-client monitor`): `[]`, `[1, 2]`, `{peer=x, k="v w"}`, `"quoted"`, bare words, numbers.

import { readEscape } from '../text/unescape.ts';
import type { Atom, Datum } from './datum.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NUM = /^-?\d+(\.\d+)?$/;

export class TextDatumError extends Error {}

class Reader {
  i = 0;
  constructor(readonly s: string) {}
  peek(): string {
    return this.s[this.i] ?? '';
  }
  ws(): void {
    while (this.s[this.i] === ' ') this.i++;
  }
  atom(stops: string): Atom {
    this.ws();
    if (this.peek() === '"') {
      let out = '';
      this.i++;
      for (;;) {
        const c = this.s[this.i++];
        if (c === undefined) throw new TextDatumError('unterminated string');
        if (c === '"') break;
        if (c === '\\') {
          const e = readEscape(this.s, this.i);
          if (e === undefined) throw new TextDatumError('unterminated string');
          out += e.ch;
          this.i = e.next;
        } else out += c;
      }
      return out;
    }
    const start = this.i;
    while (this.i < this.s.length && !stops.includes(this.s[this.i]!)) this.i++;
    const word = this.s.slice(start, this.i).trim();
    return bareAtom(word);
  }
}

function bareAtom(word: string): Atom {
  if (word === 'true') return true;
  if (word === 'false') return false;
  if (NUM.test(word)) return Number(word);
  if (UUID.test(word)) return ['uuid', word];
  return word;
}

/** Parse one printed value. Throws TextDatumError on malformed text. */
export function parseTextDatum(text: string): Datum {
  const r = new Reader(text.trim());
  r.ws();
  const c = r.peek();
  let d: Datum;
  if (c === '[') {
    r.i++;
    const items: Atom[] = [];
    r.ws();
    if (r.peek() === ']') r.i++;
    else
      for (;;) {
        items.push(r.atom(',]'));
        r.ws();
        const n = r.s[r.i++];
        if (n === ']') break;
        if (n !== ',') throw new TextDatumError('expected "," or "]"');
      }
    d = ['set', items];
  } else if (c === '{') {
    r.i++;
    const entries: [Atom, Atom][] = [];
    r.ws();
    if (r.peek() === '}') r.i++;
    else
      for (;;) {
        const k = r.atom('=,}');
        if (r.s[r.i++] !== '=') throw new TextDatumError('expected "=" in map');
        const v = r.atom(',}');
        entries.push([k, v]);
        r.ws();
        const n = r.s[r.i++];
        if (n === '}') break;
        if (n !== ',') throw new TextDatumError('expected "," or "}"');
      }
    d = ['map', entries];
  } else {
    d = r.atom('');
  }
  r.ws();
  if (r.i !== r.s.length)
    throw new TextDatumError(`unexpected text after value: "${r.s.slice(r.i, r.i + 20)}"`);
  return d;
}
