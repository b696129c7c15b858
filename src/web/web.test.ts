// The web server, view and report without a browser: the API answers with the JSON the CLI
// prints, only GET/HEAD, only loopback unless asked, a bad case gets an error page while the
// server goes on, names from input never reach markup.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceCommand } from '../dataplane/run.ts';
import { toJson } from '../model/snapshot.ts';
import { readCase } from '../sources/case-dir.ts';
import { traceJson } from './adapt.ts';
import { reportPage, scriptJson } from './page.ts';
import { buildReport } from './report.ts';
import { loadCase, loopbackHostHeader, type Running, serve } from './server.ts';
import { SEED, writeBigCase } from './testing/big-case.ts';

const HOSTILE = '<img src=x onerror=alert(1)>';
let tmp: string;
let bad: string;
let hostile: string;
let running: Running;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'vifpath-web-'));
  bad = join(tmp, 'bad');
  writeBigCase(bad, { ports: 2 });
  writeFileSync(
    join(bad, 'dom0', 'ovs-ofctl_dump-flows_xapi3'),
    'NXST_FLOW reply (xid=0x4):\n\u0000\u0001\u0002garbage\n',
  );
  hostile = join(tmp, 'hostile');
  writeBigCase(hostile, { ports: 3, extraNames: [HOSTILE, '</script><script>alert(2)</script>'] });
  running = await serve([
    { name: SEED, load: () => readCase(SEED) },
    { name: bad, load: () => readCase(bad) },
  ]);
});

