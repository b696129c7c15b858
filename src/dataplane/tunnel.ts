// Tunnels between hosts (VXLAN, GRE, Geneve): output to a tunnel port encapsulates the frame with
// the port's key and outer addresses; the underlay carries it to the host that owns remote_ip; the
// tunnel port there whose remote_ip is our local_ip (or `remote_ip=flow`) receives it with tun_id,
// tun_src and tun_dst set, exactly as OVS's receive-side lookup (ofproto/tunnel.c tnl_find) does.
// The underlay between the two hosts is not simulated: that is printed as an assumption.
import { findExcerpt, type Host, type Interface } from '../model/snapshot.ts';
import { formatIpv4 } from '../openflow/values.ts';
import { shellWord } from '../runner/runner.ts';
import { unnumbered } from './ofports.ts';
import type { Packet } from './packet.ts';
import { assume, drop, type Engine, enterBridge, excerptDrop, notFollowed } from './trace.ts';
import type { Assumption, DropReason, TraceNode, TunnelType } from './tree.ts';
import type { RtBridge, RtPort, World } from './world.ts';

export const TUNNEL_TYPES: readonly TunnelType[] = [
  'vxlan',
  'gre',
  'geneve',
  'stt',
  'erspan',
  'ip6gre',
  'gtpu',
  'bareudp',
  'lisp',
];

/**
 * OVS's UDP (STT: TCP) destination port of a tunnel type without options:dst_port: vxlan 4789,
 * stt 7471, gtpu 2152 (ovs-vswitchd.conf.db(5), Interface type), geneve 6081, lisp 4341
 * (lib/netdev-vport.c GENEVE_DST_PORT, LISP_DST_PORT).
 */
const DEFAULT_UDP: Partial<Record<TunnelType, number>> = {
  vxlan: 4789,
  geneve: 6081,
  stt: 7471,
  gtpu: 2152,
  lisp: 4341,
};

/** A tunnel interface as OVS configures it: a value, `flow`, or absent for each option. */
export interface TunnelConfig {
  type: TunnelType;
  /** IPv4 dotted quad, 'flow', or undefined (not set: OVS refuses such a port). */
  remoteIp?: string;
  localIp?: string;
  /** in_key / out_key after `key` applies to both: a number (as bigint) or 'flow'. */
  inKey: bigint | 'flow';
  outKey: bigint | 'flow';
  dstPort?: number;
  /** Said out loud when the config is read from the port's name (Neutron's `vxlan-<hex ip>`). */
  inferred?: Assumption;
}

function keyOf(v: string | undefined): bigint | 'flow' {
  if (v === undefined || v === '') return 0n;
  if (v === 'flow') return 'flow';
  try {
    return BigInt(v);
  } catch {
    return 0n;
  }
}

/** Neutron's get_tunnel_name(): `<type>-` + the remote IPv4 as 8 hex digits. */
export function neutronTunnelName(type: string, remoteIp: string): string {
  return `${type}-${remoteIp
    .split('.')
    .map((x) => Number(x).toString(16).padStart(2, '0'))
    .join('')}`;
}

/** The tunnel config of an interface, or undefined when it is not a tunnel. */
export function tunnelConfig(host: string, name: string, i: Interface | undefined): TunnelConfig | undefined {
  const type = i?.type.known ? i.type.value : undefined;
  if (type !== undefined) {
    if (!(TUNNEL_TYPES as readonly string[]).includes(type)) return undefined;
    const o = i?.options.known ? i.options.value : {};
    const key = o.key;
    const dst = o.dst_port ? Number(o.dst_port) : DEFAULT_UDP[type as TunnelType];
    return {
      type: type as TunnelType,
      ...(o.remote_ip ? { remoteIp: o.remote_ip } : {}),
      ...(o.local_ip ? { localIp: o.local_ip } : {}),
      inKey: keyOf(o.in_key ?? key),
      outKey: keyOf(o.out_key ?? key),
      ...(dst !== undefined && Number.isFinite(dst) ? { dstPort: dst } : {}),
    };
  }
  // Type unknown (the case has only ovs-ofctl show): Neutron's naming says type and remote.
  const m = /^(vxlan|gre|geneve)-([0-9a-f]{8})$/.exec(name);
  if (!m) return undefined;
  const n = Number.parseInt(m[2]!, 16);
  const remote = formatIpv4(n);
  const t = m[1] as TunnelType;
  return {
    type: t,
    remoteIp: remote,
    inKey: 'flow',
    outKey: 'flow',
    ...(DEFAULT_UDP[t] ? { dstPort: DEFAULT_UDP[t] } : {}),
    inferred: {
      code: 'tunnel-inferred',
      text: `${host}:${name}: type and options unknown; taken as a ${t} tunnel to ${remote} with key=flow (Neutron's ${t}-<hex remote ip> naming)`,
      remedy: `ovs-vsctl list interface ${shellWord(name)}   # on ${host}`,
    },
  };
}

