// Live multi-point capture on a real lab: where the seed's DISCOVER stops, and a point whose
// interface appears only after the capture started (the new VM's vif in the seed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, Lab } from '../lab/lab.ts';
import { execOk } from '../runner/exec.ts';
import { LocalRunner, NETNS } from '../runner/runner.ts';
import { ROOT } from '../testing/fixtures.ts';
import { captureLive } from './live.ts';

const dir = `/tmp/vifpath-test-live-capture-${process.pid}`;
let lab: Lab;
let out: string;

beforeAll(async () => {
  lab = await Lab.up({ dir, scenario: 'seed-missing-tag', dhcpTimeout: 2 });
  out = mkdtempSync(join(tmpdir(), 'vifpath-live-cap-'));
});
afterAll(async () => {
  await down(dir);
  rmSync(out, { recursive: true, force: true });
});

describe('capture live', () => {
  it('says where the seed exchange stops: at the VM and Dom0, never in DomU', () => {
    const r = spawnSync(
      'node',
      [
        join(ROOT, 'bin/vifpath.mjs'),
        'capture',
        'live',
        '--lab',
        dir,
        '--renew',
        '--point',
        'vm:eth0',
        'dom0:vif16.0',
        'domu:eth1',
        'qdhcp:tap7b39ecad-81',
        '-o',
        out,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /DISCOVER x\d+ seen at vm:eth0, dom0:vif16\.0; never at domu:eth1, qdhcp:tap7b39ecad-81/,
    );
  }, 60_000);

  // --vm: the points come from the hosts themselves; before the fix below.
  it('the seed: DISCOVERs at the VM and its vif, never at the DHCP tap; the drop flow counted them', () => {
    const r = spawnSync(
      'node',
      [
        join(ROOT, 'bin/vifpath.mjs'),
        'capture',
        'live',
        '--vm',
        'vif16.0',
        'lab:dom0',
        'lab:domu',
        'lab:vm',
        '--lab-dir',
        dir,
        '--renew',
        '--path',
        '--seconds',
        '8',
        '-o',
        join(out, 'auto'),
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(1);
    const a = JSON.parse(r.stdout) as {
      points: string[];
      exchanges: { sightings: { type: string; point: string }[] }[];
      flows: {
        direction: string;
        host: string;
        bridge: string;
        rule: string;
        before?: number;
        after?: number;
      }[];
    };
    expect(a.points).toEqual(['dom0:vif16.0', 'vm:eth0', 'domu:tap7b39ecad-81']);
    const seen = new Set(
      a.exchanges.flatMap((e) => e.sightings.filter((s) => s.type === 'DISCOVER').map((s) => s.point)),
    );
    expect(seen).toEqual(new Set(['dom0:vif16.0', 'vm:eth0']));
    const drop = a.flows.find((f) => f.direction === 'DISCOVER' && f.rule.endsWith('actions=drop'))!;
    expect(drop).toMatchObject({ host: 'dom0', bridge: 'xapi3', rule: 'priority=2,in_port=2 actions=drop' });
    expect(drop.after! - drop.before!).toBeGreaterThan(0);
  }, 90_000);

  it('after the fix, the whole exchange is seen at every point', async () => {
    await execOk(lab.wrap('dom0', ['ovs-vsctl', 'set', 'port', 'vif16.0', 'tag=1']));
    const points = ['vm:eth0', 'dom0:vif16.0', 'domu:eth1', 'qdhcp:tap7b39ecad-81'].map((p) => {
      const [h, dev] = p.split(':') as ['vm' | 'dom0' | 'domu' | 'qdhcp', string];
      return { name: p, runner: new LocalRunner(NETNS(lab.ns(h))), dev };
    });
    const a = await captureLive(points, {
      dir: out,
      seconds: 10,
      during: async () => void (await lab.renew()),
    });
    const e = a.exchanges.find((x) => x.lease)!;
    expect(e.lease).toBe('10.0.0.3');
    for (const t of ['DISCOVER', 'OFFER', 'REQUEST', 'ACK'])
      expect(new Set(e.sightings.filter((s) => s.type === t).map((s) => s.point))).toEqual(
        new Set(points.map((p) => p.name)),
      );
    expect(e.sightings.filter((s) => s.point === 'domu:eth1').every((s) => s.vlan === 1041)).toBe(true);
  }, 60_000);

  it('keeps retrying a point until its interface exists', async () => {
    const ns = lab.ns('vm');
    const make = (async () => {
      await new Promise((r) => setTimeout(r, 1500));
      await execOk([
        'ip',
        'netns',
        'exec',
        ns,
        'ip',
        'link',
        'add',
        'late0',
        'type',
        'veth',
        'peer',
        'name',
        'late1',
      ]);
      await execOk(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'late0', 'up']);
      await execOk(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'late1', 'up']);
    })();
    const a = await captureLive([{ name: 'vm:late0', runner: new LocalRunner(NETNS(ns)), dev: 'late0' }], {
      dir: out,
      seconds: 4,
    });
    await make;
    expect(a.missed).toEqual([]);
    expect(a.files).toHaveLength(1);
  }, 30_000);
});
