// A port the case knows only by its name in a bridge's flows (ovs-ofctl prints names with --names,
// by default since OVS 2.8): a port of that bridge, its OpenFlow port number unknown. A trace
// starting there is not followed (incomplete, `ovs-ofctl show` asked for), never bad input.
// Fixture: fixtures/PROVENANCE.md (cn-annotated-mirror-table100).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { ROOT } from '../testing/fixtures.ts';
import { namedInFlows } from './ofports.ts';
import { traceCommand } from './run.ts';

const CASE = join(ROOT, 'src/dataplane/fixtures/cn-annotated-mirror-table100');

describe("cn-annotated-mirror-table100: qvo899ffb14-e4 named only in br-int's flows", () => {
  // The author's `# …` notes after flows: read with --lenient (their reading is another change's).
  const s = readCase(CASE, { lenient: true });
  const h = s.hosts.find((x) => x.name === 'compute')!;
  it('the flows name it on br-int (in_port="qvo899ffb14-e4", line 5)', () => {
    const n = namedInFlows(h, 'qvo899ffb14-e4')!;
    expect(n.bridge.name).toBe('br-int');
    expect(n.from).toEqual({ file: 'compute/ovs-ofctl_dump-flows_br-int', line: 5 });
    expect(namedInFlows(h, 'qvo00000000-00')).toBeUndefined();
  });
  it('trace --from compute:qvo899ffb14-e4: incomplete at br-int, its number asked for (was: exit 2 no OVS port)', () => {
    const t = traceCommand(s, { from: 'compute:qvo899ffb14-e4', packet: 'dhcp-discover', targets: null });
    expect(t.verdict).toBe('incomplete');
    expect(t.start).toMatchObject({ host: 'compute', bridge: 'br-int', port: 'qvo899ffb14-e4' });
    expect(t.uncertain.map((u) => [u.text, u.remedy])).toContainEqual([
      'compute:qvo899ffb14-e4 is a port of br-int (its flows name it: compute/ovs-ofctl_dump-flows_br-int:5) but the case does not give its OpenFlow port number: what the bridge does with the packet (flows match on in_port) is not traced',
      'ovs-ofctl show br-int   # on compute: the OpenFlow port numbers',
    ]);
  });
  it('a name no flow and no listing holds is still bad input', () => {
    expect(() => traceCommand(s, { from: 'compute:qvo00000000-00', packet: 'dhcp-discover' })).toThrow(
      /no OVS port "qvo00000000-00" on host compute/,
    );
  });
});
