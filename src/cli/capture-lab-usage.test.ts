// `capture live --lab DIR` without --point names a lab but not what to capture in it. Was (review8
// 4.3): "vifpath: give either --vm (with targets) or --point", not a word of --lab. Now the one line
// gives both ways with that lab's own names, and each command it gives runs as given on a real lab.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, Lab } from '../lab/lab.ts';
import { runVifpath, scratchDir } from '../testing/cli.ts';

const T = scratchDir('vifpath-caplab-');
const LAB = join(T, 'lab');
const run = (args: readonly string[]) => runVifpath(args, { timeoutMs: 120_000 });

describe('capture live --lab DIR --renew without --point', () => {
  beforeAll(async () => {
    await Lab.up({ dir: LAB, scenario: 'healthy', dhcpTimeout: 2 });
  });
  afterAll(async () => {
    await down(LAB);
  });

  let commands: string[] = [];
  it('is refused in one line that says what --lab offers, with the lab names', () => {
    const r = run(['capture', 'live', '--lab', LAB, '--renew']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `vifpath: --lab names the lab, not what to capture in it: give --point on its hosts (dom0|domu|vm|qdhcp:<iface>), e.g. \`vifpath capture live --lab ${LAB} --renew --point vm:eth0 dom0:vif16.0 qdhcp:tap7b39ecad-81\`; or follow the VM, which also counts the flows on its path: \`vifpath capture live --vm vif16.0 lab:dom0 lab:domu --lab-dir ${LAB} --path --renew\`\n`,
    );
    commands = [...r.stderr.matchAll(/`vifpath ([^`]+)`/g)].map((m) => m[1]!);
    expect(commands.length).toBe(2);
  });

  it('without --lab the message still names it', () => {
    const r = run(['capture', 'live', '--renew']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'vifpath: give either --vm (with targets) or --point (with --lab <dir>: points on the hosts of that lab)\n',
    );
  });

  it('each command it gives captures the renewed exchange (the healthy lab: a lease)', () => {
    expect(commands.length).toBe(2);
    commands.forEach((c, i) => {
      // The scratch path has no character a shell would split or quote: the words are the argv.
      const r = run([...c.split(' '), '--seconds', '4', '-o', join(T, `cap${i}`)]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/ 1 DHCP exchange\(s\)\n/);
      expect(r.stdout).toContain('lease 10.0.0.3');
      if (c.includes('--vm')) expect(r.stdout).toContain('flows on the path');
    });
  });
});
