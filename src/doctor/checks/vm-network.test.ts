// Which network the VM is on decides two claims: a hosts file without its MAC (the DHCP agent
// writes one per network, so another network's file lacks it by design) and a tunnel key the
// receiving br-tun drops (the agent maps keys only for networks with a port there). Both on
// examples/vxlan-healthy (VM network 3c9e…, VNI 0x3e9) edited the way a reviewer reproduced them.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../../sources/case-dir.ts';
import { cleanupCases, edit, runCheck, tmpCase } from '../../testing/case-edits.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { buildContext } from '../context.ts';
import { diagnose } from '../diagnose.ts';
import type { Diagnosis } from '../finding.ts';
import { dnsmasq } from './dnsmasq.ts';
import { tunnelKey } from './tunnel-key.ts';
import { vmNetwork } from './vm-network.ts';

afterAll(cleanupCases);

const NET = '3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12';
const OTHER = '9a8b7c6d-1111-2222-3333-444455556666';
const VM1 = 'fa:16:3e:11:22:33';
const OF = 'sos_commands/openvswitch';
const BR_TUN = ['ovs-ofctl_dump-flows_br-tun', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-tun'];

function vx(change: (d: string) => void = () => {}): string {
  const d = tmpCase();
  cpSync(join(ROOT, 'examples/vxlan-healthy'), d, { recursive: true });
  change(d);
  return d;
}

/** A hosts file on the network node for `net`, in the agent's format. */
function hostsFile(d: string, net: string, macs: string[]): void {
  const dir = join(d, 'network/var/lib/neutron/dhcp', net);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'host'),
    macs.map((m, i) => `${m},host-10-1-0-${i + 3}.openstacklocal,10.1.0.${i + 3}\n`).join(''),
  );
}

/** The VM's MAC gone from its own network's hosts file. */
function dropVmEntry(d: string): void {
  edit(join(d, 'network/var/lib/neutron/dhcp', NET, 'host'), /^fa:16:3e:11:22:33,.*\n/m, '');
}

/** A host's br-tun dumps with every tunnel key `from` made `to`. */
function rekey(d: string, host: string, from: string, to: string): void {
  for (const f of BR_TUN) edit(join(d, host, OF, f), new RegExp(from, 'g'), to);
}

/** Neutron's Port other_config on a port of a host. */
function otherConfig(d: string, host: string, port: string, text: string): void {
  const f = join(d, host, OF, 'ovs-vsctl_-t_5_list_port');
  const recs = readFileSync(f, 'utf8').split('\n\n');
  const i = recs.findIndex((r) => new RegExp(`^name\\s+: ${port}$`, 'm').test(r));
  if (i < 0) throw new Error(`no ${port} record in ${f}`);
  recs[i] = recs[i]!.replace(/^other_config\s+: \{\}$/m, `other_config        : {${text}}`);
  writeFileSync(f, recs.join('\n\n'));
}

/** l2_population off in every agent config: br-tun floods to every tunnel. */
function noL2pop(d: string): void {
  for (const h of ['compute1', 'compute2', 'network'])
    edit(
      join(d, h, 'etc/neutron/plugins/ml2/openvswitch_agent.ini'),
      'l2_population = True',
      'l2_population = False',
    );
}

const codes = (d: Diagnosis | { code: string }[]) => (Array.isArray(d) ? d : d.findings).map((f) => f.code);
const errors = (d: Diagnosis) => d.findings.filter((f) => f.severity === 'error');

describe("vmNetwork: what ties the VM's port to a network", () => {
  it('a DISCOVER proven to reach qdhcp-<net> puts the VM on that network', () => {
    const ctx = buildContext(readCase(vx()));
    for (const vm of ctx.vms) {
      const n = vmNetwork(ctx, vm);
      expect(n.net).toBe(NET);
      expect(n.evidence[0]!.text).toMatch(new RegExp(`reaches qdhcp-${NET} on network, proven`));
    }
  });

  it("the port's net_uuid ties it even when its DISCOVER reaches nothing; two ties are no answer", () => {
    const one = buildContext(
      readCase(
        vx((d) => {
          rekey(d, 'network', '0x3e9', '0x3ea');
          otherConfig(d, 'compute1', 'tap7f3e1c2a-9b', `net_uuid="${NET}"`);
        }),
      ),
      VM1,
    );
    expect(vmNetwork(one, one.vms[0]!)).toMatchObject({ net: NET });
    const two = buildContext(
      readCase(vx((d) => otherConfig(d, 'compute1', 'tap7f3e1c2a-9b', `net_uuid="${OTHER}"`))),
      VM1,
    );
    const n = vmNetwork(two, two.vms[0]!);
    expect(n.net).toBeUndefined();
    expect(n.why).toMatch(/ties tap7f3e1c2a-9b to 2 networks/);
  });
});

