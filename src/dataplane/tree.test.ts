// The trace tree and its verdicts, table-driven on snapshots written as data (src/testing/
// snapshot-builder.ts): branches, targets, the typed drop reasons, the action handlers added with
// the field vocabulary, and what makes a trace not proven. Golden files pin the two printers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colors } from '../cli/colors.ts';
import { formatTrace } from '../cli/format-trace.ts';
import { toJson } from '../model/snapshot.ts';
import { readCase } from '../sources/case-dir.ts';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';
import { buildSnapshot, type PortSpec } from '../testing/snapshot-builder.ts';
import { HANDLERS } from './actions.ts';
import { traceCommand } from './run.ts';
import { traceJson } from './trace-json.ts';
import { nodesOf, type TargetSpec } from './tree.ts';

const PORTS: PortSpec[] = [
  { name: 'p1', ofport: 1, tag: null, type: '' },
  { name: 'p2', ofport: 2, tag: null, type: '' },
  { name: 'p3', ofport: 3, tag: null, type: '' },
  { name: 'br', ofport: 65534, tag: null, type: 'internal' },
];

function one(flows: string[] | undefined, extra: { complete?: boolean; ports?: PortSpec[] } = {}) {
  return buildSnapshot([
    {
      name: 'h',
      bridges: [
        {
          name: 'br',
          ports: extra.ports ?? PORTS,
          ...(flows ? { flows } : {}),
          ...(extra.complete === false ? { complete: false } : {}),
        },
      ],
    },
  ]);
}

const UDP =
  'udp,dl_src=fa:16:3e:00:00:09,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=0.0.0.0,nw_dst=255.255.255.255,udp_src=68,udp_dst=67';

function run(
  flows: string[] | undefined,
  o: { targets?: TargetSpec[] | null; packet?: string; complete?: boolean; ports?: PortSpec[] } = {},
) {
  return traceCommand(one(flows, o), {
    from: 'h:p1',
    packet: o.packet ?? UDP,
    targets: o.targets === undefined ? null : o.targets,
  });
}

describe('verdict over branches', () => {
  const flows = [
    'priority=10,in_port=1 actions=LOCAL,resubmit(,1)',
    'table=1,priority=5,reg0=7 actions=output:3',
  ];
  it("without a target it is ofproto/trace's: the flood to LOCAL delivers, the dead branch is listed", () => {
    const t = run(flows);
    expect(t.verdict).toBe('delivered');
    expect(t.reached).toEqual([{ kind: 'local', host: 'h', bridge: 'br' }]);
    expect(t.drops.map((d) => d.reason.code)).toEqual(['table-miss']);
    expect(t.drop).toBeNull();
  });
  it('with a target it answers "did it get there": dropped, with the dead branch as drop', () => {
    const t = run(flows, { targets: [{ host: 'h', name: 'p3' }] });
    expect(t.verdict).toBe('dropped');
    expect(t.drop).toMatchObject({
      host: 'h',
      bridge: 'br',
      table: 1,
      flow: null,
      reason: { code: 'table-miss' },
    });
    expect(t.reached).toEqual([{ kind: 'local', host: 'h', bridge: 'br' }]);
  });
  it('a target reached on one branch of a flood is delivered even when another branch dies', () => {
    const t = run(['priority=10,in_port=1 actions=output:2,resubmit(,1)'], {
      targets: [{ host: 'h', name: 'p2' }],
    });
    expect(t.verdict).toBe('delivered');
    expect(t.drops).toHaveLength(1);
  });
});

describe('typed drop reasons', () => {
  it.each([
    ['explicit drop flow', ['priority=10,in_port=1 actions=drop'], 'drop-flow'],
    ['table miss', ['priority=10,in_port=2 actions=NORMAL'], 'table-miss'],
    ['actions that output nothing', ['priority=10,in_port=1 actions=mod_vlan_vid:5'], 'no-output'],
    [
      'exit before any output',
      ['priority=10 actions=resubmit(,1),output:2', 'table=1,priority=1 actions=exit'],
      'no-output',
    ],
    ['dec_ttl on TTL 1', ['priority=10 actions=dec_ttl(1,2),output:2'], 'ttl-exceeded'],
  ] as const)('%s', (_name, flows, code) => {
    const t = run([...flows], { packet: `${UDP},nw_ttl=1` });
    expect(t.verdict).toBe('dropped');
    expect(t.drops.map((d) => d.reason.code)).toContain(code);
  });
  it('a drop by a flow carries the FlowEntry (file:line) and its counters', () => {
    const t = run(['priority=10,in_port=1 actions=drop'], { targets: [{ host: 'h', name: 'p2' }] });
    expect(t.drop!.entry!.from).toEqual({ file: 'h/ovs-ofctl_dump-flows_br', line: 2 });
    expect(t.drop!.flow).toBe('priority=10,in_port=1 actions=drop');
  });
  it('NORMAL: a tagged frame on an access port is a VLAN filter drop', () => {
    const ports = PORTS.map((p) => (p.name === 'p1' ? { ...p, tag: 5 } : p));
    const t = run(undefined, { packet: `${UDP},dl_vlan=7`, ports });
    expect(t.drops[0]!.reason.code).toBe('vlan-filter');
    expect(nodesOf(t.tree, 'normal')[0]!.decision).toBe('rejected');
  });
});

