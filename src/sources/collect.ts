// Live collection: run on each host what sosreport's openvswitch/networking/neutron plugins run
// (plus per-namespace sockets, iptables and offloads), and write the outputs under sosreport
// names into a case directory. A live snapshot or diagnosis reads that directory back with
// readCase, so live and offline share one code path.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LimitError } from '../errors/errors.ts';
import { parseIpAddr } from '../parse/ip-addr.ts';
import { parseIpNetns } from '../parse/ip-netns.ts';
import { interrupted, madePath } from '../runner/cleanup.ts';
import type { ExecResult } from '../runner/exec.ts';
import { makeDirs } from '../runner/make-dir.ts';
import { isMissingCommand, isTransportFailure, NETNS, type Runner } from '../runner/runner.ts';
import { escapeControl } from '../text/escape.ts';
import { readCase } from './case-dir.ts';
import { InputError } from './errors.ts';
import {
  bridgeCommands,
  type CollectedCommand,
  deviceCommands,
  NET_COMMANDS as REGISTRY_NET_COMMANDS,
  NS_COMMANDS as REGISTRY_NS_COMMANDS,
  OVS_COMMANDS as REGISTRY_OVS_COMMANDS,
  sosName,
} from './file-kinds.ts';

export interface HostSource {
  /** Folder name in the case; default: what `hostname` prints there. */
  name?: string;
  runner: Runner;
  /** A runner inside one of the host's namespaces (default: `ip netns exec NS` on the host). */
  inNamespace?: (ns: string) => Runner;
  /** The host's namespaces, when its own `ip netns` is not the truth (the lab). */
  namespaces?: readonly string[];
  /** Files the host keeps elsewhere than a real one would: path (or directory) prefix → real path. */
  paths?: Readonly<Record<string, string>>;
  /**
   * An emulated host (the lab's): a file is there only where `paths` maps it. Its runner runs on
   * this machine, so an unmapped path would read this machine's own /var/lib/openvswitch/conf.db,
   * agent config, logs or DHCP files as if they were the emulated host's.
   */
  mappedFilesOnly?: boolean;
  /** false: the host has no Open vSwitch of its own (do not ask the machine's default one). */
  ovs?: boolean;
  /**
   * The host's own name, for its `hostname` file, when `uname -n` there cannot say it: the lab's
   * namespaces share this machine's UTS namespace, so every emulated host would be named as the
   * machine (and diagnose of their folders together finds one host twice).
   */
  hostname?: string;
  /** Files written as given (case-relative path → text): what an emulated host cannot answer itself. */
  emulated?: Readonly<Record<string, string>>;
}

export interface CollectOptions {
  /** Per command. */
  commandTimeoutMs?: number;
  /** Per host, all commands together: a host past it is reported and left with what it gave. */
  hostTimeoutMs?: number;
  /** Hosts collected at the same time. */
  concurrency?: number;
  /** Per command, stdout and stderr together (default COLLECT_MAX_OUTPUT_BYTES). */
  maxOutputBytes?: number;
  /** Called as hosts finish (for a progress bar). */
  progress?: (done: number, total: number, last: HostResult) => void;
}

export interface HostResult {
  name: string;
  label: string;
  ok: boolean;
  error?: string;
  files: number;
  commands: number;
  missing: string[];
  /** What the collector left out on purpose, said (names it will not pass to a tool, caps). */
  skipped: string[];
  ms: number;
  /** A failed host's vifpath-collect.log (when nothing was collected, the case folder is removed). */
  log?: string[];
}

const OVS_DIR = 'sos_commands/openvswitch';
const NET_DIR = 'sos_commands/networking';

/** What sos's openvswitch plugin runs once per host, then per bridge. */
// The argv lists live in file-kinds.ts beside the rows that read their files (one registry).
const argvs = (cs: readonly CollectedCommand[]): string[][] => cs.map((c) => [...c.argv]);
const OVS_COMMANDS: string[][] = argvs(REGISTRY_OVS_COMMANDS);
/**
 * Per bridge. A bridge's name is data from the host: `--` ends ovs-ofctl's options so a bridge named
 * `--log-file=/tmp/x` is a bridge, not an option. ovs-appctl stops reading its own options at the
 * command and hands every later word to the daemon (a `--` would reach the daemon as an argument),
 * so its bridge goes bare. The file is named as sos names it, without the `--`.
 */
