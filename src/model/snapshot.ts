// The Snapshot: everything a case tells about its hosts, each fact with its evidence. One JSON-able
// value (bigints in flows are rendered by toJson) that trace, diagnose and the web page share.
import type { Flow, OpenFlowVersion } from '../openflow/types.ts';
import type { DhcpSighting } from './capture.ts';
import type { FileDiagnostic } from './diagnostic.ts';
import type { Evidence, Fact } from './evidence.ts';

/**
 * Why the Neutron OVS agent exited at start, as its log says it (neutron's ovs_neutron_agent.py,
 * Juno to 2024.2: each message logged just before sys.exit(1)/SystemExit(1)). `other`: main()'s
 * "<error> Agent terminated!" for any other configuration error, with the error as logged.
 */
export type AgentStop =
  | { reason: 'bridge-missing'; bridge: string; physnet: string }
  | { reason: 'local-ip-invalid'; localIp: string }
  | { reason: 'patch-port-failed' }
  | { reason: 'tunnel-type-invalid'; tunnelType: string }
  | { reason: 'other'; message: string };

export type { DhcpSighting } from './capture.ts';
export type { Diagnostic, FileDiagnostic } from './diagnostic.ts';

export type VlanMode = 'access' | 'trunk' | 'native-tagged' | 'native-untagged' | 'dot1q-tunnel';

export interface OfctlPortState {
  /** The name as ovs-ofctl printed it (cut to 15 bytes). */
  name: string;
  addr: string;
  config: string[];
  state: string[];
  from: Evidence;
}

export interface Interface {
  name: string;
  uuid?: string;
  /** '' for a system (netdev) interface, else internal, patch, vxlan... */
  type: Fact<string>;
  /** null when OVSDB holds no number yet (`[]`); -1 when OVS could not open the device. */
  ofport: Fact<number | null>;
  options: Fact<Record<string, string>>;
  externalIds: Fact<Record<string, string>>;
  error?: { text: string; from: Evidence };
  mac?: string;
  linkState?: string;
  adminState?: string;
  /** What `ovs-ofctl show` says of the port (misleading for internal ports moved to a namespace). */
  ofctl?: OfctlPortState;
  from: Evidence[];
}

export interface Port {
  name: string;
  uuid?: string;
  /** null: no tag. */
  tag: Fact<number | null>;
  trunks: Fact<number[]>;
  /** null: not set (OVS then treats a port with a tag as access, without as trunk). */
  vlanMode: Fact<VlanMode | null>;
  externalIds: Fact<Record<string, string>>;
  otherConfig: Fact<Record<string, string>>;
  interfaces: Interface[];
  from: Evidence[];
}

export interface FlowEntry {
  flow: Flow;
  /** The line as dumped, for quoting. */
  text: string;
  from: Evidence;
  /** The last line of a dump without its final newline: it may be cut where it still parses. */
  maybeCut?: boolean;
}

/**
 * A big dump read as an index (src/parse/flow-index.ts): each line's place, table and in_port are
 * known, its flow is parsed (and checked) when something asks for it. Its flows, in dump order.
 */
export interface FlowLookup {
  /** How many flow lines the dump has. */
  readonly count: number;
  /** How many of them have been parsed so far. */
  readonly parsed: number;
  /**
   * The flows of `table`; with `inPort` (and `vlan`, 0xffff for none), only those a packet from that
   * OpenFlow port (with that VLAN) can match.
   */
  table(table: number, inPort?: number, vlan?: number): FlowEntry[];
  /** The flows whose match says in_port=`port` (as written), any table, and those naming a port. */
  withInPort(port: string): FlowEntry[];
  /** Whether the dump has flows in `table`. */
  has(table: number): boolean;
  /** The flows with a learn() action. */
  learning(): FlowEntry[];
  /** The flows parsed so far (what traces looked up), in dump order. */
  seen(): FlowEntry[];
}

