// The parser reads a dump's characters from a window (chars.ts), refilled by chunks while one dump
// is read in order: what it reads must be the text's own code units, whatever the text holds, and
// no other parse may leave it holding another text.
import { describe, expect, it } from 'vitest';
import { parseDumpFlows } from '../parse/dump-flows.ts';
import { charsOf } from './chars.ts';
import { formatFlow, parseFlow, parseFlowAt } from './flow.ts';

/** A dump of n flows, each with its own port and cookie, with `extra` text on every 7th line. */
function dump(n: number, extra = ''): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      ` cookie=0x${(i + 1).toString(16)}, table=${i % 5}, priority=${i % 100},${i % 7 === 0 ? extra : ''}in_port=${i + 1},dl_vlan=${(i % 4000) + 1} actions=output:${(i % 60000) + 1}`,
    );
  return `${lines.join('\n')}\n`;
}

/** Each flow parsed alone (its own string, no window held over a dump), printed back. */
function oneByOne(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => formatFlow(parseFlow(l)));
}

describe('the window over the text', () => {
  it('holds the code units charCodeAt gives, for one-byte, two-byte and unpaired surrogate text', () => {
    for (const t of ['in_port=1', 'tap☃,x', 'a\ud800b\udc00c', '\u00ff\u0100']) {
      const w = charsOf(t, 0, t.length, false);
      expect(Array.from(w.subarray(0, t.length))).toEqual(Array.from(t, (_, i) => t.charCodeAt(i)));
    }
  });

  it('reads a dump longer than one chunk as each of its lines read alone', () => {
    // ~90 characters a line: 3,000 lines cross the 64K-unit chunk several times, lines straddling
    // a chunk's end included.
    const text = dump(3000);
    const d = parseDumpFlows(text);
    expect(d.diagnostics).toEqual([]);
    expect(d.value.flows.map((f) => formatFlow(f.flow))).toEqual(oneByOne(text));
  });

  it('reads names in any script the same way (a --names dump)', () => {
    const text = dump(200, 'in_port="tap☃-ü",').replace(/in_port="tap☃-ü",in_port=\d+/g, 'in_port="tap☃-ü"');
    const d = parseDumpFlows(text);
    expect(d.diagnostics).toEqual([]);
    expect(d.value.flows).toHaveLength(200);
    expect(formatFlow(d.value.flows[0]!.flow)).toContain('in_port="tap☃-ü"');
    expect(d.value.flows.map((f) => formatFlow(f.flow))).toEqual(oneByOne(text));
  });

  it('is not left holding another text by a parse in the middle of a dump', () => {
    const text = dump(2000);
    const starts = [0];
    for (let p = text.indexOf('\n'); p >= 0; p = text.indexOf('\n', p + 1)) starts.push(p + 1);
    // The snapshot's entry callback runs between two lines of the dump: a parse there of another
    // text, at the very offsets of the dump's next line and longer, must not be what that line is
    // read from.
    const d = parseDumpFlows(text, {}, (flow, line) => {
      if (line % 100 === 0) {
        const at = starts[line]! + 1;
        const other = `${' '.repeat(at)}priority=9,in_port=77,dl_vlan=5,dl_src=fa:16:3e:00:00:01,nw_src=10.0.0.1,ip actions=drop`;
        expect(formatFlow(parseFlowAt(other, at, other.length))).toContain('in_port=77');
      }
      return formatFlow(flow);
    });
    expect(d.value.flows).toEqual(oneByOne(text));
    // A dump read inside another dump's read.
    const inner = dump(300);
    const outer = parseDumpFlows(text, {}, (flow, line) => {
      if (line === 500) expect(parseDumpFlows(inner).value.flows).toHaveLength(300);
      return formatFlow(flow);
    });
    expect(outer.value.flows).toEqual(oneByOne(text));
  });
});
