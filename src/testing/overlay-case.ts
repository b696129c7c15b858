// A Neutron ML2/OVS VXLAN (or GRE) overlay as data, for table tests: compute1 (vm1), compute2
// (vm2) and a network node (qdhcp + its tap), each with br-int, br-tun and the underlay address on
// br-phy; br-tun flows as neutron's br_tun.py programs them with l2population and the ARP
// responder (the same values as ../shared/reference/ovs-tunnels.md and src/lab/vxlan.ts). Knobs
// break it the way the reference's eight failures do.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { REF_SS } from './case-edits.ts';
import type { BridgeSpec, HostSpec, PortSpec } from './snapshot-builder.ts';

export const UNDERLAY = { compute1: '172.16.0.11', compute2: '172.16.0.12', network: '172.16.0.13' } as const;
export type OverlayHost = keyof typeof UNDERLAY;
export const LOCAL_VLAN: Record<OverlayHost, number> = { compute1: 1, compute2: 2, network: 5 };
export const SEG = 1001;
export const NET = '3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12';
export const QDHCP = `qdhcp-${NET}`;
export const DHCP_TAP = 'tapd4a1b2c3-e5';
export const DHCP_MAC = 'fa:16:3e:aa:bb:cc';
export const VM = {
  vm1: { host: 'compute1', tap: 'tap7f3e1c2a-9b', mac: 'fa:16:3e:11:22:33', ip: '10.0.0.3' },
  vm2: { host: 'compute2', tap: 'tap9c8b7a6d-5e', mac: 'fa:16:3e:44:55:66', ip: '10.0.0.4' },
} as const;
const HOSTS: OverlayHost[] = ['compute1', 'compute2', 'network'];

export const hexIp = (ip: string): string =>
  ip
    .split('.')
    .map((x) => Number(x).toString(16).padStart(2, '0'))
    .join('');

export interface OverlayOptions {
  type?: 'vxlan' | 'gre';
  /** Hosts in the case (default all three). */
  hosts?: OverlayHost[];
  /** F1: compute1 has no tunnel port (nor flows) to this host. */
  noTunnelTo?: OverlayHost;
  /** F2: compute1's flood flow leaves out the tunnel to this host. */
  floodWithout?: OverlayHost;
  /** F3: compute1's tunnel to network carries this local_ip. */
  tunnelLocalIp?: string;
  /** F4: compute1's tunnel to network points at this remote_ip instead. */
  remoteIp?: string;
  /** F6: network's tunnel from compute1 expects this remote_ip. */
  receiverRemote?: string;
  /** compute1's flood flow sets this tun_id instead of the segment's. */
  floodKey?: number;
  /** F8: network's table 3/4 maps the segment to this VLAN. */
  tunToVlan?: number;
  /** Omit ip addr of the hosts (underlay known only from tunnels / agent config). */
  noAddresses?: boolean;
  /** Tunnel ports with unknown type and options (only ovs-ofctl show in the case). */
  typesUnknown?: boolean;
  /** network's br-tun has no flows at all (fail_mode secure, agent never programmed it). */
  networkBrTunEmpty?: boolean;
}

function tunName(type: string, ip: string): string {
  return `${type}-${hexIp(ip)}`;
}

