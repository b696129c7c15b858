import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FramingError, JsonStreamSplitter } from './framing.ts';
import { JsonRpcConnection, ProtocolError } from './jsonrpc.ts';

const jsonObject = fc.dictionary(fc.string(), fc.jsonValue());

describe('JSON stream framing', () => {
  it('finds every object whatever the read boundaries (property)', () => {
    fc.assert(
      fc.property(
        fc.array(jsonObject, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (objs, cuts) => {
          const bytes = Buffer.from(objs.map((o) => JSON.stringify(o)).join(' \n'));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const s = new JsonStreamSplitter();
          const got: unknown[] = [];
          let at = 0;
          for (const p of [...points, bytes.length]) {
            for (const t of s.push(bytes.subarray(at, p))) got.push(JSON.parse(t));
            at = p;
          }
          expect(got).toEqual(JSON.parse(JSON.stringify(objs)));
          expect(s.pending).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splits a multi-byte character across reads without harm', () => {
    const b = Buffer.from(JSON.stringify({ name: 'ü€😀"}{' }));
    const s = new JsonStreamSplitter();
    const out = [...b].flatMap((x) => s.push(Buffer.from([x])));
    expect(out.map((t) => JSON.parse(t))).toEqual([{ name: 'ü€😀"}{' }]);
  });

  it('rejects garbage and unbounded messages with a FramingError', () => {
    expect(() => new JsonStreamSplitter().push(Buffer.from('HTTP/1.1 200 OK'))).toThrow(FramingError);
    expect(() => new JsonStreamSplitter().push(Buffer.from('{}]'))).toThrow(/unbalanced|expected/);
    const s = new JsonStreamSplitter(1000);
    expect(() => s.push(Buffer.from(`{"a":"${'x'.repeat(2000)}`))).toThrow(/larger than 1000/);
  });

  it('a hostile peer (fuzz) only ever closes the connection with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.jsonValue(), async (junk, v) => {
        const peer = new PassThrough();
        const c = new JsonRpcConnection(peer, 10_000);
        const closed = new Promise<Error | undefined>((r) => c.on('close', r));
        const reply = c.request('echo', []).catch((e: Error) => e);
        peer.write(Buffer.from(junk));
        peer.write(JSON.stringify({ result: v, error: v, id: 1 }));
        peer.write(JSON.stringify(v));
        peer.end();
        peer.destroy();
        const e = await closed;
        const r = await reply;
        if (e !== undefined) expect(e).toBeInstanceOf(ProtocolError);
        expect(c.isClosed).toBe(true);
        // The pending request ends either way: answered, or rejected with an error.
        expect(r instanceof Error || r !== undefined).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
