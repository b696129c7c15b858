// A healthy verdict needs the DHCP server shown at work, not only a path the flows deliver: a udp
// :67 listener in its namespace, dnsmasq among its socket listing's processes, or dnsmasq's log
// answering on its port. Without any: undecided, asking for the namespace's `ss -ulpn`.
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, edit, ofctlShow, REF, tmpCase } from '../testing/case-edits.ts';
import { OWN_FIXTURES, ROOT } from '../testing/fixtures.ts';
import { diagnose } from './diagnose.ts';
import type { Diagnosis } from './finding.ts';

afterAll(cleanupCases);

// study-notes-flat (field PROVENANCE.md): the notes hold no `ovs-ofctl show`; written here with the
// port numbers the flows give (reg5 = the taps' ofports, 3 on both hosts; patches and uplinks 1
// and 2, which decide nothing here), as the dhcp-port test does for study-notes-vlan.
const NET = '53f92676-e6e0-42fb-bde9-48dd2c2506b4';
const NS = `qdhcp-${NET}`;
const SS = `controller/ip_netns_exec_${NS}_ss_-ano_-4`;
const AGENT = `controller/var/lib/neutron/dhcp/${NET}`;

const show = ofctlShow;

function flat(change: (d: string) => void = () => {}): string {
  const d = tmpCase();
  cpSync(join(OWN_FIXTURES, 'field/study-notes-flat'), d, { recursive: true });
  const taps: Record<string, [number, string][]> = {
    compute: [
      [1, 'int-br-mgmt'],
      [2, 'int-br-provider'],
      [3, 'tap635485ff-6c'],
    ],
    controller: [
      [1, 'int-br-provider'],
      [2, 'int-br-mgmt'],
      [3, 'tap183c56bb-b2'],
    ],
  };
  for (const [host, own] of Object.entries(taps)) {
    writeFileSync(join(d, host, 'ovs-ofctl_show_br-int'), show([...own, ['LOCAL', 'br-int']]));
    for (const [br, up, patch] of [
      ['br-mgmt', 'eth3', 'phy-br-mgmt'],
      ['br-provider', 'eth2', 'phy-br-provider'],
    ] as const)
      writeFileSync(
        join(d, host, `ovs-ofctl_show_${br}`),
        show([
          [1, up],
          [2, patch],
          ['LOCAL', br],
        ]),
      );
  }
  writeFileSync(join(d, 'links.txt'), 'compute:eth2 controller:eth2\n');
  change(d);
  return d;
}

/** examples/vxlan-healthy (collected from the lab: dnsmasq's log and the namespace's `ss -peaonmi`), changed. */
function vxlan(change: (d: string) => void): string {
  const d = tmpCase();
  cpSync(join(ROOT, 'examples/vxlan-healthy'), d, { recursive: true });
  change(d);
  return d;
}
const VX_NS = 'qdhcp-3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12';
const VX_SS = `network/sos_commands/networking/namespaces/${VX_NS}/ip_netns_exec_${VX_NS}_ss_-peaonmi`;
const VX_LOG = 'network/var/log/neutron/dnsmasq.log';
/** What vm1's dhclient -v printed: `DHCPOFFER of 10.0.0.3 from 10.0.0.2` (line 10), `DHCPACK …` (line 12). */
const VX_CLIENT = 'vm1/dhclient_-1_-v_eth0';

const unproven = (d: Diagnosis) => d.findings.filter((f) => f.code === 'dhcp-server-unproven');

