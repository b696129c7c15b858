// A flood sends a copy of the packet every way; most copies die harmlessly where no way leads to
// the target (Neutron's `in_port=phy-br-X actions=drop` on a bridge of another physical network,
// the peer of a shared segment the VM is not behind). Such a drop is never given as where the
// packet stops: the printers name it a copy, an incomplete verdict names the branches it rests on
// with what to collect, and where the branch toward the target ends without a drop, that is said.
// Real cases: the published hotsos-openstack and vn-l2-flat-vlan compute nodes (PROVENANCE.md),
// the seed with a second DHCP host on the same wire (a shared segment), the overlay lab's capture.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colors } from '../cli/colors.ts';
import { formatDiagnosis } from '../cli/format-diagnosis.ts';
import { formatTrace } from '../cli/format-trace.ts';
import { diagnose } from '../doctor/diagnose.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, seedCase, tagSeedVif16 } from '../testing/case-edits.ts';
import { OWN_FIXTURES, ROOT, SEED_CASE } from '../testing/fixtures.ts';
import { traceCommand } from './run.ts';
import { traceJson } from './trace-json.ts';
import type { DropBranch, Undecided, Verdict } from './tree.ts';

afterAll(cleanupCases);

const plain = colors(false);
const FIELD = join(OWN_FIXTURES, 'field');

/** The seed with vif16.0 tagged and its DomU copied as domu2 on the same vif15.1 (links.txt's first line). */
function sharedSeed(): string {
  return seedCase((d) => {
    tagSeedVif16(d, 1);
    cpSync(join(d, 'domu'), join(d, 'domu2'), { recursive: true });
    writeFileSync(
      join(d, 'links.txt'),
      `dom0:vif15.1 domu2:eth1\n${readFileSync(join(d, 'links.txt'), 'utf8')}`,
    );
  });
}

interface Row {
  name: string;
  dir: () => string;
  from: string;
  packet: 'dhcp-discover' | 'dhcp-offer';
  mac?: string;
  verdict: Verdict;
  /** What the printers said before: a flooded copy's drop as where the packet stops. Never again. */
  wrong?: { trace: string; diagnose: string };
  /** The VM whose diagnosed path the trace is (diagnose's Paths), and which packet of it. */
  path?: { vm: string; which: 'discover' | 'offer' };
  drop: [string, string, string] | null;
  drops: [string, string, string, DropBranch][];
  undecided: [Undecided['kind'], string][];
  /** Lines of the text printers (full and --summary) naming the branch that matters. */
  says: string[];
}

