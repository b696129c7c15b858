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

/** A superset of the flows matching in_port=`port` as written (the caller checks each). */
export function inPortCandidates(f: BridgeFlows, port: string): readonly FlowEntry[] {
  return f.lookup ? f.lookup.withInPort(port) : f.entries;
}

/** A superset of the flows with a learn() action (the caller checks each). */
export function learningCandidates(f: BridgeFlows): readonly FlowEntry[] {
  return f.lookup ? f.lookup.learning() : f.entries;
}
