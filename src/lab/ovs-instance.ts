// One private Open vSwitch instance (ovsdb-server + ovs-vswitchd) with its own files and,
// optionally, its own network namespace: the building block of the lab and of the tests that
// need real OVS. Never touches the host's own OVS (own rundir, db socket, unixctl paths).
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ExecResult, exec, execOk } from '../runner/exec.ts';

export interface OvsInstanceOptions {
  /** Directory for db, sockets, pids and logs (created). */
  dir: string;
  /** Network namespace to create and run the daemons in. */
  netns?: string;
  /** `--enable-dummy=override`: dummy netdevs, no kernel devices at all (OVS's own test-suite mode). */
  dummy?: boolean;
  /** The namespace exists already and belongs to the caller (the lab): do not create or delete it. */
  existingNetns?: boolean;
}

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export class OvsInstance {
  private constructor(
    readonly dir: string,
    readonly netns: string | undefined,
    private readonly ownsNetns: boolean,
  ) {}

  /** ovs-vsctl arguments that add a userspace (netdev) bridge with the given Bridge settings. */
  static addBridgeArgs(name: string, ...settings: string[]): string[] {
    return ['--', 'add-br', name, '--', 'set', 'bridge', name, 'datapath_type=netdev', ...settings];
  }

  /** Handle on an instance started earlier (by another process). */
  static attach(opts: { dir: string; netns?: string }): OvsInstance {
    return new OvsInstance(opts.dir, opts.netns, false);
  }

  get run(): string {
    return join(this.dir, 'run');
  }
  get dbSock(): string {
    return join(this.run, 'db.sock');
  }
  get db(): string {
    return join(this.dir, 'conf.db');
  }

  /** Environment that makes plain ovs-* utilities reach this instance. */
  get env(): Record<string, string> {
    return { OVS_RUNDIR: this.run, OVS_LOGDIR: join(this.dir, 'log'), OVS_DBDIR: this.dir };
  }

  /** argv that runs `argv` against this instance (inside its netns when it has one). */
  wrap(argv: readonly string[]): string[] {
    const envArgs = Object.entries(this.env).map(([k, v]) => `${k}=${v}`);
    return this.netns
      ? ['ip', 'netns', 'exec', this.netns, 'env', ...envArgs, ...argv]
      : ['env', ...envArgs, ...argv];
  }

  /**
   * Run without entering the namespace: enough for utilities that only talk to the daemons' unix
   * sockets (ovs-appctl, ovs-vsctl, ovs-ofctl), and much cheaper for thousands of calls.
   */
  direct(argv: readonly string[], timeoutMs = 30_000): Promise<ExecResult> {
    return exec(argv, { env: this.env, timeoutMs });
  }

  exec(argv: readonly string[], timeoutMs = 30_000): Promise<ExecResult> {
    return exec(this.wrap(argv), { timeoutMs });
  }

  async ok(argv: readonly string[]): Promise<string> {
    return (await execOk(this.wrap(argv), { timeoutMs: 30_000 })).stdout;
  }

  vsctl(...args: string[]): Promise<string> {
    return this.ok(['ovs-vsctl', `--db=unix:${this.dbSock}`, '--timeout=10', ...args]);
  }
  ofctl(...args: string[]): Promise<string> {
    return this.ok(['ovs-ofctl', ...args]);
  }
  /** Plain `ovs-appctl` finds the daemon through $OVS_RUNDIR/ovs-vswitchd.pid. */
  appctl(...args: string[]): Promise<string> {
    return this.ok(['ovs-appctl', ...args]);
  }

  static async start(opts: OvsInstanceOptions): Promise<OvsInstance> {
    for (const tool of ['/usr/sbin/ovs-vswitchd', '/usr/sbin/ovsdb-server', '/usr/bin/ovs-vsctl'])
      if (!existsSync(tool))
        throw new Error(`${tool} is missing: install openvswitch-switch (npm test does this as root)`);
    const inst = new OvsInstance(opts.dir, opts.netns, !opts.existingNetns);
    mkdirSync(join(opts.dir, 'run'), { recursive: true });
    mkdirSync(join(opts.dir, 'log'), { recursive: true });
    rmSync(inst.db, { force: true });
    try {
      if (opts.netns && !opts.existingNetns) {
        await execOk(['ip', 'netns', 'add', opts.netns]);
        await execOk(['ip', 'netns', 'exec', opts.netns, 'ip', 'link', 'set', 'lo', 'up']);
      }
      await execOk(['ovsdb-tool', 'create', inst.db, SCHEMA]);
      await execOk(
        inst.wrap([
          'ovsdb-server',
          inst.db,
          `--remote=punix:${inst.dbSock}`,
          '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
          // Default control socket and pidfile under $OVS_RUNDIR, so plain ovs-appctl reaches them.
          '--pidfile',
          `--log-file=${join(opts.dir, 'log', 'ovsdb-server.log')}`,
          '--detach',
        ]),
      );
      await inst.vsctl('--no-wait', 'init');
      await execOk(
        inst.wrap([
          'ovs-vswitchd',
          `unix:${inst.dbSock}`,
          '--pidfile',
          `--log-file=${join(opts.dir, 'log', 'ovs-vswitchd.log')}`,
          ...(opts.dummy ? ['--enable-dummy=override', '--disable-system'] : []),
          '--detach',
        ]),
      );
    } catch (e) {
      await inst.stop();
      throw e;
    }
    return inst;
  }

  /** Kill the daemons by pid and remove the namespace; safe to call twice or after a crash. */
  async stop(): Promise<void> {
    for (const d of ['ovs-vswitchd', 'ovsdb-server']) {
      const pidFile = join(this.run, `${d}.pid`);
      if (!existsSync(pidFile)) continue;
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 1) {
        try {
          process.kill(pid, 'SIGTERM');
          for (let i = 0; i < 50 && alive(pid); i++) await sleep(20);
          if (alive(pid)) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(pidFile, { force: true });
    }
    if (this.netns && this.ownsNetns) await exec(['ip', 'netns', 'del', this.netns]);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
