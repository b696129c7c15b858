// Reproduced by review: the same live host given twice was collected twice and renamed apart
// (`snapshot local local` printed hosts vm and vm-2; `collect local local -o c12` wrote folders vm
// and vm-2), against the README ("the same host given twice is bad input (exit 2, naming both),
// never merged or renamed"). Now the same target twice is exit 2 naming both, before anything runs
// or is written; different targets (`local`, `netns:…`) and targets named apart on purpose are not.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVifpath, scratchDir } from '../testing/cli.ts';

const T = scratchDir('vifpath-same-');
const run = (args: readonly string[]) => runVifpath(args, { timeoutMs: 60_000 });

const rows: [string, () => string[], RegExp][] = [
  [
    'snapshot local local',
    () => ['snapshot', 'local', 'local'],
    /the same host is given twice: local and local/,
  ],
  [
    'collect local local -o',
    () => ['collect', 'local', 'local', '-o', join(T, 'c12')],
    /the same host is given twice: local and local/,
  ],
  [
    'diagnose local?sudo local',
    () => ['diagnose', 'local?sudo', 'local'],
    /the same host is given twice: local\?sudo and local/,
  ],
  [
    'snapshot ssh://root@Dom0 ssh://root@dom0',
    () => ['snapshot', 'ssh://root@Dom0', 'ssh://root@dom0'],
    /the same host is given twice: ssh:\/\/root@Dom0 and ssh:\/\/root@dom0/,
  ],
  [
    'snapshot netns:a x=netns:a',
    () => ['snapshot', 'netns:qa', 'x=netns:qa'],
    /the same host is given twice: netns:qa and x=netns:qa/,
  ],
];

describe('the same live target twice', () => {
  it.each(rows)('%s: exit 2 naming both, nothing collected', (_what, args, line) => {
    const r = run(args());
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(line);
    expect(existsSync(join(T, 'c12'))).toBe(false);
  });

  it('local and a namespace are two hosts: collected', () => {
    const r = run(['collect', 'local', 'netns:vifpathnosuchns', '-o', join(T, 'two')]);
    expect(r.stderr).not.toMatch(/given twice/);
    expect(existsSync(join(T, 'two'))).toBe(true);
  });

  it('named apart on purpose: collected as asked', () => {
    const r = run(['collect', 'a=local', 'b=local', '-o', join(T, 'ab')]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(T, 'ab', 'a'))).toBe(true);
    expect(existsSync(join(T, 'ab', 'b'))).toBe(true);
  });
});
