// What the trace engine knows of the case: every bridge with its compiled tables and ports, the
// patch and wire connections between them, and the endpoints (namespaces, host devices). Facts
// the case lacks are filled by explicit, printed assumptions.
import { dumpFlowsCommand } from '../model/ovs-version.ts';
import type {
  Bridge,
  BridgeFlows,
  FlowEntry,
  FlowLookup,
  Host,
  Interface,
  Port,
  Snapshot,
  TableDump,
  VlanMode,
} from '../model/snapshot.ts';
import { excerptCut, findExcerpt } from '../model/snapshot.ts';
import { formatFlowRule } from '../openflow/flow.ts';
import type { PortRef } from '../openflow/types.ts';
import { OFPP_MAX } from '../openflow/values.ts';
import { operands, shellWord } from '../runner/runner.ts';
import {
  type CompiledTable,
  compileTable,
  evaluablePartMatches,
  type PortResolver,
  unsupportedItem,
} from './classifier.ts';
import { FIELD_ACCESS } from './fields.ts';
import { unnumbered } from './ofports.ts';
import type { Packet } from './packet.ts';
import type { ResolvedEndpoint } from './trace.ts';
import type { Assumption } from './tree.ts';
import {
  buildUnderlay,
  type HostUnderlay,
  type TunnelConfig,
  tunnelConfig,
  type UnderlayOwner,
} from './tunnel.ts';

export const OFPP_LOCAL = 65534;

/**
 * Stand-in port numbers: a port the case names without its OpenFlow number (pasted `ovs-vsctl
 * show`, dumps printed with --names) is held under a number no OpenFlow port has (OVS's are 16
 * bits), so flows naming it, NORMAL, floods and patches work on it as on any port. It is never a
 * guess at the real number: a step that needs the real one (a flow matching or sending to a
 * number, in_port copied into a field, a learned port) is not followed (trace.ts, actions.ts,
 * normal.ts), and no stand-in is printed.
 */
const STAND_IN_BASE = 0x40000000;

export function isStandIn(n: number): boolean {
  return n >= STAND_IN_BASE && n < 2 * STAND_IN_BASE;
}

export interface PortVlan {
  tag: number | null;
  trunks: number[];
  mode: VlanMode;
  /** Why the config is assumed, when it is. */
  assumed?: Assumption;
}

export interface RtPort {
  name: string;
  ofport: number;
  port?: Port;
  iface?: Interface;
  vlan: PortVlan;
  /** Patch peer name, when known or inferred. */
  peer?: string;
  peerAssumed?: Assumption;
  /**
   * The peer is on no bridge the case shows, but the host's OVSDB lists it (an `ovsdb-client
   * monitor` or `ovs-vsctl list` row): a bridge the case lacks holds it. Not a dead patch: a gap.
   */
  peerUnplaced?: Interface;
  /** A VXLAN/GRE/Geneve port: its type, addresses and keys. */
  tunnel?: TunnelConfig;
  local: boolean;
  /** `ofport` is a stand-in: the case does not give the port's OpenFlow number. */
  standIn?: true;
}

export interface RtBridge {
  host: string;
  name: string;
  bridge?: Bridge;
  /** null: no flow dump; NORMAL is assumed. */
  tables: Tables | null;
  ports: Map<number, RtPort>;
  byName: Map<string, RtPort>;
  /** The ports held under stand-in numbers (their OpenFlow numbers unknown), when any. */
  standIns?: string[];
  /** Not in the case at all: inferred from Neutron naming. */
  inferred?: Assumption;
  /**
   * An inferred bridge with no known port but its patch (no uplink either): where it forwards a
   * packet is unknown, not nowhere. Why, and the command that lists its ports.
   */
  portsUnknown?: Assumption;
  /** With portsUnknown: the host's wires without an OVS port, any of which may be its uplink. */
  uplinkCandidates?: string[];
  /** The flow dump was cut short or held unreadable lines: why (traces crossing it are not proven). */
  incomplete?: string;
  /**
   * The flows come from per-table dumps (BridgeFlows.tables): the tables they hold. A lookup in
   * one of them is judged as in a whole dump (unless its own dump is incomplete); in any other
   * table it is unknown (trace.ts runTable).
   */
  held?: ReadonlyMap<number, TableDump>;
  /** NORMAL's MAC table from `ovs-appctl fdb/show`: `vlan/mac` → OpenFlow port. */
  fdb?: { file: string; entries: Map<string, { port: number; line: number }> };
}