export interface BridgeFlows {
  file: string;
  version?: OpenFlowVersion;
  /** Every flow (with `lookup`, parsing the whole dump on first use: prefer the helpers of model/flows.ts). */
  entries: FlowEntry[];
  /** A big dump read lazily (diagnose, trace): not part of the JSON. */
  lookup?: FlowLookup;
  /** False when OVS stopped early or lines were unreadable: flows may be missing. */
  complete: boolean;
  /** Other dumps of the same bridge that were not used, and why. */
  alternatives: { file: string; why: string }[];
  /**
   * The flows come from per-table dumps (`ovs-ofctl dump-flows <br> table=N`, one file a table,
   * merged): the tables they hold, each all of that table's flows (`complete`: its dump was not
   * cut, no lines left out), in table order. A table not listed is unknown, not empty: `complete`
   * above is false (the bridge's flows are not all known). A table no per-table dump holds may
   * come from the bridge's dump when that is not whole (TableDump.bridgeDump). Absent: a dump of
   * the whole bridge.
   */
  tables?: TableDump[];
}

/** One table's flows, dumped alone (`ovs-ofctl dump-flows <br> table=N`). */
export interface TableDump {
  table: number;
  file: string;
  /** False when the dump was cut short, had unreadable lines or lines left out: flows of the table may be missing. */
  complete: boolean;
  /**
   * The table's flows as the bridge's own dump (`file`) shows them, a dump that is not whole (an
   * excerpt, cut short) and no dump of this table alone: `complete` is false.
   */
  bridgeDump?: true;
}

export interface Bridge {
  name: string;
  uuid?: string;
  failMode: Fact<'secure' | 'standalone' | null>;
  datapathType: Fact<string | null>;
  protocols: Fact<string[]>;
  controllers: string[];
  dpid?: string;
  ports: Port[];
  flows: Fact<BridgeFlows>;
  /** NORMAL's MAC table at collection time (`ovs-appctl fdb/show`), when collected. */
  fdb?: { file: string; entries: { port: number; vlan: number; mac: number; from: Evidence }[] };
  from: Evidence[];
}

export interface Address {
  family: 'inet' | 'inet6';
  address: string;
  prefixlen: number;
  from: Evidence;
}

export interface NetDevice {
  name: string;
  peer?: string;
  mac?: string;
  flags: string[];
  up: boolean;
  operstate?: string;
  mtu?: number;
  addresses: Address[];
  from: Evidence;
}

/** A device as `ip link` shows it: no address (link output has none, which says nothing of them). */
export interface LinkDevice {
  name: string;
  /** The `@peer` after its name (a veth's peer, a VLAN's parent). */
  peer?: string;
  mac?: string;
  up: boolean;
  from: Evidence;
}

/** One `ip link` listing of a namespace. */
export interface LinkListing {
  file: string;
  /**
   * Whether it lists every device: named as the whole command's output (not a paste whose name
   * does not say, not filtered), nothing left out (no excerpt, error, cut or unread line). Only
   * then does a name missing from it prove the device absent.
   */
  whole: boolean;
  devices: LinkDevice[];
}

export interface Listener {
  proto: 'udp' | 'tcp';
  address: string;
  port: number;
  process?: string;
  pid?: number;
  from: Evidence;
}

/** Which sockets a listing (ss, netstat) shows: what a socket missing from it proves. */
export interface SocketScope {
  /** Of TCP and UDP, the protocols it lists. */
  protos: ('tcp' | 'udp')[];
  /** The IP versions it lists them for. */
  families: (4 | 6)[];
  /**
   * listening: listening sockets only (-l; for UDP the unconnected ones); all: -a; connected:
   * neither (the tools' default), which leaves every listening socket out.
   */
  states: 'listening' | 'all' | 'connected';
  /** Whether it names each socket's process (-p, as root). */
  processes: boolean;
}

/** One socket listing of a namespace. */
export interface SocketListing {
  file: string;
  /** The command as the file's name says it (`ss -peaonmi`), when it does. */
  command?: string;
  /** Which sockets it covers: unknown when neither its name nor its header says. */
  scope: Fact<SocketScope>;
  /** The processes it shows owning a socket (of any type). */
  processes: { name: string; pid: number; from: Evidence }[];
  /** Its header line (the file as a whole when it has none). */
  from: Evidence;
}