/**
 * Who owns an underlay address, and how we know. `host` is undefined when several hosts that could
 * end a tunnel claim the address (`claimants`): the owner is unknown, and `assumed` says so.
 */
export interface UnderlayOwner {
  host?: string;
  claimants?: string[];
  /** Set when ownership is not proven by the host's own `ip addr` (agent config, tunnel options). */
  assumed?: Assumption;
}

export interface HostUnderlay {
  /** True when the host's root-namespace addresses are in the case (ip addr / ifconfig). */
  addressesKnown: boolean;
  addresses: Set<string>;
}

function inetOf(h: Host): Set<string> {
  const s = new Set<string>();
  for (const d of h.devices ?? [])
    for (const a of d.addresses) if (a.family === 'inet' && !a.address.startsWith('127.')) s.add(a.address);
  return s;
}

/**
 * Underlay addresses of every host: ip addr when collected, else the agent's local_ip, else its
 * tunnels' local_ip. Only a host with OVS bridges ends a tunnel: a VM or router folder whose
 * address is the same (a tenant subnet may overlap the underlay) owns nothing here. Two such
 * hosts claiming one address leave its owner unknown.
 */
export function buildUnderlay(w: World): void {
  const claims = new Map<string, { host: string; assumed?: Assumption }[]>();
  const claim = (a: string, host: string, assumed?: Assumption): void => {
    const list = claims.get(a) ?? [];
    if (!list.some((c) => c.host === host)) list.push({ host, ...(assumed ? { assumed } : {}) });
    claims.set(a, list);
  };
  for (const h of w.hosts.values()) {
    const addrs = inetOf(h);
    // Devices without any address are an `ip link` output read as `ip addr` (its content is the
    // same but the addresses): no address is known then, not "none" (`ip addr` shows lo's at least).
    const addressesKnown = h.devices?.some((d) => d.addresses.length > 0) ?? false;
    w.underlay.set(h.name, { addressesKnown, addresses: addrs });
    if (h.bridges.length === 0) continue;
    if (addressesKnown) {
      for (const a of addrs) claim(a, h.name);
      continue;
    }
    const li = h.agentConfig?.localIp;
    if (li) {
      claim(li.value, h.name, {
        code: 'underlay-owner',
        text: `${h.name}'s addresses are not in the case; taken to own ${li.value} (local_ip in ${h.agentConfig!.file}:${li.line})`,
        remedy: `ip -o address   # on ${h.name}`,
      });
      continue;
    }
    // Every tunnel interface OVSDB shows, with an OpenFlow port number or not: a tunnel port whose
    // number the case lacks (no `ovs-ofctl show`) still says which address the host sends from.
    for (const b of h.bridges)
      for (const p of b.ports)
        for (const i of p.interfaces) {
          const l = tunnelConfig(h.name, i.name, i)?.localIp;
          if (l && l !== 'flow')
            claim(l, h.name, {
              code: 'underlay-owner',
              text: `${h.name}'s addresses are not in the case; taken to own ${l} (options:local_ip of its tunnel ${i.name})`,
              remedy: `ip -o address   # on ${h.name}`,
            });
        }
  }
  for (const [a, list] of claims) {
    if (list.length === 1) {
      w.owners.set(a, list[0]!);
      continue;
    }
    const names = list.map((c) => c.host);
    w.owners.set(a, {
      claimants: names,
      assumed: {
        code: 'underlay-owner',
        text: `${a} is claimed by ${list.map((c) => `${c.host} (${c.assumed ? 'its agent or tunnel config' : 'its ip addr'})`).join(' and ')}: which of them a tunnel to ${a} reaches is unknown, so it is not followed`,
        remedy: `ovs-appctl tnl/neigh/show   # on the sending host: the MAC ${a} resolves to; \`ip -o link\` on ${names.join(' and on ')} says whose it is`,
      },
    });
  }
}

