// Fleets (issue 20): a case of hundreds of hosts is never held whole. A host index comes first,
// from file names and the small OVSDB outputs only: which hosts are wired together (links.txt),
// which hold a DHCP server (a qdhcp namespace), which mention a VM. A VM's diagnosis then reads
// only its group: the hosts wired to its host, plus the DHCP servers' hosts when the group has
// none; bridges are compiled on demand by the trace (dataplane/world.ts). `--all-vms` diagnoses the
// groups one after the other, a few at a time per worker thread, one line per VM.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ExitCode, VifpathError } from '../errors/errors.ts';
import { findVms } from '../model/roles.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { parseLinks } from '../parse/links.ts';
import { projectPath } from '../paths.ts';
import { removeTempDir, tempDir, trackGroup } from '../runner/cleanup.ts';
import {
  ARCHIVE,
  type Reading,
  type ReadOptions,
  readCaseSteps,
  runAsync,
  runSync,
} from '../sources/case-dir.ts';
import { diagnose } from './diagnose.ts';
import type { Verdict } from './finding.ts';

/** From this many host folders on, `diagnose --vm` reads only the VM's group. */
export const FLEET_MIN_HOSTS = 16;
/** Hosts read together by one worker at a time for --all-vms (groups are never split). */
export const FLEET_CHUNK_HOSTS = 24;

export interface FleetHost {
  name: string;
  path: string;
  /** A qdhcp namespace shows in its file names or its `ip netns` output. */
  server: boolean;
  /** The text of its small OVSDB outputs (vsctl show/list, ovsdb-client), lower case, for --vm. */
  ovsdbText: () => string;
}

export interface FleetIndex {
  caseDir: string;
  hosts: FleetHost[];
  /** Connected components of links.txt; a host without wires is a group of its own. */
  groups: string[][];
  /** links.txt's wires by host, with their line numbers. */
  links: { a: string; b: string; n: number }[];
}

function walk(dir: string, out: string[], depth = 0): void {
  if (depth > 6) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isSymbolicLink()) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out, depth + 1);
    else if (e.isFile()) out.push(p);
  }
}

const OVSDB_FILE = /(?:^|\/)(?:[a-z0-9.-]+\.)?(?:ovs-vsctl|ovsdb-client)_[^/]*$/;

function hostOf(caseDir: string, name: string): FleetHost {
  const path = join(caseDir, name);
  const files: string[] = [];
  // An archive is not opened for the index: it is a group of its own, never a server of others.
  if (statSync(path).isDirectory()) walk(path, files);
  const server = files.some(
    (f) =>
      f.includes('qdhcp-') || (/(?:^|\/)ip_netns$/.test(f) && readFileSync(f, 'utf8').includes('qdhcp-')),
  );
  return {
    name,
    path,
    server,
    ovsdbText: () =>
      files
        .filter((f) => OVSDB_FILE.test(f) && statSync(f).size < 64 << 20)
        .map((f) => readFileSync(f, 'utf8').toLowerCase())
        .join('\n'),
  };
}

/** How many host folders the case has (without reading them). */
export function hostFolderCount(caseDir: string): number {
  if (!existsSync(caseDir) || !statSync(caseDir).isDirectory()) return 0;
  return readdirSync(caseDir, { withFileTypes: true }).filter(
    (e) => !e.name.startsWith('.') && (e.isDirectory() || (e.isFile() && ARCHIVE.test(e.name))),
  ).length;
}

export function fleetIndex(caseDir: string): FleetIndex {
  const names = readdirSync(caseDir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || (e.isFile() && ARCHIVE.test(e.name))))
    .map((e) => e.name)
    .sort();
  const hosts = names.map((n) => hostOf(caseDir, n));
  const byName = new Map(hosts.map((h) => [h.name.replace(ARCHIVE, ''), h]));
  const links: FleetIndex['links'] = [];
  const lf = join(caseDir, 'links.txt');
  if (existsSync(lf))
    for (const l of parseLinks(readFileSync(lf, 'utf8')).value)
      links.push({ a: l.a.host, b: l.b.host, n: l.line });
  // Union-find over the wires.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  for (const h of byName.keys()) parent.set(h, h);
  for (const l of links) if (parent.has(l.a) && parent.has(l.b)) parent.set(find(l.a), find(l.b));
  const groups = new Map<string, string[]>();
  for (const h of byName.keys()) {
    const r = find(h);
    const g = groups.get(r);
    if (g) g.push(h);
    else groups.set(r, [h]);
  }
  return { caseDir, hosts, groups: [...groups.values()], links };
}

/** The hosts a VM of `group` needs: the group, plus every DHCP server's host when it has none. */
export function withServers(ix: FleetIndex, group: readonly string[]): string[] {
  const server = new Set(ix.hosts.filter((h) => h.server).map((h) => h.name.replace(ARCHIVE, '')));
  if (group.some((h) => server.has(h))) return [...group];
  return [...group, ...[...server].filter((s) => !group.includes(s))];
}

