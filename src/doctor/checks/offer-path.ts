// The way back: an OFFER from the DHCP port to the VM, traced like the DISCOVER.

import { reachedServer } from '../context.ts';
import type { Finding } from '../finding.ts';
import { provenDropped } from '../proof.ts';
import type { Check } from './check.ts';
import { dropEvidence, dropText } from './drop-evidence.ts';

export const offerPath: Check = {
  id: 'offer-path',
  title: 'OFFER from the DHCP port back to the VM',
  run(ctx) {
    const out: Finding[] = [];
    for (const vm of ctx.vms) {
      const d = ctx.discover.get(vm);
      const o = ctx.offer.get(vm);
      if (!o || !d || !reachedServer(ctx, vm)) continue;
      // Only a proven drop is a fault; an OFFER path that leaves the case (or rests on a step the
      // case does not show) is the undecided headline's.
      if (!provenDropped(ctx.world, o)) continue;
      out.push({
        code: 'offer-dropped',
        severity: 'error',
        subject: `${vm.host.name}:${vm.port.name}`,
        message: `the DISCOVER reaches the DHCP server but an OFFER back to ${vm.port.name} ${dropText(o)}`,
        evidence: dropEvidence(o, 'the DHCP OFFER'),
        fix: [
          '# compare the return-path translation flows (local VLAN ↔ segmentation id) on every bridge of the path',
        ],
      });
    }
    return out;
  },
};
