// The DISCOVER arrives through the tunnel, but the receiving br-tun has no TUN_TO_LV flow for the
// key it carries (table 4 VXLAN, 3 GRE, 6 Geneve): the sender's flood or unicast flow sets a
// tun_id the receiver does not map (segmentation ids disagree, or a stale flow on the sender).
import { nodesOf, ruleText, type TraceNode, walk } from '../../dataplane/tree.ts';
import { tableFlows } from '../../model/flows.ts';
import type { Finding } from '../finding.ts';
import { provenDropped, unprovenAt } from '../proof.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { RESTART_AGENT } from './overlay-facts.ts';

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
        const k = `${to.host}\u0000${n.from.key}`;
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
        out.push({
          code: 'tunnel-key-unmapped',
          severity: 'error',
          subject: `${to.host}:${to.bridge}`,
          message: `${n.from.host} sends the DISCOVER with ${n.from.type} key ${n.from.key}, but ${to.host} ${to.bridge} table ${table} maps ${maps.length ? `only ${maps.map((e) => ruleText(e).match(/tun_id=(\S+?)[, ]/)?.[1] ?? '?').join(', ')}` : 'no key'}: it is dropped on arrival`,
          rootCause:
            'the two hosts disagree on the segmentation id of the network (a stale flood/unicast flow on the sender, or a stale provisioning on the receiver)',
          evidence: [
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
          ],
          fix: [
            'openstack network show <network> -c provider:segmentation_id   # the key both sides must use',
            `${RESTART_AGENT}   # on ${n.from.host} and ${to.host}: both re-install the segment's flows`,
          ],
        });
      }
    }
    return out;
  },
};
