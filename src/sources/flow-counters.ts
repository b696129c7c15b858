// Flow counters read again from a live bridge, keyed like the trace keys its flows (the flow's
// match and actions as OVS prints them), so counters before and after a capture line up.
import { formatFlowRule } from '../openflow/flow.ts';
import { parseDumpFlows } from '../parse/dump-flows.ts';
import type { Runner } from '../runner/runner.ts';

export async function flowCounters(runner: Runner, bridge: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const argv of [
    ['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', bridge],
    ['ovs-ofctl', 'dump-flows', bridge],
  ]) {
    const r = await runner.run(argv, { timeoutMs: 30_000 });
    if (r.rc !== 0) continue; // a bridge restricted to other OpenFlow versions: try the next form
    for (const f of parseDumpFlows(r.stdout, { expectOutput: true }).value.flows)
      if (f.flow.stats.n_packets !== undefined) out.set(formatFlowRule(f.flow), f.flow.stats.n_packets);
    return out;
  }
  return out;
}
