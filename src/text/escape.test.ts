// Text output never lets input act on the terminal: a port name carrying ESC sequences (clear the
// screen, print a fake verdict) is shown escaped by snapshot and diagnose, JSON keeps it exact.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colors } from '../cli/colors.ts';
import { formatDiagnosis } from '../cli/format-diagnosis.ts';
import { formatSnapshot } from '../cli/format-snapshot.ts';
import { LimitError } from '../errors/errors.ts';
import { readCase } from '../sources/case-dir.ts';
import { SEED_CASE } from '../testing/fixtures.ts';
import { escapeControl } from './escape.ts';

describe('escapeControl', () => {
  it('renders C0, DEL, C1 and bidi controls visibly and keeps everything else', () => {
    expect(escapeControl('\x1b[2J\x07\r\n\t\x00\x7f\x9b')).toBe('\\x1b[2J\\x07\\r\\n\\t\\x00\\x7f\\x9b');
    expect(escapeControl('a\u202eb\u2066c\u200fd\u2028')).toBe('a\\u{202e}b\\u{2066}c\\u{200f}d\\u{2028}');
    for (const s of ['vif16.0', 'ünïcødé-pørt-名前', 'back\\slash', "it's", 'sp ace', ''])
      expect(escapeControl(s)).toBe(s);
  });

  it('leaves no character a terminal acts on, for every code point below 0x3000', () => {
    let all = '';
    for (let cp = 0; cp < 0x3000; cp++) all += String.fromCodePoint(cp);
    const out = escapeControl(all);
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });

  it('error lines are escaped too', () => {
    expect(new LimitError('bad \x1b[31mred', 'f\x07', 3).oneLine()).toBe('f\\x07:3: bad \\x1b[31mred');
  });
});

describe('snapshot and diagnose print a hostile port name escaped (JSON stays exact)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-escape-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const hostile = 'vif15.1\x1b[2J\x1b[H\x1b[32mHEALTHY\x07\u202e';
  const caseDir = join(dir, 'case');
  cpSync(SEED_CASE, caseDir, { recursive: true });
  // ovs-ofctl show prints port names as they are.
  const show = join(caseDir, 'dom0/ovs-ofctl_show_xapi3');
  writeFileSync(show, readFileSync(show, 'utf8').replace('(vif15.1)', `(${hostile})`));
  const plain = colors(false);
  const terminalActive = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

  it('snapshot text: no control character reaches the terminal, the name is shown escaped', () => {
    const s = readCase(caseDir);
    expect(s.hosts[0]!.bridges.flatMap((b) => b.ports.map((p) => p.name))).toContain(hostile);
    const text = formatSnapshot(s, plain);
    expect(text).not.toMatch(terminalActive);
    expect(text).toContain('vif15.1\\x1b[2J\\x1b[H\\x1b[32mHEALTHY\\x07\\u{202e}');
  });

  it('diagnose text: verdict, finding, evidence, fix and collect lines are escaped', () => {
    const text = formatDiagnosis(
      {
        case: hostile,
        verdict: 'problem',
        headline: `port ${hostile} has no tag`,
        paths: [{ vm: hostile, discover: { verdict: 'dropped', reached: [hostile], drop: hostile } }],
        findings: [
          {
            code: 'vm-port-untagged',
            severity: 'error',
            subject: hostile,
            message: hostile,
            rootCause: hostile,
            evidence: [{ text: hostile, file: `dom0/${hostile}`, line: 3 }],
            fix: [`ovs-vsctl set port '${hostile}' tag=1`, `# ${hostile}`],
          },
        ],
        collectNext: [hostile],
      },
      plain,
    );
    expect(text).not.toMatch(terminalActive);
    expect(text.split('\\x1b[2J')).toHaveLength(13); // 12 places print it: path lines and the report command included
  });
});
