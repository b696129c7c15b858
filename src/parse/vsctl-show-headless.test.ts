// An ovs-vsctl show excerpt that starts inside a bridge (its Bridge line left out): its ports are
// of a bridge the excerpt does not name, kept apart and said, never exit 2. Real strings:
// sources/fixtures/headless-port (PROVENANCE.md).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { ROOT } from '../testing/fixtures.ts';
import { parseVsctlShow } from './ovs-vsctl-show.ts';

const FIX = join(ROOT, 'src/sources/fixtures/headless-port');
const PORT = 'Port "tap79712efb-32"\n    tag: 1\n    Interface "tap79712efb-32"\n        type: internal\n';

describe('a Port line with no Bridge line above it', () => {
  // [what, text, elision lines, unplaced port (its elision), diagnostics]
  const rows: [string, string, number[], number | undefined, string[]][] = [
    // (the reader hands the parser the text with its elision lines blanked: paste.ts)
    ['after an elision (the notes)', `\n${PORT}\n`, [1, 6], 1, []],
    [
      'first of all, no elision marked',
      PORT,
      [],
      1,
      [
        'warning 1 an excerpt: it starts at a Port line, its Bridge line left out: which bridge its records are on is unknown',
      ],
    ],
  ];
  it.each(rows)('%s', (_what, text, elisions, elision, said) => {
    const r = parseVsctlShow(text, { elisions });
    expect(r.diagnostics.map((d) => `${d.severity} ${d.line} ${d.message}`)).toEqual(said);
    expect(r.value.bridges).toEqual([]);
    expect(r.value.unplacedPorts?.map((p) => [p.name, p.elision, p.tag])).toEqual([
      ['tap79712efb-32', elision, 1],
    ]);
  });
  it('a Port line after a whole bridge is still refused (it has a parent: its indentation is wrong)', () => {
    const r = parseVsctlShow(
      'a66585ea-370a-4a1b-95e2-5083b08c9991\n    Bridge br-int\n        Port br-int\n            Interface br-int\nPort x\n',
    );
    expect(r.diagnostics.map((d) => `${d.severity} ${d.line} ${d.message}`)).toEqual([
      'corrupt 5 Port line outside its parent',
    ]);
  });
});

describe("the notes' network node", () => {
  it('reads the DHCP port on br-int (ovs-ofctl show places it), tag 1, no exit 2', () => {
    const s = readCase(FIX);
    const h = s.hosts[0]!;
    expect(s.diagnostics.filter((d) => d.severity === 'corrupt')).toEqual([]);
    const b = h.bridges.find((x) => x.ports.some((p) => p.name === 'tap79712efb-32'));
    expect(b?.name).toBe('br-int');
    expect(b?.ports.find((p) => p.name === 'tap79712efb-32')?.tag).toMatchObject({ known: true, value: 1 });
    expect(h.gaps).toContain(
      'network/ovs-vsctl_show: tap79712efb-32 follows the elision at line 1 with no Bridge line between: which bridge it is on is unknown (collect the whole `ovs-vsctl show`)',
    );
  });
});

describe("the notes' DHCP host file, tab-indented as pasted (was: exit 2 'expected \"mac,name,ip\"')", () => {
  it('read without the indent, said', () => {
    const s = readCase(FIX);
    const file = 'network/var/lib/neutron/dhcp/f84a328e-407e-4ca6-87bb-ec148853c585/host';
    expect(s.diagnostics.filter((d) => d.file === file).map((d) => `${d.line} ${d.message}`)).toEqual([
      '1 every line indented by "\\t" (a paste): read without it',
    ]);
    expect(s.hosts[0]!.dhcpNetworks[0]!.hosts?.map((h) => [h.mac, h.name, h.ip])).toEqual([
      ['fa:16:3e:79:3b:ac', 'host-10-0-0-2.openstacklocal', '10.0.0.2'],
    ]);
  });
});
