// How each kind of file is read into a host: one entry per FileKind kind, `{ phase, parse, apply }`.
// The table is a mapped type over FileKind['kind'], so a kind without a reader is a type error.
// `parse` turns the file into a value (undefined: not read, e.g. a dump of an unknown bridge);
// `apply` puts that value into the host. The phases say the order the host is built in.
import { dhcpSightingsFile } from '../capture/analyze.ts';
import { ev, type Fact, unknown } from '../model/evidence.ts';
import { CutDumpEntry, DumpEntry } from '../model/flow-entry.ts';
import { dumpFlowsCommand } from '../model/ovs-version.ts';
import type { Excerpt, FileDiagnostic, Host } from '../model/snapshot.ts';
import { parseBrctlShow } from '../parse/brctl-show.ts';
import { parseConfDbFile } from '../parse/conf-db.ts';
import { isUdhcpc, parseUdhcpc } from '../parse/dhcp-client.ts';
import { countLines, diag, type Parsed } from '../parse/diagnostics.ts';
import { type FlowDump, parseDumpFlows } from '../parse/dump-flows.ts';
import { parseFdbShow } from '../parse/fdb-show.ts';
import { parseIfconfig } from '../parse/ifconfig.ts';
import { agentConfigOf, parseIni } from '../parse/ini.ts';
import { parseIpAddr } from '../parse/ip-addr.ts';
import { parseIpNetns } from '../parse/ip-netns.ts';
import {
  type OvnProcess,
  ovnFlowLine,
  ovsAgentFlowLine,
  parseOvnDbOutput,
  parseOvnLog,
  parseOvnProcesses,
  parseOvsAgentProcess,
} from '../parse/ovn.ts';
import { parseOfctlShow } from '../parse/ovs-ofctl-show.ts';
import {
  parseVsctlShow,
  type ShowBridge,
  type ShowInterface,
  type ShowPort,
  type VsctlShow,
} from '../parse/ovs-vsctl-show.ts';
import { parseOvsdbMonitor } from '../parse/ovsdb-client-monitor.ts';
import { parseOvsdbDump, parseVsctlList, type SourcedRow } from '../parse/ovsdb-rows.ts';
import {
  type DnsmasqProcess,
  parseAgentLog,
  parseDhclient,
  parseDhcpHosts,
  parseDhcpLeases,
  parseDhcpOpts,
  parseDnsmasqLog,
  parseDnsmasqProcesses,
  parseEthtoolK,
  parseIptablesSave,
  parsePidFile,
} from '../parse/services.ts';
import { parseSockets } from '../parse/sockets.ts';
import { parseSysctl, parseSysctlValue } from '../parse/sysctl.ts';
import { operands, shellWord } from '../runner/runner.ts';
import { type FileKind, psCommand, type SniffedKind } from './file-kinds.ts';
import type { FilteredName } from './filtered-name.ts';
import type { HostBuilder } from './host-builder.ts';

export type Kind = FileKind['kind'];
export type KindOf<K extends Kind> = Extract<FileKind | SniffedKind, { kind: K }>;

export interface HostFile {
  path: string;
  rel: string;
  kind: FileKind | SniffedKind;
  /** Recognised by content (a pasted output), not by its name. */
  sniffed?: boolean;
  /**
   * Its name carries a filter after the bridge or record (`…_show_br-int_grep_X`, `…_xapi3_table_0`,
   * filtered-name.ts); `read`: the bridge or record it was read as, an excerpt of its output.
   */
  filtered?: FilteredName & { read?: string };
}

/**
 * The order a host is built in, explicit: OVSDB rows first (they create bridges, ports and
 * interfaces; within the phase least to most current, ROW_ORDER), then `ovs-vsctl show`, then
 * the monitor's events, then `ovs-ofctl show` (port numbers; it also names the bridges pasted
 * dumps are placed on), then everything else in file order.
 */
export const PHASES = ['rows', 'vsctl-show', 'monitor', 'ofctl-show', 'rest'] as const;
export type Phase = (typeof PHASES)[number] | 'never';
/** Within the rows phase: conf.db, then ovsdb-client dump, then ovs-vsctl list (the freshest). */
export const ROW_ORDER: readonly Kind[] = ['conf-db', 'ovsdb-dump', 'vsctl-list'];

