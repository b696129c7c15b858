// The DISCOVER arrives through the tunnel, but the receiving br-tun has no TUN_TO_LV flow for the
// key it carries (table 4 VXLAN, 3 GRE, 6 Geneve): the sender's flood or unicast flow sets a
// tun_id the receiver does not map (segmentation ids disagree, or a stale flow on the sender).
// Only toward a DHCP server the case puts on the VM's network: the agent maps a key in that table
// only for a network with a port on the host (provision_local_vlan), and the table's default drop
// discards every other key by design. So a receiver whose servers are all on other networks (or
// that has none) is no one's concern here, and one the case cannot place is a gap, never an error.
// Keys that differ do not place the server (that they differ is the question): the network ids do,
// the segment both agents recorded on the ports, or a key both hosts give the two ports.
import { nodesOf, ruleText, type TraceNode, walk } from '../../dataplane/tree.ts';
import { tableFlows } from '../../model/flows.ts';
import { operands, shellWord } from '../../runner/runner.ts';
import type { DhcpServer, VmPort } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { provenDropped, unprovenAt } from '../proof.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { RESTART_AGENT, type ServerNetwork, serverNetwork, tunnelsOf } from './overlay-facts.ts';
import { keyOption } from './tunnel-endpoints.ts';
import { serverNetId, vmNetworkCommands } from './vm-network.ts';

const TUN_TO_LV: Record<string, number> = { vxlan: 4, gre: 3, geneve: 6 };

export const tunnelKey: Check = {
  id: 'tunnel-key',
  title: 'the receiving br-tun does not map the tunnel key',
  run(ctx) {
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const vm of ctx.vms) {
      const t = ctx.discover.get(vm);
      // A drop on one branch is the cause only when no branch of the DISCOVER may arrive.
      if (!t || !provenDropped(ctx.world, t)) continue;
      // The DHCP server's host first: that is the branch the verdict is about.
      const onServer = (x: { to: { host: string } | null }): number =>
        x.to && ctx.servers.some((s) => s.host.name === x.to!.host) ? 0 : 1;
      for (const n of nodesOf(t.tree, 'tunnel').sort((a, b) => onServer(a) - onServer(b))) {
        const to = n.to;
        const table = TUN_TO_LV[n.from.type];
        // The key must be the one the sender's flows set, not one an assumed NORMAL left.
        if (!to || table === undefined || unprovenAt(ctx.world, t, n)) continue;
        // The drop in the receiver's TUN_TO_LV table, in this tunnel's subtree.
        let dropped: Extract<TraceNode, { kind: 'drop' }> | undefined;
        for (const { node } of walk(n))
          if (
            node.kind === 'drop' &&
            node.host === to.host &&
            node.bridge === to.bridge &&
            node.table === table
          ) {
            dropped = node;
            break;
          }
        if (!dropped) continue;
        // The DHCP servers on the receiving host, placed on the VM's network or not.
        const placed = ctx.servers
          .filter((srv) => srv.host.name === to.host)
          .map((srv) => ({ srv, net: serverNetwork(vm, srv, { keysInQuestion: true }) }));
        const mine = placed.find((x) => x.net.on === 'same');
        const open = placed.filter((x) => x.net.on === 'unknown');
        if (!mine && open.length === 0) continue;
        const k = mine
          ? `${to.host}\u0000${n.from.key}`
          : `${vm.host.name}\u0000${vm.port.name}\u0000${to.host}\u0000${n.from.key}`;
        if (seen.has(k)) continue;
        seen.add(k);
        const h = ctx.snapshot.hosts.find((x) => x.name === to.host);
        const b = h?.bridges.find((x) => x.name === to.bridge);
        const maps = (b?.flows.known ? tableFlows(b.flows.value, table) : []).filter((e) =>
          e.flow.match.some((m) => m.kind === 'field' && m.field === 'tun_id'),
        );
        // Where the sender set the key: the table whose lookup changed tun_id on the sending host.
        let setter: Extract<TraceNode, { kind: 'table' }> | undefined;
        for (const { node } of walk(t.tree))
          if (
            node.kind === 'table' &&
            node.host === n.from.host &&
            node.bridge === n.from.bridge &&
            node.flow &&
            node.after &&
            node.after.tun_id !== node.before.tun_id &&
            `0x${node.after.tun_id.toString(16)}` === n.from.key
          )
            setter = node;
        const keysMapped = maps.length
          ? `only ${maps.map((e) => ruleText(e).match(/tun_id=(\S+?)[, ]/)?.[1] ?? '?').join(', ')}`
          : 'no key';
        const shown: EvidenceItem[] = [
          ...(setter?.flow
            ? [evid(`${n.from.host} ${n.from.bridge}: ${ruleText(setter.flow)}`, setter.flow.from)]
            : []),
          ...maps.map((e) => evid(`${to.host} ${to.bridge}: ${ruleText(e)}`, e.from)),
          ...(dropped.flow
            ? [
                evid(
                  `${to.host} ${to.bridge} drops: ${ruleText(dropped.flow)}${dropped.flow.flow.stats.n_packets !== undefined ? ` (n_packets=${dropped.flow.flow.stats.n_packets})` : ''}`,
                  dropped.flow.from,
                ),
              ]
            : []),
        ];
        if (!mine) {
          out.push(
            unplaced(
              vm,
              open,
              `${n.from.host} sends the DISCOVER of ${vm.port.name} with ${n.from.type} key ${n.from.key}, and ${to.host} ${to.bridge} table ${table} maps ${keysMapped}: it is dropped on arrival`,
              shown,
            ),
          );
          continue;
        }
        // The sender's tunnel port fixes the key (options key= or out_key= a number): the flows
        // set the network's key and OVS replaces it on output. That, not the segment, is the cause.
        const sender = ctx.snapshot.hosts.find((x) => x.name === n.from.host);
        const tp = sender ? tunnelsOf(sender).find((x) => x.iface.name === n.from.port) : undefined;
        if (tp && tp.cfg.outKey !== 'flow' && `0x${tp.cfg.outKey.toString(16)}` === n.from.key) {
          const set = setter?.flow && setter.before.tun_id !== setter.after?.tun_id ? setter : undefined;
          const flowKey =
            (set?.after ? `0x${set.after.tun_id.toString(16)}` : undefined) ??
            (keysMapped.startsWith('only ') ? keysMapped.slice(5) : 'another');
          out.push(
            keyOption(
              tp,
              'out',
              flowKey,
              `${to.host} ${to.bridge} table ${table} maps ${keysMapped}, so the DISCOVER, sent with ${n.from.key}, is dropped on arrival`,
              [...mine.net.evidence, ...shown],
            ),
          );
          continue;
        }
        const netId = serverNetId(mine.srv);
        out.push({
          code: 'tunnel-key-unmapped',
          severity: 'error',
          subject: `${to.host}:${to.bridge}`,
          message: `${n.from.host} sends the DISCOVER with ${n.from.type} key ${n.from.key}, but ${to.host} ${to.bridge} table ${table} maps ${keysMapped}: it is dropped on arrival, though the DHCP server ${mine.srv.ns.name} there is on ${vm.port.name}'s network`,
          rootCause:
            'the two hosts disagree on the segmentation id of the network (a stale flood/unicast flow on the sender, or a stale provisioning on the receiver)',
          evidence: [...mine.net.evidence, ...shown],
          fix: [
            `openstack network show -c provider:segmentation_id ${netId ? operands(netId) : '<network>'}   # the key both sides must use`,
            `${RESTART_AGENT}   # changes state, on ${n.from.host} and ${to.host}: both re-install the segment's flows`,
          ],
        });
      }
    }
    return out;
  },
};

