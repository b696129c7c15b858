// A misbehaving OVSDB server on a unix socket, for the client's tests and bench/ovsdb-hostile:
// it speaks just enough RFC 7047 (list_dbs, get_schema, monitor*, echo) to let a client start a
// monitor, then misbehaves on demand. It counts what a client does to it: connections accepted,
// sockets open at once (and the most ever), bytes it sent, requests it saw.
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { JsonStreamSplitter } from '../ovsdb/framing.ts';

export type HostileMode =
  /** Answer properly. */
  | 'ok'
  /** Read requests, answer none (echo included). */
  | 'never-answer'
  /** Answer every request with someone else's id (id + 1000, and a string id). */
  | 'wrong-ids'
  /** On the first request, start a reply whose string never ends: 64 KiB after 64 KiB. */
  | 'endless-string'
  /** On the first request, start a reply whose array never ends: `[0,0,0,...` without a close. */
  | 'endless-value'
  /** Answer monitor requests with replies that are not monitor replies (schema and list_dbs stay fine). */
  | 'malformed-monitor'
  /** Close the connection as soon as a monitor request arrives (a failing resync). */
  | 'close-on-monitor'
  /** Send echo requests without end and never read the replies. */
  | 'echo-flood';

export const HOSTILE_SCHEMA = {
  name: 'Open_vSwitch',
  version: '8.3.0',
  tables: {
    Bridge: {
      columns: {
        name: { type: 'string' },
        ports: { type: { key: 'uuid', min: 0, max: 'unlimited' } },
        external_ids: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
      },
    },
  },
};

export const BRIDGE_UUID = '11111111-2222-3333-4444-555555555555';

interface Msg {
  method?: string;
  params?: unknown[];
  id?: unknown;
}

export class HostileOvsdb {
  mode: HostileMode = 'ok';
  /** Connections accepted so far. */
  accepted = 0;
  /** Sockets open now, and the most ever open at once. */
  open = 0;
  maxOpen = 0;
  /** Bytes written to clients so far. */
  bytesSent = 0;
  /** Requests received, by method. */
  readonly requests = new Map<string, number>();
  private readonly socks = new Set<Socket>();

  private constructor(
    readonly path: string,
    private readonly server: Server,
  ) {}

  get remote(): string {
    return `unix:${this.path}`;
  }

  static async start(path: string): Promise<HostileOvsdb> {
    rmSync(path, { force: true });
    let h: HostileOvsdb | undefined;
    const server = createServer((s) => h?.accept(s));
    h = new HostileOvsdb(path, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return h;
  }

  /** Drop every open connection (the server "restarts"). */
  dropAll(): void {
    for (const s of this.socks) s.destroy();
  }

  count(method: string): number {
    return this.requests.get(method) ?? 0;
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.path, { force: true });
  }

  private accept(s: Socket): void {
    this.accepted++;
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    this.socks.add(s);
    let gone = false;
    s.on('close', () => {
      if (gone) return;
      gone = true;
      this.open--;
      this.socks.delete(s);
    });
    s.on('error', () => undefined);
    const send = (text: string): boolean => {
      if (s.destroyed) return false;
      this.bytesSent += Buffer.byteLength(text);
      return s.write(text);
    };
    if (this.mode === 'echo-flood') {
      // Never read: the client's replies pile up on its side.
      s.pause();
      let n = 0;
      const flood = (): void => {
        while (!s.destroyed && send(JSON.stringify({ method: 'echo', params: ['x'.repeat(1000)], id: n++ })));
        if (!s.destroyed) s.once('drain', flood);
      };
      flood();
      return;
    }
    const splitter = new JsonStreamSplitter();
    let endless = false;
    s.on('data', (b: Buffer) => {
      let texts: string[];
      try {
        texts = splitter.push(b);
      } catch {
        s.destroy();
        return;
      }
      for (const t of texts) {
        const m = JSON.parse(t) as Msg;
        if (typeof m.method !== 'string') continue; // a reply to our echo
        this.requests.set(m.method, this.count(m.method) + 1);
        if (m.id === null || m.id === undefined) continue;
        const mode = this.mode;
        if (mode === 'never-answer') continue;
        if (mode === 'endless-string' || mode === 'endless-value') {
          if (endless) continue;
          endless = true;
          const chunk = mode === 'endless-string' ? 'x'.repeat(65536) : '0,'.repeat(32768);
          send(
            `{"id":${JSON.stringify(m.id)},"error":null,"result":${mode === 'endless-string' ? '"' : '['}`,
          );
          const more = (): void => {
            while (!s.destroyed && send(chunk));
            if (!s.destroyed) s.once('drain', more);
          };
          more();
          continue;
        }
        if (mode === 'close-on-monitor' && m.method.startsWith('monitor')) {
          s.destroy();
          return;
        }
        const result = this.answer(m, mode);
        if (mode === 'wrong-ids') {
          send(JSON.stringify({ id: typeof m.id === 'number' ? m.id + 1000 : 0, result, error: null }));
          send(JSON.stringify({ id: String(m.id), result, error: null }));
        } else send(JSON.stringify({ id: m.id, result, error: null }));
      }
    });
  }

  private answer(m: Msg, mode: HostileMode): unknown {
    const p = m.params ?? [];
    switch (m.method) {
      case 'echo':
        return p;
      case 'list_dbs':
        return ['Open_vSwitch'];
      case 'get_schema':
        return HOSTILE_SCHEMA;
      case 'monitor':
      case 'monitor_cond':
      case 'monitor_cond_since': {
        if (mode === 'malformed-monitor')
          return m.method === 'monitor_cond_since'
            ? [true, 'not-a-txn', { Bridge: { [BRIDGE_UUID]: { initial: { name: ['no', 'datum'] } } } }]
            : { Bridge: { 'not-a-uuid': { initial: {} } } };
        const row = { name: 'br-int', ports: ['set', []], external_ids: ['map', []] };
        const rows = { Bridge: { [BRIDGE_UUID]: m.method === 'monitor' ? { new: row } : { initial: row } } };
        return m.method === 'monitor_cond_since'
          ? [false, '00000000-0000-0000-0000-000000000001', rows]
          : rows;
      }
      case 'lock':
      case 'steal':
        return { locked: true };
      default:
        return {};
    }
  }
}