/** What a reader may use of the host being read. */
export interface ReadContext {
  host: string;
  b: HostBuilder;
  file: HostFile;
  /** The file's text, another tool's error lines blanked out (reported once). */
  text(): string;
  /** The line of a tool error that followed output (the command stopped part way), after text(). */
  partial(): number | undefined;
  /** Whether text() blanked another tool's error lines (a dump with one is not complete). */
  toolErrors(): boolean;
  /** The first elision line of a pasted excerpt (`...`, `[snip]`), after text(). */
  excerpt(): number | undefined;
  /** Every elision line of a pasted excerpt, after text(). */
  elisions(): readonly number[];
  /** Whether text() read the file as a copy of an output (pasted, sniffed), not as a collector wrote it. */
  pasted(): boolean;
  /**
   * Whether another output of the host lists every interface it has (a monitor's initial table,
   * `ovs-vsctl list interface`, conf.db, ovsdb-client dump): a paste cut at its end leaves none out.
   */
  interfacesListed(): boolean;
  /** The output is cut at this line (after its last), `why` says how it shows (an excerpt from there). */
  cutAtEnd(line: number, why: string): void;
  /** Diagnostics that keep their severity whatever the file's kind (a capture's are its own). */
  diagnostics: FileDiagnostic[];
  /** The bridge a per-bridge output is about (its name, the file name, the case); undefined: said. */
  bridgeOf(bridge: string | undefined): string | undefined;
  /** OVSDB rows gathered for HostBuilder.applyRows at the end of the rows phase. */
  addRows(rows: readonly SourcedRow[], defaults: boolean): void;
  /** Dump selection state shared by a host's dump-flows files. */
  dumps: DumpState;
  /** Read another file now (a bridge's preferred dump before the one at hand). */
  read(f: HostFile): void;
}

export interface DumpState {
  /** Dumps named after their bridge (sosreport names), the candidates for "best form". */
  named: HostFile[];
  done: Set<HostFile>;
  complete: Map<string, { file: string; score: number }>;
  /** Above this size a worse form is not parsed once a better one is complete. */
  skipBytes: number;
  /** Dumps of at least this many bytes are read as an index, their flows parsed when asked for (diagnose, trace). */
  lazy: number | undefined;
  size(f: HostFile): number;
}

export interface Reader<K extends Kind, V> {
  phase: Phase;
  /** Whether the text is another tool's output (tool error lines stripped) or a file read verbatim. */
  parse(x: ReadContext, k: KindOf<K>): Parsed<V> | undefined;
  apply(v: V, x: ReadContext, k: KindOf<K>): void;
}

type Readers = { [K in Kind]: Reader<K, unknown> };

/** One entry; V is inferred from parse, checked against apply. */
function reader<K extends Kind, V>(
  phase: Phase,
  parse: (x: ReadContext, k: KindOf<K>) => Parsed<V> | undefined,
  apply: (v: V, x: ReadContext, k: KindOf<K>) => void,
): Reader<K, unknown> {
  return { phase, parse, apply } as Reader<K, unknown>;
}

type DumpKind = KindOf<'dump-flows'>;
const nameScore = (k: DumpKind, version: string | undefined): number =>
  (version ? Number(version.slice(-1)) : 0) * 10 + (k.noStats ? 0 : 2) + (k.names ? 0 : 1);
const versionOf = (k: DumpKind): string | undefined => ('version' in k ? k.version : undefined);

/**
 * sos keeps each bridge's dump in two forms (OpenFlow 1.0 and 1.3): the one its name says is best
 * is read first, and once it is complete a big form its name says is worse is not read at all (on
 * a fleet that halves the parsing); it is listed among the alternatives, unread. Small ones are
 * still read for what OVS says in them (a version negotiation error).
 */
