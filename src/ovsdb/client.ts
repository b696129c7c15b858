// An OVSDB client (RFC 7047 plus ovsdb-server(7)'s monitor_cond / monitor_cond_since) with
// reconnection: when the connection drops it retries with exponential backoff, re-issues every
// monitor and lock, and reports what changed while it was away as ordinary row changes, so a
// consumer's view equals the server's after every resync.
import { EventEmitter } from 'node:events';
import { applyUpdate, applyUpdate2, diffReplicas, type Replica, type RowChange } from './cache.ts';
import type { Row } from './datum.ts';
import { ConnectionClosed, type Json, JsonRpcConnection, OvsdbError, ProtocolError } from './jsonrpc.ts';
import { openRemote, parseRemote, type Remote, remoteText, type SslFiles } from './remote.ts';
import { type DbSchema, parseSchema } from './schema.ts';

export type Condition = [column: string, fn: string, value: Json];
export type Where = Condition[];
export type Operation =
  | { op: 'insert'; table: string; row: Record<string, Json>; 'uuid-name'?: string; uuid?: string }
  | { op: 'select'; table: string; where: Where; columns?: string[] }
  | { op: 'update'; table: string; where: Where; row: Record<string, Json> }
  | { op: 'mutate'; table: string; where: Where; mutations: [string, string, Json][] }
  | { op: 'delete'; table: string; where: Where }
  | {
      op: 'wait';
      table: string;
      where: Where;
      columns: string[];
      until: '==' | '!=';
      rows: Record<string, Json>[];
      timeout?: number;
    }
  | { op: 'commit'; durable: boolean }
  | { op: 'abort' }
  | { op: 'comment'; comment: string }
  | { op: 'assert'; lock: string };

export interface OpResult {
  uuid?: ['uuid', string];
  rows?: Record<string, Json>[];
  count?: number;
  error?: string;
  details?: string;
}

/** A transaction failed: which operation and why (RFC 7047 §4.1.3 result array). */
export class TransactionError extends Error {
  constructor(
    readonly index: number,
    readonly error: string,
    readonly details: string | undefined,
    readonly results: (OpResult | null)[],
  ) {
    super(`transact: operation ${index}: ${error}${details ? `: ${details}` : ''}`);
  }
}

export type MonitorMethod = 'monitor' | 'monitor_cond' | 'monitor_cond_since';
export interface MonitorRequest {
  columns?: string[];
  where?: Where;
  select?: { initial?: boolean; insert?: boolean; delete?: boolean; modify?: boolean };
}

export interface ClientOptions {
  reconnect?: boolean;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  connectTimeoutMs?: number;
  /** Send an echo after this long without traffic; drop the connection if the next interval is silent too. */
  probeIntervalMs?: number;
  /**
   * A request unanswered this long fails, and the connection is dropped (and reconnected).
   * Default OVSDB_REQUEST_TIMEOUT_MS; 0 waits for ever. A transaction's `wait` timeouts are added.
   */
  requestTimeoutMs?: number;
  ssl?: SslFiles;
  /** Largest message accepted from the server (default OVSDB_MAX_MESSAGE_BYTES); past it the link is dropped. */
  maxMessageBytes?: number;
  /** Most bytes left unsent to a server that does not read (default OVSDB_MAX_UNSENT_BYTES). */
  maxUnsentBytes?: number;
}

/** How long a request waits for its answer unless ClientOptions.requestTimeoutMs says otherwise. */
export const OVSDB_REQUEST_TIMEOUT_MS = 60_000;

interface MonitorEvents {
  change: [changes: RowChange[]];
  /**
   * An update notification the server sent on its own (a change after the monitor request), even
   * one that changes nothing in the replica: proof the monitor hears. A resync's reply is not one.
   */
  update: [changes: RowChange[]];
}

/** A live monitor: its replica of the rows, kept current; 'change' after every update and resync. */
export class Monitor extends EventEmitter<MonitorEvents> {
  readonly rows: Replica = new Map();
  lastTxnId: string | undefined;
  cancelled = false;
  constructor(
    readonly client: OvsdbClient,
    readonly id: string,
    readonly db: string,
    readonly requests: Record<string, MonitorRequest>,
    public method: MonitorMethod,
    readonly schema: DbSchema,
  ) {
    super();
  }
  table(name: string): Map<string, Row> {
    return this.rows.get(name) ?? new Map();
  }
  cancel(): Promise<void> {
    return this.client.monitorCancel(this);
  }
}

