// NORMAL: OVS's L2 switch with its VLAN rules (reference/ovs-semantics.md §1): the input VLAN
// from the ingress port's config, the MAC table when the case has one, flooding otherwise, and
// the output tag per port mode.

import { bridgeRole, portRole } from '../model/roles.ts';
import type { Port } from '../model/snapshot.ts';
import { shellWord } from '../runner/runner.ts';
import { portList } from './ofports.ts';
import { clonePacket, type Packet } from './packet.ts';
import { assume, drop, type Engine, emit, floodUnnumbered, notFollowed, notShown } from './trace.ts';
import type { TraceNode, Uncertainty } from './tree.ts';
import type { PortVlan, RtBridge, RtPort } from './world.ts';

function includes(v: PortVlan, vlan: number): boolean {
  switch (v.mode) {
    case 'access':
      return (v.tag ?? 0) === vlan;
    case 'trunk':
      return v.trunks.length === 0 || v.trunks.includes(vlan);
    case 'native-tagged':
    case 'native-untagged':
      // OVS forces the native VLAN into the trunks and never trunks VLAN 0 on such a port.
      if (vlan === v.tag) return true;
      if (vlan === 0) return false;
      return v.trunks.length === 0 || v.trunks.includes(vlan);
    default:
      return false;
  }
}

/** The VLAN the frame belongs to on input, or a reason to drop it. */
function inputVlan(port: RtPort, p: Packet): { vlan: number } | { drop: string } {
  const vid = p.vlans[0]?.vid ?? 0;
  const v = port.vlan;
  switch (v.mode) {
    case 'access':
      if (vid !== 0)
        return {
          drop: `dropping VLAN ${vid} tagged packet received on port ${port.name} configured as VLAN ${v.tag ?? 0} access port`,
        };
      return { vlan: v.tag ?? 0 };
    case 'trunk':
      if (v.trunks.length && !v.trunks.includes(vid))
        return {
          drop: `dropping VLAN ${vid} packet received on port ${port.name} not configured for trunking VLAN ${vid}`,
        };
      return { vlan: vid };
    case 'native-tagged':
    case 'native-untagged':
      // The native VLAN counts as trunked (OVS adds the tag to the port's trunk bitmap).
      if (vid === 0 || vid === v.tag) return { vlan: v.tag ?? 0 };
      if (v.trunks.length && !v.trunks.includes(vid))
        return {
          drop: `dropping VLAN ${vid} packet received on port ${port.name} not configured for trunking VLAN ${vid}`,
        };
      return { vlan: vid };
    default:
      return { drop: `vlan_mode ${v.mode} of port ${port.name} is not modelled` };
  }
}

const LOCAL_VLAN: PortVlan = { tag: null, trunks: [], mode: 'trunk' };

/** Switch `p` (which entered `rb` on p.in_port); NORMAL copies the packet per output, p is left as it was. */
export function normalSwitch(e: Engine, out: TraceNode[], rb: RtBridge, p: Packet, depth: number): void {
  const inPort = rb.ports.get(p.in_port);
  if (!inPort) {
    drop(e, out, rb, null, {
      code: 'unknown-input-port',
      text: `NORMAL: input port ${p.in_port} unknown: cannot switch`,
    });
    return;
  }
  assume(e, inPort.vlan.assumed);
  // The input port's tag unknown, taken as a trunk: the frame's VLAN, so all NORMAL does with it, rests on that.
  const inUnknown = inPort.vlan.assumed?.code === 'port-vlan-unknown';
  const saved = e.uncertain;
  if (inUnknown && tagDecides(e, rb, inPort)) e.uncertain ??= vlanAssumed(rb, inPort.name);
  try {
    switchIn(e, out, rb, inPort, p, depth, inUnknown);
  } finally {
    e.uncertain = saved;
  }
}

