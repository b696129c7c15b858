// A miss in table 0 of Neutron's integration bridge (review10 P2): the agent always installs a
// catch-all there, so a dump without one is cut (an author's abridged paste) or the agent never
// finished the bridge; the miss is no proven drop and diagnose is undecided, asking for the whole
// dump on that host. A miss elsewhere (br-tun, whole dump) stays a proven drop, and the finding
// cites the dump file and the table's flows. Cases: networkop's abridged compute1 (fixture), the
// vxlan-healthy example whole and with one flow taken out.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnose } from '../doctor/diagnose.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, edit, tmpCase } from '../testing/case-edits.ts';
import { ROOT } from '../testing/fixtures.ts';
import { traceCommand } from './run.ts';

afterAll(cleanupCases);

const NETWORKOP = join(ROOT, 'src/dataplane/fixtures/review10/networkop-vxlan-grep');
const HEALTHY = join(ROOT, 'examples/vxlan-healthy');
const OVS = 'compute1/sos_commands/openvswitch';
const TUN = `${OVS}/ovs-ofctl_-O_OpenFlow13_dump-flows_br-tun`;

/** A copy of `src` with `re` taken out of every flow dump of compute1's `bridge` (both spellings of the command). */
function without(src: string, bridge: string, re: RegExp): string {
  const d = tmpCase();
  cpSync(src, d, { recursive: true });
  for (const f of readdirSync(join(d, OVS)).filter((x) => x.endsWith(`dump-flows_${bridge}`)))
    edit(join(d, OVS, f), re, '');
  return d;
}

describe('a table-0 miss on the integration bridge whose dump lacks the agent catch-all', () => {
  it("networkop's abridged br-int: the DISCOVER is not proven dropped, diagnose is undecided and asks for the whole dump", () => {
    const s = readCase(NETWORKOP);
    const t = traceCommand(s, { from: 'compute1:tap258336bc-4f', packet: 'dhcp-discover' });
    expect(t.verdict).toBe('incomplete');
    const miss = t.drops.find((x) => x.reason.code === 'table-miss')!;
    expect(miss).toMatchObject({ host: 'compute1', bridge: 'br-int', table: 0 });
    expect(miss.uncertain).toEqual({
      code: 'agent-default-missing',
      text: "compute1:br-int (taken for Neutron's integration bridge: named br-int): no flow of table 0 in compute1/ovs-ofctl_dump-flows_br-int matches, but the table holds no catch-all flow, which Neutron's OVS agent always installs there: the dump is cut, or the agent never finished setting the bridge up",
      remedy: 'ovs-ofctl -O OpenFlow13 dump-flows br-int   # on compute1: the whole dump',
    });
    const d = diagnose(s);
    expect(d.verdict).toBe('undecided');
    expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(d.paths[0]!.discover.verdict).toBe('incomplete');
    expect(d.collectNext).toContain(
      'ovs-ofctl -O OpenFlow13 dump-flows br-int   # on compute1: the whole dump',
    );
  });

  it.each<[string, () => string, string, string | undefined]>([
    ['vxlan-healthy whole: delivered', () => HEALTHY, 'delivered', undefined],
    [
      "vxlan-healthy, br-int's `priority=0 actions=goto_table:58` taken out: not proven (integration_bridge in the agent's config)",
      () => without(HEALTHY, 'br-int', /^.*table=0,.*priority=0 actions=(goto_table:58|resubmit\(,58\))\n/m),
      'incomplete',
      'agent-default-missing',
    ],
    [
      "vxlan-healthy, br-tun's table-2 flood flow taken out: a proven miss (br-tun is no integration bridge)",
      () => without(HEALTHY, 'br-tun', /^.*table=2,.*dl_dst=01:00:00:00:00:00\/01:00:00:00:00:00 .*\n/m),
      'dropped',
      undefined,
    ],
  ])('%s', (_name, build, verdict, uncertain) => {
    const t = traceCommand(readCase(build()), { from: 'compute1:tap7f3e1c2a-9b', packet: 'dhcp-discover' });
    expect(t.verdict).toBe(verdict);
    if (verdict !== 'delivered') expect(t.drop?.uncertain?.code).toBe(uncertain);
  });

  it("the agent's catch-all added to networkop's br-int: table 0 matches, no miss there", () => {
    const d = tmpCase();
    cpSync(NETWORKOP, d, { recursive: true });
    edit(join(d, 'compute1/ovs-ofctl_dump-flows_br-int'), /$/, 'table=0, priority=0 actions=NORMAL\n');
    const t = traceCommand(readCase(d), { from: 'compute1:tap258336bc-4f', packet: 'dhcp-discover' });
    expect(t.drops.some((x) => x.table === 0 && x.reason.code === 'table-miss')).toBe(false);
  });

  it('a proven table miss cites the dump file and the flows of its table (file:line)', () => {
    const d = diagnose(
      readCase(without(HEALTHY, 'br-tun', /^.*table=2,.*dl_dst=01:00:00:00:00:00\/01:00:00:00:00:00 .*\n/m)),
    );
    expect(d.verdict).toBe('problem');
    const f = d.findings[0]!;
    expect(f.code).toBe('discover-dropped');
    expect(f.message).toBe(
      'the DISCOVER from tap7f3e1c2a-9b does not reach a DHCP server: it dies on compute1 br-tun table 2: no flow matches (table miss: drop)',
    );
    expect(f.evidence).toEqual([
      {
        text: "no flow of table 2 matches (table miss: drop); the table's 2 flow(s) in the dump:",
        file: TUN,
      },
      { text: 'priority=1,arp,dl_dst=ff:ff:ff:ff:ff:ff actions=goto_table:21', file: TUN, line: 6 },
      {
        text: 'priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00 actions=goto_table:20',
        file: TUN,
        line: 7,
      },
    ]);
  });
});
