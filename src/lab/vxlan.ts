// The overlay lab (issue 16): three Neutron ML2/OVS hosts — compute1 (vm1), compute2 (vm2) and a
// network node (qdhcp namespace + dnsmasq) — each one private ovs-vswitchd (userspace datapath) in
// its own network namespace, joined by VXLAN (or GRE) tunnels over a Linux-bridge underlay, with
// br-int/br-tun programmed as neutron's br_int.py/br_tun.py do (l2population, ARP responder) and
// local VLANs that differ per host. The recipe is ../shared/reference/ovs-tunnels.md (verified
// there): the tunnel IP on br-phy's internal port, `arp off` on the underlay veth, neighbours
// warmed before the first DISCOVER. Scenarios break it the way the reference's failures do.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, execOk } from '../runner/exec.ts';
import { LocalRunner, NETNS, vifpathLine } from '../runner/runner.ts';
import { collectHost } from '../sources/collect.ts';
import { OvsInstance } from './ovs-instance.ts';

export type OverlayType = 'vxlan' | 'gre' | 'geneve';
export type OverlayHostName = 'compute1' | 'compute2' | 'network';
export const OVERLAY_HOSTS: readonly OverlayHostName[] = ['compute1', 'compute2', 'network'];
export const UNDERLAY_IP: Record<OverlayHostName, string> = {
  compute1: '172.16.0.11',
  compute2: '172.16.0.12',
  network: '172.16.0.13',
};
const PHY_MAC: Record<OverlayHostName, string> = {
  compute1: '52:54:00:10:00:0b',
  compute2: '52:54:00:10:00:0c',
  network: '52:54:00:10:00:0d',
};
export const LOCAL_VLAN: Record<OverlayHostName, number> = { compute1: 1, compute2: 2, network: 5 };
const COOKIE: Record<OverlayHostName, string> = {
  compute1: '0x1c0a5e11',
  compute2: '0x1c0a5e12',
  network: '0x1c0a5e13',
};
export const SEG = 1001;
export const OVERLAY_NET = '3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12';
export const OVERLAY_QDHCP = `qdhcp-${OVERLAY_NET}`;
export const OVERLAY_DHCP_TAP = 'tapd4a1b2c3-e5';
const DHCP_MAC = 'fa:16:3e:aa:bb:cc';
const DHCP_IP = '10.0.0.2';
export const OVERLAY_VMS = {
  vm1: { host: 'compute1', tap: 'tap7f3e1c2a-9b', mac: 'fa:16:3e:11:22:33', ip: '10.0.0.3' },
  vm2: { host: 'compute2', tap: 'tap9c8b7a6d-5e', mac: 'fa:16:3e:44:55:66', ip: '10.0.0.4' },
} as const;
type VmName = keyof typeof OVERLAY_VMS;

/** The reference's failures (ovs-tunnels.md §7) the lab reproduces, and the healthy overlay. */
export const OVERLAY_SCENARIOS = [
  'healthy',
  'tunport',
  'flood',
  'localip',
  'remoteip',
  'rxremote',
  'udpdrop',
  'tunmap',
] as const;
export type OverlayScenario = (typeof OVERLAY_SCENARIOS)[number];

const hexIp = (ip: string): string =>
  ip
    .split('.')
    .map((x) => Number(x).toString(16).padStart(2, '0'))
    .join('');

export interface OverlayLabOptions {
  type?: OverlayType;
  scenario?: OverlayScenario;
  /** Files (default /tmp/vifpath-<prefix>); namespaces are `<prefix>-<host>`. */
  dir?: string;
  prefix?: string;
}

export interface LeaseResult {
  ok: boolean;
  ms: number;
  output: string;
  address?: string;
}

/** What `lab up --topology vxlan|gre` leaves in its directory for the commands that follow. */
export const OVERLAY_STATE = 'overlay.json';
interface OverlayState {
  prefix: string;
  type: OverlayType;
  scenario: OverlayScenario;
  dnsmasqPid?: number;
  upMs?: number;
}
/** Entries of the lab directory that the overlay lab creates (down removes these, nothing else). */
const OWN_ENTRIES = [
  ...OVERLAY_HOSTS,
  'vm1',
  'vm2',
  'neutron',
  'dnsmasq.log',
  'dhclient.conf',
  'dhclient-script.sh',
  OVERLAY_STATE,
];

