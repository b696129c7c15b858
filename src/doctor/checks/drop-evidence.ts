// Shared reading of a trace's drop: the flow, its counters and where it was found.
import type { TraceResult } from '../../dataplane/trace.ts';
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
        d.evidence,
      ),
    ];
  return [evid(`${what} is dropped on ${where}: ${d.reason}`)];
}

export function dropText(t: TraceResult): string {
  const d = t.drop;
  if (!d) return 'is not delivered';
  return d.flow
    ? `dies on ${d.host} ${d.bridge} at \`${d.flow}\`${d.n_packets !== undefined ? ` (n_packets=${d.n_packets})` : ''}`
    : `dies on ${d.host} ${d.bridge}: ${d.reason}`;
}
