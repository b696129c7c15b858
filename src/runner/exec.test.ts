// exec leaves nothing behind: a finished command (also one that is not installed) holds no timer
// that keeps the process alive (`vifpath collect local` idled its 30 s command timeout at the end).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../testing/fixtures.ts';
import { exec } from './exec.ts';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('exec and its timeout', () => {
  it('a command that is not installed is rc 127 and leaves no timer running', async () => {
    const before = timers();
    const r = await exec(['vifpath-no-such-command'], { timeoutMs: 3_600_000 });
    expect(r.rc).toBe(127);
    expect(timers()).toBeLessThanOrEqual(before);
  });
  it('a command that ran leaves no timer running either; one past its timeout is killed', async () => {
    const before = timers();
    expect((await exec(['true'], { timeoutMs: 3_600_000 })).rc).toBe(0);
    expect(timers()).toBeLessThanOrEqual(before);
    const killed = await exec(['sleep', '600'], { timeoutMs: 50 });
    expect(killed.signal).toBe('SIGKILL');
    expect(timers()).toBeLessThanOrEqual(before);
  });
  it('vifpath collect local exits by itself once the case is written (xenstore-read is missing here)', () => {
    const out = mkdtempSync(join(tmpdir(), 'vifpath-exec-test-'));
    try {
      const r = spawnSync(
        'node',
        [
          '--input-type=module',
          '-e',
          // The command timeout set to an hour: a timer left behind would hold the process for it.
          `import { register } from 'tsx/esm/api'; register();
           const { collectCase } = await import(${JSON.stringify(join(ROOT, 'src/sources/collect.ts'))});
           const { LocalRunner } = await import(${JSON.stringify(join(ROOT, 'src/runner/runner.ts'))});
           const rs = await collectCase([{ name: 'here', runner: new LocalRunner() }], ${JSON.stringify(join(out, 'case'))}, { commandTimeoutMs: 3_600_000 });
           process.stdout.write(JSON.stringify({ ok: rs[0].ok, timers: process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length }));`,
        ],
        { cwd: ROOT, encoding: 'utf8', timeout: 600_000 },
      );
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ ok: true, timers: 0 });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
