// A flow that drops DHCP itself (security-group or anti-spoofing style), with its counters.
import { dumpFlowsCommand, ofctl } from '../../model/ovs-version.ts';
import { formatFlowMatch } from '../../openflow/flow.ts';
import { operands } from '../../runner/runner.ts';
import type { Finding } from '../finding.ts';
import { provenDropped } from '../proof.ts';
import type { Check } from './check.ts';
import { dropEvidence, matchesDhcp } from './drop-evidence.ts';

export const dhcpDropFlow: Check = {
  id: 'dhcp-drop-flow',
  title: 'a flow drops DHCP',
  run(ctx) {
    const out: Finding[] = [];
    for (const vm of ctx.vms)
      for (const [what, t] of [
        ['DISCOVER', ctx.discover.get(vm)],
        ['OFFER', ctx.offer.get(vm)],
      ] as const) {
        // A drop on one branch is the cause only when every branch is proven dead: another one may
        // leave the case (or rest on a step it does not show) and arrive.
        if (!t || !provenDropped(ctx.world, t)) continue;
        const d = t.drop;
        if (!d?.entry || !matchesDhcp(d.entry.flow)) continue;
        const dh = ctx.snapshot.hosts.find((x) => x.name === d.host);
        out.push({
          code: 'dhcp-drop-flow',
          severity: 'error' as const,
          subject: `${d.host}:${d.bridge}`,
          message: `a flow on ${d.host} ${d.bridge} drops DHCP: the ${what} for ${vm.port.name} hits \`${d.flow}\`${d.n_packets !== undefined ? ` (n_packets=${d.n_packets})` : ''}`,
          rootCause:
            'a security-group or firewall rule blocks DHCP (Neutron always allows udp 68→67 from the port and 67→68 to it)',
          evidence: dropEvidence(t, `the DHCP ${what}`),
          fix: [
            `# find who installed it (cookie) and the security group rules of the port`,
            `${dumpFlowsCommand(dh, d.bridge)} | grep -E 'tp_(src|dst)=6[78]'`,
            `# remove it (after fixing its source, or it comes back): ${ofctl(dh)} --strict del-flows ${operands(d.bridge, `table=${d.entry.flow.table},${formatFlowMatch(d.entry.flow)}`)}`,
          ],
        });
      }
    return out;
  },
};
