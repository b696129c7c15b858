// A host of the case whose firewall drops the tunnel protocol (iptables-save: a filter INPUT or
// FORWARD rule dropping UDP 4789 / 8472 / 6081 or GRE) while the DHCP traffic crosses such a
// tunnel: the flows deliver, the underlay does not. The trace does not simulate the underlay (an
// assumption it prints), so this check is what names the cause.
import { nodesOf } from '../../dataplane/tree.ts';
import { shellWord } from '../../runner/runner.ts';
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';

export const tunnelUnderlay: Check = {
  id: 'tunnel-underlay',
  title: 'the underlay firewall drops the tunnel protocol',
  run(ctx) {
    const out: Finding[] = [];
    const hops = [...ctx.discover.values(), ...ctx.offer.values()].flatMap((t) => nodesOf(t.tree, 'tunnel'));
    if (hops.length === 0) return out;
    const seen = new Set<string>();
    for (const h of ctx.snapshot.hosts)
      for (const d of h.iptables?.tunnelDrops ?? []) {
        const crossing = hops.filter((n) => n.from.type === d.tunnel);
        if (crossing.length === 0 || seen.has(`${h.name}\u0000${d.text}`)) continue;
        seen.add(`${h.name}\u0000${d.text}`);
        const pairs = [...new Set(crossing.map((n) => `${n.from.local_ip} -> ${n.from.remote_ip}`))];
        out.push({
          code: 'tunnel-underlay-drop',
          severity: 'error',
          subject: h.name,
          message: `${h.name}'s firewall drops ${d.tunnel === 'gre' ? 'GRE' : `${d.tunnel.toUpperCase()} (UDP)`} (\`${d.text}\`), and the DHCP traffic crosses ${d.tunnel} tunnels (${pairs.join(', ')}): the flows deliver it, the underlay does not`,
          rootCause:
            'a firewall rule on the tunnel path (host firewall or a filtering bridge) that does not allow the overlay',
          evidence: [
            evid(d.text, d.from),
            ...crossing
              .slice(0, 3)
              .map((n) =>
                evid(
                  `trace: ${n.from.host}:${n.from.port} ${n.from.local_ip} -> ${n.from.remote_ip} key ${n.from.key}`,
                ),
              ),
          ],
          fix: [
            `iptables ${d.text.replace(/^-A /, '-D ').split(/\s+/).map(shellWord).join(' ')}   # on ${h.name}; make it permanent in its firewall configuration`,
          ],
        });
      }
    return out;
  },
};
