// `ovs-vsctl show`: a tree of Manager / Bridge / Controller / Port / Interface with `key: value`
// lines. Parsed by relative indentation, so excerpts pasted without the UUID line (the seed) or
// re-indented work too. vlan_mode is never printed here (see reference/trace-notes.md §1).
// In a pasted excerpt a line is a record's only when no elision (`...`, given by the caller) lies
// between the record's line and it: the left-out lines may hold the Bridge (or Port) line that owns
// it. Such ports and interfaces are kept apart (unplacedPorts, unplacedInterfaces), such key lines
// are not read.

import { unquote } from '../openflow/values.ts';
import { atomText, type Datum, mapOf } from '../ovsdb/datum.ts';
import { parseTextDatum, TextDatumError } from '../ovsdb/text-datum.ts';
import {
  clip,
  type Diagnostic,
  diag,
  hasCorrupt,
  ovsMessage,
  type Parsed,
  splitLines,
  unreadable,
} from './diagnostics.ts';
import { unflattenShow } from './vsctl-show-flat.ts';

export interface ShowInterface {
  name: string;
  line: number;
  type?: string;
  options: Record<string, string>;
  error?: string;
  /** The line of `error:` (evidence for it cites that line, not the Interface line). */
  errorLine?: number;
  /** Other `key: value` lines, as printed. */
  other: Record<string, string>;
}

export interface ShowPort {
  name: string;
  line: number;
  tag?: number;
  trunks?: number[];
  interfaces: ShowInterface[];
  other: Record<string, string>;
}

export interface ShowController {
  target: string;
  line: number;
  isConnected?: boolean;
}

export interface ShowBridge {
  name: string;
  line: number;
  failMode?: string;
  datapathType?: string;
  controllers: ShowController[];
  ports: ShowPort[];
  other: Record<string, string>;
}

export interface VsctlShow {
  uuid?: string;
  managers: ShowController[];
  bridges: ShowBridge[];
  ovsVersion?: string;
  /**
   * Ports after an elision of a pasted excerpt with no Bridge line between: the elided lines may
   * hold the Bridge line that owns them, so indentation does not prove their bridge. Absent: none.
   */
  unplacedPorts?: (ShowPort & { elision: number })[];
  /** Interfaces after an elision with no Port line between: their port (and bridge) unknown. */
  unplacedInterfaces?: (ShowInterface & { elision: number })[];
  /**
   * A paste without the `ovs_version:` line a whole output ends with: its last line, after which
   * bridges and ports are unknown (ShowOptions.pasted). Absent: not cut there.
   */
  cutAfter?: number;
}

export interface ShowOptions {
  /** The elision lines of a pasted excerpt (`...`), blanked in the text (see paste.ts). */
  elisions?: readonly number[];
  /**
   * A copy of the output (not one a collector wrote, and no tool error in it): one without its
   * closing `ovs_version:` line is cut there (cutAfter). OVS records its version at start (every
   * packaged OVS does), so a whole output ends with it; a database no daemon initialised (a lab's,
   * XenServer's sosreports) may not, which is why only pastes are judged by it.
   */
  pasted?: boolean;
}

const UUID_NOTED = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\s+#.*)?$/;
const NODE = /^(Manager|Bridge|Controller|Port|Interface) (.+)$/;
const KV = /^([a-z_]+): ?(.*)$/;

/**
 * Where a printed value ends in `s`: a quoted string at its closing quote (`\"` inside it escaped),
 * a set or map at its closing bracket (quotes inside respected), a bare word (never quoted: no blank,
 * `"` or `#`, which OVS quotes) before the first of those. Undefined: a quote or bracket left open.
 */
function valueEnd(s: string): number | undefined {
  let depth = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
      if (i >= s.length) return undefined;
      if (depth === 0) return i + 1;
    } else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      if (depth === 0) return i;
      if (--depth === 0) return i + 1;
    } else if (depth === 0 && /[\s#]/.test(c)) return i;
  }
  return depth === 0 ? i : undefined;
}

