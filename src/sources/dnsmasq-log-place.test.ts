// Neutron's dnsmasq log where Neutron puts it (dnsmasq_base_log_dir: <dir>/<net-id>/dhcp_dns_log,
// neutron/agent/linux/dhcp.py): read like any dnsmasq log, its network from its folder.
// fixtures/dnsmasq-log-place/PROVENANCE.md.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';
import { classify } from './file-kinds.ts';

const FIX = join(ROOT, 'src/sources/fixtures/dnsmasq-log-place');
const NET = '5d90176f-d6e4-461e-94c1-c0f44e7cc52b';
const tmp = mkdtempSync(join(tmpdir(), 'vifpath-dnslog-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("Neutron's dnsmasq log file by its name", () => {
  it.each([
    ['dhcp_dns_log', 'dnsmasq-log'],
    ['dnsmasq.log', 'dnsmasq-log'],
    ['dhcp_dns_log.1', undefined],
  ])('%s', (name, kind) => {
    expect(classify(name)?.kind).toBe(kind);
  });
});

describe('read where Neutron writes it, the network from its folder', () => {
  // [where under the host folder, the network read]
  const rows: [string, string | undefined][] = [
    [`var/log/neutron/dnsmasq/${NET}`, NET],
    [`var/log/containers/neutron/dnsmasq/${NET}`, NET],
    ['var/log/neutron/dnsmasq', undefined],
  ];
  it.each(rows)('%s/dhcp_dns_log', (dir, net) => {
    const c = join(tmp, dir.replace(/\W+/g, '-'));
    cpSync(join(FIX, 'controller', 'ip_netns'), join(c, 'controller', 'ip_netns'), { recursive: true });
    mkdirSync(join(c, 'controller', dir), { recursive: true });
    cpSync(
      join(FIX, 'controller/var/log/neutron/dnsmasq', NET, 'dhcp_dns_log'),
      join(c, 'controller', dir, 'dhcp_dns_log'),
    );
    const h = readCase(c).hosts[0]!;
    // Was: only in `ignored`.
    expect(h.ignored).toEqual([]);
    expect(h.dnsmasqLogs).toMatchObject([
      {
        file: `controller/${dir}/dhcp_dns_log`,
        events: [
          { type: 'DHCPDISCOVER', iface: 'tapdcb8a7b0-69', mac: 'fa:16:3e:3d:0f:f6' },
          { type: 'DHCPOFFER', iface: 'tapdcb8a7b0-69', ip: '10.0.0.57', mac: 'fa:16:3e:3d:0f:f6' },
        ],
      },
    ]);
    expect(h.dnsmasqLogs?.[0]?.net).toBe(net);
  });
  it('the fixture as the reviewer gave it', () => {
    const h = readCase(FIX).hosts[0]!;
    expect(h.ignored).toEqual([]);
    expect(h.dnsmasqLogs?.[0]?.net).toBe(NET);
    expect(h.dnsmasqLogs?.[0]?.events.map((e) => e.from)).toEqual([
      { file: `controller/var/log/neutron/dnsmasq/${NET}/dhcp_dns_log`, line: 1 },
      { file: `controller/var/log/neutron/dnsmasq/${NET}/dhcp_dns_log`, line: 2 },
    ]);
  });
});
