// bench/ovsdb: monitor latency, from sending the transaction that inserts a Port to the moment
// the monitor holds the new row, over N inserts (default 1,000): our OVSDB client's monitor and
// an `ovsdb-client monitor` process watching the same server at the same time, same writer.
// One insert at a time, so each latency is one notification's trip, not a queue's.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OvsdbClient } from '../src/ovsdb/client.ts';
import { TestOvsdbServer } from '../src/testing/ovsdb-server.ts';

const N = Number(process.env.BENCH_INSERTS ?? 1000);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function insertPort(w: OvsdbClient, name: string): Promise<void> {
  await w.transact(
    'Open_vSwitch',
    { op: 'insert', table: 'Interface', row: { name }, 'uuid-name': 'i' },
    { op: 'insert', table: 'Port', row: { name, interfaces: ['named-uuid', 'i'] }, 'uuid-name': 'p' },
    {
      op: 'mutate',
      table: 'Bridge',
      where: [['name', '==', 'br-int']],
      mutations: [['ports', 'insert', ['set', [['named-uuid', 'p']]]]],
    },
  );
}

const dir = mkdtempSync(join(tmpdir(), 'vifpath-bench-ovsdb-'));
const srv = await TestOvsdbServer.create(join(dir, 'db'));
try {
  await srv.vsctl('add-br', 'br-int');
  const writer = await OvsdbClient.connect(srv.remote);

  // Both watch the same server at once; each insert is timed to the moment each one holds it.
  const ours = await OvsdbClient.connect(srv.remote);
  const m = await ours.monitor('Open_vSwitch', { Port: { columns: ['name'] } });
  let wantOurs: { name: string; done: () => void } | undefined;
  m.on('change', (changes) => {
    for (const c of changes)
      if (wantOurs && c.new && c.new.name === wantOurs.name) {
        wantOurs.done();
        wantOurs = undefined;
      }
  });
  // ovsdb-client monitor: a row is "held" when its line reaches our end of the pipe.
  const child = spawn(
    'ovsdb-client',
    ['monitor', srv.remote, 'Open_vSwitch', 'Port', 'name', '--format=csv'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let buf = '';
  let wantPeer: { name: string; done: () => void } | undefined;
  const ready = new Promise<void>((r) => {
    child.stdout.on('data', (b: Buffer) => {
      buf += b.toString();
      r();
      if (wantPeer && buf.includes(wantPeer.name)) {
        wantPeer.done();
        wantPeer = undefined;
        buf = '';
      }
    });
  });
  await ready; // the initial dump arrived: the monitor is registered
  buf = '';
  const oursLat: number[] = [];
  const peerLat: number[] = [];
  for (let i = 0; i < N; i++) {
    const name = `p${String(i).padStart(6, '0')}`;
    const t0 = performance.now();
    const a = new Promise<void>((done) => (wantOurs = { name, done })).then(() =>
      oursLat.push(performance.now() - t0),
    );
    const b = new Promise<void>((done) => (wantPeer = { name, done })).then(() =>
      peerLat.push(performance.now() - t0),
    );
    await insertPort(writer, name);
    await Promise.all([a, b]);
  }
  child.kill();
  await ours.close();
  await writer.close();

  const line = (who: string, xs: number[]): string =>
    `${who.padEnd(24)} p50 ${pct(xs, 50).toFixed(3)} ms   p99 ${pct(xs, 99).toFixed(3)} ms   max ${Math.max(...xs).toFixed(3)} ms`;
  console.log(`monitor latency, insert Port → update held, ${N} inserts each (ovsdb-server ${srv.remote})`);
  console.log(line('vifpath OvsdbClient', oursLat));
  console.log(line('ovsdb-client monitor', peerLat));
  console.log(
    `ratio (ovsdb-client / vifpath): p50 ${(pct(peerLat, 50) / pct(oursLat, 50)).toFixed(2)}×, p99 ${(pct(peerLat, 99) / pct(oursLat, 99)).toFixed(2)}×`,
  );
} finally {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
}
