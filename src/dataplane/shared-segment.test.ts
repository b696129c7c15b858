// An interface wired more than once in links.txt is a shared L2 segment (a flat/VLAN provider
// network seen by a compute node and two DHCP-agent hosts, Neutron's dhcp_agents_per_network=2):
// a frame leaving it reaches every peer, and a frame from one peer reaches the others, as the
// segment's switch would carry it. Was: the last line silently replaced the first (the trace
// followed only `compute:eth2 -> controller2:eth2`; swapping the lines swapped the result).
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colors } from '../cli/colors.ts';
import { formatTrace } from '../cli/format-trace.ts';
import { diagnose } from '../doctor/diagnose.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, seedCase, tagSeedVif16 } from '../testing/case-edits.ts';
import { buildSnapshot, type HostSpec } from '../testing/snapshot-builder.ts';
import { traceCommand } from './run.ts';
import { traceJson } from './trace-json.ts';
import type { Endpoint, TraceNode } from './tree.ts';
import { segments } from './world.ts';

afterAll(cleanupCases);

const plain = colors(false);
const NS = 'qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7';

function wires(root: TraceNode): string[] {
  const out: string[] = [];
  const walk = (ns: TraceNode[]): void => {
    for (const n of ns) {
      if (n.kind === 'wire') out.push(`${n.from.host}:${n.from.iface} -> ${n.to.host}:${n.to.iface}`);
      if ('children' in n && n.children) walk(n.children as TraceNode[]);
    }
  };
  walk([root]);
  return out.sort();
}

function namespaces(reached: Endpoint[]): string[] {
  return reached
    .filter((x) => x.kind === 'namespace')
    .map((x) => (x.kind === 'namespace' ? `${x.host}:${x.namespace}` : ''))
    .sort();
}

/** The seed with vif16.0 tagged (its DISCOVER crosses xapi3) and the DomU copied as domu2, wired to the same vif15.1. */
function sharedSeed(order: 'appended' | 'first'): string {
  return seedCase((d) => {
    tagSeedVif16(d, 1);
    cpSync(join(d, 'domu'), join(d, 'domu2'), { recursive: true });
    const line = 'dom0:vif15.1 domu2:eth1\n';
    if (order === 'appended') appendFileSync(join(d, 'links.txt'), line);
    else writeFileSync(join(d, 'links.txt'), line + readFileSync(join(d, 'links.txt'), 'utf8'));
  });
}

describe('segments(): wires joined through an interface wired twice', () => {
  it('a plain wire: each end has the other as its one peer', () => {
    const m = segments([{ a: { host: 'a', iface: 'x' }, b: { host: 'b', iface: 'y' } }]);
    expect(m.get('a\u0000x')).toEqual([{ host: 'b', iface: 'y' }]);
    expect(m.get('b\u0000y')).toEqual([{ host: 'a', iface: 'x' }]);
  });
  it('the same interface on two lines: every end reaches the two others, whatever the order', () => {
    const l1 = { a: { host: 'controller', iface: 'eth2' }, b: { host: 'compute', iface: 'eth2' } };
    const l2 = { a: { host: 'controller2', iface: 'eth2' }, b: { host: 'compute', iface: 'eth2' } };
    for (const ls of [
      [l1, l2],
      [l2, l1],
    ]) {
      const m = segments(ls);
      const peers = (k: string) =>
        m
          .get(k)!
          .map((x) => `${x.host}:${x.iface}`)
          .sort();
      expect(peers('compute\u0000eth2')).toEqual(['controller2:eth2', 'controller:eth2']);
      expect(peers('controller\u0000eth2')).toEqual(['compute:eth2', 'controller2:eth2']);
      expect(peers('controller2\u0000eth2')).toEqual(['compute:eth2', 'controller:eth2']);
    }
  });
  it('the same line twice is one wire, not two copies of the frame', () => {
    const l = { a: { host: 'a', iface: 'x' }, b: { host: 'b', iface: 'y' } };
    expect(segments([l, l]).get('a\u0000x')).toEqual([{ host: 'b', iface: 'y' }]);
  });
});

