// Review5 item 7: `collect local` with a namespace named `qdhcp-e\x1b[31m` left it out with no
// "skipped" line on stderr or in vifpath-collect.log (`ip netns` printed a line the parser does not
// take as a name, and collect dropped it). Now it is said, escaped, in both.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needRoot, ROOT } from '../testing/fixtures.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const NS = `qdhcp-vft${process.pid}\x1b[31m`;
const SHOWN = `qdhcp-vft${process.pid}\\x1b[31m`;
const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-netns-esc-'));

beforeAll(() => {
  needRoot();
  execFileSync('ip', ['netns', 'add', NS]);
});
afterAll(() => {
  spawnSync('ip', ['netns', 'del', NS]);
  rmSync(dir, { recursive: true, force: true });
});

describe('collect local: a namespace whose name holds a control character', () => {
  it('is skipped out loud, escaped, on stderr and in vifpath-collect.log', () => {
    const out = join(dir, 'case');
    const r = spawnSync('node', [BIN, 'collect', 'local', '-o', out], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status).toBe(0);
    const line = `namespace "${SHOWN}": its name has characters outside [A-Za-z0-9_.-]; collect it by hand`;
    expect(r.stderr).toContain(`: not collected: ${line}\n`);
    expect(r.stderr).not.toContain('\x1b[31m');
    const [host] = readdirSync(out).filter((e) => e !== 'links.txt');
    const log = readFileSync(join(out, host!, 'vifpath-collect.log'), 'utf8');
    expect(log).toContain(`skipped: ${line}\n`);
    expect(log).not.toContain('\x1b');
  });
});
