// Fuzz (issue 19 item 7): random and mutated real inputs thrown at every parser, the capture
// reader and the case reader (through the CLI's own main()). It asserts what the design promises:
// a parser never throws (diagnostics only); the CLI exits 0, 1, 2 or 3 only, never with a stack
// trace, exit 2 is one line, and never exit 1 on input it could not read (`snapshot` has no "problem
// found": 1 there is always a bug; `capture analyze` exits 1 only after it found exchanges).
// Inputs slower than SLOW_MS are reported as hangs. Deterministic for a seed.
//   npm run fuzz                       100,000 inputs, seed 1
//   npm run fuzz -- --seed 7 --count 5000
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { analyze } from '../src/capture/analyze.ts';
import { main } from '../src/cli/main.ts';
import { VifpathError } from '../src/errors/errors.ts';
import { parseConfDb } from '../src/parse/conf-db.ts';
import type { Parsed } from '../src/parse/diagnostics.ts';
import { parseDumpFlows } from '../src/parse/dump-flows.ts';
import { parseFdbShow } from '../src/parse/fdb-show.ts';
import { parseIfconfig } from '../src/parse/ifconfig.ts';
import { parseIni } from '../src/parse/ini.ts';
import { parseIpAddr, parseIpAddrJson } from '../src/parse/ip-addr.ts';
import { parseIpNetns } from '../src/parse/ip-netns.ts';
import { parseLinks } from '../src/parse/links.ts';
import { parseOfctlShow } from '../src/parse/ovs-ofctl-show.ts';
import { parseVsctlShow } from '../src/parse/ovs-vsctl-show.ts';
import { parseOvsdbMonitor } from '../src/parse/ovsdb-client-monitor.ts';
import { parseOvsdbDump, parseVsctlList, parseVsctlListJson } from '../src/parse/ovsdb-rows.ts';
import {
  parseAgentLog,
  parseDhclient,
  parseDhcpHosts,
  parseDhcpLeases,
  parseDhcpOpts,
  parseDnsmasqLog,
  parseEthtoolK,
  parseIptablesSave,
  parsePidFile,
  parseSockets,
} from '../src/parse/services.ts';
import { OWN_FIXTURES, SEED_CASE, walkFiles } from '../src/testing/fixtures.ts';

/** Inputs are cut to this size (what is bigger is the business of the limit tests and bench/limits). */
const MAX_INPUT = 4 * 1024 * 1024;
/** An input slower than this is reported as a hang. */
export const SLOW_MS = 5000;

const TEXT_PARSERS: [string, (t: string) => Parsed<unknown>][] = [
  ['dump-flows', (t) => parseDumpFlows(t, { expectOutput: true })],
  ['vsctl-show', parseVsctlShow],
  ['vsctl-list', (t) => parseVsctlList(t, 'Interface')],
  ['vsctl-list-json', (t) => parseVsctlListJson(t, 'Port')],
  ['ofctl-show', parseOfctlShow],
  ['ovsdb-dump', parseOvsdbDump],
  ['ovsdb-monitor', parseOvsdbMonitor],
  ['ip-addr', parseIpAddr],
  ['ip-addr-json', parseIpAddrJson],
  ['ifconfig', parseIfconfig],
  ['ip-netns', parseIpNetns],
  ['links', parseLinks],
  ['fdb-show', parseFdbShow],
  ['ini', parseIni],
  ['sockets', parseSockets],
  ['ethtool-k', parseEthtoolK],
  ['iptables-save', parseIptablesSave],
  ['dhcp-hosts', parseDhcpHosts],
  ['dhcp-leases', parseDhcpLeases],
  ['dhcp-opts', parseDhcpOpts],
  ['pid', parsePidFile],
  ['dnsmasq-log', parseDnsmasqLog],
  ['dhclient', parseDhclient],
  ['agent-log', parseAgentLog],
];

/** xorshift32: the same inputs for the same seed. */
function rng(seed: number): { int(n: number): number; pick<T>(xs: readonly T[]): T } {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return { int: (n) => next() % n, pick: (xs) => xs[next() % xs.length]! };
}

interface Sample {
  /** Where it comes from, relative to the repository (its name tells the case reader what it is). */
  name: string;
  bytes: Buffer;
}

function samples(): Sample[] {
  const files = [...walkFiles(OWN_FIXTURES), ...walkFiles(SEED_CASE)].filter((f) => {
    const st = statSync(f);
    return st.size > 0 && st.size < 2 * 1024 * 1024;
  });
  return files.map((f) => ({ name: relative(OWN_FIXTURES, f), bytes: readFileSync(f) }));
}