const BRIDGE_COMMANDS = (br: string): string[][] => argvs(bridgeCommands(br));
/** Bridge names exactly as OVSDB holds them (list-br prints a newline inside a name as a line break). */
const BRIDGE_NAMES = ['ovs-vsctl', '-t', '5', '--format=json', '--columns=name', 'list', 'bridge'];
/**
 * Output kept per command (stdout and stderr together). A 200,000-flow dump-flows is about 40 MB;
 * past this the host fails with this limit named and the other hosts are kept.
 */
export const COLLECT_MAX_OUTPUT_BYTES = 256 * 1024 * 1024;
const NET_COMMANDS: string[][] = argvs(REGISTRY_NET_COMMANDS);
const NS_COMMANDS: string[][] = argvs(REGISTRY_NS_COMMANDS);
/** Copied whole, at their own path (sos copies files, it does not run cat). */
const FILES = [
  '/etc/openvswitch/conf.db',
  '/var/lib/openvswitch/conf.db',
  '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
  '/etc/neutron/plugins/ml2/ml2_conf.ini',
  '/etc/neutron/dhcp_agent.ini',
];
/** Logs: the last lines are what a DHCP failure of today needs. */
const LOGS = [
  '/var/log/neutron/openvswitch-agent.log',
  '/var/log/neutron/neutron-openvswitch-agent.log',
  '/var/log/neutron/dnsmasq.log',
  // devstack (the seed's DomU) writes the agent's screen log here
  '/opt/stack/logs/q-agt.log',
];
const LOG_LINES = '20000';
const DHCP_DIR = '/var/lib/neutron/dhcp';
const DHCP_FILES = ['host', 'opts', 'leases', 'pid'];
/** Commands only some hosts have (XenStore exists in Xen guests): their absence is not news. */
const OPTIONAL = new Set(['xenstore-read']);
/**
 * Names (namespaces, devices, DHCP folders) vifpath hands to a tool: a letter or digit first, so no
 * name reads as an option (`ip netns exec` takes no `--`), and nothing a shell or a path would split.
 */
export const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Namespaces collected per host, and devices per namespace: beyond them, said and skipped. */
const MAX_NAMESPACES = 200;
const MAX_NS_DEVICES = 20;

class HostTimeout extends Error {}

class HostCollector {
  readonly log: string[] = [];
  readonly missing = new Set<string>();
  readonly skipped: string[] = [];
  /** Leave something out, out loud: in the result and in vifpath-collect.log. */
  skip(what: string): void {
    this.skipped.push(what);
    this.log.push(`skipped: ${what}`);
  }
  files = 0;
  commands = 0;
  private readonly deadline: number;

  constructor(
    private readonly src: HostSource,
    private readonly root: string,
    private readonly opts: CollectOptions,
  ) {
    this.deadline = Date.now() + (opts.hostTimeoutMs ?? 300_000);
  }

  async run(runner: Runner, argv: string[]): Promise<ExecResult> {
    const sig = interrupted();
    if (sig) throw new Error(`interrupted (${sig})`);
    const left = this.deadline - Date.now();
    if (left <= 0) throw new HostTimeout(`timed out after ${this.opts.hostTimeoutMs ?? 300_000} ms`);
    this.commands++;
    const max = this.opts.maxOutputBytes ?? COLLECT_MAX_OUTPUT_BYTES;
    const r = await runner.run(argv, {
      timeoutMs: Math.min(left, this.opts.commandTimeoutMs ?? 30_000),
      maxOutputBytes: max,
    });
    // Ended by the signal's cleanup: what it printed is not the host's answer.
    const after = interrupted();
    if (after) throw new Error(`interrupted (${after})`);
    this.log.push(
      `rc=${r.rc ?? r.signal} ${Math.round(r.durationMs)}ms ${runner.label}: ${JSON.stringify(argv)}${r.overflow ? ` (stopped: output over ${max} bytes)` : ''}`,
    );
    if (r.overflow)
      throw new LimitError(
        `${runner.label}: \`${argv.join(' ')}\` printed more than ${max} bytes (the collector's per-command output limit, COLLECT_MAX_OUTPUT_BYTES): this host is not collected; collect that output by hand into the case`,
      );
    if (isTransportFailure(r, runner))
      throw new Error(`${runner.label}: ssh failed (exit 255): ${r.stderr.trim().split('\n').pop() ?? ''}`);
    if (isMissingCommand(r) && !OPTIONAL.has(argv[0]!)) this.missing.add(argv[0]!);
    return r;
  }

