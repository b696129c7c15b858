// A DHCP server the case shows otherwise than by a qdhcp namespace with its devices is said as
// what it is, never as "no DHCP server": a dnsmasq in a `ps` listing (its --interface is the DHCP
// port; on the host itself when the case lists that device in the host's own namespace), and
// dnsmasq's log answering a MAC no VM port of the case carries (the server answered; whether the
// answer reached the VM is the VM's side, asked for). Both cases are published outputs, verbatim
// (fixtures/PROVENANCE.md).
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDnsmasqProcesses } from '../parse/services.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, tmpCase } from '../testing/case-edits.ts';
import { ROOT } from '../testing/fixtures.ts';
import { diagnose } from './diagnose.ts';

afterAll(cleanupCases);

const FIX = join(ROOT, 'src/doctor/fixtures');
const HAVANA = join(FIX, 'esxi-flat-havana');
const KOLLA = join(FIX, 'elatov-kolla-provider');
const HOST = 'xianghui-10-9-1-141';
const NET = 'fffe6c04-1e09-4cb3-886b-6404c0729c1a';

describe('dnsmasq in a ps listing', () => {
  it.each([
    [
      'ps -ef | grep dnsmasq (the Havana post, its line 2): the grep is no dnsmasq',
      `root     22034 15050  0 03:42 pts/3    00:00:00 grep dnsmasq\nnobody   24702     1  0 01:39 ?        00:00:00 /usr/sbin/dnsmasq --no-hosts --bind-interfaces --interface=tap909c5f0b-61 --except-interface=lo --pid-file=/var/lib/neutron/dhcp/${NET}/pid\n`,
      [{ pid: 24702, interfaces: ['tap909c5f0b-61'], net: NET, line: 2 }],
    ],
    [
      "ps auxfwww (hotsos-sunbeam's line 332, cut after --interface): LXD's dnsmasq, no Neutron network",
      'lxd         2940  0.0  0.0  10508  1408 ?        Ss   04:22   0:00      \\_ dnsmasq --keep-in-foreground --strict-order --bind-interfaces --except-interface=lo --pid-file= --no-ping --interface=sunbeambr0 --dhcp-rapid-commit\n',
      [{ pid: 2940, interfaces: ['sunbeambr0'], line: 1 }],
    ],
    [
      // Constructed: ps -elf's columns (F S UID PID …) around the Havana command.
      'ps -elf (constructed): the pid is the 4th column',
      '4 S nobody   24702     1  0  80   0 -  3213 poll_s 01:39 ?        00:00:00 dnsmasq --interface=ns-909c5f0b-61\n',
      [{ pid: 24702, interfaces: ['ns-909c5f0b-61'], line: 1 }],
    ],
    [
      // Constructed: the rootwrap parent names the namespace; its pid is not dnsmasq's.
      'a rootwrap parent (constructed): the namespace, no pid',
      `root      1200     1  0 01:39 ?        00:00:00 sudo neutron-rootwrap /etc/neutron/rootwrap.conf ip netns exec qdhcp-${NET} dnsmasq --no-hosts --interface=ns-909c5f0b-61\n`,
      [{ interfaces: ['ns-909c5f0b-61'], namespace: `qdhcp-${NET}`, line: 1 }],
    ],
  ])('%s', (_what, text, expected) => {
    const r = parseDnsmasqProcesses(text).value.map(({ text: _, ...p }) => p);
    expect(r).toEqual(expected);
  });

  it('the Havana case (no namespaces): a DHCP server on the host itself, never "no DHCP server"', () => {
    // Was: 'the case holds no DHCP server (no qdhcp namespace with a device): the host running the
    // DHCP agent was not collected, …', asking which host runs the DHCP agent.
    const r = diagnose(readCase(HAVANA));
    expect(r.verdict).toBe('undecided');
    expect(JSON.stringify(r)).not.toMatch(/no DHCP server|holds no DHCP/);
    expect(r.findings.map((f) => f.code)).not.toContain('dhcp-server-not-in-case');
    const f = r.findings.find((x) => x.code === 'dhcp-server-not-traced')!;
    expect(f.subject).toBe(`${HOST}:tap909c5f0b-61`);
    expect(f.message).toMatch(/dnsmasq \(pid 24702, network fffe6c04-[^)]*\) running on xianghui-10-9-1-141/);
    expect(f.message).toMatch(
      /tap909c5f0b-61 on the host itself \(in its own network namespace: UP, 50\.0\.0\.2\/24\)/,
    );
    expect(f.message).toMatch(/tap909c5f0b-61 is a port of br-int with tag 1/);
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual([
      `${HOST}/ps_-ef_grep_dnsmasq:2`,
      `${HOST}/ifconfig_tap909c5f0b-61:1`,
      `${HOST}/ovs-vsctl_show:22`,
    ]);
    // Its port is the DHCP server's, not a candidate VM.
    const noVm = r.findings.find((x) => x.code === 'no-vm-port')!;
    expect(noVm.message).toMatch(/xianghui-10-9-1-141:tap909c5f0b-61 is the DHCP server's/);
    expect(r.collectNext.join('\n')).not.toMatch(/agent-type dhcp/);
  });

  it("without the tap's ifconfig: where dnsmasq runs is what the case lacks, and how to tell", () => {
    const d = tmpCase();
    cpSync(HAVANA, d, { recursive: true });
    rmSync(join(d, HOST, 'ifconfig_tap909c5f0b-61'));
    const r = diagnose(readCase(d));
    expect(r.verdict).toBe('undecided');
    const f = r.findings.find((x) => x.code === 'dhcp-server-not-traced')!;
    expect(f.message).toMatch(
      /which namespace it runs in is not in the case \(a `ps` listing does not say\)/,
    );
    expect(f.message).toMatch(/tag 1/);
    expect(f.fix[0]).toMatch(/^ip netns identify 24702 {3}# on xianghui-10-9-1-141/);
    expect(r.collectNext).toContain(f.fix[0]);
  });

  it('with a VM port named (one added to br-int, tag 1): the headline says the server is not traced, not absent', () => {
    // Edit: a port tapaaaaaaaa-01 (tag 1) added to ovs-vsctl_show's br-int before int-br-eth0.
    // Was: '…; no DHCP server (qdhcp namespace) is in the case either'.
    const d = tmpCase();
    cpSync(HAVANA, d, { recursive: true });
    const show = join(d, HOST, 'ovs-vsctl_show');
    const text = readFileSync(show, 'utf8');
    writeFileSync(
      show,
      text.replace(
        '        Port "int-br-eth0"',
        '        Port "tapaaaaaaaa-01"\n            tag: 1\n            Interface "tapaaaaaaaa-01"\n        Port "int-br-eth0"',
      ),
    );
    const r = diagnose(readCase(d), { vm: 'tapaaaaaaaa-01' });
    expect(r.verdict).toBe('undecided');
    expect(r.headline).toMatch(
      // The added port has no OpenFlow number; the trace runs through NORMAL (no flow dump) anyway.
      /^the DHCP server dnsmasq runs as \(xianghui-10-9-1-141:tap909c5f0b-61, from `ps`\) is in no qdhcp namespace of the case, so no path is traced to it; the DISCOVER from xianghui-10-9-1-141:tapaaaaaaaa-01 \(the VM port by its name alone\) reaches .*xianghui-10-9-1-141 device tap909c5f0b-61/,
    );
    expect(r.headline).not.toMatch(/no DHCP server/);
  });
});

describe("dnsmasq's answers without a VM port", () => {
  it('the kolla case: the ACK is said with its lines, the VM side asked first, not healthy', () => {
    // Was: 'no VM port is proven in the case, so no DHCP path can be traced', the DHCPACK never said.
    const r = diagnose(readCase(KOLLA));
    expect(r.verdict).toBe('undecided');
    expect(r.headline).toMatch(
      /^the DHCP server answered fa:16:3e:97:03:61 with 10\.0\.0\.161 \(DHCPACK on osa:tapb50d7951-f3 at Jan {2}1 14:39:05, osa\/dnsmasq\.log:10\); whether that answer reached the VM is not in the case/,
    );
    const f = r.findings.find((x) => x.code === 'dnsmasq-answered')!;
    expect(f.role).toBe('observation');
    expect(f.severity).toBe('info');
    expect(f.evidence.map((e) => [e.text.match(/DHCP[A-Z]+/)![0], `${e.file}:${e.line}`])).toEqual([
      ['DHCPDISCOVER', 'osa/dnsmasq.log:7'],
      ['DHCPOFFER', 'osa/dnsmasq.log:8'],
      ['DHCPREQUEST', 'osa/dnsmasq.log:9'],
      ['DHCPACK', 'osa/dnsmasq.log:10'],
    ]);
    expect(f.evidence[3]!.text).toBe(
      'Jan  1 14:39:05 dnsmasq-dhcp[270]: DHCPACK(tapb50d7951-f3) 10.0.0.161 fa:16:3e:97:03:61 host-10-0-0-161',
    );
    expect(r.collectNext[0]).toMatch(
      /^ovs-vsctl --columns=name,external_ids,ofport find Interface 'external_ids:attached-mac="fa:16:3e:97:03:61"'/,
    );
    expect(r.collectNext.slice(0, 3).join('\n')).toMatch(/openstack console log show <device_id>/);
  });
});
