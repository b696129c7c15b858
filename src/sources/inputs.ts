// What the command line names, as cases. A case directory (a folder of host folders) is a case of
// its own, as always. Sosreports (archives or trees), host folders and `sos collect` bundles given
// together form ONE case: each host named by the sosreport's own hostname file (the first label, as
// live targets are named by `hostname`), else by its folder or archive name; `NAME=PATH` names a
// host explicitly. Two inputs that are the same host are bad input (exit 2), never merged or
// renamed behind the operator's back. Wires come from `--links FILE`.
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { FileDiagnostic, Snapshot } from '../model/snapshot.ts';
import { removeTempDir } from '../runner/cleanup.ts';
import {
  ARCHIVE,
  type CaseHost,
  isSosTree,
  type Reading,
  type ReadOptions,
  readCase,
  readCaseSteps,
  runAsync,
  runSync,
  unpackStep,
} from './case-dir.ts';
import { InputError } from './errors.ts';
import { shortHostName, sosHostName } from './host-name.ts';
import { specialKind } from './walk.ts';

export interface InputOptions extends ReadOptions {
  /** `--links FILE`: the wires between the hosts. */
  links?: string;
}

/** One case to read: its name (what `diagnose --json` calls it) and how to read it. */
export interface PlannedCase {
  name: string;
  load: () => Snapshot;
  /** The same reading, its archives unpacked by runSync or runAsync (case-dir.ts). */
  steps: () => Reading<Snapshot>;
}

type Input =
  | { kind: 'case'; path: string }
  | { kind: 'host'; path: string; name?: string }
  | { kind: 'bundle'; path: string; name?: string };

/** `dom0=path`: an explicit host name (only when `dom0=path` is not itself a path). */
const NAMED = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,62})=(.+)$/s;

/** What sos collect writes beside the nodes' sosreports (sos/collector/__init__.py). */
const BUNDLE_MARKERS = ['sos_logs', 'sos_reports'];
const SOSREPORT = /^sosreport-/;

function isDir(p: string): boolean {
  return statSync(p).isDirectory();
}

/**
 * A folder that sos collect wrote (unpacked): node sosreports beside sos_logs/ or sos_reports/; or
 * any folder holding two sosreports or more (trees or archives), as one is left after unpacking
 * them side by side: each is a host, never one host merged from all.
 */
export function isCollectBundle(dir: string): boolean {
  if (!isDir(dir)) return false;
  const entries = readdirSync(dir);
  const nodes = entries.filter(
    (e) =>
      SOSREPORT.test(e) &&
      !/\.(?:sha256|md5)$/.test(e) &&
      (ARCHIVE.test(e) || (isDir(join(dir, e)) && existsSync(join(dir, e, 'sos_commands')))),
  );
  if (nodes.length >= 2) return true;
  return (
    entries.some((e) => SOSREPORT.test(e) && (ARCHIVE.test(e) || isDir(join(dir, e)))) &&
    (entries.some((e) => BUNDLE_MARKERS.includes(e) && isDir(join(dir, e))) ||
      basename(dir).startsWith('sos-collector-'))
  );
}

/** The folder of an unpacked bundle archive that holds the nodes: itself or its one top folder. */
function bundleRoot(dir: string): string {
  if (isCollectBundle(dir)) return dir;
  const subs = readdirSync(dir).filter((e) => !e.startsWith('.') && isDir(join(dir, e)));
  for (const s of subs) if (isCollectBundle(join(dir, s))) return join(dir, s);
  throw new InputError(
    'not a sos collect bundle: no sosreport-* archives beside sos_logs/ or sos_reports/',
    dir,
  );
}

/** A folder that is one host: a sosreport tree, or a flat folder of files (no sub-folders, no archives). */
function isHostFolder(dir: string): boolean {
  if (isSosTree(dir)) return true;
  const entries = readdirSync(dir).filter((e) => !e.startsWith('.'));
  return (
    entries.length > 0 &&
    entries.every((e) => {
      const st = lstatSync(join(dir, e));
      // A FIFO, socket or device among the outputs is named by the walk, not read.
      return (
        (st.isFile() && !ARCHIVE.test(e)) ||
        st.isFIFO() ||
        st.isSocket() ||
        st.isCharacterDevice() ||
        st.isBlockDevice()
      );
    }) &&
    entries.some((e) => lstatSync(join(dir, e)).isFile())
  );
}

/** tar (ustar at 257), gzip, xz, bzip2, zstd: what a sosreport or sos collect archive starts with. */
function looksLikeArchive(path: string): boolean {
  const head = Buffer.alloc(262);
  let n = 0;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    n = readSync(fd, head, 0, head.length, 0);
  } catch {
    return true; // unreadable: let the reader say why
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const b = head.subarray(0, n);
  const starts = (...xs: number[]): boolean => xs.every((x, i) => b[i] === x);
  return (
    starts(0x1f, 0x8b) ||
    starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00) ||
    starts(0x42, 0x5a, 0x68) ||
    starts(0x28, 0xb5, 0x2f, 0xfd) ||
    b.toString('latin1', 257, 262) === 'ustar'
  );
}

