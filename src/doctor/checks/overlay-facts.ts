// Shared facts for the overlay checks: the tunnel interfaces of a host with their options and
// evidence, and the underlay addresses the case proves each host owns.

import { nodesOf, ruleText, type TraceNode } from '../../dataplane/tree.ts';
import type { TunnelConfig } from '../../dataplane/tunnel.ts';
import { tunnelConfig } from '../../dataplane/tunnel.ts';
import type { Evidence } from '../../model/evidence.ts';
import { tableFlows } from '../../model/flows.ts';
import { bridgeRole } from '../../model/roles.ts';
import type { Bridge, Host, Interface, Port } from '../../model/snapshot.ts';
import type { Action, Flow } from '../../openflow/types.ts';
import { type DhcpServer, type DoctorContext, reachedServer, type VmPort } from '../context.ts';
import type { EvidenceItem } from '../finding.ts';
import { unprovenAt } from '../proof.ts';
import { evid } from './check.ts';

export interface TunnelIface {
  host: Host;
  bridge: Bridge;
  iface: Interface;
  cfg: TunnelConfig;
  /** Where the options were read (the interface's options, else its first sighting). */
  from?: Evidence;
}

export function tunnelsOf(h: Host): TunnelIface[] {
  const out: TunnelIface[] = [];
  for (const b of h.bridges)
    for (const p of b.ports)
      for (const i of p.interfaces) {
        const cfg = tunnelConfig(h.name, i.name, i);
        if (!cfg) continue;
        const from = i.options.known ? i.options.from[0] : i.from[0];
        out.push({ host: h, bridge: b, iface: i, cfg, ...(from ? { from } : {}) });
      }
  return out;
}

/** Addresses a host owns, as the trace world worked them out (ip addr, else agent local_ip / tunnel local_ip). */
export function addressesOf(ctx: DoctorContext, host: string): string[] {
  return [...ctx.world.owners].filter(([, o]) => o.host === host).map(([a]) => a);
}

export function optionsText(t: TunnelIface): string {
  const o = t.iface.options.known ? t.iface.options.value : {};
  const keys = ['remote_ip', 'local_ip', 'key', 'in_key', 'out_key', 'dst_port'];
  return keys
    .filter((k) => o[k] !== undefined)
    .map((k) => `${k}=${o[k]}`)
    .join(', ');
}

export const RESTART_AGENT = 'systemctl restart neutron-openvswitch-agent';

/**
 * Every tunnel hop of every DISCOVER that does not reach its server: where overlay checks look.
 * A hop the trace reached only through a step the case does not show (NORMAL assumed on a tunnel
 * bridge floods to every tunnel port, with no key) is not one the DISCOVER is known to take.
 */
export function tunnelHopsOfFailedDiscovers(
  ctx: DoctorContext,
): { vm: VmPort; n: Extract<TraceNode, { kind: 'tunnel' }> }[] {
  const out: { vm: VmPort; n: Extract<TraceNode, { kind: 'tunnel' }> }[] = [];
  for (const vm of ctx.vms) {
    const t = ctx.discover.get(vm);
    if (!t || reachedServer(ctx, vm)) continue;
    for (const n of nodesOf(t.tree, 'tunnel')) if (!unprovenAt(ctx.world, t, n)) out.push({ vm, n });
  }
  return out;
}

/**
 * What the case says of the VM's network type, from its host's flows for the VM's local VLAN (the
 * port's tag): an overlay when a flow puts that VLAN into a tunnel key (br-tun's FLOOD/UCAST_TO_TUN)
 * or maps a key to it (TUN_TO_LV); a VLAN or flat network when its physical bridge translates or
 * strips it (local VLAN → segmentation id), or the integration bridge tags frames from a physical
 * patch with it. Both, or neither: unknown, with why.
 */
export interface NetworkKind {
  kind: 'overlay' | 'vlan' | 'unknown';
  /** The flows that say so (for 'unknown', those that contradict each other, if any). */
  evidence: EvidenceItem[];
  /** Why the kind is unknown, in words. */
  why?: string;
}

