// Which parser reads a file: from its sosreport-style name (sos `_mangle_command`: binary's
// directory stripped, runs of characters outside [A-Za-z0-9_./-] → `_`, `/` → `.`; snap-packaged
// OVS commands keep their snap prefix, `openstack-hypervisor.ovs-vsctl_-t_5_show`), else from its
// content (pasted outputs saved as `vsctl-show.txt`, `flows-xapi3.txt`, `ip_a`).
// Declarative tables: first matching row wins. The commands the collector runs are declared here
// too, each with the kind the reader will give its file, so what is collected and what is read
// cannot drift (file-kinds.test.ts checks every one).

import { isUdhcpc } from '../parse/dhcp-client.ts';
import { isElision } from '../parse/paste.ts';
import {
  DHCLIENT_LINE,
  DNSMASQ_COMMAND,
  DNSMASQ_DHCP_LINE,
  dhclientMessage,
  parseDnsmasqProcesses,
} from '../parse/services.ts';
import { headerlessSsLayout } from '../parse/sockets.ts';
import { filteredName } from './filtered-name.ts';

export type FileKind =
  | { kind: 'vsctl-show' }
  /** Collected for completeness or for a later issue; not read. */
  | { kind: 'aux' }
  | { kind: 'vsctl-list'; table: string }
  | { kind: 'ofctl-show'; bridge: string; version?: string }
  | { kind: 'dump-flows'; bridge: string; version?: string; noStats: boolean; names: boolean }
  | { kind: 'monitor'; table?: string }
  | { kind: 'ovsdb-dump' }
  | { kind: 'conf-db' }
  | { kind: 'ip-netns' }
  | { kind: 'ifconfig'; ns?: string }
  | { kind: 'ip-addr'; ns?: string }
  /**
   * `ip link` (`ip -s -d link`, `ip -d link show`): which devices the namespace has, never their
   * addresses (it shows none); of the host's own namespace also each Linux bridge's nf_call_iptables.
   */
  | { kind: 'ip-link'; ns?: string }
  | { kind: 'xen-domid' }
  /**
   * The host's OVS version: the database's ovs_version (sos: `ovs-vsctl -t 5 get Open_vSwitch .
   * ovs_version`), or a tool's `--version` (ovs-vswitchd's; ovs-vsctl's, sos's `ovs-vsctl -t 5 --version`).
   */
  | { kind: 'ovs-version' }
  | { kind: 'sockets'; ns?: string }
  | { kind: 'ethtool-k'; ns?: string; dev: string }
  | { kind: 'iptables'; ns?: string }
  /**
   * Kernel parameters: `sysctl -a` (all), `sysctl KEY...` (key = value lines), or the bare value of
   * `key` (its /proc/sys file, `sysctl -n KEY`). vifpath reads net.bridge.bridge-nf-call-iptables.
   */
  | { kind: 'sysctl'; all: boolean; key?: string }
  /** net: the network whose dnsmasq wrote it (Neutron's `<dnsmasq_base_log_dir>/<net-id>/dhcp_dns_log`). */
  | { kind: 'dnsmasq-log'; net?: string }
  | { kind: 'dhclient' }
  | { kind: 'dhcp-hosts'; net: string }
  | { kind: 'dhcp-leases'; net: string }
  | { kind: 'dhcp-opts'; net: string }
  | { kind: 'dhcp-pid'; net: string }
  | { kind: 'fdb'; bridge: string }
  /** `brctl show`: the Linux bridges and their interfaces (the hybrid plug's qbr, its tap and qvb). */
  | { kind: 'brctl-show' }
  | { kind: 'agent-config' }
  | { kind: 'capture'; name: string }
  | { kind: 'agent-log' }
  /** A process listing (sos process plugin): read for OVN's daemons (ovn-controller, ovn-northd…). */
  | { kind: 'ps' }
  /** ovn-controller's or ovn-northd's log (the file, or its journal as sos saves it). */
  | { kind: 'ovn-log'; daemon: 'ovn-controller' | 'ovn-northd' }
  /** An ovn-nbctl / ovn-sbctl output (sos ovn_central, a paste named after it): OVN's databases read here. */
  | { kind: 'ovn-db'; tool: 'ovn-nbctl' | 'ovn-sbctl' };

