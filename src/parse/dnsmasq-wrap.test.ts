// dnsmasq's DHCP line wrapped by a paste (a blog's code block): the line after it that is no log
// line of its own is its rest when the two read as a line dnsmasq logs, said; else a fragment,
// said, never dropped in silence. Real strings: sources/fixtures/field-wraps (PROVENANCE.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { ROOT } from '../testing/fixtures.ts';
import { parseDnsmasqLog } from './services.ts';

const FIX = join(ROOT, 'src/sources/fixtures/field-wraps/choudan-havana-lb');
// choudan's line as the post wraps it (after "no"), and the same line cut elsewhere.
const HEAD = '    dnsmasq-dhcp[13578]: DHCPDISCOVER(ns-ea864f58-69) 192.168.101.14 fa:16:3e:07:e2:8d';
const WHOLE =
  'dnsmasq-dhcp[13578]: DHCPDISCOVER(ns-ea864f58-69) 192.168.101.14 fa:16:3e:07:e2:8d no address available';
const PROSE = 'This rule gets hit as number of packets increases.';

describe('a dnsmasq DHCP line wrapped over lines', () => {
  // [what, text, the event's note, its text, diagnostics]
  const rows: [string, string, string | undefined, string, string[]][] = [
    [
      'choudan: wrapped after "no" (a blank lost)',
      readFileSync(join(FIX, 'network/dnsmasq.log'), 'utf8'),
      'no address available',
      WHOLE,
      ['warning 1 rejoined a log line wrapped over lines 1-2 (a paste): rejoined'],
    ],
    [
      'cut inside the MAC (a terminal: nothing lost)',
      `${HEAD.slice(0, -1)}\n${HEAD.slice(-1)} no address available\n`,
      'no address available',
      WHOLE,
      ['warning 1 rejoined a log line wrapped over lines 1-2 (a paste): rejoined'],
    ],
    [
      'over three lines',
      `${HEAD} no\naddress\navailable\n`,
      'no address available',
      WHOLE,
      ['warning 1 rejoined a log line wrapped over lines 1-3 (a paste): rejoined'],
    ],
    [
      "the poster's prose after it: a fragment, said",
      `${HEAD} no address available\n${PROSE}\n`,
      'no address available',
      WHOLE,
      [
        'warning 2 fragment not a log line (no time stamp, no dnsmasq[pid]:) and no rest of line 1 that dnsmasq would log: a fragment, not read',
      ],
    ],
    [
      'a rest that is no message of dnsmasq: a fragment, the line as it is',
      `${HEAD} no\naddress\n`,
      'no',
      `${HEAD.trim()} no`,
      [
        'warning 2 fragment not a log line (no time stamp, no dnsmasq[pid]:) and no rest of line 1 that dnsmasq would log: a fragment, not read',
      ],
    ],
    ['a blank line between: never joined', `${HEAD}\n\n${PROSE}\n`, undefined, HEAD.trim(), []],
  ];
  it.each(rows)('%s', (_what, text, note, line, said) => {
    const r = parseDnsmasqLog(text);
    expect(r.diagnostics.map((d) => `${d.severity} ${d.line} ${d.code} ${d.message}`)).toEqual(said);
    expect(r.value).toHaveLength(1);
    expect(r.value[0]).toMatchObject({
      type: 'DHCPDISCOVER',
      iface: 'ns-ea864f58-69',
      ip: '192.168.101.14',
      mac: 'fa:16:3e:07:e2:8d',
      pid: 13578,
      text: line,
      line: 1,
    });
    expect(r.value[0]!.note).toBe(note);
  });

  it("choudan's case: the refusal reaches the host's dnsmasq log (was: dropped in silence)", () => {
    const s = readCase(FIX);
    expect(s.hosts[0]!.dnsmasqLogs?.[0]?.events).toMatchObject([
      { type: 'DHCPDISCOVER', mac: 'fa:16:3e:07:e2:8d', note: 'no address available' },
    ]);
    expect(s.diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`)).toEqual([
      'network/dnsmasq.log:1 rejoined',
    ]);
  });
});
