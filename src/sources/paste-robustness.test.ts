// Pastes as they reach us (review of the paste readers): an `ovs-vsctl show` annotated inline, an
// elision marker written `(...)`, a shell prompt copied before or after the output, a UTF-8 byte
// order mark. Each row is a real string: the seed fixture (examples/xenserver-seed) with the edit
// the row names, the published notes 9506hqwy/openstack_study_notes (the field fixture
// study-notes-vxlan-network, PROVENANCE.md; the author marks elisions `(...)`, as in
// operation/network/ovs_vxlan.md's `ip netns` block), or the Korean blog's annotated show the
// review reproduced (`Bridge "br-ex2"   # 브릿지명`). Checked: the exit code, the one line on stderr
// or the reader's note, and that the well-formed input reads exactly as before.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDumpFlows } from '../parse/dump-flows.ts';
import { parseVsctlShow } from '../parse/ovs-vsctl-show.ts';
import { isShellPrompt, repairPaste } from '../parse/paste.ts';
import { runVifpath, scratchDir } from '../testing/cli.ts';
import { OWN_FIXTURES, read, SEED_CASE } from '../testing/fixtures.ts';
import { escapeControl } from '../text/escape.ts';
import { readCase } from './case-dir.ts';

const STUDY = join(OWN_FIXTURES, 'field/study-notes-vxlan-network');
const T = scratchDir('vifpath-paste-robust-');

let made = 0;
/** A copy of `from` with `edit` applied to its files (paths relative to the case). */
function caseOf(from: string, edit: (at: (rel: string) => string) => void): string {
  const d = join(T, `c${made++}`);
  cpSync(from, d, { recursive: true });
  edit((rel) => join(d, rel));
  return d;
}
const seedWith = (edit: (at: (rel: string) => string) => void): string => caseOf(SEED_CASE, edit);
const change = (p: string, f: (t: string) => string): void => writeFileSync(p, f(readFileSync(p, 'utf8')));
const lines = (p: string, f: (l: string[]) => string[]): void =>
  change(p, (t) => f(t.split('\n')).join('\n'));

const run = (args: readonly string[]) => runVifpath(args);

/** diagnose --json without the case's path and the reader notes: what the case says. */
function verdictOf(dir: string, extra: readonly string[] = []): { exit: number | null; doc: unknown } {
  const r = run(['diagnose', '--json', ...extra, dir]);
  const doc = JSON.parse(r.stdout) as { case?: string; findings: { code: string }[] };
  delete doc.case;
  doc.findings = doc.findings.filter((f) => f.code !== 'input-note');
  return { exit: r.status, doc };
}
const SEED = verdictOf(SEED_CASE);

const SHOW = 'dom0/ovs-vsctl_show';
const XAPI3 = 'dom0/ovs-ofctl_dump-flows_xapi3';
const LENIENT = ' (use --lenient to read the rest)';

interface Row {
  name: string;
  dir: () => string;
  args?: readonly string[];
  exit: number;
  /** exit 2: the one line on stderr, whole. */
  stderr?: string;
  /** Otherwise: a reader's note the text output holds, and the case reads as `like` (the seed) does. */
  note?: string;
  like?: () => string;
}

function check(row: Row): void {
  const dir = row.dir();
  const r = run(['diagnose', ...(row.args ?? []), dir]);
  expect({ exit: r.status, stderr: r.stderr }).toMatchObject({ exit: row.exit });
  if (row.stderr !== undefined) {
    expect(r.stderr).toBe(`vifpath: ${row.stderr}\n`);
    expect(r.stdout).toBe('');
    return;
  }
  expect(r.stderr).toBe('');
  if (row.note !== undefined) expect(r.stdout).toContain(row.note);
  // Read exactly as the seed: the same verdict, headline, findings, paths and what to collect.
  expect(verdictOf(dir, row.args)).toEqual(row.like ? verdictOf(row.like()) : SEED);
}

