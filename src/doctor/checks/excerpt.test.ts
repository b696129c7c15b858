// Excerpts (issue 15 item 2): what an output pasted as an excerpt (`...`, `[snip]`) leaves out is
// unknown. Every check that asserts an absence from such an output gives a gap naming what to
// collect instead of a finding; the same output whole still proves the absence. Cases: the pasted
// hotsos excerpt (src/sources/fixtures/pasted/excerpt) and the seed, cut the way a ticket cuts them.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ExcerptOf, findBridge, findPort } from '../../model/snapshot.ts';
import { readCase } from '../../sources/case-dir.ts';
import {
  cleanupCases,
  edit,
  REF_LINKS,
  REF_NS,
  refCase,
  refVmMac,
  runCheck as run,
  seedCase,
  tmpCase,
} from '../../testing/case-edits.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { type OverlayHost, type OverlayOptions, overlayCase } from '../../testing/overlay-case.ts';
import { buildSnapshot } from '../../testing/snapshot-builder.ts';
import { diagnose } from '../diagnose.ts';
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { dhcpPort } from './dhcp-port.ts';
import { dnsmasq } from './dnsmasq.ts';
import { structure } from './structure.ts';

afterAll(cleanupCases);

const EXCERPT = join(ROOT, 'src/sources/fixtures/pasted/excerpt');
const SHOW = 'compute/vsctl-show.txt';
const NS = 'qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7';

/** The pasted hotsos excerpt, changed. */
function excerptCase(change?: (d: string) => void): string {
  const d = tmpCase();
  cpSync(EXCERPT, d, { recursive: true });
  change?.(d);
  return d;
}
/** A change to the seed: one of its files cut as a ticket cuts it. */
function seedWith(file: string, cut: (lines: string[]) => string[]): (d: string) => void {
  return (d) => {
    const p = join(d, file);
    writeFileSync(p, cut(readFileSync(p, 'utf8').split('\n')).join('\n'));
  };
}
/** Replace the line matching `re` and the n-1 after it by `by`. */
const cutAt =
  (re: RegExp, n: number, by: string[]) =>
  (l: string[]): string[] => {
    const i = l.findIndex((x) => re.test(x));
    if (i < 0) throw new Error(`no line ${re}`);
    return [...l.slice(0, i), ...by, ...l.slice(i + n)];
  };
const SOCKETS = `domu/ip_netns_exec_${NS}_netstat_-W_-neopa`;
const NETSTAT =
  'Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name     Timer\nudp        0      0 10.0.0.2:53             0.0.0.0:*                           0          12346      4242/dnsmasq         off (0.00/0/0)\n';
const DNSMASQ_LOG =
  'Nov 25 12:55:03 dnsmasq-dhcp[7364]: DHCPDISCOVER(tap5f1c9a2e-7b) fa:16:3e:11:22:33\nNov 25 12:55:06 dnsmasq-dhcp[7364]: DHCPDISCOVER(tap5f1c9a2e-7b) fa:16:3e:11:22:33\n';
const AGENT_NET = 'aaaaaaaa-1111-4222-8333-444444444444';
/** The DHCP agent keeps state for a network whose namespace `ip netns` (`netns`) lacks. */
const agentState = (d: string, netns: string): void => {
  const dir = join(d, `domu/var/lib/neutron/dhcp/${AGENT_NET}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'host'), 'fa:16:3e:11:22:33,host-10-0-0-3.openstacklocal,10.0.0.3\n');
  writeFileSync(join(d, 'domu/ip_netns'), netns);
  // No qdhcp namespace with a device anywhere: the only DHCP server is the agent's.
  rmSync(join(d, `domu/ip_netns_exec_${NS}_ifconfig`));
};

const OTHER_HOST = 'fa:16:3e:44:55:66,host-10-0-0-4.openstacklocal,10.0.0.4\n';
/** The reference lab's VM (with its MAC) and the DHCP agent's hosts file for its network. */
const hostsFile =
  (text: string) =>
  (d: string): void => {
    refVmMac(d);
    const dir = join(d, `domu/var/lib/neutron/dhcp/${REF_NS.slice('qdhcp-'.length)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'host'), text);
  };

const codes = (f: Finding[]): string[] => f.map((x) => x.code);
const VM_MAC = 'fa:16:3e:11:22:33';

