// The dhcp-offer/dhcp-ack presets go to the VM's MAC as diagnose takes it (findVms: OVSDB's
// attached-mac, else the one MAC the flows let the port send from); the placeholder
// fa:16:3e:00:00:01 and its assumption only when the case does not make one MAC the VM's. Was: a
// reply preset always used the placeholder and said "the VM's MAC is not in the case" (review8
// 2.2; the lab case is in trace.lab.test.ts).
import { appendFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, tmpCase } from '../testing/case-edits.ts';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';
import { formatPacket } from './packet.ts';
import { traceCommand } from './run.ts';
import { TraceInputError } from './trace.ts';

afterAll(cleanupCases);

const VXLAN = join(ROOT, 'examples/vxlan-healthy');
const dst = (p: string): string | undefined => /dl_dst=([0-9a-f:]+)/.exec(p)?.[1];

describe('the MAC a reply preset goes to', () => {
  it.each([
    // The seed has no `ovs-vsctl list interface` and no flow naming vif16.0's MAC: the placeholder, said.
    [
      'seed, no attached-mac',
      SEED_CASE,
      'domu:tap7b39ecad-81',
      'dhcp-offer',
      undefined,
      'fa:16:3e:00:00:01',
      ["the VM's MAC is not in the case; fa:16:3e:00:00:01 used"],
    ],
    [
      'vxlan --to compute1',
      VXLAN,
      'network:tapd4a1b2c3-e5',
      'dhcp-offer',
      ['compute1:tap7f3e1c2a-9b'],
      'fa:16:3e:11:22:33',
      [],
    ],
    // --to the guest's end of the VM port's wire (links.txt: compute1:tap7f3e1c2a-9b vm1:eth0), as
    // the trace follows it. Was: the placeholder and "the VM's MAC is not in the case".
    [
      'vxlan --to vm1:eth0',
      VXLAN,
      'network:tapd4a1b2c3-e5',
      'dhcp-offer',
      ['vm1:eth0'],
      'fa:16:3e:11:22:33',
      [],
    ],
    [
      'vxlan --to vm2:eth0, ack',
      VXLAN,
      'network:tapd4a1b2c3-e5',
      'dhcp-ack',
      ['vm2:eth0'],
      'fa:16:3e:44:55:66',
      [],
    ],
    [
      'vxlan --to compute2, ack',
      VXLAN,
      'network:tapd4a1b2c3-e5',
      'dhcp-ack',
      ['compute2:tap9c8b7a6d-5e'],
      'fa:16:3e:44:55:66',
      [],
    ],
  ] as const)('%s', (_name, dir, from, packet, to, mac, notes) => {
    const t = traceCommand(readCase(dir), { from, packet, ...(to ? { to: [...to] } : {}) });
    expect(dst(formatPacket(t.start.packet))).toBe(mac);
    expect(t.assumptions.filter((a) => a.code === 'vm-mac').map((a) => a.text)).toEqual(notes);
  });
});

