// The client on a stalled link (issue 15): a request without an answer fails after
// requestTimeoutMs and drops the connection; the one reconnect loop keeps trying through failed
// resyncs and recovers every monitor once the link carries answers again.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../testing/fixtures.ts';
import { TestOvsdbServer } from '../testing/ovsdb-server.ts';
import { StallProxy } from '../watch/stall-proxy.ts';
import { OvsdbClient } from './client.ts';

const DIR = join(ROOT, 'tmp/ovsdb-stall-test');
let srv: TestOvsdbServer;
let proxy: StallProxy;

beforeAll(async () => {
  srv = await TestOvsdbServer.create(DIR);
  proxy = await StallProxy.start(join(DIR, 'proxy.sock'), srv.sock);
});
afterAll(async () => {
  await proxy?.close();
  await srv?.stop();
});

function waitFor(f: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (f()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe('OVSDB client on a stalled link', () => {
  it('times a request out, drops the link, retries resyncs that time out, and recovers the monitor', async () => {
    const c = await OvsdbClient.connect(proxy.remote, {
      reconnect: true,
      minBackoffMs: 20,
      maxBackoffMs: 100,
      requestTimeoutMs: 200,
    });
    const m = await c.monitor('Open_vSwitch', { Bridge: { columns: ['name'] } });
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.message));
    let resyncs = 0;
    c.on('resync', () => resyncs++);
    proxy.setMode('stall');
    await expect(c.echo('x')).rejects.toThrow(/no answer from unix:.* within 200 ms/);
    // Reconnects succeed at the socket level, but every resync request times out.
    await waitFor(
      () => errors.filter((e) => /monitor_cond_since: no answer/.test(e)).length >= 2,
      'two failed resyncs',
    );
    expect(resyncs).toBe(0);
    await srv.vsctl('add-br', 'br-late');
    proxy.setMode('pass');
    await waitFor(() => resyncs > 0, 'the resync');
    await waitFor(
      () => [...m.table('Bridge').values()].some((r) => r.name === 'br-late'),
      'br-late in the replica',
    );
    expect(await c.echo('y')).toEqual(['y']);
    await c.close();
  });
});
