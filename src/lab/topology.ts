// The seed system, as data: names, port numbers, MACs, addresses and flows follow the seed
// write-up wherever it shows them (xapi5/xapi3, vif16.0, vif15.1, int-xapi3/phy-xapi3, br-int with
// int-br-eth1 as port 1 and the tap as port 2, qdhcp-49a623fd-…, tap7b39ecad-81 at 10.0.0.2/24).

export const SEG_ID = 1041;
export const LOCAL_VLAN = 1;
export const NET_ID = '49a623fd-c168-4f27-ad82-946bfb6df3d7';
export const QDHCP = `qdhcp-${NET_ID}`;
export const TAP = 'tap7b39ecad-81';
/** Neutron's ovs_use_veth names the namespace end `ns-` + the same port id prefix. */
export const NS_DEV = 'ns-7b39ecad-81';
export const TAP_MAC = 'fa:16:3e:e3:46:c1';
export const TAP_IP = '10.0.0.2';
export const VM_MAC = 'fa:16:3e:11:22:33';
export const VM_IP = '10.0.0.3';
export const VM_PORT_ID = '3f1c9a2e-7b3d-4c8e-9a61-0d2b4e6f8a10';
export const DOMU_DOMID = 15;
export const VM_DOMID = 16;
export const VM_VIF = `vif${VM_DOMID}.0`;
export const DOMU_VIF = `vif${DOMU_DOMID}.1`;

export interface PortSpec {
  name: string;
  ofport: number;
  type?: 'internal' | 'patch';
  peer?: string;
  tag?: number;
  externalIds?: Record<string, string>;
}

export interface BridgeSpec {
  name: string;
  ports: PortSpec[];
  /** As `ovs-ofctl add-flow` takes them; port names are resolved by OVS. */
  flows: string[];
}

export interface HostSpec {
  name: 'dom0' | 'domu';
  bridges: BridgeSpec[];
}

/** Knobs a scenario turns on the healthy system. */
export interface ScenarioSpec {
  name: string;
  description: string;
  /** What the real DHCP client should get. */
  expectLease: boolean;
  vmTag: number | null;
  /** Segmentation id DomU's br-int translates from (Dom0 always uses SEG_ID). */
  domuSegId: number;
  extraDom0Flows: string[];
  /** running; crashed: started by the agent, then killed, its pid file left behind; absent. */
  dnsmasq: 'running' | 'crashed' | 'absent';
  tapUp: boolean;
  /** DHCP port as a veth pair (neutron ovs_use_veth) with tx checksum offload left on. */
  vethDhcpPort: boolean;
  /**
   * The VM port is not there at boot: the lab starts its L2 agent (`vifpath agent`, no polling
   * fallback, like the seed's), then plugs vif16.0 untagged the way XAPI/Nova do, and the agent
   * binds it. `deaf`: the agent's monitor goes through a StallProxy that drops every update
   * notification (echo and replies still pass), the seed's silently deaf monitor.
   */
  latePort?: { agentMonitor: 'ok' | 'deaf' };
}

const base: Omit<ScenarioSpec, 'name' | 'description' | 'expectLease'> = {
  vmTag: LOCAL_VLAN,
  domuSegId: SEG_ID,
  extraDom0Flows: [],
  dnsmasq: 'running',
  tapUp: true,
  vethDhcpPort: false,
};

export const SCENARIOS: readonly ScenarioSpec[] = [
  {
    ...base,
    name: 'healthy',
    description: 'everything as Neutron sets it up: the VM gets 10.0.0.3',
    expectLease: true,
  },
  {
    ...base,
    name: 'seed-missing-tag',
    description: 'the seed: vif16.0 on xapi5 has no VLAN tag (the L2 agent never processed it)',
    expectLease: false,
    vmTag: null,
  },
  {
    ...base,
    name: 'dead-vlan',
    description: 'vif16.0 tagged 4095 with the per-port drop flow Neutron installs (agent could not bind it)',
    expectLease: false,
    vmTag: 4095,
    extraDom0Flows: [`priority=2,in_port=${VM_VIF},actions=drop`],
  },
  {
    ...base,
    name: 'vlan-mismatch',
    description: `DomU translates segmentation id ${SEG_ID + 1} while Dom0 sends ${SEG_ID}`,
    expectLease: false,
    domuSegId: SEG_ID + 1,
  },
  {
    ...base,
    name: 'dnsmasq-down',
    description: 'dnsmasq died in the qdhcp namespace (killed; its pid file is left behind)',
    expectLease: false,
    dnsmasq: 'crashed',
  },
  {
    ...base,
    name: 'dhcp-tap-down',
    description: `${TAP} is down inside the qdhcp namespace`,
    expectLease: false,
    tapUp: false,
  },
  {
    ...base,
    name: 'checksum',
    description: 'DHCP port as a veth pair with tx checksum offload on: the VM drops every OFFER',
    expectLease: false,
    vethDhcpPort: true,
  },
  {
    ...base,
    name: 'late-port',
    description:
      "vif16.0 is plugged after boot, untagged; the lab's L2 agent tags it through its monitor: the VM gets 10.0.0.3",
    expectLease: true,
    latePort: { agentMonitor: 'ok' },
  },
  {
    ...base,
    name: 'monitor-deaf',
    description:
      "the seed's cause for real: vif16.0 is plugged after boot but the agent's OVSDB monitor silently drops updates (no polling fallback): it stays untagged",
    expectLease: false,
    vmTag: null,
    latePort: { agentMonitor: 'deaf' },
  },
  {
    ...base,
    name: 'sg-drop',
    description: 'a security-group style flow on xapi5 drops DHCP (udp 67/68)',
    expectLease: false,
    extraDom0Flows: [
      'priority=50,udp,tp_src=68,tp_dst=67,actions=drop',
      'priority=50,udp,tp_src=67,tp_dst=68,actions=drop',
    ],
  },
];