/**
 * A file given where a case is expected must be an archive (a sosreport, a sos collect tarball),
 * by its name or its first bytes: any other file (links.txt, one pasted output) is bad input
 * saying what is expected, not a failed unpack.
 */
export function checkCaseFile(path: string): void {
  if (!existsSync(path) || isDir(path)) return;
  // Never opened to look (a FIFO blocks): a FIFO, socket or device is no case.
  const st = statSync(path);
  if (!st.isFile())
    throw new InputError(
      `${path} is ${specialKind(st)}, not a case folder, sosreport archive or sos collect bundle`,
    );
  if (ARCHIVE.test(path) || looksLikeArchive(path)) return;
  throw new InputError(
    `${path} is a file, not a case folder, sosreport archive or sos collect bundle (expected a case folder with one folder per host, a sosreport tree or .tar.xz/.tar.gz/.tar.bz2 archive, or a folder of command outputs${basename(path) === 'links.txt' ? `; the case is its folder, ${dirname(path)}` : ''})`,
  );
}

function classify(arg: string): Input {
  let path = arg;
  let name: string | undefined;
  const m = NAMED.exec(arg);
  if (m && !existsSync(arg)) {
    name = m[1]!;
    path = m[2]!;
  }
  if (!existsSync(path)) throw new InputError('no such case directory, sosreport or file', path);
  checkCaseFile(path);
  if (!isDir(path)) {
    // sos collect names its tarball sos-collector-…; a sosreport is sosreport-…; else look inside.
    if (basename(path).startsWith('sos-collector-'))
      return { kind: 'bundle', path, ...(name ? { name } : {}) };
    return { kind: 'host', path, ...(name ? { name } : {}) };
  }
  if (isCollectBundle(path)) return { kind: 'bundle', path, ...(name ? { name } : {}) };
  if (isHostFolder(path) || name !== undefined) return { kind: 'host', path, ...(name ? { name } : {}) };
  return { kind: 'case', path };
}

/** The name a host gets when nothing inside says it: its folder or archive name. */
const folderName = (path: string): string => basename(path).replace(ARCHIVE, '');

/**
 * The node name sos collect gives a node's archive (`sosreport-compute01-2024-03-03-aaaaaaa.tar.xz`
 * → compute01): the name it reached the node by, whatever the node calls itself.
 */
export function nodeNameOf(archive: string): string | undefined {
  const m = /^sosreport-(.+?)-\d{4}-\d{2}-\d{2}-[A-Za-z0-9]+$/.exec(folderName(archive));
  return m ? shortHostName(m[1]!) : undefined;
}

/** The hosts of one case given one by one: names decided as each is opened, duplicates refused. */
class HostNames {
  private readonly taken = new Map<string, string>();
  constructor(
    explicit: readonly { name: string; path: string }[],
    private readonly said: (d: FileDiagnostic) => void = () => {},
  ) {
    for (const e of explicit) this.claim(e.name, e.path, 'named on the command line');
  }
  private claim(name: string, path: string, how: string, bundle?: string): string {
    const other = this.taken.get(name);
    if (other !== undefined) {
      // A node of a sos collect bundle cannot be named on the command line: advice it can follow.
      const advice = bundle
        ? isDir(bundle)
          ? `give each host once: the bundle's node archives one by one instead of ${bundle}, each named if need be (NAME=PATH)`
          : `extract ${bundle} (tar xf) and give each host once: its node archives one by one, each named if need be (NAME=PATH)`
        : 'give each host once, or name them on the command line: NAME=PATH';
      throw new InputError(`two inputs are host "${name}" (${how}): ${other} and ${path}; ${advice}`, path);
    }
    this.taken.set(name, path);
    return name;
  }
  /**
   * For readCase: the sosreport's own hostname file, else the folder or archive name. A node of a
   * sos collect bundle (`bundle`: the bundle as given) whose hostname another host of the case
   * has, or says only `localhost`, is named by its archive's node name, said.
   */
  namer(path: string, explicit: string | undefined, bundle?: string): CaseHost['name'] {
    if (explicit !== undefined) return explicit;
    return (root: string) => {
      const own = sosHostName(root);
      if (!own)
        return this.claim(folderName(path), path, 'by its folder or archive name: no hostname file in it');
      const node = bundle !== undefined ? nodeNameOf(path) : undefined;
      if (node !== undefined && node !== own.name && (own.name === 'localhost' || this.taken.has(own.name))) {
        const why =
          own.name === 'localhost'
            ? `its ${own.file} says only "localhost"`
            : `its ${own.file} says "${own.name}", as ${this.taken.get(own.name)} does`;
        const name = this.claim(node, path, 'by the node name sos collect gave its archive', bundle);
        this.said({
          file: path,
          line: 0,
          severity: 'warning',
          code: 'host-named-by-node',
          message: `host named ${name}, the node name sos collect gave its archive: ${why}`,
        });
        return name;
      }
      return this.claim(own.name, path, `by its ${own.file}`, bundle);
    };
  }
}

