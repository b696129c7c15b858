// Nodes of one sos collect bundle whose host names clash: named by the node name sos collect gave
// their archives, said; a clash that cannot be resolved so gives advice that can be followed.
// Real bundles: fixtures/sos-collect-localhost/PROVENANCE.md.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../testing/fixtures.ts';
import { nodeNameOf, readInputs } from './inputs.ts';

const FIX = join(ROOT, 'src/sources/fixtures/sos-collect-localhost');

describe('the node name in a node archive', () => {
  it.each([
    ['sosreport-compute01-2024-03-03-aaaaaaa.tar.xz', 'compute01'],
    ['sosreport-network01-2024-03-03-bbbbbbb.tar.xz', 'network01'],
    ['sosreport-compute4-2025-05-12-abcdefg.tar.xz', 'compute4'],
    ['sosreport-noble-sunbeam-2025-05-12-hijklmn', 'noble-sunbeam'],
    ['sosreport-compute01.example.org-2024-03-03-aaaaaaa.tar.xz', 'compute01'],
    ['compute01.tar.xz', undefined],
  ])('%s', (archive, node) => {
    expect(nodeNameOf(archive)).toBe(node);
  });
});

describe('two nodes that both say localhost', () => {
  it('the tarball: hosts compute01 and network01, each said', () => {
    const [s] = readInputs([join(FIX, 'sos-collector-2024-03-03-lclhs.tar')]);
    // Was: exit 2 'two inputs are host "localhost" … name them on the command line: NAME=PATH'.
    expect(s!.hosts.map((h) => h.name)).toEqual(['compute01', 'network01']);
    expect(s!.diagnostics.filter((d) => d.code === 'host-named-by-node').map((d) => d.message)).toEqual([
      'host named compute01, the node name sos collect gave its archive: its sosreport-compute01-2024-03-03-aaaaaaa/sos_commands/host/hostname says only "localhost"',
      'host named network01, the node name sos collect gave its archive: its sosreport-network01-2024-03-03-bbbbbbb/sos_commands/host/hostname says only "localhost"',
    ]);
  });
});

describe('a clash the node names do not resolve', () => {
  it('two archives of one node: bad input with advice a bundle folder can follow', () => {
    const dir = join(FIX, 'sos-collector-2024-03-02-dupaa');
    expect(() => readInputs([dir])).toThrow(
      `two inputs are host "compute01" (by its sosreport-compute01-2024-03-02-ccccccc/sos_commands/host/hostname): ${dir}/sosreport-compute01-2024-03-01-aaaaaaa.tar.xz and ${dir}/sosreport-compute01-2024-03-02-ccccccc.tar.xz; give each host once: the bundle's node archives one by one instead of ${dir}, each named if need be (NAME=PATH)`,
    );
  });
});