describe('1. an annotated ovs-vsctl show: a note after a complete value is dropped and said once', () => {
  const annotated = () =>
    seedWith((at) =>
      lines(at(SHOW), (l) => {
        l[0] = `${l[0]}   # 브릿지명`; // Bridge "xapi5", as the review quoted the blog
        l[4] = `${l[4]}     # 내부 포트`; // type: internal
        l[9] = `${l[9]}     # 패치 포트`; // type: patch
        l[10] = `${l[10]}   # 피어`; // options: {peer="phy-xapi3"}
        return l;
      }),
    );
  it.each<Row>([
    {
      name: 'notes after a quoted bridge name, two types and a map: read as the seed',
      dir: annotated,
      exit: 1,
      note: 'inline notes after values on 4 lines, the first here (blanks, then #: an annotated copy): dropped\n  evidence:\n    - Bridge "xapi5"   # 브릿지명  [dom0/ovs-vsctl_show:1]',
    },
    {
      name: 'an unquoted name with a note',
      dir: () =>
        seedWith((at) => change(at(SHOW), (t) => t.replace('Port "vif16.0"', 'Port vif16.0  # 새 VM'))),
      exit: 1,
      note: 'an inline note after the value (blanks, then #: an annotated copy): dropped\n  evidence:\n    -     Port vif16.0  # 새 VM  [dom0/ovs-vsctl_show:6]',
    },
    {
      name: 'other text after a quoted name: refused, naming the line',
      dir: () =>
        seedWith((at) => change(at(SHOW), (t) => t.replace('Bridge "xapi5"', 'Bridge "xapi5" 브릿지명'))),
      exit: 2,
      stderr: `${SHOW}:1: Bridge name: text after the value: "브릿지명" (ovs-vsctl show prints nothing there; a note is blanks then #) [Bridge "xapi5" 브릿지명]${LENIENT}`,
    },
    {
      name: 'a # right after the closing quote is no note',
      dir: () => seedWith((at) => change(at(SHOW), (t) => t.replace('Bridge "xapi5"', 'Bridge "xapi5"#1'))),
      exit: 2,
      stderr: `${SHOW}:1: Bridge name: text after the value: "#1" (ovs-vsctl show prints nothing there; a note is blanks then #) [Bridge "xapi5"#1]${LENIENT}`,
    },
    {
      name: 'a quote left open',
      dir: () => seedWith((at) => change(at(SHOW), (t) => t.replace('Port "vif16.0"', 'Port "vif16.0'))),
      exit: 2,
      stderr: `${SHOW}:6: Port name: a quote left open [    Port "vif16.0]${LENIENT}`,
    },
    {
      name: 'a second word after a bare type',
      dir: () => seedWith((at) => change(at(SHOW), (t) => t.replace('type: patch', 'type: patch port'))),
      exit: 2,
      stderr: `${SHOW}:10: type: text after the value: "port" (ovs-vsctl show prints nothing there; a note is blanks then #) [            type: patch port]${LENIENT}`,
    },
  ])('$name (exit $exit)', check);

  const show = (body: string) => parseVsctlShow(`${body}\n`);
  it.each<[string, string, (s: ReturnType<typeof show>['value']) => unknown, unknown]>([
    ['the review’s bridge line', 'Bridge "br-ex2"   # 브릿지명', (s) => s.bridges[0]!.name, 'br-ex2'],
    ['unquoted', 'Bridge br-ex2\t# 브릿지명', (s) => s.bridges[0]!.name, 'br-ex2'],
    ['an escaped quote in the name', 'Bridge "br\\"x"  # q', (s) => s.bridges[0]!.name, 'br"x'],
    [
      'tag (was exit 2)',
      'Bridge b\n    Port p\n        tag: 1   # 태그',
      (s) => s.bridges[0]!.ports[0]!.tag,
      1,
    ],
    [
      'trunks',
      'Bridge b\n    Port p\n        trunks: [1, 2]   # 트렁크',
      (s) => s.bridges[0]!.ports[0]!.trunks,
      [1, 2],
    ],
    [
      'type: patch (was kept whole: the peer unresolved)',
      'Bridge b\n    Port p\n        Interface p\n            type: patch     # 패치',
      (s) => s.bridges[0]!.ports[0]!.interfaces[0]!.type,
      'patch',
    ],
    [
      'a # inside a quoted map value is the value’s',
      'Bridge b\n    Port p\n        Interface p\n            options: {key="a # b", peer=q}  # 옵션',
      (s) => s.bridges[0]!.ports[0]!.interfaces[0]!.options,
      { key: 'a # b', peer: 'q' },
    ],
    ['ovs_version', 'Bridge b\n    Port p\novs_version: "2.17.9"   # 버전', (s) => s.ovsVersion, '2.17.9'],
    [
      'the database UUID',
      '2a1ab795-d59f-4a33-a5a1-1fb4c942dce4  # uuid\nBridge b',
      (s) => s.uuid,
      '2a1ab795-d59f-4a33-a5a1-1fb4c942dce4',
    ],
  ])('%s', (_name, body, get, want) => {
    const r = show(body);
    expect(get(r.value)).toEqual(want);
    expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'inline-note']]);
  });

  it('real outputs read as before; annotating every line of them changes nothing but the one note', () => {
    const real = [
      join(OWN_FIXTURES, 'field/hotsos-openstack/compute/sos_commands/openvswitch/ovs-vsctl_-t_5_show'),
      join(STUDY, 'controller/vsctl-show.txt'),
      join(SEED_CASE, SHOW),
    ];
    for (const f of real) {
      const text = read(f);
      const plain = parseVsctlShow(text);
      expect(plain.diagnostics.filter((d) => d.severity !== 'ovs')).toEqual([]);
      const noted = parseVsctlShow(
        text
          .split('\n')
          .map((l) => (l.trim() === '' ? l : `${l}   # 메모`))
          .join('\n'),
      );
      expect(noted.value).toEqual(plain.value);
      expect(noted.diagnostics).toEqual([
        expect.objectContaining({ severity: 'warning', code: 'inline-note', line: 1 }),
      ]);
    }
  });
});

