// Two hosts an overlay may join: no links.txt line is asked for when one host's tunnels go to
// addresses no host of the case owns and the other's tunnel end is not in the case; that end is.
// And a path the case does not prove dropped is not said to be dropped.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colors } from '../cli/colors.ts';
import { formatDiagnosis } from '../cli/format-diagnosis.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, seedCase, tagSeedVif16, tmpCase } from '../testing/case-edits.ts';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
import { buildContext } from './context.ts';
import { diagnose } from './diagnose.ts';
import { unknownTunnelEnd } from './tunnel-end.ts';

afterAll(cleanupCases);

/** A copy of the case folder `src`, changed. */
function tmpFrom(src: string, change: (d: string) => void): string {
  const d = tmpCase();
  cpSync(src, d, { recursive: true });
  change(d);
  return d;
}

// slawqo-where-is-my-packet-2 (field PROVENANCE.md): compute1's br-tun has vxlan-0a780064,
// vxlan-0a780066 and gre-0a780066 to 10.120.0.100 and 10.120.0.102; the controller's ovs-vsctl
// show and addresses are not in the blog. Was: 'links.txt: add the line `compute1:<iface>
// controller:<iface>`', and the path 'DISCOVER not traced: … at compute1 br-int: the actions
// output nothing: the packet is dropped'. The diagnose rows read the case without the
// `ovs-vsctl list port … | grep tag` line: the trace then stops, unproven, on compute1's br-int,
// whose port list the case has only through a grep, whatever the tag.
const SLAWQO = join(OWN_FIXTURES, 'field/slawqo-where-is-my-packet-2');
const END =
  "controller's tunnel end is not in the case (compute1's tunnels go to 10.120.0.102, 10.120.0.100, which no host of the case owns)";

describe('tunnel-end-unknown', () => {
  it("the blog's case: compute1's tunnels go where no host of the case is, the controller's end unknown", () => {
    const e = unknownTunnelEnd(buildContext(readCase(SLAWQO)), 'compute1', 'controller');
    expect(e && [e.from, e.peer, e.remotes, e.tunnels.map((t) => t.iface.name)]).toEqual([
      'compute1',
      'controller',
      ['10.120.0.102', '10.120.0.100'],
      ['gre-0a780066', 'vxlan-0a780066', 'vxlan-0a780064'],
    ]);
  });
  const d = diagnose(
    readCase(tmpFrom(SLAWQO, (x) => rmSync(join(x, 'compute1/ovs-vsctl_list_port_qvo3e399bf2-31_grep_tag')))),
  );
  const text = formatDiagnosis(d, colors(false));
  it('undecided, and no error: nothing in the blog shows a fault', () => {
    expect(d.verdict).toBe('undecided');
    expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
  it("asks for the controller's tunnel end, not a wire", () => {
    const g = d.findings.filter((f) => f.code === 'tunnel-end-unknown');
    expect(g.map((f) => [f.subject, f.role, f.severity])).toEqual([
      ['compute1→controller', 'gap', 'warning'],
    ]);
    expect(g[0]!.message).toBe(
      "the path between compute1 and controller is not traced: compute1's tunnels gre-0a780066, vxlan-0a780066, vxlan-0a780064 go to 10.120.0.102, 10.120.0.100, which no host of the case owns, and controller's tunnel end (its tunnel ports' local_ip, its addresses) is not in the case: a tunnel, not a wire, may join them",
    );
    const ev = g[0]!.evidence.map((e) => `${e.text}${e.file ? ` [${e.file}:${e.line}]` : ''}`);
    expect(ev).toEqual([
      'the DISCOVER from compute1:qvo3e399bf2-31 is not traced from compute1 to controller',
      'gre-0a780066 on compute1: remote_ip=10.120.0.102, local_ip=10.120.0.101, in_key=flow, out_key=flow [compute1/ovs-vsctl_show:11]',
      'vxlan-0a780066 on compute1: remote_ip=10.120.0.102, local_ip=10.120.0.101, in_key=flow, out_key=flow [compute1/ovs-vsctl_show:18]',
      'vxlan-0a780064 on compute1: remote_ip=10.120.0.100, local_ip=10.120.0.101, in_key=flow, out_key=flow [compute1/ovs-vsctl_show:22]',
    ]);
    expect(g[0]!.fix).toEqual([
      "ovs-vsctl show   # on controller: its tunnel ports and their local_ip (compute1's tunnels go to 10.120.0.102 or 10.120.0.100)",
      'ip -4 address show   # on controller: whether it owns 10.120.0.102 or 10.120.0.100',
    ]);
    expect(d.findings.map((f) => f.code)).not.toContain('wire-unknown');
    expect(d.collectNext.filter((c) => /links\.txt/.test(c))).toEqual([]);
    expect(d.collectNext).toContain(
      'ip -4 address show   # on controller: whether it owns 10.120.0.102 or 10.120.0.100',
    );
    expect(d.collectNext.filter((c) => /^ovs-vsctl show {3}# on controller/.test(c))).toHaveLength(1);
  });
  it('the path and the headline: not traced, the missing end named, no drop claimed', () => {
    expect(d.paths.map((p) => p.discover.verdict)).toEqual([`not traced: ${END}`]);
    expect(
      d.headline.startsWith(
        `the DISCOVER from compute1:qvo3e399bf2-31 is not traced: ${END}: collect \`ovs-vsctl show\` on controller`,
      ),
    ).toBe(true);
    expect(text).toContain(`  compute1:qvo3e399bf2-31: DISCOVER not traced: ${END}`);
    expect(text).not.toMatch(/the packet is dropped/);
  });
  it('a path line: where a path not proven dropped stops is not said to be a drop', () => {
    const line = (verdict: string, drop: string): string =>
      formatDiagnosis(
        {
          case: 'c',
          verdict: 'undecided',
          headline: 'h',
          findings: [],
          collectNext: [],
          paths: [{ vm: 'h:p', discover: { verdict, reached: [], drop } }],
        },
        colors(false),
      )
        .split('\n')
        .find((l) => l.startsWith('  h:p: '))!;
    expect(line('dropped', 'h br-int: priority=2,in_port=1 actions=drop')).toBe(
      '  h:p: DISCOVER dropped at h br-int: priority=2,in_port=1 actions=drop',
    );
    expect(line('incomplete', 'h br-int: the actions output nothing')).toBe(
      '  h:p: DISCOVER incomplete; as the case stands it ends at h br-int: the actions output nothing',
    );
  });
  it('hosts with no tunnel between them still ask for the wire (the seed without links.txt)', () => {
    const seed = diagnose(
      readCase(
        seedCase((x) => {
          tagSeedVif16(x, 1);
          rmSync(join(x, 'links.txt'));
        }),
      ),
    );
    expect(seed.findings.map((f) => f.code)).toContain('wire-unknown');
    expect(seed.findings.map((f) => f.code)).not.toContain('tunnel-end-unknown');
    expect(
      seed.collectNext.some((c) => c.startsWith('links.txt: add the line `dom0:<iface> domu:<iface>`')),
    ).toBe(true);
  });
});