/** The Neutron tables whose flows type a local VLAN (br-tun's TUN_TO_LV 3/4/6, UCAST/FLOOD_TO_TUN 20/22; 0 elsewhere). */
const TYPING_TABLES = [0, 3, 4, 6, 20, 22];

export function vmNetworkKind(vm: VmPort): NetworkKind {
  const h = vm.host;
  const tag = vm.port.tag.known ? vm.port.tag.value : undefined;
  if (tag === undefined)
    return { kind: 'unknown', evidence: [], why: `the tag of ${vm.port.name} is unknown` };
  if (tag === null)
    return { kind: 'unknown', evidence: [], why: `${vm.port.name} has no tag, so no local VLAN to follow` };
  const overlay: EvidenceItem[] = [];
  const vlan: EvidenceItem[] = [];
  const who = `${vm.port.name}'s network`;
  for (const b of h.bridges) {
    if (!b.flows.known) continue;
    const f = b.flows.value;
    const role = bridgeRole(h, b).role;
    const entries = f.lookup ? TYPING_TABLES.flatMap((t) => tableFlows(f, t)) : f.entries;
    for (const e of entries) {
      const where = `${h.name} ${b.name} table ${e.flow.table}`;
      const rule = ruleText(e);
      const matched = matchedVlan(e.flow);
      const key = setTunId(e.flow);
      if (matched === tag && key !== undefined) {
        overlay.push(
          evid(
            `${who} is an overlay: ${where} puts its local VLAN ${tag} into tunnel key 0x${key.toString(16)}: ${rule}`,
            e.from,
          ),
        );
        continue;
      }
      const setVlan = setVid(e.flow);
      const keyIn = matchedTunId(e.flow);
      if (keyIn !== undefined && setVlan === tag) {
        overlay.push(
          evid(
            `${who} is an overlay: ${where} maps tunnel key 0x${keyIn.toString(16)} to its local VLAN ${tag}: ${rule}`,
            e.from,
          ),
        );
        continue;
      }
      if (role === 'physical' && matched === tag && keyIn === undefined) {
        const strips = e.flow.actions.some((a) => a.type === 'strip_vlan' || a.type === 'pop_vlan');
        if (setVlan !== undefined && setVlan !== tag)
          vlan.push(
            evid(
              `${who} is a VLAN network: ${where} translates its local VLAN ${tag} to VLAN ${setVlan}: ${rule}`,
              e.from,
            ),
          );
        else if (strips && setVlan === undefined)
          vlan.push(evid(`${who} is a flat network: ${where} strips its local VLAN ${tag}: ${rule}`, e.from));
        continue;
      }
      if (role === 'integration' && setVlan === tag && keyIn === undefined && fromPhysicalPatch(h, b, e.flow))
        vlan.push(
          evid(
            `${who} is a VLAN or flat network: ${where} tags frames from a physical bridge with its local VLAN ${tag}: ${rule}`,
            e.from,
          ),
        );
    }
  }
  if (overlay.length && !vlan.length) return { kind: 'overlay', evidence: overlay };
  if (vlan.length && !overlay.length) return { kind: 'vlan', evidence: vlan };
  if (overlay.length)
    return {
      kind: 'unknown',
      evidence: [...overlay, ...vlan],
      why: `${h.name}'s flows give its local VLAN ${tag} both a tunnel key and a physical network`,
    };
  const dumps = h.bridges.filter((b) => b.flows.known).length;
  return {
    kind: 'unknown',
    evidence: [],
    why:
      dumps === 0
        ? `${h.name} has no flow dump`
        : `no flow of ${h.name} the case holds maps its local VLAN ${tag} to a tunnel key or a physical network`,
  };
}

/** The dl_vlan (or vlan_vid with its present bit) a flow matches exactly, if any. */
function matchedVlan(f: Flow): number | undefined {
  for (const m of f.match) {
    if (m.kind !== 'field' || m.value.t !== 'int' || m.value.m !== undefined) continue;
    if (m.field === 'dl_vlan') return m.value.v;
    if (m.field === 'vlan_vid' && m.value.v & 0x1000) return m.value.v & 0xfff;
  }
  return undefined;
}