export interface World {
  snapshot: Snapshot;
  bridges: RtBridge[];
  /** host → interface name → bridge port. */
  ifaces: Map<string, Map<string, { bridge: RtBridge; port: RtPort }>>;
  hosts: Map<string, Host>;
  /**
   * `host\0iface` → the far ends of its wires (links.txt or inferred), both directions. An
   * interface wired more than once joins a shared segment (a provider network's flat/VLAN L2
   * segment seen by a compute node and two DHCP-agent hosts): every interface of the segment
   * reaches every other one, as a hub or switch would carry a frame to all of them.
   */
  links: Map<string, { host: string; iface: string }[]>;
  /** Where each device leads, worked out once per world (traces ask again and again). */
  endpoints: Map<string, ResolvedEndpoint>;
  /** host → its underlay addresses (the ends of its tunnels). */
  underlay: Map<string, HostUnderlay>;
  /** IPv4 address → the host of the case that owns it (tunnels go there). */
  owners: Map<string, UnderlayOwner>;
}

function portVlan(p: Port | undefined, name: string): PortVlan {
  if (!p?.tag.known) {
    return {
      tag: null,
      trunks: [],
      mode: 'trunk',
      assumed: {
        code: 'port-vlan-unknown',
        text: `port ${name}: tag unknown (${p && !p.tag.known ? p.tag.why : 'not in OVSDB evidence'}); treated as a port without tag (trunk of every VLAN)`,
        remedy: `ovs-vsctl list port ${shellWord(name)}`,
      },
    };
  }
  const tag = p.tag.value;
  const trunks = p.trunks.known ? p.trunks.value : [];
  let mode: VlanMode;
  let assumed: Assumption | undefined;
  if (p.vlanMode.known && p.vlanMode.value) mode = p.vlanMode.value;
  else {
    mode = tag !== null ? 'access' : 'trunk';
    if (!p.vlanMode.known && tag !== null && trunks.length > 0)
      assumed = {
        code: 'vlan-mode-unknown',
        text: `port ${name}: vlan_mode unknown with tag and trunks; treated as access (OVS's default)`,
        remedy: `ovs-vsctl get port ${shellWord(name)} vlan_mode`,
      };
  }
  return { tag, trunks, mode, ...(assumed ? { assumed } : {}) };
}

export function buildWorld(snapshot: Snapshot): World {
  const w: World = {
    snapshot,
    bridges: [],
    ifaces: new Map(),
    hosts: new Map(),
    links: new Map(),
    endpoints: new Map(),
    underlay: new Map(),
    owners: new Map(),
  };
  w.links = segments(snapshot.links);
  let nextStandIn = STAND_IN_BASE;
  for (const h of snapshot.hosts) {
    w.hosts.set(h.name, h);
    const imap = new Map<string, { bridge: RtBridge; port: RtPort }>();
    w.ifaces.set(h.name, imap);
    for (const b of h.bridges) {
      const rb: RtBridge = {
        host: h.name,
        name: b.name,
        bridge: b,
        tables: null,
        ports: new Map(),
        byName: new Map(),
        ...(b.fdb
          ? {
              fdb: {
                file: b.fdb.file,
                entries: new Map(
                  b.fdb.entries.map((e) => [`${e.vlan}/${e.mac}`, { port: e.port, line: e.from.line }]),
                ),
              },
            }
          : {}),
      };
      // Ports without a known number. Not one OVSDB says OVS could not open (its ofport is -1
      // then: no packet enters or leaves there), whose branches stay not followed.
      const numberless = new Set(
        unnumbered(b, h)
          .filter((u) => !u.iface.error)
          .map((u) => u.iface),
      );
      for (const p of b.ports) {
        for (const i of p.interfaces) {
          let of = i.ofport.known ? i.ofport.value : null;
          let standIn = false;
          // The interface named as its bridge is always the bridge's LOCAL port.
          if (of === null && numberless.has(i) && i.name === b.name) of = OFPP_LOCAL;
          else if (of === null && numberless.has(i)) {
            of = nextStandIn++;
            standIn = true;
            rb.standIns = [...(rb.standIns ?? []), i.name];
          }
          if (of === null || of < 0) continue;
          const tunnel = tunnelConfig(h.name, i.name, i);
          const rp: RtPort = {
            name: i.name,
            ofport: of,
            port: p,
            iface: i,
            vlan: portVlan(p, p.name),
            local: of === OFPP_LOCAL,
            ...(i.options.known && i.options.value.peer ? { peer: i.options.value.peer } : {}),
            ...(tunnel ? { tunnel } : {}),
            ...(standIn ? { standIn: true as const } : {}),
          };
          rb.ports.set(of, rp);
          rb.byName.set(i.name, rp);
          imap.set(i.name, { bridge: rb, port: rp });
        }
      }
      w.bridges.push(rb);
    }
    inferPatches(w, h.name);
    placePeers(w, h);
  }
  for (const rb of w.bridges) lazyFlows(rb, w.hosts.get(rb.host));
  buildUnderlay(w);
  return w;
}

