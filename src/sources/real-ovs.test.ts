// Our parsers and Snapshot against a real ovs-vswitchd 3.1 (private instance in its own network
// namespace, torn down afterwards): every output form parses, and what we read equals what OVS
// reports about itself in JSON. Hostile port names travel through untouched.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNeutronBridges } from '../lab/neutron-bridges.ts';
import { OvsInstance } from '../lab/ovs-instance.ts';
import { formatFlow } from '../openflow/flow.ts';
import { intSet, optInt, optString, type Row } from '../ovsdb/datum.ts';
import { parseConfDb } from '../parse/conf-db.ts';
import { parseDumpFlows } from '../parse/dump-flows.ts';
import { parseOfctlShow } from '../parse/ovs-ofctl-show.ts';
import { parseVsctlShow } from '../parse/ovs-vsctl-show.ts';
import { parseVsctlList } from '../parse/ovsdb-rows.ts';
import { HOSTILE_NAMES } from '../testing/hostile-names.ts';
import { readCase } from './case-dir.ts';
import { sosName } from './file-kinds.ts';

// The shared list, less the names with control characters, which `ovs-vsctl show` cannot print on one line.
const HOSTILE = HOSTILE_NAMES.filter((n) => !/[\n\t]/.test(n));
const BRIDGES = ['br-int', 'br-phys', 'br-tun', 'br-of13', 'br-hostile'];

let ovs: OvsInstance;
let dir: string;

beforeAll(async () => {
  dir = mkdtemp('vifpath-realovs-');
  ovs = await OvsInstance.start({ dir: join(dir, 'ovs'), netns: `vpr${process.pid}` });
  await buildNeutronBridges(ovs);
  await ovs.vsctl('add-br', 'br-hostile', '--', 'set', 'bridge', 'br-hostile', 'datapath_type=netdev');
  for (const [k, name] of HOSTILE.entries()) await ovs.vsctl('add-port', 'br-hostile', name, `tag=${k + 1}`);
});

