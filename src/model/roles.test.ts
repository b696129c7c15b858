// Who programs a bridge: Neutron's OVS agent (its native OpenFlow interface sets the local
// `tcp:127.0.0.1:6633`, the ovs-ofctl interface none) or an external controller (OpenDaylight's
// `tcp:<its address>:6633`). Real `ovs-vsctl show` outputs: src/doctor/fixtures/PROVENANCE.md
// (review11), src/parse/fixtures/field/PROVENANCE.md (slawqo).
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, tmpCase } from '../testing/case-edits.ts';
import { OWN_FIXTURES, ROOT } from '../testing/fixtures.ts';
import { bridgeRole, externalController } from './roles.ts';

const REVIEW11 = join(ROOT, 'src/doctor/fixtures/review11');

afterAll(cleanupCases);

/** The case's bridge `host:bridge`: its controllers, its role and the external one if any. */
function roleOf(dir: string, host: string, bridge: string) {
  const h = readCase(dir).hosts.find((x) => x.name === host)!;
  const b = h.bridges.find((x) => x.name === bridge)!;
  return { controllers: b.controllers, ext: externalController(h, b), ...bridgeRole(h, b) };
}

describe('bridgeRole: a remote OpenFlow controller alone does not say who programs the bridge', () => {
  it.each([
    // OpenDaylight, remote (and on its own host not loopback); without the hosts' agent config
    // nothing tells it from Neutron's agent listening elsewhere (XenServer: remote-controller.test.ts).
    [
      join(REVIEW11, 'flavio-odl-vxlan-2node'),
      'devstack-compute-1',
      'br-int',
      {
        controllers: ['tcp:192.168.50.20:6633'],
        ext: undefined,
        role: 'integration',
        why: 'named br-int',
      },
    ],
    [
      join(REVIEW11, 'flavio-odl-vxlan-2node'),
      'devstack-control',
      'br-int',
      {
        controllers: ['tcp:192.168.50.20:6633'],
        ext: undefined,
        role: 'integration',
        why: 'named br-int',
      },
    ],
    // Neutron's native interface: the local listener, the agent's bridge as before.
    [
      join(REVIEW11, 'juju-forum-brex-empty'),
      'ilo-7428',
      'br-int',
      { controllers: ['tcp:127.0.0.1:6633'], ext: undefined, role: 'integration', why: 'named br-int' },
    ],
    [
      join(OWN_FIXTURES, 'field/slawqo-where-is-my-packet-2'),
      'compute1',
      'br-tun',
      { controllers: ['tcp:127.0.0.1:6633'], ext: undefined, role: 'tunnel', why: 'named br-tun' },
    ],
  ])('%s %s:%s', (dir, host, bridge, want) => {
    expect(roleOf(dir, host, bridge)).toEqual(want);
  });

  it("the agent configured to listen on the host's own address (of_listen_address) is still the agent", () => {
    const d = tmpCase();
    cpSync(join(REVIEW11, 'flavio-odl-vxlan-2node'), d, { recursive: true });
    const ini = join(d, 'devstack-control/etc/neutron/plugins/ml2');
    mkdirSync(ini, { recursive: true });
    writeFileSync(join(ini, 'openvswitch_agent.ini'), '[ovs]\nof_listen_address = 192.168.50.20\n');
    expect(roleOf(d, 'devstack-control', 'br-int')).toMatchObject({ ext: undefined, role: 'integration' });
    // Another port than the one the agent listens on: not the agent's.
    writeFileSync(
      join(ini, 'openvswitch_agent.ini'),
      '[ovs]\nof_listen_address = 192.168.50.20\nof_listen_port = 6653\n',
    );
    expect(roleOf(d, 'devstack-control', 'br-int')).toMatchObject({ role: 'external' });
  });
});