function matchedTunId(f: Flow): bigint | undefined {
  for (const m of f.match)
    if (m.kind === 'field' && m.field === 'tun_id' && m.value.t === 'big' && m.value.m === undefined)
      return m.value.v;
  return undefined;
}

/** The tunnel key a flow's actions set (set_field, set_tunnel, load of the whole field). */
function setTunId(f: Flow): bigint | undefined {
  let key: bigint | undefined;
  for (const a of f.actions) {
    if (a.type === 'set_tunnel') key = a.id;
    else if (a.type === 'set_field' && a.dst.field === 'tun_id' && a.value.t === 'big') key = a.value.v;
    else if (a.type === 'set_field' && a.dst.field === 'tun_id' && a.value.t === 'int')
      key = BigInt(a.value.v);
    else if (a.type === 'load' && a.dst.field === 'tun_id' && a.dst.start === undefined) key = a.value;
  }
  return key;
}

/** The VLAN id a flow's actions set (mod_vlan_vid, set_field of vlan_vid), if any. */
function setVid(f: Flow): number | undefined {
  let vid: number | undefined;
  for (const a of f.actions) {
    if (a.type === 'mod_vlan_vid') vid = a.vid;
    else if (a.type === 'set_field' && a.dst.field === 'vlan_vid' && a.value.t === 'int')
      vid = a.value.v & 0xfff;
    else if (a.type === 'strip_vlan' || a.type === 'pop_vlan') vid = undefined;
  }
  return vid;
}

/** The flow matches in_port of a patch port whose peer is on a physical bridge (or named int-<bridge>). */
function fromPhysicalPatch(h: Host, b: Bridge, f: Flow): boolean {
  const m = f.match.find((x) => x.kind === 'field' && x.field === 'in_port');
  if (m?.kind !== 'field' || m.value.t !== 'port') return false;
  const ref = m.value.port;
  const port = b.ports.find((p) =>
    p.interfaces.some((i) =>
      ref.kind === 'name'
        ? i.name === ref.name
        : ref.kind === 'number' && i.ofport.known && i.ofport.value === ref.n,
    ),
  );
  const i = port?.interfaces[0];
  if (!port || !i) return false;
  const peer = i.options.known ? i.options.value.peer : undefined;
  const peerBridge = peer ? h.bridges.find((x) => x.ports.some((p) => p.name === peer)) : undefined;
  if (peerBridge) return bridgeRole(h, peerBridge).role === 'physical';
  return peer === undefined && port.name.startsWith('int-');
}

/**
 * The tunnel keys a host's flows give one local VLAN: a key a flow puts that VLAN into (br-tun's
 * FLOOD/UCAST_TO_TUN) or maps to it (TUN_TO_LV), each with the flows that say so. `described`
 * words the VLAN in the evidence (`tap…'s local VLAN 1`, `local VLAN 5, the tag of the DHCP port …`).
 */
function keysOfLocalVlan(h: Host, tag: number, described: string): Map<bigint, EvidenceItem[]> {
  const out = new Map<bigint, EvidenceItem[]>();
  const add = (k: bigint, e: EvidenceItem): void => {
    const l = out.get(k);
    if (l) l.push(e);
    else out.set(k, [e]);
  };
  for (const b of h.bridges) {
    if (!b.flows.known) continue;
    const f = b.flows.value;
    const entries = f.lookup ? TYPING_TABLES.flatMap((t) => tableFlows(f, t)) : f.entries;
    for (const e of entries) {
      const key = setTunId(e.flow);
      if (matchedVlan(e.flow) === tag && key !== undefined) {
        add(
          key,
          evid(
            `${h.name}'s ${b.name} puts ${described} into tunnel key 0x${key.toString(16)}: ${ruleText(e)}`,
            e.from,
          ),
        );
        continue;
      }
      const keyIn = matchedTunId(e.flow);
      if (keyIn !== undefined && setVid(e.flow) === tag)
        add(
          keyIn,
          evid(
            `${h.name}'s ${b.name} maps tunnel key 0x${keyIn.toString(16)} to ${described}: ${ruleText(e)}`,
            e.from,
          ),
        );
    }
  }
  return out;
}

