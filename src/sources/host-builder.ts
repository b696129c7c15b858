// Merges what each file of one host says into the Host model. Sources are applied from the most to
// the least authoritative: OVSDB rows (ovs-vsctl list, ovsdb-client dump, conf.db), then
// `ovs-vsctl show`, then `ovsdb-client monitor`, then `ovs-ofctl show`. A later source fills what
// is unknown and adds its evidence when it agrees; when it disagrees the earlier value stays and
// the conflict is reported. Rows no Bridge row or `ovs-vsctl show` places (only `ovs-vsctl list
// interface`/`list port` collected) are placed by the `ovs-ofctl show <bridge>` that lists them,
// and the host's gaps say so.
import { type Evidence, ev, type Fact, known, unknown, where } from '../model/evidence.ts';
import type { DumpEntry } from '../model/flow-entry.ts';
import { dumpFlowsCommand } from '../model/ovs-version.ts';
import { bridgeRole } from '../model/roles.ts';
import type {
  Bridge,
  BridgeFlows,
  BridgeNf,
  DhcpClient,
  DhcpNetwork,
  FileDiagnostic,
  FlowEntry,
  Host,
  Interface,
  LinkListing,
  NetDevice,
  OvnHost,
  OvnSign,
  Port,
  TableDump,
  VlanMode,
} from '../model/snapshot.ts';
import { parseMacOnly } from '../openflow/values.ts';
import { intSet, mapOf, optInt, optString, type Row, uuidSet } from '../ovsdb/datum.ts';
import type { FlowDump } from '../parse/dump-flows.ts';
import type { FdbEntry } from '../parse/fdb-show.ts';
import type { ParsedNamespace } from '../parse/ip-netns.ts';
import type { ParsedNetDevice } from '../parse/net-types.ts';
import type { OfctlShow } from '../parse/ovs-ofctl-show.ts';
import type { ShowInterface, ShowPort, VsctlShow } from '../parse/ovs-vsctl-show.ts';
import type { MonitorEvent } from '../parse/ovsdb-client-monitor.ts';
import { monitorState } from '../parse/ovsdb-client-monitor.ts';
import type {
  DhcpClientOutput,
  DhcpHostEntry,
  DhcpLease,
  DhcpLogEvent,
  DhcpOpt,
  IptablesInfo,
  Offloads,
  DnsmasqProcess as ParsedDnsmasqProcess,
} from '../parse/services.ts';
import type { SocketListingText } from '../parse/sockets.ts';
import { operands, shellWord } from '../runner/runner.ts';
import { sosName } from './file-kinds.ts';

export interface RowWithEvidence {
  row: Row;
  from: Evidence;
  /** Line of each column where the format has one (ovs-vsctl list). */
  columnLines?: Record<string, number>;
}

/** Evidence for one column of a row: its own line when known, else the row's. */
function colEv(r: RowWithEvidence, col: string): Evidence {
  const l = r.columnLines?.[col];
  return l ? ev(r.from.file, l) : r.from;
}

/** table → uuid → row, from the OVSDB row sources of one host. */
export type RowStore = Map<string, Map<string, RowWithEvidence>>;