const TABLES: Record<string, string> = {
  bridge: 'Bridge',
  port: 'Port',
  interface: 'Interface',
  open_vswitch: 'Open_vSwitch',
  controller: 'Controller',
  manager: 'Manager',
};

const OPT = '(?:_--?[A-Za-z][A-Za-z0-9-]*(?:_[A-Za-z0-9]+)?)*';
// Options written between dump-flows and the bridge (`ovs-ofctl dump-flows --rsort br-int`): only
// ones that take no separate value, so the bridge's name is never read as an option's value.
const FLOW_OPT = '(?:_--(?:r?sort|no-stats|names|no-names|read-only|strict|color)(?:=[A-Za-z_]+)?)*';
const IFCONFIG = 'ifconfig(?:_-a)?';
/**
 * iproute2 takes any prefix of a word for it, the first of its table that the prefix begins
 * (lib/utils.c matches(); ip/ip.c cmds[]: address before addrlabel, neighbor before netns, link
 * before l2tp; `ip address` and `ip netns` check list/show/lst first, `ip link` checks set before
 * show): `ip a`, `ip addr s`, `ip l sh`, `ip net exec`, `ip netns e`.
 */
const prefixes = (word: string, from: number): string => {
  const out: string[] = [];
  for (let n = word.length; n >= from; n--) out.push(word.slice(0, n));
  return `(?:${out.join('|')})`;
};
/** address's show: list, show, lst, each cut anywhere. */
const ADDR_SHOW = `(?:${prefixes('list', 1)}|${prefixes('show', 1)}|lst|ls)`;
/** link's show: as address's, but `s` alone is `set`. */
const LINK_SHOW = `(?:${prefixes('list', 1)}|${prefixes('show', 2)}|lst|ls)`;
const IPADDR = `ip(?:_-[a-z0-9]+)*_${prefixes('address', 1)}(?:_${ADDR_SHOW})?`;
const IPLINK = `ip(?:_-[a-z0-9]+)*_${prefixes('link', 1)}(?:_${LINK_SHOW})?`;
/** `ip netns` (net, netn: `ne` is neighbor) and its list (list, show, lst). */
const NETNS = `ip_${prefixes('netns', 3)}`;
/** `ip netns exec <ns>` with the words cut (`ip net e qdhcp-…`): the namespace is group 1. */
const NETNS_EXEC = `${NETNS}_${prefixes('exec', 1)}_(.+?)`;

type Row = [RegExp, (m: RegExpExecArray) => FileKind | undefined];

