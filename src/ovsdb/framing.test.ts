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
    expect(() => s.push(Buffer.from(`{"a":"${'x'.repeat(2000)}`))).toThrow(
      /larger than OVSDB_MAX_MESSAGE_BYTES \(1000 bytes\)/,
    );
  });

  it('an endless string or value trickled in hits OVSDB_MAX_MESSAGE_BYTES; what is held never exceeds it', () => {
    for (const [head, chunk] of [
      ['{"id":1,"result":"', 'x'.repeat(100)],
      ['{"id":1,"result":[', '0,'.repeat(50)],
    ] as const) {
      const s = new JsonStreamSplitter(10_000);
      s.push(Buffer.from(head));
      let fed = head.length;
      let error: unknown;
      for (let i = 0; i < 1000 && error === undefined; i++) {
        try {
          s.push(Buffer.from(chunk));
          fed += chunk.length;
        } catch (e) {
          error = e;
        }
      }
      expect(error).toBeInstanceOf(FramingError);
      expect(String(error)).toMatch(/OVSDB_MAX_MESSAGE_BYTES \(10000 bytes\)/);
      expect(fed).toBeLessThanOrEqual(10_000);
      expect(s.highWater).toBeLessThanOrEqual(10_000);
      expect(s.pending).toBeLessThanOrEqual(10_000);
    }
  });

  it('a message of exactly the limit passes; one byte more, whole in one read, does not', () => {
    const msg = (n: number) => {
      const t = `{"a":"${'x'.repeat(n)}"}`;
      return Buffer.from(t);
    };
    const exact = msg(1000 - 8);
    expect(exact.length).toBe(1000);
    expect(new JsonStreamSplitter(1000).push(exact)).toHaveLength(1);
    const s = new JsonStreamSplitter(1000);
    expect(s.push(exact.subarray(0, 500))).toEqual([]);
    expect(s.push(exact.subarray(500))).toHaveLength(1);
    expect(() => new JsonStreamSplitter(1000).push(msg(1000 - 7))).toThrow(FramingError);
  });

  it('nesting deeper than OVSDB_MAX_DEPTH is refused before it is parsed', () => {
    expect(() => new JsonStreamSplitter(1e6, 64).push(Buffer.from(`{"a":${'['.repeat(64)}`))).toThrow(
      /OVSDB_MAX_DEPTH \(64\)/,
    );
    // 63 brackets inside the object: 64 levels, accepted.
    const ok = `{"a":${'['.repeat(63)}${']'.repeat(63)}}`;
    expect(new JsonStreamSplitter(1e6, 64).push(Buffer.from(ok))).toEqual([ok]);
  });

  it('a connection fed an endless string closes with a ProtocolError naming the limit', async () => {
    const peer = new PassThrough();
    const c = new JsonRpcConnection(peer, 5000);
    const closed = new Promise<Error | undefined>((r) => c.on('close', r));
    peer.emit('data', Buffer.from('{"id":1,"result":"'));
    for (let i = 0; i < 100 && !c.isClosed; i++) peer.emit('data', Buffer.from('y'.repeat(100)));
    const e = await closed;
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e?.message).toMatch(/OVSDB_MAX_MESSAGE_BYTES \(5000 bytes\)/);
    expect(c.incomingHighWater).toBeLessThanOrEqual(5000);
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
