// Review5 item 9: `capture analyze /dev/zero` (or a FIFO) said "not a capture file (a folder?)";
// `diagnose --pcap dom0:FIFO` hung for ever. Now each says what the path is, exit 2, never opened.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-capture-nf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fifo = join(dir, 'cap.pcap');
execFileSync('mkfifo', [fifo]);
const run = (args: string[]) =>
  spawnSync('node', [BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: '1' },
  });

describe('captures that are no files', () => {
  it.each([
    [['capture', 'analyze', '/dev/zero'], 'vifpath: /dev/zero: a character device: not a capture file\n'],
    [['capture', 'analyze', `p=${fifo}`], `vifpath: ${fifo}: a FIFO (named pipe): not a capture file\n`],
    [['capture', 'analyze', dir], `vifpath: ${dir}: a folder: not a capture file\n`],
    [
      ['diagnose', SEED_CASE, '--pcap', `dom0:${fifo}`],
      `vifpath: ${fifo}: --pcap: a FIFO (named pipe): not a capture file\n`,
    ],
    [
      ['diagnose', SEED_CASE, '--pcap', 'dom0:/dev/zero'],
      'vifpath: /dev/zero: --pcap: a character device: not a capture file\n',
    ],
  ])('%j: exit 2 saying what it is', (args, want) => {
    const r = run(args);
    expect(r.error).toBeUndefined();
    expect([r.status, r.stderr]).toEqual([2, want]);
  });
});