const ROWS: Row[] = [
  [/^ovs-vsctl(?:_-t_\d+)?_show$/, () => ({ kind: 'vsctl-show' })],
  // `ovs-vsctl show | grep …` (sos's name: `ovs-vsctl_show_grep_…`): the show, filtered (markFiltered).
  [
    /^ovs-vsctl(?:_-t_\d+)?_show_(.+)$/,
    (m) => (filteredName(`show_${m[1]}`, false) ? { kind: 'vsctl-show' } : undefined),
  ],
  [
    new RegExp(
      `^ovs-vsctl(?:_-t_\\d+)?${OPT}_list_(bridge|port|interface|open_vswitch|controller|manager)(?:_(.+))?$`,
      'i',
    ),
    (m) => {
      const t = TABLES[m[1]!.toLowerCase()];
      return t ? { kind: 'vsctl-list', table: t } : undefined;
    },
  ],
  [
    new RegExp(`^ovs-ofctl(?:_-O_(OpenFlow1\\d))?${OPT}_(?:show|dump-ports-desc)_(.+)$`),
    (m) => ({ kind: 'ofctl-show', bridge: m[2]!, ...(m[1] ? { version: m[1] } : {}) }),
  ],
  [
    new RegExp(`^ovs-ofctl(?:_-O_(OpenFlow1\\d))?(${OPT})_dump-flows(${FLOW_OPT})_(.+?)(${OPT})$`),
    (m) => ({
      kind: 'dump-flows',
      // `--table_0` after the bridge looks like an option with its value: it is a table filter
      // typed as one (ovs-ofctl has no --table), kept with the bridge for filteredName to read.
      bridge: /^_--table_/.test(m[5]!) ? `${m[4]}${m[5]}` : m[4]!,
      noStats: `${m[2]}${m[3]}${m[5]}`.includes('--no-stats'),
      names: /--names(?!-)/.test(`${m[2]}${m[3]}${m[5]}`),
      ...(m[1] ? { version: m[1] } : {}),
    }),
  ],
  [
    /^ovsdb-client(?:_-f_\w+|_--format_\w+)?_monitor(?:_(.*))?$/,
    (m) => {
      const tokens = (m[1] ?? '').split('_');
      const table = tokens
        .map((t) => TABLES[t.toLowerCase()])
        .filter(Boolean)
        .pop();
      return table ? { kind: 'monitor', table } : { kind: 'monitor' };
    },
  ],
  [/^ovsdb-client(?:_-f_\w+|_--format_\w+)?_dump(?:_.*)?$/, () => ({ kind: 'ovsdb-dump' })],
  [/^conf\.db$/, () => ({ kind: 'conf-db' })],
  [new RegExp(`^${NETNS}(?:_${ADDR_SHOW})?$`), () => ({ kind: 'ip-netns' })],
  [new RegExp(`^${NETNS_EXEC}_${IFCONFIG}$`), (m) => ({ kind: 'ifconfig', ns: m[1]! })],
  [new RegExp(`^${NETNS_EXEC}_${IPADDR}$`), (m) => ({ kind: 'ip-addr', ns: m[1]! })],
  [new RegExp(`^${NETNS_EXEC}_${IPLINK}$`), (m) => ({ kind: 'ip-link', ns: m[1]! })],
  [new RegExp(`^${IFCONFIG}$`), () => ({ kind: 'ifconfig' })],
  [new RegExp(`^${IPADDR}$`), () => ({ kind: 'ip-addr' })],
  [new RegExp(`^${IPLINK}$`), () => ({ kind: 'ip-link' })],
  [/^xenstore-read_domid$/, () => ({ kind: 'xen-domid' })],
  [
    /^(?:ovs-vswitchd_--version|ovs-vsctl(?:_-t_\d+)?_(?:--version|get_Open_vSwitch_\._ovs_version))$/,
    () => ({ kind: 'ovs-version' }),
  ],
  [/^(.+)\.pcap(?:ng)?$/, (m) => ({ kind: 'capture', name: m[1]! })],
  [/^ovs-appctl_fdb\.show_(.+)$/, (m) => ({ kind: 'fdb', bridge: m[1]! })],
  [/^brctl_show$/, () => ({ kind: 'brctl-show' })],
  // netstat -s (protocol counters) and -agn (multicast groups): no sockets listed, not read.
  [new RegExp(`^(?:${NETNS_EXEC}_)?netstat_-(?:s|W_-agn|agn)$`), () => ({ kind: 'aux' })],
  [
    // Any options (`ss_-ltnp`, `ss_-4lun`, `netstat_-W_-neopa`): which sockets it covers is read from them.
    new RegExp(`^${NETNS_EXEC}_(?:netstat|ss)(?:_-[-A-Za-z0-9]+)+$`),
    (m) => ({ kind: 'sockets', ns: m[1]! }),
  ],
  [new RegExp(`^${NETNS_EXEC}_ethtool_-k_(.+)$`), (m) => ({ kind: 'ethtool-k', ns: m[1]!, dev: m[2]! })],
  [new RegExp(`^${NETNS_EXEC}_iptables-save$`), (m) => ({ kind: 'iptables', ns: m[1]! })],
  [/^iptables-save$/, () => ({ kind: 'iptables' })],
  // sos kernel plugin: sos_commands/kernel/sysctl_-a (canonical/hotsos's fake sosreports have it).
  [/^sysctl_(?:-a|--all)$/, () => ({ kind: 'sysctl', all: true })],
  [/^sysctl_-n_(net\.bridge\.[\w.-]+)$/, (m) => ({ kind: 'sysctl', all: false, key: m[1]! })],
  [/^sysctl(?:_[a-z][\w-]*(?:\.[\w-]+)+)+$/, () => ({ kind: 'sysctl', all: false })],
  [/^(?:netstat_-W_-neopa|ss_-peaonmi)$/, () => ({ kind: 'sockets' })],
  [/^dnsmasq.*\.log$/, () => ({ kind: 'dnsmasq-log' })],
  // Neutron's dnsmasq, when dnsmasq_base_log_dir is set, logs to <dir>/<net-id>/dhcp_dns_log
  // (neutron/agent/linux/dhcp.py: --log-facility=os.path.join(log_dir, 'dhcp_dns_log')).
  [/^dhcp_dns_log$/, () => ({ kind: 'dnsmasq-log' })],
  [
    /^(?:neutron-)?openvswitch-agent\.log$|^(?:screen-)?q-agt\.log$|^neutron-openvswitch-agent\.log$/,
    () => ({ kind: 'agent-log' }),
  ],
  [/^(?:openvswitch_agent|ml2_conf|ovs_neutron_plugin)\.ini$/, () => ({ kind: 'agent-config' })],
  [/^dhclient_.*$/, () => ({ kind: 'dhclient' })],
  // ps with its options: sos's process plugin (ps_auxfwww, ps_auxwww, ps_auxwwwm, ps_alxwww,
  // ps_-elfL: the full command lines), an operator's (ps_faux, ps_-ef), or filtered
  // (`ps auxww | grep <net>` saved as ps_auxww_grep_<net>: an excerpt, case-dir.ts says so).
  [/^ps(?:[_ ].*)?$/, (m) => (psCommand(m[0]) !== undefined ? { kind: 'ps' } : undefined)],
  // The log file (var/log/ovn/), or its journal (sos ovn_host: journalctl_--no-pager_--unit_ovn-controller).
  [
    /^(?:journalctl(?:_--?[\w-]+)*_--unit_(ovn-controller|ovn-northd)|(ovn-controller|ovn-northd)\.log)$/,
    (m) => ({ kind: 'ovn-log', daemon: (m[1] ?? m[2]) as 'ovn-controller' | 'ovn-northd' }),
  ],
  [/^(ovn-nbctl|ovn-sbctl)(?:_.+)?$/, (m) => ({ kind: 'ovn-db', tool: m[1] as 'ovn-nbctl' | 'ovn-sbctl' })],
];

