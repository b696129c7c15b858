// `vifpath watch` (stuck-port watchdog) and `vifpath agent` (the lab's L2 agent): argument
// handling and printing only; the work is in src/watch and src/lab/agent.ts.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Command } from 'commander';
import { EXIT, VifpathError } from '../errors/errors.ts';
import { LabAgent, type NetworkMap } from '../lab/agent.ts';
import { DEFAULT_DIR, labDir as labDirOf } from '../lab/lab.ts';
import { OvsInstance } from '../lab/ovs-instance.ts';
import { readState } from '../lab/state.ts';
import { SEG_ID } from '../lab/topology.ts';
import { parseRemote, RemoteError, remoteText, type SslFiles } from '../ovsdb/remote.ts';
import { interrupted, runUntilStopped, spawnTracked, stopAndExit } from '../runner/cleanup.ts';
import { execOk } from '../runner/exec.ts';
import { parseTarget } from '../sources/targets.ts';
import { escapeControl as esc } from '../text/escape.ts';
import { forwardOvsdb, type SshForward } from '../watch/ssh-forward.ts';
import { StallProxy } from '../watch/stall-proxy.ts';
import { type Alert, alertText, Watcher, type WatchHost } from '../watch/watcher.ts';
import { secondsOption } from './live.ts';
import { checkOutputFile } from './out-paths.ts';
import { checkPidFile, PidFile } from './pid-file.ts';

export const LOCAL_DB = '/var/run/openvswitch/db.sock';
const AGENT_INI = '/etc/neutron/plugins/ml2/openvswitch_agent.ini';

class WatchError extends VifpathError {}

/** The Neutron OVS agent's polling_interval (seconds) from its config, when this host has one. */
export function agentPollingInterval(ini: string): number | undefined {
  let section = '';
  for (const raw of ini.split('\n')) {
    const l = raw.trim();
    const s = /^\[(.+)\]$/.exec(l);
    if (s) section = s[1]!.trim();
    const m = /^polling_interval\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(l);
    if (m && section === 'agent') return Number(m[1]);
  }
  return undefined;
}

/** `[name=]unix:PATH | tcp:H:P | ssl:H:P | local | lab:dom0|domu | ssh://…` → a watched host. */
/** A lab endpoint's lab: its directory (absolute) and the prefix of the lab that was up at start. */
interface LabTarget {
  endpoint: string;
  dir: string;
  prefix: string | undefined;
}

export function watchHost(
  arg: string,
  labDirArg: string,
): WatchHost & { ssh?: { user?: string; host: string; port?: number }; lab?: LabTarget } {
  const labDir = labDirOf(labDirArg);
  const eq = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(arg);
  const body = eq ? eq[2]! : arg;
  const named = (n: string, remote: string, graceMs?: number): WatchHost => ({
    name: eq ? eq[1]! : n,
    remote,
    ...(graceMs !== undefined ? { graceMs } : {}),
  });
  if (body === 'local') {
    if (!existsSync(LOCAL_DB))
      throw new WatchError(`${arg}: no ovsdb-server socket at ${LOCAL_DB} (give unix:PATH or tcp:HOST:PORT)`);
    let grace: number | undefined;
    try {
      const p = agentPollingInterval(readFileSync(AGENT_INI, 'utf8'));
      if (p !== undefined) grace = 3 * p * 1000;
    } catch {
      // no agent config here: the default grace
    }
    return { ...named('local', `unix:${LOCAL_DB}`, grace), diagnose: { operands: ['local'], options: [] } };
  }
  const lab = /^lab:(dom0|domu)$/.exec(body);
  if (lab) {
    const sock = join(labDir, lab[1]!, 'run', 'db.sock');
    if (!existsSync(sock)) throw new WatchError(`${arg}: no lab OVSDB at ${sock} (is the lab up? --lab-dir)`);
    return {
      ...named(lab[1]!, `unix:${sock}`),
      diagnose: { operands: [`lab:${lab[1]!}`], options: ['--lab-dir', labDirArg] },
      lab: { endpoint: body, dir: labDir, prefix: labPrefix(labDir) },
    };
  }
  // The lab's other hosts (vm, qdhcp) run no OVS of their own.
  if (body.startsWith('lab:'))
    throw new WatchError(`${arg}: not a lab OVSDB: the lab runs OVS on lab:dom0 and lab:domu`);
  if (body.startsWith('ssh://')) {
    const t = parseTarget(body);
    if (t.spec.kind !== 'ssh' || t.sudo)
      throw new WatchError(
        `${arg}: give ssh://[user@]host[:port] (a forwarded socket cannot sudo: log in as a user that can open it)`,
      );
    return { ...named(t.spec.host, ''), ssh: t.spec, diagnose: { operands: [body], options: [] } };
  }
  try {
    const r = parseRemote(body);
    return named(r.kind === 'unix' ? 'local' : r.host, remoteText(r));
  } catch (e) {
    if (e instanceof RemoteError)
      throw new WatchError(
        `${arg}: not an OVSDB endpoint (unix:PATH, tcp:HOST:PORT, ssl:HOST:PORT, local, lab:dom0, lab:domu, ssh://[USER@]HOST)`,
      );
    throw e;
  }
}

