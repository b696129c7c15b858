// Damaged pastes (issue 15 item 2), made from real outputs (fixtures/pasted/PROVENANCE.md): read
// as the real files they came from, an excerpt marked incomplete, a mixed escape refused.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bridge, findBridge, findPort, type Host } from '../model/snapshot.ts';
import { MAX_WRAPPED_LINES, repairPaste } from '../parse/paste.ts';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
import { thrown } from '../testing/thrown.ts';
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
      'compute/vsctl-show.txt is an excerpt (lines left out at line 17): what it does not show is unknown (collect the whole `ovs-vsctl show`)',
    );
    // br-ex shows no fail_mode in the real output either, but an excerpt asserts no default.
    expect(findBridge(h, 'br-ex')!.failMode.known).toBe(false);
    expect(findBridge(h, 'br-data')!.failMode).toMatchObject({ known: true, value: 'secure' });
    expect(findBridge(REAL, 'br-ex')!.failMode).toMatchObject({ known: true, value: null });
  });
});

describe('an excerpt that may have cut the Bridge line of the ports after it', () => {
  // excerpt-cut: br-data, br-tun to its patch-int, `...`, then br-int's ports without their
  // `Bridge br-int` line. By indentation they would be br-tun's; nothing proves which bridge holds
  // them, so they are interfaces of unknown bridge, with their own facts, and the host says so.
  const { h } = host('excerpt-cut');
  const AFTER = ['tap0e778df8-ca', 'qr-3a70b31c-3f', 'int-br-data', 'ha-550dc175-c0', 'qg-14f81a43-69'];
  it('the ports before the elision stay on their bridges', () => {
    expect(h.bridges.map((b) => b.name)).toEqual(['br-data', 'br-tun']);
    expect(findBridge(h, 'br-tun')!.ports.map((p) => p.name)).toEqual(['vxlan-0a000085', 'patch-int']);
  });
  it('the ports after it are on no bridge: unplaced interfaces with their type and options', () => {
    for (const name of AFTER) expect(findPort(h, name), name).toBeUndefined();
    const names = h.unplacedInterfaces.map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining([...AFTER, 'patch-tun', 'br-int', 'fg-c8dcce74-c4']));
    const patch = h.unplacedInterfaces.find((i) => i.name === 'patch-tun')!;
    expect(patch.type).toMatchObject({ known: true, value: 'patch' });
    expect(patch.options).toMatchObject({ known: true, value: { peer: 'patch-int' } });
    expect(patch.from).toContainEqual({ file: 'compute/vsctl-show.txt', line: expect.any(Number) });
  });
  it("with the real `ovs-ofctl show br-int` beside it: the ports are br-int's, with the show's tags", () => {
    const d = mkdtempSync(join(tmpdir(), 'vifpath-pasted-'));
    try {
      cpSync(join(HERE, 'excerpt-cut'), d, { recursive: true });
      cpSync(
        join(OWN_FIXTURES, 'field/hotsos-openstack/compute/sos_commands/openvswitch/ovs-ofctl_show_br-int'),
        join(d, 'compute/ofctl-show-br-int.txt'),
      );
      const c = readCase(d).hosts[0]!;
      expect(findPort(c, 'tap0e778df8-ca')!.bridge.name).toBe('br-int');
      expect(findPort(c, 'tap0e778df8-ca')!.port.tag).toMatchObject({ known: true, value: 3 });
      expect(findPort(c, 'patch-tun')!.port.interfaces[0]!.options).toMatchObject({
        known: true,
        value: { peer: 'patch-int' },
      });
      expect(c.unplacedInterfaces.map((i) => i.name)).not.toContain('tap0e778df8-ca');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
  it('the host says which ports have an unknown bridge and what settles it', () => {
    expect(h.gaps).toContain(
      'compute/vsctl-show.txt: tap0e778df8-ca, qr-3a70b31c-3f, int-br-data, ha-550dc175-c0, qg-14f81a43-69, patch-tun, br-int, fg-c8dcce74-c4 follow the elision at line 31 with no Bridge line between: which bridge they are on is unknown (collect the whole `ovs-vsctl show`)',
    );
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
    const err = thrown(() => readCase(d), InputError);
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
      'a continuation that makes no flow: the record refused whole, neither line read',
      `${FLOW}\nxyz(\n`,
      true,
      { text: '\n\n', codes: ['wrapped-unreadable'] },
    ],
    ['not a dump: no rejoining', `${FLOW.slice(0, 40)}\n${FLOW.slice(40)}\n`, false, { codes: [] }],
  ])('%s', (_name, input, flows, want) => {
    const r = repairPaste(input, { flows });
    if (want.text !== undefined) expect(r.text).toBe(want.text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(want.codes);
    expect(r.excerpt).toBe(want.excerpt);
  });
});

// Issue 15 item 2: a dump whose records were wrapped over several lines is rejoined or refused,
// never read as extra flows. Real neutron flows (hotsos br-tun's learn(), an OVS firewall
// ct(commit,…,exec(…))), folded as a terminal does (`fold -w`: cut at the column, nothing lost) and
// as a ticket or mail client does (`fold -s`: wrapped at a blank, the blank lost).
const termFold = (line: string, w: number): string[] => {
  const out: string[] = [];
  for (let i = 0; i < line.length; i += w) out.push(line.slice(i, i + w));
  return out;
};
const wordWrap = (line: string, w: number): string[] => {
  const out: string[] = [];
  let rest = line;
  while (rest.length > w) {
    const at = rest.slice(0, w).lastIndexOf(' ');
    const cut = at > 0 ? at + 1 : w;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut);
  }
  return [...out, rest];
};
const foldText = (text: string, f: (l: string) => string[]): string =>
  text
    .split('\n')
    .flatMap((l) => (l === '' ? [l] : f(l)))
    .join('\n');
const TUN_DUMP = readFileSync(
  join(
    OWN_FIXTURES,
    'field/hotsos-openstack/compute/sos_commands/openvswitch/ovs-ofctl_-O_OpenFlow14_dump-flows_br-tun',
  ),
  'utf8',
);
const LEARN = TUN_DUMP.split('\n').find((l) => l.includes('learn('))!;
const CT =
  ' cookie=0x565d7680690eea02, duration=54.230s, table=72, n_packets=12, n_bytes=1234, idle_age=71, priority=77,ct_state=+est-rel-rpl,ct_zone=0x1,ct_mark=0x1,reg5=0x9 actions=ct(commit,zone=NXM_NX_REG6[0..15],exec(load:0->NXM_NX_CT_MARK[])),load:0x1->NXM_NX_REG5[],resubmit(,73),resubmit(,93)';
const HEAD = 'OFPST_FLOW reply (OF1.4) (xid=0x2):';

describe('wrapped dump records: rejoined at any width, or refused', () => {
  it.each<[string, number, 'terminal' | 'ticket', string]>([
    ['learn()', 80, 'terminal', LEARN],
    ['learn()', 40, 'terminal', LEARN],
    ['learn()', 20, 'terminal', LEARN],
    ['learn()', 40, 'ticket', LEARN],
    ['ct(commit,…,exec(…))', 80, 'terminal', CT],
    ['ct(commit,…,exec(…))', 40, 'terminal', CT],
    ['ct(commit,…,exec(…))', 40, 'ticket', CT],
  ])('%s folded at %i columns (%s): one flow, as dumped', (_n, w, how, flow) => {
    const lines = how === 'terminal' ? termFold(flow, w) : wordWrap(flow, w);
    expect(lines.length).toBeGreaterThan(w === 80 ? 3 : 5);
    const r = repairPaste(`${HEAD}\n${FLOW}\n${lines.join('\n')}\n${FLOW}\n`, { flows: true });
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([['rejoined', 3]]);
    const got = r.text.split('\n');
    // A ticket's wrap loses the blank after a comma of the statistics: the same flow.
    expect(got[2]!.trim().replace(/, /g, ',')).toBe(flow.trim().replace(/, /g, ','));
    expect(got.slice(3, 2 + lines.length).every((l) => l === '')).toBe(true);
    expect(got[2 + lines.length]).toBe(FLOW);
  });

  it.each<[number, 'terminal' | 'ticket']>(
    [20, 33, 40, 57, 72, 80, 100].flatMap((w) => [
      [w, 'terminal'],
      [w, 'ticket'],
    ]),
  )('the real hotsos br-tun dump folded at %i columns (%s): the same 39 flows', (w, how) => {
    const text = foldText(TUN_DUMP, (l) => (how === 'terminal' ? termFold(l, w) : wordWrap(l, w)));
    const d = mkdtempSync(join(tmpdir(), 'vifpath-wrapped-'));
    try {
      mkdirSync(join(d, 'compute'));
      writeFileSync(join(d, 'compute/flows-br-tun.txt'), text);
      writeFileSync(
        join(d, 'compute/vsctl-show.txt'),
        readFileSync(join(HERE, 'reindented/compute/vsctl-show.txt'), 'utf8'),
      );
      const h = readCase(d).hosts[0]!;
      const b = findBridge(h, 'br-tun');
      expect(texts(b)).toEqual(texts(findBridge(REAL, 'br-tun')));
      expect(b!.flows.known && b!.flows.value.complete).toBe(true);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('a record cut before ` actions=drop` over 7 lines: one flow, not a match-all drop of its own', () => {
    // Before: the 5-line limit left ` actions=drop` to be read as a flow (priority 32768, every packet).
    const flow =
      ' cookie=0x565d7680690eea02, duration=54.230s, table=82, n_packets=0, n_bytes=0, idle_age=71, priority=70,conj_id=9,ct_state=+new-est,reg5=0x9,ip actions=drop';
    const lines = termFold(flow, 24);
    expect(lines).toHaveLength(7);
    expect(lines[6]).toBe(' actions=drop');
    const r = repairPaste(`${HEAD}\n${lines.join('\n')}\n`, { flows: true });
    expect(r.text.split('\n').filter((l) => l !== '')).toEqual([HEAD, flow]);
  });

  it('a wrapped record that rejoins into no flow is refused whole, never read as flows', () => {
    // Cut after `ip,`: `ip actions=drop` alone is a valid flow (priority 32768, every IP packet).
    const bad = ` cookie=0x1, duration=1.0s, table=0, n_packets=0, n_bytes=0, priority=10,ip,\nip actions=drop,(`;
    const r = repairPaste(`${HEAD}\n${FLOW}\n${bad}\n${FLOW}\n`, { flows: true });
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ code: 'wrapped-unreadable', severity: 'corrupt', line: 3 }),
    ]);
    expect(r.refused).toBe(3);
    expect(r.text).toBe(`${HEAD}\n${FLOW}\n\n\n${FLOW}\n`);
  });

  it(`a record wrapped over more than ${MAX_WRAPPED_LINES} lines is refused, never read as flows`, () => {
    const long = ` cookie=0x1, duration=1.0s, table=0, n_packets=0, n_bytes=0, priority=1 actions=${Array.from({ length: 40 }, (_, i) => `load:0x${i}->NXM_NX_REG0[]`).join(',')},output:1`;
    const lines = termFold(long, 15);
    expect(lines.length).toBeGreaterThan(MAX_WRAPPED_LINES);
    const r = repairPaste(`${HEAD}\n${lines.join('\n')}\n${FLOW}\n`, { flows: true });
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([['wrapped-unreadable', 2]]);
    expect(r.text.split('\n').filter((l) => l !== '')).toEqual([HEAD, FLOW]);
  });

  describe('in a case', () => {
    const tmp: string[] = [];
    afterEach(() => {
      for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
    });
    const caseWith = (dump: string): string => {
      const d = mkdtempSync(join(tmpdir(), 'vifpath-wrapped-'));
      tmp.push(d);
      mkdirSync(join(d, 'compute'));
      writeFileSync(join(d, 'compute/flows-br-int.txt'), dump);
      writeFileSync(
        join(d, 'compute/vsctl-show.txt'),
        'Bridge br-int\n    Port br-int\n        Interface br-int\n',
      );
      return d;
    };
    const broken = `${HEAD}\n${FLOW}\n cookie=0x1, duration=1.0s, table=0, n_packets=0, n_bytes=0, priority=10,ip,\nip actions=drop,(\n`;
    it('refused: exit 2 naming file and line', () => {
      const err = thrown(() => readCase(caseWith(broken)), InputError);
      expect(err).toMatchObject({ file: 'compute/flows-br-int.txt', line: 3 });
      expect((err as Error).message).toMatch(/^lines 3-4 are one record wrapped/);
    });
    it('--lenient: the other flows read, the dump incomplete, no flow from the fragments', () => {
      const s = readCase(caseWith(broken), { lenient: true });
      const b = findBridge(s.hosts[0]!, 'br-int')!;
      expect(texts(b)).toEqual([FLOW.trim()]);
      expect(b.flows.known && b.flows.value.complete).toBe(false);
    });
  });
});
