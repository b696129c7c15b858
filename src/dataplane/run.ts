// Trace entry point from user input: `host:port`, a preset or field list (or a Packet value), an
// optional MAC and target. The DHCP presets get their target by default: the case's DHCP server
// namespaces for a DISCOVER/REQUEST, the VM's port for an OFFER/ACK.
import { findServers, findVms, portRole, type VmPort, withMac } from '../model/roles.ts';
import { findPort, type Snapshot } from '../model/snapshot.ts';
import { nameList, nearest } from '../text/nearest.ts';
import { findInterface, namedInFlows } from './ofports.ts';
import { macOf, type Packet, PRESETS, parsePacketSpec, preset } from './packet.ts';
import { PLACEHOLDER_MAC } from './probes.ts';
import { TraceInputError, trace } from './trace.ts';
import type { Assumption, TargetSpec, TraceResult } from './tree.ts';
import { buildWorld, type World } from './world.ts';

export interface TraceRequest {
  /** `<host>:<port>` where the packet enters. */
  from: string;
  /** A preset (`dhcp-discover[,fields]`), ofproto/trace fields, or a Packet built by the caller. */
  packet: string | Packet;
  mac?: string;
  /** `<host>:<port|namespace|device>`, several allowed; [] = no target (ofproto/trace's question). */
  to?: string[];
  /** Targets given as data (diagnose); wins over `to`. */
  targets?: TargetSpec[] | null;
  /**
   * The targets are the case's DHCP servers (diagnose's DISCOVER; by default for a DISCOVER or
   * REQUEST preset without `to`): a DHCP agent's port the case places in no namespace may be one.
   */
  dhcpServers?: boolean;
}

export function traceCommand(s: Snapshot, r: TraceRequest): TraceResult {
  return runTrace(s, buildWorld(s), r);
}

function splitAt(what: string, text: string, example: string): { host: string; name: string } {
  const i = text.indexOf(':');
  if (i <= 0 || i === text.length - 1)
    throw new TraceInputError(`${what} "${text}": expected <host>:<port>, e.g. ${example}`);
  return { host: text.slice(0, i), name: text.slice(i + 1) };
}