function parseFlowsFile(
  x: ReadContext,
  k: DumpKind,
): Parsed<{ dump: FlowDump<DumpEntry>; bridge: string; version?: string; table?: number }> | undefined {
  const f = x.file;
  const s = x.dumps;
  const br = x.bridgeOf(k.bridge);
  if (br === undefined || s.done.has(f)) return undefined;
  let best: HostFile | undefined;
  for (const g of s.named) {
    const gk = g.kind as DumpKind;
    if (gk.bridge !== br) continue;
    if (
      !best ||
      nameScore(gk, versionOf(gk)) > nameScore(best.kind as DumpKind, versionOf(best.kind as DumpKind))
    )
      best = g;
  }
  if (best && best !== f && !s.done.has(best)) x.read(best);
  s.done.add(f);
  const w = s.complete.get(br);
  if (w && !f.sniffed && nameScore(k, versionOf(k)) < w.score && s.size(f) > s.skipBytes) {
    x.b.skipFlows(br, f.rel, `not read: ${w.file} is complete and preferred`);
    return undefined;
  }
  const text = x.text();
  // A per-table dump (`dump-flows br table=N`, its name says: case-dir.ts): one table's flows,
  // merged with the bridge's other tables (HostBuilder.applyFlows), so parsed whole, not indexed.
  const perTable = f.filtered?.read !== undefined ? f.filtered.table : undefined;
  // The last line of a file without its final newline may be cut where it still parses.
  const cutAt = text !== '' && !text.endsWith('\n') ? countLines(text, text.length) : 0;
  const r = parseDumpFlows(
    text,
    {
      expectOutput: !k.noStats && !f.sniffed,
      toolErrors: true,
      ...(s.lazy !== undefined && perTable === undefined ? { lazy: { file: f.rel, from: s.lazy } } : {}),
    },
    (flow, line) =>
      // OVS prints `drop` only for an empty action list: a line ending in it was not cut.
      line === cutAt && !(flow.actions.length === 1 && flow.actions[0]!.type === 'drop')
        ? new CutDumpEntry(flow, f.rel, line)
        : new DumpEntry(flow, f.rel, line),
  );
  const version = versionOf(k);
  const diagnostics = [...r.diagnostics];
  let table = perTable;
  // Its name says one table; a flow of another table says it holds something else (a whole dump
  // so named, a paste of several): not one table's flows, read as an excerpt of the bridge.
  const other = table === undefined ? undefined : r.value.flows.find((e) => e.flow.table !== table);
  if (other && f.filtered) {
    diagnostics.push(
      diag(
        'warning',
        other.line,
        'filtered',
        `its name says \`table=${table}\`, but this flow is of table ${other.flow.table}: not the dump of table ${table} alone, read as an excerpt of \`ovs-ofctl dump-flows ${br}\` (what it does not show is unknown)`,
      ),
    );
    delete f.filtered.table;
    f.filtered.cut = f.filtered.filter;
    table = undefined;
  }
  return {
    value: {
      dump: r.value,
      bridge: br,
      ...(version ? { version } : {}),
      ...(table !== undefined ? { table } : {}),
    },
    diagnostics,
  };
}

/**
 * An excerpted `ovs-vsctl show` asserts no default it may have left out. No bridge shown without
 * fail_mode is taken as having none. And ovs-vsctl prints a record's own lines before its
 * children (a bridge's controller, fail_mode, datapath_type before its ports; a port's tag and
 * trunks before its interfaces; an interface's type before its options): the elided lines may be
 * the trailing own lines of the last record before an elision that shows no child before it, so
 * those defaults (datapath_type, tag, trunks, type, options) stay unknown unless other evidence
 * gives them. Records further up the tree lost at most children: the host's excerpts say so.
 */
function unknownWhereCut(v: VsctlShow, x: ReadContext): void {
  const file = x.file.rel;
  const why = (what: string): string => `${file} is an excerpt: ${what} may be in a line it leaves out`;
  const only = <T>(f: Fact<T>): boolean => f.known && f.from.every((e) => e.file === file);
  const bridges = new Set<ShowBridge>();
  const ports = new Set<ShowPort>();
  const ifaces = new Set<ShowInterface>();
  for (const e of x.elisions()) {
    const sb = v.bridges.findLast((b) => b.line < e);
    const sp = sb?.ports.findLast((p) => p.line < e);
    if (!sp) {
      if (sb) bridges.add(sb);
      continue;
    }
    const si = sp.interfaces.findLast((i) => i.line < e);
    if (si) ifaces.add(si);
    else ports.add(sp);
  }
  // A show filtered by its name's `| grep …` may have lost any line of any record: every default.
  if (x.file.filtered)
    for (const sb of v.bridges) {
      bridges.add(sb);
      for (const sp of sb.ports) {
        ports.add(sp);
        for (const si of sp.interfaces) ifaces.add(si);
      }
    }
  const h = x.b.host;
  for (const sb of v.bridges) {
    const br = h.bridges.find((b) => b.name === sb.name);
    if (!br) continue;
    if (sb.failMode === undefined && only(br.failMode)) br.failMode = unknown(why('fail_mode'));
    if (bridges.has(sb) && sb.datapathType === undefined && only(br.datapathType))
      br.datapathType = unknown(why('datapath_type'));
  }
  for (const sp of ports) {
    const p = h.bridges.flatMap((b) => b.ports).find((q) => q.name === sp.name);
    if (!p) continue;
    if (sp.tag === undefined && only(p.tag)) p.tag = unknown(why(`port ${sp.name}'s tag`));
    if (sp.trunks === undefined && only(p.trunks)) p.trunks = unknown(why(`port ${sp.name}'s trunks`));
  }
  for (const si of ifaces) {
    const i = h.bridges.flatMap((b) => b.ports.flatMap((p) => p.interfaces)).find((j) => j.name === si.name);
    if (!i) continue;
    const noOptions = Object.keys(si.options).length === 0;
    if (si.type === undefined && noOptions && only(i.type))
      i.type = unknown(why(`interface ${si.name}'s type`));
    if (noOptions && only(i.options)) i.options = unknown(why(`interface ${si.name}'s options`));
  }
}

