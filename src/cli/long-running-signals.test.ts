// The long-running commands (watch, agent, serve) stopped by SIGINT/SIGTERM: each closes what it
// opened and dies of the signal (130/143), as every other command does. Agent and serve had a
// listener of their own and exited 0 (every row below but watch's), unless cleanup.ts's handler,
// installed by a child they had spawned, raised the signal first: which one won decided the status.
// The real CLI, a real ovsdb-server; every wait is a poll.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDir, startVifpath, until } from '../testing/cli.ts';
import { SEED_CASE } from '../testing/fixtures.ts';
import { TestOvsdbServer } from '../testing/ovsdb-server.ts';

const work = scratchDir('vifpath-test-longrun-');
const archive = join(work, 'seed.tar.gz');
let s: TestOvsdbServer;
beforeAll(async () => {
  execFileSync('tar', ['-czf', archive, '-C', join(SEED_CASE, '..'), 'xenserver-seed']);
  s = await TestOvsdbServer.create(join(work, 'db'));
  await s.vsctl('add-br', 'br-int');
});
afterAll(async () => {
  await s.stop();
});

const pidFile = join(work, 'agent.pid');
// [what, argv, what it prints once it runs]
const commands: [string, () => string[], RegExp][] = [
  [
    'serve of a case folder (spawns nothing)',
    () => ['serve', '--port', '0', SEED_CASE],
    /serving .* on http/,
  ],
  ['serve of a .tar.gz (spawned tar)', () => ['serve', '--port', '0', archive], /serving .* on http/],
  [
    'agent with no VM port (spawns nothing)',
    () => [
      'agent',
      s.remote,
      '--integration-bridge',
      'br-int',
      '--physical-bridge',
      'br-phy',
      '--int-patch',
      'int-phy',
      '--phy-patch',
      'phy-int',
      '--network',
      'tenant=100',
      '--poll',
      '0',
      '--pid-file',
      pidFile,
    ],
    /agent: started on /,
  ],
  ['watch', () => ['watch', `dom0=${s.remote}`, '--poll', '0'], /vifpath watch: watching dom0/],
];

describe.each(['SIGINT', 'SIGTERM'] as const)('%s to a long-running command', (sig) => {
  it.each(commands)('%s: dies of the signal', async (what, argv, running) => {
    const started = startVifpath(argv(), { cwd: work });
    const v = started.child;
    try {
      await until(`${what} to run`, () => running.test(started.stdout() + started.stderr()));
      if (what.startsWith('agent')) expect(existsSync(pidFile)).toBe(true);
      process.kill(v.pid!, sig);
      await until('vifpath to exit', () => v.exitCode !== null || v.signalCode !== null);
      expect({ code: v.exitCode, signal: v.signalCode }).toEqual({ code: null, signal: sig });
      // What it opened is closed: the agent's pid file goes with it.
      if (what.startsWith('agent')) expect(existsSync(pidFile)).toBe(false);
    } finally {
      try {
        process.kill(v.pid!, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });
});