/**
 * A bridge's port names (and LOCAL) to OpenFlow port numbers, as far as the case gives them (a
 * port without one: its stand-in). A number no port of the bridge has, while some have stand-ins,
 * may be one of theirs: undefined (not evaluated) below OVS's reserved ports.
 */
export function resolver(rb: RtBridge): (ref: PortRef) => number | undefined {
  return (ref) => {
    if (ref.kind === 'number')
      return rb.standIns && !rb.ports.has(ref.n) && ref.n < OFPP_MAX ? undefined : ref.n;
    if (ref.kind === 'reserved') return ref.name === 'LOCAL' ? OFPP_LOCAL : undefined;
    return rb.byName.get(ref.name)?.ofport;
  };
}

/** What a trace asks of a bridge's flows: one table, compiled (as far as packet `p` can tell, the flows it can match). */
export interface Tables {
  get(table: number, p: Packet): UnsureTable | undefined;
}

/** A flow of the table whose match the model cannot evaluate, and what of it can rule a packet out. */
export interface UnsureFlow {
  text: string;
  priority: number;
  /** in_port and dl_vlan as numbers, when the flow matches them so (else any packet may match). */
  inPort?: number;
  vlan?: number;
  /** Whether a packet matches the items of the flow the model does evaluate. */
  rest?: (p: Packet) => boolean;
  /**
   * It matches in_port by a number no port of the bridge has in the case, while some have only
   * stand-ins: a packet from one of those may match it (which, the case does not say).
   */
  byNumber?: { rule: string; from: FlowEntry['from'] };
}

/** A compiled table and the flows in it the model cannot evaluate. */
export interface UnsureTable extends CompiledTable {
  unsure: UnsureFlow[];
}

/**
 * Whether packet `p` could match the unevaluated flow `u`: its in_port and VLAN, and the rest of
 * its match the model evaluates, do not rule it out.
 */
export function mayMatch(u: UnsureFlow, p: Packet): boolean {
  return (
    (u.inPort === undefined ||
      u.inPort === p.in_port ||
      (u.byNumber !== undefined && isStandIn(p.in_port))) &&
    (u.vlan === undefined || u.vlan === DL_VLAN.num!(p)) &&
    (u.rest === undefined || u.rest(p))
  );
}

function compileUnsure(table: number, entries: readonly FlowEntry[], resolve: PortResolver): UnsureTable {
  const c = compileTable(table, entries, resolve) as UnsureTable;
  c.unsure = [];
  for (const e of entries) {
    const why = unsupportedMatch(e, resolve);
    if (!why) continue;
    const u: UnsureFlow = {
      text: why,
      priority: e.flow.priority,
      rest: evaluablePartMatches(e.flow, resolve),
    };
    for (const m of e.flow.match) {
      if (m.kind !== 'field') continue;
      if (m.field === 'in_port' && m.value.t === 'port' && m.value.port.kind === 'number') {
        u.inPort = m.value.port.n;
        if (resolve(m.value.port) === undefined) u.byNumber = { rule: formatFlowRule(e.flow), from: e.from };
      }
      if (m.field === 'dl_vlan' && m.value.t === 'int' && m.value.m === undefined && m.value.v <= 4095)
        u.vlan = m.value.v;
    }
    c.unsure.push(u);
  }
  return c;
}