/** The hosts `diagnose --vm FILTER` reads: the groups of hosts whose OVSDB outputs mention it. */
export function vmHosts(ix: FleetIndex, filter: string): string[] | undefined {
  const f = filter.toLowerCase();
  const hit = ix.hosts.filter((h) => h.ovsdbText().includes(f)).map((h) => h.name.replace(ARCHIVE, ''));
  if (hit.length === 0) return undefined;
  const out = new Set<string>();
  for (const g of ix.groups)
    if (g.some((h) => hit.includes(h))) for (const h of withServers(ix, g)) out.add(h);
  return [...out];
}

/**
 * Read only `hosts` of the case, with the wires between them: links.txt's other lines name hosts
 * of the fleet that are simply not read this time, which is no warning.
 */
export function readHosts(ix: FleetIndex, hosts: readonly string[], opts: ReadOptions = {}): Snapshot {
  return runSync(readHostsSteps(ix, hosts, opts));
}

/** readHosts, its archives unpacked by tar as a child a signal can end (the CLI's way). */
export function readHostsAsync(
  ix: FleetIndex,
  hosts: readonly string[],
  opts: ReadOptions = {},
): Promise<Snapshot> {
  return runAsync(readHostsSteps(ix, hosts, opts));
}

function* readHostsSteps(ix: FleetIndex, hosts: readonly string[], opts: ReadOptions): Reading<Snapshot> {
  const want = new Set(hosts);
  const fleet = new Set(ix.hosts.map((h) => h.name.replace(ARCHIVE, '')));
  const elsewhere = new Set(
    ix.links
      .filter((l) => fleet.has(l.a) && fleet.has(l.b) && !(want.has(l.a) && want.has(l.b)))
      .map((l) => l.n),
  );
  const hs = ix.hosts
    .filter((h) => want.has(h.name.replace(ARCHIVE, '')))
    .map((h) => ({ name: h.name.replace(ARCHIVE, ''), path: h.path }));
  const s = yield* readCaseSteps(ix.caseDir, { ...opts, hosts: hs });
  return {
    ...s,
    links: s.links.filter((l) => want.has(l.a.host) && want.has(l.b.host)),
    diagnostics: s.diagnostics.filter(
      (d) => !(d.code === 'unknown-host' && d.file === 'links.txt' && elsewhere.has(d.line)),
    ),
  };
}

export interface FleetVmResult {
  vm: string;
  host: string;
  verdict: Verdict;
  headline: string;
}

/** The part of `s` that is these hosts: their facts, the wires between them, their files' diagnostics. */
export function subCase(s: Snapshot, hosts: readonly string[]): Snapshot {
  const want = new Set(hosts);
  return {
    ...s,
    hosts: s.hosts.filter((h) => want.has(h.name)),
    links: s.links.filter((l) => want.has(l.a.host) && want.has(l.b.host)),
    diagnostics: s.diagnostics.filter((d) => {
      const top = d.file.split('/')[0]!;
      return !s.hosts.some((h) => h.name === top) || want.has(top);
    }),
  };
}

/** The hosts `groups` are read with: theirs and their DHCP servers'. */
function groupHosts(ix: FleetIndex, groups: readonly string[][]): string[] {
  const hosts = new Set<string>();
  for (const g of groups) for (const h of withServers(ix, g)) hosts.add(h);
  return [...hosts];
}

/**
 * Diagnose every VM of `groups`: their hosts (and the DHCP servers' hosts) are read together once,
 * each group is diagnosed on its own part of the case, as if it were a case of its own.
 */
export function diagnoseGroups(
  ix: FleetIndex,
  groups: readonly string[][],
  opts: ReadOptions = {},
): FleetVmResult[] {
  return diagnoseRead(ix, groups, readHosts(ix, groupHosts(ix, groups), opts));
}

/** diagnoseGroups, its archives unpacked by tar as a child a signal can end (the CLI's way). */
export async function diagnoseGroupsAsync(
  ix: FleetIndex,
  groups: readonly string[][],
  opts: ReadOptions = {},
): Promise<FleetVmResult[]> {
  return diagnoseRead(ix, groups, await readHostsAsync(ix, groupHosts(ix, groups), opts));
}

function diagnoseRead(ix: FleetIndex, groups: readonly string[][], all: Snapshot): FleetVmResult[] {
  const out: FleetVmResult[] = [];
  for (const g of groups) {
    const s = groups.length === 1 ? all : subCase(all, withServers(ix, g));
    for (const vm of findVms(s)) {
      if (!g.includes(vm.host.name)) continue;
      const ids = vm.port.interfaces[0]?.externalIds.known ? vm.port.interfaces[0].externalIds.value : {};
      const id = ids['iface-id'] ?? vm.mac ?? vm.port.name;
      const d = diagnose(s, { vm: id, each: true });
      out.push({ vm: vm.port.name, host: vm.host.name, verdict: d.verdict, headline: d.headline });
    }
  }
  return out;
}

