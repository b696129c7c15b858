// One host of the case runs tunnels (tunnel ports, or tunnel_types in its agent config) and another
// has tunnel_types set empty: that agent never builds br-tun tunnels, the overlay is one-sided.
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { RESTART_AGENT, tunnelsOf } from './overlay-facts.ts';

export const tunnelTypes: Check = {
  id: 'tunnel-types',
  title: 'tunnel_types empty on a host while others use tunnels',
  run(ctx) {
    const out: Finding[] = [];
    const users = ctx.snapshot.hosts.filter(
      (h) => tunnelsOf(h).length > 0 || (h.agentConfig?.tunnelTypes?.value.length ?? 0) > 0,
    );
    if (users.length === 0) return out;
    const types = new Set(
      users.flatMap((h) => [
        ...tunnelsOf(h).map((t) => t.cfg.type),
        ...(h.agentConfig?.tunnelTypes?.value ?? []),
      ]),
    );
    for (const h of ctx.snapshot.hosts) {
      const tt = h.agentConfig?.tunnelTypes;
      if (!tt || tt.value.length > 0 || tunnelsOf(h).length > 0) continue;
      out.push({
        code: 'tunnel-types-empty',
        severity: 'warning',
        subject: `${h.name}`,
        message: `${h.name}'s OVS agent has tunnel_types empty while ${users.map((u) => u.name).join(', ')} use ${[...types].join('/')} tunnels: it builds no tunnels, so tunnelled networks do not reach its ports`,
        evidence: [evid('tunnel_types =', { file: h.agentConfig!.file, line: tt.line })],
        fix: [
          `# set [agent] tunnel_types = ${[...types].join(',')} and [ovs] local_ip in ${h.agentConfig!.file}, then`,
          `${RESTART_AGENT}   # changes state, on ${h.name}`,
        ],
      });
    }
    return out;
  },
};
