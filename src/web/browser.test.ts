// The page in a real browser: playwright-core driving Debian's chromium (installed by the test
// command, never downloaded), against `vifpath serve` started as the CLI starts it, on 127.0.0.1;
// then the report file opened from file:// with every network request refused. Screenshots are
// kept in tmp/web-artifacts/.
/// <reference lib="dom" />
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, writeBigCase } from './testing/big-case.ts';
import { launchChromium } from './testing/browser.ts';
import { HOSTILE_HOST_SHOWN, rawControls, writeHostileHostCase } from './testing/hostile-host.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'vifpath.mjs');
const ARTIFACTS = join(ROOT, 'tmp', 'web-artifacts');
const HOSTILE = '<img src=x onerror=alert(1)>';
/** The bundled example whose cause has no probable part (a root cause, nothing to confirm). */
const TUNPORT = join(ROOT, 'examples', 'vxlan-tunport');
/**
 * review9 a0c/h2-healthy-tagged: examples/vxlan-healthy (two VMs, vm1 on compute1, vm2 on compute2)
 * plus one flow on compute1's br-int that outputs the OFFER to vm1's port (tag 1) without
 * strip_vlan: it arrives tagged VLAN 1 (diagnose: PROBLEM, offer-tagged).
 */
function writeTaggedOfferCase(dir: string): string {
  cpSync(join(ROOT, 'examples', 'vxlan-healthy'), dir, { recursive: true });
  for (const f of ['ovs-ofctl_dump-flows_br-int', 'ovs-ofctl_-O_OpenFlow13_dump-flows_br-int'])
    appendFileSync(
      join(dir, 'compute1/sos_commands/openvswitch', f),
      ' cookie=0x1c0a5e11, duration=3.117s, table=60, n_packets=1, n_bytes=342, idle_age=1, priority=50,udp,dl_dst=fa:16:3e:11:22:33,tp_src=67,tp_dst=68 actions=output:2\n',
    );
  return dir;
}
/** The CLI's words for that arrival (vifpath trace … --to compute1:tap7f3e1c2a-9b). */
const TAGGED_VM1 =
  "reaches compute1:tap7f3e1c2a-9b tagged VLAN 1 (`output:2`, an explicit output, keeps the frame's tag; only NORMAL applies the port's tag 1: the guest sees an 802.1Q frame and ignores it unless it runs a VLAN interface)";
/** What a value the page forgot to skip or format becomes as text. */
const JUNK = /null|undefined|NaN|\[object Object\]/;

/** The CLI's own words for the root causes of a case: `vifpath diagnose`'s lines, as printed. */
function cliRootLines(dir: string): string[] {
  const r = spawnSync(process.execPath, [BIN, 'diagnose', dir], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return r.stdout
    .split('\n')
    .filter((l) => /^ {2}(probable root cause|root cause|to confirm): /.test(l))
    .map((l) => l.trim());
}

/** The page's words for the same: each finding's root cause and confirm lines, in order. */
function pageRootLines(page: Page): Promise<string[]> {
  return page.$$eval('#findings .root, #findings .confirm', (els) => els.map((e) => e.textContent ?? ''));
}

/** Runs a trace from the page's form and waits for it. */
async function traceIn(page: Page, from: string, packet: string): Promise<void> {
  await page.fill('#trace-from', from);
  await page.selectOption('#trace-packet', packet);
  await runTrace(page);
}

/** Runs the trace the page's form holds and waits for it. */
async function runTrace(page: Page): Promise<void> {
  await page.evaluate(() => {
    document.body.dataset.traceDone = '';
  });
  await page.click('#trace-run');
  await page.waitForSelector('body[data-trace-done="1"]', { timeout: 30_000 });
}

let tmp: string;
let server: ChildProcess;
let base: string;
let browser: Browser;
const dialogs: string[] = [];

/** Starts `vifpath serve … --port 0` and returns the URL it prints. */
function startServer(cases: string[]): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [BIN, 'serve', ...cases, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ proc, url: m[1]! });
    });
    proc.stderr!.on('data', (d) => {
      err += d;
    });
    proc.on('exit', (code) => reject(new Error(`vifpath serve exited ${code}: ${err}`)));
  });
}

async function open(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url, { timeout: 120_000 });
  await page.waitForSelector('body[data-rendered]', { timeout: 120_000 });
  expect(await page.evaluate(() => document.body.dataset.rendered)).toBe('1');
  return page;
}

