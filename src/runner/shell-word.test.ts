// The quoting of suggested command lines, checked against the shells that read them: what
// shellWord prints, bash reads back to the very name (in a UTF-8 and in the C locale); printable
// names keep POSIX single quotes, which dash reads too; names with control or invisible characters
// get bash's $'…' with the character's bytes escaped, so the printed line shows no raw control and
// pastes to the right name. remoteCommand (argv for the remote login shell) stays POSIX.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HOSTILE_NAMES } from '../testing/hostile-names.ts';
import { escapeControl } from '../text/escape.ts';
import { remoteCommand, shellWord, vifpathLine } from './runner.ts';

/** The words `shell` reads from `line`, each as its bytes in hex (printf '%s\0' word...). */
function readBack(shell: string, words: string, locale = 'C.UTF-8'): string[] {
  const r = spawnSync(shell, ['-c', `printf '%s\\0' ${words}`], {
    env: { PATH: process.env.PATH, LC_ALL: locale },
  });
  expect(r.status, r.stderr.toString()).toBe(0);
  const out = r.stdout;
  const words_: string[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++)
    if (out[i] === 0) {
      words_.push(out.subarray(start, i).toString('hex'));
      start = i + 1;
    }
  return words_;
}
const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

const INVISIBLE_NAMES: [string, string][] = [
  ['vif16.0\u202e', "$'vif16.0\\xe2\\x80\\xae'"],
  ['\u202evif16.0', "$'\\xe2\\x80\\xaevif16.0'"],
  ['esc\u001b[2Jport', "$'esc\\x1b[2Jport'"],
  ['new\nline', "$'new\\nline'"],
  ['tab\there', "$'tab\\there'"],
  ['cr\rport', "$'cr\\rport'"],
  ['zw\u200bsp', "$'zw\\xe2\\x80\\x8bsp'"],
  ['\ufeffbom', "$'\\xef\\xbb\\xbfbom'"],
  ['c1\u0085x', "$'c1\\xc2\\x85x'"],
  ['del\u007f', "$'del\\x7f'"],
  ['soft\u00adhyphen', "$'soft\\xc2\\xadhyphen'"],
  ["it's\u001b", "$'it\\'s\\x1b'"],
  ['back\\slash\u202e', "$'back\\\\slash\\xe2\\x80\\xae'"],
  ['$(reboot)\u001b', "$'$(reboot)\\x1b'"],
  ['`id`\u2066', "$'`id`\\xe2\\x81\\xa6'"],
  ['sp ace\u001b', "$'sp ace\\x1b'"],
  ['ünï\u202ecødé', "$'ünï\\xe2\\x80\\xaecødé'"],
  // a byte escape followed by a hex digit: bash reads two digits at most
  ['\u001bab12', "$'\\x1bab12'"],
];

const PRINTABLE_NAMES: [string, string][] = [
  ['vif16.0', 'vif16.0'],
  ['vm port', "'vm port'"],
  ["it's", "'it'\\''s'"],
  ['$(reboot)', "'$(reboot)'"],
  ['back\\slash', "'back\\slash'"],
  ['ünïcødé-pørt-名前', "'ünïcødé-pørt-名前'"],
  ['-n', '-n'],
  ['', "''"],
];

describe('shellWord', () => {
  it.each([...INVISIBLE_NAMES, ...PRINTABLE_NAMES])('%j → %s', (name, quoted) => {
    expect(shellWord(name)).toBe(quoted);
  });

  it.each(INVISIBLE_NAMES)(
    '%j: no raw control in the line; bash reads the name back (UTF-8 and C locale)',
    (name) => {
      const q = shellWord(name);
      expect(escapeControl(q)).toBe(q);
      for (const locale of ['C.UTF-8', 'C']) expect(readBack('bash', q, locale), locale).toEqual([hex(name)]);
    },
  );

  it.each([...PRINTABLE_NAMES, ...HOSTILE_NAMES.map((n) => [n, ''] as [string, string])])(
    '%j: sh and bash read it back as one word',
    (name) => {
      const q = shellWord(name);
      expect(readBack('bash', q)).toEqual([hex(name)]);
      if (!/[\u0000-\u001f]/.test(name)) expect(readBack('sh', q)).toEqual([hex(name)]);
    },
  );

  it('remoteCommand stays POSIX (the remote login shell may be dash): sh reads every name back', () => {
    const names = [...INVISIBLE_NAMES.map(([n]) => n), ...HOSTILE_NAMES].filter((n) => n !== '');
    const line = remoteCommand(names);
    expect(line).not.toContain("$'");
    expect(readBack('sh', line)).toEqual(names.map(hex));
  });
});

describe('vifpathLine: operands that look like options go after --', () => {
  const rows: [string, string[], string[], string][] = [
    ['report', ['seed'], ['-o', 'report.html'], 'vifpath report seed -o report.html'],
    ['report', ['-mycase'], ['-o', 'report.html'], 'vifpath report -o report.html -- -mycase'],
    [
      'report',
      ['-mycase'],
      ['--vm', 'vif16.0\u202e', '-o', 'report.html'],
      "vifpath report --vm $'vif16.0\\xe2\\x80\\xae' -o report.html -- -mycase",
    ],
    ['report', ['--help'], ['-o', 'report.html'], 'vifpath report -o report.html -- --help'],
    ['report', ['a b', '-x y'], ['--lenient'], "vifpath report --lenient -- 'a b' '-x y'"],
    [
      'trace',
      ['-mycase'],
      ['--from', 'dom0:vif16.0', '--packet', 'dhcp-discover'],
      'vifpath trace --from dom0:vif16.0 --packet dhcp-discover -- -mycase',
    ],
    ['lab down', [], ['--dir', '/tmp/my lab'], "vifpath lab down --dir '/tmp/my lab'"],
    ['lab down', [], ['--dir', '-lab'], 'vifpath lab down --dir -lab'],
  ];
  it.each(rows)('%s %j %j', (sub, ops, opts, line) => {
    expect(vifpathLine(sub, ops, opts)).toBe(line);
  });
});
