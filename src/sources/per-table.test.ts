// Per-table flow dumps (`ovs-ofctl dump-flows <br> table=N`, one file a table; fixtures/per-table/
// PROVENANCE.md): each is a table of its bridge, never a bridge of its own, and a bridge's tables
// are merged into one flow table that knows which tables it holds. A lookup in a table it holds is
// judged as in a whole dump; in any other table it is unknown (excerpt, naming the table to
// collect). A whole dump of the bridge wins over per-table ones.
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSnapshot } from '../cli/format-snapshot.ts';
import { traceCommand } from '../dataplane/run.ts';
import { nodesOf } from '../dataplane/tree.ts';
import { type BridgeFlows, findBridge, type Snapshot } from '../model/snapshot.ts';
import { cleanupCases, tmpCase } from '../testing/case-edits.ts';
import { ROOT } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';
import { classify } from './file-kinds.ts';
import { filteredName } from './filtered-name.ts';
import { BRIDGE_DUMP_UNUSED } from './host-builder.ts';

afterAll(cleanupCases);

const FIX = join(ROOT, 'src/sources/fixtures/per-table');
const DVR = join(FIX, 'cn-dvr-vxlan');
const C4N = join(FIX, 'compass4nfv-vxlan');
const JUNO = join(FIX, 'cn-dvr-juno-compute');
const id = (x: string): string => x;
const colors = { bold: id, dim: id, red: id, yellow: id, green: id };

const flowsOf = (s: Snapshot, host: string, bridge: string): BridgeFlows => {
  const f = findBridge(s.hosts.find((h) => h.name === host)!, bridge)!.flows;
  if (!f.known) throw new Error(`${host}:${bridge}: no flows`);
  return f.value;
};
const held = (f: BridgeFlows) => f.tables?.map((t) => t.table);
const discover = (s: Snapshot) => traceCommand(s, { from: 'host5:qvobb09acdf-a4', packet: 'dhcp-discover' });
/** compass4nfv-vxlan, changed. */
const compass = (change: (d: string) => void): string => {
  const d = tmpCase();
  cpSync(C4N, d, { recursive: true });
  change(d);
  return d;
};
const BR_TUN = (n: number) => `ovs-ofctl_dump-flows_br-tun_table_${n}`;

describe('filteredName: one table after dump-flows', () => {
  it.each([
    // as typed (the reviewer's cn-dvr-vxlan), as sos writes it, and what ovs-ofctl also takes
    ['br-int_table=0', 'br-int', 0],
    ['br-tun_table=20', 'br-tun', 20],
    ['br-tun_table_22', 'br-tun', 22],
    ['br-tun_table:4', 'br-tun', 4],
    ['br-tun_table(9)', 'br-tun', 9],
    // refused by ovs-ofctl, but a name typed for the command: the flows decide (readers.ts)
    ['br-int_table 0', 'br-int', 0],
    ['br-int_--table=0', 'br-int', 0],
    ['xapi3_table_0', 'xapi3', 0],
    // OpenFlow's "all tables"
    ['br-int_table=255', 'br-int', 255],
  ] as const)('%s', (operand, before, table) => {
    expect(filteredName(operand, true)).toEqual({ before, filter: `table=${table}`, how: 'match', table });
  });
  it('`--table 0` typed as if an option (ovs-ofctl has none): kept with the bridge, read as table 0', () => {
    // Was: `_--table_0` taken for an option of dump-flows, the file for br-int's whole dump.
    expect(classify('ovs-ofctl_dump-flows_br-int_--table_0')).toMatchObject({ bridge: 'br-int_--table_0' });
    expect(filteredName('br-int_--table_0', true)?.table).toBe(0);
    expect(classify('ovs-ofctl_dump-flows_br-int_--no-stats')).toMatchObject({
      bridge: 'br-int',
      noStats: true,
    });
  });
  it('a table and more: that table, filtered by the rest (an excerpt of the table)', () => {
    // Was: a flow match with no table of its own (an excerpt of the whole bridge).
    expect(filteredName('br-int_table=0,in_port=2', true)).toEqual({
      before: 'br-int',
      filter: 'table=0,in_port=2',
      how: 'match',
      table: 0,
      cut: 'in_port=2',
    });
    expect(filteredName('br-int_table_0_in_port_2', true)).toEqual({
      before: 'br-int',
      filter: 'table=0,in_port=2',
      how: 'match',
      table: 0,
      cut: 'in_port=2',
    });
  });
  it('not after ovs-ofctl show, not a table number', () => {
    expect(filteredName('br-int_table=0', false)).toBeUndefined();
    expect(filteredName('br-int_table=foo', true)?.table).toBeUndefined();
  });
});