export interface Namespace {
  name: string;
  id?: number;
  /** Undefined when the case lists the namespace but not its devices. */
  devices?: NetDevice[];
  /** Its devices as `ip netns exec <ns> ip link` lists them (no addresses: `devices` has those). */
  links?: LinkListing;
  /**
   * Listening sockets (netstat/ss), when collected. One missing here is missing only from the
   * sockets its listings cover (socketListings).
   */
  sockets?: Listener[];
  /** The listings those come from, with which sockets each covers. */
  socketListings?: SocketListing[];
  /** Per device: is transmit checksum offload on (ethtool -k)? */
  offloads?: Record<string, { txChecksum?: boolean; from: Evidence }>;
  /** iptables-save: rule count and Neutron's CHECKSUM fill rule for DHCP replies, when present. */
  iptables?: { rules: number; checksumFill?: Evidence & { text: string }; from: Evidence };
  from: Evidence[];
}

/** The Neutron DHCP agent's view of one network (var/lib/neutron/dhcp/<net>/). */
export interface DhcpNetwork {
  net: string;
  hosts?: { mac: string; ip?: string; name?: string; from: Evidence }[];
  /** dnsmasq's leases: what it handed out (expiry in seconds since the epoch). */
  leases?: { mac: string; ip: string; expiry: number; hostname?: string; from: Evidence }[];
  /** DHCP options the agent configured (router, dns-server, ...), per tag. */
  opts?: { tag?: string; option: string; value: string; from: Evidence }[];
  /** The pid file's process id (dnsmasq, as the agent last started it). */
  pid?: { pid: number; from: Evidence };
  files: string[];
}

export interface DhcpLog {
  file: string;
  /** The network whose dnsmasq wrote it, when its place says (`<dnsmasq_base_log_dir>/<net-id>/dhcp_dns_log`). */
  net?: string;
  events: {
    type: string;
    iface: string;
    mac?: string;
    ip?: string;
    note?: string;
    /** The dnsmasq process that logged it. */
    pid?: number;
    /** When, as the line's own stamp says. */
    time?: string;
    /** The line as logged. */
    text?: string;
    from: Evidence;
  }[];
}

/** A dnsmasq process a `ps` listing of the host shows (parse/services.ts parseDnsmasqProcesses). */
export interface DnsmasqProcess {
  pid?: number;
  /** The devices it serves DHCP on (--interface). */
  interfaces: string[];
  /** The Neutron network whose files it reads (/var/lib/neutron/dhcp/<net>/). */
  net?: string;
  /** The namespace its command line starts it in (`ip netns exec <ns> dnsmasq …`); a listing says no more. */
  namespace?: string;
  text: string;
  from: Evidence;
}

/** One run of a DHCP client as its output shows it (dhclient -v). */
export interface DhcpClient {
  file: string;
  discovers: number;
  offers: number;
  lease: string | null;
  badChecksums?: number;
  /** The client's MAC and interface, from its `Listening on LPF/<iface>/<mac>` line. */
  mac?: string;
  iface?: string;
  /** Each OFFER and ACK it took, with the address it came from (`DHCPOFFER of 10.0.0.3 from 10.0.0.2`). */
  answers?: (Evidence & { type: 'DHCPOFFER' | 'DHCPACK'; server: string; ip?: string; text: string })[];
  /** Where the output says so, each line's text kept for evidence. */
  at: {
    listening?: Evidence & { text: string };
    badChecksums?: Evidence & { text: string };
    noOffers?: Evidence & { text: string };
    bound?: Evidence & { text: string };
    firstDiscover?: Evidence & { text: string };
  };
}

/** What br_netfilter's net.bridge.bridge-nf-call-iptables says of a host (Host.bridgeNfCallIptables). */
export type BridgeNf = 'on' | 'off' | 'not-loaded';

/**
 * A Linux bridge of the host's own namespace with its own br_netfilter option, as `ip -d link` (or
 * `ip -d address`) prints it: `nf_call_iptables 1` hands the frames it forwards to iptables whatever
 * net.bridge.bridge-nf-call-iptables says (br_netfilter_hooks.c: brnf_call_iptables ||
 * br_opt_get(br, BROPT_NF_CALL_IPTABLES)). Unknown when the sources disagree.
 */
export interface LinuxBridge {
  name: string;
  nfCallIptables: Fact<boolean>;
}

/** A Linux bridge in `brctl show` (Host.brctl): its line, and each interface on it with its line. */
export interface BrctlBridge {
  name: string;
  from: Evidence;
  interfaces: { name: string; from: Evidence }[];
}

