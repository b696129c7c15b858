import { nodesOf } from '../../dataplane/tree.ts';

// The DHCP server's side: the qdhcp namespace, its port and whether frames can reach it.

import { bridgeRole, portRole, remoteController } from '../../model/roles.ts';
import { dnsmasqEvents, findExcerpt, findPort, type Host, type Snapshot } from '../../model/snapshot.ts';
import { operands, shellWord } from '../../runner/runner.ts';
import { classify } from '../../sources/file-kinds.ts';
import type { VmPort } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { provenDropped } from '../proof.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { excerptGap } from './excerpt.ts';
import { serverFault } from './server-bearing.ts';
import { ownServerCommands, serverNetId, vmNetwork } from './vm-network.ts';

export const dhcpPort: Check = {
  id: 'dhcp-port',
  title: 'DHCP namespace and port',
  run(ctx) {
    const out: Finding[] = [];
    if (ctx.servers.length === 0) {
      // Missing only where it should be: a host whose DHCP agent keeps state for a network
      // (var/lib/neutron/dhcp/<net>) and whose `ip netns` was collected, without qdhcp-<net>.
      for (const h of ctx.snapshot.hosts) {
        const netns = h.files.find((f) => /(?:^|\/)ip_netns(?:_list)?$/.test(f));
        if (!netns) continue;
        const hidden = findExcerpt(h, 'netns');
        for (const net of h.dhcpNetworks) {
          if (h.namespaces.some((n) => n.name === `qdhcp-${net.net}`)) continue;
          if (hidden) {
            out.push(
              excerptGap(
                h,
                hidden,
                `${h.name}:qdhcp-${net.net}`,
                `${h.name}'s DHCP agent keeps state for network ${net.net}, and \`ip netns\` shows no qdhcp-${net.net}`,
                `whether the namespace exists`,
                [evid(`agent state for ${net.net}`, { file: net.files[0] ?? h.name, line: 0 })],
              ),
            );
            continue;
          }
          out.push({
            code: 'dhcp-namespace-missing',
            role: 'cause',
            severity: 'error',
            subject: `${h.name}:qdhcp-${net.net}`,
            message: `${h.name}'s DHCP agent keeps state for network ${net.net}, but \`ip netns\` on ${h.name} has no qdhcp-${net.net}: the network has no DHCP server there`,
            rootCause:
              'the DHCP agent failed to set the network up (see its log), or the namespace was deleted under it',
            evidence: [
              evid(`agent state for ${net.net}`, { file: net.files[0] ?? h.name, line: 0 }),
              evid(`\`ip netns\` lists ${h.namespaces.length} namespace(s), no qdhcp-${net.net}`, {
                file: netns,
                line: 0,
              }),
            ],
            fix: [
              `grep ${operands(net.net)} /var/log/neutron/dhcp-agent.log | tail   # on ${h.name}`,
              'systemctl restart neutron-dhcp-agent   # changes state: recreates the namespace',
            ],
          });
        }
      }
      if (out.some((f) => f.code === 'dhcp-namespace-missing')) return out;
      const listed = ctx.snapshot.hosts.flatMap((h) =>
        h.namespaces.filter((n) => n.name.startsWith('qdhcp-')).map((n) => `${h.name}:${n.name}`),
      );
      // Listed by `ip netns`, its devices not collected: the command that collects each (the headline's too).
      const uncollected = uncollectedQdhcp(ctx.snapshot.hosts);
      // A host whose DHCP agent files are in the case, without its namespaces: name it and the network.
      const agents = ctx.snapshot.hosts.flatMap((h) => h.dhcpNetworks.map((net) => ({ h, net })));
      // A dnsmasq log of the case shows a server at work, on a device whose namespace is not here.
      const logged = ctx.snapshot.hosts.flatMap((h) => {
        const events = dnsmasqEvents(h);
        const e = events[0];
        return e ? [{ h, e, devices: [...new Set(events.map((x) => x.iface))] }] : [];
      });
      // dnsmasq in a `ps` listing of the case: a DHCP server, placed as far as the case places it.
      const running = psServers(ctx.snapshot.hosts);
      out.push(...running);
      if (running.length && !listed.length) return out;
      out.push({
        code: 'dhcp-server-not-in-case',
        role: 'gap',
        severity: 'warning',
        subject: 'DHCP server',
        message: listed.length
          ? `a qdhcp namespace is listed (${listed.join(', ')}) but its devices are not in the case`
          : logged.length && !agents.length
            ? `dnsmasq's log shows a DHCP server at work (${logged.map(({ h, devices }) => `${h.name}: on ${devices.join(', ')}`).join('; ')}), but its qdhcp namespace (devices, sockets, iptables) is not in the case`
            : agents.length
              ? `the case holds the DHCP agent's files (${agents.map(({ h, net }) => `${h.name}: network ${net.net}`).join(', ')}) but no qdhcp namespace with a device: that host's namespaces were not collected`
              : 'the case holds no DHCP server (no qdhcp namespace with a device): the host running the DHCP agent was not collected, or it has none for this network',
        evidence: [
          ...agents.map(({ h, net }) =>
            evid(`DHCP agent state for network ${net.net}`, { file: net.files[0] ?? h.name, line: 0 }),
          ),
          ...logged.map(({ e }) => evid(`${e.type}(${e.iface})${e.mac ? ` ${e.mac}` : ''}`, e.from)),
        ],
        fix: uncollected.length
          ? [
              ...uncollected.map(({ h, ns }) => {
                // The DHCP agent's ports the case shows on this host: what to look for in the output.
                const taps = agentTaps(ctx.snapshot, h);
                const which =
                  taps.length === 1
                    ? `; the DHCP agent's port the case shows on ${h.name}: ${taps[0]}`
                    : taps.length
                      ? `; the DHCP agent's ports the case shows on ${h.name}: ${taps.join(', ')}, which namespace holds each not shown`
                      : '';
                return `${qdhcpDevicesCommand(ns)}   # on ${h.name}: its devices (the DHCP port, its address${which})`;
              }),
              "openstack network agent list --agent-type dhcp   # which host serves the VM's network (if none of these)",
            ]
          : agents.length
            ? agents.map(
                ({ h, net }) =>
                  `ip netns; ip netns exec ${shellWord(`qdhcp-${net.net}`)} ip -d address show   # on ${h.name}`,
              )
            : logged.length
              ? logged.map(({ h, e }) =>
                  e.pid !== undefined
                    ? `ip netns identify ${e.pid}; ip netns exec qdhcp-<network-id> ip -d address show   # on ${h.name}: the namespace of the dnsmasq that logged, and its devices (or add the host's sosreport)`
                    : `ip netns; ip netns exec qdhcp-<network-id> ip -d address show   # on ${h.name}, or add its sosreport to the case`,
                )
              : [
                  'openstack network agent list --agent-type dhcp   # which host serves the network',
                  'ip netns; ip netns exec qdhcp-<network-id> ip -d address show   # on that host, or add its sosreport to the case',
                ],
      });
      return out;
    }
    for (const srv of ctx.servers) {
      const subject = `${srv.host.name}:${srv.ns.name}:${srv.device.name}`;
      // A fault of this server is a cause only as the evidence ties it to the VMs (server-bearing.ts).
      const fault = (f: Finding, vm?: VmPort): void => {
        out.push(serverFault(ctx, srv, f, vm ? { vms: [vm] } : {}));
      };
      if (!srv.device.up)
        fault({
          code: 'dhcp-port-down',
          severity: 'error',
          subject,
          message: `the DHCP port ${srv.device.name} is DOWN inside ${srv.ns.name}: frames switched to it are never received`,
          rootCause: 'the DHCP agent did not (re)plug its port, or someone set it down',
          evidence: [evid(`${srv.device.name} is not UP`, srv.device.from)],
          fix: [
            `ip netns exec ${shellWord(srv.ns.name)} ip link set ${shellWord(srv.device.name)} up   # changes state`,
            'systemctl restart neutron-dhcp-agent   # changes state',
          ],
        });
      const hidden = findExcerpt(srv.host, 'ovsdb');
      if (!srv.ovs && hidden)
        out.push(
          excerptGap(
            srv.host,
            hidden,
            subject,
            `${srv.device.name} is in ${srv.ns.name} and no OVS bridge of ${srv.host.name} in the case has its port`,
            `whether it is on a bridge`,
            [evid(`${srv.device.name} in ${srv.ns.name}`, srv.device.from)],
          ),
        );
      else if (!srv.ovs) {
        // Absent from the bridges only where the case lists them: a host whose bridges are known
        // from their flow dumps alone (or not at all) says nothing of where the tap is plugged.
        const tap = srv.veth ? `tap${srv.device.name.slice(3)}` : srv.device.name;
        const listing = portsListing(srv.host, tap);
        if ('unknown' in listing)
          out.push({
            code: 'dhcp-port-bridge-unknown',
            role: 'gap',
            severity: 'warning',
            subject,
            message: `${srv.device.name} is in ${srv.ns.name}; whether ${tap === srv.device.name ? 'it' : tap} is a port of an OVS bridge of ${srv.host.name} is unknown: ${listing.unknown}`,
            evidence: [evid(`${srv.device.name} in ${srv.ns.name}`, srv.device.from), ...listing.evidence],
            fix: [
              `ovs-vsctl show   # on ${srv.host.name}: is ${tap} a port of its integration bridge (br-int)?`,
            ],
          });
        else
          fault({
            code: 'dhcp-port-not-on-bridge',
            severity: 'error',
            subject,
            message: `${srv.device.name} is in ${srv.ns.name} but no OVS bridge of ${srv.host.name} has its port${tap === srv.device.name ? '' : ` ${tap}`}`,
            evidence: [evid(`${srv.device.name} in ${srv.ns.name}`, srv.device.from), ...listing.evidence],
            fix: [
              `ovs-vsctl show   # on ${srv.host.name}: is the tap on br-int?`,
              'systemctl restart neutron-dhcp-agent   # changes state',
            ],
          });
      } else if (srv.ovs.port.tag.known && srv.ovs.port.tag.value === 4095) {
        // The dead VLAN: dhcp-dead-vlan (dead-vlan.ts) says it.
      } else if (srv.ovs.port.tag.known && srv.ovs.port.tag.value !== null) {
        // Frames for the network reach the DHCP port's bridge in one VLAN; is the port in it?
        const tag = srv.ovs.port.tag.value;
        for (const vm of ctx.vms) {
          const t = ctx.discover.get(vm);
          // Only when no branch of the DISCOVER may arrive: the VLAN NORMAL used here is then the
          // one the network's flows give (not one an assumed NORMAL upstream left unchanged).
          if (!t || !provenDropped(ctx.world, t)) continue;
          const seen = new Set<number>();
          for (const n of nodesOf(t.tree, 'normal'))
            if (n.host === srv.host.name && n.bridge === srv.ovs.bridge.name && n.vlan !== undefined)
              seen.add(n.vlan);
          if (seen.size === 0 || seen.has(tag)) continue;
          // Another port of that bridge in the VLAN the frame arrives in: that VLAN is the local
          // VLAN of a network this host has, most likely the VM's own, whose DHCP server is then
          // another than this one; nothing says this port's tag is stale.
          const peers = srv.ovs.bridge.ports.filter(
            (p) => p !== srv.ovs!.port && p.tag.known && p.tag.value !== null && seen.has(p.tag.value),
          );
          // ... unless the case ties the VM to this server's network (its Port's net_uuid, say):
          // then the frame arrives in the wrong VLAN whoever else uses it, and the tag is stale.
          const net = vmNetwork(ctx, vm);
          const same = net.net !== undefined && net.net === serverNetId(srv);
          if (peers.length > 0 && !same) {
            const vlans = [...seen].join(', ');
            out.push({
              code: 'dhcp-server-not-in-case',
              role: 'gap',
              severity: 'warning',
              subject: `${vm.host.name}:${vm.port.name}`,
              message: `the DISCOVER from ${vm.port.name} reaches ${srv.ovs.bridge.name} on ${srv.host.name} in VLAN ${vlans}, the local VLAN of ${peers.map((p) => p.name).join(', ')} there, not that of the DHCP port ${srv.ovs.port.name} (VLAN ${tag}): ${vm.port.name} is most likely on another network than ${srv.ns.name}'s, whose DHCP server the case does not show; a stale tag is not proven`,
              evidence: [
                evid(`port ${srv.ovs.port.name} tag ${tag}`, srv.ovs.port.tag.from[0]),
                ...peers.flatMap((p) =>
                  p.tag.known ? [evid(`port ${p.name} tag ${p.tag.value}`, p.tag.from[0])] : [],
                ),
                evid(`NORMAL on ${srv.ovs.bridge.name} switched the frame in VLAN ${vlans}`),
              ],
              fix: ownServerCommands(vm),
            });
            continue;
          }
          fault(
            {
              code: 'dhcp-port-vlan-mismatch',
              severity: 'error',
              subject,
              message: `the DISCOVER from ${vm.port.name} reaches ${srv.ovs.bridge.name} in VLAN ${[...seen].join(', ')}, but the DHCP port ${srv.ovs.port.name} is tagged ${tag}`,
              rootCause:
                "the DHCP port's local VLAN and the translation flows of the network disagree (stale tag after an agent restart, or two agents)",
              evidence: [
                evid(`port ${srv.ovs.port.name} tag ${tag}`, srv.ovs.port.tag.from[0]),
                evid(`NORMAL on ${srv.ovs.bridge.name} switched the frame in VLAN ${[...seen].join(', ')}`),
                ...(same ? net.evidence : []),
              ],
              fix: [
                'systemctl restart neutron-openvswitch-agent neutron-dhcp-agent   # changes state: both re-derive the local VLAN of the network',
              ],
            },
            vm,
          );
        }
      } else if (
        srv.ovs.port.tag.known &&
        srv.ovs.port.tag.value === null &&
        // No local VLAN is the agent's to give on a bridge a foreign controller programs.
        bridgeRole(srv.host, srv.ovs.bridge).role !== 'external' &&
        !remoteController(srv.host, srv.ovs.bridge)
      )
        fault({
          code: 'dhcp-port-untagged',
          severity: 'error',
          subject,
          message: `the DHCP port ${srv.ovs.port.name} has no VLAN tag on ${srv.ovs.bridge.name}`,
          evidence: [evid(`port ${srv.ovs.port.name} has no tag`, srv.ovs.port.tag.from[0])],
          fix: [
            "# the agent tags the DHCP port with the network's local VLAN when it processes it:",
            'systemctl restart neutron-openvswitch-agent   # changes state',
            `ovs-vsctl --columns=name,tag,other_config list Port ${shellWord(srv.ovs.port.name)}   # on ${srv.host.name}: its net_uuid, to compare with the network's other ports`,
          ],
        });
    }
    return out;
  },
};

