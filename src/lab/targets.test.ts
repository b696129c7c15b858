// A lab host is read from the lab's own files: the collector run against the lab's sources asks
// for no file of this machine (its /var/lib/openvswitch/conf.db, neutron config, logs, DHCP files),
// only the lab's, and the case holds the lab's conf.db byte for byte.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecOptions } from '../runner/exec.ts';
import { LocalRunner, type Runner } from '../runner/runner.ts';
import { collectHost } from '../sources/collect.ts';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
import type { Lab } from './lab.ts';
import { OvsInstance } from './ovs-instance.ts';
import { LAB_SOURCE_HOSTS, labSource } from './targets.ts';

const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-labsrc-'));
/** A real ovsdb-server + ovs-vswitchd stands for the lab hosts' OVS (the lab wraps commands so). */
let ovs: OvsInstance;
beforeAll(async () => {
  ovs = await OvsInstance.start({
    dir: join(dir, 'ovs'),
    netns: `vplsrc${process.pid % 100000}`,
    dummy: true,
  });
  await ovs.vsctl(...OvsInstance.addBridgeArgs('xapi3'));
});
afterAll(async () => {
  await ovs?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs every command for real on this machine and remembers it (a lab wraps nothing here). */
class Recorder extends LocalRunner {
  readonly argvs: string[][] = [];
  override run(argv: readonly string[], opts?: ExecOptions) {
    this.argvs.push([...argv]);
    return super.run(argv, opts);
  }
  override within(): Runner {
    return this;
  }
}

/** What the sources need of a lab: its folder, namespace names and dnsmasq log. */
const lab = {
  dir: join(dir, 'lab'),
  state: { prefix: 'vpx' },
  wrap: (_h: string, argv: string[]) => ovs.wrap(argv),
  ns: (h: string) => `vpx-${h}`,
  dnsmasqLog: () => join(dir, 'lab', 'dnsmasq.log'),
} as unknown as Lab;

/** Paths a command reads: the words after `--` of cat/tail/ls. */
const filesRead = (argvs: string[][]): string[] =>
  argvs.filter((a) => ['cat', 'tail', 'ls'].includes(a[0]!)).map((a) => a[a.indexOf('--') + 1]!);

describe('lab targets read the lab, never this machine', () => {
  for (const host of LAB_SOURCE_HOSTS)
    it(`lab:${host}: every file asked for is the lab's`, async () => {
      mkdirSync(join(dir, 'lab', host), { recursive: true });
      // A real conf.db (OVS 3.1 with Neutron's bridges) stands for the lab host's database.
      copyFileSync(
        join(OWN_FIXTURES, 'ovs31-neutron/etc/openvswitch/conf.db'),
        join(dir, 'lab', host, 'conf.db'),
      );
      const rec = new Recorder(lab.wrap(host, []), `lab:${host}`);
      const src = { ...labSource(lab, host), runner: rec, inNamespace: () => rec };
      const out = join(dir, 'case', host);
      const r = await collectHost(src, out, { commandTimeoutMs: 60_000 });
      expect(r.ok).toBe(true);
      const read = filesRead(rec.argvs);
      expect(read.filter((p) => !p.startsWith(join(dir, 'lab')))).toEqual([]);
      expect(existsSync(join(out, 'var/lib/openvswitch/conf.db'))).toBe(false);
      expect(existsSync(join(out, 'etc/neutron'))).toBe(false);
      if (host !== 'vm') {
        expect(read).toContain(join(dir, 'lab', host, 'conf.db'));
        expect(readFileSync(join(out, 'etc/openvswitch/conf.db'))).toEqual(
          readFileSync(join(dir, 'lab', host, 'conf.db')),
        );
        expect(existsSync(join(out, 'sos_commands/openvswitch/ovs-ofctl_dump-flows_xapi3'))).toBe(true);
      }
    });
});
