// The CLI as users run it: the bin script in a child process, exit codes and output streams.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const run = (...args: string[]) =>
  spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('vifpath snapshot', () => {
  it('--json shows the seed facts the foundation issue names', () => {
    const j = JSON.parse(execFileSync('node', [BIN, 'snapshot', SEED_CASE, '--json'], { encoding: 'utf8' }));
    const dom0 = j.hosts.find((h: { name: string }) => h.name === 'dom0');
    const xapi5 = dom0.bridges.find((b: { name: string }) => b.name === 'xapi5');
    const vif = xapi5.ports.find((p: { name: string }) => p.name === 'vif16.0');
    expect(vif.tag).toMatchObject({ known: true, value: null });
    const patch = xapi5.ports.find((p: { name: string }) => p.name === 'int-xapi3').interfaces[0];
    expect(patch.type.value).toBe('patch');
    expect(patch.options.value.peer).toBe('phy-xapi3');
    const xapi3 = dom0.bridges.find((b: { name: string }) => b.name === 'xapi3');
    expect(
      xapi3.flows.value.entries.map(
        (e: { flow: { stats: { n_packets: number } } }) => e.flow.stats.n_packets,
      ),
    ).toEqual([42917, 31, 7]);
    const domu = j.hosts.find((h: { name: string }) => h.name === 'domu');
    expect(domu.bridges.find((b: { name: string }) => b.name === 'br-int').flows.value.entries).toHaveLength(
      5,
    );
    const ns = domu.namespaces.find(
      (n: { name: string }) => n.name === 'qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7',
    );
    const tap = ns.devices.find((d: { name: string }) => d.name === 'tap7b39ecad-81');
    expect(tap.addresses[0]).toMatchObject({ address: '10.0.0.2', prefixlen: 24 });
  });

  it('text output lists ports with "no tag", flows with counters and the namespace tap', () => {
    const r = run('snapshot', SEED_CASE);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/port vif16\.0 +no tag/);
    expect(r.stdout).toContain('table=0 priority=2,in_port=2 actions=drop  n_packets=7 n_bytes=799');
    expect(r.stdout).toMatch(/tap7b39ecad-81 +UP +fa:16:3e:e3:46:c1 10\.0\.0\.2\/24/);
    expect(r.stderr).toBe('');
  });

  it('corrupt input: one line on stderr naming file and line, exit 2, no stack trace', () => {
    const d = mkdtempSync(join(tmpdir(), 'vifpath-cli-'));
    try {
      cpSync(SEED_CASE, d, { recursive: true });
      writeFileSync(join(d, 'domu/ovs-ofctl_show_br-int'), Buffer.from([0x4f, 0x46, 0x00, 0xff, 0x10]));
      const r = run('snapshot', d);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^vifpath: domu\/ovs-ofctl_show_br-int:1: /);
      const lenient = run('snapshot', d, '--lenient');
      expect(lenient.status).toBe(0);
      expect(lenient.stdout).toContain('corrupt: domu/ovs-ofctl_show_br-int:1');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2; --help exits 0', () => {
    expect(run('snapshot').status).toBe(2);
    expect(run('no-such-command').status).toBe(2);
    expect(run('--help').status).toBe(0);
  });
});

describe('a big flow dump (read as an index by diagnose and trace)', () => {
  it('a broken line no trace reaches: diagnose gives the seed verdict and says the lines were not all checked; snapshot refuses it naming file and line; a broken line on the path: exit 2 naming it', () => {
    const d = mkdtempSync(join(tmpdir(), 'vifpath-cli-big-'));
    try {
      cpSync(SEED_CASE, d, { recursive: true });
      const f = join(d, 'dom0', 'ovs-ofctl_dump-flows_xapi3');
      const seed = readFileSync(f, 'utf8');
      // 4 MB and more of per-port flows in a table the seed's packets never visit, one broken.
      const filler = Array.from(
        { length: 40_000 },
        (_, i) =>
          ` cookie=0x0, duration=5.1s, table=60, n_packets=0, n_bytes=0, priority=100,in_port=${i + 20} actions=load:0x${(i + 20).toString(16)}->NXM_NX_REG5[],resubmit(,71)`,
      );
      filler[20_000] = filler[20_000]!.replace('NXM_NX_REG5[]', 'NXM_NX');
      const brokenLine = seed.split('\n').length + 20_000;
      writeFileSync(f, `${seed}${filler.join('\n')}\n`);
      const diag = run('diagnose', d);
      expect(diag.stderr).toBe('');
      expect(diag.status).toBe(1);
      expect(diag.stdout).toMatch(/^PROBLEM: vif16.0 has no VLAN tag/);
      expect(diag.stdout).toMatch(
        /40,00\d flows \(\d+ MB\): each flow is parsed and checked when a trace looks it up/,
      );
      const snap = run('snapshot', d);
      expect(snap.status).toBe(2);
      expect(snap.stderr).toContain(`dom0/ovs-ofctl_dump-flows_xapi3:${brokenLine}:`);
      // The same line in table 0, on the DISCOVER's path (in_port=2): diagnose reaches it.
      writeFileSync(
        f,
        `${seed}${filler.map((l, i) => (i === 20_000 ? l.replace('table=60', 'table=0').replace(/in_port=\d+/, 'in_port=2') : l)).join('\n')}\n`,
      );
      const onPath = run('diagnose', d);
      expect(onPath.status).toBe(2);
      expect(onPath.stderr.trim().split('\n')).toHaveLength(1);
      expect(onPath.stderr).toContain(`dom0/ovs-ofctl_dump-flows_xapi3:${brokenLine}:`);
      expect(onPath.stdout).toBe('');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