/**
 * The dnsmasq processes the hosts' `ps` listings show that are DHCP servers of the cloud (Neutron's,
 * reading /var/lib/neutron/dhcp/<net>/, or serving on a port of an OVS bridge of their host), none
 * in a qdhcp namespace the case holds with its devices (findServers would have it): one gap each,
 * saying what the case shows of it (the device it serves on, where that device is, its OVS port and
 * tag) and what it lacks to place it. A `ps` listing names no namespace: the process's own
 * command line (`ip netns exec`), or its device listed in the host's own namespace, places it.
 */
/** The qdhcp namespaces a host's `ip netns` lists whose devices the case does not hold, host by host. */
export function uncollectedQdhcp(hosts: readonly Host[]): { h: Host; ns: string }[] {
  return hosts.flatMap((h) =>
    h.namespaces.filter((n) => n.name.startsWith('qdhcp-') && !n.devices).map((n) => ({ h, ns: n.name })),
  );
}

/**
 * The DHCP agent's ports a host shows (an OVS internal port named tap<id>, portRole 'service'), as
 * `<bridge> <port> (tag N)`, each name quoted for the shell: which namespace holds each is not known.
 */
function agentTaps(s: Snapshot, h: Host): string[] {
  return [
    ...h.bridges.flatMap((b) => b.ports.map((p) => [b, p] as const)),
    ...(h.unplacedPorts ?? []).map((p) => [undefined, p] as const),
  ]
    .filter(([b, p]) => /^tap/.test(p.name) && portRole(s, h, b, p).role === 'service')
    .map(
      ([b, p]) =>
        `${b ? `${shellWord(b.name)} ` : ''}${shellWord(p.name)}${p.tag.known && p.tag.value !== null ? ` (tag ${p.tag.value})` : ''}`,
    );
}

