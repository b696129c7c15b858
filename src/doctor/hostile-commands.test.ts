// Every command diagnose suggests (fixes, what to collect, the traces' remedies) is safe to paste:
// with port and bridge names from HOSTILE_NAMES, each command part reads back, the way sh splits
// it, to words among which the name is one whole word; no name leaks out of its quotes.
import { describe, expect, it } from 'vitest';
import { shellWord } from '../runner/runner.ts';
import { HOSTILE_NAMES } from '../testing/hostile-names.ts';
import { buildSnapshot } from '../testing/snapshot-builder.ts';
import { escapeControl } from '../text/escape.ts';
import { buildContext } from './context.ts';
import { diagnose } from './diagnose.ts';
import { unprovenSteps } from './proof.ts';

/** The text of bash's `$'…'` starting at line[i] (the `$`), and where it ends (its closing quote). */
function ansiC(line: string, i: number): { text: string; end: number } {
  const bytes: number[] = [];
  const utf8 = new TextEncoder();
  const NAMED: Record<string, number> = { n: 10, t: 9, r: 13, '\\': 92, "'": 39, '"': 34 };
  for (let j = i + 2; j < line.length; j++) {
    const c = line[j]!;
    if (c === "'")
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes)), end: j };
    if (c !== '\\') {
      bytes.push(...utf8.encode(c));
      continue;
    }
    const d = line[++j]!;
    if (d === 'x') {
      const m = /^[0-9a-fA-F]{1,2}/.exec(line.slice(j + 1))!;
      bytes.push(Number.parseInt(m[0], 16));
      j += m[0].length;
    } else if (NAMED[d] !== undefined) bytes.push(NAMED[d]);
    else throw new Error(`escape \\${d} not read here in: ${line}`);
  }
  throw new Error(`open $' quote in: ${line}`);
}

/**
 * sh's words of a suggested line, up to its comment (an unquoted `#` starting a word). Placeholders
 * `<…>` are one word; `;` between commands is its own word; bash's `$'…'` (a name with a control
 * or invisible character) is decoded. Throws on what sh would read as more than words: an
 * unquoted `$`, backquote, `|`, `&`, `(`, `)`, `<`, `>`, newline, or an open quote.
 */
function shWords(line: string): { words: string[]; command: string } {
  const words: string[] = [];
  let w: string | null = null;
  let i = 0;
  const end = (): void => {
    if (w !== null) words.push(w);
    w = null;
  };
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') end();
    else if (c === '#' && w === null) break;
    else if (c === ';') {
      end();
      words.push(';');
    } else if (c === '$' && line[i + 1] === "'") {
      const q = ansiC(line, i);
      w = (w ?? '') + q.text;
      i = q.end;
    } else if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) throw new Error(`open quote in: ${line}`);
      w = (w ?? '') + line.slice(i + 1, j);
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error(`trailing backslash in: ${line}`);
      w = (w ?? '') + line[++i];
    } else if (c === '<' && w === null && line.indexOf('>', i) > i) {
      const j = line.indexOf('>', i);
      words.push(line.slice(i, j + 1));
      i = j;
    } else if ('$`|&()<>"\n\r'.includes(c)) throw new Error(`unquoted ${JSON.stringify(c)} in: ${line}`);
    else w = (w ?? '') + c;
  }
  end();
  return { words, command: line.slice(0, i) };
}

/**
 * A compute node whose VM port, its patch to a physical bridge the case lacks (so that bridge is
 * inferred from the name) and that bridge all carry the hostile name; tags and types unknown, so
 * the traces ask for them by name.
 */
function hostileCase(name: string) {
  return buildSnapshot([
    {
      name: 'compute',
      bridges: [
        {
          name: 'br-int',
          failMode: 'secure',
          flows: ['priority=0 actions=NORMAL'],
          ports: [
            {
              name,
              ofport: 1,
              type: '',
              ids: { 'iface-id': 'p1', 'attached-mac': 'fa:16:3e:00:00:01' },
            },
            { name: `int-${name}`, ofport: 2 },
            { name: 'br-int', ofport: 65534, tag: null, type: 'internal' },
          ],
        },
        { name, ports: [{ name: `x${name}`, ofport: 1 }] },
      ],
      namespaces: [{ name: 'qdhcp-aaaa', devices: [{ name: 'tapaaaa-01', addresses: ['10.0.0.2/24'] }] }],
    },
  ]);
}

const COMMAND =
  /^(ovs-vsctl|ovs-ofctl|ovs-appctl|ovsdb-client|ip|openstack|systemctl|vifpath|tcpdump|ethtool|iptables|grep) /;

// Names a terminal would not show as they are (a bidi override, ESC): printed in bash's $'…'.
const INVISIBLE = ['vif16.0\u202e', 'esc\u001b[2Jport'];

describe('suggested commands with hostile names', () => {
  it.each([...HOSTILE_NAMES, ...INVISIBLE].map((n) => [JSON.stringify(n).slice(0, 40), n] as const))(
    '%s: every command reads back to the same words',
    (_label, name) => {
      const s = hostileCase(name);
      const d = diagnose(s);
      const ctx = buildContext(s);
      const traces = [...ctx.discover.values(), ...ctx.offer.values()];
      const lines = [
        ...d.findings.flatMap((f) => f.fix),
        ...d.collectNext,
        ...traces.flatMap((t) => t.assumptions.flatMap((a) => (a.remedy ? [a.remedy] : []))),
        ...traces.flatMap((t) => unprovenSteps(ctx.world, t).map((u) => u.remedy)),
      ];
      const own = [name, `int-${name}`, `phy-${name}`, `x${name}`];
      let named = 0;
      for (const line of lines) {
        // Commands only: prose remedies ('add the host behind …') and host gaps are not pasted.
        if (!COMMAND.test(line)) continue;
        const { words, command } = shWords(line);
        // The command shows no raw control character (text output would print it escaped, and the
        // escape pasted is not the name); its comment is prose, escaped when printed.
        expect(escapeControl(command), line).toBe(command);
        // A name that sh would split, or run, is in the command only inside one whole word.
        const whole = (x: string): boolean => own.some((o) => x === o || x.endsWith(`=${o}`));
        for (const o of own)
          if (shellWord(o) !== o && command.includes(o))
            expect(
              words.some((x) => whole(x) && x.includes(o)),
              line,
            ).toBe(true);
        if (words.some((x) => own.includes(x))) named++;
        // A name that looks like an option comes after `--` where the tool reads options anywhere
        // on its line (ovs-ofctl, grep, openstack); ovs-vsctl and ovs-appctl stop at their first
        // operand, and an option's value is no option.
        let tool = '';
        let ended = false;
        for (let k = 0; k < words.length; k++) {
          const x = words[k]!;
          if (k === 0 || words[k - 1] === ';' || words[k - 1] === '|') {
            tool = x;
            ended = false;
          } else if (x === '--') ended = true;
          else if (x.startsWith('-') && own.includes(x) && /^(ovs-ofctl|grep|openstack)$/.test(tool))
            expect(ended, `${x} read as an option in: ${line}`).toBe(true);
          // argparse (openstack) takes every word after `--` as an operand: options go before it.
          else if (ended && tool === 'openstack' && x.startsWith('-'))
            expect.fail(`option ${x} after -- in: ${line}`);
        }
        // No word holds a name glued to anything else: the name went in as one word.
        for (const x of words)
          if (x.includes(name))
            expect(
              own.some((o) => x === o || x.endsWith(`=${o}`)),
              line,
            ).toBe(true);
      }
      // The case makes the traces ask for these ports by name.
      expect(named).toBeGreaterThan(0);
    },
  );
});