const OFPP_LOCAL = 65534;
const VLAN_MODES: readonly string[] = ['access', 'trunk', 'native-tagged', 'native-untagged', 'dot1q-tunnel'];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class HostBuilder {
  readonly host: Host;
  private readonly diags: FileDiagnostic[];

  constructor(name: string, diags: FileDiagnostic[]) {
    this.host = {
      name,
      bridges: [],
      dhcpNetworks: [],
      unplacedInterfaces: [],
      namespaces: [],
      ovn: unknown('not read yet'),
      files: [],
      ignored: [],
      gaps: [],
    };
    this.diags = diags;
  }

  /** What the case's lines said of OVN so far (finish() decides Host.ovn). */
  private readonly ovnSigns: OvnSign[] = [];
  /** The Open_vSwitch row's external_ids, when the case has them. */
  private ovsIds?: { ids: Record<string, string>; from: Evidence };

  /**
   * What shows Neutron's OVS agent (ML2/OVS) on this host: its process, or a flow only it writes
   * (with the bridge: it counts on the integration bridge only). Its config is Host.agentConfig.
   */
  private readonly ml2Signs: { text: string; from: Evidence; bridge?: string }[] = [];

  ml2AgentSign(sign: { text: string; from: Evidence; bridge?: string }): void {
    this.ml2Signs.push(sign);
  }

  /** What the signs so far are of (a daemon once, whichever `ps` listing shows it). */
  private readonly ovnSignKeys = new Set<string>();

  /** A line of the case that shows OVN on this host (a flow, a process, a log line…); `key`: what it is of, once. */
  ovnSign(sign: OvnSign, key?: string): void {
    if (key !== undefined) {
      if (this.ovnSignKeys.has(key)) return;
      this.ovnSignKeys.add(key);
    }
    const same = (x: OvnSign): boolean =>
      x.kind === sign.kind && x.from.file === sign.from.file && x.from.line === sign.from.line;
    if (!this.ovnSigns.some(same)) this.ovnSigns.push(sign);
  }

  /** A file sos wrote with one of its OVN plugins (sos_commands/ovn_host/, sos_commands/ovn_central/). */
  ovnPlugin(plugin: 'ovn_host' | 'ovn_central', file: string): void {
    if (this.ovnSigns.some((x) => x.kind === 'sos-plugin' && x.text.startsWith(`sos ran its ${plugin} `)))
      return;
    this.ovnSigns.push({
      role: plugin === 'ovn_host' ? 'chassis' : 'central',
      kind: 'sos-plugin',
      text:
        plugin === 'ovn_host'
          ? "sos ran its ovn_host plugin (it does where ovn-controller's pid file or the ovn-host package is)"
          : "sos ran its ovn_central plugin (OVN's databases or ovn-northd are on this host)",
      from: ev(file, 0),
    });
  }

  /** The host's OVS commands are a snap's: its file names carry the prefix (`openstack-hypervisor.`). */
  applySnap(name: string, file: string): void {
    this.host.snap ??= { name, from: ev(file, 0) };
  }

  /** Set a fact: fill when unknown, add evidence when equal, report when different. */
  private fact<T>(cur: Fact<T>, value: T, e: Evidence, what: string): Fact<T> {
    if (!cur.known) return known(value, e);
    if (same(cur.value, value)) {
      if (!cur.from.some((x) => x.file === e.file && x.line === e.line)) cur.from.push(e);
      return cur;
    }
    this.diags.push({
      file: e.file,
      line: e.line,
      severity: 'warning',
      code: 'conflict',
      message: `${what} is ${JSON.stringify(value)} here but ${JSON.stringify(cur.value)} in ${cur.from[0]?.file}:${cur.from[0]?.line}; keeping the latter`,
    });
    return cur;
  }

  bridge(name: string, e?: Evidence): Bridge {
    let b = this.host.bridges.find((x) => x.name === name);
    if (!b) {
      b = {
        name,
        failMode: unknown('no OVSDB data for this bridge'),
        datapathType: unknown('no OVSDB data for this bridge'),
        protocols: unknown('no OVSDB Bridge row'),
        controllers: [],
        ports: [],
        flows: unknown('no ovs-ofctl dump-flows output for this bridge'),
        from: [],
      };
      this.host.bridges.push(b);
    }
    if (e && !b.from.some((x) => x.file === e.file && x.line === e.line)) b.from.push(e);
    return b;
  }

  private newPort(name: string, why: string): Port {
    return {
      name,
      tag: unknown(why),
      trunks: unknown(why),
      vlanMode: unknown(why),
      externalIds: unknown(why),
      otherConfig: unknown(why),
      interfaces: [],
      from: [],
    };
  }

  private newInterface(name: string, why: string): Interface {
    return {
      name,
      type: unknown(why),
      ofport: unknown(why),
      options: unknown(why),
      externalIds: unknown(why),
      from: [],
    };
  }

  private findPort(name: string): { bridge: Bridge; port: Port } | undefined {
    for (const bridge of this.host.bridges)
      for (const port of bridge.ports) if (port.name === name) return { bridge, port };
    return undefined;
  }

  private findInterface(name: string): Interface | undefined {
    for (const b of this.host.bridges)
      for (const p of b.ports) for (const i of p.interfaces) if (i.name === name) return i;
    return this.host.unplacedInterfaces.find((i) => i.name === name);
  }

  private port(bridge: Bridge, name: string, why: string): Port {
    let p = bridge.ports.find((x) => x.name === name);
    if (!p) {
      p = this.newPort(name, why);
      bridge.ports.push(p);
      // A port an excerpted `ovs-vsctl show` gave without its bridge: its own lines are its facts.
      const shown = this.pendingShowPorts.get(name);
      if (shown) {
        this.pendingShowPorts.delete(name);
        this.showPortFacts(p, shown.sp, shown.file);
      }
    }
    return p;
  }

  /** Ports an excerpted `ovs-vsctl show` gave after an elision, not yet on a bridge. */
  private pendingShowPorts = new Map<string, { sp: ShowPort; file: string }>();

  private iface(port: Port, name: string, why: string): Interface {
    let i = port.interfaces.find((x) => x.name === name);
    if (!i) {
      const k = this.host.unplacedInterfaces.findIndex((x) => x.name === name);
      i = k >= 0 ? this.host.unplacedInterfaces.splice(k, 1)[0]! : this.newInterface(name, why);
      port.interfaces.push(i);
    }
    return i;
  }

  /** OVSDB rows: Open_vSwitch, Bridge → Port → Interface by UUID reference. */
  applyRows(store: RowStore): void {
    const ovs = [...(store.get('Open_vSwitch')?.values() ?? [])][0];
    if (ovs) {
      const v = optString(ovs.row.ovs_version);
      if (v) this.host.ovsVersion = v;
      // ovn-controller's settings live there (ovn-remote, ovn-encap-type, ovn-bridge-mappings…).
      if ('external_ids' in ovs.row)
        this.ovsIds = { ids: mapOf(ovs.row.external_ids), from: colEv(ovs, 'external_ids') };
    }
    const ports = store.get('Port') ?? new Map<string, RowWithEvidence>();
    const ifaces = store.get('Interface') ?? new Map<string, RowWithEvidence>();
    const placedPorts = new Set<string>();
    const placedIfaces = new Set<string>();
    for (const [buuid, br] of store.get('Bridge') ?? []) {
      const name = optString(br.row.name);
      if (!name) continue;
      const b = this.bridge(name, br.from);
      b.uuid = buuid;
      const fm = optString(br.row.fail_mode);
      b.failMode = this.fact(
        b.failMode,
        fm === 'secure' || fm === 'standalone' ? fm : null,
        br.from,
        `bridge ${name} fail_mode`,
      );
      if ('datapath_type' in br.row)
        b.datapathType = this.fact(
          b.datapathType,
          optString(br.row.datapath_type) || null,
          br.from,
          `bridge ${name} datapath_type`,
        );
      if ('protocols' in br.row) b.protocols = known(uuidSet(br.row.protocols), br.from);
      const dpid = optString(br.row.datapath_id);
      if (dpid) b.dpid = dpid;
      for (const puuid of uuidSet(br.row.ports)) {
        const pr = ports.get(puuid);
        if (!pr) continue;
        placedPorts.add(puuid);
        this.applyPortRow(b, puuid, pr, ifaces, placedIfaces);
      }
    }
    // Ports and interfaces without a Bridge row: placed later by `ovs-vsctl show` if the case has it.
    for (const [puuid, pr] of ports) {
      if (placedPorts.has(puuid)) continue;
      this.pendingPortRows.set(optString(pr.row.name) ?? puuid, { uuid: puuid, pr, ifaces, placedIfaces });
    }
    for (const [iuuid, ir] of ifaces) {
      if (placedIfaces.has(iuuid)) continue;
      const name = optString(ir.row.name);
      if (!name) continue;
      this.pendingIfaceRows.set(name, { uuid: iuuid, ir });
    }
  }

  private pendingPortRows = new Map<
    string,
    { uuid: string; pr: RowWithEvidence; ifaces: Map<string, RowWithEvidence>; placedIfaces: Set<string> }
  >();
  private pendingIfaceRows = new Map<string, { uuid: string; ir: RowWithEvidence }>();

  private applyPortRow(
    b: Bridge,
    puuid: string,
    pr: RowWithEvidence,
    ifaces: Map<string, RowWithEvidence>,
    placedIfaces: Set<string>,
  ): void {
    const name = optString(pr.row.name) ?? puuid;
    const p = this.port(b, name, 'no OVSDB Port row');
    p.uuid = puuid;
    p.from.push(pr.from);
    const what = `port ${name}`;
    if ('tag' in pr.row) p.tag = this.fact(p.tag, optInt(pr.row.tag), colEv(pr, 'tag'), `${what} tag`);
    if ('trunks' in pr.row)
      p.trunks = this.fact(p.trunks, intSet(pr.row.trunks), colEv(pr, 'trunks'), `${what} trunks`);
    if ('vlan_mode' in pr.row) {
      const vm = optString(pr.row.vlan_mode);
      p.vlanMode = this.fact(
        p.vlanMode,
        vm && VLAN_MODES.includes(vm) ? (vm as VlanMode) : null,
        pr.from,
        `${what} vlan_mode`,
      );
    }
    if ('external_ids' in pr.row) p.externalIds = known(mapOf(pr.row.external_ids), pr.from);
    if ('other_config' in pr.row) p.otherConfig = known(mapOf(pr.row.other_config), pr.from);
    for (const iuuid of uuidSet(pr.row.interfaces)) {
      const ir = ifaces.get(iuuid);
      if (!ir) continue;
      placedIfaces.add(iuuid);
      this.applyIfaceRow(p, iuuid, ir);
    }
  }

  private applyIfaceRow(p: Port, iuuid: string, ir: RowWithEvidence): void {
    const name = optString(ir.row.name) ?? iuuid;
    if (this.pendingIfaceRows.get(name)?.uuid === iuuid) this.pendingIfaceRows.delete(name);
    const i = this.iface(p, name, 'no OVSDB Interface row');
    i.uuid = iuuid;
    i.from.push(ir.from);
    this.interfaceFacts(i, ir.row, ir.from, ir.columnLines);
  }

  private interfaceFacts(i: Interface, row: Row, e: Evidence, lines?: Record<string, number>): void {
    const at = (c: string): Evidence => (lines?.[c] ? ev(e.file, lines[c]) : e);
    const what = `interface ${i.name}`;
    if ('type' in row) i.type = this.fact(i.type, optString(row.type) ?? '', at('type'), `${what} type`);
    if ('ofport' in row) i.ofport = this.fact(i.ofport, optInt(row.ofport), at('ofport'), `${what} ofport`);
    if ('options' in row) i.options = known(mapOf(row.options), at('options'));
    if ('external_ids' in row) i.externalIds = known(mapOf(row.external_ids), at('external_ids'));
    const err = optString(row.error);
    if (err) i.error = { text: err, from: at('error') };
    const mac = optString(row.mac_in_use);
    if (mac) i.mac = mac;
    const ls = optString(row.link_state);
    if (ls) i.linkState = ls;
    const as = optString(row.admin_state);
    if (as) i.adminState = as;
  }

  applyShow(show: VsctlShow, file: string): void {
    if (show.ovsVersion && !this.host.ovsVersion) this.host.ovsVersion = show.ovsVersion;
    const why = 'ovs-vsctl show does not print it';
    for (const sb of show.bridges) {
      const e = ev(file, sb.line);
      const b = this.bridge(sb.name, e);
      b.failMode = this.fact(
        b.failMode,
        sb.failMode === 'secure' || sb.failMode === 'standalone' ? sb.failMode : null,
        e,
        `bridge ${sb.name} fail_mode`,
      );
      b.datapathType = this.fact(
        b.datapathType,
        sb.datapathType ?? null,
        e,
        `bridge ${sb.name} datapath_type`,
      );
      for (const c of sb.controllers) if (!b.controllers.includes(c.target)) b.controllers.push(c.target);
      for (const sp of sb.ports) {
        const pending = this.pendingPortRows.get(sp.name);
        if (pending) {
          this.pendingPortRows.delete(sp.name);
          this.applyPortRow(b, pending.uuid, pending.pr, pending.ifaces, pending.placedIfaces);
        }
        const elsewhere = this.findPort(sp.name);
        if (elsewhere && elsewhere.bridge !== b) {
          this.diags.push({
            file,
            line: sp.line,
            severity: 'warning',
            code: 'conflict',
            message: `port ${sp.name} is on ${sb.name} here but on ${elsewhere.bridge.name} in other evidence`,
          });
          continue;
        }
        this.showPortFacts(this.port(b, sp.name, why), sp, file);
      }
    }
    this.applyUnplacedShow(show, file);
  }

  /** A port's own lines of `ovs-vsctl show` (tag, trunks, interfaces) on the port. */
  private showPortFacts(p: Port, sp: ShowPort, file: string): void {
    const pe = ev(file, sp.line);
    if (!p.from.some((x) => x.file === file)) p.from.push(pe);
    p.tag = this.fact(p.tag, sp.tag ?? null, pe, `port ${sp.name} tag`);
    p.trunks = this.fact(p.trunks, sp.trunks ?? [], pe, `port ${sp.name} trunks`);
    if (!p.vlanMode.known)
      p.vlanMode = unknown('ovs-vsctl show never prints vlan_mode; collect `ovs-vsctl list port`');
    for (const si of sp.interfaces) {
      const pi = this.pendingIfaceRows.get(si.name);
      const i = this.iface(p, si.name, 'ovs-vsctl show does not print it');
      if (pi) {
        this.pendingIfaceRows.delete(si.name);
        i.uuid = pi.uuid;
        i.from.push(pi.ir.from);
        this.interfaceFacts(i, pi.ir.row, pi.ir.from, pi.ir.columnLines);
      }
      this.showIfaceFacts(i, si, file);
    }
  }

  private showIfaceFacts(i: Interface, si: ShowInterface, file: string): void {
    const ie = ev(file, si.line);
    if (!i.from.some((x) => x.file === file)) i.from.push(ie);
    i.type = this.fact(i.type, si.type ?? '', ie, `interface ${si.name} type`);
    i.options = this.fact(i.options, si.options, ie, `interface ${si.name} options`);
    if (si.error && !i.error) i.error = { text: si.error, from: ev(file, si.errorLine ?? si.line) };
  }

  /**
   * Ports and interfaces an excerpt shows after an elision that may have cut the record owning
   * them: their own facts are theirs (names are unique in OVSDB), their bridge (or port) is not
   * known from this output. On the port other evidence placed, else kept as unplaced interfaces
   * (the port's own lines wait for evidence that places it: see port()); the host says which.
   */
  private applyUnplacedShow(show: VsctlShow, file: string): void {
    const byElision = new Map<number, string[]>();
    const note = (elision: number, name: string): void => {
      byElision.set(elision, [...(byElision.get(elision) ?? []), name]);
    };
    for (const sp of show.unplacedPorts ?? []) {
      note(sp.elision, sp.name);
      const placed = this.findPort(sp.name);
      if (placed) {
        this.showPortFacts(placed.port, sp, file);
        continue;
      }
      this.pendingShowPorts.set(sp.name, { sp, file });
      for (const si of sp.interfaces) this.showIfaceFacts(this.unplacedIface(si.name), si, file);
    }
    for (const si of show.unplacedInterfaces ?? []) {
      note(si.elision, si.name);
      this.showIfaceFacts(this.findInterface(si.name) ?? this.unplacedIface(si.name), si, file);
    }
    for (const [elision, names] of byElision)
      this.host.gaps.push(
        `${file}: ${names.join(', ')} follow${names.length === 1 ? 's' : ''} the elision at line ${elision} with no ${show.unplacedPorts?.some((p) => p.elision === elision) ? 'Bridge' : 'Port'} line between: which ${show.unplacedPorts?.some((p) => p.elision === elision) ? 'bridge' : 'port'} ${names.length === 1 ? 'it is' : 'they are'} on is unknown (collect the whole \`ovs-vsctl show\`)`,
      );
  }

  /** The interface of that name wherever it is, else a new unplaced one. */
  private unplacedIface(name: string): Interface {
    let i = this.findInterface(name);
    if (!i) {
      i = this.newInterface(name, 'ovs-vsctl show does not print it');
      this.host.unplacedInterfaces.push(i);
    }
    return i;
  }

  /** Rows left without a bridge after every structured source: kept as unplaced interfaces. */
  finishRows(): void {
    for (const [name, { uuid, ir }] of this.pendingIfaceRows) {
      if (this.findInterface(name)) continue;
      const i = this.newInterface(name, 'no OVSDB Interface row');
      i.uuid = uuid;
      i.from.push(ir.from);
      this.interfaceFacts(i, ir.row, ir.from);
      this.host.unplacedInterfaces.push(i);
    }
    this.pendingIfaceRows.clear();
  }

  applyMonitor(table: string | undefined, events: readonly MonitorEvent[], file: string): void {
    if (table !== undefined && table !== 'Interface' && table !== 'Port' && table !== 'Bridge') return;
    for (const [uuid, { row, line, table: t }] of monitorState(events)) {
      const tbl = t ?? table;
      const name = optString(row.name);
      if (!name) continue;
      const e = ev(file, line);
      if (tbl === 'Interface') {
        let i = this.findInterface(name);
        if (!i) {
          i = this.newInterface(name, 'only monitored columns are known');
          this.host.unplacedInterfaces.push(i);
        }
        i.uuid ??= uuid;
        i.from.push(e);
        this.interfaceFacts(i, row, e);
      } else if (tbl === 'Port') {
        const found = this.findPort(name);
        if (!found) continue;
        const p = found.port;
        p.from.push(e);
        if ('tag' in row) p.tag = this.fact(p.tag, optInt(row.tag), e, `port ${name} tag`);
        if ('trunks' in row) p.trunks = this.fact(p.trunks, intSet(row.trunks), e, `port ${name} trunks`);
      }
    }
  }

  /**
   * The bridge a per-bridge file is about. Its name comes from the file name, which sosreport
   * mangled (`$(x)` → `_x_`): an exact match first, else the one bridge whose mangled name matches.
   */
  private bridgeOfFile(fileBridge: string, e?: Evidence): Bridge {
    if (!this.host.bridges.some((x) => x.name === fileBridge)) {
      const m = this.host.bridges.filter((x) => sosName([x.name]) === fileBridge);
      if (m.length === 1) return this.bridge(m[0]!.name, e);
    }
    return this.bridge(fileBridge, e);
  }

  applyOfctlShow(fileBridge: string, show: OfctlShow, file: string): void {
    const b = this.bridgeOfFile(fileBridge, ev(file, 0));
    const bridgeName = b.name;
    if (show.dpid) b.dpid ??= show.dpid;
    const why = `only ovs-ofctl show lists this port (collect \`ovs-vsctl list interface\` and \`ovs-vsctl list port\`)`;
    for (const op of show.ports) {
      const e = ev(file, op.line);
      const n = op.ofport === 'LOCAL' ? OFPP_LOCAL : op.ofport;
      const name = op.ofport === 'LOCAL' ? bridgeName : op.name;
      let i: Interface | undefined;
      for (const p of b.ports)
        for (const x of p.interfaces) if (x.ofport.known && x.ofport.value === n) i = x;
      if (!i) {
        // Names are cut to 15 bytes: match a longer OVSDB name by its prefix.
        for (const p of b.ports)
          for (const x of p.interfaces)
            if (x.name === name || (name.length === 15 && x.name.startsWith(name))) i = x;
      }
      if (!i) {
        // No structured source placed it: `ovs-vsctl list port`/`list interface` rows of that name
        // give its facts, this output its bridge.
        const placed = this.placeRowsByOfctl(b, name, n, file, e);
        if (placed?.iface) i = placed.iface;
        else {
          const unplaced = this.host.unplacedInterfaces.find((x) => x.name === name);
          const p = placed?.port ?? this.port(b, name, why);
          p.from.push(e);
          i = this.iface(p, unplaced?.name ?? name, why);
        }
      }
      i.ofport = this.fact(i.ofport, n, e, `interface ${i.name} ofport`);
      if (!i.from.some((x) => x.file === file)) i.from.push(e);
      i.ofctl = { name: op.name, addr: op.addr, config: op.config, state: op.state, from: e };
    }
  }

  /**
   * Rows of a port or interface no structured source placed (the case has no `ovs-vsctl show`,
   * no ovsdb-client dump, no Bridge row naming its Port row): `ovs-ofctl show <bridge>` listing it
   * places it on that bridge. The rows keep their facts (external_ids, type, ofport, options; the
   * tag only from a Port row); the host says which ports were placed so.
   */
  private placeRowsByOfctl(
    b: Bridge,
    name: string,
    ofport: number,
    file: string,
    e: Evidence,
  ): { port: Port; iface?: Interface } | undefined {
    const pi = pickPending(this.pendingIfaceRows, name);
    // The Port row of that name, else the one holding the interface row (a bond's member).
    const pp =
      pickPending(this.pendingPortRows, name) ??
      (pi
        ? [...this.pendingPortRows].find(([, v]) => uuidSet(v.pr.row.interfaces).includes(pi[1].uuid))
        : undefined);
    if (!pp && !pi) return undefined;
    // An interface row with another OpenFlow number is another port of that (cut) name.
    if (!pp && pi && name !== pi[0]) {
      const of = optInt(pi[1].ir.row.ofport);
      if (of !== null && of !== ofport) return undefined;
    }
    let port: Port;
    if (pp) {
      this.pendingPortRows.delete(pp[0]);
      const { uuid, pr, ifaces, placedIfaces } = pp[1];
      this.applyPortRow(b, uuid, pr, ifaces, placedIfaces);
      port = b.ports.find((x) => x.name === pp[0])!;
    } else
      port = this.port(
        b,
        pi![0],
        'the case has no `ovs-vsctl list port` row for it: collect `ovs-vsctl list port`',
      );
    if (!port.from.some((x) => x.file === e.file && x.line === e.line)) port.from.push(e);
    const key = `${b.name}\u0000${file}`;
    this.placedByOfctl.set(key, [...(this.placedByOfctl.get(key) ?? []), port.name]);
    const match = (x: Interface): boolean =>
      x.name === name || (name.length === 15 && x.name.startsWith(name));
    let iface = port.interfaces.find(match);
    if (!iface && pi) {
      this.applyIfaceRow(port, pi[1].uuid, pi[1].ir);
      iface = port.interfaces.find(match);
    }
    return iface ? { port, iface } : { port };
  }

  /** bridge NUL ofctl-show file → ports that output placed (rows gave their facts). */
  private readonly placedByOfctl = new Map<string, string[]>();

  applyFlows(
    bridgeName: string,
    dump: FlowDump<DumpEntry>,
    file: string,
    version: string | undefined,
    style: DumpStyle,
    table?: number,
    filtered?: boolean,
  ): void {
    const b = this.bridgeOfFile(bridgeName);
    if (table !== undefined) {
      this.applyTableFlows(b, dump, file, version, style, table);
      return;
    }
    const flows: BridgeFlows = {
      file,
      ...(dump.version
        ? { version: dump.version }
        : version
          ? { version: version as BridgeFlows['version'] & string }
          : {}),
      entries: [],
      complete: dump.complete,
      alternatives: [],
    };
    const index = dump.index;
    if (index) {
      // Every flow only when something asks for every flow; the lookup is not part of the JSON.
      Object.defineProperty(flows, 'entries', { enumerable: true, get: () => index.all() });
      Object.defineProperty(flows, 'lookup', { enumerable: false, value: index });
    } else flows.entries = dump.flows;
    this.styles.set(flows, style);
    if (filtered) this.filteredDumps.add(flows);
    const cur = b.flows;
    if (!cur.known) {
      b.flows = known(flows, ev(file, 0));
      return;
    }
    // A filtered excerpt (`grep`, `in_port=2`) beside per-table dumps: they are read, it is not.
    if (filtered && cur.value.tables) {
      cur.value.alternatives.push({ file, why: FILTERED_LOSES });
      return;
    }
    // A dump of the whole bridge wins over per-table dumps read before it (not checked against
    // them: taken at other times, their counters and learned flows differ anyway). One that is not
    // whole (an excerpt, cut short) only adds the tables none of them holds, each not whole.
    if (cur.value.tables) {
      if (!flows.complete) {
        this.mergeBridgeDump(cur, flows);
        return;
      }
      const lost = new Set<string>();
      flows.alternatives = [...cur.value.alternatives];
      for (const t of cur.value.tables) {
        if (lost.has(t.file)) continue;
        lost.add(t.file);
        flows.alternatives.push({
          file: t.file,
          why: t.bridgeDump ? whyNot(this.parts.get(t) ?? cur.value, flows) : wholeWins(t.table, file),
        });
      }
      b.flows = known(flows, ev(file, 0));
      return;
    }
    // Prefer a complete dump, then the OpenFlow 1.1+ one (trace-notes §4: OF1.0 misprints actions).
    const better = this.score(flows) > this.score(cur.value);
    if (better) {
      flows.alternatives = [
        ...cur.value.alternatives,
        { file: cur.value.file, why: whyNot(cur.value, flows) },
      ];
      b.flows = known(flows, ev(file, 0));
    } else cur.value.alternatives.push({ file, why: whyNot(flows, cur.value) });
  }

  /**
   * One table's dump (`ovs-ofctl dump-flows <br> table=N`): merged with the bridge's other
   * per-table dumps into one flow table that knows which tables it holds (BridgeFlows.tables).
   * Each flow keeps its own file and line. A whole dump of the bridge wins; of two dumps of one
   * table the better is kept (complete, then OpenFlow 1.1+, counters, port numbers).
   */
  private applyTableFlows(
    b: Bridge,
    dump: FlowDump<DumpEntry>,
    file: string,
    version: string | undefined,
    style: DumpStyle,
    table: number,
  ): void {
    const ver = dump.version ?? (version as BridgeFlows['version']);
    const part: BridgeFlows = {
      file,
      ...(ver ? { version: ver } : {}),
      entries: dump.flows,
      complete: dump.complete,
      alternatives: [],
    };
    this.styles.set(part, style);
    const held: TableDump = { table, file, complete: dump.complete };
    const cur = b.flows;
    if (!cur.known) {
      b.flows = known({ ...part, complete: false, tables: [held] }, ev(file, 0));
      this.parts.set(held, part);
      return;
    }
    const f = cur.value;
    if (!f.tables && this.filteredDumps.has(f)) {
      b.flows = known(
        {
          ...part,
          complete: false,
          tables: [held],
          alternatives: [...f.alternatives, { file: f.file, why: FILTERED_LOSES }],
        },
        ev(file, 0),
      );
      this.parts.set(held, part);
      return;
    }
    if (!f.tables && f.complete) {
      f.alternatives.push({ file, why: wholeWins(table, f.file) });
      return;
    }
    if (!f.tables) {
      // The bridge's dump is not whole (an excerpt, cut short): it displaces no table's own dump.
      // Its tables become parts of the per-table flows, each not whole; this one is merged next.
      const tables: BridgeFlows = {
        file,
        ...(ver ? { version: ver } : {}),
        entries: [],
        complete: false,
        alternatives: [...f.alternatives],
        tables: [],
      };
      const merged: Known<BridgeFlows> = { known: true, value: tables, from: [ev(file, 0)] };
      b.flows = merged;
      this.mergeBridgeDump(merged, f);
      this.mergeTable(merged, held, part);
      return;
    }
    this.mergeTable(cur, held, part);
  }

  /**
   * One table's flows into a bridge's per-table flows: of two dumps of one table the better is
   * kept (complete, then OpenFlow 1.1+, counters, port numbers); a dump of the table alone always
   * wins over the table as the bridge's dump (not whole) shows it. False: `part` was not kept.
   */
  private mergeTable(cur: Known<BridgeFlows>, held: TableDump, part: BridgeFlows): boolean {
    const f = cur.value;
    const tables = f.tables ?? [];
    const same = tables.find((t) => t.table === held.table);
    if (same) {
      const old = this.parts.get(same);
      const worse = held.bridgeDump
        ? !same.bridgeDump || (old !== undefined && this.score(part) <= this.score(old))
        : !same.bridgeDump && old !== undefined && this.score(part) <= this.score(old);
      if (worse) {
        if (!held.bridgeDump) f.alternatives.push({ file: part.file, why: whyNot(part, old ?? f) });
        return false;
      }
      f.entries = f.entries.filter((e) => e.flow.table !== held.table);
      f.tables = tables.filter((t) => t !== same);
      // The bridge's dump is said once, when no table of it is left.
      if (old && !same.bridgeDump) f.alternatives.push({ file: old.file, why: whyNot(old, part) });
      else if (old && !f.tables.some((t) => t.file === old.file))
        f.alternatives.push(bridgeDumpUnused(old.file));
    }
    this.parts.set(held, part);
    // Table order, each table's flows in its dump's order: as one dump of the bridge lists them.
    f.tables = [...(f.tables ?? []), held].sort((x, y) => x.table - y.table);
    const order = new Map(f.tables.map((t, i) => [t.table, i]));
    f.entries = [...f.entries, ...part.entries].sort(
      (x, y) => (order.get(x.flow.table) ?? 0) - (order.get(y.flow.table) ?? 0),
    );
    f.file = f.tables[0]!.file;
    const first = this.parts.get(f.tables[0]!);
    if (first?.version) f.version = first.version;
    else delete f.version;
    cur.from = [...new Set(f.tables.map((t) => t.file))].map((x) => ev(x, 0));
    return true;
  }

  /**
   * A bridge's dump that is not whole (an excerpt, cut short), beside per-table dumps: each table
   * it shows that none of them holds is merged as a part, not whole (TableDump.bridgeDump); the
   * others are read from their own dumps. Said among the alternatives when it adds no table.
   */
  private mergeBridgeDump(cur: Known<BridgeFlows>, whole: BridgeFlows): void {
    const style = this.styles.get(whole);
    const byTable = new Map<number, FlowEntry[]>();
    for (const e of whole.entries) {
      const list = byTable.get(e.flow.table);
      if (list) list.push(e);
      else byTable.set(e.flow.table, [e]);
    }
    let added = false;
    for (const [table, entries] of byTable) {
      const part: BridgeFlows = {
        file: whole.file,
        ...(whole.version ? { version: whole.version } : {}),
        entries,
        complete: false,
        alternatives: [],
      };
      if (style) this.styles.set(part, style);
      if (this.mergeTable(cur, { table, file: whole.file, complete: false, bridgeDump: true }, part))
        added = true;
    }
    if (!added) cur.value.alternatives.push(bridgeDumpUnused(whole.file));
  }

  /** Dumps read as excerpts because their file's name says they were filtered. */
  private readonly filteredDumps = new WeakSet<BridgeFlows>();

  /** Each per-table dump as read, for choosing between two dumps of one table. */
  private readonly parts = new WeakMap<TableDump, BridgeFlows>();

  /** A dump of the bridge that was not read because a better one is complete. */
  skipFlows(bridgeName: string, file: string, why: string): void {
    const b = this.bridgeOfFile(bridgeName);
    if (b.flows.known) b.flows.value.alternatives.push({ file, why });
  }

  applyNamespaces(list: readonly ParsedNamespace[], file: string): void {
    for (const ns of list) {
      const n = this.namespace(ns.name);
      if (ns.id !== undefined) n.id = ns.id;
      n.from.push(ev(file, ns.line));
    }
  }

  namespace(name: string): Host['namespaces'][number] {
    let n = this.host.namespaces.find((x) => x.name === name);
    if (!n) {
      n = { name, from: [] };
      this.host.namespaces.push(n);
    }
    return n;
  }

  applyDevices(ns: string | undefined, devices: readonly ParsedNetDevice[], file: string): void {
    const list: NetDevice[] = devices.map((d) => ({
      name: d.name,
      ...(d.peer ? { peer: d.peer } : {}),
      ...(d.mac ? { mac: d.mac } : {}),
      flags: d.flags,
      up: d.up,
      ...(d.operstate ? { operstate: d.operstate } : {}),
      ...(d.mtu !== undefined ? { mtu: d.mtu } : {}),
      addresses: d.addresses.map((a) => ({
        family: a.family,
        address: a.address,
        prefixlen: a.prefixlen,
        from: ev(file, a.line),
      })),
      from: ev(file, d.line),
    }));
    if (ns === undefined) {
      this.host.devices = mergeDevices(this.host.devices, list);
      return;
    }
    const n = this.namespace(ns);
    n.devices = mergeDevices(n.devices, list);
    if (!n.from.some((x) => x.file === file)) n.from.push(ev(file, 0));
  }

  /** An `ip link` listing: the devices it shows, never their addresses (Host.links, Namespace.links). */
  applyLinks(
    ns: string | undefined,
    devices: readonly ParsedNetDevice[],
    file: string,
    whole: boolean,
  ): void {
    const listing: LinkListing = {
      file,
      whole,
      devices: devices.map((d) => ({
        name: d.name,
        ...(d.peer ? { peer: d.peer } : {}),
        ...(d.mac ? { mac: d.mac } : {}),
        up: d.up,
        from: ev(file, d.line),
      })),
    };
    const on = ns === undefined ? this.host : this.namespace(ns);
    // Two listings of one namespace: the whole one proves absence, either shows presence.
    if (on.links && (on.links.whole || !whole)) {
      for (const d of listing.devices)
        if (!on.links.devices.some((x) => x.name === d.name)) on.links.devices.push(d);
      return;
    }
    if (on.links)
      for (const d of on.links.devices)
        if (!listing.devices.some((x) => x.name === d.name)) listing.devices.push(d);
    on.links = listing;
    if (ns !== undefined) {
      const n = this.namespace(ns);
      if (!n.from.some((x) => x.file === file)) n.from.push(ev(file, 0));
    }
  }

  private readonly styles = new WeakMap<BridgeFlows, DumpStyle>();

  /** Complete first, then OpenFlow 1.1+ (trace-notes §4), then with counters, then port numbers. */
  private score(f: BridgeFlows): number {
    const st = this.styles.get(f);
    return (f.complete ? 1000 : 0) + rank(f) * 10 + (st?.noStats ? 0 : 2) + (st?.names ? 0 : 1);
  }

  applyFdb(fileBridge: string, entries: readonly FdbEntry[], file: string): void {
    const b = this.bridgeOfFile(fileBridge);
    b.fdb = {
      file,
      entries: entries.map((e) => ({
        port: e.port === 'LOCAL' ? 65534 : e.port,
        vlan: e.vlan,
        mac: parseMacOnly(e.mac, 'mac'),
        from: ev(file, e.line),
      })),
    };
  }

  applySockets(ns: string | undefined, v: SocketListingText, file: string): void {
    if (ns === undefined) return;
    const n = this.namespace(ns);
    n.sockets = [
      ...(n.sockets ?? []),
      ...v.listeners.map((l) => ({
        proto: l.proto,
        address: l.address,
        port: l.port,
        ...(l.process ? { process: l.process } : {}),
        ...(l.pid !== undefined ? { pid: l.pid } : {}),
        from: ev(file, l.line),
      })),
    ];
    // What the listing covers rests on its header (and the command in the file's name).
    const from = ev(file, v.header ?? 0);
    n.socketListings = [
      ...(n.socketListings ?? []),
      {
        file,
        ...(v.command ? { command: v.command } : {}),
        scope: 'value' in v.scope ? known(v.scope.value, from) : unknown(`${file}: ${v.scope.why}`),
        processes: v.processes.map((p) => ({ name: p.name, pid: p.pid, from: ev(file, p.line) })),
        from,
      },
    ];
    if (!n.from.some((x) => x.file === file)) n.from.push(ev(file, 0));
  }

  applyOffloads(ns: string | undefined, o: Offloads, file: string): void {
    if (ns === undefined || !o.device) return;
    const n = this.namespace(ns);
    n.offloads = {
      ...(n.offloads ?? {}),
      [o.device]: {
        ...(o.txChecksum !== undefined ? { txChecksum: o.txChecksum } : {}),
        from: ev(file, o.line),
      },
    };
  }

  applyIptables(ns: string | undefined, v: IptablesInfo, file: string): void {
    if (ns === undefined) {
      // Every save is kept (iptables-nft's and iptables-legacy's can both hook the kernel): the
      // checks evaluate each. One identical to a save already read (the same rules, chains and
      // policies; counters aside) is the same evidence, read once.
      const f = v.filter;
      const saves = this.host.iptables ?? [];
      const same = saves.find((x) => iptablesKey(x) === iptablesKey({ rules: v.rules, filter: f }));
      if (same) return;
      saves.push({
        rules: v.rules,
        ...(f
          ? {
              filter: {
                chains: f.chains.map((c) => ({
                  name: c.name,
                  ...(c.policy ? { policy: c.policy } : {}),
                  from: ev(file, c.line),
                })),
                rules: f.rules.map((r) => ({ chain: r.chain, text: r.text, from: ev(file, r.line) })),
              },
            }
          : {}),
        from: ev(file, 0),
      });
      this.host.iptables = saves;
      return;
    }
    this.namespace(ns).iptables = {
      rules: v.rules,
      ...(v.checksumFill
        ? { checksumFill: { file, line: v.checksumFill.line, text: v.checksumFill.text } }
        : {}),
      from: ev(file, 0),
    };
  }

  /**
   * What one source says of net.bridge.bridge-nf-call-iptables. Sources that agree add their
   * evidence; sources that disagree leave it unknown (which one is right the case does not say),
   * and the conflict is reported.
   */
  applyBridgeNf(value: BridgeNf, e: Evidence): void {
    const cur = this.host.bridgeNfCallIptables;
    if (cur === undefined) {
      this.host.bridgeNfCallIptables = known(value, e);
      return;
    }
    if (!cur.known) return;
    if (cur.value === value) {
      if (!cur.from.some((x) => x.file === e.file && x.line === e.line)) cur.from.push(e);
      return;
    }
    const was = cur.from[0]!;
    this.diags.push({
      file: e.file,
      line: e.line,
      severity: 'warning',
      code: 'conflict',
      message: `net.bridge.bridge-nf-call-iptables is ${value} here but ${cur.value} in ${where(was)}: taken as unknown`,
    });
    this.host.bridgeNfCallIptables = unknown(`${where(e)} says ${value} but ${where(was)} says ${cur.value}`);
  }

  /**
   * Each Linux bridge's own nf_call_iptables option (`ip -d link`, `ip -d address` of the host's
   * namespace). Sources that agree add their evidence; sources that disagree leave it unknown.
   */
  applyBridgeOptions(devices: readonly ParsedNetDevice[], file: string): void {
    for (const d of devices) {
      const o = d.bridgeNfCallIptables;
      if (!o) continue;
      const e = ev(file, o.line);
      if (!this.host.linuxBridges) this.host.linuxBridges = [];
      const list = this.host.linuxBridges;
      const cur = list.find((b) => b.name === d.name);
      if (!cur) {
        list.push({ name: d.name, nfCallIptables: known(o.value, e) });
        continue;
      }
      const f = cur.nfCallIptables;
      if (!f.known) continue;
      if (f.value === o.value) {
        if (!f.from.some((x) => x.file === e.file && x.line === e.line)) f.from.push(e);
        continue;
      }
      const was = f.from[0]!;
      const say = (v: boolean): string => `nf_call_iptables ${v ? 1 : 0}`;
      this.diags.push({
        file: e.file,
        line: e.line,
        severity: 'warning',
        code: 'conflict',
        message: `${d.name}'s ${say(o.value)} here but ${say(f.value)} in ${where(was)}: taken as unknown`,
      });
      cur.nfCallIptables = unknown(`${where(e)} says ${say(o.value)} but ${where(was)} says ${say(f.value)}`);
    }
  }

  private dhcpNetwork(net: string, file: string): DhcpNetwork {
    let n = this.host.dhcpNetworks.find((x) => x.net === net);
    if (!n) {
      n = { net, files: [] };
      this.host.dhcpNetworks.push(n);
    }
    n.files.push(file);
    return n;
  }

  applyDhcpLeases(net: string, leases: readonly DhcpLease[], file: string): void {
    this.dhcpNetwork(net, file).leases = leases.map((l) => ({
      mac: l.mac,
      ip: l.ip,
      expiry: l.expiry,
      ...(l.hostname ? { hostname: l.hostname } : {}),
      from: ev(file, l.line),
    }));
  }

  applyDhcpOpts(net: string, opts: readonly DhcpOpt[], file: string): void {
    this.dhcpNetwork(net, file).opts = opts.map((o) => ({
      ...(o.tag ? { tag: o.tag } : {}),
      option: o.option,
      value: o.value,
      from: ev(file, o.line),
    }));
  }

  applyDhcpPid(net: string, pid: number | undefined, file: string): void {
    const n = this.dhcpNetwork(net, file);
    if (pid !== undefined) n.pid = { pid, from: ev(file, 1) };
  }

  applyDhcpHosts(net: string, entries: readonly DhcpHostEntry[], file: string): void {
    const n = this.dhcpNetwork(net, file);
    n.hosts = entries.map((e) => ({
      mac: e.mac,
      ...(e.ip ? { ip: e.ip } : {}),
      ...(e.name ? { name: e.name } : {}),
      from: ev(file, e.line),
    }));
  }

  applyDnsmasqLog(events: readonly DhcpLogEvent[], file: string, net?: string): void {
    // Each log is its own file: a second one is kept beside the first, never in its place.
    this.host.dnsmasqLogs ??= [];
    this.host.dnsmasqLogs.push({
      file,
      ...(net ? { net } : {}),
      events: events.map((e) => ({
        type: e.type,
        iface: e.iface,
        ...(e.mac ? { mac: e.mac } : {}),
        ...(e.ip ? { ip: e.ip } : {}),
        ...(e.note ? { note: e.note } : {}),
        ...(e.pid !== undefined ? { pid: e.pid } : {}),
        ...(e.time ? { time: e.time } : {}),
        text: e.text,
        from: ev(file, e.line),
      })),
    });
  }

  /** The dnsmasq processes of a `ps` listing: one seen in two listings (ps_auxfwww, ps_-elfL) is kept once. */
  applyDnsmasqProcesses(procs: readonly ParsedDnsmasqProcess[], file: string): void {
    for (const p of procs) {
      const key = (x: { pid?: number; interfaces: readonly string[] }): string =>
        `${x.pid ?? ''}\u0000${x.interfaces.join(' ')}`;
      if ((this.host.dnsmasqProcesses ?? []).some((x) => key(x) === key(p))) continue;
      this.host.dnsmasqProcesses ??= [];
      this.host.dnsmasqProcesses.push({
        ...(p.pid !== undefined ? { pid: p.pid } : {}),
        interfaces: [...p.interfaces],
        ...(p.net ? { net: p.net } : {}),
        ...(p.namespace ? { namespace: p.namespace } : {}),
        text: p.text,
        from: ev(file, p.line),
      });
    }
  }

  applyDhclient(v: DhcpClientOutput, file: string): void {
    const at: DhcpClient['at'] = {};
    for (const k of ['listening', 'badChecksums', 'noOffers', 'bound', 'firstDiscover'] as const) {
      const x = v.at[k];
      if (x) at[k] = { ...ev(file, x.line), text: x.text };
    }
    // Each output is one run of the client: a second one is another moment, kept beside the first.
    this.host.dhcpClients ??= [];
    this.host.dhcpClients.push({
      file,
      discovers: v.discovers,
      offers: v.offers,
      lease: v.lease,
      ...(v.badChecksums !== undefined ? { badChecksums: v.badChecksums } : {}),
      ...(v.mac ? { mac: v.mac } : {}),
      ...(v.iface ? { iface: v.iface } : {}),
      ...(v.answers.length
        ? {
            answers: v.answers.map((x) => ({
              ...ev(file, x.line),
              type: x.type,
              server: x.server,
              ...(x.ip ? { ip: x.ip } : {}),
              text: x.text,
            })),
          }
        : {}),
      at,
    });
  }

  /**
   * Host.ovn from what the case said: ovn-controller's settings in the Open_vSwitch row, the Port
   * and Interface rows it wrote, its tunnels, flows, processes, logs, sos's OVN plugins. A log or
   * sos's plugin alone (a past, or a package) does not outweigh an Open_vSwitch row without
   * ovn-controller's settings.
   */
  private ovnFact(): Host['ovn'] {
    const signs: OvnSign[] = [...this.ovnSigns];
    const ids = this.ovsIds;
    const ovnKeys = ids ? Object.keys(ids.ids).filter((k) => k.startsWith('ovn-')) : [];
    if (ids && ovnKeys.length > 0) {
      // ovn-remote first: it is what ovn-controller connects to.
      const keys = ovnKeys.sort((a, b) => Number(b === 'ovn-remote') - Number(a === 'ovn-remote'));
      signs.push({
        role: 'chassis',
        kind: 'config',
        text: `Open_vSwitch external_ids: ${keys.map((k) => mapEntry(k, ids.ids[k]!)).join(', ')}`,
        from: ids.from,
      });
    }
    for (const b of this.host.bridges)
      for (const p of b.ports) {
        const pids = p.externalIds.known ? p.externalIds.value : {};
        const pk = OVN_PORT_KEYS.find((k) => pids[k] !== undefined);
        if (pk && p.externalIds.known && p.externalIds.from[0])
          signs.push({
            role: 'chassis',
            kind: 'record',
            text: `Port ${p.name} external_ids:${mapEntry(pk, pids[pk]!)}`,
            from: p.externalIds.from[0],
          });
        for (const i of p.interfaces) {
          const iids = i.externalIds.known ? i.externalIds.value : {};
          const ik = OVN_IFACE_KEYS.find((k) => iids[k] !== undefined);
          if (ik && i.externalIds.known && i.externalIds.from[0])
            signs.push({
              role: 'chassis',
              kind: 'record',
              text: `Interface ${i.name} external_ids:${mapEntry(ik, iids[ik]!)}`,
              from: i.externalIds.from[0],
            });
          const type = i.type.known ? i.type.value : undefined;
          const opts = i.options.known ? i.options.value : undefined;
          if (
            type !== undefined &&
            ['geneve', 'vxlan', 'stt'].includes(type) &&
            OVN_TUNNEL.test(i.name) &&
            (opts === undefined || opts.key === 'flow') &&
            i.from[0]
          )
            signs.push({
              role: 'chassis',
              kind: 'tunnel',
              text: `Interface ${i.name}: type ${type}${
                opts
                  ? `, options ${Object.entries(opts)
                      .map(([k, v]) => mapEntry(k, v))
                      .join(', ')}`
                  : ''
              } (ovn-controller names its tunnels ovn-<chassis>-<n>)`,
              from: i.from[0],
            });
        }
      }
    // Ports named as ovn-controller names its tunnels whose type the case does not give (a sos
    // `ovs-ofctl dump-ports-desc` lists names only): several on one bridge are a sign, from names.
    // ovn-controller puts its tunnels on the integration bridge only; and where the host shows
    // Neutron's OVS agent (its process, its config, a flow only it writes) they are names only.
    const c = this.host.agentConfig;
    const agentConfig = c !== undefined && Object.keys(c).some((k) => k !== 'file');
    const ml2Here = agentConfig || this.ml2Signs.some((x) => x.bridge === undefined);
    for (const b of ml2Here ? [] : this.host.bridges) {
      if (bridgeRole(this.host, b).role !== 'integration') continue;
      if (this.ml2Signs.some((x) => x.bridge === b.name)) continue;
      const named = b.ports.filter(
        (p) =>
          OVN_TUNNEL.test(p.name) &&
          p.from[0] &&
          p.interfaces.every((i) => !i.type.known) &&
          !signs.some((x) => x.kind === 'tunnel' && x.text.startsWith(`Interface ${p.name}:`)),
      );
      if (named.length < TUNNEL_NAMES_MIN) continue;
      signs.push({
        role: 'chassis',
        kind: 'tunnel-names',
        text: `${b.name} ports ${named.map((p) => p.name).join(', ')}: named as ovn-controller names its tunnels (ovn-<chassis>-<n>), their type not in the case (a sign from names, not proof)`,
        from: named[0]!.from[0]!,
      });
    }
    const order = (x: OvnSign): number => SIGN_ORDER.indexOf(x.kind);
    const pick = (role: OvnSign['role']): OvnSign[] => {
      const per = new Map<string, number>();
      return signs
        .filter((x) => x.role === role)
        .sort((a, b) => order(a) - order(b))
        .filter((x) => {
          const n = (per.get(x.kind) ?? 0) + 1;
          per.set(x.kind, n);
          return n <= SIGNS_PER_KIND;
        });
    };
    let chassis = pick('chassis');
    // Only a log or sos's plugin choice, against an Open_vSwitch row without ovn-controller's settings.
    if (ids && ovnKeys.length === 0 && !chassis.some((x) => CURRENT.has(x.kind))) chassis = [];
    const central = pick('central');
    if (chassis.length === 0 && central.length === 0) {
      if (ids) return known(null, ids.from);
      return unknown(
        "the case holds no Open_vSwitch row (`ovs-vsctl list Open_vSwitch`: its external_ids ovn-remote says whether ovn-controller programs this host's OVS) and nothing else shows OVN",
      );
    }
    const value: OvnHost = {
      chassis,
      central,
      ...(ids?.ids['ovn-remote'] ? { remote: ids.ids['ovn-remote'] } : {}),
      ...(ids?.ids['system-id'] && chassis.length > 0 ? { systemId: ids.ids['system-id'] } : {}),
    };
    return known(value, ...[...chassis, ...central].map((x) => x.from));
  }

  /** Say what a fuller picture would need. */
  finish(): Host {
    this.finishRows();
    const h = this.host;
    // Ports an excerpt showed without their Bridge line that nothing placed: OVS ports all the same.
    for (const [name, { sp, file }] of this.pendingShowPorts) {
      const p = this.newPort(name, `${file} is an excerpt: the lines it leaves out may say it`);
      const pe = ev(file, sp.line);
      p.from.push(pe);
      if (sp.tag !== undefined) p.tag = known(sp.tag, pe);
      if (sp.trunks !== undefined) p.trunks = known(sp.trunks, pe);
      for (const si of sp.interfaces) {
        const i = this.findInterface(si.name);
        if (i) p.interfaces.push(i);
      }
      h.unplacedPorts = [...(h.unplacedPorts ?? []), p];
    }
    h.ovn = this.ovnFact();
    for (const [key, names] of this.placedByOfctl) {
      const [bridge, file] = key.split('\u0000') as [string, string];
      const them = names.length === 1 ? 'it' : 'them';
      h.gaps.push(
        `bridge ${bridge}: ${names.join(', ')} placed on it because ${file} lists ${them} (the case has no \`ovs-vsctl show\`, ovsdb-client dump, or \`ovs-vsctl list port\` with \`list bridge\`); the rest of what is known of ${them} is from its \`ovs-vsctl list\` rows (collect \`ovs-vsctl show\` to confirm)`,
      );
    }
    for (const b of h.bridges) {
      if (!b.flows.known)
        h.gaps.push(`bridge ${b.name}: no flow dump (collect \`${dumpFlowsCommand(this.host, b.name)}\`)`);
      if (!b.failMode.known) h.gaps.push(`bridge ${b.name}: fail_mode unknown (collect \`ovs-vsctl show\`)`);
      // Pasted `ovs-vsctl show` and dump-flows name ports but give no OpenFlow numbers: no trace
      // can start at or reach a port of this bridge.
      const ifaces = b.ports.flatMap((p) => p.interfaces);
      if (ifaces.length > 0 && ifaces.every((i) => !i.ofport.known))
        h.gaps.push(
          `bridge ${b.name}: OpenFlow port numbers unknown (collect \`ovs-ofctl show ${operands(b.name)}\`)`,
        );
      const untagKnown = b.ports.filter((p) => !p.tag.known).map((p) => p.name);
      if (untagKnown.length > 0)
        h.gaps.push(
          `bridge ${b.name}: tag unknown for ${untagKnown.join(', ')} (collect \`ovs-vsctl list port\`)`,
        );
    }
    for (const ns of h.namespaces)
      if (!ns.devices)
        h.gaps.push(
          `namespace ${ns.name}: devices not collected (\`ip netns exec ${shellWord(ns.name)} ip -d address show\`)`,
        );
    return h;
  }
}

