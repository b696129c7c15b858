// Where capture live --vm captures: at the VM's port and at each DHCP server of its network
// (dhcp_agents_per_network=2 or 3), never at another network's; the servers of a VM whose network
// the case does not tell are all captured, and the plan says why. Cases: the reference healthy lab
// with more DHCP agents (src/testing/dhcp-agents.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases } from '../testing/case-edits.ts';
import { type AgentSpec, dhcpAgents, OTHER_NET, REF_NET } from '../testing/dhcp-agents.ts';
import { planCapture } from './plan.ts';

afterAll(cleanupCases);

const NS = `qdhcp-${REF_NET}`;
const OTHER_NS = `qdhcp-${OTHER_NET}`;

interface Row {
  name: string;
  agents: AgentSpec[];
  vm?: string;
  dhcpNs?: string;
  /** The server points, host:namespace. */
  servers: string[];
  notes: RegExp[];
}

const rows: Row[] = [
  { name: 'one server', agents: [{ host: 'domu' }], servers: [`domu:${NS}`], notes: [] },
  {
    // Was: the plan captured at adomu3 only (servers[0], another network's) and noted '3 DHCP server devices'.
    name: "two of the VM's network and one of another network, found first: both of its own, not the other",
    agents: [{ host: 'domu' }, { host: 'domu2' }, { host: 'adomu3', other: true, wired: false }],
    servers: [`domu:${NS}`, `domu2:${NS}`],
    notes: [
      new RegExp(
        `^not capturing at adomu3:${OTHER_NS} tap5f1c9a2e-7b, a DHCP server of another network: it serves network ${OTHER_NET}, vif16\\.0 is on ${REF_NET} \\(the DISCOVER from vif16\\.0 reaches ${NS} on domu, proven by the flows`,
      ),
      new RegExp(
        `^network ${REF_NET} of vif16\\.0 has 2 DHCP servers in the collected hosts: capturing at each`,
      ),
    ],
  },
  {
    name: "three of the VM's network: each",
    agents: [{ host: 'domu' }, { host: 'domu2' }, { host: 'domu4' }],
    servers: [`domu:${NS}`, `domu2:${NS}`, `domu4:${NS}`],
    notes: [/has 3 DHCP servers in the collected hosts: capturing at each/],
  },
  {
    name: 'no server wired, the VM without net_uuid: which is its own is unknown, each captured, said so',
    agents: [
      { host: 'domu', wired: false },
      { host: 'domu2', wired: false },
      { host: 'adomu3', other: true, wired: false },
    ],
    servers: [`adomu3:${OTHER_NS}`, `domu:${NS}`, `domu2:${NS}`],
    notes: [
      /^which DHCP server serves vif16\.0's network is unknown \(vif16\.0 has no net_uuid in its Port other_config, and its DISCOVER is proven to reach no DHCP server of the case\): capturing at each of /,
    ],
  },
  {
    name: 'the DISCOVER reaches servers of two networks: unknown, each captured, said so',
    agents: [{ host: 'domu' }, { host: 'domu2' }, { host: 'adomu3', other: true }],
    servers: [`adomu3:${OTHER_NS}`, `domu:${NS}`, `domu2:${NS}`],
    notes: [/^which DHCP server serves vif16\.0's network is unknown \(the case ties vif16\.0 to 2 networks/],
  },
  {
    name: '--dhcp-ns naming the namespace of two servers: both',
    agents: [{ host: 'domu' }, { host: 'domu2' }, { host: 'adomu3', other: true, wired: false }],
    dhcpNs: NS,
    servers: [`domu:${NS}`, `domu2:${NS}`],
    notes: [],
  },
  {
    name: "--dhcp-ns naming another network's: captured as asked, said so",
    agents: [{ host: 'domu' }, { host: 'adomu3', other: true, wired: false }],
    dhcpNs: OTHER_NS,
    servers: [`adomu3:${OTHER_NS}`],
    notes: [
      new RegExp(
        `^--dhcp-ns ${OTHER_NS} on adomu3 is a DHCP server of another network: .*; captured as asked$`,
      ),
    ],
  },
  {
    name: 'a VM port not in OVS yet: its network unknown, each server',
    agents: [{ host: 'domu' }, { host: 'domu2' }],
    vm: 'dom0:vif99.0',
    servers: [`domu:${NS}`, `domu2:${NS}`],
    notes: [
      /not in OVS yet/,
      /^dom0:vif99\.0 is not in the case, so its network is unknown: capturing at each DHCP server/,
    ],
  },
];

describe('capture plan with several DHCP servers', () => {
  it.each(rows)('$name', (r) => {
    const p = planCapture(readCase(dhcpAgents(r.agents)), r.vm ?? 'vif16.0', {
      ...(r.dhcpNs ? { dhcpNs: r.dhcpNs } : {}),
    });
    const at = p.points.filter((x) => x.ns).map((x) => `${x.host}:${x.ns}`);
    expect(at).toEqual(r.servers);
    expect(p.servers.map((x) => `${x.host}:${x.ns}`)).toEqual(r.servers);
    expect(p.notes).toHaveLength(r.notes.length);
    for (const [i, n] of r.notes.entries()) expect(p.notes[i]).toMatch(n);
  });

  it("the OFFER of each server of the VM's network is traced, a shared flow listed once", () => {
    const p = planCapture(readCase(dhcpAgents([{ host: 'domu' }, { host: 'domu2' }])), 'vif16.0');
    const offer = p.flows.filter((f) => f.direction === 'OFFER');
    // Each server's own br-int NORMAL (the OFFER's first step there) is on its way back.
    expect(offer.map((f) => `${f.host} ${f.bridge} ${f.rule}`)).toEqual(
      expect.arrayContaining([
        'domu br-int priority=0 actions=NORMAL',
        'domu2 br-int priority=0 actions=NORMAL',
      ]),
    );
    const keys = offer.map((f) => `${f.file}:${f.line}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('with --path: the servers come before the wires of the DISCOVER path', () => {
    const p = planCapture(readCase(dhcpAgents([{ host: 'domu' }, { host: 'domu2' }])), 'vif16.0', {
      path: true,
    });
    expect(p.points.map((x) => `${x.host}:${x.dev}${x.ns ? ' (ns)' : ''}`)).toEqual([
      'dom0:vif16.0',
      'domu:tap5f1c9a2e-7b (ns)',
      'domu2:tap5f1c9a2e-7b (ns)',
      'dom0:vif2.1',
      'domu:eth1',
      'dom0:vif3.1',
      'domu2:eth1',
    ]);
  });
});
