// Contrary evidence beats configuration: what the hosts saw (the VM's DHCP client, dnsmasq's log,
// captures) against what the flows say, both ways: a capture at the VM's port showing its exchange
// answered where the flows drop its DISCOVER (capture-at-vm.ts), and a failure the hosts saw where
// the flows deliver. A DISCOVER dnsmasq answered "no address available" is a
// cause when its MAC is a VM's of the case (the server heard that VM and refused it); a MAC the
// case ties to no VM port is said, with what would tie it, and blames no server. A client that got
// no OFFER while the traces deliver both ways makes healthy impossible.
import type { DhcpLog, Host } from '../../model/snapshot.ts';
import { operands, shellWord, vifpathLine } from '../../runner/runner.ts';
import { type DoctorContext, reachedServer } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import { dropContradictions } from './capture-at-vm.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { whereItStops } from './exchange-stop.ts';
import { serverFault } from './server-bearing.ts';
import { serverNetId } from './vm-network.ts';

type LogEvent = DhcpLog['events'][number];

/** Neutron's default base_mac prefix (a deployment may set another: a hint, never a proof). */
const NEUTRON_DEFAULT_OUI = 'fa:16:3e';

/**
 * The network whose dnsmasq logged the line, as the case says it: the log's place, the server of
 * the case on that device, the `ps` line or the agent's pid file of the process that logged it.
 */
function loggedNet(ctx: DoctorContext, h: Host, log: DhcpLog, e: LogEvent): string | undefined {
  if (log.net) return log.net;
  const srv = ctx.servers.find((x) => x.host === h && x.device.name === e.iface);
  const bySrv = srv && serverNetId(srv);
  if (bySrv) return bySrv;
  const nets = new Set([
    ...(h.dnsmasqProcesses ?? [])
      .filter((p) => p.net && ((e.pid !== undefined && p.pid === e.pid) || p.interfaces.includes(e.iface)))
      .map((p) => p.net!),
    ...h.dhcpNetworks.filter((n) => e.pid !== undefined && n.pid?.pid === e.pid).map((n) => n.net),
  ]);
  return nets.size === 1 ? [...nets][0] : undefined;
}

/** What dnsmasq's refusal means (Neutron runs it with static ranges: a known MAC gets an address). */
function refusalMeaning(note: string): string {
  return note.includes('no address')
    ? 'dnsmasq has no address for this client: no host entry it can read for the MAC (an unreadable or stale hosts file, e.g. after `cannot read …/host: Permission denied`) and no dynamic range'
    : 'dnsmasq ignores this client (a host entry with `ignore`, or a tag without a range)';
}

/**
 * dnsmasq saw a DISCOVER and refused it ("no address available", "ignored"). The VM's cause only
 * when its MAC is a VM port's of the case (attached-mac, the anti-spoofing flow, or --mac): that
 * server heard that VM (server-bearing.ts decides whether another server answers it). A MAC no VM
 * port of the case carries is another client's as far as the case shows: said, with what would
 * tie it (is it a Neutron port's, the VM's; the network's hosts file), never a fault to fix.
 */
function refusals(ctx: DoctorContext): Finding[] {
  const out: Finding[] = [];
  const macless = ctx.vms.filter((v) => !v.mac);
  // One finding per server device, MAC and refusal: its last lines as the evidence.
  const groups = new Map<string, { h: Host; log: DhcpLog; events: LogEvent[] }>();
  for (const h of ctx.snapshot.hosts)
    for (const log of h.dnsmasqLogs ?? [])
      for (const e of log.events) {
        if (e.type !== 'DHCPDISCOVER' || !e.note || !/no address|ignored/.test(e.note)) continue;
        const key = [h.name, e.iface, e.mac ?? '', e.note].join('\u0000');
        const g = groups.get(key) ?? { h, log, events: [] };
        g.events.push(e);
        groups.set(key, g);
      }
  for (const { h, log, events } of groups.values()) {
    const e = events.at(-1)!;
    const note = e.note!;
    const lines = events
      .slice(-3)
      .map((x) => evid(`DHCPDISCOVER(${x.iface})${x.mac ? ` ${x.mac}` : ''} ${note}`, x.from));
    const vm = e.mac ? ctx.vms.find((v) => v.mac?.toLowerCase() === e.mac) : undefined;
    // --mac names the VM's MAC where the case proves no VM port to carry it.
    const given = !vm && ctx.vms.length === 0 && e.mac !== undefined && ctx.givenMac === e.mac;
    if (vm || given) {
      const finding: Finding = {
        code: 'dnsmasq-refused',
        role: 'cause',
        severity: 'error',
        subject: `${h.name}:${e.iface}`,
        message: `dnsmasq received the DISCOVER from ${e.mac} (${vm ? vm.port.name : 'the VM, as --mac gives its MAC'}) on ${e.iface} and answered nothing: "${note}"`,
        rootCause: refusalMeaning(note),
        confirm: `look in dnsmasq's log for 'cannot read' and check the hosts file: grep -n ${operands(e.mac!)} /var/lib/neutron/dhcp/*/host`,
        evidence: lines,
        fix: [
          'systemctl restart neutron-dhcp-agent   # changes state: rewrites the hosts file and reloads dnsmasq',
        ],
      };
      // The server that logged it heard this VM: a cause unless another server answers it.
      const srv = ctx.servers.find((x) => x.host === h && x.device.name === e.iface);
      out.push(vm && srv ? serverFault(ctx, srv, finding, { vms: [vm], heard: true }) : finding);
      continue;
    }
    out.push(untied(ctx, h, log, e, lines, macless.length > 0 || ctx.vms.length === 0));
  }
  return out;
}