function switchIn(
  e: Engine,
  out: TraceNode[],
  rb: RtBridge,
  inPort: RtPort,
  p: Packet,
  depth: number,
  inUnknown: boolean,
): void {
  const iv = inputVlan(inPort, p);
  if ('drop' in iv) {
    const node: TraceNode = {
      kind: 'normal',
      host: rb.host,
      bridge: rb.name,
      decision: 'rejected',
      text: iv.drop,
      children: [],
    };
    out.push(node);
    drop(e, node.children, rb, null, { code: 'vlan-filter', text: `NORMAL: ${iv.drop}` });
    return;
  }
  const vlan = iv.vlan;
  // Unicast to a MAC the bridge has learned goes to that port only (fdb/show at collection time).
  const multicast = Math.floor(p.dl_dst / 0x10000000000) & 1;
  let only: number | undefined;
  let node: Extract<TraceNode, { kind: 'normal' }> | undefined;
  if (!rb.fdb)
    // Per bridge: what to collect names the host and the bridge, never a bare <bridge>.
    assume(e, {
      code: 'no-fdb',
      text: `${rb.host}:${rb.name}: NORMAL: no MAC learning table in the case; frames flood as if no address were learned`,
      remedy: `ovs-appctl fdb/show ${shellWord(rb.name)}   # on ${rb.host}`,
    });
  else if (!multicast) {
    const hit = rb.fdb.entries.get(`${vlan}/${p.dl_dst}`);
    if (hit && rb.standIns && !rb.ports.has(hit.port)) {
      // Learned on a port number the case gives no port: one known by name only, the input one
      // or another; which, the case does not say.
      notFollowed(
        e,
        out,
        rb,
        `NORMAL: destination learned on port ${hit.port} (${rb.fdb.file}:${hit.line}), which may be ${portList(rb.standIns)} (OpenFlow port numbers unknown): not followed`,
        `${rb.host}:${rb.name}: NORMAL's MAC table (${rb.fdb.file}:${hit.line}) sends the frame to port ${hit.port}, which may be ${rb.standIns.length === 1 ? '' : 'one of '}${portList(rb.standIns)}, whose OpenFlow port numbers the case does not give`,
        rb.standIns,
      );
      return;
    }
    if (hit) {
      const fdb = { file: rb.fdb.file, line: hit.line };
      if (hit.port === p.in_port) {
        const n: TraceNode = {
          kind: 'normal',
          host: rb.host,
          bridge: rb.name,
          vlan,
          decision: 'rejected',
          text: `learned port is input port (${rb.fdb.file}:${hit.line}): dropping`,
          fdb,
          children: [],
        };
        out.push(n);
        drop(e, n.children, rb, null, {
          code: 'learned-on-input',
          text: 'NORMAL: destination MAC learned on the input port',
        });
        return;
      }
      only = hit.port;
      assume(e, {
        code: 'fdb-age',
        text: `${rb.host}:${rb.name}: NORMAL used the MAC table collected in ${rb.fdb.file} (entries age out; it is the state at collection time)`,
        remedy: `ovs-appctl fdb/show ${shellWord(rb.name)}   # again, at the time of the failure`,
      });
      node = {
        kind: 'normal',
        host: rb.host,
        bridge: rb.name,
        vlan,
        decision: 'learned',
        text: `VLAN ${vlan}: forwarding to learned port ${rb.ports.get(hit.port)?.name ?? hit.port} (${rb.fdb.file}:${hit.line})`,
        fdb,
        children: [],
      };
    }
  }
  if (!node)
    node = {
      kind: 'normal',
      host: rb.host,
      bridge: rb.name,
      vlan,
      decision: 'flood',
      text: `VLAN ${vlan}: no learned MAC for destination, flooding`,
      children: [],
    };
  out.push(node);
  const unknown = inUnknown ? [inPort.name] : [];
  // Ports the assumed VLAN leaves out, which the frame's real one may reach.
  const skipped: string[] = [];
  for (const port of rb.ports.values()) {
    if (port.ofport === p.in_port) continue;
    if (only !== undefined && port.ofport !== only) continue;
    if (!port.local) assume(e, port.vlan.assumed);
    const outUnknown = !port.local && port.vlan.assumed?.code === 'port-vlan-unknown';
    if (outUnknown) unknown.push(port.name);
    const v = port.local ? LOCAL_VLAN : port.vlan;
    if (!includes(v, vlan)) {
      skipped.push(port.name);
      continue;
    }
    const q = clonePacket(p);
    // The output tag: stripped on access ports (and native-untagged for its own VLAN), else the frame's VLAN.
    q.vlans.shift();
    const untagged = v.mode === 'access' || (v.mode === 'native-untagged' && vlan === v.tag) || vlan === 0;
    if (!untagged) q.vlans.unshift({ tpid: 0x8100, vid: vlan, pcp: p.vlans[0]?.pcp ?? 0 });
    emit(e, node.children, rb, port.ofport, q, depth + 1);
  }
  if (unknown.length) node.vlanUnknown = unknown;
  if (inUnknown && only === undefined && skipped.length && tagDecides(e, rb, inPort))
    drop(e, node.children, rb, null, {
      code: 'vlan-assumed',
      text: `NORMAL: ${portList(skipped)} ${skipped.length > 1 ? 'are' : 'is'} not in VLAN ${vlan}, the one ${inPort.name}'s assumed trunk gives the frame; with its real tag the frame may go there: not followed`,
    });
  // An inferred bridge with no port known but the patch: the flood goes to ports the case lacks.
  if (rb.portsUnknown && only === undefined)
    notShown(
      e,
      node.children,
      rb,
      'bridge-ports-unknown',
      `flood on ${rb.name}: bridge ${rb.name} is inferred (not in the case), its ports unknown`,
      { text: rb.portsUnknown.text, remedy: rb.portsUnknown.remedy! },
    );
  // Ports the case names without a number: the flood (or the learned port) may be one of them.
  if (only === undefined) floodUnnumbered(e, node.children, rb, (port) => mayCarry(port, vlan));
  // A learned port the case does not show: emit says what it may be (a port without its number, one
  // an excerpt leaves out) or that the case has no such port.
  else if (!rb.ports.has(only)) emit(e, node.children, rb, only, clonePacket(p), depth + 1);
}