describe('cn-dvr-vxlan: files named `ovs-ofctl dump-flows br-int table=0` as typed', () => {
  const s = readCase(DVR);
  it('no phantom bridge: node2 has br-ex, br-int, br-tun; node3 br-int, br-tun', () => {
    // Was: eleven bridges br-int_table=0, br-tun_table=20, …, each flow table COMPLETE.
    const names = (h: string) =>
      s.hosts
        .find((x) => x.name === h)!
        .bridges.map((b) => b.name)
        .sort();
    expect(names('node2')).toEqual(['br-ex', 'br-int', 'br-tun']);
    expect(names('node3')).toEqual(['br-int', 'br-tun']);
    expect(s.hosts.flatMap((h) => h.gaps).join('\n')).not.toMatch(/table[=_]\d/);
  });
  it('each bridge knows which tables it holds, each flow its file and line', () => {
    const tun = flowsOf(s, 'node2', 'br-tun');
    expect(held(tun)).toEqual([0, 1, 2, 20]);
    expect(tun.complete).toBe(false);
    expect(tun.tables!.every((t) => t.complete)).toBe(true);
    expect(tun.entries.map((e) => e.flow.table)).toEqual([
      0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 20, 20, 20, 20, 20, 20,
    ]);
    const t20 = tun.entries.find((e) => e.flow.table === 20)!;
    // Line 1 is the file's NXST_FLOW header.
    expect(t20.from).toEqual({ file: 'node2/ovs-ofctl_dump-flows_br-tun_table=20', line: 2 });
    expect(tun.tables!.find((t) => t.table === 2)!.file).toBe('node2/ovs-ofctl_dump-flows_br-tun_table=2');
    expect(held(flowsOf(s, 'node2', 'br-int'))).toEqual([0, 25]);
    expect(held(flowsOf(s, 'node3', 'br-tun'))).toEqual([0, 4, 9]);
    // A whole dump is still a whole dump.
    const ex = flowsOf(s, 'node2', 'br-ex');
    expect(ex.tables).toBeUndefined();
    expect(ex.complete).toBe(true);
  });
  it('snapshot: the tables held, the others UNKNOWN; the gap names the whole dump to collect', () => {
    const text = formatSnapshot(s, colors);
    expect(text).toContain(
      '  bridge br-tun  fail_mode ?\n    flows: 20 of tables 0, 1, 2, 20 from per-table dumps; other tables UNKNOWN\n      table 0: node2/ovs-ofctl_dump-flows_br-tun_table=0\n',
    );
    expect(text).not.toMatch(/bridge br-\w+_table/);
    expect(s.hosts.find((h) => h.name === 'node2')!.gaps).toContain(
      "bridge br-tun: flows of tables 0, 1, 2, 20 only (per-table dumps): any other table's flows are unknown (collect the whole `ovs-ofctl -O OpenFlow13 dump-flows br-tun`)",
    );
    expect(s.diagnostics.filter((d) => d.code === 'per-table').map((d) => d.file)).toEqual([
      'node2/ovs-ofctl_dump-flows_br-int_table=0',
      'node2/ovs-ofctl_dump-flows_br-tun_table=0',
      'node3/ovs-ofctl_dump-flows_br-int_table=0',
      'node3/ovs-ofctl_dump-flows_br-tun_table=0',
    ]);
  });
});