/** A bridge's tables, each compiled when a trace first looks into it (most tables no trace visits). */
class LazyTables implements Tables {
  private readonly compiled = new Map<number, UnsureTable>();
  constructor(
    private readonly pending: Map<number, FlowEntry[]>,
    private readonly resolve: PortResolver,
  ) {}

  get(table: number, _p: Packet): UnsureTable | undefined {
    const t = this.compiled.get(table);
    if (t) return t;
    const entries = this.pending.get(table);
    if (!entries) return undefined;
    const c = compileUnsure(table, entries, this.resolve);
    this.compiled.set(table, c);
    this.pending.delete(table);
    return c;
  }
}

/**
 * A big dump's tables (BridgeFlows.lookup): a table is compiled from the flows a packet from its
 * in_port, with its VLAN, can match, parsed then (a 50k-flow table 0 of per-port flows compiles a
 * few); a table with lines, none of them for this packet, is an empty table, not an absent one.
 */
class IndexedTables implements Tables {
  private readonly compiled = new Map<string, UnsureTable>();
  constructor(
    private readonly lookup: FlowLookup,
    private readonly resolve: PortResolver,
  ) {}

  get(table: number, p: Packet): UnsureTable | undefined {
    const vlan = DL_VLAN.num!(p);
    // A stand-in in_port: the index files lines by the number written, so all the table's lines.
    const k = isStandIn(p.in_port) ? `${table}/*` : `${table}/${p.in_port}/${vlan}`;
    const t = this.compiled.get(k);
    if (t) return t;
    if (!this.lookup.has(table)) return undefined;
    const lines = isStandIn(p.in_port) ? this.lookup.table(table) : this.lookup.table(table, p.in_port, vlan);
    const c = compileUnsure(table, lines, this.resolve);
    this.compiled.set(k, c);
    return c;
  }
}

const DL_VLAN = FIELD_ACCESS.get('dl_vlan')!;

/** The flow and what in its match the model cannot evaluate, or undefined when it can. */
function unsupportedMatch(e: FlowEntry, resolve: PortResolver): string | undefined {
  let why: string[] | undefined;
  for (const m of e.flow.match) {
    const u = unsupportedItem(m, resolve);
    if (u === undefined) continue;
    if (why) why.push(u);
    else why = [u];
  }
  return why ? `${e.text}: ${why.join(', ')}` : undefined;
}

/**
 * A bridge's flows are looked at when a trace first enters the bridge (a fleet's world has
 * thousands nobody visits): `tables` is a getter until then.
 */
function lazyFlows(rb: RtBridge, host: Host | undefined): void {
  const b = rb.bridge;
  if (!b?.flows.known) return;
  const flows = b.flows.value;
  const excerpt = host && findExcerpt(host, 'flows', rb.name);
  if (flows.tables) rb.held = new Map(flows.tables.map((t) => [t.table, t]));
  else if (!flows.complete)
    rb.incomplete = excerpt
      ? `${rb.host}:${rb.name}: the flow dump ${flows.file} is an excerpt (${excerptCut(excerpt)}): flows may be missing (collect \`${excerpt.collect}\`)`
      : `${rb.host}:${rb.name}: the flow dump ${flows.file} is incomplete (cut short or unreadable lines): flows may be missing`;
  Object.defineProperty(rb, 'tables', {
    configurable: true,
    enumerable: true,
    get() {
      const t = prepareFlows(rb, flows);
      Object.defineProperty(rb, 'tables', { configurable: true, enumerable: true, writable: true, value: t });
      return t;
    },
  });
}

