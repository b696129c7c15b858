// Review5 item 8: `watch tcp:127.0.0.1:38777 --once` against a peer that accepts and says nothing
// printed after ~10 s `cannot watch: get_schema: connection closed`. Now it names the endpoint and
// says it timed out, with vifpath's own keepalive and its value.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../testing/fixtures.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
let srv: Server;
const socks: Socket[] = [];
let port = 0;
beforeAll(async () => {
  srv = createServer((s) => void socks.push(s)); // accepts, reads, never answers
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  port = (srv.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of socks) s.destroy();
  await new Promise<void>((r) => srv.close(() => r()));
});

describe('watch against a peer that accepts and stays silent', () => {
  it('exit 2: the endpoint timed out, with the keepalive and its interval', async () => {
    const child = spawn('node', [BIN, 'watch', `tcp:127.0.0.1:${port}`, '--once', '--probe', '0.5'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(2);
    expect(err).toMatch(
      new RegExp(
        `^vifpath: cannot watch: get_schema: tcp:127\\.0\\.0\\.1:${port} timed out: nothing received for [\\d.]+ s \\(vifpath's keepalive: an echo every 0\\.5 s, given up after two unanswered\\)\\n$`,
      ),
    );
  }, 30_000);
});
