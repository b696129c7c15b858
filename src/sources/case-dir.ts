// Builds a Snapshot from a case directory (design.md): one folder per host, each a sosreport tree,
// a sosreport archive or a flat folder of sosreport-named files, plus links.txt.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { dhcpSightingsFile } from '../capture/analyze.ts';
import { LimitError } from '../errors/errors.ts';
import { ev } from '../model/evidence.ts';
import { dumpFlowsCommand } from '../model/ovs-version.ts';
import { excerptCut, type FileDiagnostic, type Host, type Link, type Snapshot } from '../model/snapshot.ts';
import type { Row } from '../ovsdb/datum.ts';
import { type Diagnostic, diag } from '../parse/diagnostics.ts';
import { headerCutAt } from '../parse/dump-flows.ts';
import { LAZY_DUMP_BYTES } from '../parse/flow-index.ts';
import { parseLinks } from '../parse/links.ts';
import type { SourcedRow } from '../parse/ovsdb-rows.ts';
import { isCommandLine, isShellPrompt, repairPaste } from '../parse/paste.ts';
import { stripToolErrors } from '../parse/tool-errors.ts';
import { removeTempDir, tempDir } from '../runner/cleanup.ts';
import { exec } from '../runner/exec.ts';
import { operands } from '../runner/runner.ts';
import { InputError } from './errors.ts';
import {
  CRITICAL,
  classify,
  commandOf,
  namespaceOfName,
  notReadWhy,
  psCommand,
  type SniffedKind,
  snapOf,
  sniff,
  VERBATIM,
} from './file-kinds.ts';
import { filteredName } from './filtered-name.ts';
import { BRIDGE_DUMP_UNUSED, HostBuilder, type RowStore } from './host-builder.ts';
import {
  type DumpState,
  excerptOf,
  type HostFile,
  type Kind,
  PHASES,
  READERS,
  type ReadContext,
  type Reader,
  ROW_ORDER,
} from './readers.ts';
import { decodeText, readText, resolvesInside, specialKind, walkHost } from './walk.ts';

export interface ReadOptions {
  /** Corrupt files become warnings instead of an error. */
  lenient?: boolean;
  /**
   * Read big flow dumps as an index whose flows are parsed when asked for (src/parse/flow-index.ts):
   * for commands that look at a few tables (diagnose, trace), not those that print every flow.
   * A number: from that many bytes on (tests; true is LAZY_DUMP_BYTES).
   */
  lazyFlows?: boolean | number;
  /** Override the archive limits (tests; otherwise the VIFPATH_ARCHIVE_MAX_* variables or the defaults). */
  archiveLimits?: Partial<ArchiveLimits>;
  /**
   * The case's hosts, given one by one (sosreports and host folders named on the command line, a
   * `sos collect` bundle's nodes) instead of the folders of `caseDir`: see sources/inputs.ts.
   */
  hosts?: readonly CaseHost[];
  /** The wires: this file instead of `<case>/links.txt`; null: none (hosts given one by one). */
  links?: string | null;
}

/** A host of the case: its folder or archive, and its name (or how to find it once unpacked). */
export interface CaseHost {
  path: string;
  /** A name, or a function of the host's root (its unpacked archive) that decides it. */
  name: string | ((root: string) => string);
}

export interface ArchiveLimits {
  memberBytes: number;
  totalBytes: number;
  members: number;
}
/** One member of a sosreport archive: a conf.db or a log is rarely over 100 MB. */
export const ARCHIVE_MAX_MEMBER_BYTES = 512 * 1024 * 1024;
/** Everything unpacked from one archive (it goes to the temporary folder). */
export const ARCHIVE_MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024;
/** Members of one archive (a full sosreport with proc and sys has some tens of thousands). */
export const ARCHIVE_MAX_MEMBERS = 1_000_000;

function archiveLimits(opts: ReadOptions): ArchiveLimits {
  const env = (name: string, dflt: number): number => {
    const v = process.env[name];
    return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : dflt;
  };
  return {
    memberBytes:
      opts.archiveLimits?.memberBytes ?? env('VIFPATH_ARCHIVE_MAX_MEMBER_BYTES', ARCHIVE_MAX_MEMBER_BYTES),
    totalBytes:
      opts.archiveLimits?.totalBytes ?? env('VIFPATH_ARCHIVE_MAX_TOTAL_BYTES', ARCHIVE_MAX_TOTAL_BYTES),
    members: opts.archiveLimits?.members ?? env('VIFPATH_ARCHIVE_MAX_MEMBERS', ARCHIVE_MAX_MEMBERS),
  };
}

export const ARCHIVE = /\.(tar\.xz|tar\.gz|tgz|tar\.bz2|tar)$/;
const CONF_DB_PATHS = [
  'etc/openvswitch/conf.db',
  'var/lib/openvswitch/conf.db',
  'usr/local/etc/openvswitch/conf.db',
];
const DHCP_FILE_KINDS = {
  host: 'dhcp-hosts',
  leases: 'dhcp-leases',
  opts: 'dhcp-opts',
  pid: 'dhcp-pid',
} as const;

/** Default values of the columns the model reads: conf.db rows omit columns at their default. */
const DEFAULTS: Record<string, Row> = {
  Bridge: { fail_mode: ['set', []], datapath_type: '', protocols: ['set', []], ports: ['set', []] },
  Port: {
    tag: ['set', []],
    trunks: ['set', []],
    vlan_mode: ['set', []],
    external_ids: ['map', []],
    other_config: ['map', []],
    interfaces: ['set', []],
  },
  Interface: {
    type: '',
    ofport: ['set', []],
    options: ['map', []],
    external_ids: ['map', []],
    error: ['set', []],
  },
};

/** A worse form of a bridge's dump is not read when a better one is complete and it is this big. */
const SKIP_DUMP_BYTES = 64 * 1024;

/** Pasted outputs are read by content up to this size; bigger unknown files are not opened. */
const MAX_SNIFF_BYTES = 8 * 1024 * 1024;

/**
 * A file outside a sosreport's own tree whose name says nothing: the output it is, or why it is
 * not read (said, never skipped silently); undefined for the sosreport's own files.
 */
