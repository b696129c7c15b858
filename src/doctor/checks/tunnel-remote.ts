// A tunnel whose remote_ip no host of the case owns while its Neutron name (vxlan-<hex ip>) names a
// host that is in the case: the port points nowhere, frames for that host vanish on the underlay.
import { neutronTunnelName } from '../../dataplane/tunnel.ts';
import { findExcerpt } from '../../model/snapshot.ts';
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { excerptGap } from './excerpt.ts';
import { optionsText, RESTART_AGENT, tunnelsOf } from './overlay-facts.ts';

export const tunnelRemote: Check = {
  id: 'tunnel-remote',
  title: 'tunnel remote_ip that no host has',
  run(ctx) {
    const out: Finding[] = [];
    for (const h of ctx.snapshot.hosts)
      for (const tp of tunnelsOf(h)) {
        const r = tp.cfg.remoteIp;
        if (!r || r === 'flow' || tp.cfg.inferred || ctx.world.owners.has(r)) continue;
        // Which host did Neutron mean? The name encodes the address it was created for.
        const m = /^(?:vxlan|gre|geneve)-([0-9a-f]{8})$/.exec(tp.iface.name);
        const meant = m
          ? [...ctx.world.owners].find(([a]) => neutronTunnelName(tp.cfg.type, a) === tp.iface.name)
          : undefined;
        // An uncollected host, or an address several hosts claim: not a fault the case proves.
        if (meant?.[1].host === undefined) continue;
        // The address may be in lines an excerpt of a host's addresses leaves out.
        const cut = ctx.snapshot.hosts
          .map((x) => ({ x, e: findExcerpt(x, 'devices', null) }))
          .find((c) => c.e !== undefined);
        if (cut) {
          out.push(
            excerptGap(
              cut.x,
              cut.e!,
              `${h.name}:${tp.bridge.name}:${tp.iface.name}`,
              `${tp.iface.name} on ${h.name} sends to remote_ip ${r}, which no host of the case shows`,
              `whether ${cut.x.name} owns it`,
              [evid(`${tp.iface.name}: ${optionsText(tp)}`, tp.from)],
            ),
          );
          continue;
        }
        out.push({
          code: 'tunnel-remote-unknown',
          severity: 'error',
          subject: `${h.name}:${tp.bridge.name}:${tp.iface.name}`,
          message: `${tp.iface.name} on ${h.name} sends to remote_ip ${r}, which no host of the case has; its name says ${meant[0]} (${meant[1].host}): frames for ${meant[1].host} go nowhere (OVS only ARPs for ${r} in vain)`,
          rootCause: `the tunnel was created for another address of ${meant[1].host} (its local_ip changed) or set by hand`,
          evidence: [
            evid(`${tp.iface.name}: ${optionsText(tp)}`, tp.from),
            evid(`${meant[1].host} owns ${meant[0]}`),
          ],
          fix: [
            `ovs-appctl tnl/arp/show   # on ${h.name}: ${r} never resolves`,
            `${RESTART_AGENT}   # changes state, on ${h.name}: the agent recreates tunnels from the peers' reported local_ip`,
          ],
        });
      }
    return out;
  },
};
