// diagnose on OVN hosts (doctor/ovn.ts): never an ML2/OVS verdict or fix there, one evidenced
// `ovn-not-modelled` finding per OVN host with read-only OVN commands spelled as they run there,
// undecided (exit 3) when the VMs of the case are on OVN; mixed cases diagnose the ML2/OVS hosts as
// before and say the rest. Real outputs: hotsos's Sunbeam hypervisor, the study notes' ML2/OVN lab
// (src/parse/fixtures/field/PROVENANCE.md), the sos collect bundle; and the same with the files an
// operator adds (`ovs-ofctl show`, `ovs-vsctl list interface`) written by the test.
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../errors/errors.ts';
import { readCase } from '../sources/case-dir.ts';
import { readInputs } from '../sources/inputs.ts';
import { cleanupCases, seedCase, tmpCase } from '../testing/case-edits.ts';
import { ml2OvsCases, OWN_FIXTURES, ROOT } from '../testing/fixtures.ts';
import { diagnose } from './diagnose.ts';
import type { Diagnosis, Finding } from './finding.ts';

afterAll(cleanupCases);

const FIELD = join(OWN_FIXTURES, 'field');
const SUNBEAM = join(FIELD, 'hotsos-sunbeam');
const STUDY = join(FIELD, 'study-notes-ovn-geneve');
const BUNDLE = join(ROOT, 'src/sources/fixtures/sos-collect/sos-collector-2025-05-12-qkwzd.tar');
const VM = 'tap704a9e45-54';
const LPORT = '704a9e45-546b-43d1-9c73-44c8114e382d';

const exitOf = (d: Diagnosis): number =>
  d.verdict === 'healthy' ? EXIT.ok : d.verdict === 'problem' ? EXIT.problem : EXIT.undecided;
const ovnOf = (d: Diagnosis, host: string): Finding | undefined =>
  d.findings.find((f) => f.code === 'ovn-not-modelled' && f.subject === host);
const lines = (d: Diagnosis): string[] => [...d.findings.flatMap((f) => f.fix), ...d.collectNext];

/** What ML2/OVS would ask of a DHCP agent, or change on a host: never said of an OVN host. */
const ML2_ADVICE =
  /qdhcp|agent-type dhcp|neutron-dhcp-agent|dnsmasq|ovs-vsctl set |ovs-ofctl (?:add|del|mod)-flows|systemctl restart|changes state/;

/**
 * The study notes' lab as an operator would complete it: `ovs-ofctl show br-int` (the port numbers
 * the flows' in_port names stand for) and `ovs-vsctl list interface` for the VM's port, with the
 * binding keys Nova and ovn-controller write (its MAC, Neutron port and instance, from the same
 * page). HEAD before this change read it as ML2/OVS: vm-port-untagged on both taps, a DISCOVER
 * "incomplete at" an OVN drop flow, and the DHCP agent asked for.
 */
