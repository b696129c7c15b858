// Hand-edited pastes of published outputs (src/sources/fixtures/review3/PROVENANCE.md; each case's
// SOURCE.md says where): an elision line worded in brackets, a note after a flow, a header without
// its colon, excerpts of one `ovs-vsctl show` in several files, an excerpt saved under any name,
// iproute2's abbreviated commands. Each was refused (exit 2) or not read; each is read now, with
// what was skipped said. Run through the CLI as an operator would.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const R3 = join(ROOT, 'src/sources/fixtures/review3');
const run = (...args: string[]) =>
  spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('assaf-gre-nextgen1: `[... Bridge br-int omitted ...]` in ovs-vsctl show (was exit 2, not an ovs-vsctl show line)', () => {
  it('an elision: br-tun read, the output an excerpt from line 2', () => {
    const s = readCase(join(R3, 'assaf-gre-nextgen1'));
    const h = s.hosts[0]!;
    expect(s.diagnostics.filter((d) => d.file === 'NextGen1/ovs-vsctl_show')).toEqual([
      expect.objectContaining({ line: 2, severity: 'warning', code: 'excerpt' }),
    ]);
    expect(h.bridges.map((b) => [b.name, b.ports.map((p) => p.name)])).toContainEqual([
      'br-tun',
      ['patch-int', 'br-tun', 'gre-2', 'gre-1'],
    ]);
    expect(h.excerpts).toContainEqual(
      expect.objectContaining({ of: 'ovsdb', file: 'NextGen1/ovs-vsctl_show', line: 2 }),
    );
  });
  it('diagnose reads it: undecided (no VM port, no DHCP server in the case), the excerpt said', () => {
    const r = run('diagnose', join(R3, 'assaf-gre-nextgen1'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
    expect(r.stdout).toContain(
      'NextGen1/ovs-vsctl_show is an excerpt (lines left out at line 2): what it does not show is unknown',
    );
  });
});