const rows: {
  name: string;
  build: () => string;
  verdict: Diagnosis['verdict'];
  check: (d: Diagnosis) => void;
}[] = [
  {
    name: "the notes' flat lab as published (ss -ano -4 shows udp 0.0.0.0:67): healthy",
    build: () => flat(),
    verdict: 'healthy',
    check: (d) => expect(unproven(d)).toEqual([]),
  },
  {
    // The reviewer's flat-2host-min. Was: HEALTHY, exit 0.
    name: "without the namespace's ss and the agent's files: the path delivers, the server is not shown, undecided",
    build: () =>
      flat((d) => {
        rmSync(join(d, SS));
        rmSync(join(d, 'controller/var'), { recursive: true });
      }),
    verdict: 'undecided',
    check: (d) => {
      expect(d.headline).toBe(
        `the path delivers (the DHCP DISCOVER from tap635485ff-6c reaches ${NS} tap183c56bb-b2 and the OFFER comes back); whether dnsmasq answers is not in the case: collect \`ip netns exec ${NS} ss -ulpn\` on controller`,
      );
      expect(d.paths.map((p) => [p.discover.verdict, p.offer?.verdict])).toEqual([
        ['delivered', 'delivered'],
      ]);
      const [g] = unproven(d);
      expect([g?.role, g?.severity, g?.subject]).toEqual(['gap', 'warning', `controller:${NS}`]);
      expect(g!.fix).toEqual([
        `ip netns exec ${NS} ss -ulpn   # on controller: dnsmasq listening on udp :67`,
        `journalctl -t dnsmasq-dhcp | grep -i fa:16:3e:55:2a:5d   # on controller: dnsmasq's DHCPOFFER/DHCPACK to tap635485ff-6c (or wherever its log goes)`,
      ]);
      expect(d.collectNext).toContain(
        `ip netns exec ${NS} ss -ulpn   # on controller: dnsmasq listening on udp :67`,
      );
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
    },
  },
  {
    // The agent's hosts file and leases say what dnsmasq was told and once gave, not that it runs.
    name: "the agent's files without the namespace's ss: still undecided",
    build: () => flat((d) => rmSync(join(d, SS))),
    verdict: 'undecided',
    check: (d) => expect(unproven(d)).toHaveLength(1),
  },
  {
    name: "the namespace's ss without the agent's files: healthy (the listener)",
    build: () => flat((d) => rmSync(join(d, AGENT), { recursive: true })),
    verdict: 'healthy',
    check: (d) => expect(unproven(d)).toEqual([]),
  },
  {
    name: "vxlan-healthy without the namespace's socket listing: dnsmasq's log answering the VMs keeps it healthy",
    build: () => vxlan((d) => rmSync(join(d, VX_SS))),
    verdict: 'healthy',
    check: (d) => expect(unproven(d)).toEqual([]),
  },
  {
    name: "vxlan-healthy without its socket listing, dnsmasq log and vm1's dhclient output: undecided",
    build: () =>
      vxlan((d) => {
        rmSync(join(d, VX_SS));
        rmSync(join(d, VX_LOG));
        rmSync(join(d, VX_CLIENT));
      }),
    verdict: 'undecided',
    check: (d) => {
      expect(unproven(d)).toHaveLength(1);
      expect(d.collectNext).toContain(
        `ip netns exec ${VX_NS} ss -ulpn   # on network: dnsmasq listening on udp :67`,
      );
    },
  },
  {
    // Was: undecided, dhcp-server-unproven (the client's lines did not count).
    name: "vxlan-healthy without its socket listing and dnsmasq log, vm1's dhclient took OFFER and ACK from 10.0.0.2, the DHCP port's address: healthy",
    build: () =>
      vxlan((d) => {
        rmSync(join(d, VX_SS));
        rmSync(join(d, VX_LOG));
      }),
    verdict: 'healthy',
    check: (d) => {
      expect(unproven(d)).toEqual([]);
      const [f] = d.findings.filter((x) => x.code === 'dhcp-client-answered');
      expect([f?.role, f?.severity, f?.subject]).toEqual(['observation', 'info', `network:${VX_NS}`]);
      expect(f!.evidence.map((e) => [e.file, e.line])).toEqual([
        [VX_CLIENT, 10],
        [VX_CLIENT, 12],
      ]);
      expect(f!.evidence[0]!.text).toContain('"DHCPOFFER of 10.0.0.3 from 10.0.0.2"');
      expect(d.findings.filter((x) => x.code === 'dhcp-answer-foreign')).toEqual([]);
    },
  },
  {
    // 10.0.0.9 is no DHCP port of the network: another server's answer (maybe a rogue one).
    name: "the same, vm1's dhclient answered from 10.0.0.9 instead: not this server at work, undecided, said",
    build: () =>
      vxlan((d) => {
        rmSync(join(d, VX_SS));
        rmSync(join(d, VX_LOG));
        edit(join(d, VX_CLIENT), /from 10\.0\.0\.2$/gm, 'from 10.0.0.9');
      }),
    verdict: 'undecided',
    check: (d) => {
      expect(unproven(d)).toHaveLength(1);
      expect(d.findings.filter((x) => x.code === 'dhcp-client-answered')).toEqual([]);
      const [f] = d.findings.filter((x) => x.code === 'dhcp-answer-foreign');
      expect([f?.role, f?.severity, f?.subject]).toEqual([
        'observation',
        'warning',
        'compute1:tap7f3e1c2a-9b',
      ]);
      expect(f!.message).toContain(
        'from 10.0.0.9, the address of no DHCP port of its network the case shows (10.0.0.2',
      );
      expect(f!.message).toContain('a rogue one');
      expect(f!.evidence.map((e) => [e.text, e.line])).toEqual([
        ['DHCPOFFER of 10.0.0.3 from 10.0.0.9', 10],
        ['DHCPACK of 10.0.0.3 from 10.0.0.9', 12],
      ]);
    },
  },
  {
    // The server at work by its log, the client answered by another address too: healthy, the other said.
    name: "vxlan-healthy as collected, vm1's dhclient answered from 10.0.0.9: healthy by dnsmasq's own lines, the other server said",
    build: () => vxlan((d) => edit(join(d, VX_CLIENT), /from 10\.0\.0\.2$/gm, 'from 10.0.0.9')),
    verdict: 'healthy',
    check: (d) => expect(d.findings.filter((x) => x.code === 'dhcp-answer-foreign')).toHaveLength(1),
  },
];

