// dhcp-drop-flow alone: a flow matching DHCP by its parsed match, with a strict del-flows quoted for sh.

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCases, runCheck as run, seedCase, tagSeedVif16 } from '../../testing/case-edits.ts';
import { dhcpDropFlow } from './dhcp-drop-flow.ts';

afterAll(cleanupCases);

const SG =
  '  cookie=0x0, duration=5.0s, table=0, n_packets=3, n_bytes=900, priority=50,udp,tp_src=68,tp_dst=67 actions=drop\n';

describe('dhcp-drop-flow', () => {
  it('a udp 68→67 drop on the path: named with its counters and a strict delete', () => {
    const f = run(
      dhcpDropFlow,
      seedCase((d) => {
        tagSeedVif16(d, 1);
        appendFileSync(join(d, 'dom0/ovs-ofctl_dump-flows_xapi3'), SG);
      }),
    );
    expect(f[0]!.message).toMatch(/priority=50,udp,tp_src=68,tp_dst=67 actions=drop` \(n_packets=3\)/);
    expect(f[0]!.fix).toContain(
      '# remove it (after fixing its source, or it comes back): ovs-ofctl -O OpenFlow13 --strict del-flows xapi3 table=0,priority=50,udp,tp_src=68,tp_dst=67',
    );
  });
  it('a drop that is not about DHCP (the seed in_port drop): not this check', () => {
    expect(run(dhcpDropFlow, seedCase())).toEqual([]);
  });
});
