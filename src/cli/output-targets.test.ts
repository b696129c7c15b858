// Review5 items 2, 5, 6: what vifpath writes to. A FIFO given as -o or --state hung for ever
// (nobody reads it); `report -o -` wrote a file named "-"; a full stdout was a stack trace, exit 1;
// a path with ESC printed raw on the success line. Now a FIFO/socket/device is refused before it is
// opened (a stream the caller opened is written), `-o -` is stdout, a write error on stdout is one
// line, exit 2 (EPIPE quiet), and paths on success lines are escaped.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-outputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[], cwd = dir) =>
  spawnSync('node', [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
const sh = (script: string, ...args: string[]) =>
  spawnSync('bash', ['-c', script, BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });

describe('files that are no files as outputs: refused before they are opened', () => {
  const fifo = join(dir, 'fifo.html');
  execFileSync('mkfifo', [fifo]);
  it.each([
    ['report -o a FIFO', ['report', SEED_CASE, '-o', fifo], `-o ${fifo} is a FIFO (named pipe)`],
    ['report -o /dev/null', ['report', SEED_CASE, '-o', '/dev/null'], '-o /dev/null is a character device'],
    [
      'watch --state a FIFO',
      ['watch', 'tcp:127.0.0.1:1', '--once', '--state', fifo],
      `--state ${fifo} is a FIFO (named pipe)`,
    ],
  ])('%s: exit 2, one line', (_n, args, want) => {
    const r = run(args);
    expect(r.error).toBeUndefined(); // no timeout
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `vifpath: ${want}, not a regular file: vifpath writes only files (nothing was opened); give a file${args[0] === 'report' ? ' (or -o - for stdout)' : ''}\n`,
    );
  });

  it('a link to the FIFO too; /dev/stdout (the caller opened it) is written', () => {
    execFileSync('ln', ['-s', fifo, join(dir, 'lnk.html')]);
    expect(run(['report', SEED_CASE, '-o', join(dir, 'lnk.html')]).status).toBe(2);
    const r = sh('node "$0" report "$1" -o /dev/stdout | head -c 15', SEED_CASE);
    expect(r.stdout).toBe('<!doctype html>');
  });

  it('report -o -: the page on stdout, no file named -', () => {
    const r = run(['report', SEED_CASE, '-o', '-']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^<!doctype html>/);
    expect(r.stdout).toContain('<title>vifpath report</title>');
    expect(r.stdout).not.toContain('vifpath: wrote');
    expect(existsSync(join(dir, '-'))).toBe(false);
  });
});

describe('stdout that cannot be written', () => {
  it('a full device: one line, exit 2, no stack trace', () => {
    const r = sh('node "$0" snapshot "$1" --json > /dev/full', SEED_CASE);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('vifpath: cannot write the output: no space left on device (ENOSPC)\n');
  });
  it('a reader that goes away (| head -1): quiet', () => {
    const r = sh(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script
      'set -o pipefail; node "$0" snapshot "$1" --json | head -1; echo "rc=${PIPESTATUS[0]}" >&2',
      SEED_CASE,
    );
    expect(r.stdout).toBe('{\n');
    expect(r.stderr).toMatch(/^rc=0\n$/);
  });
});

describe('paths printed on success lines: control characters escaped', () => {
  it('report -o with ESC in the name', () => {
    const name = 'r\x1b[31m.html';
    const r = run(['report', SEED_CASE, '-o', name]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^vifpath: wrote r\\x1b\[31m\.html \(\d+ KiB;/);
    expect(r.stdout).not.toContain('\x1b');
    expect(readFileSync(join(dir, name), 'utf8')).toContain('<title>vifpath report</title>');
  });
});
