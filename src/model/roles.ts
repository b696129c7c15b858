// Who is who on a bridge: the VM ports and the DHCP servers (qdhcp namespaces) of a case.
// Below the dataplane and the doctor: the trace names its default targets with it, capture plans
// its points with it, diagnose checks them.
import { formatFlowRule } from '../openflow/flow.ts';
import { formatMac } from '../openflow/values.ts';
import type { Evidence } from './evidence.ts';
import { inPortCandidates } from './flows.ts';
import {
  type Bridge,
  dnsmasqEvents,
  type Host,
  type Namespace,
  type NetDevice,
  type Port,
  type Snapshot,
} from './snapshot.ts';

export interface VmPort {
  host: Host;
  bridge: Bridge;
  port: Port;
  mac?: string;
  /**
   * Where `mac` comes from when OVSDB has no attached-mac: the flow that lets the port send from
   * it (Neutron's anti-spoofing flow, `in_port=N,dl_src=MAC actions=…`).
   */
  macFrom?: Evidence & { rule: string };
  /** Not recognised as a VM port (its role and why), taken as one because the operator named it. */
  named?: string;
  /**
   * Taken for a VM port by its name alone (tap<id>, not internal, no Neutron binding keys): a veth
   * DHCP port (ovs_use_veth) is named alike, and nothing in the case tells them apart.
   */
  byName?: boolean;
}

export interface DhcpServer {
  host: Host;
  ns: Namespace;
  device: NetDevice;
  /** The OVS port the server hangs off (the tap itself, or the tap end of a veth pair). */
  ovs?: { bridge: Bridge; port: Port };
  veth: boolean;
}

function ovsPortOf(h: Host, name: string): { bridge: Bridge; port: Port } | undefined {
  for (const b of h.bridges)
    for (const p of b.ports)
      if (p.name === name || p.interfaces.some((i) => i.name === name)) return { bridge: b, port: p };
  return undefined;
}

/**
 * external: a bridge an OpenFlow controller programs that is not the local Neutron OVS agent's
 * (OpenDaylight, ONOS and the like): its flows decide everything, and nothing of Neutron's
 * (NORMAL, local VLAN tags) is to be assumed on it.
 */
export type BridgeRole = 'integration' | 'physical' | 'tunnel' | 'external' | 'unknown';

