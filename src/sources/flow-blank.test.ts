// A blank line ends a wrapped dump record: a paste's wrap never adds one. A record whole before a
// blank line stands alone; the poster's prose after it is judged on its own (not a flow: exit 2
// naming its line, --lenient skipped), never taken for the record's rest. Real strings:
// sources/fixtures/field-wraps/forum-havana-gre (PROVENANCE.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repairPaste } from '../parse/paste.ts';
import { ROOT } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';

const FIX = join(ROOT, 'src/sources/fixtures/field-wraps/forum-havana-gre');
const DUMP = readFileSync(join(FIX, 'neutron/ovs-ofctl_dump-flows_br-tun'), 'utf8');
const lines = DUMP.split('\n').map((l) => l.trim());
// The forum's table 10 flow (line 13), its note (line 15), a record it wrapped (line 2).
const LEARN = lines[12]!;
const NOTE = lines[14]!;
const [HEAD2, TAIL2] = [lines[1]!.slice(0, 75).trimEnd(), lines[1]!.slice(75).trim()];

describe('blank lines in a pasted dump', () => {
  // [what, text, the diagnostics of the repair, lines as repaired]
  const rows: [string, string, string[], string[]][] = [
    ['the whole flow, a blank line, the note', `${LEARN}\n\n${NOTE}\n`, [], [LEARN, '', NOTE, '']],
    [
      'the note right after a blank and a whitespace line',
      `${LEARN}\n   \n${NOTE}\n \n`,
      [],
      [LEARN, '   ', NOTE, ' ', ''],
    ],
    [
      'a record a terminal cut (inside n_bytes) rejoined when no blank line is between',
      `${HEAD2}\n${TAIL2}\n`,
      ['warning 1 rejoined'],
      [lines[1]!, '', ''],
    ],
    [
      'the same parts with a blank line between: not joined (each judged on its own)',
      `${HEAD2}\n\n${TAIL2}\n`,
      [],
      [HEAD2, '', TAIL2, ''],
    ],
  ];
  it.each(rows)('%s', (_what, text, said, out) => {
    const r = repairPaste(text, { flows: true });
    expect(r.diagnostics.map((d) => `${d.severity} ${d.line} ${d.code}`)).toEqual(said);
    expect(r.text.split('\n')).toEqual(out);
    expect(r.refused).toBeUndefined();
  });

  it('the forum dump: line 15 (the note) is not a flow (was: lines 13-15 one record that rejoins into no flow)', () => {
    const s = readCase(FIX, { lenient: true });
    expect(
      s.diagnostics
        .filter((d) => d.file.endsWith('dump-flows_br-tun') && d.severity === 'corrupt')
        .map((d) => `${d.line} ${d.message}`),
    ).toEqual(['15 not a flow line']);
    const tun = s.hosts[0]!.bridges.find((b) => b.name === 'br-tun')!;
    expect(tun.flows.known).toBe(true);
    const entries = tun.flows.known ? tun.flows.value.entries : [];
    expect(entries).toHaveLength(17);
    expect(entries.find((e) => e.flow.table === 10)?.from).toMatchObject({ line: 13 });
  });
});