const rows: Row[] = [
  {
    name: 'hotsos-openstack: the DISCOVER goes on into both VXLAN tunnels; br-data drops the copy NORMAL flooded to it',
    dir: () => join(FIELD, 'hotsos-openstack'),
    from: 'compute:tap0e778df8-ca',
    packet: 'dhcp-discover',
    verdict: 'incomplete',
    wrong: {
      trace: 'dropped on compute br-data table 2: priority=2,in_port=2 actions=drop (n_packets=1428)',
      diagnose: 'DISCOVER incomplete at compute br-data',
    },
    path: { vm: 'compute:tap0e778df8-ca', which: 'discover' },
    drop: null,
    drops: [['compute', 'br-data', 'priority=2,in_port=2 actions=drop', 'unplaced']],
    undecided: [
      [
        'leaves',
        'add the host that owns 10.0.0.114 to the case (its sosreport; `ip -o address` there shows 10.0.0.114)',
      ],
      [
        'leaves',
        'add the host that owns 10.0.0.133 to the case (its sosreport; `ip -o address` there shows 10.0.0.133)',
      ],
    ],
    says: [
      '  undecided: leaves the case: beyond vxlan-0a000072 to 10.0.0.114 (vxlan key 0x4d1; no host of the case owns 10.0.0.114: not collected)  [collect: add the host that owns 10.0.0.114 to the case (its sosreport; `ip -o address` there shows 10.0.0.114)]',
      '  copy dies on compute br-data table 2: priority=2,in_port=2 actions=drop (n_packets=1428) (a flooded copy: the case locates no target to tell whether it matters; it does not decide the verdict)',
    ],
  },
  {
    name: "vn-l2-flat-vlan: the VM's tag is not in the case; br-vlan's drop of the untagged copy is no stopping point",
    dir: () => join(FIELD, 'vn-l2-flat-vlan'),
    from: 'compute:qvo23d0f2c7-c2',
    packet: 'dhcp-discover',
    verdict: 'incomplete',
    wrong: {
      trace: 'dropped on compute br-vlan table 0: priority=2,in_port=2 actions=drop (n_packets=225)',
      diagnose: 'DISCOVER incomplete at compute br-vlan',
    },
    path: { vm: 'compute:qvo23d0f2c7-c2', which: 'discover' },
    drop: null,
    drops: [['compute', 'br-vlan', 'priority=2,in_port=2 actions=drop', 'unplaced']],
    undecided: [['not-proven', 'ovs-vsctl --columns=name,tag list Port qvo23d0f2c7-c2   # on compute']],
    says: [
      "  not proven: compute:br-int: the tag of port qvo23d0f2c7-c2 is not in the case; NORMAL switched it as a port without tag (trunk of every VLAN), and the frame's VLAN (so where it goes) rests on that: `ovs-vsctl --columns=name,tag list Port qvo23d0f2c7-c2` on compute gives it  [collect: ovs-vsctl --columns=name,tag list Port qvo23d0f2c7-c2   # on compute]",
    ],
  },
  {
    name: "the seed's OFFER on a shared segment: domu2's br-int drops the copy the segment carried there; the branch to the VM ends on xapi5",
    dir: sharedSeed,
    from: 'domu:tap7b39ecad-81',
    packet: 'dhcp-offer',
    verdict: 'incomplete',
    wrong: {
      trace: 'dropped on domu2 br-int table 0: priority=2,in_port=1 actions=drop (n_packets=2)',
      diagnose: 'OFFER back incomplete at domu2 br-int',
    },
    path: { vm: 'dom0:vif16.0', which: 'offer' },
    drop: null,
    drops: [['domu2', 'br-int', 'priority=2,in_port=1 actions=drop', 'copy']],
    undecided: [['not-proven', 'ovs-vsctl --columns=name,tag list Port tap7b39ecad-81   # on domu']],
    says: [
      // The way there rests on the DHCP port's tag, which the case does not give: said on the line.
      "  stops: the branch toward dom0:vif16.0 ends on dom0 xapi5 (entered by int-xapi3), whose way to it is vif16.0: NORMAL switched the frame in VLAN 0; vif16.0 has tag 1  (not proven: domu:br-int: the tag of port tap7b39ecad-81 is not in the case; NORMAL switched it as a port without tag (trunk of every VLAN), and the frame's VLAN (so where it goes) rests on that: `ovs-vsctl --columns=name,tag list Port tap7b39ecad-81` on domu gives it)",
      '  copy dies on domu2 br-int table 0: priority=2,in_port=1 actions=drop (n_packets=2) (a flooded copy: no way leads from there to dom0:vif16.0; it does not decide the verdict)',
    ],
  },
  {
    name: "the seed's DISCOVER: the drop on the way to the server stays the drop",
    dir: () => SEED_CASE,
    from: 'dom0:vif16.0',
    packet: 'dhcp-discover',
    verdict: 'dropped',
    drop: ['dom0', 'xapi3', 'priority=2,in_port=2 actions=drop'],
    drops: [['dom0', 'xapi3', 'priority=2,in_port=2 actions=drop', 'toward']],
    undecided: [],
    says: ['  dropped on dom0 xapi3 table 0: priority=2,in_port=2 actions=drop (n_packets=7)'],
  },
  {
    name: 'the overlay lab without the tunnel back: the OFFER dies arriving on compute1, across the tunnel toward the VM',
    dir: () => join(ROOT, 'examples/vxlan-tunport'),
    from: 'network:tapd4a1b2c3-e5',
    packet: 'dhcp-offer',
    mac: 'fa:16:3e:11:22:33',
    verdict: 'dropped',
    drop: [
      'compute1',
      'br-tun',
      'compute1 has no vxlan port for this packet (key 0x3e9, from 172.16.0.13 to 172.16.0.11): OVS drops it ("receive tunnel port not found")',
    ],
    drops: [
      [
        'compute1',
        'br-tun',
        'compute1 has no vxlan port for this packet (key 0x3e9, from 172.16.0.13 to 172.16.0.11): OVS drops it ("receive tunnel port not found")',
        'toward',
      ],
    ],
    undecided: [],
    says: [
      '  dropped on compute1 br-tun: compute1 has no vxlan port for this packet (key 0x3e9, from 172.16.0.13 to 172.16.0.11): OVS drops it ("receive tunnel port not found")',
    ],
  },
];

describe("a flooded copy's drop is never where the packet stops", () => {
  for (const r of rows)
    it(r.name, () => {
      const s = readCase(r.dir());
      const t = traceCommand(s, { from: r.from, packet: r.packet, ...(r.mac ? { mac: r.mac } : {}) });
      expect(t.verdict).toBe(r.verdict);
      expect(t.drop ? [t.drop.host, t.drop.bridge, t.drop.flow ?? t.drop.reason.text] : null).toEqual(r.drop);
      expect(t.drops.map((d) => [d.host, d.bridge, d.flow ?? d.reason.text, d.branch])).toEqual(r.drops);
      expect(t.undecided.map((u) => [u.kind, u.remedy])).toEqual(r.undecided);
      // Every printer says the same: text, summary, JSON.
      for (const text of [formatTrace(t, plain), formatTrace(t, plain, { summary: true })]) {
        for (const line of r.says) expect(text.split('\n')).toContain(line);
        if (r.wrong) expect(text).not.toContain(r.wrong.trace);
      }
      const j = traceJson(t) as {
        drop: { host: string; bridge: string } | null;
        drops: { branch: DropBranch }[];
        undecided: { kind: string; remedy?: string }[];
      };
      expect(j.drop ? [j.drop.host, j.drop.bridge] : null).toEqual(r.drop ? r.drop.slice(0, 2) : null);
      expect(j.drops.map((d) => d.branch)).toEqual(r.drops.map((d) => d[3]));
      expect(j.undecided.map((u) => [u.kind, u.remedy])).toEqual(r.undecided);
      if (!r.path || !r.wrong) return;
      // diagnose's path says no drop for it either.
      const d = diagnose(s);
      const p = d.paths.find((x) => x.vm === r.path!.vm)?.[r.path.which];
      expect(p?.verdict).toBe('incomplete');
      expect(p?.drop).toBeUndefined();
      expect(formatDiagnosis(d, plain)).not.toContain(r.wrong.diagnose);
    });
});