/**
 * Prefixes snap-packaged OVS puts before each command (sos openvswitch plugin: `openstack-hypervisor.`
 * for Sunbeam's hypervisor snap; ovn_host/microovn: `microovn.`).
 */
const SNAP_PREFIX = /^(?:openstack-hypervisor|microovn|microstack)\./;

/** The snap a file's name says its command came from (`openstack-hypervisor`), if any. */
export function snapOf(baseName: string): string | undefined {
  return SNAP_PREFIX.exec(baseName)?.[0].slice(0, -1);
}

/** Classify by base name; undefined for files vifpath does not read. */
export function classify(baseName: string): FileKind | undefined {
  const name = baseName.replace(SNAP_PREFIX, '');
  for (const [re, make] of ROWS) {
    const m = re.exec(name);
    if (m) {
      const k = make(m);
      if (k) return k;
    }
  }
  return undefined;
}

/**
 * What a command line typed above a pasted output says it is (`ip net exec qdhcp-… ip addr`,
 * `$ sudo ovs-ofctl dump-flows br-int`): the kind its sosreport name gets, with the namespace or
 * bridge it names. Undefined when it names none, or when its output went through anything (a pipe,
 * a redirection, a second command): what it shows is not the command's whole output then. A bridge
 * is taken only when it is the command's last word (no flow match after it).
 */
