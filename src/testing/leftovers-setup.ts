// Vitest global setup (both projects): nothing the suite makes is left behind (issue 19). Every
// test process gets a temporary folder of its own as TMPDIR, so what this run made is told apart
// from what other runs on the machine make; at the end the run fails if a vifpath-* folder is left
// in it (or a /tmp/vifpath-*-<pid>-* folder of the lab's), or a network namespace with the lab's
// prefix `vl` appeared during the run and is still there, or a daemon (ovs, dnsmasq, tcpdump,
// dhclient) started during the run still runs with an argument under /tmp.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The lab's namespaces: `vl` + 6 hex digits + `-` + host (lab/state.ts). */
const LAB_NS = /^vl[0-9a-f]{6}-/;

function labNamespaces(): Set<string> {
  try {
    const out = execFileSync('ip', ['netns', 'list'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return new Set(
      out
        .split('\n')
        .map((l) => l.split(' ')[0]!)
        .filter((n) => LAB_NS.test(n)),
    );
  } catch {
    return new Set();
  }
}

/** The daemons the lab and the tests start (ovs, dnsmasq, tcpdump, dhclient) with an argument under /tmp. */
const DAEMONS = /^(?:.*\/)?(?:ovs-vswitchd|ovsdb-server|dnsmasq|tcpdump|dhclient)$/;
function tmpDaemons(): Map<number, string> {
  const out = new Map<number, string>();
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv[0] && DAEMONS.test(argv[0]) && argv.some((a) => a.includes('/tmp/')))
        out.set(Number(p), argv.join(' '));
    } catch {
      // gone
    }
  }
  return out;
}

/** Other vitest runs alive on this machine (their namespaces are not this run's to judge). */
function otherRuns(): number {
  let n = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]);
      if (ppid !== process.pid && cmd.some((a) => /vitest(\.mjs)?$/.test(a)) && cmd.includes('run')) n++;
    } catch {
      // gone
    }
  }
  return n;
}

export default function setup(): () => void {
  const saved = process.env.TMPDIR;
  // One folder per run: both projects' setups run in one process, the second must not nest.
  const runTmp = mkdtempSync(
    join(saved?.includes('/vitest-run-') ? join(saved, '..') : (saved ?? tmpdir()), 'vitest-run-'),
  );
  // Like /tmp: anyone may write (dnsmasq drops to nobody), the sticky bit keeps owners apart.
  chmodSync(runTmp, 0o1777);
  process.env.TMPDIR = runTmp;
  const nsBefore = labNamespaces();
  const daemonsBefore = tmpDaemons();
  return () => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    const left = readdirSync(runTmp)
      .filter((e) => e.startsWith('vifpath-'))
      .map((e) => join(runTmp, e));
    const labDirs = readdirSync('/tmp')
      .filter((e) => e.startsWith('vifpath-') && e.includes(`-${process.pid}-`))
      .map((e) => join('/tmp', e));
    const ns = [...labNamespaces()].filter((n) => !nsBefore.has(n));
    rmSync(runTmp, { recursive: true, force: true });
    const problems = [...left, ...labDirs].map((d) => `temporary folder left behind: ${d}`);
    // A daemon that started during the run and still runs from /tmp (a lab's dhclient or dnsmasq).
    const daemons = [...tmpDaemons()]
      .filter(([pid]) => !daemonsBefore.has(pid))
      .map(([pid, a]) => `${pid} ${a}`);
    if (ns.length > 0 || daemons.length > 0) {
      const others = otherRuns();
      if (others === 0) {
        if (ns.length > 0) problems.push(`network namespaces left behind: ${ns.join(', ')}`);
        for (const d of daemons) problems.push(`process left behind: ${d}`);
      } else
        process.stderr.write(
          `leftovers: ${[...ns, ...daemons].join(', ')} appeared during the run; ${others} other test run(s) on this machine may own them\n`,
        );
    }
    if (problems.length > 0) {
      // vitest reports an exception here but still exits 0: say it and fail the run ourselves.
      process.stderr.write(`\nFAIL the test run left things behind:\n  ${problems.join('\n  ')}\n`);
      process.exitCode = 1;
    }
  };
}
