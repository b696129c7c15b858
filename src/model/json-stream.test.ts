// writeJson writes exactly what toJson would, in pieces: snapshots of any size print as JSON
// (200,000 flows made a string longer than V8 allows), and a bridge of ≥ 125k flows prints as
// text (a spread push of every flow line overflowed the stack).
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSnapshot } from '../cli/format-snapshot.ts';
import { readCase } from '../sources/case-dir.ts';
import { buildSnapshot } from '../testing/snapshot-builder.ts';
import { JSON_CHUNK_CHARS, writeJson } from './json-stream.ts';
import { toJson } from './snapshot.ts';

const id = (s: string): string => s;
const plain = { bold: id, dim: id, red: id, yellow: id, green: id };

function pieces(v: unknown, indent?: number): string[] {
  const out: string[] = [];
  writeJson(v, (s) => out.push(s), indent);
  return out;
}

describe('writeJson', () => {
  it('is toJson for the seed snapshot, in chunks of bounded size', () => {
    const s = readCase(join(import.meta.dirname, '../../examples/xenserver-seed'), { lenient: false });
    const p = pieces(s);
    expect(p.join('')).toBe(toJson(s));
    expect(p.length).toBeLessThanOrEqual(Math.ceil(p.join('').length / JSON_CHUNK_CHARS) || 1);
    // A chunk is flushed once it reaches the threshold: it overshoots by at most one piece.
    for (const c of p.slice(0, -1)) expect(c.length).toBeLessThan(JSON_CHUNK_CHARS * 2);
  });

  it('is toJson for any JSON-able value, bigints, undefined, NaN, toJSON and long arrays included', () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.bigInt(),
      fc.date({ noInvalidDate: true }),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
      array: fc.array(tie('node'), { maxLength: 40 }),
      object: fc.dictionary(fc.string(), tie('node')),
    })).node;
    fc.assert(
      fc.property(tree, fc.constantFrom(0, 2, 4), (v, indent) => {
        expect(pieces(v, indent).join('')).toBe(toJson(v, indent) ?? ''); // toJson(undefined) is undefined
      }),
      { numRuns: 400 },
    );
    expect(pieces(undefined).join('')).toBe('');
    expect(pieces([1n, { a: undefined, b: () => 1 }, Number.NaN]).join('')).toBe(
      toJson([1n, { a: undefined, b: () => 1 }, Number.NaN]),
    );
  });

  it('a bridge of 150,000 flows prints as text and as JSON', () => {
    const s = buildSnapshot([
      {
        name: 'h',
        bridges: [
          {
            name: 'br-int',
            ports: [{ name: 'p1', ofport: 1, tag: 1 }],
            flows: ['cookie=0x1, table=0, n_packets=3, n_bytes=180, priority=1,in_port=1 actions=NORMAL'],
          },
        ],
      },
    ]);
    const f = s.hosts[0]!.bridges[0]!.flows;
    if (!f.known) throw new Error('flows expected');
    const n = 150_000;
    f.value.entries = Array.from({ length: n }, () => f.value.entries[0]!);
    const text = formatSnapshot(s, plain);
    expect(text.split('\n').filter((l) => l.includes('actions=NORMAL'))).toHaveLength(n);
    let chars = 0;
    let chunks = 0;
    let biggest = 0;
    let flows = 0;
    writeJson(s, (c) => {
      chars += c.length;
      chunks++;
      biggest = Math.max(biggest, c.length);
      flows += c.split('"priority": 1,').length - 1;
    });
    expect(flows).toBe(n);
    expect(biggest).toBeLessThan(JSON_CHUNK_CHARS * 2);
    expect(chunks).toBeGreaterThan(chars / (JSON_CHUNK_CHARS * 2));
  });
});
