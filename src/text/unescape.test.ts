// OVS's string escapes, as real tools print them. Port names with ESC and a newline, seen by a reviewer on a real
// ovsdb-server 3.1 (ovs-vsctl add-port br0 "$(printf 'vif\e[31mRED\n16.0')"), print as
// "vif\u001b[31mRED\n16.0" in `ovs-vsctl show`, in `ovs-vsctl list` and `ovsdb-client monitor`
// tables; was read as "vifu001b[31mRED\n16.0", so a fix named a port that does not exist.
import { describe, expect, it } from 'vitest';
import { unquote } from '../openflow/values.ts';
import { parseTextDatum } from '../ovsdb/text-datum.ts';
import { parseVsctlShow } from '../parse/ovs-vsctl-show.ts';

describe('OVS string escapes', () => {
  it.each([
    ['"vif\\u001b[31mRED\\n16.0"', 'vif\u001b[31mRED\n16.0'],
    ['"tab\\there"', 'tab\there'],
    ['"q\\"uote\\\\back"', 'q"uote\\back'],
    ['"bidi\\u202eX"', 'bidi\u202eX'],
    ['"cr\\r\\b\\f\\/"', 'cr\r\b\f/'],
    // Not JSON: kept as the character it escapes (as before).
    ['"odd\\qx"', 'oddqx'],
    ['"short\\u12"', 'shortu12'],
  ])('%s', (quoted, name) => {
    expect(unquote(quoted)).toBe(name);
    expect(parseTextDatum(quoted)).toBe(name);
  });

  it('a port named with ESC in ovs-vsctl show keeps its ESC', () => {
    const text = [
      '6b2ee4b7-39f4-4d5b-a3c5-5d6e1a3c2b11',
      '    Bridge br0',
      '        Port "vif\\u001b[31mRED\\n16.0"',
      '            Interface "vif\\u001b[31mRED\\n16.0"',
      '    ovs_version: "3.1.0"',
      '',
    ].join('\n');
    const r = parseVsctlShow(text);
    const names = r.value.bridges.flatMap((b) => b.ports.map((p) => p.name));
    expect(names).toEqual(['vif\u001b[31mRED\n16.0']);
  });
});
