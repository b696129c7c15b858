// vm-port-untagged alone: the cause only with a proven drop, the tag only when determined.

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, runCheck as run, seedCase, tagSeedVif16 } from '../../testing/case-edits.ts';
import { vmPortUntagged } from './vm-port-untagged.ts';

afterAll(cleanupCases);

describe('vm-port-untagged', () => {
  it.each([
    [
      'the seed: error, tag 1 from the one translation flow',
      () => seedCase(),
      'error',
      'ovs-vsctl set Port vif16.0 tag=1',
    ],
    ['tagged: nothing', () => seedCase((d) => tagSeedVif16(d, 1)), null, null],
    [
      'the dump cut short: an observation, no fix',
      () =>
        seedCase((d) =>
          appendFileSync(
            join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'),
            '  priority=9,in_port=2 actions=load:0x2->NXM_NX',
          ),
        ),
      'warning',
      null,
    ],
  ] as const)('%s', (_n, build, severity, fix) => {
    const f = run(vmPortUntagged, build());
    expect(f[0]?.severity ?? null).toBe(severity);
    if (fix) expect(f[0]!.fix).toContain(fix);
    else if (f[0]) expect(f[0].fix).toEqual([]);
  });
});