describe('2. elision markers: (...), [...], … and the like read as ... does', () => {
  const ELIDED = [
    '...',
    '(...)',
    '[...]',
    '…',
    '(…)',
    '（省略）',
    '(略)',
    '(생략)',
    '(snip)',
    '-- snip --',
    '[output truncated]',
    '<...>',
    // A note in brackets that words what was left out (review3 assaf-gre-nextgen1's show, line 2).
    '[... Bridge br-int omitted ...]',
    '(other ports removed)',
  ];
  it.each(ELIDED)('%s in a dump between records: an excerpt, no record refused', (marker) => {
    const flow = read(join(SEED_CASE, XAPI3)).split('\n');
    const r = repairPaste([flow[0], flow[1], marker, flow[3], ''].join('\n'), { flows: true });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['excerpt']);
    expect(r.elisions).toEqual([3]);
    expect(r.text).toBe([flow[0], flow[1], '', flow[3], ''].join('\n'));
  });
  it.each(['(a)', '[1]', 'snip', '(see above)', '#', '......x'])('%s is no elision', (line) => {
    expect(repairPaste(`${line}\n`).elisions).toBeUndefined();
  });

  // The study notes' br-int dump (headerless, as published) with its records 3-6 cut to the
  // author's marker: was `lines 2-4 are one record wrapped … paste the dump unwrapped` (exit 2).
  const cut = (marker: string) => () =>
    caseOf(STUDY, (at) =>
      lines(at('controller/dump-flows-br-int.txt'), (l) => [...l.slice(0, 2), marker, ...l.slice(6)]),
    );
  it('(...) in the study notes’ br-int dump: read as the same dump with ... (exit 3, an excerpt)', () => {
    const paren = cut('(...)')();
    const dots = cut('...')();
    const r = run(['diagnose', paren]);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      'an excerpt (lines were left out here): its facts are used, what it does not show stays unknown',
    );
    expect(r.stdout).toContain(
      'controller/dump-flows-br-int.txt is an excerpt (lines left out at line 3): what it does not show is unknown',
    );
    expect(verdictOf(paren)).toEqual(verdictOf(dots));
  });
  it('the notes’ own ip netns block, `(...)` then one namespace: read, an excerpt', () => {
    const d = caseOf(STUDY, (at) =>
      writeFileSync(
        at('controller/ip_netns'),
        '(...)\n\nqdhcp-6ee86f5e-5d22-4c00-a2cd-6622ec856e17 (id: 2)\n',
      ),
    );
    const s = readCase(d);
    // (The notes' outputs vifpath does not read are each said so: not-read, info.)
    expect(s.diagnostics.filter((x) => x.code !== 'not-read')).toEqual([
      expect.objectContaining({ file: 'controller/ip_netns', line: 1, severity: 'warning', code: 'excerpt' }),
    ]);
    expect(s.hosts[0]!.namespaces.map((n) => n.name)).toEqual(['qdhcp-6ee86f5e-5d22-4c00-a2cd-6622ec856e17']);
  });
});