export class OverlayLab {
  readonly inst = new Map<OverlayHostName, OvsInstance>();
  private dnsmasqPid?: number;
  upMs?: number;
  private constructor(
    readonly type: OverlayType,
    readonly scenario: OverlayScenario,
    readonly prefix: string,
    readonly dir: string,
  ) {}

  ns(name: string): string {
    return `${this.prefix}-${name}`;
  }
  tunName(ip: string): string {
    return `${this.type}-${hexIp(ip)}`;
  }
  private get tunTable(): number {
    // neutron's VXLAN_TUN_TO_LV 4, GRE_TUN_TO_LV 3, GENEVE_TUN_TO_LV 6.
    return this.type === 'vxlan' ? 4 : this.type === 'gre' ? 3 : 6;
  }
  private others(h: OverlayHostName): OverlayHostName[] {
    return OVERLAY_HOSTS.filter((x) => x !== h);
  }
  private ovs(h: OverlayHostName): OvsInstance {
    return this.inst.get(h)!;
  }
  private nsx(ns: string, ...argv: string[]): Promise<unknown> {
    return execOk([...NETNS(ns), ...argv]);
  }
  private async mkns(name: string): Promise<void> {
    await execOk(['ip', 'netns', 'add', name]);
    await this.nsx(name, 'ip', 'link', 'set', 'lo', 'up');
    // No IPv6: ND/MLD noise over the tunnels would make counters noisy.
    await this.nsx(
      name,
      'sysctl',
      '-qw',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
    );
  }
  private async waitDev(ns: string, dev: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if ((await exec([...NETNS(ns), 'ip', 'link', 'show', dev])).rc === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no ${dev} in ${ns}`);
  }
  private async addFlows(h: OverlayHostName, bridge: string, flows: string[]): Promise<void> {
    const f = join(this.dir, `${h}-${bridge}-${randomBytes(3).toString('hex')}.flows`);
    writeFileSync(f, `${flows.join('\n')}\n`);
    await this.ovs(h).ofctl('-O', 'OpenFlow13', 'add-flows', bridge, f);
    rmSync(f, { force: true });
  }

  static isOverlay(dir: string): boolean {
    return existsSync(join(dir, OVERLAY_STATE));
  }

  /** The lab a previous `up` left in `dir`. */
  static attach(dir: string): OverlayLab {
    const st = JSON.parse(readFileSync(join(dir, OVERLAY_STATE), 'utf8')) as OverlayState;
    if (!/^vx[0-9a-f]{6}$/.test(st.prefix) || !OVERLAY_SCENARIOS.includes(st.scenario))
      throw new Error(`${join(dir, OVERLAY_STATE)}: not an overlay lab state`);
    const type = st.type === 'gre' || st.type === 'geneve' ? st.type : 'vxlan';
    const lab = new OverlayLab(type, st.scenario, st.prefix, dir);
    for (const h of OVERLAY_HOSTS)
      lab.inst.set(h, OvsInstance.attach({ dir: join(dir, h), netns: lab.ns(h) }));
    if (st.dnsmasqPid) lab.dnsmasqPid = st.dnsmasqPid;
    if (st.upMs !== undefined) lab.upMs = st.upMs;
    return lab;
  }

  static async up(o: OverlayLabOptions = {}): Promise<OverlayLab> {
    const prefix = o.prefix ?? `vx${randomBytes(3).toString('hex')}`;
    const scenario = o.scenario ?? 'healthy';
    if (!OVERLAY_SCENARIOS.includes(scenario))
      throw new Error(`unknown overlay scenario "${scenario}": one of ${OVERLAY_SCENARIOS.join(', ')}`);
    const dir = o.dir ?? `/tmp/vifpath-${prefix}`;
    if (existsSync(join(dir, OVERLAY_STATE)) || existsSync(join(dir, 'state.json')))
      throw new Error(
        `a lab is already up in ${dir}: \`${vifpathLine('lab down', [], ['--dir', dir])}\` first`,
      );
    const lab = new OverlayLab(o.type ?? 'vxlan', scenario, prefix, dir);
    mkdirSync(lab.dir, { recursive: true });
    const t0 = performance.now();
    try {
      lab.save();
      await lab.build();
      await lab.break(lab.scenario);
      await lab.warm();
    } catch (e) {
      await lab.down();
      throw e;
    }
    lab.upMs = performance.now() - t0;
    lab.save();
    return lab;
  }

