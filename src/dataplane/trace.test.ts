// The trace engine on the seed case, on every lab scenario (against what tcpdump really saw at the
// DHCP port), and on the behaviours OVS documents: ambiguity, unsupported actions, table misses.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';
import { matchedFlows } from './probes.ts';
import { traceCommand } from './run.ts';
import { nodesOf } from './tree.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});
function copySeed(edit?: (dir: string) => void): string {
  const d = mkdtempSync(join(tmpdir(), 'vifpath-trace-'));
  tmp.push(d);
  cpSync(SEED_CASE, d, { recursive: true });
  edit?.(d);
  return d;
}

describe('the seed case', () => {
  it('DISCOVER from dom0:vif16.0 dies on xapi3 at priority=2,in_port=2 actions=drop (n_packets=7)', () => {
    const r = spawnSync(
      'node',
      [BIN, 'trace', SEED_CASE, '--from', 'dom0:vif16.0', '--packet', 'dhcp-discover', '--json'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    const t = JSON.parse(r.stdout);
    expect(t.verdict).toBe('dropped');
    expect(t.drop).toMatchObject({
      host: 'dom0',
      bridge: 'xapi3',
      table: 0,
      flow: 'priority=2,in_port=2 actions=drop',
      n_packets: 7,
    });
    // Its flood to xapi5's LOCAL port is listed, and does not make it delivered: the target is the DHCP server.
    expect(t.reached).toEqual([{ kind: 'local', host: 'dom0', bridge: 'xapi5' }]);
    expect(t.target).toEqual([{ host: 'domu', name: 'qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7' }]);
    expect(t.assumptions.map((a: { text: string }) => a.text).join('\n')).toContain(
      'dom0:xapi5: no flow dump in the case; assumed `priority=0 actions=NORMAL`',
    );
    expect(t.assumptions.find((a: { code: string }) => a.code === 'no-flow-dump').remedy).toContain(
      'ovs-ofctl -O OpenFlow13 dump-flows xapi5',
    );
    const bridges: string[] = [];
    const visit = (n: { kind: string; bridge?: string; children?: unknown[] }): void => {
      if (n.kind === 'bridge') bridges.push(n.bridge!);
      for (const c of n.children ?? []) visit(c as typeof n);
    };
    visit(t.tree);
    expect(bridges).toEqual(['xapi5', 'xapi3']);
    expect(t.unsupported).toEqual([]);
  });

  it('with vif16.0 tagged 1 the DISCOVER reaches tap7b39ecad-81 in the qdhcp namespace, assumptions listed', () => {
    const d = copySeed((dir) => {
      const f = join(dir, 'dom0/ovs-vsctl_show');
      writeFileSync(
        f,
        readFileSync(f, 'utf8').replace('    Port "vif16.0"\n', '    Port "vif16.0"\n        tag: 1\n'),
      );
    });
    const t = traceCommand(readCase(d), { from: 'dom0:vif16.0', packet: 'dhcp-discover' });
    expect(t.verdict).toBe('delivered');
    const tap = t.outputs.find((o) => o.port === 'tap7b39ecad-81')!;
    expect(tap).toMatchObject({ host: 'domu', bridge: 'br-int', vlan: 1 });
    expect(tap.endpoint).toEqual({
      kind: 'namespace',
      host: 'domu',
      namespace: 'qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7',
      device: 'tap7b39ecad-81',
      addresses: ['10.0.0.2/24'],
    });
    const a = t.assumptions.map((x) => x.text).join('\n');
    expect(a).toContain('bridge domu:br-eth1 is not in the case; inferred');
    expect(a).toContain('port tap7b39ecad-81: tag unknown');
    // The path: Dom0 xapi5 → xapi3 (1 → 1041) → wire → DomU br-eth1 → br-int (1041 → 1).
    const flows = matchedFlows(t).map((f) => f.rule);
    expect(flows).toEqual([
      'priority=4,in_port=2,dl_vlan=1 actions=mod_vlan_vid:1041,NORMAL',
      'priority=3,in_port=1,dl_vlan=1041 actions=mod_vlan_vid:1,NORMAL',
    ]);
  });

  it('the text output reads like ofproto/trace across hosts', () => {
    const r = spawnSync(
      'node',
      [
        BIN,
        'trace',
        SEED_CASE,
        '--from',
        'dom0:vif16.0',
        '--packet',
        'dhcp-discover,dl_src=fa:16:3e:12:34:56',
      ],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(r.status).toBe(1);
    const out = r.stdout;
    expect(out).toContain('dom0: bridge("xapi3") in_port=phy-xapi3');
    expect(out).toContain(
      '0. priority=2,in_port=2 actions=drop  (n_packets=7, dom0/ovs-ofctl_dump-flows_xapi3:4)',
    );
    expect(out).toContain('dl_src=fa:16:3e:12:34:56');
  }, 30_000);
});

describe('behaviours the simulator must not hide', () => {
  const oneBridge = (flows: string[]): string => {
    const d = mkdtempSync(join(tmpdir(), 'vifpath-trace-'));
    tmp.push(d);
    const h = join(d, 'h');
    cpSync(join(SEED_CASE, 'dom0'), h, { recursive: true });
    writeFileSync(
      join(h, 'ovs-ofctl_dump-flows_xapi3'),
      `NXST_FLOW reply (xid=0x4):\n${flows.map((f) => ` ${f}`).join('\n')}\n`,
    );
    return d;
  };

  it('equal-priority overlapping flows are reported as ambiguous', () => {
    const d = oneBridge([
      'priority=5,in_port=2 actions=drop',
      'priority=5,dl_vlan=1 actions=NORMAL',
      'priority=0 actions=NORMAL',
    ]);
    const t = traceCommand(readCase(d), { from: 'h:phy-xapi3', packet: 'dhcp-discover,dl_vlan=1' });
    expect(nodesOf(t.tree, 'table').find((n) => n.ambiguous)).toBeDefined();
    expect(t.assumptions.find((a) => a.code === 'ambiguous-flows')?.text).toMatch(
      /equal-priority flows overlap/,
    );
  });

  it('actions the model lacks are reported, never silently dropped', () => {
    const d = oneBridge(['priority=5 actions=bundle(eth_src,0,hrw,ofport,members:1),NORMAL']);
    const t = traceCommand(readCase(d), { from: 'h:phy-xapi3', packet: 'dhcp-discover', targets: null });
    expect(t.unsupported.map((u) => u.text).join('\n')).toContain('action bundle(');
    // What follows an action the simulator skipped is not proven: the verdict says so (exit 3).
    expect(t.verdict).toBe('incomplete');
    expect(t.uncertain[0]).toMatchObject({ code: 'unsupported-action' });
  });

  it('a table miss drops, naming the table', () => {
    const d = oneBridge(['priority=5,in_port=2 actions=resubmit(,7)']);
    const t = traceCommand(readCase(d), { from: 'h:phy-xapi3', packet: 'dhcp-discover' });
    expect(t.verdict).toBe('dropped');
    expect(t.drops[0]).toMatchObject({ table: 7, flow: null, reason: { code: 'table-miss' } });
  });

  it('bad --from and packet fields are input errors (exit 2)', () => {
    const r1 = spawnSync(
      'node',
      [BIN, 'trace', SEED_CASE, '--from', 'dom0:nope', '--packet', 'dhcp-discover'],
      { encoding: 'utf8' },
    );
    expect(r1.status).toBe(2);
    expect(r1.stderr).toContain('no OVS port "nope" on host dom0');
    const r2 = spawnSync(
      'node',
      [BIN, 'trace', SEED_CASE, '--from', 'dom0:vif16.0', '--packet', 'udp,frob=1'],
      { encoding: 'utf8' },
    );
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('unknown packet field "frob"');
  }, 30_000);
});