describe('3. a shell prompt before or after the output: refused naming the prompt line', () => {
  const PROMPT_MSG = "a shell prompt copied with the output, not the command's output: delete the line";
  const CMD_MSG = 'command line above the output: skipped';
  const trailing = () => seedWith((at) => change(at(XAPI3), (t) => `${t}[root@dom0 ~]#\n`));
  it.each<Row>([
    {
      name: 'after the xapi3 dump (was: line 4, a valid flow, blamed as wrapped)',
      dir: trailing,
      exit: 2,
      stderr: `${XAPI3}:5: ${PROMPT_MSG} [[root@dom0 ~]#]${LENIENT}`,
    },
    {
      name: 'after the xapi3 dump, --lenient: the prompt dropped with a note, the dump read whole',
      dir: trailing,
      args: ['--lenient'],
      exit: 1,
      note: `${PROMPT_MSG}\n  evidence:\n    - [root@dom0 ~]#  [${XAPI3}:5]`,
    },
    {
      name: 'before the xapi3 dump, with its command',
      dir: () =>
        seedWith((at) => change(at(XAPI3), (t) => `[root@dom0 ~]# ovs-ofctl dump-flows xapi3\n${t}`)),
      // The command typed above the output: skipped, said (was: refused, exit 2).
      exit: 1,
      note: `${CMD_MSG}\n  evidence:\n    - [root@dom0 ~]# ovs-ofctl dump-flows xapi3  [${XAPI3}:1]`,
      // The same as the seed whose lines are one further down.
      like: () => seedWith((at) => change(at(XAPI3), (t) => `\n${t}`)),
    },
    {
      name: 'before ovs-vsctl show (was: not an ovs-vsctl show line)',
      dir: () => seedWith((at) => change(at(SHOW), (t) => `[root@dom0 ~]# ovs-vsctl show\n${t}`)),
      exit: 1,
      note: `${CMD_MSG}\n  evidence:\n    - [root@dom0 ~]# ovs-vsctl show  [${SHOW}:1]`,
      like: () => seedWith((at) => change(at(SHOW), (t) => `\n${t}`)),
    },
    {
      name: 'a Debian prompt after ovs-vsctl show',
      dir: () => seedWith((at) => change(at(SHOW), (t) => `${t}root@dom0:~# \n`)),
      exit: 2,
      stderr: `${SHOW}:12: ${PROMPT_MSG} [root@dom0:~# ]${LENIENT}`,
    },
    {
      name: 'before a pasted show whose name says nothing: still known by its content',
      dir: () =>
        seedWith((at) => {
          writeFileSync(at('dom0/vsctl-show.txt'), `[root@dom0 ~]# ovs-vsctl show\n${read(at(SHOW))}`);
          rmSync(at(SHOW));
        }),
      exit: 1,
      note: `${CMD_MSG}\n  evidence:\n    - [root@dom0 ~]# ovs-vsctl show  [dom0/vsctl-show.txt:1]`,
      like: () =>
        seedWith((at) => {
          writeFileSync(at('dom0/vsctl-show.txt'), `\n${read(at(SHOW))}`);
          rmSync(at(SHOW));
        }),
    },
  ])('$name (exit $exit)', check);

  it.each([
    ['[root@dom0 ~]#', true],
    ['[stack@devstack devstack]$ sudo ovs-vsctl show', true],
    ['root@compute1:~# ovs-ofctl dump-flows br-int', true],
    ['stack@devstack:~/devstack$', true],
    ['$ sudo ovs-vsctl show', true],
    ['# ovs-ofctl -O OpenFlow13 dump-flows br-int', true],
    ['# Generated by iptables-save v1.8.7 on Tue May 14 10:00:00 2024', false],
    ['# Completed on Tue May 14 10:00:00 2024', false],
    ['NXST_FLOW reply (xid=0x4):', false],
    ['qdhcp-6ee86f5e-5d22-4c00-a2cd-6622ec856e17 (id: 2)', false],
    ['    ovs_version: "3.3.1"', false],
  ])('%s: prompt %s', (line, want) => {
    expect(isShellPrompt(line)).toBe(want);
  });
});

