// Where an OFFER reaches its target's port tagged, why, from the case's facts (tagged.ts). Was, for
// every port whose tag the case gives: "the case does not give the port's tag; the trace took it as
// none", also where the port has `tag: 4` and the frame is tagged because an explicit output does
// not apply it (trace-notes.md 7). Case: review9 a0c/h1-nostrip = fixtures/jp-octavia-lb-compute
// (PROVENANCE.md) with "strip_vlan," removed from its br-int firewall flow to tap13abc033-93.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, edit, tmpCase } from '../testing/case-edits.ts';
import { runVifpath } from '../testing/cli.ts';
import { ROOT } from '../testing/fixtures.ts';
import { traceCommand } from './run.ts';
import { taggedArrivals, taggedText } from './tagged.ts';

afterAll(cleanupCases);

const JP = join(ROOT, 'src/dataplane/fixtures/jp-octavia-lb-compute');
const FW =
  'priority=90,dl_vlan=4,dl_dst=fa:16:3e:6d:9f:87 actions=load:0x5->NXM_NX_REG5[],load:0x4->NXM_NX_REG6[],';

function jpCase(strip: boolean): string {
  const d = tmpCase();
  cpSync(JP, d, { recursive: true });
  if (!strip) edit(join(d, 'compute/ovs-ofctl_dump-flows_br-int'), `${FW}strip_vlan,`, FW);
  return d;
}

function offer(strip: boolean) {
  const s = readCase(jpCase(strip));
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

// The trace's verdict on the same OFFER (review9 #2 follow-up): OVS delivers it to the port, but
// only tagged, so the receiver ignores it: not healthy. Was: "Verdict: DELIVERED, but tagged where
// it arrives (see below)", exit 0, and --json said "delivered" with nothing of the tag.
describe('vifpath trace of that OFFER: exit 1 when it arrives only tagged', () => {
  const args = (d: string, ...more: string[]) => [
    'trace',
    d,
    '--from',
    'compute:int-br-mgmt',
    '--packet',
    'dhcp-offer',
    '--to',
    'compute:tap13abc033-93',
    ...more,
  ];
  const why =
    'reaches compute:tap13abc033-93 tagged VLAN 4 (`output:"tap13abc033-93"`, an explicit output, keeps the frame\'s tag; only NORMAL applies the port\'s tag 4: the receiver sees an 802.1Q frame and ignores it unless it runs a VLAN interface)';
  it.each([[[] as string[]], [['--summary']]])('text %j: the verdict says so, exit 1', (more) => {
    const r = runVifpath(args(jpCase(false), ...more));
    expect(r.stderr).toBe('');
    const text = r.stdout.split('\n');
    expect(text).toContain(
      'Verdict: DELIVERED, but only tagged where it arrives: the receiver ignores it (see below)',
    );
    expect(text).toContain(`  but it ${why}`);
    expect(r.status).toBe(1);
  });
  it('--json: verdict delivered, arrival tagged with the flow that outputs it, exit 1', () => {
    const r = runVifpath(args(jpCase(false), '--json'));
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('delivered');
    expect(j.arrival).toEqual({
      how: 'tagged',
      tagged: [
        {
          host: 'compute',
          bridge: 'br-int',
          port: 'tap13abc033-93',
          vlan: 4,
          portTag: 4,
          by: {
            kind: 'output',
            action: 'output:"tap13abc033-93"',
            flow: expect.objectContaining({
              table: 81,
              file: 'compute/ovs-ofctl_dump-flows_br-int',
              line: 134,
            }),
          },
          known: true,
          guest: false,
          text: why,
        },
      ],
    });
    expect(r.status).toBe(1);
  });
  it('the published flows (strip_vlan): DELIVERED, arrival untagged, exit 0', () => {
    const d = jpCase(true);
    const r = runVifpath(args(d, '--summary'));
    expect(r.stdout.split('\n')).toContain('Verdict: DELIVERED');
    expect(r.stdout).not.toMatch(/tagged VLAN|only tagged/);
    expect(r.status).toBe(0);
    const j = runVifpath(args(d, '--json'));
    expect(JSON.parse(j.stdout).arrival).toEqual({ how: 'untagged', tagged: [] });
    expect(j.status).toBe(0);
  });
});

// NORMAL onto a VM port whose tag the case does not give (examples/vxlan-healthy without
// compute1's ovs-vsctl show, list port and conf.db: tap7f3e1c2a-9b taken as a trunk): the trace
// cannot tell whether it arrives tagged. Undecided (exit 3), with the Port row that decides it, as
// diagnose is UNDECIDED on that case; never exit 0 on the assumption.
describe('vifpath trace of an OFFER NORMAL sends to a port whose tag the case does not give', () => {
  it('DELIVERED, arrival tag-unknown, the row to collect, exit 3', () => {
    const d = tmpCase();
    cpSync(join(ROOT, 'examples/vxlan-healthy'), d, { recursive: true });
    for (const f of [
      'sos_commands/openvswitch/ovs-vsctl_-t_5_show',
      'sos_commands/openvswitch/ovs-vsctl_-t_5_list_port',
      'etc/openvswitch/conf.db',
    ])
      rmSync(join(d, 'compute1', f));
    const args = [
      'trace',
      d,
      '--from',
      'network:tapd4a1b2c3-e5',
      '--packet',
      'dhcp-offer',
      '--to',
      'vm1:eth0',
    ];
    const collect = 'ovs-vsctl --columns=name,tag,trunks,vlan_mode list port tap7f3e1c2a-9b   # on compute1';
    const r = runVifpath([...args, '--summary']);
    const text = r.stdout.split('\n');
    expect(text).toContain(
      "Verdict: DELIVERED, but whether it arrives untagged rests on the port's tag, which the case does not give (see below)",
    );
    expect(text).toContain(
      `  not proven: it reaches compute1:tap7f3e1c2a-9b tagged VLAN 1 (the case does not give the port's tag; the trace took it as none, a trunk, where NORMAL sends the frame tagged: the guest sees an 802.1Q frame and ignores it unless it runs a VLAN interface)  [collect: ${collect}]`,
    );
    expect(r.status).toBe(3);
    const j = runVifpath([...args, '--json']);
    const a = JSON.parse(j.stdout).arrival;
    expect(a.how).toBe('tag-unknown');
    expect(a.tagged).toMatchObject([
      { port: 'tap7f3e1c2a-9b', vlan: 1, portTag: 'unknown', by: { kind: 'normal' }, known: false, collect },
    ]);
    expect(j.status).toBe(3);
  });
});
