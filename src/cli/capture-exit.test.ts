// Reproduced by review: `capture live --point local:nosuchif0 --seconds 2 -o cap5` captured for
// two seconds and said "0 frames … could not capture", exit 1: a problem proven, from nothing. Now
// a local interface that does not exist is bad input said before anything runs (exit 2, the folder
// not made), and a capture that saw no DHCP exchange is undecided (exit 3), said so.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVifpath, scratchDir } from '../testing/cli.ts';

const T = scratchDir('vifpath-capexit-');
const run = (args: readonly string[]) => runVifpath(args, { timeoutMs: 60_000 });

describe('capture live: a point that names nothing, a capture that sees nothing', () => {
  it('local:nosuchif0: exit 2 before capturing, naming it', () => {
    const r = run(['capture', 'live', '--point', 'local:nosuchif0', '--seconds', '2', '-o', join(T, 'cap5')]);
    expect(r.status, r.stdout).toBe(2);
    expect(r.stderr.trimEnd()).toBe(
      'vifpath: local:nosuchif0: --point: this host has no interface "nosuchif0" (ip link lists the ones it has)',
    );
    expect(existsSync(join(T, 'cap5'))).toBe(false);
  });

  it('one good point and one bad: still refused', () => {
    const r = run([
      'capture',
      'live',
      '--point',
      'local:lo',
      'local:nosuchif0',
      '--seconds',
      '1',
      '-o',
      join(T, 'cap6'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no interface "nosuchif0"/);
  });

  it('an interface that exists and carries no DHCP: undecided, exit 3', () => {
    const r = run(['capture', 'live', '--point', 'local:lo', '--seconds', '1', '-o', join(T, 'cap7')]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toContain('0 DHCP exchange(s)');
    expect(r.stdout).toContain(
      'undecided: no DHCP exchange was seen: nothing proves a problem or its absence',
    );
  });

  it('a namespace point never seen: retried as before, then undecided (exit 3), the point named', () => {
    const r = run([
      'capture',
      'live',
      '--point',
      'vifpathnons0:eth0',
      '--seconds',
      '1',
      '-o',
      join(T, 'cap8'),
    ]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toContain('vifpathnons0:eth0: could not capture');
    expect(r.stdout).toContain('1 of 1 point(s) could not capture');
  });
});