/** An inline note pasted after a value (`Bridge "br-ex2"   # 브릿지명`): blanks, then `#`. */
const NOTE = /^\s+#/;

type Value = { value: string; note: boolean } | { error: string; open: boolean };

/** A line's value (after `Bridge ` or `key: `) whole, without an inline note; else what is wrong. */
function printedValue(s: string): Value {
  const end = valueEnd(s);
  if (end === undefined)
    return { error: `${s.startsWith('"') ? 'a quote' : 'a bracket'} left open`, open: true };
  const rest = s.slice(end);
  if (rest === '' || NOTE.test(rest)) return { value: s.slice(0, end), note: rest !== '' };
  return {
    error: `text after the value: "${clip(rest.trim(), 24)}" (ovs-vsctl show prints nothing there; a note is blanks then #)`,
    open: false,
  };
}

function nameOf(text: string): string {
  return text.startsWith('"') && text.endsWith('"') && text.length >= 2 ? unquote(text) : text;
}

type Frame =
  | { kind: 'root'; indent: number }
  | { kind: 'Manager' | 'Controller'; indent: number; node: ShowController }
  | { kind: 'Bridge'; indent: number; node: ShowBridge }
  | { kind: 'Port'; indent: number; node: ShowPort }
  | { kind: 'Interface'; indent: number; node: ShowInterface };

