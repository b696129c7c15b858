// The page's HTML shell. Served, it loads its scripts from /assets/ and its data from the JSON
// API; in the report the same scripts and the data are inlined, so the file works offline. No
// name from the case is written into this markup: the script sets every text.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { projectPath } from '../paths.ts';
import { escapeControl, UNSAFE } from '../text/escape.ts';

const require = createRequire(import.meta.url);
const HERE = projectPath('src', 'web');

/** Everything the page loads, by the name it is served under: vendored libraries from node_modules, our own from assets/. */
export const ASSETS: Record<string, { file: string; type: string }> = {
  'cytoscape.min.js': { file: require.resolve('cytoscape/dist/cytoscape.min.js'), type: 'text/javascript' },
  'elk.bundled.js': { file: require.resolve('elkjs/lib/elk.bundled.js'), type: 'text/javascript' },
  'app.js': { file: join(HERE, 'assets', 'app.js'), type: 'text/javascript' },
  'app.css': { file: join(HERE, 'assets', 'app.css'), type: 'text/css' },
};
const SCRIPTS = ['cytoscape.min.js', 'elk.bundled.js', 'app.js'];

const cache = new Map<string, string>();
export function asset(name: string): string {
  let t = cache.get(name);
  if (t === undefined) {
    t = readFileSync(ASSETS[name]!.file, 'utf8');
    cache.set(name, t);
  }
  return t;
}

/** Text from input as markup the server writes (a case name): control characters shown as the CLI shows them, then entities. */
export function escapeHtml(s: string): string {
  return escapeControl(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * JSON safe inside a <script> element: no `</script>`, no `<!--`, no JS line separators, and no
 * raw control, bidi or invisible character (escapeControl's set, U+2028/9 among them) in the file:
 * each is a \\uXXXX escape, so the data parses back exact and the file's source shows nothing
 * a viewer would act on.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Inlined script text: `</script` cannot occur inside a script element. */
function inlineScript(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1');
}

const BODY = `
<header><h1>vifpath</h1><span id="case"></span><span id="verdict" class="badge"></span>
<p id="headline"></p><p id="load-error" hidden></p></header>
<main>
<div>
<section>
<div id="toolbar">
<input id="search" type="search" placeholder="search: port name, MAC, iface-id, address" aria-label="search">
<button id="show-focus" type="button">focus on the VM's path</button>
<button id="show-all" type="button">whole topology</button>
<span id="graph-note"></span>
</div>
<ul id="search-results"></ul>
<div id="cy" role="img" aria-label="topology graph"></div>
<div id="details"></div>
</section>
<section><details id="ports-box"><summary>Ports <span id="port-count"></span></summary>
<input id="port-filter" type="search" placeholder="filter ports" aria-label="filter ports">
<div class="tablewrap"><table id="ports"><thead><tr><th>host</th><th>bridge</th><th>port</th><th>VLAN</th><th>type</th><th>MAC / iface-id</th></tr></thead><tbody id="ports-body"></tbody></table></div>
</details></section>
</div>
<aside>
<section id="findings-box"><h2>Diagnosis</h2><ol id="findings"></ol>
<div id="collect-box"><h3>Collect next</h3><ul id="collect"></ul></div>
<div id="diagnostics-box" hidden><h3>Input diagnostics</h3><ul id="diagnostics"></ul></div></section>
<section id="trace-box"><h2>Trace</h2>
<form id="trace-form">
<input id="trace-from" list="port-list" placeholder="host:port" aria-label="from host:port"><datalist id="port-list"></datalist>
<input id="trace-to" list="port-list" placeholder="to host:port (OFFER: the VM)" aria-label="to host:port">
<select id="trace-packet" aria-label="packet"><option value="dhcp-discover">DHCP DISCOVER</option><option value="dhcp-offer">DHCP OFFER</option><option value="custom">fields…</option></select>
<input id="trace-fields" hidden placeholder="udp,dl_src=…,udp_dst=67" aria-label="packet fields">
<input id="trace-mac" placeholder="VM MAC (optional)" aria-label="MAC" size="17">
<button id="trace-run" type="submit">trace</button>
</form>
<p id="trace-note" class="note"></p><p id="trace-error"></p><div id="trace-result"></div></section>
<section id="flows-box"><h2>Flow tables</h2>
<select id="flow-bridge" aria-label="bridge"></select>
<input id="flow-filter" type="search" placeholder="filter: table=0, dl_vlan, drop…" aria-label="filter flows">
<p id="flows-note" class="note"></p>
<div class="tablewrap"><table id="flows"><thead><tr><th>table</th><th>n_packets</th><th>match and actions</th><th>line</th></tr></thead><tbody id="flows-body"></tbody></table></div>
</section>
</aside>
</main>`;

/** The served page: scripts and styles from /assets/, data from the API beside it. */
export function servedPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>vifpath</title><link rel="stylesheet" href="/assets/app.css"></head>
<body>${BODY}
${SCRIPTS.map((s) => `<script src="/assets/${s}"></script>`).join('\n')}
</body></html>
`;
}

/** The report: one file, every asset and the data inlined. */
export function reportPage(data: unknown): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; worker-src blob:">
<title>vifpath report</title><style>${asset('app.css')}</style></head>
<body>${BODY}
<script type="application/json" id="vifpath-data">${scriptJson(data)}</script>
${SCRIPTS.map((s) => `<script>${inlineScript(asset(s))}</script>`).join('\n')}
</body></html>
`;
}

/** A case that could not be read: the one-line error, as text. */
export function errorPage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vifpath: ${escapeHtml(title)}</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><header><h1>vifpath</h1><span id="case">${escapeHtml(title)}</span></header>
<main><section><h2>This case could not be read</h2><p id="load-error">${escapeHtml(message)}</p>
<p class="note">Fix the file and reload this page; the server keeps running.</p></section></main></body></html>
`;
}
