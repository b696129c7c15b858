// The DISCOVER arrives through the tunnel on the DHCP server's host, but br-tun's TUN_TO_LV flow
// (table 4 VXLAN, 3 GRE, 6 Geneve) maps its tun_id to a local VLAN that is not the DHCP port's tag.
import { ruleText, type TraceNode, walk } from '../../dataplane/tree.ts';
import type { Finding } from '../finding.ts';
import { provenDropped } from '../proof.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { RESTART_AGENT, tunnelHopsOfFailedDiscovers } from './overlay-facts.ts';

export const tunnelVlanMap: Check = {
  id: 'tunnel-vlan-map',
  title: "tun_id mapped to a local VLAN that is not the DHCP port's",
  run(ctx) {
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const { vm, n } of tunnelHopsOfFailedDiscovers(ctx)) {
      // A drop on one branch is the cause only when no branch of the DISCOVER may arrive.
      if (!n.to || !provenDropped(ctx.world, ctx.discover.get(vm))) continue;
      const srv = ctx.servers.find((s) => s.host.name === n.to!.host);
      const tag = srv?.ovs?.port.tag.known ? srv.ovs.port.tag.value : null;
      if (!srv || tag === null || tag === undefined) continue;
      // The flow on the receiving bridge that tags the frame: the innermost table whose lookup
      // turned the untagged frame into a tagged one (goto_table nests, so the last in walk order).
      let setter: Extract<TraceNode, { kind: 'table' }> | undefined;
      for (const { node } of walk(n))
        if (
          node.kind === 'table' &&
          node.host === n.to.host &&
          node.bridge === n.to.bridge &&
          node.flow &&
          node.after?.vlans.length &&
          node.before.vlans.length === 0
        )
          setter = node;
      const vid = setter?.after?.vlans[0]?.vid;
      if (!setter?.flow || vid === undefined || vid === tag) continue;
      const k = `${n.to.host}\u0000${setter.flow.text}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const fl = setter.flow;
      out.push({
        code: 'tunnel-vlan-map',
        severity: 'error',
        subject: `${n.to.host}:${n.to.bridge}`,
        message: `the DISCOVER arrives on ${n.to.host} through ${n.to.port} with tun_id ${n.from.key}, and ${n.to.bridge} table ${setter.table} maps it to local VLAN ${vid}, but the DHCP port ${srv.ovs!.port.name} has tag ${tag}: it never reaches the server`,
        rootCause:
          "a stale TUN_TO_LV flow: the agent's local VLAN for the network changed (agent restart, port re-bound) and the old mapping was not replaced",
        evidence: [
          evid(
            `${ruleText(fl)}${fl.flow.stats.n_packets !== undefined ? ` (n_packets=${fl.flow.stats.n_packets})` : ''}`,
            fl.from,
          ),
          evid(
            `${srv.ovs!.port.name} tag ${tag}`,
            srv.ovs!.port.tag.known ? srv.ovs!.port.tag.from[0] : undefined,
          ),
        ],
        fix: [
          `${RESTART_AGENT}   # changes state, on ${n.to.host}: re-provisions the local VLAN and its tun_id mapping`,
        ],
      });
    }
    return out;
  },
};
