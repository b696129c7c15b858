// The veth DHCP port pitfall from the files an operator brings (the reference lab's
// pitfall-veth-dhcp-port, real output: see its PROVENANCE.md): dhclient -v runs before and after
// the fix, dnsmasq's log, a pasted `ovs-vsctl show`, under names that say nothing. What the two
// ends logged proves the cause; one end alone does not; the DHCP port is never the VM.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portRole } from '../../model/roles.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { readInputs } from '../../sources/inputs.ts';
import { cleanupCases, edit, REF, tmpCase } from '../../testing/case-edits.ts';
import { diagnose } from '../diagnose.ts';
import type { Diagnosis } from '../finding.ts';

afterAll(cleanupCases);

const SRC = join(REF, 'pitfall-veth-dhcp-port');

/** The folder as a host named `network`, changed. */
function pasted(change: (d: string) => void = () => {}): Snapshot {
  const d = join(tmpCase(), 'network');
  cpSync(SRC, d, { recursive: true });
  change(d);
  return readInputs([d])[0]!;
}

const codes = (d: Diagnosis, pick: (f: Diagnosis['findings'][number]) => boolean): string[] =>
  d.findings.filter(pick).map((f) => f.code);

interface Row {
  name: string;
  change?: (d: string) => void;
  verdict: Diagnosis['verdict'];
  /** The findings that are errors (causes), by code. */
  errors: string[];
  /** Is tap5f1c9a2e-7b proven the DHCP server's (never the VM)? */
  tapIsServer: boolean;
  hint: boolean;
  check?: (d: Diagnosis) => void;
}

