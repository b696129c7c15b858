// The dhcp-offer/dhcp-ack presets go to the VM's MAC as diagnose takes it (findVms: OVSDB's
// attached-mac, else the one MAC the flows let the port send from); the placeholder
// fa:16:3e:00:00:01 and its assumption only when the case does not make one MAC the VM's. Was: a
// reply preset always used the placeholder and said "the VM's MAC is not in the case" (review8
// 2.2; the lab case is in trace.lab.test.ts).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';
import { formatPacket } from './packet.ts';
import { traceCommand } from './run.ts';

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
    // Two VM ports with their own MACs: none is chosen without --to, and that is said.
    [
      'vxlan, two VMs',
      VXLAN,
      'network:tapd4a1b2c3-e5',
      'dhcp-offer',
      undefined,
      'fa:16:3e:00:00:01',
      [
        'the case has 2 VM ports with different MACs (compute1:tap7f3e1c2a-9b fa:16:3e:11:22:33, compute2:tap9c8b7a6d-5e fa:16:3e:44:55:66): which one the reply goes to is not said; fa:16:3e:00:00:01 used',
      ],
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