function studyCompleted(): string {
  const d = tmpCase();
  cpSync(STUDY, d, { recursive: true });
  writeFileSync(
    join(d, 'compute/ovs-ofctl_show_br-int'),
    [
      'OFPT_FEATURES_REPLY (xid=0x2): dpid:00009a208387331b',
      'n_tables:254, n_buffers:0',
      'capabilities: FLOW_STATS TABLE_STATS PORT_STATS QUEUE_STATS ARP_MATCH_IP',
      'actions: output enqueue set_vlan_vid set_vlan_pcp strip_vlan mod_dl_src mod_dl_dst mod_nw_src mod_nw_dst mod_nw_tos mod_tp_src mod_tp_dst',
      ' 1(ovn-3732c7-0): addr:72:39:60:62:45:23',
      '     config:     0',
      '     state:      0',
      ' 2(tap704a9e45-54): addr:fe:16:3e:1a:d0:3d',
      '     config:     0',
      '     state:      0',
      ' 3(tapbdf0edc2-b0): addr:e6:1e:a0:1d:d4:e7',
      '     config:     0',
      '     state:      0',
      ' LOCAL(br-int): addr:9a:20:83:87:33:1b',
      '     config:     PORT_DOWN',
      '     state:      LINK_DOWN',
      'OFPT_GET_CONFIG_REPLY (xid=0x4): frags=normal miss_send_len=0',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(d, 'compute/ovs-vsctl_-t_5_list_interface'),
    `_uuid               : 5f3e7a52-1111-4222-8333-944455556666\nexternal_ids        : {attached-mac="fa:16:3e:1a:d0:3d", iface-id="${LPORT}", iface-status=active, ovn-installed="true", vm-uuid="0300fe58-123b-4b40-a077-82998ae5f48f"}\nname                : ${VM}\nofport              : 2\n`,
  );
  return d;
}

interface Row {
  name: string;
  build: () => string;
  vm?: string;
  /** The OVN host whose finding leads, and its VM ports not traced. */
  host: string;
  vms: string[];
  check?: (d: Diagnosis) => void;
}

const OVN_ONLY: Row[] = [
  {
    name: 'hotsos Sunbeam hypervisor (no VM port): OVN said from its Open_vSwitch row, commands spelled for the snap',
    build: () => SUNBEAM,
    host: 'hypervisor',
    vms: [],
    check: (d) => {
      const f = ovnOf(d, 'hypervisor')!;
      expect(d.headline).toMatch(
        /^hypervisor is an OVN chassis \(external_ids:ovn-remote="ssl:172\.16\.1\.202:6642", …, hypervisor\/sos_commands\/ovn_host\/openstack-hypervisor\.ovs-vsctl_list_Open_vSwitch:9\): vifpath models Neutron ML2\/OVS only/,
      );
      expect(f.evidence[0]).toEqual({
        text: expect.stringMatching(/^Open_vSwitch external_ids: ovn-remote="ssl:172\.16\.1\.202:6642", /),
        file: 'hypervisor/sos_commands/ovn_host/openstack-hypervisor.ovs-vsctl_list_Open_vSwitch',
        line: 9,
      });
      expect(f.evidence.map((e) => `${e.file}:${e.line ?? 0}`)).toContain(
        'hypervisor/sos_commands/process/ps_auxfwww:333',
      );
      // Every OVS or ovn-controller tool run on the hypervisor is the snap's: a plain one does not exist there.
      const onHost = f.fix.filter(
        (x) => /# on hypervisor\b/.test(x) && /^\S*(?:ovs|ovn)-(?:vsctl|ofctl|appctl)\b/.test(x),
      );
      expect(onHost.length).toBeGreaterThanOrEqual(2);
      for (const x of onHost) expect(x).toMatch(/^openstack-hypervisor\./);
      expect(f.fix[0]).toBe(
        'openstack-hypervisor.ovn-appctl -t ovn-controller connection-status   # on hypervisor: "connected" when ovn-controller talks to the southbound database (ovn-remote ssl:172.16.1.202:6642)',
      );
      expect(
        f.fix.some(
          (x) =>
            x.startsWith('grep ') &&
            x.includes('/var/snap/openstack-hypervisor/common/log/ovn/ovn-controller.log'),
        ),
      ).toBe(true);
      // ovn-northd runs in a pod of this all-in-one node (ps): the northbound database is read there.
      expect(f.fix.find((x) => x.includes('find Logical_Switch_Port'))).toMatch(
        /^ovn-nbctl .* {3}# on hypervisor, where ovn-northd runs \(hypervisor\/sos_commands\/process\/ps_auxfwww:638; in its container, if it runs in one\): /,
      );
      expect(f.fix.find((x) => x.includes('list DHCP_Options'))).toMatch(
        /^ovn-nbctl list DHCP_Options {3}# on hypervisor/,
      );
      // The snap's ovn-trace has no southbound database on the hypervisor: the plain tool, where the database is.
      expect(f.fix.find((x) => x.includes('--summary'))).toMatch(/^ovn-trace --summary /);
    },
  },
  {
    name: "the study notes' ML2/OVN lab: the VM on the compute node not traced, the DHCP flow ovn-controller answers it with quoted",
    build: () => STUDY,
    host: 'compute',
    vms: [VM, 'tapbdf0edc2-b0'],
    check: (d) => {
      const f = ovnOf(d, 'compute')!;
      expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual([
        'compute/ovs-vsctl_show:6',
        'compute/ovs-ofctl_dump-flows_br-int:119',
      ]);
      expect(f.evidence[1]!.text).toMatch(
        /n_packets=2, .*dl_src=fa:16:3e:1a:d0:3d,tp_src=68,tp_dst=67 actions=controller\(userdata=00\.00\.00\.02\.00\.00\.00\.00…,pause\)/,
      );
      // The controller is a chassis with no VM: said, not asked of.
      expect(ovnOf(d, 'controller')).toMatchObject({ role: 'observation', severity: 'info' });
      // The northbound database was read on the controller: ovn-nbctl is run there.
      expect(f.fix.find((x) => x.includes('find Logical_Switch_Port'))).toMatch(
        /# on controller, where the case's ovn-nbctl output was read \(controller\/ovn-nbctl_list_DHCP_options_a1b1aede-42f0-49dd-acbd-d149ae11d461:1\): /,
      );
      expect(f.fix).toContain(
        `ovs-vsctl --columns=name,ofport,external_ids list Interface ${VM}   # on compute: iface-id (the Neutron port, OVN's logical port), attached-mac, and ovn-installed="true" once ovn-controller has bound it`,
      );
    },
  },
  {
    name: '…completed with `ovs-ofctl show` and `ovs-vsctl list interface`, --vm the VM: its Neutron port, MAC and port number in the commands',
    build: studyCompleted,
    vm: VM,
    host: 'compute',
    vms: [VM],
    check: (d) => {
      const f = ovnOf(d, 'compute')!;
      expect(f.evidence[0]).toEqual({
        text: 'Interface tap704a9e45-54 external_ids:ovn-installed="true"',
        file: 'compute/ovs-vsctl_-t_5_list_interface',
        line: 2,
      });
      expect(f.fix).toEqual(
        expect.arrayContaining([
          `openstack port show -c network_id -c mac_address -c fixed_ips -c binding_host_id -c status ${LPORT}   # the VM's Neutron port: its network (OVN's logical switch neutron-<network_id>), address and binding`,
          expect.stringMatching(
            new RegExp(
              `^ovn-trace --summary neutron-<network_id> 'inport == "${LPORT}" && eth\\.src == fa:16:3e:1a:d0:3d && eth\\.dst == ff:ff:ff:ff:ff:ff && ip4\\.src == 0\\.0\\.0\\.0 && ip4\\.dst == 255\\.255\\.255\\.255 && udp\\.src == 68 && udp\\.dst == 67'   # on controller`,
            ),
          ),
          expect.stringMatching(
            /^ovs-appctl ofproto\/trace br-int in_port=2,dl_src=fa:16:3e:1a:d0:3d,dl_dst=ff:ff:ff:ff:ff:ff,udp,nw_src=0\.0\.0\.0,nw_dst=255\.255\.255\.255,tp_src=68,tp_dst=67 {3}# on compute/,
          ),
          expect.stringMatching(new RegExp(`^grep ${LPORT} /var/log/ovn/ovn-controller\\.log `)),
        ]),
      );
    },
  },
];

describe('a case whose VM hosts are OVN: undecided, ovn-not-modelled, no ML2/OVS word', () => {
  it.each(OVN_ONLY.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    const s = readCase(row.build());
    const d = diagnose(s, row.vm !== undefined ? { vm: row.vm } : {});
    expect({ verdict: d.verdict, exit: exitOf(d) }).toEqual({ verdict: 'undecided', exit: EXIT.undecided });
    expect(d.findings[0]).toMatchObject({
      code: 'ovn-not-modelled',
      subject: row.host,
      role: 'gap',
      severity: 'warning',
    });
    // Nothing but what the case is and what the reader said.
    for (const f of d.findings) expect(['ovn-not-modelled', 'input-note']).toContain(f.code);
    for (const x of lines(d)) expect(x).not.toMatch(ML2_ADVICE);
    // Every finding cites the lines that prove OVN.
    for (const f of d.findings.filter((x) => x.code === 'ovn-not-modelled'))
      expect(f.evidence.every((e) => e.file !== undefined)).toBe(true);
    expect(d.paths.map((p) => [p.vm, p.discover.verdict])).toEqual(
      row.vms.map((v) => [`${row.host}:${v}`, `not traced: ${row.host} is OVN (not modelled)`]),
    );
    expect(d.collectNext.length).toBeGreaterThan(0);
    expect(d.collectNext).toEqual(expect.arrayContaining(d.findings[0]!.fix));
    row.check?.(d);
  });
  it('the completed study lab: none of what it was told as ML2/OVS (vm-port-untagged, the DHCP agent asked for, unmodelled OVN actions)', () => {
    const d = diagnose(readCase(studyCompleted()));
    expect(d.findings.map((f) => f.code)).not.toContain('vm-port-untagged');
    expect(d.findings.map((f) => f.code)).not.toContain('dhcp-server-not-in-case');
    expect(d.findings.map((f) => f.code)).not.toContain('action-not-modelled');
  });
  it('--vm naming no port of the case is still bad input, the nearest names listed', () => {
    expect(() => diagnose(readCase(STUDY), { vm: 'tap00000000-00' })).toThrow(
      /--vm tap00000000-00: no port of the case/,
    );
  });
});

