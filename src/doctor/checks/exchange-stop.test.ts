// Where the exchange stops, considering every DHCP server (exchange-stop.ts, used by the
// contradiction check), and the way back of each server the DISCOVER reaches (offer-path): one
// server answering is enough for the VM, a silent or cut-off second one is lost redundancy, a
// server of another network is not counted. Cases: the reference healthy lab with one, two or
// three DHCP agents of the VM's network and one of another network (src/testing/dhcp-agents.ts),
// the VM's dhclient output cut where no OFFER came, dnsmasq's log a real one cut where a server stops.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../../sources/case-dir.ts';
import { cleanupCases, edit, tmpCase } from '../../testing/case-edits.ts';
import { type AgentSpec, dhcpAgents, OTHER_NET, REF_NET } from '../../testing/dhcp-agents.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { buildContext } from '../context.ts';
import { diagnose } from '../diagnose.ts';
import type { Diagnosis } from '../finding.ts';
import { contradictions } from './contradiction.ts';
import { offerPath } from './offer-path.ts';

afterAll(cleanupCases);

const NS = `qdhcp-${REF_NET}`;
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const on = (host: string): string => `${NS} on ${host}`;
const CAPTURE = (hosts: string[]): string =>
  `vifpath capture live ${hosts.map((h) => `${h}=ssh://root@${h}`).join(' ')} --vm vif16.0 --path --seconds 60 -o ./capture`;

interface Row {
  name: string;
  agents: AgentSpec[];
  /** Where it stops, as the contradiction's message ends. */
  stops: string;
  /** Evidence texts that must be there, and must not. */
  evidence: RegExp[];
  notEvidence?: RegExp[];
  capture: string[];
  verdict: Diagnosis['verdict'];
}