/** Graph facts, read from cytoscape's model of what is drawn. */
function graph(page: Page) {
  return page.evaluate(() => {
    const cy = (
      window as unknown as {
        vifpath: { cy: { nodes: (s?: string) => { map: <T>(f: (n: Node) => T) => T[] } } };
      }
    ).vifpath.cy;
    type Node = { data: (k: string) => string; hasClass: (c: string) => boolean };
    return cy.nodes().map((n) => ({
      kind: n.data('kind'),
      name: n.data('name'),
      host: n.data('host'),
      label: n.data('label'),
      path: n.hasClass('path'),
      drop: n.hasClass('drop'),
    }));
  });
}

/** The rendered DOM without its scripts (the data and the vendored code), as --dump-dom gives it, and the form's values. */
function renderedText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const c = document.documentElement.cloneNode(true) as HTMLElement;
    for (const s of c.querySelectorAll('script')) s.remove();
    const values = [...document.querySelectorAll('input, select')].map((x) => (x as HTMLInputElement).value);
    return [c.outerHTML, document.title, ...values].join('\n');
  });
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'vifpath-browser-'));
  const bad = join(tmp, 'bad');
  writeBigCase(bad, { ports: 2 });
  writeFileSync(
    join(bad, 'dom0', 'ovs-ofctl_dump-flows_xapi3'),
    'NXST_FLOW reply (xid=0x4):\n\u0000\u0001garbage\n',
  );
  const hostile = join(tmp, 'hostile');
  writeBigCase(hostile, { ports: 3, extraNames: [HOSTILE, '</script><script>alert(2)</script>'] });
  const big = join(tmp, 'big');
  writeBigCase(big, { ports: 1000 });
  const hostileHost = writeHostileHostCase(join(tmp, 'hostile-host'));
  const tagged = writeTaggedOfferCase(join(tmp, 'tagged-offer'));
  ({ proc: server, url: base } = await startServer([SEED, bad, hostile, big, hostileHost, tagged]));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('vifpath serve in chromium', () => {
  it('shows the seed: hosts, bridges, ports, and vif16.0 with "no tag"', async () => {
    const page = await open(`${base}c/0/`);
    const nodes = await graph(page);
    const names = (kind: string) => nodes.filter((n) => n.kind === kind).map((n) => n.name);
    expect(names('host')).toEqual(expect.arrayContaining(['dom0', 'domu']));
    expect(names('bridge')).toEqual(expect.arrayContaining(['xapi5', 'xapi3', 'br-int']));
    expect(names('port')).toEqual(
      expect.arrayContaining(['vif16.0', 'int-xapi3', 'phy-xapi3', 'tap7b39ecad-81']),
    );
    expect(nodes.find((n) => n.name === 'vif16.0')!.label).toBe('vif16.0\nno tag');
    await page.click('#ports-box summary');
    const row = page.locator('#ports-body tr', { hasText: 'vif16.0' });
    await expect(row.locator('td.tag').textContent()).resolves.toBe('no tag');
    await expect(page.locator('#verdict').textContent()).resolves.toBe('problem');
    await expect(page.locator('#findings').textContent()).resolves.toContain(
      'vif16.0 has no VLAN tag on xapi5',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'seed.png') });
    await page.close();
  });

  it('traces from dom0:vif16.0 and marks the drop at xapi3 with n_packets=7', async () => {
    const page = await open(`${base}c/0/`);
    await page.fill('#trace-from', 'dom0:vif16.0');
    await page.selectOption('#trace-packet', 'dhcp-discover');
    await runTrace(page);
    await expect(page.locator('#trace-verdict').textContent()).resolves.toBe('dropped');
    const drop = await page.locator('#trace-drop').textContent();
    expect(drop).toContain('dom0 xapi3');
    expect(drop).toContain('priority=2,in_port=2 actions=drop');
    expect(drop).toContain('n_packets=7');
    const path = await page.locator('#trace-path').textContent();
    expect(path).toMatch(
      /^dom0:vif16\.0 → \[dom0 xapi5\] → int-xapi3 ⇢ phy-xapi3 → \[dom0 xapi3\] ✕ dropped on dom0 xapi3/,
    );
    const nodes = await graph(page);
    const xapi3 = nodes.find((n) => n.kind === 'bridge' && n.name === 'xapi3')!;
    expect(xapi3.drop).toBe(true);
    expect(xapi3.label).toContain('n_packets=7');
    expect(nodes.filter((n) => n.drop).map((n) => n.name)).toEqual(['xapi3']);
    for (const name of ['vif16.0', 'xapi5', 'int-xapi3', 'phy-xapi3', 'xapi3'])
      expect(nodes.find((n) => n.name === name)!.path, name).toBe(true);
    expect(nodes.find((n) => n.name === 'br-int')!.path).toBe(false);
    // The dropping flow is marked in xapi3's flow table, which the trace selected.
    await expect(page.locator('#flow-bridge option:checked').textContent()).resolves.toContain('dom0 xapi3');
    await expect(page.locator('#flows-body tr.matched').first().textContent()).resolves.toContain(
      'actions=drop',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'seed-trace.png') });
    await page.close();
  });

  // Was: "…n_packets=7 dom0/ovs-ofctl_dump-flows_xapi3:4nullnullnull<details>…" on every trace
  // panel: the DOM's append writes a null it is given as "null" (review8 3.1).
  it('writes no null, undefined, NaN or [object Object] on the seed trace panel: DISCOVER and OFFER', async () => {
    const page = await open(`${base}c/0/`);
    await page.waitForSelector('#trace-verdict');
    expect(await page.locator('#trace-result').textContent()).not.toMatch(JUNK);
    for (const [from, packet] of [
      ['dom0:vif16.0', 'dhcp-discover'],
      ['domu:tap7b39ecad-81', 'dhcp-offer'],
    ] as const) {
      await traceIn(page, from, packet);
      await expect(page.locator('#trace-error').textContent()).resolves.toBe('');
      const text = (await page.locator('#trace-result').textContent()) ?? '';
      expect(text.length).toBeGreaterThan(100);
      expect(text, `${from} ${packet}`).not.toMatch(JUNK);
    }
    expect(await page.locator('#findings').textContent()).not.toMatch(JUNK);
    await page.close();
  });

  // Was: "root cause: the port exists …" with no "probable" and no "to confirm" line, where
  // diagnose says "probable root cause:" and how to confirm it (review8 2.1).
  it("words the seed's probable root cause and what confirms it as diagnose does", async () => {
    const page = await open(`${base}c/0/`);
    const cli = cliRootLines(SEED);
    expect(cli.map((l) => l.split(':')[0])).toEqual(['probable root cause', 'to confirm']);
    expect(await pageRootLines(page)).toEqual(cli);
    await page.close();
  });

  it('gives a bad case an error page naming file and line, and the server stays up', async () => {
    const page = await browser.newPage();
    const r = await page.goto(`${base}c/1/`);
    expect(r!.status()).toBe(422);
    await expect(page.locator('#load-error').textContent()).resolves.toContain(
      'dom0/ovs-ofctl_dump-flows_xapi3',
    );
    await page.close();
    const again = await open(`${base}c/0/`);
    await again.close();
  });

  it('shows hostile names as text, in the graph, the tables and search', async () => {
    const page = await open(`${base}c/2/`);
    await page.fill('#search', 'img');
    await expect(page.locator('#search-results').textContent()).resolves.toContain(HOSTILE);
    await page.click('#ports-box summary');
    await page.fill('#port-filter', 'onerror');
    await expect(page.locator('#ports-body').textContent()).resolves.toContain(HOSTILE);
    expect((await graph(page)).map((n) => n.name)).toContain(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    await page.fill('#trace-from', 'dom0:</script><script>alert(2)</script>');
    await page.click('#trace-run');
    await page.waitForSelector('body[data-trace-done="1"]');
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('shows a host named "d\\x1b[31mom0\\u202e" escaped as the CLI prints it, and traces from it', async () => {
    const page = await open(`${base}c/4/`);
    expect(rawControls(await renderedText(page))).toEqual([]);
    await expect(page.locator('#headline').textContent()).resolves.toContain(HOSTILE_HOST_SHOWN);
    await expect(page.locator('#findings').textContent()).resolves.toContain(HOSTILE_HOST_SHOWN);
    expect((await graph(page)).filter((n) => n.kind === 'host').map((n) => n.name)).toContain(
      HOSTILE_HOST_SHOWN,
    );
    // The form shows the escaped name; the server is asked about the exact one.
    await expect(page.locator('#trace-from').inputValue()).resolves.toBe(`${HOSTILE_HOST_SHOWN}:vif16.0`);
    await runTrace(page);
    await expect(page.locator('#trace-error').textContent()).resolves.toBe('');
    await expect(page.locator('#trace-verdict').textContent()).resolves.toBe('dropped');
    await expect(page.locator('#trace-drop').textContent()).resolves.toContain(`${HOSTILE_HOST_SHOWN} xapi3`);
    expect(rawControls(await renderedText(page))).toEqual([]);
    await page.close();
  });

  // Two VMs, the OFFER to vm1 output tagged. Was: the OFFER preset answered "the case has 2 VM
  // ports with different MACs …: say which one the reply goes to with --to <host:port> or --mac
  // <MAC>" (the page had no way to say it), and a tagged arrival showed as a plain "delivered".
  it('traces the OFFER to the VM under investigation, then to the one picked, and says vm1 gets it only tagged', async () => {
    const page = await open(`${base}c/5/`);
    await traceIn(page, 'network:tapd4a1b2c3-e5', 'dhcp-offer');
    await expect(page.locator('#trace-error').textContent()).resolves.toBe('');
    await expect(page.locator('#trace-to').inputValue()).resolves.toBe('compute1:tap7f3e1c2a-9b');
    await expect(page.locator('#trace-verdict').textContent()).resolves.toBe('delivered');
    const note = page.locator('#trace-tagged');
    await expect(note.locator('p').textContent()).resolves.toBe(
      'tagged only tagged where it arrives: the guest ignores it',
    );
    await expect(note.locator('li').allTextContents()).resolves.toEqual([TAGGED_VM1]);
    // Picking vm2's port (search) while the OFFER is set up makes it the target, not the source.
    await page.fill('#search', 'tap9c8b7a6d');
    await page.locator('#search-results a', { hasText: 'port compute2' }).first().click();
    await expect(page.locator('#trace-to').inputValue()).resolves.toBe('compute2:tap9c8b7a6d-5e');
    await expect(page.locator('#trace-from').inputValue()).resolves.toBe('network:tapd4a1b2c3-e5');
    await runTrace(page);
    await expect(page.locator('#trace-error').textContent()).resolves.toBe('');
    await expect(page.locator('#trace-verdict').textContent()).resolves.toBe('delivered');
    await expect(page.locator('#trace-path').textContent()).resolves.toContain('vm2');
    expect(await page.locator('#trace-tagged').count()).toBe(0);
    expect(await page.locator('#trace-result').textContent()).not.toMatch(JUNK);
    await page.screenshot({ path: join(ARTIFACTS, 'tagged-offer.png') });
    await page.close();
  });

  it('loads a 1,000-port case focused on the VM: its path, its drop, the table view', async () => {
    const page = await open(`${base}c/3/`);
    const nodes = await graph(page);
    expect(nodes.length).toBeLessThan(60);
    expect(nodes.find((n) => n.name === 'vif16.0')!.path).toBe(true);
    expect(nodes.find((n) => n.kind === 'bridge' && n.name === 'xapi3')!.drop).toBe(true);
    await expect(page.locator('#ports-box').getAttribute('open')).resolves.not.toBeNull();
    const count = /^(\d+) of (\d+)$/.exec((await page.locator('#port-count').textContent()) ?? '')!;
    expect(Number(count[1])).toBeGreaterThan(1000); // every port of the case is in the table
    expect(count[1]).toBe(count[2]);
    await expect(page.locator('#trace-drop').textContent()).resolves.toContain('n_packets=7');
    // Search by name brings a port into the focused graph.
    await page.fill('#search', 'vif612.0');
    await page.locator('#search-results a').first().click();
    await page.waitForFunction(() =>
      (
        window as unknown as {
          vifpath: {
            cy: { nodes: () => { some: (f: (n: { data: (k: string) => string }) => boolean) => boolean } };
          };
        }
      ).vifpath.cy
        .nodes()
        .some((n) => n.data('name') === 'vif612.0'),
    );
    await page.screenshot({ path: join(ARTIFACTS, 'big.png') });
    await page.close();
  });
});

describe('vifpath report in chromium, offline', () => {
  it('shows the seed graph, verdict, findings and the path with its drop, fetching nothing', async () => {
    const file = join(tmp, 'report.html');
    execFileSync(process.execPath, [BIN, 'report', SEED, '-o', file]);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, offline: true });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
    });
    await page.route(/^(?!file:|data:)/, (route) => route.abort());
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-rendered]', { timeout: 60_000 });
    expect(await page.evaluate(() => document.body.dataset.rendered)).toBe('1');
    const nodes = await graph(page);
    expect(nodes.find((n) => n.name === 'vif16.0')!.label).toBe('vif16.0\nno tag');
    const xapi3 = nodes.find((n) => n.kind === 'bridge' && n.name === 'xapi3')!;
    expect(xapi3.drop).toBe(true);
    expect(xapi3.label).toContain('n_packets=7');
    await expect(page.locator('#verdict').textContent()).resolves.toBe('problem');
    await expect(page.locator('#trace-path').textContent()).resolves.toContain('✕ dropped on dom0 xapi3');
    await expect(page.locator('#trace-drop').textContent()).resolves.toContain('n_packets=7');
    await page.screenshot({ path: join(ARTIFACTS, 'report.png') });
    expect(requests).toEqual([]);
    await page.close();
  });

  // The report's trace panel and findings, for a finding with something to confirm (the seed) and
  // one without (vxlan-tunport: a root cause, proven): the page's words are the CLI's.
  it.each([
    ['the seed', SEED, ['probable root cause', 'to confirm']],
    ['vxlan-tunport', TUNPORT, ['root cause']],
  ])('%s: no junk on the trace panel, root causes worded as diagnose words them', async (_n, dir, kinds) => {
    const file = join(tmp, `report-${kinds.length}.html`);
    execFileSync(process.execPath, [BIN, 'report', dir, '-o', file]);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, offline: true });
    await page.route(/^(?!file:|data:)/, (route) => route.abort());
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-rendered]', { timeout: 60_000 });
    await page.waitForSelector('#trace-verdict');
    const panel = (await page.locator('#trace-result').textContent()) ?? '';
    expect(panel.length).toBeGreaterThan(100);
    expect(panel).not.toMatch(JUNK);
    expect(await page.locator('#findings').textContent()).not.toMatch(JUNK);
    const cli = cliRootLines(dir);
    expect(cli.map((l) => l.split(':')[0])).toEqual(kinds);
    expect(await pageRootLines(page)).toEqual(cli);
    await page.close();
  });

  // The report holds the OFFER from the DHCP server to the VM under investigation. Was: the packet
  // choice disabled (DISCOVERs only), so the tagged way back never showed.
  it('the tagged-OFFER case: the OFFER preset traces to vm1 and says it arrives only tagged', async () => {
    const file = join(tmp, 'report-tagged.html');
    execFileSync(process.execPath, [BIN, 'report', join(tmp, 'tagged-offer'), '-o', file]);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, offline: true });
    await page.route(/^(?!file:|data:)/, (route) => route.abort());
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-rendered]', { timeout: 60_000 });
    await page.selectOption('#trace-packet', 'dhcp-offer');
    await expect(page.locator('#trace-from').inputValue()).resolves.toBe('network:tapd4a1b2c3-e5');
    await expect(page.locator('#trace-to').inputValue()).resolves.toBe('compute1:tap7f3e1c2a-9b');
    await runTrace(page);
    await expect(page.locator('#trace-error').textContent()).resolves.toBe('');
    await expect(page.locator('#trace-verdict').textContent()).resolves.toBe('delivered');
    await expect(page.locator('#trace-tagged li').allTextContents()).resolves.toEqual([TAGGED_VM1]);
    expect(await page.locator('#trace-result').textContent()).not.toMatch(JUNK);
    await page.close();
  });

  it('shows a host named "d\\x1b[31mom0\\u202e" escaped: no raw ESC or RLO in the DOM', async () => {
    const file = join(tmp, 'report-hostile-host.html');
    execFileSync(process.execPath, [BIN, 'report', join(tmp, 'hostile-host'), '-o', file]);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, offline: true });
    await page.route(/^(?!file:|data:)/, (route) => route.abort());
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-rendered]', { timeout: 60_000 });
    expect(await page.evaluate(() => document.body.dataset.rendered)).toBe('1');
    expect(rawControls(await renderedText(page))).toEqual([]);
    await expect(page.locator('#headline').textContent()).resolves.toContain(HOSTILE_HOST_SHOWN);
    await expect(page.locator('#case').textContent()).resolves.not.toMatch(/\u001b|\u202e/);
    // The precomputed trace of the focus is found under the escaped name the form shows.
    await expect(page.locator('#trace-verdict').textContent()).resolves.toBe('dropped');
    await expect(page.locator('#trace-path').textContent()).resolves.toContain(
      `${HOSTILE_HOST_SHOWN}:vif16.0`,
    );
    await runTrace(page);
    await expect(page.locator('#trace-error').textContent()).resolves.toBe('');
    await page.close();
  });
});
