// A frame whose VLAN NORMAL took from a tag the case does not give (a VM or DHCP port on an
// integration bridge, switched as a trunk of every VLAN) proves nothing past that step. The
// reviewer's: the published vn-l2-flat-vlan compute node (no ovs-vsctl show, so no tags) traced
// DROPPED, exit 1, at br-vlan's in_port drop, while its VMs are in local VLANs 7, 8, 9 and the
// counters show their traffic passing.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { OWN_FIXTURES, ROOT, SEED_CASE } from '../testing/fixtures.ts';
import { traceCommand } from './run.ts';

const FIELD = join(OWN_FIXTURES, 'field/vn-l2-flat-vlan');
const BIN = join(ROOT, 'bin/vifpath.mjs');

describe('vlan-assumed', () => {
  it('the field case: incomplete, the uncertainty names the port and how to get its tag', () => {
    const t = traceCommand(readCase(FIELD), { from: 'compute:qvo23d0f2c7-c2', packet: 'dhcp-discover' });
    expect(t.verdict).toBe('incomplete');
    const u = t.uncertain.filter((x) => x.code === 'vlan-assumed');
    expect(u.length).toBeGreaterThan(0);
    expect(u[0]!.text).toContain('`ovs-vsctl --columns=name,tag list Port qvo23d0f2c7-c2` on compute');
  });
  it('the CLI: INCOMPLETE, exit 3 (was DROPPED, exit 1)', () => {
    const r = spawnSync(
      'node',
      [BIN, 'trace', FIELD, '--from', 'compute:qvo23d0f2c7-c2', '--packet', 'dhcp-discover', '--summary'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('Verdict: INCOMPLETE');
  });
  it('the seed: vif16.0 has no tag (known: none), its DISCOVER still dropped', () => {
    const t = traceCommand(readCase(SEED_CASE), { from: 'dom0:vif16.0', packet: 'dhcp-discover' });
    expect(t.verdict).toBe('dropped');
    expect(t.uncertain.filter((x) => x.code === 'vlan-assumed')).toEqual([]);
  });
});