/**
 * What an excerpt of a file of this kind lists (so what its absence no longer proves), and the
 * command whose whole output settles it.
 */
export function excerptOf(
  k: FileKind | SniffedKind,
  rel: string,
  bridge: string | undefined,
  /** A per-table dump's table: its whole dump is the command that settles what it leaves out. */
  table?: number,
  /** The host's OVS version, when the case shows it: the ovs-ofctl form it takes. */
  host?: Pick<Host, 'ovsVersion'>,
): Omit<Excerpt, 'file' | 'line'> {
  const inNs = (ns: string | undefined, cmd: string): string =>
    ns ? `ip netns exec ${shellWord(ns)} ${cmd}` : cmd;
  const nsOf = (ns: string | undefined): { ns?: string } => (ns ? { ns } : {});
  const br = bridge ? { bridge } : {};
  switch (k.kind) {
    case 'vsctl-show':
    case 'monitor':
      return { of: 'ovsdb', collect: 'ovs-vsctl show' };
    case 'vsctl-list':
      return { of: 'ovsdb', collect: `ovs-vsctl list ${k.table.toLowerCase()}` };
    case 'ovsdb-dump':
      return { of: 'ovsdb', collect: 'ovsdb-client dump' };
    case 'ofctl-show':
      return { of: 'ofctl-show', ...br, collect: `ovs-ofctl show ${operands(bridge ?? '<bridge>')}` };
    case 'dump-flows':
      return {
        of: 'flows',
        ...br,
        collect: dumpFlowsCommand(
          host,
          bridge ?? '<bridge>',
          ...(table !== undefined ? [`table=${table}`] : []),
        ),
      };
    case 'ip-netns':
      return { of: 'netns', collect: 'ip netns' };
    case 'ifconfig':
    case 'ip-addr':
      return { of: 'devices', ...nsOf(k.ns), collect: inNs(k.ns, 'ip -d address show') };
    case 'ip-link':
      return { of: 'other', ...nsOf(k.ns), collect: inNs(k.ns, 'ip -s -d link') };
    case 'sockets':
      return { of: 'sockets', ...nsOf(k.ns), collect: inNs(k.ns, 'ss -peaonmi') };
    case 'iptables':
      return { of: 'iptables', ...nsOf(k.ns), collect: inNs(k.ns, 'iptables-save') };
    case 'dhcp-hosts':
    case 'dhcp-leases':
    case 'dhcp-opts':
    case 'dhcp-pid': {
      const name = { 'dhcp-hosts': 'host', 'dhcp-leases': 'leases', 'dhcp-opts': 'opts', 'dhcp-pid': 'pid' }[
        k.kind
      ];
      return {
        of: 'dhcp-agent',
        net: k.net,
        collect: `cat ${shellWord(`/var/lib/neutron/dhcp/${k.net}/${name}`)}`,
      };
    }
    case 'dnsmasq-log':
    case 'agent-log':
    case 'dhclient':
      return { of: 'log', collect: `the whole log (${rel})` };
    case 'sysctl':
      return { of: 'other', collect: k.key ? `sysctl ${k.key}` : 'sysctl -a' };
    case 'ps': {
      // `ps auxww` from ps_auxww or ps_auxww_grep_<net>.
      const cmd = psCommand(rel.slice(rel.lastIndexOf('/') + 1));
      return { of: 'other', collect: cmd ?? `the whole output (${rel})` };
    }
    default:
      return { of: 'other', collect: `the whole output (${rel})` };
  }
}

/** The first whole `ovs-vsctl show` read of each host (its file): another whole one must agree. */
const WHOLE_SHOW = new WeakMap<HostBuilder, { file: string; show: VsctlShow }>();

/** What two whole `ovs-vsctl show` outputs disagree on: each one's value, its line in each. */
export interface ShowDifference {
  what: string;
  there: string;
  here: string;
  line: number;
  thereLine?: number;
}

/** A field compared, as named in the message, and how to read it. */
type ShowField<T> = readonly [name: string, read: (x: T) => unknown];
const BRIDGE_FIELDS: readonly ShowField<ShowBridge>[] = [
  ['fail_mode', (b) => b.failMode],
  ['datapath_type', (b) => b.datapathType],
];
const PORT_FIELDS: readonly ShowField<ShowPort>[] = [
  ['tag', (p) => p.tag],
  ['trunks', (p) => p.trunks],
];
const INTERFACE_FIELDS: readonly ShowField<ShowInterface>[] = [
  ['type', (i) => i.type],
  ['options', (i) => i.options],
];

