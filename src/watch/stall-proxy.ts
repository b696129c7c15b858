// A unix-socket proxy in front of an ovsdb-server that can make a client's monitor deaf on
// purpose, the way the seed's agent went deaf: `drop-updates` loses every update notification
// while echo and every reply still pass (the connection looks alive); `stall` holds everything the
// server sends (a silently stalled stream). Used by the tests, the bench and the lab scenarios.
import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { JsonStreamSplitter } from '../ovsdb/framing.ts';

export type ProxyMode = 'pass' | 'drop-updates' | 'stall';

export class StallProxy {
  mode: ProxyMode = 'pass';
  /** Update notifications dropped so far (drop-updates). */
  dropped = 0;
  private readonly pairs = new Set<{ client: Socket; server: Socket; held: string[] }>();

  private constructor(
    readonly path: string,
    private readonly server: Server,
  ) {}

  get remote(): string {
    return `unix:${this.path}`;
  }

  /** Listen on `path`, forwarding each connection to the unix socket `target`. */
  static async start(path: string, target: string): Promise<StallProxy> {
    rmSync(path, { force: true });
    let proxy: StallProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, target));
    proxy = new StallProxy(path, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return proxy;
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    if (mode === 'stall') return;
    for (const p of this.pairs) {
      for (const b of p.held.splice(0)) p.client.write(b);
    }
  }

  private accept(client: Socket, target: string): void {
    const server = connect({ path: target });
    const pair = { client, server, held: [] as string[] };
    this.pairs.add(pair);
    const splitter = new JsonStreamSplitter();
    const end = (): void => {
      client.destroy();
      server.destroy();
      this.pairs.delete(pair);
    };
    client.on('data', (b: Buffer) => server.write(b));
    server.on('data', (b: Buffer) => {
      // Message by message, so a mode change never cuts one in half.
      for (const text of splitter.push(b)) {
        if (this.mode === 'stall') pair.held.push(text);
        else if (this.mode === 'pass' || !isUpdate(text)) client.write(text);
        else this.dropped++;
      }
    });
    client.on('close', end);
    server.on('close', end);
    client.on('error', end);
    server.on('error', end);
  }

  async close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.server.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.path, { force: true });
  }
}

function isUpdate(text: string): boolean {
  const m = JSON.parse(text) as { method?: unknown };
  return m.method === 'update' || m.method === 'update2' || m.method === 'update3';
}