describe("the reviewer's layout: compute:eth2 wired to controller:eth2 and controller2:eth2", () => {
  const VM = 'tap635485ff-6c';
  const DHCP = 'tap183c56bb-b2';
  const physical = (flows: string[]) => ({
    name: 'br-provider',
    ports: [
      { name: 'phy-br-provider', ofport: 1, type: 'patch', peer: 'int-br-provider' },
      { name: 'eth2', ofport: 2, tag: null, type: '' },
      { name: 'br-provider', ofport: 65534, tag: null, type: 'internal' },
    ],
    flows,
  });
  const patch = { name: 'int-br-provider', ofport: 2, type: 'patch', peer: 'phy-br-provider' };
  const agent = (name: string): HostSpec => ({
    name,
    bridges: [
      {
        name: 'br-int',
        ports: [
          { name: DHCP, ofport: 5, tag: 2, type: 'internal' },
          patch,
          { name: 'br-int', ofport: 65534, tag: null, type: 'internal' },
        ],
        flows: [
          'priority=3,in_port=2,vlan_tci=0x0000/0x1fff actions=mod_vlan_vid:2,NORMAL',
          'priority=2,in_port=2 actions=drop',
          'priority=0 actions=NORMAL',
        ],
      },
      physical(['priority=2,in_port=1 actions=drop', 'priority=0 actions=NORMAL']),
    ],
    namespaces: [{ name: 'qdhcp-flat', devices: [{ name: DHCP, addresses: ['192.168.10.2/24'] }] }],
  });
  const compute: HostSpec = {
    name: 'compute',
    bridges: [
      {
        name: 'br-int',
        ports: [
          { name: VM, ofport: 1, tag: 1, type: '' },
          patch,
          { name: 'br-int', ofport: 65534, tag: null, type: 'internal' },
        ],
        flows: ['priority=2,in_port=2 actions=drop', 'priority=0 actions=NORMAL'],
      },
      physical([
        'priority=4,in_port=1,dl_vlan=1 actions=strip_vlan,NORMAL',
        'priority=2,in_port=1 actions=drop',
        'priority=0 actions=NORMAL',
      ]),
    ],
  };
  const orders: [string, [string, string][]][] = [
    [
      'controller first',
      [
        ['controller:eth2', 'compute:eth2'],
        ['controller2:eth2', 'compute:eth2'],
      ],
    ],
    [
      'controller2 first',
      [
        ['controller2:eth2', 'compute:eth2'],
        ['controller:eth2', 'compute:eth2'],
      ],
    ],
  ];
  for (const [name, links] of orders)
    it(`${name}: the DISCOVER reaches both DHCP agents' qdhcp namespaces, both wires printed`, () => {
      const s = buildSnapshot([compute, agent('controller'), agent('controller2')], links);
      const t = traceCommand(s, { from: `compute:${VM}`, packet: 'dhcp-discover', mac: 'fa:16:3e:00:00:01' });
      expect(t.verdict).toBe('delivered');
      expect(namespaces(t.reached)).toEqual(['controller2:qdhcp-flat', 'controller:qdhcp-flat']);
      expect(wires(t.tree)).toEqual(['compute:eth2 -> controller2:eth2', 'compute:eth2 -> controller:eth2']);
      const summary = formatTrace(t, plain, { summary: true });
      expect(summary).toContain('~> wire compute:eth2 -> controller:eth2');
      expect(summary).toContain('~> wire compute:eth2 -> controller2:eth2');
      const j = traceJson(t) as { reached: Endpoint[] };
      expect(namespaces(j.reached)).toEqual(['controller2:qdhcp-flat', 'controller:qdhcp-flat']);
    });
});

describe('a case on disk: the seed with its DomU copied as a second DHCP host on the same vif15.1', () => {
  for (const order of ['appended', 'first'] as const)
    it(`links.txt with the second DomU's line ${order}: the DISCOVER reaches both qdhcp namespaces`, () => {
      const s = readCase(sharedSeed(order));
      const t = traceCommand(s, { from: 'dom0:vif16.0', packet: 'dhcp-discover' });
      expect(t.verdict).toBe('delivered');
      expect(namespaces(t.reached)).toEqual([`domu2:${NS}`, `domu:${NS}`]);
      expect(wires(t.tree)).toEqual(['dom0:vif15.1 -> domu2:eth1', 'dom0:vif15.1 -> domu:eth1']);
    });

  it('a frame from one peer reaches the other peers too (a hub, not two point-to-point wires)', () => {
    const s = readCase(sharedSeed('appended'));
    const t = traceCommand(s, {
      from: 'domu2:tap7b39ecad-81',
      packet: 'dhcp-offer',
      to: ['domu:tap7b39ecad-81'],
    });
    expect(wires(t.tree)).toEqual(['domu2:eth1 -> dom0:vif15.1', 'domu2:eth1 -> domu:eth1']);
  });

  it("diagnose: the second DHCP host changes nothing in the DISCOVER's verdict (the tagged seed's tags of domu's br-int are unknown either way)", () => {
    const one = diagnose(readCase(seedCase((d) => tagSeedVif16(d, 1))));
    const two = diagnose(readCase(sharedSeed('first')));
    const discover = (d: typeof one) => d.paths.find((x) => x.vm === 'dom0:vif16.0')?.discover.verdict;
    expect(discover(one)).toBe('incomplete');
    expect(discover(two)).toBe(discover(one));
    expect(two.verdict).toBe(one.verdict);
  });
});