afterAll(async () => {
  await running?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const get = (path: string, init?: RequestInit) =>
  fetch(new URL(path, running.url), { redirect: 'manual', ...init });

describe('view', () => {
  it('shows the seed: hosts, bridges, ports with their tag, the patch pair, the wire, the qdhcp namespace', () => {
    const { view, diagnosis } = loadCase(readCase(SEED));
    const names = (kind: string) => view.nodes.filter((n) => n.kind === kind).map((n) => n.name);
    expect(names('host')).toEqual(['dom0', 'domu']);
    expect(names('bridge')).toEqual(expect.arrayContaining(['xapi5', 'xapi3', 'br-int']));
    const vif = view.nodes.find((n) => n.kind === 'port' && n.name === 'vif16.0')!;
    expect(vif.tagText).toBe('no tag');
    expect(vif.label).toContain('no tag');
    expect(view.nodes.find((n) => n.name === 'vif15.1')!.tagText).toBe('tag ?');
    const id = (name: string) => view.nodes.find((n) => n.name === name)!.id;
    expect(view.edges).toContainEqual(
      expect.objectContaining({ kind: 'patch', source: id('int-xapi3'), target: id('phy-xapi3') }),
    );
    expect(view.edges).toContainEqual(
      expect.objectContaining({ kind: 'wire', source: id('vif15.1'), target: id('eth1') }),
    );
    const ns = view.nodes.find((n) => n.kind === 'namespace' && n.name.startsWith('qdhcp-'))!;
    expect(ns.label).toContain('tap7b39ecad-81 10.0.0.2/24');
    expect(view.edges).toContainEqual(
      expect.objectContaining({ kind: 'attach', source: id('tap7b39ecad-81'), target: ns.id }),
    );
    expect(view.focus).toBe('dom0:vif16.0');
    // The finding about vif16.0 points at its port and at xapi3, whose flow dump its evidence quotes.
    expect(diagnosis.verdict).toBe('problem');
    const i = diagnosis.findings.findIndex((f) => f.code === 'vm-port-untagged');
    expect(view.findingTargets[i]).toEqual(expect.arrayContaining([vif.id, id('xapi3')]));
    expect(view.flows[id('xapi3')]!.rows).toContainEqual(
      expect.objectContaining({ rule: 'priority=2,in_port=2 actions=drop', n_packets: 7, line: 4 }),
    );
  });
});

describe('server', () => {
  it('serves the JSON the CLI prints', async () => {
    const snap = readCase(SEED);
    expect(await (await get('/c/0/api/snapshot')).text()).toBe(toJson(snap));
    const r = await get('/c/0/api/trace?from=dom0:vif16.0&packet=dhcp-discover');
    expect(r.status).toBe(200);
    const t = (await r.json()) as { verdict: string; drop: object };
    expect(t).toEqual(
      JSON.parse(toJson(traceJson(traceCommand(snap, { from: 'dom0:vif16.0', packet: 'dhcp-discover' })))),
    );
    expect(t.verdict).toBe('dropped');
    expect(t.drop).toMatchObject({ host: 'dom0', bridge: 'xapi3', n_packets: 7 });
    const d = (await (await get('/c/0/api/diagnosis')).json()) as { verdict: string; headline: string };
    expect(d.verdict).toBe('problem');
    expect(d.headline).toContain('vif16.0 has no VLAN tag');
  });

  it('serves the page and its assets locally, nothing from elsewhere', async () => {
    const index = await (await get('/')).text(); // two cases: a list of both
    expect(index).toContain('href="/c/0/"');
    expect(index).toContain('href="/c/1/"');
    const page = await (await get('/c/0/')).text();
    const srcs = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(srcs.length).toBeGreaterThan(3);
    for (const s of srcs) expect(s).toMatch(/^\/assets\//);
    for (const s of srcs) expect((await get(s!)).status).toBe(200);
    expect((await get('/assets/../package.json')).status).toBe(404);
    expect((await get('/assets/constructor')).status).toBe(404);
  });

  it('changes nothing: only GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'])
      expect((await get('/c/0/api/trace?from=dom0:vif16.0', { method })).status).toBe(405);
  });

  it('answers only requests that name a loopback host (DNS rebinding: another site resolved to 127.0.0.1)', async () => {
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL('/c/0/api/snapshot', running.url);
        httpGet({ host: u.hostname, port: u.port, path: u.pathname, headers: { host } }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        }).on('error', reject);
      });
    expect(await status('evil.example')).toBe(421);
    expect(await status('evil.example:8018')).toBe(421);
    expect(await status(new URL(running.url).host)).toBe(200);
    expect(await status(`localhost:${new URL(running.url).port}`)).toBe(200);
  });

  it.each([
    ['127.0.0.1:8018', true],
    ['localhost', true],
    ['LOCALHOST:80', true],
    ['[::1]:8018', true],
    ['127.1.2.3', true],
    ['evil.example', false],
    ['127.0.0.1.evil.example', false],
    ['localhost.evil.example:8018', false],
    ['[::ffff:8.8.8.8]:80', false],
    ['', false],
  ])('Host %j loopback: %s', (h, ok) => {
    expect(loopbackHostHeader(h)).toBe(ok);
  });

  it('answers a bad case with an error page naming file and line, and stays up', async () => {
    const r = await get('/c/1/');
    expect(r.status).toBe(422);
    const html = await r.text();
    expect(html).toContain('dom0/ovs-ofctl_dump-flows_xapi3');
    expect((await get('/c/1/api/view')).status).toBe(422);
    const t = await get('/c/0/api/trace?from=dom0:nosuchport&packet=dhcp-discover');
    expect(t.status).toBe(400);
    expect(((await t.json()) as { error: string }).error).toContain('nosuchport');
    expect((await get('/c/0/api/trace?from=dom0:vif16.0&packet=udp,bogus_field=1')).status).toBe(400);
    // --packet values out of their field's range, contradictions, in_port beside from: as the CLI.
    for (const [packet, why] of [
      ['dl_vlan=99999', 'does not fit in 12 bits'],
      ['dl_vlan=4096', 'does not fit in 12 bits'],
      ['dl_vlan=-1', 'is not a number'],
      ['dl_vlan=1,dl_vlan=2', '"dl_vlan=1" and "dl_vlan=2" disagree'],
      ['udp,tcp', 'two protocols'],
      ['in_port=5', 'the packet enters where --from says'],
    ]) {
      const r = await get(`/c/0/api/trace?from=dom0:vif15.1&packet=${encodeURIComponent(packet!)}`);
      expect(r.status, packet).toBe(400);
      expect(((await r.json()) as { error: string }).error).toContain(why);
    }
    expect((await get('/c/0/api/view')).status).toBe(200);
  });

  it('--vm: any form of a port focuses it; a case that does not hold it says so (422), not a 500', async () => {
    const snap = readCase(SEED);
    for (const vm of ['dom0:vif16.0', 'vif16.0', 'VIF16.0'])
      expect(loadCase(snap, vm).view.focus, vm).toBe('dom0:vif16.0');
    // A port the roles do not take for a VM's, named: focused, drawn with its VM, said in the findings.
    const named = loadCase(snap, 'domu:tap7b39ecad-81');
    expect(named.view.focus).toBe('domu:tap7b39ecad-81');
    expect(named.diagnosis.findings.map((f) => f.code)).toContain('vm-port-named');
    const two = await serve(
      [
        { name: SEED, load: () => readCase(SEED) },
        { name: 'vxlan', load: () => readCase(join(SEED, '../vxlan-healthy')) },
      ],
      { vm: 'dom0:vif16.0' },
    );
    try {
      expect((await fetch(new URL('/c/0/api/view', two.url))).status).toBe(200);
      const r = await fetch(new URL('/c/1/api/diagnosis', two.url));
      expect(r.status).toBe(422);
      expect(((await r.json()) as { error: string }).error).toMatch(
        /^--vm dom0:vif16\.0: no port of the case/,
      );
    } finally {
      await two.close();
    }
  });

  it('refuses to listen beyond loopback unless told to', async () => {
    await expect(serve([], { host: '0.0.0.0' })).rejects.toThrow(/--listen/);
    const r = await serve([], { host: '0.0.0.0', allowRemote: true });
    await r.close();
  });
});

