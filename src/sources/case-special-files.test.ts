// Review5 items 3 and 4: a folder link inside a case (`dom0/up -> ..`) merged domu's bridges and
// namespace into dom0 ("12 file(s) read" for 8); a FIFO named like an output, a socket, a FIFO
// given as --links or as the case were skipped in silence (or hung). Now the link is not followed
// and each is named in the diagnostics (input notes); nothing is opened that could block.
import { execFileSync } from 'node:child_process';
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVifpath, scratchDir } from '../testing/cli.ts';
import { SEED_CASE } from '../testing/fixtures.ts';

const run = (args: string[]) => runVifpath(args, { timeoutMs: 30_000 });

describe('links to folders and files that are no files, inside a case', () => {
  const dir = scratchDir('vifpath-test-special-');
  const c = join(dir, 'h5');
  cpSync(SEED_CASE, c, { recursive: true });
  symlinkSync('..', join(c, 'dom0/up'));
  execFileSync('mkfifo', [join(c, 'dom0/ovs-vsctl_list_interface')]);
  execFileSync('python3', [
    '-c',
    'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
    join(c, 'domu/sock'),
  ]);
  execFileSync('mkfifo', [join(c, 'vm')]);

  it('snapshot: the seed read as it is (8 files, dom0 without domu br-int), each one named', () => {
    const r = run(['snapshot', c]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/: 2 host\(s\), 8 file\(s\) read\n/);
    const dom0 = r.stdout.slice(r.stdout.indexOf('host dom0'), r.stdout.indexOf('host domu'));
    expect(dom0).not.toContain('br-int');
    expect(dom0).not.toContain('qdhcp');
    const diag = r.stdout.slice(r.stdout.indexOf('\ndiagnostics\n'));
    expect(diag).toContain(
      "warning: dom0/up: symlink to a folder (..): not followed (its files would be read as this folder's)",
    );
    expect(diag).toContain(
      'warning: dom0/ovs-vsctl_list_interface: a FIFO (named pipe), not a file: not read',
    );
    expect(diag).toContain('warning: domu/sock: a socket, not a file: not read');
    expect(diag).toContain('warning: vm: a FIFO (named pipe), not a file or folder: not read');
  });

  it('diagnose: the seed verdict, and the notes among the findings', () => {
    const r = run(['diagnose', c, '--json']);
    expect(r.status).toBe(1);
    const d = JSON.parse(r.stdout) as { findings: { code: string; subject: string }[] };
    const notes = d.findings.filter((f) => f.code === 'input-note').map((f) => f.subject);
    expect(notes).toEqual(expect.arrayContaining(['dom0/up', 'dom0/ovs-vsctl_list_interface', 'domu/sock']));
  });

  it('a FIFO as the case, as --links: exit 2 saying what it is, never blocking', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const r = run(['snapshot', fifo]);
    expect([r.status, r.stderr]).toEqual([
      2,
      `vifpath: ${fifo} is a FIFO (named pipe), not a case folder, sosreport archive or sos collect bundle\n`,
    ]);
    const l = run(['snapshot', SEED_CASE, '--links', fifo]);
    expect(l.status).toBe(2);
    expect(l.stderr).toMatch(/^vifpath: .*fifo: --links: a FIFO \(named pipe\), not a file of wires/);
  });
});
