// The new-user review's edits of the seed's xapi3 dump, through `vifpath diagnose`: lines OVS
// would never print (a field given twice, a value wider than its field, `drop` with another
// action: see ovs-refusals.test.ts for what OVS 3.1.0 does with each) are corrupt input, exit 2
// with one line naming file and line, and --lenient reads the rest without a confident cause; an
// action OVS does not know (`dr0p`) is an unsupported node, and the diagnosis rests on nothing
// past it: undecided (exit 3), naming it and its line.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, edit, seedCase } from '../testing/case-edits.ts';
import { ROOT } from '../testing/fixtures.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const XAPI3 = 'dom0/ovs-ofctl_dump-flows_xapi3';
const DROP = 'priority=2,in_port=2 actions=drop';

afterAll(cleanupCases);

function seedWith(from: string, to: string): string {
  return seedCase((d) => edit(join(d, XAPI3), from, to));
}

function diagnose(dir: string, ...opts: string[]) {
  return spawnSync('node', [BIN, 'diagnose', dir, ...opts], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
}

const CORRUPT: [what: string, from: string, to: string, line: number, message: RegExp][] = [
  [
    '(a) a field given twice',
    DROP,
    'priority=2,in_port=2,in_port=3 actions=drop',
    4,
    /in_port given twice with different values \(in_port=2, then in_port=3\)/,
  ],
  [
    '(b) dl_vlan wider than 12 bits',
    'priority=4,in_port=2,dl_vlan=1 ',
    'priority=4,in_port=2,dl_vlan=5000 ',
    3,
    /dl_vlan: 5000 does not fit in 12 bits/,
  ],
  [
    '(c) drop with another action',
    DROP,
    'priority=2,in_port=2 actions=drop,NORMAL',
    4,
    /must not be accompanied by any other action/,
  ],
];

describe('the seed edited into lines OVS would not print', () => {
  it.each(CORRUPT)(
    '%s: exit 2 naming file and line; --lenient reads the rest',
    (_what, from, to, line, message) => {
      const d = seedWith(from, to);
      const r = diagnose(d);
      expect(r.status, r.stdout).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^vifpath: ${XAPI3}:${line}: `));
      expect(lines[0]).toMatch(message);
      expect(lines[0]).toContain('--lenient');
      // --lenient: the line becomes a note naming it; no cause is claimed from the rest.
      const l = diagnose(d, '--lenient', '--json');
      expect(l.status, l.stderr).toBe(3);
      const doc = JSON.parse(l.stdout);
      expect(doc.verdict).toBe('undecided');
      expect(doc.findings.filter((f: { role: string }) => f.role === 'cause')).toEqual([]);
      expect(JSON.stringify(doc.findings)).toMatch(message);
    },
    60_000,
  );

  it('(d) an unknown action for the drop: undecided (exit 3), naming it and its line', () => {
    const d = seedWith(DROP, 'priority=2,in_port=2 actions=dr0p');
    const r = diagnose(d, '--json');
    expect(r.status, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.verdict).toBe('undecided');
    expect(doc.findings.filter((f: { role: string }) => f.role === 'cause')).toEqual([]);
    const named = doc.findings.filter(
      (f: { message: string }) => f.message.includes('dr0p') && f.message.includes(`${XAPI3}:4`),
    );
    expect(named.length).toBeGreaterThan(0);
  }, 60_000);
});
