// tunnel-missing on the VXLAN examples: a missing tunnel (or flood entry) is a cause only toward a
// DHCP server the case puts on the VM's network, and only when the flood flow says all it does.
import { cpSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../../sources/case-dir.ts';
import { cleanupCases, edit, tmpCase } from '../../testing/case-edits.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { diagnose } from '../diagnose.ts';

afterAll(cleanupCases);

const VM_MAC = 'fa:16:3e:11:22:33';
const NET = '3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12';
const NET2 = '5d5d5d5d-2b4d-4e8f-9a1c-7d5e6f8a0b12';
const OF = 'sos_commands/openvswitch';
const BR_TUN_DUMPS = ['ovs-ofctl_dump-flows_br-tun', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-tun'];

function example(name: string): string {
  const d = tmpCase();
  cpSync(join(ROOT, 'examples', name), d, { recursive: true });
  return d;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Rename (deepest first) every file and folder under dir whose name holds `from`. */
function renameAll(dir: string, from: string, to: string): void {
  for (const n of readdirSync(dir)) {
    let p = join(dir, n);
    if (n.includes(from)) {
      const q = join(dir, n.replaceAll(from, to));
      renameSync(p, q);
      p = q;
    }
    if (statSync(p).isDirectory()) renameAll(p, from, to);
  }
}

/**
 * A second network node, network2 (172.16.0.14), copied from the example's network node, serving
 * another network: its qdhcp namespace names network 5d5d…, its br-tun maps key 0x3ea (not the
 * VM's 0x3e9) to the DHCP port's tag. No dnsmasq log or leases. The real network node is removed
 * unless `keep`.
 */
function withNetwork2(d: string, keep = false): string {
  const n2 = join(d, 'network2');
  cpSync(join(d, 'network'), n2, { recursive: true });
  rmSync(join(n2, 'etc/openvswitch/conf.db'), { force: true });
  rmSync(join(n2, 'var/log/neutron/dnsmasq.log'), { force: true });
  rmSync(join(n2, `var/lib/neutron/dhcp/${NET}/leases`), { force: true });
  for (const f of files(n2)) {
    const t = readFileSync(f, 'latin1');
    const u = t.replaceAll('172.16.0.13', '172.16.0.14').replaceAll(NET, NET2).replaceAll('0x3e9', '0x3ea');
    if (u !== t) writeFileSync(f, u, 'latin1');
  }
  renameAll(n2, NET, NET2);
  if (!keep) rmSync(join(d, 'network'), { recursive: true });
  return d;
}

/** compute1's table-22 flood flow for VLAN 1 with its outputs replaced. */
function flood(d: string, actions: string): void {
  edit(join(d, 'compute1', OF, 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-tun'), 'output:2,output:3', actions);
}

/** Neutron's Port other_config on compute1's VM port (net_uuid: the network it belongs to). */
function vmPortNet(d: string, net: string): void {
  const f = join(d, 'compute1', OF, 'ovs-vsctl_-t_5_list_port');
  const recs = readFileSync(f, 'utf8').split('\n\n');
  const i = recs.findIndex((r) => /^name\s+: tap7f3e1c2a-9b$/m.test(r));
  if (i < 0) throw new Error(`no tap7f3e1c2a-9b record in ${f}`);
  recs[i] = recs[i]!.replace(
    /^other_config\s+: \{\}$/m,
    `other_config        : {net_uuid="${net}", network_type=vxlan, segmentation_id="1001", tag="1"}`,
  );
  writeFileSync(f, recs.join('\n\n'));
}

const codes = (d: ReturnType<typeof diagnose>) => d.findings.map((f) => f.code);
const errors = (d: ReturnType<typeof diagnose>) => d.findings.filter((f) => f.severity === 'error');

describe("tunnel-port-missing: only toward a DHCP server on the VM's network", () => {
  it('a server the keys put on another network (0x3ea, the VM sends 0x3e9) is not considered', () => {
    const d = diagnose(readCase(withNetwork2(example('vxlan-healthy'))));
    expect(codes(d)).not.toContain('tunnel-port-missing');
    expect(errors(d)).toEqual([]);
    expect(d.verdict).toBe('undecided');
  });

  it('with the real network node kept and its flood entry missing: the flood finding alone', () => {
    const d0 = withNetwork2(example('vxlan-healthy'), true);
    flood(d0, 'output:2');
    const d = diagnose(readCase(d0), { vm: VM_MAC });
    expect(d.verdict).toBe('problem');
    expect(d.findings[0]!.code).toBe('tunnel-flood-missing');
    expect(codes(d)).not.toContain('tunnel-port-missing');
    expect(d.findings.some((f) => f.message.includes('network2'))).toBe(false);
  });

  it("the server's keys unknown (no br-tun dump on its host): a gap, not an error", () => {
    const d0 = withNetwork2(example('vxlan-healthy'));
    for (const f of BR_TUN_DUMPS) rmSync(join(d0, 'network2', OF, f));
    const d = diagnose(readCase(d0), { vm: VM_MAC });
    expect(codes(d)).not.toContain('tunnel-port-missing');
    expect(errors(d)).toEqual([]);
    expect(d.verdict).toBe('undecided');
    const g = d.findings.find((f) => f.code === 'tunnel-network-type-unknown')!;
    expect(g.role).toBe('gap');
    expect(g.message).toMatch(
      /^compute1 shows no tunnel to network2 \(172\.16\.0\.14\), where the DHCP server qdhcp-5d5d5d5d-2b4d-4e8f-9a1c-7d5e6f8a0b12 is, but the case does not say whether that server is on tap7f3e1c2a-9b's network/,
    );
    expect(g.fix).toContain('openstack port show -c network_id port-vm1');
  });

  it("vxlan-tunport with the network node's br-tun dumps gone: its network unknown, a gap", () => {
    const d0 = example('vxlan-tunport');
    for (const f of BR_TUN_DUMPS) rmSync(join(d0, 'network', OF, f));
    const d = diagnose(readCase(d0), { vm: VM_MAC });
    expect(codes(d)).not.toContain('tunnel-port-missing');
    expect(codes(d)).toContain('tunnel-network-type-unknown');
  });

  it("…and with the VM port's net_uuid naming the server's network: the missing tunnel is the cause", () => {
    const d0 = example('vxlan-tunport');
    for (const f of BR_TUN_DUMPS) rmSync(join(d0, 'network', OF, f));
    vmPortNet(d0, NET);
    const d = diagnose(readCase(d0), { vm: VM_MAC });
    const f = d.findings.find((x) => x.code === 'tunnel-port-missing')!;
    expect(f.severity).toBe('error');
    expect(f.evidence).toContainEqual({
      text: `tap7f3e1c2a-9b has other_config net_uuid=${NET}`,
      file: 'compute1/sos_commands/openvswitch/ovs-vsctl_-t_5_list_port',
      line: expect.any(Number),
    });
    expect(f.evidence.map((e) => e.text)).toContain(`the DHCP server's namespace is qdhcp-${NET}`);
  });

  it("…and with the VM port's net_uuid naming another network: no finding toward that server", () => {
    const d0 = example('vxlan-tunport');
    for (const f of BR_TUN_DUMPS) rmSync(join(d0, 'network', OF, f));
    vmPortNet(d0, NET2);
    const d = diagnose(readCase(d0), { vm: VM_MAC });
    expect(codes(d)).not.toContain('tunnel-port-missing');
    expect(d.findings.filter((f) => f.code === 'tunnel-network-type-unknown')).toEqual([]);
  });

  it('the keys and the net_uuid disagree: a gap naming both', () => {
    const d0 = example('vxlan-tunport');
    vmPortNet(d0, NET2); // the keys say the server is on the VM's network (0x3e9 both ends)
    const d = diagnose(readCase(d0), { vm: VM_MAC });
    expect(codes(d)).not.toContain('tunnel-port-missing');
    expect(errors(d)).toEqual([]);
    const g = d.findings.find((f) => f.code === 'tunnel-network-type-unknown')!;
    expect(g.role).toBe('gap');
    expect(g.evidence.map((e) => e.text).join('\n')).toMatch(/0x3e9[\s\S]*net_uuid/);
  });

  it('examples/vxlan-tunport stays a proven missing tunnel', () => {
    const d = diagnose(readCase(join(ROOT, 'examples/vxlan-tunport')), { vm: VM_MAC });
    expect(d.verdict).toBe('problem');
    expect(d.findings[0]!.code).toBe('tunnel-port-missing');
    expect(d.findings[0]!.evidence.map((e) => e.text)).toContainEqual(
      expect.stringMatching(
        /^network's br-tun maps tunnel key 0x3e9 to local VLAN 5, the tag of the DHCP port tapd4a1b2c3-e5/,
      ),
    );
  });

  it("the agent-list fix quotes the case's host name (a folder name is not a shell word)", () => {
    const d0 = example('vxlan-tunport');
    renameSync(join(d0, 'network'), join(d0, 'net2;touch x'));
    const d = diagnose(readCase(d0), { vm: VM_MAC });
    const f = d.findings.find((x) => x.code === 'tunnel-port-missing')!;
    expect(f.fix[0]).toMatch(/^openstack network agent list --host 'net2;touch x' {3}# /);
    expect(f.fix[0]).toContain("the case's host name taken as the agent's host");
  });
});

describe('tunnel-flood-missing: no verdict on a flood flow the simulator does not model', () => {
  for (const action of ['bundle(eth_src,0,hrw,ofport,members:2,3)', 'group:1', 'dr0p', 'CONTROLLER:65535'])
    it(`compute1's table-22 flood flow doing \`${action}\`: undecided, no flood finding`, () => {
      const d0 = example('vxlan-healthy');
      flood(d0, action);
      const d = diagnose(readCase(d0), { vm: VM_MAC });
      expect(codes(d)).not.toContain('tunnel-flood-missing');
      expect(errors(d)).toEqual([]);
      expect(d.verdict).toBe('undecided');
    });

  it('a flood flow that outputs elsewhere only, all modelled, is still the cause', () => {
    const d0 = example('vxlan-healthy');
    flood(d0, 'output:2');
    const d = diagnose(readCase(d0), { vm: VM_MAC });
    expect(d.verdict).toBe('problem');
    expect(d.findings[0]!.code).toBe('tunnel-flood-missing');
  });
});
