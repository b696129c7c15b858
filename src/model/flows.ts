// What the doctor and the dataplane ask of a bridge's flows, whether the dump was parsed whole or
// read as an index (BridgeFlows.lookup): asking through these parses only what the answer needs.
import type { BridgeFlows, FlowEntry } from './snapshot.ts';

export function flowCount(f: BridgeFlows): number {
  return f.lookup ? f.lookup.count : f.entries.length;
}

/** The flows of one table, in dump order. */
export function tableFlows(f: BridgeFlows, table: number): FlowEntry[] {
  return f.lookup ? f.lookup.table(table) : f.entries.filter((e) => e.flow.table === table);
}

/**
 * A superset of the flows matching in_port= any of `ports` as written (the caller checks each),
 * each once: a dump read whole is scanned once, however many spellings are asked for.
 */
export function inPortCandidates(f: BridgeFlows, ports: readonly string[]): readonly FlowEntry[] {
  const lookup = f.lookup;
  if (!lookup) return f.entries;
  if (ports.length === 1) return lookup.withInPort(ports[0]!);
  return [...new Set(ports.flatMap((p) => lookup.withInPort(p)))];
}

/** A superset of the flows with a learn() action (the caller checks each). */
export function learningCandidates(f: BridgeFlows): readonly FlowEntry[] {
  return f.lookup ? f.lookup.learning() : f.entries;
}
