// The way back: an OFFER from the DHCP port to the VM, traced like the DISCOVER.

import { reachedServer } from '../context.ts';
import type { Finding } from '../finding.ts';
import { provenDropped, provenReaches } from '../proof.ts';
import type { Check } from './check.ts';
import { dropEvidence, dropText } from './drop-evidence.ts';
import { offerFrom, serverFault } from './server-bearing.ts';

export const offerPath: Check = {
  id: 'offer-path',
  title: 'OFFER from the DHCP port back to the VM',
  run(ctx) {
    const out: Finding[] = [];
    for (const vm of ctx.vms) {
      const d = ctx.discover.get(vm);
      if (!d || !reachedServer(ctx, vm)) continue;
      // The OFFER of every server the DISCOVER provably reaches (dhcp_agents_per_network > 1):
      // one server whose answer comes back is enough, so another's dropped way back is lost
      // redundancy when that one is proven working (server-bearing.ts), else a cause.
      const reached = ctx.servers.filter((x) =>
        provenReaches(ctx.world, d, { host: x.host.name, name: x.ns.name }),
      );
      const chosen = ctx.offerServer?.get(vm);
      const several = reached.length > 1;
      for (const srv of reached) {
        const o = srv === chosen ? ctx.offer.get(vm) : offerFrom(ctx, vm, srv);
        // Only a proven drop is a fault; an OFFER path that leaves the case (or rests on a step the
        // case does not show) is the undecided headline's.
        if (!o || !provenDropped(ctx.world, o)) continue;
        const finding: Finding = {
          code: 'offer-dropped',
          severity: 'error',
          subject: `${vm.host.name}:${vm.port.name}`,
          message: `the DISCOVER reaches the DHCP server${several ? ` ${srv.ns.name} on ${srv.host.name}` : ''} but an OFFER back to ${vm.port.name} ${dropText(o)}`,
          evidence: dropEvidence(o, `the DHCP OFFER${several ? ` from ${srv.host.name}` : ''}`),
          fix: [
            '# compare the return-path translation flows (local VLAN ↔ segmentation id) on every bridge of the path',
          ],
        };
        out.push(several ? serverFault(ctx, srv, finding, { vms: [vm] }) : finding);
      }
    }
    return out;
  },
};