/** Port external_ids ovn-controller writes (controller/encaps.c, patch.c). */
const OVN_PORT_KEYS = [
  'ovn-chassis-id',
  'ovn-localnet-port',
  'ovn-l2gateway-port',
  'ovn-l3gateway-port',
  'ovn-logical-patch-port',
];
/** Interface external_ids ovn-controller writes once it has bound the port (controller/binding.c). */
const OVN_IFACE_KEYS = ['ovn-installed'];
/** ovn-controller's tunnel names: `ovn-%.6s-%x` of the remote chassis (`ovn<idx>-%.5s-%x` with ovn-chassis-idx). */
const OVN_TUNNEL = /^ovn\d*-.{1,6}-[0-9a-f]+$/;
/** Evidence of OVN, strongest first: what OVSDB and the flows say now, then processes, logs, sos. */
const SIGN_ORDER: readonly OvnSign['kind'][] = [
  'config',
  'record',
  'tunnel',
  'flow',
  'process',
  'tunnel-names',
  'log',
  'sos-plugin',
  'db-output',
];
/** Ports of one bridge named as OVN's tunnels that make a sign (one such name may be anyone's). */
const TUNNEL_NAMES_MIN = 2;
/** Signs that say the host's state now; a log or sos's plugin choice may tell of a past or of a package only. */
const CURRENT: ReadonlySet<OvnSign['kind']> = new Set(['config', 'record', 'tunnel', 'flow', 'process']);
/** Signs kept per kind (a host with 200 bound VM ports needs no 200 lines to show it is a chassis). */
const SIGNS_PER_KIND = 3;

