// A corpus of cases operators bring, hand-made from real outputs (the seed example, the reference
// lab captures in shared/reference/fixtures), each with the verdict, the leading finding and the
// exit code diagnose must give. Unknown is never broken; a fault is named only when proven; a
// fix never holds a value the evidence does not determine.
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colors } from '../cli/colors.ts';
import { formatDiagnosis } from '../cli/format-diagnosis.ts';
import { traceCommand } from '../dataplane/run.ts';
import { EXIT } from '../errors/errors.ts';
import { type Snapshot, toJson } from '../model/snapshot.ts';
import { readCase } from '../sources/case-dir.ts';
import { type InputOptions, readInputs } from '../sources/inputs.ts';
import {
  cleanupCases,
  edit,
  REF_NS,
  refCase,
  refServerListening,
  refVmMac,
  seedCase,
  tagSeedVif16,
  tmpCase,
} from '../testing/case-edits.ts';
import { OWN_FIXTURES, ROOT, SEED_CASE } from '../testing/fixtures.ts';
import { NEUTRON_HYBRID_2016, UFW } from '../testing/iptables-saves.ts';
import { diagnose } from './diagnose.ts';
import type { Diagnosis } from './finding.ts';

afterAll(cleanupCases);
const seed = seedCase;
const tagVif16 = tagSeedVif16;
const ref = refCase;

interface Row {
  name: string;
  build: () => string;
  verdict: Diagnosis['verdict'];
  /** The leading finding's code (undefined: none, or not asserted). */
  code?: string;
  /** diagnose's --vm (undefined: none). */
  vm?: string;
  check?: (d: Diagnosis) => void;
}

/** examples/<name> copied and changed. */
function example(name: string, change: (d: string) => void): string {
  const d = tmpCase();
  cpSync(join(ROOT, 'examples', name), d, { recursive: true });
  change(d);
  return d;
}

/** A copy of the case folder `src`, changed. */
function tmpFrom(src: string, change: (d: string) => void): string {
  const d = tmpCase();
  cpSync(src, d, { recursive: true });
  change(d);
  return d;
}

