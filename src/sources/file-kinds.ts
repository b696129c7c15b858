// Which parser reads a file, from its sosreport-style name (sos `_mangle_command`: binary's
// directory stripped, runs of characters outside [A-Za-z0-9_./-] → `_`, `/` → `.`).
// A declarative table: first matching row wins.

export type FileKind =
  | { kind: 'vsctl-show' }
  | { kind: 'vsctl-list'; table: string }
  | { kind: 'ofctl-show'; bridge: string; version?: string }
  | { kind: 'dump-flows'; bridge: string; version?: string; noStats: boolean; names: boolean }
  | { kind: 'monitor'; table?: string }
  | { kind: 'ovsdb-dump' }
  | { kind: 'conf-db' }
  | { kind: 'ip-netns' }
  | { kind: 'ifconfig'; ns?: string }
  | { kind: 'ip-addr'; ns?: string }
  | { kind: 'xen-domid' }
  | { kind: 'sockets'; ns?: string }
  | { kind: 'ethtool-k'; ns?: string; dev: string }
  | { kind: 'iptables'; ns?: string }
  | { kind: 'dnsmasq-log' }
  | { kind: 'dhclient' }
  | { kind: 'dhcp-hosts'; net: string }
  | { kind: 'dhcp-leases'; net: string }
  | { kind: 'dhcp-opts'; net: string }
  | { kind: 'dhcp-pid'; net: string }
  | { kind: 'fdb'; bridge: string }
  | { kind: 'agent-config' }
  | { kind: 'capture'; name: string }
  | { kind: 'agent-log' };

const TABLES: Record<string, string> = {
  bridge: 'Bridge',
  port: 'Port',
  interface: 'Interface',
  open_vswitch: 'Open_vSwitch',
  controller: 'Controller',
  manager: 'Manager',
};

const OPT = '(?:_--?[A-Za-z][A-Za-z0-9-]*(?:_[A-Za-z0-9]+)?)*';
const IFCONFIG = 'ifconfig(?:_-a)?';
const IPADDR = 'ip(?:_-[a-z])*_(?:addr|address)(?:_show)?';

type Row = [RegExp, (m: RegExpExecArray) => FileKind | undefined];

const ROWS: Row[] = [
  [/^ovs-vsctl(?:_-t_\d+)?_show$/, () => ({ kind: 'vsctl-show' })],
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
    new RegExp(`^ovs-ofctl(?:_-O_(OpenFlow1\\d))?(${OPT})_dump-flows_(.+?)(${OPT})$`),
    (m) => ({
      kind: 'dump-flows',
      bridge: m[3]!,
      noStats: `${m[2]}${m[4]}`.includes('--no-stats'),
      names: `${m[2]}${m[4]}`.includes('--names'),
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
  [/^ip_netns(?:_list)?$/, () => ({ kind: 'ip-netns' })],
  [new RegExp(`^ip_netns_exec_(.+?)_${IFCONFIG}$`), (m) => ({ kind: 'ifconfig', ns: m[1]! })],
  [new RegExp(`^ip_netns_exec_(.+?)_${IPADDR}$`), (m) => ({ kind: 'ip-addr', ns: m[1]! })],
  [new RegExp(`^${IFCONFIG}$`), () => ({ kind: 'ifconfig' })],
  [new RegExp(`^${IPADDR}$`), () => ({ kind: 'ip-addr' })],
  [/^xenstore-read_domid$/, () => ({ kind: 'xen-domid' })],
  [/^(.+)\.pcap(?:ng)?$/, (m) => ({ kind: 'capture', name: m[1]! })],
  [/^ovs-appctl_fdb\.show_(.+)$/, (m) => ({ kind: 'fdb', bridge: m[1]! })],
  [
    /^ip_netns_exec_(.+?)_(?:netstat_-W_-neopa|netstat_-neopa|netstat_-[a-zA-Z]+|ss_-[a-z]+)$/,
    (m) => ({ kind: 'sockets', ns: m[1]! }),
  ],
  [/^ip_netns_exec_(.+?)_ethtool_-k_(.+)$/, (m) => ({ kind: 'ethtool-k', ns: m[1]!, dev: m[2]! })],
  [/^ip_netns_exec_(.+?)_iptables-save$/, (m) => ({ kind: 'iptables', ns: m[1]! })],
  [/^(?:netstat_-W_-neopa|ss_-peaonmi)$/, () => ({ kind: 'sockets' })],
  [/^dnsmasq.*\.log$/, () => ({ kind: 'dnsmasq-log' })],
  [
    /^(?:neutron-)?openvswitch-agent\.log$|^(?:screen-)?q-agt\.log$|^neutron-openvswitch-agent\.log$/,
    () => ({ kind: 'agent-log' }),
  ],
  [/^(?:openvswitch_agent|ml2_conf|ovs_neutron_plugin)\.ini$/, () => ({ kind: 'agent-config' })],
  [/^dhclient_.*$/, () => ({ kind: 'dhclient' })],
];

/** Classify by base name; undefined for files vifpath does not read. */
export function classify(baseName: string): FileKind | undefined {
  for (const [re, make] of ROWS) {
    const m = re.exec(baseName);
    if (m) {
      const k = make(m);
      if (k) return k;
    }
  }
  return undefined;
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