/** The command that collects a namespace's devices (and so the DHCP port in a qdhcp one). */
export function qdhcpDevicesCommand(ns: string): string {
  return `ip netns exec ${shellWord(ns)} ip -d address show`;
}

function psServers(hosts: readonly Host[]): Finding[] {
  const out: Finding[] = [];
  for (const h of hosts)
    for (const p of h.dnsmasqProcesses ?? [])
      for (const dev of p.interfaces) {
        const tap = dev.startsWith('ns-') ? `tap${dev.slice(3)}` : dev;
        const ovs = findPort(h, tap) ?? findPort(h, dev);
        if (!p.net && !ovs) continue;
        const pid = p.pid !== undefined ? `pid ${p.pid}, ` : '';
        const about = [p.pid !== undefined ? `pid ${p.pid}` : '', p.net ? `network ${p.net}` : '']
          .filter(Boolean)
          .join(', ');
        const evidence: EvidenceItem[] = [
          evid(`dnsmasq ${pid}--interface=${dev}${p.net ? `, files of network ${p.net}` : ''}`, p.from),
        ];
        const inNs = h.namespaces.find((n) => (n.devices ?? []).some((d) => d.name === dev));
        const own = inNs ? undefined : (h.devices ?? []).find((d) => d.name === dev);
        let place: string;
        let fix: string[] = [];
        if (own) {
          const addrs = own.addresses
            .filter((a) => a.family === 'inet')
            .map((a) => `${a.address}/${a.prefixlen}`);
          place = `the case shows ${dev} on the host itself (in its own network namespace: ${own.up ? 'UP' : 'not UP'}${addrs.length ? `, ${addrs.join(', ')}` : ''}), not in a qdhcp namespace, as a DHCP agent with use_namespaces = False runs it`;
          evidence.push(
            evid(
              `${dev} in ${h.name}'s own namespace${addrs.length ? `, ${addrs.join(', ')}` : ''}`,
              own.from,
            ),
          );
        } else if (p.namespace) {
          place = `its command line starts it in ${p.namespace}, whose devices are not in the case`;
          fix = [
            `ip netns exec ${shellWord(p.namespace)} ip -d address show   # on ${h.name}: ${dev} and its address`,
          ];
        } else {
          place = `which namespace it runs in is not in the case (a \`ps\` listing does not say)`;
          fix = [
            p.pid !== undefined
              ? `ip netns identify ${p.pid}   # on ${h.name}: the namespace dnsmasq runs in (nothing printed: the host's own)`
              : `ip -d address show ${shellWord(dev)}; ip netns   # on ${h.name}: is ${dev} in the host's own namespace, or in which`,
            `ip netns exec qdhcp-${p.net ?? '<network-id>'} ip -d address show   # on ${h.name}, if it runs in a namespace`,
          ];
        }
        let port = '';
        if (ovs) {
          const t = ovs.port.tag;
          port = `; ${ovs.port.name} is a port of ${ovs.bridge.name}${t.known ? (t.value === null ? ' with no VLAN tag' : ` with tag ${t.value}`) : ', its tag unknown'}`;
          evidence.push(
            t.known && t.from[0]
              ? evid(`port ${ovs.port.name} on ${ovs.bridge.name}, tag ${t.value ?? 'none'}`, t.from[0])
              : evid(`port ${ovs.port.name} on ${ovs.bridge.name}`, ovs.bridge.from[0]),
          );
        }
        out.push({
          code: 'dhcp-server-not-traced',
          role: 'gap',
          severity: 'warning',
          subject: `${h.name}:${dev}`,
          message: `a \`ps\` listing shows dnsmasq${about ? ` (${about})` : ''} running on ${h.name} and serving DHCP on ${dev}: ${place}${port}; ${own ? 'vifpath traces DHCP paths only to a server in a qdhcp namespace, so none is traced to it' : 'until it is placed no DHCP path is traced to it'}`,
          evidence,
          fix,
        });
      }
  return out;
}

