// The OVSDB client against a real ovsdb-server (Open_vSwitch schema), over unix and tcp.
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec } from '../runner/exec.ts';
import { ROOT } from '../testing/fixtures.ts';
import { HOSTILE_NAMES } from '../testing/hostile-names.ts';
import { BRIDGE_UUID, HOSTILE_SCHEMA, type HostileMode, HostileOvsdb } from '../testing/hostile-ovsdb.ts';
import { TestOvsdbServer } from '../testing/ovsdb-server.ts';
import { createTestNet, type TestNet } from '../testing/test-net.ts';
import { makeTestPki, type TestPki } from '../testing/test-pki.ts';
import { applyDiff, applyUpdate2, type Replica, type RowChange } from './cache.ts';
import {
  type ClientOptions,
  type Monitor,
  type Operation,
  OVSDB_REQUEST_TIMEOUT_MS,
  OvsdbClient,
  TransactionError,
} from './client.ts';
import { type Json, ProtocolError } from './jsonrpc.ts';
import { parseSchema } from './schema.ts';
import { rowsOf } from './vswitch.ts';

const DIR = join(ROOT, 'tmp/ovsdb-client-test');
let srv: TestOvsdbServer;

beforeAll(async () => {
  srv = await TestOvsdbServer.create(DIR);
});
afterAll(async () => {
  await srv?.stop();
});

