// Damaged pastes (issue 15 item 2), made from real outputs (fixtures/pasted/PROVENANCE.md): read
// as the real files they came from, an excerpt marked incomplete, a mixed escape refused.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bridge, findBridge, findPort, type Host } from '../model/snapshot.ts';
import { repairPaste } from '../parse/paste.ts';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';
import { InputError } from './errors.ts';

const HERE = join(import.meta.dirname, 'fixtures/pasted');
const REAL = readCase(join(OWN_FIXTURES, 'field/hotsos-openstack')).hosts[0]!;
const texts = (b: Bridge | undefined): string[] =>
  b?.flows.known ? b.flows.value.entries.map((e) => e.text) : [];
const host = (c: string): { h: Host; s: ReturnType<typeof readCase> } => {
  const s = readCase(join(HERE, c));
  return { h: s.hosts[0]!, s };
};

describe('pasted outputs damaged as the field damages them', () => {
  it.each([
    ['wrapped', 'br-int', 110, 'rejoined'],
    ['wrapped', 'br-tun', 39, 'rejoined'],
    ['reindented', 'br-tun', 39, 'reindented'],
    ['html', 'br-tun', 39, 'html-escaped'],
  ])('%s %s: the same %i flows as the real dump, complete, said (%s)', (c, br, n, code) => {
    const { h, s } = host(c);
    const b = findBridge(h, br);
    expect(texts(b)).toHaveLength(n);
    expect(texts(b)).toEqual(texts(findBridge(REAL, br)));
    expect(b!.flows.known && b!.flows.value.complete).toBe(true);
    expect(s.diagnostics.filter((d) => d.severity === 'corrupt')).toEqual([]);
    expect(s.diagnostics.some((d) => d.code === code && d.file.endsWith(`flows-${br}.txt`))).toBe(true);
  });

  it.each(['reindented', 'html'])(
    '%s ovs-vsctl show: bridges, tags, types and tunnel options as the real one',
    (c) => {
      const { h } = host(c);
      expect(h.bridges.map((b) => b.name).sort()).toEqual(['br-data', 'br-ex', 'br-int', 'br-tun']);
      expect(findPort(h, 'tap0e778df8-ca')!.port.tag).toMatchObject({ known: true, value: 3 });
      const vx = findPort(h, 'vxlan-0a000085')!.port.interfaces[0]!;
      expect(vx.type).toMatchObject({ known: true, value: 'vxlan' });
      expect(vx.options.known && vx.options.value.remote_ip).toBe('10.0.0.133');
      expect(findPort(h, 'phy-br-data')!.port.interfaces[0]!.options).toMatchObject({
        known: true,
        value: { peer: 'int-br-data' },
      });
    },
  );

  it('reindented ovs-ofctl show: port numbers read through the indentation', () => {
    const { h } = host('reindented');
    expect(findPort(h, 'patch-int')!.port.interfaces[0]!.ofport).toMatchObject({ known: true, value: 1 });
  });

  it('an excerpt: its facts kept, the dump incomplete, nothing asserted from what it leaves out', () => {
    const { h, s } = host('excerpt');
    const brInt = findBridge(h, 'br-int')!;
    expect(texts(brInt)).toHaveLength(8);
    expect(brInt.flows.known && brInt.flows.value.complete).toBe(false);
    expect(s.diagnostics.filter((d) => d.severity === 'corrupt')).toEqual([]);
    expect(s.diagnostics).toContainEqual(
      expect.objectContaining({ file: 'compute/flows-br-int.txt', code: 'excerpt', line: 7 }),
    );
    expect(h.gaps).toContain(
      'compute/vsctl-show.txt is an excerpt (lines left out at line 17): what it does not show is unknown',
    );
    // br-ex shows no fail_mode in the real output either, but an excerpt asserts no default.
    expect(findBridge(h, 'br-ex')!.failMode.known).toBe(false);
    expect(findBridge(h, 'br-data')!.failMode).toMatchObject({ known: true, value: 'secure' });
    expect(findBridge(REAL, 'br-ex')!.failMode).toMatchObject({ known: true, value: null });
  });
});

describe('what is refused, never guessed', () => {
  const tmp: string[] = [];
  afterEach(() => {
    for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  it('HTML-escaped in part (&quot; beside a raw "): exit 2 naming file and line', () => {
    const d = mkdtempSync(join(tmpdir(), 'vifpath-pasted-'));
    tmp.push(d);
    mkdirSync(join(d, 'compute'));
    const t = readFileSync(join(HERE, 'html/compute/vsctl-show.txt'), 'utf8').split('\n');
    t[1] = t[1]!.replace(/&quot;/g, '"');
    writeFileSync(join(d, 'compute/vsctl-show.txt'), t.join('\n'));
    let err: unknown;
    try {
      readCase(d);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ file: 'compute/vsctl-show.txt', line: 2 });
    expect((err as Error).message).toMatch(/^HTML-escaped in part/);
  });
});

const FLOW =
  ' cookie=0x0, duration=1.5s, table=0, n_packets=7, n_bytes=799, priority=2,in_port=2 actions=drop';
describe('repairPaste table', () => {
  it.each<[string, string, boolean, { text?: string; codes: string[]; excerpt?: number }]>([
    ['elision dot', `${FLOW}\n.\n${FLOW}\n`, true, { codes: ['excerpt'], excerpt: 2 }],
    ['elision ellipsis char', `${FLOW}\n…\n`, true, { codes: ['excerpt'], excerpt: 2 }],
    ['elision [...]', `a\n[...]\n`, false, { codes: ['excerpt'], excerpt: 2 }],
    [
      'tab before every line',
      `\tBridge br0\n\t    Port p\n`,
      false,
      { text: 'Bridge br0\n    Port p\n', codes: ['reindented'] },
    ],
    ['spaces, blank lines kept', `  x\n\n    y\n`, false, { text: 'x\n\n  y\n', codes: ['reindented'] }],
    ['numeric entities', `a&#34;b&#x3e;\n`, false, { text: 'a"b>\n', codes: ['html-escaped'] }],
    [
      '&gt; beside a raw >',
      `load:0x1-&gt;NXM_NX_REG0[]\nload:0x1->NXM_NX_REG0[]\n`,
      true,
      { text: '', codes: ['html-mixed'] },
    ],
    [
      'wrapped over three lines at 40 columns',
      `${FLOW.slice(0, 40)}\n${FLOW.slice(40, 80)}\n${FLOW.slice(80)}\n`,
      true,
      { text: `${FLOW}\n\n\n`, codes: ['rejoined'] },
    ],
    [
      'a continuation that makes no flow is left for the parser to refuse',
      `${FLOW}\nxyz(\n`,
      true,
      { text: `${FLOW}\nxyz(\n`, codes: [] },
    ],
    ['not a dump: no rejoining', `${FLOW.slice(0, 40)}\n${FLOW.slice(40)}\n`, false, { codes: [] }],
  ])('%s', (_name, input, flows, want) => {
    const r = repairPaste(input, { flows });
    if (want.text !== undefined) expect(r.text).toBe(want.text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(want.codes);
    expect(r.excerpt).toBe(want.excerpt);
  });
});
