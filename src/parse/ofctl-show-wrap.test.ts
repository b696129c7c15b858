// `ovs-ofctl show`'s header fields wrapped by a doc (capabilities:, actions:): their words on the
// next lines are the field's, read as header text (not used), said; the port lines parse. Real
// strings: sources/fixtures/field-wraps/opsguide-compute (PROVENANCE.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { ROOT } from '../testing/fixtures.ts';
import { parseOfctlShow } from './ovs-ofctl-show.ts';

const FIX = join(ROOT, 'src/sources/fixtures/field-wraps/opsguide-compute');
const DOC = readFileSync(join(FIX, 'compute/ovs-ofctl_show_br-int'), 'utf8');
const L = DOC.split('\n');
const PORT = ` 2(patch-tun): addr:fa:24:73:75:ad:cd\n     config:     0\n     state:      0\n`;

describe('ovs-ofctl show with its header fields wrapped', () => {
  // [what, text, diagnostics, ports]
  const rows: [string, string, string[], string[]][] = [
    [
      'the Operations Guide (capabilities: over 2 lines, actions: over 3)',
      DOC,
      [
        'warning 3 the capabilities: header field wrapped over lines 3-4 (a paste): read as one field (header text, not used)',
        'warning 5 the actions: header field wrapped over lines 5-7 (a paste): read as one field (header text, not used)',
      ],
      ['1 int-br-eth1', '2 patch-tun', '3 tap9be586e6-79', 'LOCAL br-int'],
    ],
    [
      'the lower-case actions of OVS 2.x, wrapped',
      `${L[0]}\n${L[1]}\nactions: output enqueue set_vlan_vid set_vlan_pcp strip_vlan mod_dl_src\nmod_dl_dst mod_nw_src mod_nw_dst mod_nw_tos mod_tp_src mod_tp_dst\n${PORT}`,
      [
        'warning 3 the actions: header field wrapped over lines 3-4 (a paste): read as one field (header text, not used)',
      ],
      ['2 patch-tun'],
    ],
    [
      'a blank line ends the field: a word after it is no show line',
      `${L[0]}\n${L[2]}\n\n${L[3]}\n${PORT}`,
      ['corrupt 4 not an ovs-ofctl show line'],
      ['2 patch-tun'],
    ],
    [
      'a line that is not only the field’s words is no continuation',
      `${L[0]}\n${L[2]}\nARP_MATCH_IP and more\n${PORT}`,
      ['corrupt 3 not an ovs-ofctl show line'],
      ['2 patch-tun'],
    ],
  ];
  it.each(rows)('%s', (_what, text, said, ports) => {
    const r = parseOfctlShow(text);
    expect(r.diagnostics.map((d) => `${d.severity} ${d.line} ${d.message}`)).toEqual(said);
    expect(r.value.ports.map((p) => `${p.ofport} ${p.name}`)).toEqual(ports);
  });

  it('the case reads (was: exit 2, compute/ovs-ofctl_show_br-int:4: not an ovs-ofctl show line [ARP_MATCH_IP])', () => {
    const s = readCase(FIX);
    expect(s.diagnostics.filter((d) => d.severity === 'corrupt')).toEqual([]);
    const br = s.hosts[0]!.bridges.find((b) => b.name === 'br-int')!;
    expect(br.ports.map((p) => p.name)).toEqual(['int-br-eth1', 'patch-tun', 'tap9be586e6-79', 'br-int']);
  });
});
