// Archives are unpacked within limits, and never left behind: a member over the per-member limit
// (a 1 GB member was written to /tmp in full, kept, then crashed the reader) is a one-line
// LimitError naming member and limit before anything is written; --lenient leaves it out with a
// warning and reads the rest; every read removes its /tmp/vifpath-sos-* folder (57 piled up).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitError } from '../errors/errors.ts';
import { SEED_CASE } from '../testing/fixtures.ts';
import { thrown } from '../testing/thrown.ts';
import { readCase } from './case-dir.ts';

describe('sosreport archives: limits and no leftovers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-archive-'));
  const privateTmp = join(dir, 'tmp');
  const savedTmp = process.env.TMPDIR;
  const caseDir = join(dir, 'case');
  beforeAll(() => {
    mkdirSync(privateTmp);
    // A host folder holding one archive: the seed's dom0 files plus a 2 MiB log of zeros.
    const src = join(dir, 'src', 'dom0');
    cpSync(join(SEED_CASE, 'dom0'), src, { recursive: true });
    writeFileSync(join(src, 'big.log'), Buffer.alloc(2 * 1024 * 1024));
    mkdirSync(join(caseDir, 'dom0'), { recursive: true });
    execFileSync('tar', [
      '-czf',
      join(caseDir, 'dom0', 'sosreport-dom0.tar.gz'),
      '-C',
      join(dir, 'src'),
      'dom0',
    ]);
    cpSync(join(SEED_CASE, 'domu'), join(caseDir, 'domu'), { recursive: true });
    // Every temporary folder of the reads below lands here, where nothing else writes.
    process.env.TMPDIR = privateTmp;
  });
  afterAll(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(dir, { recursive: true, force: true });
  });

  it('within the limits the archive is read and its unpacked folder removed', () => {
    const s = readCase(caseDir);
    expect(s.hosts.map((h) => h.name)).toEqual(['dom0', 'domu']);
    expect(s.hosts[0]!.bridges.map((b) => b.name).sort()).toEqual(['xapi3', 'xapi5']);
    expect(readdirSync(privateTmp)).toEqual([]);
  });

  it('a member over the per-member limit: LimitError naming member, size and limit; nothing unpacked', () => {
    const err = thrown(() => readCase(caseDir, { archiveLimits: { memberBytes: 1024 * 1024 } }), LimitError);
    const e = err as LimitError;
    expect(e.exit).toBe(2);
    expect(e.oneLine()).toBe(
      `${join(caseDir, 'dom0', 'sosreport-dom0.tar.gz')}: archive member dom0/big.log is 2097152 bytes, over the per-member limit of 1048576 (ARCHIVE_MAX_MEMBER_BYTES; set VIFPATH_ARCHIVE_MAX_MEMBER_BYTES to read it)`,
    );
    expect(readdirSync(privateTmp)).toEqual([]);
  });

  it('--lenient leaves the member out with a warning and reads the rest', () => {
    const s = readCase(caseDir, { lenient: true, archiveLimits: { memberBytes: 1024 * 1024 } });
    expect(s.hosts[0]!.bridges.map((b) => b.name).sort()).toEqual(['xapi3', 'xapi5']);
    expect(s.diagnostics.filter((d) => d.code === 'archive-limit').map((d) => d.message)).toEqual([
      expect.stringMatching(/^archive member dom0\/big.log is 2097152 bytes, .*: left out$/),
    ]);
    expect(readdirSync(privateTmp)).toEqual([]);
  });

  it('the total and member-count limits', () => {
    expect(() => readCase(caseDir, { archiveLimits: { totalBytes: 1024 * 1024 } })).toThrow(
      /unpacks to more than 1048576 bytes \(at member .*ARCHIVE_MAX_TOTAL_BYTES/,
    );
    expect(() => readCase(caseDir, { archiveLimits: { members: 3 } })).toThrow(
      /more than 3 members \(ARCHIVE_MAX_MEMBERS/,
    );
    expect(readdirSync(privateTmp)).toEqual([]);
  });
});