describe('4. a UTF-8 byte order mark: accepted at the start of every file, shown escaped elsewhere', () => {
  const renamedDump = (bom: string) => (at: (rel: string) => string) => {
    writeFileSync(at('dom0/flows-xapi3.txt'), `${bom}${read(at(XAPI3))}`);
    rmSync(at(XAPI3));
  };
  const bomCrlf = (p: string) => change(p, (t) => `\ufeff${t.replace(/\n/g, '\r\n')}`);
  it.each<Row>([
    {
      name: 'the xapi3 dump with BOM and CRLF (was: not a flow line [\u{feff}NXST_FLOW reply…])',
      dir: () => seedWith((at) => bomCrlf(at(XAPI3))),
      exit: 1,
    },
    { name: 'ovs-vsctl show with BOM and CRLF', dir: () => seedWith((at) => bomCrlf(at(SHOW))), exit: 1 },
    {
      name: 'every file of the case with a BOM',
      dir: () =>
        seedWith((at) => {
          for (const f of [
            SHOW,
            XAPI3,
            'dom0/ovs-ofctl_show_xapi3',
            'dom0/ovsdb-client_monitor_Interface_name_ofport',
          ])
            bomCrlf(at(f));
          for (const f of ['ip_netns', 'ovs-ofctl_dump-flows_br-int', 'ovs-ofctl_show_br-int'])
            bomCrlf(at(`domu/${f}`));
          bomCrlf(at('links.txt'));
        }),
      exit: 1,
    },
    {
      name: 'a pasted dump whose name says nothing, with a BOM: as without it',
      dir: () => seedWith(renamedDump('\ufeff')),
      like: () => seedWith(renamedDump('')),
      exit: 1,
    },
    {
      name: 'a BOM inside (two saved dumps concatenated): the line named, the BOM shown escaped',
      dir: () => seedWith((at) => change(at(XAPI3), (t) => `${t}\ufeffNXST_FLOW reply (xid=0x4):\n`)),
      exit: 2,
      stderr: `${XAPI3}:5: not a flow line [\\u{feff}NXST_FLOW reply (xid=0x4):]${LENIENT}`,
    },
    {
      name: 'a BOM inside a flow line, between two match fields (was: an unmodelled match \u{feff}in_port=2)',
      dir: () =>
        seedWith((at) =>
          change(at(XAPI3), (t) => t.replace('priority=2,in_port=2', 'priority=2,\ufeffin_port=2')),
        ),
      exit: 2,
      stderr: `${XAPI3}:4: a byte order mark (U+FEFF) inside the flow line, at column 115 (text saved or joined badly): delete it [  cookie=0x0, duration=278694.945s, table=0, n_packets=7, n_bytes=799, idle_age=65534, hard_age=65534, priority=2,\\u{feff}in_po…]${LENIENT}`,
    },
    {
      name: 'a BOM before a flow line’s first field, past the file’s start (was: read silently)',
      dir: () =>
        seedWith((at) =>
          lines(at(XAPI3), (l) => l.map((x, i) => (i === 3 ? x.replace('cookie', '\ufeffcookie') : x))),
        ),
      exit: 2,
      stderr: `${XAPI3}:4: a byte order mark (U+FEFF) inside the flow line, at column 3 (text saved or joined badly): delete it [  \\u{feff}cookie=0x0, duration=278694.945s, table=0, n_packets=7, n_bytes=799, idle_age=65534, hard_age=65534, priority=2,in_po…]${LENIENT}`,
    },
  ])('$name (exit $exit)', check);

  // Where in a flow line the BOM sits (the seed's drop flow): every place refused as the line's
  // error; before, some read silently (a value, either end) and some as an unmodelled match.
  const DROP = read(join(SEED_CASE, XAPI3)).split('\n')[3]!;
  it.each<[string, string]>([
    ['at the line’s start', `\ufeff${DROP}`],
    ['after the leading blanks', DROP.replace('cookie', '\ufeffcookie')],
    ['at the line’s end', `${DROP}\ufeff`],
    ['in a value (in_port=\ufeff2 read as 2)', DROP.replace('in_port=2', 'in_port=\ufeff2')],
    ['in a key', DROP.replace('in_port', 'in_\ufeffport')],
    ['after a comma', DROP.replace('priority=2,', 'priority=2,\ufeff')],
    ['before actions=', DROP.replace(' actions=', ' \ufeffactions=')],
    ['in an action', DROP.replace('actions=drop', 'actions=dr\ufeffop')],
  ])('a BOM %s: refused as line 2’s error, the other flows read', (_where, line) => {
    const r = parseDumpFlows(`NXST_FLOW reply (xid=0x4):\n${line}\n${DROP}\n`);
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.line])).toEqual([['corrupt', 'bom-inside', 2]]);
    expect(r.value.flows.map((f) => f.line)).toEqual([3]);
    expect(r.value.complete).toBe(false);
  });
  it('a dump without a BOM inside reads as before', () => {
    const r = parseDumpFlows(read(join(SEED_CASE, XAPI3)));
    expect(r.diagnostics).toEqual([]);
    expect(r.value.flows).toHaveLength(3);
  });

  it('invisible characters are escaped in any text from input', () => {
    expect(escapeControl('\ufeffa\u200bb\u00adc\u2060d')).toBe('\\u{feff}a\\u{200b}b\\xadc\\u{2060}d');
  });
});