  private save(): void {
    const st: OverlayState = {
      prefix: this.prefix,
      type: this.type,
      scenario: this.scenario,
      ...(this.dnsmasqPid ? { dnsmasqPid: this.dnsmasqPid } : {}),
      ...(this.upMs !== undefined ? { upMs: Math.round(this.upMs) } : {}),
    };
    writeFileSync(join(this.dir, OVERLAY_STATE), `${JSON.stringify(st, null, 2)}\n`);
  }

  private learn(h: OverlayHostName): string {
    return `learn(table=20,hard_timeout=300,priority=1,cookie=${COOKIE[h]},NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:patch-int`;
  }
  private floodFlow(h: OverlayHostName, tuns: string[]): string {
    return `cookie=${COOKIE[h]},table=22,priority=1,dl_vlan=${LOCAL_VLAN[h]},actions=pop_vlan,set_field:${SEG}->tun_id${tuns.map((t) => `,output:${t}`).join('')}`;
  }
  private tunToLv(h: OverlayHostName, vlan = LOCAL_VLAN[h]): string {
    return `cookie=${COOKIE[h]},table=${this.tunTable},priority=1,tun_id=${SEG},actions=push_vlan:0x8100,set_field:${vlan | 4096}->vlan_vid,goto_table:10`;
  }
  private tunPortArgs(remote: string, local: string, name: string): string[] {
    return [
      '--',
      'add-port',
      'br-tun',
      name,
      '--',
      'set',
      'interface',
      name,
      `type=${this.type}`,
      'options:df_default=true',
      `options:remote_ip=${remote}`,
      `options:local_ip=${local}`,
      'options:in_key=flow',
      'options:out_key=flow',
      'options:egress_pkt_mark=0',
    ];
  }

  private async hostUp(h: OverlayHostName): Promise<void> {
    const ns = this.ns(h);
    await this.mkns(ns);
    const inst = await OvsInstance.start({ dir: join(this.dir, h), netns: ns, existingNetns: true });
    this.inst.set(h, inst);
    await execOk([
      'ip',
      'link',
      'add',
      'name',
      'eth1',
      'netns',
      ns,
      'type',
      'veth',
      'peer',
      'name',
      `ul-${h}`,
      'netns',
      this.ns('underlay'),
    ]);
    await this.nsx(this.ns('underlay'), 'ip', 'link', 'set', `ul-${h}`, 'master', 'br-ul', 'up');
    // eth1 is an OVS port: the kernel must not answer ARP for br-phy's address on it.
    await this.nsx(ns, 'ip', 'link', 'set', 'eth1', 'arp', 'off');
    await this.nsx(ns, 'ip', 'link', 'set', 'eth1', 'up');
    await inst.vsctl(
      ...OvsInstance.addBridgeArgs('br-phy', 'fail_mode=standalone', `other_config:hwaddr=${PHY_MAC[h]}`),
      '--',
      'add-port',
      'br-phy',
      'eth1',
    );
    await this.waitDev(ns, 'br-phy');
    await this.nsx(ns, 'ip', 'addr', 'add', `${UNDERLAY_IP[h]}/24`, 'dev', 'br-phy');
    await this.nsx(ns, 'ip', 'link', 'set', 'br-phy', 'up');
    for (const b of ['br-int', 'br-tun'])
      await inst.vsctl(
        ...OvsInstance.addBridgeArgs(b, 'fail_mode=secure', 'protocols=OpenFlow10,OpenFlow13'),
      );
    await inst.vsctl(
      ...[
        '--',
        'add-port',
        'br-int',
        'patch-tun',
        '--',
        'set',
        'interface',
        'patch-tun',
        'type=patch',
        'options:peer=patch-int',
      ],
      ...[
        '--',
        'add-port',
        'br-tun',
        'patch-int',
        '--',
        'set',
        'interface',
        'patch-int',
        'type=patch',
        'options:peer=patch-tun',
      ],
    );
    // One transaction per tunnel keeps ofports deterministic (2, 3 in host order).
    for (const o of this.others(h))
      await inst.vsctl(...this.tunPortArgs(UNDERLAY_IP[o], UNDERLAY_IP[h], this.tunName(UNDERLAY_IP[o])));
    const c = `cookie=${COOKIE[h]}`;
    await this.addFlows(h, 'br-int', [
      `${c},table=0,priority=65535,vlan_tci=0x0fff/0x1fff,actions=drop`,
      `${c},table=0,priority=0,actions=goto_table:58`,
      `${c},table=23,priority=0,actions=drop`,
      `${c},table=24,priority=0,actions=drop`,
      `${c},table=30,priority=0,actions=goto_table:58`,
      `${c},table=31,priority=0,actions=goto_table:58`,
      `${c},table=58,priority=0,actions=goto_table:59`,
      `${c},table=59,priority=0,actions=goto_table:60`,
      `${c},table=60,priority=1,actions=NORMAL`,
      `${c},table=62,priority=3,actions=NORMAL`,
    ]);
    await this.addFlows(h, 'br-tun', [
      `${c},table=0,priority=1,in_port=patch-int,actions=goto_table:2`,
      `${c},table=0,priority=0,actions=drop`,
      `${c},table=2,priority=1,arp,dl_dst=ff:ff:ff:ff:ff:ff,actions=goto_table:21`,
      `${c},table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=goto_table:20`,
      `${c},table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=goto_table:22`,
      ...[3, 4, 6].map((t) => `${c},table=${t},priority=0,actions=drop`),
      `${c},table=10,priority=1,actions=${this.learn(h)}`,
      `${c},table=20,priority=0,actions=goto_table:22`,
      `${c},table=21,priority=0,actions=goto_table:22`,
      `${c},table=22,priority=0,actions=drop`,
    ]);
    // What a sosreport of the host would hold: the agent's configuration.
    writeFileSync(
      join(this.dir, h, 'openvswitch_agent.ini'),
      `[ovs]\nintegration_bridge = br-int\ntunnel_bridge = br-tun\nlocal_ip = ${UNDERLAY_IP[h]}\n\n[agent]\ntunnel_types = ${this.type}\nl2_population = True\narp_responder = True\n`,
    );
  }