describe("dnsmasq's hosts file: only the VM's own network's", () => {
  it("another network's file without the VMs' MACs: no finding", () => {
    // Was: PROBLEM dnsmasq-no-host-entry for 9a8b… and `systemctl restart neutron-dhcp-agent`.
    const f = runCheck(
      dnsmasq,
      vx((d) => hostsFile(d, OTHER, ['fa:16:3e:77:88:99', 'fa:16:3e:77:88:aa'])),
    );
    expect(codes(f)).not.toContain('dnsmasq-no-host-entry');
    expect(codes(f)).not.toContain('dnsmasq-host-entry-unknown');
  });

  it("the VM's own network's file without its MAC: still the error, with what puts it there", () => {
    const f = runCheck(
      dnsmasq,
      vx((d) => {
        hostsFile(d, OTHER, ['fa:16:3e:77:88:99']);
        dropVmEntry(d);
      }),
    );
    const e = f.filter((x) => x.code === 'dnsmasq-no-host-entry');
    expect(e.map((x) => x.subject)).toEqual([`network:${NET}`]);
    expect(e[0]!.severity).toBe('error');
    expect(e[0]!.evidence[0]!.text).toMatch(/^the DISCOVER from tap7f3e1c2a-9b reaches qdhcp-3c9e/);
    expect(e[0]!.evidence.at(-1)).toMatchObject({
      text: `1 entries, none for ${VM1}`,
      file: `network/var/lib/neutron/dhcp/${NET}/host`,
    });
  });

  it("the VM's network unknown (no br-tun dump on the server's host, no net_uuid): a gap naming the file and how to tell", () => {
    const d = vx((c) => {
      for (const f of BR_TUN) rmSync(join(c, 'network', OF, f));
      dropVmEntry(c);
    });
    const f = runCheck(dnsmasq, d);
    expect(codes(f)).not.toContain('dnsmasq-no-host-entry');
    const g = f.find((x) => x.code === 'dnsmasq-host-entry-unknown' && x.subject.endsWith('tap7f3e1c2a-9b'))!;
    expect(g).toMatchObject({ role: 'gap', severity: 'warning' });
    expect(g.message).toContain(`network's for network ${NET}`);
    expect(g.fix[0]).toBe('openstack port show -c network_id port-vm1   # the network of tap7f3e1c2a-9b');
    expect(diagnose(readCase(d), { vm: VM1 }).findings.filter((x) => x.severity === 'error')).toEqual([]);
  });

  it("the VM's network unknown, but another network's file lists its MAC: no gap either", () => {
    const f = runCheck(
      dnsmasq,
      vx((c) => {
        for (const x of BR_TUN) rmSync(join(c, 'network', OF, x));
        dropVmEntry(c);
        hostsFile(c, OTHER, [VM1]);
      }),
    );
    expect(codes(f).filter((c) => c.startsWith('dnsmasq-') && c.includes('host'))).toEqual([]);
  });
});

