// A standalone ovsdb-server with the Open_vSwitch schema (no ovs-vswitchd): what the OVSDB client
// tests and bench/ovsdb talk to. It can be killed and restarted on the same database file.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { exec, execOk } from '../runner/exec.ts';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export class TestOvsdbServer {
  constructor(
    readonly dir: string,
    /** Extra --remote values (ptcp:PORT:ADDR, pssl:...), and the argv prefix to run in a netns. */
    private readonly remotes: string[] = [],
    private readonly prefix: string[] = [],
    private readonly extra: string[] = [],
  ) {}
  get db(): string {
    return join(this.dir, 'conf.db');
  }
  get sock(): string {
    return join(this.dir, 'db.sock');
  }
  get remote(): string {
    return `unix:${this.sock}`;
  }
  get pidFile(): string {
    return join(this.dir, 'ovsdb-server.pid');
  }

  static async create(
    dir: string,
    opts: { remotes?: string[]; prefix?: string[]; extra?: string[] } = {},
  ): Promise<TestOvsdbServer> {
    if (!existsSync('/usr/sbin/ovsdb-server'))
      throw new Error(
        '/usr/sbin/ovsdb-server is missing: install openvswitch-switch (npm test does this as root)',
      );
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const s = new TestOvsdbServer(dir, opts.remotes, opts.prefix, opts.extra);
    await execOk(['ovsdb-tool', 'create', s.db, SCHEMA]);
    await s.start();
    await execOk(['ovs-vsctl', `--db=${s.remote}`, '--no-wait', 'init']);
    return s;
  }

  async start(): Promise<void> {
    await execOk([
      ...this.prefix,
      'ovsdb-server',
      this.db,
      `--remote=punix:${this.sock}`,
      ...this.remotes.map((r) => `--remote=${r}`),
      ...this.extra,
      `--pidfile=${this.pidFile}`,
      `--unixctl=${join(this.dir, 'ovsdb-server.ctl')}`,
      `--log-file=${join(this.dir, 'ovsdb-server.log')}`,
      '--detach',
    ]);
  }

  pid(): number | undefined {
    if (!existsSync(this.pidFile)) return undefined;
    const n = Number(readFileSync(this.pidFile, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  }

  /** SIGKILL: no goodbye to clients, as when a host or daemon dies. */
  async kill(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    rmSync(this.pidFile, { force: true });
  }

  /** Change the database file while the server is down (ovsdb-tool, offline). */
  async offlineTransact(ops: unknown[]): Promise<unknown[]> {
    const out = (await execOk(['ovsdb-tool', 'transact', this.db, JSON.stringify(['Open_vSwitch', ...ops])]))
      .stdout;
    // ovsdb-tool exits 0 even when the transaction failed; the result array says so.
    const results = JSON.parse(out) as ({ error?: string; details?: string } | null)[];
    const bad = results.find((r) => r?.error);
    if (bad) throw new Error(`ovsdb-tool transact: ${bad.error}: ${bad.details ?? ''}`);
    return results;
  }

  vsctl(...args: string[]): Promise<string> {
    return execOk(['ovs-vsctl', `--db=${this.remote}`, '--no-wait', '--timeout=10', ...args]).then(
      (r) => r.stdout,
    );
  }

  async stop(): Promise<void> {
    await this.kill();
    await exec(['rm', '-rf', this.dir]);
  }
}