describe('mixed cases: the ML2/OVS hosts diagnosed as before, the OVN ones said', () => {
  it('the sos collect bundle (an ML2/OVS compute node with its VM, a Sunbeam hypervisor without): as before, the hypervisor an observation', () => {
    const d = diagnose(readInputs([BUNDLE])[0]!);
    expect(d.verdict).toBe('undecided');
    expect(d.headline).toMatch(/add the host running the DHCP agent$/);
    expect(d.paths.map((p) => p.vm)).toEqual(['compute4:tap0e778df8-ca']);
    // The VM's own (ML2/OVS) network's DHCP agent is still what is missing.
    expect(d.findings.map((f) => f.code)).toContain('dhcp-server-not-in-case');
    const f = ovnOf(d, 'noble-sunbeam')!;
    expect(f).toMatchObject({ role: 'observation', severity: 'info' });
    expect(f.message).toMatch(
      /The other host of the case \(compute4\) shows no OVN and is diagnosed as ML2\/OVS\.$/,
    );
    expect(f.fix[0]).toMatch(/^openstack-hypervisor\.ovn-appctl -t ovn-controller connection-status/);
    // An observation asks nothing: what to collect is the ML2/OVS side's.
    expect(d.collectNext.some((x) => x.includes('openstack-hypervisor.'))).toBe(false);
  });
  it("the seed (a proven fault) beside the Sunbeam hypervisor: the seed's problem stands; dom0 and domu have no Open_vSwitch row, asked", () => {
    const d = diagnose(
      readCase(
        seedCase((c) => cpSync(join(SUNBEAM, 'hypervisor'), join(c, 'hypervisor'), { recursive: true })),
      ),
    );
    expect({ verdict: d.verdict, code: d.findings[0]!.code }).toEqual({
      verdict: 'problem',
      code: 'vm-port-untagged',
    });
    const f = ovnOf(d, 'hypervisor')!;
    expect(f.role).toBe('observation');
    expect(f.message).toMatch(
      /The other hosts of the case \(dom0, domu\) show no OVN and are diagnosed as ML2\/OVS, but the case has no Open_vSwitch row for dom0, domu: if OVN programs them too, that diagnosis does not hold\.$/,
    );
    expect(f.fix).toContain(
      'ovs-vsctl get Open_vSwitch . external_ids   # on dom0: ovn-remote there means ovn-controller programs it (OVN), and its ML2/OVS diagnosis does not hold',
    );
  });
  it('vxlan-healthy beside the study notes’ OVN compute node (its VMs): no longer healthy, the OVN VMs named', () => {
    const d = diagnose(
      readCase(
        (() => {
          const c = tmpCase();
          cpSync(join(ROOT, 'examples/vxlan-healthy'), c, { recursive: true });
          cpSync(join(STUDY, 'compute'), join(c, 'compute'), { recursive: true });
          return c;
        })(),
      ),
    );
    expect(d.verdict).toBe('undecided');
    expect(d.headline).toMatch(
      /^the DHCP DISCOVER from .* and the OFFER comes back; but compute:tap704a9e45-54, compute:tapbdf0edc2-b0 are on OVN, not modelled \(ovn-not-modelled\)$/,
    );
    expect(ovnOf(d, 'compute')).toMatchObject({ role: 'gap', severity: 'warning' });
    expect(d.paths.find((p) => p.vm === `compute:${VM}`)?.discover.verdict).toBe(
      'not traced: compute is OVN (not modelled)',
    );
  });
  it("a host that only reads OVN's northbound database (the study notes' ovn-nbctl outputs put beside the seed's dom0): still diagnosed, the doubt said", () => {
    const d = diagnose(
      readCase(
        seedCase((c) => {
          for (const f of [
            'ovn-nbctl_list_Logical_Switch_Port',
            'ovn-nbctl_list_DHCP_options_a1b1aede-42f0-49dd-acbd-d149ae11d461',
          ])
            cpSync(join(STUDY, 'controller', f), join(c, 'dom0', f));
        }),
      ),
    );
    expect({ verdict: d.verdict, code: d.findings[0]!.code }).toEqual({
      verdict: 'problem',
      code: 'vm-port-untagged',
    });
    const f = ovnOf(d, 'dom0')!;
    expect(f).toMatchObject({ role: 'gap', severity: 'warning' });
    expect(f.message).toMatch(
      /^dom0 runs or reads OVN's databases \(ovn-nbctl output, dom0\/ovn-nbctl_list_DHCP_options_a1b1aede-42f0-49dd-acbd-d149ae11d461:1\)/,
    );
    expect(f.message).toMatch(
      /vif16\.0 is diagnosed as ML2\/OVS: if ovn-controller does program it, that diagnosis does not hold/,
    );
    expect(f.fix).toContain(
      'ovs-vsctl get Open_vSwitch . external_ids   # on dom0: ovn-remote there means ovn-controller programs it (OVN), and its ML2/OVS diagnosis does not hold',
    );
    expect(d.headline).toMatch(/; dom0 reads OVN's databases \(ovn-not-modelled\)$/);
  });
  it('no VM anywhere, an ML2/OVS host beside the Sunbeam hypervisor: the DHCP agent is not asked for', () => {
    const c = tmpCase();
    cpSync(join(OWN_FIXTURES, 'reference/healthy/domu'), join(c, 'domu'), { recursive: true });
    cpSync(join(SUNBEAM, 'hypervisor'), join(c, 'hypervisor'), { recursive: true });
    const d = diagnose(readCase(c, { lenient: true }));
    expect(d.verdict).toBe('undecided');
    expect(d.headline).toMatch(
      /^no VM port is proven in the case, .*; hypervisor is an OVN chassis, not modelled \(ovn-not-modelled\)$/,
    );
    expect(d.findings.map((f) => f.code)).not.toContain('dhcp-server-not-in-case');
    expect(ovnOf(d, 'hypervisor')).toMatchObject({ role: 'gap', severity: 'warning' });
    for (const x of d.collectNext) expect(x).not.toMatch(/qdhcp|agent-type dhcp/);
  });
});

describe('no ML2/OVS case says OVN', () => {
  it.each(ml2OvsCases().map((c) => [c.slice(ROOT.length + 1), c]))('%s', (_n, c) => {
    const d = diagnose(readCase(c, { lenient: true }));
    expect(d.findings.map((f) => f.code)).not.toContain('ovn-not-modelled');
    expect(d.headline).not.toMatch(/OVN/);
  });
});