/** `--metrics [ADDRESS:]PORT`: an IP address (or localhost; 127.0.0.1 when left out) and a port. */
export function metricsAddress(addr: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(addr);
  const host = (m?.[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535 || (isIP(host) === 0 && host !== 'localhost'))
    throw new WatchError(
      `--metrics ${addr}: give ADDRESS:PORT, an IP address of this machine and a port from 0 to 65535 (e.g. 127.0.0.1:9477)`,
    );
  return { host, port };
}

/**
 * Listen for Prometheus before the monitor starts: the user asked for metrics, so an address
 * this machine does not have, a port in use or one it may not open is exit 2, and nothing runs.
 */
function listen(addr: string, at: { host: string; port: number }, w: Watcher): Promise<Server> {
  const srv = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url === '/')) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(w.metrics());
    } else {
      res.writeHead(404).end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    srv.once('error', (e) => reject(metricsError(addr, at, e)));
    srv.listen(at.port, at.host, () => resolve(srv));
  });
}

function metricsError(addr: string, at: { host: string; port: number }, e: Error): WatchError {
  const code = (e as { code?: string }).code;
  const why =
    code === 'EADDRINUSE'
      ? 'the port is in use: choose another (port 0: any free port)'
      : code === 'EADDRNOTAVAIL'
        ? `${at.host} is not an address of this machine: give one of its addresses (ip -br address), or 127.0.0.1`
        : code === 'EACCES' || code === 'EPERM'
          ? at.port < 1024
            ? 'ports below 1024 need root: choose 1024 or higher'
            : 'permission denied: choose another port'
          : e.message;
  return new WatchError(`--metrics ${addr}: cannot listen: ${why}`);
}

/** The prefix of the lab recorded in `dir`, undefined when none is, or its record cannot be trusted. */
function labPrefix(dir: string): string | undefined {
  try {
    return readState(dir)?.prefix;
  } catch {
    return undefined;
  }
}

/**
 * Once the lab a lab: endpoint works on is taken down (its record gone, or another lab's in its
 * place), `gone` is called with one line saying so: the lab's OVS will not come back, so retrying is
 * pointless, but `lab down` stops only what the lab started, not a watch or agent someone else ran.
 * While the lab is there, an OVSDB that is down or deaf is reported as ever. Checked every second.
 */
function whenLabGone(targets: readonly (LabTarget | undefined)[], gone: (line: string) => void): void {
  const labs = targets.filter((t): t is LabTarget => t !== undefined);
  if (labs.length === 0) return;
  const timer = setInterval(() => {
    for (const t of labs) {
      let now: string | undefined;
      let readable = true;
      try {
        now = readState(t.dir)?.prefix;
      } catch {
        readable = false; // a record it cannot read says nothing about whether the lab is there
      }
      if (!readable || (now !== undefined && (t.prefix === undefined || now === t.prefix))) continue;
      clearInterval(timer);
      gone(
        `${t.endpoint}: the lab${t.prefix ? ` ${t.prefix}` : ''} in ${t.dir} is gone (${now ? `lab ${now} is there now` : 'taken down'}); stopped`,
      );
      return;
    }
  }, 1000);
  timer.unref();
}

