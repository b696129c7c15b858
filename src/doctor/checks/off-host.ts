// A bridge with no way off its host, proven by a whole listing of the host's bridges (`ovs-vsctl
// show` header to ovs_version, conf.db, an ovsdb-client dump): its patches point at peers the
// listing does not have, and no other port of it (nor of a bridge a live patch joins it to) is a
// tunnel, a NIC or a wire. A DISCOVER from its ports cannot reach a DHCP server on another host,
// however many hosts are added to the case: only a server on this host can answer.

import { unplaced } from '../../dataplane/world.ts';
import { portRole } from '../../model/roles.ts';
import type { Bridge, Host, Snapshot } from '../../model/snapshot.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { agentLogCommand, wholeListing } from './agent-bridges.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';

export interface OffHostDead {
  host: Host;
  /** The bridges joined by live patches, the first the one asked about. */
  bridges: Bridge[];
  /** The whole listing that proves it. */
  listing: string;
  /** Its patches whose peer the listing does not have. */
  dead: { bridge: string; port: string; peer: string; evidence: EvidenceItem }[];
}

const TUNNELS = new Set(['vxlan', 'gre', 'geneve', 'stt', 'lisp', 'erspan', 'ip6erspan', 'ip6gre']);

/**
 * Is `b` (with the bridges live patches join it to) shut in on `h`? Only when the listing is whole,
 * at least one patch is dead (what makes it news) and every other port is one of the host's own:
 * an internal port (the bridge's LOCAL, a router's or DHCP agent's device), or a VM or service
 * port by portRole. A port of any other kind may be a NIC: then nothing is claimed.
 */
export function offHostDead(s: Snapshot, h: Host, b: Bridge): OffHostDead | undefined {
  const listing = wholeListing(h);
  if (!listing) return undefined;
  const byIface = new Map<string, Bridge>();
  for (const x of h.bridges) for (const p of x.ports) for (const i of p.interfaces) byIface.set(i.name, x);
  const seen = new Set<Bridge>([b]);
  const todo = [b];
  const dead: OffHostDead['dead'] = [];
  while (todo.length) {
    const x = todo.shift()!;
    // Every bridge of the component must come from a whole listing: its ports are all of them.
    if (!x.from.some((e) => e.file === listing)) return undefined;
    for (const p of x.ports) {
      if (p.interfaces.length === 0) return undefined;
      for (const i of p.interfaces) {
        if (!i.type.known) return undefined;
        const type = i.type.value;
        const peer = i.options.known ? i.options.value.peer : undefined;
        if (type === 'patch') {
          if (!peer) return undefined;
          const far = byIface.get(peer);
          // A peer OVSDB has elsewhere (an interface row without its bridge): not proven dead.
          if (!far && unplaced(h, peer)) return undefined;
          if (!far)
            dead.push({
              bridge: x.name,
              port: i.name,
              peer,
              evidence: evid(`options:peer=${peer}`, i.options.known ? i.options.from[0] : undefined),
            });
          else if (!seen.has(far)) {
            seen.add(far);
            todo.push(far);
          }
          continue;
        }
        if (TUNNELS.has(type)) return undefined;
        if (type === 'internal') continue;
        const role = portRole(s, h, x, p).role;
        if (role !== 'vm' && role !== 'service' && role !== 'local') return undefined;
      }
    }
  }
  if (dead.length === 0) return undefined;
  return { host: h, bridges: [...seen], listing, dead };
}

/** "int-br-ex and patch-tun point at phy-br-ex and patch-int", for the text. */
export function deadText(d: OffHostDead): string {
  const own = (x: OffHostDead['dead'][number]) => (d.bridges.length > 1 ? `${x.bridge}:${x.port}` : x.port);
  const many = d.dead.length > 1;
  return `its patch${many ? 'es' : ''} ${d.dead.map(own).join(' and ')} point${many ? '' : 's'} at ${d.dead.map((x) => x.peer).join(' and ')}, which the whole listing of ${d.host.name}'s bridges (${d.listing}) does not have`;
}

/** A bridge's ports for the evidence: the first few, then how many more. */
function portList(b: Bridge): string {
  if (b.ports.length === 0) return 'no port';
  const names = b.ports.map((p) => p.name);
  return names.length > 10
    ? `${names.slice(0, 10).join(', ')}, … ${names.length - 10} more`
    : names.join(', ');
}

/** What decides where a DHCP server for such a bridge's ports is, and why its patches are dead. */
export function offHostCommands(d: OffHostDead): string[] {
  return [
    `ip netns; ip -all netns exec ip -d address show   # on ${d.host.name}: the qdhcp namespaces and their devices (only a DHCP server on ${d.host.name} can answer ${d.bridges[0]!.name}'s ports)`,
    `grep -E '^[[:space:]]*(bridge_mappings|tunnel_types)' /etc/neutron/plugins/ml2/openvswitch_agent.ini /etc/neutron/plugins/ml2/ml2_conf.ini   # on ${d.host.name}: the OVS agent makes ${d.dead.map((x) => x.peer).join(' and ')} (the far end of each patch) from these at start`,
    agentLogCommand(d.host),
  ];
}

export const offHost: Check = {
  id: 'off-host',
  title: 'a bridge a whole listing shows with no way off its host',
  run(ctx) {
    const out: Finding[] = [];
    const said = new Set<Bridge>();
    for (const vm of ctx.vms) {
      if (said.has(vm.bridge)) continue;
      const d = offHostDead(ctx.snapshot, vm.host, vm.bridge);
      if (!d) continue;
      for (const x of d.bridges) said.add(x);
      const others = d.bridges.slice(1).map((x) => x.name);
      out.push({
        code: 'no-way-off-host',
        role: 'observation',
        severity: 'warning',
        subject: `${d.host.name}:${vm.bridge.name}`,
        message: `${d.host.name}:${vm.bridge.name}${others.length ? ` (with ${others.join(', ')}, joined by patches)` : ''} has no way off the host: ${deadText(d)}, and its other ports are ${d.host.name}'s own (VM, service and internal ports; no tunnel, no NIC): no DHCP server on another host can answer its ports, only one on ${d.host.name}`,
        evidence: [
          ...d.dead.map((x) => x.evidence),
          evid(
            `${d.host.name}'s bridges and all their ports: ${d.host.bridges.map((x) => `${x.name} (${portList(x)})`).join('; ')}`,
            { file: d.listing, line: 0 },
          ),
        ],
        fix: offHostCommands(d),
      });
    }
    return out;
  },
};