/**
 * Does the tag the case does not give decide what NORMAL does (src/doctor/proof.ts, vlanUnknown)?
 * On an integration bridge the agent gives each VM and DHCP port its network's local VLAN; its
 * patch and tunnel ports carry no tag (a trunk is what they are), nor do an inferred bridge's.
 */
function tagDecides(e: Engine, rb: RtBridge, port: RtPort): boolean {
  const h = e.w.hosts.get(rb.host);
  if (!h || !rb.bridge || !port.port || bridgeRole(h, rb.bridge).role !== 'integration') return false;
  const role = portRole(e.w.snapshot, h, rb.bridge, port.port).role;
  return role === 'vm' || role === 'service';
}

/**
 * A branch of NORMAL that rests on a port whose tag the case does not give, switched as a trunk of
 * every VLAN (world.ts portVlan): the frame's VLAN, and where it goes, are not proven.
 */
export function vlanAssumed(rb: Pick<RtBridge, 'host' | 'name'>, port: string): Uncertainty {
  return {
    code: 'vlan-assumed',
    text: `${rb.host}:${rb.name}: the tag of port ${port} is not in the case; NORMAL switched it as a port without tag (trunk of every VLAN), and the frame's VLAN (so where it goes) rests on that: \`ovs-vsctl --columns=name,tag list Port ${shellWord(port)}\` on ${rb.host} gives it`,
    remedy: `ovs-vsctl --columns=name,tag list Port ${shellWord(port)}   # on ${rb.host}`,
  };
}

/** Could this port (of unknown OpenFlow number) get a frame of `vlan`? Unknown config: yes. */
function mayCarry(port: Port, vlan: number): boolean {
  if (!port.tag.known) return true;
  const tag = port.tag.value;
  const mode =
    port.vlanMode.known && port.vlanMode.value ? port.vlanMode.value : tag !== null ? 'access' : 'trunk';
  const trunks = port.trunks.known ? port.trunks.value : [];
  return includes({ tag, trunks, mode }, vlan);
}