/**
 * Run the hook with the alert as JSON on stdin; its failures are reported, never fatal. Tracked in
 * its own process group: a signal to vifpath alone (a supervisor's stop) ends the hook and whatever
 * it started, not only vifpath.
 */
function runHook(cmd: string, a: Alert): void {
  const child = spawnTracked(['/bin/sh', '-c', cmd], { stdio: ['pipe', 'inherit', 'inherit'] });
  child.on('error', (e) => process.stderr.write(`vifpath watch: --exec: ${esc(e.message)}\n`));
  child.on('close', (rc) => {
    // Ended by watch's own stop (a signal, a stdout gone): no failure of the hook's.
    if (rc !== 0 && !interrupted())
      process.stderr.write(`vifpath watch: --exec exited ${rc} for ${a.kind} ${esc(a.port ?? a.host)}\n`);
  });
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(`${JSON.stringify(a)}\n`);
}

interface WatchCliOptions {
  grace?: string;
  poll: string;
  probe: string;
  canary?: string;
  nudge?: boolean;
  nudgeInterval: string;
  exec?: string;
  json?: boolean;
  once?: boolean;
  metrics?: string;
  state?: string;
  labDir: string;
  sslKey?: string;
  sslCert?: string;
  sslCa?: string;
  sshConfig?: string;
  identity?: string;
  remoteDb: string;
}

