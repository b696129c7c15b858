// A collect where every target fails leaves nothing: not the case folder it made (the same command
// again was refused: "the folder exists and is not empty"), not its files in a folder that was
// there and empty. What the failed host's vifpath-collect.log said is printed instead. The real CLI.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVifpath, scratchDir } from '../testing/cli.ts';

const work = scratchDir('collect-nothing-');
const run = (args: string[]) => runVifpath(args, { cwd: work });
const NS = 'netns:vifpath-test-no-such-namespace';

describe('collect where no target can be collected', () => {
  it('removes the folder it made, says the log, and the same command runs again the same way', () => {
    const out = join(work, 'a', 'col1');
    for (let i = 0; i < 2; i++) {
      const r = run(['collect', NS, '-o', out]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('what vifpath-collect.log said:');
      expect(r.stderr).toContain('["uname","-n"]');
      expect(r.stderr).toContain(`no target could be collected: nothing written in ${out}`);
      expect(r.stderr).not.toContain('not empty');
      // Its parent too: vifpath made both.
      expect(existsSync(join(work, 'a'))).toBe(false);
    }
  });
  it('an empty folder that was there stays, empty', () => {
    const out = join(work, 'empty');
    mkdirSync(out);
    expect(run(['collect', NS, '-o', out]).status).toBe(2);
    expect(readdirSync(out)).toEqual([]);
  });
  it('beside a host that is collected, the failed one stays with its log (exit 1)', () => {
    const out = join(work, 'some');
    const r = run(['collect', 'here=local', `gone=${NS}`, '-o', out]);
    expect(r.status).toBe(1);
    expect(readdirSync(out).sort()).toEqual(['gone', 'here', 'links.txt']);
    expect(existsSync(join(out, 'gone', 'vifpath-collect.log'))).toBe(true);
  });
});
