// A wire the case lacks is asked for once, whichever way the paths needing it go: the DISCOVER
// one way and the OFFER back the other are one wire-unknown gap, one links.txt line in what to
// collect, with both paths and the candidate ends of both hosts as evidence; a candidate end is not
// asked again as 'what is behind' it. Cases: the seed example and the reference healthy lab.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, seedCase, tagSeedVif16 } from '../testing/case-edits.ts';
import { dhcpAgents } from '../testing/dhcp-agents.ts';
import { diagnose } from './diagnose.ts';

afterAll(cleanupCases);

const line = (a: string, b: string): string =>
  `links.txt: add the line \`${a}:<iface> ${b}:<iface>\`   # the wire between ${a} and ${b} (or give it with --links FILE)`;

const rows: {
  name: string;
  build: () => string;
  subject: string;
  message: string;
  evidence: string[];
  collect: string;
  notCollect: RegExp[];
}[] = [
  {
    // Was: two gaps (dom0→domu, domu→dom0), two links.txt lines for one wire, and 'dom0: what is
    // behind xapi3 port vif15.1' besides.
    name: 'the seed tagged 1 without links.txt: the DISCOVER dom0→domu and the OFFER domu→dom0, one wire',
    build: () =>
      seedCase((d) => {
        tagSeedVif16(d, 1);
        rmSync(join(d, 'links.txt'));
      }),
    subject: 'dom0↔domu',
    message:
      'the path from dom0 to domu and back is not traced: the case has no wire (or tunnel) joining them; ports with nothing known behind them: dom0:vif15.1',
    evidence: [
      'the DISCOVER from dom0:vif16.0 is not traced from dom0 to domu; as the case stands it ends at dom0 bridge xapi5 LOCAL port; dom0 xapi3 port vif15.1 (nothing in the case says what is behind it); dom0 bridge xapi3 LOCAL port []',
      'the OFFER back to dom0:vif16.0 is not traced from domu to dom0; as the case stands it ends at domu br-int port qr-78592dd4-ec (nothing in the case says what is behind it); domu br-int port qr-55af50c7-32 (nothing in the case says what is behind it); domu bridge br-int LOCAL port []',
      'dom0:vif15.1 on xapi3: nothing in the case behind it [dom0/ovs-ofctl_show_xapi3:5]',
    ],
    collect: line('dom0', 'domu'),
    notCollect: [/^links\.txt: add the line `domu:/, /what is behind xapi3 port vif15\.1/],
  },
  {
    name: 'the seed without links.txt: the DISCOVER dies on dom0, only the OFFER back needs the wire',
    build: () => seedCase((d) => rmSync(join(d, 'links.txt'))),
    subject: 'domu→dom0',
    message:
      'the path from domu to dom0 is not traced: the case has no wire (or tunnel) joining them; ports with nothing known behind them: dom0:vif15.1',
    evidence: [
      'the OFFER back to dom0:vif16.0 is not traced from domu to dom0; as the case stands it ends at domu br-int port qr-78592dd4-ec (nothing in the case says what is behind it); domu br-int port qr-55af50c7-32 (nothing in the case says what is behind it); domu bridge br-int LOCAL port []',
      'dom0:vif15.1 on xapi3: nothing in the case behind it [dom0/ovs-ofctl_show_xapi3:5]',
    ],
    collect: line('domu', 'dom0'),
    notCollect: [/^links\.txt: add the line `dom0:/],
  },
  {
    name: 'the reference lab without its wire: both ways, the ends of both hosts as evidence',
    build: () => dhcpAgents([{ host: 'domu', wired: false }]),
    subject: 'dom0↔domu',
    message:
      'the path from dom0 to domu and back is not traced: the case has no wire (or tunnel) joining them; ports with nothing known behind them: dom0:vif2.1, domu:eth1',
    evidence: [
      'the DISCOVER from dom0:vif16.0 is not traced from dom0 to domu; as the case stands it ends at dom0 bridge xapi1 LOCAL port; dom0 device vif2.1; dom0 bridge xapi2 LOCAL port []',
      'the OFFER back to dom0:vif16.0 is not traced from domu to dom0; as the case stands it ends at domu device eth1 []',
      'dom0:vif2.1 on xapi2: nothing in the case behind it [dom0/sos_commands/openvswitch/ovs-vsctl_-t_5_list_port:121]',
      'domu:eth1 on br-eth1: nothing in the case behind it [domu/sos_commands/openvswitch/ovs-vsctl_-t_5_list_port:1]',
    ],
    collect: line('dom0', 'domu'),
    notCollect: [/^links\.txt: add the line `domu:/, /what is behind device vif2\.1/],
  },
];

describe('wire-unknown: one gap per missing wire', () => {
  it.each(rows)('$name', (r) => {
    const d = diagnose(readCase(r.build()));
    const gaps = d.findings.filter((f) => f.code === 'wire-unknown');
    expect(gaps.map((g) => [g.subject, g.role, g.message])).toEqual([[r.subject, 'gap', r.message]]);
    expect(gaps[0]!.evidence.map((e) => `${e.text} [${e.file ?? ''}${e.line ? `:${e.line}` : ''}]`)).toEqual(
      r.evidence,
    );
    expect(d.collectNext.filter((x) => x.startsWith('links.txt:'))).toEqual([r.collect]);
    for (const re of r.notCollect) expect(d.collectNext.filter((x) => re.test(x))).toEqual([]);
  });
});