describe("a tunnel key the receiving br-tun drops: a fault only toward a server on the VM's network", () => {
  // The network node's br-tun on VNI 0x3ea (another network), flooding to every tunnel.
  const onOtherKey = (d: string): void => {
    rekey(d, 'network', '0x3e9', '0x3ea');
    dropVmEntry(d);
    noL2pop(d);
  };

  it('nothing places the server: a gap per VM, no error, undecided', () => {
    // Was: PROBLEM "compute1 sends the DISCOVER with vxlan key 0x3e9, but network br-tun table 4
    // maps only 0x3ea … the two hosts disagree on the segmentation id", restart agents on both.
    const d = diagnose(readCase(vx(onOtherKey)));
    expect(errors(d)).toEqual([]);
    expect(d.verdict).toBe('undecided');
    expect(codes(d)).not.toContain('tunnel-key-unmapped');
    expect(codes(d)).not.toContain('discover-dropped');
    const g = d.findings.find((f) => f.code === 'tunnel-key-network-unknown')!;
    expect(g.role).toBe('gap');
    expect(g.message).toMatch(
      /^compute1 sends the DISCOVER of tap7f3e1c2a-9b with vxlan key 0x3e9, and network br-tun table 4 maps only 0x3ea: it is dropped on arrival; that is a fault .* only if the DHCP server there \(qdhcp-3c9e.*\) is on tap7f3e1c2a-9b's network/,
    );
    expect(d.headline).toBe(`${g.message}; collect \`${g.fix[0]}\``);
    expect(d.collectNext).toContain(
      `openstack network show -c provider:network_type -c provider:segmentation_id ${NET}   # the network of qdhcp-${NET}: its key`,
    );
  });

  it("the VM port's net_uuid names the server's network: the disagreement is proven", () => {
    const d = diagnose(
      readCase(
        vx((c) => {
          onOtherKey(c);
          otherConfig(c, 'compute1', 'tap7f3e1c2a-9b', `net_uuid="${NET}"`);
        }),
      ),
      { vm: VM1 },
    );
    expect(d.verdict).toBe('problem');
    const f = d.findings[0]!;
    expect(f.code).toBe('tunnel-key-unmapped');
    expect(f.evidence[0]!.text).toBe(`tap7f3e1c2a-9b has other_config net_uuid=${NET}`);
    expect(f.fix[0]).toMatch(new RegExp(`^openstack network show -c provider:segmentation_id ${NET}`));
  });

  it('…naming another network: no claim toward that server, undecided', () => {
    const d = diagnose(
      readCase(
        vx((c) => {
          onOtherKey(c);
          otherConfig(c, 'compute1', 'tap7f3e1c2a-9b', `net_uuid="${OTHER}"`);
        }),
      ),
      { vm: VM1 },
    );
    expect(errors(d)).toEqual([]);
    expect(d.verdict).toBe('undecided');
    expect(codes(d)).not.toContain('tunnel-key-network-unknown');
    const g = d.findings.find((f) => f.code === 'dhcp-server-not-in-case')!;
    expect(g.subject).toBe('compute1:tap7f3e1c2a-9b');
    expect(g.message).toMatch(/on another network than tap7f3e1c2a-9b's/);
  });

  it('the segment both agents recorded on the ports: the same one proves it, another rules it out', () => {
    const seg = (dhcp: string) =>
      vx((c) => {
        onOtherKey(c);
        otherConfig(c, 'compute1', 'tap7f3e1c2a-9b', 'network_type=vxlan, segmentation_id="1001"');
        otherConfig(c, 'network', 'tapd4a1b2c3-e5', `network_type=vxlan, segmentation_id="${dhcp}"`);
      });
    const run = (dir: string) => tunnelKey.run(buildContext(readCase(dir), VM1));
    const same = run(seg('1001'));
    expect(codes(same)).toContain('tunnel-key-unmapped');
    expect(same.find((f) => f.code === 'tunnel-key-unmapped')!.evidence.map((e) => e.text)).toContain(
      'the DHCP port tapd4a1b2c3-e5 has other_config network_type=vxlan, segmentation_id=1001',
    );
    expect(run(seg('1002'))).toEqual([]);
  });

  it("a receiving host with no DHCP server: its drop is no one's concern", () => {
    // compute2 on 0x3ea too (its VM's network then is the server's): compute1's 0x3e9 dies on both.
    const f = runCheck(
      tunnelKey,
      vx((c) => {
        onOtherKey(c);
        rekey(c, 'compute2', '0x3e9', '0x3ea');
        otherConfig(c, 'compute1', 'tap7f3e1c2a-9b', `net_uuid="${NET}"`);
      }),
    );
    expect(f.map((x) => `${x.code} ${x.subject}`)).toEqual(['tunnel-key-unmapped network:br-tun']);
  });
});
