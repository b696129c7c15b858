// bench/ovsdb-hostile: the OVSDB client against a misbehaving server (src/testing/hostile-ovsdb.ts)
// for BENCH_SECONDS (default 5) per behaviour — connections the server accepted, sockets open at
// once, the client's reconnects and the most bytes it ever held of an unfinished message — and the
// time to apply a ~1 MB update2 modify of a big set and of a big map. BENCH_MODES=a,b picks
// behaviours; BENCH_REQUEST_TIMEOUT_MS (default 200, 0 = none).
// OVSDB_SRC=<dir holding client.ts and cache.ts> runs another version of the client (before/after).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type HostileMode, HostileOvsdb } from '../src/testing/hostile-ovsdb.ts';

const SRC = resolve(process.env.OVSDB_SRC ?? join(import.meta.dirname, '../src/ovsdb'));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** The client's request timeout (0: none, so only the size limit ends an endless reply). */
const REQUEST_TIMEOUT_MS = Number(process.env.BENCH_REQUEST_TIMEOUT_MS ?? 200);
const { OvsdbClient } = (await import(join(SRC, 'client.ts'))) as typeof import('../src/ovsdb/client.ts');
const { applyUpdate2 } = (await import(join(SRC, 'cache.ts'))) as typeof import('../src/ovsdb/cache.ts');
const { parseSchema } = (await import(join(SRC, 'schema.ts'))) as typeof import('../src/ovsdb/schema.ts');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Buffered bytes of the client's connection, read the same way from any version. */
function buffered(c: unknown): number {
  // biome-ignore lint/suspicious/noExplicitAny: reaching into private state of any client version
  const conn = (c as any).conn;
  return conn?.splitter?.pending ?? 0;
}

async function hostile(mode: HostileMode): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vifpath-bench-hostile-'));
  const h = await HostileOvsdb.start(join(dir, 'h.sock'));
  try {
    const c = await OvsdbClient.connect(h.remote, {
      reconnect: true,
      minBackoffMs: 100,
      maxBackoffMs: 1000,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    await c.monitor('Open_vSwitch', { Bridge: { columns: ['name', 'ports'] } });
    let disconnects = 0;
    c.on('disconnect', () => disconnects++);
    const accepted0 = h.accepted;
    h.maxOpen = h.open;
    h.mode = mode;
    h.dropAll();
    let maxBuf = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < SECONDS * 1000) {
      // Requests keep coming, as a consumer's would.
      c.listDbs().catch(() => undefined);
      maxBuf = Math.max(maxBuf, buffered(c));
      await sleep(10);
    }
    const line = `${mode.padEnd(18)} ${SECONDS}s: accepted ${h.accepted - accepted0}, max sockets open ${h.maxOpen}, reconnects ${c.reconnects}, disconnects ${disconnects}, max bytes buffered ${maxBuf}, server sent ${h.bytesSent}`;
    await c.close();
    return line;
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function uuid(i: number): ['uuid', string] {
  const h = i.toString(16).padStart(12, '0');
  return ['uuid', `00000000-0000-4000-8000-${h}`];
}

function diffTimes(): string[] {
  const schema = parseSchema({
    name: 'Open_vSwitch',
    tables: {
      Bridge: {
        columns: {
          ports: { type: { key: 'uuid', min: 0, max: 'unlimited' } },
          external_ids: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
        },
      },
    },
  });
  const N = 22_000; // ~1 MB of diff
  const row = '11111111-2222-3333-4444-555555555555';
  const out: string[] = [];
  // Set: remove every other existing element, add as many new ones.
  {
    const r = new Map([
      [`Bridge`, new Map([[row, { ports: ['set', Array.from({ length: N }, (_, i) => uuid(i))] }]])],
    ]);
    const diff = [
      ...Array.from({ length: N / 2 }, (_, i) => uuid(2 * i)),
      ...Array.from({ length: N / 2 }, (_, i) => uuid(N + i)),
    ];
    const upd = { Bridge: { [row]: { modify: { ports: ['set', diff] } } } };
    const bytes = JSON.stringify(upd).length;
    const t0 = performance.now();
    // biome-ignore lint/suspicious/noExplicitAny: the replica type of any client version
    applyUpdate2(r as any, upd, schema);
    const ms = performance.now() - t0;
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const got = (r.get('Bridge')!.get(row) as any).ports[1].length;
    out.push(
      `update2 set modify ${bytes} bytes (${N} elements ± ${N}): ${ms.toFixed(1)} ms, ${got} elements after`,
    );
  }
  // Map: change a third, delete a third, add a third.
  {
    const pairs = Array.from({ length: N }, (_, i) => [`k${i}`, `v${i}`]);
    const r = new Map([[`Bridge`, new Map([[row, { external_ids: ['map', pairs] }]])]]);
    const diff = Array.from({ length: N }, (_, i) =>
      i % 3 === 0 ? [`k${i}`, `w${i}`] : i % 3 === 1 ? [`k${i}`, `v${i}`] : [`n${i}`, `x${i}`],
    );
    const upd = { Bridge: { [row]: { modify: { external_ids: ['map', diff] } } } };
    const bytes = JSON.stringify(upd).length;
    const t0 = performance.now();
    // biome-ignore lint/suspicious/noExplicitAny: the replica type of any client version
    applyUpdate2(r as any, upd, schema);
    const ms = performance.now() - t0;
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const got = (r.get('Bridge')!.get(row) as any).external_ids[1].length;
    out.push(
      `update2 map modify ${bytes} bytes (${N} pairs, ${N} changes): ${ms.toFixed(1)} ms, ${got} pairs after`,
    );
  }
  return out;
}

console.log(`client: ${SRC}`);
for (const l of diffTimes()) console.log(l);
const modes = (process.env.BENCH_MODES?.split(',') ?? [
  'close-on-monitor',
  'never-answer',
  'wrong-ids',
  'malformed-monitor',
  'endless-string',
  'endless-value',
]) as HostileMode[];
for (const m of modes) console.log(await hostile(m));
process.exit(0);