  write(rel: string, text: string): void {
    const p = join(this.root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    this.files++;
  }

  /** Run and keep the output (stdout then stderr, as sos does) unless the command is not there. */
  async save(
    runner: Runner,
    argv: string[],
    dir: string,
    name = sosName(argv.filter((a) => a !== '--')),
  ): Promise<ExecResult> {
    const r = await this.run(runner, argv);
    if (!isMissingCommand(r)) this.write(join(dir, name), r.stdout + r.stderr);
    return r;
  }

  /** Where the host keeps `path` (undefined: an emulated host that has no such file). */
  real(path: string): string | undefined {
    for (const [from, to] of Object.entries(this.src.paths ?? {}))
      if (path === from || path.startsWith(`${from}/`)) return to + path.slice(from.length);
    return this.src.mappedFilesOnly ? undefined : path;
  }

  async copy(path: string, tail = false): Promise<void> {
    const real = this.real(path);
    if (real === undefined) return;
    const argv = tail ? ['tail', '-n', LOG_LINES, '--', real] : ['cat', '--', real];
    const r = await this.run(this.src.runner, argv);
    if (r.rc === 0) this.write(path.slice(1), r.stdout);
  }
}

async function collectOvs(c: HostCollector, runner: Runner): Promise<void> {
  const show = await c.save(runner, OVS_COMMANDS[0]!, OVS_DIR);
  // Not installed, or no database to talk to: show's own error text says which; stop there.
  if (show.rc !== 0) return;
  const brs = await c.save(runner, OVS_COMMANDS[1]!, OVS_DIR);
  for (const argv of OVS_COMMANDS.slice(2)) await c.save(runner, argv, OVS_DIR);
  const bridges = await bridgeNames(c, runner, brs);
  for (const br of bridges) for (const argv of BRIDGE_COMMANDS(br)) await c.save(runner, argv, OVS_DIR);
  for (const f of FILES.slice(0, 2)) await c.copy(f);
}

/** The bridges' names as OVSDB holds them; list-br's lines when the JSON form is not available. */
async function bridgeNames(c: HostCollector, runner: Runner, listBr: ExecResult): Promise<string[]> {
  const r = await c.run(runner, BRIDGE_NAMES);
  if (r.rc === 0) {
    try {
      const data = (JSON.parse(r.stdout) as { data?: unknown }).data;
      if (Array.isArray(data))
        return data
          .map((row) => (Array.isArray(row) ? row[0] : undefined))
          .filter((n) => typeof n === 'string');
    } catch {
      // fall back to list-br below
    }
  }
  return listBr.rc === 0 ? listBr.stdout.split('\n').filter((b) => b.length > 0) : [];
}

/** A runner inside one of the source host's namespaces (the source's own mapping first). */
export function namespaceRunner(src: HostSource, ns: string): Runner {
  return src.inNamespace?.(ns) ?? src.runner.within(NETNS(ns), `${src.runner.label} netns ${ns}`);
}

async function collectNetworking(c: HostCollector, src: HostSource): Promise<void> {
  const runner = src.runner;
  for (const argv of NET_COMMANDS) await c.save(runner, argv, NET_DIR);
  let namespaces = src.namespaces ? [...src.namespaces] : [];
  if (src.namespaces) c.write(join(NET_DIR, 'ip_netns'), namespaces.map((n) => `${n}\n`).join(''));
  else {
    const r = await c.save(runner, ['ip', 'netns'], NET_DIR);
    if (r.rc === 0) {
      const parsed = parseIpNetns(r.stdout);
      namespaces = parsed.value.map((n) => n.name);
      // A line that is no name the parser takes (review5: `qdhcp-e\x1b[31m`, a control character
      // in it) was dropped in silence: said, escaped, like the other names left out.
      for (const d of parsed.diagnostics)
        if (d.text?.trim())
          c.skip(
            `namespace "${escapeControl(d.text.trim().replace(/ \(id: \d+\)$/, ''))}": its name has characters outside [A-Za-z0-9_.-]; collect it by hand`,
          );
    }
  }
  // Names outside SAFE_NAME are never handed to `ip netns exec` (no name may read as an option).
  for (const n of namespaces.filter((x) => !SAFE_NAME.test(x)))
    c.skip(
      `namespace ${JSON.stringify(n)}: its name has characters outside [A-Za-z0-9_.-]; collect it by hand`,
    );
  const safeNs = namespaces.filter((n) => SAFE_NAME.test(n));
  if (safeNs.length > MAX_NAMESPACES)
    c.skip(
      `${safeNs.length - MAX_NAMESPACES} namespace(s) past the first ${MAX_NAMESPACES} (MAX_NAMESPACES); collect them by hand`,
    );
  for (const ns of safeNs.slice(0, MAX_NAMESPACES)) {
    const inNs = namespaceRunner(src, ns);
    const dir = join(NET_DIR, 'namespaces', ns);
    const name = (argv: string[]): string => sosName(['ip', 'netns', 'exec', ns, ...argv]);
    let devices: string[] = [];
    for (const argv of NS_COMMANDS) {
      const r = await c.save(inNs, argv, dir, name(argv));
      if (argv[0] === 'ip' && argv[2] === 'address' && r.rc === 0)
        devices = parseIpAddr(r.stdout)
          .value.map((d) => d.name)
          .filter((d) => d !== 'lo');
    }
    for (const d of devices.filter((x) => !SAFE_NAME.test(x)))
      c.skip(
        `${ns}: device ${JSON.stringify(d)}: its name has characters outside [A-Za-z0-9_.-]; ethtool not run for it`,
      );
    devices = devices.filter((d) => SAFE_NAME.test(d));
    if (devices.length > MAX_NS_DEVICES)
      c.skip(
        `${ns}: ${devices.length - MAX_NS_DEVICES} device(s) past the first ${MAX_NS_DEVICES}: ethtool not run for them`,
      );
    for (const dev of devices.slice(0, MAX_NS_DEVICES))
      for (const { argv } of deviceCommands(dev)) await c.save(inNs, [...argv], dir, name([...argv]));
  }
}

async function collectNeutron(c: HostCollector, src: HostSource): Promise<void> {
  for (const f of FILES.slice(2)) await c.copy(f);
  for (const f of LOGS) await c.copy(f, true);
  const dhcpDir = c.real(DHCP_DIR);
  if (dhcpDir === undefined) return;
  const ls = await c.run(src.runner, ['ls', '-1', '--', dhcpDir]);
  if (ls.rc !== 0) return;
  for (const net of ls.stdout
    .split('\n')
    .filter((n) => SAFE_NAME.test(n))
    .slice(0, 500))
    for (const f of DHCP_FILES) await c.copy(`${DHCP_DIR}/${net}/${f}`);
}

/** Collect one host into `root` (created). Never throws: a failing host is a result. */
export async function collectHost(
  src: HostSource,
  root: string,
  opts: CollectOptions = {},
): Promise<HostResult> {
  const t0 = performance.now();
  const c = new HostCollector(src, root, opts);
  const result = (ok: boolean, error?: string): HostResult => ({
    name: src.name ?? root,
    label: src.runner.label,
    ok,
    ...(error ? { error, log: c.log } : {}),
    files: c.files,
    commands: c.commands,
    missing: [...c.missing].sort(),
    skipped: c.skipped,
    ms: Math.round(performance.now() - t0),
  });
  try {
    mkdirSync(root, { recursive: true });
    const id = await c.run(src.runner, ['uname', '-n']);
    if (id.rc !== 0)
      throw new Error(`${src.runner.label}: cannot run commands: ${id.stderr.trim().slice(0, 300)}`);
    c.write('hostname', src.hostname !== undefined ? `${src.hostname}\n` : id.stdout);
    if (src.ovs !== false) await collectOvs(c, src.runner);
    await collectNetworking(c, src);
    const domid = await c.run(src.runner, ['xenstore-read', 'domid']);
    if (domid.rc === 0) c.write('sos_commands/xen/xenstore-read_domid', domid.stdout);
    await collectNeutron(c, src);
    for (const [rel, text] of Object.entries(src.emulated ?? {})) c.write(rel, text);
    return result(true);
  } catch (e) {
    return result(false, (e as Error).message);
  } finally {
    c.write('vifpath-collect.log', `${c.log.join('\n')}\n`);
  }
}

function hostName(text: string, taken: Set<string>): string {
  let base =
    text
      .trim()
      .split('.')[0]!
      .replace(/[^A-Za-z0-9_-]/g, '_')
      .slice(0, 63) || 'host';
  if (base.startsWith('.')) base = `h${base}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return name;
}

/**
 * Collect several hosts into one case directory, `concurrency` at a time, then write links.txt
 * with the wires the case implies (XenServer: Dom0's vif<domid>.<n> is domain <domid>'s eth<n>).
 */
export async function collectCase(
  sources: readonly HostSource[],
  out: string,
  opts: CollectOptions = {},
): Promise<HostResult[]> {
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new InputError(
      'the case directory exists and is not empty: choose a new one (nothing is overwritten)',
      out,
    );
  const named = sources.map((s) => s.name).filter((n): n is string => n !== undefined);
  const twice = named.find((n, i) => named.indexOf(n) !== i);
  if (twice !== undefined)
    throw new InputError(`two sources are host "${twice}": give each host once (one folder each)`, out);
  // What this collection makes is undone when it yields nothing (every host failed, an error, a
  // signal): the case folder when it made it, else what it made inside. A host's folder is kept
  // once the host is done (a failed one only beside a collected one); the case folder as soon as
  // one host is collected.
  const created = makeDirs(out)[0];
  const top = created !== undefined ? madePath(created) : undefined;
  const failed: ReturnType<typeof madePath>[] = [];
  const taken = new Set(sources.map((s) => s.name).filter((n): n is string => n !== undefined));
  const results: HostResult[] = new Array(sources.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= sources.length) return;
      const src = sources[i]!;
      // Unnamed hosts get a temporary folder, renamed after `hostname` answers.
      const tmpName = src.name ?? `.collecting-${i}`;
      let made = madePath(join(out, tmpName));
      const r = await collectHost(src, join(out, tmpName), opts);
      if (!src.name) {
        const hn = join(out, tmpName, 'hostname');
        const name = hostName(existsSync(hn) ? readFileSync(hn, 'utf8') : `host${i + 1}`, taken);
        const renamed = madePath(join(out, name));
        renameSync(join(out, tmpName), join(out, name));
        made.keep();
        made = renamed;
        r.name = name;
      }
      if (r.ok) {
        made.keep();
        top?.keep();
      } else failed.push(made);
      results[i] = r;
      opts.progress?.(++done, sources.length, r);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, sources.length) }, worker));
  } catch (e) {
    for (const m of failed) m.remove();
    top?.remove();
    throw e;
  }
  if (results.every((r) => !r.ok)) {
    for (const m of failed) m.remove();
    top?.remove();
    return results;
  }
  // Interrupted: only what is complete stays (the signal's cleanup removes the rest).
  if (interrupted()) return results;
  for (const m of failed) m.keep();
  writeLinks(out);
  return results;
}

function writeLinks(out: string): void {
  const snap = readCase(out, { lenient: true });
  const lines = ['# written by vifpath collect: wires between the hosts of this case'];
  for (const l of snap.links.filter((x) => x.inferred))
    lines.push(
      `# inferred from ${l.from.file} (XenServer domid)`,
      `${l.a.host}:${l.a.iface} ${l.b.host}:${l.b.iface}`,
    );
  writeFileSync(join(out, 'links.txt'), `${lines.join('\n')}\n`);
}