const hex = (k: bigint): string => `0x${k.toString(16)}`;

/** The sending host's source address for a tunnel without local_ip: the agent's local_ip, else its only address. */
function sourceOf(w: World, host: string, remote: string): string | undefined {
  const h = w.hosts.get(host);
  const li = h?.agentConfig?.localIp?.value;
  if (li) return li;
  const u = w.underlay.get(host);
  if (!u) return undefined;
  // The address in the same /24 as the remote, else any non-loopback one.
  const prefix = remote.split('.').slice(0, 3).join('.');
  const addrs = [...u.addresses].filter((a) => !a.startsWith('127.'));
  return addrs.find((a) => a.startsWith(`${prefix}.`)) ?? (addrs.length === 1 ? addrs[0] : undefined);
}

/**
 * The host's tunnel ports a packet of `type` from `src` to `dst` fits by its addresses: the same
 * type, local_ip `dst` (or unset, or flow), remote_ip `src` or flow. Which of them takes it is then
 * the UDP port's and the key's say (receivePort; nearMiss names the one that comes close).
 */
function* addressedPorts(
  w: World,
  host: string,
  type: TunnelType,
  src: string,
  dst: string,
): Generator<{ bridge: RtBridge; port: RtPort; tunnel: TunnelConfig }> {
  for (const rb of w.bridges) {
    if (rb.host !== host) continue;
    for (const rp of rb.ports.values()) {
      const t = rp.tunnel;
      if (!t || t.type !== type) continue;
      if (t.localIp && t.localIp !== 'flow' && t.localIp !== dst) continue;
      if (t.remoteIp !== src && t.remoteIp !== 'flow') continue;
      yield { bridge: rb, port: rp, tunnel: t };
    }
  }
}

/** The remote host's tunnel port that accepts (type, key, src, dst), OVS's tnl_find order: exact remote first, then remote_ip=flow. */
export function receivePort(
  w: World,
  host: string,
  type: TunnelType,
  key: bigint,
  src: string,
  dst: string,
  dstPort: number | undefined,
): { bridge: RtBridge; port: RtPort } | undefined {
  const cands: { bridge: RtBridge; port: RtPort; rank: number }[] = [];
  for (const { bridge, port, tunnel: t } of addressedPorts(w, host, type, src, dst)) {
    if (t.dstPort !== dstPort) continue;
    if (t.inKey !== 'flow' && t.inKey !== key) continue;
    const exact = t.remoteIp === src;
    cands.push({ bridge, port, rank: (exact ? 0 : 2) + (t.inKey === 'flow' ? 1 : 0) });
  }
  cands.sort((a, b) => a.rank - b.rank);
  return cands[0];
}