export function parseVsctlShow(text: string, opts: ShowOptions = {}): Parsed<VsctlShow> {
  const { lines, diagnostics } = splitLines(text);
  const show: VsctlShow = { managers: [], bridges: [] };
  if (hasCorrupt(diagnostics)) return { value: show, diagnostics };
  // A forum's or a doc's copy with every line at one indentation: the keywords give the tree.
  diagnostics.push(...unflattenShow(lines));
  const stack: Frame[] = [{ kind: 'root', indent: -1 }];
  let sawData = false;
  let lastData = 0;
  const elisions = [...(opts.elisions ?? [])].sort((a, b) => a - b);
  let cut = 0; // the last elision line before this one (0: none)
  let nextCut = 0;
  // Lines with an inline note dropped (`# 브릿지명` after a value): said once, at the first.
  let noted = 0;
  let firstNote: number | undefined;
  const note = (v: { note: boolean }, i: number): void => {
    if (!v.note) return;
    noted++;
    firstNote ??= i;
  };
  // Comment lines (`# this is the compute node`): an operator's notes on the copy, said once.
  let comments = 0;
  let firstComment: number | undefined;
  const refuse = (v: { error: string; open: boolean }, i: number, what: string): void => {
    diagnostics.push(
      v.open
        ? unreadable(lines, i, text, 'bad-value', `${what}: ${v.error}`)
        : diag('corrupt', i + 1, 'bad-value', `${what}: ${v.error}`, lines[i]),
    );
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const n = i + 1;
    while (nextCut < elisions.length && elisions[nextCut]! < n) cut = elisions[nextCut++]!;
    const t = raw.trim();
    if (t === '') continue;
    const indent = raw.length - raw.trimStart().length;
    const uuid = indent === 0 ? UUID_NOTED.exec(t) : null;
    if (uuid) {
      show.uuid = uuid[1]!;
      note({ note: uuid[2] !== undefined }, i);
      continue;
    }
    // ovs-vsctl show starts no line with `#` (it quotes a value holding one): a note on the copy.
    // One that says lines were left out (`# ...`, `# snip`) is an elision, found before (paste.ts).
    if (t.startsWith('#')) {
      comments++;
      firstComment ??= i;
      continue;
    }
    const om = ovsMessage(t, n);
    if (om) {
      diagnostics.push(om);
      continue;
    }
    while (stack.length > 1 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const top = stack[stack.length - 1]!;
    // An elision between this line and the record indentation gives it: the left-out lines may hold
    // the record it belongs to (a Bridge line before a port), so it is not asserted of that one.
    // At the top of the tree, a Port, Interface or Controller line after an elision (or first of
    // all: the copy began inside a bridge) belongs to a record the excerpt leaves out.
    const headless = top.kind === 'root' && (cut > 0 || !sawData);
    const cutFromTop = headless || (top.kind !== 'root' && cut > top.node.line);
    if (headless && !sawData && cut === 0 && /^(?:Port|Interface|Controller)\s/.test(t)) {
      cut = n;
      diagnostics.push(
        diag(
          'warning',
          n,
          'excerpt',
          `an excerpt: it starts at a ${t.split(/\s/)[0]} line, its Bridge line left out: which bridge its records are on is unknown`,
        ),
      );
    }
    const node = NODE.exec(t);
    if (node) {
      sawData = true;
      lastData = n;
      const kind = node[1] as Frame['kind'];
      const v = printedValue(node[2]!);
      if ('error' in v) {
        refuse(v, i, `${kind} name`);
        // Not read: its lines are not asserted of the record above it (as after an elision).
        cut = n;
        continue;
      }
      note(v, i);
      const name = nameOf(v.value);
      const bad = (): void => {
        diagnostics.push(diag('corrupt', n, 'misplaced', `${kind} line outside its parent`, raw));
      };
      if (kind === 'Bridge') {
        const b: ShowBridge = { name, line: n, controllers: [], ports: [], other: {} };
        show.bridges.push(b);
        stack.push({ kind, indent, node: b });
      } else if (kind === 'Manager') {
        const m: ShowController = { target: name, line: n };
        show.managers.push(m);
        stack.push({ kind, indent, node: m });
      } else if (kind === 'Controller') {
        if (top.kind !== 'Bridge' && !(headless && cut > 0)) bad();
        else if (cutFromTop)
          // Its bridge unknown: read (its lines attach to it) and kept nowhere.
          stack.push({ kind, indent, node: { target: name, line: n } });
        else {
          const c: ShowController = { target: name, line: n };
          if (top.kind === 'Bridge') top.node.controllers.push(c);
          stack.push({ kind, indent, node: c });
        }
      } else if (kind === 'Port') {
        if (top.kind !== 'Bridge' && !(headless && cut > 0)) bad();
        else {
          const p: ShowPort = { name, line: n, interfaces: [], other: {} };
          if (!cutFromTop && top.kind === 'Bridge') top.node.ports.push(p);
          else {
            show.unplacedPorts ??= [];
            show.unplacedPorts.push(Object.assign(p, { elision: cut }));
          }
          stack.push({ kind, indent, node: p });
        }
      } else if (kind === 'Interface') {
        if (top.kind !== 'Port' && !(headless && cut > 0)) bad();
        else {
          const f: ShowInterface = { name, line: n, options: {}, other: {} };
          if (!cutFromTop && top.kind === 'Port') top.node.interfaces.push(f);
          else {
            show.unplacedInterfaces ??= [];
            show.unplacedInterfaces.push(Object.assign(f, { elision: cut }));
          }
          stack.push({ kind, indent, node: f });
        }
      }
      continue;
    }
    const kv = KV.exec(t);
    if (!kv) {
      diagnostics.push(unreadable(lines, i, text, 'not-show', 'not an ovs-vsctl show line'));
      // Read past with --lenient: the line may stand for lines left out (`[output truncated]`), so
      // it cuts like an elision: what follows is not asserted of the records above it.
      cut = n;
      continue;
    }
    sawData = true;
    lastData = n;
    // A record's own line after an elision may be another record's (one the elision left out).
    if (cutFromTop) continue;
    const key = kv[1]!;
    const v = printedValue(kv[2]!.trim());
    if ('error' in v) {
      refuse(v, i, key);
      continue;
    }
    note(v, i);
    const value = v.value;
    let datum: Datum;
    try {
      datum = parseTextDatum(value);
    } catch (e) {
      if (!(e instanceof TextDatumError)) throw e;
      diagnostics.push(diag('corrupt', n, 'bad-value', `${key}: ${e.message}`, raw));
      continue;
    }
    const str = Array.isArray(datum) && (datum[0] === 'set' || datum[0] === 'map') ? value : atomText(datum);
    switch (top.kind) {
      case 'root':
        if (key === 'ovs_version') show.ovsVersion = str;
        else diagnostics.push(diag('warning', n, 'unknown-key', `unknown top-level key "${key}"`, raw));
        break;
      case 'Manager':
      case 'Controller':
        if (key === 'is_connected') top.node.isConnected = str === 'true';
        break;
      case 'Bridge':
        if (key === 'fail_mode') top.node.failMode = str;
        else if (key === 'datapath_type') top.node.datapathType = str;
        else top.node.other[key] = value;
        break;
      case 'Port':
        if (key === 'tag') {
          const v = Number(str);
          if (!Number.isInteger(v) || v < 0 || v > 4095)
            diagnostics.push(diag('corrupt', n, 'bad-value', `tag "${value}" is not a VLAN id`, raw));
          else top.node.tag = v;
        } else if (key === 'trunks') {
          const items = Array.isArray(datum) && datum[0] === 'set' ? datum[1] : [datum];
          top.node.trunks = items.map((a) => Number(atomText(a as never)));
        } else top.node.other[key] = value;
        break;
      case 'Interface':
        if (key === 'type') top.node.type = str;
        else if (key === 'options') top.node.options = mapOf(datum);
        else if (key === 'error') {
          top.node.error = str;
          top.node.errorLine = n;
        } else top.node.other[key] = value;
        break;
    }
  }
  if (firstNote !== undefined)
    diagnostics.push(
      diag(
        'warning',
        firstNote + 1,
        'inline-note',
        `${noted === 1 ? 'an inline note after the value' : `inline notes after values on ${noted} lines, the first here`} (blanks, then #: an annotated copy): dropped`,
        lines[firstNote],
      ),
    );
  if (firstComment !== undefined)
    diagnostics.push(
      diag(
        'warning',
        firstComment + 1,
        'comment-line',
        `${comments === 1 ? 'a comment line' : `${comments} comment lines, the first here`} (#: an annotated copy): skipped`,
        lines[firstComment],
      ),
    );
  // A paste's first line (the database UUID) may be left out and nothing else with it; its last
  // (`ovs_version:`) left out means the copy stops there: bridges and ports after it are unknown.
  // A tool's error or a line cut short says so already.
  const said = diagnostics.some((d) => d.severity === 'ovs' || d.code === 'truncated');
  if (opts.pasted && sawData && !said) {
    const head = show.uuid === undefined ? ' It starts below its first line (no database UUID line).' : '';
    if (show.ovsVersion === undefined && !elisions.some((e) => e > lastData)) {
      show.cutAfter = lastData;
      diagnostics.push(
        diag(
          'warning',
          lastData,
          'excerpt',
          `an excerpt: no \`ovs_version:\` line after this one, which a whole ovs-vsctl show ends with: the copy stops here, bridges and ports after it are unknown.${head}`,
        ),
      );
    } else if (head)
      diagnostics.push(
        diag(
          'info',
          1,
          'no-uuid-line',
          `${head.trim().replace(/\.$/, '')}: what follows is read as the output`,
        ),
      );
  }
  if (!sawData && !show.uuid && !diagnostics.some((d) => d.severity === 'ovs'))
    diagnostics.push(
      diag('corrupt', 0, 'empty', 'empty file: ovs-vsctl show always prints the database UUID'),
    );
  return { value: show, diagnostics };
}

export type { Diagnostic };
