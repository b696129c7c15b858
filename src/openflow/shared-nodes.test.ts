import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseActions } from './actions.ts';
import { FlowSyntaxError } from './errors.ts';
import { parseFlow, resetFlowSharing } from './flow.ts';
import { CODE_SHORTHAND, CODE_UNKNOWN, fieldCode, parseMatchItem } from './match.ts';
import { matchItemAt, sharedActions } from './shared-nodes.ts';
import type { MatchItem } from './types.ts';

/** What a parser made of a token: the node, or the error class and message. */
function outcome(f: () => MatchItem): MatchItem | string {
  try {
    return f();
  } catch (e) {
    if (e instanceof FlowSyntaxError) return `FlowSyntaxError: ${e.message}`;
    throw e;
  }
}

const codes = new Int32Array(1);

function fastPath(tok: string): MatchItem {
  const eq = tok.indexOf('=');
  const item = matchItemAt(tok, 0, eq, eq < 0 ? -1 : tok.indexOf('/', eq), tok.length, codes, 0);
  // The code recorded as the item is read is the one matchError would look up.
  expect(codes[0]).toBe(codeOfItem(item));
  return item;
}

function codeOfItem(it: MatchItem): number {
  return it.kind === 'field' ? fieldCode(it.field) : it.kind === 'shorthand' ? CODE_SHORTHAND : CODE_UNKNOWN;
}

describe('shared match nodes', () => {
  // Values near the edges of what the numeric path takes: widths, hex pads, masks, junk.
  const digits = fc.string({ unit: fc.constantFrom(...'0123456789abcdefxX./:'.split('')), maxLength: 20 });
  const num = fc.oneof(
    fc.integer({ min: 0, max: 2 ** 33 }).map(String),
    fc.integer({ min: 0, max: 2 ** 33 }).map((n) => `0x${n.toString(16)}`),
    fc
      .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 10 }))
      .map(([n, pad]) => `0x${n.toString(16).padStart(pad, '0')}`),
    digits,
  );
  const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('', '01', '1a'));
  const ip = fc.array(octet, { minLength: 3, maxLength: 5 }).map((o) => o.join('.'));
  const mac = fc
    .array(
      fc.oneof(
        fc.integer({ min: 0, max: 255 }).map((b) => b.toString(16).padStart(2, '0')),
        fc.constantFrom('g0', 'F', 'AB'),
      ),
      {
        minLength: 5,
        maxLength: 7,
      },
    )
    .map((b) => b.join(':'));
  const value = fc.oneof(
    num,
    ip,
    mac,
    fc
      .tuple(ip, fc.oneof(fc.integer({ min: 0, max: 40 }).map(String), ip, fc.constantFrom('0x8', '024', '')))
      .map(([a, p]) => `${a}/${p}`),
    fc.tuple(num, num).map(([a, b]) => `${a}/${b}`),
    fc.tuple(mac, mac).map(([a, b]) => `${a}/${b}`),
  );
  const key = fc.constantFrom(
    'in_port',
    'NXM_OF_IN_PORT',
    'dl_vlan',
    'dl_vlan_pcp',
    'vlan_tci',
    'reg5',
    'NXM_NX_REG6',
    'tp_dst',
    'icmp_type',
    'conj_id',
    'ct_zone',
    'ct_mark',
    'dl_src',
    'eth_dst',
    'arp_sha',
    'nw_src',
    'ip_dst',
    'arp_spa',
    'tun_dst',
    'metadata',
    'ct_state',
    'ipv6_src',
    'no_such_field',
  );

  it('numeric fast path = table-driven parseMatchItem, node or error, on 20,000 tokens', () => {
    fc.assert(
      fc.property(key, value, fc.boolean(), (k, v, reset) => {
        if (reset) resetFlowSharing();
        const tok = `${k}=${v}`;
        const slow = outcome(() => parseMatchItem(tok));
        expect(outcome(() => fastPath(tok))).toEqual(slow);
        // Asked again, the shared node (or the same error) comes back.
        expect(outcome(() => fastPath(tok))).toEqual(slow);
      }),
      { numRuns: 20_000 },
    );
  });

  it('equal tokens share one node; nodes for different spellings of a field stay apart', () => {
    resetFlowSharing();
    const a = parseFlow('priority=1,in_port=7,dl_src=fa:16:3e:00:00:01 actions=output:3');
    const b = parseFlow('table=5, priority=2,in_port=7,dl_src=fa:16:3e:00:00:01 actions=output:3');
    expect(b.match[0]).toBe(a.match[0]);
    expect(b.match[1]).toBe(a.match[1]);
    expect(b.actions).toBe(a.actions);
    const c = parseFlow('priority=1,NXM_OF_IN_PORT=7,dl_vlan=7,dl_vlan=0x7,dl_vlan=0x0007 actions=drop');
    expect(c.match.map((m) => (m.kind === 'field' ? m.name : ''))).toEqual([
      'NXM_OF_IN_PORT',
      'dl_vlan',
      'dl_vlan',
      'dl_vlan',
    ]);
    expect(new Set(c.match).size).toBe(4);
    expect(c.match[0]).not.toBe(a.match[0]);
  });

  it('past its bound the table starts over and keeps answering right (250,000 distinct values)', () => {
    resetFlowSharing();
    for (let n = 0; n < 250_000; n++) {
      const tok = `reg3=${n}`;
      const item = fastPath(tok);
      expect(item.kind === 'field' && item.value.t === 'int' && item.value.v).toBe(n);
      if (n % 1000 === 0) expect(fastPath(tok)).toBe(item);
    }
    const again = fastPath('reg3=249999');
    expect(fastPath('reg3=249999')).toBe(again);
  });
});

