// Reproduced by review: contradictory or dangling wires were read in silence. links.txt
// 'dom0:vif15.1 domu:eth1' then 'dom0:vif15.1 domu:eth0' gave one port two wires into one host; 'dom0:vif15.1\x1b[31m
// domu:eth1' (no such port on dom0, a host of the case) was listed as a wire with no word. Now one
// interface wired to two interfaces of one host is exit 2 naming both lines (a port on lines to
// several hosts stays a shared segment, as the README says: shared-segment.test.ts), the same
// wire twice is one wire, and an end
// a known host proves it lacks (its interface list is in the case, or the name is none a sane
// interface has) is a warning, escaped, as an end on an unknown host already was.
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVifpath, scratchDir } from '../testing/cli.ts';
import { ROOT } from '../testing/fixtures.ts';

const SEED = join(ROOT, 'examples/xenserver-seed');
const T = scratchDir('vifpath-links-');

let n = 0;
/** The seed with these links.txt lines; the command's result. */
function seedWith(links: string, args: (dir: string) => string[]) {
  const dir = join(T, `s${n++}`);
  cpSync(SEED, dir, { recursive: true });
  writeFileSync(join(dir, 'links.txt'), links);
  return runVifpath(args(dir), { timeoutMs: 60_000 });
}

describe('links.txt: one port wired to two interfaces of one host', () => {
  it.each([
    [
      'dom0:vif15.1 domu:eth1\ndom0:vif15.1 domu:eth0\n',
      /links\.txt:2: dom0:vif15\.1 is wired twice: to domu:eth1 \(line 1\) and to domu:eth0 \(line 2\); a wire to two interfaces of domu would loop it to itself/,
    ],
    [
      '# wires\ndom0:vif15.1 domu:eth1\n\ndomu:eth0 dom0:vif15.1\n',
      /links\.txt:4: dom0:vif15\.1 is wired twice: to domu:eth1 \(line 2\) and to domu:eth0 \(line 4\)/,
    ],
    [
      'dom0:vif15.1 domu:eth1\ndom0:vif16.0 domu:eth1\n',
      /links\.txt:2: domu:eth1 is wired twice: to dom0:vif15\.1 \(line 1\) and to dom0:vif16\.0 \(line 2\)/,
    ],
  ])('%j: exit 2 naming both lines', (links, line) => {
    for (const cmd of [(d: string) => ['snapshot', d], (d: string) => ['diagnose', d]]) {
      const r = seedWith(links, cmd);
      expect(r.status, r.stdout).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(line);
    }
  });

  it('a segment shared by two hosts stays one (README)', () => {
    const r = seedWith('dom0:vif15.1 domu:eth1\ndom0:vif15.1 dom0:vif16.0\n', (d) => [
      'snapshot',
      d,
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
  });

  it('the same wire twice (either way round) is one wire', () => {
    const r = seedWith('dom0:vif15.1 domu:eth1\ndomu:eth1 dom0:vif15.1\n', (d) => ['snapshot', d, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { links: { inferred: boolean }[] };
    expect(s.links.filter((l) => !l.inferred)).toHaveLength(1);
  });
});

describe('links.txt: an end no port of its host', () => {
  it('a name with a control character on a known host: a warning, escaped', () => {
    const r = seedWith('dom0:vif15.1\x1b[31m domu:eth1\n', (d) => ['snapshot', d]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toContain(
      'warning: links.txt:1: host dom0 has no port or interface "vif15.1\\x1b[31m" in the case',
    );
  });

  it('a name over 15 bytes: a warning', () => {
    const r = seedWith('dom0:vif15.1-far-too-long domu:eth1\n', (d) => ['snapshot', d]);
    expect(r.stdout).toContain('host dom0 has no port or interface "vif15.1-far-too-long"');
  });

  it('an unknown host: its warning as before', () => {
    const r = seedWith('dom0:vif15.1 nohost:eth1\n', (d) => ['snapshot', d]);
    expect(r.stdout).toContain('warning: links.txt:1: no host folder "nohost" in the case');
  });

  it("the seed's own wire (domu:eth1, a host without its interface list): no warning", () => {
    const r = seedWith('dom0:vif15.1 domu:eth1\n', (d) => ['snapshot', d]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/no port or interface/);
  });
});