// [name, check, the case with the output excerpted, the same output whole, the finding the whole one proves]
const TABLE: [string, Check, () => string, () => string, string][] = [
  [
    'a patch peer in the part of ovs-vsctl show left out',
    structure,
    () => excerptCase(),
    // The same lines without the [snip]: a whole output, where patch-int truly is missing.
    () => excerptCase((d) => edit(join(d, SHOW), /^\[snip\]\n/m, '')),
    'patch-peer-missing',
  ],
  [
    "the DHCP port in the part of ovs-ofctl show left out (the domu's only port list)",
    dhcpPort,
    () => seedCase(seedWith('domu/ovs-ofctl_show_br-int', cutAt(/^ {2}2\(tap7b39ecad-81\)/, 4, ['...']))),
    () => seedCase(seedWith('domu/ovs-ofctl_show_br-int', cutAt(/^ {2}2\(tap7b39ecad-81\)/, 4, []))),
    'dhcp-port-not-on-bridge',
  ],
  [
    "the DHCP agent's namespace in the part of `ip netns` left out",
    dhcpPort,
    () => seedCase((d) => agentState(d, 'qrouter-17bdbe51-93df-4bd8-93fd-bb399ed3d4c1\n...\n')),
    () => seedCase((d) => agentState(d, 'qrouter-17bdbe51-93df-4bd8-93fd-bb399ed3d4c1\n')),
    'dhcp-namespace-missing',
  ],
  [
    "dnsmasq's udp :67 socket in the part of netstat left out",
    dnsmasq,
    () => seedCase((d) => writeFileSync(join(d, SOCKETS), `${NETSTAT}[snip]\n`)),
    () => seedCase((d) => writeFileSync(join(d, SOCKETS), NETSTAT)),
    'dnsmasq-not-bound',
  ],
  [
    "dnsmasq's OFFER in the part of its log left out",
    dnsmasq,
    () =>
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
        refVmMac(d);
        writeFileSync(join(d, 'domu/dnsmasq.log'), `${DNSMASQ_LOG}...\n`);
      }),
    () =>
      refCase('healthy', ['dom0', 'domu'], REF_LINKS, (d) => {
        refVmMac(d);
        writeFileSync(join(d, 'domu/dnsmasq.log'), DNSMASQ_LOG);
      }),
    'dnsmasq-not-answering',
  ],
  [
    "the VM's entry in the part of dnsmasq's hosts file left out",
    dnsmasq,
    () => refCase('healthy', ['dom0', 'domu'], REF_LINKS, hostsFile(`${OTHER_HOST}...\n`)),
    () => refCase('healthy', ['dom0', 'domu'], REF_LINKS, hostsFile(OTHER_HOST)),
    'dnsmasq-no-host-entry',
  ],
];

describe('an absence in an excerpt is unknown; the same output whole proves it', () => {
  it.each(TABLE)('%s', (_name, check, cut, whole, code) => {
    const f = run(check, cut());
    expect(codes(f)).not.toContain(code);
    const gap = f.find((x) => x.code === 'excerpt-unknown');
    expect(gap).toMatchObject({ role: 'gap', severity: 'warning' });
    expect(gap!.message).toMatch(/is an excerpt \(lines left out at line \d+\), so .* is unknown$/);
    expect(gap!.fix[0]).toMatch(/the whole output, not an excerpt$/);
    expect(codes(run(check, whole()))).toContain(code);
  });

  it('the patch peer gap names the output and the command: the whole `ovs-vsctl show`', () => {
    const f = run(structure, excerptCase());
    expect(f).toEqual([
      {
        code: 'excerpt-unknown',
        role: 'gap',
        severity: 'warning',
        subject: 'compute:br-int:patch-tun',
        message:
          'patch port patch-tun names peer patch-int, which no bridge in the case shows; compute/vsctl-show.txt is an excerpt (lines left out at line 17), so whether patch-int exists is unknown',
        evidence: [
          { text: 'options:peer=patch-int', file: SHOW, line: 52 },
          { text: 'an excerpt', file: SHOW, line: 17 },
        ],
        fix: ['ovs-vsctl show   # on compute: the whole output, not an excerpt'],
      },
    ]);
  });

  it('the facts an excerpt shows are still used: a peer it does show is no gap', () => {
    // int-br-data (br-int) and phy-br-data (br-data) both shown: no finding, no gap about them.
    const f = run(structure, excerptCase());
    expect(f.map((x) => x.subject)).toEqual(['compute:br-int:patch-tun']);
  });

  it('an excerpt beside a whole ovs-vsctl show of the same host hides nothing: the finding stands', () => {
    const d = excerptCase((c) => {
      const whole = readFileSync(join(c, SHOW), 'utf8').replace(/^\[snip\]\n/m, '');
      writeFileSync(join(c, 'compute/ovs-vsctl_show'), whole);
    });
    expect(readCase(d).hosts[0]!.excerpts?.map((x) => x.of)).toEqual(['flows']);
    expect(codes(run(structure, d))).toEqual(['patch-peer-missing']);
  });
});