function waitFor<T>(f: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = f();
      if (v !== undefined) resolve(v);
      else if (Date.now() - t0 > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

/** Insert a bridge with one port+interface per name, in one transaction. */
async function addBridge(c: OvsdbClient, bridge: string, ports: readonly string[]): Promise<void> {
  const ops = ports.flatMap((name, i): Operation[] => [
    { op: 'insert' as const, table: 'Interface', row: { name, type: 'internal' }, 'uuid-name': `i${i}` },
    {
      op: 'insert' as const,
      table: 'Port',
      row: { name, interfaces: ['named-uuid', `i${i}`], tag: i + 1 },
      'uuid-name': `p${i}`,
    },
  ]);
  await c.transact(
    'Open_vSwitch',
    ...ops,
    {
      op: 'insert',
      table: 'Bridge',
      row: { name: bridge, ports: ['set', ports.map((_, i) => ['named-uuid', `p${i}`])] },
      'uuid-name': 'br',
    },
    {
      op: 'mutate',
      table: 'Open_vSwitch',
      where: [],
      mutations: [['bridges', 'insert', ['set', [['named-uuid', 'br']]]]],
    },
    { op: 'comment', comment: `vifpath test: add ${bridge}` },
  );
}

describe('OVSDB client against ovsdb-server', () => {
  it('list_dbs, get_schema, echo', async () => {
    const c = await OvsdbClient.connect(srv.remote);
    expect(await c.listDbs()).toContain('Open_vSwitch');
    const s = await c.getSchema('Open_vSwitch');
    expect(s.tables.get('Port')?.get('tag')).toMatchObject({ key: 'integer', min: 0, max: 1 });
    expect(await c.echo('ping', 7)).toEqual(['ping', 7]);
    await c.close();
  });

  it('hostile names travel untouched: our transact → real ovs-vsctl, and back through select', async () => {
    const c = await OvsdbClient.connect(srv.remote);
    await addBridge(c, 'br-hostile', HOSTILE_NAMES);
    const r = await exec([
      'ovs-vsctl',
      `--db=${srv.remote}`,
      '--format=json',
      '--columns=name,tag',
      'list',
      'Port',
    ]);
    const rows = (JSON.parse(r.stdout) as { data: [string, number][] }).data;
    const byName = new Map(rows.map(([n, t]) => [n, t]));
    for (const [i, n] of HOSTILE_NAMES.entries()) expect(byName.get(n)).toBe(i + 1);
    const sel = await c.transact('Open_vSwitch', {
      op: 'select',
      table: 'Interface',
      where: [],
      columns: ['name'],
    });
    const names = new Set(sel[0]!.rows!.map((x) => x.name));
    for (const n of HOSTILE_NAMES) expect(names.has(n)).toBe(true);
    await c.close();
  });

  for (const method of ['monitor', 'monitor_cond', 'monitor_cond_since'] as const)
    it(`${method}: initial rows, insert, modify (scalar, set, map), delete`, async () => {
      const c = await OvsdbClient.connect(srv.remote);
      const m = await c.monitor(
        'Open_vSwitch',
        { Port: {}, Interface: { columns: ['name', 'ofport'] } },
        method,
      );
      expect(m.method).toBe(method);
      const seen: RowChange[] = [];
      m.on('change', (ch) => seen.push(...ch));
      const name = `p-${method}`;
      await addBridge(c, `br-${method}`, [name]);
      const port = await waitFor(() => rowsOf(m.rows, 'Port').find((p) => p.name === name), 'the insert');
      expect(port.tag).toBe(1);
      await c.transact(
        'Open_vSwitch',
        {
          op: 'update',
          table: 'Port',
          where: [['name', '==', name]],
          row: { tag: 42, trunks: ['set', [5, 6]] },
        },
        {
          op: 'mutate',
          table: 'Port',
          where: [['name', '==', name]],
          mutations: [
            [
              'external_ids',
              'insert',
              [
                'map',
                [
                  ['iface-id', 'abc'],
                  ['attached-mac', 'fa:16:3e:00:00:01'],
                ],
              ],
            ],
          ],
        },
      );
      await waitFor(
        () => (rowsOf(m.rows, 'Port').find((p) => p.name === name)?.tag === 42 ? true : undefined),
        'the tag',
      );
      await c.transact(
        'Open_vSwitch',
        {
          op: 'mutate',
          table: 'Port',
          where: [['name', '==', name]],
          mutations: [['trunks', 'delete', ['set', [5]]]],
        },
        {
          op: 'update',
          table: 'Port',
          where: [['name', '==', name]],
          row: { external_ids: ['map', [['iface-id', 'xyz']]] },
        },
      );
      const after = await waitFor(
        () =>
          rowsOf(m.rows, 'Port').find(
            (p) => p.name === name && p.trunks.length === 1 && p.externalIds['iface-id'] === 'xyz',
          ),
        'the set and map diffs',
      );
      expect(after.trunks).toEqual([6]);
      expect(after.externalIds).toEqual({ 'iface-id': 'xyz' });
      // Our replica equals what the server returns to a plain select.
      const sel = await c.transact('Open_vSwitch', {
        op: 'select',
        table: 'Port',
        where: [['name', '==', name]],
      });
      const row = sel[0]!.rows![0]!;
      expect(row.tag).toBe(42);
      expect(after.uuid).toBe((row._uuid as [string, string])[1]);
      await c.transact(
        'Open_vSwitch',
        { op: 'delete', table: 'Port', where: [['name', '==', name]] },
        {
          op: 'mutate',
          table: 'Bridge',
          where: [['name', '==', `br-${method}`]],
          mutations: [['ports', 'delete', ['set', [['uuid', after.uuid]]]]],
        },
      );
      await waitFor(
        () => (rowsOf(m.rows, 'Port').some((p) => p.name === name) ? undefined : true),
        'the delete',
      );
      expect(seen.some((ch) => ch.table === 'Port' && ch.new === null && ch.old !== null)).toBe(true);
      expect(seen.some((ch) => ch.table === 'Interface' && ch.old === null)).toBe(true);
      await m.cancel();
      await c.close();
    });

  it('typed Open_vSwitch, Bridge, Controller and Manager rows; commit', async () => {
    await srv.vsctl(
      'add-br',
      'br-typed',
      '--',
      'set-controller',
      'br-typed',
      'tcp:127.0.0.1:6653',
      '--',
      'set-manager',
      'ptcp:6640:127.0.0.1',
      '--',
      'set',
      'bridge',
      'br-typed',
      'fail_mode=secure',
      'protocols=OpenFlow10,OpenFlow13',
    );
    const c = await OvsdbClient.connect(srv.remote);
    const m = await c.monitor('Open_vSwitch', { Open_vSwitch: {}, Bridge: {}, Controller: {}, Manager: {} });
    const br = rowsOf(m.rows, 'Bridge').find((b) => b.name === 'br-typed')!;
    expect(br).toMatchObject({ failMode: 'secure', protocols: ['OpenFlow10', 'OpenFlow13'] });
    const ctl = rowsOf(m.rows, 'Controller').find((x) => br.controller.includes(x.uuid))!;
    expect(ctl).toMatchObject({ target: 'tcp:127.0.0.1:6653', isConnected: false });
    const ovs = rowsOf(m.rows, 'Open_vSwitch')[0]!;
    expect(ovs.bridges).toContain(br.uuid);
    const mgr = rowsOf(m.rows, 'Manager').find((x) => ovs.managerOptions.includes(x.uuid))!;
    expect(mgr.target).toBe('ptcp:6640:127.0.0.1');
    await c.transact('Open_vSwitch', { op: 'comment', comment: 'durable' }, { op: 'commit', durable: false });
    await c.close();
  });

  it('monitor_cond filters rows by condition', async () => {
    const c = await OvsdbClient.connect(srv.remote);
    await addBridge(c, 'br-cond', ['cond-a', 'cond-b']);
    const m = await c.monitor(
      'Open_vSwitch',
      { Port: { where: [['name', '==', 'cond-b']] } },
      'monitor_cond',
    );
    expect(rowsOf(m.rows, 'Port').map((p) => p.name)).toEqual(['cond-b']);
    await c.close();
  });

  it('wait, assert, abort and transaction errors name the failing operation', async () => {
    const c = await OvsdbClient.connect(srv.remote);
    await addBridge(c, 'br-wait', ['w1']);
    await c.transact('Open_vSwitch', {
      op: 'wait',
      table: 'Port',
      where: [['name', '==', 'w1']],
      columns: ['tag'],
      until: '==',
      rows: [{ tag: 1 }],
      timeout: 0,
    });
    const failed = await c
      .transact('Open_vSwitch', {
        op: 'wait',
        table: 'Port',
        where: [['name', '==', 'w1']],
        columns: ['tag'],
        until: '==',
        rows: [{ tag: 99 }],
        timeout: 0,
      })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TransactionError);
    expect((failed as TransactionError).error).toBe('timed out');
    const aborted = await c.transact('Open_vSwitch', { op: 'abort' }).catch((e: unknown) => e);
    expect((aborted as TransactionError).error).toBe('aborted');
    const notOwner = await c
      .transact('Open_vSwitch', { op: 'assert', lock: 'vifpath_l' })
      .catch((e: unknown) => e);
    expect((notOwner as TransactionError).error).toBe('not owner');
    await c.close();
  });

  it('lock, steal (the loser is told), unlock', async () => {
    const a = await OvsdbClient.connect(srv.remote);
    const b = await OvsdbClient.connect(srv.remote);
    expect(await a.lock('vifpath_agent')).toBe(true);
    await a.transact('Open_vSwitch', { op: 'assert', lock: 'vifpath_agent' });
    expect(await b.lock('vifpath_agent')).toBe(false);
    // A pending request must be withdrawn before stealing (the server says so otherwise).
    await b.unlock('vifpath_agent');
    const stolen = new Promise<string>((r) => a.once('stolen', r));
    expect(await b.steal('vifpath_agent')).toBe(true);
    expect(await stolen).toBe('vifpath_agent');
    const lost = await a
      .transact('Open_vSwitch', { op: 'assert', lock: 'vifpath_agent' })
      .catch((e: unknown) => e);
    expect((lost as TransactionError).error).toBe('not owner');
    await b.unlock('vifpath_agent');
    await a.unlock('vifpath_agent');
    expect(await a.lock('vifpath_agent')).toBe(true);
    await a.close();
    await b.close();
  });

  it('ovsdb-server killed mid-monitor, rows changed while it was down: after resync the view equals the server', async () => {
    const dir = join(ROOT, 'tmp/ovsdb-client-restart');
    const s = await TestOvsdbServer.create(dir);
    try {
      const c = await OvsdbClient.connect(s.remote, { reconnect: true, minBackoffMs: 20, maxBackoffMs: 200 });
      const setup = await OvsdbClient.connect(s.remote);
      await addBridge(setup, 'br-r', ['keep', 'drop', 'retag']);
      await setup.close();
      const m = await c.monitor('Open_vSwitch', { Port: {}, Interface: {}, Bridge: {} });
      await waitFor(() => (rowsOf(m.rows, 'Port').length === 3 ? true : undefined), 'initial rows');
      const dropUuid = rowsOf(m.rows, 'Port').find((p) => p.name === 'drop')!.uuid;
      const resynced = new Promise<[Monitor, RowChange[]]>((r) => c.once('resync', (mm, ch) => r([mm, ch])));
      await s.kill();
      await s.offlineTransact([
        { op: 'delete', table: 'Port', where: [['name', '==', 'drop']] },
        {
          op: 'mutate',
          table: 'Bridge',
          where: [['name', '==', 'br-r']],
          mutations: [['ports', 'delete', ['set', [['uuid', dropUuid]]]]],
        },
        { op: 'update', table: 'Port', where: [['name', '==', 'retag']], row: { tag: 4095 } },
        { op: 'insert', table: 'Interface', row: { name: 'new;$(x)' }, 'uuid-name': 'i' },
        {
          op: 'insert',
          table: 'Port',
          row: { name: 'new;$(x)', interfaces: ['named-uuid', 'i'] },
          'uuid-name': 'p',
        },
        {
          op: 'mutate',
          table: 'Bridge',
          where: [['name', '==', 'br-r']],
          mutations: [['ports', 'insert', ['set', [['named-uuid', 'p']]]]],
        },
      ]);
      await s.start();
      const [, changes] = await resynced;
      expect(c.reconnects).toBe(1);
      const byName = (ch: RowChange): string => String((ch.new ?? ch.old)?.name);
      expect(
        changes
          .filter((ch) => ch.table === 'Port')
          .map((ch) => [byName(ch), ch.old !== null, ch.new !== null])
          .sort(),
      ).toEqual([
        ['drop', true, false],
        ['new;$(x)', false, true],
        ['retag', true, true],
      ]);
      // Our replica equals a fresh client's select of every monitored table.
      const fresh = await OvsdbClient.connect(s.remote);
      for (const table of ['Port', 'Interface', 'Bridge'] as const) {
        const sel = await fresh.transact('Open_vSwitch', { op: 'select', table, where: [] });
        const server = sel[0]!.rows!.map((r) => (r._uuid as [string, string])[1]).sort();
        expect([...m.table(table).keys()].sort()).toEqual(server);
      }
      const ports = rowsOf(m.rows, 'Port');
      expect(ports.find((p) => p.name === 'retag')?.tag).toBe(4095);
      expect(rowsOf(m.rows, 'Bridge')[0]!.ports.sort()).toEqual(ports.map((p) => p.uuid).sort());
      await fresh.close();
      await c.close();
    } finally {
      await s.stop();
    }
  });
});

describe('keepalive (an echo when the link is quiet)', () => {
  // A review: watch printed MONITOR-DOWN / MONITOR-OK every 10 s on a healthy, quiet lab. The echo
  // was answered at once, but the next tick came a few ms more than one interval after the answer,
  // found the link "idle" with the echo still marked outstanding, and closed it.
  it('a server that answers every echo is never dropped (12 quiet intervals)', async () => {
    const c = await OvsdbClient.connect(srv.remote, { probeIntervalMs: 100, reconnect: true });
    let drops = 0;
    c.on('disconnect', () => drops++);
    // Absence over a window: 12 intervals, each with an echo and its answer (the link is quiet).
    await new Promise((r) => setTimeout(r, 1300));
    const seen = drops;
    await c.close();
    expect(seen).toBe(0);
    expect(c.reconnects).toBe(0);
  });
});

describe('OVSDB client over tcp and ssl (a namespace joined by a veth)', () => {
  let net: TestNet;
  let tsrv: TestOvsdbServer;
  let pki: TestPki;
  beforeAll(async () => {
    net = await createTestNet();
    const pkiDir = join(ROOT, 'tmp/ovsdb-client-pki');
    rmSync(pkiDir, { recursive: true, force: true });
    mkdirSync(pkiDir, { recursive: true });
    pki = await makeTestPki(pkiDir);
    tsrv = await TestOvsdbServer.create(join(ROOT, 'tmp/ovsdb-client-tcp'), {
      prefix: net.inNs,
      remotes: [`ptcp:6640:${net.nsAddr}`, `pssl:6641:${net.nsAddr}`],
      extra: [
        `--private-key=${pki.server.key}`,
        `--certificate=${pki.server.cert}`,
        `--ca-cert=${pki.caCert}`,
      ],
    });
  });
  afterAll(async () => {
    await tsrv?.stop();
    await net?.teardown();
  });
  it('transact and monitor over tcp', async () => {
    const c = await OvsdbClient.connect(`tcp:${net.nsAddr}:6640`);
    const m = await c.monitor('Open_vSwitch', { Bridge: { columns: ['name'] } });
    await addBridge(c, 'br-tcp', ['tcp-port']);
    await waitFor(() => rowsOf(m.rows, 'Bridge').find((b) => b.name === 'br-tcp'), 'the bridge over tcp');
    await c.close();
  });
  it('transact and monitor over ssl with certificates; without them it refuses to connect', async () => {
    const c = await OvsdbClient.connect(`ssl:${net.nsAddr}:6641`, { ssl: pki.clientPem() });
    const m = await c.monitor('Open_vSwitch', { Bridge: { columns: ['name'] } });
    await addBridge(c, 'br-ssl', ['ssl-port']);
    await waitFor(() => rowsOf(m.rows, 'Bridge').find((b) => b.name === 'br-ssl'), 'the bridge over ssl');
    await c.close();
    await expect(OvsdbClient.connect(`ssl:${net.nsAddr}:6641`)).rejects.toThrow(/ssl needs/);
  });
});

describe('OVSDB client against a hostile server', () => {
  let server: Server;
  let port = 0;
  let script: (send: (s: string) => void) => void = () => undefined;
  const got: string[] = [];
  beforeAll(async () => {
    // An in-process peer stands in for a broken or malicious server (no real one misbehaves on demand).
    server = createServer((sock) => {
      sock.on('data', (b) => got.push(b.toString()));
      script((s) => sock.write(s));
    });
    await new Promise<void>((r) => server.listen({ path: join(ROOT, 'tmp/hostile-ovsdb.sock') }, r));
    port = 1;
  });
  afterAll(() => server?.close());

  it('answers the server echo, and fails cleanly on garbage', async () => {
    expect(port).toBe(1);
    got.length = 0;
    script = (send) => send('{"method":"echo","params":["hi"],"id":"echo"}');
    const c = await OvsdbClient.connect(`unix:${join(ROOT, 'tmp/hostile-ovsdb.sock')}`);
    await waitFor(() => (got.join('').includes('"result":["hi"]') ? true : undefined), 'our echo reply');
    expect(JSON.parse(got.join(''))).toEqual({ result: ['hi'], error: null, id: 'echo' });
    await c.close();

    script = (send) => setTimeout(() => send('{"id":1,"result":{"not":"a list"},"error":null}'), 20);
    const c2 = await OvsdbClient.connect(`unix:${join(ROOT, 'tmp/hostile-ovsdb.sock')}`);
    await expect(c2.listDbs()).rejects.toBeInstanceOf(ProtocolError);
    await c2.close();

    script = (send) => setTimeout(() => send('{"id":1,"result":[]}{garbage}'), 20);
    const c3 = await OvsdbClient.connect(`unix:${join(ROOT, 'tmp/hostile-ovsdb.sock')}`);
    const errors: Error[] = [];
    c3.on('error', (e) => errors.push(e));
    expect(await c3.listDbs()).toEqual([]);
    await waitFor(() => (c3.isConnected ? undefined : true), 'the drop');
    expect(errors.some((e) => e instanceof ProtocolError)).toBe(true);
    await c3.close();

    script = (send) =>
      setTimeout(
        () =>
          send('{"method":"update2","params":["vifpath-1",{"Port":{"not-a-uuid":{"insert":{}}}}],"id":null}'),
        20,
      );
    const c4 = await OvsdbClient.connect(`unix:${join(ROOT, 'tmp/hostile-ovsdb.sock')}`);
    const e4: Error[] = [];
    c4.on('error', (e) => e4.push(e));
    await waitFor(() => (c4.isConnected ? true : undefined), 'connection');
    await c4.close();
    expect(e4.every((e) => e instanceof Error)).toBe(true);
  });
});

// A misbehaving server (src/testing/hostile-ovsdb.ts) on a unix socket: every assertion is a
// count — connections, sockets open at once, attempts and their delays, bytes held — never a time.
describe('OVSDB client against a misbehaving server', () => {
  const HDIR = join(ROOT, 'tmp/ovsdb-hostile-test');
  let h: HostileOvsdb;
  beforeAll(async () => {
    rmSync(HDIR, { recursive: true, force: true });
    mkdirSync(HDIR, { recursive: true });
    h = await HostileOvsdb.start(join(HDIR, 'h.sock'));
  });
  afterAll(async () => {
    await h?.close();
    rmSync(HDIR, { recursive: true, force: true });
  });

  const MIN = 5;
  const MAX = 40;
  /** The delays of one loop that doubles from MIN and stays at MAX: [5, 10, 20, 40, 40, ...]. */
  const oneLoop = (n: number) => Array.from({ length: n }, (_, i) => Math.min(MAX, MIN * 2 ** i));

  /** A client with a live monitor on a well-behaved server, which then turns `mode` and drops it. */
  async function turned(mode: HostileMode, opts: ClientOptions = {}) {
    h.mode = 'ok';
    const c = await OvsdbClient.connect(h.remote, {
      reconnect: true,
      minBackoffMs: MIN,
      maxBackoffMs: MAX,
      requestTimeoutMs: 100,
      ...opts,
    });
    const m = await c.monitor('Open_vSwitch', { Bridge: { columns: ['name', 'ports'] } });
    const delays: number[] = [];
    const errors: Error[] = [];
    const changes: RowChange[][] = [];
    c.on('reconnecting', (_, ms) => delays.push(ms));
    c.on('error', (e) => errors.push(e));
    m.on('change', (ch) => changes.push(ch));
    await waitFor(() => (h.open === 1 ? true : undefined), 'one socket');
    const accepted0 = h.accepted;
    h.maxOpen = h.open;
    h.mode = mode;
    h.dropAll();
    return { c, m, delays, errors, changes, accepted0 };
  }

  const bridgeNames = (m: Monitor) => [...m.table('Bridge').values()].map((r) => r.name);

  async function closeAndCount(c: OvsdbClient): Promise<void> {
    await c.close();
    // close() resolves once the loop has ended: nothing can open a socket any more.
    const attempts = c.attempts;
    await waitFor(() => (h.open === 0 ? true : undefined), 'every socket closed');
    expect(c.attempts).toBe(attempts);
  }

  it('closing during every resync: one reconnect loop, one socket at a time, doubling delays', async () => {
    const { c, m, delays, changes, accepted0 } = await turned('close-on-monitor');
    await waitFor(() => (c.attempts >= 10 ? true : undefined), 'ten attempts');
    await closeAndCount(c);
    // Exactly one loop: a second one would interleave its own delays from MIN.
    expect(delays).toEqual(oneLoop(delays.length));
    expect(h.maxOpen).toBe(1);
    // One socket per attempt, no more.
    expect(h.accepted - accepted0).toBeLessThanOrEqual(c.attempts);
    expect(h.count('monitor_cond_since')).toBeGreaterThanOrEqual(c.attempts - 1);
    // The replica is as it was before the server went bad, and nobody was told otherwise.
    expect(bridgeNames(m)).toEqual(['br-int']);
    expect(changes).toEqual([]);
  });

  it('a server that never answers: requests time out, the link is retried with bounded delays, then recovers', async () => {
    const { c, m, delays, errors } = await turned('never-answer');
    await waitFor(() => (c.attempts >= 6 ? true : undefined), 'six attempts');
    await expect(c.listDbs()).rejects.toThrow(/(no answer from unix:.* within 100 ms|not connected)/);
    expect(errors.some((e) => /monitor_cond_since: no answer .* within 100 ms/.test(e.message))).toBe(true);
    expect(delays).toEqual(oneLoop(delays.length));
    expect(h.maxOpen).toBe(1);
    h.mode = 'ok';
    await waitFor(() => (c.isConnected && c.reconnects > 0 ? true : undefined), 'the recovery');
    await c.ready();
    expect(await c.listDbs()).toEqual(['Open_vSwitch']);
    expect(bridgeNames(m)).toEqual(['br-int']);
    await closeAndCount(c);
  });

  it('answers to other ids are ignored: the request times out, the link is dropped, one socket at a time', async () => {
    const { c, delays } = await turned('wrong-ids');
    await waitFor(() => (c.attempts >= 4 ? true : undefined), 'four attempts');
    expect(h.count('monitor_cond_since')).toBeGreaterThanOrEqual(3);
    expect(delays).toEqual(oneLoop(delays.length));
    expect(h.maxOpen).toBe(1);
    await closeAndCount(c);
  });

  it('malformed monitor replies leave the replica untouched and are retried with bounded delays', async () => {
    const { c, m, delays, errors, changes } = await turned('malformed-monitor');
    await waitFor(() => (c.attempts >= 6 ? true : undefined), 'six attempts');
    expect(errors.some((e) => e instanceof ProtocolError)).toBe(true);
    expect(delays).toEqual(oneLoop(delays.length));
    expect(h.maxOpen).toBe(1);
    expect(bridgeNames(m)).toEqual(['br-int']);
    expect(changes).toEqual([]);
    h.mode = 'ok';
    await waitFor(() => (c.isConnected ? true : undefined), 'the recovery');
    await c.ready();
    expect(bridgeNames(m)).toEqual(['br-int']);
    await closeAndCount(c);
  });

  for (const mode of ['endless-string', 'endless-value'] as const) {
    it(`${mode}: the reply hits OVSDB_MAX_MESSAGE_BYTES and the link closes, never holding more`, async () => {
      h.mode = mode;
      const LIMIT = 256 * 1024;
      // No request timeout: only the size limit can end this.
      const c = await OvsdbClient.connect(h.remote, { maxMessageBytes: LIMIT, requestTimeoutMs: 0 });
      const errors: Error[] = [];
      c.on('error', (e) => errors.push(e));
      const sent0 = h.bytesSent;
      const e = await c.listDbs().then(
        () => undefined,
        (x: Error) => x,
      );
      expect(e).toBeInstanceOf(ProtocolError);
      expect(e?.message).toMatch(/OVSDB_MAX_MESSAGE_BYTES \(262144 bytes\)/);
      expect(c.isConnected).toBe(false);
      expect(c.incomingHighWater).toBeLessThanOrEqual(LIMIT);
      expect(c.incomingHighWater).toBeGreaterThan(LIMIT / 2);
      // The server did send more than the limit: the limit is what stopped us.
      await waitFor(
        () => (h.bytesSent - sent0 > LIMIT ? true : undefined),
        'the server to send past the limit',
      );
      await closeAndCount(c);
    });
  }

  it('endless string with reconnect: every connection stops at the limit; one socket at a time', async () => {
    const LIMIT = 128 * 1024;
    const { c, delays } = await turned('endless-string', { maxMessageBytes: LIMIT, requestTimeoutMs: 0 });
    await waitFor(() => (c.attempts >= 4 ? true : undefined), 'four attempts');
    await closeAndCount(c);
    expect(delays).toEqual(oneLoop(delays.length));
    expect(h.maxOpen).toBe(1);
    expect(c.incomingHighWater).toBeLessThanOrEqual(LIMIT);
  });

  it('a server that floods echo requests and never reads: the link closes at OVSDB_MAX_UNSENT_BYTES', async () => {
    h.mode = 'echo-flood';
    const LIMIT = 64 * 1024;
    const c = await OvsdbClient.connect(h.remote, { maxUnsentBytes: LIMIT });
    let most = 0;
    const gone = new Promise<Error | undefined>((r) => c.on('disconnect', r));
    const sample = setInterval(() => {
      most = Math.max(most, c.buffered.unsent);
    }, 1);
    const e = await gone;
    clearInterval(sample);
    expect(e?.message).toMatch(/OVSDB_MAX_UNSENT_BYTES \(65536 bytes\)/);
    // One echo reply (~1 KB) past the limit at most.
    expect(most).toBeLessThanOrEqual(LIMIT + 2048);
    await closeAndCount(c);
  });

  it('close() while a reconnect is waiting or connecting ends it: no socket opens afterwards', async () => {
    const { c } = await turned('close-on-monitor', { minBackoffMs: 1, maxBackoffMs: 1 });
    await waitFor(() => (c.attempts >= 3 ? true : undefined), 'three attempts');
    await closeAndCount(c);
    expect(c.isConnected).toBe(false);
  });

  it('requests time out by default (OVSDB_REQUEST_TIMEOUT_MS)', () => {
    expect(OVSDB_REQUEST_TIMEOUT_MS).toBeGreaterThan(0);
    expect(Number.isFinite(OVSDB_REQUEST_TIMEOUT_MS)).toBe(true);
  });
});

describe('update2 diffs of big sets and maps', () => {
  const SCHEMA = parseSchema(HOSTILE_SCHEMA as unknown as Json);
  const uuid = (i: number): ['uuid', string] => [
    'uuid',
    `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
  ];
  const ROW = BRIDGE_UUID;

  it('a ~1 MB modify of a 20,000-element set toggles exactly its elements, in order', () => {
    const N = 20_000;
    const r: Replica = new Map([
      [
        'Bridge',
        new Map([[ROW, { name: 'br', ports: ['set', Array.from({ length: N }, (_, i) => uuid(i))] }]]),
      ],
    ]);
    // Remove every even element, add N/2 new ones.
    const diff = [
      ...Array.from({ length: N / 2 }, (_, i) => uuid(2 * i)),
      ...Array.from({ length: N / 2 }, (_, i) => uuid(N + i)),
    ];
    const upd = { Bridge: { [ROW]: { modify: { ports: ['set', diff] } } } };
    expect(JSON.stringify(upd).length).toBeGreaterThan(900_000);
    const [ch] = applyUpdate2(r, upd as unknown as Json, SCHEMA);
    const want = [
      ...Array.from({ length: N / 2 }, (_, i) => uuid(2 * i + 1)),
      ...Array.from({ length: N / 2 }, (_, i) => uuid(N + i)),
    ];
    expect(r.get('Bridge')!.get(ROW)!.ports).toEqual(['set', want]);
    expect(ch!.new!.ports).toEqual(['set', want]);
    expect((ch!.old!.ports as [string, unknown[]])[1]).toHaveLength(N);
    expect(ch!.new!.name).toBe('br');
  });

  it('a big map modify adds, removes (same value) and replaces in place', () => {
    const N = 30_000;
    const r: Replica = new Map([
      [
        'Bridge',
        new Map([[ROW, { external_ids: ['map', Array.from({ length: N }, (_, i) => [`k${i}`, `v${i}`])] }]]),
      ],
    ]);
    const diff = Array.from({ length: N }, (_, i) =>
      i % 3 === 0 ? [`k${i}`, `w${i}`] : i % 3 === 1 ? [`k${i}`, `v${i}`] : [`n${i}`, `x${i}`],
    );
    applyUpdate2(
      r,
      { Bridge: { [ROW]: { modify: { external_ids: ['map', diff] } } } } as unknown as Json,
      SCHEMA,
    );
    const got = r.get('Bridge')!.get(ROW)!.external_ids as ['map', [string, string][]];
    const want: [string, string][] = [];
    for (let i = 0; i < N; i++)
      if (i % 3 === 0) want.push([`k${i}`, `w${i}`]);
      else if (i % 3 === 2) want.push([`k${i}`, `v${i}`]);
    for (let i = 0; i < N; i++) if (i % 3 === 2) want.push([`n${i}`, `x${i}`]);
    expect(got).toEqual(['map', want]);
  });

  it('atoms compare as RFC 7047 says: 1, "1", true and a uuid of the same text are four elements', () => {
    const u = '00000000-0000-4000-8000-000000000001';
    expect(applyDiff('set', ['set', [1, '1', true, u]], ['set', [['uuid', u], '1']])).toEqual([
      'set',
      [1, true, u, ['uuid', u]],
    ]);
    expect(
      applyDiff(
        'map',
        [
          'map',
          [
            [1, 'a'],
            ['1', 'b'],
          ],
        ],
        [
          'map',
          [
            ['1', 'b'],
            [1, 'c'],
          ],
        ],
      ),
    ).toEqual(['map', [[1, 'c']]]);
  });

  it('a malformed update changes nothing (no half-applied update)', () => {
    const r: Replica = new Map([['Bridge', new Map([[ROW, { name: 'br', ports: ['set', [uuid(1)]] }]])]]);
    const before = JSON.stringify([...r.get('Bridge')!]);
    const bad = {
      Bridge: {
        [ROW]: { modify: { ports: ['set', [uuid(2)]] } },
        [uuid(9)[1]]: { insert: { name: ['not', 'a datum'] } },
      },
    };
    expect(() => applyUpdate2(r, bad as unknown as Json, SCHEMA)).toThrow(ProtocolError);
    expect(JSON.stringify([...r.get('Bridge')!])).toBe(before);
  });
});
