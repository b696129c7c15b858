// bench/web: time to first render of a generated 1,000-port case — `vifpath serve` started, the
// page loaded in headless chromium until it has drawn the VM's path — against the time
// `vifpath snapshot --json` takes on the same case, measured in the same run. Both are whole CLI
// processes (node start, reading the case); the page also diagnoses the case and traces the VM.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBigCase } from '../src/web/testing/big-case.ts';
import { launchChromium } from '../src/web/testing/browser.ts';

const PORTS = Number(process.env.BENCH_PORTS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIN = new URL('../bin/vifpath.mjs', import.meta.url).pathname;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function snapshotJson(dir: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'snapshot', dir, '--json'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    p.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`snapshot exit ${code}`)),
    );
  });
}

function startServe(dir: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [BIN, 'serve', dir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ proc, url: m[1]! });
    });
    proc.on('exit', (code) => reject(new Error(`serve exit ${code}`)));
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'vifpath-bench-web-'));
const dir = join(tmp, 'case');
writeBigCase(dir, { ports: PORTS });
const t0 = performance.now();
const browser = await launchChromium();
const launchMs = performance.now() - t0;
try {
  const peer: number[] = [];
  const total: number[] = [];
  const listen: number[] = [];
  const page: number[] = [];
  const inPage: number[] = [];
  const dataAt: number[] = [];
  const layout: number[] = [];
  let shown = 0;
  for (let i = 0; i < RUNS; i++) {
    peer.push(await snapshotJson(dir));
    const s0 = performance.now();
    const { proc, url } = await startServe(dir);
    const s1 = performance.now();
    const p = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await p.goto(url);
    await p.waitForSelector('body[data-rendered="1"]', { timeout: 120_000 });
    const s2 = performance.now();
    const ph = await p.evaluate(
      () => (window as unknown as { vifpath: { phases: Record<string, number> } }).vifpath.phases,
    );
    dataAt.push(ph.data!);
    layout.push(ph.graph! - ph.traceForm!);
    inPage.push(
      await p.evaluate(() => (window as unknown as { vifpath: { renderedAt: number } }).vifpath.renderedAt),
    );
    shown = await p.evaluate(
      () =>
        (window as unknown as { vifpath: { cy: { nodes: () => { length: number } } } }).vifpath.cy.nodes()
          .length,
    );
    await p.close();
    proc.kill('SIGTERM');
    listen.push(s1 - s0);
    page.push(s2 - s1);
    total.push(s2 - s0);
  }
  const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `bench/web: ${PORTS}-port case, median of ${RUNS} runs (chromium launch ${f(launchMs)}, not counted)`,
  );
  console.log(`  vifpath serve → page drawn with the VM's path : ${f(median(total))}`);
  console.log(`    server start until listening                 : ${f(median(listen))}`);
  console.log(
    `    page load until drawn (API: view, diagnosis, trace; layout of ${shown} graph nodes) : ${f(median(page))} (in-page clock ${f(median(inPage))})`,
  );
  console.log(
    `      of which: JSON in (server reads + diagnoses the case on first request) ${f(median(dataAt))}, graph layout + draw ${f(median(layout))}`,
  );
  console.log(`  peer: vifpath snapshot --json, same case      : ${f(median(peer))}`);
  console.log(
    `  ratio first render / snapshot --json          : ${(median(total) / median(peer)).toFixed(2)}x`,
  );
} finally {
  await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}