/** The same, on a world built once (diagnose traces several packets). */
export function runTrace(s: Snapshot, w: World, r: TraceRequest): TraceResult {
  const { host, name: port } = splitAt('--from', r.from, 'dom0:vif16.0');
  const h = s.hosts.find((x) => x.name === host);
  if (!h)
    throw new TraceInputError(
      `--from: no host "${host}" in the case (hosts: ${s.hosts.map((x) => x.name).join(', ')})`,
    );
  const notes: Assumption[] = [];
  let p: Packet;
  let spec: ReturnType<typeof parsePacketSpec>;
  let kind: 'request' | 'reply' | undefined;
  let mac = r.mac;
  if (typeof r.packet !== 'string') p = r.packet;
  else {
    const [name, ...rest] = r.packet.split(',');
    if ((PRESETS as readonly string[]).includes(name!)) {
      kind = name === 'dhcp-discover' || name === 'dhcp-request' ? 'request' : 'reply';
      let m = mac !== undefined ? macOf(mac) : undefined;
      if (m === undefined) {
        const at = findPort(h, port);
        // A request leaves the VM's port (--from); a reply goes to it: the VM port of the case
        // (the --to one when given), its MAC as diagnose takes it (roles.ts withMac: OVSDB's
        // attached-mac, else the one MAC the flows let it send from).
        const reply = kind === 'reply' ? replyVms(s, w, r.to) : [];
        const vm =
          kind === 'request'
            ? at && withMac({ host: h, bridge: at.bridge, port: at.port })
            : new Set(reply.map((v) => v.mac!.toLowerCase())).size === 1
              ? reply[0]
              : undefined;
        if (vm?.mac) {
          m = macOf(vm.mac);
          mac = vm.mac;
          if (vm.macFrom)
            notes.push({
              code: 'vm-mac',
              text: `the VM's MAC is not in OVSDB (no attached-mac on ${vm.port.name}); ${vm.mac} taken from the flow that lets the port send from it (${vm.macFrom.file}:${vm.macFrom.line})`,
              remedy: '--mac <the VM MAC>, or collect `ovs-vsctl list interface` (external_ids:attached-mac)',
            });
        } else if (reply.length > 1) {
          // A made-up MAC is unknown unicast, which NORMAL floods: every flow and MAC-table entry
          // that decides on a VM's real MAC would be skipped, and the verdict (and exit code) would
          // rest on a MAC no VM has. Which VM the reply goes to is the question's, not the case's.
          const list = reply.map((v) => `${v.host.name}:${v.port.name} ${v.mac}`).join(', ');
          if (r.targets === undefined)
            throw new TraceInputError(
              r.to?.length
                ? `--packet ${name}: --to names ${reply.length} VM ports with different MACs (${list}); a reply goes to one MAC: give one of them, or --mac <MAC>`
                : `--packet ${name}: the case has ${reply.length} VM ports with different MACs (${list}): say which one the reply goes to with --to <host:port> or --mac <MAC>`,
            );
          m = PLACEHOLDER_MAC;
          notes.push({
            code: 'vm-mac',
            text: `the targets are ${reply.length} VM ports with different MACs (${list}): which one the reply goes to is not said; fa:16:3e:00:00:01 used`,
            remedy: '--mac <the VM MAC>',
          });
        } else if (kind === 'reply' && r.to?.length && findVms(s).some((v) => v.mac)) {
          m = PLACEHOLDER_MAC;
          notes.push({
            code: 'vm-mac',
            text: `--to names no VM port of the case (VM ports: ${findVms(s)
              .filter((v) => v.mac)
              .map((v) => `${v.host.name}:${v.port.name} ${v.mac}`)
              .join(', ')}); fa:16:3e:00:00:01 used`,
            remedy: '--to <the VM port, host:port, or the device wired to it>, or --mac <the VM MAC>',
          });
        } else {
          m = PLACEHOLDER_MAC;
          // A request from a port that is no VM's (an uplink, a patch, ...): its frames are not one
          // VM's, so the MAC wanted is the frame's source, not "the VM's".
          const at = kind === 'request' ? findPort(h, port) : undefined;
          const role = at && portRole(s, h, at.bridge, at.port);
          notes.push(
            role && role.role !== 'vm' && role.role !== 'unknown'
              ? {
                  code: 'vm-mac',
                  text: `the frame's source MAC is not in the case (${port} is not a VM port: ${role.role} port, ${role.why}); fa:16:3e:00:00:01 used`,
                  remedy: "--mac <the frame's source MAC>",
                }
              : {
                  code: 'vm-mac',
                  text: `the VM's MAC is not in the case${kind === 'request' ? ` (no attached-mac on ${port})` : ''}; fa:16:3e:00:00:01 used`,
                  remedy:
                    '--mac <the VM MAC>, or collect `ovs-vsctl list interface` (external_ids:attached-mac)',
                },
          );
        }
      }
      spec = parsePacketSpec(rest.join(','), preset(name!, m), name);
    } else spec = parsePacketSpec(r.packet);
    p = spec.packet;
    // The packet enters where --from says; an in_port of its own would be a second answer.
    if (spec.inPort !== undefined)
      throw new TraceInputError(
        `--packet in_port=${spec.inPort}: the packet enters where --from says (${r.from}); leave in_port out of --packet`,
      );
  }
  let targets: TargetSpec[] | null = null;
  let dhcpServers = r.dhcpServers ?? false;
  if (r.targets !== undefined) targets = r.targets;
  else if (r.to?.length) targets = r.to.map((t) => splitAt('--to', t, 'domu:qdhcp-49a623fd-…'));
  else if (kind === 'request') {
    dhcpServers = true;
    // The DHCP servers of the case ([] when none is: then nothing counts as reaching one).
    const servers = findServers(s);
    targets = servers.map((x) => ({ host: x.host.name, name: x.ns.name }));
  } else if (kind === 'reply') {
    const vms = findVms(s).filter((v) => !mac || !v.mac || v.mac.toLowerCase() === mac.toLowerCase());
    targets = vms.map((v) => ({ host: v.host.name, name: v.port.name }));
  }
  if (targets)
    for (const t of targets)
      if (!s.hosts.some((x) => x.name === t.host))
        throw new TraceInputError(
          `--to: no host "${t.host}" in the case (hosts: ${s.hosts.map((x) => x.name).join(', ')})`,
        );
  // A name the user typed that the case does not hold is bad input, said before any walk.
  if (r.targets === undefined && r.to?.length)
    for (const t of targets ?? []) {
      const known = targetNames(s, t.host);
      if (known.has(t.name)) continue;
      const near = nearest(
        t.name,
        [...known].map((n) => `${t.host}:${n}`),
      );
      throw new TraceInputError(
        `--to: nothing named "${t.name}" on host ${t.host} in this case (a port, bridge, namespace or device); nearest: ${nameList(near, known.size)}`,
      );
    }
  if (!w.ifaces.get(host)?.has(port) && !findInterface(h, port) && !namedInFlows(h, port)) {
    const ports = h.bridges.flatMap((b) => b.ports.map((x) => `${host}:${x.name}`));
    throw new TraceInputError(
      `no OVS port "${port}" on host ${host} in this case${ports.length ? `; nearest: ${nameList(nearest(port, ports), ports.length)}` : ''}`,
    );
  }
  return trace(w, host, port, p, { target: targets, assumptions: notes, dhcpServers });
}

/**
 * The VM ports a reply preset may go to, with their MACs as diagnose takes them (findVms): those
 * --to names when given, else every one of the case; a port without a MAC is no candidate. --to
 * names a VM port by its own host:port or by an end of its wires (links.txt: the guest's
 * `vm1:eth0`), as the trace follows them (world.ts links; endpointIs takes either as the target).
 */
function replyVms(s: Snapshot, w: World, to: readonly string[] | undefined): VmPort[] {
  const named = (v: VmPort): boolean => {
    if (!to?.length) return true;
    const ends = (w.links.get(`${v.host.name}\u0000${v.port.name}`) ?? []).map((e) => `${e.host}:${e.iface}`);
    return to.some((t) => t === `${v.host.name}:${v.port.name}` || ends.includes(t));
  };
  return findVms(s).filter((v) => v.mac && named(v));
}

/** Every name a --to on `host` can mean (tree.ts endpointIs): ports, bridges, namespaces, devices, wire ends. */
function targetNames(s: Snapshot, host: string): Set<string> {
  const out = new Set<string>();
  const h = s.hosts.find((x) => x.name === host);
  for (const b of h?.bridges ?? []) {
    out.add(b.name);
    for (const p of b.ports) {
      out.add(p.name);
      for (const i of p.interfaces) out.add(i.name);
    }
  }
  for (const i of h?.unplacedInterfaces ?? []) out.add(i.name);
  for (const ns of h?.namespaces ?? []) {
    out.add(ns.name);
    for (const d of ns.devices ?? []) {
      out.add(d.name);
      if (d.peer) out.add(d.peer);
    }
  }
  for (const d of h?.devices ?? []) out.add(d.name);
  for (const l of s.links) for (const e of [l.a, l.b]) if (e.host === host) out.add(e.iface);
  return out;
}