/** Group the flows by table (or use the dump's index); compile nothing yet. */
function prepareFlows(rb: RtBridge, flows: BridgeFlows): Tables {
  const resolve = resolver(rb);
  if (flows.lookup) return new IndexedTables(flows.lookup, resolve);
  const byTable = new Map<number, FlowEntry[]>();
  for (const e of flows.entries) {
    let l = byTable.get(e.flow.table);
    if (!l) {
      l = [];
      byTable.set(e.flow.table, l);
    }
    l.push(e);
  }
  return new LazyTables(byTable, resolve);
}

/** An interface OVSDB lists on the host without the case showing its bridge. */
export function unplaced(h: Host, name: string): Interface | undefined {
  return h.unplacedInterfaces.find((x) => x.name === name);
}

/** The command that places a port on its bridge: the port list of a bridge the case shows without one. */
export function peerRemedy(h: Host, peer: string): string {
  const portless = h.bridges.filter((b) => b.ports.length === 0).map((b) => b.name);
  // Neutron names the physical bridge's end phy-<bridge>.
  const named = /^phy-(.+)$/.exec(peer)?.[1];
  const b = named && portless.includes(named) ? named : portless.length === 1 ? portless[0] : undefined;
  return b
    ? `ovs-ofctl show ${operands(b)}   # on ${h.name}: its ports with their numbers (is ${peer} one?)`
    : `ovs-vsctl port-to-br ${shellWord(peer)}; ovs-vsctl show   # on ${h.name}`;
}

/**
 * Patch ports whose peer no bridge of the case shows while the host's OVSDB lists it (with its
 * port number, as a monitor does): the bridge that holds it is missing from the case (its
 * `ovs-ofctl show`, its part of `ovs-vsctl show`). The trace does not follow them and says so;
 * the doctor takes the same mark (one rule).
 */
function placePeers(w: World, h: Host): void {
  if (h.unplacedInterfaces.length === 0) return;
  const imap = w.ifaces.get(h.name)!;
  for (const rb of w.bridges)
    if (rb.host === h.name)
      for (const rp of rb.ports.values()) {
        if (!rp.peer || imap.has(rp.peer)) continue;
        const i = unplaced(h, rp.peer);
        if (i) rp.peerUnplaced = i;
      }
}

/**
 * Patch ports the case only half shows. Neutron names the pair int-<bridge> / phy-<bridge>: a
 * port named so, of unknown type, is taken as that patch (said out loud); a peer named by a known
 * patch port is its other end; a bridge named by int-<bridge> but absent from the case is
 * inferred (its flows unknown, NORMAL assumed) when one wire of the host has no OVS port.
 */
