import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDumpFlows } from '../parse/dump-flows.ts';
import { fixtureFiles, read } from '../testing/fixtures.ts';
import { formatAction, parseActions } from './actions.ts';
import { FlowSyntaxError } from './errors.ts';
import { formatFlow, formatFlowRule, parseFlow } from './flow.ts';
import type { Action, Flow, MatchItem } from './types.ts';
import { formatIpv6, formatMac, parseIpv6Only } from './values.ts';

describe('flow syntax: real flows', () => {
  it('parses the seed xapi3 drop flow with its counters', () => {
    const f = parseFlow(
      'cookie=0x0, duration=278694.945s, table=0, n_packets=7, n_bytes=799, idle_age=65534, hard_age=65534, priority=2,in_port=2 actions=drop',
    );
    expect(f.priority).toBe(2);
    expect(f.table).toBe(0);
    expect(f.stats).toEqual({
      duration: 278694.945,
      durationDigits: 3,
      n_packets: 7,
      n_bytes: 799,
      idle_age: 65534,
      hard_age: 65534,
    });
    expect(f.match).toEqual([
      {
        kind: 'field',
        field: 'in_port',
        name: 'in_port',
        value: { t: 'port', port: { kind: 'number', n: 2 } },
      },
    ]);
    expect(f.actions).toEqual([{ type: 'drop' }]);
    expect(formatFlowRule(f)).toBe('priority=2,in_port=2 actions=drop');
  });

  it('parses the seed br-int translation flow', () => {
    const f = parseFlow(
      'cookie=0x9bf3d60450c2ae94, duration=277625.02s, table=0, n_packets=31, n_bytes=4076, idle_age=15793, hard_age=65534, priority=3,in_port=1,dl_vlan=1041 actions=mod_vlan_vid:1,NORMAL',
    );
    expect(f.cookie?.v).toBe(0x9bf3d60450c2ae94n);
    expect(f.match[1]).toMatchObject({ field: 'dl_vlan', value: { t: 'int', v: 1041 } });
    expect(f.actions).toEqual([{ type: 'mod_vlan_vid', vid: 1 }, { type: 'normal' }]);
  });

  const table: [string, Partial<Flow> & { actions?: Action[]; match?: MatchItem[] }][] = [
    [
      'priority=100,in_port=2,vlan_tci=0x1000/0x1000 actions=resubmit(,2)',
      {
        match: [
          {
            kind: 'field',
            field: 'in_port',
            name: 'in_port',
            value: { t: 'port', port: { kind: 'number', n: 2 } },
          },
          {
            kind: 'field',
            field: 'vlan_tci',
            name: 'vlan_tci',
            value: {
              t: 'int',
              v: 0x1000,
              m: 0x1000,
              fmt: { hex: true, pad: 4 },
              mfmt: { hex: true, pad: 4 },
            },
          },
        ],
        actions: [{ type: 'resubmit', table: 2, ct: false, paren: true }],
      },
    ],
    [
      'in_port=4 actions=output:1',
      {
        priority: 32768,
        priorityShown: false,
        actions: [{ type: 'output', port: { kind: 'number', n: 1 }, bare: false }],
      },
    ],
    [
      'reset_counts priority=100,in_port=1,dl_vlan=6 actions=set_field:4103->vlan_vid,output:3',
      {
        flags: ['reset_counts'],
        actions: [
          {
            type: 'set_field',
            value: { t: 'int', v: 4103, fmt: { hex: false, pad: 0 } },
            dst: { field: 'vlan_vid', name: 'vlan_vid', bare: true },
          },
          { type: 'output', port: { kind: 'number', n: 3 }, bare: false },
        ],
      },
    ],
    [
      'table=72, priority=73,conj_id=100,ct_state=+new-est,ip,reg5=0x3 actions=conjunction(100,2/2)',
      { table: 72, tableShown: true, actions: [{ type: 'conjunction', id: 100, clause: 2, nClauses: 2 }] },
    ],
    [
      'priority=1 actions=output:"patch-int"',
      { actions: [{ type: 'output', port: { kind: 'name', name: 'patch-int', quoted: true }, bare: false }] },
    ],
  ];
  it.each(table)('%s', (text, want) => {
    const f = parseFlow(text);
    expect(f).toMatchObject(want);
    expect(formatFlow(f)).toBe(text);
  });

  it('keeps unknown actions and match keys as typed unsupported nodes', () => {
    const f = parseFlow('priority=1,frobnicate=3 actions=frob_meta:0x1/0xff,frob(probability=10),NORMAL');
    expect(f.match).toContainEqual({ kind: 'unsupported', text: 'frobnicate=3' });
    expect(f.actions[0]).toEqual({ type: 'unsupported', name: 'frob_meta', text: 'frob_meta:0x1/0xff' });
    expect(f.actions[1]).toEqual({ type: 'unsupported', name: 'frob', text: 'frob(probability=10)' });
    expect(formatFlow(f)).toBe(
      'priority=1,frobnicate=3 actions=frob_meta:0x1/0xff,frob(probability=10),NORMAL',
    );
  });

  it('reads learn, ct and NXM field references', () => {
    const [learn] = parseActions(
      'learn(table=20,hard_timeout=300,priority=1,cookie=0x1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[])',
    );
    expect(learn?.type).toBe('learn');
    if (learn?.type !== 'learn') return;
    expect(learn.specs[4]).toEqual({
      kind: 'match',
      dst: { name: 'NXM_OF_VLAN_TCI', field: 'vlan_tci', start: 0, end: 11 },
    });
    expect(learn.specs[5]).toMatchObject({
      kind: 'match',
      dst: { field: 'dl_dst' },
      src: { field: 'dl_src' },
    });
    expect(learn.specs[8]).toEqual({ kind: 'output', src: { name: 'OXM_OF_IN_PORT', field: 'in_port' } });
    const [ct] = parseActions('ct(commit,zone=NXM_NX_REG6[0..15],exec(load:0x1->NXM_NX_CT_MARK[]))');
    expect(ct).toEqual({
      type: 'ct',
      args: [
        { kind: 'flag', name: 'commit' },
        { kind: 'zone', zone: { name: 'NXM_NX_REG6', field: 'reg6', start: 0, end: 15 } },
        {
          kind: 'exec',
          actions: [
            { type: 'load', value: 1n, hex: true, dst: { name: 'NXM_NX_CT_MARK', field: 'ct_mark' } },
          ],
        },
      ],
    });
  });

  it('rejects what is not a flow with a FlowSyntaxError and its column', () => {
    for (const bad of [
      'priority=2,in_port=2',
      'priority=x actions=drop',
      'dl_vlan=99999 actions=drop',
      'nw_src=1.2.3.999 actions=drop',
      'actions=',
      'actions=mod_vlan_vid:5000',
    ]) {
      expect(() => parseFlow(bad), bad).toThrow(FlowSyntaxError);
    }
    try {
      parseFlow('priority=1,dl_src=zz:00:00:00:00:00 actions=drop');
    } catch (e) {
      expect((e as FlowSyntaxError).column).toBe(12);
    }
  });

  it('round-trips every flow line of every real dump in the fixtures', () => {
    let n = 0;
    // ovs-ofctl dumps only (`ovs-appctl bridge/dump-flows` prints another format, which is not read).
    for (const file of fixtureFiles(/^(?:openstack-hypervisor\.)?ovs-ofctl_.*dump-flows/)) {
      const r = parseDumpFlows(read(file));
      for (const f of r.value.flows) {
        expect(formatFlow(f.flow), `${file}:${f.line}`).toBe(f.text);
        expect(parseFlow(formatFlow(f.flow))).toEqual(f.flow);
        n++;
      }
    }
    expect(n).toBeGreaterThan(500);
  });
});

