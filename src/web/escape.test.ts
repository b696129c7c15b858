// Names from the case reach the page and the report as the CLI prints them: control, bidi and
// invisible characters made visible (`\x1b`, `\u{202e}`), never raw. The page's script escapes
// every JSON document it renders in one place (display() in assets/app.js, its own copy of
// escapeControl, checked here against the CLI's); the report file holds no raw such character
// outside the vendored scripts (its data is \uXXXX-escaped JSON that parses back exact); the
// markup the server writes (error page, case list) escapes them too. Was: a host folder named
// "d\x1b[31mom0\u202e" gave 39 raw ESC and 39 raw RLO in the report's DOM.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { escapeControl } from '../text/escape.ts';
import { ASSETS, errorPage, escapeHtml, scriptJson } from './page.ts';
import { buildReport } from './report.ts';
import {
  HOSTILE_HOST,
  HOSTILE_HOST_SHOWN,
  rawControls as rawIn,
  writeHostileHostCase,
} from './testing/hostile-host.ts';

/** The HTML without the vendored and page scripts (cytoscape's own source holds a raw U+200B); the data script kept. */
const withoutCode = (html: string): string => html.replace(/<script>[\s\S]*?<\/script>/g, '');

/** assets/app.js's escapeControl, run in node. */
function pageEscape(): (s: string) => string {
  const js = readFileSync(ASSETS['app.js']!.file, 'utf8');
  const m = /\/\/ <escape>\n([\s\S]*?)\/\/ <\/escape>/.exec(js);
  if (!m) throw new Error('app.js: no // <escape> … // </escape> block');
  return new Function(`${m[1]}\nreturn escapeControl;`)() as (s: string) => string;
}

const tmp = mkdtempSync(join(tmpdir(), 'vifpath-web-escape-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the page's escape is the CLI's", () => {
  it('every BMP code point, and astral ones, escape alike', () => {
    const page = pageEscape();
    const differ: string[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const s = `a${String.fromCodePoint(cp)}b`;
      if (page(s) !== escapeControl(s)) differ.push(cp.toString(16));
    }
    expect(differ).toEqual([]);
    for (const s of ['\u{1f600}', HOSTILE_HOST, 'new\nline\ttab\r', 'back\\x1bslash', ''])
      expect(page(s)).toBe(escapeControl(s));
    expect(page(HOSTILE_HOST)).toBe(HOSTILE_HOST_SHOWN);
  });
});

describe('the report of a case whose host folder is named "d\\x1b[31mom0\\u202e"', () => {
  const dir = writeHostileHostCase(join(tmp, 'case'));
  const html = buildReport(readCase(dir), { now: new Date(0) });

  it('holds no raw control or bidi character outside the scripts, the data included', () => {
    expect(rawIn(withoutCode(html))).toEqual([]);
    const data = /<script type="application\/json" id="vifpath-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(rawIn(data)).toEqual([]);
    // ...and none in the page's own script either.
    expect(rawIn(readFileSync(ASSETS['app.js']!.file, 'utf8'))).toEqual([]);
  });

  it('its data stays exact: the host, the focus and the trace keys hold the raw name', () => {
    const data = /<script type="application\/json" id="vifpath-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    const d = JSON.parse(data) as {
      view: { nodes: { kind: string; name: string }[]; focus: string };
      diagnosis: { headline: string };
      traces: Record<string, unknown>;
    };
    expect(d.view.nodes.filter((n) => n.kind === 'host').map((n) => n.name)).toContain(HOSTILE_HOST);
    expect(d.view.focus).toBe(`${HOSTILE_HOST}:vif16.0`);
    expect(Object.keys(d.traces)).toContain(`${HOSTILE_HOST}:vif16.0 dhcp-discover`);
    expect(d.diagnosis.headline).toContain(HOSTILE_HOST);
  });

  it('scriptJson: every character escapeControl shows escaped is a \\u escape, parsing back exact', () => {
    const all = `${Array.from({ length: 0x2070 }, (_, i) => String.fromCharCode(i)).join('')}\ufeff`;
    const j = scriptJson({ all, [HOSTILE_HOST]: HOSTILE_HOST });
    expect(rawIn(j)).toEqual([]);
    expect(j).not.toMatch(/[\n\r\t]/);
    expect(JSON.parse(j)).toEqual({ all, [HOSTILE_HOST]: HOSTILE_HOST });
  });
});

describe('markup the server writes', () => {
  it('the error page and escapeHtml show a name with ESC and RLO escaped, as text', () => {
    expect(escapeHtml(`<${HOSTILE_HOST}>`)).toBe('&lt;d\\x1b[31mom0\\u{202e}&gt;');
    const page = errorPage(HOSTILE_HOST, `${HOSTILE_HOST}/ovs-vsctl_show:1: corrupt`);
    expect(rawIn(page)).toEqual([]);
    expect(page).toContain('d\\x1b[31mom0\\u{202e}/ovs-vsctl_show:1: corrupt');
  });
});
