// diagnose --mac: the VM's MAC where the case does not give it, as trace --mac; the headline that
// asks for it names what diagnose accepts. yeasy-vxlan: fixtures/PROVENANCE.md (two VM ports, no
// attached-mac in the case).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';
import { buildContext } from './context.ts';
import { diagnose } from './diagnose.ts';

const YEASY = readCase(join(ROOT, 'src/doctor/fixtures/yeasy-vxlan'));
const SEED = readCase(SEED_CASE);

describe('diagnose --mac', () => {
  it('the headline asks for what diagnose accepts (was: "or give it: --mac", which diagnose refused)', () => {
    expect(diagnose(YEASY).headline).toContain('(or give it: --vm compute:qvoc4493802-43 --mac <its MAC>)');
  });
  // [case, --vm, --mac, the VM's MAC traced, or the error]
  const rows: [string, typeof SEED, string | undefined, string, string | RegExp][] = [
    ['yeasy, the VM named', YEASY, 'compute:qvoc4493802-43', 'FA:16:3E:52:7A:F2', 'fa:16:3e:52:7a:f2'],
    [
      'yeasy, two VM ports, none named',
      YEASY,
      undefined,
      'fa:16:3e:52:7a:f2',
      /^--mac fa:16:3e:52:7a:f2: the case has 2 VM ports \(compute:qvoc4493802-43, compute:qvof47c62b0-db\): name the one it is of with --vm$/,
    ],
    ['not a MAC', SEED, undefined, '', /^mac: "" is not a MAC address/],
  ];
  it.each(rows)('%s', (_what, s, vm, mac, want) => {
    const run = () => buildContext(s, vm, mac);
    if (typeof want === 'string') {
      const ctx = run();
      expect(ctx.vms.map((v) => v.mac)).toEqual([want]);
      expect(() => diagnose(s, { ...(vm ? { vm } : {}), mac })).not.toThrow();
      expect(diagnose(s, { ...(vm ? { vm } : {}), mac }).headline).not.toContain('give it');
    } else expect(run).toThrow(want);
  });
});
