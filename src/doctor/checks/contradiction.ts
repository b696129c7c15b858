// Contrary evidence beats configuration: what the hosts saw (the VM's DHCP client, dnsmasq's log,
// captures) against what the flows say. A DISCOVER dnsmasq answered "no address available" is a
// cause; a client that got no OFFER while the traces deliver both ways makes healthy impossible.
import { dnsmasqEvents } from '../../model/snapshot.ts';
import { operands, vifpathLine } from '../../runner/runner.ts';
import { reachedServer } from '../context.ts';
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { whereItStops } from './exchange-stop.ts';

export const contradictions: Check = {
  id: 'contradiction',
  title: 'what the hosts saw against what the flows say',
  run(ctx) {
    const out: Finding[] = [];
    const macs = new Set(ctx.vms.flatMap((v) => (v.mac ? [v.mac.toLowerCase()] : [])));
    // dnsmasq saw the DISCOVER and refused it.
    for (const h of ctx.snapshot.hosts)
      for (const e of dnsmasqEvents(h))
        if (
          e.type === 'DHCPDISCOVER' &&
          e.note &&
          /no address|ignored/.test(e.note) &&
          (!e.mac || macs.size === 0 || macs.has(e.mac))
        )
          out.push({
            code: 'dnsmasq-refused',
            role: 'cause',
            severity: 'error',
            subject: `${h.name}:${e.iface}`,
            message: `dnsmasq received the DISCOVER${e.mac ? ` from ${e.mac}` : ''} on ${e.iface} and answered nothing: "${e.note}"`,
            rootCause: e.note.includes('no address')
              ? 'dnsmasq has no address for this client: no host entry it can read for the MAC (an unreadable or stale hosts file, e.g. after `cannot read …/host: Permission denied`) and no dynamic range'
              : 'dnsmasq ignores this client (a host entry with `ignore`, or a tag without a range)',
            confirm: `look in dnsmasq's log for 'cannot read' and check the hosts file: grep -n ${operands(e.mac ?? '<mac>')} /var/lib/neutron/dhcp/*/host`,
            evidence: [evid(`DHCPDISCOVER(${e.iface})${e.mac ? ` ${e.mac}` : ''} ${e.note}`, e.from)],
            fix: [
              'systemctl restart neutron-dhcp-agent   # changes state: rewrites the hosts file and reloads dnsmasq',
            ],
          });
    // The traces deliver both ways, but the client or the server says otherwise.
    const delivered = ctx.vms.filter(
      (vm) => reachedServer(ctx, vm) && ctx.offer.get(vm)?.verdict === 'delivered',
    );
    if (delivered.length === 0) return out;
    // What a host saw is this VM's only when the host is the VM (wired to its port) or the case
    // has one VM: a client's output is never pinned on another VM.
    const serverHosts = new Set(ctx.servers.map((x) => x.host.name));
    const single = ctx.vms.length === 1;
    const clientHosts = (vm: (typeof delivered)[number]): Set<string> => {
      const out = new Set<string>([vm.host.name]);
      for (const l of ctx.snapshot.links)
        for (const [me, far] of [
          [l.a, l.b],
          [l.b, l.a],
        ] as const)
          if (me.host === vm.host.name && me.iface === vm.port.name) out.add(far.host);
      return out;
    };
    for (const vm of delivered) {
      const mine = clientHosts(vm);
      const hosts = ctx.snapshot.hosts.filter((h) => single || mine.has(h.name));
      // A client of this VM that got its lease settles it: the exchange worked (whatever a capture
      // missed). Not when another run of a client failed: runs of different moments are each
      // what they are (dhcp-client.ts says they differ), one's lease does not undo another's failure.
      // A client whose output names another MAC is another VM's.
      const vmMac = vm.mac?.toLowerCase();
      const runs = hosts.flatMap((h) =>
        (h.dhcpClients ?? []).filter((c) => !c.mac || !vmMac || c.mac === vmMac).map((c) => ({ h, c })),
      );
      const failed = runs.filter(({ c }) => c.lease === null && c.discovers > 0);
      const bound = runs.filter(({ c }) => c.lease);
      if (bound.length > 0 && failed.length === 0) continue;
      const seen: { text: string; from?: { file: string; line: number } }[] = [];
      for (const { h, c } of failed)
        seen.push({
          text: `${h.name}'s DHCP client (${c.file}) sent ${c.discovers} DISCOVER(s) and ${c.offers === 0 ? 'received no OFFER' : `received ${c.offers} OFFER(s) but no lease`}`,
          from: c.at.noOffers ?? { file: c.file, line: 0 },
        });
      if (seen.length > 0)
        for (const { c } of bound)
          seen.push({
            text: `another run (${c.file}) got ${c.lease}: the outputs are of different moments, and which is the later they do not say`,
            ...(c.at.bound ? { from: c.at.bound } : {}),
          });
      for (const h of hosts) {
        // At the server a capture may see only what it receives; the client's side is what counts.
        if (!serverHosts.has(h.name))
          for (const cap of h.captures ?? [])
            if (
              cap.sightings.some((x) => x.type === 'DISCOVER') &&
              !cap.sightings.some((x) => x.type === 'OFFER' || x.type === 'ACK')
            )
              seen.push({
                text: `the capture at ${cap.point} shows DISCOVERs and no OFFER`,
                from: { file: cap.file, line: 0 },
              });
      }
      if (seen.length === 0) continue;
      // Where it stops, as each DHCP server that may be the VM's saw it (its dnsmasq log, a capture
      // at its device), never another network's; only beside a sign that the VM asked: a log
      // without its DISCOVER says nothing of a VM that has not asked since the log began.
      const stop = whereItStops(ctx, vm);
      const hostsToCapture = [...new Set([vm.host.name, ...stop.servers.map((x) => x.host.name)])];
      out.push({
        code: 'contradicted',
        role: 'observation',
        severity: 'warning',
        subject: `${vm.host.name}:${vm.port.name}`,
        message: `the flows deliver the DISCOVER to the DHCP server and the OFFER back to ${vm.port.name}, but what the hosts saw says the exchange fails; ${stop.text}`,
        evidence: [...seen.map((x) => evid(x.text, x.from)), ...stop.evidence],
        fix: [
          `# capture at ${vm.port.name} and at ${stop.servers.length > 1 ? `each of its DHCP servers (${stop.servers.length})` : 'its DHCP server'} to see where the exchange stops (read-only):`,
          vifpathLine(
            'capture live',
            hostsToCapture.map((h) => `${h}=ssh://root@${h}`),
            ['--vm', vm.port.name, '--path', '--seconds', '60', '-o', './capture'],
          ),
        ],
      });
    }
    return out;
  },
};