export function commandOf(line: string): FileKind | undefined {
  const m =
    /^(?:(?:\[[^\]\s@]+@[^\]\s]+(?:\s[^\]]*)?\]\s?|[\w.-]+@[\w.-]+:[^\s#$%]*\s?)?[#$%]\s*)?(?:sudo\s+(?:-\S+\s+)*)?(.+)$/.exec(
      line.trim(),
    );
  const cmd = m?.[1]?.trim() ?? '';
  if (cmd === '' || /[|;&<>`$()]/.test(cmd)) return undefined;
  const argv = cmd.split(/\s+/);
  const k = classify(sosName(argv));
  if (!k || k.kind === 'aux') return undefined;
  if ('bridge' in k && k.bridge !== argv[argv.length - 1]) return undefined;
  return k;
}

// `ps` and its option words (BSD `auxww`, `faux`; `-ef`, `-elfL`; `-eo pid,args` mangled `-eo_pid_args`).
const PS_NAME = /^ps(?:[_ ]-{0,2}[A-Za-z][A-Za-z0-9]*)*$/;

/**
 * The ps command a file's name says (`ps auxww`), without the filter its output went through
 * (`ps_auxww_grep_5f1e4cc8-…`: filteredName); undefined when the name is no ps command.
 */
export function psCommand(name: string): string | undefined {
  // The filter first: `ps_faux_grep_dnsmasq` is `ps faux` filtered, though grep looks like an option word.
  const before = filteredName(name, false)?.before ?? name;
  return PS_NAME.test(before) ? before.split(/[_ ]+/).join(' ') : undefined;
}

/** The sosreport name of a command line (sos `_mangle_command`), for writing case dirs. */
export function sosName(argv: readonly string[]): string {
  const cmd = argv.join(' ').replace(/^(\/usr)?\/s?bin\//, '');
  return cmd
    .replace(/[^\w\-./]+/g, '_')
    .replace(/\//g, '.')
    .replace(/^[ ._-]+|[ ._-]+$/g, '')
    .slice(0, 255);
}

/**
 * Kinds the verdict depends on (design.md: OVS state and the DHCP agent's files): only these can
 * make a case corrupt. Any other file that cannot be read is skipped with a warning.
 */
export const CRITICAL: ReadonlySet<FileKind['kind']> = new Set([
  'vsctl-show',
  'vsctl-list',
  'ofctl-show',
  'dump-flows',
  'monitor',
  'ovsdb-dump',
  'conf-db',
  'dhcp-hosts',
  'dhcp-leases',
  'dhcp-opts',
  'dhcp-pid',
]);

/** Kinds whose text is a log or a file, not a command's output: no tool-error lines to strip. */
export const VERBATIM: ReadonlySet<FileKind['kind']> = new Set([
  'conf-db',
  'capture',
  'dnsmasq-log',
  'agent-log',
  'agent-config',
  'dhcp-hosts',
  'dhcp-leases',
  'dhcp-opts',
  'dhcp-pid',
  'dhclient',
  'ovn-log',
]);

/** What a pasted file's own name says about the bridge it is about, if anything. */
export type SniffedKind =
  | Exclude<FileKind, { kind: 'ofctl-show' } | { kind: 'dump-flows' }>
  | { kind: 'ofctl-show'; bridge?: string }
  | { kind: 'dump-flows'; bridge?: string; noStats: boolean; names: boolean };

const VSCTL_LIST_TABLE: [RegExp, string][] = [
  [/^ovs_version\s+:/m, 'Open_vSwitch'],
  [/^datapath_type\s+:/m, 'Bridge'],
  [/^ofport\s+:/m, 'Interface'],
  [/^(?:tag|trunks|vlan_mode)\s+:/m, 'Port'],
];

// ps's header: BSD (`USER PID %CPU …`, `F UID PID …` of ps alx) or System V (`UID PID PPID …`, `F S UID PID …`).
const PS_HEADER = /^(?:F\s+S\s+UID|F\s+UID|USER|UID)\s+PID\s+(?:PPID|%CPU)\s/;
// A ps row: USER PID (F S UID PID of ps -elf) … then its TIME column and a command.
const PS_ROW = /^\s*(?:\d+\s+[A-Z]\s+)?\S+\s+\d+\s.*\s(?:\d+-)?(?:\d+:)?\d+:\d\d\s+\S/;

/**
 * Recognise a command's output by what it holds (the first lines that are not blank): for files
 * whose name says nothing (`vsctl-show.txt`, `flows.txt`, `ip_a`). Undefined when unsure.
 */
export function sniff(text: string): SniffedKind | undefined {
  const head = text.slice(0, 64 * 1024);
  // Elision lines (`...`, `[snip]`) say an excerpt: what it is, is read from the lines it shows.
  const lines = head
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '' && !isElision(l));
  const first = lines[0]?.trim() ?? '';
  if (first === '') return undefined;
  if (/^(?:NXST|OFPST)_FLOW reply\b/.test(first)) return { kind: 'dump-flows', noStats: false, names: false };
  if (/^OFPT_FEATURES_REPLY\b/.test(first) || /^OFPST_PORT_DESC reply\b/.test(first))
    return { kind: 'ofctl-show' };
  // ovs-vsctl show, after any comment lines an operator put above it (`# this is the compute node`);
  // its indentation flattened by a forum too (every line at the margin: parse/vsctl-show-flat.ts).
  const showFirst = lines.find((l) => !/^\s*#/.test(l))?.trim() ?? '';
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(showFirst);
  if (
    (isUuid || /^Bridge \S/.test(showFirst)) &&
    lines.some((l) => /^\s+Bridge \S/.test(l) || /^Bridge \S/.test(l)) &&
    lines.some((l) => /^\s*(?:Port|Interface) \S/.test(l))
  )
    return { kind: 'vsctl-show' };
  // An excerpt that starts inside a bridge (`...`, then `Port "qvo…"`, its tag, its Interface):
  // every line one ovs-vsctl show prints (a record's line, or a record's `key: value`).
  const shown = lines.slice(0, 200).filter((l) => !/^\s*#/.test(l));
  if (
    /^(?:Port|Interface|Controller) \S/.test(showFirst) &&
    shown.some((l) => /^\s*(?:Port|Interface) \S/.test(l)) &&
    shown.every((l) => /^\s*(?:(?:Manager|Bridge|Controller|Port|Interface) \S|[a-z_]+: ?\S)/.test(l))
  )
    return { kind: 'vsctl-show' };
  const flowLines = lines.slice(0, 20).filter((l) => /(?:^|[ ,])actions=/.test(l));
  if (flowLines.length > 0 && flowLines.length >= Math.min(lines.length, 20) / 2) {
    const stats = flowLines.some((l) => /\bn_packets=/.test(l));
    return { kind: 'dump-flows', noStats: !stats, names: false };
  }
  if (/^_uuid\s+: [0-9a-f-]{36}$/.test(first)) {
    for (const [re, table] of VSCTL_LIST_TABLE) if (re.test(head)) return { kind: 'vsctl-list', table };
    return undefined;
  }
  if (/^bridge name\s+bridge id\s+STP enabled\s+interfaces\s*$/.test(first)) return { kind: 'brctl-show' };
  // `ip addr` and `ip link` print the same device blocks; only `ip addr` has inet/inet6 lines (lo's
  // 127.0.0.1 at least), and only `ip link` prints `mode DEFAULT` in each head. Without an inet line
  // it is read as link output, which claims no address absent: a guess the other way would.
  if (/^\d+: [^:\s]+(?:@\S+)?: <[A-Z_,-]*> /.test(first))
    return lines.some((l) => /^\s+inet6? [0-9a-fA-F:.]+(?:\/\d+)?\s/.test(l))
      ? { kind: 'ip-addr' }
      : { kind: 'ip-link' };
  // `ip -j`: an address listing has each device's addr_info (`[]` when it has none).
  if (/^\[\{"ifindex":/.test(first))
    return /"addr_info":/.test(head) ? { kind: 'ip-addr' } : { kind: 'ip-link' };
  if (/^\S+: flags=\d+<[A-Z_,]*>\s+mtu \d+$/.test(first) || /^\S+\s+Link encap:/.test(first))
    return { kind: 'ifconfig' };
  if (lines.every((l) => /^(?:qdhcp|qrouter|qlbaas|snat|fip|ovnmeta)-\S+(?: \(id: \d+\))?$/.test(l)))
    return { kind: 'ip-netns' };
  if (/^# Generated by iptables-save/.test(first) || /^\*(?:filter|mangle|nat|raw)$/.test(first))
    return { kind: 'iptables' };
  // sysctl (`sysctl -a`, `sysctl net.bridge.bridge-nf-call-iptables`): `key = value` lines, or its
  // note that a key does not exist. Whether it is all of `sysctl -a` is read from what it lists.
  const sysctlLine = (l: string): boolean => /^[a-z][\w-]*(?:\.[\w:@+-]+)+ = /.test(l);
  if (
    /^sysctl: cannot stat \/proc\/sys\//.test(first) ||
    (sysctlLine(first) && lines.slice(0, 20).filter(sysctlLine).length >= Math.min(lines.length, 20) / 2)
  )
    return { kind: 'sysctl', all: false };
  // ss (any options: `ss -ano -4` in a qdhcp namespace) or netstat's socket table; read in the
  // namespace the file's name says, else not at all.
  // (ss prints no Netid column when it lists one socket type, no State when one state: `ss -ltnp`, `ss -u`.)
  // ss -H prints no header: rows that all have ss's layout (a Netid or State column, the two queues).
  if (
    /^(?:Netid\s+)?(?:State\s+)?Recv-Q\s+Send-Q\s+Local Address:Port\s/.test(first) ||
    /^Active Internet connections\b/.test(first) ||
    headerlessSsLayout(lines.slice(0, 50)) !== undefined
  )
    return { kind: 'sockets' };
  // ps: its header first, or rows (or the command column alone, the ps columns cut) of which one
  // is a dnsmasq Neutron started, its arguments distinctive (`--interface=`, `--dhcp-hostsfile=`,
  // /var/lib/neutron/dhcp/<net>/…): `ps auxww | grep <net>` pasted under any name.
  if (PS_HEADER.test(first)) return { kind: 'ps' };
  const psLines = lines.slice(0, 50);
  if (
    psLines.some((l) => parseDnsmasqProcesses(l).value.some((p) => p.interfaces.length > 0 || p.net)) &&
    psLines.filter((l) => PS_ROW.test(l) || DNSMASQ_COMMAND.test(l)).length >= psLines.length / 2
  )
    return { kind: 'ps' };
  // dnsmasq's DHCP lines (its log file, or syslog/journalctl with other daemons' lines between):
  // `dnsmasq-dhcp[11748]: 1346682157 DHCPOFFER(ns-5f1c9a2e-7b) 10.0.0.3 fa:16:3e:11:22:33`.
  if (lines.some((l) => DNSMASQ_DHCP_LINE.test(l))) return { kind: 'dnsmasq-log' };
  // dhclient -v (bare, or from syslog): its banner, or two of the lines only it prints.
  const client = lines.slice(0, 100).map((l) => dhclientMessage(l.trimStart()));
  if (
    /^Internet Systems Consortium DHCP Client \S+/.test(client[0] ?? '') ||
    client.filter((l) => DHCLIENT_LINE.test(l)).length >= 2
  )
    return { kind: 'dhclient' };
  // cirros' udhcpc (a VM's console log): its banner and what it sent, read as dhclient's output is.
  if (isUdhcpc(lines.slice(0, 200).join('\n'))) return { kind: 'dhclient' };
  return undefined;
}

/**
 * Outputs recognised but not read, with why (what a loose file of that kind is told): undefined
 * when the text is no output vifpath knows.
 */
export function notReadWhy(text: string): string | undefined {
  const first =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  if (/^Actual changes:$/.test(first))
    return "`ethtool -K`'s report of a change it made: neither when nor the device's state now (`ip netns exec <ns> ethtool -k <dev>` shows that)";
  if (/^(?:tcpdump: )?listening on \S+, link-type\b/.test(first) || /^\d\d:\d\d:\d\d\.\d{6} /.test(first))
    return "tcpdump's text: vifpath reads packet captures as pcap files (`tcpdump -w <point>.pcap`)";
  if (/^system@\S+:$|^netdev@\S+:$/.test(first))
    return '`ovs-dpctl show` (the datapath, not the bridges: `ovs-vsctl show` and `ovs-ofctl show <bridge>` are read)';
  const eth = /^Features for (\S+):$/.exec(first);
  if (eth)
    return `\`ethtool -k ${eth[1]}\`, but neither its name nor its content says which namespace ${eth[1]} is in (save it as ip_netns_exec_<ns>_ethtool_-k_${eth[1]})`;
  return undefined;
}

/** The namespace a pasted file's name says (`ip netns exec qdhcp-X ip a` saved under its command). */
export function namespaceOfName(baseName: string): string | undefined {
  return /(?:^|[_ ])(?:net(?:ns?)?[_ ]e(?:x(?:ec?)?)?|exec)[_ ]((?:qdhcp|qrouter|snat|fip|ovnmeta)-[0-9a-f-]+)/.exec(
    baseName,
  )?.[1];
}

// --- What the collector runs: each command with the kind the reader gives its file. ---

export interface CollectedCommand {
  argv: readonly string[];
  /** What classify() makes of the file this command's output is written to. */
  reads: FileKind['kind'];
}

/** Once per host: what sos's openvswitch plugin runs before its per-bridge loop. */
export const OVS_COMMANDS: readonly CollectedCommand[] = [
  { argv: ['ovs-vsctl', '-t', '5', 'show'], reads: 'vsctl-show' },
  { argv: ['ovs-vsctl', '-t', '5', 'list-br'], reads: 'aux' },
  { argv: ['ovs-vsctl', '-t', '5', 'list', 'Open_vSwitch'], reads: 'vsctl-list' },
  { argv: ['ovs-vsctl', '-t', '5', 'list', 'bridge'], reads: 'vsctl-list' },
  { argv: ['ovs-vsctl', '-t', '5', 'list', 'port'], reads: 'vsctl-list' },
  { argv: ['ovs-vsctl', '-t', '5', 'list', 'interface'], reads: 'vsctl-list' },
  { argv: ['ovs-vsctl', '-t', '5', 'list', 'controller'], reads: 'vsctl-list' },
  { argv: ['ovs-vsctl', '-t', '5', 'list', 'manager'], reads: 'vsctl-list' },
  { argv: ['ovs-appctl', 'dpif/show'], reads: 'aux' },
  { argv: ['ovs-appctl', 'dpctl/dump-flows', '-m'], reads: 'aux' },
];

/**
 * Per bridge (the bridge name is the last word). A bridge's name is data from the host: `--` ends
 * ovs-ofctl's options; ovs-appctl hands every word after its command to the daemon, so its bridge
 * goes bare. Files are named as sos names them, without the `--` (sosName of the argv without it).
 */
export function bridgeCommands(br: string): CollectedCommand[] {
  return [
    { argv: ['ovs-ofctl', 'show', '--', br], reads: 'ofctl-show' },
    { argv: ['ovs-ofctl', 'dump-flows', '--', br], reads: 'dump-flows' },
    { argv: ['ovs-ofctl', '-O', 'OpenFlow13', 'show', '--', br], reads: 'ofctl-show' },
    { argv: ['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', '--', br], reads: 'dump-flows' },
    { argv: ['ovs-ofctl', 'dump-ports', '--', br], reads: 'aux' },
    { argv: ['ovs-appctl', 'fdb/show', br], reads: 'fdb' },
  ];
}

/** The host's own (root) namespace. */
export const NET_COMMANDS: readonly CollectedCommand[] = [
  { argv: ['ip', '-d', 'address'], reads: 'ip-addr' },
  // Each Linux bridge's own nf_call_iptables (a hybrid plug's qbr: whether iptables sees its frames).
  { argv: ['ip', '-s', '-d', 'link'], reads: 'ip-link' },
  { argv: ['ip', 'route', 'show', 'table', 'all'], reads: 'aux' },
  // The host's firewall: what the underlay of its tunnels passes.
  { argv: ['iptables-save'], reads: 'iptables' },
  // Whether Linux bridges hand the frames they forward to iptables at all (a hybrid plug's qbr):
  // without it a hybrid VM's verdict waits on this key. sos's kernel plugin has it in sysctl -a.
  { argv: ['sysctl', 'net.bridge.bridge-nf-call-iptables'], reads: 'sysctl' },
];

/** Per namespace, written as `ip netns exec NS <argv>`. */
export const NS_COMMANDS: readonly CollectedCommand[] = [
  { argv: ['ip', '-d', 'address', 'show'], reads: 'ip-addr' },
  { argv: ['ip', 'route', 'show', 'table', 'all'], reads: 'aux' },
  { argv: ['iptables-save'], reads: 'iptables' },
  { argv: ['ss', '-peaonmi'], reads: 'sockets' },
];

/** Per namespace device. */
export function deviceCommands(dev: string): CollectedCommand[] {
  return [{ argv: ['ethtool', '-k', dev], reads: 'ethtool-k' }];
}