afterAll(async () => {
  await ovs?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function mkdtemp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Port rows as OVS itself reports them in JSON: name → row. */
async function portTruth(): Promise<Map<string, Row>> {
  const r = parseVsctlList(await ovs.vsctl('--format=json', 'list', 'Port'), 'Port');
  expect(r.diagnostics).toEqual([]);
  return new Map(r.value.map((x) => [optString(x.row.name)!, x.row]));
}

describe('real OVS 3.1', () => {
  it('every dump-flows form of every bridge parses completely and round-trips', async () => {
    let total = 0;
    for (const br of BRIDGES) {
      const truth = (await ovs.exec(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', br, '--no-stats']))
        .stdout;
      const n = truth.split('\n').filter((l) => l.includes('actions=')).length;
      for (const form of [
        [],
        ['-O', 'OpenFlow13'],
        ['-O', 'OpenFlow15'],
        ['--names'],
        ['-O', 'OpenFlow13', '--no-stats'],
        ['--rsort'],
      ]) {
        const r = await ovs.exec(['ovs-ofctl', ...form, 'dump-flows', br]);
        const p = parseDumpFlows(r.stdout + r.stderr, { expectOutput: !form.includes('--no-stats') });
        if (br === 'br-of13' && !form.includes('OpenFlow13')) {
          // OpenFlow 1.0 cannot talk to this bridge: OVS's error, reported as such.
          expect(p.diagnostics.map((d) => d.severity)).toEqual(['ovs', 'ovs']);
          continue;
        }
        expect(p.diagnostics, `${br} ${form.join(' ')}`).toEqual([]);
        expect(p.value.flows, `${br} ${form.join(' ')}`).toHaveLength(n);
        for (const f of p.value.flows) expect(formatFlow(f.flow)).toBe(f.text);
        total += p.value.flows.length;
      }
    }
    expect(total).toBeGreaterThan(200);
  });

  it('ovs-vsctl show gives the tags and trunks OVS reports in JSON, hostile names included', async () => {
    const truth = await portTruth();
    const show = parseVsctlShow(await ovs.vsctl('show'));
    expect(show.diagnostics).toEqual([]);
    const seen = new Map<string, { tag?: number; trunks?: number[] }>();
    for (const b of show.value.bridges) for (const p of b.ports) seen.set(p.name, p);
    expect([...seen.keys()].sort()).toEqual([...truth.keys()].sort());
    for (const name of HOSTILE) expect(seen.has(name), name).toBe(true);
    for (const [name, row] of truth) {
      expect(seen.get(name)!.tag ?? null, name).toBe(optInt(row.tag));
      expect(seen.get(name)!.trunks ?? [], name).toEqual(intSet(row.trunks));
    }
  });

  it('ovs-ofctl show port numbers match the Interface ofport column', async () => {
    const ifaces = parseVsctlList(await ovs.vsctl('--format=json', 'list', 'Interface'), 'Interface').value;
    const ofport = new Map(ifaces.map((i) => [optString(i.row.name)!, optInt(i.row.ofport)]));
    for (const br of ['br-int', 'br-phys', 'br-tun']) {
      const s = parseOfctlShow(await ovs.ofctl('show', br));
      expect(s.diagnostics).toEqual([]);
      for (const p of s.value.ports) {
        if (p.ofport === 'LOCAL') continue;
        const full = [...ofport.keys()].find(
          (n) => n === p.name || (p.name.length === 15 && n.startsWith(p.name)),
        );
        expect(full, p.name).toBeDefined();
        expect(ofport.get(full!)).toBe(p.ofport);
      }
    }
  });

  it('conf.db read offline gives the same ports and tags as the live database', async () => {
    const truth = await portTruth();
    // Compaction rewrites the log; read it both before and after.
    for (const step of ['log', 'compacted']) {
      if (step === 'compacted') await ovs.ok(['ovs-appctl', '-t', 'ovsdb-server', 'ovsdb-server/compact']);
      const { readFileSync } = await import('node:fs');
      const db = parseConfDb(readFileSync(ovs.db));
      expect(db.diagnostics, step).toEqual([]);
      const ports = [...db.value.tables.get('Port')!.values()];
      expect(ports.map((p) => optString(p.name)).sort(), step).toEqual([...truth.keys()].sort());
      for (const p of ports)
        expect(optInt(p.tag), `${step} ${optString(p.name)}`).toBe(
          optInt(truth.get(optString(p.name)!)!.tag),
        );
    }
  });

  it('a case collected from the live instance becomes a Snapshot equal to the JSON truth', async () => {
    const truth = await portTruth();
    const caseDir = mkdtemp('vifpath-case-');
    const host = join(caseDir, 'host1/sos_commands/openvswitch');
    mkdirSync(host, { recursive: true });
    const cmds = [
      ['ovs-vsctl', '-t', '5', 'show'],
      ['ovs-vsctl', '-t', '5', 'list', 'port'],
      ['ovs-vsctl', '-t', '5', 'list', 'interface'],
      ['ovs-vsctl', '-t', '5', 'list', 'bridge'],
    ];
    for (const br of BRIDGES)
      cmds.push(['ovs-ofctl', 'show', br], ['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', br]);
    for (const argv of cmds) {
      const r = await ovs.exec(argv);
      writeFileSync(join(host, sosName(argv)), r.stdout + r.stderr);
    }
    try {
      const snap = readCase(caseDir);
      const h = snap.hosts[0]!;
      expect(h.bridges.map((b) => b.name).sort()).toEqual([...BRIDGES].sort());
      for (const b of h.bridges)
        for (const p of b.ports) {
          const row = truth.get(p.name);
          expect(row, p.name).toBeDefined();
          expect(p.tag).toMatchObject({ known: true, value: optInt(row!.tag) });
          expect(p.vlanMode.known).toBe(true);
        }
      const brInt = h.bridges.find((b) => b.name === 'br-int')!;
      expect(brInt.flows.known && brInt.flows.value.entries.length).toBe(35);
      expect(brInt.failMode).toMatchObject({ known: true, value: 'secure' });
    } finally {
      rmSync(caseDir, { recursive: true, force: true });
    }
  });
});