/**
 * The DISCOVER dropped on arrival at a host whose DHCP server(s) the case does not place on the
 * VM's network: a fault (the hosts disagree on the network's key) only if one is on it; else the
 * drop is br-tun discarding another network's key, as it should. What would place it: the VM
 * port's network, the server's network's segmentation id, the DHCP port's net_uuid.
 */
function unplaced(
  vm: VmPort,
  open: { srv: DhcpServer; net: ServerNetwork }[],
  says: string,
  seen: EvidenceItem[],
): Finding {
  const names = open.map((x) => x.srv.ns.name).join(', ');
  const whys = [...new Set(open.map((x) => x.net.why ?? 'nothing places it'))].join('; ');
  return {
    code: 'tunnel-key-network-unknown',
    role: 'gap',
    severity: 'warning',
    subject: `${vm.host.name}:${vm.port.name}`,
    message: `${says}; that is a fault (the hosts disagree on the network's segmentation id) only if the DHCP server there (${names}) is on ${vm.port.name}'s network, which the case does not say (${whys}): br-tun maps a key only for a network with a port on its host, and drops every other key by design`,
    evidence: [...open.flatMap((x) => x.net.evidence), ...seen],
    fix: [
      ...vmNetworkCommands(vm),
      ...open.flatMap((x) => {
        const id = serverNetId(x.srv);
        const port = x.srv.ovs?.port.name;
        return [
          ...(id
            ? [
                `openstack network show -c provider:network_type -c provider:segmentation_id ${operands(id)}   # the network of ${x.srv.ns.name}: its key`,
              ]
            : []),
          ...(port
            ? [
                `ovs-vsctl --columns=name,other_config list Port ${shellWord(port)}   # on ${x.srv.host.name}: the DHCP port's net_uuid and segmentation_id`,
              ]
            : []),
        ];
      }),
    ],
  };
}