/** A refusal of a MAC no VM port of the case carries: what it says, what would tie it to the VM. */
function untied(
  ctx: DoctorContext,
  h: Host,
  log: DhcpLog,
  e: LogEvent,
  lines: EvidenceItem[],
  open: boolean,
): Finding {
  const mac = e.mac;
  const who = mac ?? 'a client whose MAC the line does not give';
  const net = loggedNet(ctx, h, log, e);
  const file = net?.toLowerCase();
  const agentNet = file ? h.dhcpNetworks.find((n) => n.net.toLowerCase() === file) : undefined;
  const entry = mac ? agentNet?.hosts?.find((x) => x.mac === mac) : undefined;
  const evidence: EvidenceItem[] = [...lines];
  if (agentNet?.hosts)
    evidence.push(
      entry
        ? evid(`the hosts file of network ${agentNet.net} lists ${mac}`, entry.from)
        : evid(
            `the hosts file of network ${agentNet.net}: ${agentNet.hosts.length} entries, none for ${who}`,
            agentNet.hosts[0]?.from ?? { file: agentNet.files[0]!, line: 0 },
          ),
    );
  const macless = ctx.vms.filter((v) => !v.mac);
  const why =
    ctx.vms.length === 0
      ? 'the case proves no VM port'
      : macless.length
        ? `the case gives no MAC for ${macless.map((v) => `${v.host.name}:${v.port.name}`).join(', ')}`
        : `the VM ports of the case carry ${ctx.vms.map((v) => `${v.mac!.toLowerCase()} (${v.port.name})`).join(', ')}`;
  const hint =
    mac && !mac.startsWith(NEUTRON_DEFAULT_OUI)
      ? `; ${mac} is not of Neutron's default base_mac (${NEUTRON_DEFAULT_OUI}:…), a hint that it is no Neutron port's (base_mac is configurable: not a proof)`
      : '';
  const meaning = e.note!.includes('no address')
    ? 'as Neutron runs dnsmasq (static ranges only) that MAC is not in the hosts file of the network it serves there'
    : 'dnsmasq ignores that MAC (a host entry with `ignore`, or a tag without a range)';
  const quoted = mac ? `'${mac}'` : '<MAC>';
  const hostsFile = net
    ? `cat /var/lib/neutron/dhcp/${shellWord(net)}/host   # on ${h.name}: the hosts file of network ${net}, which dnsmasq serves on ${e.iface}: an entry for ${who}?`
    : `cat /var/lib/neutron/dhcp/<network-id>/host   # on ${h.name}: the hosts file of the network dnsmasq serves on ${e.iface} (its qdhcp-<network-id> namespace: \`${e.pid !== undefined ? `ip netns identify ${e.pid}` : 'ip netns'}\`): an entry for ${who}?`;
  return {
    code: 'dnsmasq-refused-untied',
    role: open ? 'gap' : 'observation',
    severity: open ? 'warning' : 'info',
    subject: `${h.name}:${e.iface}`,
    message: `dnsmasq on ${h.name} received a DISCOVER from ${who} on ${e.iface} and refused it, "${e.note}": ${meaning}; nothing in the case ties ${mac ?? 'that client'} to a VM port (${why})${open ? ', so whether this is the VM failing is not known' : ': another client than the VMs of the case, as far as the case shows'}${hint}`,
    evidence,
    fix: [
      `openstack port list --mac-address ${quoted} --long   # is ${mac ?? 'it'} a Neutron port's MAC (none listed: no port of Neutron's has it), and then \`openstack port show <ID> -c device_id -c network_id\`: the VM's?`,
      hostsFile,
      `ovs-vsctl --columns=name,external_ids find Interface 'external_ids:attached-mac="${mac ?? '<MAC>'}"'   # on the compute node: the VM port of ${mac ?? 'that MAC'}, if a VM has it`,
    ],
  };
}

export const contradictions: Check = {
  id: 'contradiction',
  title: 'what the hosts saw against what the flows say',
  run(ctx) {
    const out: Finding[] = [];
    out.push(...refusals(ctx));
    // The flows say the VM's DISCOVER dies, but a capture at its port shows it answered.
    out.push(...dropContradictions(ctx));
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
