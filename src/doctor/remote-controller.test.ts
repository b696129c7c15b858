// A bridge whose OpenFlow controller is remote is not thereby foreign to Neutron: XenServer's
// compute VM runs the agent that programs Dom0's bridges (its of_listen_address the VM's address,
// networking-guide "XenServer" / kolla's ml2_domu.ini), and puppet-openstack sets
// of_listen_address to the host's own address. Only the host's agent config can tell the agent's
// listener from a foreign one (OpenDaylight's tcp:<its address>:6633). The seed with such a
// Controller line must stay the seed: the untagged port, proven, is the cause.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bridgeRole, externalController, remoteController } from '../model/roles.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, tmpCase } from '../testing/case-edits.ts';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';
import { diagnose } from './diagnose.ts';

afterAll(cleanupCases);

const ODL = join(ROOT, 'src/doctor/fixtures/review11/flavio-odl-vxlan-2node');

/** The seed, Dom0's xapi5 controlled by the agent in the compute VM at 192.168.1.100. */
function seedWithController(): string {
  const d = tmpCase();
  cpSync(SEED_CASE, d, { recursive: true });
  const f = join(d, 'dom0/ovs-vsctl_show');
  writeFileSync(
    f,
    readFileSync(f, 'utf8').replace(
      'Bridge "xapi5"\n',
      'Bridge "xapi5"\n    Controller "tcp:192.168.1.100:6633"\n',
    ),
  );
  return d;
}

describe('a remote controller without the agent config: Neutron checks stand', () => {
  it('the seed with Dom0 controlled from the compute VM: the same PROBLEM, the same cause', () => {
    const plain = diagnose(readCase(SEED_CASE));
    const s = readCase(seedWithController());
    const h = s.hosts.find((x) => x.name === 'dom0')!;
    const b = h.bridges.find((x) => x.name === 'xapi5')!;
    expect(b.controllers).toEqual(['tcp:192.168.1.100:6633']);
    expect(externalController(h, b)).toBeUndefined();
    const d = diagnose(s);
    expect(d.verdict).toBe('problem');
    expect(d.headline).toBe(plain.headline);
    expect(d.headline).toMatch(/^vif16\.0 has no VLAN tag on xapi5/);
    expect(d.findings.map((f) => f.code)).toContain('vm-port-untagged');
  });

  it('OpenDaylight without an agent config: not called foreign, NORMAL there proves nothing', () => {
    const s = readCase(ODL);
    const h = s.hosts.find((x) => x.name === 'devstack-compute-1')!;
    const b = h.bridges.find((x) => x.name === 'br-int')!;
    expect(bridgeRole(h, b).role).toBe('integration');
    const d = diagnose(s);
    expect(d.verdict).toBe('undecided');
    const gap = d.findings.find(
      (f) => f.code === 'assumed-neutron-bridge' && f.subject === 'devstack-compute-1:br-int',
    );
    expect(gap?.message).toMatch(/its controller is remote \(Controller "tcp:192\.168\.50\.20:6633"\)/);
  });

  it("with the host's agent config (default listener 127.0.0.1:6633), a remote controller is foreign", () => {
    const d = tmpCase();
    cpSync(ODL, d, { recursive: true });
    const ini = join(d, 'devstack-compute-1/etc/neutron/plugins/ml2');
    mkdirSync(ini, { recursive: true });
    writeFileSync(join(ini, 'openvswitch_agent.ini'), '[ovs]\nintegration_bridge = br-int\n');
    const s = readCase(d);
    const h = s.hosts.find((x) => x.name === 'devstack-compute-1')!;
    const b = h.bridges.find((x) => x.name === 'br-int')!;
    expect(bridgeRole(h, b).role).toBe('external');
  });
});

describe('a remote controller: review12', () => {
  it("with the agent's patches renamed, NORMAL on the seed's xapi5 proves nothing: undecided, not a proven drop (P1)", () => {
    const d = seedWithController();
    for (const f of ['dom0/ovs-vsctl_show', 'dom0/ovsdb-client_monitor_Interface_name_ofport'])
      writeFileSync(join(d, f), readFileSync(join(d, f), 'utf8').replaceAll('int-xapi3', 'x5-to-x3'));
    const r = diagnose(readCase(d));
    expect(r.verdict).toBe('undecided');
    expect(r.headline).toMatch(
      /but the bridge's controller is remote \(Controller "tcp:192\.168\.1\.100:6633"/,
    );
  });

  it("the controller the host's agent config names as its listener is the agent: untagged ports are findings (P3)", () => {
    const d = tmpCase();
    cpSync(ODL, d, { recursive: true });
    const ini = join(d, 'devstack-compute-1/etc/neutron/plugins/ml2');
    mkdirSync(ini, { recursive: true });
    writeFileSync(join(ini, 'openvswitch_agent.ini'), '[ovs]\nof_listen_address = 192.168.50.20\n');
    const s = readCase(d);
    const h = s.hosts.find((x) => x.name === 'devstack-compute-1')!;
    expect(remoteController(h, h.bridges.find((x) => x.name === 'br-int')!)).toBeUndefined();
    const codes = diagnose(s)
      .findings.filter((f) => f.subject.startsWith('devstack-compute-1:'))
      .map((f) => f.code);
    expect(codes).toContain('vm-port-untagged');
  });
});

describe('interface-error on a port whose device is no kernel device (review12 P4)', () => {
  it('a DPDK port missing from the ip link listing is not called gone; the fix reads its options', () => {
    const d = tmpCase();
    cpSync(join(ROOT, 'examples/vxlan-healthy'), d, { recursive: true });
    const f = join(d, 'compute1/sos_commands/openvswitch/ovs-vsctl_-t_5_show');
    const t = readFileSync(f, 'utf8').split('\n');
    // The reviewer's control: a DPDK port OVS could not open, on br-phy.
    t.splice(
      19,
      0,
      '        Port dpdk0',
      '            Interface dpdk0',
      '                type: dpdk',
      '                options: {dpdk-devargs="0000:03:00.0"}',
      '                error: "could not open network device dpdk0 (No such device)"',
    );
    writeFileSync(f, t.join('\n'));
    const e = diagnose(readCase(d)).findings.find((x) => x.code === 'interface-error')!;
    expect(e.message).toBe('OVS could not open dpdk0: could not open network device dpdk0 (No such device)');
    expect(e.fix[0]).toMatch(/^ovs-vsctl --columns=name,type,options,error list Interface dpdk0; /);
  });
});