interface ClientEvents {
  connect: [];
  /** The reconnect loop waits delayMs before its attempt-th attempt (counted over the client's life). */
  reconnecting: [attempt: number, delayMs: number];
  disconnect: [error: Error | undefined];
  resync: [monitor: Monitor, changes: RowChange[]];
  locked: [lock: string];
  stolen: [lock: string];
  error: [error: Error];
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export class OvsdbClient extends EventEmitter<ClientEvents> {
  private conn: JsonRpcConnection | undefined;
  private readonly monitors = new Map<string, Monitor>();
  private readonly locks = new Set<string>();
  private readonly schemas = new Map<string, DbSchema>();
  private closing = false;
  private nextMonitor = 1;
  private probe: NodeJS.Timeout | undefined;
  private connected: Promise<void> | undefined;
  /** The one reconnect loop running, if any: a failure inside it never starts a second one. */
  private reconnecting = false;
  /** The delay before the next attempt (0: not backing off). Kept across loops; see onClose. */
  private backoff = 0;
  /** When the current connection became usable (connected and resynced), if it did. */
  private usableSince: number | undefined;
  /** Cuts short the reconnect loop's sleep and a connection attempt in progress, on close(). */
  private readonly abandon = new AbortController();
  private wake: (() => void) | undefined;
  /** Successful reconnections, and reconnection attempts (successful or not). */
  reconnects = 0;
  attempts = 0;
  private pastHighWater = 0;

  private constructor(
    readonly remote: Remote,
    private readonly opts: ClientOptions,
  ) {
    super();
    // An unhandled 'error' event would crash the process; errors also surface through calls.
    this.on('error', () => undefined);
  }

  static async connect(remote: string | Remote, opts: ClientOptions = {}): Promise<OvsdbClient> {
    const c = new OvsdbClient(typeof remote === 'string' ? parseRemote(remote) : remote, opts);
    await c.open();
    c.usableSince = Date.now();
    return c;
  }

  get isConnected(): boolean {
    return this.conn !== undefined && !this.conn.isClosed;
  }

  /** Bytes the connection holds now: of an unfinished incoming message, and unsent. */
  get buffered(): { incoming: number; unsent: number } {
    return this.conn?.buffered ?? { incoming: 0, unsent: 0 };
  }
  /** The most bytes of an unfinished incoming message held at once, over every connection so far. */
  get incomingHighWater(): number {
    return Math.max(this.pastHighWater, this.conn?.incomingHighWater ?? 0);
  }

  private async open(): Promise<void> {
    const sock = await openRemote(
      this.remote,
      this.opts.connectTimeoutMs ?? 5000,
      this.opts.ssl,
      this.abandon.signal,
    );
    if (this.closing) {
      sock.destroy();
      throw new ConnectionClosed(`${remoteText(this.remote)}: client closed`);
    }
    const conn = new JsonRpcConnection(sock, this.opts.maxMessageBytes, this.opts.maxUnsentBytes);
    this.conn = conn;
    conn.on('notification', (m, p) => this.onNotification(m, p));
    conn.on('close', (e) => this.onClose(conn, e));
    this.startProbe(conn);
    this.emit('connect');
  }

  private startProbe(conn: JsonRpcConnection): void {
    const every = this.opts.probeIntervalMs;
    if (!every) return;
    clearInterval(this.probe);
    // When the unanswered echo went out (0: none). Anything received since answers it: judged by
    // that, not by the idle time, which a tick a few ms late finds over one interval even when the
    // answer came at once (a quiet, healthy link was dropped every second interval).
    let sentAt = 0;
    this.probe = setInterval(() => {
      if (conn.isClosed) return;
      if (sentAt !== 0 && conn.lastReceived >= sentAt) sentAt = 0;
      const idle = Date.now() - conn.lastReceived;
      if (idle < every) return;
      if (sentAt !== 0) {
        // Silent for two intervals: treat as dead, reconnect; a request waiting is told it timed out
        // (review5: a peer that accepted and said nothing was "get_schema: connection closed").
        conn.close(
          `${remoteText(this.remote)} timed out: nothing received for ${Math.round(idle / 100) / 10} s (vifpath's keepalive: an echo every ${every / 1000} s, given up after two unanswered)`,
        );
        return;
      }
      sentAt = Date.now();
      conn.request('echo', []).catch(() => undefined);
    }, every);
    this.probe.unref();
  }

  private onClose(conn: JsonRpcConnection, e: Error | undefined): void {
    this.pastHighWater = Math.max(this.pastHighWater, conn.incomingHighWater);
    if (this.conn !== conn) return;
    this.conn = undefined;
    clearInterval(this.probe);
    this.emit('disconnect', e);
    if (e) this.emit('error', e);
    // A usable connection that lasted at least the last delay ends the backing off (as OVS's
    // reconnect.c does); one that drops at once (a flapping server) keeps doubling it.
    if (this.usableSince !== undefined && Date.now() - this.usableSince >= this.backoff) this.backoff = 0;
    this.usableSince = undefined;
    if (this.closing || !this.opts.reconnect || this.reconnecting) return;
    this.connected = this.reconnectLoop();
    this.connected.catch(() => undefined);
  }

  private async reconnectLoop(): Promise<void> {
    this.reconnecting = true;
    const min = this.opts.minBackoffMs ?? 100;
    const max = this.opts.maxBackoffMs ?? 8000;
    try {
      while (!this.closing) {
        this.backoff = this.backoff ? Math.min(max, this.backoff * 2) : min;
        this.attempts++;
        this.emit('reconnecting', this.attempts, this.backoff);
        await this.sleep(this.backoff);
        if (this.closing) return;
        try {
          await this.open();
          this.reconnects++;
          await this.resync();
          if (this.isConnected) {
            this.usableSince = Date.now();
            return;
          }
        } catch (e) {
          this.conn?.close();
          if (!this.closing) this.emit('error', e as Error);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /**
   * Drop the connection on purpose and reconnect at once: every monitor starts over from the
   * server's rows (a full resync), as restarting a client would. Needs `reconnect`.
   */
  resyncNow(): void {
    if (!this.opts.reconnect) throw new Error('resyncNow needs a client made with reconnect: true');
    this.conn?.close();
  }

  /** After a reconnect: every monitor starts over (or continues from its last transaction). */
  private async resync(): Promise<void> {
    for (const m of this.monitors.values()) {
      if (m.cancelled) continue;
      const before: Replica = new Map([...m.rows].map(([t, rows]) => [t, new Map(rows)]));
      const fresh = await this.startMonitor(m, true);
      const changes = fresh ?? diffReplicas(before, m.rows);
      this.emit('resync', m, changes);
      if (changes.length) m.emit('change', changes);
    }
    for (const l of this.locks) await this.call('lock', [l]).catch(() => undefined);
  }

  private call(method: string, params: Json[], extraMs = 0): Promise<Json> {
    const c = this.conn;
    if (!c || c.isClosed)
      return Promise.reject(new ConnectionClosed(`${method}: not connected to ${remoteText(this.remote)}`));
    const base = this.opts.requestTimeoutMs ?? OVSDB_REQUEST_TIMEOUT_MS;
    if (!base) return c.request(method, params);
    const ms = base + extraMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new ConnectionClosed(`${method}: no answer from ${remoteText(this.remote)} within ${ms} ms`));
        c.close(); // a request without an answer means the link is stuck: start over
      }, ms);
      c.request(method, params).then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }

  /** Wait until connected again (immediately when connected). */
  async ready(): Promise<void> {
    if (this.isConnected) return;
    if (this.connected) await this.connected;
  }

  async listDbs(): Promise<string[]> {
    const r = await this.call('list_dbs', []);
    if (!Array.isArray(r) || !r.every((x) => typeof x === 'string'))
      throw new ProtocolError('list_dbs: not a list of names');
    return r as string[];
  }

  async getSchema(db: string): Promise<DbSchema> {
    const cached = this.schemas.get(db);
    if (cached) return cached;
    const s = parseSchema(await this.call('get_schema', [db]));
    this.schemas.set(db, s);
    return s;
  }

  async echo(...payload: Json[]): Promise<Json[]> {
    const r = await this.call('echo', payload);
    if (!Array.isArray(r)) throw new ProtocolError('echo: reply is not an array');
    return r;
  }

  async transact(db: string, ...ops: Operation[]): Promise<(OpResult | null)[]> {
    // A `wait` may hold the answer back for its own timeout: the request waits that much longer.
    const waits = ops.map((o) => (o.op === 'wait' && typeof o.timeout === 'number' ? o.timeout : 0));
    const r = await this.call('transact', [db, ...(ops as unknown as Json[])], Math.max(0, ...waits));
    if (!Array.isArray(r)) throw new ProtocolError('transact: result is not an array');
    const results = r as (OpResult | null)[];
    results.forEach((x, i) => {
      if (x !== null && (typeof x !== 'object' || Array.isArray(x)))
        throw new ProtocolError(`transact: result ${i} is not an object`);
    });
    const bad = results.findIndex((x) => x !== null && typeof x.error === 'string');
    if (bad >= 0) {
      const e = results[bad]!;
      throw new TransactionError(bad, e.error!, e.details, results);
    }
    return results;
  }

  /**
   * Start a monitor. 'auto' picks monitor_cond_since, then monitor_cond, then monitor, by what
   * the server accepts.
   */
  async monitor(
    db: string,
    requests: Record<string, MonitorRequest>,
    method: MonitorMethod | 'auto' = 'auto',
  ): Promise<Monitor> {
    const schema = await this.getSchema(db);
    const id = `vifpath-${this.nextMonitor++}`;
    const order: MonitorMethod[] =
      method === 'auto' ? ['monitor_cond_since', 'monitor_cond', 'monitor'] : [method];
    for (const [i, meth] of order.entries()) {
      const m = new Monitor(this, id, db, requests, meth, schema);
      try {
        this.monitors.set(id, m);
        await this.startMonitor(m, false);
        return m;
      } catch (e) {
        this.monitors.delete(id);
        const unknown = e instanceof OvsdbError && /unknown method/.test(e.message);
        if (!unknown || i === order.length - 1) throw e;
      }
    }
    throw new Error('unreachable');
  }

  /**
   * Issue the monitor request. On a resync, monitor_cond_since asks only for what changed since
   * the last transaction seen; the returned changes are then those (undefined: compute a diff).
   */
  private async startMonitor(m: Monitor, resync: boolean): Promise<RowChange[] | undefined> {
    const reqs: Record<string, Json> = {};
    for (const [t, r] of Object.entries(m.requests)) {
      const q: Record<string, Json> = {};
      if (r.columns) q.columns = r.columns;
      if (r.select) q.select = r.select;
      if (r.where && m.method !== 'monitor') q.where = r.where;
      reqs[t] = q;
    }
    const params: Json[] = [m.db, m.id, reqs];
    if (m.method === 'monitor_cond_since') params.push(resync && m.lastTxnId ? m.lastTxnId : ZERO_UUID);
    const r = await this.call(m.method, params);
    // The replica changes only once the whole reply has been read (a malformed one leaves it as
    // it was, and the resync is tried again); so does the transaction id it continues from.
    let updates: Json = r;
    if (m.method === 'monitor_cond_since') {
      if (!Array.isArray(r) || r.length !== 3 || typeof r[0] !== 'boolean' || typeof r[1] !== 'string')
        throw new ProtocolError('monitor_cond_since: result is not [found, last-txn-id, updates]');
      if (resync && r[0]) {
        const changes = applyUpdate2(m.rows, r[2]!, m.schema);
        m.lastTxnId = r[1];
        return changes;
      }
      updates = r[2]!;
    }
    const fresh: Replica = new Map();
    const changes =
      m.method === 'monitor' ? applyUpdate(fresh, updates) : applyUpdate2(fresh, updates, m.schema);
    if (m.method === 'monitor_cond_since') m.lastTxnId = (r as Json[])[1] as string;
    m.rows.clear();
    for (const [t, rows] of fresh) m.rows.set(t, rows);
    if (!resync && changes.length) m.emit('change', changes);
    return undefined;
  }

  async monitorCancel(m: Monitor): Promise<void> {
    m.cancelled = true;
    this.monitors.delete(m.id);
    if (this.isConnected) await this.call('monitor_cancel', [m.id]);
  }

  async lock(id: string): Promise<boolean> {
    this.locks.add(id);
    return this.lockResult('lock', await this.call('lock', [id]));
  }
  async steal(id: string): Promise<boolean> {
    this.locks.add(id);
    return this.lockResult('steal', await this.call('steal', [id]));
  }
  async unlock(id: string): Promise<void> {
    this.locks.delete(id);
    await this.call('unlock', [id]);
  }
  private lockResult(method: string, r: Json): boolean {
    if (typeof r !== 'object' || r === null || Array.isArray(r) || typeof r.locked !== 'boolean')
      throw new ProtocolError(`${method}: result has no "locked"`);
    return r.locked;
  }

  private onNotification(method: string, params: Json[]): void {
    try {
      if (method === 'update' || method === 'update2' || method === 'update3') {
        const m = typeof params[0] === 'string' ? this.monitors.get(params[0]) : undefined;
        if (!m) return; // a monitor we cancelled
        let changes: RowChange[];
        if (method === 'update') changes = applyUpdate(m.rows, params[1] ?? null);
        else if (method === 'update2') changes = applyUpdate2(m.rows, params[1] ?? null, m.schema);
        else {
          if (typeof params[1] !== 'string') throw new ProtocolError('update3 without a transaction id');
          changes = applyUpdate2(m.rows, params[2] ?? null, m.schema);
          m.lastTxnId = params[1];
        }
        m.emit('update', changes);
        if (changes.length) m.emit('change', changes);
      } else if (method === 'locked' || method === 'stolen') {
        if (typeof params[0] === 'string') this.emit(method, params[0]);
      }
    } catch (e) {
      // A malformed update leaves the replica untrustworthy: drop the link and resync.
      this.emit('error', e as Error);
      this.conn?.close();
    }
  }

  /** Close the connection and end the reconnect loop: once this resolves, no socket is open or opening. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.probe);
    this.abandon.abort();
    this.wake?.();
    this.conn?.close();
    this.conn = undefined;
    await this.connected?.catch(() => undefined);
  }
}
