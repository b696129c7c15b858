// Nested actions are bounded: a 1,000-deep `ct(commit,exec(` overflowed the stack in parseCt; now
// anything past ACTIONS_MAX_DEPTH is a syntax error, which a dump turns into a diagnostic.
import { describe, expect, it } from 'vitest';
import { parseDumpFlows } from '../parse/dump-flows.ts';
import { ACTIONS_MAX_DEPTH, parseActions } from './actions.ts';
import { FlowSyntaxError } from './errors.ts';

const nested = (n: number): string => `${'ct(commit,exec('.repeat(n)}drop${'))'.repeat(n)}`;

describe('action nesting depth', () => {
  it('nesting within the limit parses; one level past it is a FlowSyntaxError naming the limit', () => {
    const ok = ACTIONS_MAX_DEPTH / 2; // each ct(exec( level is two parentheses
    let a = parseActions(nested(ok));
    for (let i = 0; i < ok - 1; i++) {
      const exec = a[0]!.type === 'ct' ? a[0]!.args.find((x) => x.kind === 'exec') : undefined;
      expect(exec?.kind).toBe('exec');
      a = exec!.kind === 'exec' ? exec!.actions : [];
    }
    for (const n of [ok + 1, 1000, 200_000])
      expect(() => parseActions(nested(n)), String(n)).toThrow(FlowSyntaxError);
    expect(() => parseActions(nested(1000))).toThrow(
      /nested more than 64 parentheses deep \(ACTIONS_MAX_DEPTH\)/,
    );
  });

  it('in a dump the deep flow is one corrupt diagnostic and the other flows are read', () => {
    const line = (prio: number, actions: string) =>
      ` cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, priority=${prio} actions=${actions}\n`;
    const r = parseDumpFlows(line(1, nested(1000)) + line(0, 'NORMAL'));
    expect(r.diagnostics.map((d) => [d.severity, d.line])).toEqual([['corrupt', 1]]);
    expect(r.value.flows).toHaveLength(1);
  });
});
