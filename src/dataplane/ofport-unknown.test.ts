// Ports the case names without their OpenFlow port number (pasted `ovs-vsctl show` + dump-flows,
// no `ovs-ofctl show`): a trace that starts there, or sends the packet there, is undecided and
// names the command that gives the numbers; a port the case does not hold is bad input; a case
// with every number known traces as before. Real outputs: the study-notes field case, the
// ovs-issues-141 field case, the seed example as an operator would have collected it without
// `ovs-ofctl show`.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unknown } from '../model/evidence.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, edit, seedCase, tagSeedVif16 } from '../testing/case-edits.ts';
import { OWN_FIXTURES, ROOT } from '../testing/fixtures.ts';
import { DHCP_TAP, overlayCase, VM } from '../testing/overlay-case.ts';
import { buildSnapshot } from '../testing/snapshot-builder.ts';
import { traceCommand } from './run.ts';
import { TraceInputError } from './trace.ts';
import { nodesOf } from './tree.ts';

afterAll(cleanupCases);

const BIN = join(ROOT, 'bin/vifpath.mjs');
const STUDY = join(OWN_FIXTURES, 'field/study-notes-vxlan-instance');
const ISSUE141 = join(OWN_FIXTURES, 'field/ovs-issues-141');
const run = (...args: string[]) =>
  spawnSync('node', [BIN, 'trace', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('vifpath trace --from a port: exit codes and what it says', () => {
  const cases: {
    name: string;
    args: string[];
    exit: number;
    stdout?: string[];
    notStdout?: string[];
    stderr?: RegExp;
  }[] = [
    {
      // Was: not followed at br-int, `ovs-ofctl show br-int` asked. Its dumps name every port
      // (OVS 3.3 prints names): matched by name, the trace runs to where it leaves the case.
      name: 'a VM port of a pasted ovs-vsctl show (no OpenFlow number), flows by name: traced, undecided where it leaves the case',
      args: [STUDY, '--from', 'compute:tap648437e1-0d', '--packet', 'dhcp-discover'],
      exit: 3,
      stdout: [
        '60. priority=100,in_port="tap648437e1-0d" actions=load:0x4->NXM_NX_REG5[],load:0x3->NXM_NX_REG6[],resubmit(,71)',
        'bridge("br-tun") in_port=patch-int',
        'Verdict: INCOMPLETE',
        'undecided: leaves the case: beyond vxlan-ac10000b to 172.16.0.11 (vxlan key 0xef',
      ],
      notStdout: ['not traced', 'ovs-ofctl show br-int'],
    },
    {
      name: 'an OFFER from it without a target (--any): dropped where the flows drop it (br-int table 93)',
      args: [STUDY, '--from', 'compute:tap648437e1-0d', '--packet', 'dhcp-offer', '--any', '--summary'],
      exit: 1,
      stdout: ['Verdict: DROPPED', 'dropped on compute br-int table 93: priority=0 actions=drop'],
      notStdout: ['ovs-ofctl show br-int'],
    },
    {
      name: 'a stale port (its device gone): undecided, the OVSDB error said',
      args: [STUDY, '--from', 'compute:tap0ab9a23c-99', '--packet', 'dhcp-discover'],
      exit: 3,
      stdout: [
        'OVSDB error: could not open network device tap0ab9a23c-99 (No such device)',
        'ovs-ofctl show br-int',
      ],
    },
    {
      name: 'a port the case does not hold: bad input, one line',
      args: [STUDY, '--from', 'compute:tapdeadbeef-00', '--packet', 'dhcp-discover'],
      exit: 2,
      stderr:
        /^vifpath: no OVS port "tapdeadbeef-00" on host compute in this case; nearest: compute:[^\n]*\n$/,
    },
    {
      name: 'a host the case does not hold: bad input',
      args: [STUDY, '--from', 'network:tap648437e1-0d', '--packet', 'dhcp-discover'],
      exit: 2,
      stderr: /^vifpath: --from: no host "network" in the case \(hosts: compute, controller\)\n$/,
    },
    {
      // Was: undecided, `ovs-ofctl show servers0` asked. No flow dump: NORMAL (assumed, said),
      // which needs no number, floods to the bridge's LOCAL port.
      name: 'ovs-issues-141: servers0 has no ovs-ofctl show: router0 traced through NORMAL to LOCAL',
      args: [ISSUE141, '--from', 'host:router0', '--packet', 'dhcp-discover', '--any'],
      exit: 0,
      stdout: ['Verdict: DELIVERED', 'reaches host bridge servers0 LOCAL port', 'no flow dump in the case'],
      notStdout: ['ovs-ofctl show servers0'],
    },
    {
      name: 'ovs-issues-141: ovs-ofctl show clients0 does not list router1: not an OpenFlow port, bad input',
      args: [ISSUE141, '--from', 'host:router1', '--packet', 'dhcp-discover', '--any'],
      exit: 2,
      stderr:
        /^vifpath: OVS port "router1" on host host is not an OpenFlow port \(`ovs-ofctl show clients0` in the case does not list it\): no packet enters there\n$/,
    },
  ];
  it.each(cases)('$name', (c) => {
    const r = run(...c.args);
    expect(r.status).toBe(c.exit);
    for (const s of c.stdout ?? []) expect(r.stdout).toContain(s);
    for (const s of c.notStdout ?? []) expect(r.stdout).not.toContain(s);
    if (c.stderr) {
      expect(r.stderr).toMatch(c.stderr);
      expect(r.stdout).toBe('');
    } else expect(r.stderr).toBe('');
  });

  it('--json (a port OVS could not open: not traced): verdict incomplete, no drop, the uncertainty and the assumption with the remedy', () => {
    const r = run(STUDY, '--from', 'compute:tap0ab9a23c-99', '--packet', 'dhcp-discover', '--json');
    expect(r.status).toBe(3);
    const t = JSON.parse(r.stdout);
    expect(t.verdict).toBe('incomplete');
    expect(t.from).toEqual({ host: 'compute', bridge: 'br-int', port: 'tap0ab9a23c-99' });
    expect(t.drop).toBeNull();
    expect(t.outputs).toEqual([]);
    expect(t.uncertain).toEqual([
      {
        code: 'ofport-unknown',
        text: 'compute:tap0ab9a23c-99 is a port of br-int (OVSDB error: could not open network device tap0ab9a23c-99 (No such device)) but the case does not give its OpenFlow port number: what the bridge does with the packet (flows match on in_port) is not traced',
        remedy: 'ovs-ofctl show br-int   # on compute: the OpenFlow port numbers',
      },
    ]);
    expect(t.assumptions).toContainEqual({
      code: 'ofport-unknown',
      text: 'compute:br-int: the case gives no OpenFlow port number for tap0ab9a23c-99 (`ovs-vsctl show` and `dump-flows` do not give it); the trace does not follow the packet through it',
      remedy: 'ovs-ofctl show br-int   # on compute: the OpenFlow port numbers',
    });
    expect(t.tree).toMatchObject({
      kind: 'bridge',
      host: 'compute',
      bridge: 'br-int',
      inPort: 'tap0ab9a23c-99',
      children: [{ kind: 'drop', reason: { code: 'ofport-unknown' } }],
    });
  });
});

// The seed example as an operator might have collected dom0: `ovs-vsctl show` with xapi3 too, the
// OVSDB ofport monitor without some rows, no `ovs-ofctl show xapi3`.
const XAPI3 = `Bridge "xapi3"
    Port "xapi3"
        Interface "xapi3"
            type: internal
    Port "vif15.1"
        Interface "vif15.1"
    Port "phy-xapi3"
        Interface "phy-xapi3"
            type: patch
            options: {peer="int-xapi3"}
`;
const MONITOR_ROW: Record<string, RegExp> = {
  'vif16.0': /^.*initial "vif16\.0".*\n/m,
  'vif15.1': /^.*initial "vif15\.1".*\n/m,
  'phy-xapi3': /^.*initial "phy-xapi3".*\n/m,
  xapi3: /^.*initial "xapi3".*\n/m,
};
function seedWithout(numbers: string[], o: { tag?: boolean; xapi3InVsctl?: boolean } = {}): Snapshot {
  const d = seedCase((dir) => {
    if (o.tag) tagSeedVif16(dir, 1);
    for (const n of numbers)
      edit(join(dir, 'dom0/ovsdb-client_monitor_Interface_name_ofport'), MONITOR_ROW[n]!, '');
    if (o.xapi3InVsctl) {
      const f = join(dir, 'dom0/ovs-vsctl_show');
      writeFileSync(f, readFileSync(f, 'utf8') + XAPI3);
      rmSync(join(dir, 'dom0/ovs-ofctl_show_xapi3'));
    }
  });
  return readCase(d);
}
const remedyOf = (t: ReturnType<typeof traceCommand>): (string | undefined)[] =>
  t.assumptions.filter((a) => a.code === 'ofport-unknown').map((a) => a.remedy);

describe('traces that start at or reach a port without an OpenFlow number', () => {
  const DISCOVER = { from: 'dom0:vif16.0', packet: 'dhcp-discover' } as const;
  const cases: {
    name: string;
    snap: () => Snapshot;
    from?: string;
    verdict: 'delivered' | 'dropped' | 'incomplete';
    drop?: string | null;
    remedy: string[];
    notFollowed?: string[];
  }[] = [
    {
      name: 'the seed, every number known: dropped at xapi3 as before',
      snap: () => readCase(join(ROOT, 'examples/xenserver-seed')),
      verdict: 'dropped',
      drop: 'priority=2,in_port=2 actions=drop',
      remedy: [],
    },
    {
      // Was: undecided at xapi5. xapi5 (no flow dump: NORMAL) needs no number; xapi3's numbered
      // drop flow proves the drop, as with every number known.
      name: "the start port's OVSDB ofport row missing: xapi5's NORMAL needs no number, dropped at xapi3 as with it",
      snap: () => seedWithout(['vif16.0']),
      verdict: 'dropped',
      drop: 'priority=2,in_port=2 actions=drop',
      remedy: [],
    },
    {
      // The patch is crossed (phy-xapi3 held by name), but xapi3's flows match in_port=2 by
      // number: whether phy-xapi3 is 2 is what the case does not say.
      name: 'xapi3 named by ovs-vsctl show only, its flows by number: not followed at its table 0 (was: at the patch)',
      snap: () => seedWithout(['phy-xapi3', 'vif15.1', 'xapi3'], { tag: true, xapi3InVsctl: true }),
      verdict: 'incomplete',
      drop: null,
      remedy: ['ovs-ofctl show xapi3   # on dom0: the OpenFlow port numbers'],
      notFollowed: [
        "table 0: `priority=4,in_port=2,dl_vlan=1 actions=mod_vlan_vid:1041,NORMAL` (dom0/ovs-ofctl_dump-flows_xapi3:3) matches in_port by number; phy-xapi3's OpenFlow port number unknown, not followed",
      ],
    },
    {
      // Was: the flood to vif15.1 not followed (undecided). NORMAL needs no number.
      name: "vif15.1's number unknown: xapi3's NORMAL floods to LOCAL and to vif15.1, delivered",
      snap: () => seedWithout(['vif15.1'], { tag: true, xapi3InVsctl: true }),
      verdict: 'delivered',
      drop: null,
      remedy: [],
    },
    {
      name: "the untagged DISCOVER still dies at xapi3's drop flow: a proven drop stays proven",
      snap: () => seedWithout(['vif15.1'], { xapi3InVsctl: true }),
      verdict: 'dropped',
      drop: 'priority=2,in_port=2 actions=drop',
      remedy: [],
    },
  ];
  it.each(cases)('$name', (c) => {
    const t = traceCommand(c.snap(), { ...DISCOVER, ...(c.from ? { from: c.from } : {}) });
    expect(t.verdict).toBe(c.verdict);
    if (c.drop !== undefined) expect(t.drop?.flow ?? null).toBe(c.drop);
    expect(remedyOf(t)).toEqual(c.remedy);
    expect(
      nodesOf(t.tree, 'drop')
        .filter((d) => d.reason.code === 'ofport-unknown')
        .map((d) => d.reason.text),
    ).toEqual(c.notFollowed ?? []);
    // A branch not followed is never the drop the verdict rests on, and always unproven.
    for (const d of nodesOf(t.tree, 'drop'))
      if (d.reason.code === 'ofport-unknown') expect(d.uncertain).toBeDefined();
  });

  it('the flood that reaches xapi3 LOCAL still lists it, and vif15.1 (no number) beside it', () => {
    const t = traceCommand(seedWithout(['vif15.1'], { tag: true, xapi3InVsctl: true }), DISCOVER);
    expect(t.reached).toContainEqual({ kind: 'local', host: 'dom0', bridge: 'xapi3' });
    // vif15.1 (no number) gets its copy: over its wire to domU's br-int.
    expect(nodesOf(t.tree, 'wire').map((n) => n.from)).toContainEqual({ host: 'dom0', iface: 'vif15.1' });
    expect(t.uncertain).toEqual([]);
  });

  it('a port OVS gave no number (ofport -1) is bad input with that reason, not undecided', () => {
    const s = seedWithout([]);
    const i = s.hosts.find((h) => h.name === 'dom0')!.bridges[0]!.ports.find((p) => p.name === 'vif16.0')!
      .interfaces[0]!;
    i.ofport = { known: true, value: -1, from: [] };
    expect(() => traceCommand(s, DISCOVER)).toThrow(TraceInputError);
    expect(() => traceCommand(s, DISCOVER)).toThrow(
      'OVS port "vif16.0" on host dom0 is not an OpenFlow port (ofport -1: OVS could not open the device): no packet enters there',
    );
  });
});

describe('output by number, and tunnels, to ports without a known number', () => {
  const bridge = (unknownPort: boolean): Snapshot => {
    const s = buildSnapshot([
      {
        name: 'h',
        bridges: [
          {
            name: 'br-int',
            failMode: 'secure',
            ports: [
              { name: 'tap1', ofport: 1, tag: 1, type: '' },
              { name: 'tap2', ofport: 7, tag: 1, type: '' },
            ],
            flows: [
              ' cookie=0x0, duration=1.0s, table=0, n_packets=3, n_bytes=300, priority=1,in_port=1 actions=output:2',
            ],
          },
        ],
      },
    ]);
    if (unknownPort)
      s.hosts[0]!.bridges[0]!.ports[1]!.interfaces[0]!.ofport = unknown('pasted ovs-vsctl show');
    return s;
  };
  it('output:2 on a bridge where tap2 has no known number: not followed, undecided (was: no-such-port, dropped)', () => {
    const t = traceCommand(bridge(true), { from: 'h:tap1', packet: 'dhcp-discover', to: ['h:tap2'] });
    expect(t.verdict).toBe('incomplete');
    expect(t.drop).toBeNull();
    expect(t.drops.map((d) => [d.reason.code, d.reason.text])).toEqual([
      ['ofport-unknown', 'output to port 2: not a port the case numbers on br-int, not followed'],
    ]);
    expect(remedyOf(t)).toEqual(['ovs-ofctl show br-int   # on h: the OpenFlow port numbers']);
  });
  it('output:2 where every port is numbered (tap2 is 7): no such port, dropped as before', () => {
    const t = traceCommand(bridge(false), { from: 'h:tap1', packet: 'dhcp-discover', to: ['h:tap2'] });
    expect(t.verdict).toBe('dropped');
    expect(t.drop?.reason.code).toBe('no-such-port');
  });

  /** The overlay, network's tunnel ports without a known number; its br-tun's flows naming them or by number. */
  const overlayUnnumbered = (byNumber: boolean): Snapshot => {
    const c = overlayCase();
    const net = c.hosts.find((h) => h.name === 'network')!;
    const tun = net.bridges!.find((b) => b.name === 'br-tun')!;
    if (byNumber)
      for (const p of tun.ports)
        if (p.name.startsWith('vxlan-'))
          tun.flows = tun.flows!.map((f) => f.replace(`in_port=${p.name} `, `in_port=${p.ofport} `));
    const s = buildSnapshot(c.hosts, c.links);
    const network = s.hosts.find((h) => h.name === 'network')!;
    for (const b of network.bridges)
      for (const p of b.ports)
        for (const i of p.interfaces)
          if (i.name.startsWith('vxlan-')) i.ofport = unknown('pasted ovs-vsctl show');
    return s;
  };
  it('VXLAN to a host whose tunnel ports have no known number, its flows naming them: delivered (was: not followed)', () => {
    const t = traceCommand(overlayUnnumbered(false), {
      from: `compute1:${VM.vm1.tap}`,
      packet: 'dhcp-discover',
    });
    expect(t.verdict).toBe('delivered');
    expect(t.reached).toContainEqual(expect.objectContaining({ device: DHCP_TAP }));
    expect(remedyOf(t)).toEqual([]);
  });
  it('the same with its br-tun matching in_port by number: not followed (was: receive tunnel port not found)', () => {
    const s = overlayUnnumbered(true);
    const tun = s.hosts.find((h) => h.name === 'network')!.bridges.find((b) => b.name === 'br-tun')!;
    const flows = tun.flows.known ? tun.flows.value.entries.map((e) => e.text) : [];
    expect(flows.filter((f) => /in_port=\d+ /.test(f))).toHaveLength(2);
    const t = traceCommand(s, { from: `compute1:${VM.vm1.tap}`, packet: 'dhcp-discover' });
    expect(t.verdict).toBe('incomplete');
    expect(t.drops.filter((d) => d.reason.code === 'tunnel-port-not-found')).toEqual([]);
    expect(t.drops.filter((d) => d.reason.code === 'ofport-unknown').map((d) => [d.host, d.bridge])).toEqual([
      ['network', 'br-tun'],
    ]);
    expect(remedyOf(t)).toContain('ovs-ofctl show br-tun   # on network: the OpenFlow port numbers');
    expect(t.reached).not.toContainEqual(expect.objectContaining({ device: DHCP_TAP }));
  });
});
