// JSON-RPC 1.0 as OVSDB speaks it (RFC 7047 §4): requests {method, params, id}, responses
// {result, error, id}, notifications with id null. Echo requests from the server are answered
// here, so an idle connection survives the server's inactivity probe.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { type FramingError, JsonStreamSplitter, OVSDB_MAX_MESSAGE_BYTES } from './framing.ts';

/**
 * The most bytes we let wait unsent for a peer that does not read (echo replies to a server that
 * floods echo requests): past it the connection is dropped. 64 MiB; ClientOptions.maxUnsentBytes.
 */
export const OVSDB_MAX_UNSENT_BYTES = 64 * 1024 * 1024;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The server answered with an error object (RFC 7047 §3.1: {error, details}). */
export class OvsdbError extends Error {
  constructor(
    readonly method: string,
    readonly error: Json,
  ) {
    const e = error as { error?: unknown; details?: unknown } | null;
    const what = typeof e?.error === 'string' ? e.error : JSON.stringify(error);
    const details = typeof e?.details === 'string' ? `: ${e.details}` : '';
    super(`${method}: ${what}${details}`);
  }
}

/** The peer sent something that is not OVSDB JSON-RPC; the connection is dropped. */
export class ProtocolError extends Error {}
export class ConnectionClosed extends Error {}

interface Pending {
  method: string;
  resolve: (v: Json) => void;
  reject: (e: Error) => void;
}

export interface JsonRpcEvents {
  notification: [method: string, params: Json[]];
  close: [error: Error | undefined];
}

export class JsonRpcConnection extends EventEmitter<JsonRpcEvents> {
  private readonly splitter: JsonStreamSplitter;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Answer the server's echo requests (switch off only to test inactivity handling). */
  answerEcho = true;
  lastReceived = Date.now();

  constructor(
    private readonly stream: Duplex,
    maxMessage: number = OVSDB_MAX_MESSAGE_BYTES,
    private readonly maxUnsent: number = OVSDB_MAX_UNSENT_BYTES,
  ) {
    super();
    this.splitter = new JsonStreamSplitter(maxMessage);
    stream.on('data', (b: Buffer) => this.onData(b));
    stream.on('error', (e) => this.shutdown(e));
    stream.on('close', () => this.shutdown(undefined));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes held now: of an unfinished incoming message, and written but not yet sent. */
  get buffered(): { incoming: number; unsent: number } {
    return { incoming: this.splitter.pending, unsent: this.stream.writableLength };
  }
  /** The most bytes of an unfinished incoming message ever held. */
  get incomingHighWater(): number {
    return this.splitter.highWater;
  }

  request(method: string, params: Json[]): Promise<Json> {
    if (this.closed) return Promise.reject(new ConnectionClosed(`${method}: connection closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.write({ method, params, id });
    });
  }

  notify(method: string, params: Json[]): void {
    this.write({ method, params, id: null });
  }

  /** Close; `why` (e.g. a keepalive that timed out) is what the requests still waiting are told. */
  close(why?: string): void {
    this.stream.destroy();
    this.shutdown(undefined, why);
  }

  private write(msg: Json): void {
    if (this.closed) return;
    // A peer that does not read: stop before our side holds more than the limit.
    if (this.stream.writableLength > this.maxUnsent) {
      this.fail(
        new ProtocolError(
          `peer is not reading: more than OVSDB_MAX_UNSENT_BYTES (${this.maxUnsent} bytes) unsent`,
        ),
      );
      return;
    }
    this.stream.write(JSON.stringify(msg));
  }

  private onData(b: Buffer): void {
    if (this.closed) return;
    this.lastReceived = Date.now();
    let texts: string[];
    try {
      texts = this.splitter.push(b);
    } catch (e) {
      this.fail(new ProtocolError(`bad framing from server: ${(e as FramingError).message}`));
      return;
    }
    for (const t of texts) {
      if (this.closed) return; // failed on an earlier message of this read
      let msg: unknown;
      try {
        msg = JSON.parse(t);
      } catch (e) {
        this.fail(new ProtocolError(`invalid JSON from server: ${(e as Error).message}`));
        return;
      }
      try {
        this.dispatch(msg);
      } catch (e) {
        this.fail(e instanceof ProtocolError ? e : new ProtocolError(String(e)));
        return;
      }
    }
  }

  private dispatch(msg: unknown): void {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
      throw new ProtocolError('message is not a JSON object');
    const m = msg as Record<string, Json>;
    if (typeof m.method === 'string') {
      const params = m.params;
      if (!Array.isArray(params)) throw new ProtocolError(`${m.method}: params is not an array`);
      if (m.id === null || m.id === undefined) {
        this.emit('notification', m.method, params);
        return;
      }
      // A request from the server: echo is the only one OVSDB servers send.
      if (m.method === 'echo') {
        if (this.answerEcho) this.write({ result: params, error: null, id: m.id });
      } else this.write({ result: null, error: { error: 'unknown method', details: m.method }, id: m.id });
      return;
    }
    if (!('id' in m)) throw new ProtocolError('message is neither a request nor a response');
    if (typeof m.id !== 'number') return; // not one of ours (we only use numeric ids)
    const p = this.pending.get(m.id);
    if (!p) return; // a late answer to a request we gave up on
    this.pending.delete(m.id);
    if (m.error !== null && m.error !== undefined) p.reject(new OvsdbError(p.method, m.error));
    else p.resolve(m.result ?? null);
  }

  private fail(e: Error): void {
    this.stream.destroy();
    this.shutdown(e);
  }

  private shutdown(e: Error | undefined, why?: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values())
      p.reject(e ?? new ConnectionClosed(`${p.method}: ${why ?? 'connection closed'}`));
    this.pending.clear();
    const truncated = e === undefined && this.splitter.pending > 0;
    this.emit('close', truncated ? new ProtocolError('connection closed inside a message') : e);
  }
}
