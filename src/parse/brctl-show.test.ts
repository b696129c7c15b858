// `brctl show`, table-tested on real lines: node2's (tabs, doctor/fixtures/cn-vxlan-hybrid-multinet)
// and compute-node's (spaces, as the blog printed it: doctor/fixtures/blog-ml2-hybrid-vlan).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify, sniff } from '../sources/file-kinds.ts';
import { ROOT } from '../testing/fixtures.ts';
import { parseBrctlShow } from './brctl-show.ts';

const FIX = join(ROOT, 'src/doctor/fixtures');
const HEADER = 'bridge name\tbridge id\t\tSTP enabled\tinterfaces';

describe('brctl show', () => {
  it.each([
    [
      'a bridge with its first interface on its line (tabs)',
      `${HEADER}\nqbr09d052bf-16\t\t8000.b216e6c26e13\tno\t\tqvb09d052bf-16\n`,
      [{ name: 'qbr09d052bf-16', line: 2, interfaces: [{ name: 'qvb09d052bf-16', line: 2 }] }],
    ],
    [
      'a further interface on a line of its own (tabs)',
      `${HEADER}\nqbr263b3957-09\t\t8000.d6a957a5b378\tno\t\tqvb263b3957-09\n\t\t\t\t\t\t\ttap263b3957-09\n`,
      [
        {
          name: 'qbr263b3957-09',
          line: 2,
          interfaces: [
            { name: 'qvb263b3957-09', line: 2 },
            { name: 'tap263b3957-09', line: 3 },
          ],
        },
      ],
    ],
    [
      'spaces instead of tabs (a web page)',
      'bridge name     bridge id               STP enabled     interfaces\nqbr7da6ac84-13          8000.f28a05774bb1       no              qvb7da6ac84-13\nqbr94172dfb-eb          8000.4a2c809c6235       no              qvb94172dfb-eb\n                                                        tap94172dfb-eb\n',
      [
        { name: 'qbr7da6ac84-13', line: 2, interfaces: [{ name: 'qvb7da6ac84-13', line: 2 }] },
        {
          name: 'qbr94172dfb-eb',
          line: 3,
          interfaces: [
            { name: 'qvb94172dfb-eb', line: 3 },
            { name: 'tap94172dfb-eb', line: 4 },
          ],
        },
      ],
    ],
    [
      'a bridge without interfaces',
      `${HEADER}\nvirbr0\t\t8000.000000000000\tyes\t\t\n`,
      [{ name: 'virbr0', line: 2, interfaces: [] }],
    ],
  ])('%s', (_what, text, bridges) => {
    const r = parseBrctlShow(text);
    expect(r.value).toEqual({ bridges, whole: true });
    expect(r.diagnostics).toEqual([]);
  });

  it("a line that is not brctl's: a warning, and the listing proves no absence", () => {
    const r = parseBrctlShow(`${HEADER}\n...\nqbr09d052bf-16\t\t8000.b216e6c26e13\tno\t\tqvb09d052bf-16\n`);
    expect(r.value.whole).toBe(false);
    expect(r.value.bridges.map((b) => b.name)).toEqual(['qbr09d052bf-16']);
    expect(r.diagnostics).toMatchObject([{ severity: 'warning', line: 2, code: 'not-brctl' }]);
  });

  it('the real files: every bridge, read whole; known by name (sos: brctl_show) and by content', () => {
    for (const [f, n] of [
      ['cn-vxlan-hybrid-multinet/node2/brctl_show', 5],
      ['blog-ml2-hybrid-vlan/compute-node/brctl_show', 7],
    ] as const) {
      const text = readFileSync(join(FIX, f), 'utf8');
      const r = parseBrctlShow(text);
      expect([r.value.bridges.length, r.value.whole, r.diagnostics]).toEqual([n, true, []]);
      expect(sniff(text)).toEqual({ kind: 'brctl-show' });
    }
    expect(classify('brctl_show')).toEqual({ kind: 'brctl-show' });
  });
});