describe('5. a comment line in an ovs-vsctl show (`# this is the compute node`): skipped and said once', () => {
  // The seed's show annotated as operators annotate pastes: a line above it, one above the new port.
  const commented = (top: string, mid: string) => (at: (rel: string) => string) =>
    lines(at(SHOW), (l) => [top, ...l.slice(0, 5), mid, ...l.slice(5)]);
  /** diagnose --json: the verdict and each finding's code and subject (line numbers move). */
  const gist = (dir: string) => {
    const r = run(['diagnose', '--json', dir]);
    const doc = JSON.parse(r.stdout) as {
      verdict: string;
      headline: string;
      findings: { code: string; subject: string }[];
    };
    return {
      exit: r.status,
      verdict: doc.verdict,
      headline: doc.headline,
      findings: doc.findings.filter((f) => f.code !== 'input-note').map((f) => `${f.code} ${f.subject}`),
    };
  };
  const SEED_GIST = gist(SEED_CASE);
  it.each<[string, (at: (rel: string) => string) => void, string]>([
    [
      'a note above the show and one above the new port (was: exit 2, not an ovs-vsctl show line)',
      commented('# this is the compute node (dom0)', '    # the new VM, no tag:'),
      `2 comment lines, the first here (#: an annotated copy): skipped\n  evidence:\n    - # this is the compute node (dom0)  [${SHOW}:1]`,
    ],
    [
      'one note, not indented, between two ports',
      (at) => lines(at(SHOW), (l) => [...l.slice(0, 5), '#vif16.0 = instance-0000002a', ...l.slice(5)]),
      `a comment line (#: an annotated copy): skipped\n  evidence:\n    - #vif16.0 = instance-0000002a  [${SHOW}:6]`,
    ],
    [
      'pasted under a name that says nothing, the note first (was: not recognised as ovs-vsctl show)',
      (at) => {
        writeFileSync(at('dom0/vsctl-show.txt'), `# dom0 (XenServer 6.5)\n${read(at(SHOW))}`);
        rmSync(at(SHOW));
      },
      'a comment line (#: an annotated copy): skipped\n  evidence:\n    - # dom0 (XenServer 6.5)  [dom0/vsctl-show.txt:1]',
    ],
  ])('%s', (_name, edit, note) => {
    const dir = seedWith(edit);
    const r = run(['diagnose', dir]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(note);
    expect(gist(dir)).toEqual(SEED_GIST);
  });
  it('the evidence names the port line where it now is', () => {
    const r = run(['diagnose', seedWith(commented('# compute node', '    # new VM'))]);
    expect(r.stdout).toContain(`port vif16.0 on xapi5 has no tag  [${SHOW}:8]`);
  });
  it('a note that says lines were left out is an elision: an excerpt, what it hides unknown', () => {
    const r = run(['diagnose', seedWith(commented('# dom0', '    # other ports removed'))]);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain(`${SHOW} is an excerpt (lines left out at line 7)`);
    for (const marker of ['# ...', '#…', '# [snip]', '# (output omitted)', '# snip'])
      expect(repairPaste(`Bridge b\n${marker}\n    Port p\n`, { comments: true }).elisions).toEqual([2]);
    // Only where the output has no # line of its own (ovs-vsctl show): elsewhere as before.
    expect(repairPaste('Bridge b\n# ...\n').elisions).toBeUndefined();
    expect(repairPaste('Bridge b\n# the compute node\n', { comments: true }).elisions).toBeUndefined();
  });
  it('a comment line reads as a blank line of the real outputs, with one note', () => {
    const real = [
      join(OWN_FIXTURES, 'field/hotsos-openstack/compute/sos_commands/openvswitch/ovs-vsctl_-t_5_show'),
      join(STUDY, 'controller/vsctl-show.txt'),
      join(SEED_CASE, SHOW),
    ];
    for (const f of real) {
      const text = read(f).split('\n');
      // A note after every third line, indented as the line it follows.
      const withNotes: string[] = [];
      const withBlanks: string[] = [];
      text.forEach((l, i) => {
        withNotes.push(l);
        withBlanks.push(l);
        if (i % 3 === 0 && i < text.length - 1) {
          withNotes.push(`${/^\s*/.exec(l)![0]}# 메모 ${i}`);
          withBlanks.push('');
        }
      });
      const noted = parseVsctlShow(withNotes.join('\n'));
      const blank = parseVsctlShow(withBlanks.join('\n'));
      expect(noted.value).toEqual(blank.value);
      expect(noted.diagnostics.filter((d) => d.severity !== 'ovs')).toEqual([
        expect.objectContaining({ severity: 'warning', code: 'comment-line', line: 2 }),
      ]);
    }
  });
  it.each([
    // real corruption stays refused: a note without its #, a # glued to a value
    ['Bridge b\nthis is the compute node\n    Port p\n', 'not-show'],
    ['Bridge b\n    Port p#1\n', 'bad-value'],
  ])('%j: refused as before', (text, code) => {
    expect(parseVsctlShow(text).diagnostics.map((d) => [d.severity, d.code])).toContainEqual([
      'corrupt',
      code,
    ]);
  });
});
