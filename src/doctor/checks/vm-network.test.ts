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

const codes = (d: Diagnosis | { code: string }[]) => (Array.isArray(d) ? d : d.findings).map((f) => f.code);

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
    expect(g.fix[0]).toBe('openstack port show port-vm1 -c network_id   # the network of tap7f3e1c2a-9b');
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