/** A value as the message prints it; compared so too (one JSON text per value). */
const showValue = (x: unknown): string => (x === undefined ? 'none' : JSON.stringify(x));

/** The first field of `owner` that differs, with its line in each. */
function fieldDifference<T extends { line: number }>(
  owner: string,
  fields: readonly ShowField<T>[],
  there: T,
  here: T,
): ShowDifference | undefined {
  for (const [field, read] of fields) {
    const a = showValue(read(there));
    const b = showValue(read(here));
    if (a !== b)
      return { what: `${owner}'s ${field}`, there: a, here: b, line: here.line, thereLine: there.line };
  }
  return undefined;
}

/** Shown only here: its line here. */
const onlyHere = (what: string, line: number): ShowDifference => ({
  what,
  there: 'absent',
  here: 'shown',
  line,
});
/** Shown only there: its line there; here, the line of what would hold it (0: the output). */
const onlyThere = (what: string, line: number, thereLine: number): ShowDifference => ({
  what,
  there: 'shown',
  here: 'absent',
  line,
  thereLine,
});

/**
 * The first thing two whole `ovs-vsctl show` outputs disagree on (the database, a bridge, a port,
 * its tag or trunks, an interface, its type or options), with its line in each; undefined: they
 * agree. What changes from one run to the next without a change of configuration (is_connected,
 * an interface's error) is not compared.
 */
export function showDifference(a: VsctlShow, b: VsctlShow): ShowDifference | undefined {
  if (a.uuid !== b.uuid && a.uuid !== undefined && b.uuid !== undefined)
    return { what: 'the database UUID', there: a.uuid, here: b.uuid, line: 1, thereLine: 1 };
  const byName = <T extends { name: string }>(xs: readonly T[]): Map<string, T> =>
    new Map(xs.map((x) => [x.name, x]));
  const ab = byName(a.bridges);
  const bb = byName(b.bridges);
  for (const [name, x] of bb) if (!ab.has(name)) return onlyHere(`bridge ${name}`, x.line);
  for (const [name, x] of ab) if (!bb.has(name)) return onlyThere(`bridge ${name}`, 0, x.line);
  for (const [name, y] of bb) {
    const x = ab.get(name)!;
    const d = fieldDifference(`bridge ${name}`, BRIDGE_FIELDS, x, y);
    if (d) return d;
    const ap = byName(x.ports);
    const bp = byName(y.ports);
    for (const [pn, p] of bp) if (!ap.has(pn)) return onlyHere(`port ${pn} on ${name}`, p.line);
    for (const [pn, p] of ap) if (!bp.has(pn)) return onlyThere(`port ${pn} on ${name}`, y.line, p.line);
    for (const [pn, p] of bp) {
      const o = ap.get(pn)!;
      const d = fieldDifference(`port ${pn}`, PORT_FIELDS, o, p);
      if (d) return d;
      const ai = byName(o.interfaces);
      const bi = byName(p.interfaces);
      // Interfaces here in their order: a new one or one whose fields differ, whichever comes first.
      for (const [iname, i] of bi) {
        const j = ai.get(iname);
        const d = j
          ? fieldDifference(`interface ${iname}`, INTERFACE_FIELDS, j, i)
          : onlyHere(`interface ${iname} of port ${pn}`, i.line);
        if (d) return d;
      }
      for (const [iname, j] of ai)
        if (!bi.has(iname)) return onlyThere(`interface ${iname} of port ${pn}`, p.line, j.line);
    }
  }
  return undefined;
}