const ROWS: Row[] = [
  {
    name: 'as brought: dnsmasq OFFERed the MAC 6 times, its client counted bad checksums: the pitfall, proven',
    verdict: 'problem',
    errors: ['dhcp-reply-checksum'],
    tapIsServer: true,
    hint: false,
    check: (d) => {
      const f = d.findings[0]!;
      expect([f.code, f.role, f.subject]).toEqual(['dhcp-reply-checksum', 'cause', 'network:ns-5f1c9a2e-7b']);
      expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual([
        'network/1-dnsmasq-offers.log:2',
        'network/1-dnsmasq-offers.log:12',
        'network/1-dhclient-txcsum-on.txt:6',
        'network/1-dhclient-txcsum-on.txt:14',
        'network/1-dhclient-txcsum-on.txt:16',
        'network/ovs-vsctl_show_domu_br-int.txt:11',
      ]);
      // The device is the one the evidence names; the namespace is not in the case: a placeholder
      // and the command that names it (the pid of the dnsmasq that logged).
      expect(f.fix).toEqual([
        'ip netns identify 11748   # on network: the namespace of the dnsmasq that logged the OFFERs (qdhcp-<network-id>); if dnsmasq was restarted since: ip netns | grep qdhcp',
        "ip netns exec qdhcp-<network-id> ethtool -K ns-5f1c9a2e-7b tx off   # changes state: dnsmasq's replies leave with whole checksums; lost when the agent re-creates the device",
        "# lasting: internal ports instead of veth pairs (ovs_use_veth = False in the DHCP agent's ini, then restart neutron-dhcp-agent: changes state), or the fill rule Neutron adds: ip netns exec qdhcp-<network-id> iptables -t mangle -A POSTROUTING -o ns-5f1c9a2e-7b -p udp --dport 68 -j CHECKSUM --checksum-fill",
      ]);
      // The veth and its offload are the probable root cause: said with what confirms it.
      expect(f.confirm).toBe(
        'ip netns exec qdhcp-<network-id> ethtool -k ns-5f1c9a2e-7b   # on network: tx-checksumming: on',
      );
      expect(d.headline).toMatch(
        /^dnsmasq sent 6 OFFER\(s\) to fa:16:3e:11:22:33 on ns-5f1c9a2e-7b, and that client took none: it dropped 5 packet\(s\) for a bad UDP checksum .*; probable root cause: ns-5f1c9a2e-7b is the namespace end of a veth pair/,
      );
      // The run after the fix is its own run: said, not merged.
      const runs = d.findings.find((x) => x.code === 'dhcp-client-runs-differ')!;
      expect(runs.evidence.map((e) => [e.text, `${e.file}:${e.line}`])).toEqual([
        ['No DHCPOFFERS received.', 'network/1-dhclient-txcsum-on.txt:16'],
        ['bound to 10.0.0.3 -- renewal in 36995 seconds.', 'network/3-dhclient-txcsum-off.txt:13'],
      ]);
      // No VM port in the case: said, with the MAC that finds it.
      const none = d.findings.find((x) => x.code === 'no-vm-port')!;
      expect(none.message).toContain(
        "network:tap5f1c9a2e-7b is the DHCP server's (dnsmasq serves on ns-5f1c9a2e-7b, network/1-dnsmasq-offers.log:1)",
      );
      expect(none.fix[0]).toBe(
        `ovs-vsctl --columns=name,external_ids find Interface 'external_ids:attached-mac="fa:16:3e:11:22:33"'   # on the compute node: the VM's port, by the MAC its client gives`,
      );
      expect(d.paths).toEqual([]);
      // The loose files not read are each named, with why.
      expect(
        d.findings.filter((x) => x.code === 'input-note' && x.severity === 'info').map((x) => x.subject),
      ).toEqual(['network/2-ethtool.txt', 'network/PROVENANCE.md', 'network/README.md']);
    },
  },
  {
    name: 'without the dnsmasq log: the client alone is a hint, and the tap is the VM only by its name',
    change: (d) => rmSync(join(d, '1-dnsmasq-offers.log')),
    verdict: 'undecided',
    errors: [],
    tapIsServer: false,
    hint: true,
    check: (d) => {
      expect(d.headline).toMatch(
        // Traced (its number unknown, NORMAL needs none; was: not traced), still said to be by name.
        /^no DHCP server \(qdhcp namespace\) is in the case; the DISCOVER from network:tap5f1c9a2e-7b \(the VM port by its name alone\) reaches /,
      );
      expect(codes(d, (f) => f.code === 'vm-port-by-name')).toEqual(['vm-port-by-name']);
    },
  },
  {
    name: 'dnsmasq offered another MAC: nothing ties its OFFERs to this client, a hint',
    change: (d) => edit(join(d, '1-dnsmasq-offers.log'), /fa:16:3e:11:22:33/g, 'fa:16:3e:44:55:66'),
    verdict: 'undecided',
    errors: [],
    tapIsServer: true,
    hint: true,
  },
  {
    name: 'only the run after the fix: bound, nothing to say about checksums',
    change: (d) => rmSync(join(d, '1-dhclient-txcsum-on.txt')),
    verdict: 'undecided',
    errors: [],
    tapIsServer: true,
    hint: false,
    check: (d) => expect(codes(d, (f) => f.code === 'dhcp-client-runs-differ')).toEqual([]),
  },
  {
    name: 'the client counted no bad checksum: its OFFERs were lost some other way, not this pitfall',
    change: (d) => edit(join(d, '1-dhclient-txcsum-on.txt'), '5 bad udp checksums in 5 packets\n', ''),
    verdict: 'undecided',
    errors: [],
    tapIsServer: true,
    hint: false,
  },
  {
    name: 'a dhclient output pasted from a web page, indented: read all the same',
    change: (d) => {
      const f = join(d, '1-dhclient-txcsum-on.txt');
      writeFileSync(f, readFileSync(f, 'utf8').replace(/^(?=.)/gm, '    '));
    },
    verdict: 'problem',
    errors: ['dhcp-reply-checksum'],
    tapIsServer: true,
    hint: false,
  },
  {
    name: 'dnsmasq on an internal tap (no veth): the client still drops the OFFERs, no veth root cause claimed',
    change: (d) => edit(join(d, '1-dnsmasq-offers.log'), /ns-5f1c9a2e-7b/g, 'tap5f1c9a2e-7b'),
    verdict: 'problem',
    errors: ['dhcp-reply-checksum'],
    tapIsServer: true,
    hint: false,
    check: (d) => {
      const f = d.findings[0]!;
      expect(f.rootCause).toBeUndefined();
      expect(f.fix.join('\n')).not.toMatch(/ethtool -K/);
      expect(f.fix[1]).toMatch(/^ip netns exec qdhcp-<network-id> tcpdump -ni tap5f1c9a2e-7b -vv /);
    },
  },
];

describe('the veth DHCP port pitfall, from loose files', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    const s = pasted(row.change);
    const h = s.hosts[0]!;
    const br = h.bridges.find((b) => b.name === 'br-int')!;
    const tap = br.ports.find((p) => p.name === 'tap5f1c9a2e-7b')!;
    expect(portRole(s, h, br, tap).role).toBe(row.tapIsServer ? 'service' : 'vm');
    const d = diagnose(s);
    expect(d.verdict).toBe(row.verdict);
    expect(codes(d, (f) => f.severity === 'error')).toEqual(row.errors);
    // An error always cites evidence; a finding of a proven cause is first.
    for (const f of d.findings) if (f.severity === 'error') expect(f.evidence.length).toBeGreaterThan(0);
    if (row.errors.length) expect(d.findings[0]!.code).toBe(row.errors[0]);
    const hints = d.findings.filter((f) => f.code === 'dhcp-client-bad-checksums');
    expect(hints.map((f) => [f.severity, f.role])).toEqual(row.hint ? [['warning', 'observation']] : []);
    row.check?.(d);
  });
});
