// The case reader's file walk is bounded (issue 19 item 4): the 20,000-file limit cut off
// silently and counted a sosreport's proc/ and sys/. Now proc/ and sys/ of a sosreport are never
// walked, the file count and depth are named limits (LimitError, exit 2; a warning under
// --lenient), and no symbolic link is followed out of the case.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/main.ts';
import { diagnose } from '../doctor/diagnose.ts';
import { LimitError } from '../errors/errors.ts';
import type { FileDiagnostic } from '../model/diagnostic.ts';
import { SEED_CASE } from '../testing/fixtures.ts';
import { thrown } from '../testing/thrown.ts';
import { readCase } from './case-dir.ts';
import { CASE_MAX_DEPTH, walkHost } from './walk.ts';

describe('case file walk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-walk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const files = (root: string, paths: string[]): void => {
    for (const p of paths) {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), 'x\n');
    }
  };

  it("a sosreport's proc/ and sys/ are never walked nor counted", () => {
    const root = join(dir, 'sos');
    files(root, [
      'sos_commands/openvswitch/ovs-vsctl_-t_5_show',
      'etc/openvswitch/conf.db',
      ...Array.from({ length: 50 }, (_, i) => `proc/${i}/status`),
      ...Array.from({ length: 50 }, (_, i) => `sys/class/net/eth${i}/mtu`),
      'deeper/proc/kept',
    ]);
    const diagnostics: FileDiagnostic[] = [];
    const got = walkHost(root, { where: 'h', lenient: false, limits: { files: 3 }, diagnostics });
    expect(got.map((p) => relative(root, p))).toEqual([
      'deeper/proc/kept',
      'etc/openvswitch/conf.db',
      'sos_commands/openvswitch/ovs-vsctl_-t_5_show',
    ]);
    expect(diagnostics).toEqual([]);
  });

  it('more files than the limit: LimitError naming folder and CASE_MAX_FILES; --lenient warns and keeps the first', () => {
    const root = join(dir, 'many');
    files(
      root,
      Array.from({ length: 30 }, (_, i) => `f${String(i).padStart(2, '0')}`),
    );
    const diagnostics: FileDiagnostic[] = [];
    const err = thrown(
      () => walkHost(root, { where: 'h', lenient: false, limits: { files: 20 }, diagnostics }),
      LimitError,
    );
    expect((err as LimitError).exit).toBe(2);
    expect((err as LimitError).oneLine()).toBe(
      "h: more than 20 files in this host folder (CASE_MAX_FILES; a sosreport's proc/ and sys/ are not counted): give the host's sosreport or only the outputs vifpath reads, or set VIFPATH_CASE_MAX_FILES (use --lenient to read the rest)",
    );
    const got = walkHost(root, { where: 'h', lenient: true, limits: { files: 20 }, diagnostics });
    expect(got).toHaveLength(20);
    expect(diagnostics).toMatchObject([{ file: 'h', severity: 'warning', code: 'limit' }]);
  });

  it('folders deeper than CASE_MAX_DEPTH: LimitError naming the folder; --lenient skips it', () => {
    const root = join(dir, 'deep');
    const deep = Array.from({ length: CASE_MAX_DEPTH + 2 }, (_, i) => `d${i}`).join('/');
    files(root, ['top', `${deep}/bottom`]);
    expect(() => walkHost(root, { where: 'h', lenient: false, diagnostics: [] })).toThrow(
      new RegExp(`nested more than ${CASE_MAX_DEPTH} levels below the host folder \\(CASE_MAX_DEPTH`),
    );
    const diagnostics: FileDiagnostic[] = [];
    const got = walkHost(root, { where: 'h', lenient: true, diagnostics });
    expect(got.map((p) => relative(root, p))).toEqual(['top']);
    expect(diagnostics).toMatchObject([
      { file: `h/${Array.from({ length: CASE_MAX_DEPTH + 1 }, (_, i) => `d${i}`).join('/')}`, code: 'limit' },
    ]);
  });

  it('symbolic links: none followed out of the case (each one named); a host linked inside the case is read', async () => {
    const outside = join(dir, 'outside');
    cpSync(join(SEED_CASE, 'domu'), join(outside, 'elsewhere'), { recursive: true });
    writeFileSync(join(outside, 'links.txt'), 'dom0:vif16.0 elsewhere:eth1\n');
    const c = join(dir, 'case');
    cpSync(join(SEED_CASE, 'dom0'), join(c, 'dom0'), { recursive: true });
    cpSync(join(SEED_CASE, 'domu'), join(c, 'real-domu'), { recursive: true });
    symlinkSync(join(c, 'real-domu'), join(c, 'domu'));
    symlinkSync(join(outside, 'elsewhere'), join(c, 'elsewhere'));
    symlinkSync(join(outside, 'elsewhere'), join(c, 'dom0', 'more'));
    symlinkSync(join(outside, 'links.txt'), join(c, 'links.txt'));
    const s = readCase(c);
    expect(s.hosts.map((h) => h.name)).toEqual(['dom0', 'domu', 'real-domu']);
    expect(s.links).toEqual([]);
    expect(s.hosts[0]!.files.some((f) => f.includes('more'))).toBe(false);
    expect(s.diagnostics).toMatchObject([
      { file: 'elsewhere', severity: 'warning', code: 'symlink-out' },
      { file: 'dom0/more', severity: 'warning', code: 'symlink-out' },
    ]);
    expect(s.diagnostics[1]!.message).toBe(
      `symlink to outside the case not followed (${join(outside, 'elsewhere')})`,
    );
  });

  describe('symbolic links in a host folder: followed inside the case, named when not (review: skipped in silence)', () => {
    /** The seed with dom0's flow dump moved to `shared/` and linked back under its own name. */
    const linkedSeed = (name: string): string => {
      const c = join(dir, name);
      cpSync(SEED_CASE, c, { recursive: true });
      mkdirSync(join(c, 'shared'));
      renameSync(join(c, 'dom0/ovs-ofctl_dump-flows_xapi3'), join(c, 'shared/flows.txt'));
      return c;
    };
    const seedVerdict = diagnose(readCase(SEED_CASE));

    it('a file linked from elsewhere in the case (relative or absolute) is read under its link name: the same diagnosis as the seed', () => {
      for (const [name, target] of [
        ['rel', '../shared/flows.txt'],
        ['abs', ''],
      ] as const) {
        const c = linkedSeed(`linked-${name}`);
        symlinkSync(target || join(c, 'shared/flows.txt'), join(c, 'dom0/ovs-ofctl_dump-flows_xapi3'));
        const s = readCase(c);
        expect(s.hosts.find((h) => h.name === 'dom0')!.files).toContain('dom0/ovs-ofctl_dump-flows_xapi3');
        expect(s.diagnostics.filter((d) => d.code.startsWith('symlink'))).toEqual([]);
        const d = diagnose(s);
        expect([d.verdict, d.headline]).toEqual([seedVerdict.verdict, seedVerdict.headline]);
        expect(d.headline).toContain('n_packets=7');
      }
    });

    it('the same link out of the case: not followed, and said (the file named, where it points)', () => {
      const c = linkedSeed('linked-out');
      const away = mkdtempSync(join(tmpdir(), 'vifpath-test-walk-away-'));
      try {
        cpSync(join(c, 'shared/flows.txt'), join(away, 'flows.txt'));
        rmSync(join(c, 'shared'), { recursive: true });
        symlinkSync(join(away, 'flows.txt'), join(c, 'dom0/ovs-ofctl_dump-flows_xapi3'));
        const s = readCase(c);
        expect(s.hosts.find((h) => h.name === 'dom0')!.files).not.toContain(
          'dom0/ovs-ofctl_dump-flows_xapi3',
        );
        expect(s.diagnostics).toContainEqual({
          file: 'dom0/ovs-ofctl_dump-flows_xapi3',
          line: 0,
          severity: 'warning',
          code: 'symlink-out',
          message: `symlink to outside the case not followed (${join(away, 'flows.txt')})`,
        });
      } finally {
        rmSync(away, { recursive: true, force: true });
      }
    });

    // Links inside one host folder, walked on their own: [link, target, what the walk yields, diagnostic code].
    const rows: [string, string, string[], string | null][] = [
      ['ovs-vsctl_show', 'raw/show.txt', ['ovs-vsctl_show', 'raw/other'], null],
      ['ovs-vsctl_show', 'missing', ['raw/other', 'raw/show.txt'], 'symlink-dangling'],
      ['ovs-vsctl_show', '/etc/hostname', ['raw/other', 'raw/show.txt'], 'symlink-out'],
      ['ovs-vsctl_show', '../outside-of-host', ['raw/other', 'raw/show.txt'], 'symlink-out'],
      // A link to a folder is never walked (review5: `up -> ..` merged the other hosts into dom0): named.
      ['zz-again', 'raw', ['raw/other', 'raw/show.txt'], 'symlink-dir'],
      ['a-first', 'raw', ['raw/other', 'raw/show.txt'], 'symlink-dir'],
      ['raw/loop', '..', ['raw/other', 'raw/show.txt'], 'symlink-dir'],
      ['raw/self', 'self', ['raw/other', 'raw/show.txt'], 'symlink-loop'],
      ['raw/gone', 'raw/none/x', ['raw/other', 'raw/show.txt'], 'symlink-dangling'],
      ['null', '/dev/null', ['raw/other', 'raw/show.txt'], 'symlink-out'],
    ];
    it.each(rows)('%s -> %s', (link, target, want, code) => {
      const root = join(dir, `host-${link.replace(/\W/g, '_')}-${target.replace(/\W/g, '_')}`);
      files(root, ['raw/show.txt', 'raw/other']);
      writeFileSync(join(dir, 'outside-of-host'), 'x\n');
      symlinkSync(target, join(root, link));
      const diagnostics: FileDiagnostic[] = [];
      const got = walkHost(root, { where: 'h', boundary: root, lenient: false, diagnostics });
      expect(got.map((p) => relative(root, p)).sort()).toEqual(want);
      expect(diagnostics.map((d) => [d.file, d.code])).toEqual(code ? [[`h/${link}`, code]] : []);
    });

    // Loops were 'symlink to nothing' (realpath's ELOOP taken for a missing target): [what, in a
    // sosreport's tree, links [name, target], the warnings [file, message]]. In a sosreport a link
    // to nothing is passed over in silence (an output sos did not collect); a loop is no such thing.
    const loops: [string, boolean, [string, string][], [string, string][]][] = [
      ['self', false, [['self', 'self']], [['h/self', 'symlink loop (ELOOP, to self): not read']]],
      [
        'a -> b -> a',
        false,
        [
          ['a', 'b'],
          ['b', 'a'],
        ],
        [
          ['h/a', 'symlink loop (ELOOP, to b): not read'],
          ['h/b', 'symlink loop (ELOOP, to a): not read'],
        ],
      ],
      [
        'three, through a folder',
        false,
        [
          ['x', 'raw/y'],
          ['raw/y', '../z'],
          ['z', 'x'],
        ],
        [
          ['h/raw/y', 'symlink loop (ELOOP, to ../z): not read'],
          ['h/x', 'symlink loop (ELOOP, to raw/y): not read'],
          ['h/z', 'symlink loop (ELOOP, to x): not read'],
        ],
      ],
      ['dangling', false, [['gone', 'missing']], [['h/gone', 'symlink to nothing (missing): not read']]],
      [
        'sosreport, a -> b -> a',
        true,
        [
          ['sos_commands/host/hostname', '../../hostname'],
          ['hostname', 'sos_commands/host/hostname'],
        ],
        [
          ['h/hostname', 'symlink loop (ELOOP, to sos_commands/host/hostname): not read'],
          ['h/sos_commands/host/hostname', 'symlink loop (ELOOP, to ../../hostname): not read'],
        ],
      ],
      ['sosreport, dangling', true, [['hostname', 'sos_commands/host/hostname']], []],
    ];
    it.each(loops)('loop: %s', (what, sos, links, want) => {
      const root = join(dir, `loop-${what.replace(/\W/g, '_')}`);
      const plain = ['raw/show.txt', ...(sos ? ['sos_commands/host/uname_-a'] : [])];
      files(root, plain);
      for (const [name, target] of links) symlinkSync(target, join(root, name));
      const diagnostics: FileDiagnostic[] = [];
      const got = walkHost(root, { where: 'h', lenient: false, diagnostics });
      expect(got.map((p) => relative(root, p))).toEqual(plain);
      expect(diagnostics.map((d) => [d.file, d.message])).toEqual(want);
    });

    it("a sosreport's own links stay as before: passed over in silence, their targets read by their own names", () => {
      const root = join(dir, 'sos-links');
      files(root, [
        'sos_commands/host/hostname',
        'sos_commands/networking/ip_-o_addr',
        'etc/neutron/plugins/ml2/ml2_conf.ini',
      ]);
      symlinkSync('sos_commands/host/hostname', join(root, 'hostname'));
      symlinkSync('sos_commands/networking/ip_-o_addr', join(root, 'ip_addr'));
      symlinkSync('sos_commands/kernel/uname_-a', join(root, 'uname')); // not collected: dangling
      symlinkSync('plugins/ml2/ml2_conf.ini', join(root, 'etc/neutron/plugin.ini'));
      symlinkSync('../sos_commands', join(root, 'etc/commands')); // a folder link back into the report
      const diagnostics: FileDiagnostic[] = [];
      const got = walkHost(root, { where: 'h', lenient: false, diagnostics });
      expect(got.map((p) => relative(root, p))).toEqual([
        'etc/neutron/plugins/ml2/ml2_conf.ini',
        'sos_commands/host/hostname',
        'sos_commands/networking/ip_-o_addr',
      ]);
      expect(diagnostics).toEqual([]);
      // ... but one out of the report is said.
      symlinkSync('/etc/hostname', join(root, 'sos_commands/host/hostname_-f'));
      const d2: FileDiagnostic[] = [];
      walkHost(root, { where: 'h', lenient: false, diagnostics: d2 });
      expect(d2.map((d) => [d.file, d.code])).toEqual([['h/sos_commands/host/hostname_-f', 'symlink-out']]);
    });

    it('an archive: a member linking inside it is read under its name; one out of it is named, not followed', () => {
      const src = join(dir, 'archive-src');
      cpSync(join(SEED_CASE, 'dom0'), src, { recursive: true });
      mkdirSync(join(src, 'raw'));
      renameSync(join(src, 'ovs-ofctl_dump-flows_xapi3'), join(src, 'raw/flows'));
      symlinkSync('raw/flows', join(src, 'ovs-ofctl_dump-flows_xapi3'));
      symlinkSync('/etc/passwd', join(src, 'evil'));
      symlinkSync('../../../../../../../../etc/shadow', join(src, 'evil2'));
      const c = join(dir, 'archive-case');
      cpSync(join(SEED_CASE, 'domu'), join(c, 'domu'), { recursive: true });
      execFileSync('tar', ['-czf', join(c, 'dom0.tar.gz'), '-C', src, '.']);
      const s = readCase(c);
      expect(s.hosts.find((h) => h.name === 'dom0')!.files).toContain(
        'dom0.tar.gz/ovs-ofctl_dump-flows_xapi3',
      );
      expect(s.diagnostics.filter((d) => d.code === 'symlink-out').map((d) => d.file)).toEqual([
        'dom0.tar.gz/evil',
        'dom0.tar.gz/evil2',
      ]);
      expect(diagnose(s).headline).toContain('n_packets=7');
    });
  });

  it('a text file over CASE_MAX_TEXT_BYTES: exit 2 naming it; --lenient warns and reads the rest', async () => {
    const c = join(dir, 'text');
    cpSync(SEED_CASE, c, { recursive: true });
    const saved = process.env.VIFPATH_CASE_MAX_TEXT_BYTES;
    process.env.VIFPATH_CASE_MAX_TEXT_BYTES = '400';
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['snapshot', c], () => {})).toBe(2);
      expect(err.mock.calls.map((x) => String(x[0]))).toEqual([
        expect.stringMatching(
          /^vifpath: dom[0u]\/[^:]+: \d+ bytes, over the 400-byte limit on one text file \(CASE_MAX_TEXT_BYTES; set VIFPATH_CASE_MAX_TEXT_BYTES to read it\) \(use --lenient to read the rest\)\n$/,
        ),
      ]);
      const s = readCase(c, { lenient: true });
      expect(s.diagnostics.filter((d) => d.code === 'limit').map((d) => d.file)).toContain(
        'dom0/ovsdb-client_monitor_Interface_name_ofport',
      );
      expect(s.hosts.map((h) => h.name)).toEqual(['dom0', 'domu']);
    } finally {
      err.mockRestore();
      if (saved === undefined) delete process.env.VIFPATH_CASE_MAX_TEXT_BYTES;
      else process.env.VIFPATH_CASE_MAX_TEXT_BYTES = saved;
    }
  });

  it('the file limit through the CLI: exit 2, one line', async () => {
    const c = join(dir, 'cli');
    cpSync(join(SEED_CASE, 'dom0'), join(c, 'dom0'), { recursive: true });
    const saved = process.env.VIFPATH_CASE_MAX_FILES;
    process.env.VIFPATH_CASE_MAX_FILES = '2';
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['snapshot', c], () => {})).toBe(2);
      expect(err.mock.calls.map((x) => String(x[0]))).toEqual([
        "vifpath: dom0: more than 2 files in this host folder (CASE_MAX_FILES; a sosreport's proc/ and sys/ are not counted): give the host's sosreport or only the outputs vifpath reads, or set VIFPATH_CASE_MAX_FILES (use --lenient to read the rest)\n",
      ]);
    } finally {
      err.mockRestore();
      if (saved === undefined) delete process.env.VIFPATH_CASE_MAX_FILES;
      else process.env.VIFPATH_CASE_MAX_FILES = saved;
    }
  });
});
