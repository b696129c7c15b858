// checksum alone, on a snapshot written as data: a DHCP server behind a veth (ns-<id> in the
// namespace, tap<id> on br-int) with tx checksum offload on and no CHECKSUM fill rule.
import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../testing/snapshot-builder.ts';
import { buildContext } from '../context.ts';
import { checksum } from './checksum.ts';

function server(opts: { tx: boolean; fill: boolean; excerpt?: boolean }) {
  const s = buildSnapshot([
    {
      name: 'net',
      bridges: [
        {
          name: 'br-int',
          ports: [
            { name: 'tap0123abcd-ef', ofport: 1, tag: 1, type: '' },
            {
              name: 'tapaaaabbbb-01',
              ofport: 2,
              tag: 1,
              type: '',
              ids: { 'iface-id': 'p1', 'attached-mac': 'fa:16:3e:00:00:09', 'vm-uuid': 'v1' },
            },
          ],
          flows: ['priority=0 actions=NORMAL'],
        },
      ],
      namespaces: [{ name: 'qdhcp-n1', devices: [{ name: 'ns-0123abcd-ef', addresses: ['10.0.0.2/24'] }] }],
    },
  ]);
  const ns = s.hosts[0]!.namespaces[0]!;
  const from = { file: 'net/ip_netns_exec_qdhcp-n1_ethtool_-k_ns-0123abcd-ef', line: 3 };
  ns.offloads = { 'ns-0123abcd-ef': { txChecksum: opts.tx, from } };
  ns.iptables = {
    rules: 4,
    ...(opts.fill
      ? {
          checksumFill: {
            file: 'net/iptables',
            line: 9,
            text: '-A POSTROUTING -o ns-0123abcd-ef -p udp -m udp --dport 68 -j CHECKSUM --checksum-fill',
          },
        }
      : {}),
    from: { file: 'net/ip_netns_exec_qdhcp-n1_iptables-save', line: 0 },
  };
  if (opts.excerpt)
    s.hosts[0]!.excerpts = [
      {
        of: 'iptables',
        ns: 'qdhcp-n1',
        file: 'net/ip_netns_exec_qdhcp-n1_iptables-save',
        line: 5,
        collect: 'ip netns exec qdhcp-n1 iptables-save',
      },
    ];
  return checksum.run(buildContext(s));
}

describe('checksum', () => {
  it('an excerpted iptables-save does not prove the CHECKSUM fill rule absent: a warning, not an error', () => {
    const cut = server({ tx: true, fill: false, excerpt: true });
    expect(cut.map((x) => [x.code, x.severity])).toEqual([['dhcp-reply-checksum', 'warning']]);
    expect(cut[0]!.fix[0]).toBe(
      'ip netns exec qdhcp-n1 iptables-save   # on net: the whole output, not an excerpt',
    );
  });
  it('veth + tx offload on + no fill rule: an error citing the ethtool line, fixes quoted and marked', () => {
    const f = server({ tx: true, fill: false });
    expect(f.map((x) => [x.code, x.severity])).toEqual([['dhcp-reply-checksum', 'error']]);
    expect(f[0]!.evidence[0]).toMatchObject({
      file: 'net/ip_netns_exec_qdhcp-n1_ethtool_-k_ns-0123abcd-ef',
      line: 3,
    });
    expect(f[0]!.fix[0]).toMatch(/^ip netns exec qdhcp-n1 iptables .* -o ns-0123abcd-ef .*# changes state/);
  });
  it.each([
    ['offload off', { tx: false, fill: false }],
    ['the fill rule present', { tx: true, fill: true }],
  ])('%s: nothing', (_n, o) => {
    expect(server(o)).toEqual([]);
  });
});