/**
 * Where the case lists the ports of `h`'s bridges, so that `tap`'s absence from them is proven: a
 * whole OVSDB listing (ovs-vsctl show, conf.db, ovsdb-client dump: every bridge and port), or a
 * listing of the integration bridge, where Neutron plugs a DHCP port (ovs-vsctl list bridge,
 * ovs-ofctl show). Else `unknown` says why: bridges known only from their flow dumps list no port.
 */
function portsListing(
  h: Host,
  tap: string,
): { evidence: EvidenceItem[] } | { unknown: string; evidence: EvidenceItem[] } {
  // OVSDB knows the interface (a monitor of the Interface table), without its bridge.
  const unplaced = h.unplacedInterfaces.find((i) => i.name === tap);
  if (unplaced)
    return {
      unknown: `OVSDB has the interface ${tap}, but the case does not show its bridge`,
      evidence: [evid(`interface ${tap} in OVSDB`, unplaced.from[0])],
    };
  const whole = h.bridges
    .flatMap((b) => b.from)
    .find((e) => {
      const k = classify(e.file.split('/').pop() ?? e.file)?.kind;
      return k === 'vsctl-show' || k === 'conf-db' || k === 'ovsdb-dump';
    });
  if (whole)
    return {
      evidence: [evid(`${h.name}'s bridges and their ports, without ${tap}`, { file: whole.file, line: 0 })],
    };
  const integration = h.bridges.filter(
    (b) =>
      b.from.length > 0 && bridgeRole(h, b).role === 'integration' && !findExcerpt(h, 'ofctl-show', b.name),
  );
  if (integration.length)
    return {
      evidence: integration.map((b) =>
        evid(`ports of ${b.name}, without ${tap}: ${b.ports.map((p) => p.name).join(', ')}`, {
          file: b.from[0]!.file,
          line: 0,
        }),
      ),
    };
  const flowsOnly = h.bridges.filter((b) => b.from.length === 0).map((b) => b.name);
  const listed = h.bridges.filter((b) => b.from.length > 0).map((b) => b.name);
  return {
    unknown: `the case lists no port of ${h.name}'s integration bridge${listed.length ? ` (it lists ${listed.join(', ')}'s only)` : ''}${flowsOnly.length ? `; ${flowsOnly.join(', ')} ${flowsOnly.length > 1 ? 'are' : 'is'} known from ${flowsOnly.length > 1 ? 'their' : 'its'} flow dump${flowsOnly.length > 1 ? 's' : ''} alone, which name${flowsOnly.length > 1 ? '' : 's'} no port list` : ''} (no ovs-vsctl show, ovs-ofctl show br-int or conf.db of ${h.name})`,
    evidence: [],
  };
}
