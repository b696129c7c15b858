// The overlay lab on real Open vSwitch (userspace datapath, one ovs-vswitchd per host in its own
// namespace): the VM gets a real lease across the VXLAN/GRE tunnel when healthy and none when the
// overlay is broken; the case collected from it is traced across the tunnel and diagnosed.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrace } from '../dataplane/run.ts';
import { nodesOf } from '../dataplane/tree.ts';
import { buildWorld } from '../dataplane/world.ts';
import { diagnose } from '../doctor/diagnose.ts';
import { exec } from '../runner/exec.ts';
import { readCase } from '../sources/case-dir.ts';
import { needRoot } from '../testing/fixtures.ts';
import { OVERLAY_QDHCP, OVERLAY_VMS, OverlayLab, type OverlayScenario, type OverlayType } from './vxlan.ts';

const root = mkdtempSync(join(tmpdir(), 'vifpath-vxlan-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function withLab<T>(
  type: OverlayType,
  scenario: OverlayScenario,
  f: (l: OverlayLab) => Promise<T>,
): Promise<T> {
  const lab = await OverlayLab.up({ type, scenario });
  try {
    return await f(lab);
  } finally {
    await lab.down();
    // Nothing of it is left: no process runs from its directory, no namespace has its prefix.
    const procs = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(lab.dir);
        } catch {
          return false;
        }
      });
    expect(procs).toEqual([]);
    const ns = (await exec(['ip', 'netns', 'list'])).stdout;
    expect(ns).not.toContain(lab.prefix);
    expect(existsSync(lab.dir)).toBe(false);
  }
}

describe('overlay lab (real OVS)', () => {
  beforeAll(needRoot);
  it('healthy VXLAN: vm1 leases across the tunnel; the collected case traces the DISCOVER over VNI 0x3e9 to the qdhcp tap', async () => {
    await withLab('vxlan', 'healthy', async (lab) => {
      const r = await lab.lease('vm1');
      expect(r.ok, r.output).toBe(true);
      expect(r.address).toBe(OVERLAY_VMS.vm1.ip);
      const dir = join(root, 'vxlan-healthy');
      await lab.collect(dir);
      const s = await readCase(dir);
      const t = runTrace(s, buildWorld(s), {
        from: `compute1:${OVERLAY_VMS.vm1.tap}`,
        packet: 'dhcp-discover',
      });
      expect(t.verdict).toBe('delivered');
      const tun = nodesOf(t.tree, 'tunnel').find((n) => n.to?.host === 'network')!;
      expect(tun.from).toMatchObject({
        port: 'vxlan-ac10000d',
        local_ip: '172.16.0.11',
        remote_ip: '172.16.0.13',
        key: '0x3e9',
      });
      expect(tun.to).toEqual({ host: 'network', bridge: 'br-tun', port: 'vxlan-ac10000b' });
      expect(t.reached).toContainEqual(
        expect.objectContaining({ kind: 'namespace', namespace: OVERLAY_QDHCP }),
      );
      // The underlay owner came from ip addr (br-phy's address), not from an assumption.
      expect(t.assumptions.map((a) => a.code)).not.toContain('underlay-owner');
      const d = diagnose(s, { vm: OVERLAY_VMS.vm1.mac });
      expect(d.findings.filter((f) => f.code.startsWith('tunnel-'))).toEqual([]);
    });
  }, 120_000);

  it('GRE: vm2 leases across gre-<hex> ports', async () => {
    await withLab('gre', 'healthy', async (lab) => {
      const r = await lab.lease('vm2');
      expect(r.ok, r.output).toBe(true);
    });
  }, 120_000);

  const broken: [OverlayScenario, string][] = [
    ['tunport', 'tunnel-port-missing'],
    ['rxremote', 'tunnel-receiver-missing'],
    ['udpdrop', 'tunnel-underlay-drop'],
  ];
  for (const [scenario, code] of broken)
    it(`${scenario}: no lease, and the collected case is diagnosed ${code}`, async () => {
      await withLab('vxlan', scenario, async (lab) => {
        const r = await lab.lease('vm1');
        expect(r.ok).toBe(false);
        expect(r.output).toContain('No DHCPOFFERS received');
        const dir = join(root, `vxlan-${scenario}`);
        await lab.collect(dir);
        const d = diagnose(await readCase(dir), { vm: OVERLAY_VMS.vm1.mac });
        expect(d.verdict).toBe('problem');
        expect(d.findings.map((f) => f.code)).toContain(code);
      });
    }, 120_000);
});
