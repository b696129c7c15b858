// A per-table dump that was also filtered (`ovs-ofctl dump-flows br-tun table=2 | grep 0x1b`, saved
// as `…_br-tun_table=2_grep_0x1b`): table 2 of br-tun, an excerpt of that table. Never a bridge
// `br-tun_table=2` (fixtures/filtered-names/PROVENANCE.md: datacentred-gre-dhcp).
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { traceCommand } from '../dataplane/run.ts';
import { findBridge, findExcerpt } from '../model/snapshot.ts';
import { cleanupCases, tmpCase } from '../testing/case-edits.ts';
import { ROOT } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';

afterAll(cleanupCases);

const DC = join(ROOT, 'src/sources/fixtures/filtered-names/datacentred-gre-dhcp');
const C4N = join(ROOT, 'src/sources/fixtures/per-table/compass4nfv-vxlan');
const T2 = 'osnet0/ovs-ofctl_dump-flows_br-tun_table=2_grep_0x1b';
const T21 = 'osnet0/ovs-ofctl_dump-flows_br-tun_table=21_grep_0x1b';

describe('datacentred osnet0: `dump-flows br-tun table=2 | grep 0x1b` and table=21 likewise', () => {
  const s = readCase(DC);
  const h = s.hosts.find((x) => x.name === 'osnet0')!;
  it('tables 2 and 21 of br-tun, neither whole (was: bridges br-tun_table=2 and br-tun_table=21)', () => {
    expect(h.bridges.map((b) => b.name)).toEqual(['br-tun']);
    const f = findBridge(h, 'br-tun')!.flows;
    expect(f.known && f.value.complete).toBe(false);
    expect(f.known && f.value.tables).toEqual([
      { table: 2, file: T2, complete: false },
      { table: 21, file: T21, complete: false },
    ]);
    expect(f.known && f.value.entries.map((e) => [e.flow.table, e.from.file])).toEqual([
      [2, T2],
      [21, T21],
    ]);
  });
  it('each an excerpt of its table, filtered by `grep 0x1b`: the whole table asked for', () => {
    expect(h.excerpts?.filter((x) => x.of === 'flows')).toEqual([
      {
        of: 'flows',
        bridge: 'br-tun',
        file: T21,
        line: 1,
        filter: 'grep 0x1b',
        collect: 'ovs-ofctl -O OpenFlow13 dump-flows br-tun table=21',
      },
      {
        of: 'flows',
        bridge: 'br-tun',
        file: T2,
        line: 1,
        filter: 'grep 0x1b',
        collect: 'ovs-ofctl -O OpenFlow13 dump-flows br-tun table=2',
      },
    ]);
    expect(findExcerpt(h, 'flows', 'br-tun')).toBeDefined();
    // (its `ovs-vsctl show | grep -A1 tap…` gives a gap of its own)
    expect(h.gaps).toEqual(
      expect.arrayContaining([
        `${T21} is filtered (\`grep 0x1b\`): what it does not show is unknown (collect the whole \`ovs-ofctl -O OpenFlow13 dump-flows br-tun table=21\`)`,
        `${T2} is filtered (\`grep 0x1b\`): what it does not show is unknown (collect the whole \`ovs-ofctl -O OpenFlow13 dump-flows br-tun table=2\`)`,
        "bridge br-tun: flows of tables 2, 21 only (per-table dumps; tables 2, 21 incomplete): any other table's flows are unknown (collect the whole `ovs-ofctl -O OpenFlow13 dump-flows br-tun`)",
      ]),
    );
    const said = s.diagnostics.filter((d) => d.file === T2).map((d) => d.message);
    expect(said).toContain(
      "read as an excerpt of table 2 of `ovs-ofctl dump-flows br-tun`: `table=2 | grep 0x1b` after the bridge's name is the one table it dumps, filtered by `grep 0x1b`, not a bridge (the case has no bridge br-tun_table=2_grep_0x1b); what it does not show of table 2 is unknown",
    );
    const all = [...h.gaps, ...s.diagnostics.map((x) => x.message)].join('\n');
    expect(all).not.toMatch(/bridge br-tun_table=\d+(?![\d_])|dump-flows br-tun_table/);
  });
});

describe('compass4nfv host5: table 2 piped through grep (an edit: the name and the lines grep keeps)', () => {
  it('the DISCOVER misses what grep left in table 2: not proven, table 2 asked for', () => {
    // host5's table 2 holds a unicast and a broadcast flow; `grep 9495` (n_bytes of the first)
    // keeps the unicast one only. Was: a bridge br-tun_table=2 of its own, host5's br-tun without it.
    const d = tmpCase();
    cpSync(C4N, d, { recursive: true });
    const from = join(d, 'host5', 'ovs-ofctl_dump-flows_br-tun_table_2');
    const to = join(d, 'host5', 'ovs-ofctl_dump-flows_br-tun_table=2_grep_9495');
    writeFileSync(from, `${readFileSync(from, 'utf8').split('\n')[0]}\n`);
    renameSync(from, to);
    const s = readCase(d);
    const h5 = s.hosts.find((x) => x.name === 'host5')!;
    expect(h5.bridges.map((b) => b.name).sort()).toEqual(['br-int', 'br-tun']);
    const f = findBridge(h5, 'br-tun')!.flows;
    expect(f.known && f.value.tables?.find((t) => t.table === 2)).toEqual({
      table: 2,
      file: 'host5/ovs-ofctl_dump-flows_br-tun_table=2_grep_9495',
      complete: false,
    });
    const t = traceCommand(s, { from: 'host5:qvobb09acdf-a4', packet: 'dhcp-discover' });
    expect(t.verdict).toBe('incomplete');
    const drop = t.drops.find((x) => x.host === 'host5' && x.bridge === 'br-tun')!;
    expect(drop.table).toBe(2);
    expect(drop.uncertain).toEqual({
      code: 'excerpt',
      text: 'host5:br-tun: the dump of table 2, host5/ovs-ofctl_dump-flows_br-tun_table=2_grep_9495, is an excerpt (filtered by `grep 9495`): flows of table 2 may be missing',
      remedy: 'ovs-ofctl -O OpenFlow13 dump-flows br-tun table=2   # on host5: the whole table',
    });
  });
});