function sniffFile(p: string, rel: string): { kind: SniffedKind } | { why: string } | undefined {
  if (/(?:^|\/)sos_(?:commands|logs|reports)\/|(?:^|\/)(?:proc|sys|etc|var|usr|run)\//.test(rel))
    return undefined;
  const bn = basename(p);
  // What the collector writes beside the outputs: the host's name (read for it) and its own log.
  if (bn === 'hostname' || bn === 'vifpath-collect.log') return undefined;
  if (bn === 'links.txt')
    return {
      why: "not read here: a case's wires are read from the links.txt beside its host folders, or given with --links FILE",
    };
  const ext = /\.(?:tar|xz|gz|bz2|tgz|zip|json\.gz|pcapng?|png|jpe?g|html?)$/i.exec(p);
  if (ext) return { why: `not read: a ${ext[0]} file inside a host folder (no command's output)` };
  const st = statSync(p);
  if (st.size === 0) return { why: 'not read: empty' };
  if (st.size > MAX_SNIFF_BYTES)
    return {
      why: `not read: over ${MAX_SNIFF_BYTES / 1024 / 1024} MiB, and its name is none vifpath reads (name it as sosreport names its command)`,
    };
  const buf = readFileSync(p);
  if (buf.subarray(0, 4096).includes(0))
    return { why: 'not read: binary, and its name is none vifpath reads (a packet capture: <point>.pcap)' };
  // A shell prompt copied before the output hides nothing of what it is (the reader refuses it).
  // The command typed above it (the reader skips it, said) says which namespace or bridge.
  const text = decodeText(buf);
  const first = /^\s*([^\n]*)/.exec(text)!;
  const typed = isCommandLine(first[1]!) ? first[1]! : undefined;
  const body = isShellPrompt(first[1]!) || typed ? text.slice(first[0].length) : text;
  const k = sniff(body);
  if (!k) {
    const known = notReadWhy(body);
    return {
      why: known
        ? `not read: ${known}`
        : "not read: neither its name nor its content is an output vifpath reads (OVS's, ip, ifconfig, iptables-save, ss/netstat, sysctl, dnsmasq's log, dhclient -v; or a file named as sosreport names its command)",
    };
  }
  const cmd = typed === undefined ? undefined : commandOf(typed);
  const ns = (cmd?.kind === k.kind && 'ns' in cmd ? cmd.ns : undefined) ?? namespaceOfName(bn);
  if (
    ns &&
    (k.kind === 'ip-addr' ||
      k.kind === 'ip-link' ||
      k.kind === 'ifconfig' ||
      k.kind === 'sockets' ||
      k.kind === 'iptables')
  )
    return { kind: { ...k, ns } };
  if (cmd?.kind === k.kind && (k.kind === 'dump-flows' || k.kind === 'ofctl-show') && 'bridge' in cmd)
    return { kind: { ...k, bridge: cmd.bridge } };
  return { kind: k };
}

/** Whether `p` lies in a sosreport's own tree (a folder from `root` down to it holds sos_commands/). */
function inSosTree(root: string, p: string, memo: Map<string, boolean>): boolean {
  for (let d = dirname(p); ; d = dirname(d)) {
    let sos = memo.get(d);
    if (sos === undefined) {
      sos = existsSync(join(d, 'sos_commands'));
      memo.set(d, sos);
    }
    if (sos) return true;
    if (d === root || dirname(d) === d || !d.startsWith(root)) return false;
  }
}

/** Words a pasted file's name uses for the command, not the bridge (`flows-xapi3.txt` → xapi3). */
const COMMAND_WORDS = new Set([
  'ovs',
  'ofctl',
  'ovs-ofctl',
  'dump',
  'flows',
  'flow',
  'dump-flows',
  'dumpflows',
  'show',
  'ofctl-show',
  'openflow10',
  'openflow13',
  'openflow14',
  'openflow15',
  'of10',
  'of13',
  'of14',
  'of15',
  'o',
  'txt',
  'log',
  'out',
  'output',
  'no-stats',
  'names',
  'ports',
  'desc',
  'dump-ports-desc',
]);

function bridgeInName(baseName: string): string | undefined {
  const words = baseName
    .replace(/\.(?:txt|log|out)$/i, '')
    .split(
      /[_.]+|-(?=(?:flows|show|dump|ofctl|of1\d|openflow1\d)\b)|(?<=\b(?:flows|show|dump|ofctl|of1\d|openflow1\d))-/i,
    )
    .filter((w) => w !== '' && !COMMAND_WORDS.has(w.toLowerCase()));
  return words.length === 1 && /^[A-Za-z0-9][\w.-]{0,62}$/.test(words[0]!) ? words[0] : undefined;
}

const EXPECTED =
  'expected a sosreport (tree or .tar.xz/.tar.gz/.tar.bz2), or outputs such as ovs-vsctl_-t_5_show, ovs-ofctl_dump-flows_<bridge>, ovs-ofctl_show_<bridge>, ip_-d_address, ip_netns, conf.db — by sosreport name or pasted with any name';

/**
 * What reading a case waits on another process for: an archive unpacked (tar). Reading is written
 * once, as a generator that yields these requests: `runSync` answers them with spawnSync (library
 * callers, tests), `runAsync` with a recorded child process in its own process group (the CLI), so
 * that a signal reaches vifpath while tar runs and ends tar and its gzip (cleanup.ts).
 */
export interface ArchiveRequest {
  archive: string;
  opts: ReadOptions;
  diagnostics: FileDiagnostic[];
}
export type Reading<T> = Generator<ArchiveRequest, T, string>;

/** The folder `archive` is unpacked into (a temporary folder: the caller removes it once read). */
export function* unpackStep(
  archive: string,
  opts: ReadOptions,
  diagnostics: FileDiagnostic[],
): Reading<string> {
  return yield { archive, opts, diagnostics };
}

/** Drive a reading to its end, unpacking synchronously. */
export function runSync<T>(g: Reading<T>): T {
  let r = g.next();
  while (!r.done) {
    let dir: string;
    try {
      dir = unpack(r.value.archive, r.value.opts, r.value.diagnostics);
    } catch (e) {
      r = g.throw(e);
      continue;
    }
    r = g.next(dir);
  }
  return r.value;
}

/** Drive a reading to its end, unpacking with tar as a child process the event loop waits on. */
export async function runAsync<T>(g: Reading<T>): Promise<T> {
  let r = g.next();
  while (!r.done) {
    let dir: string;
    try {
      dir = await unpackAsync(r.value.archive, r.value.opts, r.value.diagnostics);
    } catch (e) {
      r = g.throw(e);
      continue;
    }
    r = g.next(dir);
  }
  return r.value;
}

/** `tar -tvf`: the listing, checked against the limits; returns the members to leave out. */
function checkListing(
  archive: string,
  listing: string,
  lim: ArchiveLimits,
  opts: ReadOptions,
  diagnostics: FileDiagnostic[],
): string[] {
  const excluded: string[] = [];
  let total = 0;
  let members = 0;
  // GNU tar: `-rw-r--r-- 0/0   1048576 2024-01-01 00:00 name` (devices show `major,minor`).
  for (const line of listing.split('\n')) {
    const m = /^(\S)\S*\s+\S+\s+(\d+|\d+,\s*\d+)\s+\S+\s+\S+\s(.*)$/.exec(line);
    if (!m) continue;
    if (++members > lim.members)
      throw new LimitError(
        `the archive has more than ${lim.members} members (ARCHIVE_MAX_MEMBERS; set VIFPATH_ARCHIVE_MAX_MEMBERS to read it)`,
        archive,
      );
    if (m[1] !== '-') continue;
    const size = Number(m[2]);
    const name = m[3]!;
    if (size > lim.memberBytes) {
      const what = `archive member ${name} is ${size} bytes, over the per-member limit of ${lim.memberBytes} (ARCHIVE_MAX_MEMBER_BYTES; set VIFPATH_ARCHIVE_MAX_MEMBER_BYTES to read it)`;
      if (!opts.lenient) throw new LimitError(what, archive);
      excluded.push(name);
      diagnostics.push({
        file: basename(archive),
        line: 0,
        severity: 'warning',
        code: 'archive-limit',
        message: `${what}: left out`,
      });
      continue;
    }
    total += size;
    if (total > lim.totalBytes)
      throw new LimitError(
        `the archive unpacks to more than ${lim.totalBytes} bytes (at member ${name}; ARCHIVE_MAX_TOTAL_BYTES; set VIFPATH_ARCHIVE_MAX_TOTAL_BYTES to read it)`,
        archive,
      );
  }
  return excluded;
}

const listArgv = (archive: string): string[] => ['tar', '-tvf', archive, '--numeric-owner'];
const listCap = (lim: ArchiveLimits): number =>
  Math.min(lim.members, ARCHIVE_MAX_MEMBERS) * 512 + 1024 * 1024;
const tooManyMembers = (lim: ArchiveLimits, archive: string): LimitError =>
  new LimitError(
    `the archive lists more than ${lim.members} members (ARCHIVE_MAX_MEMBERS; set VIFPATH_ARCHIVE_MAX_MEMBERS to read it)`,
    archive,
  );
const extractArgv = (archive: string, dir: string, excluded: readonly string[]): string[] => [
  'tar',
  '-xf',
  archive,
  '-C',
  dir,
  '--no-same-owner',
  '--no-same-permissions',
  '--no-wildcards',
  ...excluded.map((n) => `--exclude=${n}`),
];
const unpackError = (archive: string, stderr: string): InputError =>
  new InputError(`cannot unpack archive: ${stderr.trim().split('\n')[0]}`, archive);

/**
 * Unpack a sosreport archive into a temporary folder (removed after the host is read, and at exit or
 * on a signal). Its listing is checked first: a member over the per-member limit, a total over the
 * total limit or too many members is a LimitError naming the member and the limit, before anything
 * is written; with --lenient an oversized member is left out with a warning and the rest is read.
 * Synchronously (runSync's way); unpackAsync is the same with tar a child a signal can end.
 */
export function unpack(archive: string, opts: ReadOptions, diagnostics: FileDiagnostic[]): string {
  const lim = archiveLimits(opts);
  const list = spawnSync(listArgv(archive)[0]!, listArgv(archive).slice(1), {
    encoding: 'utf8',
    maxBuffer: listCap(lim),
  });
  if (list.error && (list.error as NodeJS.ErrnoException).code === 'ENOBUFS')
    throw tooManyMembers(lim, archive);
  if (list.status !== 0) throw unpackError(archive, list.stderr ?? '');
  const excluded = checkListing(archive, list.stdout, lim, opts, diagnostics);
  const dir = tempDir('vifpath-sos-');
  const x = extractArgv(archive, dir, excluded);
  const r = spawnSync(x[0]!, x.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) {
    removeTempDir(dir);
    throw unpackError(archive, r.stderr ?? String(r.error ?? ''));
  }
  return dir;
}

/** unpack, with tar run by exec: recorded, in its own process group, ended however vifpath ends. */
export async function unpackAsync(
  archive: string,
  opts: ReadOptions,
  diagnostics: FileDiagnostic[],
): Promise<string> {
  const lim = archiveLimits(opts);
  const list = await exec(listArgv(archive), { maxOutputBytes: listCap(lim) });
  if (list.overflow) throw tooManyMembers(lim, archive);
  if (list.rc !== 0) throw unpackError(archive, list.stderr);
  const excluded = checkListing(archive, list.stdout, lim, opts, diagnostics);
  const dir = tempDir('vifpath-sos-');
  const r = await exec(extractArgv(archive, dir, excluded));
  if (r.rc !== 0) {
    removeTempDir(dir);
    throw unpackError(archive, r.stderr || `tar ended by ${r.signal}`);
  }
  return dir;
}

/** Resolve a host's folder: itself, or an archive inside it / beside it. */
function* hostRoot(path: string, opts: ReadOptions, diagnostics: FileDiagnostic[]): Reading<string> {
  if (statSync(path).isFile()) return yield* unpackStep(path, opts, diagnostics);
  const entries = readdirSync(path);
  if (entries.length === 1 && ARCHIVE.test(entries[0]!))
    return yield* unpackStep(join(path, entries[0]!), opts, diagnostics);
  return path;
}

export function isSosTree(dir: string): boolean {
  return (
    existsSync(join(dir, 'sos_commands')) ||
    readdirSync(dir).some((e) => e.startsWith('sosreport-') && existsSync(join(dir, e, 'sos_commands')))
  );
}

export function readCase(caseDir: string, opts: ReadOptions = {}): Snapshot {
  return runSync(readCaseSteps(caseDir, opts));
}

/** readCase, its archives unpacked by child processes a signal can end (the CLI's way). */
export function readCaseAsync(caseDir: string, opts: ReadOptions = {}): Promise<Snapshot> {
  return runAsync(readCaseSteps(caseDir, opts));
}

export function* readCaseSteps(caseDir: string, opts: ReadOptions = {}): Reading<Snapshot> {
  if (!existsSync(caseDir)) throw new InputError('no such case directory or file', caseDir);
  const diagnostics: FileDiagnostic[] = [];
  const hosts: Host[] = [];
  let hostDirs: readonly CaseHost[];
  if (opts.hosts) hostDirs = opts.hosts;
  else if (statSync(caseDir).isFile() || isSosTree(caseDir)) {
    // A single sosreport: one host named after it.
    hostDirs = [{ name: basename(caseDir).replace(ARCHIVE, ''), path: caseDir }];
  } else {
    hostDirs = readdirSync(caseDir)
      .sort()
      .filter((e) => !e.startsWith('.'))
      .map((e) => ({ name: e.replace(ARCHIVE, ''), path: join(caseDir, e) }))
      // A symbolic link out of the case is never followed (a case from elsewhere saying `dom0 -> /`).
      .filter((h) => {
        if (!lstatSync(h.path).isSymbolicLink() || resolvesInside(caseDir, h.path)) return true;
        const host = ARCHIVE.test(h.path) || (existsSync(h.path) && statSync(h.path).isDirectory());
        if (host)
          diagnostics.push({
            file: relative(caseDir, h.path),
            line: 0,
            severity: 'warning',
            code: 'symlink-out',
            message: 'a symbolic link out of the case: not followed',
          });
        return false;
      })
      .filter((h) => {
        const st = statSync(h.path);
        if (st.isDirectory() || (st.isFile() && ARCHIVE.test(h.path))) return true;
        // A FIFO, socket or device is never opened (a FIFO blocks): said, not skipped in silence.
        if (!st.isFile() && basename(h.path) !== 'links.txt')
          diagnostics.push({
            file: relative(caseDir, h.path),
            line: 0,
            severity: 'warning',
            code: 'special-file',
            message: `${specialKind(st)}, not a file or folder: not read`,
          });
        return false;
      });
  }
  for (const h of hostDirs) hosts.push(yield* readHost(h.name, h.path, caseDir, diagnostics, opts));
  // Nothing readable anywhere is bad input, never an empty case with a verdict; a folder that is
  // no host beside readable ones (saved traces, notes) is a warning and not a host.
  const unreadable = new Set(diagnostics.filter((d) => d.code === 'nothing-readable').map((d) => d.file));
  const readable = hosts.filter((h) => h.files.length > 0);
  if (readable.length === 0 && !opts.lenient) {
    const where = hostDirs.length === 1 ? hostDirs[0]!.path : caseDir;
    // Host folders that are links out of the case were the case: say so, not only "nothing".
    const out = diagnostics.filter((d) => d.code === 'symlink-out').map((d) => d.file);
    throw new InputError(
      out.length > 0
        ? `nothing readable in ${where}: ${out.join(', ')} ${out.length > 1 ? 'are symbolic links' : 'is a symbolic link'} out of the case, not followed (a case must not read what it does not hold): copy the host folders in, or give them as arguments (with --links for the wires)`
        : `nothing readable in ${where} (${EXPECTED})`,
    );
  }
  if (readable.length > 0 && unreadable.size > 0)
    for (let i = hosts.length - 1; i >= 0; i--)
      if (hosts[i]!.files.length === 0 && hosts[i]!.ignored.length > 0) hosts.splice(i, 1);
  // A folder of packet captures only (a reference case's pcap/) is no host: its captures would be
  // taken for that "host"'s own interfaces. Said, and left to --pcap <host>:<file>.
  if (readable.length > 1)
    for (let i = hosts.length - 1; i >= 0; i--) {
      const h = hosts[i]!;
      const caps = h.captures?.length ?? 0;
      if (caps === 0 || caps !== h.files.length) continue;
      hosts.splice(i, 1);
      diagnostics.push({
        file: h.name,
        line: 0,
        severity: 'warning',
        code: 'captures-only',
        message: `${caps} packet capture(s) and nothing else: not a host of the case (give them to diagnose with --pcap <host>:<file>)`,
      });
    }
  const links = readLinks(caseDir, hosts, diagnostics, opts.links);
  const snapshot: Snapshot = { source: caseDir, hosts, links, diagnostics };
  const bad = diagnostics.find((d) => d.severity === 'corrupt');
  if (bad && !opts.lenient) {
    throw new InputError(
      `${bad.message}${bad.text ? ` [${bad.text}]` : ''} (use --lenient to read the rest)`,
      bad.file,
      bad.line || undefined,
    );
  }
  return snapshot;
}

function* readHost(
  nameOf: CaseHost['name'],
  path: string,
  caseDir: string,
  diagnostics: FileDiagnostic[],
  opts: ReadOptions,
): Reading<Host> {
  const root = yield* hostRoot(path, opts, diagnostics);
  try {
    const name = typeof nameOf === 'string' ? nameOf : nameOf(root);
    return readHostAt(root, name, path, caseDir, diagnostics, opts);
  } finally {
    // An unpacked archive is read whole by now: nothing is left in the temporary folder.
    if (root !== path) removeTempDir(root);
  }
}

/** Whether an agent configuration file at `rel` (in the host, with /) is the host's own. */
export function agentConfigPlace(rel: string): boolean {
  const dirs = rel.split('/').slice(0, -1);
  return dirs.length === 0 || (dirs.includes('etc') && !dirs.includes('templates'));
}

function readHostAt(
  root: string,
  name: string,
  path: string,
  caseDir: string,
  diagnostics: FileDiagnostic[],
  _opts: ReadOptions,
): Host {
  const b = new HostBuilder(name, diagnostics);
  const all: string[] = [];
  const where = root === path ? relative(caseDir, path) || path : basename(path);
  // A link may lead anywhere in the case directory; in a sosreport or archive read on its own (or
  // given beside others), only within it.
  const boundary = _opts.hosts || root !== path ? root : caseDir;
  for (const p of walkHost(root, { where, boundary, lenient: _opts.lenient ?? false, diagnostics }))
    all.push(p);
  const files: HostFile[] = [];
  const sosDirs = new Map<string, boolean>();
  for (const p of all) {
    const rel = root === path ? relative(caseDir, p) : join(basename(path), relative(root, p));
    const bn = basename(p);
    // What sos's file names say: its OVN plugins, the snap its OVS commands came from (below).
    const plugin = /(?:^|\/)sos_commands\/(ovn_host|ovn_central)\//.exec(
      relative(root, p).split(sep).join('/'),
    );
    if (plugin) b.ovnPlugin(plugin[1] as 'ovn_host' | 'ovn_central', rel);
    let kind = classify(bn);
    if (kind?.kind === 'conf-db') {
      const r = relative(root, p).split(sep).join('/');
      if (r !== 'conf.db' && !CONF_DB_PATHS.some((c) => r.endsWith(c))) kind = undefined;
    }
    // The DHCP agent's per-network files have generic names: only their place says what they are.
    const dh = /(?:^|\/)var\/lib\/neutron\/dhcp\/([^/]+)\/(host|leases|opts|pid)$/.exec(
      relative(root, p).split(sep).join('/'),
    );
    if (dh) kind = { kind: DHCP_FILE_KINDS[dh[2] as keyof typeof DHCP_FILE_KINDS], net: dh[1]! };
    // Neutron's dnsmasq log (dnsmasq_base_log_dir): its folder is named after the network.
    const dl = /(?:^|\/)([0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})\/dhcp_dns_log$/i.exec(
      relative(root, p).split(sep).join('/'),
    );
    if (dl && kind?.kind === 'dnsmasq-log') kind = { kind: 'dnsmasq-log', net: dl[1]! };
    // A kernel parameter's /proc/sys file (sos system plugin copies /proc/sys): its place names it.
    if (
      /(?:^|\/)proc\/sys\/net\/bridge\/bridge-nf-call-iptables$/.test(relative(root, p).split(sep).join('/'))
    )
      kind = { kind: 'sysctl', all: false, key: 'net.bridge.bridge-nf-call-iptables' };
    // An agent's configuration is the one /etc holds (or a pasted file at the host's top): a
    // deployment tool's copy elsewhere (a Juju charm's Jinja templates under var/lib/juju/…/
    // templates/) is no configuration of this host.
    if (kind?.kind === 'agent-config' && !agentConfigPlace(relative(root, p).split(sep).join('/')))
      kind = undefined;
    // Collected on purpose and not read (the collector's registry says so): nothing to say.
    const aux = kind?.kind === 'aux';
    if (aux) kind = undefined;
    const sniffed = kind || aux ? undefined : sniffFile(p, relative(root, p).split(sep).join('/'));
    if (kind) files.push({ path: p, rel, kind });
    else if (sniffed && 'kind' in sniffed) files.push({ path: p, rel, kind: sniffed.kind, sniffed: true });
    else if (!rel.includes(`${sep}proc${sep}`)) {
      b.host.ignored.push(rel);
      // A loose file the operator gave is said not read, with why: never dropped in silence (a
      // sosreport's own files, thousands vifpath has no use for, are not listed).
      if (sniffed && !inSosTree(root, p, sosDirs))
        diagnostics.push({ file: rel, line: 0, severity: 'info', code: 'not-read', message: sniffed.why });
    }
  }
  // A name with a filter after its bridge or record (`ovs-ofctl_show_br-int_grep_X`): which
  // reading holds is decided when the case's bridges are known (bridgeOf, nameRows).
  for (const f of files) if (!f.sniffed) markFiltered(f, diagnostics);
  // The snap's prefix on a file read (an OVS output), else on any file of the host.
  const snapped = [...files.map((f) => f.path), ...all].find((p) => snapOf(basename(p)) !== undefined);
  if (snapped !== undefined)
    b.applySnap(
      snapOf(basename(snapped))!,
      root === path ? relative(caseDir, snapped) : join(basename(path), relative(root, snapped)),
    );
  // A folder with files of which none is readable: readCase decides (bad input when no host of
  // the case is readable, else a warning); an empty folder is not a host.
  if (files.length === 0 && all.length > 0) {
    const where = root === path ? relative(caseDir, path) || path : basename(path);
    diagnostics.push({
      file: where,
      line: 0,
      severity: 'warning',
      code: 'nothing-readable',
      message: `nothing readable in this host folder (${EXPECTED})`,
    });
  }
  // What each file said, by file: auxiliary files (not OVS state, not the DHCP agent's) that
  // cannot be read are skipped with a warning; only the files the verdict needs are corrupt.
  const kindOf = new Map<string, HostFile>();
  for (const f of files) kindOf.set(f.rel, f);
  const push = (file: string, ds: readonly Diagnostic[]): void => {
    const f = kindOf.get(file);
    const aux = f !== undefined && !CRITICAL.has(f.kind.kind);
    for (const d of ds)
      diagnostics.push(
        aux && d.severity === 'corrupt'
          ? { ...d, severity: 'warning', message: `${d.message} (auxiliary output: skipped)`, file }
          : { ...d, file },
      );
  };
  // OVSDB rows are gathered through the rows phase and applied at its end.
  const store: RowStore = new Map();
  const addRows = (rows: readonly SourcedRow[], file: string, defaults: boolean): void => {
    for (const r of rows) {
      let t = store.get(r.table);
      if (!t) {
        t = new Map();
        store.set(r.table, t);
      }
      const row = defaults ? { ...(DEFAULTS[r.table] ?? {}), ...r.row } : r.row;
      t.set(r.uuid, {
        row,
        from: ev(file, r.line),
        ...(r.columnLines ? { columnLines: r.columnLines } : {}),
      });
    }
  };
  // A pasted per-bridge output names its bridge in its file name (`flows-xapi3.txt`), or is the
  // only one of its kind beside the one `ovs-ofctl show` that does; else it stays unplaced.
  const bridgeOf = (f: HostFile, bridge: string | undefined): string | undefined => {
    if (bridge !== undefined) return f.filtered ? filteredBridge(f, bridge) : bridge;
    const bn = basename(f.path);
    const named = b.host.bridges
      .map((x) => x.name)
      .filter((n) =>
        new RegExp(`(?:^|[^A-Za-z0-9])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:$|[^A-Za-z0-9])`).test(
          bn,
        ),
      )
      .sort((x, y) => y.length - x.length);
    if (named[0] !== undefined) return named[0];
    const fromName = bridgeInName(bn);
    if (fromName !== undefined) return fromName;
    const shows = files.filter((x) => x.kind.kind === 'ofctl-show' && x.kind.bridge !== undefined);
    const same = files.filter((x) => x.kind.kind === f.kind.kind && x.sniffed);
    if (f.kind.kind === 'dump-flows' && shows.length === 1 && same.length === 1)
      return (shows[0]!.kind as { bridge: string }).bridge;
    b.host.files.push(f.rel);
    diagnostics.push({
      file: f.rel,
      line: 0,
      severity: 'warning',
      code: 'bridge-unknown',
      message: `an ${f.kind.kind === 'dump-flows' ? 'ovs-ofctl dump-flows' : 'ovs-ofctl show'} output, but neither its name nor the case says which bridge it is about: not used (name the file after the bridge, e.g. ovs-ofctl_dump-flows_br-int)`,
    });
    return undefined;
  };
  // A per-bridge output whose name has a filter after the bridge: a bridge of the case so named
  // is that bridge; else the file is an excerpt of the bridge before the filter, or not read when
  // the case has that bridge's whole output. Never a bridge of its own.
  const filteredBridge = (f: HostFile, bridge: string): string | undefined => {
    const fl = f.filtered!;
    const same = (x: HostFile): boolean =>
      x !== f && x.kind.kind === f.kind.kind && 'bridge' in x.kind && x.kind.bridge !== undefined;
    // The bridges the case knows: OVSDB's, and those other per-bridge outputs are named after.
    const known = new Set(b.host.bridges.map((x) => x.name));
    for (const x of files)
      if (x !== f && !x.filtered && 'bridge' in x.kind && x.kind.bridge !== undefined)
        known.add(x.kind.bridge);
    if (known.has(bridge)) return bridge;
    const what = f.kind.kind === 'dump-flows' ? 'ovs-ofctl dump-flows' : 'ovs-ofctl show';
    const wholes = files.filter(
      (x) => same(x) && !x.filtered && (x.kind as { bridge: string }).bridge === fl.before,
    );
    const oneTable = fl.table !== undefined && fl.table !== 255 && f.kind.kind === 'dump-flows';
    // The bridge's dump displaces one table's only when it is whole: an excerpt, or a dump cut
    // short, is read first, then merged with the per-table dumps (HostBuilder.applyTableFlows).
    if (oneTable) for (const w of wholes) read(w);
    const done = dumps.complete.get(fl.before);
    const whole = oneTable ? (wholes.length && done ? { rel: done.file } : undefined) : wholes[0];
    const says =
      fl.table === 255
        ? `\`${fl.filter}\` after the bridge's name is OpenFlow's "all tables"`
        : fl.table !== undefined && fl.cut !== undefined
          ? `\`${fl.filter}\` after the bridge's name is the one table it dumps, filtered by \`${fl.cut}\``
          : fl.table !== undefined
            ? `\`${fl.filter}\` after the bridge's name is the one table it dumps`
            : fl.how === 'match'
              ? `\`${fl.filter}\` after the bridge's name is a flow match (only the flows it matches are shown)`
              : `\`${fl.filter}\` after the bridge's name is the filter its output went through`;
    if (whole && fl.table !== undefined && fl.table !== 255) {
      diagnostics.push({
        file: f.rel,
        line: 0,
        severity: 'info',
        code: 'filtered',
        message: `not read: table ${fl.table} of \`${what} ${fl.before}\` alone (${says}, not a bridge); ${whole.rel} is the bridge's whole dump, read instead`,
      });
      return undefined;
    }
    if (whole) {
      diagnostics.push({
        file: f.rel,
        line: 0,
        severity: 'warning',
        code: 'filtered',
        message: `not read: \`${what} ${fl.before}\` filtered (${says}, not a bridge); ${whole.rel} is its whole output`,
      });
      return undefined;
    }
    // `table=255`: every table, the bridge's whole dump.
    if (fl.table === 255) {
      diagnostics.push({
        file: f.rel,
        line: 0,
        severity: 'info',
        code: 'filtered',
        message: `read as the whole \`${what} ${fl.before}\`: ${says}, not a bridge (the case has no bridge ${bridge})`,
      });
      return fl.before;
    }
    fl.read = fl.before;
    // One table's dump: merged with the bridge's other tables (HostBuilder.applyFlows), said once
    // per bridge when all are read (perTableNote); filtered, an excerpt of that table, said here.
    if (fl.table !== undefined && fl.cut === undefined) return fl.before;
    if (fl.table !== undefined) {
      diagnostics.push({
        file: f.rel,
        line: 0,
        severity: 'warning',
        code: 'filtered',
        message: `read as an excerpt of table ${fl.table} of \`${what} ${fl.before}\`: ${says}, not a bridge (the case has no bridge ${bridge}); what it does not show of table ${fl.table} is unknown`,
      });
      return fl.before;
    }
    diagnostics.push({
      file: f.rel,
      line: 0,
      severity: 'warning',
      code: 'filtered',
      message: `read as an excerpt of \`${what} ${fl.before}\`: ${says}, not a bridge (the case has no bridge ${bridge}); what it does not show is unknown`,
    });
    return fl.before;
  };
  // `ovs-vsctl list port NAME | grep …`: the record's lines the filter kept, without its name
  // column: the name the command gave is the record's (one record listed). Rows still without a
  // name are said, not dropped in silence.
  const nameRows = (f: HostFile, rows: readonly SourcedRow[]): readonly SourcedRow[] => {
    const fl = f.filtered;
    if (f.kind.kind !== 'vsctl-list' || !fl) return rows;
    const table = f.kind.table;
    const record = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(fl.before) ? undefined : fl.before;
    const unnamed = rows.filter((r) => !('name' in r.row));
    if (record && rows.length === 1 && unnamed.length === 1 && table !== 'Open_vSwitch') {
      fl.read = record;
      diagnostics.push({
        file: f.rel,
        line: 0,
        severity: 'warning',
        code: 'filtered',
        message: `read as an excerpt of \`ovs-vsctl list ${table.toLowerCase()} ${record}\` (\`${fl.filter}\` after it is the filter its output went through): its lines are ${table} ${record}'s; what it does not show is unknown`,
      });
      return [{ ...rows[0]!, row: { ...rows[0]!.row, name: record } }];
    }
    if (unnamed.length > 0)
      diagnostics.push({
        file: f.rel,
        line: unnamed[0]!.line,
        severity: 'warning',
        code: 'filtered',
        message: `\`ovs-vsctl list ${table.toLowerCase()}\` filtered (\`${fl.filter}\`): ${unnamed.length === 1 ? 'a record' : `${unnamed.length} records`} without its name column, not placed on any ${table.toLowerCase()} (collect the whole \`ovs-vsctl list ${table.toLowerCase()}\`)`,
      });
    fl.read ??= record ?? '';
    return rows.filter((r) => 'name' in r.row);
  };
  const dumps: DumpState = {
    named: files.filter((f) => f.kind.kind === 'dump-flows' && !f.sniffed && f.kind.bridge !== undefined),
    done: new Set(),
    complete: new Map(),
    skipBytes: SKIP_DUMP_BYTES,
    // --lenient reads every line now: a broken one is said among the rest, not when a trace reaches it.
    lazy: _opts.lenient
      ? undefined
      : typeof _opts.lazyFlows === 'number'
        ? _opts.lazyFlows
        : _opts.lazyFlows
          ? LAZY_DUMP_BYTES
          : undefined,
    size: (f) => statSync(f.path).size,
  };
  // Each file through its kind's reader (sources/readers.ts), phase by phase.
  const interfacesListed = files.some(
    (f) =>
      f.kind.kind === 'conf-db' ||
      f.kind.kind === 'ovsdb-dump' ||
      (f.kind.kind === 'monitor' && f.kind.table === 'Interface') ||
      (f.kind.kind === 'vsctl-list' && f.kind.table === 'Interface' && !f.filtered),
  );
  const read = (f: HostFile): void => {
    const rd = READERS[f.kind.kind] as Reader<Kind, unknown>;
    let partial: number | undefined;
    let toolErrors = false;
    let excerpt: number | undefined;
    let elisions: readonly number[] = [];
    let stripped: string | undefined;
    let pastedText = false;
    let end: string | undefined;
    const x: ReadContext = {
      host: name,
      b,
      file: f,
      diagnostics,
      dumps,
      text: () => {
        if (stripped !== undefined) return stripped;
        const raw = readText(f.path, f.rel, _opts.lenient ?? false, (d) => push(f.rel, [d]));
        const pasted = f.sniffed || (!/(?:^|\/)sos_commands\//.test(f.rel) && raw.length <= MAX_SNIFF_BYTES);
        if (VERBATIM.has(f.kind.kind)) {
          stripped = raw;
          // A pasted log or agent file read verbatim may still be an excerpt (`...`, `[snip]`).
          if (pasted) {
            // The DHCP agent's files start every line at the margin: a common indent is the paste's.
            const r = repairPaste(raw, { elisionsOnly: true, indent: f.kind.kind.startsWith('dhcp-') });
            push(f.rel, r.diagnostics);
            excerpt = r.excerpt;
            elisions = r.elisions ?? [];
            stripped = r.text;
          }
        } else if (f.kind.kind === 'dump-flows' && !pasted) {
          // A dump as the command wrote it: its reader says other tools' error lines itself, among
          // the lines that are no flow (a 40 MB dump is not searched for them apart).
          stripped = raw;
        } else {
          // Another tool's error lines are diagnostics; the rest of the text is read as usual.
          const t = stripToolErrors(raw);
          push(f.rel, t.diagnostics);
          partial = t.partial;
          toolErrors = t.diagnostics.length > 0;
          stripped = t.text;
          // A pasted output (not one sos wrote): what the paste did to it is undone first.
          if (f.sniffed || (!/(?:^|\/)sos_commands\//.test(f.rel) && stripped.length <= MAX_SNIFF_BYTES)) {
            pastedText = true;
            const r = repairPaste(stripped, {
              flows: f.kind.kind === 'dump-flows',
              comments: f.kind.kind === 'vsctl-show',
              vsctlShow: f.kind.kind === 'vsctl-show',
            });
            push(f.rel, r.diagnostics);
            excerpt = r.excerpt;
            elisions = r.elisions ?? [];
            // A wrapped dump record refused (blanked, never read as flows): flows are missing.
            partial ??= r.refused;
            stripped = r.text;
          }
        }
        // A bridge's dump in the form that prints a header, without it: lines were left out above
        // its first flow (a poster's excerpt with no marker), so its table misses prove nothing. A
        // file named for one table (or a filter) keeps the reading its name gives: one table asked
        // for whole, its header commonly dropped when tables are pasted one after another.
        if (f.kind.kind === 'dump-flows' && excerpt === undefined && f.filtered === undefined) {
          const at = headerCutAt(stripped);
          if (at !== undefined) {
            excerpt = at;
            push(f.rel, [
              diag(
                'warning',
                at,
                'header-missing',
                'no `NXST_FLOW reply` line above the first flow, though its flows are in the form that prints one (idle_age=): lines were left out above it, read as an excerpt',
              ),
            ]);
          }
        }
        return stripped;
      },
      partial: () => partial,
      toolErrors: () => toolErrors,
      // A file whose name says it was filtered (and was read so) is an excerpt from its first line.
      // One table's dump (`table=N`) holds all of that table: not an excerpt (BridgeFlows.tables
      // says which tables the bridge's flows hold), unless its flows say otherwise (readers.ts).
      excerpt: () =>
        excerpt ?? (f.filtered?.read !== undefined && f.filtered.cut !== undefined ? 1 : undefined),
      elisions: () => elisions,
      pasted: () => pastedText,
      interfacesListed: () => interfacesListed,
      cutAtEnd: (line, why) => {
        if (excerpt === undefined) end = why;
        excerpt ??= line;
        elisions = [...elisions, line];
      },
      bridgeOf: (bridge) => bridgeOf(f, bridge),
      addRows: (rows, defaults) => addRows(nameRows(f, rows), f.rel, defaults),
      read,
    };
    const parsed = rd.parse(x, f.kind);
    if (!parsed) return;
    b.host.files.push(f.rel);
    push(f.rel, parsed.diagnostics);
    rd.apply(parsed.value, x, f.kind);
    const cut = parsed.diagnostics.find((d) => d.code === 'truncated')?.line ?? partial;
    // The host's bridges, ports and interfaces, whole: an excerpt of them hides nothing then.
    // (A file filtered by its name is an excerpt too: x.excerpt().)
    if (WHOLE_INVENTORY.has(f.kind.kind) && x.excerpt() === undefined && cut === undefined)
      wholeInventory = true;
    // An excerpt: the host says which output, so that no check asserts what it leaves out.
    const cutAt = x.excerpt();
    const spec =
      cutAt === undefined
        ? undefined
        : excerptOf(f.kind, f.rel, bridgeOfValue(parsed.value, f.kind), tableOfValue(parsed.value), b.host);
    if (spec) {
      const filter =
        excerpt === undefined && f.filtered ? { filter: f.filtered.cut ?? f.filtered.filter } : {};
      const ended = end !== undefined ? { end } : {};
      b.host.excerpts = [
        ...(b.host.excerpts ?? []),
        { ...spec, file: f.rel, line: cutAt!, ...filter, ...ended },
      ];
      // A ps listing says what runs, never what does not (no check reads an absence from it): its
      // excerpt is said (markFiltered, repairPaste), not a gap to collect.
      if (f.kind.kind !== 'ps')
        b.host.gaps.push(
          excerpt === undefined && f.filtered
            ? `${f.rel} is filtered (\`${f.filtered.cut ?? f.filtered.filter}\`): what it does not show is unknown (collect the whole \`${spec.collect}\`)`
            : `${f.rel} is an excerpt (${excerptCut({ line: excerpt!, ...ended })}): what it does not show is unknown (collect the whole \`${spec.collect}\`)`,
        );
    }
    // An OVS state output cut short (its last record unfinished, or a tool error after part of
    // it): what precedes is used, and the host says what is missing. A dump says it in its flows.
    if (!CRITICAL.has(f.kind.kind) || f.kind.kind === 'dump-flows') return;
    if (cut !== undefined)
      b.host.gaps.push(
        `${f.rel} is cut short at line ${cut}: what the command would have printed after it is missing`,
      );
  };
  let wholeInventory = false;
  for (const phase of PHASES) {
    if (phase === 'rows') {
      for (const kind of ROW_ORDER) for (const f of files) if (f.kind.kind === kind) read(f);
      b.applyRows(store);
      continue;
    }
    for (const f of files) if (READERS[f.kind.kind].phase === phase) read(f);
  }
  if (files.length === 0) b.host.gaps.push('no file vifpath can read in this host folder');
  perTableNote(b.host, diagnostics);
  // The host's bridges, ports and interfaces are known only from excerpts when no whole output
  // lists them: an excerpted `ovs-ofctl show` (ports by name) counts then too.
  if (wholeInventory && b.host.excerpts) {
    b.host.excerpts = b.host.excerpts.filter((e) => e.of !== 'ovsdb');
    if (b.host.excerpts.length === 0) delete b.host.excerpts;
  } else if (b.host.excerpts && !b.host.excerpts.some((e) => e.of === 'ovsdb')) {
    const ports = b.host.excerpts.find((e) => e.of === 'ofctl-show');
    if (ports)
      b.host.excerpts.push({ of: 'ovsdb', file: ports.file, line: ports.line, collect: 'ovs-vsctl show' });
  }
  return b.finish();
}

/**
 * A bridge whose flows come from per-table dumps: said once (which files, which tables), and the
 * host's gap names what is unknown: every other table (the whole dump settles it).
 */
function perTableNote(h: Host, diagnostics: FileDiagnostic[]): void {
  const tablesText = (ts: readonly number[]): string => `table${ts.length === 1 ? '' : 's'} ${ts.join(', ')}`;
  for (const br of h.bridges) {
    const f = br.flows.known ? br.flows.value : undefined;
    if (!f?.tables) continue;
    const own = f.tables.filter((t) => !t.bridgeDump);
    const shown = f.tables.filter((t) => t.bridgeDump).map((t) => t.table);
    const cut = own.filter((t) => !t.complete).map((t) => t.table);
    // The bridge's dump beside them, not whole (HostBuilder.mergeBridgeDump): what it adds, if anything.
    const bridgeFile =
      f.tables.find((t) => t.bridgeDump)?.file ??
      f.alternatives.find((a) => a.why === BRIDGE_DUMP_UNUSED)?.file;
    const how =
      bridgeFile === undefined
        ? ''
        : h.excerpts?.some((x) => x.of === 'flows' && x.file === bridgeFile)
          ? 'an excerpt'
          : 'incomplete (cut short or unreadable lines)';
    const beside =
      bridgeFile === undefined
        ? ''
        : shown.length
          ? `; ${tablesText(shown)} only as ${bridgeFile} shows ${shown.length === 1 ? 'it' : 'them'}: the bridge's dump, ${how}, so not whole`
          : `; ${bridgeFile}, the bridge's dump, is ${how}: every table it shows is read from that table's own dump`;
    const files = own.map((t) => t.file);
    diagnostics.push({
      file: (own[0] ?? f.tables[0]!).file,
      line: 0,
      severity: 'info',
      code: 'per-table',
      message: `${br.name}'s flows read from ${own.length === 1 ? 'a dump of one table' : `${own.length} dumps of one table each`} (\`ovs-ofctl dump-flows ${operands(br.name)} table=N\`: ${files.join(', ')}): ${tablesText(own.map((t) => t.table))} as dumped${cut.length ? ` (${cut.length === 1 ? `table ${cut[0]}'s dump is` : `tables ${cut.join(', ')}: their dumps are`} not whole)` : ''}${beside}${beside ? ';' : ','} any other table unknown`,
    });
    h.gaps.push(
      `bridge ${br.name}: flows of ${tablesText(own.map((t) => t.table))} only (per-table dumps${cut.length ? `; ${tablesText(cut)} incomplete` : ''}${shown.length ? `; ${tablesText(shown)} only from the bridge's dump, ${how}` : ''}): any other table's flows are unknown (collect the whole \`${dumpFlowsCommand(h, br.name)}\`)`,
    );
  }
}

/** A name-classified per-bridge or per-record output whose name carries a filter: noted on the file. */
function markFiltered(f: HostFile, diagnostics: FileDiagnostic[]): void {
  const k = f.kind;
  // `ps auxww | grep <net>`: the lines the filter kept, an excerpt of the listing (said).
  if (k.kind === 'ps') {
    const bn = basename(f.path);
    const snap = snapOf(bn);
    const name = snap === undefined ? bn : bn.slice(snap.length + 1);
    const fl = filteredName(name, false);
    const cmd = fl && psCommand(fl.before);
    if (!fl || cmd === undefined) return;
    f.filtered = { ...fl, read: cmd };
    diagnostics.push({
      file: f.rel,
      line: 0,
      severity: 'warning',
      code: 'filtered',
      message: `read as an excerpt of \`${cmd}\` (\`${fl.filter}\` after it is the filter its output went through): the processes it shows are read, what it does not show is unknown`,
    });
    return;
  }
  if (k.kind === 'ofctl-show' || k.kind === 'dump-flows') {
    if (k.bridge === undefined) return;
    const fl = filteredName(k.bridge, k.kind === 'dump-flows');
    if (fl) f.filtered = fl;
  } else if (k.kind === 'vsctl-show') {
    // `ovs-vsctl show | grep …`: the lines the filter kept; nothing it dropped is asserted
    // (readers.ts unknownWhereCut: no default fail_mode, tag, type or options).
    const m = /^ovs-vsctl(?:_-t_\d+)?_show_(.+)$/.exec(basename(f.path));
    const fl = m ? filteredName(`show_${m[1]}`, false) : undefined;
    if (!fl) return;
    f.filtered = { ...fl, read: 'ovs-vsctl show' };
    diagnostics.push({
      file: f.rel,
      line: 0,
      severity: 'warning',
      code: 'filtered',
      message: `read as an excerpt of \`ovs-vsctl show\` (\`${fl.filter}\` after it is the filter its output went through): the lines it kept are read; every fact it does not show (a bridge, port or interface, a fail_mode, tag, type or options) is unknown, none taken as absent or default`,
    });
  } else if (k.kind === 'vsctl-list') {
    const m = /_list_(?:bridge|port|interface|open_vswitch|controller|manager)_(.+)$/i.exec(basename(f.path));
    const fl = m ? filteredName(m[1]!, false) : undefined;
    if (fl) f.filtered = fl;
  }
}

/** The one table a per-table flow dump was read as (readers.ts parseFlowsFile). */
function tableOfValue(value: unknown): number | undefined {
  const v = value as { table?: unknown } | undefined;
  return typeof v?.table === 'number' ? v.table : undefined;
}

/** Outputs that list every bridge, port and interface of the host. */
const WHOLE_INVENTORY: ReadonlySet<string> = new Set(['vsctl-show', 'conf-db', 'ovsdb-dump']);

/** The bridge a per-bridge output was placed on (as its reader resolved it). */
function bridgeOfValue(value: unknown, k: HostFile['kind']): string | undefined {
  const v = value as { bridge?: unknown } | undefined;
  if (typeof v?.bridge === 'string') return v.bridge;
  return 'bridge' in k ? k.bridge : undefined;
}

/**
 * Whether a wire's end names nothing of host `h`: no bridge, OVS port or interface, kernel device
 * of the host or of its namespaces; said only when that is proven: the host's interface list is in
 * the case, or the name is an unlikely one (over 15 bytes, which Linux refuses, a '/', ':' or space,
 * which it refuses too, or a control character), since a host without its interface list may have a
 * kernel device the case does not show (the seed's domu:eth1).
 */
function unknownEnd(h: Host, iface: string): boolean {
  const names = new Set<string>();
  for (const b of h.bridges) {
    names.add(b.name);
    for (const p of b.ports) {
      names.add(p.name);
      for (const i of p.interfaces ?? []) names.add(i.name);
    }
  }
  for (const i of h.unplacedInterfaces) names.add(i.name);
  for (const p of h.unplacedPorts ?? []) {
    names.add(p.name);
    for (const i of p.interfaces ?? []) names.add(i.name);
  }
  for (const d of h.devices ?? []) names.add(d.name);
  for (const n of h.namespaces) for (const d of n.devices ?? []) names.add(d.name);
  if (names.has(iface)) return false;
  const impossible = Buffer.byteLength(iface) > 15 || /[/:\s\x00-\x1f\x7f]/.test(iface);
  return h.devices !== undefined || impossible;
}

function readLinks(
  caseDir: string,
  hosts: Host[],
  diagnostics: FileDiagnostic[],
  /** --links FILE (read wherever it is), or null: no wires given. */
  given?: string | null,
): Link[] {
  const links: Link[] = [];
  const lp = given ?? join(caseDir, 'links.txt');
  const file = given ?? 'links.txt';
  if (given !== null && existsSync(lp) && !statSync(lp).isFile() && !statSync(lp).isDirectory())
    diagnostics.push({
      file,
      line: 0,
      severity: 'warning',
      code: 'special-file',
      message: `${specialKind(statSync(lp))}, not a file: not read (no wires from it)`,
    });
  if (
    given !== null &&
    existsSync(lp) &&
    statSync(lp).isFile() &&
    (given !== undefined || resolvesInside(caseDir, lp))
  ) {
    const r = parseLinks(decodeText(readFileSync(lp)));
    for (const d of r.diagnostics) diagnostics.push({ ...d, file });
    // An interface on several lines is a shared L2 segment (README: a provider network seen by
    // several hosts), except where it cannot be: wired to two interfaces of one host, which would
    // loop that host to itself (`dom0:vif15.1 domu:eth1`, then `dom0:vif15.1 domu:eth0`). That is a
    // contradiction, refused naming both lines, never both wires kept in silence.
    const ends = new Map<string, { line: number; peer: { host: string; iface: string } }[]>();
    const endText = (e: { host: string; iface: string }): string => `${e.host}:${e.iface}`;
    for (const l of r.value) {
      let same = false;
      for (const [e, peer] of [
        [l.a, l.b],
        [l.b, l.a],
      ] as const) {
        const key = endText(e);
        const before = ends.get(key) ?? [];
        if (before.some((x) => endText(x.peer) === endText(peer))) {
          same = true;
          continue;
        }
        const clash = before.find((x) => x.peer.host === peer.host);
        if (clash)
          throw new InputError(
            `${key} is wired twice: to ${endText(clash.peer)} (line ${clash.line}) and to ${endText(peer)} (line ${l.line}); a wire to two interfaces of ${peer.host} would loop it to itself (a segment shared by several hosts is written one line per host): keep the true wire`,
            file,
            l.line,
          );
        ends.set(key, [...before, { line: l.line, peer }]);
      }
      // The same wire again says nothing new: one wire.
      if (same) continue;
      for (const e of [l.a, l.b]) {
        const h = hosts.find((x) => x.name === e.host);
        if (!h)
          diagnostics.push({
            file,
            line: l.line,
            severity: 'warning',
            code: 'unknown-host',
            message: `no host folder "${e.host}" in the case`,
          });
        else if (unknownEnd(h, e.iface))
          diagnostics.push({
            file,
            line: l.line,
            severity: 'warning',
            code: 'unknown-port',
            message: `host ${e.host} has no port or interface "${e.iface}" in the case${h.devices === undefined ? " (a name with a control character, '/', ':' or a space, or over 15 bytes: mistyped?)" : ' (neither OVS nor its interface list shows it)'}`,
          });
      }
      links.push({ a: l.a, b: l.b, from: ev(file, l.line), inferred: false });
    }
  }
  // XenServer: Dom0's vif<domid>.<n> is the DomU's eth<n>. One pass over the ports with the
  // domids and the wired ends in maps: linear in hosts + ports + links (2,000 hosts took 75 s
  // when every DomU scanned every host's ports and every link).
  const byDomid = new Map<number, Host[]>();
  for (const h of hosts)
    if (h.domid !== undefined) byDomid.set(h.domid, [...(byDomid.get(h.domid) ?? []), h]);
  if (byDomid.size === 0) return links;
  const wired = new Set<string>();
  for (const l of links) wired.add(`${l.a.host}\0${l.a.iface}`).add(`${l.b.host}\0${l.b.iface}`);
  for (const dom0 of hosts)
    for (const br of dom0.bridges)
      for (const p of br.ports) {
        const m = /^vif(\d+)\.(\d+)$/.exec(p.name);
        if (!m) continue;
        for (const domu of byDomid.get(Number(m[1])) ?? []) {
          if (domu === dom0 || wired.has(`${dom0.name}\0${p.name}`)) continue;
          const domidFile =
            domu.files.find((f) => f.endsWith('xenstore-read_domid')) ?? 'xenstore-read_domid';
          wired.add(`${dom0.name}\0${p.name}`);
          links.push({
            a: { host: dom0.name, iface: p.name },
            b: { host: domu.name, iface: `eth${m[2]}` },
            from: ev(domidFile, 1),
            inferred: true,
          });
        }
      }
  return links;
}

/** `diagnose --pcap host:file`: captures taken outside the case, attached to a host of it. */
export function addCaptures(s: Snapshot, specs: readonly string[]): void {
  for (const spec of specs) {
    const i = spec.indexOf(':');
    const host = s.hosts.find((h) => h.name === spec.slice(0, i));
    const file = spec.slice(i + 1);
    if (i <= 0 || !host)
      throw new InputError(
        `--pcap wants <host>:<file> with a host of the case (${s.hosts.map((h) => h.name).join(', ')})`,
        spec,
      );
    if (!existsSync(file)) throw new InputError('no such capture file', file);
    // Never opened unless a file (a FIFO blocks, /dev/zero never ends).
    const st = statSync(file);
    if (!st.isFile()) throw new InputError(`--pcap: ${specialKind(st)}: not a capture file`, file);
    const r = dhcpSightingsFile(file, file, `${host.name}:${basename(file).replace(/\.pcap(ng)?$/, '')}`);
    const bad = r.diagnostics.find((d) => d.severity === 'corrupt');
    if (bad) throw new InputError(bad.message, file, bad.line || undefined);
    host.captures = [
      ...(host.captures ?? []),
      { file, point: `${host.name}:${basename(file).replace(/\.pcap(ng)?$/, '')}`, sightings: r.sightings },
    ];
  }
}
