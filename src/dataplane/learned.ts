// The tables learn() actions write to (Neutron's br-tun: table 10 learns into table 20), per bridge:
// the learned flows' priority and how many such flows the dump holds. A lookup there that a learned
// flow could outrank, with none in the dump, is an assumption (trace.ts runTable).
import { learningCandidates, tableFlows } from '../model/flows.ts';
import type { Bridge } from '../model/snapshot.ts';

export interface LearnTarget {
  priority: number;
  /** Flows in the dump at that table and priority with a timeout: what was learned before collection. */
  learned: number;
}

const cache = new WeakMap<Bridge, Map<number, LearnTarget>>();

export function learnTargets(b: Bridge | undefined): Map<number, LearnTarget> | undefined {
  if (!b?.flows.known) return undefined;
  let m = cache.get(b);
  if (m) return m;
  m = new Map();
  const flows = b.flows.value;
  for (const e of learningCandidates(flows))
    for (const a of e.flow.actions) {
      if (a.type !== 'learn') continue;
      const kv = (k: string): string | undefined => {
        const x = a.specs.find((s) => s.kind === 'kv' && s.key === k);
        return x?.kind === 'kv' ? x.value : undefined;
      };
      // OVS's defaults: table 1, priority 32768.
      const table = Number(kv('table') ?? 1);
      const priority = Number(kv('priority') ?? 32768);
      if (!Number.isInteger(table) || !Number.isInteger(priority) || m.has(table)) continue;
      let learned = 0;
      for (const x of tableFlows(flows, table))
        if (
          x.flow.priority === priority &&
          (x.flow.hard_timeout !== undefined || x.flow.idle_timeout !== undefined)
        )
          learned++;
      m.set(table, { priority, learned });
    }
  cache.set(b, m);
  return m;
}