/** Is the DHCP server on the VM's network, as the case says? */
export interface ServerNetwork {
  on: 'same' | 'other' | 'unknown';
  /** What says so (for 'unknown': the facts that contradict each other, if any). */
  evidence: EvidenceItem[];
  /** Why it is unknown, in words. */
  why?: string;
}

const NET_ID = /^qdhcp-(.+)$/;

/**
 * Is `srv` on `vm`'s network? Two ways the case can tell: the tunnel keys (the keys the VM's host
 * gives the VM's local VLAN against those the server's host gives the DHCP port's tag: a key in
 * both puts them on one segment, two known sets with none in common on two), and the network id
 * (Neutron's net_uuid in the VM port's other_config against the qdhcp namespace's id or the DHCP
 * port's net_uuid); and the segment Neutron's agent recorded on both ports (Port other_config
 * network_type and segmentation_id). A way that says nothing is left out; two that disagree leave
 * it unknown. `keysInQuestion`: the caller asks whether two hosts disagree on the key of one
 * network, so keys that differ say nothing (a key in both still puts them on one segment).
 */
export function serverNetwork(
  vm: VmPort,
  srv: DhcpServer,
  opts: { keysInQuestion?: boolean } = {},
): ServerNetwork {
  const same: EvidenceItem[] = [];
  const other: EvidenceItem[] = [];
  const unknown: string[] = [];
  // The keys.
  const vmTag = vm.port.tag.known ? vm.port.tag.value : null;
  const srvPort = srv.ovs?.port;
  const srvTag = srvPort?.tag.known ? srvPort.tag.value : null;
  const vmKeys =
    vmTag === null
      ? new Map<bigint, EvidenceItem[]>()
      : keysOfLocalVlan(vm.host, vmTag, `${vm.port.name}'s local VLAN ${vmTag}`);
  const srvKeys =
    srvTag === null || !srvPort
      ? new Map<bigint, EvidenceItem[]>()
      : keysOfLocalVlan(srv.host, srvTag, `local VLAN ${srvTag}, the tag of the DHCP port ${srvPort.name}`);
  const shared = [...vmKeys.keys()].filter((k) => srvKeys.has(k));
  if (shared.length) for (const k of shared) same.push(...vmKeys.get(k)!, ...srvKeys.get(k)!);
  else if (vmKeys.size && srvKeys.size && !opts.keysInQuestion)
    other.push(...[...vmKeys.values()].flat(), ...[...srvKeys.values()].flat());
  else if (vmKeys.size && srvKeys.size)
    unknown.push(
      `the tunnel keys differ (${keyList(vmKeys)} for ${vm.port.name}, ${keyList(srvKeys)} for the DHCP port), which is what is in question`,
    );
  else
    unknown.push(
      !vmKeys.size
        ? `no flow of ${vm.host.name} the case holds gives ${vm.port.name}'s local VLAN${vmTag === null ? '' : ` ${vmTag}`} a tunnel key`
        : !srvPort
          ? `the DHCP port of ${srv.ns.name} is on no bridge of ${srv.host.name} the case shows`
          : srvTag === null
            ? `the tag of the DHCP port ${srvPort.name} is not known`
            : `no flow of ${srv.host.name} the case holds gives local VLAN ${srvTag} (the DHCP port's tag) a tunnel key`,
    );
  // The network ids.
  const vmIds = vm.port.otherConfig.known ? vm.port.otherConfig : undefined;
  const vmNet = vmIds?.value.net_uuid?.toLowerCase();
  const srvNets = new Map<string, EvidenceItem>();
  const nsId = NET_ID.exec(srv.ns.name)?.[1]?.toLowerCase();
  if (nsId) srvNets.set(nsId, evid(`the DHCP server's namespace is ${srv.ns.name}`, srv.ns.from[0]));
  const portNet = srvPort?.otherConfig.known ? srvPort.otherConfig.value.net_uuid?.toLowerCase() : undefined;
  if (portNet && !srvNets.has(portNet) && srvPort?.otherConfig.known)
    srvNets.set(
      portNet,
      evid(`the DHCP port ${srvPort.name} has other_config net_uuid=${portNet}`, srvPort.otherConfig.from[0]),
    );
  if (vmNet && srvNets.size) {
    const vmSays = evid(`${vm.port.name} has other_config net_uuid=${vmNet}`, vmIds?.from[0]);
    if (srvNets.has(vmNet)) same.push(vmSays, srvNets.get(vmNet)!);
    else other.push(vmSays, ...srvNets.values());
  } else
    unknown.push(
      vmNet
        ? `the DHCP server's network id is not known`
        : `the case does not give ${vm.port.name}'s network id (its Port other_config net_uuid)`,
    );
  // The segments Neutron's agent wrote on both ports.
  const vmSeg = segmentOf(vm.port);
  const srvSeg = srvPort ? segmentOf(srvPort) : undefined;
  if (vmSeg && srvSeg) {
    const says = [
      evid(`${vm.port.name} has other_config ${vmSeg.text}`, vmSeg.from),
      evid(`the DHCP port ${srvPort!.name} has other_config ${srvSeg.text}`, srvSeg.from),
    ];
    if (vmSeg.text === srvSeg.text) same.push(...says);
    else other.push(...says);
  }
  if (same.length && !other.length) return { on: 'same', evidence: same };
  if (other.length && !same.length) return { on: 'other', evidence: other };
  if (same.length)
    return {
      on: 'unknown',
      evidence: [...same, ...other],
      why: 'the tunnel keys and the network ids disagree',
    };
  return { on: 'unknown', evidence: [], why: unknown.join('; ') };
}

