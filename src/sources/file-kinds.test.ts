// What is collected is what is read: every command the collector runs writes a file the reader
// classifies as the kind the registry says. Plus the names sos gives (3.x, 4.x, snap prefixes) and
// pasted outputs recognised by content.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWN_FIXTURES, read } from '../testing/fixtures.ts';
import {
  bridgeCommands,
  classify,
  deviceCommands,
  NET_COMMANDS,
  NS_COMMANDS,
  notReadWhy,
  OVS_COMMANDS,
  sniff,
  sosName,
} from './file-kinds.ts';

const BUGNOTE_CONSOLE = read(
  join(
    OWN_FIXTURES,
    '../../doctor/fixtures/bugnote-no-address-available/instance/openstack_console_log_show',
  ),
);
const PITFALL = (f: string): string => read(join(OWN_FIXTURES, 'reference/pitfall-veth-dhcp-port', f));

const kindOf = (name: string): string => classify(name)?.kind ?? 'unread';
const fileOf = (argv: readonly string[]): string => sosName(argv.filter((a) => a !== '--'));

describe('collector and reader share one registry', () => {
  const all = [
    ...OVS_COMMANDS.map((c) => ({ ...c, file: fileOf(c.argv) })),
    ...bridgeCommands('br-int').map((c) => ({ ...c, file: fileOf(c.argv) })),
    ...NET_COMMANDS.map((c) => ({ ...c, file: fileOf(c.argv) })),
    ...NS_COMMANDS.map((c) => ({ ...c, file: fileOf(['ip', 'netns', 'exec', 'qdhcp-1', ...c.argv]) })),
    ...deviceCommands('tap1').map((c) => ({
      ...c,
      file: fileOf(['ip', 'netns', 'exec', 'qdhcp-1', ...c.argv]),
    })),
  ];
  it.each(all)('$file', ({ file, reads }) => {
    expect(reads === 'aux' ? ['aux', 'unread'] : [reads]).toContain(kindOf(file));
  });
  it('per-bridge files name the bridge', () => {
    for (const c of bridgeCommands('br-int').filter((x) => x.reads !== 'aux'))
      expect(classify(fileOf(c.argv))).toMatchObject({ bridge: 'br-int' });
  });
});

describe('sos names (sos/report/plugins openvswitch.py, networking.py)', () => {
  it.each([
    ['ovs-vsctl_-t_5_show', 'vsctl-show'],
    ['openstack-hypervisor.ovs-vsctl_-t_5_show', 'vsctl-show'],
    ['openstack-hypervisor.ovs-vsctl_-t_5_list_interface', 'vsctl-list'],
    ['openstack-hypervisor.ovs-ofctl_-O_OpenFlow13_dump-flows_br-int', 'dump-flows'],
    ['openstack-hypervisor.ovs-ofctl_show_br-int', 'ofctl-show'],
    ['microovn.ovs-vsctl_list-br', 'unread'],
    ['ovs-vsctl_list_Open_vSwitch', 'vsctl-list'],
    ['ovs-ofctl_dump-ports-desc_br-int', 'ofctl-show'],
    ['ip_-d_address', 'ip-addr'],
    ['ip_address', 'ip-addr'],
    ['ip_-o_addr', 'ip-addr'],
    ['ip_netns_exec_qdhcp-9c1f_ip_-d_address_show', 'ip-addr'],
    ['ip_netns_exec_qdhcp-9c1f_ip_address_show', 'ip-addr'],
    ['ip_netns_exec_qdhcp-9c1f_ip_a', 'ip-addr'],
    ['ip_netns_exec_qdhcp-9c1f_ip_addr_list', 'ip-addr'],
    ['ip_netns_exec_qdhcp-9c1f_netstat_-W_-neopa', 'sockets'],
    ['ip_netns_exec_qdhcp-9c1f_netstat_-s', 'aux'],
    ['ip_netns_exec_qdhcp-9c1f_netstat_-W_-agn', 'aux'],
    ['ip_netns_exec_qdhcp-9c1f_ss_-peaonmi', 'sockets'],
    ['ip_netns_exec_qdhcp-9c1f_iptables-save', 'iptables'],
    ['ip_netns_exec_qdhcp-9c1f_ip_route_show_table_all', 'unread'],
  ])('%s → %s', (name, kind) => {
    expect(kindOf(name)).toBe(kind);
  });
  it.each([
    // As an operator saves `ovs-ofctl dump-flows --rsort br-int` under sos's naming (published:
    // HPCC-Cloud-Computing/hpcc-know-how, OpenStack-networking-Layer2-Introduction.md, 3.2.3).
    ['ovs-ofctl_dump-flows_--rsort_br-int', 'br-int', false, false],
    ['ovs-ofctl_dump-flows_--sort=priority_br-tun', 'br-tun', false, false],
    ['ovs-ofctl_dump-flows_--no-stats_--names_br-int', 'br-int', true, true],
    ['ovs-ofctl_-O_OpenFlow13_dump-flows_--no-names_br_int', 'br_int', false, false],
    ['ovs-ofctl_dump-flows_br-int_--names', 'br-int', false, true],
  ])('%s: options before the bridge are options, not its name', (name, bridge, noStats, names) => {
    expect(classify(name)).toMatchObject({ kind: 'dump-flows', bridge, noStats, names });
  });
  it('a snap-packaged dump keeps its bridge and version', () => {
    expect(classify('openstack-hypervisor.ovs-ofctl_-O_OpenFlow13_dump-flows_br-int')).toMatchObject({
      bridge: 'br-int',
      version: 'OpenFlow13',
    });
  });
});

