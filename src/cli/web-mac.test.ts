// report --mac and serve --mac: the VM's MAC where the case does not give it, with diagnose --mac's
// meaning and checks (was: "unknown option '--mac'", exit 2, though diagnose --mac exists).
// yeasy-vxlan: src/doctor/fixtures/PROVENANCE.md (two VM ports, no attached-mac in the case);
// examples/vxlan-healthy (attached-mac given).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, SEED_CASE } from '../testing/fixtures.ts';

const BIN = join(ROOT, 'bin/vifpath.mjs');
const YEASY = join(ROOT, 'src/doctor/fixtures/yeasy-vxlan');
const VXLAN = join(ROOT, 'examples/vxlan-healthy');
const VM = 'compute:qvoc4493802-43';
const MAC = 'fa:16:3e:52:7a:f2';
const env = { ...process.env, NO_COLOR: '1' };
const run = (args: readonly string[]) => spawnSync('node', [BIN, ...args], { encoding: 'utf8', env });
const T = mkdtempSync(join(tmpdir(), 'vifpath-web-mac-'));
afterAll(() => rmSync(T, { recursive: true, force: true }));

/** The report's data, as the page reads it. */
function reportOf(file: string): {
  view: { focus: string; vms: { host: string; port: string; mac?: string }[] };
  diagnosis: { headline: string };
  traces: Record<string, { tree: unknown }>;
} {
  const html = readFileSync(file, 'utf8');
  const m = /<script type="application\/json" id="vifpath-data">(.*?)<\/script>/s.exec(html);
  if (!m) throw new Error('no report data in the page');
  return JSON.parse(m[1]!);
}

// [what, args after the case, the case, the one line on stderr]
const refused: [string, string[], string, RegExp][] = [
  ['not a MAC', ['--mac', ''], SEED_CASE, /^vifpath: mac: "" is not a MAC address/],
  ['not a MAC either', ['--mac', 'fa:16:3e'], SEED_CASE, /^vifpath: mac: "fa:16:3e" is not a MAC address/],
  [
    'two VM ports, none named',
    ['--mac', MAC],
    YEASY,
    /^vifpath: --mac fa:16:3e:52:7a:f2: the case has 2 VM ports \(compute:qvoc4493802-43, compute:qvof47c62b0-db\): name the one it is of with --vm\n$/,
  ],
  [
    'against the attached-mac OVSDB gives the port',
    ['--vm', 'compute1:tap7f3e1c2a-9b', '--mac', 'fa:16:3e:00:00:01'],
    VXLAN,
    /^vifpath: --mac fa:16:3e:00:00:01: compute1:tap7f3e1c2a-9b has attached-mac fa:16:3e:11:22:33 in OVSDB\n$/,
  ],
];

describe('report --mac', () => {
  it.each(refused)('%s: one line, exit 2, no file', (_what, args, c, line) => {
    const out = join(T, `refused-${Math.random().toString(36).slice(2)}.html`);
    const r = run(['report', c, '-o', out, ...args]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(line);
    expect(() => readFileSync(out)).toThrow();
  });

  it('the VM named: diagnosed and traced with the MAC, as diagnose --mac', () => {
    const out = join(T, 'yeasy.html');
    const r = run(['report', YEASY, '--vm', VM, '--mac', MAC.toUpperCase(), '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    const data = reportOf(out);
    // Without --mac the headline asks for it ('or give it: --vm … --mac <its MAC>').
    expect(data.diagnosis.headline).not.toContain('give it');
    const d = run(['diagnose', YEASY, '--vm', VM, '--mac', MAC, '--json']);
    expect(data.diagnosis.headline).toBe(JSON.parse(d.stdout).headline);
    expect(data.view.focus).toBe(VM);
    expect(data.view.vms.find((v) => `${v.host}:${v.port}` === VM)?.mac).toBe(MAC);
    // The DISCOVER precomputed for the page is the VM's, from its MAC.
    expect(JSON.stringify(data.traces[`${VM} dhcp-discover`])).toContain(MAC);
  });

  it("diagnose --mac's picture line gives report the same --mac (was: left out, report refused it)", () => {
    const r = run(['diagnose', YEASY, '--vm', VM, '--mac', MAC]);
    expect(r.stdout).toContain(`vifpath report ${YEASY} --vm ${VM} --mac ${MAC} -o report.html`);
  });
});

/** serve's URL once it listens, or its exit code and stderr when it stops first. */
function started(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => {
      text += b.toString();
      const m = /on (http:\/\/\S+\/)/.exec(text);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.on('exit', (c) => reject(new Error(`serve exited ${c}: ${err}`)));
  });
}

describe('serve --mac', () => {
  it.each(refused)('%s: one line, exit 2, before listening', (_what, args, c, line) => {
    const r = run(['serve', c, '--port', '0', ...args]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).not.toContain('serving');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(line);
  });

  it('the VM named: the page diagnoses and traces with the MAC', async () => {
    const child = spawn('node', [BIN, 'serve', YEASY, '--port', '0', '--vm', VM, '--mac', MAC], { env });
    try {
      const url = await started(child);
      const get = async (p: string) => (await fetch(new URL(p, url))).json();
      const diagnosis = await get('c/0/api/diagnosis');
      expect(diagnosis.headline).not.toContain('give it');
      const view = await get('c/0/api/view');
      expect(view.focus).toBe(VM);
      expect(view.vms.find((v: { host: string; port: string }) => `${v.host}:${v.port}` === VM)?.mac).toBe(
        MAC,
      );
      // The page asks for the focus's DISCOVER without a MAC: the server traces it with --mac's.
      const t = await get(`c/0/api/trace?${new URLSearchParams({ from: VM, packet: 'dhcp-discover' })}`);
      expect(JSON.stringify(t)).toContain(MAC);
      // Another MAC asked for is traced as asked.
      const other = await get(
        `c/0/api/trace?${new URLSearchParams({ from: VM, packet: 'dhcp-discover', mac: 'fa:16:3e:00:00:09' })}`,
      );
      expect(JSON.stringify(other)).toContain('fa:16:3e:00:00:09');
      expect(JSON.stringify(other)).not.toContain(MAC);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
