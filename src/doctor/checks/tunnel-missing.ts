// The VM's host has no tunnel to the host of the DHCP server (l2population never created it), or
// has one that the flood flow of br-tun table 22 leaves out: the DISCOVER never enters the tunnel.
import { nodesOf, ruleText } from '../../dataplane/tree.ts';
import { neutronTunnelName } from '../../dataplane/tunnel.ts';
import { tableFlows } from '../../model/flows.ts';
import { findExcerpt } from '../../model/snapshot.ts';
import type { Flow } from '../../openflow/types.ts';
import { reachedServer } from '../context.ts';
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { vlanOf } from './drop-evidence.ts';
import { excerptGap } from './excerpt.ts';
import { addressesOf, RESTART_AGENT, tunnelsOf } from './overlay-facts.ts';

export const tunnelMissing: Check = {
  id: 'tunnel-missing',
  title: 'no tunnel to the DHCP server host, or the flood flow leaves it out',
  run(ctx) {
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const vm of ctx.vms) {
      const t = ctx.discover.get(vm);
      if (!t || reachedServer(ctx, vm)) continue;
      const mine = tunnelsOf(vm.host);
      if (mine.length === 0) continue; // not an overlay host
      const tunnelled = new Set(
        nodesOf(t.tree, 'tunnel').map((n) => `${n.from.host}\u0000${n.from.remote_ip}`),
      );
      for (const srv of ctx.servers) {
        if (srv.host === vm.host) continue;
        const addrs = addressesOf(ctx, srv.host.name);
        if (addrs.length === 0) continue;
        if (addrs.some((a) => tunnelled.has(`${vm.host.name}\u0000${a}`))) continue;
        const key = `${vm.host.name}\u0000${srv.host.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const toSrv = mine.filter((x) => x.cfg.remoteIp && addrs.includes(x.cfg.remoteIp));
        const others = mine.map((x) => evid(`${x.iface.name}: remote_ip=${x.cfg.remoteIp ?? '?'}`, x.from));
        // A port named for the server's host (Neutron's <type>-<hex ip>) that points elsewhere is
        // tunnel-remote's finding, not a missing port.
        const misnamed = mine.some((x) =>
          addrs.some((a) => neutronTunnelName(x.cfg.type, a) === x.iface.name),
        );
        if (toSrv.length === 0 && misnamed) continue;
        // A tunnel to that host may be a port the excerpt leaves out.
        const hidden = findExcerpt(vm.host, 'ovsdb');
        if (toSrv.length === 0 && hidden) {
          out.push(
            excerptGap(
              vm.host,
              hidden,
              `${vm.host.name}:${mine[0]!.bridge.name}`,
              `${vm.host.name} shows no tunnel to ${srv.host.name} (${addrs.join(', ')}), where the DHCP server ${srv.ns.name} is`,
              `whether it has one`,
              others,
            ),
          );
          continue;
        }
        if (toSrv.length === 0) {
          out.push({
            code: 'tunnel-port-missing',
            severity: 'error',
            subject: `${vm.host.name}:${mine[0]!.bridge.name}`,
            message: `${vm.host.name} has no tunnel to ${srv.host.name} (${addrs.join(', ')}), where the DHCP server ${srv.ns.name} is: the DISCOVER of ${vm.port.name} never reaches it`,
            rootCause:
              "the OVS agent did not create the tunnel port: with l2_population it adds a tunnel only when the server tells it a port of the network is on that host (the DHCP agent's port not bound, an l2pop message lost, or the other agent's local_ip/tunnel_types not reported)",
            evidence: [
              evid(`${srv.host.name} owns ${addrs.join(', ')}`),
              evid(`${vm.host.name}'s tunnels:`),
              ...others,
            ],
            fix: [
              `openstack network agent list --host ${srv.host.name}   # the L2 agent alive, tunnel_types and local_ip reported`,
              `${RESTART_AGENT}   # on ${vm.host.name}: a full sync recreates the tunnel ports`,
            ],
          });
          continue;
        }
        // The port exists: is it in the flood flow of the VM's local VLAN?
        const tag = vm.port.tag.known ? vm.port.tag.value : null;
        for (const tp of toSrv) {
          const flows = tp.bridge.flows.known ? tableFlows(tp.bridge.flows.value, 22) : [];
          const ofport = tp.iface.ofport.known ? tp.iface.ofport.value : null;
          const outputsTo = (f: Flow): boolean =>
            f.actions.some(
              (a) =>
                a.type === 'output' &&
                ((a.port.kind === 'name' && a.port.name === tp.iface.name) ||
                  (a.port.kind === 'number' && a.port.n === ofport)),
            );
          // Neutron's FLOOD_TO_TUN: table 22, one flow per local VLAN.
          const mineFlood = flows.filter(
            (f) =>
              f.flow.table === 22 && vlanOf(f.flow) !== undefined && (tag === null || vlanOf(f.flow) === tag),
          );
          if (mineFlood.length === 0 || mineFlood.some((f) => outputsTo(f.flow))) continue;
          out.push({
            code: 'tunnel-flood-missing',
            severity: 'error',
            subject: `${vm.host.name}:${tp.bridge.name}:${tp.iface.name}`,
            message: `${vm.host.name}'s flood flow for VLAN ${tag ?? '?'} (br-tun table 22) does not output to ${tp.iface.name}, the tunnel to ${srv.host.name}: broadcasts such as the DISCOVER never reach the DHCP server`,
            rootCause:
              "l2population's flooding entry for that host was never added (or was removed): the agent adds the tunnel to table 22 when the server reports a port of the network there",
            evidence: [
              ...mineFlood.map((f) =>
                evid(
                  `${ruleText(f)}${f.flow.stats.n_packets !== undefined ? ` (n_packets=${f.flow.stats.n_packets})` : ''}`,
                  f.from,
                ),
              ),
              evid(`${tp.iface.name}: remote_ip=${tp.cfg.remoteIp}`, tp.from),
            ],
            fix: [`${RESTART_AGENT}   # on ${vm.host.name}: re-installs the flood flows from l2pop`],
          });
        }
      }
    }
    return out;
  },
};