describe('report', () => {
  it('is one file: every script inlined, nothing to fetch, the seed path and drop inside', () => {
    const html = buildReport(readCase(SEED), { now: new Date(0) });
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).not.toMatch(/(?:src|href)="https?:/);
    expect(html).toContain("default-src 'none'"); // the browser itself refuses to fetch anything
    const data = JSON.parse(
      /<script type="application\/json" id="vifpath-data">(.*?)<\/script>/s.exec(html)![1]!,
    );
    const t = data.traces['dom0:vif16.0 dhcp-discover'];
    expect(t.drop).toMatchObject({
      host: 'dom0',
      bridge: 'xapi3',
      flow: 'priority=2,in_port=2 actions=drop',
      n_packets: 7,
    });
  });

  it('keeps names from input out of the markup', () => {
    const html = buildReport(readCase(hostile));
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain('</script><script>alert(2)');
    const data = JSON.parse(
      /<script type="application\/json" id="vifpath-data">(.*?)<\/script>/s.exec(html)![1]!,
    );
    expect(data.view.nodes.map((n: { name: string }) => n.name)).toContain(HOSTILE);
    expect(scriptJson({ a: '</script>\u2028' })).toBe('{"a":"\\u003c/script\\u003e\\u2028"}');
    expect(reportPage({ x: '<!--' })).not.toContain('"<!--"');
  });
});

describe('a big dump on the page (read as an index)', () => {
  it('shows the flows the traces looked up, as of when the page is sent, and says how many the dump has', () => {
    const whole = loadCase(readCase(SEED)).view;
    const snap = readCase(SEED, { lazyFlows: 0 });
    const { view } = loadCase(snap);
    const id = Object.keys(view.flows).find((k) => view.flows[k]!.bridge === 'br-int')!;
    const all = whole.flows[id]!.rows;
    const shown = JSON.parse(JSON.stringify(view.flows[id]));
    expect(shown.total).toBe(all.length);
    const lookup = snap.hosts.flatMap((h) => h.bridges).find((b) => b.name === 'br-int')!.flows;
    if (!lookup.known || !lookup.value.lookup) throw new Error('br-int read as an index');
    // Exactly what was read, in dump order, as the whole dump shows it.
    expect(shown.rows.length).toBe(lookup.value.lookup.parsed);
    expect(shown.rows.length).toBeGreaterThan(0);
    expect(shown.rows).toEqual(
      all.filter((r) => shown.rows.some((x: { line: number }) => x.line === r.line)),
    );
    // A later trace reads more: the page sent then shows it.
    lookup.value.lookup.table(0);
    const later = JSON.parse(JSON.stringify(view.flows[id]));
    expect(later.rows.map((r: { line: number }) => r.line)).toEqual(
      all
        .filter((r) => r.table === 0 || shown.rows.some((x: { line: number }) => x.line === r.line))
        .map((r) => r.line),
    );
  });
});