export const READERS: Readers = {
  // Collected for completeness, never read (classify's callers drop these files).
  aux: reader<'aux', undefined>(
    'never',
    () => undefined,
    () => {},
  ),
  // --- OVSDB rows, least to most current (ROW_ORDER) ---
  'conf-db': reader(
    'rows',
    (x) => parseConfDbFile(x.file.path),
    (db, x) => {
      const rows: SourcedRow[] = [];
      for (const [table, tr] of db.tables)
        for (const [uuid, row] of tr)
          rows.push({ table, uuid, row, line: db.rowLines.get(table)?.get(uuid) ?? 0 });
      x.addRows(rows, true);
    },
  ),
  'ovsdb-dump': reader(
    'rows',
    (x) => parseOvsdbDump(x.text()),
    (rows, x) => x.addRows(rows, false),
  ),
  'vsctl-list': reader(
    'rows',
    (x, k) => parseVsctlList(x.text(), k.table),
    (rows, x) => x.addRows(rows, false),
  ),
  'vsctl-show': reader(
    'vsctl-show',
    (x) => {
      const text = x.text();
      return parseVsctlShow(text, {
        elisions: x.elisions(),
        // With every interface listed elsewhere, those the show places on no bridge are said as
        // such (unplaced): its end cuts nothing the case lacks.
        // A filtered show (`| grep …`) is an excerpt from its first line, said so once (markFiltered).
        pasted:
          x.pasted() &&
          !x.file.filtered &&
          !x.interfacesListed() &&
          x.partial() === undefined &&
          !x.toolErrors(),
      });
    },
    (v, x) => {
      if (v.cutAfter !== undefined) x.cutAtEnd(v.cutAfter + 1, 'no `ovs_version:` line');
      // Two whole outputs of one host that disagree: which is its state is unknown (bad input,
      // naming both). Excerpts of one output (a bridge each) are joined, each line its evidence.
      const whole =
        x.excerpt() === undefined && x.partial() === undefined && !v.unplacedPorts && !v.unplacedInterfaces;
      if (whole) {
        const first = WHOLE_SHOW.get(x.b);
        const d = first && showDifference(first.show, v);
        if (first && d) {
          x.diagnostics.push({
            file: x.file.rel,
            ...diag(
              'corrupt',
              d.line,
              'shows-disagree',
              `two whole \`ovs-vsctl show\` outputs of this host disagree on ${d.what}: ${d.there} in ${first.file}${d.thereLine ? `:${d.thereLine}` : ''}, ${d.here} here (taken at different times, or on different hosts): keep the one of the time in question`,
            ),
          });
          return;
        }
        if (!first) WHOLE_SHOW.set(x.b, { file: x.file.rel, show: v });
      }
      x.b.applyShow(v, x.file.rel);
      if (x.excerpt() === undefined) return;
      unknownWhereCut(v, x);
    },
  ),
  monitor: reader(
    'monitor',
    (x) => parseOvsdbMonitor(x.text()),
    (v, x, k) => x.b.applyMonitor(k.table, v.events, x.file.rel),
  ),
  'ofctl-show': reader(
    'ofctl-show',
    (x, k) => {
      const br = x.bridgeOf(k.bridge);
      if (br === undefined) return undefined;
      const r = parseOfctlShow(x.text());
      return { value: { show: r.value, bridge: br }, diagnostics: r.diagnostics };
    },
    (v, x) => x.b.applyOfctlShow(v.bridge, v.show, x.file.rel),
  ),
  // --- the rest, in file order ---
  'dump-flows': reader('rest', parseFlowsFile, (v, x, k) => {
    const f = x.file;
    // A tool's error after part of the dump (a sos timeout, permission denied): flows are missing;
    // in place of the dump: nothing is known of them.
    // So does an excerpt (`...`, `[snip]`): what it leaves out is unknown.
    if (x.partial() !== undefined || x.toolErrors() || x.excerpt() !== undefined) v.dump.complete = false;
    x.b.applyFlows(
      v.bridge,
      v.dump,
      f.rel,
      v.version,
      { noStats: k.noStats, names: k.names },
      v.table,
      v.table === undefined && f.filtered?.read !== undefined,
    );
    // A flow of OVN's logical pipeline: ovn-controller wrote this bridge's flows.
    const ovn = ovnFlowLine(x.text());
    if (ovn)
      x.b.ovnSign({
        role: 'chassis',
        kind: 'flow',
        text: ovn.text,
        from: ev(f.rel, ovn.line),
      });
    // A flow only Neutron's OVS agent writes there: counted if this bridge is the integration one.
    const agent = ovsAgentFlowLine(x.text());
    if (agent) x.b.ml2AgentSign({ text: agent.text, from: ev(f.rel, agent.line), bridge: v.bridge });
    const score = nameScore(k, v.dump.version ?? v.version);
    // One table's dump, complete, is not the bridge's: it makes no other form of the bridge's unread.
    if (v.table === undefined && v.dump.complete && score > (x.dumps.complete.get(v.bridge)?.score ?? -1))
      x.dumps.complete.set(v.bridge, { file: f.rel, score });
  }),
  'ip-netns': reader(
    'rest',
    (x) => parseIpNetns(x.text()),
    (v, x) => x.b.applyNamespaces(v, x.file.rel),
  ),
  ifconfig: reader(
    'rest',
    (x) => parseIfconfig(x.text()),
    (v, x, k) => x.b.applyDevices(k.ns, v, x.file.rel),
  ),
  'ip-addr': reader(
    'rest',
    (x) => parseIpAddr(x.text()),
    (v, x, k) => {
      x.b.applyDevices(k.ns, v, x.file.rel);
      if (k.ns === undefined) x.b.applyBridgeOptions(v, x.file.rel);
    },
  ),
  // Not `devices` (no addresses: they would read as devices without any): a listing of its own,
  // and of the host's own namespace the Linux bridges' options.
  'ip-link': reader(
    'rest',
    (x) => {
      const r = parseIpAddr(x.text());
      return { value: { devices: r.value, clean: r.diagnostics.length === 0 }, diagnostics: r.diagnostics };
    },
    (v, x, k) => {
      const f = x.file;
      // A paste recognised by content alone may be a filtered listing (`ip link show master …`).
      const whole =
        v.clean &&
        f.sniffed !== true &&
        f.filtered === undefined &&
        x.excerpt() === undefined &&
        x.partial() === undefined &&
        !x.toolErrors();
      x.b.applyLinks(k.ns, v.devices, f.rel, whole);
      if (k.ns === undefined) x.b.applyBridgeOptions(v.devices, f.rel);
    },
  ),
  'agent-config': reader(
    'rest',
    (x) => parseIni(x.text()),
    (v, x) => {
      const b = x.b;
      const c = agentConfigOf(v);
      // ml2_conf.ini and openvswitch_agent.ini may both exist: keep what each says.
      b.host.agentConfig = {
        ...(b.host.agentConfig ?? {}),
        ...c,
        file: b.host.agentConfig?.file ?? x.file.rel,
      };
      if (Object.keys(c).length > 0) b.host.agentConfig.file = x.file.rel;
    },
  ),
  capture: reader(
    'rest',
    (x, k) => {
      const point = `${x.host}:${k.name}`;
      const r = dhcpSightingsFile(x.file.path, x.file.rel, point);
      // A capture's own diagnostics (a structurally broken file is corrupt) keep their severity.
      for (const d of r.diagnostics) x.diagnostics.push(d);
      return { value: { point, sightings: r.sightings }, diagnostics: [] };
    },
    (v, x) => {
      x.b.host.captures = [...(x.b.host.captures ?? []), { file: x.file.rel, ...v }];
    },
  ),
  'agent-log': reader(
    'rest',
    (x) => parseAgentLog(x.text()),
    (v, x) => {
      const file = x.file.rel;
      x.b.host.agentLog = {
        file,
        events: v.map((e) => ({
          kind: e.kind,
          subject: e.subject,
          text: e.text,
          from: ev(file, e.line),
          ...(e.stop ? { stop: e.stop } : {}),
        })),
      };
    },
  ),
  'brctl-show': reader(
    'rest',
    (x) => parseBrctlShow(x.text()),
    (v, x) => {
      const file = x.file.rel;
      x.b.host.brctl = {
        file,
        // An excerpt (lines left out) proves no absence, nor does a line not read.
        whole: v.whole && x.excerpt() === undefined,
        bridges: v.bridges.map((b) => ({
          name: b.name,
          from: ev(file, b.line),
          interfaces: b.interfaces.map((i) => ({ name: i.name, from: ev(file, i.line) })),
        })),
      };
    },
  ),
  fdb: reader(
    'rest',
    (x) => parseFdbShow(x.text()),
    (v, x, k) => x.b.applyFdb(k.bridge, v, x.file.rel),
  ),
  sockets: reader(
    'rest',
    // The command in the file's name says which sockets the listing covers.
    (x) => parseSockets(x.text(), x.file.rel.split('/').pop()),
    (v, x, k) => x.b.applySockets(k.ns, v, x.file.rel),
  ),
  'ethtool-k': reader(
    'rest',
    (x) => parseEthtoolK(x.text()),
    (v, x, k) => x.b.applyOffloads(k.ns, v, x.file.rel),
  ),
  iptables: reader(
    'rest',
    (x) => parseIptablesSave(x.text()),
    (v, x, k) => x.b.applyIptables(k.ns, v, x.file.rel),
  ),
  sysctl: reader(
    'rest',
    (x, k) => (k.key ? parseSysctlValue(x.text(), k.key) : parseSysctl(x.text())),
    (v, x, k) => {
      const key = 'net.bridge.bridge-nf-call-iptables';
      const file = x.file.rel;
      const hit = v.bridge.findLast((e) => e.key === key);
      const gone = v.missing.find((e) => e.key === key);
      // br_netfilter normalises what is written to 0 or 1 (brnf_sysctl_call_tables).
      if (hit && /^-?\d+$/.test(hit.value))
        x.b.applyBridgeNf(Number(hit.value) !== 0 ? 'on' : 'off', ev(file, hit.line));
      else if (gone) x.b.applyBridgeNf('not-loaded', ev(file, gone.line));
      // A key missing from a listing proves it absent only when the listing is all of `sysctl -a`
      // (so named, or a paste), with every family a kernel has (kernel, net, vm), nothing left
      // out, the command not cut short. `sysctl KEY...` lists only the keys asked for.
      else if (
        !hit &&
        (k.all || x.file.sniffed === true) &&
        ['kernel', 'net', 'vm'].every((f) => v.families.includes(f)) &&
        x.excerpt() === undefined &&
        x.partial() === undefined
      )
        x.b.applyBridgeNf('not-loaded', ev(file, 0));
    },
  ),
  'dhcp-hosts': reader(
    'rest',
    (x) => parseDhcpHosts(x.text()),
    (v, x, k) => x.b.applyDhcpHosts(k.net, v, x.file.rel),
  ),
  'dhcp-leases': reader(
    'rest',
    (x) => parseDhcpLeases(x.text()),
    (v, x, k) => x.b.applyDhcpLeases(k.net, v, x.file.rel),
  ),
  'dhcp-opts': reader(
    'rest',
    (x) => parseDhcpOpts(x.text()),
    (v, x, k) => x.b.applyDhcpOpts(k.net, v, x.file.rel),
  ),
  'dhcp-pid': reader(
    'rest',
    (x) => parsePidFile(x.text()),
    (v, x, k) => x.b.applyDhcpPid(k.net, v, x.file.rel),
  ),
  'dnsmasq-log': reader(
    'rest',
    (x) => parseDnsmasqLog(x.text()),
    (v, x, k) => x.b.applyDnsmasqLog(v, x.file.rel, k.net),
  ),
  dhclient: reader(
    'rest',
    (x) => (isUdhcpc(x.text()) ? parseUdhcpc(x.text()) : parseDhclient(x.text())),
    (v, x) => x.b.applyDhclient(v, x.file.rel),
  ),
  ps: reader(
    'rest',
    (
      x,
    ): Parsed<{
      ovn: OvnProcess[];
      agent: { line: number; text: string } | undefined;
      dnsmasq: DnsmasqProcess[];
    }> => {
      const t = x.text();
      return {
        value: {
          ovn: parseOvnProcesses(t).value,
          agent: parseOvsAgentProcess(t).value,
          dnsmasq: parseDnsmasqProcesses(t).value,
        },
        diagnostics: [],
      };
    },
    (v, x) => {
      if (v.agent) x.b.ml2AgentSign({ text: v.agent.text, from: ev(x.file.rel, v.agent.line) });
      for (const p of v.ovn)
        x.b.ovnSign(
          { role: p.role, kind: 'process', text: p.text, from: ev(x.file.rel, p.line) },
          `process ${p.daemon}`,
        );
      x.b.applyDnsmasqProcesses(v.dnsmasq, x.file.rel);
    },
  ),
  'ovn-log': reader(
    'rest',
    (x) => parseOvnLog(x.text()),
    (v, x, k) => {
      if (v)
        x.b.ovnSign({
          role: k.daemon === 'ovn-controller' ? 'chassis' : 'central',
          kind: 'log',
          text: v.text,
          from: ev(x.file.rel, v.line),
        });
    },
  ),
  'ovn-db': reader(
    'rest',
    (x) => parseOvnDbOutput(x.text()),
    (v, x, k) => {
      if (v)
        x.b.ovnSign({
          role: 'central',
          kind: 'db-output',
          text: `${k.tool} output: ${v.text}`,
          from: ev(x.file.rel, v.line),
        });
    },
  ),
  // After the database's rows and `ovs-vsctl show` (their ovs_version first), before the dumps
  // whose re-collect line takes the host's ovs-ofctl form.
  'ovs-version': reader(
    'ofctl-show',
    (x): Parsed<string | undefined> => {
      const t = x.text().trim();
      // `"2.17.9"` (the database's column), `ovs-vswitchd (Open vSwitch) 1.4.0+build0`.
      const m = /^"?(\d+\.\d+[^"\s]*)"?$/.exec(t) ?? /^\S+ \(Open vSwitch\) (\d+\.\d+\S*)/m.exec(t);
      return { value: m?.[1], diagnostics: [] };
    },
    (v, x) => {
      if (v !== undefined && !x.b.host.ovsVersion) x.b.host.ovsVersion = v;
    },
  ),
  'xen-domid': reader(
    'rest',
    (x): Parsed<number | undefined> => {
      const t = x.text().trim();
      if (/^\d+$/.test(t)) return { value: Number(t), diagnostics: [] };
      // Kept corrupt (not an auxiliary warning): the wires between hosts rest on it.
      x.diagnostics.push({
        file: x.file.rel,
        ...diag('corrupt', 1, 'bad-domid', 'expected a domid number', t.slice(0, 40)),
      });
      return { value: undefined, diagnostics: [] };
    },
    (v, x) => {
      if (v !== undefined) x.b.host.domid = v;
    },
  ),
};