function keyList(keys: Map<bigint, unknown>): string {
  return [...keys.keys()].map((k) => `0x${k.toString(16)}`).join(', ');
}

/** The segment Neutron's OVS agent recorded on a port: `network_type=vxlan, segmentation_id=1001`. */
function segmentOf(p: Port): { text: string; from?: Evidence } | undefined {
  if (!p.otherConfig.known) return undefined;
  const type = p.otherConfig.value.network_type?.trim().toLowerCase();
  const id = p.otherConfig.value.segmentation_id?.trim();
  if (!type || !id) return undefined;
  const from = p.otherConfig.from[0];
  return { text: `network_type=${type}, segmentation_id=${id}`, ...(from ? { from } : {}) };
}

/**
 * The first action of a flow whose outputs cannot be read off the flow itself: an action the
 * simulator does not model (unknown, group, bundle, multipath, MPLS, the field stack, an action
 * set), the controller (which may send the packet on), one that outputs by a register or by
 * switching (NORMAL, FLOOD, ALL), or one that goes on in another table (resubmit, goto_table,
 * ct(table=...)), also inside a clone.
 */
export function unreadOutput(actions: readonly Action[]): Action | undefined {
  for (const a of actions) {
    switch (a.type) {
      case 'unsupported':
      case 'group':
      case 'controller':
      case 'output_reg':
      case 'normal':
      case 'flood':
      case 'all':
      case 'resubmit':
      case 'goto_table':
      case 'write_actions':
      case 'push_mpls':
      case 'pop_mpls':
      case 'set_mpls':
      case 'dec_mpls_ttl':
      case 'stack':
      case 'delete_field':
        return a;
      case 'output':
        if (
          a.port.kind === 'reserved' &&
          ['NORMAL', 'FLOOD', 'ALL', 'CONTROLLER', 'TABLE'].includes(a.port.name)
        )
          return a;
        break;
      case 'args':
        if (a.name !== 'sample' && a.name !== 'fin_timeout') return a;
        break;
      case 'ct':
        if (a.args.some((x) => x.kind === 'table' || (x.kind === 'exec' && unreadOutput(x.actions))))
          return a;
        break;
      case 'clone': {
        const inner = unreadOutput(a.actions);
        if (inner) return inner;
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}
