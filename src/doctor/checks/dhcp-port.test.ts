// dhcp-port alone: the server's port down, not on a bridge; a server not in the case is a gap.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupCases,
  edit,
  ofctlShow,
  REF_LINKS,
  REF_NS,
  refCase,
  runCheck as run,
  seedCase,
  tmpCase,
} from '../../testing/case-edits.ts';
import { OWN_FIXTURES } from '../../testing/fixtures.ts';

import { dhcpPort } from './dhcp-port.ts';

afterAll(cleanupCases);

describe('dhcp-port', () => {
  it('the tap DOWN in its namespace: an error naming the device line', () => {
    const f = run(
      dhcpPort,
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) =>
        edit(
          join(d, `domu/sos_commands/networking/ip_netns_exec_${REF_NS}_ip_address_show`),
          /(tap5f1c9a2e-7b[^<]*<)[^>]*>/,
          '$1BROADCAST,MULTICAST>',
        ),
      ),
    );
    expect(f.map((x) => [x.code, x.severity])).toEqual([['dhcp-port-down', 'error']]);
    expect(f[0]!.fix[0]).toBe(`ip netns exec ${REF_NS} ip link set tap5f1c9a2e-7b up   # changes state`);
  });
  it('no server in the case (a compute node alone): a gap, never an error', () => {
    const f = run(dhcpPort, refCase('healthy', ['dom0'], null));
    expect(f.map((x) => [x.code, x.role, x.severity])).toEqual([
      ['dhcp-server-not-in-case', 'gap', 'warning'],
    ]);
  });
  it('a healthy server: nothing', () => {
    expect(run(dhcpPort, refCase('healthy', ['dom0', 'domu'], REF_LINKS))).toEqual([]);
  });
  it("a DISCOVER arriving in another port's VLAN: that port's network, not a stale DHCP-port tag (published VLAN lab)", () => {
    // study-notes-vlan (PROVENANCE.md): tap635485ff-6c's DISCOVER reaches the controller's br-int in
    // VLAN 2, the tag of tap183c56bb-b2 (the flat network's DHCP port, its namespace not in the
    // notes); the case's one DHCP server, tap52b1b85b-8e, is tagged 1. Was: dhcp-port-vlan-mismatch,
    // "restart both agents". The notes hold no `ovs-ofctl show`: written here, the numbers from the
    // flows (reg5 = the port's ofport; patches and uplinks 1 and 2, which decide nothing here).
    const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-'));
    try {
      cpSync(join(OWN_FIXTURES, 'field/study-notes-vlan'), dir, { recursive: true });
      const show = ofctlShow;
      const taps: Record<string, [number, string][]> = {
        compute: [
          [3, 'tap635485ff-6c'],
          [5, 'tap0ab9a23c-99'],
        ],
        controller: [
          [3, 'tap183c56bb-b2'],
          [4, 'tap52b1b85b-8e'],
        ],
      };
      for (const [host, own] of Object.entries(taps)) {
        writeFileSync(
          join(dir, host, 'ovs-ofctl_show_br-int'),
          show([[1, 'int-br-mgmt'], [2, 'int-br-provider'], ...own, ['LOCAL', 'br-int']]),
        );
        writeFileSync(
          join(dir, host, 'ovs-ofctl_show_br-mgmt'),
          show([
            [1, 'eth3'],
            [2, 'phy-br-mgmt'],
            ['LOCAL', 'br-mgmt'],
          ]),
        );
        writeFileSync(
          join(dir, host, 'ovs-ofctl_show_br-provider'),
          show([
            [1, 'eth2'],
            [2, 'phy-br-provider'],
            ['LOCAL', 'br-provider'],
          ]),
        );
      }
      writeFileSync(join(dir, 'links.txt'), 'compute:eth2 controller:eth2\n');
      const f = run(dhcpPort, dir);
      expect(f.filter((x) => x.code === 'dhcp-port-vlan-mismatch')).toEqual([]);
      expect(f.filter((x) => x.severity === 'error')).toEqual([]);
      // When the trace proves the DISCOVER lost (a flooded copy reaching tap183c56bb-b2 may not
      // count as arriving), the VLAN it arrived in is said as a gap: another network's server.
      for (const gap of f.filter(
        (x) => x.code === 'dhcp-server-not-in-case' && x.subject === 'compute:tap635485ff-6c',
      )) {
        expect(gap.role).toBe('gap');
        expect(gap.message).toMatch(
          /in VLAN 2, the local VLAN of tap183c56bb-b2 there, not that of the DHCP port tap52b1b85b-8e \(VLAN 1\)/,
        );
        expect(gap.fix.join('\n')).not.toMatch(/restart/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  describe("a DISCOVER in another port's VLAN, and the case's own word on the VM's network", () => {
    // The reviewer's case: the reference lab with the DHCP port retagged 2 and a router port qr-…
    // in VLAN 1 (where the DISCOVER arrives). Whether the tag is stale turns on the VM's network.
    const NET = '5f1c9a2e-7b3d-4c8e-9a61-0d2b4e6f8a10';
    const OS = 'sos_commands/openvswitch';
    const retag = (record: RegExp, from: RegExp, to: string) => (file: string) =>
      writeFileSync(
        file,
        readFileSync(file, 'utf8')
          .split('\n\n')
          .map((r) => (record.test(r) ? r.replace(from, to) : r))
          .join('\n\n'),
      );
    const build = (vmNet: boolean) =>
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
        retag(
          /^name\s+: tap5f1c9a2e-7b$/m,
          /^tag\s+: 1$/m,
          'tag                 : 2',
        )(join(d, `domu/${OS}/ovs-vsctl_-t_5_list_port`));
        edit(
          join(d, `domu/${OS}/ovs-vsctl_-t_5_show`),
          / {8}Port tap5f1c9a2e-7b\n {12}tag: 1\n/,
          '        Port qr-0a1b2c3d-4e\n            tag: 1\n            Interface qr-0a1b2c3d-4e\n                type: internal\n        Port tap5f1c9a2e-7b\n            tag: 2\n',
        );
        for (const f of ['ovs-ofctl_show_br-int', 'ovs-ofctl_-O_OpenFlow13_show_br-int'])
          edit(
            join(d, `domu/${OS}/${f}`),
            / LOCAL\(br-int\)/,
            ' 3(qr-0a1b2c3d-4e): addr:fa:16:3e:0a:1b:2c\n     config:     0\n     state:      0\n     speed: 0 Mbps now, 0 Mbps max\n LOCAL(br-int)',
          );
        if (vmNet)
          retag(
            /^name\s+: vif16\.0$/m,
            /^other_config\s+: \{\}$/m,
            `other_config        : {net_uuid="${NET}"}`,
          )(join(d, `dom0/${OS}/ovs-vsctl_-t_5_list_port`));
      });
    it("nothing ties the VM to the server's network: the qr port's VLAN explains it, a gap", () => {
      const f = run(dhcpPort, build(false));
      expect(f.map((x) => x.code)).not.toContain('dhcp-port-vlan-mismatch');
      expect(f.find((x) => x.code === 'dhcp-server-not-in-case')?.message).toMatch(
        /in VLAN 1, the local VLAN of qr-0a1b2c3d-4e there, not that of the DHCP port tap5f1c9a2e-7b \(VLAN 2\)/,
      );
    });
    it("the VM's Port says net_uuid of the server's network: the stale tag stands (was: the gap)", () => {
      const f = run(dhcpPort, build(true));
      const m = f.find((x) => x.code === 'dhcp-port-vlan-mismatch');
      expect(m?.severity).toBe('error');
      expect(m?.evidence.map((e) => e.text).join('\n')).toContain(`net_uuid=${NET}`);
      expect(f.map((x) => x.code)).not.toContain('dhcp-server-not-in-case');
    });
  });
  describe('a tap in its namespace that no bridge in the case holds: an error only where the bridges are listed', () => {
    // slawqo-where-is-my-packet-2 (field PROVENANCE.md): the blog's `ip netns` and `ip netns exec
    // qdhcp-… ip a` of the controller; dnsmasq answered the VM there, so the tap IS on br-int. Was:
    // PROBLEM dhcp-port-not-on-bridge with 'systemctl restart neutron-dhcp-agent # changes state'.
    const SLAWQO = join(OWN_FIXTURES, 'field/slawqo-where-is-my-packet-2');
    const NS = 'qdhcp-5d90176f-d6e4-461e-94c1-c0f44e7cc52b';
    const qdhcpOnly = (): string => {
      const d = tmpCase();
      mkdirSync(join(d, 'controller'));
      for (const f of ['ip_netns', `ip_netns_exec_${NS}_ip_a`])
        cpSync(join(SLAWQO, 'controller', f), join(d, 'controller', f));
      return d;
    };
    const SEED_NS = 'domu/ip_netns_exec_qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7_ifconfig';
    const rows: {
      name: string;
      build: () => string;
      code: string;
      role: string;
      severity: string;
      message: RegExp;
      evidence: string[];
      fix: string[];
    }[] = [
      {
        name: "the blog's qdhcp namespace alone: the host's bridges are not in the case",
        build: qdhcpOnly,
        code: 'dhcp-port-bridge-unknown',
        role: 'gap',
        severity: 'warning',
        message: new RegExp(
          `^tapdcb8a7b0-69 is in ${NS}; whether it is a port of an OVS bridge of controller is unknown: the case lists no port of controller's integration bridge \\(no ovs-vsctl show`,
        ),
        evidence: [`tapdcb8a7b0-69 in ${NS} [controller/ip_netns_exec_${NS}_ip_a:7]`],
        fix: [
          'ovs-vsctl show   # on controller: is tapdcb8a7b0-69 a port of its integration bridge (br-int)?',
        ],
      },
      {
        name: "the blog's whole case: the controller's bridges known from their flow dumps alone",
        build: () => SLAWQO,
        code: 'dhcp-port-bridge-unknown',
        role: 'gap',
        severity: 'warning',
        message: /; br-int, br-tun are known from their flow dumps alone, which name no port list/,
        evidence: [`tapdcb8a7b0-69 in ${NS} [controller/ip_netns_exec_${NS}_ip_a:7]`],
        fix: [
          'ovs-vsctl show   # on controller: is tapdcb8a7b0-69 a port of its integration bridge (br-int)?',
        ],
      },
      {
        name: "the seed's DHCP tap renamed in its namespace: domu's br-int is listed (ovs-ofctl show), the tap is not on it",
        build: () => seedCase((d) => edit(join(d, SEED_NS), /^tap7b39ecad-81 /m, 'tap7b39ecad-99 ')),
        code: 'dhcp-port-not-on-bridge',
        role: 'cause',
        severity: 'error',
        message:
          /^tap7b39ecad-99 is in qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7 but no OVS bridge of domu has its port$/,
        evidence: [
          `tap7b39ecad-99 in qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7 [${SEED_NS}:10]`,
          'ports of br-int, without tap7b39ecad-99: int-br-eth1, tap7b39ecad-81, qr-78592dd4-ec, qr-55af50c7-32, br-int [domu/ovs-ofctl_show_br-int]',
        ],
        fix: [
          'ovs-vsctl show   # on domu: is the tap on br-int?',
          'systemctl restart neutron-dhcp-agent   # changes state',
        ],
      },
      {
        name: "the seed without domu's ovs-ofctl show: br-int known from its flows alone",
        build: () =>
          seedCase((d) => {
            edit(join(d, SEED_NS), /^tap7b39ecad-81 /m, 'tap7b39ecad-99 ');
            rmSync(join(d, 'domu/ovs-ofctl_show_br-int'));
          }),
        code: 'dhcp-port-bridge-unknown',
        role: 'gap',
        severity: 'warning',
        message:
          /; br-int is known from its flow dump alone, which names no port list \(no ovs-vsctl show, ovs-ofctl show br-int or conf\.db of domu\)$/,
        evidence: [`tap7b39ecad-99 in qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7 [${SEED_NS}:10]`],
        fix: ['ovs-vsctl show   # on domu: is tap7b39ecad-99 a port of its integration bridge (br-int)?'],
      },
      {
        name: "the reference lab's DHCP tap renamed in its namespace: ovs-vsctl show lists every bridge",
        build: () =>
          refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) =>
            edit(
              join(d, `domu/sos_commands/networking/ip_netns_exec_${REF_NS}_ip_address_show`),
              /tap5f1c9a2e-7b/g,
              'tap5f1c9a2e-99',
            ),
          ),
        code: 'dhcp-port-not-on-bridge',
        role: 'cause',
        severity: 'error',
        message: new RegExp(`^tap5f1c9a2e-99 is in ${REF_NS} but no OVS bridge of domu has its port$`),
        evidence: [
          `tap5f1c9a2e-99 in ${REF_NS} [domu/sos_commands/networking/ip_netns_exec_${REF_NS}_ip_address_show:7]`,
          "domu's bridges and their ports, without tap5f1c9a2e-99 [domu/sos_commands/openvswitch/ovs-vsctl_-t_5_show]",
        ],
        fix: [
          'ovs-vsctl show   # on domu: is the tap on br-int?',
          'systemctl restart neutron-dhcp-agent   # changes state',
        ],
      },
    ];
    for (const r of rows)
      it(r.name, () => {
        const f = run(dhcpPort, r.build()).filter((x) =>
          /^dhcp-port-(?:bridge-unknown|not-on-bridge)$/.test(x.code),
        );
        expect(f).toHaveLength(1);
        const x = f[0]!;
        expect([x.code, x.role ?? 'cause', x.severity]).toEqual([r.code, r.role, r.severity]);
        expect(x.message).toMatch(r.message);
        expect(
          x.evidence.map((e) => `${e.text}${e.file ? ` [${e.file}${e.line ? `:${e.line}` : ''}]` : ''}`),
        ).toEqual(r.evidence);
        expect(x.fix).toEqual(r.fix);
      });
  });
});