/** One iptables-save of a host (its file: `from.file`). */
export interface IptablesSave {
  rules: number;
  filter?: {
    chains: { name: string; policy?: string; from: Evidence }[];
    rules: { chain: string; text: string; from: Evidence }[];
  };
  from: Evidence;
}

/**
 * One line of the case that shows OVN on a host. A chassis sign: ovn-controller programs the
 * host's OVS (Neutron ML2/OVN, MicroOVN, Sunbeam's openstack-hypervisor snap). A central sign: the
 * host runs OVN's databases or ovn-northd, or the case holds their contents read there.
 */
export interface OvnSign {
  role: 'chassis' | 'central';
  /**
   * config: ovn-controller's own settings in the Open_vSwitch row (external_ids ovn-remote,
   * ovn-encap-type…); record: a Port or Interface row ovn-controller wrote (external_ids
   * ovn-installed, ovn-chassis-id, ovn-localnet-port…); tunnel: a tunnel port named as
   * ovn-controller names them (ovn-<chassis>-<n>, key=flow); flow: a flow of OVN's logical pipeline
   * (metadata=, controller(userdata=…)); process: ovn-controller, neutron-ovn-metadata-agent or
   * ovn-northd running (ps); tunnel-names: several ports of the integration bridge named as
   * ovn-controller names its tunnels, their type not in the case, on a host that shows no Neutron
   * OVS agent (process, config, its flows) (a sign from names, not proof); log: ovn-controller's or ovn-northd's log lines; sos-plugin: sos ran
   * its ovn_host (ovn-controller's pid file or the ovn-host package) or ovn_central plugin;
   * db-output: an ovn-nbctl / ovn-sbctl output.
   */
  kind:
    | 'config'
    | 'record'
    | 'tunnel'
    | 'flow'
    | 'process'
    | 'tunnel-names'
    | 'log'
    | 'sos-plugin'
    | 'db-output';
  /** What the line says, quoted (or said, for a file that shows it by its name). */
  text: string;
  from: Evidence;
}

/** What the case shows of OVN on a host (Host.ovn). */
export interface OvnHost {
  /** What shows ovn-controller programs this host's OVS, strongest first; empty: nothing does. */
  chassis: OvnSign[];
  /** What shows the host runs or reads OVN's northbound/southbound databases; empty: nothing does. */
  central: OvnSign[];
  /** external_ids:ovn-remote, the southbound database ovn-controller connects to. */
  remote?: string;
  /** external_ids:system-id, the chassis' name in the southbound database. */
  systemId?: string;
}