/** Output to a tunnel port: encapsulate, cross the underlay, enter the remote host's bridge. */
export function tunnelOut(
  e: Engine,
  out: TraceNode[],
  rb: RtBridge,
  port: RtPort,
  p: Packet,
  depth: number,
): void {
  const t = port.tunnel!;
  assume(e, t.inferred);
  const key = t.outKey === 'flow' ? p.tun_id : t.outKey;
  const remote = t.remoteIp === 'flow' ? (p.tun_dst ? formatIpv4(p.tun_dst) : undefined) : t.remoteIp;
  if (!remote) {
    drop(e, out, rb, null, {
      code: 'tunnel-flow-unset',
      text: `${port.name} has remote_ip=${t.remoteIp ?? '(none)'} and the flows set no tun_dst: OVS cannot send it`,
    });
    return;
  }
  const u = e.w.underlay.get(rb.host);
  let local = t.localIp === 'flow' ? (p.tun_src ? formatIpv4(p.tun_src) : undefined) : t.localIp;
  const node: Extract<TraceNode, { kind: 'tunnel' }> = {
    kind: 'tunnel',
    from: {
      host: rb.host,
      bridge: rb.name,
      port: port.name,
      type: t.type,
      local_ip: local ?? sourceOf(e.w, rb.host, remote) ?? '?',
      remote_ip: remote,
      key: hex(key),
      ...(t.dstPort !== undefined ? { dst_port: t.dstPort } : {}),
    },
    to: null,
    children: [],
  };
  out.push(node);
  // OVS: a tunnel with a source address needs a local route for it ("native tunnel routing failed").
  if (local && u?.addressesKnown && !u.addresses.has(local)) {
    const reason: DropReason = {
      code: 'tunnel-route',
      text: `${port.name}: local_ip ${local} is not an address of ${rb.host} (its ip addr shows ${[...u.addresses].join(', ') || 'none'}): OVS cannot route the tunnel ("native tunnel routing failed"), nothing is sent`,
    };
    const cut = findExcerpt(e.w.hosts.get(rb.host)!, 'devices', null);
    if (cut) excerptDrop(e, node.children, rb, cut, `address ${local}`, reason);
    else drop(e, node.children, rb, null, reason);
    return;
  }
  local ??= node.from.local_ip !== '?' ? node.from.local_ip : undefined;
  const found = e.w.owners.get(remote);
  // Claimed by several hosts: which one receives it is unknown, like an address no host owns.
  if (found?.claimants) assume(e, found.assumed);
  const owner = found?.host !== undefined ? { host: found.host, assumed: found.assumed } : undefined;
  if (!owner) {
    e.leaves++;
    node.children.push({
      kind: 'output',
      host: rb.host,
      bridge: rb.name,
      port: port.name,
      vlan: p.vlans[0]?.vid ?? null,
      endpoint: {
        kind: 'beyond-tunnel',
        remote_ip: remote,
        tunnel: t.type,
        key: hex(key),
        from: { host: rb.host, bridge: rb.name, port: port.name },
        ...(found?.claimants ? { claimants: found.claimants } : {}),
      },
      ...(e.uncertain ? { uncertain: e.uncertain } : {}),
    });
    return;
  }
  assume(e, owner.assumed);
  // The sender's address: stated by local_ip, else the address of the host that the peer names.
  let src = local;
  if (!src) {
    const peerNames = [...e.w.owners].filter(([, o]) => o.host === rb.host).map(([a]) => a);
    src = peerNames.length === 1 ? peerNames[0] : undefined;
  }
  assume(e, {
    code: 'underlay',
    text: `the underlay carries ${t.type} ${src ?? rb.host} -> ${remote}${t.dstPort !== undefined ? ` (UDP ${t.dstPort})` : ''} (not simulated: routes, ARP, firewalls on the path)`,
    // One command for both hosts, whichever way the packet crosses: the names in one order.
    remedy: `tcpdump -ni <underlay iface> ${t.type === 'gre' ? 'ip proto 47' : `udp port ${t.dstPort ?? 4789}`}   # on ${[rb.host, owner.host].sort().join(' and ')}`,
  });
  const recv = src
    ? receivePort(e.w, owner.host, t.type, key, src, remote, t.dstPort)
    : receivePortAnySource(e.w, owner.host, rb.host, t.type, key, remote, t.dstPort);
  const ownerBridge = e.w.bridges.find(
    (b) => b.host === owner.host && [...b.ports.values()].some((x) => x.tunnel),
  );
  // Tunnel ports of that type without a known OpenFlow number: one of them may receive it.
  const ownerHost = e.w.hosts.get(owner.host);
  const hidden = recv
    ? []
    : (ownerHost?.bridges ?? [])
        .flatMap((b) => unnumbered(b, ownerHost))
        .filter((u) => u.iface.type.known && u.iface.type.value === t.type);
  if (hidden.length) {
    const names = hidden.map((u) => u.iface.name);
    notFollowed(
      e,
      node.children,
      { host: owner.host, name: hidden[0]!.bridge.name },
      `${owner.host}: ${t.type} port ${names.join(', ')} without an OpenFlow port number: not followed`,
      `${owner.host} has ${t.type} ports (${names.join(', ')}) whose OpenFlow port numbers the case does not give: which one receives the packet, and what its bridge's flows do, is not traced`,
      names,
    );
    return;
  }
  if (!recv) {
    const at = ownerBridge ?? { host: owner.host, name: '(datapath)' };
    const near = src ? nearMiss(e.w, owner.host, t.type, key, src, remote, t.dstPort) : undefined;
    const reason: DropReason = {
      code: 'tunnel-port-not-found',
      text: near
        ? `${owner.host} has no ${t.type} port for this packet (key ${hex(key)}, from ${src} to ${remote}${t.dstPort !== undefined ? `, UDP ${t.dstPort}` : ''}): ${near}`
        : `${owner.host} has no ${t.type} port for this packet (key ${hex(key)}, from ${src ?? '?'} to ${remote}): OVS drops it ("receive tunnel port not found")`,
    };
    const cut = findExcerpt(e.w.hosts.get(owner.host)!, 'ovsdb');
    if (cut) excerptDrop(e, node.children, at, cut, `a ${t.type} port for ${src ?? rb.host}`, reason);
    else drop(e, node.children, at, null, reason);
    return;
  }
  node.to = { host: owner.host, bridge: recv.bridge.name, port: recv.port.name };
  assume(e, recv.port.tunnel?.inferred);
  // Decapsulated: a new pipeline with the tunnel metadata set.
  p.regs.fill(0);
  p.metadata = 0n;
  p.conj_id = 0;
  p.tun_id = key;
  p.tun_src = src ? ipv4(src) : 0;
  p.tun_dst = ipv4(remote);
  enterBridge(e, node.children, recv.bridge, recv.port, p, depth + 1);
}