function inferPatches(w: World, host: string): void {
  const imap = w.ifaces.get(host)!;
  const bridges = w.bridges.filter((b) => b.host === host);
  for (const rb of bridges)
    for (const rp of rb.ports.values()) {
      if (rp.peer || rp.local || rp.tunnel) continue;
      const known = rp.iface?.type.known ? rp.iface.type.value : undefined;
      if (known !== undefined && known !== 'patch') continue;
      // Named as the peer of a known patch port?
      for (const [, other] of imap)
        if (other.port.peer === rp.name && other.port !== rp) {
          rp.peer = other.port.name;
          rp.peerAssumed = {
            code: 'patch-inferred',
            text: `port ${rb.name}:${rp.name}: type unknown; taken as the patch peer of ${other.bridge.name}:${other.port.name} (its options:peer names it)`,
            remedy: `ovs-vsctl list interface ${shellWord(rp.name)}   # on ${host}`,
          };
        }
      if (rp.peer) continue;
      const m = /^(int|phy)-(.+)$/.exec(rp.name);
      if (!m) continue;
      rp.peer = `${m[1] === 'int' ? 'phy' : 'int'}-${m[2]}`;
      rp.peerAssumed = {
        code: 'patch-inferred',
        text: `port ${rb.name}:${rp.name}: type unknown; assumed a patch port to ${rp.peer} (Neutron names the pair int-<bridge>/phy-<bridge>)`,
        remedy: `ovs-vsctl list interface ${shellWord(rp.name)}   # on ${host}`,
      };
      if (m[1] === 'int' && !imap.has(rp.peer)) {
        // The other bridge is not in the case: infer it with its patch end and the host's unplaced wire.
        const name = m[2]!;
        const wires = w.snapshot.links
          .flatMap((l) => [l.a, l.b])
          .filter((e) => e.host === host && !imap.has(e.iface))
          .map((e) => e.iface);
        const why: Assumption = {
          code: 'bridge-inferred',
          text: `bridge ${host}:${name} is not in the case; inferred from ${rb.name}'s patch port ${rp.name}${wires.length === 1 ? ` with ${wires[0]} (the host's only wire without an OVS port) as its uplink` : ''}, forwarding with NORMAL`,
          remedy: `ovs-vsctl show; ${dumpFlowsCommand(
            w.snapshot.hosts.find((x) => x.name === host),
            name,
          )}   # on ${host}`,
        };
        const nb: RtBridge = {
          host,
          name,
          tables: null,
          ports: new Map(),
          byName: new Map(),
          inferred: why,
        };
        const trunk: PortVlan = {
          tag: null,
          trunks: [],
          mode: 'trunk',
          assumed: {
            code: 'port-vlan-unknown',
            text: `ports of the inferred bridge ${name}: treated as ports without tag`,
            remedy: `ovs-vsctl show   # on ${host}`,
          },
        };
        const patch: RtPort = { name: rp.peer, ofport: 1, vlan: trunk, peer: rp.name, local: false };
        nb.ports.set(1, patch);
        nb.byName.set(patch.name, patch);
        imap.set(patch.name, { bridge: nb, port: patch });
        if (wires.length === 1) {
          const up: RtPort = { name: wires[0]!, ofport: 2, vlan: trunk, local: false };
          nb.ports.set(2, up);
          nb.byName.set(up.name, up);
          imap.set(up.name, { bridge: nb, port: up });
        } else {
          if (wires.length > 1) nb.uplinkCandidates = wires;
          nb.portsUnknown = {
            code: 'bridge-inferred',
            text: `bridge ${host}:${name} is inferred (not in the case) and no port of it is known but the patch ${rp.peer}${wires.length > 1 ? ` (${wires.length} wires of the host have no OVS port: ${wires.join(', ')}; which is its uplink is not known)` : ' (no wire of the case ends at a device of the host outside OVS: its uplink is not known)'}: the packet is not followed through it`,
            remedy: `ovs-vsctl show   # on ${host}: the ports of ${name}`,
          };
        }
        w.bridges.push(nb);
      }
    }
}

/**
 * The wires as segments: interfaces joined by wires, directly or through an interface wired more
 * than once, form one L2 segment; each interface's peers are the segment's other interfaces, in the
 * order links.txt gives them. A plain wire is a segment of two: each end's one peer is the other.
 */
export function segments(
  links: readonly { a: { host: string; iface: string }; b: { host: string; iface: string } }[],
): Map<string, { host: string; iface: string }[]> {
  const key = (x: { host: string; iface: string }): string => `${x.host}\u0000${x.iface}`;
  const parent = new Map<string, string>();
  const end = new Map<string, { host: string; iface: string }>();
  const find = (k: string): string => {
    let r = k;
    while (parent.get(r) !== r) r = parent.get(r)!;
    // Path compression: many wires on one segment stay linear.
    let c = k;
    while (c !== r) {
      const n = parent.get(c)!;
      parent.set(c, r);
      c = n;
    }
    return r;
  };
  for (const l of links)
    for (const x of [l.a, l.b])
      if (!parent.has(key(x))) {
        parent.set(key(x), key(x));
        end.set(key(x), { host: x.host, iface: x.iface });
      }
  for (const l of links) {
    const ra = find(key(l.a));
    const rb = find(key(l.b));
    if (ra !== rb) parent.set(rb, ra);
  }
  const members = new Map<string, string[]>();
  for (const k of parent.keys()) {
    const r = find(k);
    const m = members.get(r);
    if (m) m.push(k);
    else members.set(r, [k]);
  }
  const out = new Map<string, { host: string; iface: string }[]>();
  for (const k of parent.keys())
    out.set(
      k,
      members
        .get(find(k))!
        .filter((m) => m !== k)
        .map((m) => end.get(m)!),
    );
  return out;
}
