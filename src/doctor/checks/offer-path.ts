// The way back: an OFFER from the DHCP port to the VM, traced like the DISCOVER.

import { type TaggedArrival, tagCollect, taggedArrivals, taggedText } from '../../dataplane/tagged.ts';
import { endpointIs, nodesOf, ruleText } from '../../dataplane/tree.ts';
import { findPort } from '../../model/snapshot.ts';
import { type DoctorContext, reachedServer, type VmPort } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { provenDelivered, provenDropped, provenReaches, unprovenAt } from '../proof.ts';
import { type Check, evid } from './check.ts';
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
      const tagged = offerTagged(ctx, vm);
      if (tagged.length) out.push(taggedFinding(ctx, vm, tagged));
    }
    return out;
  },
};

/**
 * The OFFER the flows deliver to the VM's port only tagged (no proven untagged copy reaches it):
 * the guest's eth0 ignores an 802.1Q frame, so the way back does not work though OVS outputs it.
 * Only arrivals on steps the case shows (proof.ts); an output below an unproven step is the
 * undecided headline's as any other.
 */
export function offerTagged(ctx: DoctorContext, vm: VmPort): TaggedArrival[] {
  const o = ctx.offer.get(vm);
  if (!o || !provenDelivered(ctx.world, o)) return [];
  const shown = (n: Parameters<typeof unprovenAt>[2] & { uncertain?: unknown }): boolean =>
    !n.uncertain && !unprovenAt(ctx.world, o, n);
  const target = o.target ?? [];
  const untagged = nodesOf(o.tree, 'output').some(
    (n) => n.vlan === null && shown(n) && target.some((x) => endpointIs(n, x)),
  );
  return untagged ? [] : taggedArrivals(ctx.snapshot, o).filter((a) => shown(a.node));
}

/**
 * Known (an explicit output keeps the tag; NORMAL onto a port without tag sends it tagged): the
 * cause, with the flow or the port fact that makes it so. Unknown (NORMAL onto a port whose tag
 * the case does not give, taken as a trunk): a gap, with the Port row to collect.
 */
function taggedFinding(ctx: DoctorContext, vm: VmPort, all: TaggedArrival[]): Finding {
  const subject = `${vm.host.name}:${vm.port.name}`;
  const known = all.filter((a) => a.known);
  const a = known[0] ?? all[0]!;
  const portRow = tagCollect(a);
  if (!known.length)
    return {
      code: 'offer-tagged-unknown',
      role: 'gap',
      severity: 'warning',
      subject,
      message: `the OFFER back ${taggedText(a)}; whether it leaves tagged rests on the port's tag, which the case does not give`,
      evidence: [
        evid(`NORMAL outputs the OFFER to ${a.port} in VLAN ${a.vlan} (on ${a.host} ${a.node.bridge})`),
      ],
      fix: [`${portRow}: its tag (an access port gets the OFFER untagged)`],
    };
  const ev: EvidenceItem[] = [];
  const fix: string[] = [];
  if (a.by.kind === 'output') {
    const f = a.by.flow;
    const n = f?.flow.stats.n_packets;
    ev.push(
      evid(
        f
          ? `the OFFER is output to ${a.port} tagged VLAN ${a.vlan} by \`${ruleText(f)}\`${n !== undefined ? ` (n_packets=${n})` : ''}: \`${a.by.action}\` keeps the frame's tag`
          : `the OFFER is output to ${a.port} tagged VLAN ${a.vlan} by \`${a.by.action}\` (on ${a.host} ${a.node.bridge}): an explicit output keeps the frame's tag`,
        f?.from,
      ),
    );
    fix.push(
      `# ${f ? `the flow at ${f.from.file}:${f.from.line}` : `\`${a.by.action}\``} outputs to ${a.port} without removing the VLAN: an output to a VM port needs strip_vlan (pop_vlan) before it, as the agent's own flows do; find what added that flow, and remove or correct it there`,
    );
  } else
    fix.push(
      `# ${a.port} has no tag, so NORMAL sends it VLAN ${a.vlan} tagged: a VM port needs its network's local VLAN as tag, which the OVS agent sets when it binds the port (see its log)`,
    );
  const h = ctx.snapshot.hosts.find((x) => x.name === a.host);
  const tag = h ? findPort(h, a.port)?.port.tag : undefined;
  if (tag?.known)
    ev.push(
      evid(
        tag.value === null ? `port ${a.port} has no tag` : `port ${a.port} has tag ${tag.value}`,
        tag.from[0],
      ),
    );
  fix.push(portRow);
  return {
    code: 'offer-tagged',
    severity: 'error',
    subject,
    message: `the DISCOVER reaches the DHCP server but the OFFER back ${taggedText(a)}`,
    evidence: ev,
    fix,
  };
}
