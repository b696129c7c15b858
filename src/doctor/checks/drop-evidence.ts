// Shared reading of a trace's drop: the flow, its counters and where it was found.
import type { TraceResult } from '../../dataplane/trace.ts';
import { inPortCandidates } from '../../model/flows.ts';
import type { FlowEntry, Snapshot } from '../../model/snapshot.ts';
import { formatFieldValue } from '../../openflow/fields.ts';
import type { Flow } from '../../openflow/types.ts';
import type { EvidenceItem } from '../finding.ts';
import { evid } from './check.ts';

export function dropEvidence(t: TraceResult, what: string): EvidenceItem[] {
  const d = t.drop;
  if (!d) return [];
  const where = `${d.host} ${d.bridge}${d.table !== null ? ` table ${d.table}` : ''}`;
  if (d.flow)
    return [
      evid(
        `${what} is dropped on ${where} by \`${d.flow}\`${d.n_packets !== undefined ? ` (n_packets=${d.n_packets})` : ''}`,
        d.entry?.from,
      ),
    ];
  return [evid(`${what} is dropped on ${where}: ${d.reason.text}`)];
}

export function dropText(t: TraceResult): string {
  const d = t.drop;
  if (!d) return 'is not delivered';
  return d.flow
    ? `dies on ${d.host} ${d.bridge} at \`${d.flow}\`${d.n_packets !== undefined ? ` (n_packets=${d.n_packets})` : ''}`
    : `dies on ${d.host} ${d.bridge}: ${d.reason.text}`;
}

/** The dl_vlan a flow matches, if it matches one. */
export function vlanOf(f: Flow): number | undefined {
  const m = f.match.find((x) => x.kind === 'field' && x.field === 'dl_vlan');
  return m?.kind === 'field' && m.value.t === 'int' ? m.value.v : undefined;
}

const DHCP_PORTS = new Set([67, 68]);
const L4_PORT_FIELDS = new Set(['tp_src', 'tp_dst', 'udp_src', 'udp_dst']);

/** The flow matches UDP to or from a DHCP port (67/68), by its parsed match. */
export function matchesDhcp(f: Flow): boolean {
  const udp = f.match.some(
    (m) =>
      (m.kind === 'shorthand' && (m.name === 'udp' || m.name === 'udp6')) ||
      (m.kind === 'field' && m.field === 'nw_proto' && m.value.t === 'int' && m.value.v === 17),
  );
  const port = f.match.some(
    (m) =>
      m.kind === 'field' &&
      L4_PORT_FIELDS.has(m.field) &&
      m.value.t === 'int' &&
      m.value.m === undefined &&
      DHCP_PORTS.has(m.value.v),
  );
  return udp && port;
}

/** `priority=N,in_port=P actions=drop`: Neutron's per-port drop (the only match is the port). */
export function isPortDrop(f: Flow): boolean {
  return (
    f.match.length === 1 &&
    inPortOf(f) !== undefined &&
    f.actions.length === 1 &&
    f.actions[0]!.type === 'drop'
  );
}

/** The in_port a flow matches, as dumped (a number or a port name). */
export function inPortOf(f: Flow): string | undefined {
  const m = f.match.find((x) => x.kind === 'field' && x.field === 'in_port');
  return m?.kind === 'field' ? formatFieldValue(m.value) : undefined;
}

/**
 * The VLAN translation flows beside a trace's drop: flows of the dropping bridge that match the
 * same in_port as the dropping flow and a dl_vlan (the VLANs that port may bring in).
 */
export function translationFlows(s: Snapshot, t: TraceResult): FlowEntry[] {
  const d = t.drop;
  const b = s.hosts.find((h) => h.name === d?.host)?.bridges.find((x) => x.name === d?.bridge);
  if (!d?.entry || !b?.flows.known) return [];
  const port = inPortOf(d.entry.flow);
  if (port === undefined) return [];
  return inPortCandidates(b.flows.value, port).filter(
    (e) => inPortOf(e.flow) === port && vlanOf(e.flow) !== undefined,
  );
}