describe('shared action nodes read by number', () => {
  // What parseActions makes of a list (its nodes, or its error), against the in-place reader.
  const slowList = (t: string): unknown => {
    try {
      return parseActions(t);
    } catch (e) {
      if (e instanceof FlowSyntaxError) return `FlowSyntaxError: ${e.message}`;
      throw e;
    }
  };
  const fastList = (t: string): unknown => {
    try {
      return [...sharedActions(t, 0, t.length)];
    } catch (e) {
      if (e instanceof FlowSyntaxError) return `FlowSyntaxError: ${e.message}`;
      throw e;
    }
  };
  const n = fc.oneof(
    fc.integer({ min: 0, max: 2 ** 33 }).map(String),
    fc.integer({ min: 0, max: 2 ** 53 }).map((x) => `0x${x.toString(16)}`),
    fc.integer({ min: 0, max: 70 }).map(String),
    fc.integer({ min: 65270, max: 65290 }).map(String),
    fc.constantFrom('', '0', '00012', '0x', '0X1f', '1x2', '-1', '0xfffffffffffffffff', '4095', '4096'),
  );
  const ref = fc.constantFrom(
    'NXM_NX_REG5[]',
    'NXM_NX_REG6[0..15]',
    'NXM_NX_REG0[3]',
    'NXM_NX_REG0[0..3]',
    'reg7',
    'NXM_OF_VLAN_TCI[0..11]',
    'NXM_NX_TUN_ID[]',
    'NXM_NX_CT_MARK[]',
    'A->B',
    'NXM_NX',
    'nosuch[]',
    '',
  );
  const action = fc.oneof(
    n.map((x) => `output:${x}`),
    n.map((x) => `mod_vlan_vid:${x}`),
    fc.tuple(n, n, n).map(([a, b, c]) => `conjunction(${a},${b}/${c})`),
    fc
      .tuple(
        n,
        fc.integer({ min: 0, max: 3 }),
        fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(64), fc.constant(65)),
      )
      .map(([a, b, c]) => `conjunction(${a},${b}/${c})`),
    fc.tuple(n, n).map(([a, b]) => `conjunction(${a},${b})`),
    fc.tuple(n, ref).map(([v, r]) => `load:${v}->${r}`),
    fc.tuple(n, ref).map(([v, r]) => `load:0x${v}->${r}`),
    fc.constantFrom(
      'resubmit(,24)',
      'strip_vlan',
      'NORMAL',
      'drop',
      'output:NXM_NX_REG5[]',
      'output(port=1,max_len=9)',
    ),
  );

  it('output/mod_vlan_vid/conjunction/load read by number = parseActions, nodes or error, on 20,000 lists', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 3 }), fc.boolean(), (as, reset) => {
        if (reset) resetFlowSharing();
        const t = as.join(',');
        const slow = slowList(t);
        expect(fastList(t)).toEqual(slow);
        expect(fastList(t)).toEqual(slow);
      }),
      { numRuns: 20_000 },
    );
  });

  it('one node per value: equal values share it, other fields or forms do not', () => {
    resetFlowSharing();
    const [a] = sharedActions('output:11', 0, 9);
    const l = 'load:0xb->NXM_NX_REG5[],load:0xb->NXM_NX_REG6[],load:11->NXM_NX_REG5[],output:011';
    const [b, c, d, e] = sharedActions(l, 0, l.length);
    expect(e).toBe(a);
    expect(c).not.toBe(b);
    expect(d).not.toBe(b);
    expect(d).toEqual(parseActions('load:11->NXM_NX_REG5[]')[0]);
    expect(b).toEqual(parseActions('load:0xb->NXM_NX_REG5[]')[0]);
    expect(sharedActions('output:11,load:0xb->NXM_NX_REG5[]', 0, 34)).toEqual([a, b]);
  });
});
