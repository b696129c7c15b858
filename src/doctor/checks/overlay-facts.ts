// Shared facts for the overlay checks: the tunnel interfaces of a host with their options and
// evidence, and the underlay addresses the case proves each host owns.

import { nodesOf, type TraceNode } from '../../dataplane/tree.ts';
import type { TunnelConfig } from '../../dataplane/tunnel.ts';
import { tunnelConfig } from '../../dataplane/tunnel.ts';
import type { Evidence } from '../../model/evidence.ts';
import type { Bridge, Host, Interface } from '../../model/snapshot.ts';
import { type DoctorContext, reachedServer, type VmPort } from '../context.ts';
import { unprovenAt } from '../proof.ts';

export interface TunnelIface {
  host: Host;
  bridge: Bridge;
  iface: Interface;
  cfg: TunnelConfig;
  /** Where the options were read (the interface's options, else its first sighting). */
  from?: Evidence;
}

export function tunnelsOf(h: Host): TunnelIface[] {
  const out: TunnelIface[] = [];
  for (const b of h.bridges)
    for (const p of b.ports)
      for (const i of p.interfaces) {
        const cfg = tunnelConfig(h.name, i.name, i);
        if (!cfg) continue;
        const from = i.options.known ? i.options.from[0] : i.from[0];
        out.push({ host: h, bridge: b, iface: i, cfg, ...(from ? { from } : {}) });
      }
  return out;
}

/** Addresses a host owns, as the trace world worked them out (ip addr, else agent local_ip / tunnel local_ip). */
export function addressesOf(ctx: DoctorContext, host: string): string[] {
  return [...ctx.world.owners].filter(([, o]) => o.host === host).map(([a]) => a);
}

export function optionsText(t: TunnelIface): string {
  const o = t.iface.options.known ? t.iface.options.value : {};
  const keys = ['remote_ip', 'local_ip', 'key', 'in_key', 'out_key', 'dst_port'];
  return keys
    .filter((k) => o[k] !== undefined)
    .map((k) => `${k}=${o[k]}`)
    .join(', ');
}

export const RESTART_AGENT = 'systemctl restart neutron-openvswitch-agent';

/**
 * Every tunnel hop of every DISCOVER that does not reach its server: where overlay checks look.
 * A hop the trace reached only through a step the case does not show (NORMAL assumed on a tunnel
 * bridge floods to every tunnel port, with no key) is not one the DISCOVER is known to take.
 */
export function tunnelHopsOfFailedDiscovers(
  ctx: DoctorContext,
): { vm: VmPort; n: Extract<TraceNode, { kind: 'tunnel' }> }[] {
  const out: { vm: VmPort; n: Extract<TraceNode, { kind: 'tunnel' }> }[] = [];
  for (const vm of ctx.vms) {
    const t = ctx.discover.get(vm);
    if (!t || reachedServer(ctx, vm)) continue;
    for (const n of nodesOf(t.tree, 'tunnel')) if (!unprovenAt(ctx.world, t, n)) out.push({ vm, n });
  }
  return out;
}