describe('an excerpted ovs-vsctl show asserts no default it may have cut', () => {
  const show = (d: string) => readCase(d).hosts[0]!;
  it.each<[string, (l: string[]) => string[], (h: ReturnType<typeof show>) => void]>([
    [
      'an interface before the elision: its type and options unknown (br-data is internal in the real one)',
      (l) => l,
      (h) => {
        const i = findPort(h, 'br-data')!.port.interfaces[0]!;
        expect(i.type.known).toBe(false);
        expect(i.options.known).toBe(false);
        // Its port showed its Interface line: the port's own lines (tag) were not cut.
        expect(findPort(h, 'br-data')!.port.tag).toMatchObject({ known: true, value: null });
        // A record the elision does not end keeps its defaults: ens7 is a system interface.
        expect(findPort(h, 'ens7')!.port.interfaces[0]!.type).toMatchObject({ known: true, value: '' });
      },
    ],
    [
      "a port cut before its Interface line: its tag unknown, not 'no tag'",
      cutAt(/^ {8}Port tap0e778df8-ca$/, 3, ['        Port tap0e778df8-ca', '...']),
      (h) => {
        expect(findPort(h, 'tap0e778df8-ca')!.port.tag.known).toBe(false);
        // The next port follows the elision with no Bridge line between: the left-out lines may
        // hold the Bridge line that owns it, so it is on no bridge, an interface with its own facts.
        expect(findPort(h, 'qr-3a70b31c-3f')).toBeUndefined();
        expect(h.unplacedInterfaces.find((i) => i.name === 'qr-3a70b31c-3f')!.type).toMatchObject({
          known: true,
          value: 'internal',
        });
      },
    ],
    [
      'a bridge cut before its ports: datapath_type unknown; fail_mode never asserted from an excerpt',
      cutAt(/^ {4}Bridge br-ex$/, 2, ['    Bridge br-ex', '    ...']),
      (h) => {
        expect(findBridge(h, 'br-ex')!.datapathType.known).toBe(false);
        expect(findBridge(h, 'br-ex')!.failMode.known).toBe(false);
        expect(findBridge(h, 'br-int')!.datapathType).toMatchObject({ known: true, value: 'system' });
      },
    ],
  ])('%s', (_name, change, check) => {
    check(
      show(
        excerptCase((d) =>
          writeFileSync(join(d, SHOW), change(readFileSync(join(d, SHOW), 'utf8').split('\n')).join('\n')),
        ),
      ),
    );
  });
});

describe('overlay: a tunnel or an address in the part an excerpt leaves out', () => {
  // [name, the fault, the host whose output is an excerpt, what it lists, the finding it would give]
  it.each<[string, OverlayOptions, OverlayHost, ExcerptOf, string]>([
    [
      'F1 no tunnel to the server host shown',
      { noTunnelTo: 'network' },
      'compute1',
      'ovsdb',
      'tunnel-port-missing',
    ],
    [
      'F4 remote_ip no host shows',
      { remoteIp: '172.16.0.99' },
      'network',
      'devices',
      'tunnel-remote-unknown',
    ],
  ])('%s: a gap, not %s', (_name, fault, host, of, code) => {
    const c = overlayCase(fault);
    const whole = diagnose(buildSnapshot(c.hosts, c.links), { vm: VM_MAC });
    expect(codes(whole.findings)).toContain(code);
    const s = buildSnapshot(c.hosts, c.links);
    const cmd = of === 'ovsdb' ? 'ovs-vsctl show' : 'ip -d address show';
    s.hosts.find((h) => h.name === host)!.excerpts = [
      { of, file: `${host}/pasted.txt`, line: 9, collect: cmd },
    ];
    const cut = diagnose(s, { vm: VM_MAC });
    expect(codes(cut.findings)).not.toContain(code);
    const gap = cut.findings.find((x) => x.code === 'excerpt-unknown');
    expect(gap?.fix).toEqual([`${cmd}   # on ${host}: the whole output, not an excerpt`]);
    expect(cut.verdict).not.toBe('healthy');
  });
});