  private l2popFlows(h: OverlayHostName): string[] {
    const c = `cookie=${COOKIE[h]}`;
    const tuns = this.others(h).map((o) => this.tunName(UNDERLAY_IP[o]));
    const out = [
      ...tuns.map((t) => `${c},table=0,priority=1,in_port=${t},actions=goto_table:${this.tunTable}`),
      this.tunToLv(h),
      this.floodFlow(h, tuns),
    ];
    const remote: [string, string, OverlayHostName][] = [
      ...Object.values(OVERLAY_VMS).map((v): [string, string, OverlayHostName] => [v.mac, v.ip, v.host]),
      [DHCP_MAC, DHCP_IP, 'network'],
    ];
    for (const [mac, ip, at] of remote) {
      if (at === h) continue;
      const t = this.tunName(UNDERLAY_IP[at]);
      out.push(
        `${c},table=20,priority=2,dl_vlan=${LOCAL_VLAN[h]},dl_dst=${mac},actions=pop_vlan,set_field:${SEG}->tun_id,output:${t}`,
        `${c},table=21,priority=1,arp,dl_vlan=${LOCAL_VLAN[h]},arp_tpa=${ip},actions=set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:${mac}->arp_sha,set_field:${ip}->arp_spa,move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:${mac}->eth_src,IN_PORT`,
      );
    }
    return out;
  }

