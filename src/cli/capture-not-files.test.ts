// Review5 item 9: `capture analyze /dev/zero` (or a FIFO) said "not a capture file (a folder?)";
// `diagnose --pcap dom0:FIFO` hung for ever. Now each says what the path is, exit 2, never opened.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVifpath, scratchDir } from '../testing/cli.ts';
import { SEED_CASE } from '../testing/fixtures.ts';

const dir = scratchDir('vifpath-test-capture-nf-');
const fifo = join(dir, 'cap.pcap');
execFileSync('mkfifo', [fifo]);
const run = (args: string[]) => runVifpath(args, { timeoutMs: 30_000 });

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