/**
 * The scenarios whose whole system exists at boot: what the lab project's global setup builds once
 * per run. The late-port ones (an agent process, a port plugged after boot) are built by
 * src/lab/agent.test.ts, which also watches them live.
 */
export const BOOT_SCENARIOS: readonly ScenarioSpec[] = SCENARIOS.filter((s) => !s.latePort);

export function scenario(name: string): ScenarioSpec | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** What XAPI/Nova put on the VM's port (xs-vif-uuid: XenServer's VIF record). */
export const VM_PORT_EXTERNAL_IDS: Readonly<Record<string, string>> = {
  'iface-id': VM_PORT_ID,
  'attached-mac': VM_MAC,
  'iface-status': 'active',
  'xs-vif-uuid': '0f3a2c1e-0000-4000-8000-000000000016',
};

/** ovs-vsctl arguments plugging the VM's port into Dom0's xapi5 untagged, as XAPI does after boot. */
export const PLUG_VM_PORT: readonly string[] = [
  'add-port',
  'xapi5',
  VM_VIF,
  '--',
  'set',
  'interface',
  VM_VIF,
  'ofport_request=2',
  ...Object.entries(VM_PORT_EXTERNAL_IDS).map(([k, v]) => `external_ids:${k}=${v}`),
];

export function hosts(s: ScenarioSpec): HostSpec[] {
  const vmPort: PortSpec = {
    name: VM_VIF,
    ofport: 2,
    ...(s.vmTag !== null ? { tag: s.vmTag } : {}),
    externalIds: { 'iface-id': VM_PORT_ID, 'attached-mac': VM_MAC, 'iface-status': 'active' },
  };
  return [
    {
      name: 'dom0',
      bridges: [
        {
          // XenServer's integration bridge for the tenant network ("xapiX").
          name: 'xapi5',
          // A late port is plugged after boot (lab.ts), not here.
          ports: [
            { name: 'int-xapi3', ofport: 1, type: 'patch', peer: 'phy-xapi3' },
            ...(s.latePort ? [] : [vmPort]),
          ],
          flows: [
            `priority=3,in_port=int-xapi3,dl_vlan=${SEG_ID},actions=mod_vlan_vid:${LOCAL_VLAN},NORMAL`,
            'priority=2,in_port=int-xapi3,actions=drop',
            'priority=0,actions=NORMAL',
            ...s.extraDom0Flows,
          ],
        },
        {
          // The physical-network bridge DomU's eth1 is plugged into ("xapiY").
          name: 'xapi3',
          ports: [
            { name: DOMU_VIF, ofport: 1 },
            { name: 'phy-xapi3', ofport: 2, type: 'patch', peer: 'int-xapi3' },
          ],
          flows: [
            'priority=0,actions=NORMAL',
            `priority=4,in_port=phy-xapi3,dl_vlan=${LOCAL_VLAN},actions=mod_vlan_vid:${SEG_ID},NORMAL`,
            'priority=2,in_port=phy-xapi3,actions=drop',
          ],
        },
      ],
    },
    {
      name: 'domu',
      bridges: [
        {
          name: 'br-eth1',
          ports: [
            { name: 'phy-br-eth1', ofport: 1, type: 'patch', peer: 'int-br-eth1' },
            { name: 'eth1', ofport: 2 },
          ],
          flows: [
            `priority=4,in_port=phy-br-eth1,dl_vlan=${LOCAL_VLAN},actions=mod_vlan_vid:${s.domuSegId},NORMAL`,
            'priority=2,in_port=phy-br-eth1,actions=drop',
            'priority=1,actions=NORMAL',
          ],
        },
        {
          name: 'br-int',
          ports: [
            { name: 'int-br-eth1', ofport: 1, type: 'patch', peer: 'phy-br-eth1' },
            {
              name: TAP,
              ofport: 2,
              tag: LOCAL_VLAN,
              ...(s.vethDhcpPort ? {} : { type: 'internal' as const }),
              externalIds: {
                'iface-id': '7b39ecad-8148-4c5e-9a0b-5b0a6c1d2e3f',
                'attached-mac': TAP_MAC,
                'iface-status': 'active',
              },
            },
          ],
          flows: [
            `priority=3,in_port=int-br-eth1,dl_vlan=${s.domuSegId},actions=mod_vlan_vid:${LOCAL_VLAN},NORMAL`,
            'priority=2,in_port=int-br-eth1,actions=drop',
            'priority=0,actions=NORMAL',
            'table=23,priority=0,actions=drop',
            'table=24,priority=0,actions=drop',
          ],
        },
      ],
    },
  ];
}
