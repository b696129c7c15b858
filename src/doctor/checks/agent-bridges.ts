// The OVS agent's configuration names bridges the host's OVS does not have: a bridge_mappings
// bridge (the agent exits at start when one does not exist: neutron's ovs_neutron_agent
// setup_physical_bridges, "Bridge … for physical network … does not exist. Agent terminated!"),
// or, with tunnel_types set, no tunnel bridge (the agent creates br-tun itself once it runs that
// far). Either says the agent has not set the host up; every port of its integration bridge at
// VLAN 4095 says the same. Proven only where the case lists every bridge of the host (a whole
// `ovs-vsctl show`, conf.db or ovsdb-client dump, no lines left out). Not a cause by itself (which
// network a VM is on, and so which bridge it needs, the case may not say): a warning with the
// config line and the listing, asking for the agent's log.
import { bridgeRole } from '../../model/roles.ts';
import { type AgentStop, findExcerpt, type Host } from '../../model/snapshot.ts';
import { classify } from '../../sources/file-kinds.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid, quoted } from './check.ts';
import { RESTART_AGENT } from './overlay-facts.ts';

/** The file that lists every bridge of the host, when the case has one whole. */
export function bridgeListing(h: Host): string | undefined {
  if (findExcerpt(h, 'ovsdb')) return undefined;
  return h.bridges
    .flatMap((b) => b.from)
    .map((e) => e.file)
    .find((f) => {
      const k = classify(f.split('/').pop() ?? f)?.kind;
      return k === 'vsctl-show' || k === 'conf-db' || k === 'ovsdb-dump';
    });
}

/**
 * bridgeListing, when the listing also ran to its end (its `ovs_version`, the last line of a whole
 * `ovs-vsctl show`, or a dump's Open_vSwitch row): every port of every bridge is in it. A copy
 * that starts at a Bridge line and ends without it (the seed's) shows what it shows, not all.
 */
export function wholeListing(h: Host): string | undefined {
  return h.ovsVersion ? bridgeListing(h) : undefined;
}

/** The OVS agent's log on a host (read-only): what the findings below ask for, one command per host. */
export function agentLogCommand(h: Host): string {
  return `grep -E 'ERROR|CRITICAL|does not exist|Agent terminated' /var/log/neutron/openvswitch-agent.log | tail -n 50; systemctl status neutron-openvswitch-agent   # on ${h.name}: why the OVS agent stopped or bound nothing (or add its log to the case)`;
}