/** The nodes of a bundle folder: its sosreport archives and trees (sos_logs/, sos_reports/ are not hosts). */
function bundleHosts(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .filter((e) => SOSREPORT.test(e) && !e.endsWith('.sha256') && !e.endsWith('.md5'))
    .map((e) => join(dir, e))
    .filter((p) => (isDir(p) ? isSosTree(p) : ARCHIVE.test(p)));
}

/** The folder evidence paths are relative to: the inputs' common parent. */
function commonDir(paths: readonly string[]): string {
  const parts = paths.map((p) => dirname(resolve(p)).split(sep));
  const first = parts[0]!;
  let n = first.length;
  for (const p of parts) {
    let i = 0;
    while (i < n && i < p.length && p[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join(sep) || sep;
}

/** Read hosts and bundles as one case (bundle archives unpacked here, removed once read). */
function* readTogether(inputs: readonly Input[], name: string, opts: InputOptions): Reading<Snapshot> {
  const unpacked: string[] = [];
  const diagnostics: FileDiagnostic[] = [];
  try {
    const hosts: { path: string; name?: string; bundle?: string }[] = [];
    for (const i of inputs) {
      if (i.kind === 'host') hosts.push({ path: i.path, ...(i.name ? { name: i.name } : {}) });
      else if (i.kind === 'bundle') {
        let dir = i.path;
        if (!isDir(dir)) {
          dir = yield* unpackStep(dir, opts, diagnostics);
          unpacked.push(dir);
        }
        const nodes = bundleHosts(bundleRoot(dir));
        if (nodes.length === 0)
          throw new InputError('a sos collect bundle without any node sosreport (sosreport-*)', i.path);
        for (const n of nodes) hosts.push({ path: n, bundle: i.path });
      }
    }
    const names = new HostNames(
      hosts.filter((h) => h.name !== undefined) as { name: string; path: string }[],
      (d) => diagnostics.push(d),
    );
    const where = (p: string): string => {
      for (const u of unpacked) if (p.startsWith(u + sep)) return p.slice(u.length + 1);
      return p;
    };
    const snap = yield* readCaseSteps(commonDir(hosts.map((h) => h.path)), {
      ...opts,
      hosts: hosts.map((h) => ({ path: h.path, name: names.namer(where(h.path), h.name, h.bundle) })),
      links: opts.links ?? null,
    });
    return { ...snap, source: name, diagnostics: [...diagnostics, ...snap.diagnostics] };
  } finally {
    for (const u of unpacked) removeTempDir(u);
  }
}

/**
 * The cases the arguments name. Case directories: one case each (as `readCase`). Everything else
 * (sosreports, host folders, sos collect bundles): together one case named by the arguments.
 * Mixing both is a usage error.
 */
export function planCases(args: readonly string[], opts: InputOptions = {}): PlannedCase[] {
  if (opts.links !== undefined && !(existsSync(opts.links) && statSync(opts.links).isFile()))
    throw new InputError(
      existsSync(opts.links)
        ? `--links: ${specialKind(statSync(opts.links))}, not a file of wires (hostA:iface hostB:iface a line)`
        : '--links: no such file',
      opts.links,
    );
  const inputs = args.map(classify);
  const cases = inputs.filter((i) => i.kind === 'case');
  if (cases.length === inputs.length)
    return cases.map((c) => ({
      name: c.path,
      load: () => readCase(c.path, opts),
      steps: () => readCaseSteps(c.path, opts),
    }));
  if (cases.length > 0)
    throw new InputError(
      'give case directories (each its own case) or sosreports, host folders and sos collect bundles (together one case), not both',
      cases[0]!.path,
    );
  const name = args.join(' ');
  return [
    {
      name,
      load: () => runSync(readTogether(inputs, name, opts)),
      steps: () => readTogether(inputs, name, opts),
    },
  ];
}

/** Every case the arguments name, read now. */
export function readInputs(args: readonly string[], opts: InputOptions = {}): Snapshot[] {
  return planCases(args, opts).map((c) => c.load());
}

/**
 * readInputs for the CLI: archives are unpacked by child processes the event loop waits on, so a
 * signal reaches vifpath while tar runs, and ends tar (and its gzip) with it.
 */
export async function readInputsAsync(args: readonly string[], opts: InputOptions = {}): Promise<Snapshot[]> {
  const snaps: Snapshot[] = [];
  for (const c of planCases(args, opts)) snaps.push(await runAsync(c.steps()));
  return snaps;
}