export interface Host {
  name: string;
  ovsVersion?: string;
  /**
   * OVN on this host, from the case's own lines (HostBuilder): known with what shows it; known
   * null when the host's Open_vSwitch row is in the case without ovn-controller's settings (no
   * external_ids ovn-*) and nothing else shows OVN (its evidence: that row's external_ids);
   * unknown when the case says neither. vifpath models Neutron ML2/OVS: an OVN chassis is not
   * diagnosed as one (doctor/ovn.ts).
   */
  ovn: Fact<OvnHost | null>;
  /**
   * The snap the host's OVS commands come from, when the case's file names carry its prefix
   * (sos names them as it ran them: `openstack-hypervisor.ovs-vsctl_-t_5_show`): the commands
   * suggested for the host are spelled `<snap>.<tool>` (model/ovn.ts hostTool).
   */
  snap?: { name: string; from: Evidence };
  domid?: number;
  bridges: Bridge[];
  /** Interfaces OVSDB knows (e.g. from a monitor) whose bridge the case does not show. */
  unplacedInterfaces: Interface[];
  /**
   * OVS ports an excerpted `ovs-vsctl show` shows after an elision that may have cut their Bridge
   * line (`...`, then `Port qvo…`), on no bridge other evidence gives: ports of the host, their
   * bridge unknown, with what the excerpt shows of them (a tag only when shown). Their interfaces
   * are the ones unplacedInterfaces lists. Absent: none.
   */
  unplacedPorts?: Port[];
  namespaces: Namespace[];
  /** Devices of the host's own (root) namespace, when collected. */
  devices?: NetDevice[];
  dhcpNetworks: DhcpNetwork[];
  /** The Neutron OVS agent's log lines about ports and its exits at start, when the case has the log. */
  agentLog?: {
    file: string;
    events: { kind: string; subject: string; text: string; from: Evidence; stop?: AgentStop }[];
  };
  /** DHCP seen in the host's packet captures (`<name>.pcap`, name = the capture point). */
  captures?: { file: string; point: string; sightings: DhcpSighting[] }[];
  /** The Neutron OVS agent's configuration, when the case has it (etc/neutron/...ini). */
  agentConfig?: {
    file: string;
    bridgeMappings?: { value: Record<string, string>; line: number };
    minimizePolling?: { value: boolean; line: number };
    pollingInterval?: { value: number; line: number };
    integrationBridge?: { value: string; line: number };
    /** [ovs] local_ip: the underlay address the host's tunnels start from. */
    localIp?: { value: string; line: number };
    /** [agent] tunnel_types; [] when set empty (no overlay on this host). */
    tunnelTypes?: { value: string[]; line: number };
    l2Population?: { value: boolean; line: number };
    arpResponder?: { value: boolean; line: number };
    /** [ovs] of_listen_address / of_listen_port: the agent's own OpenFlow controller (defaults 127.0.0.1:6633). */
    ofListenAddress?: { value: string; line: number };
    ofListenPort?: { value: number; line: number };
  };
  /**
   * Each dnsmasq log of the host, in the order read (by file name), each with its own file and
   * network: a host may hold several (one per network under dnsmasq_base_log_dir, a rotated or a
   * pasted one beside the agent's). What they show counts together (`dnsmasqEvents`).
   */
  dnsmasqLogs?: DhcpLog[];
  /** The dnsmasq processes the host's `ps` listings show, each once (by pid and command line). */
  dnsmasqProcesses?: DnsmasqProcess[];
  /**
   * Each DHCP client output of the host, in the order read (by file name): runs of different
   * moments (before and after a fix) are kept apart, never merged; no file says which is the later.
   */
  dhcpClients?: DhcpClient[];
  /**
   * The host's own iptables saves (iptables-save format only), each as read: rule count and its
   * filter table (chains with their policies, rules in order), which decide what the host's
   * firewall does (the underlay's tunnel packets, a hybrid plug's DHCP). Every save the case holds
   * is kept, in the order read, identical ones once: iptables-nft and iptables-legacy rule sets can
   * both hook the kernel (iptables-save and iptables-legacy-save), and which one was read last
   * decides nothing. The checks evaluate each.
   */
  iptables?: IptablesSave[];
  /**
   * net.bridge.bridge-nf-call-iptables, when the case says it (`sysctl -a`, `sysctl <key>`, its
   * /proc/sys file): whether the host's Linux bridges hand the frames they forward to iptables
   * (br_netfilter). `on`/`off` its value; `not-loaded` when br_netfilter is not loaded (a whole
   * `sysctl -a` without the key, or sysctl saying it does not exist): no bridged frame reaches
   * iptables. Unknown when the sources disagree; absent when the case does not say.
   */
  bridgeNfCallIptables?: Fact<BridgeNf>;
  /** The Linux bridges whose own nf_call_iptables option the case gives (`ip -d link`); absent: none. */
  linuxBridges?: LinuxBridge[];
  /**
   * The host's Linux bridges and their interfaces as `brctl show` lists them (its file; `whole`
   * when every line of it was read, so an interface missing from a bridge is proven missing).
   */
  brctl?: { file: string; whole: boolean; bridges: BrctlBridge[] };
  /**
   * The host's own (root) namespace as `ip link` lists it (`ip -d link show`, sos's ip_-s_-d_link),
   * kept apart from `devices`: link output shows no addresses, so it proves none absent.
   */
  links?: LinkListing;
  /** Files read for this host (relative to the case). */
  files: string[];
  /** Files present but not used (unknown command names). */
  ignored: string[];
  /** What is missing for a complete picture, in words. */
  gaps: string[];
  /**
   * Outputs the case holds only as excerpts (a paste with `...` or `[snip]` lines): their facts
   * are used, what they leave out is unknown, so no check asserts its absence. Absent: none.
   */
  excerpts?: Excerpt[];
}

