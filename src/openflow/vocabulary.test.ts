// The whole action vocabulary OVS prints: real `ovs-ofctl parse-flow` output of OVS's own test
// strings (fixtures/ovs-ofctl-actions.txt) parses and formats back to the same text; well-formed
// actions the table does not model stay as `unsupported` nodes; broken text is a syntax error.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseActions } from './actions.ts';
import { FlowSyntaxError } from './errors.ts';
import { formatFlow, parseFlow } from './flow.ts';
import type { Action } from './types.ts';

const lines = readFileSync(new URL('./fixtures/ovs-ofctl-actions.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'));

function all(actions: readonly Action[]): Action[] {
  return actions.flatMap((a) =>
    a.type === 'clone' || a.type === 'write_actions' ? [a, ...all(a.actions)] : [a],
  );
}

describe('every action ovs-ofctl 3.1 prints', () => {
  it('has a fixture of real output', () => {
    expect(lines.length).toBeGreaterThanOrEqual(80);
  });
  it.each(lines)('%s', (line) => {
    const f = parseFlow(line);
    expect(formatFlow(f)).toBe(line);
    expect(all(f.actions).filter((a) => a.type === 'unsupported')).toEqual([]);
  });
});

describe('actions: typed nodes', () => {
  const table: [string, Action][] = [
    ['dec_ttl(1,2,3)', { type: 'dec_ttl', ids: [1, 2, 3] }],
    ['dec_ttl', { type: 'dec_ttl' }],
    [
      'check_pkt_larger(100)->NXM_NX_REG0[10]',
      {
        type: 'check_pkt_larger',
        len: 100,
        dst: { name: 'NXM_NX_REG0', field: 'reg0', start: 10, end: 10, single: true },
      },
    ],
    ['group:3', { type: 'group', group: 3 }],
    ['meter:2', { type: 'meter', meter: 2 }],
    ['ct_clear', { type: 'ct_clear' }],
    ['output(port=1,max_len=100)', { type: 'output_trunc', port: { kind: 'number', n: 1 }, maxLen: 100 }],
    ['set_mpls_ttl(10)', { type: 'set_mpls', field: 'ttl', value: 10, paren: true }],
    ['set_tunnel64:0x65000', { type: 'set_tunnel', id: 0x65000n, wide: true }],
    ['encap(nsh(md_type=1))', { type: 'args', name: 'encap', args: ['nsh(md_type=1)'] }],
    ['decap()', { type: 'args', name: 'decap', args: [] }],
  ];
  it.each(table)('%s', (text, want) => {
    expect(parseActions(text)).toEqual([want]);
  });
  it('clone holds its own action list', () => {
    const [c] = parseActions('clone(ct_clear,resubmit(,8))');
    expect(c?.type === 'clone' && c.actions.map((a) => a.type)).toEqual(['ct_clear', 'resubmit']);
  });
});

describe('actions: unknown but well-formed → unsupported, never fatal', () => {
  it.each(['frobnicate', 'frobnicate:7', 'frobnicate(a=1,b(2))', 'debug_unknown(x)'])('%s', (text) => {
    const [a] = parseActions(`${text},NORMAL`);
    expect(a).toEqual({ type: 'unsupported', name: text.split(/[:(]/)[0], text });
  });
});

describe('actions: structurally broken → syntax error', () => {
  it.each([
    ['load:0x2->NXM_NX', 'not a field'],
    ['move:NXM_NX_REG0[]->NXM_NX_REG', 'not a field'],
    ['clone(output:1', 'unbalanced'],
    ['output:1)', 'unbalanced'],
    ['resubmit(,8', 'unbalanced'],
    ['dec_ttl:5', 'parentheses'],
    ['group', 'needs an argument'],
    ['ct_clear:1', 'no argument'],
    ['output(port=1)', 'max_len'],
  ])('%s', (text, msg) => {
    expect(() => parseActions(text)).toThrow(FlowSyntaxError);
    expect(() => parseActions(text)).toThrow(msg);
  });
});
