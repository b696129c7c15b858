// A neutron-like set of bridges on one OVS instance: integration bridge with tagged, trunk,
// native-VLAN and dead-VLAN ports, patch to a physical bridge, a tunnel bridge with learn, the
// firewall tables 0/23/24/60/71/72/73/82/94 with ct and conjunctions, and an OpenFlow 1.3-only
// bridge. Used to capture real fixtures and by the tests that compare our parsers with OVS.
import { OvsInstance } from './ovs-instance.ts';

export const COOKIE = '0x9bf3d60450c2ae94';

/** Flows as `ovs-ofctl add-flow` takes them; `of13` ones are added with -O OpenFlow13. */
export const BR_INT_FLOWS: { flow: string; of?: string }[] = [
  { flow: `cookie=${COOKIE},table=0,priority=65535,vlan_tci=0x0fff/0x1fff,actions=drop` },
  {
    flow: `cookie=${COOKIE},table=0,priority=3,in_port=int-br-phys,dl_vlan=1041,actions=mod_vlan_vid:1,resubmit(,60)`,
  },
  { flow: `cookie=${COOKIE},table=0,priority=2,in_port=int-br-phys,actions=drop` },
  { flow: `cookie=${COOKIE},table=0,priority=10,icmp6,in_port=tapvm1,icmp_type=136,actions=resubmit(,24)` },
  { flow: `cookie=${COOKIE},table=0,priority=10,arp,in_port=tapvm1,actions=resubmit(,24)` },
  { flow: `cookie=${COOKIE},table=0,priority=0,actions=resubmit(,60)` },
  { flow: `cookie=${COOKIE},table=23,priority=0,actions=drop` },
  { flow: `cookie=${COOKIE},table=24,priority=2,arp,in_port=tapvm1,arp_spa=10.0.0.3,actions=resubmit(,60)` },
  {
    flow: `cookie=${COOKIE},table=24,priority=2,icmp6,in_port=tapvm1,icmp_type=136,nd_target=fe80::f816:3eff:fe11:2233,actions=resubmit(,60)`,
  },
  { flow: `cookie=${COOKIE},table=24,priority=0,actions=drop` },
  {
    flow: `cookie=${COOKIE},table=60,priority=100,in_port=tapvm1,actions=load:0x3->NXM_NX_REG5[],load:0x1->NXM_NX_REG6[],resubmit(,71)`,
  },
  {
    flow: `cookie=${COOKIE},table=60,priority=5,idle_timeout=300,hard_timeout=600,send_flow_rem,dl_src=fa:16:3e:00:00:01,actions=NORMAL`,
  },
  { flow: `cookie=${COOKIE},table=60,priority=3,actions=NORMAL` },
  {
    flow: `cookie=${COOKIE},table=71,priority=95,icmp6,reg5=0x3,in_port=tapvm1,icmp_type=130,actions=resubmit(,94)`,
  },
  {
    flow: `cookie=${COOKIE},table=71,priority=80,udp,reg5=0x3,in_port=tapvm1,tp_src=68,tp_dst=67,actions=resubmit(,73)`,
  },
  {
    flow: `cookie=${COOKIE},table=71,priority=70,udp,reg5=0x3,in_port=tapvm1,tp_src=67,tp_dst=68,actions=resubmit(,93)`,
  },
  {
    flow: `cookie=${COOKIE},table=71,priority=65,ip,reg5=0x3,in_port=tapvm1,dl_src=fa:16:3e:11:22:33,nw_src=10.0.0.3,actions=ct(table=72,zone=NXM_NX_REG6[0..15])`,
  },
  { flow: `cookie=${COOKIE},table=71,priority=10,ct_state=-trk,reg5=0x3,in_port=tapvm1,actions=drop` },
  { flow: `cookie=${COOKIE},table=71,priority=0,actions=drop` },
  {
    flow: `cookie=${COOKIE},table=72,priority=73,ct_state=+new-est,ip,reg5=0x3,actions=conjunction(100,1/2)`,
  },
  {
    flow: `cookie=${COOKIE},table=72,priority=73,ct_state=+new-est,tcp,tp_dst=0x60/0xffe0,actions=conjunction(100,2/2)`,
  },
  {
    flow: `cookie=${COOKIE},table=72,priority=73,conj_id=100,ct_state=+new-est,ip,reg5=0x3,actions=load:0x64->NXM_NX_REG7[],ct(commit,zone=NXM_NX_REG6[0..15],exec(load:0x1->NXM_NX_CT_MARK[])),resubmit(,73)`,
  },
  { flow: `cookie=${COOKIE},table=72,priority=50,ct_mark=0x1,reg5=0x3,actions=drop` },
  {
    flow: `cookie=${COOKIE},table=73,priority=90,dl_vlan=1,dl_dst=fa:16:3e:11:22:33,actions=strip_vlan,output:tapvm1`,
  },
  { flow: `cookie=${COOKIE},table=73,priority=80,reg5=0x3,actions=resubmit(,94)` },
  { flow: `cookie=${COOKIE},table=73,priority=0,actions=drop` },
  { flow: `cookie=${COOKIE},table=82,priority=77,ct_state=+est-rel-rpl,ip,reg5=0x3,actions=output:tapvm1` },
  {
    flow: `cookie=${COOKIE},table=82,priority=70,ct_state=+est-rel-rpl,ipv6,reg5=0x3,ipv6_src=fe80::/64,actions=output:tapvm1`,
  },
  { flow: `cookie=${COOKIE},table=82,priority=50,ct_state=+inv+trk,actions=drop` },
  { flow: `cookie=${COOKIE},table=82,priority=0,actions=drop` },
  { flow: `cookie=${COOKIE},table=94,priority=12,reg6=0x1,dl_dst=fa:16:3e:11:22:33,actions=output:tapvm1` },
  {
    flow: `cookie=${COOKIE},table=94,priority=10,reg6=0x1,dl_src=fa:16:3e:11:22:33,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=mod_vlan_vid:1,output:int-br-phys`,
  },
  { flow: `cookie=${COOKIE},table=94,priority=1,actions=NORMAL` },
  {
    flow: `cookie=${COOKIE},table=60,priority=4,udp,nw_dst=10.0.0.0/255.255.255.0,udp_dst=53,actions=mod_nw_tos:16,mod_dl_src:fa:16:3e:aa:bb:cc,mod_nw_src:10.0.0.2,set_queue:1,NORMAL`,
  },
  { flow: `cookie=${COOKIE},table=60,priority=4,tcp,tcp_flags=+syn-ack,actions=note:01.02.03,CONTROLLER:64` },
];