  private async build(): Promise<void> {
    const ul = this.ns('underlay');
    await this.mkns(ul);
    await this.nsx(ul, 'ip', 'link', 'add', 'br-ul', 'type', 'bridge');
    await this.nsx(ul, 'ip', 'link', 'set', 'br-ul', 'up');
    for (const h of OVERLAY_HOSTS) await this.hostUp(h);
    for (const [name, v] of Object.entries(OVERLAY_VMS)) {
      const h = v.host as OverlayHostName;
      const vns = this.ns(name);
      await this.mkns(vns);
      await execOk([
        'ip',
        'link',
        'add',
        'name',
        v.tap,
        'netns',
        this.ns(h),
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        vns,
      ]);
      await this.nsx(vns, 'ip', 'link', 'set', 'eth0', 'address', v.mac);
      await this.nsx(vns, 'ip', 'link', 'set', 'eth0', 'up');
      await this.nsx(this.ns(h), 'ip', 'link', 'set', v.tap, 'up');
      await this.ovs(h).vsctl(
        ...['add-port', 'br-int', v.tap, `tag=${LOCAL_VLAN[h]}`, '--', 'set', 'interface', v.tap],
        `external_ids:iface-id=port-${name}`,
        `external_ids:attached-mac=${v.mac}`,
        'external_ids:iface-status=active',
      );
    }
    const q = this.ns('qdhcp');
    await this.mkns(q);
    await this.ovs('network').vsctl(
      ...[
        'add-port',
        'br-int',
        OVERLAY_DHCP_TAP,
        `tag=${LOCAL_VLAN.network}`,
        '--',
        'set',
        'interface',
        OVERLAY_DHCP_TAP,
      ],
      'type=internal',
      'external_ids:iface-id=port-dhcp',
      `external_ids:attached-mac=${DHCP_MAC}`,
      'external_ids:iface-status=active',
    );
    await this.waitDev(this.ns('network'), OVERLAY_DHCP_TAP);
    await this.nsx(this.ns('network'), 'ip', 'link', 'set', OVERLAY_DHCP_TAP, 'netns', q);
    await this.nsx(q, 'ip', 'link', 'set', OVERLAY_DHCP_TAP, 'address', DHCP_MAC);
    await this.nsx(q, 'ip', 'addr', 'add', `${DHCP_IP}/24`, 'dev', OVERLAY_DHCP_TAP);
    await this.nsx(q, 'ip', 'link', 'set', OVERLAY_DHCP_TAP, 'up');
    for (const h of OVERLAY_HOSTS) await this.addFlows(h, 'br-tun', this.l2popFlows(h));
    // dnsmasq as the Neutron DHCP agent runs it, with its per-network files.
    const d = join(this.dir, 'neutron/dhcp', OVERLAY_NET);
    mkdirSync(d, { recursive: true });
    writeFileSync(
      join(d, 'host'),
      Object.values(OVERLAY_VMS)
        .map((v) => `${v.mac},host-${v.ip.replaceAll('.', '-')}.openstacklocal,${v.ip}\n`)
        .join(''),
    );
    writeFileSync(join(d, 'leases'), '');
    await this.nsx(
      q,
      'dnsmasq',
      '--no-hosts',
      '--no-resolv',
      '--strict-order',
      '--bind-interfaces',
      `--interface=${OVERLAY_DHCP_TAP}`,
      '--except-interface=lo',
      `--pid-file=${join(d, 'pid')}`,
      `--dhcp-hostsfile=${join(d, 'host')}`,
      `--dhcp-leasefile=${join(d, 'leases')}`,
      '--dhcp-range=set:subnet0,10.0.0.0,static,255.255.255.0,86400s',
      '--dhcp-lease-max=256',
      '--conf-file=',
      '--domain=openstacklocal',
      '--log-dhcp',
      `--log-facility=${join(this.dir, 'dnsmasq.log')}`,
    );
    this.dnsmasqPid = Number(readFileSync(join(d, 'pid'), 'utf8').trim());
    this.save();
    writeFileSync(join(this.dir, 'dhclient.conf'), 'timeout 12;\nretry 5;\ninitial-interval 1;\n');
    writeFileSync(
      join(this.dir, 'dhclient-script.sh'),
      '#!/bin/sh\ncase "$reason" in BOUND|RENEW|REBIND|REBOOT) ip addr add $new_ip_address/24 dev $interface 2>/dev/null ;; esac\nexit 0\n',
      { mode: 0o755 },
    );
  }