function hostSpec(h: OverlayHost, o: OverlayOptions): HostSpec {
  const type = o.type ?? 'vxlan';
  const table = type === 'vxlan' ? 4 : 3;
  const lv = LOCAL_VLAN[h];
  const me = UNDERLAY[h];
  const peers = HOSTS.filter((x) => x !== h && !(h === 'compute1' && x === o.noTunnelTo));
  const tunPorts: PortSpec[] = peers.map((p, i) => {
    let remote: string = UNDERLAY[p];
    let local: string = me;
    if (h === 'compute1' && p === 'network') {
      if (o.remoteIp) remote = o.remoteIp;
      if (o.tunnelLocalIp) local = o.tunnelLocalIp;
    }
    if (h === 'network' && p === 'compute1' && o.receiverRemote) remote = o.receiverRemote;
    return {
      name: tunName(type, UNDERLAY[p]),
      ofport: 2 + i,
      tag: null,
      ...(o.typesUnknown
        ? {}
        : {
            type,
            options: {
              df_default: 'true',
              egress_pkt_mark: '0',
              in_key: 'flow',
              local_ip: local,
              out_key: 'flow',
              remote_ip: remote,
            },
          }),
    };
  });
  const tunOf = (p: OverlayHost): string => tunName(type, UNDERLAY[p]);
  const flood = peers.filter((p) => !(h === 'compute1' && p === o.floodWithout)).map(tunOf);
  const tunFlows = [
    'table=0,priority=1,in_port=patch-int actions=goto_table:2',
    ...peers.map((p) => `table=0,priority=1,in_port=${tunOf(p)} actions=goto_table:${table}`),
    'table=0,priority=0 actions=drop',
    'table=2,priority=1,arp,dl_dst=ff:ff:ff:ff:ff:ff actions=goto_table:21',
    'table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00 actions=goto_table:20',
    'table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=goto_table:22',
    'table=3,priority=0 actions=drop',
    'table=4,priority=0 actions=drop',
    'table=6,priority=0 actions=drop',
    `table=${table},priority=1,tun_id=0x3e9 actions=push_vlan:0x8100,set_field:${4096 + (h === 'network' && o.tunToVlan !== undefined ? o.tunToVlan : lv)}->vlan_vid,goto_table:10`,
    'table=10,priority=1 actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x1c0a5e11,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:patch-int',
    'table=20,priority=0 actions=goto_table:22',
    'table=21,priority=0 actions=goto_table:22',
    ...(flood.length
      ? [
          `table=22,priority=1,dl_vlan=${lv} actions=pop_vlan,set_field:${h === 'compute1' && o.floodKey !== undefined ? o.floodKey : '0x3e9'}->tun_id,${flood.map((t) => `output:${t}`).join(',')}`,
        ]
      : []),
    'table=22,priority=0 actions=drop',
  ];
  // l2pop unicast entries toward the VMs and the DHCP port on the other hosts.
  const macs: [string, OverlayHost][] = [
    [VM.vm1.mac, 'compute1'],
    [VM.vm2.mac, 'compute2'],
    [DHCP_MAC, 'network'],
  ];
  for (const [mac, at] of macs)
    if (at !== h && peers.includes(at))
      tunFlows.push(
        `table=20,priority=2,dl_vlan=${lv},dl_dst=${mac} actions=pop_vlan,set_field:0x3e9->tun_id,output:${tunOf(at)}`,
      );
  const brTun: BridgeSpec = {
    name: 'br-tun',
    failMode: 'secure',
    ports: [
      { name: 'patch-int', ofport: 1, tag: null, type: 'patch', peer: 'patch-tun' },
      ...tunPorts,
      { name: 'br-tun', ofport: 65534, tag: null, type: 'internal' },
    ],
    ...(h === 'network' && o.networkBrTunEmpty ? { flows: [] } : { flows: tunFlows }),
  };
  const intPorts: PortSpec[] = [
    { name: 'patch-tun', ofport: 1, tag: null, type: 'patch', peer: 'patch-int' },
    { name: 'br-int', ofport: 65534, tag: null, type: 'internal' },
  ];
  const vm = Object.values(VM).find((v) => v.host === h);
  if (vm)
    intPorts.push({
      name: vm.tap,
      ofport: 2,
      tag: lv,
      type: '',
      ids: { 'attached-mac': vm.mac, 'iface-id': `port-${vm.tap}`, 'iface-status': 'active' },
    });
  if (h === 'network') intPorts.push({ name: DHCP_TAP, ofport: 2, tag: lv, type: 'internal' });
  const brInt: BridgeSpec = {
    name: 'br-int',
    failMode: 'secure',
    ports: intPorts,
    flows: [
      'table=0,priority=65535,vlan_tci=0x0fff/0x1fff actions=drop',
      'table=0,priority=0 actions=goto_table:60',
      'table=60,priority=1 actions=NORMAL',
    ],
  };
  const brPhy: BridgeSpec = {
    name: 'br-phy',
    failMode: 'standalone',
    ports: [
      { name: 'eth1', ofport: 1, tag: null, type: '' },
      { name: 'br-phy', ofport: 65534, tag: null, type: 'internal' },
    ],
    flows: ['priority=0 actions=NORMAL'],
  };
  return {
    name: h,
    bridges: [brInt, brTun, brPhy],
    ...(o.noAddresses
      ? {}
      : {
          devices: [
            { name: 'lo', addresses: ['127.0.0.1/8'] },
            { name: 'eth1' },
            { name: 'br-phy', addresses: [`${me}/24`] },
          ],
        }),
    ...(h === 'network'
      ? {
          namespaces: [
            {
              name: QDHCP,
              devices: [{ name: DHCP_TAP, mac: DHCP_MAC, addresses: ['10.0.0.2/24'] }],
              // dnsmasq at work there: a real `ss -ulpn` of a DHCP namespace (dnsmasq-ss/PROVENANCE.md).
              sockets: { file: basename(REF_SS), text: readFileSync(REF_SS, 'utf8') },
            },
          ],
        }
      : {}),
  };
}

export function overlayHosts(o: OverlayOptions = {}): HostSpec[] {
  return (o.hosts ?? HOSTS).map((h) => hostSpec(h, o));
}

/** The VMs as hosts of their own, wired to their taps (the trace then ends at the VM's eth0). */
export function overlayCase(o: OverlayOptions = {}): { hosts: HostSpec[]; links: [string, string][] } {
  const hosts = overlayHosts(o);
  const links: [string, string][] = [];
  for (const [name, v] of Object.entries(VM))
    if (hosts.some((h) => h.name === v.host)) {
      hosts.push({ name, devices: [{ name: 'eth0', mac: v.mac }] });
      links.push([`${v.host}:${v.tap}`, `${name}:eth0`]);
    }
  return { hosts, links };
}