describe('dhcp-server-unproven', () => {
  for (const r of rows)
    it(r.name, () => {
      const d = diagnose(readCase(r.build()));
      expect(d.verdict, d.headline).toBe(r.verdict);
      r.check(d);
    });
});

// The reference lab (dom0 + domu, no socket listing or log of the DomU's namespace) with what the
// VM's dhclient printed (vm16/dhclient_-1_-v_eth0.txt, its MAC fa:16:3e:11:22:33; the DHCP port is
// 10.0.0.2). The VM port has no MAC in the case: the run is tied to it only by --mac.
describe("the VM's own dhclient output as the server at work", () => {
  const ref = (scenario: string, client: string): string => {
    const d = tmpCase();
    for (const h of ['dom0', 'domu']) cpSync(join(REF, scenario, h), join(d, h), { recursive: true });
    cpSync(join(REF, scenario, client), join(d, 'vm16', 'dhclient_-1_-v_eth0.txt'));
    writeFileSync(join(d, 'links.txt'), 'dom0:vif2.1 domu:eth1\n');
    return d;
  };
  const MAC = 'fa:16:3e:11:22:33';

  it('healthy lab, --mac the run names: healthy, the client quoted', () => {
    const d = diagnose(readCase(ref('healthy', 'vm16/dhclient_-1_-v_eth0.txt')), { mac: MAC });
    expect(d.verdict, d.headline).toBe('healthy');
    const f = d.findings.find((x) => x.code === 'dhcp-client-answered');
    expect(f?.evidence.map((e) => [e.file, e.line])).toEqual([
      ['vm16/dhclient_-1_-v_eth0.txt', 10],
      ['vm16/dhclient_-1_-v_eth0.txt', 12],
    ]);
  });

  it("healthy lab, the VM port without a MAC: the run is nobody's, still undecided", () => {
    const d = diagnose(readCase(ref('healthy', 'vm16/dhclient_-1_-v_eth0.txt')));
    expect(d.verdict).toBe('undecided');
    expect(unproven(d)).toHaveLength(1);
  });

  it('seed failure with the run dhclient printed after the fix (OFFER from 10.0.0.2): still a problem', () => {
    const d = diagnose(readCase(ref('seed-failure', 'fix-by-setting-tag/dhclient_-1_-v_eth0.txt')), {
      mac: MAC,
    });
    expect(d.verdict, d.headline).toBe('problem');
    expect(d.findings.find((f) => f.role === 'cause')?.code).toBe('vm-port-untagged');
    expect(d.findings.filter((x) => x.code === 'dhcp-client-answered')).toEqual([]);
  });
});
