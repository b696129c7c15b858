// Where an OFFER reaches its target's port tagged, why, from the case's facts (tagged.ts). Was, for
// every port whose tag the case gives: "the case does not give the port's tag; the trace took it as
// none", also where the port has `tag: 4` and the frame is tagged because an explicit output does
// not apply it (trace-notes.md 7). Case: review9 a0c/h1-nostrip = fixtures/jp-octavia-lb-compute
// (PROVENANCE.md) with "strip_vlan," removed from its br-int firewall flow to tap13abc033-93.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, edit, tmpCase } from '../testing/case-edits.ts';
import { ROOT } from '../testing/fixtures.ts';
import { traceCommand } from './run.ts';
import { taggedArrivals, taggedText } from './tagged.ts';

afterAll(cleanupCases);

const JP = join(ROOT, 'src/dataplane/fixtures/jp-octavia-lb-compute');
const FW =
  'priority=90,dl_vlan=4,dl_dst=fa:16:3e:6d:9f:87 actions=load:0x5->NXM_NX_REG5[],load:0x4->NXM_NX_REG6[],';

function offer(strip: boolean) {
  const d = tmpCase();
  cpSync(JP, d, { recursive: true });
  if (!strip) edit(join(d, 'compute/ovs-ofctl_dump-flows_br-int'), `${FW}strip_vlan,`, FW);
  const s = readCase(d);
  const t = traceCommand(s, {
    from: 'compute:int-br-mgmt',
    packet: 'dhcp-offer',
    to: ['compute:tap13abc033-93'],
  });
  return { t, tagged: taggedArrivals(s, t) };
}

describe('an OFFER output to an access port (tag: 4) by an explicit output', () => {
  it("without strip_vlan: tagged VLAN 4, output by table 81's flow (line 134), the port's tag 4 said (was: \"the case does not give the port's tag\")", () => {
    const { t, tagged } = offer(false);
    expect(t.verdict).toBe('delivered');
    expect(tagged).toHaveLength(1);
    const a = tagged[0]!;
    expect(a).toMatchObject({ host: 'compute', port: 'tap13abc033-93', vlan: 4, portTag: 4, known: true });
    expect(a.by.kind === 'output' && a.by.flow?.from).toEqual({
      file: 'compute/ovs-ofctl_dump-flows_br-int',
      line: 134,
    });
    expect(taggedText(a, { host: true })).toBe(
      'reaches compute:tap13abc033-93 tagged VLAN 4 (`output:"tap13abc033-93"`, an explicit output, keeps the frame\'s tag; only NORMAL applies the port\'s tag 4: the receiver sees an 802.1Q frame and ignores it unless it runs a VLAN interface)',
    );
  });
  it('the published flows (strip_vlan before the output): delivered untagged, nothing said', () => {
    const { t, tagged } = offer(true);
    expect(t.verdict).toBe('delivered');
    expect(tagged).toEqual([]);
  });
});
