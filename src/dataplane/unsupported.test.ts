// An action the simulator does not model (here one OVS does not know either: `dr0p`, a typo of
// drop, well-formed, so an unsupported node by design, never fatal) proves nothing from where it
// runs on: not the rest of its list, not what that leads to, and not the "no output" of its
// bridge's pipeline (the action may be what outputs the packet). It is listed with the file and
// line of its flow, in the tree, the text and the JSON. CONTROLLER leaves the packet as it is,
// but the controller may send it on: the pipeline's "no output" is not proven after it either.
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnose } from '../doctor/diagnose.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, edit, seedCase, tmpCase } from '../testing/case-edits.ts';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';
import { traceCommand } from './run.ts';
import { nodesOf } from './tree.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const DUMP = 'h/ovs-ofctl_dump-flows_xapi3';

afterAll(cleanupCases);

/** The seed's dom0 as host `h`, its xapi3 flows replaced (line 2 is the first flow). */
function oneBridge(flows: string[]): string {
  const d = tmpCase();
  cpSync(join(SEED_CASE, 'dom0'), join(d, 'h'), { recursive: true });
  writeFileSync(join(d, DUMP), `NXST_FLOW reply (xid=0x4):\n${flows.map((f) => ` ${f}`).join('\n')}\n`);
  return d;
}

function traceOf(flows: string[]) {
  return traceCommand(readCase(oneBridge(flows)), {
    from: 'h:phy-xapi3',
    packet: 'dhcp-discover',
    targets: null,
  });
}

