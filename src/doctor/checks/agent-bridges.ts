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
import { findExcerpt, type Host } from '../../model/snapshot.ts';
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