/** Rename a word in every file of a case that holds it. */
function renameEverywhere(d: string, from: string, to: string): void {
  for (const e of readdirSync(d, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const f = join(e.parentPath, e.name);
    const t = readFileSync(f, 'latin1');
    if (t.includes(from)) writeFileSync(f, t.replaceAll(from, to), 'latin1');
  }
}

/** Remove a bridge's flow dumps (both spellings sos uses) from a host's sosreport tree. */
function rmDumps(d: string, host: string, bridge: string): void {
  for (const f of [`ovs-ofctl_dump-flows_${bridge}`, `ovs-ofctl_-O_OpenFlow13_dump-flows_${bridge}`])
    rmSync(join(d, host, 'sos_commands/openvswitch', f));
}

/** A case directory, or a sosreport / sos collect bundle (one case). */
/** The seed with dom0's outputs saved under the names an operator gives pastes; `show`: the ofctl show's. */
function pasted(show: string): string {
  return seed((d) => {
    const ren = (from: string, to: string): void => renameSync(join(d, 'dom0', from), join(d, 'dom0', to));
    ren('ovs-vsctl_show', 'vsctl-show.txt');
    ren('ovs-ofctl_dump-flows_xapi3', 'flows-xapi3.txt');
    ren('ovs-ofctl_show_xapi3', show);
  });
}

function read(p: string, opts: InputOptions = {}) {
  // A sos collect bundle, or a flat folder of pasted files (one host): read as the CLI reads them.
  const flat = !p.endsWith('.tar') && readdirSync(p, { withFileTypes: true }).every((e) => e.isFile());
  return p.endsWith('.tar') || flat ? readInputs([p], opts)[0]! : readCase(p, opts);
}

/** The cases of the seventh review (src/sources/fixtures/review7/PROVENANCE.md). */
const REVIEW7 = join(ROOT, 'src/sources/fixtures/review7');
/** The seed with ovn-… port names added (src/sources/fixtures/review9/PROVENANCE.md). */
const REVIEW9 = join(ROOT, 'src/sources/fixtures/review9');
/** The cases of the tenth review (src/dataplane/fixtures/PROVENANCE.md). */
const REVIEW10 = join(ROOT, 'src/dataplane/fixtures/review10');
/** The eleventh review's Juno compute whose OVS agent exited at start (src/doctor/fixtures/PROVENANCE.md). */
const CN_JUNO_STOP = join(ROOT, 'src/doctor/fixtures/cn-juno-agent-terminated');
/** Cases of the eleventh review (src/doctor/fixtures/PROVENANCE.md, each with its SOURCE.md). */
const REVIEW11 = join(ROOT, 'src/doctor/fixtures/review11');
/** compute1's agent log of /tmp/review12/_ctl-healthy-agentlog, verbatim (see its row). */
const REVIEW12_AGENT_LOG = [
  '2026-11-29 10:00:01.123 1234 ERROR neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent [-] Bridge br-ex for physical network external does not exist. Agent terminated!',
  '2026-11-29 10:05:01.456 1301 INFO neutron.common.config [-] Logging enabled!',
  '2026-11-29 10:05:02.456 1301 INFO neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent [-] Agent initialized successfully, now running...',
  '2026-11-29 10:05:03.456 1301 INFO neutron.agent.securitygroups_rpc [-] Preparing filters for devices set()',
];

const exitOf = (d: Diagnosis): number =>
  d.verdict === 'healthy' ? EXIT.ok : d.verdict === 'problem' ? EXIT.problem : EXIT.undecided;

const CORPUS: Row[] = [
  {
    name: 'the seed: untagged VM port, DISCOVER dies at the in_port drop on xapi3',
    build: () => seed(),
    verdict: 'problem',
    code: 'vm-port-untagged',
    check: (d) => expect(d.findings[0]!.fix).toContain('ovs-vsctl set Port vif16.0 tag=1'),
  },
  {
    name: 'the seed with vif16.0 tagged 1: the path delivers, but on unknown tags of br-int ports',
    build: () => seed((d) => tagVif16(d, 1)),
    verdict: 'undecided',
    check: (d) => expect(d.findings.map((f) => f.code)).toContain('assumed-neutron-bridge'),
  },
  {
    // The flows prove the path, not the server: the capture holds no socket listing, process or
    // dnsmasq log of the DomU's namespace. Was: healthy.
    name: 'reference healthy lab with its wire: the path delivers, whether dnsmasq answers is not in the case, undecided',
    build: () => ref('healthy', ['dom0', 'domu'], 'dom0:vif2.1 domu:eth1\n'),
    verdict: 'undecided',
    code: 'dhcp-server-unproven',
    check: (d) => {
      expect(d.headline).toBe(
        `the path delivers (the DHCP DISCOVER from vif16.0 reaches ${REF_NS} tap5f1c9a2e-7b and the OFFER comes back); whether dnsmasq answers is not in the case: collect \`ip netns exec ${REF_NS} ss -ulpn\` on domu`,
      );
      expect(d.collectNext).toContain(
        `ip netns exec ${REF_NS} ss -ulpn   # on domu: dnsmasq listening on udp :67`,
      );
    },
  },
  {
    name: "reference healthy lab with its wire and its namespace's `ss -ulpn` (dnsmasq on udp :67): healthy",
    build: () => ref('healthy', ['dom0', 'domu'], 'dom0:vif2.1 domu:eth1\n', refServerListening),
    verdict: 'healthy',
  },
  {
    name: 'reference healthy lab without links.txt: undecided, and vif2.1 (an uplink) is never tagged',
    build: () => ref('healthy', ['dom0', 'domu'], null),
    verdict: 'undecided',
    check: (d) => {
      expect(JSON.stringify(d)).not.toMatch(/Port vif2\.1/);
      // What is behind vif2.1 is asked once, by the wire's links.txt line naming it a candidate end.
      expect(d.collectNext.join('\n')).not.toMatch(/what is behind device vif2\.1/);
      expect(d.collectNext).toContain(
        'links.txt: add the line `dom0:<iface> domu:<iface>`   # the wire between dom0 and domu (or give it with --links FILE)',
      );
      expect(d.findings.find((f) => f.code === 'wire-unknown')!.message).toMatch(
        /ports with nothing known behind them: dom0:vif2\.1, domu:eth1$/,
      );
    },
  },
  {
    name: 'reference seed-failure lab: untagged VM port on xapi1',
    build: () => ref('seed-failure', ['dom0', 'domu'], 'dom0:vif2.1 domu:eth1\n'),
    verdict: 'problem',
    code: 'vm-port-untagged',
  },
  {
    name: 'single host, healthy compute node whose DHCP server lives elsewhere: undecided, no error',
    build: () => ref('healthy', ['dom0'], null),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.headline).toMatch(/no DHCP server/);
      expect(d.findings.map((f) => f.code)).toContain('dhcp-server-not-in-case');
    },
  },
  {
    name: "single host with the seed's proven drop: still a problem (the fault is on this host)",
    build: () =>
      seed((d) => {
        rmSync(join(d, 'domu'), { recursive: true });
        writeFileSync(join(d, 'links.txt'), '');
      }),
    verdict: 'problem',
    code: 'vm-port-untagged',
  },
  {
    name: 'pasted outputs with the names an operator gives them: read by content, same verdict',
    build: () => pasted('ofctl-show-xapi3.txt'),
    verdict: 'problem',
    code: 'vm-port-untagged',
    check: (d) => expect(d.headline).toMatch(/dies on dom0 xapi3 at `priority=2,in_port=2 actions=drop`/),
  },
  {
    // Was 'problem' ("dies on dom0 xapi5: patch port int-xapi3 has no peer phy-xapi3"): the reader
    // cannot tell which bridge ofctl-show.txt is about and leaves it out, so xapi3's ports are not
    // in the case, while the OVSDB monitor lists phy-xapi3 with ofport 2. A gap, not a dead patch.
    name: 'pasted outputs, the ovs-ofctl show named without its bridge: undecided, the show asked for',
    build: () => pasted('ofctl-show.txt'),
    verdict: 'undecided',
    check: (d) => {
      expect(d.headline).toMatch(/phy-xapi3, the peer of patch port xapi5:int-xapi3, is in dom0's OVSDB/);
      expect(d.collectNext[0]).toMatch(/^ovs-ofctl show xapi3 {3}# on dom0/);
    },
  },
  {
    name: 'two networks on one bridge: the tag is not determined, candidates and how to decide',
    build: () =>
      seed((d) =>
        appendFileSync(
          join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'),
          '  cookie=0x0, duration=276117.558s, table=0, n_packets=3, n_bytes=300, idle_age=16859, hard_age=65534, priority=4,in_port=2,dl_vlan=2 actions=mod_vlan_vid:1042,NORMAL\n',
        ),
      ),
    verdict: 'problem',
    code: 'vm-port-untagged',
    check: (d) => {
      const fix = d.findings[0]!.fix.join('\n');
      expect(fix).not.toMatch(/set Port .* tag=/);
      expect(fix).toMatch(/candidates: 1, 2/);
      expect(fix).toMatch(/openstack port show/);
    },
  },
  {
    name: 'dead VLAN 4095: the dead-vlan cause leads',
    build: () => seed((d) => tagVif16(d, 4095)),
    verdict: 'problem',
    code: 'dead-vlan',
  },
  {
    name: 'dnsmasq alive but not bound to udp/67',
    build: () =>
      seed((d) => {
        tagVif16(d, 1);
        writeFileSync(
          join(d, 'domu/ip_netns_exec_qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7_netstat_-W_-neopa'),
          'Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name     Timer\ntcp        0      0 10.0.0.2:53             0.0.0.0:*               LISTEN      0          12345      4242/dnsmasq         off (0.00/0/0)\nudp        0      0 10.0.0.2:53             0.0.0.0:*                           0          12346      4242/dnsmasq         off (0.00/0/0)\n',
        );
      }),
    verdict: 'problem',
    code: 'dnsmasq-not-bound',
  },
  {
    name: "contradicting dhclient output: the flows deliver, the VM's client got no OFFER",
    build: () =>
      ref('healthy', ['dom0', 'domu', 'vm16'], 'dom0:vif2.1 domu:eth1\ndom0:vif16.0 vm16:eth0\n', (d) => {
        const f = join(d, 'vm16/dhclient_-1_-v_eth0.txt');
        writeFileSync(
          f,
          `${readFileSync(f, 'utf8').split('DHCPOFFER')[0]}DHCPDISCOVER on eth0 to 255.255.255.255 port 67 interval 2\nNo DHCPOFFERS received.\n`,
        );
      }),
    verdict: 'undecided',
    check: (d) => {
      const c = d.findings.find((f) => f.code === 'contradicted')!;
      expect(c.evidence[0]!.text).toMatch(/received no OFFER/);
      expect(c.fix.join('\n')).toMatch(/vifpath capture live .* --vm vif16\.0/);
    },
  },
  {
    name: "dnsmasq saw the VM's DISCOVER (its attached-mac) and had no address for it",
    build: () =>
      ref('healthy', ['dom0', 'domu'], 'dom0:vif2.1 domu:eth1\n', (d) => {
        refVmMac(d);
        appendFileSync(
          join(d, 'domu/dnsmasq.log'),
          'Nov 25 13:00:01 dnsmasq-dhcp[7364]: DHCPDISCOVER(tap5f1c9a2e-7b) fa:16:3e:11:22:33 no address available\n',
        );
      }),
    verdict: 'problem',
    code: 'dnsmasq-refused',
  },
  {
    name: 'a flow dump cut in the middle of a record: the drop it would prove is not proven',
    build: () =>
      seed((d) =>
        appendFileSync(
          join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'),
          '  cookie=0x0, duration=2.0s, table=0, n_packets=0, n_bytes=0, priority=9,in_port=2 actions=load:0x2->NXM_NX',
        ),
      ),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.paths[0]!.discover.verdict).toBe('incomplete');
    },
  },
  {
    name: 'a secure bridge with no flows drops everything',
    build: () =>
      ref('healthy', ['dom0', 'domu'], 'dom0:vif2.1 domu:eth1\n', (d) => {
        for (const f of ['ovs-ofctl_-O_OpenFlow13_dump-flows_xapi2', 'ovs-ofctl_dump-flows_xapi2'])
          writeFileSync(
            join(d, 'dom0/sos_commands/openvswitch', f),
            f.includes('OpenFlow13')
              ? 'OFPST_FLOW reply (OF1.3) (xid=0x2):\n'
              : 'NXST_FLOW reply (xid=0x4):\n',
          );
      }),
    verdict: 'problem',
    code: 'secure-bridge-no-flows',
  },
  {
    name: 'the DHCP port is DOWN inside its namespace',
    build: () =>
      ref('healthy', ['dom0', 'domu'], 'dom0:vif2.1 domu:eth1\n', (d) =>
        edit(
          join(d, `domu/sos_commands/networking/ip_netns_exec_${REF_NS}_ip_address_show`),
          /(tap5f1c9a2e-7b[^<]*<)[^>]*>/,
          '$1BROADCAST,MULTICAST>',
        ),
      ),
    verdict: 'problem',
    code: 'dhcp-port-down',
  },
  // The review of issue 22: verdicts more certain than their evidence, each now what the evidence decides.
  {
    // Was 'problem' vlan-mismatch (restart agents): br-int floods VLAN 3, a VXLAN network (br-tun
    // maps it to tun_id 0x4d1), to int-br-data too, where br-data drops it by design; the tunnel
    // branch leaves for hosts not in the case.
    name: 'a real DVR/VXLAN compute node alone (hotsos): undecided, the DHCP host asked for',
    build: () => join(OWN_FIXTURES, 'field/hotsos-openstack'),
    verdict: 'undecided',
    code: 'dhcp-server-not-in-case',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.headline).toMatch(/no DHCP server .*: add the host running the DHCP agent$/);
      expect(d.paths[0]!.discover.verdict).toBe('incomplete');
    },
  },
  {
    // review10 P5: the paths stop where the author's br-int excerpt ends. Was: '… reaches nothing',
    // and the first collect line 'ovs-ofctl -O OpenFlow13 dump-flows br-int' named no host.
    name: 'kiosk007 two-node VXLAN (br-int dump an excerpt, no qdhcp devices): undecided, the DISCOVER not proven past the excerpt',
    build: () => join(REVIEW10, 'kiosk-ovs-vxlan-2node'),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.headline).toContain(
        '; the DISCOVER from instance-vm01:qvo271f9531-54, instance-vm01:qvo6b5d65c3-82, instance-vm01:qvo7d4e020e-fd is not proven past instance-vm01 br-int (it stops where the excerpt of its flow dump ends): collect `ip netns exec qdhcp-d953cf16-af03-45e0-864a-867c0798280c ip -d address show` on instance-vm00',
      );
      expect(d.collectNext[0]).toBe(
        'ovs-ofctl -O OpenFlow13 dump-flows br-int   # on instance-vm01: the whole dump',
      );
      // review10 P5 leftover: the DHCP agent's taps instance-vm00's br-int shows, named. Was: '… its devices (the DHCP port, its address)'.
      expect(d.findings.find((f) => f.code === 'dhcp-server-not-in-case')!.fix.slice(0, 2)).toEqual(
        ['qdhcp-d953cf16-af03-45e0-864a-867c0798280c', 'qdhcp-fea7be8c-424e-4e4b-9dc8-d834dd223d6f'].map(
          (ns) =>
            `ip netns exec ${ns} ip -d address show   # on instance-vm00: its devices (the DHCP port, its address; the DHCP agent's ports the case shows on instance-vm00: br-int tap9ca0f3d5-e5 (tag 4), br-int tap76c81432-37 (tag 5), which namespace holds each not shown)`,
        ),
      );
    },
  },
  {
    // review6 #5a: the host whose `ip netns` lists the qdhcp namespace is in the case, only the
    // namespace's devices are not. Was: '…: add the host running the DHCP agent'.
    name: "slawqo's controller without its qdhcp namespace's `ip a`: undecided, that namespace's devices asked for",
    build: () =>
      tmpFrom(join(OWN_FIXTURES, 'field/slawqo-where-is-my-packet-2'), (d) =>
        rmSync(join(d, 'controller/ip_netns_exec_qdhcp-5d90176f-d6e4-461e-94c1-c0f44e7cc52b_ip_a')),
      ),
    verdict: 'undecided',
    check: (d) => {
      const ns = 'qdhcp-5d90176f-d6e4-461e-94c1-c0f44e7cc52b';
      expect(d.headline).toBe(
        `the devices of the qdhcp namespace controller lists (${ns}) were not collected, so no DHCP server is in the case; the DISCOVER from compute1:qvo3e399bf2-31 is not followed to an end the case shows (see the paths): collect \`ip netns exec ${ns} ip -d address show\` on controller`,
      );
      expect(d.findings.find((f) => f.code === 'dhcp-server-not-in-case')!.fix[0]).toBe(
        `ip netns exec ${ns} ip -d address show   # on controller: its devices (the DHCP port, its address)`,
      );
    },
  },
  {
    name: 'the same compute node in a sos collect bundle: undecided',
    build: () => join(ROOT, 'src/sources/fixtures/sos-collect/sos-collector-2025-05-12-qkwzd.tar'),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.headline).toMatch(/add the host running the DHCP agent$/);
    },
  },
  {
    // Was 'problem' with `ovs-vsctl set Port vif16.0 tag=1041`: DomU's wire VLAN, through NORMAL
    // assumed on xapi3 (where the agent translates) and an inferred br-eth1.
    name: "the seed without xapi3's flow dump: undecided, the dump asked for, no tag set",
    build: () => seed((d) => rmSync(join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'))),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.findings.flatMap((f) => f.fix).join('\n')).not.toMatch(/set Port .* tag=/);
      expect(d.headline).toMatch(/rests on what the case does not show: dom0:xapi3 has no flow dump/);
      expect(d.collectNext[0]).toBe('ovs-ofctl -O OpenFlow13 dump-flows xapi3   # on dom0');
    },
  },
  // Were 'problem', restart agents: tunnel-key-unmapped (compute1: key 0x0 from br-tun's assumed
  // NORMAL) and dhcp-port-vlan-mismatch (network: "stale tag").
  ...(['compute1', 'network'] as const).map((host) => ({
    name: `the VXLAN lab without ${host}'s br-tun dumps: undecided, the dump asked for`,
    build: () => example('vxlan-healthy', (d) => rmDumps(d, host, 'br-tun')),
    verdict: 'undecided' as const,
    check: (d: Diagnosis) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.collectNext[0]).toBe(`ovs-ofctl -O OpenFlow13 dump-flows br-tun   # on ${host}`);
    },
  })),
  // The fresh-eyes review of this session: a published compute node (ovs-ofctl show and dump-flows
  // only) was 'problem' twice over: a made-up MAC missed the anti-spoofing table 25, and with the
  // MAC the drop at br-vlan rested on tags the case does not give.
  {
    name: 'a published flat/VLAN compute node with ovs-ofctl outputs only: undecided, MAC from table 25, tags asked for',
    build: () => join(OWN_FIXTURES, 'field/vn-l2-flat-vlan'),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      const mac = d.findings.find(
        (f) => f.code === 'vm-mac-from-flow' && f.subject.endsWith('qvo23d0f2c7-c2'),
      )!;
      expect(mac.message).toContain('fa:16:3e:80:db:c8');
      expect(mac.evidence[0]).toMatchObject({ file: 'compute/ovs-ofctl_dump-flows_br-int', line: 21 });
      expect(d.collectNext).toContain(
        'ovs-vsctl --columns=name,tag list Port qvo23d0f2c7-c2 qvodbe633c6-33 qvoe9feecdf-5d   # on compute',
      );
      // Once, in one order (was three permutations, one per VM), and no "what is behind" another
      // VM's port the flood reached (a reviewer's finding).
      expect(d.collectNext.filter((x) => x.includes('--columns=name,tag list Port'))).toHaveLength(1);
      // One iptables-save on compute, not one per hybrid VM.
      expect(
        d.collectNext.filter((x) => x.startsWith('iptables-save -t filter   # on compute')),
      ).toHaveLength(1);
      expect(d.collectNext.join('\n')).not.toMatch(/what is behind br-int port qvo/);
    },
  },
  {
    name: 'the same with a second allowed MAC for the port: the MAC unknown, undecided, the MAC asked for',
    build: () =>
      tmpFrom(join(OWN_FIXTURES, 'field/vn-l2-flat-vlan'), (d) =>
        appendFileSync(
          join(d, 'compute/ovs-ofctl_dump-flows_br-int'),
          ' cookie=0xb595b9f297d967e0, duration=342.073s, table=25, n_packets=0, n_bytes=0, priority=2,in_port=12,dl_src=fa:16:3e:80:db:c9 actions=NORMAL\n',
        ),
      ),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(
        d.findings.some((f) => f.code === 'vm-mac-from-flow' && f.subject.endsWith('qvo23d0f2c7-c2')),
      ).toBe(false);
      expect(d.collectNext.join('\n')).toMatch(
        /list Interface qvo23d0f2c7-c2 {3}# on compute: the VM port's attached-mac/,
      );
    },
  },
  // review9 a0c/h2-healthy-tagged (examples/vxlan-healthy plus this one flow on compute1's br-int,
  // both dumps): an explicit output keeps the frame's tag (trace-notes.md 7: only NORMAL applies the
  // port's tag 1), so the OFFER reaches the VM tagged and its eth0 ignores it. Was: HEALTHY, exit 0,
  // the path line saying the guest ignores it, with "the case does not give the port's tag" (it does).
  ...(['', 'strip_vlan,'] as const).map((strip) => ({
    name: `the VXLAN lab with table=60 sending the OFFER to tap7f3e1c2a-9b by \`actions=${strip}output:2\`: ${strip ? 'healthy (untagged)' : 'problem, it arrives tagged VLAN 1'}`,
    build: () =>
      example('vxlan-healthy', (d) => {
        const ovs = join(d, 'compute1/sos_commands/openvswitch');
        for (const f of ['ovs-ofctl_dump-flows_br-int', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-int'])
          appendFileSync(
            join(ovs, f),
            ` cookie=0x1c0a5e11, duration=3.117s, table=60, n_packets=1, n_bytes=342, idle_age=1, priority=50,udp,dl_dst=fa:16:3e:11:22:33,tp_src=67,tp_dst=68 actions=${strip}output:2\n`,
          );
      }),
    verdict: strip ? ('healthy' as const) : ('problem' as const),
    ...(strip ? {} : { code: 'offer-tagged' }),
    check: (d: Diagnosis) => {
      const why =
        "`output:2`, an explicit output, keeps the frame's tag; only NORMAL applies the port's tag 1: the guest sees an 802.1Q frame and ignores it unless it runs a VLAN interface";
      if (strip) {
        expect(d.paths[0]!.offer).toEqual(expect.objectContaining({ verdict: 'delivered' }));
        expect(d.paths[0]!.offer!.tagged).toBeUndefined();
        return;
      }
      expect(d.headline).toBe(
        `the DISCOVER reaches the DHCP server but the OFFER back reaches tap7f3e1c2a-9b tagged VLAN 1 (${why})`,
      );
      expect(d.paths[0]!.offer!.tagged).toBe(`reaches tap7f3e1c2a-9b tagged VLAN 1 (${why})`);
      const f = d.findings.find((x) => x.code === 'offer-tagged')!;
      expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual([
        'compute1/sos_commands/openvswitch/ovs-ofctl_-O_OpenFlow13_dump-flows_br-int:12',
        'compute1/sos_commands/openvswitch/ovs-vsctl_-t_5_list_port:213',
      ]);
      expect(f.evidence[0]!.text).toContain('actions=output:2` (n_packets=1)');
      // The way to fix it names the flow, and no VLAN or port value the case does not give.
      expect(f.fix).toEqual([
        "# the flow at compute1/sos_commands/openvswitch/ovs-ofctl_-O_OpenFlow13_dump-flows_br-int:12 outputs to tap7f3e1c2a-9b without removing the VLAN: an output to a VM port needs strip_vlan (pop_vlan) before it, as the agent's own flows do; find what added that flow, and remove or correct it there",
        'ovs-vsctl --columns=name,tag,trunks,vlan_mode list port tap7f3e1c2a-9b   # on compute1',
      ]);
      expect(d.findings.find((x) => x.code === 'dnsmasq-answered')!.message).not.toMatch(
        /carry the OFFER back/,
      );
    },
  })),
  ...([1, 2] as const).map((macs) => ({
    name: `the VXLAN lab, the VM's attached-mac gone, br-int checking its source MAC (${macs} allowed): ${macs === 1 ? 'healthy, the MAC from the flow' : 'undecided, not dropped'}`,
    build: () =>
      example('vxlan-healthy', (d) => {
        const ovs = join(d, 'compute1/sos_commands/openvswitch');
        rmSync(join(d, 'compute1/etc/openvswitch/conf.db'));
        edit(join(ovs, 'ovs-vsctl_-t_5_list_interface'), 'attached-mac="fa:16:3e:11:22:33", ', '');
        for (const f of ['ovs-ofctl_dump-flows_br-int', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-int'])
          appendFileSync(
            join(ovs, f),
            [
              ' cookie=0x1c0a5e11, table=0, priority=9,in_port=2 actions=resubmit(,25)',
              ' cookie=0x1c0a5e11, table=25, priority=2,in_port=2,dl_src=fa:16:3e:11:22:33 actions=resubmit(,58)',
              ...(macs === 2
                ? [
                    ' cookie=0x1c0a5e11, table=25, priority=2,in_port=2,dl_src=fa:16:3e:11:22:44 actions=resubmit(,58)',
                  ]
                : []),
              '',
            ].join('\n'),
          );
      }),
    verdict: macs === 1 ? ('healthy' as const) : ('undecided' as const),
    check: (d: Diagnosis) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.findings.some((f) => f.code === 'vm-mac-from-flow')).toBe(macs === 1);
    },
  })),
  {
    // qbr and the iptables firewall stand between qvo and the VM, and the model does not follow
    // them: the flows' delivery to qvo is not the VM's (review: was healthy).
    name: "the VXLAN lab with the VM's port a hybrid plug (qvo): undecided, qbr and the iptables chain named",
    build: () =>
      example('vxlan-healthy', (d) => {
        rmSync(join(d, 'compute1/etc/openvswitch/conf.db'));
        renameEverywhere(d, 'tap7f3e1c2a-9b', 'qvo7f3e1c2a-9b');
        edit(join(d, 'links.txt'), /^.*qvo7f3e1c2a-9b.*\n/m, '');
      }),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      const h = d.findings.find((f) => f.code === 'vm-port-hybrid')!;
      expect(h.message).toMatch(/qbr7f3e1c2a-9b .*iptables.* not modelled/);
      // compute1's iptables-save is empty (no filter table): the chains cannot be judged.
      expect(d.headline).toMatch(
        /^the flows deliver the DHCP traffic to qvo7f3e1c2a-9b and back, but whether iptables on compute1 lets tap7f3e1c2a-9b's DHCP through qbr7f3e1c2a-9b is unknown: compute1's iptables-save has no filter table; collect `iptables-save -t filter {3}# on compute1: chains neutron-openvswi-o7f3e1c2a-9 and neutron-openvswi-i7f3e1c2a-9/,
      );
    },
  },
  // --- a hybrid plug judged by the compute node's iptables-save (checks/hybrid-firewall.ts) ---
  ...(() => {
    // The VM's port renamed to the published save's VM (qvo0695f2ca-bf: chains
    // neutron-openvswi-{i,o,s}0695f2ca-b), the save's DHCP port 172.24.220.3 made the case's 10.0.0.2.
    const IPT = 'compute1/sos_commands/networking/iptables-save';
    const hybrid = (save: string | null) =>
      example('vxlan-healthy', (d) => {
        rmSync(join(d, 'compute1/etc/openvswitch/conf.db'));
        renameEverywhere(d, 'tap7f3e1c2a-9b', 'qvo0695f2ca-bf');
        edit(join(d, 'links.txt'), /^.*qvo0695f2ca-bf.*\n/m, '');
        if (save === null) rmSync(join(d, IPT));
        else writeFileSync(join(d, IPT), save.replaceAll('172.24.220.3/32', '10.0.0.2/32'));
      });
    const codes = (d: Diagnosis) => d.findings.filter((f) => f.code.startsWith('hybrid-firewall'));
    return [
      {
        // Was 'undecided' (vm-port-hybrid: "what qbr and iptables do to DHCP is not modelled").
        name: "vxlan-healthy with the VM hybrid-plugged (qvo0695f2ca-bf) and compute1's save Neutron's chains for it (published iptables-save): healthy",
        build: () => hybrid(NEUTRON_HYBRID_2016),
        verdict: 'healthy',
        check: (d: Diagnosis) => {
          const [f, ...rest] = codes(d);
          expect(rest).toEqual([]);
          expect(f!.code).toBe('hybrid-firewall-pass');
          expect(f!.message).toContain(
            "iptables on compute1 lets tap0695f2ca-bf's DHCP through qbr0695f2ca-bf: the DISCOVER/REQUEST (0.0.0.0:68 → 255.255.255.255:67, tap0695f2ca-bf → qvb0695f2ca-bf) is accepted at neutron-openvswi-sg-chain rule 5",
          );
          expect(f!.message).toContain('the OFFER/ACK (10.0.0.2:67 → 10.0.0.3 or 255.255.255.255:68');
          expect(f!.message).toContain('net.bridge.bridge-nf-call-iptables=1');
        },
      },
      {
        name: '…the ingress chain without its DHCP RETURNs (and without the ipset rule): problem at neutron-openvswi-sg-fallback, the ingress chain named',
        build: () =>
          hybrid(
            NEUTRON_HYBRID_2016.split('\n')
              .filter(
                (l) =>
                  !(l.startsWith('-A neutron-openvswi-i0695f2ca-b ') && /--sport 67|--match-set/.test(l)),
              )
              .join('\n'),
          ),
        verdict: 'problem',
        code: 'hybrid-firewall-drop',
        check: (d: Diagnosis) => {
          const f = codes(d)[0]!;
          expect(f.message).toContain(
            "iptables on compute1 drops tap0695f2ca-bf's DHCP in qbr0695f2ca-bf: the OFFER/ACK (10.0.0.2:67 → 10.0.0.3 or 255.255.255.255:68, qvb0695f2ca-bf → tap0695f2ca-bf) at neutron-openvswi-sg-fallback rule 1",
          );
          expect(f.evidence[0]).toEqual({
            text: '-A neutron-openvswi-sg-fallback -m comment --comment "Default drop rule for unmatched traffic." -j DROP',
            file: IPT,
            line: 164,
          });
          expect(d.headline).toContain(
            'neutron-openvswi-i0695f2ca-b has no rule that RETURNs the DHCP server',
          );
          expect(f.fix[0]).toMatch(/^openstack port show -c security_group_ids -c port_security_enabled /);
          expect(f.fix[1]).toMatch(/^# changes state, on compute1:/);
        },
      },
      {
        name: "…compute1's iptables-save absent: undecided, the command named",
        build: () => hybrid(null),
        verdict: 'undecided',
        check: (d: Diagnosis) => {
          expect(codes(d).map((f) => f.code)).toEqual(['hybrid-firewall-unknown']);
          expect(d.headline).toContain(
            'the case has no iptables-save of compute1; collect `iptables-save -t filter',
          );
          expect(d.collectNext.join('\n')).toContain('iptables-save -t filter   # on compute1');
        },
      },
    ] satisfies Row[];
  })(),
  {
    // Was 'problem' tunnel-flood-missing: the flood flow, cut after `output:2` (its `,output:3`
    // gone), is the last line of dumps without their final newline: it may be cut there.
    name: "the VXLAN lab with compute1's br-tun dumps ending, without a newline, on the flood flow cut before its last output: undecided",
    build: () =>
      example('vxlan-healthy', (d) => {
        rmSync(join(d, 'compute1/etc/openvswitch/conf.db'));
        for (const f of ['ovs-ofctl_dump-flows_br-tun', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-tun']) {
          const path = join(d, 'compute1/sos_commands/openvswitch', f);
          const lines = readFileSync(path, 'utf8')
            .split('\n')
            .filter((l) => l !== '');
          const flood = lines.find((l) => l.includes('table=22') && /output:2,output:3$/.test(l))!;
          writeFileSync(
            path,
            [...lines.filter((l) => l !== flood), flood.replace(',output:3', '')].join('\n'),
          );
        }
      }),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.headline).toMatch(
        /is the last line of .*br-tun, which has no final newline: the line may be cut/,
      );
      expect(d.collectNext[0]).toBe(
        'ovs-ofctl -O OpenFlow13 dump-flows br-tun   # on compute1: the whole dump again',
      );
    },
  },
  {
    // A last line without its newline that ends in `drop` was not cut: OVS prints drop only for
    // an empty action list (review: the seed saved so was undecided).
    name: "the seed with xapi3's dump saved without its final newline: still the untagged port",
    build: () =>
      seed((d) => {
        const f = join(d, 'dom0', 'ovs-ofctl_dump-flows_xapi3');
        writeFileSync(f, readFileSync(f, 'utf8').replace(/\n+$/, ''));
      }),
    verdict: 'problem',
    code: 'vm-port-untagged',
  },
  {
    name: "the VXLAN lab without the network node's br-int dumps: undecided (as before)",
    build: () => example('vxlan-healthy', (d) => rmDumps(d, 'network', 'br-int')),
    verdict: 'undecided',
  },
  {
    // Was 'problem': "dies on dom0 xapi5: patch port int-xapi3 has no peer phy-xapi3".
    name: "the seed without xapi3's ovs-ofctl show: undecided, phy-xapi3 is in OVSDB, the show asked for",
    build: () => seed((d) => rmSync(join(d, 'dom0/ovs-ofctl_show_xapi3'))),
    verdict: 'undecided',
    check: (d) => {
      expect(d.headline).not.toMatch(/has no peer/);
      expect(d.collectNext[0]).toMatch(/^ovs-ofctl show xapi3 {3}# on dom0/);
      const g = d.findings.find((f) => f.code === 'patch-peer-missing')!;
      expect([g.role, g.fix[0]]).toEqual([
        'gap',
        'ovs-ofctl show xapi3   # on dom0: its ports with their numbers (is phy-xapi3 one?)',
      ]);
    },
  },
  {
    // The DISCOVER's drop is on dom0 and proven; the OFFER was 'dropped' with nothing traced.
    name: 'the seed without links.txt: the seed cause, the OFFER not traced, the wire asked for',
    build: () => seed((d) => rmSync(join(d, 'links.txt'))),
    verdict: 'problem',
    code: 'vm-port-untagged',
    check: (d) => {
      expect(d.paths[0]!.offer?.verdict).toBe('not traced: no wire domu→dom0 (links.txt)');
      const g = d.findings.find((f) => f.code === 'wire-unknown')!;
      expect(g.role).toBe('gap');
      expect(g.message).toMatch(/ports with nothing known behind them: dom0:vif15\.1/);
      expect(d.collectNext).toContain(
        'links.txt: add the line `domu:<iface> dom0:<iface>`   # the wire between domu and dom0 (or give it with --links FILE)',
      );
    },
  },
  {
    name: 'the seed tagged 1 without links.txt: undecided, the DISCOVER not traced past dom0, the wire asked for',
    build: () =>
      seed((d) => {
        tagVif16(d, 1);
        rmSync(join(d, 'links.txt'));
      }),
    verdict: 'undecided',
    check: (d) => {
      expect(d.paths[0]!.discover.verdict).toBe('not traced: no wire dom0→domu (links.txt)');
      expect(d.findings.map((f) => f.code)).toContain('wire-unknown');
    },
  },
  {
    // Was 'problem' offer-dropped: the OFFER crosses br-eth1 from br-int's patch on NORMAL.
    name: "reference healthy lab without DomU's br-eth1 dumps: undecided, the dump asked for",
    build: () =>
      ref('healthy', ['dom0', 'domu'], 'dom0:vif2.1 domu:eth1\n', (d) => rmDumps(join(d), 'domu', 'br-eth1')),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.collectNext[0]).toBe('ovs-ofctl -O OpenFlow13 dump-flows br-eth1   # on domu');
    },
  },
  {
    // Was 'problem' tunnel-key-unmapped: the trace relayed compute1's DISCOVER through compute2's
    // br-tun assumed NORMAL; the missing tunnel (the example's fault) is the cause again.
    name: "vxlan-tunport without compute2's br-tun dumps: the missing tunnel stays the cause",
    build: () => example('vxlan-tunport', (d) => rmDumps(d, 'compute2', 'br-tun')),
    verdict: 'problem',
    code: 'tunnel-port-missing',
  },
  {
    // Was 'problem' tunnel-port-missing: without compute1's br-tun flows nothing in the case says
    // the VM's network is an overlay (it could be a VLAN network on a host that also tunnels).
    name: "vxlan-tunport without compute1's br-tun dumps: undecided, the network's type and the dump asked for",
    build: () => example('vxlan-tunport', (d) => rmDumps(d, 'compute1', 'br-tun')),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.findings.map((f) => f.code)).toContain('tunnel-network-type-unknown');
      expect(d.collectNext).toContain('ovs-ofctl -O OpenFlow13 dump-flows br-tun   # on compute1');
    },
  },
  // An action the simulator does not model on the DISCOVER's path: the headline names it, where it
  // is (host, bridge, table, the flow's file:line) and that the path past it is unknown; the
  // finding gives the flow and the ofproto/trace that shows what OVS does there.
  ...(
    [
      ['dr0p', 'unknown action'],
      ['bundle(eth_src,0,hrw,ofport,members:1,3)', 'bundle is not simulated'],
    ] as const
  ).map(([action, why]) => ({
    name: `the seed with its drop edited to \`${action}\`: undecided, the headline names the action and where`,
    build: () =>
      seed((d) =>
        edit(
          join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'),
          'priority=2,in_port=2 actions=drop',
          `priority=2,in_port=2 actions=${action}`,
        ),
      ),
    verdict: 'undecided' as const,
    check: (d: Diagnosis) => {
      const at = 'dom0 xapi3 table 0 (dom0/ovs-ofctl_dump-flows_xapi3:4)';
      expect(d.headline).toBe(
        `the DISCOVER from dom0:vif16.0 is not followed past \`${action}\` on ${at}: the simulator does not model that action (${why}), so where the packet goes from there is unknown; collect \`ovs-appctl ofproto/trace xapi3 'udp,in_port=2,vlan_tci=0x0000,dl_src=<the-VM-MAC>,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=0.0.0.0,nw_dst=255.255.255.255,tp_src=68,tp_dst=67'   # on dom0\``,
      );
      expect(d.findings.filter((f) => f.role === 'cause')).toEqual([]);
      const f = d.findings.find((x) => x.code === 'action-not-modelled')!;
      expect(f).toMatchObject({ role: 'gap', subject: 'dom0:xapi3' });
      expect(f.message).toContain(`\`${action}\` on ${at}`);
      expect(f.evidence).toContainEqual({
        text: `priority=2,in_port=2 actions=${action}`,
        file: 'dom0/ovs-ofctl_dump-flows_xapi3',
        line: 4,
      });
      expect(d.collectNext[0]).toMatch(/^ovs-appctl ofproto\/trace xapi3 /);
    },
  })),
  {
    // A flow the simulator cannot evaluate, for another in_port: it cannot match this DISCOVER,
    // so the drop below it stays proven (and so through a dump index, which never parses it).
    name: 'the seed plus an unevaluable flow of another port on xapi3: still the untagged port',
    build: () =>
      seed((d) =>
        appendFileSync(
          join(d, 'dom0', 'ovs-ofctl_dump-flows_xapi3'),
          '  cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, idle_age=1, priority=10,in_port=1,dp_hash=0x1 actions=drop\n',
        ),
      ),
    verdict: 'problem',
    code: 'vm-port-untagged',
  },
  {
    // The same port's flow the simulator cannot evaluate, above the drop: undecided, and the
    // headline and collect-next say which table and what settles it (they named nothing).
    name: 'the seed plus an unevaluable flow of the same port above its drop: undecided, the table and ofproto/trace named',
    build: () =>
      seed((d) =>
        appendFileSync(
          join(d, 'dom0', 'ovs-ofctl_dump-flows_xapi3'),
          '  cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, idle_age=1, priority=10,in_port=2,dp_hash=0x1 actions=drop\n',
        ),
      ),
    verdict: 'undecided',
    check: (d) => {
      expect(d.headline).toMatch(
        /dom0:xapi3 table 0: a flow with a match the simulator does not evaluate \(priority 10\)/,
      );
      expect(d.collectNext[0]).toBe(
        'ovs-appctl ofproto/trace xapi3 <the packet>   # on dom0: what OVS does there',
      );
    },
  },
  {
    // Neutron's OVS firewall installs `icmp6,…,icmp_type=136,nd_target=…` per port: nd_target is
    // not evaluated, but the flow needs ICMPv6, so it cannot match a DISCOVER (was: undecided).
    name: 'the seed plus an unevaluable ICMPv6 flow of the same port on xapi3: still the untagged port',
    build: () =>
      seed((d) =>
        appendFileSync(
          join(d, 'dom0', 'ovs-ofctl_dump-flows_xapi3'),
          '  cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, idle_age=1, priority=95,icmp6,in_port=2,icmp_type=136,nd_target=fe80::f816:3eff:fea7:45cb actions=NORMAL\n',
        ),
      ),
    verdict: 'problem',
    code: 'vm-port-untagged',
  },
  {
    // A table that has flows, none for this port: a miss, not an empty table.
    name: 'the seed with its drop moved to a table holding only another port: no flow matches there',
    build: () =>
      seed((d) => {
        const f = join(d, 'dom0', 'ovs-ofctl_dump-flows_xapi3');
        writeFileSync(
          f,
          `${readFileSync(f, 'utf8').replace('priority=2,in_port=2 actions=drop', 'priority=2,in_port=2 actions=resubmit(,5)')}  cookie=0x0, duration=1.0s, table=5, n_packets=0, n_bytes=0, idle_age=1, priority=2,in_port=1 actions=NORMAL\n`,
        );
      }),
    verdict: 'problem',
    code: 'vm-port-untagged',
    check: (d) => {
      expect(d.headline).toContain('no flow matches (table miss: drop)');
      expect(d.headline).not.toContain('is empty');
    },
  },
  {
    // The command printed an error in place of the dump: its flows are unknown, not none.
    name: "the seed with xapi3's dump replaced by ovs-ofctl's permission error: undecided",
    build: () =>
      seed((d) =>
        writeFileSync(
          join(d, 'dom0', 'ovs-ofctl_dump-flows_xapi3'),
          'ovs-ofctl: /var/run/openvswitch/xapi3.mgmt: Permission denied\n',
        ),
      ),
    verdict: 'undecided',
  },
  // --- vifpath review H1-P4 (dump incomplete, healthy servers, unplaced interface, tag candidates) ---
  {
    // Only a tool's error where the flows should be: the headline names the dump and asks for it again.
    name: "the seed with xapi3's dump only a tool error: undecided, the headline names the dump and why",
    build: () =>
      seed((d) =>
        writeFileSync(
          join(d, 'dom0', 'ovs-ofctl_dump-flows_xapi3'),
          'ovs-ofctl: xapi3 is not a bridge or a socket\n',
        ),
      ),
    verdict: 'undecided',
    check: (d) => {
      expect(d.headline).toContain('dom0/ovs-ofctl_dump-flows_xapi3');
      expect(d.headline).toContain('dom0:xapi3');
      expect(d.headline).toMatch(/tool's error/);
      expect(d.headline).toContain('ovs-ofctl -O OpenFlow13 dump-flows xapi3   # on dom0');
      expect(d.collectNext[0]).toBe('ovs-ofctl -O OpenFlow13 dump-flows xapi3   # on dom0');
      expect(d.paths[0]!.discover.drop).not.toMatch(/is empty/);
      expect(d.paths[0]!.discover.drop).toMatch(/flows may be missing/);
    },
  },
  {
    name: "the seed with xapi3's dump cut short: undecided, the headline names the cut and asks for the dump again",
    build: () =>
      seed((d) =>
        appendFileSync(
          join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'),
          '  priority=9,in_port=2 actions=load:0x2->NXM_NX',
        ),
      ),
    verdict: 'undecided',
    check: (d) => {
      expect(d.headline).toContain('dom0/ovs-ofctl_dump-flows_xapi3');
      expect(d.headline).toMatch(/cut short/);
      expect(d.collectNext[0]).toBe('ovs-ofctl -O OpenFlow13 dump-flows xapi3   # on dom0');
      expect(d.paths[0]!.discover.drop).toMatch(/flows may be missing/);
    },
  },
  {
    // The Interface line cut from its Port by an elision: the interface is unplaced (ofport 2 in the
    // OVSDB monitor), which the headline says, not that the ofport is missing.
    name: 'the seed with an elision between Port "vif16.0" and its Interface line: undecided, the interface unplaced',
    build: () =>
      seed((d) =>
        edit(
          join(d, 'dom0/ovs-vsctl_show'),
          '    Port "vif16.0"\n        Interface "vif16.0"\n',
          '    Port "vif16.0"\n    ...\n        Interface "vif16.0"\n',
        ),
      ),
    verdict: 'undecided',
    check: (d) => {
      expect(d.headline).not.toMatch(/does not give its OpenFlow port number/);
      expect(d.headline).toMatch(/interface vif16\.0 .*elision/);
      expect(d.headline).toContain('dom0/ovs-vsctl_show');
      expect(d.headline).toContain('the whole `ovs-vsctl show`');
    },
  },
  {
    // A second translation flow on the drop's port, written with the port's name: two candidates, no tag.
    name: 'the seed plus `in_port=phy-xapi3,dl_vlan=2` on xapi3: the tag is 1 or 2, none proposed',
    build: () =>
      seed((d) =>
        appendFileSync(
          join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'),
          ' cookie=0x0, duration=1s, table=0, n_packets=0, n_bytes=0, priority=4,in_port=phy-xapi3,dl_vlan=2 actions=mod_vlan_vid:1042,NORMAL\n',
        ),
      ),
    verdict: 'problem',
    code: 'vm-port-untagged',
    check: (d) => {
      expect(d.findings[0]!.fix.join('\n')).not.toMatch(/tag=\d/);
      expect(d.findings[0]!.fix.join('\n')).toContain('(candidates: 1, 2)');
    },
  },
  // --- end of review H1-P4 rows ---
  // --- review: tunnel-missing toward another network's server, a flood flow not modelled ---
  ...(() => {
    const NET = '3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12';
    const NET2 = '5d5d5d5d-2b4d-4e8f-9a1c-7d5e6f8a0b12';
    const TUN_FLOWS = 'compute1/sos_commands/openvswitch/ovs-ofctl_-O_OpenFlow13_dump-flows_br-tun';
    // A second network node (172.16.0.14) serving another network: qdhcp-5d5d…, its br-tun maps
    // key 0x3ea (the VM's network is 0x3e9) to the DHCP port's tag; no dnsmasq log or leases.
    const network2 = (d: string, keep: boolean): void => {
      const rels: string[] = [];
      const root = join(d, 'network');
      cpSync(root, join(d, 'network2'), {
        recursive: true,
        filter: (src) => {
          rels.push(src.slice(root.length + 1));
          return true;
        },
      });
      const n2 = join(d, 'network2');
      for (const f of [
        'etc/openvswitch/conf.db',
        'var/log/neutron/dnsmasq.log',
        `var/lib/neutron/dhcp/${NET}/leases`,
      ])
        rmSync(join(n2, f), { force: true });
      const named = rels.filter((r) => r.slice(r.lastIndexOf('/') + 1).includes(NET));
      for (const r of named.sort((a, b) => b.length - a.length)) {
        const i = r.lastIndexOf('/') + 1;
        renameSync(join(n2, r), join(n2, r.slice(0, i) + r.slice(i).replaceAll(NET, NET2)));
      }
      for (const r of rels) {
        const f = join(n2, r.replaceAll(NET, NET2));
        if (!existsSync(f)) continue;
        try {
          const t = readFileSync(f, 'latin1');
          const u = t
            .replaceAll('172.16.0.13', '172.16.0.14')
            .replaceAll(NET, NET2)
            .replaceAll('0x3e9', '0x3ea');
          if (u !== t) writeFileSync(f, u, 'latin1');
        } catch {
          // a folder
        }
      }
      if (!keep) rmSync(root, { recursive: true });
    };
    return [
      {
        // Was 'problem' tunnel-port-missing toward network2, whose server the keys put on another network.
        name: "vxlan-healthy with its network node replaced by another network's: undecided, no tunnel claimed",
        build: () => example('vxlan-healthy', (d) => network2(d, false)),
        verdict: 'undecided',
        check: (d: Diagnosis) => {
          expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
          expect(d.findings.map((f) => f.code)).not.toContain('tunnel-port-missing');
        },
      },
      {
        // Was the flood finding joined by a false tunnel-port-missing toward network2.
        name: "vxlan-healthy plus another network's node, compute1's flood flow without the tunnel to network: the flood finding alone",
        build: () =>
          example('vxlan-healthy', (d) => {
            network2(d, true);
            edit(join(d, TUN_FLOWS), 'output:2,output:3', 'output:2');
          }),
        verdict: 'problem',
        code: 'tunnel-flood-missing',
        check: (d: Diagnosis) => expect(d.findings.map((f) => f.code)).not.toContain('tunnel-port-missing'),
      },
      ...['bundle(eth_src,0,hrw,ofport,members:2,3)', 'group:1'].map((action) => ({
        // Was 'problem' tunnel-flood-missing while the action-not-modelled gap said no verdict rests on it.
        name: `vxlan-healthy with compute1's flood flow doing \`${action}\`: undecided, the headline names the action`,
        build: () => example('vxlan-healthy', (d) => edit(join(d, TUN_FLOWS), 'output:2,output:3', action)),
        verdict: 'undecided' as const,
        check: (d: Diagnosis) => {
          expect(d.findings.map((f) => f.code)).not.toContain('tunnel-flood-missing');
          expect(d.headline).toContain(action);
        },
      })),
      {
        name: 'examples/vxlan-tunport: the missing tunnel is the cause',
        build: () => example('vxlan-tunport', () => {}),
        verdict: 'problem',
        code: 'tunnel-port-missing',
      },
    ] satisfies Row[];
  })(),
  // --- end of review tunnel-missing rows ---
  // --- review: another network's hosts file; a key another network's br-tun drops by design ---
  ...(() => {
    const NET = '3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12';
    const OTHER = '9a8b7c6d-1111-2222-3333-444455556666';
    const OF = 'sos_commands/openvswitch';
    const BR_TUN = ['ovs-ofctl_dump-flows_br-tun', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-tun'];
    const hosts = (d: string, net: string): string => join(d, 'network/var/lib/neutron/dhcp', net, 'host');
    // The DHCP agent's hosts file of another network on the network node (one file per network).
    const otherNetwork = (d: string): void => {
      mkdirSync(join(hosts(d, OTHER), '..'), { recursive: true });
      writeFileSync(
        hosts(d, OTHER),
        'fa:16:3e:77:88:99,host-10-1-0-3.openstacklocal,10.1.0.3\nfa:16:3e:77:88:aa,host-10-1-0-4.openstacklocal,10.1.0.4\n',
      );
    };
    const dropVm = (d: string): void => edit(hosts(d, NET), /^fa:16:3e:11:22:33,.*\n/m, '');
    // The network node's br-tun on VNI 0x3ea (the VMs send 0x3e9), its hosts file without vm1.
    const otherKey = (d: string): void => {
      for (const f of BR_TUN) edit(join(d, 'network', OF, f), /0x3e9/g, '0x3ea');
      dropVm(d);
    };
    const noVmNetwork = 'openstack port show -c network_id port-vm1   # the network of tap7f3e1c2a-9b';
    return [
      {
        // Was 'problem' dnsmasq-no-host-entry for 9a8b…, `systemctl restart neutron-dhcp-agent`.
        name: "vxlan-healthy plus another network's hosts file on the network node: healthy, no host-entry claim",
        build: () => example('vxlan-healthy', otherNetwork),
        verdict: 'healthy',
        check: (d: Diagnosis) => {
          expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
          expect(d.findings.map((f) => f.code)).not.toContain('dnsmasq-host-entry-unknown');
        },
      },
      {
        name: "…and vm1's MAC gone from its own network's file: the host-entry error, for that network only",
        build: () =>
          example('vxlan-healthy', (d) => {
            otherNetwork(d);
            dropVm(d);
          }),
        verdict: 'problem',
        code: 'dnsmasq-no-host-entry',
        check: (d: Diagnosis) =>
          expect(d.findings.filter((f) => f.severity === 'error').map((f) => f.subject)).toEqual([
            `network:${NET}`,
          ]),
      },
      {
        // Was 'problem' dnsmasq-no-host-entry (the server's keys put it on another network).
        name: "network's br-tun on VNI 0x3ea, compute1 flooding to compute2 only (l2pop): undecided, vm1's network asked for",
        build: () =>
          example('vxlan-healthy', (d) => {
            otherKey(d);
            for (const f of BR_TUN) edit(join(d, 'compute1', OF, f), 'output:2,output:3', 'output:2');
          }),
        verdict: 'undecided',
        check: (d: Diagnosis) => {
          expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
          expect(d.collectNext).toContain(noVmNetwork);
        },
      },
      {
        // Was 'problem' tunnel-key-unmapped: "the two hosts disagree on the segmentation id",
        // restart the agents on compute1 and network.
        name: "network's br-tun on VNI 0x3ea, l2_population off (flooding to every tunnel): undecided, no key claim, the networks asked for",
        build: () =>
          example('vxlan-healthy', (d) => {
            otherKey(d);
            for (const h of ['compute1', 'compute2', 'network'])
              edit(
                join(d, h, 'etc/neutron/plugins/ml2/openvswitch_agent.ini'),
                'l2_population = True',
                'l2_population = False',
              );
          }),
        verdict: 'undecided',
        check: (d: Diagnosis) => {
          expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
          expect(d.findings.map((f) => f.code)).not.toContain('tunnel-key-unmapped');
          expect(d.headline).toMatch(
            /^compute1 sends the DISCOVER of tap7f3e1c2a-9b with vxlan key 0x3e9, and network br-tun table 4 maps only 0x3ea: it is dropped on arrival; that is a fault .* only if the DHCP server there/,
          );
          expect(d.collectNext[0]).toBe(noVmNetwork);
          expect(d.collectNext).toContain(
            `openstack network show -c provider:network_type -c provider:segmentation_id ${NET}   # the network of qdhcp-${NET}: its key`,
          );
        },
      },
    ] satisfies Row[];
  })(),
  // --- review: an underlay firewall read in order; a VM folder holding a tunnel endpoint's address ---
  ...(() => {
    const IPT = 'network/sos_commands/networking/iptables-save';
    // What iptables-nft 1.8.9 saved for the reviewer's two rules (see checks/firewall.test.ts).
    const save = (rules: string): string =>
      `# Generated by iptables-save v1.8.9 (nf_tables) on Sun Nov 29 16:26:46 2026\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules}COMMIT\n# Completed on Sun Nov 29 16:26:46 2026\n`;
    const ACCEPT_PEERS = '-A INPUT -s 172.16.0.0/24 -p udp -m udp --dport 4789 -j ACCEPT\n';
    const DROP_VXLAN = '-A INPUT -p udp -m udp --dport 4789 -j DROP\n';
    const underlay = (d: Diagnosis) => d.findings.filter((f) => f.code.startsWith('tunnel-underlay'));
    // ufw's chains with `ufw allow 4789/udp` (testing/iptables-saves.ts), and a Neutron iptables_hybrid
    // node's INPUT (rules cut from it): saved by iptables-nft 1.8.9 in a throwaway network namespace.
    const HYBRID = save(
      `:neutron-openvswi-INPUT - [0:0]\n:neutron-openvswi-o1a2b3c4d-5 - [0:0]\n:neutron-openvswi-s1a2b3c4d-5 - [0:0]\n:neutron-openvswi-sg-fallback - [0:0]\n${`-A INPUT -j neutron-openvswi-INPUT\n-A neutron-openvswi-INPUT -m physdev --physdev-in tap1a2b3c4d-5e --physdev-is-bridged -m comment --comment "Direct incoming traffic from VM to the security group chain." -j neutron-openvswi-o1a2b3c4d-5\n-A neutron-openvswi-o1a2b3c4d-5 -j neutron-openvswi-s1a2b3c4d-5\n-A neutron-openvswi-o1a2b3c4d-5 -m comment --comment "Send unmatched traffic to the fallback chain." -j neutron-openvswi-sg-fallback\n-A neutron-openvswi-s1a2b3c4d-5 -s 10.0.0.5/32 -m mac --mac-source fa:16:3e:11:22:33 -m comment --comment "Allow traffic from defined IP/MAC pairs." -j RETURN\n-A neutron-openvswi-s1a2b3c4d-5 -m comment --comment "Drop traffic without an IP/MAC allow rule." -j DROP\n-A neutron-openvswi-sg-fallback -m comment --comment "Default drop rule for unmatched traffic." -j DROP\n`}`,
    );
    // vm2's folder renamed app2, its eth0 given network's underlay address (a tenant subnet may overlap it).
    const app2 = (d: string): void => {
      renameSync(join(d, 'vm2'), join(d, 'app2'));
      edit(join(d, 'links.txt'), 'vm2:eth0', 'app2:eth0');
      edit(
        join(d, 'app2/sos_commands/networking/ip_-d_address'),
        /(\n {4}veth numtxqueues[^\n]*\n)/,
        '$1    inet 172.16.0.13/24 brd 172.16.0.255 scope global eth0\n       valid_lft forever preferred_lft forever\n',
      );
    };
    return [
      {
        // Was 'problem' tunnel-underlay-drop, `iptables -D INPUT -p udp -m udp --dport 4789 -j DROP`
        // (not marked as changing state), and network's INPUT blamed for compute1 -> compute2 too.
        name: "vxlan-healthy, network's INPUT accepting the underlay /24 on 4789 before dropping 4789: healthy, no firewall claim",
        build: () =>
          example('vxlan-healthy', (d) => writeFileSync(join(d, IPT), save(ACCEPT_PEERS + DROP_VXLAN))),
        verdict: 'healthy',
        check: (d: Diagnosis) => {
          expect(underlay(d)).toEqual([]);
          expect(d.findings.flatMap((f) => f.fix).join('\n')).not.toMatch(/iptables -D/);
        },
      },
      {
        name: "…the DROP alone: problem at that rule, for the DISCOVER's and OFFER's own hops only, an ACCEPT for each peer ahead of it",
        build: () => example('vxlan-healthy', (d) => writeFileSync(join(d, IPT), save(DROP_VXLAN))),
        verdict: 'problem',
        code: 'tunnel-underlay-drop',
        check: (d: Diagnosis) => {
          const [f, ...rest] = underlay(d);
          expect(rest).toEqual([]);
          expect(f!.evidence[0]).toEqual({ text: DROP_VXLAN.trim(), file: IPT, line: 6 });
          expect(f!.message).toContain(
            '(compute1 172.16.0.11 -> network 172.16.0.13, compute2 172.16.0.12 -> network 172.16.0.13) at INPUT rule 1',
          );
          expect(f!.fix.map((x) => x.replace(/ {3}#.*/, ''))).toEqual([
            'iptables -I INPUT 1 -s 172.16.0.11/32 -d 172.16.0.13/32 -p udp -m udp --dport 4789 -j ACCEPT',
            'iptables -I INPUT 1 -s 172.16.0.12/32 -d 172.16.0.13/32 -p udp -m udp --dport 4789 -j ACCEPT',
          ]);
          for (const x of f!.fix) expect(x).toContain('# changes state, on network');
        },
      },
      {
        // A UDP tunnel packet is never ESTABLISHED: the classic RHEL INPUT (related/established,
        // icmp, lo, NEW for ssh and AMQP only, policy DROP) drops VXLAN. Review: was undecided.
        name: '…the classic RHEL INPUT (ESTABLISHED, icmp, lo, NEW tcp 22 and 5672 only, policy DROP): problem at the policy',
        build: () =>
          example('vxlan-healthy', (d) =>
            writeFileSync(
              join(d, IPT),
              save(
                [
                  '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
                  '-A INPUT -p icmp -j ACCEPT',
                  '-A INPUT -i lo -j ACCEPT',
                  '-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT',
                  '-A INPUT -p tcp -m state --state NEW -m tcp --dport 5672 -j ACCEPT',
                  '',
                ].join('\n'),
              ).replace(':INPUT ACCEPT', ':INPUT DROP'),
            ),
          ),
        verdict: 'problem',
        code: 'tunnel-underlay-drop',
        check: (d: Diagnosis) => {
          expect(underlay(d)[0]!.message).toMatch(/policy DROP/);
        },
      },
      {
        name: '…a rule it cannot decide (the arrival device) ahead of the DROP: undecided, the rule named, its counters asked for',
        build: () =>
          example('vxlan-healthy', (d) =>
            writeFileSync(join(d, IPT), save(`-A INPUT -i eth1 -j ACCEPT\n${DROP_VXLAN}`)),
          ),
        verdict: 'undecided',
        check: (d: Diagnosis) => {
          expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
          expect(d.headline).toMatch(/INPUT rule 1 `-A INPUT -i eth1 -j ACCEPT`/);
          expect(d.collectNext).toContain(
            'iptables -L INPUT -nv --line-numbers   # on network: the counters say which rule the tunnel traffic hits',
          );
        },
      },
      {
        // Was 'problem' tunnel-receiver-missing: "app2 has no vxlan port with remote_ip 172.16.0.11",
        // `systemctl restart neutron-openvswitch-agent # on app2` (the first folder claiming .13 won).
        name: "vxlan-healthy with vm2 renamed app2 and given 172.16.0.13/24 (the network node's underlay address): healthy, nothing about app2",
        build: () => example('vxlan-healthy', app2),
        verdict: 'healthy',
        check: (d: Diagnosis) => {
          expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
          expect(d.findings.flatMap((f) => f.fix).join('\n')).not.toMatch(/on app2/);
        },
      },
      {
        name: '…and app2 running OVS too (one bridge): two hosts claim 172.16.0.13, undecided, both named, no claim about either',
        build: () =>
          example('vxlan-healthy', (d) => {
            app2(d);
            mkdirSync(join(d, 'app2/sos_commands/openvswitch'));
            writeFileSync(
              join(d, 'app2/sos_commands/openvswitch/ovs-vsctl_-t_5_show'),
              '0b8c6c3e-1c1a-4a51-9d0e-5a3b2f6e7d10\n    Bridge br-app\n        Port br-app\n            Interface br-app\n                type: internal\n    ovs_version: "3.1.0"\n',
            );
          }),
        verdict: 'undecided',
        check: (d: Diagnosis) => {
          expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
          expect(d.headline).toContain(
            'app2 and network both claim 172.16.0.13: which one receives it is unknown',
          );
          expect(d.collectNext.join('\n')).toMatch(/tnl\/neigh\/show .*on app2 and on network/);
        },
      },
      {
        // Was 'problem' tunnel-underlay-drop "at INPUT's policy DROP": IPv4 iptables never sees an
        // IPv6 packet (ip6tables-save decides, not read).
        name: "vxlan-healthy on an IPv6 underlay (fd00::11-13), network's IPv4 INPUT DROP with lo and ssh only: healthy, no iptables claim",
        build: () =>
          example('vxlan-healthy', (d) => {
            for (const e of readdirSync(d, { recursive: true, withFileTypes: true }))
              if (
                e.isFile() &&
                /^(conf\.db|ip_-d_address|ip_-s_-d_link|ip_route_show_table_all)$|dpctl|dpif/.test(e.name)
              )
                rmSync(join(e.parentPath, e.name));
            for (const n of ['11', '12', '13']) renameEverywhere(d, `172.16.0.${n}`, `fd00::${n}`);
            writeFileSync(
              join(d, IPT),
              save('-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n').replace(
                ':INPUT ACCEPT',
                ':INPUT DROP',
              ),
            );
          }),
        verdict: 'healthy',
        check: (d: Diagnosis) => expect(underlay(d)).toEqual([]),
      },
      {
        // Was 'undecided' "depends on INPUT rule 1 …, rule 5 …, rule 8": one conntrack state per packet.
        name: "vxlan-healthy, network's INPUT as TripleO writes it (000 related/established, 118 vxlan NEW, 999 drop all NEW): healthy",
        build: () =>
          example('vxlan-healthy', (d) =>
            writeFileSync(
              join(d, IPT),
              save(
                '-A INPUT -m state --state RELATED,ESTABLISHED -m comment --comment "000 accept related established rules ipv4" -j ACCEPT\n' +
                  '-A INPUT -p tcp -m multiport --dports 22 -m state --state NEW -m comment --comment "003 accept ssh ipv4" -j ACCEPT\n' +
                  '-A INPUT -p udp -m multiport --dports 4789 -m state --state NEW -m comment --comment "118 neutron vxlan networks ipv4" -j ACCEPT\n' +
                  '-A INPUT -m state --state NEW -m comment --comment "998 log all ipv4" -j LOG\n' +
                  '-A INPUT -m state --state NEW -m comment --comment "999 drop all ipv4" -j DROP\n',
              ),
            ),
          ),
        verdict: 'healthy',
        check: (d: Diagnosis) => expect(underlay(d)).toEqual([]),
      },
      {
        // Was 'undecided' on `-m conntrack --ctstate INVALID -j DROP`: a well-formed UDP packet is not INVALID.
        name: 'vxlan-healthy, network running ufw with `ufw allow 4789/udp` (iptables-nft 1.8.9 save): healthy',
        build: () => example('vxlan-healthy', (d) => writeFileSync(join(d, IPT), UFW)),
        verdict: 'healthy',
        check: (d: Diagnosis) => expect(underlay(d)).toEqual([]),
      },
      {
        // Was 'undecided' "--physdev-in is not modelled": a tunnel packet is routed to the host, never bridged through a tap.
        name: "vxlan-healthy, compute1 and network with Neutron iptables_hybrid INPUT (physdev-in tap… into the port's chains, ending in DROP): healthy",
        build: () =>
          example('vxlan-healthy', (d) => {
            for (const h of ['compute1', 'network'])
              writeFileSync(join(d, h, 'sos_commands/networking/iptables-save'), HYBRID);
          }),
        verdict: 'healthy',
        check: (d: Diagnosis) => expect(underlay(d)).toEqual([]),
      },
    ] satisfies Row[];
  })(),
  // --- end of review underlay-firewall / address-owner rows ---
  // Loose files an operator pastes (the reference lab's veth DHCP port, real output): dhclient -v
  // before and after the fix, dnsmasq's log, an indented `ovs-vsctl show`. Was undecided, "no DHCP
  // server", the DHCP port's tap taken for the VM, the dhclient and dnsmasq files unread.
  {
    name: 'pasted files of the veth DHCP port pitfall: dnsmasq OFFERed, the client dropped them for bad checksums',
    build: () => join(OWN_FIXTURES, 'reference/pitfall-veth-dhcp-port'),
    verdict: 'problem',
    code: 'dhcp-reply-checksum',
    check: (d) => {
      expect(d.findings[0]!.fix).toContain(
        "ip netns exec qdhcp-<network-id> ethtool -K ns-5f1c9a2e-7b tx off   # changes state: dnsmasq's replies leave with whole checksums; lost when the agent re-creates the device",
      );
      expect(d.paths.map((p) => p.vm)).toEqual([]);
      expect(d.findings.map((f) => f.code)).toContain('dhcp-client-runs-differ');
    },
  },
  {
    name: 'the same without dnsmasq’s log: the client’s count alone is a hint, undecided',
    build: () =>
      tmpFrom(join(OWN_FIXTURES, 'reference/pitfall-veth-dhcp-port'), (d) =>
        rmSync(join(d, '1-dnsmasq-offers.log')),
      ),
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(d.findings[0]!.code).toBe('dhcp-client-bad-checksums');
    },
  },
  // OVN hosts (doctor/ovn.ts): vifpath models ML2/OVS only; was undecided asking for the DHCP agent
  // and a qdhcp namespace OVN does not have (Sunbeam), or vm-port-untagged on OVN's untagged VM port.
  {
    name: "a Sunbeam hypervisor (hotsos, ML2/OVN, snap OVS): undecided, ovn-not-modelled, OVN's commands spelled for the snap",
    build: () => join(OWN_FIXTURES, 'field/hotsos-sunbeam'),
    verdict: 'undecided',
    code: 'ovn-not-modelled',
    check: (d) => {
      expect(d.findings.map((f) => f.code)).not.toContain('dhcp-server-not-in-case');
      expect(d.collectNext[0]).toMatch(
        /^openstack-hypervisor\.ovn-appctl -t ovn-controller connection-status/,
      );
    },
  },
  {
    name: "the study notes' ML2/OVN lab, a VM on the compute node: undecided, ovn-not-modelled, its DISCOVER not traced",
    build: () => join(OWN_FIXTURES, 'field/study-notes-ovn-geneve'),
    verdict: 'undecided',
    code: 'ovn-not-modelled',
    check: (d) => {
      expect(d.findings.map((f) => f.code)).not.toContain('vm-port-untagged');
      expect(d.paths[0]).toMatchObject({
        vm: 'compute:tap704a9e45-54',
        discover: { verdict: 'not traced: compute is OVN (not modelled)' },
      });
    },
  },
  // OVS before 1.10 has no `ovs-ofctl -O`: a host whose ovs_version is older is asked in its own
  // form. Was: 'neutron: bridge br-int: no flow dump (collect `ovs-ofctl -O OpenFlow13 dump-flows br-int`)'.
  {
    name: "Fuel's Neutron node on OVS 1.4.0+build0: the flow dumps asked without -O, which its ovs-ofctl lacks",
    build: () => join(ROOT, 'src/sources/fixtures/ovs-old/fuel-ha-neutron'),
    verdict: 'undecided',
    check: (d) => {
      for (const br of ['br-mgmt', 'br-ex', 'br-int', 'br-tun'])
        expect(d.collectNext).toContain(
          `neutron: bridge ${br}: no flow dump (collect \`ovs-ofctl dump-flows ${br}\`)`,
        );
      expect([...d.collectNext, ...d.findings.flatMap((f) => f.fix)].join('\n')).not.toMatch(/-O OpenFlow/);
    },
  },
  // review7 #c: two br-int ports of deleted VMs ("No such device") on a compute whose `ip -d link
  // show` is in the case and lists neither tap. Was: each fix asked `ip link show <tap>` again.
  {
    name: "9506hqwy's Octavia compute: the stale taps' absence read from its ip -d link show, not asked again",
    build: () => join(REVIEW7, 'jp-octavia-lb-compute'),
    verdict: 'undecided',
    check: (d) => {
      const stale = d.findings.filter((f) => f.code === 'interface-error');
      expect(stale.map((f) => f.subject)).toEqual([
        'compute:br-int:tap0ab9a23c-99',
        'compute:br-int:tap635485ff-6c',
      ]);
      for (const f of stale) {
        const tap = f.subject.split(':')[2]!;
        expect(f.message).toContain(
          `; compute's \`ip link\` listing (compute/ip_-d_link_show) has no ${tap}: the device does not exist there`,
        );
        expect(f.evidence[1]).toMatchObject({
          text: `14 devices listed, no ${tap}`,
          file: 'compute/ip_-d_link_show',
        });
        expect(f.fix).toEqual([
          'virsh list --all   # on compute: is the instance running here? (libvirt creates its tap when it starts)',
        ]);
      }
      expect([...d.findings.flatMap((f) => f.fix), ...d.collectNext].join('\n')).not.toMatch(
        /ip link show tap(0ab9|6354)/,
      );
    },
  },
  // review7 #1: an `ovs-vsctl show` excerpt (OSISM's docs) shows the DHCP agent's internal tap at
  // tag 4095 without its Bridge line. Was: only '… (its bridge unknown)', nothing of the dead VLAN.
  {
    name: "OSISM's dead DHCP tap (tag 4095) in an excerpt without its bridge: undecided, dhcp-port-dead-vlan said as with its Bridge line",
    build: () => join(REVIEW7, 'osism-dead-tap-4095'),
    verdict: 'undecided',
    code: 'dhcp-port-dead-vlan',
    check: (d) => {
      const f = d.findings[0]!;
      expect(f).toMatchObject({ role: 'observation', severity: 'warning', subject: 'net:tapc0f9a508-89' });
      expect(f.message).toMatch(
        /^the DHCP port tapc0f9a508-89 is tagged 4095 \(Neutron's dead VLAN\) on a bridge of net that net\/ovs-vsctl_show does not name/,
      );
      expect(f.evidence[0]).toEqual({
        text: 'port tapc0f9a508-89 tag 4095',
        file: 'net/ovs-vsctl_show',
        line: 2,
      });
      expect(f.fix.at(-1)).toBe(
        'ovs-vsctl show   # on net: the whole output, which bridge tapc0f9a508-89 is on',
      );
      expect(f.fix.join('\n')).not.toMatch(/changes state/);
      expect(d.headline).toMatch(/; but the DHCP port tapc0f9a508-89 on net is at VLAN 4095/);
      // The same excerpt with its Bridge line: the same judgement, no more certain unplaced.
      const placed = diagnose(
        read(
          tmpFrom(join(REVIEW7, 'osism-dead-tap-4095'), (c) =>
            edit(join(c, 'net/ovs-vsctl_show'), /^\.\.\.\n/, '      Bridge br-int\n'),
          ),
        ),
      );
      const g = placed.findings.find((x) => x.code === 'dhcp-port-dead-vlan')!;
      expect(g.subject).toBe('net:br-int:tapc0f9a508-89');
      expect([placed.verdict, g.role, g.severity]).toEqual([d.verdict, f.role, f.severity]);
    },
  },
  {
    // The same excerpt with the tap not internal (a VM's tap by Neutron's naming): the placed case
    // says dead-vlan; unplaced, it is said and decides nothing.
    name: 'a VM tap at tag 4095 in an excerpt without its bridge: undecided, dead-vlan said as an observation',
    build: () =>
      tmpFrom(join(REVIEW7, 'osism-dead-tap-4095'), (c) =>
        edit(join(c, 'net/ovs-vsctl_show'), /^ *type: internal\n/m, ''),
      ),
    verdict: 'undecided',
    code: 'dead-vlan',
    check: (d) => {
      expect(d.findings[0]).toMatchObject({
        role: 'observation',
        severity: 'warning',
        subject: 'net:tapc0f9a508-89',
      });
      expect(d.findings[0]!.evidence[0]).toMatchObject({ file: 'net/ovs-vsctl_show', line: 2 });
      expect(d.headline).toMatch(
        /; the VM port net:tapc0f9a508-89 is at VLAN 4095 \(Neutron's dead VLAN\) on a bridge the excerpt does not name/,
      );
    },
  },
  {
    // Named with --vm: the port is still placed nowhere; its dead VLAN is in the headline.
    name: 'the same dead DHCP tap named with --vm: undecided, its dead VLAN in the headline',
    build: () => join(REVIEW7, 'osism-dead-tap-4095'),
    vm: 'tapc0f9a508-89',
    verdict: 'undecided',
    check: (d) => {
      expect(d.headline).toBe(
        "tapc0f9a508-89 is an OVS port of net, at VLAN 4095 (Neutron's dead VLAN), but the case shows it only in an excerpt of `ovs-vsctl show` without its bridge, so no DHCP path from it can be traced: collect the whole `ovs-vsctl show` on net",
      );
      expect(d.findings.map((f) => f.code)).toContain('excerpt-unknown');
    },
  },
  // review7 #2: a real sos `ovs-ofctl dump-ports-desc br-int` of an OVN compute, names only. Was:
  // 'no DHCP server (qdhcp namespace) is in the case; … br-int port ovn-26f986-0 (nothing in the
  // case says what is behind it) …: add the host running the DHCP agent'.
  {
    name: "an OVN compute's dump-ports-desc alone (RDO CI sos): undecided, likely OVN by its ovn-<chassis>-<n> port names, `ovs-vsctl show` asked to confirm",
    build: () => join(REVIEW7, 'rdo-sos-ovn-dump-ports-desc'),
    verdict: 'undecided',
    code: 'ovn-not-modelled',
    check: (d) => {
      expect(d.headline).toMatch(
        /^np0005532586:tap5da37c9f-8b, np0005532586:tap5836fd2a-7b are likely on OVN \(np0005532586 looks like an OVN chassis: its br-int ports ovn-26f986-0, ovn-ade391-0, … \(5\), named as ovn-controller names its tunnels \(a sign from names, not proof\), np0005532586\/sos_commands\/openvswitch\/ovs-ofctl_dump-ports-desc_br-int:2\): .*; collect `ovs-vsctl show` on np0005532586 to confirm$/,
      );
      const all = JSON.stringify(d);
      expect(all).not.toMatch(/qdhcp-|--agent-type dhcp|add the host running the DHCP agent/);
      expect(d.collectNext[0]).toMatch(/^ovs-vsctl show {3}# on np0005532586: the type of ovn-26f986-0, /);
      expect(d.paths.map((p) => p.discover.verdict)).toEqual([
        'not traced: np0005532586 looks like OVN by its port names (not modelled)',
        'not traced: np0005532586 looks like OVN by its port names (not modelled)',
      ]);
    },
  },
  {
    // The same tunnel names with their type in `ovs-vsctl show`: proof, said as such.
    name: 'atmosphere#661 (a cut ovs-vsctl show: ovn-… geneve key=flow): undecided, an OVN chassis',
    build: () => join(REVIEW7, 'atmosphere-661-ohm0-ovn'),
    verdict: 'undecided',
    code: 'ovn-not-modelled',
    check: (d) => {
      expect(d.headline).toMatch(
        /^ctl:tap926c3327-e0 is on OVN \(ctl is an OVN chassis: its tunnel port ovn-69eb38-0/,
      );
      expect(d.headline).not.toMatch(/to confirm/);
    },
  },
  // review9 #3: the seed plus two ports named as ovn-controller's tunnels
  // (src/sources/fixtures/review9/PROVENANCE.md). Was, for f2 and f3: 'UNDECIDED: dom0:vif16.0 is
  // likely on OVN (dom0 looks like an OVN chassis: its xapi3 ports ovn-abc123-0, ovn-def456-1, …'
  // (exit 3), hiding the seed's proven drop. ovn-controller's tunnels are on the integration bridge
  // only, and beside Neutron's OVS agent such names are names.
  ...(
    [
      [
        'f2-ofctl: the names on the physical bridge xapi3 (ovs-ofctl show)',
        'f2-ofctl',
        'the default minimize_polling = True relies on it; the agent config is not in the case',
      ],
      [
        'f3-agent: the same, with the OVS agent running and its config naming the bridges',
        'f3-agent',
        'minimize_polling = True on dom0 relies on it',
      ],
    ] as const
  ).map(
    ([name, dir, polling]): Row => ({
      name: `review9 ${name}: the seed's problem, not OVN`,
      build: () => join(REVIEW9, dir),
      verdict: 'problem',
      code: 'vm-port-untagged',
      check: (d) => {
        // The seed's headline (the corpus's first row), the agent config's line where f3 has it.
        expect(d.headline).toBe(
          `vif16.0 has no VLAN tag on xapi5, so its DISCOVER dies on dom0 xapi3 at \`priority=2,in_port=2 actions=drop\` (n_packets=7); probable root cause: the port exists in OVSDB with an ofport but was never tagged: the L2 agent never finished processing it; most likely its OVSDB monitor did not report the new port (${polling}), else fetching the port's details from the Neutron server failed (RPC)`,
        );
        expect(d.findings[0]!.fix).toContain('ovs-vsctl set Port vif16.0 tag=1');
        expect(JSON.stringify(d)).not.toMatch(/OVN|ovn-not-modelled/);
      },
    }),
  ),
  {
    // Names with a type (system ports in `ovs-vsctl show`): never a sign; unchanged by the fix.
    name: 'review9 f1-vsctl: the names as system ports of xapi5 in ovs-vsctl show: undecided, where they lead is not in the case',
    build: () => join(REVIEW9, 'f1-vsctl'),
    verdict: 'undecided',
    check: (d) => {
      expect(d.headline).toBe(
        'the DISCOVER from dom0:vif16.0 is not followed to its end: leaves the case: dom0 xapi5 port ovn-abc123-0 (nothing in the case says what is behind it) (and 1 more branch leaving the case); collect `add the host behind ovn-abc123-0 to the case, or a wire for it in links.txt; add the host behind ovn-def456-1 to the case, or a wire for it in links.txt`',
      );
      expect(d.findings.map((f) => f.code)).not.toContain('ovn-not-modelled');
    },
  },
  {
    // review7 #4d: Octavia's health-manager port named with --vm. Was: 'o-hm0 is a VM port there'.
    name: 'atmosphere#661 --vm o-hm0 (an internal port, no VM identity): taken as the VM port because you named it',
    build: () => join(REVIEW7, 'atmosphere-661-ohm0-ovn'),
    vm: 'o-hm0',
    verdict: 'undecided',
    code: 'ovn-not-modelled',
    check: (d) => {
      expect(d.findings[0]!.message).not.toMatch(/o-hm0 is a VM port/);
      expect(d.findings[0]!.message).toContain(
        '; o-hm0, taken as the VM port because you named it (by itself not recognised as one: unknown port: no Neutron external_ids or naming, no uplink evidence), is there, not traced.',
      );
      expect(d.findings.find((f) => f.code === 'vm-port-named')).toMatchObject({
        subject: 'ctl:br-int:o-hm0',
        severity: 'info',
        message:
          'ctl:o-hm0 is taken as the VM port because you named it (--vm o-hm0); by itself it is not recognised as one (unknown port: no Neutron external_ids or naming, no uplink evidence)',
      });
    },
  },
  {
    // The VM port of the same case, recognised by its name: still called one, no vm-port-named note.
    name: 'atmosphere#661 --vm tap926c3327-e0: a VM port there',
    build: () => join(REVIEW7, 'atmosphere-661-ohm0-ovn'),
    vm: 'tap926c3327-e0',
    verdict: 'undecided',
    code: 'ovn-not-modelled',
    check: (d) => {
      expect(d.findings[0]!.message).toContain('; tap926c3327-e0 is a VM port there, not traced.');
      expect(d.findings.map((f) => f.code)).not.toContain('vm-port-named');
    },
  },
  {
    // review11 P4/P5: OpenDaylight programs br-int on both hosts (Controller tcp:192.168.50.20:6633,
    // not the agent's 127.0.0.1:6633). Was: 'the agent programs it (integration bridge: named
    // br-int): NORMAL was assumed', vm-port-untagged on both VM ports, the headline ending 'add the
    // host running the DHCP agent' (the DISCOVER reaches devstack-control's DHCP tap), and each
    // br-int dump asked twice in collect-next (host gap and command form).
    name: 'flavio ODL two-node VXLAN (br-int programmed by OpenDaylight, a remote controller): undecided, no untagged-port warning, the DHCP tap asked for',
    build: () => join(REVIEW11, 'flavio-odl-vxlan-2node'),
    verdict: 'undecided',
    check: (d) => {
      const codes = d.findings.map((f) => f.code);
      expect(codes).not.toContain('vm-port-untagged');
      expect(codes).not.toContain('dhcp-port-untagged');
      const assumed = d.findings.filter((f) => f.code === 'assumed-neutron-bridge');
      expect(assumed.map((f) => f.subject)).toEqual(['devstack-compute-1:br-int', 'devstack-control:br-int']);
      for (const f of assumed) {
        // Without the hosts' agent config the remote controller is not proven foreign (XenServer's
        // agent programs Dom0 from another host: remote-controller.test.ts), nor the agent's.
        expect(f.message).toContain(
          `its controller is remote (Controller "tcp:192.168.50.20:6633"): Neutron's agent on another host (as XenServer's compute VM programs Dom0's bridges) or an SDN controller (OpenDaylight and the like), which the case does not say: NORMAL was assumed`,
        );
        expect(f.message).not.toMatch(/the agent programs it/);
      }
      expect(d.headline).toMatch(
        /: collect `ip -all netns exec ip -d address show dev tap085eeb79-ac` on devstack-control \(devstack-control, which is in the case, holds the DHCP agent's device the DISCOVER reaches\)$/,
      );
      expect(d.headline).not.toMatch(/add the host running the DHCP agent/);
      for (const h of ['devstack-compute-1', 'devstack-control'])
        expect(d.collectNext.filter((x) => x.includes('dump-flows br-int') && x.includes(h))).toHaveLength(1);
      const t = traceCommand(read(join(REVIEW11, 'flavio-odl-vxlan-2node')), {
        from: 'devstack-compute-1:tap4c6f3e8f-02',
        packet: 'dhcp-discover',
      });
      expect(t.assumptions.find((a) => a.code === 'no-flow-dump')!.text).toBe(
        'devstack-compute-1:br-int: no flow dump in the case; assumed `priority=0 actions=NORMAL` (Neutron\'s default, if Neutron\'s agent programs the bridge: its controller is remote, Controller "tcp:192.168.50.20:6633", the agent on another host or an SDN controller)',
      );
    },
  },
  {
    // review11 P3: a whole `ovs-vsctl show` (UUID line to ovs_version "2.9.0") with br-ex portless
    // and no br-tun: br-int's int-br-ex and patch-tun are dead. Was: the headline '…: add the host
    // running the DHCP agent', each patch-peer-missing fix 'ovs-vsctl show   # on ilo-7428: does
    // phy-br-ex exist?', and collect-next led by br-ex's flow dump (a bridge with no port).
    name: 'juju forum compute, br-ex empty and no br-tun (whole listing): undecided, br-int shut in on ilo-7428, only a local DHCP server can answer',
    build: () => join(REVIEW11, 'juju-forum-brex-empty'),
    verdict: 'undecided',
    check: (d) => {
      const off = d.findings.find((f) => f.code === 'no-way-off-host')!;
      expect([off.subject, off.role, off.severity]).toEqual(['ilo-7428:br-int', 'observation', 'warning']);
      expect(off.message).toBe(
        "ilo-7428:br-int has no way off the host: its patches int-br-ex and patch-tun point at phy-br-ex and patch-int, which the whole listing of ilo-7428's bridges (ilo-7428/ovs-vsctl_show) does not have, and its other ports are ilo-7428's own (VM, service and internal ports; no tunnel, no NIC): no DHCP server on another host can answer its ports, only one on ilo-7428",
      );
      expect(d.headline).toBe(
        `no DHCP server (qdhcp namespace) is in the case; ${off.message}; collect \`ip netns; ip -all netns exec ip -d address show\` on ilo-7428`,
      );
      const peers = d.findings.filter((f) => f.code === 'patch-peer-missing');
      expect(peers.map((f) => f.message)).toEqual([
        "patch port int-br-ex names peer phy-br-ex, which the whole listing of ilo-7428's bridges does not have: the patch is dead, nothing crosses it",
        "patch port patch-tun names peer patch-int, which the whole listing of ilo-7428's bridges does not have: the patch is dead, nothing crosses it",
      ]);
      for (const f of peers) expect(f.fix.join('\n')).not.toMatch(/ovs-vsctl show/);
      expect(d.collectNext[0]).toMatch(/^ip netns; ip -all netns exec ip -d address show {3}# on ilo-7428:/);
      expect(d.collectNext.join('\n')).not.toMatch(/dump-flows br-ex|add the host running the DHCP agent/);
      // trace alone: every branch ends on ilo-7428 (at its own ports, or dead there).
      const t = traceCommand(read(join(REVIEW11, 'juju-forum-brex-empty')), {
        from: 'ilo-7428:qvob6c9a70b-e1',
        packet: 'dhcp-discover',
      });
      expect([t.verdict, t.undecided[0]!.kind, t.undecided[0]!.remedy]).toEqual([
        'incomplete',
        'unplaced',
        'ip netns; ip -all netns exec ip -d address show   # on ilo-7428: every branch ends on ilo-7428, at its own ports, so a DHCP server for this packet would be there (its qdhcp namespace); or name the target: --to <host>:<port>',
      ]);
    },
  },
  {
    name: 'no VM port in the case: undecided, the ports it knows listed',
    build: () => ref('healthy', ['domu'], null),
    verdict: 'undecided',
    code: 'no-vm-port',
    check: (d) => expect(d.findings[0]!.message).toMatch(/ports in the case: domu:/),
  },
  // review11 P2: the OVS agent's own log says it exited at start (src/doctor/fixtures/PROVENANCE.md,
  // cn-juno-agent-terminated). Was: the line read and dropped, nothing said of it.
  ...(['as published', 'behind a Juno log prefix'] as const).map(
    (how): Row => ({
      name: `the OVS agent exited at start, its log line ${how}: undecided, agent-stopped with both ways out, none chosen`,
      build: () =>
        how === 'as published'
          ? CN_JUNO_STOP
          : // The reviewer's control: the same line behind Neutron's Juno prefix (made up in its format).
            tmpFrom(CN_JUNO_STOP, (c) =>
              edit(
                join(c, 'compute1/var/log/neutron/openvswitch-agent.log'),
                /^Bridge/,
                '2015-03-18 17:31:32.200 2476 ERROR neutron.plugins.openvswitch.agent.ovs_neutron_agent [-] Bridge',
              ),
            ),
      verdict: 'undecided',
      code: 'agent-stopped',
      check: (d) => {
        const f = d.findings[0]!;
        expect(f).toMatchObject({ role: 'observation', severity: 'warning', subject: 'compute1' });
        expect(f.message).toMatch(
          /^the OVS agent on compute1 stopped at start: bridge br-ex for physical network external does not exist; while it is down no port on compute1 gets a VLAN tag or flows from it/,
        );
        expect(f.evidence[0]).toEqual({
          text: 'Bridge br-ex for physical network external does not exist. Agent terminated!',
          file: 'compute1/var/log/neutron/openvswitch-agent.log',
          line: 1,
        });
        expect(f.fix[0]).toMatch(
          /either create it .*, or take external:br-ex out of \[ovs\] bridge_mappings/,
        );
        expect(f.fix).toContain(
          "ovs-vsctl --may-exist add-br 'br-ex'   # changes state, on compute1: the first way",
        );
        expect(f.fix.at(-1)).toMatch(/^systemctl status neutron-openvswitch-agent {3}# on compute1/);
      },
    }),
  ),
  // review12 P2: the reviewer's control /tmp/review12/_ctl-healthy-agentlog, examples/vxlan-healthy plus
  // this compute1 log (made by the reviewer in Neutron's log format: the stop is the cn-juno published
  // line, the start is OVSNeutronAgent.daemon_loop's LOG.info text in ovs_neutron_agent.py). Was: a
  // warning "while it is down no port … gets a VLAN tag", with add-br br-ex, a restart, and "take
  // external:br-ex out of bridge_mappings" in an ini that has no bridge_mappings.
  ...(
    [
      ['started again', true, false],
      ['no start line, the ini maps nothing', false, false],
      ['no start line, the ini maps external:br-ex', false, true],
    ] as const
  ).map(
    ([how, started, mapped]): Row => ({
      name: `the OVS agent stopped once for br-ex on a healthy overlay, ${how}: agent-stopped ${started ? 'info, no state-changing fix' : mapped ? 'warning, both ways out' : 'warning, a restart only'}`,
      build: () =>
        example('vxlan-healthy', (d) => {
          const log = join(d, 'compute1/var/log/neutron/openvswitch-agent.log');
          mkdirSync(dirname(log), { recursive: true });
          writeFileSync(
            log,
            REVIEW12_AGENT_LOG.filter((_, i) => started || i === 0)
              .join('\n')
              .concat('\n'),
          );
          if (mapped)
            edit(
              join(d, 'compute1/etc/neutron/plugins/ml2/openvswitch_agent.ini'),
              /^\[ovs\]\n/m,
              '[ovs]\nbridge_mappings = external:br-ex\n',
            );
        }),
      verdict: 'healthy',
      check: (d) => {
        const f = d.findings.find((x) => x.code === 'agent-stopped')!;
        expect(f).toMatchObject({ severity: started ? 'info' : 'warning', subject: 'compute1' });
        const changes = f.fix.filter((l) => l.includes('# changes state'));
        const takeOut = f.fix.some((l) => l.includes('take external:br-ex out of'));
        if (started) {
          expect(f.message).toMatch(
            /^the OVS agent on compute1 stopped at start once \(line 1: .*no longer maps external to br-ex, so the stop predates it\), and started again at line 3 \("Agent initialized successfully, now running\.\.\."\): the stop is history$/,
          );
          expect(f.evidence[1]).toMatchObject({ line: 3 });
          expect(changes).toEqual([]);
        } else if (mapped) {
          expect(f.message).toMatch(/while it is down no port on compute1 gets a VLAN tag/);
          expect(takeOut).toBe(true);
          expect(f.fix).toContain(
            "ovs-vsctl --may-exist add-br 'br-ex'   # changes state, on compute1: the first way",
          );
        } else {
          expect(f.message).toMatch(
            /the configuration in the case \(compute1\/etc\/neutron\/plugins\/ml2\/openvswitch_agent\.ini\) no longer maps external to br-ex, so the stop predates it/,
          );
          expect(takeOut).toBe(false);
          expect(changes).toEqual([
            'systemctl restart neutron-openvswitch-agent   # changes state, on compute1: it reads compute1/etc/neutron/plugins/ml2/openvswitch_agent.ini, which no longer maps external to br-ex',
          ]);
        }
      },
    }),
  ),
  // review11 P6: the undercloud's eth0, br-ctlplane's uplink, named with --vm. An uplink is never
  // tagged. Was: a vm-port-untagged warning "eth0 has no VLAN tag on br-ctlplane".
  {
    name: 'an OSP 16.1 undercloud, --vm its provisioning uplink eth0: undecided, no untagged warning for the uplink',
    build: () => join(ROOT, 'src/doctor/fixtures/tripleo-undercloud-osp16'),
    vm: 'undercloud:eth0',
    verdict: 'undecided',
    check: (d) => {
      expect(d.findings.map((f) => f.code)).not.toContain('vm-port-untagged');
      expect(d.findings.find((f) => f.code === 'vm-port-named')?.message).toMatch(
        /^undercloud:eth0 is taken as the VM port because you named it .*\(uplink port: on br-ctlplane, a physical bridge/,
      );
    },
  },
];

/** Commands that change a host (what a fix line runs before its `#` comment). */
const CHANGES_STATE =
  /\bsystemctl (?:restart|start|stop|reload)\b|\bovs-vsctl (?:.* )?(?:set|add-port|del-port|add-br|del-br|clear|remove|destroy)\b|\bovs-ofctl (?:.* )?(?:add-flows?|del-flows|mod-flows|mod-port)\b|\bip (?:.* )?(?:link set|addr add|addr del|link add|link del)\b|\bsysctl -w\b|\biptables -[IADR]\b|\bmodprobe\b|\bethtool -K\b/;

describe('the corpus: verdict, leading finding and exit code', () => {
  it.each(CORPUS.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    const d = diagnose(read(row.build()), row.vm === undefined ? {} : { vm: row.vm });
    expect({ verdict: d.verdict, exit: exitOf(d) }).toEqual({
      verdict: row.verdict,
      exit: row.verdict === 'healthy' ? 0 : row.verdict === 'problem' ? 1 : 3,
    });
    if (row.code) expect(d.findings[0]?.code).toBe(row.code);
    // Never more certain than the evidence: an error always cites evidence; fixes are quoted.
    for (const f of d.findings) if (f.severity === 'error') expect(f.evidence.length).toBeGreaterThan(0);
    // A command that changes a host says so (a reviewer found agent restarts without the marker).
    // (On its line, or said by the comment line just before it.)
    for (const lines of [...d.findings.map((f) => f.fix), d.collectNext])
      lines.forEach((x, i) => {
        if (!CHANGES_STATE.test(x.replace(/#.*$/, ''))) return;
        const before = i > 0 && lines[i - 1]!.startsWith('#') ? lines[i - 1]! : '';
        expect(`${before} ${x}`, x).toMatch(/changes state/);
      });
    // The JSON document round-trips with the contract's fields.
    const j = JSON.parse(JSON.stringify(d));
    expect(Object.keys(j)).toEqual(
      expect.arrayContaining(['case', 'verdict', 'headline', 'findings', 'collectNext']),
    );
    row.check?.(d);
  });
});

// diagnose reads big dumps as an index (src/parse/flow-index.ts): every dump of every row read
// that way must give the same diagnosis, but for the notes saying the dumps were indexed.
describe('the corpus read through dump indexes gives the same diagnoses', () => {
  // The reader's notes differ by the index's own and by the unmodelled-action warnings, which an
  // index gives only for the flows it parses (a trace through one lists it): compared apart.
  const same = (d: Diagnosis) => ({ ...d, findings: d.findings.filter((f) => f.code !== 'input-note') });
  const notes = (s: Snapshot, drop: string) =>
    s.diagnostics.filter((d) => d.code !== drop && d.code !== 'unsupported');
  it.each(CORPUS.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    const dir = row.build();
    const whole = read(dir);
    const indexed = read(dir, { lazyFlows: 0 });
    const dumps = (s: Snapshot) => s.hosts.flatMap((h) => h.bridges.filter((b) => b.flows.known));
    expect(dumps(indexed).length).toBe(dumps(whole).length);
    expect(dumps(indexed).every((b) => b.flows.known && b.flows.value.lookup)).toBe(true);
    expect(notes(indexed, 'flows-indexed')).toEqual(notes(whole, ''));
    const opts = row.vm === undefined ? {} : { vm: row.vm };
    expect(same(diagnose(indexed, opts))).toEqual(same(diagnose(whole, opts)));
  });
});

describe('fixes are safe to paste', () => {
  it('a hostile Neutron port id is quoted for sh in every fix that names it', () => {
    const id = "3f1c9a2e;touch x'y";
    const d = diagnose(
      readCase(
        seed((c) => {
          appendFileSync(
            join(c, 'dom0/ovs-ofctl_dump-flows_xapi3'),
            '  cookie=0x0, duration=1.0s, table=0, n_packets=3, n_bytes=300, priority=4,in_port=2,dl_vlan=2 actions=mod_vlan_vid:1042,NORMAL\n',
          );
          writeFileSync(
            join(c, 'dom0/ovs-vsctl_-t_5_list_interface'),
            `name                : vif16.0\nexternal_ids        : {attached-mac="fa:16:3e:11:22:33", iface-id="${id.replace(/'/g, "'")}"}\nofport              : 2\n`,
          );
        }),
      ),
    );
    const fixes = d.findings.flatMap((f) => f.fix).filter((x) => x.includes('3f1c9a2e'));
    expect(fixes.length).toBeGreaterThan(0);
    for (const x of fixes) expect(x).toContain(`'3f1c9a2e;touch x'\\''y'`);
  });
});

describe('golden', () => {
  const golden = (name: string, text: string): void => {
    const f = join(ROOT, 'src/doctor/golden', name);
    mkdirSync(join(f, '..'), { recursive: true });
    if (process.env.UPDATE_GOLDEN || !existsSync(f)) writeFileSync(f, text);
    expect(text).toBe(readFileSync(f, 'utf8'));
  };
  it('the seed diagnosis, text and JSON', () => {
    const d = diagnose(readCase(SEED_CASE));
    // The case path is the checkout's: written as <root> so the golden holds in any clone.
    const at = (t: string): string => t.replaceAll(ROOT, '<root>');
    golden('seed-diagnosis.txt', at(`${formatDiagnosis(d, colors(false))}\n`));
    golden('seed-diagnosis.json', at(`${toJson(d)}\n`));
  });
});