describe('an action the simulator does not model', () => {
  it('alone in a flow: the "no output" drop is not proven, the verdict incomplete', () => {
    const t = traceOf(['priority=5,in_port=2 actions=dr0p']);
    expect(t.verdict).toBe('incomplete');
    const drop = nodesOf(t.tree, 'drop')[0]!;
    expect(drop.reason.code).toBe('no-output');
    expect(drop.uncertain).toMatchObject({ code: 'unsupported-action' });
    expect(drop.uncertain!.text).toContain(`action dr0p is not modelled (unknown action; ${DUMP}:2)`);
    // Where, as data (diagnose names it in its headline without reading the text).
    expect(drop.uncertain!.at).toEqual({
      host: 'h',
      bridge: 'xapi3',
      table: 0,
      action: 'dr0p',
      why: 'unknown action',
      file: DUMP,
      line: 2,
    });
    expect(t.uncertain).toEqual([drop.uncertain]);
    expect(t.unsupported).toEqual([
      {
        host: 'h',
        bridge: 'xapi3',
        text: expect.stringContaining(`action dr0p (${DUMP}:2) is not modelled (unknown action)`),
        from: { file: DUMP, line: 2 },
      },
    ]);
  });

  it('in a table a resubmit reached: the pipeline\'s "no output" is not proven either', () => {
    const t = traceOf(['priority=5,in_port=2 actions=resubmit(,1)', 'table=1, priority=1 actions=frob']);
    expect(t.verdict).toBe('incomplete');
    expect(nodesOf(t.tree, 'drop')).toMatchObject([{ reason: { code: 'no-output' }, uncertain: {} }]);
    expect(t.unsupported[0]).toMatchObject({ from: { file: DUMP, line: 3 } });
  });

  it('before a table miss: the miss is not proven', () => {
    const t = traceOf(['priority=5,in_port=2 actions=frob,resubmit(,7)']);
    expect(t.verdict).toBe('incomplete');
    expect(nodesOf(t.tree, 'drop')).toMatchObject([
      { reason: { code: 'table-miss' }, uncertain: {} },
      { reason: { code: 'ignored-may-output' }, uncertain: {} },
    ]);
  });

  it('after a table miss: where the ignored action sends the packet is a branch not followed', () => {
    const t = traceOf(['priority=5,in_port=2 actions=resubmit(,7),group:1']);
    expect(t.verdict).toBe('incomplete');
    // The miss itself is proven; the group's branch is not followed.
    expect(nodesOf(t.tree, 'drop')).toMatchObject([
      { reason: { code: 'table-miss' } },
      {
        reason: { code: 'ignored-may-output', text: expect.stringContaining('not followed') },
        uncertain: { code: 'unsupported-action' },
      },
    ]);
    expect(nodesOf(t.tree, 'drop')[0]!.uncertain).toBeUndefined();
  });

  it('CONTROLLER alone: the controller may send the packet on, so the drop is not proven', () => {
    const t = traceOf(['priority=5,in_port=2 actions=CONTROLLER:65535']);
    expect(t.verdict).toBe('incomplete');
    expect(nodesOf(t.tree, 'drop')).toMatchObject([
      {
        reason: { code: 'no-output', text: expect.stringContaining('but to the controller') },
        uncertain: { code: 'controller', text: expect.stringContaining(`CONTROLLER:65535 (${DUMP}:2)`) },
      },
    ]);
    expect(t.unsupported[0]).toMatchObject({ from: { file: DUMP, line: 2 } });
  });

  it('CONTROLLER beside an output: the output is as proven as without it; the controller is a branch not followed', () => {
    const t = traceOf(['priority=5,in_port=2 actions=CONTROLLER:65535,LOCAL']);
    expect(t.verdict).toBe('delivered');
    expect(nodesOf(t.tree, 'output').map((o) => o.uncertain)).toEqual([undefined]);
    expect(nodesOf(t.tree, 'drop')).toMatchObject([
      { reason: { code: 'ignored-may-output', text: expect.stringContaining('controller') } },
    ]);
  });

  it('without one, actions that output nothing are a proven drop', () => {
    const t = traceOf(['priority=5,in_port=2 actions=mod_vlan_vid:5']);
    expect(t.verdict).toBe('dropped');
    const drop = nodesOf(t.tree, 'drop')[0]!;
    expect(drop.reason).toEqual({
      code: 'no-output',
      text: 'the actions output nothing: the packet is dropped',
    });
    expect(drop.uncertain).toBeUndefined();
    expect(t.unsupported).toEqual([]);
  });

  it('the seed with `actions=dr0p` for its drop: trace exits 3 and names the action and its line', () => {
    const d = seedCase((dir) =>
      edit(
        join(dir, 'dom0/ovs-ofctl_dump-flows_xapi3'),
        'priority=2,in_port=2 actions=drop',
        'priority=2,in_port=2 actions=dr0p',
      ),
    );
    const args = [BIN, 'trace', d, '--from', 'dom0:vif16.0', '--packet', 'dhcp-discover'];
    const json = spawnSync('node', [...args, '--json'], { encoding: 'utf8' });
    expect(json.status, json.stderr).toBe(3);
    const t = JSON.parse(json.stdout);
    expect(t.verdict).toBe('incomplete');
    expect(t.unsupported).toEqual([
      {
        host: 'dom0',
        bridge: 'xapi3',
        text: expect.stringContaining('action dr0p (dom0/ovs-ofctl_dump-flows_xapi3:4) is not modelled'),
        from: { file: 'dom0/ovs-ofctl_dump-flows_xapi3', line: 4 },
      },
    ]);
    expect(t.drop).toMatchObject({
      host: 'dom0',
      bridge: 'xapi3',
      uncertain: { code: 'unsupported-action' },
    });
    const text = spawnSync('node', args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(text.status).toBe(3);
    expect(text.stdout).toContain('Verdict: INCOMPLETE');
    expect(text.stdout).toContain(
      'action dr0p (dom0/ovs-ofctl_dump-flows_xapi3:4) is not modelled (unknown action)',
    );
    expect(text.stdout).not.toContain('the packet is dropped');
  }, 60_000);
  it.each([
    'NORMAL,group:1',
    'NORMAL,bundle(eth_src,0,hrw,ofport,members:1,3)',
    'NORMAL,CONTROLLER:65535',
    'controller,NORMAL',
    'group:1,NORMAL',
  ])(
    'the seed with `actions=%s` for its drop: not a proven drop, whatever the order, and diagnose names the action',
    (acts) => {
      const d = seedCase((dir) =>
        edit(
          join(dir, 'dom0/ovs-ofctl_dump-flows_xapi3'),
          'priority=2,in_port=2 actions=drop',
          `priority=2,in_port=2 actions=${acts}`,
        ),
      );
      const t = traceCommand(readCase(d), { from: 'dom0:vif16.0', packet: 'dhcp-discover' });
      expect(t.verdict).toBe('incomplete');
      const r = diagnose(readCase(d));
      expect(r.verdict).toBe('undecided');
      const named = /controller/i.test(acts) ? /controller/i : acts.includes('group') ? 'group:1' : 'bundle(';
      expect(r.headline).toMatch(named);
      expect(r.headline).toContain('dom0/ovs-ofctl_dump-flows_xapi3:4');
    },
  );
});