export const agentBridges: Check = {
  id: 'agent-bridges',
  title: "bridges the OVS agent's configuration names that OVS does not have",
  run(ctx) {
    const out: Finding[] = [];
    for (const h of ctx.snapshot.hosts) {
      const c = h.agentConfig;
      if (!c || h.bridges.length === 0) continue;
      // The agent's own log says it stopped for a missing bridge: agent-stopped says it, with these lines.
      if (lastStop(h)?.stop.reason === 'bridge-missing') continue;
      const listing = bridgeListing(h);
      if (!listing) continue;
      const names = new Set(h.bridges.map((b) => b.name));
      const mapped = Object.entries(c.bridgeMappings?.value ?? {}).filter(([, br]) => !names.has(br));
      const tunnels = c.tunnelTypes?.value ?? [];
      const noTunnelBridge =
        tunnels.length > 0 && !h.bridges.some((b) => bridgeRole(h, b).role === 'tunnel')
          ? 'br-tun'
          : undefined;
      if (mapped.length === 0 && !noTunnelBridge) continue;
      const at = (line: number) => ({ file: c.file, line });
      const said: string[] = [];
      const evidence: EvidenceItem[] = [];
      if (mapped.length) {
        said.push(
          `maps ${mapped.map(([phys, br]) => `physical network ${phys} to ${br}`).join(' and ')} (bridge_mappings)`,
        );
        evidence.push(
          evid(
            `bridge_mappings = ${Object.entries(c.bridgeMappings!.value)
              .map(([p, b]) => `${p}:${b}`)
              .join(',')}`,
            at(c.bridgeMappings!.line),
          ),
        );
      }
      if (noTunnelBridge) {
        said.push(`sets tunnel_types = ${tunnels.join(',')}`);
        evidence.push(evid(`tunnel_types = ${tunnels.join(',')}`, at(c.tunnelTypes!.line)));
      }
      const missing = [...mapped.map(([, br]) => br), ...(noTunnelBridge ? [noTunnelBridge] : [])];
      evidence.push(
        evid(`${h.name}'s bridges: ${[...names].join(', ')}; no ${missing.join(', no ')}`, {
          file: listing,
          line: 0,
        }),
      );
      // Every port of the integration bridge at the dead VLAN: the agent bound none of them.
      const integration = h.bridges.filter((b) => bridgeRole(h, b).role === 'integration');
      const tagged = integration.flatMap((b) => b.ports.filter((p) => p.tag.known && p.tag.value !== null));
      const dead = tagged.filter((p) => p.tag.known && p.tag.value === 4095);
      const allDead = tagged.length > 0 && dead.length === tagged.length;
      if (allDead)
        for (const p of dead)
          evidence.push(evid(`port ${p.name} tag 4095`, p.tag.known ? p.tag.from[0] : undefined));
      const why = [
        ...(mapped.length
          ? [
              `the agent exits at start when a bridge of bridge_mappings does not exist ("Bridge ${mapped[0]![1]} for physical network ${mapped[0]![0]} does not exist. Agent terminated!")`,
            ]
          : []),
        ...(noTunnelBridge ? ['it creates br-tun itself when it runs with tunnel_types set'] : []),
      ].join(', and ');
      out.push({
        code: 'agent-bridge-missing',
        role: 'observation',
        severity: 'warning',
        subject: h.name,
        message: `${h.name}'s OVS agent configuration ${said.join(' and ')}, but OVS on ${h.name} has no ${missing.join(' and no ')}: most likely the agent has not set this host up (${why})${allDead ? `; every tagged port of ${integration.map((b) => b.name).join(', ')} is at VLAN 4095 (Neutron's dead VLAN), as the agent leaves ports it has not bound` : ''}`,
        evidence,
        fix: [
          agentLogCommand(h),
          ...mapped.flatMap(([phys, br]) => [
            `# ${br}: either create it and plug into it the host's interface for physical network ${phys} (which interface the case does not say), or take ${phys}:${br} out of bridge_mappings in ${c.file}`,
            `ovs-vsctl --may-exist add-br ${quoted(br)}   # changes state, on ${h.name}: the first way`,
          ]),
          `${RESTART_AGENT}   # changes state, on ${h.name}: once the log says why it stopped and that is fixed`,
        ],
      });
    }
    return out;
  },
};

type StopEvent = NonNullable<Host['agentLog']>['events'][number] & { stop: AgentStop };

/** The last exit at start the host's OVS agent log shows. */
function lastStop(h: Host): StopEvent | undefined {
  return h.agentLog?.events.filter((e): e is StopEvent => e.stop !== undefined).pop();
}

const STATUS = 'systemctl status neutron-openvswitch-agent';

/** What the agent's message says, in words, and the candidate fixes (none chosen: the log cannot choose). */
function stopReason(h: Host, s: AgentStop): { why: string; fix: string[]; evidence: EvidenceItem[] } {
  const c = h.agentConfig;
  const on = `on ${h.name}`;
  switch (s.reason) {
    case 'bridge-missing': {
      const listing = bridgeListing(h);
      const has = h.bridges.some((b) => b.name === s.bridge);
      const maps = c?.bridgeMappings?.value ?? {};
      const mapped = maps[s.physnet] === s.bridge;
      // The case's configuration, read, maps the physnet elsewhere or not at all: the stop is older
      // than that file (the operator's way out, already taken), so taking the mapping out is no fix.
      const unmapped = c !== undefined && !mapped;
      const evidence: EvidenceItem[] = [];
      if (mapped)
        evidence.push(
          evid(`bridge_mappings maps ${s.physnet} to ${s.bridge}`, {
            file: c!.file,
            line: c!.bridgeMappings!.line,
          }),
        );
      else if (c)
        evidence.push(
          c.bridgeMappings
            ? evid(
                `bridge_mappings = ${Object.entries(maps)
                  .map(([p, b]) => `${p}:${b}`)
                  .join(',')}: no ${s.physnet}:${s.bridge}`,
                { file: c.file, line: c.bridgeMappings.line },
              )
            : evid(`no bridge_mappings in ${c.file}`, { file: c.file, line: 0 }),
        );
      if (listing)
        evidence.push(
          evid(
            `${h.name}'s bridges: ${h.bridges.map((b) => b.name).join(', ')}; ${has ? `${s.bridge} is there now` : `no ${s.bridge}`}`,
            {
              file: listing,
              line: 0,
            },
          ),
        );
      const where = c
        ? `[ovs] bridge_mappings in ${c.file}`
        : `[ovs] bridge_mappings in the agent's configuration (openvswitch_agent.ini, or ml2_conf.ini in older releases)`;
      return {
        why: `bridge ${s.bridge} for physical network ${s.physnet} does not exist${listing && has ? ` (the case's listing has ${s.bridge}: created after the agent stopped?)` : ''}${unmapped ? `; the configuration in the case (${c!.file}) no longer maps ${s.physnet} to ${s.bridge}, so the stop predates it` : ''}`,
        evidence,
        fix:
          listing && has
            ? [`${RESTART_AGENT}   # changes state, ${on}: ${s.bridge} exists now`]
            : unmapped
              ? [
                  `${RESTART_AGENT}   # changes state, ${on}: it reads ${c!.file}, which no longer maps ${s.physnet} to ${s.bridge}`,
                ]
              : [
                  `# ${s.bridge}: either create it and plug into it ${h.name}'s interface for physical network ${s.physnet} (which interface the case does not say), or take ${s.physnet}:${s.bridge} out of ${where} if ${h.name} needs no physical network ${s.physnet}`,
                  `ovs-vsctl --may-exist add-br ${quoted(s.bridge)}   # changes state, ${on}: the first way`,
                  `${RESTART_AGENT}   # changes state, ${on}: after either`,
                ],
      };
    }
    case 'local-ip-invalid':
      return {
        why: `local_ip ${s.localIp} is on none of ${h.name}'s interfaces, so it cannot build tunnels`,
        evidence: c?.localIp
          ? [evid(`local_ip = ${c.localIp.value}`, { file: c.file, line: c.localIp.line })]
          : [],
        fix: [
          `ip -o address show   # ${on}: which address the tunnel underlay has`,
          `# either set [ovs] local_ip${c ? ` in ${c.file}` : ''} to that address, or give ${s.localIp} to the underlay interface (which one the case does not say)`,
          `${RESTART_AGENT}   # changes state, ${on}: after either`,
        ],
      };
    case 'patch-port-failed':
      return {
        why: 'it could not create the patch ports between its integration and tunnel bridges (its message: this OVS does not support tunnels or patch ports)',
        evidence: [],
        fix: [
          `ovs-vsctl --version; ovs-vsctl show   # ${on}: the OVS version and whether patch-tun/patch-int exist`,
          `${RESTART_AGENT}   # changes state, ${on}: once OVS supports patch ports, or with tunnel_types empty if ${h.name} needs no tunnels`,
        ],
      };
    case 'tunnel-type-invalid':
      return {
        why: `tunnel_types names ${s.tunnelType}, a type this agent does not support`,
        evidence: c?.tunnelTypes
          ? [
              evid(`tunnel_types = ${c.tunnelTypes.value.join(',')}`, {
                file: c.file,
                line: c.tunnelTypes.line,
              }),
            ]
          : [],
        fix: [
          `# set [agent] tunnel_types${c ? ` in ${c.file}` : ''} to types this release supports (the network's type decides which; the case does not say)`,
          `${RESTART_AGENT}   # changes state, ${on}: after that`,
        ],
      };
    case 'other':
      return {
        why: s.message,
        evidence: [],
        fix: [
          `${RESTART_AGENT}   # changes state, ${on}: once the configuration error the log names is fixed`,
        ],
      };
  }
}

/**
 * The OVS agent's log says it exited at start (a missing mapped bridge, a local_ip the host does not
 * have, ...): while it is down it tags and programs no port of the host. A warning with the log line,
 * the candidates that fix it, and how to see it running again. A later line of the same log from a
 * running agent (its start line, a resync, a port it processed) makes the stop history: info, with
 * no state-changing fix.
 */
export const agentStopped: Check = {
  id: 'agent-stopped',
  title: 'the OVS agent exited at start, as its log says',
  run(ctx) {
    const out: Finding[] = [];
    for (const h of ctx.snapshot.hosts) {
      const stop = lastStop(h);
      if (!stop) continue;
      const after = h.agentLog!.events.filter((e) => e.stop === undefined && e.from.line > stop.from.line);
      const started = after.find((e) => e.kind === 'agent-started');
      const later = started ?? after[0];
      const r = stopReason(h, stop.stop);
      const status = `${STATUS}   # on ${h.name}: active (running), and no new "Agent terminated!" in /var/log/neutron/openvswitch-agent.log`;
      out.push({
        code: 'agent-stopped',
        role: 'observation',
        severity: later ? 'info' : 'warning',
        subject: h.name,
        message: later
          ? `the OVS agent on ${h.name} stopped at start once (line ${stop.from.line}: ${r.why}), and ${
              started
                ? `started again at line ${started.from.line} ("${started.subject}")`
                : `its log shows it working again at line ${later.from.line}`
            }: the stop is history`
          : `the OVS agent on ${h.name} stopped at start: ${r.why}; while it is down no port on ${h.name} gets a VLAN tag or flows from it (a VM plugged meanwhile stays untagged, and Nova's wait for its port to go up times out)`,
        evidence: [
          evid(stop.subject, stop.from),
          ...(later ? [evid(later.text, later.from)] : []),
          ...r.evidence,
        ],
        fix: later ? [status] : [...r.fix, status],
      });
    }
    return out;
  },
};