describe('flow syntax: properties', () => {
  const u = (bits: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: 2 ** bits - 1 });
  const hexOrDec = (bits: number): fc.Arbitrary<string> =>
    fc.tuple(u(bits), fc.boolean()).map(([v, hex]) => (hex ? `0x${v.toString(16)}` : String(v)));
  const mac = fc
    .array(u(8), { minLength: 6, maxLength: 6 })
    .map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':'));
  const ip = fc.array(u(8), { minLength: 4, maxLength: 4 }).map((b) => b.join('.'));
  const matchItem = fc.oneof(
    fc.constantFrom('ip', 'udp', 'arp', 'tcp6', 'icmp'),
    // Port numbers are decimal, below OpenFlow 1.0's OFPP_MAX (0xff00).
    fc.integer({ min: 0, max: 0xfeff }).map((v) => `in_port=${v}`),
    u(12).map((v) => `dl_vlan=${v}`),
    fc
      .tuple(u(16), u(16))
      .map(([v, m]) => `vlan_tci=0x${v.toString(16).padStart(4, '0')}/0x${m.toString(16).padStart(4, '0')}`),
    mac.map((m) => `dl_src=${m}`),
    fc.tuple(mac, mac).map(([a, b]) => `dl_dst=${a}/${b}`),
    fc.tuple(ip, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `nw_src=${a}/${p}`),
    ip.map((a) => `nw_dst=${a}`),
    fc.tuple(u(16), u(16)).map(([v, m]) => `tp_dst=0x${v.toString(16)}/0x${m.toString(16)}`),
    fc.tuple(fc.integer({ min: 0, max: 15 }), hexOrDec(32)).map(([r, v]) => `reg${r}=${v}`),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => `metadata=0x${v.toString(16)}`),
    fc.constantFrom('ct_state=+trk-est', 'ct_state=-new+inv+trk', 'ct_zone=5', 'conj_id=7'),
  );
  const action = fc.oneof(
    fc.constantFrom(
      'NORMAL',
      'drop',
      'FLOOD',
      'ALL',
      'LOCAL',
      'IN_PORT',
      'strip_vlan',
      'pop_vlan',
      'CONTROLLER:65535',
      'dec_ttl',
    ),
    u(12).map((v) => `mod_vlan_vid:${v}`),
    u(3).map((v) => `mod_vlan_pcp:${v}`),
    fc.integer({ min: 1, max: 65279 }).map((p) => `output:${p}`),
    fc.tuple(fc.integer({ min: 0, max: 254 })).map(([t]) => `resubmit(,${t})`),
    fc.integer({ min: 1, max: 254 }).map((t) => `goto_table:${t}`),
    u(12).map((v) => `set_field:${v + 4096}->vlan_vid`),
    fc
      .tuple(u(32), fc.integer({ min: 0, max: 15 }))
      .map(([v, r]) => `load:0x${v.toString(16)}->NXM_NX_REG${r}[]`),
    fc
      .tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 8, max: 15 }))
      .map(([a, b]) => `move:NXM_NX_REG0[${a}..${b}]->NXM_NX_REG1[${a}..${b}]`),
    fc
      .tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 2, max: 4 }))
      .map(([id, n]) => `conjunction(${id},${n}/${n})`),
    mac.map((m) => `mod_dl_dst:${m}`),
    ip.map((a) => `mod_nw_src:${a}`),
    fc.constantFrom(
      'ct(commit,zone=NXM_NX_REG6[0..15])',
      'ct(table=72,zone=5)',
      'enqueue:1:2',
      'set_queue:3',
      'note:aa.bb',
    ),
  );
  // What ovs-ofctl prints: each field once (the shorthands set dl_type and nw_proto, dl_vlan and
  // vlan_tci share the TCI), `drop` alone...
  const fieldOf = (item: string): string => {
    const k = item.split('=')[0]!;
    return /^(ip|udp|arp|tcp6|icmp)$/.test(k) ? 'dl_type' : k === 'dl_vlan' ? 'vlan_tci' : k;
  };
  const flowText = fc
    .record({
      table: fc.option(fc.integer({ min: 0, max: 254 }), { nil: undefined }),
      priority: fc.option(u(16), { nil: undefined }),
      // ... and the protocol of an L3/L4 field (OVS leaves the field out without one; a port
      // also without TCP, UDP, SCTP or ICMP: `ip,tp_dst` is `ip`).
      match: fc
        .uniqueArray(matchItem, { maxLength: 5, selector: fieldOf })
        .map((m) =>
          m.some((x) => /^(nw|tp)_/.test(x)) && !m.some((x) => fieldOf(x) === 'dl_type') ? ['udp', ...m] : m,
        )
        .map((m) =>
          m.some((x) => x.startsWith('tp_')) ? m.map((x) => (x === 'ip' || x === 'arp' ? 'udp' : x)) : m,
        ),
      actions: fc
        .array(action, { minLength: 1, maxLength: 5 })
        .map((l) =>
          l.length > 1 && l.some((a) => a !== 'drop') ? l.filter((a) => a !== 'drop') : l.slice(0, 1),
        ),
    })
    .map(({ table, priority, match, actions }) => {
      const head = [...(priority !== undefined ? [`priority=${priority}`] : []), ...match].join(',');
      return `${table !== undefined ? `table=${table}, ` : ''}${head}${head ? ' ' : ''}actions=${actions.join(',')}`;
    });

  it('format(parse(x)) = x for generated flows in ovs-ofctl spelling', () => {
    fc.assert(
      fc.property(flowText, (text) => {
        expect(formatFlow(parseFlow(text))).toBe(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('parse(format(f)) = f', () => {
    fc.assert(
      fc.property(flowText, (text) => {
        const f = parseFlow(text);
        expect(parseFlow(formatFlow(f))).toEqual(f);
        for (const a of f.actions) expect(parseActions(formatAction(a))).toEqual([a]);
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary text either parses or throws FlowSyntaxError, nothing else', () => {
    const junk = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(...'actions=,()[]{}:>-0x1fNORMAL_ "\\/.'.split('')), maxLength: 80 }),
      flowText.chain((t) => fc.integer({ min: 0, max: t.length }).map((k) => t.slice(0, k))),
    );
    fc.assert(
      fc.property(junk, (text) => {
        try {
          parseFlow(text);
        } catch (e) {
          expect(e).toBeInstanceOf(FlowSyntaxError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('header fields read first (as dumps print them) = the same fields read among match tokens', () => {
    // The header ahead of the match is read by its keys' characters (headerPrefix); the same
    // fields after a match token take the general tokenizer: one flow or one error either way.
    const value = fc.oneof(
      hexOrDec(16),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => `0x${v.toString(16)}`),
      fc.constantFrom('', '0x', '-1', '65536', '256', '0x1/0xff', '278700.004s', '1.s', '12s', 'x'),
    );
    const key = fc.constantFrom(
      'cookie',
      'duration',
      'table',
      'n_packets',
      'n_bytes',
      'idle_age',
      'hard_age',
      'idle_timeout',
      'hard_timeout',
      'importance',
      'priority',
    );
    const header = fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 5 });
    const outcome = (t: string): unknown => {
      try {
        return parseFlow(t);
      } catch (e) {
        if (e instanceof FlowSyntaxError) return e.message;
        throw e;
      }
    };
    fc.assert(
      fc.property(header, matchItem, (h, m) => {
        const fields = h.map(([k, v]) => `${k}=${v}`);
        expect(outcome(`${fields.join(', ')}, ${m} actions=drop`)).toEqual(
          outcome(`${m},${fields.join(',')} actions=drop`),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('MAC and IPv6 values survive format/parse', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (n) => {
        expect(parseFlow(`dl_src=${formatMac(n)} actions=drop`).match[0]).toMatchObject({ value: { v: n } });
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (n) => {
        expect(parseIpv6Only(formatIpv6(n), 'x')).toBe(n);
      }),
    );
  });
});