describe('compass4nfv-vxlan: host5 br-tun printed table by table (`…_br-tun_table_N`)', () => {
  it('merged: tables 0, 2, 3, 4, 6, 10, 20, 22 of one br-tun, not alternatives', () => {
    const s = readCase(C4N);
    const tun = flowsOf(s, 'host5', 'br-tun');
    expect(held(tun)).toEqual([0, 2, 3, 4, 6, 10, 20, 22]);
    expect(tun.entries).toHaveLength(16);
    expect(tun.alternatives).toEqual([]);
    expect(s.hosts.find((h) => h.name === 'host5')!.excerpts ?? []).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ of: 'flows' })]),
    );
  });
  it('the DISCOVER passes table 2 (was: "no flow of table 2 in the dump matches") to table 22 and the tunnels', () => {
    const t = discover(readCase(C4N));
    const tables = nodesOf(t.tree, 'table').filter((n) => n.host === 'host5' && n.bridge === 'br-tun');
    expect(tables.map((n) => [n.table, n.flow?.from])).toEqual([
      [0, { file: 'host5/ovs-ofctl_dump-flows_br-tun_table_0', line: 1 }],
      [2, { file: 'host5/ovs-ofctl_dump-flows_br-tun_table_2', line: 2 }],
      [22, { file: 'host5/ovs-ofctl_dump-flows_br-tun_table_22', line: 1 }],
    ]);
    const tunnels = nodesOf(t.tree, 'tunnel').filter((n) => n.from.host === 'host5');
    expect(tunnels.map((n) => n.from.port).sort()).toEqual(['vxlan-ac100101', 'vxlan-ac100104']);
    // Nothing on host5's br-tun rests on a table the case lacks.
    expect(t.uncertain.map((u) => u.text).join('\n')).not.toMatch(/host5:br-tun/);
  });
  it('a table no file holds: the trace stops there, incomplete, asking for that table', () => {
    const d = compass((x) => rmSync(join(x, 'host5', BR_TUN(22))));
    const t = discover(readCase(d));
    expect(t.verdict).toBe('incomplete');
    const miss = nodesOf(t.tree, 'table').find((n) => n.host === 'host5' && n.table === 22)!;
    expect(miss.tableUnknown).toBe(true);
    const drop = t.drops.find((x) => x.host === 'host5' && x.bridge === 'br-tun')!;
    expect(drop.reason.text).toBe('table 22 is in no per-table dump of the case: its flows are unknown');
    expect(drop.uncertain).toEqual({
      code: 'excerpt',
      text: "host5:br-tun: table 22 is in none of the case's per-table dumps of br-tun (tables 0, 2, 3, 4, 6, 10, 20): its flows are unknown",
      remedy: 'ovs-ofctl -O OpenFlow13 dump-flows br-tun table=22   # on host5',
    });
  });
  it('a table whose own dump is an excerpt (`...`): a miss there is not proven, the table asked for', () => {
    const d = compass((x) => {
      const f = join(x, 'host5', BR_TUN(2));
      writeFileSync(f, `${readFileSync(f, 'utf8').split('\n')[0]}\n...\n`);
    });
    const s = readCase(d);
    expect(flowsOf(s, 'host5', 'br-tun').tables!.find((t) => t.table === 2)!.complete).toBe(false);
    const t = discover(s);
    const drop = t.drops.find((x) => x.host === 'host5' && x.bridge === 'br-tun')!;
    expect(drop.table).toBe(2);
    expect(drop.uncertain).toEqual({
      code: 'excerpt',
      text: 'host5:br-tun: the dump of table 2, host5/ovs-ofctl_dump-flows_br-tun_table_2, is an excerpt (lines left out at line 2): flows of table 2 may be missing',
      remedy: 'ovs-ofctl -O OpenFlow13 dump-flows br-tun table=2   # on host5: the whole table',
    });
  });
  it('a table a file holds: a miss there is a real miss (OVS drops it), proven', () => {
    // Table 22 without its VLAN 1 flood flow: the broadcast misses... and the default drop takes it.
    const d = compass((x) => {
      const f = join(x, 'host5', BR_TUN(22));
      writeFileSync(f, readFileSync(f, 'utf8').split('\n').slice(1).join('\n'));
    });
    const t = discover(readCase(d));
    const drop = t.drops.find((x) => x.host === 'host5' && x.bridge === 'br-tun')!;
    expect(drop.table).toBe(22);
    expect(drop.flow).toBe('priority=0 actions=drop');
    expect(drop.uncertain).toBeUndefined();
  });
  it('a whole dump of the bridge wins; the per-table files are said, not read', () => {
    const d = compass((x) => {
      const dir = join(x, 'host5');
      const parts = readdirSync(dir)
        .filter((n) => n.startsWith('ovs-ofctl_dump-flows_br-tun_table_'))
        .sort((a, b) => Number(a.split('_').pop()) - Number(b.split('_').pop()));
      writeFileSync(
        join(dir, 'ovs-ofctl_dump-flows_br-tun'),
        `NXST_FLOW reply (xid=0x4):\n${parts.map((n) => readFileSync(join(dir, n), 'utf8')).join('')}`,
      );
    });
    const s = readCase(d);
    const tun = flowsOf(s, 'host5', 'br-tun');
    expect(tun.tables).toBeUndefined();
    expect(tun.complete).toBe(true);
    expect(tun.file).toBe('host5/ovs-ofctl_dump-flows_br-tun');
    const said = s.diagnostics.filter((x) => x.code === 'filtered' && x.file.startsWith('host5/'));
    expect(said).toHaveLength(8);
    expect(said[0]!.message).toMatch(
      /^not read: table \d+ of `ovs-ofctl dump-flows br-tun` alone .*; host5\/ovs-ofctl_dump-flows_br-tun is the bridge's whole dump, read instead$/,
    );
  });
  it('a file named for one table that holds another: not that table, read as an excerpt', () => {
    const d = compass((x) => {
      const dir = join(x, 'host5');
      writeFileSync(join(dir, BR_TUN(3)), readFileSync(join(dir, BR_TUN(0)), 'utf8'));
    });
    const s = readCase(d);
    const tun = flowsOf(s, 'host5', 'br-tun');
    expect(held(tun)).toEqual([0, 2, 4, 6, 10, 20, 22]);
    expect(s.diagnostics.find((x) => x.code === 'filtered' && x.file.startsWith('host5/'))).toMatchObject({
      file: `host5/${BR_TUN(3)}`,
      line: 1,
      severity: 'warning',
    });
  });
});