export function watchCommands(
  program: Command,
  out: (s: string) => void,
  setExit: (code: number) => void,
): void {
  agentCommand(program, out);
  program
    .command('watch')
    .description(
      'alert when a VM port stays untagged, at VLAN 4095, with ofport -1 or an interface error past a grace period, or loses its tag; checks its own OVSDB monitor',
    )
    .argument('<endpoint...>', '[name=]unix:PATH, tcp:HOST:PORT, ssl:HOST:PORT, local, lab:dom0, lab:domu')
    .option(
      '--grace <s>',
      "alert after this long (default: 3 x the agent's polling_interval when known, else 10)",
    )
    .option(
      '--poll <s>',
      'read-only poll compared with the monitor (deaf-monitor check and fallback); 0: off',
      '2',
    )
    .option('--probe <s>', 'echo keepalive on the monitor connection', '5')
    .option(
      '--canary <s>',
      'write a vifpath key to Open_vSwitch external_ids this often and expect the monitor to report it (the only write; removed on exit)',
    )
    .option(
      '--nudge',
      "touch a stuck port's Interface external_ids so the agent's own monitor reports it again (logged, rate-limited)",
    )
    .option('--nudge-interval <s>', 'at most one nudge per port this often', '60')
    .option('--exec <cmd>', 'run this shell command for every alert, the alert as JSON on stdin')
    .option('--json', 'one JSON object per line')
    .option('--once', 'print the ports stuck now (waiting past the grace) and exit: 0 none, 1 some')
    .option('--metrics <addr:port>', 'serve Prometheus metrics here (e.g. 127.0.0.1:9477)')
    .option(
      '--state <file>',
      'remember alerts here: after a restart a port still stuck is alerted again as a repeat',
    )
    .option('--lab-dir <dir>', 'state directory of the lab for lab:HOST endpoints', DEFAULT_DIR)
    .option('--ssh-config <file>', 'ssh:// endpoints: ssh client configuration (ssh -F)')
    .option('-i, --identity <file>', 'ssh:// endpoints: private key (ssh -i)')
    .option('--remote-db <path>', 'ssh:// endpoints: the db socket on the remote host', LOCAL_DB)
    .option('--ssl-key <file>', 'ssl: endpoints: private key (PEM)')
    .option('--ssl-cert <file>', 'ssl: endpoints: its certificate')
    .option('--ssl-ca <file>', 'ssl: endpoints: CA certificate of the server')
    .action(async (endpoints: string[], o: WatchCliOptions) => {
      // Every number first, --once or not (an option it does not use is still no place for nonsense).
      const graceMs = o.grace !== undefined ? secondsOption('--grace', o.grace) : 10_000;
      const pollMs = secondsOption('--poll', o.poll, { zeroOff: true });
      const probeMs = secondsOption('--probe', o.probe);
      const canaryMs = o.canary !== undefined ? secondsOption('--canary', o.canary) : undefined;
      const nudgeIntervalMs = secondsOption('--nudge-interval', o.nudgeInterval);
      const metricsAt = o.metrics !== undefined ? metricsAddress(o.metrics) : undefined;
      if (o.state !== undefined)
        checkOutputFile('--state', o.state, 'watch.json', {
          what: 'a vifpath watch state (JSON {version: 1, ports})',
          is: isWatchState,
        });
      const hosts = endpoints.map((e) => watchHost(e, o.labDir));
      const names = new Set<string>();
      for (const h of hosts) {
        if (names.has(h.name))
          throw new WatchError(`two endpoints are named ${h.name}: name them (dom0=unix:…)`);
        names.add(h.name);
      }
      let ssl: SslFiles | undefined;
      if (o.sslKey || o.sslCert || o.sslCa) {
        if (!o.sslKey || !o.sslCert || !o.sslCa)
          throw new WatchError('ssl needs --ssl-key, --ssl-cert and --ssl-ca');
        ssl = { key: readFileSync(o.sslKey), cert: readFileSync(o.sslCert), ca: readFileSync(o.sslCa) };
      }
      // A grace from the command line beats what a host's agent config says.
      if (o.grace !== undefined) for (const h of hosts) delete h.graceMs;
      // ssh endpoints: one forwarded socket each, closed whatever happens.
      const forwards: SshForward[] = [];
      const sshArgs = [
        ...(o.sshConfig ? ['-F', o.sshConfig] : []),
        ...(o.identity ? ['-i', o.identity] : []),
      ];
      // diagnose takes the same ssh options, spelled --ssh-config and -i.
      for (const h of hosts)
        if (h.ssh && h.diagnose)
          h.diagnose.options.push(
            ...(o.sshConfig ? ['--ssh-config', o.sshConfig] : []),
            ...(o.identity ? ['-i', o.identity] : []),
          );
      try {
        for (const h of hosts)
          if (h.ssh) {
            const f = await forwardOvsdb(h.ssh, o.remoteDb, sshArgs);
            forwards.push(f);
            h.remote = f.remote;
          }
      } catch (e) {
        for (const f of forwards) await f.close();
        throw new WatchError(`cannot watch: ${(e as Error).message}`);
      }
      try {
        await run(hosts);
      } finally {
        for (const f of forwards) await f.close();
      }
      async function run(hosts: WatchHost[]): Promise<void> {
        const print = (a: Alert): void =>
          out(`${o.json ? JSON.stringify(a) : alertText(a).split('\n').map(esc).join('\n')}\n`);
        const w = new Watcher(hosts, {
          graceMs,
          pollMs: o.once ? 0 : pollMs,
          probeMs,
          ...(canaryMs !== undefined && !o.once ? { canaryMs } : {}),
          ...(o.nudge ? { nudge: true, nudgeIntervalMs } : {}),
          ...(o.state ? { stateFile: o.state } : {}),
          ...(ssl ? { ssl } : {}),
          onAlert: (a) => {
            if (o.once && a.kind !== 'stuck' && a.kind !== 'lost-tag' && a.kind !== 'nudge') return;
            print(a);
            if (o.exec) runHook(o.exec, a);
          },
        });
        // Bound before the monitor starts (--once too: a bad --metrics is never silently ignored).
        const srv = o.metrics && metricsAt ? await listen(o.metrics, metricsAt, w) : undefined;
        if (srv && !o.once) {
          const a = srv.address();
          if (a && typeof a === 'object')
            process.stderr.write(`vifpath watch: metrics on http://${a.address}:${a.port}/metrics\n`);
        }
        try {
          await w.start();
        } catch (e) {
          srv?.close();
          await w.stop().catch(() => undefined);
          throw new WatchError(
            `cannot watch: ${(e as Error).message}${forwards.length ? ` (over ssh: is ${o.remoteDb} the OVSDB socket there? --remote-db)` : ''}`,
          );
        }
        if (o.once) {
          for (;;) {
            const left = w.lastDue() - Date.now();
            if (left < 0) break;
            await new Promise((r) => setTimeout(r, left + 5));
          }
          // Every port past its grace is alerted now, whether or not its timer has run yet.
          w.fireDue();
          const stuck = w.waiting().alerted;
          srv?.close();
          await w.stop();
          if (stuck.length === 0)
            out(o.json ? '' : `no stuck VM port on ${esc(hosts.map((h) => h.name).join(', '))}\n`);
          setExit(stuck.length ? EXIT.problem : EXIT.ok);
          return;
        }
        process.stderr.write(
          `vifpath watch: watching ${esc(hosts.map((h) => `${h.name} (${h.remote})`).join(', '))}\n`,
        );
        // Until a signal. cleanup.ts ends the --exec hooks' process groups, then this closes the
        // monitor (the canary key goes), the metrics server and the ssh forwards, and vifpath dies of
        // the signal (130/143) like every other command; a handler of our own racing that one could
        // be cut short by it.
        whenLabGone(
          hosts.map((h) => (h as { lab?: LabTarget }).lab),
          (line) => {
            process.stderr.write(`vifpath watch: ${esc(line)}\n`);
            stopAndExit(EXIT.input, 'the lab is gone');
          },
        );
        await runUntilStopped(async () => {
          srv?.close();
          await w.stop();
          for (const f of forwards) await f.close();
        });
      }
    });
}