/** `key=value` as ovs-vsctl prints a map entry (the value quoted when it needs it). */
function mapEntry(k: string, v: string): string {
  return `${k}=${/^[A-Za-z_][\w.-]*$/.test(v) && v !== 'true' && v !== 'false' ? v : JSON.stringify(v)}`;
}

/** The pending row of that name, or of the one longer name it is cut from (ovs-ofctl cuts to 15 bytes). */
function pickPending<V>(m: Map<string, V>, name: string): [string, V] | undefined {
  const v = m.get(name);
  if (v !== undefined) return [name, v];
  if (name.length !== 15) return undefined;
  const c = [...m].filter(([k]) => k.startsWith(name));
  return c.length === 1 ? c[0] : undefined;
}

function rank(f: BridgeFlows): number {
  return f.version ? Number(f.version.slice(-1)) : 0;
}

/** How a dump was asked for: statistics make counters available; numbers need no name lookup. */
export interface DumpStyle {
  noStats: boolean;
  names: boolean;
}

const FILTERED_LOSES =
  "filtered (an excerpt of the bridge's flows): the bridge's per-table dumps are read instead";

type Known<T> = Extract<Fact<T>, { known: true }>;

/** Why a bridge's dump that is not whole is unused beside per-table dumps (case-dir.ts says it). */
export const BRIDGE_DUMP_UNUSED =
  "the bridge's dump, not whole (an excerpt, or cut short): every table it shows is read from that table's own dump";