/**
 * Why no port of `host` receives a packet that one of its ports would take but for the UDP
 * destination port or the key: that port named, with the option that stops it. Undefined when no
 * port comes that close (then the addresses are what differ).
 */
function nearMiss(
  w: World,
  host: string,
  type: TunnelType,
  key: bigint,
  src: string,
  dst: string,
  dstPort: number | undefined,
): string | undefined {
  for (const { port: rp, tunnel: t } of addressedPorts(w, host, type, src, dst)) {
    // A packet to a UDP port no tunnel of the host listens on is not OVS's at all: the kernel
    // (or the userspace datapath's tunnel port map) never hands it to a tunnel port, and OVS
    // logs nothing.
    if (t.dstPort !== dstPort)
      return `its ${type} port ${rp.name} (remote_ip ${t.remoteIp}) takes UDP ${t.dstPort ?? '?'}${rp.iface?.options.known && rp.iface.options.value.dst_port === undefined ? ` (no dst_port option: OVS's default for ${type})` : ''}, so nothing on ${host} receives UDP ${dstPort ?? '?'} as ${type}: the packet is dropped on arrival`;
    if (t.inKey !== 'flow' && t.inKey !== key)
      return `its ${type} port ${rp.name} (remote_ip ${t.remoteIp}) accepts only key ${hex(t.inKey)} (options in_key/key), not ${hex(key)}: OVS drops it ("receive tunnel port not found")`;
  }
  return undefined;
}

/** No known source address: accept a port on the remote whose remote_ip is any address the sender owns. */
function receivePortAnySource(
  w: World,
  host: string,
  sender: string,
  type: TunnelType,
  key: bigint,
  dst: string,
  dstPort: number | undefined,
): { bridge: RtBridge; port: RtPort } | undefined {
  for (const [a, o] of w.owners)
    if (o.host === sender) {
      const r = receivePort(w, host, type, key, a, dst, dstPort);
      if (r) return r;
    }
  return undefined;
}

export function ipv4(s: string): number {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return 0;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}