export const BR_PHYS_FLOWS = [
  `cookie=${COOKIE},priority=4,in_port=phy-br-phys,dl_vlan=1,actions=mod_vlan_vid:1041,NORMAL`,
  `cookie=${COOKIE},priority=2,in_port=phy-br-phys,actions=drop`,
  `cookie=${COOKIE},priority=0,actions=NORMAL`,
];

export const BR_TUN_FLOWS = [
  'table=0,priority=1,in_port=patch-int,actions=resubmit(,2)',
  'table=0,priority=0,actions=drop',
  'table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,20)',
  'table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,22)',
  'table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:patch-int',
  'table=20,priority=0,actions=resubmit(,22)',
  'table=22,priority=1,dl_vlan=1,actions=strip_vlan,load:0x41a->NXM_NX_TUN_ID[],output:vxlan-0a000002',
  'table=22,priority=0,actions=drop',
];

/** Flows for the OpenFlow 1.3-only bridge, added with -O OpenFlow13. */
export const BR_OF13_FLOWS = [
  'priority=10,in_port=p13a,actions=push_vlan:0x8100,set_field:4101->vlan_vid,output:p13b',
  'priority=5,in_port=p13b,dl_vlan=5,actions=pop_vlan,goto_table:1',
  'table=1,priority=0,actions=write_metadata:0x1/0xff,goto_table:2',
  'table=2,priority=0,actions=NORMAL',
];

export async function buildNeutronBridges(ovs: OvsInstance): Promise<void> {
  const v = (...a: string[]): Promise<string> => ovs.vsctl(...a);
  await v(
    ...OvsInstance.addBridgeArgs('br-int', 'fail_mode=secure'),
    ...OvsInstance.addBridgeArgs('br-phys', 'fail_mode=secure'),
    ...OvsInstance.addBridgeArgs('br-tun', 'fail_mode=secure'),
    ...OvsInstance.addBridgeArgs('br-of13', 'protocols=OpenFlow13'),
  );
  const internal = (br: string, port: string, ...extra: string[]): Promise<string> =>
    v('--', 'add-port', br, port, ...extra, '--', 'set', 'interface', port, 'type=internal');
  await internal('br-int', 'tapvm1', 'tag=1');
  await v(
    'set',
    'interface',
    'tapvm1',
    'external_ids:iface-id=3f1c9a2e-7b3d-4c8e-9a61-0d2b4e6f8a10',
    'external_ids:attached-mac=fa:16:3e:11:22:33',
    'external_ids:iface-status=active',
  );
  await internal('br-int', 'tapdhcp1', 'tag=1');
  await internal('br-int', 'tapdead', 'tag=4095');
  await internal('br-int', 'ptrunk', 'trunks=10,20');
  await internal('br-int', 'pnative', 'tag=5', 'trunks=5,6', 'vlan_mode=native-untagged');
  await internal('br-int', 'pntag', 'tag=20', 'vlan_mode=native-tagged');
  await internal('br-int', 'a-very-long-port-name-1');
  await v(
    '--',
    'add-port',
    'br-int',
    'int-br-phys',
    '--',
    'set',
    'interface',
    'int-br-phys',
    'type=patch',
    'options:peer=phy-br-phys',
  );
  await v(
    '--',
    'add-port',
    'br-phys',
    'phy-br-phys',
    '--',
    'set',
    'interface',
    'phy-br-phys',
    'type=patch',
    'options:peer=int-br-phys',
  );
  await internal('br-phys', 'eth-phys');
  await v(
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
  );
  await v(
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
  );
  await v(
    '--',
    'add-port',
    'br-tun',
    'vxlan-0a000002',
    '--',
    'set',
    'interface',
    'vxlan-0a000002',
    'type=vxlan',
    'options:remote_ip=10.0.0.2',
    'options:local_ip=10.0.0.1',
    'options:key=flow',
  );
  // A port whose device does not exist: ofport -1 and an error column.
  await v('add-port', 'br-int', 'vif99.0');
  await internal('br-of13', 'p13a');
  await internal('br-of13', 'p13b');
  for (const f of BR_INT_FLOWS) await ovs.ofctl('add-flow', 'br-int', f.flow);
  for (const f of BR_PHYS_FLOWS) await ovs.ofctl('add-flow', 'br-phys', f);
  for (const f of BR_TUN_FLOWS) await ovs.ofctl('add-flow', 'br-tun', f);
  for (const f of BR_OF13_FLOWS) await ovs.ofctl('-O', 'OpenFlow13', 'add-flow', 'br-of13', f);
  // reset_counts and importance only exist from OpenFlow 1.3/1.4 on.
  await ovs.ofctl(
    '-O',
    'OpenFlow14',
    'add-flow',
    'br-phys',
    `cookie=${COOKIE},priority=1,importance=3,reset_counts,in_port=eth-phys,actions=NORMAL`,
  );
}