function bridgeDumpUnused(file: string): { file: string; why: string } {
  return { file, why: BRIDGE_DUMP_UNUSED };
}

function wholeWins(table: number, whole: string): string {
  return `table ${table} alone; ${whole} is the bridge's whole dump, read instead`;
}

function whyNot(loser: BridgeFlows, winner: BridgeFlows): string {
  if (!loser.complete && winner.complete) return 'incomplete (OVS stopped early or lines were unreadable)';
  if (rank(loser) < rank(winner))
    return `${winner.version} dump preferred (OpenFlow 1.0 dumps misprint 1.1+ actions)`;
  return `${winner.file} preferred (counters and port numbers)`;
}

function mergeDevices(cur: NetDevice[] | undefined, add: NetDevice[]): NetDevice[] {
  if (!cur) return add;
  for (const d of add) {
    const ex = cur.find((x) => x.name === d.name);
    if (!ex) cur.push(d);
    else
      for (const a of d.addresses)
        if (!ex.addresses.some((x) => x.address === a.address && x.prefixlen === a.prefixlen))
          ex.addresses.push(a);
  }
  return cur;
}

/** What one iptables save says, without where it says it: two saves with one key are one. */
function iptablesKey(v: {
  rules: number;
  filter?: {
    chains: readonly { name: string; policy?: string }[];
    rules: readonly { chain: string; text: string }[];
  };
}): string {
  return JSON.stringify([
    v.rules,
    v.filter ? v.filter.chains.map((c) => [c.name, c.policy ?? '']) : null,
    v.filter ? v.filter.rules.map((r) => [r.chain, r.text]) : null,
  ]);
}