describe('pasted outputs recognised by content', () => {
  it.each([
    [
      'ovs-vsctl show (Sunbeam docs, snap OVS)',
      'f9b527db-207c-453d-bcda-482610541462\n    Bridge br-ex\n        datapath_type: system\n        Port br-ex\n            Interface br-ex\n                type: internal\n',
      'vsctl-show',
    ],
    [
      "ovs-vsctl show under an operator's comment line (the seed, annotated)",
      '# this is the compute node (dom0)\nBridge "xapi5"\n    fail_mode: secure\n    Port "xapi5"\n        Interface "xapi5"\n            type: internal\n',
      'vsctl-show',
    ],
    [
      'dump-flows with header',
      'NXST_FLOW reply (xid=0x4):\n cookie=0x0, duration=1.0s, table=0, n_packets=7, n_bytes=799, idle_age=5, priority=2,in_port=2 actions=drop\n',
      'dump-flows',
    ],
    [
      'dump-flows pasted without header',
      ' cookie=0x0, duration=1.0s, table=0, n_packets=7, n_bytes=799, priority=2,in_port=2 actions=drop\n priority=0 actions=NORMAL\n',
      'dump-flows',
    ],
    [
      'ovs-ofctl show',
      'OFPT_FEATURES_REPLY (xid=0x2): dpid:0000a6b1e4c2f94b\nn_tables:254, n_buffers:0\n',
      'ofctl-show',
    ],
    [
      // slawqo-where-is-my-packet-2/controller/ip_netns_exec_qdhcp-5d90176f-…_ip_a, lines 1-4
      'ip a',
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n',
      'ip-addr',
    ],
    [
      'ifconfig (net-tools 2)',
      'eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n        inet 10.0.0.5  netmask 255.255.255.0\n',
      'ifconfig',
    ],
    ['ifconfig (old net-tools)', 'eth0      Link encap:Ethernet  HWaddr fa:16:3e:aa:bb:cc\n', 'ifconfig'],
    [
      'ip netns',
      'qdhcp-7b39ecad-8e33-4ad2-9d6c-7e8e5f1d2a11 (id: 1)\nqrouter-1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b (id: 0)\n',
      'ip-netns',
    ],
    [
      'ovs-vsctl list interface',
      '_uuid               : 6a1c7a2e-0b8c-4d5e-9f10-111213141516\nofport              : 3\n',
      'vsctl-list',
    ],
    [
      'ss -ano -4 in a qdhcp namespace (field case study-notes-vxlan-network)',
      'Netid            State             Recv-Q            Send-Q                         Local Address:Port                       Peer Address:Port           Process\nudp              UNCONN            0                 0                                    0.0.0.0:67                              0.0.0.0:*\n',
      'sockets',
    ],
    [
      'ss -Hlunp (no header) in a qdhcp namespace',
      'UNCONN 0      0                                 10.0.0.2:53 0.0.0.0:* users:(("dnsmasq",pid=10980,fd=6))\nUNCONN 0      0                          0.0.0.0%tapfix0:67 0.0.0.0:* users:(("dnsmasq",pid=10980,fd=4))\n',
      'sockets',
    ],
    [
      'ss -Hano4 (no header) with its stderr first',
      'RTNETLINK answers: Invalid argument\nudp UNCONN 0      0             10.0.0.2:53 0.0.0.0:*\nudp UNCONN 0      0      0.0.0.0%tapfix0:67 0.0.0.0:*\n',
      'sockets',
    ],
    // The reference lab's veth DHCP port case (fixtures/reference/pitfall-veth-dhcp-port), files as
    // an operator names them: their names say nothing vifpath reads.
    ['dnsmasq log (1-dnsmasq-offers.log)', PITFALL('1-dnsmasq-offers.log'), 'dnsmasq-log'],
    [
      'dnsmasq lines in syslog, between other daemons',
      `Nov 25 12:57:26 network systemd[1]: Started neutron-dhcp-agent.service.\n${PITFALL('1-dnsmasq-offers.log').replace(/^(Nov 25 \S+) /gm, '$1 network ')}`,
      'dnsmasq-log',
    ],
    ['dhclient -v, no OFFER (1-dhclient-txcsum-on.txt)', PITFALL('1-dhclient-txcsum-on.txt'), 'dhclient'],
    ['dhclient -v, bound (3-dhclient-txcsum-off.txt)', PITFALL('3-dhclient-txcsum-off.txt'), 'dhclient'],
    [
      'dhclient -v without its banner (the console shows only the tail)',
      PITFALL('1-dhclient-txcsum-on.txt').split('\n').slice(8).join('\n'),
      'dhclient',
    ],
    // cirros' udhcpc in `openstack console log show` (a published note: doctor/fixtures/PROVENANCE.md)
    ['udhcpc in a cirros console log (bugnote-no-address-available)', BUGNOTE_CONSOLE, 'dhclient'],
  ])('%s', (_what, text, kind) => {
    expect(sniff(text)?.kind).toBe(kind);
  });
  it.each([
    [
      "ethtool -K's report of its change (2-ethtool.txt, its prompt line left out as the reader does)",
      PITFALL('2-ethtool.txt').split('\n').slice(1).join('\n'),
      /^`ethtool -K`'s report of a change it made/,
    ],
    [
      'tcpdump text (study notes)',
      read(join(OWN_FIXTURES, 'field/study-notes-vxlan-instance/compute/tcpdump-n-e-i-eth0.txt')),
      /^tcpdump's text/,
    ],
    [
      'ovs-dpctl show (study notes)',
      read(join(OWN_FIXTURES, 'field/study-notes-vxlan-instance/compute/dpctl-show.txt')),
      /^`ovs-dpctl show`/,
    ],
  ])('recognised, not read, and why: %s', (_what, text, why) => {
    expect(sniff(text)).toBeUndefined();
    expect(notReadWhy(text)).toMatch(why);
  });
  it.each([
    'hello\nworld\n',
    '# notes about the case\n',
    'exec of "netstat" failed: No such file or directory\n',
    // queues and addresses with no Netid or State column: nothing says it is ss
    '0      0      10.0.0.2:40000 10.0.0.5:53\n',
    // ss rows under a note that is no row
    'dhcp node sockets\nUNCONN 0      0      0.0.0.0%tapfix0:67 0.0.0.0:*\n',
    // one dhclient-like line in prose is no dhclient output
    'we saw "No DHCPOFFERS received." on the console\n',
  ])('not an output: %j', (text) => {
    expect(sniff(text)).toBeUndefined();
  });
});