  /** Break the healthy overlay the way ovs-tunnels.md §7 does. */
  private async break(s: OverlayScenario): Promise<void> {
    const nw = UNDERLAY_IP.network;
    const c1 = this.ovs('compute1');
    switch (s) {
      case 'healthy':
        return;
      case 'tunport':
        await c1.ofctl('-O', 'OpenFlow13', 'del-flows', 'br-tun', `table=0,in_port=${this.tunName(nw)}`);
        await c1.ofctl('-O', 'OpenFlow13', 'del-flows', 'br-tun', `table=20,dl_vlan=1,dl_dst=${DHCP_MAC}`);
        await c1.vsctl('del-port', 'br-tun', this.tunName(nw));
        await this.addFlows('compute1', 'br-tun', [
          this.floodFlow('compute1', [this.tunName(UNDERLAY_IP.compute2)]),
        ]);
        return;
      case 'flood':
        await this.addFlows('compute1', 'br-tun', [
          this.floodFlow('compute1', [this.tunName(UNDERLAY_IP.compute2)]),
        ]);
        return;
      case 'localip':
        await c1.vsctl('set', 'interface', this.tunName(nw), 'options:local_ip=172.16.0.21');
        return;
      case 'remoteip':
        await c1.vsctl('set', 'interface', this.tunName(nw), 'options:remote_ip=172.16.0.99');
        return;
      case 'rxremote':
        await this.ovs('network').vsctl(
          'set',
          'interface',
          this.tunName(UNDERLAY_IP.compute1),
          'options:remote_ip=172.16.0.21',
        );
        return;
      case 'udpdrop': {
        const ul = this.ns('underlay');
        await exec(['modprobe', 'br_netfilter']);
        await this.nsx(ul, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1');
        await this.nsx(
          ul,
          'iptables',
          '-A',
          'FORWARD',
          ...(this.type === 'gre'
            ? ['-p', 'gre']
            : ['-p', 'udp', '--dport', this.type === 'vxlan' ? '4789' : '6081']),
          '-j',
          'DROP',
        );
        return;
      }
      case 'tunmap':
        await this.ovs('network').ofctl(
          '-O',
          'OpenFlow13',
          'del-flows',
          'br-tun',
          `table=${this.tunTable},tun_id=${SEG}`,
        );
        await this.addFlows('network', 'br-tun', [this.tunToLv('network', 6)]);
        return;
    }
  }

  /** Resolve the underlay neighbours (OVS snoops the ARP replies): the first DISCOVER is not lost. */
  private async warm(): Promise<void> {
    for (const h of OVERLAY_HOSTS) {
      await exec([...NETNS(this.ns(h)), 'ip', 'neigh', 'flush', 'dev', 'br-phy']);
      for (const o of this.others(h))
        await exec([...NETNS(this.ns(h)), 'bash', '-c', `echo warm > /dev/udp/${UNDERLAY_IP[o]}/9`]);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  /** dhclient -1 in the VM: a real lease across the tunnel, or none. */
  async lease(vm: VmName = 'vm1'): Promise<LeaseResult> {
    const d = join(this.dir, vm);
    mkdirSync(d, { recursive: true });
    rmSync(join(d, 'dhclient.leases'), { force: true });
    const t0 = performance.now();
    const r = await exec(
      [
        ...NETNS(this.ns(vm)),
        'dhclient',
        '-1',
        '-v',
        '-cf',
        join(this.dir, 'dhclient.conf'),
        '-sf',
        join(this.dir, 'dhclient-script.sh'),
        '-pf',
        join(d, 'dhclient.pid'),
        '-lf',
        join(d, 'dhclient.leases'),
        'eth0',
      ],
      { timeoutMs: 60_000 },
    );
    const ms = performance.now() - t0;
    // dhclient -1 forks a daemon once bound and writes its pid file just after: wait for it, stop it.
    const pidFile = join(d, 'dhclient.pid');
    for (let i = 0; i < 40 && r.rc === 0 && !existsSync(pidFile); i++) await sleep(50);
    await stopPidFile(pidFile);
    const output = `${r.stdout}${r.stderr}`;
    writeFileSync(join(d, 'dhclient.out'), output);
    const bound = /bound to (\S+)/.exec(output);
    return { ok: r.rc === 0 && !!bound, ms, output, ...(bound ? { address: bound[1]! } : {}) };
  }

  /** A case directory: every host through the collector real hosts go through, plus links.txt. */
  async collect(out: string): Promise<void> {
    mkdirSync(out, { recursive: true });
    for (const h of OVERLAY_HOSTS) {
      const inst = this.ovs(h);
      const r = await collectHost(
        {
          name: h,
          // Its own name, not the machine's (its namespace shares the machine's UTS name).
          hostname: h,
          runner: new LocalRunner(inst.wrap([]), `lab:${h}`),
          namespaces: h === 'network' ? [OVERLAY_QDHCP] : [],
          inNamespace: (ns) =>
            new LocalRunner(NETNS(ns === OVERLAY_QDHCP ? this.ns('qdhcp') : this.ns(ns)), `lab:${ns}`),
          paths: {
            '/etc/openvswitch/conf.db': inst.db,
            ...(h === 'network'
              ? {
                  '/var/lib/neutron/dhcp': join(this.dir, 'neutron/dhcp'),
                  '/var/log/neutron/dnsmasq.log': join(this.dir, 'dnsmasq.log'),
                }
              : {}),
          },
          emulated: {
            'etc/neutron/plugins/ml2/openvswitch_agent.ini': readFileSync(
              join(this.dir, h, 'openvswitch_agent.ini'),
              'utf8',
            ),
          },
        },
        join(out, h),
      );
      if (!r.ok) throw new Error(`collecting ${h}: ${r.error}`);
    }
    // The underlay (the Linux bridge the tunnels cross): its addresses and its firewall.
    const ul = await collectHost(
      {
        name: 'underlay',
        hostname: 'underlay',
        runner: new LocalRunner(NETNS(this.ns('underlay')), 'lab:underlay'),
        ovs: false,
        namespaces: [],
      },
      join(out, 'underlay'),
    );
    if (!ul.ok) throw new Error(`collecting underlay: ${ul.error}`);
    // The VMs: what their own namespace shows (no OVS), and what dhclient printed.
    for (const name of Object.keys(OVERLAY_VMS)) {
      const d = join(out, name);
      const r = await collectHost(
        {
          name,
          hostname: name,
          runner: new LocalRunner(NETNS(this.ns(name)), `lab:${name}`),
          ovs: false,
          namespaces: [],
        },
        d,
      );
      if (!r.ok) throw new Error(`collecting ${name}: ${r.error}`);
      const o = join(this.dir, name, 'dhclient.out');
      if (existsSync(o)) writeFileSync(join(d, 'dhclient_-1_-v_eth0'), readFileSync(o));
    }
    writeFileSync(
      join(out, 'links.txt'),
      `# written by the overlay lab (${this.type}, scenario ${this.scenario})\n${Object.entries(OVERLAY_VMS)
        .map(([name, v]) => `${v.host}:${v.tap} ${name}:eth0\n`)
        .join('')}`,
    );
  }

  /** Everything this lab started and created, by pid and by name; safe to call twice. */
  async down(): Promise<void> {
    for (const vm of Object.keys(OVERLAY_VMS)) await stopPidFile(join(this.dir, vm, 'dhclient.pid'));
    if (this.dnsmasqPid && this.dnsmasqPid > 1)
      try {
        process.kill(this.dnsmasqPid, 'SIGTERM');
      } catch {
        // gone
      }
    for (const h of OVERLAY_HOSTS)
      if (!this.inst.has(h))
        this.inst.set(h, OvsInstance.attach({ dir: join(this.dir, h), netns: this.ns(h) }));
    for (const i of this.inst.values()) await i.stop();
    // Whatever still runs with an argument inside this lab's own directory (a dhclient daemon that
    // forked after its pid file was read, a dnsmasq slow to exit) is this lab's: stop it too.
    await stopAll(processesUnder(this.dir));
    for (const n of [...OVERLAY_HOSTS, 'underlay', 'qdhcp', ...Object.keys(OVERLAY_VMS)])
      await exec(['ip', 'netns', 'del', this.ns(n)]);
    for (const x of OWN_ENTRIES) rmSync(join(this.dir, x), { recursive: true, force: true });
    try {
      rmdirSync(this.dir);
    } catch {
      // not empty: something else lives there
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Processes with an argument inside `dir` (the lab's own, unique directory). */
function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      // `--pid-file=<dir>/…` counts too: an argument naming a path inside the directory.
      if (argv.some((a) => a === dir || a.includes(`${dir}/`))) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

async function stopAll(pids: number[]): Promise<void> {
  for (const pid of pids) await stopPid(pid);
}

/** SIGTERM the process a pid file names, wait for it (dhclient takes up to a second), then SIGKILL. */
async function stopPidFile(file: string): Promise<void> {
  if (!existsSync(file)) return;
  // The daemon writes its pid file just after it forks: an empty read means "not yet", not "none".
  let pid = Number.NaN;
  for (let i = 0; i < 20; i++) {
    pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 1) break;
    await sleep(50);
  }
  rmSync(file, { force: true });
  if (!Number.isInteger(pid) || pid <= 1) return;
  await stopPid(pid);
}

async function stopPid(pid: number): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 60 && alive(); i++) await sleep(50);
  if (alive())
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
}
