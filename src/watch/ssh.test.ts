// watch over ssh: a real sshd in a test namespace, the system ssh client forwarding a local unix
// socket to the host's db.sock; a stuck port on that host is alerted like a local one.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/main.ts';
import { ROOT } from '../testing/fixtures.ts';
import { TestOvsdbServer } from '../testing/ovsdb-server.ts';
import { startSshd, type TestSshd } from '../testing/sshd.ts';
import type { Alert } from './watcher.ts';

const DIR = join(ROOT, 'tmp/watch-ssh-test');
let srv: TestOvsdbServer;
let sshd: TestSshd;

beforeAll(async () => {
  srv = await TestOvsdbServer.create(join(DIR, 'db'));
  sshd = await startSshd(join(DIR, 'sshd'));
});
afterAll(async () => {
  await sshd?.stop();
  await srv?.stop();
});

describe('vifpath watch ssh://', () => {
  it('alerts a stuck port on the remote host through a forwarded socket; a bad host is exit 2', async () => {
    await srv.vsctl('add-br', 'br-int');
    await srv.vsctl(
      'add-port',
      'br-int',
      'vif21.0',
      '--',
      'set',
      'interface',
      'vif21.0',
      'external_ids:iface-id=id-21',
      'external_ids:attached-mac=fa:16:3e:00:00:21',
    );
    const out: string[] = [];
    const args = [
      '--ssh-config',
      sshd.clientConfig,
      '--remote-db',
      srv.sock,
      '--once',
      '--grace',
      '0.2',
      '--json',
    ];
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      err.push(String(s));
      return true;
    });
    const code = await main(['watch', `compute1=${sshd.target()}`, ...args], (s) => out.push(s)).finally(() =>
      spy.mockRestore(),
    );
    expect({ code, out, err }).toMatchObject({ code: 1 });
    const a = JSON.parse(out.join('').trim()) as Alert;
    expect(a).toMatchObject({ kind: 'stuck', host: 'compute1', port: 'vif21.0', ifaceId: 'id-21' });
    // The same host, a socket that is not there: ssh's forward fails, one line, exit 2.
    const bad = ['--ssh-config', sshd.clientConfig, '--remote-db', '/nonexistent/db.sock', '--once'];
    expect(await main(['watch', sshd.target(), ...bad], () => undefined)).toBe(2);
  });
});