/**
 * What an excerpt lists, so what its absence no longer proves: `ovsdb` the host's bridges, ports
 * and interfaces (set only when no whole `ovs-vsctl show`, ovsdb-client dump or conf.db is in the
 * case), `ofctl-show` a bridge's OpenFlow ports, `flows` a bridge's flows (its BridgeFlows is
 * incomplete too), `netns` the namespaces, `devices` a namespace's (or the host's) devices and
 * addresses, `sockets` its listeners, `iptables` its rules, `dhcp-agent` a network's files of the
 * DHCP agent, `log` a log's lines, `other` anything else.
 */
export type ExcerptOf =
  | 'ovsdb'
  | 'ofctl-show'
  | 'flows'
  | 'netns'
  | 'devices'
  | 'sockets'
  | 'iptables'
  | 'dhcp-agent'
  | 'log'
  | 'other';

export interface Excerpt {
  of: ExcerptOf;
  file: string;
  /** The first elision line. */
  line: number;
  /** The bridge (ofctl-show, flows), namespace (devices, sockets, iptables; none: the host's own) or network (dhcp-agent). */
  bridge?: string;
  ns?: string;
  net?: string;
  /** The command whose whole output settles what the excerpt leaves out. */
  collect: string;
  /** A filter its file's name says the output went through (`grep tag`, `table=0`): no elision line then. */
  filter?: string;
  /**
   * Cut at its end, what says so (`no \`ovs_version:\` line`): `line` is the one after its last,
   * where the lines left out would start.
   */
  end?: string;
}

/**
 * Where an excerpt leaves lines out, as said in a message: `lines left out at line 4`, `filtered
 * by \`grep tag\``, `cut after line 11, no \`ovs_version:\` line`.
 */
export function excerptCut(x: Pick<Excerpt, 'line' | 'filter' | 'end'>): string {
  if (x.filter !== undefined) return `filtered by \`${x.filter}\``;
  return x.end !== undefined ? `cut after line ${x.line - 1}, ${x.end}` : `lines left out at line ${x.line}`;
}

export interface LinkEnd {
  host: string;
  iface: string;
}

export interface Link {
  a: LinkEnd;
  b: LinkEnd;
  from: Evidence;
  /** Inferred (XenServer vif<domid>.<n> ↔ eth<n>) rather than listed. */
  inferred: boolean;
}

export interface Snapshot {
  /** The case directory (or live target list) this was built from. */
  source: string;
  hosts: Host[];
  links: Link[];
  diagnostics: FileDiagnostic[];
}

/** JSON text of a snapshot or anything holding flows: bigints become hex strings. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), indent);
}

export function findBridge(host: Host, name: string): Bridge | undefined {
  return host.bridges.find((b) => b.name === name);
}

/**
 * The host's excerpt of that kind of output, if any: what it leaves out is unknown. scope: the
 * bridge, namespace or network the output is about (null: the host's own namespace; undefined: any).
 */
export function findExcerpt(h: Host, of: ExcerptOf, scope?: string | null): Excerpt | undefined {
  return h.excerpts?.find(
    (x) => x.of === of && (scope === undefined || (x.bridge ?? x.ns ?? x.net ?? null) === scope),
  );
}

/** Every DHCP line of every dnsmasq log of the host, log by log in the order read; each keeps its file and line. */
export function dnsmasqEvents(h: Host): DhcpLog['events'] {
  return (h.dnsmasqLogs ?? []).flatMap((l) => l.events);
}

/**
 * What the host's own `ip link` listing says of a device: the line that shows it, or that a whole
 * listing lacks it (the device does not exist there); undefined when the case has no listing that
 * decides (none, or one that may leave devices out).
 */
export function linkShows(
  host: Host,
  name: string,
): { shown: LinkDevice } | { absent: LinkListing } | undefined {
  const l = host.links;
  if (!l) return undefined;
  const d = l.devices.find((x) => x.name === name);
  if (d) return { shown: d };
  return l.whole ? { absent: l } : undefined;
}

export function findPort(host: Host, name: string): { bridge: Bridge; port: Port } | undefined {
  for (const bridge of host.bridges)
    for (const port of bridge.ports) if (port.name === name) return { bridge, port };
  return undefined;
}