// review9 a0c/i1-drop-realmac: examples/vxlan-healthy plus a flow on compute1's br-int (both dumps)
// dropping every frame to vm1's MAC. The OFFER to vm1 is dropped however --to names vm1 (its OVS
// port or the guest's end of the wire), or with --mac. Was: --to vm1:eth0 and no --to traced the
// made-up fa:16:3e:00:00:01, which NORMAL floods past that flow: DELIVERED, exit 0.
describe('two VMs, the OFFER to vm1 dropped by a flow on its MAC', () => {
  const d = tmpCase();
  cpSync(VXLAN, d, { recursive: true });
  for (const f of ['ovs-ofctl_dump-flows_br-int', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-int'])
    appendFileSync(
      join(d, 'compute1/sos_commands/openvswitch', f),
      ' cookie=0x1c0a5e11, duration=3.117s, table=60, n_packets=1, n_bytes=342, idle_age=1, priority=50,dl_dst=fa:16:3e:11:22:33 actions=drop\n',
    );
  const s = readCase(d);
  const from = 'network:tapd4a1b2c3-e5';
  it.each([
    [{ to: ['compute1:tap7f3e1c2a-9b'] }],
    [{ to: ['vm1:eth0'] }],
    [{ mac: 'fa:16:3e:11:22:33' }],
  ] as const)("%o: dropped at table 60 on the flow matching vm1's MAC", (o) => {
    const t = traceCommand(s, {
      from,
      packet: 'dhcp-offer',
      ...('to' in o ? { to: [...o.to] } : { mac: o.mac }),
    });
    expect(dst(formatPacket(t.start.packet))).toBe('fa:16:3e:11:22:33');
    expect(t.verdict).toBe('dropped');
    expect(t.drop?.flow).toBe('priority=50,dl_dst=fa:16:3e:11:22:33 actions=drop');
    expect(t.assumptions.filter((a) => a.code === 'vm-mac')).toEqual([]);
  });
  it('vm2 (--to vm2:eth0): its own MAC, delivered', () => {
    const t = traceCommand(s, { from, packet: 'dhcp-offer', to: ['vm2:eth0'] });
    expect(dst(formatPacket(t.start.packet))).toBe('fa:16:3e:44:55:66');
    expect(t.verdict).toBe('delivered');
  });
  // No verdict on a MAC no VM has: which VM is the question's (exit 2, one line).
  it.each([
    [
      undefined,
      '--packet dhcp-offer: the case has 2 VM ports with different MACs (compute1:tap7f3e1c2a-9b fa:16:3e:11:22:33, compute2:tap9c8b7a6d-5e fa:16:3e:44:55:66): say which one the reply goes to with --to <host:port> or --mac <MAC>',
    ],
    [
      ['vm1:eth0', 'vm2:eth0'],
      '--packet dhcp-offer: --to names 2 VM ports with different MACs (compute1:tap7f3e1c2a-9b fa:16:3e:11:22:33, compute2:tap9c8b7a6d-5e fa:16:3e:44:55:66); a reply goes to one MAC: give one of them, or --mac <MAC>',
    ],
  ] as const)('--to %o: bad input', (to, line) => {
    const t = () => traceCommand(s, { from, packet: 'dhcp-offer', ...(to ? { to: [...to] } : {}) });
    expect(t).toThrow(TraceInputError);
    expect(t).toThrow(line);
  });
});

// review11 P6: a request from a port that is no VM's (the undercloud's eth0, br-ctlplane's uplink;
// src/doctor/fixtures/PROVENANCE.md) carries no VM's MAC: the note says the frame's source MAC.
// Was: "the VM's MAC is not in the case (no attached-mac on eth0)". A VM port keeps the VM's wording.
describe('the MAC a request preset leaves from', () => {
  it.each([
    [
      'the undercloud uplink eth0',
      join(ROOT, 'src/doctor/fixtures/tripleo-undercloud-osp16'),
      'undercloud:eth0',
      "the frame's source MAC is not in the case (eth0 is not a VM port: uplink port, on br-ctlplane, a physical bridge (holds phy-br-ctlplane (the agent's patch from the integration bridge))); fa:16:3e:00:00:01 used",
      "--mac <the frame's source MAC>",
    ],
    [
      'the seed VM port vif16.0',
      SEED_CASE,
      'dom0:vif16.0',
      "the VM's MAC is not in the case (no attached-mac on vif16.0); fa:16:3e:00:00:01 used",
      '--mac <the VM MAC>, or collect `ovs-vsctl list interface` (external_ids:attached-mac)',
    ],
  ] as const)('%s', (_name, dir, from, text, remedy) => {
    const t = traceCommand(readCase(dir), { from, packet: 'dhcp-discover' });
    expect(t.assumptions.filter((a) => a.code === 'vm-mac')).toEqual([{ code: 'vm-mac', text, remedy }]);
  });
});