const rows: Row[] = [
  {
    name: 'one server whose log never shows the DISCOVER: it stops on the way there',
    agents: [{ host: 'domu', log: 'deaf' }],
    stops: `no DHCP server of network ${REF_NET} (${on('domu')}) got the DISCOVER: the exchange stops on the way to it`,
    evidence: [
      /^dnsmasq's log on domu \(0 DHCP lines\) never shows a DISCOVER from fa:16:3e:11:22:33 on tap5f1c9a2e-7b$/,
    ],
    capture: ['dom0', 'domu'],
    verdict: 'undecided',
  },
  {
    name: 'one server that answered: it stops past the server',
    agents: [{ host: 'domu', log: 'answered' }],
    stops: `${on('domu')} answered vif16.0: the exchange stops past the server, between its answer and vif16.0's client`,
    evidence: [
      new RegExp(
        `^${esc(on('domu'))} answered fa:16:3e:11:22:33: DHCPACK\\(tap5f1c9a2e-7b\\) 10\\.0\\.0\\.3$`,
      ),
    ],
    capture: ['dom0', 'domu'],
    verdict: 'undecided',
  },
  {
    // Was: the only log evidence was adomu3's (another network's) 'never shows a DISCOVER', and
    // the capture command went to dom0 and adomu3 (servers[0]) only.
    name: "two servers, one answered, one silent, and another network's found first: lost redundancy, the other not counted",
    agents: [
      { host: 'domu', log: 'answered' },
      { host: 'domu2', log: 'silent' },
      { host: 'adomu3', other: true, wired: false, log: 'deaf' },
    ],
    stops: `${on('domu')} answered vif16.0: the exchange stops past the server, between its answer and vif16.0's client; ${on('domu2')} got the DISCOVER and stayed silent: lost redundancy (another server answered), not where it stops`,
    evidence: [
      new RegExp(
        `^${esc(on('domu2'))} logged 1 DISCOVER\\(s\\) from fa:16:3e:11:22:33 and no OFFER or ACK to it$`,
      ),
      new RegExp(
        `^qdhcp-${OTHER_NET} on adomu3 is not counted, a DHCP server of another network: it serves network ${OTHER_NET}, vif16\\.0 is on ${REF_NET}`,
      ),
    ],
    notEvidence: [/dnsmasq's log on adomu3/],
    capture: ['dom0', 'domu', 'domu2'],
    verdict: 'undecided',
  },
  {
    name: "two servers whose logs never show it, another network's log neither: on the way to them",
    agents: [
      { host: 'domu', log: 'deaf' },
      { host: 'domu2', log: 'deaf' },
      { host: 'adomu3', other: true, wired: false, log: 'deaf' },
    ],
    stops: `no DHCP server of network ${REF_NET} (${on('domu')}, ${on('domu2')}) got the DISCOVER: the exchange stops on the way to them`,
    evidence: [/^dnsmasq's log on domu \(/, /^dnsmasq's log on domu2 \(/],
    notEvidence: [/dnsmasq's log on adomu3/],
    capture: ['dom0', 'domu', 'domu2'],
    verdict: 'undecided',
  },
  {
    // domu4 listens and its OFFER comes back: the dnsmasq check takes the silent two for lost
    // redundancy, the client's failure keeps the verdict undecided.
    name: 'three servers, two silent, the third without a log: where it stops unknown, the third named',
    agents: [{ host: 'domu', log: 'silent' }, { host: 'domu2', log: 'silent' }, { host: 'domu4' }],
    stops: `${on('domu')}, ${on('domu2')} got the DISCOVER and answered nothing; what ${on('domu4')} saw is not in the case (the case holds neither dnsmasq's log of ${on('domu4')} (lines of tap5f1c9a2e-7b) nor a capture at tap5f1c9a2e-7b), so whether the exchange stops at the servers is unknown`,
    evidence: [/^qdhcp-\S+ on domu logged 1 DISCOVER/, /^qdhcp-\S+ on domu2 logged 1 DISCOVER/],
    capture: ['dom0', 'domu', 'domu2', 'domu4'],
    verdict: 'undecided',
  },
  {
    name: 'three servers, all silent: it stops at the servers, dnsmasq not answering is the cause',
    agents: [
      { host: 'domu', log: 'silent' },
      { host: 'domu2', log: 'silent' },
      { host: 'domu4', log: 'silent' },
    ],
    stops: `${on('domu')}, ${on('domu2')}, ${on('domu4')} got the DISCOVER and answered nothing: the exchange stops at the servers`,
    evidence: [/^qdhcp-\S+ on domu4 logged 1 DISCOVER/],
    capture: ['dom0', 'domu', 'domu2', 'domu4'],
    verdict: 'problem',
  },
  {
    name: 'three servers, one answered, two silent: both lost redundancy',
    agents: [
      { host: 'domu', log: 'silent' },
      { host: 'domu2', log: 'answered' },
      { host: 'domu4', log: 'silent' },
    ],
    stops: `${on('domu2')} answered vif16.0: the exchange stops past the server, between its answer and vif16.0's client; ${on('domu')}, ${on('domu4')} got the DISCOVER and stayed silent: lost redundancy (another server answered), not where it stops`,
    evidence: [],
    capture: ['dom0', 'domu', 'domu2', 'domu4'],
    verdict: 'undecided',
  },
  {
    name: 'the DISCOVER reaches servers of two networks: which is its own is unknown, said so',
    agents: [
      { host: 'domu', log: 'deaf' },
      { host: 'adomu3', other: true, log: 'deaf' },
    ],
    stops: `which of qdhcp-${OTHER_NET} on adomu3, ${on('domu')} serves vif16.0's network is unknown (the case ties vif16.0 to 2 networks (${OTHER_NET}, ${REF_NET})); no DHCP server (qdhcp-${OTHER_NET} on adomu3, ${on('domu')}) got the DISCOVER: the exchange stops on the way to them`,
    evidence: [/^dnsmasq's log on adomu3 \(/, /^dnsmasq's log on domu \(/],
    capture: ['dom0', 'adomu3', 'domu'],
    verdict: 'undecided',
  },
];

describe('where the exchange stops, considering every DHCP server', () => {
  it.each(rows)('$name', (r) => {
    const dir = dhcpAgents(r.agents, { vm: 'no-offer' });
    const f = contradictions.run(buildContext(readCase(dir)));
    const c = f.filter((x) => x.code === 'contradicted');
    expect(c).toHaveLength(1);
    expect(c[0]!.message).toBe(
      `the flows deliver the DISCOVER to the DHCP server and the OFFER back to vif16.0, but what the hosts saw says the exchange fails; ${r.stops}`,
    );
    const ev = c[0]!.evidence.map((e) => e.text);
    expect(ev[0]).toMatch(/^vm16's DHCP client .* received no OFFER$/);
    for (const re of r.evidence)
      expect(
        ev.some((t) => re.test(t)),
        `${re}\n${ev.join('\n')}`,
      ).toBe(true);
    for (const re of r.notEvidence ?? []) expect(ev.filter((t) => re.test(t))).toEqual([]);
    expect(c[0]!.fix[1]).toBe(CAPTURE(r.capture));
    expect(diagnose(readCase(dir)).verdict).toBe(r.verdict);
  });

  it("a silent server beside one that answered is the dnsmasq check's lost redundancy too, not a cause", () => {
    const d = diagnose(
      readCase(
        dhcpAgents(
          [
            { host: 'domu', log: 'answered' },
            { host: 'domu2', log: 'silent' },
          ],
          { vm: 'no-offer' },
        ),
      ),
    );
    const f = d.findings.filter((x) => x.code === 'dnsmasq-not-answering');
    expect(f.map((x) => [x.subject, x.severity])).toEqual([['domu2:tap5f1c9a2e-7b', 'warning']]);
    expect(f[0]!.message).toMatch(
      /^lost redundancy, not the cause: vif16\.0 also reaches qdhcp-\S+ on domu, /,
    );
    expect(d.findings.filter((x) => x.severity === 'error')).toEqual([]);
  });
});

describe("a capture at the server's device (real ones of the overlay lab's DHCP port)", () => {
  // examples/vxlan-healthy without dnsmasq's log, vm1's dhclient output cut where no OFFER came, and
  // a capture at the network node's DHCP port tapd4a1b2c3-e5 (src/capture/fixtures/overlay: the
  // healthy lab's, and the rxremote lab's, where no DISCOVER arrived).
  const NET = '3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12';
  const withCapture = (pcap: string): string => {
    const d = tmpCase();
    cpSync(join(ROOT, 'examples/vxlan-healthy'), d, { recursive: true });
    rmSync(join(d, 'network/var/log/neutron/dnsmasq.log'));
    cpSync(join(ROOT, 'src/capture/fixtures/overlay', pcap), join(d, 'network/tapd4a1b2c3-e5.pcap'));
    const p = join(d, 'vm1/dhclient_-1_-v_eth0');
    writeFileSync(p, `${readFileSync(p, 'utf8').split('DHCPOFFER')[0]}No DHCPOFFERS received.\n`);
    return d;
  };
  it.each([
    {
      pcap: 'vxlan-healthy-qdhcp.pcap',
      stops: `qdhcp-${NET} on network answered tap7f3e1c2a-9b: the exchange stops past the server, between its answer and tap7f3e1c2a-9b's client`,
      capture: `the capture at network:tapd4a1b2c3-e5 shows 1 DISCOVER(s) from fa:16:3e:11:22:33 and 2 answer(s) of qdhcp-${NET} to it`,
    },
    {
      pcap: 'vxlan-rxremote-qdhcp.pcap',
      stops: `no DHCP server of network ${NET} (qdhcp-${NET} on network) got the DISCOVER: the exchange stops on the way to it`,
      capture:
        'the capture at network:tapd4a1b2c3-e5 shows 0 DISCOVER(s) from fa:16:3e:11:22:33 and no answer of this server to it',
    },
  ])('$pcap', (r) => {
    const f = contradictions.run(buildContext(readCase(withCapture(r.pcap))));
    expect(f.map((x) => x.code)).toEqual(['contradicted']);
    expect(f[0]!.message).toBe(
      `the flows deliver the DISCOVER to the DHCP server and the OFFER back to tap7f3e1c2a-9b, but what the hosts saw says the exchange fails; ${r.stops}`,
    );
    expect(f[0]!.evidence.map((e) => `${e.text} [${e.file}]`)).toContain(
      `${r.capture} [network/tapd4a1b2c3-e5.pcap]`,
    );
  });
});

/** A server host's br-eth1 without its return translation (local VLAN 1 → 1041): its OFFER dies there. */
const cutReturn =
  (host: string) =>
  (d: string): void => {
    for (const file of ['ovs-ofctl_dump-flows_br-eth1', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-eth1'])
      edit(
        join(d, host, 'sos_commands/openvswitch', file),
        /priority=4,in_port=1,dl_vlan=1 actions=\S+/,
        'priority=4,in_port=1,dl_vlan=1 actions=drop',
      );
  };

describe('the way back of each DHCP server the DISCOVER reaches', () => {
  const table: {
    name: string;
    agents: AgentSpec[];
    cut: ((d: string) => void)[];
    findings: [string, string][];
    verdict: Diagnosis['verdict'];
  }[] = [
    {
      name: 'one server whose OFFER dies: the cause, as before',
      agents: [{ host: 'domu' }],
      cut: [cutReturn('domu')],
      findings: [
        [
          'error',
          /^the DISCOVER reaches the DHCP server but an OFFER back to vif16\.0 dies on domu br-eth1 at/
            .source,
        ],
      ],
      verdict: 'problem',
    },
    {
      // Was: the OFFER was traced from domu only (the first reached): offer-dropped, PROBLEM.
      name: "two servers, the first one's OFFER dies, the second's comes back and it listens: lost redundancy, healthy",
      agents: [{ host: 'domu' }, { host: 'domu2' }],
      cut: [cutReturn('domu')],
      findings: [
        [
          'warning',
          /^lost redundancy, not the cause: vif16\.0 also reaches qdhcp-\S+ on domu2, .*: the DISCOVER reaches the DHCP server qdhcp-\S+ on domu but an OFFER back to vif16\.0 dies on domu br-eth1 at/
            .source,
        ],
      ],
      verdict: 'healthy',
    },
    {
      name: 'three servers, the OFFER of two dies: lost redundancy twice, healthy',
      agents: [{ host: 'domu' }, { host: 'domu2' }, { host: 'domu4' }],
      cut: [cutReturn('domu'), cutReturn('domu4')],
      findings: [
        [
          'warning',
          /^lost redundancy, not the cause: .* an OFFER back to vif16\.0 dies on domu br-eth1 at/.source,
        ],
        [
          'warning',
          /^lost redundancy, not the cause: .* an OFFER back to vif16\.0 dies on domu4 br-eth1 at/.source,
        ],
      ],
      verdict: 'healthy',
    },
  ];
  it.each(table)('$name', (r) => {
    const dir = dhcpAgents(r.agents, {
      change: (d) => {
        for (const c of r.cut) c(d);
      },
    });
    const f = offerPath.run(buildContext(readCase(dir)));
    expect(f.map((x) => x.code)).toEqual(r.findings.map(() => 'offer-dropped'));
    r.findings.forEach(([sev, re], i) => {
      expect(f[i]!.severity).toBe(sev);
      expect(f[i]!.message).toMatch(new RegExp(re));
    });
    const d = diagnose(readCase(dir));
    expect(d.verdict).toBe(r.verdict);
    expect(d.paths[0]!.offer?.verdict).toBe(r.verdict === 'healthy' ? 'delivered' : 'dropped');
  });
});
