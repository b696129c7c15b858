// The DHCP client's own outputs, run by run. Operators bring one from before a fix and one from
// after: each is the run it is, never merged into one story, and when they disagree (one bound,
// one without a lease) that is said, with which file says what; no file says which is the later
// (dhclient -v prints no time), so neither is taken for the present.

import type { DhcpClient, Host } from '../../model/snapshot.ts';
import { shellWord } from '../../runner/runner.ts';
import type { Finding } from '../finding.ts';
import { serverAddresses } from '../server-at-work.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { serverNames, vmServers } from './vm-network.ts';

/** One run in words: what it ended with. */
function outcome(run: DhcpClient): string {
  if (run.lease) return `bound to ${run.lease}`;
  const bad = run.badChecksums ? `, ${run.badChecksums} bad UDP checksum(s)` : '';
  return run.offers === 0
    ? `no OFFER after ${run.discovers} DISCOVER(s)${bad}`
    : `${run.offers} OFFER(s) but no lease${bad}`;
}

export const dhcpClientRuns: Check = {
  id: 'dhcp-client',
  title: "the DHCP client's runs",
  run(ctx) {
    // Runs of one client: the same MAC, or (outputs that name none) the same host.
    const groups = new Map<string, { h: Host; run: DhcpClient }[]>();
    for (const h of ctx.snapshot.hosts)
      for (const run of h.dhcpClients ?? []) {
        const key = run.mac ? `mac\0${run.mac}` : `host\0${h.name}`;
        groups.set(key, [...(groups.get(key) ?? []), { h, run }]);
      }
    const out: Finding[] = [];
    for (const runs of groups.values()) {
      const bound = runs.filter((x) => x.run.lease);
      const failed = runs.filter((x) => !x.run.lease && x.run.discovers > 0);
      if (bound.length === 0 || failed.length === 0) continue;
      const mac = runs[0]!.run.mac;
      const ended = [...failed, ...bound].map(({ run }) => `${run.file}: ${outcome(run)}`);
      out.push({
        code: 'dhcp-client-runs-differ',
        role: 'observation',
        severity: 'info',
        subject: mac ? `DHCP client ${mac}` : `${runs[0]!.h.name}: DHCP client`,
        message: `${runs.length} outputs of the DHCP client${mac ? ` of ${mac}` : ''} are runs of different moments, and they disagree (${ended.join('; ')}): each is read as the run it is; no file says which is the later (dhclient -v prints no time), so if the bound run came after a change, that change made it work`,
        evidence: [...failed, ...bound].map(({ run }) => {
          const at = run.lease ? run.at.bound : (run.at.noOffers ?? run.at.badChecksums);
          return evid(at ? at.text : outcome(run), at ?? { file: run.file, line: 0 });
        }),
        fix: [],
      });
    }
    return out;
  },
};

/**
 * A VM's own DHCP client took an OFFER or ACK from an address that is no DHCP port of its network
 * the case shows: another server answered it (one of the network the case does not hold, or a rogue
 * one on its segment). Said, never counted as the network's server at work (server-at-work.ts).
 */
export const dhcpClientServers: Check = {
  id: 'dhcp-client-servers',
  title: "whose answers the VM's DHCP client took",
  run(ctx) {
    const out: Finding[] = [];
    for (const vm of ctx.vms) {
      const mac = vm.mac?.toLowerCase();
      if (!mac) continue;
      const runs = ctx.snapshot.hosts.flatMap((h) => h.dhcpClients ?? []).filter((r) => r.mac === mac);
      const answers = runs.flatMap((r) => r.answers ?? []);
      if (answers.length === 0) continue;
      const { mine } = vmServers(ctx, vm);
      const own = new Set(mine.flatMap(serverAddresses));
      if (own.size === 0) continue;
      const foreign = answers.filter((a) => !own.has(a.server));
      for (const server of new Set(foreign.map((a) => a.server))) {
        const took = foreign.filter((a) => a.server === server);
        out.push({
          code: 'dhcp-answer-foreign',
          role: 'observation',
          severity: 'warning',
          subject: `${vm.host.name}:${vm.port.name}`,
          message: `${vm.port.name}'s DHCP client (${mac}) took ${[...new Set(took.map((a) => a.type))].join(' and ')} from ${server}, the address of no DHCP port of its network the case shows (${[...own].join(', ')}: ${serverNames(mine)}): another DHCP server answered it, one of its network the case does not hold or a rogue one on its segment; that answer does not show ${serverNames(mine)} at work`,
          evidence: took.slice(-2).map((a) => evid(a.text, a)),
          fix: [
            `openstack port list --fixed-ip ${shellWord(`ip-address=${server}`)} --long   # the Neutron port holding ${server}; none: a server Neutron did not make`,
          ],
        });
      }
    }
    return out;
  },
};