interface AgentCliOptions {
  integrationBridge?: string;
  physicalBridge?: string;
  intPatch?: string;
  phyPatch?: string;
  network?: string[];
  port?: string[];
  poll: string;
  canary?: string;
  labDir: string;
  pidFile?: string;
  deafMonitor?: string;
}

function pairs(xs: readonly string[] | undefined, what: string): [string, string][] {
  const seen = new Map<string, string>();
  return (xs ?? []).map((x) => {
    const i = x.indexOf('=');
    if (i <= 0 || i === x.length - 1) throw new WatchError(`${what} ${x}: give KEY=VALUE`);
    const k = x.slice(0, i);
    // One key twice is a contradiction (or a typo), never "the last one wins": it would program
    // the lab with whichever came last.
    const before = seen.get(k);
    if (before !== undefined) throw new WatchError(`${what} ${before} and ${what} ${x}: ${k} given twice`);
    seen.set(k, x);
    return [k, x.slice(i + 1)];
  });
}

export function agentCommand(program: Command, out: (s: string) => void): void {
  program
    .command('agent')
    .description(
      "the lab's L2 agent (not Neutron's): tags new VM ports with their network's local VLAN and installs the VLAN translation flows",
    )
    .argument(
      '<endpoint>',
      "lab:dom0 (the lab's names as defaults) or unix:PATH of an OVS whose ovs-vswitchd shares its OVS_RUNDIR",
    )
    .option('--integration-bridge <name>', 'where the VM ports are (lab: xapi5)')
    .option('--physical-bridge <name>', 'toward the wire (lab: xapi3)')
    .option('--int-patch <name>', 'patch port on the integration bridge (lab: int-xapi3)')
    .option('--phy-patch <name>', 'its peer on the physical bridge (lab: phy-xapi3)')
    .option(
      '--network <name=segid...>',
      `networks and their segmentation ids (lab: tenant=${SEG_ID}); the first is the default`,
    )
    .option('--port <iface-id=network...>', 'ports of other networks than the default')
    .option('--poll <s>', "polling fallback while its monitor is deaf (0: none, like the seed's agent)", '2')
    .option('--canary <s>', 'its own canary in Open_vSwitch external_ids')
    .option('--lab-dir <dir>', 'state directory of the lab', DEFAULT_DIR)
    .option(
      '--pid-file <file>',
      "write its pid here once it runs (removed on a clean exit while it still holds its pid); an existing file is replaced only when its pid is gone or a vifpath agent's",
    )
    .option(
      '--deaf-monitor <socket>',
      "lab: its monitor connects through a proxy listening here that drops every update notification (echo and replies pass): the seed's silently deaf monitor",
    )
    .action(async (endpoint: string, o: AgentCliOptions) => {
      const pollMs = secondsOption('--poll', o.poll, { zeroOff: true });
      const canaryMs = o.canary !== undefined ? secondsOption('--canary', o.canary) : undefined;
      if (o.pidFile !== undefined)
        checkOutputFile('--pid-file', o.pidFile, 'agent.pid', {
          what: 'a pid file (one number)',
          is: (head) => /^\d+\n?$/.test(head),
        });
      if (o.pidFile !== undefined) checkPidFile('--pid-file', o.pidFile);
      const lab = endpoint === 'lab:dom0';
      const h = watchHost(endpoint, o.labDir);
      const nets = pairs(o.network, '--network');
      const ports = Object.fromEntries(pairs(o.port, '--port'));
      const networks: Record<string, number> = {};
      for (const [k, v] of nets) {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 4094)
          throw new WatchError(`--network ${k}=${v}: not a VLAN id`);
        networks[k] = n;
      }
      if (nets.length === 0 && lab) networks.tenant = SEG_ID;
      const def = nets[0]?.[0] ?? (lab ? 'tenant' : undefined);
      const need = (v: string | undefined, labValue: string, opt: string): string => {
        const x = v ?? (lab ? labValue : undefined);
        if (!x) throw new WatchError(`agent ${endpoint}: ${opt} is needed`);
        return x;
      };
      const map: NetworkMap = {
        integrationBridge: need(o.integrationBridge, 'xapi5', '--integration-bridge'),
        physicalBridge: need(o.physicalBridge, 'xapi3', '--physical-bridge'),
        intPatch: need(o.intPatch, 'int-xapi3', '--int-patch'),
        phyPatch: need(o.phyPatch, 'phy-xapi3', '--phy-patch'),
        networks,
        ports,
        ...(def ? { defaultNetwork: def } : {}),
      };
      if (Object.keys(networks).length === 0)
        throw new WatchError(`agent ${endpoint}: --network NAME=SEGID is needed`);
      // ovs-ofctl finds ovs-vswitchd through OVS_RUNDIR: the directory of the db socket.
      const sock = h.remote.startsWith('unix:') ? h.remote.slice(5) : undefined;
      if (!sock)
        throw new WatchError(`agent ${endpoint}: needs a local unix: endpoint (it runs ovs-ofctl there)`);
      const env = OvsInstance.attach({ dir: join(sock, '..', '..') }).env;
      env.OVS_RUNDIR = join(sock, '..');
      const proxy = o.deafMonitor ? await StallProxy.start(o.deafMonitor, sock) : undefined;
      proxy?.setMode('drop-updates');
      const agent = new LabAgent({
        remote: h.remote,
        ...(proxy ? { monitorRemote: proxy.remote } : {}),
        map,
        pollMs,
        ...(canaryMs !== undefined ? { canaryMs } : {}),
        ofctl: async (args) => void (await execOk(['ovs-ofctl', ...args], { env })),
        log: (l) => out(`${esc(l)}\n`),
      });
      try {
        await agent.start();
      } catch (e) {
        await agent.stop().catch(() => undefined);
        await proxy?.close();
        throw new WatchError(`agent: ${(e as Error).message}`);
      }
      const pidFile = o.pidFile ? new PidFile(o.pidFile) : undefined;
      // Checked again now that the agent runs (another program may have written it since).
      if (pidFile) {
        try {
          checkPidFile('--pid-file', pidFile.path);
          pidFile.write();
        } catch (e) {
          await agent.stop().catch(() => undefined);
          await proxy?.close();
          throw e;
        }
      }
      const poll = pollMs;
      out(
        `${new Date().toISOString()} agent: started on ${esc(h.remote)} (monitor ${proxy ? `through ${esc(proxy.remote)}, which drops every update` : 'direct'}; polling fallback ${poll ? `every ${poll} ms` : 'none'})\n`,
      );
      whenLabGone([h.lab], (line) => {
        process.stderr.write(`vifpath agent: ${esc(line)}\n`);
        stopAndExit(EXIT.input, 'the lab is gone');
      });
      // Until a signal: then it stops, and dies of the signal (130/143) as watch does.
      await runUntilStopped(async () => {
        try {
          await agent.stop();
          await proxy?.close();
        } finally {
          // Only the file it wrote, and only while it still holds its pid.
          pidFile?.remove();
        }
      });
    });
}

/** Whether a file is a state `watch --state` wrote (read whole: a torn one is no state of ours). */
function isWatchState(_head: string, path: string): boolean {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown; ports?: unknown };
    return j.version === 1 && typeof j.ports === 'object' && j.ports !== null;
  } catch {
    return false;
  }
}
