// `ovs-vsctl show` whose indentation a forum or a blog flattened (every line at one indentation):
// the keywords give the tree (a Port is the last Bridge's, an Interface the last Port's, each key
// its record's), said; a key whose record they do not determine is not read, said. Real strings:
// sources/fixtures/field-wraps/forum-havana-gre and datacentred-acid (PROVENANCE.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { sniff } from '../sources/file-kinds.ts';
import { ROOT } from '../testing/fixtures.ts';
import { parseVsctlShow } from './ovs-vsctl-show.ts';

const FIX = join(ROOT, 'src/sources/fixtures/field-wraps');
const FORUM = readFileSync(join(FIX, 'forum-havana-gre/neutron/ovs-vsctl_show'), 'utf8');
// The forum's show as the paste repair hands it over (its 8-space indent removed).
const FLAT = FORUM.split('\n')
  .map((l) => l.replace(/^ {8}/, ''))
  .join('\n');
const FLATTENED =
  "warning 2 indentation flattened (every line at one indentation: a paste): hierarchy taken from the keywords (a Port is the last Bridge's, an Interface the last Port's, a key its record's: tag a Port's, type and options an Interface's, fail_mode a Bridge's)";
const ports = (t: string): string[] =>
  parseVsctlShow(t).value.bridges.flatMap((b) =>
    b.ports.map(
      (p) =>
        `${b.name}/${p.name}${p.tag === undefined ? '' : ` tag ${p.tag}`}${p.interfaces.map((f) => ` ${f.name}:${f.type ?? ''}`).join('')}`,
    ),
  );

describe('ovs-vsctl show with its indentation flattened', () => {
  // [what, text, diagnostics, ports]
  const rows: [string, string, string[], string[]][] = [
    [
      'the forum network node (was: exit 2, Port line outside its parent [Port br-ex])',
      FLAT,
      [FLATTENED],
      [
        'br-ex/br-ex br-ex:internal',
        'br-ex/eth2 eth2:',
        'br-ex/qg-ac77add8-f6 qg-ac77add8-f6:internal',
        'br-tun/gre-1 gre-1:gre',
        'br-tun/br-tun br-tun:internal',
        'br-tun/gre-2 gre-2:gre',
        'br-tun/patch-int patch-int:patch',
        'br-int/tapfc47451e-6e tag 2 tapfc47451e-6e:internal',
        'br-int/patch-tun patch-tun:patch',
        'br-int/br-int br-int:internal',
        'br-int/qr-9362c080-49 tag 1 qr-9362c080-49:internal',
        'br-int/tap494d9d45-de tag 1 tap494d9d45-de:internal',
      ],
    ],
    [
      'an Interface key before any Interface of its Port: not read, said',
      'Bridge br-int\nPort br-int\ntype: internal\nInterface br-int\n',
      [
        FLATTENED.replace('warning 2', 'warning 1'),
        'warning 3 a key line whose record the keywords do not determine (indentation flattened): not read',
      ],
      ['br-int/br-int br-int:'],
    ],
    [
      'the same lines as ovs-vsctl indents them: read by their indentation, nothing said',
      '    Bridge br-int\n        Port br-int\n            Interface br-int\n                type: internal\n',
      [],
      ['br-int/br-int br-int:internal'],
    ],
  ];
  it.each(rows)('%s', (_what, text, said, want) => {
    const r = parseVsctlShow(text);
    expect(r.diagnostics.map((d) => `${d.severity} ${d.line} ${d.message}`)).toEqual(said);
    expect(ports(text)).toEqual(want);
  });

  it("keys go to their record: a tunnel's options, the version", () => {
    const v = parseVsctlShow(FLAT).value;
    expect(v.uuid).toBe('1f793d03-8ab1-495c-877e-e6002dda9912');
    expect(v.ovsVersion).toBe('1.10.2');
    const tun = v.bridges.find((b) => b.name === 'br-tun')!;
    expect(tun.ports.find((p) => p.name === 'gre-2')!.interfaces[0]!.options).toMatchObject({
      remote_ip: '172.16.39.156',
    });
    expect(tun.ports.find((p) => p.name === 'patch-int')!.interfaces[0]!.options).toEqual({
      peer: 'patch-tun',
    });
  });

  it('the forum case: the DHCP ports on br-int with their tags', () => {
    const s = readCase(join(FIX, 'forum-havana-gre'), { lenient: true });
    const show = s.diagnostics.filter((d) => d.file === 'neutron/ovs-vsctl_show');
    expect(show.map((d) => `${d.severity} ${d.line} ${d.code}`)).toEqual([
      'warning 1 reindented',
      'warning 2 flattened',
    ]);
    const int = s.hosts[0]!.bridges.find((b) => b.name === 'br-int')!;
    expect(
      int.ports
        .filter((p) => p.name.startsWith('tap'))
        .map((p) => [p.name, p.tag.known ? p.tag.value : undefined, p.tag.known ? p.tag.from : undefined]),
    ).toEqual([
      ['tapfc47451e-6e', 2, [{ file: 'neutron/ovs-vsctl_show', line: 28 }]],
      ['tap494d9d45-de', 1, [{ file: 'neutron/ovs-vsctl_show', line: 43 }]],
    ]);
  });

  it('datacentred acid, saved as ovs-vsctl_show.1 (was: not read), is known by its content and read', () => {
    const text = readFileSync(join(FIX, 'datacentred-acid/acid/ovs-vsctl_show.1'), 'utf8');
    expect(sniff(text)).toEqual({ kind: 'vsctl-show' });
    const s = readCase(join(FIX, 'datacentred-acid'));
    expect(s.diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`)).toEqual([
      'acid/ovs-vsctl_show.1:7 excerpt',
      'acid/ovs-vsctl_show.1:2 flattened',
    ]);
    const tun = s.hosts[0]!.bridges.find((b) => b.name === 'br-tun')!;
    expect(tun.ports.map((p) => p.name)).toEqual(['gre-0a0aaa92']);
  });
});