describe('actions added with the field vocabulary (one parser row + one handler each)', () => {
  it('every parsed action kind has a handler', () => {
    for (const [k, h] of Object.entries(HANDLERS)) expect([k, typeof h]).toEqual([k, 'function']);
  });
  it('dec_ttl decrements and forwards', () => {
    const t = run(['priority=10 actions=dec_ttl,output:2'], { packet: `${UDP},nw_ttl=64` });
    expect(t.verdict).toBe('delivered');
    expect(nodesOf(t.tree, 'table')[0]!.after!.nw_ttl).toBe(63);
  });
  it('check_pkt_larger(1500): a DHCP-sized packet is not larger (assumed, said out loud)', () => {
    const t = run([
      'priority=10 actions=check_pkt_larger(1500)->NXM_NX_REG0[0],resubmit(,1)',
      'table=1,priority=10,reg0=0x1/0x1 actions=drop',
      'table=1,priority=5 actions=output:2',
    ]);
    expect(t.outputs.map((o) => o.port)).toEqual(['p2']);
    expect(t.assumptions.map((a) => a.code)).toContain('packet-length');
  });
  it('clone runs on a copy: the original continues unchanged', () => {
    const t = run(['priority=10 actions=clone(mod_vlan_vid:5,output:2),output:3']);
    expect(t.outputs.map((o) => [o.port, o.vlan])).toEqual([
      ['p2', 5],
      ['p3', null],
    ]);
  });
  it('ct_clear, set_tunnel, mod_nw_ttl, write_metadata change the packet', () => {
    const t = run([
      'priority=10 actions=ct_clear,set_tunnel:0x64,mod_nw_ttl:9,write_metadata:0x5/0xff,resubmit(,1)',
      'table=1,priority=5,ip,tun_id=0x64,metadata=0x5/0xff,nw_ttl=9 actions=output:2',
    ]);
    expect(t.outputs.map((o) => o.port)).toEqual(['p2']);
  });
});

describe('what is not proven is not proven', () => {
  it('a flow dump cut short makes every branch through it incomplete', () => {
    const t = run(['priority=10 actions=output:2'], {
      complete: false,
      targets: [{ host: 'h', name: 'p2' }],
    });
    expect(t.verdict).toBe('incomplete');
    expect(t.uncertain[0]!.code).toBe('dump-incomplete');
  });
  it('a flow the model cannot evaluate at or above the matched priority makes the lookup unproven', () => {
    const t = run(['priority=20,nsh_spi=5 actions=drop', 'priority=10 actions=output:2']);
    expect(t.verdict).toBe('incomplete');
    expect(t.unsupported.map((u) => u.text).join('\n')).toContain('unsupported match');
  });
  it('a wire to a host the case lacks is an uncollected endpoint; with no server located the DHCP trace is incomplete', () => {
    const s = buildSnapshot([{ name: 'h', bridges: [{ name: 'br', ports: PORTS }] }], [['h:p2', 'far:eth9']]);
    const t = traceCommand(s, { from: 'h:p1', packet: 'dhcp-discover' });
    expect(t.target).toEqual([]);
    expect(t.reached).toContainEqual({
      kind: 'uncollected',
      host: 'far',
      iface: 'eth9',
      from: { host: 'h', port: 'p2' },
    });
    expect(t.verdict).toBe('incomplete');
  });
  it('the DHCP server behind a veth pair is reached as its namespace device', () => {
    const s = buildSnapshot([
      {
        name: 'h',
        bridges: [{ name: 'br', ports: [...PORTS, { name: 'tapabc', ofport: 4, tag: null, type: '' }] }],
        namespaces: [{ name: 'qdhcp-1', devices: [{ name: 'ns-abc', addresses: ['10.0.0.2/24'] }] }],
      },
    ]);
    const t = traceCommand(s, { from: 'h:p1', packet: 'dhcp-discover' });
    expect(t.verdict).toBe('delivered');
    expect(t.reached).toContainEqual({
      kind: 'namespace',
      host: 'h',
      namespace: 'qdhcp-1',
      device: 'ns-abc',
      addresses: ['10.0.0.2/24'],
      veth: 'tapabc',
    });
    expect(t.assumptions.map((a) => a.code)).toContain('veth-peer');
  });
});

describe('golden output', () => {
  const golden = (name: string, text: string): void => {
    const f = join(ROOT, 'src/dataplane/golden', name);
    if (process.env.UPDATE_GOLDEN || !existsSync(f)) writeFileSync(f, text);
    expect(text).toBe(readFileSync(f, 'utf8'));
  };
  const plain = colors(false);
  it('the seed DISCOVER, text and JSON', () => {
    const t = traceCommand(readCase(SEED_CASE), { from: 'dom0:vif16.0', packet: 'dhcp-discover' });
    golden('seed-discover.txt', `${formatTrace(t, plain)}\n`);
    golden('seed-discover.json', `${toJson(traceJson(t))}\n`);
  });
  it('a branching flood, text (summary) and JSON', () => {
    const t = run([
      'priority=10,in_port=1 actions=FLOOD,resubmit(,1)',
      'table=1,priority=5,reg0=7 actions=output:3',
    ]);
    golden('branching-flood.txt', `${formatTrace(t, plain, { summary: true })}\n`);
    golden('branching-flood.json', `${toJson(traceJson(t))}\n`);
  });
});