/** Groups packed into chunks of about FLEET_CHUNK_HOSTS hosts, in host order. */
export function chunks(ix: FleetIndex, size = FLEET_CHUNK_HOSTS): string[][][] {
  const out: string[][][] = [];
  let cur: string[][] = [];
  let n = 0;
  for (const g of [...ix.groups].sort((a, b) => (a[0]! < b[0]! ? -1 : 1))) {
    if (n > 0 && n + g.length > size) {
      out.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(g);
    n += g.length;
  }
  if (cur.length) out.push(cur);
  return out;
}

export interface FleetDiagnosis {
  case: string;
  vms: FleetVmResult[];
}

/** 0 every VM healthy, 1 one has a problem, 3 none has but one is undecided (or there is no VM). */
export function fleetVerdict(d: FleetDiagnosis): Verdict {
  if (d.vms.some((v) => v.verdict === 'problem')) return 'problem';
  if (d.vms.length === 0 || d.vms.some((v) => v.verdict === 'undecided')) return 'undecided';
  return 'healthy';
}

/** What a worker needs of the index (functions do not cross threads). */
interface PlainIndex {
  caseDir: string;
  hosts: { name: string; path: string; server: boolean }[];
  groups: string[][];
  links: FleetIndex['links'];
}

export function indexFromPlain(p: PlainIndex): FleetIndex {
  return { ...p, hosts: p.hosts.map((h) => ({ ...h, ovsdbText: () => '' })) };
}

export type FleetRequest = { chunk: string[][] } | { done: true };
export type FleetReply =
  | { results: FleetVmResult[]; hosts: number }
  /** A child process group (tar) the worker started or saw end: the main thread records it. */
  | { child: number; running: boolean }
  | { error: string; exit?: ExitCode; file?: string; line?: number };

export interface FleetOptions extends ReadOptions {
  /** Worker threads (default: one per core); 0 or 1 diagnoses in this thread. */
  workers?: number;
  onProgress?: (hostsDone: number, hostsTotal: number, vms: number) => void;
}

/** Every VM of the fleet, one result each, in host order; worker threads share the groups. */
export async function diagnoseFleet(caseDir: string, o: FleetOptions = {}): Promise<FleetDiagnosis> {
  const ix = fleetIndex(caseDir);
  const cs = chunks(ix);
  const total = ix.hosts.length;
  const results: FleetVmResult[] = [];
  let done = 0;
  // Like diagnose of one case: big dumps read as indexes (--lenient reads every line).
  const read: ReadOptions = o.lenient ? { lenient: true } : { lazyFlows: true };
  const workers = Math.min(o.workers ?? (await import('node:os')).availableParallelism(), cs.length);
  if (workers <= 1) {
    for (const c of cs) {
      results.push(...(await diagnoseGroupsAsync(ix, c, read)));
      done += c.reduce((n, g) => n + g.length, 0);
      o.onProgress?.(done, total, results.length);
    }
  } else {
    const { Worker } = await import('node:worker_threads');
    const plain: PlainIndex = {
      caseDir,
      hosts: ix.hosts.map((h) => ({ name: h.name, path: h.path, server: h.server })),
      groups: ix.groups,
      links: ix.links,
    };
    let next = 0;
    const pool: InstanceType<typeof Worker>[] = [];
    // The workers' archives are unpacked in here: recorded by this thread, which alone sees signals.
    const tempBase = tempDir('vifpath-fleet-');
    try {
      await new Promise<void>((resolve, reject) => {
        let running = workers;
        // The first failure ends the run: every worker is stopped, the error is the command's.
        const fail = (e: Error): void => {
          reject(e);
          for (const w of pool) void w.terminate();
        };
        for (let i = 0; i < workers; i++) {
          const w = new Worker(projectPath('src', 'doctor', 'fleet-worker.mjs'), {
            workerData: { index: plain, read, tempBase },
          });
          pool.push(w);
          const feed = (): void => {
            const c = cs[next++];
            w.postMessage(
              c ? ({ chunk: c } satisfies FleetRequest) : ({ done: true } satisfies FleetRequest),
            );
          };
          w.on('message', (m: FleetReply) => {
            if ('child' in m) {
              trackGroup(m.child, m.running);
              return;
            }
            if ('error' in m) {
              fail(
                m.exit !== undefined ? new VifpathError(m.error, m.exit, m.file, m.line) : new Error(m.error),
              );
              return;
            }
            results.push(...m.results);
            done += m.hosts;
            o.onProgress?.(done, total, results.length);
            feed();
          });
          w.on('error', fail);
          w.on('exit', () => {
            if (--running === 0) resolve();
          });
          feed();
        }
      });
    } finally {
      removeTempDir(tempBase);
    }
  }
  results.sort((a, b) => (a.host === b.host ? (a.vm < b.vm ? -1 : 1) : a.host < b.host ? -1 : 1));
  return { case: caseDir, vms: results };
}