// review6 #4: dvr-compute1's `ovs-ofctl dump-flows br-tun` is the author's excerpt (two table-1
// flows between `。。。` lines), beside the tables 0, 1, 2, 20 he printed one by one. Read with
// --lenient: the excerpt's header and elisions are said, and it is not whole either way.
describe('cn-dvr-juno-compute: the bridge dump is an excerpt beside per-table dumps', () => {
  const TUN = 'dvr-compute1/ovs-ofctl_dump-flows_br-tun';
  const juno = (change: (d: string) => void): string => {
    const d = tmpCase();
    cpSync(JUNO, d, { recursive: true });
    change(d);
    return d;
  };
  const fromPatch = (s: Snapshot) =>
    traceCommand(s, { from: 'dvr-compute1:patch-int', packet: 'dhcp-discover,dl_vlan=1' });
  it('the per-table dumps are read, each table whole; the excerpt displaces none (was: "not read: … the bridge\'s whole dump")', () => {
    const s = readCase(JUNO, { lenient: true });
    const tun = flowsOf(s, 'dvr-compute1', 'br-tun');
    expect(held(tun)).toEqual([0, 1, 2, 20]);
    expect(tun.tables!.every((t) => t.complete && !t.bridgeDump)).toBe(true);
    expect(tun.entries).toHaveLength(20);
    expect(tun.alternatives).toEqual([{ file: TUN, why: BRIDGE_DUMP_UNUSED }]);
    const notes = s.diagnostics.filter((d) => d.file.startsWith('dvr-compute1/ovs-ofctl_dump-flows_br-tun'));
    expect(notes.map((d) => d.message).join('\n')).not.toMatch(/whole dump|not read: table/);
    expect(notes.find((d) => d.code === 'per-table')?.message).toMatch(
      /: tables 0, 1, 2, 20 as dumped; dvr-compute1\/ovs-ofctl_dump-flows_br-tun, the bridge's dump, is (an excerpt|incomplete \(cut short or unreadable lines\)): every table it shows is read from that table's own dump; any other table unknown$/,
    );
  });
  it("the trace from patch-int takes the table files' flows to table 22, which no file holds", () => {
    const t = fromPatch(readCase(JUNO, { lenient: true }));
    const tables = nodesOf(t.tree, 'table').filter((n) => n.host === 'dvr-compute1' && n.bridge === 'br-tun');
    expect(tables.map((n) => [n.table, n.flow?.from])).toEqual([
      [0, { file: `${TUN}_table=0`, line: 2 }],
      [1, { file: `${TUN}_table=1`, line: 7 }],
      [2, { file: `${TUN}_table=2`, line: 2 }],
      [22, undefined],
    ]);
    expect(tables.at(-1)!.tableUnknown).toBe(true);
    expect(t.verdict).toBe('incomplete');
  });
  it('a table only the excerpt shows: merged, not whole; a miss there is not proven', () => {
    // Its elisions as `...` (the reviewer's _ctl2): both of its table-1 flows read, whatever
    // becomes of `。。。`.
    const s = readCase(
      juno((d) => {
        rmSync(join(d, `${TUN}_table=1`));
        const f = join(d, TUN);
        writeFileSync(f, readFileSync(f, 'utf8').replaceAll('。。。', '...').replace(': \n', ':\n'));
      }),
      { lenient: true },
    );
    const tun = flowsOf(s, 'dvr-compute1', 'br-tun');
    expect(tun.tables!.map((t) => [t.table, t.file, t.complete, t.bridgeDump ?? false])).toEqual([
      [0, `${TUN}_table=0`, true, false],
      [1, TUN, false, true],
      [2, `${TUN}_table=2`, true, false],
      [20, `${TUN}_table=20`, true, false],
    ]);
    expect(tun.alternatives).toEqual([]);
    expect(s.hosts.find((h) => h.name === 'dvr-compute1')!.gaps).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^bridge br-tun: flows of tables 0, 2, 20 only \(per-table dumps; table 1 only from the bridge's dump, /,
        ),
      ]),
    );
    // The DISCOVER is no arp: the excerpt's table-1 flows miss it, which proves nothing.
    const t = fromPatch(s);
    const drop = t.drops.find((x) => x.host === 'dvr-compute1' && x.bridge === 'br-tun')!;
    expect(drop.table).toBe(1);
    expect(drop.uncertain?.text).toMatch(
      /^dvr-compute1:br-tun: the bridge's dump dvr-compute1\/ovs-ofctl_dump-flows_br-tun, which alone shows table 1, is (an excerpt|incomplete)/,
    );
    expect(t.verdict).toBe('incomplete');
  });
  it('a whole dump of the bridge still displaces them', () => {
    const d = juno((x) =>
      writeFileSync(
        join(x, TUN),
        `NXST_FLOW reply (xid=0x4):\n${[0, 1, 2, 20].map((n) => readFileSync(join(x, `${TUN}_table=${n}`), 'utf8')).join('')}`,
      ),
    );
    const s = readCase(d, { lenient: true });
    const tun = flowsOf(s, 'dvr-compute1', 'br-tun');
    expect(tun.tables).toBeUndefined();
    expect(tun.complete).toBe(true);
    expect(
      s.diagnostics
        .filter((x) => x.code === 'filtered' && x.file.startsWith('dvr-compute1/'))
        .map((x) => x.message),
    ).toHaveLength(4);
  });
});

describe('the seed with `ovs-ofctl dump-flows xapi3 table=0` (fixtures/filtered-names/seed-table0)', () => {
  it('the DISCOVER dies in table 0, which the file holds whole: dropped, proven (was: undecided)', () => {
    const s = readCase(join(ROOT, 'src/sources/fixtures/filtered-names/seed-table0'));
    const t = traceCommand(s, { from: 'dom0:vif16.0', packet: 'dhcp-discover', mac: 'fa:16:3e:11:22:33' });
    expect(t.verdict).toBe('dropped');
    expect(t.drop).toMatchObject({
      host: 'dom0',
      bridge: 'xapi3',
      table: 0,
      flow: 'priority=2,in_port=2 actions=drop',
    });
    expect(t.drop!.uncertain).toBeUndefined();
  });
});
