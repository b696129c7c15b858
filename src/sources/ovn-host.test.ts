// Host.ovn and Host.snap, as the reader builds them (sources/host-builder.ts ovnFact): on the real
// OVN outputs of the field fixtures (src/parse/fixtures/field/PROVENANCE.md: hotsos's Sunbeam
// hypervisor, the study notes' ML2/OVN lab), every line checked by hand; and never on the ML2/OVS
// cases (the seed, the examples, the reference captures, the other field fixtures).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chassisByNames, hostTool, isOvn, ovnCentral, ovnChassis, ovnControllerLog } from '../model/ovn.ts';
import type { Host } from '../model/snapshot.ts';
import { ovsAgentFlowLine } from '../parse/ovn.ts';
import { ml2OvsCases, OWN_FIXTURES, ROOT } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';
import { classify, snapOf } from './file-kinds.ts';

const FIELD = join(OWN_FIXTURES, 'field');
const REVIEW9 = join(ROOT, 'src/sources/fixtures/review9');
const tmp = mkdtempSync(join(tmpdir(), 'vifpath-ovn-host-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const kinds = (h: Host, role: 'chassis' | 'central') =>
  ((role === 'chassis' ? ovnChassis(h)?.chassis : ovnCentral(h)?.central) ?? []).map((x) => [
    x.kind,
    `${x.from.file}:${x.from.line}`,
  ]);

describe('hotsos Sunbeam hypervisor: an OVN chassis, its commands a snap’s', () => {
  const h = readCase(join(FIELD, 'hotsos-sunbeam')).hosts[0]!;
  const S = 'hypervisor/sos_commands';
  it("ovn-controller's settings in the Open_vSwitch row first, then its processes, then sos's ovn_host plugin", () => {
    expect(kinds(h, 'chassis')).toEqual([
      ['config', `${S}/ovn_host/openstack-hypervisor.ovs-vsctl_list_Open_vSwitch:9`],
      ['process', `${S}/process/ps_auxfwww:333`],
      ['process', `${S}/process/ps_auxfwww:308`],
      ['sos-plugin', `${S}/ovn_host/journalctl_--no-pager_--unit_ovn-controller:0`],
    ]);
    const c = ovnChassis(h)!;
    expect(c.chassis[0]!.text).toBe(
      'Open_vSwitch external_ids: ovn-remote="ssl:172.16.1.202:6642", ovn-bridge-mappings="physnet1:br-ex", ovn-cms-options=enable-chassis-as-gw, ovn-encap-ip="10.194.140.193", ovn-encap-type=geneve, ovn-match-northd-version="true"',
    );
    expect(c.remote).toBe('ssl:172.16.1.202:6642');
    expect(c.systemId).toBe('noble-sunbeam.lxd');
    expect(c.chassis[1]!.text).toMatch(/ 0:06 ovn-controller unix:/);
  });
  it('ovn-northd runs in a pod of this all-in-one node: a central sign, from ps', () => {
    expect(kinds(h, 'central')).toEqual([['process', `${S}/process/ps_auxfwww:638`]]);
  });
  it('the snap its OVS commands are (sos names its files as it ran them)', () => {
    expect(h.snap?.name).toBe('openstack-hypervisor');
    expect(h.snap?.from.file).toMatch(/^hypervisor\/sos_commands\/openvswitch\/openstack-hypervisor\./);
  });
});

describe('the study notes’ ML2/OVN lab: two chassis, the controller where the northbound database was read', () => {
  const s = readCase(join(FIELD, 'study-notes-ovn-geneve'));
  const [compute, controller] = ['compute', 'controller'].map((n) => s.hosts.find((h) => h.name === n)!);
  it('no Open_vSwitch row: the tunnels ovn-controller names and the flows it writes say it', () => {
    // Only the outputs vifpath does not read (ovs-dpctl show, list-tunnels, ip route) are said.
    expect(s.diagnostics.filter((d) => d.code !== 'not-read')).toEqual([]);
    expect(kinds(compute!, 'chassis')).toEqual([
      ['tunnel', 'compute/ovs-vsctl_show:6'],
      ['flow', 'compute/ovs-ofctl_dump-flows_br-int:119'],
    ]);
    expect(ovnChassis(compute!)!.chassis[0]!.text).toBe(
      'Interface ovn-3732c7-0: type geneve, options csum="true", key=flow, remote_ip="172.16.0.11" (ovn-controller names its tunnels ovn-<chassis>-<n>)',
    );
    expect(ovnCentral(compute!)).toBeUndefined();
    expect(compute!.snap).toBeUndefined();
  });
  it('the controller is a chassis (its br-int has only the table-miss flows: no flow sign) and holds ovn-nbctl outputs', () => {
    expect(kinds(controller!, 'chassis')).toEqual([['tunnel', 'controller/ovs-vsctl_show:9']]);
    expect(kinds(controller!, 'central')).toEqual([
      ['db-output', 'controller/ovn-nbctl_list_DHCP_options_a1b1aede-42f0-49dd-acbd-d149ae11d461:1'],
      ['db-output', 'controller/ovn-nbctl_list_Logical_Switch_Port:1'],
    ]);
  });
});

describe("review7 #2: an OVN compute's sos dump-ports-desc of br-int (src/sources/fixtures/review7/PROVENANCE.md)", () => {
  const R7 = join(ROOT, 'src/sources/fixtures/review7');
  it('five ovn-<chassis>-<n> ports of unknown type: one sign from names, said as no proof', () => {
    const h = readCase(join(R7, 'rdo-sos-ovn-dump-ports-desc')).hosts[0]!;
    const file = 'np0005532586/sos_commands/openvswitch/ovs-ofctl_dump-ports-desc_br-int';
    expect(kinds(h, 'chassis')).toEqual([['tunnel-names', `${file}:2`]]);
    expect(ovnChassis(h)!.chassis[0]!.text).toBe(
      'br-int ports ovn-26f986-0, ovn-ade391-0, ovn-b7d5b3-0, ovn-c237ed-0, ovn-49b8a0-0: named as ovn-controller names its tunnels (ovn-<chassis>-<n>), their type not in the case (a sign from names, not proof)',
    );
    expect(chassisByNames(h)).toBe(true);
  });
  it('the same names with their type (atmosphere#661: geneve, key=flow): tunnel signs, no sign from names', () => {
    const h = readCase(join(R7, 'atmosphere-661-ohm0-ovn')).hosts[0]!;
    expect(kinds(h, 'chassis').map(([k]) => k)).toEqual(['tunnel', 'tunnel']);
    expect(chassisByNames(h)).toBe(false);
  });
});

describe('what each kind of evidence weighs', () => {
  let n = 0;
  const host = (files: Record<string, string>): Host => {
    const d = join(tmp, `c${n++}`, 'h');
    for (const [f, t] of Object.entries(files)) {
      mkdirSync(join(d, f, '..'), { recursive: true });
      writeFileSync(join(d, f), t);
    }
    return readCase(join(d, '..')).hosts[0]!;
  };
  const SHOW =
    'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n    Bridge br-int\n        Port br-int\n            Interface br-int\n                type: internal\n';
  const OVS_ROW = (ids: string) =>
    `_uuid               : 11111111-2222-3333-4444-555555555555\nexternal_ids        : {${ids}}\novs_version         : "3.3.0"\n`;
  it('an Open_vSwitch row without ovn-* keys: known not OVN, its external_ids line the evidence', () => {
    const h = host({
      'ovs-vsctl_show': SHOW,
      'ovs-vsctl_-t_5_list_Open_vSwitch': OVS_ROW('hostname=c1, system-id="c1"'),
    });
    expect(h.ovn).toEqual({
      known: true,
      value: null,
      from: [{ file: 'h/ovs-vsctl_-t_5_list_Open_vSwitch', line: 2 }],
    });
  });
  it('no Open_vSwitch row and nothing else: unknown, saying what to collect', () => {
    const h = host({ 'ovs-vsctl_show': SHOW });
    expect(h.ovn.known).toBe(false);
    expect(!h.ovn.known && h.ovn.why).toMatch(/ovs-vsctl list Open_vSwitch/);
  });
  it("ovn-controller's log alone says OVN; against a row without ovn-* keys (a past, a package) it does not", () => {
    const log = '2024-06-05T14:00:00.000Z|00001|vlog|INFO|opened log file /var/log/ovn/ovn-controller.log\n';
    const alone = host({ 'ovs-vsctl_show': SHOW, 'var/log/ovn/ovn-controller.log': log });
    expect(kinds(alone, 'chassis')).toEqual([['log', 'h/var/log/ovn/ovn-controller.log:1']]);
    const against = host({
      'ovs-vsctl_show': SHOW,
      'var/log/ovn/ovn-controller.log': log,
      'ovs-vsctl_-t_5_list_Open_vSwitch': OVS_ROW('hostname=c1'),
    });
    expect(against.ovn).toMatchObject({ known: true, value: null });
  });
  it('rows ovn-controller wrote (ovn-installed on a VM port, ovn-chassis-id on a tunnel) outweigh that row', () => {
    const h = host({
      'ovs-vsctl_show': SHOW,
      'ovs-vsctl_-t_5_list_Open_vSwitch': OVS_ROW('hostname=c1'),
      'ovs-vsctl_-t_5_list_interface':
        '_uuid               : 66666666-2222-3333-4444-555555555555\nexternal_ids        : {attached-mac="fa:16:3e:1a:d0:3d", iface-id="704a9e45-546b-43d1-9c73-44c8114e382d", ovn-installed="true", vm-uuid="0300fe58-123b-4b40-a077-82998ae5f48f"}\nname                : br-int\nofport              : 65534\n',
    });
    expect(ovnChassis(h)?.chassis.map((x) => [x.kind, x.text, x.from.line])).toEqual([
      ['record', 'Interface br-int external_ids:ovn-installed="true"', 2],
    ]);
  });
  // `ovs-ofctl dump-ports-desc` lines (OVS 3.x), names only: how many ovn-<chassis>-<n> ports make a sign.
  const DESC = (...names: string[]) =>
    `OFPST_PORT_DESC reply (xid=0x2):\n${names.map((n, i) => ` ${i + 1}(${n}): addr:02:9f:13:80:f8:1${i}\n     config:     0\n     state:      0\n     speed: 0 Mbps now, 0 Mbps max\n`).join('')}`;
  it.each<[string, string[], string[]]>([
    [
      'two ovn-<chassis>-<n> ports of unknown type',
      ['ovn-26f986-0', 'ovn-ade391-0', 'tap5da37c9f-8b'],
      ['tunnel-names'],
    ],
    ['one alone (a name anyone may give)', ['ovn-26f986-0', 'tap5da37c9f-8b'], []],
    ["ML2/OVS's tunnel names", ['vxlan-ac10000b', 'patch-tun'], []],
  ])('names only: %s', (_, names, signs) => {
    const h = host({ 'sos_commands/openvswitch/ovs-ofctl_dump-ports-desc_br-int': DESC(...names) });
    expect(kinds(h, 'chassis').map(([k]) => k)).toEqual(signs);
  });
  // review9 #3 (src/sources/fixtures/review9/PROVENANCE.md): ovn-controller puts its tunnels on the
  // integration bridge only, and where the host shows Neutron's OVS agent the names are names.
  const HOTSOS_INT = join(
    FIELD,
    'hotsos-openstack/compute/sos_commands/openvswitch/ovs-ofctl_-O_OpenFlow13_dump-flows_br-int',
  );
  const intFlow = (n: number) =>
    `OFPST_FLOW reply (OF1.3) (xid=0x2):\n${readFileSync(HOTSOS_INT, 'utf8').split('\n')[n - 1]}\n`;
  const AGENT_PS = readFileSync(join(REVIEW9, 'f3-agent/dom0/ps_-ef'), 'utf8');
  const NAMES = DESC('ovn-26f986-0', 'ovn-ade391-0', 'tap5da37c9f-8b');
  it.each<[string, Record<string, string>, string[]]>([
    ['on br-int, nothing else: a sign', {}, ['tunnel-names']],
    [
      'on br-int, a ps whose agent line is a grep of it: a sign',
      {
        'ps_-ef': `${AGENT_PS.split('\n')[0]}\nroot      2999  2400  0 10:05 pts/0    00:00:00 grep neutron-openvswitch-agent\n`,
      },
      ['tunnel-names'],
    ],
    [
      "on br-int, br-ex's default NORMAL flow (OVN leaves the physical bridges to NORMAL): a sign",
      {
        'sos_commands/openvswitch/ovs-ofctl_dump-flows_br-ex': readFileSync(
          join(
            FIELD,
            'hotsos-sunbeam/hypervisor/sos_commands/openvswitch/openstack-hypervisor.ovs-ofctl_-O_OpenFlow13_dump-flows_br-ex',
          ),
          'utf8',
        ),
      },
      ['tunnel-names'],
    ],
    ['on br-int, neutron-openvswitch-agent running (ps -ef)', { 'ps_-ef': AGENT_PS }, []],
    [
      'on br-int, openvswitch_agent.ini',
      { 'etc/neutron/plugins/ml2/openvswitch_agent.ini': '[ovs]\nintegration_bridge = br-int\n' },
      [],
    ],
    [
      "on br-int, the agent's drop of its dead VLAN 4095 in br-int's flows (hotsos ML2/OVS compute)",
      { 'sos_commands/openvswitch/ovs-ofctl_-O_OpenFlow13_dump-flows_br-int': intFlow(2) },
      [],
    ],
    [
      "on br-int, a NORMAL flow in br-int's flows (hotsos ML2/OVS compute's table 60)",
      { 'sos_commands/openvswitch/ovs-ofctl_-O_OpenFlow13_dump-flows_br-int': intFlow(28) },
      [],
    ],
  ])('names: %s', (_, more, signs) => {
    const h = host({ 'sos_commands/openvswitch/ovs-ofctl_dump-ports-desc_br-int': NAMES, ...more });
    expect(kinds(h, 'chassis').map(([k]) => k)).toEqual(signs);
  });
  it.each([
    ['br-ex (not the integration bridge)', 'br-ex'],
    ['xapi3, bridge_mappings in openvswitch_agent.ini', 'xapi3'],
  ])('names on %s: no sign', (_, bridge) => {
    const h = host({
      [`sos_commands/openvswitch/ovs-ofctl_dump-ports-desc_${bridge}`]: NAMES,
      ...(bridge === 'xapi3'
        ? { 'etc/neutron/plugins/ml2/openvswitch_agent.ini': '[ovs]\nbridge_mappings = physnet1:xapi3\n' }
        : {}),
    });
    expect(kinds(h, 'chassis')).toEqual([]);
  });
  it("OVN's own br-int dumps hold no flow taken for the OVS agent's; an ML2/OVS br-int does", () => {
    for (const f of [
      'hotsos-sunbeam/hypervisor/sos_commands/openvswitch/openstack-hypervisor.ovs-ofctl_dump-flows_br-int',
      'study-notes-ovn-geneve/compute/ovs-ofctl_dump-flows_br-int',
    ])
      expect(ovsAgentFlowLine(readFileSync(join(FIELD, f), 'utf8')), f).toBeUndefined();
    expect(ovsAgentFlowLine(readFileSync(HOTSOS_INT, 'utf8'))?.line).toBe(2);
  });
  it('the review9 cases: no OVN on dom0 (names on xapi3; f3 with the agent), f1 (typed system ports) none either', () => {
    for (const c of ['f1-vsctl', 'f2-ofctl', 'f3-agent']) {
      const h = readCase(join(REVIEW9, c)).hosts.find((x) => x.name === 'dom0')!;
      expect(isOvn(h), c).toBe(false);
    }
  });
  it('names against an Open_vSwitch row without ovn-* keys: not OVN', () => {
    const h = host({
      'sos_commands/openvswitch/ovs-ofctl_dump-ports-desc_br-int': DESC('ovn-26f986-0', 'ovn-ade391-0'),
      'sos_commands/openvswitch/ovs-vsctl_-t_5_list_Open_vSwitch': OVS_ROW('hostname=c1'),
    });
    expect(h.ovn).toMatchObject({ known: true, value: null });
  });
  it('an ovn-nbctl that printed its error, or an empty journal: no sign', () => {
    const h = host({
      'ovs-vsctl_show': SHOW,
      'ovn-nbctl_show':
        'ovn-nbctl: unix:/var/run/ovn/ovnnb_db.sock: database connection failed (No such file or directory)\n',
      'sos_commands/openvswitch/journalctl_--no-pager_--unit_ovn-controller': '-- No entries --\n',
    });
    expect(h.ovn.known).toBe(false);
  });
});

describe('file names', () => {
  it.each([
    ['ps_auxfwww', 'ps'],
    ['ps_-elfL', 'ps'],
    ['ps_alxwww', 'ps'],
    ['ovn-controller.log', 'ovn-log'],
    ['journalctl_--no-pager_--unit_ovn-controller', 'ovn-log'],
    ['ovn-northd.log', 'ovn-log'],
    // sos ovn_host copies /etc/sysconfig/ovn-controller: a configuration, no log.
    ['ovn-controller', 'unread'],
    ['ovn-nbctl_list_DHCP_Options', 'ovn-db'],
    ['microovn.ovn-sbctl_lflow-list', 'ovn-db'],
  ])('%s: %s', (name, kind) => {
    expect(classify(name)?.kind ?? 'unread').toBe(kind);
  });
  it('the snap a name says', () => {
    expect(snapOf('openstack-hypervisor.ovs-vsctl_-t_5_show')).toBe('openstack-hypervisor');
    expect(snapOf('microovn.ovs-vsctl_show')).toBe('microovn');
    expect(snapOf('ovs-vsctl_-t_5_show')).toBeUndefined();
  });
});

describe('a command as it runs on the host', () => {
  const on = (snap?: string): Host =>
    ({ name: 'h', ...(snap ? { snap: { name: snap, from: { file: 'f', line: 0 } } } : {}) }) as Host;
  it("a snap's apps (its snapcraft.yaml), else the plain tool", () => {
    expect(hostTool(on('openstack-hypervisor'), 'ovs-vsctl')).toBe('openstack-hypervisor.ovs-vsctl');
    expect(hostTool(on('openstack-hypervisor'), 'ovn-appctl')).toBe('openstack-hypervisor.ovn-appctl');
    // Sunbeam's hypervisor snap has no ovn-nbctl (the databases run in Kubernetes).
    expect(hostTool(on('openstack-hypervisor'), 'ovn-nbctl')).toBe('ovn-nbctl');
    expect(hostTool(on('microovn'), 'ovn-nbctl')).toBe('microovn.ovn-nbctl');
    // A snap whose apps are not known: the OVS tools sos runs with its prefix.
    expect(hostTool(on('microstack'), 'ovs-ofctl')).toBe('microstack.ovs-ofctl');
    expect(hostTool(on('microstack'), 'ovn-appctl')).toBe('ovn-appctl');
    expect(hostTool(on(), 'ovs-vsctl')).toBe('ovs-vsctl');
    expect(hostTool(undefined, 'ovn-trace')).toBe('ovn-trace');
  });
  it("ovn-controller's log: where the snap's ovn-controller writes it (its --log-file in ps), else the packages' place", () => {
    expect(ovnControllerLog(on('openstack-hypervisor'))).toBe(
      '/var/snap/openstack-hypervisor/common/log/ovn/ovn-controller.log',
    );
    expect(ovnControllerLog(on())).toBe('/var/log/ovn/ovn-controller.log');
  });
});

describe('no ML2/OVS case is taken for OVN', () => {
  it.each(ml2OvsCases().map((c) => [c.slice(ROOT.length + 1), c]))('%s', (_n, c) => {
    const s = readCase(c, { lenient: true });
    expect(s.hosts.length).toBeGreaterThan(0);
    for (const h of s.hosts) {
      expect(isOvn(h), h.name).toBe(false);
      expect(h.snap, h.name).toBeUndefined();
    }
  });
  it("hotsos's ML2/OVS compute node: its Open_vSwitch row says so (system-id, no ovn-*)", () => {
    const h = readCase(join(FIELD, 'hotsos-openstack')).hosts[0]!;
    expect(h.ovn).toEqual({
      known: true,
      value: null,
      from: [{ file: 'compute/sos_commands/openvswitch/ovs-vsctl_-t_5_list_Open_vSwitch', line: 9 }],
    });
  });
});