const NASTY = [
  '\0',
  '\x1b[2J',
  '\uFFFD',
  '((((((((((',
  'actions=ct(commit,exec(ct(commit,exec(',
  '=',
  ',',
  '"',
  '{',
  '[',
  '\r\n',
  'OVSDB JSON 99999999999 0000000000000000000000000000000000000000\n',
  '18446744073709551616',
  '-1',
  'NaN',
  'table=999999999999',
  'priority=65536',
  ' \t ',
];

/** One mutation of a real input (or a random one). */
function mutate(r: ReturnType<typeof rng>, pool: Sample[]): Sample {
  const base = r.pick(pool);
  let b = Buffer.from(base.bytes);
  const steps = 1 + r.int(3);
  for (let k = 0; k < steps; k++) {
    const at = b.length ? r.int(b.length) : 0;
    if (b.length > MAX_INPUT) b = b.subarray(0, MAX_INPUT);
    switch (r.int(11)) {
      case 0: // flip bytes
        for (let i = 0; i < 1 + r.int(8) && b.length; i++) b[r.int(b.length)] = r.int(256);
        break;
      case 1: // cut
        b = b.subarray(0, at);
        break;
      case 2: // random bytes inserted
        b = Buffer.concat([
          b.subarray(0, at),
          Buffer.from(Array.from({ length: r.int(64) }, () => r.int(256))),
          b.subarray(at),
        ]);
        break;
      case 3: // a nasty token inserted
        b = Buffer.concat([b.subarray(0, at), Buffer.from(r.pick(NASTY)), b.subarray(at)]);
        break;
      case 4: {
        // a line repeated
        const lines = b.toString('latin1').split('\n');
        const i = r.int(lines.length);
        const n = Math.min(r.pick([2, 10, 1000]), Math.floor(MAX_INPUT / ((lines[i]?.length ?? 0) + 1)));
        lines.splice(i, 0, ...Array<string>(n).fill(lines[i] ?? ''));
        b = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
      case 5: // spliced with another file
        b = Buffer.concat([b.subarray(0, at), r.pick(pool).bytes]);
        break;
      case 6: // a long line
        b = Buffer.concat([
          b.subarray(0, at),
          Buffer.alloc(r.pick([1000, 70_000, 1_100_000]), r.pick([0x61, 0x28, 0x20])),
          b.subarray(at),
        ]);
        break;
      case 7: // numbers made huge
        b = Buffer.from(
          b.toString('latin1').replace(/\d+/g, (m) => (r.int(4) === 0 ? `${m}99999999999999999999` : m)),
          'latin1',
        );
        break;
      case 8: // random printable text
        b = Buffer.from(Array.from({ length: r.int(400) }, () => 32 + r.int(95)));
        break;
      case 9: // empty
        b = Buffer.alloc(0);
        break;
      default: {
        // lines shuffled a little
        const lines = b.toString('latin1').split('\n');
        for (let i = 0; i < 3 && lines.length > 1; i++) {
          const x = r.int(lines.length);
          const y = r.int(lines.length);
          [lines[x], lines[y]] = [lines[y]!, lines[x]!];
        }
        b = Buffer.from(lines.join('\n'), 'latin1');
      }
    }
  }
  return { name: base.name, bytes: b.length > MAX_INPUT ? b.subarray(0, MAX_INPUT) : b };
}

export interface FuzzFailure {
  input: number;
  target: string;
  what: string;
}

export interface FuzzReport {
  seed: number;
  inputs: number;
  calls: number;
  cliRuns: number;
  exits: Record<string, number>;
  failures: FuzzFailure[];
  slowest: { ms: number; target: string; input: number };
}

/** Run the CLI in this process: exit code, stdout and stderr. A non-VifpathError escapes as a crash. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string | Uint8Array) => {
    err.push(String(s));
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(argv, (s) => out.push(s));
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stderr.write = write;
  }
}

export async function fuzz(opts: {
  seed: number;
  count: number;
  cliEvery?: number;
  progress?: (n: number) => void;
}): Promise<FuzzReport> {
  const r = rng(opts.seed);
  const pool = samples();
  const cliEvery = opts.cliEvery ?? 25;
  const dir = mkdtempSync(join(tmpdir(), 'vifpath-fuzz-'));
  const report: FuzzReport = {
    seed: opts.seed,
    inputs: 0,
    calls: 0,
    cliRuns: 0,
    exits: {},
    failures: [],
    slowest: { ms: 0, target: '', input: 0 },
  };
  const timed = async (input: number, target: string, f: () => unknown): Promise<void> => {
    const t0 = performance.now();
    try {
      await f();
    } catch (e) {
      report.failures.push({
        input,
        target,
        what: `threw: ${(e as Error)?.stack ?? String(e)}`.slice(0, 2000),
      });
    }
    const ms = performance.now() - t0;
    report.calls++;
    if (ms > report.slowest.ms) report.slowest = { ms, target, input };
    if (ms > SLOW_MS) report.failures.push({ input, target, what: `hang: ${Math.round(ms)} ms` });
  };
  const fail = (input: number, target: string, what: string): void => {
    report.failures.push({ input, target, what });
  };
  try {
    for (let i = 0; i < opts.count; i++) {
      const s =
        r.int(10) === 0
          ? { name: 'random', bytes: Buffer.from(Array.from({ length: r.int(2000) }, () => r.int(256))) }
          : mutate(r, pool);
      report.inputs++;
      const text = s.bytes.toString('utf8');
      // Every text parser on every input: diagnostics only, never an exception.
      for (const [name, p] of TEXT_PARSERS) await timed(i, name, () => p(text));
      await timed(i, 'conf.db', () => parseConfDb(s.bytes));
      await timed(i, 'capture', () => {
        try {
          analyze([{ bytes: s.bytes, file: 'f', point: 'p' }]);
        } catch (e) {
          if (!(e instanceof VifpathError)) throw e;
        }
      });
      if (i % cliEvery !== 0) continue;
      // The case reader, through the CLI: the input under its real name in a host folder beside
      // the seed's dom0, then `snapshot`; and `capture analyze` on it.
      const c = join(dir, `case-${i}`);
      const host = join(c, 'h');
      const rel = s.name.includes('/') ? s.name.split('/').slice(-1)[0]! : s.name;
      const where = /conf\.db$/.test(s.name)
        ? join(host, 'etc/openvswitch/conf.db')
        : join(host, basename(rel));
      mkdirSync(join(where, '..'), { recursive: true });
      writeFileSync(where, s.bytes);
      const pcap = join(dir, `in-${i}.pcap`);
      writeFileSync(pcap, s.bytes);
      for (const argv of [
        ['snapshot', c],
        ['snapshot', '--json', '--lenient', c],
        ['capture', 'analyze', pcap],
      ]) {
        const target =
          argv.slice(0, argv[0] === 'capture' ? 2 : 1).join(' ') +
          (argv.includes('--lenient') ? ' --lenient' : '');
        await timed(i, target, async () => {
          const { code, out, err } = await cli(argv);
          report.cliRuns++;
          report.exits[`${target}: ${code}`] = (report.exits[`${target}: ${code}`] ?? 0) + 1;
          if (![0, 1, 2, 3].includes(code)) fail(i, target, `exit ${code}`);
          if (/\n\s+at /.test(err)) fail(i, target, `stack trace: ${err.slice(0, 500)}`);
          if (code === 2 && err.split('\n').filter(Boolean).length !== 1)
            fail(i, target, `exit 2 not one line: ${err.slice(0, 500)}`);
          if (code === 1 && argv[0] === 'snapshot')
            fail(i, target, `exit 1 from snapshot: ${err.slice(0, 500)}`);
          if (code === 1 && argv[0] === 'capture' && !/[1-9]\d* DHCP exchange/.test(out))
            fail(i, target, 'exit 1 from capture analyze without an exchange');
        });
      }
      rmSync(c, { recursive: true, force: true });
      rmSync(pcap, { force: true });
      opts.progress?.(i);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const arg = (k: string, d: number): number => {
    const i = process.argv.indexOf(k);
    return i > 0 ? Number(process.argv[i + 1]) : d;
  };
  const seed = arg('--seed', 1);
  const count = arg('--count', 100_000);
  const t0 = performance.now();
  const rep = await fuzz({
    seed,
    count,
    progress: (n) => {
      if (n % 1000 === 0) process.stderr.write(`\r${n}/${count} inputs`);
    },
  });
  process.stderr.write('\n');
  console.log(
    `fuzz seed ${seed}: ${rep.inputs} inputs, ${rep.calls} calls (${rep.cliRuns} CLI runs) in ${Math.round((performance.now() - t0) / 1000)} s; slowest ${Math.round(rep.slowest.ms)} ms (${rep.slowest.target}, input ${rep.slowest.input})`,
  );
  console.log(`exits: ${JSON.stringify(rep.exits)}`);
  console.log(
    `${rep.failures.length} failures (crashes, hangs, exits other than 0/1/2/3, stack traces, exit 1 on bad input)`,
  );
  for (const f of rep.failures.slice(0, 20)) console.log(`  input ${f.input} ${f.target}: ${f.what}`);
  process.exitCode = rep.failures.length ? 1 : 0;
}
