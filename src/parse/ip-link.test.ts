// A Linux bridge's own nf_call_iptables as iproute2 prints it in `ip -s -d link` (sos's
// sos_commands/networking/ip_-s_-d_link) and `ip -j -d link`: read by parseIpAddr (the same
// blocks), through the case reader into Host.linuxBridges. Real outputs: fixtures/ip-link
// (PROVENANCE.md), and a hotsos sosreport's ip_-s_-d_link.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify, NET_COMMANDS, sosName } from '../sources/file-kinds.ts';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
import { parseIpAddr } from './ip-addr.ts';

const read = (f: string): string => readFileSync(join(OWN_FIXTURES, f), 'utf8');

describe('ip -d link: a bridge’s own nf_call_iptables', () => {
  it.each([
    ['ip-link/qbrtest-nf0_ip_-s_-d_link', false, 3],
    ['ip-link/qbrtest-nf1_ip_-s_-d_link', true, 3],
    ['ip-link/qbrtest-nf1_ip_-j_-d_link.json', true, 1],
  ])('%s: nf_call_iptables %s at line %i, no corrupt line', (f, value, line) => {
    const r = parseIpAddr(read(f));
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toHaveLength(1);
    expect(r.value[0]).toMatchObject({ name: 'qbrtest', bridgeNfCallIptables: { value, line } });
  });

  it("a sosreport's ip_-s_-d_link: only the bridges carry it (not lo, the NICs, their ports)", () => {
    const r = parseIpAddr(read('field/hotsos-openstack/compute/sos_commands/networking/ip_-s_-d_link'));
    expect(r.diagnostics.filter((d) => d.severity === 'corrupt')).toEqual([]);
    const withIt = r.value.filter((d) => d.bridgeNfCallIptables);
    expect(withIt.map((d) => [d.name, d.bridgeNfCallIptables])).toEqual([
      ['br-ens3', { value: false, line: 53 }],
      ['lxdbr0', { value: false, line: 95 }],
    ]);
    expect(r.value.find((d) => d.name === 'lo')?.bridgeNfCallIptables).toBeUndefined();
  });

  it.each([
    ['ip_-s_-d_link', { kind: 'ip-link' }],
    ['ip_-d_link', { kind: 'ip-link' }],
    ['ip_link', { kind: 'ip-link' }],
    ['ip_-d_link_show', { kind: 'ip-link' }],
    ['ip_-d_address', { kind: 'ip-addr' }],
    ['ip_netns_exec_qdhcp-1_ip_-d_link', { kind: 'ip-link', ns: 'qdhcp-1' }],
  ])('%s is read as %o', (name, kind) => {
    expect(classify(name)).toEqual(kind);
  });

  it('the collector’s `ip -s -d link` is the file read for it', () => {
    const c = NET_COMMANDS.find((x) => x.argv.join(' ') === 'ip -s -d link')!;
    expect(c.reads).toBe('ip-link');
    expect(classify(sosName(c.argv))).toEqual({ kind: 'ip-link' });
  });
});