const CONTROLLER = /^(tcp|ssl):(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/;

function loopback(addr: string): boolean {
  return /^127\./.test(addr) || addr === '::1' || addr === '0:0:0:0:0:0:0:1';
}

/**
 * The bridge's first active controller (tcp:/ssl:) that is neither a listener of loopback (the
 * agent's default 127.0.0.1:6633, or another local process: not said to be foreign) nor the
 * listener the host's agent config gives (of_listen_address:of_listen_port).
 */
function otherController(h: Host, b: Bridge): string | undefined {
  const c = h.agentConfig;
  for (const target of b.controllers) {
    const m = CONTROLLER.exec(target);
    if (!m) continue;
    const addr = m[2] ?? m[3]!;
    if (loopback(addr)) continue;
    const port = m[4] !== undefined ? Number(m[4]) : 6633;
    if (c?.ofListenAddress?.value === addr && port === (c.ofListenPort?.value ?? 6633)) continue;
    return target;
  }
  return undefined;
}

/**
 * The bridge's first active controller (tcp:/ssl:) that is not a listener of loopback, when nothing
 * on the bridge ties it to Neutron's agent: no patch the agent makes (patch-tun, patch-int, int-*,
 * phy-*), which an agent programming the bridge from another host (XenServer's compute VM for
 * Dom0) makes as any agent does. Then who programs the bridge (the agent elsewhere, or an SDN
 * controller such as OpenDaylight, which puts its tunnels on br-int itself) is not known.
 */
export function remoteController(h: Host, b: Bridge): string | undefined {
  if (b.ports.some((p) => /^(?:patch-tun|patch-int|int-|phy-)/.test(p.name))) return undefined;
  // The host's agent config ties the bridge to the agent (it names the bridge), or names the
  // controller as its own listener: an agent that died before it made its patches (the fresh
  // host whose VMs stay untagged) is still the agent.
  const c = h.agentConfig;
  if (
    c &&
    (c.integrationBridge?.value === b.name ||
      (c.bridgeMappings && Object.values(c.bridgeMappings.value).includes(b.name)))
  )
    return undefined;
  return otherController(h, b);
}

/**
 * The bridge's active controller (tcp:/ssl:, as `ovs-vsctl show` prints its Controller) that is
 * proven not the Neutron OVS agent's, if any. The agent with its native OpenFlow interface sets
 * `tcp:<of_listen_address>:<of_listen_port>` (defaults 127.0.0.1 and 6633); its older ovs-ofctl
 * interface sets none, nor does ovn-controller. A remote controller alone proves nothing: the agent
 * may listen on its host's address (puppet-openstack sets of_listen_address to it), or run on
 * another host (XenServer: the agent in the compute VM programs Dom0's bridges, its controller
 * `tcp:<the VM's address>:6633`, the seed's own topology). So only the host's agent config in the
 * case decides: its listener (the defaults when unset) is not that controller, so something else
 * (OpenDaylight, ONOS and the like) programs the bridge. Passive targets (ptcp:, punix:) are the
 * switch listening, not a controller.
 */
export function externalController(h: Host, b: Bridge): string | undefined {
  return h.agentConfig ? otherController(h, b) : undefined;
}

/**
 * What Neutron's OVS agent makes of a bridge, from evidence: an external controller (then it is
 * not the agent's), the agent's config (integration_bridge, bridge_mappings), its naming (br-int,
 * br-tun), or its patch pairs (the integration bridge holds int-<phys>, the physical bridge
 * phy-<phys>; br-tun holds patch-int). Used to tell VM ports from uplinks and to say which
 * assumptions touch a bridge the agent programs.
 */
export function bridgeRole(h: Host, b: Bridge): { role: BridgeRole; why: string } {
  // First: whatever its name, a bridge a foreign controller programs is not the agent's.
  const ext = externalController(h, b);
  if (ext)
    return {
      role: 'external',
      why: `Controller "${ext}"${b.from[0] ? ` in ${b.from[0].file}` : ''}`,
    };
  const c = h.agentConfig;
  if (c?.integrationBridge?.value === b.name)
    return { role: 'integration', why: `integration_bridge in ${c.file}` };
  if (c?.bridgeMappings && Object.values(c.bridgeMappings.value).includes(b.name))
    return { role: 'physical', why: `bridge_mappings in ${c.file}` };
  if (b.name === 'br-int') return { role: 'integration', why: 'named br-int' };
  if (b.name === 'br-tun') return { role: 'tunnel', why: 'named br-tun' };
  const names = b.ports.map((p) => p.name);
  if (names.some((n) => n === 'patch-tun' || n.startsWith('int-')))
    return {
      role: 'integration',
      why: `holds ${names.find((n) => n === 'patch-tun' || n.startsWith('int-'))} (the agent's patch to a physical or tunnel bridge)`,
    };
  if (names.some((n) => n.startsWith('phy-')))
    return {
      role: 'physical',
      why: `holds ${names.find((n) => n.startsWith('phy-'))} (the agent's patch from the integration bridge)`,
    };
  if (names.includes('patch-int')) return { role: 'tunnel', why: 'holds patch-int' };
  if (
    b.ports.some((p) =>
      p.interfaces.some((i) => i.type.known && ['vxlan', 'gre', 'geneve'].includes(i.type.value)),
    )
  )
    return { role: 'tunnel', why: 'holds tunnel ports' };
  return { role: 'unknown', why: 'no agent config, Neutron name or patch pair says what it is' };
}

export type PortRole = 'vm' | 'uplink' | 'patch' | 'service' | 'local' | 'unknown';

/** Where the case names a device dnsmasq serves on: a DHCP line of its log, or its command line in `ps`. */
type Served = { host: string; from: Evidence; by: 'log' | 'ps' };

/** A DHCP server's device named by a dnsmasq log or process of the case, indexed by name (built once per snapshot). */
const servedDevices = new WeakMap<Snapshot, Map<string, Served>>();

function dnsmasqDevices(s: Snapshot): Map<string, Served> {
  let m = servedDevices.get(s);
  if (m) return m;
  m = new Map();
  for (const h of s.hosts) {
    for (const e of dnsmasqEvents(h))
      if (!m.has(e.iface)) m.set(e.iface, { host: h.name, from: e.from, by: 'log' });
    for (const p of h.dnsmasqProcesses ?? [])
      for (const d of p.interfaces) if (!m.has(d)) m.set(d, { host: h.name, from: p.from, by: 'ps' });
  }
  servedDevices.set(s, m);
  return m;
}

/**
 * The dnsmasq log line that names this port's device as the one it serves DHCP on: the port itself
 * (an internal tap<id>), or the namespace end ns-<id> of the veth pair whose bridge end is tap<id>
 * (Neutron names both after the DHCP port's id). dnsmasq sees no device but its namespace's.
 */
export function dnsmasqServes(s: Snapshot, name: string): ({ device: string } & Served) | undefined {
  const m = dnsmasqDevices(s);
  for (const device of [name, ...(name.startsWith('tap') ? [`ns-${name.slice(3)}`] : [])]) {
    const hit = m.get(device);
    if (hit) return { device, ...hit };
  }
  return undefined;
}

const XEN_VIF = /^vif(\d+)\.(\d+)$/;
const NEUTRON_VM_NAME = /^(tap|qvo)[0-9a-f]{8}-[0-9a-f]{2}$/;
const NEUTRON_SERVICE_NAME = /^(qr|qg|sg|fg|ha|rfp|fpr)-[0-9a-f]{8}-[0-9a-f]{2}$/;

/** Neutron's binding keys on an Interface: iface-id and attached-mac with the hypervisor's vm-uuid or XenServer's xs-vif-uuid. */
export function hasVmBindingKeys(ids: Readonly<Record<string, string>>): boolean {
  return Boolean(ids['iface-id'] && ids['attached-mac'] && (ids['vm-uuid'] || ids['xs-vif-uuid']));
}

/** The domid of a XenServer guest vif as Dom0 names it (`vif<domid>.<n>`), or undefined. */
export function xenVifDomid(name: string): number | undefined {
  const m = XEN_VIF.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * The rule on a port's own facts (name and external_ids), for callers that see only OVSDB rows
 * (watch, the lab agent): Neutron's binding keys, or a XenServer guest vif with a domid other
 * than Dom0's. portRole() adds what a whole case tells (bridge roles, wires, the DomU's domid).
 */
export function vmByOwnFacts(name: string, ids: Readonly<Record<string, string>>): boolean {
  if (hasVmBindingKeys(ids)) return true;
  const domid = xenVifDomid(name);
  return domid !== undefined && domid !== 0;
}

/**
 * The one rule for port roles (watch shares it): a VM port carries Neutron's binding keys
 * (iface-id and attached-mac with vm-uuid or xs-vif-uuid) or Neutron's naming (tap/qvo<id>, or a
 * XenServer guest vif<domid>.<n> whose domid is neither Dom0's nor a host of the case), on a bridge
 * that is not a physical or tunnel bridge; an uplink is a port on a physical or tunnel bridge, a
 * trunk, or a wire to a host of the case that runs OVS; a service port is a DHCP/router device in a
 * namespace, or an OVS internal port named tap<id> (the DHCP agent's). Anything else is unknown,
 * and nothing is advised for it. `b` undefined: a port an excerpt shows without its bridge
 * (Host.unplacedPorts), judged by its own facts alone (no bridge role says it is an uplink).
 */
export function portRole(
  s: Snapshot,
  h: Host,
  b: Bridge | undefined,
  p: Port,
): { role: PortRole; why: string; byName?: boolean } {
  const i = p.interfaces[0];
  if (i?.ofport.known && i.ofport.value === 65534) return { role: 'local', why: "the bridge's own port" };
  const type = i?.type.known ? i.type.value : undefined;
  if (type === 'patch' || (i?.options.known && i.options.value.peer))
    return { role: 'patch', why: 'a patch port' };
  if (type === undefined && /^(int|phy)-/.test(p.name))
    return { role: 'patch', why: "Neutron's patch naming" };
  if (type && ['vxlan', 'gre', 'geneve', 'stt'].includes(type))
    return { role: 'uplink', why: `a ${type} tunnel port` };
  const inNs = h.namespaces.some((n) =>
    (n.devices ?? []).some(
      (d) => d.name === p.name || (p.name.startsWith('tap') && d.name === `ns-${p.name.slice(3)}`),
    ),
  );
  if (inNs) return { role: 'service', why: 'its device is in a namespace (DHCP or router)' };
  const served = dnsmasqServes(s, p.name);
  if (served)
    return {
      role: 'service',
      why: `${served.by === 'ps' ? "dnsmasq's command line in `ps`" : "dnsmasq's log"} (${served.from.file}:${served.from.line}) serves DHCP on ${served.device}${served.device === p.name ? '' : `, the namespace end of its veth pair`}`,
    };
  const br = b ? bridgeRole(h, b) : undefined;
  if (b && (br?.role === 'physical' || br?.role === 'tunnel'))
    return { role: 'uplink', why: `on ${b.name}, a ${br.role} bridge (${br.why})` };
  if (p.trunks.known && p.trunks.value.length > 0) return { role: 'uplink', why: 'it trunks VLANs' };
  // Every wire of the port (one interface wired more than once is a shared segment).
  for (const wire of s.links) {
    if (
      !(
        (wire.a.host === h.name && wire.a.iface === p.name) ||
        (wire.b.host === h.name && wire.b.iface === p.name)
      )
    )
      continue;
    const far = wire.a.host === h.name && wire.a.iface === p.name ? wire.b : wire.a;
    const fh = s.hosts.find((x) => x.name === far.host);
    if (
      fh?.bridges.some((fb) =>
        fb.ports.some((fp) => fp.name === far.iface || fp.interfaces.some((fi) => fi.name === far.iface)),
      )
    )
      return { role: 'uplink', why: `wired to ${far.host}:${far.iface}, an OVS port` };
  }
  const ids = i?.externalIds.known ? i.externalIds.value : {};
  if (hasVmBindingKeys(ids))
    return {
      role: 'vm',
      why: `Neutron binding keys (iface-id ${ids['iface-id']}, attached-mac ${ids['attached-mac']})`,
    };
  const domid = xenVifDomid(p.name);
  if (domid !== undefined) {
    if (domid === 0) return { role: 'unknown', why: 'vif0.* belongs to Dom0 itself' };
    // The DomU that runs the agent (it has bridges of its own) plugs in through its vif: an uplink.
    const owner = s.hosts.find((x) => x.domid === domid);
    if (owner && owner.bridges.length > 0)
      return { role: 'uplink', why: `domid ${domid} is ${owner.name}, a host of the case running OVS` };
    return { role: 'vm', why: `a XenServer guest vif (domid ${domid}, not a host of the case)` };
  }
  // The DHCP agent's device: Neutron's tap naming on an OVS internal port (a VM's tap is a tun/tap
  // or veth device the hypervisor creates), moved into a qdhcp namespace the case may not show.
  if (NEUTRON_VM_NAME.test(p.name) && p.name.startsWith('tap') && type === 'internal')
    return {
      role: 'service',
      why: "an OVS internal port named tap<id>: the DHCP agent's device (a VM's tap is not internal)",
    };
  if (NEUTRON_VM_NAME.test(p.name))
    return {
      role: 'vm',
      why: "Neutron's VM port naming",
      // qvo<id> is only ever a VM's hybrid plug; a tap<id> that is no internal port may be a veth DHCP port.
      ...(p.name.startsWith('tap') ? { byName: true } : {}),
    };
  if (NEUTRON_SERVICE_NAME.test(p.name))
    return {
      role: 'service',
      why: "Neutron's router port naming (its device lives in a qrouter/snat/fip namespace)",
    };
  if (ids['attached-mac']) return { role: 'vm', why: `external_ids:attached-mac ${ids['attached-mac']}` };
  return { role: 'unknown', why: 'no Neutron external_ids or naming, no uplink evidence' };
}

/**
 * The ports `spec` names, whatever their role: a port (or its interface) name, `host:port`, its
 * attached-mac or iface-id (any letter case).
 */
export function portsNamed(s: Snapshot, spec: string): VmPort[] {
  const out: VmPort[] = [];
  const f = spec.toLowerCase();
  for (const h of s.hosts)
    for (const b of h.bridges)
      for (const p of b.ports) {
        const ids = p.interfaces[0]?.externalIds.known ? p.interfaces[0].externalIds.value : {};
        // A MAC asked for may be one the flows give (withMac): looked for only then.
        const mac =
          ids['attached-mac'] ??
          (MAC_TEXT.test(f) ? withMac({ host: h, bridge: b, port: p }).mac : undefined);
        if (
          f === p.name.toLowerCase() ||
          f === `${h.name}:${p.name}`.toLowerCase() ||
          p.interfaces.some((i) => f === i.name.toLowerCase() || f === `${h.name}:${i.name}`.toLowerCase()) ||
          f === mac?.toLowerCase() ||
          f === ids['iface-id']?.toLowerCase()
        )
          out.push(withMac({ host: h, bridge: b, port: p }));
      }
  return out;
}

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/**
 * VM ports (portRole 'vm'). With `filter` (see portsNamed): the VM ports it names; when it names
 * only ports not recognised as VM ports, those, each with why it is not one (`named`): the
 * operator named it, so it is taken as the VM port, and said so.
 */
export function findVms(s: Snapshot, filter?: string): VmPort[] {
  if (filter !== undefined) {
    const named = portsNamed(s, filter).map((v) => ({ v, role: portRole(s, v.host, v.bridge, v.port) }));
    const vms = named
      .filter((x) => x.role.role === 'vm')
      .map((x) => (x.role.byName ? { ...x.v, byName: true } : x.v));
    return vms.length ? vms : named.map((x) => ({ ...x.v, named: `${x.role.role} port: ${x.role.why}` }));
  }
  const out: VmPort[] = [];
  for (const h of s.hosts)
    for (const b of h.bridges)
      for (const p of b.ports) {
        const r = portRole(s, h, b, p);
        if (r.role !== 'vm') continue;
        out.push(withMac({ host: h, bridge: b, port: p, ...(r.byName ? { byName: true } : {}) }));
      }
  return out;
}

/**
 * The VM port with its MAC: OVSDB's attached-mac, or else the one MAC the bridge's flows let the
 * port send from. Neutron's agent installs `in_port=N,dl_src=MAC` (ARP/anti-spoofing, table 25 or
 * the firewall's) for the port's MAC and its allowed address pairs: one MAC there is the VM's;
 * none, or several, leave it unknown.
 */
export function withMac(v: VmPort): VmPort {
  const ids = v.port.interfaces[0]?.externalIds.known ? v.port.interfaces[0].externalIds.value : {};
  const attached = ids['attached-mac'];
  if (attached) return { ...v, mac: attached };
  if (v.mac) return v;
  const from = macFromFlows(v.bridge, v.port);
  return from ? { ...v, mac: from.mac, macFrom: from.at } : v;
}

function macFromFlows(b: Bridge, p: Port): { mac: string; at: Evidence & { rule: string } } | undefined {
  if (!b.flows.known) return undefined;
  const i = p.interfaces[0];
  const ofport = i?.ofport.known ? i.ofport.value : undefined;
  const names = new Set([p.name, ...p.interfaces.map((x) => x.name)]);
  const seen = new Map<number, Evidence & { rule: string }>();
  const written = [...(ofport !== undefined ? [String(ofport)] : []), ...names];
  for (const e of inPortCandidates(b.flows.value, written)) {
    let mine = false;
    let mac: number | undefined;
    for (const m of e.flow.match) {
      if (m.kind !== 'field') continue;
      if (m.field === 'in_port' && m.value.t === 'port') {
        const r = m.value.port;
        mine = (r.kind === 'number' && r.n === ofport) || (r.kind === 'name' && names.has(r.name));
      } else if (m.field === 'dl_src' && m.value.t === 'mac' && m.value.m === undefined) mac = m.value.v;
    }
    // A group address is no VM's; a flow that drops is no allowance.
    if (!mine || mac === undefined || Math.floor(mac / 2 ** 40) & 1) continue;
    if (e.flow.actions.every((a) => a.type === 'drop')) continue;
    if (!seen.has(mac))
      seen.set(mac, { ...e.from, rule: `table=${e.flow.table}, ${formatFlowRule(e.flow)}` });
  }
  if (seen.size !== 1) return undefined;
  const [[mac, at]] = [...seen] as [[number, Evidence & { rule: string }]];
  return { mac: formatMac(mac), at };
}

export function findServers(s: Snapshot): DhcpServer[] {
  const out: DhcpServer[] = [];
  for (const h of s.hosts)
    for (const ns of h.namespaces) {
      if (!ns.name.startsWith('qdhcp-')) continue;
      for (const d of ns.devices ?? []) {
        if (d.name === 'lo') continue;
        const veth = d.name.startsWith('ns-');
        const ovs = ovsPortOf(h, veth ? `tap${d.name.slice(3)}` : d.name);
        out.push({ host: h, ns, device: d, veth, ...(ovs ? { ovs } : {}) });
      }
    }
  return out;
}
