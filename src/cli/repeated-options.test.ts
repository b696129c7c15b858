// Reproduced by review: an option taking one value given twice was "last one wins" in silence
// (`diagnose --vm vif16.0 --vm vif15.1` diagnosed vif15.1; `agent --network tenant=1 --network
// tenant=2` programmed the lab with 2), `trace --to X --any` dropped --to and flipped the answer,
// and the serve API ignored unknown or repeated query parameters. Now each is a usage error naming
// the option (exit 2, one line, before any work), and options meant to repeat still do.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runVifpath, scratchDir } from '../testing/cli.ts';
import { ROOT } from '../testing/fixtures.ts';

const S = join(ROOT, 'examples/xenserver-seed');
const env = { ...process.env, NO_COLOR: '1' };
const T = scratchDir('vifpath-repeat-');

const run = (args: readonly string[]) => runVifpath(args, { timeoutMs: 60_000 });

const refused: [string, () => string[], RegExp][] = [
  [
    'diagnose --vm twice',
    () => ['diagnose', S, '--vm', 'vif16.0', '--vm', 'vif15.1'],
    /^vifpath: --vm given twice \(vif16\.0, then vif15\.1\): it takes one value$/,
  ],
  [
    'report -o twice',
    () => ['report', S, '-o', join(T, 'a.html'), '-o', join(T, 'b.html')],
    /^vifpath: -o\/--out given twice \(.*a\.html, then .*b\.html\)/,
  ],
  [
    'report --out then -o',
    () => ['report', S, '--out', join(T, 'a.html'), '-o', join(T, 'b.html')],
    /-o\/--out given twice/,
  ],
  [
    'serve --port twice',
    () => ['serve', S, '--port', '80', '--port', '81'],
    /--port given twice \(80, then 81\)/,
  ],
  [
    'trace --from twice',
    () => ['trace', S, '--from', 'dom0:vif16.0', '--from', 'dom0:vif15.1', '--packet', 'dhcp-discover'],
    /--from given twice/,
  ],
  [
    'trace --packet twice',
    () => ['trace', S, '--from', 'dom0:vif16.0', '--packet', 'dhcp-discover', '--packet=dhcp-offer'],
    /--packet given twice \(dhcp-discover, then dhcp-offer\)/,
  ],
  [
    'agent: one network twice',
    () => ['agent', 'unix:/nonexistent/db.sock', '--network', 'tenant=1', '--network', 'tenant=2'],
    /^vifpath: --network tenant=1 and --network tenant=2: tenant given twice$/,
  ],
  [
    'agent: one port twice',
    () => ['agent', 'unix:/nonexistent/db.sock', '--network', 'a=1', 'b=2', '--port', 'p=a', '--port', 'p=b'],
    /--port p=a and --port p=b: p given twice/,
  ],
  [
    'trace --to with --any',
    () => ['trace', S, '--from', 'dom0:vif15.1', '--packet', 'dhcp-discover', '--to', 'domu:eth1', '--any'],
    /^vifpath: --to and --any exclude each other$/,
  ],
  [
    'trace --any with --to',
    () => ['trace', S, '--any', '--from', 'dom0:vif15.1', '--packet', 'dhcp-discover', '--to', 'domu:eth1'],
    /--to and --any exclude each other/,
  ],
];

describe('an option given twice, or two that exclude each other', () => {
  it.each(refused)('%s: one line naming it, exit 2', (_what, args, line) => {
    const r = run(args());
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(line);
  });

  it('options meant to repeat still collect (--to twice: both targets)', () => {
    const r = run([
      'trace',
      S,
      '--from',
      'dom0:vif16.0',
      '--packet',
      'dhcp-discover',
      '--to',
      'domu:eth1',
      '--to',
      'dom0:vif15.1',
      '--json',
    ]);
    expect([0, 1, 3], r.stderr).toContain(r.status);
    const j = JSON.parse(r.stdout) as { target: unknown[] };
    expect(j.target).toHaveLength(2);
  });

  it('one --vm still diagnoses', () => {
    const r = run(['diagnose', S, '--vm', 'vif16.0']);
    expect(r.status, r.stderr).toBe(1);
  });
});

/** serve's URL once it listens. */
function started(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (b: Buffer) => {
      text += b.toString();
      const m = /on (http:\/\/\S+\/)/.exec(text);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (c) => reject(new Error(`serve exited ${c}`)));
  });
}

describe('serve API: a parameter it does not take, or one given twice', () => {
  const rows: [string, string, RegExp][] = [
    ['from twice', 'c/0/api/trace?from=dom0:vif16.0&from=dom0:vif15.1', /^from: given twice/],
    ['unknown', 'c/0/api/trace?from=dom0:vif16.0&bogus=1', /^bogus: not a parameter of this API/],
    ['to twice', 'c/0/api/trace?from=dom0:vif16.0&to=domu:eth1&to=dom0:vif15.1', /^to: given twice/],
    [
      'packet twice',
      'c/0/api/trace?from=dom0:vif16.0&packet=dhcp-discover&packet=dhcp-offer',
      /packet: given twice/,
    ],
    ['view takes none', 'c/0/api/view?vm=vif15.1', /^vm: not a parameter of this API \(it takes none\)/],
  ];
  it('HTTP 400 naming it; a good request still answers', async () => {
    const child = spawn('node', [BIN, 'serve', S, '--port', '0'], { env });
    try {
      const url = await started(child);
      for (const [what, path, error] of rows) {
        const r = await fetch(new URL(path, url));
        expect(r.status, what).toBe(400);
        expect(((await r.json()) as { error: string }).error, what).toMatch(error);
      }
      const ok = await fetch(new URL('c/0/api/trace?from=dom0:vif16.0&packet=dhcp-discover', url));
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { verdict: string }).verdict).toBe('dropped');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
