// Live targets on the command line → collection sources; collection with a progress line on
// stderr. Shared by `collect`, `snapshot` and `diagnose`.
import type { Command } from 'commander';
import { DEFAULT_DIR, Lab } from '../lab/lab.ts';
import { LAB_SOURCE_HOSTS, type LabSourceHost, labSource } from '../lab/targets.ts';
import { interrupted, removeTempDir, tempDir } from '../runner/cleanup.ts';
import { collectCase, type HostResult, type HostSource } from '../sources/collect.ts';
import { InputError } from '../sources/errors.ts';
import { isLiveTarget, parseTarget, runnerFor, type Target } from '../sources/targets.ts';
import { escapeControl as e } from '../text/escape.ts';

export interface LiveOptions {
  sshConfig?: string;
  identity?: string;
  sudo?: boolean;
  labDir?: string;
  timeout?: string;
  concurrency?: string;
}

/** The one help text of --links (snapshot, diagnose, serve, report). */
export const LINKS_HELP =
  "wires between the hosts, one `hostA:iface hostB:iface` a line (links.txt format): for sosreports given together, or instead of a case directory's links.txt";

export function liveOptions(c: Command): Command {
  return (
    c
      .option('--ssh-config <file>', 'ssh client configuration for ssh:// targets (ssh -F)')
      .option('-i, --identity <file>', 'private key for ssh:// targets (ssh -i)')
      .option('--sudo', 'run every command with sudo -n on every target')
      .option('--lab-dir <dir>', 'state directory of the lab for lab:HOST targets', DEFAULT_DIR)
      .option('--timeout <s>', 'give up on a host after this many seconds', '300')
      .option('--concurrency <n>', 'hosts collected at once', '4')
      // A case read from disk is collected from nobody: an option for collecting is a mistake to
      // say, not to ignore (the reviewer's `diagnose CASE --keep k --sudo -i key` ran as if alone).
      .hook('preAction', (cmd) => {
        const first = cmd.processedArgs[0] as string | string[] | undefined;
        const args = Array.isArray(first) ? first : first === undefined ? [] : [first];
        if (args.length === 0 || args.some(isLiveTarget)) return;
        const given = LIVE_ONLY.filter(([key]) => cmd.getOptionValueSource(key) === 'cli').map(
          ([, flag]) => flag,
        );
        if (given.length > 0)
          throw new InputError(
            `${given.join(', ')} ${given.length > 1 ? 'apply' : 'applies'} to live targets (local, netns:NAME, ssh://host, lab:HOST) only: ${args[0]} is read from disk`,
          );
      })
  );
}

/** The options liveOptions adds (and --keep), by commander's key: meaningful for live targets only. */
const LIVE_ONLY: readonly [string, string][] = [
  ['sshConfig', '--ssh-config'],
  ['identity', '--identity'],
  ['sudo', '--sudo'],
  ['labDir', '--lab-dir'],
  ['timeout', '--timeout'],
  ['concurrency', '--concurrency'],
  ['keep', '--keep'],
];

/** All live targets, or none (a case directory): mixing them is a usage error. */
export function liveArgs(args: readonly string[]): boolean {
  const live = args.filter(isLiveTarget);
  if (live.length > 0 && live.length < args.length)
    throw new InputError(
      'give either live targets (local, netns:NAME, ssh://host, lab:HOST) or case directories, not both',
      args.find((a) => !isLiveTarget(a)),
    );
  return live.length > 0;
}

export function sourcesFor(args: readonly string[], o: LiveOptions): HostSource[] {
  let lab: Lab | undefined;
  const sshArgs = [...(o.sshConfig ? ['-F', o.sshConfig] : []), ...(o.identity ? ['-i', o.identity] : [])];
  const targets = args.map(parseTarget);
  // The same host folder twice is bad input naming both, as for offline inputs: never merged.
  const seen = new Map<string, string>();
  for (const t of targets) {
    const name = t.name ?? (t.spec.kind === 'lab' ? t.spec.host : undefined);
    if (name === undefined) continue;
    const first = seen.get(name);
    if (first !== undefined)
      throw new InputError(
        `two targets are host "${name}": ${first} and ${t.text}; give each host once, or name them apart: NAME=TARGET`,
      );
    seen.set(name, t.text);
  }
  // The same target twice (`local local`, `ssh://dom0 ssh://DOM0?sudo`) is one host given twice:
  // bad input naming both, never collected twice into folders renamed apart (vm, vm-2). Named apart
  // on purpose (`a=local b=local`) it is what was asked.
  const same = new Map<string, Target>();
  for (const t of targets) {
    const spec = t.spec.kind === 'ssh' ? { ...t.spec, host: t.spec.host.toLowerCase() } : t.spec;
    const key = JSON.stringify(spec);
    const first = same.get(key);
    if (first !== undefined && !(first.name !== undefined && t.name !== undefined))
      throw new InputError(
        `the same host is given twice: ${first.text} and ${t.text}; give each host once (or name them apart on purpose: A=TARGET B=TARGET)`,
      );
    same.set(key, t);
  }
  return targets.map((t) => {
    const a = t.text;
    if (t.spec.kind === 'lab') {
      const host = t.spec.host as LabSourceHost;
      if (!LAB_SOURCE_HOSTS.includes(host))
        throw new InputError(`not a lab host (${LAB_SOURCE_HOSTS.join(', ')})`, a);
      lab ??= Lab.open(o.labDir ?? DEFAULT_DIR);
      return labSource(lab, host, t.name ?? host);
    }
    return { ...(t.name ? { name: t.name } : {}), runner: runnerFor(t, { sshArgs, sudo: o.sudo ?? false }) };
  });
}

/**
 * A number option: finite, within [min, max], an integer when asked. `--timeout abc` used to become
 * NaN and switch every timeout off; nonsense is a usage error (exit 2) naming the option.
 */
export function numberOption(
  flag: string,
  text: string,
  limits: { min: number; max: number; integer?: boolean },
): number {
  const v = /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(v) || v < limits.min || v > limits.max || (limits.integer && !Number.isInteger(v)))
    throw new InputError(
      `${flag} wants ${limits.integer ? 'a whole number' : 'a number'} from ${limits.min} to ${limits.max}, not "${text}"`,
    );
  return v;
}

/** Per-host timeout: up to a day. */
export const MAX_TIMEOUT_S = 86_400;
/** Hosts at once: ssh masters and file descriptors per host, sized for fleets of a few thousand. */
export const MAX_CONCURRENCY = 256;

/**
 * --timeout and --concurrency, checked: every command with live options calls this first, before
 * any work (also when its inputs are not live and the numbers go unused: nonsense is still a
 * usage error, never silently ignored).
 */
export function liveNumbers(o: LiveOptions): { timeoutS: number; concurrency: number } {
  return {
    timeoutS: numberOption('--timeout', o.timeout ?? '300', { min: 1, max: MAX_TIMEOUT_S }),
    concurrency: numberOption('--concurrency', o.concurrency ?? '4', {
      min: 1,
      max: MAX_CONCURRENCY,
      integer: true,
    }),
  };
}

/** Seconds of a duration option (watch, agent, capture): at least 0.1 s, at most a day. */
export const MIN_SECONDS = 0.1;

/**
 * A duration in seconds as milliseconds: a number from MIN_SECONDS to MAX_TIMEOUT_S, or 0 where
 * the option says 0 turns it off (`zeroOff`). NaN, negatives, `5s`, a zero that means nothing and
 * more than a day are usage errors (exit 2) naming the option.
 */
export function secondsOption(flag: string, text: string, opts: { zeroOff?: boolean } = {}): number {
  if (opts.zeroOff && /^\s*0+(\.0+)?\s*$/.test(text)) return 0;
  try {
    return Math.round(numberOption(flag, text, { min: MIN_SECONDS, max: MAX_TIMEOUT_S }) * 1000);
  } catch (e) {
    if (!opts.zeroOff) throw e;
    throw new InputError(
      `${flag} wants 0 (off) or a number of seconds from ${MIN_SECONDS} to ${MAX_TIMEOUT_S}, not "${text}"`,
    );
  }
}

function progressLine(done: number, total: number, r: HostResult): string {
  const width = 20;
  const bar = '#'.repeat(Math.round((done / total) * width)).padEnd(width, '.');
  const what = r.ok
    ? `${r.name}: ${r.files} files, ${r.commands} commands in ${(r.ms / 1000).toFixed(1)} s`
    : `${r.name}: FAILED: ${r.error}`;
  return `[${bar}] ${done}/${total} hosts  ${e(what)}`;
}

/** Lines of a failed host's collect log printed when no host could be collected. */
const LOG_LINES_SHOWN = 20;

/** Collect the targets into `out` (a temporary directory when not given). */
export async function collectLive(
  args: readonly string[],
  o: LiveOptions,
  out?: string,
  /** Given: use these and leave them open (the caller runs more on the hosts, then closes them). */
  given?: readonly HostSource[],
  /** Say that evidence paths point into a temporary case (snapshot, diagnose print them). */
  announceTemporary = true,
): Promise<{ dir: string; results: HostResult[]; temporary: boolean }> {
  const { timeoutS, concurrency } = liveNumbers(o);
  const sources = given ?? sourcesFor(args, o);
  // Temporary: removed at exit, on error and on Ctrl-C (it used to stay in /tmp after an interrupt).
  const dir = out ?? tempDir('vifpath-live-');
  const tty = process.stderr.isTTY === true;
  let ok = false;
  try {
    const results = await collectCase(sources, dir, {
      hostTimeoutMs: timeoutS * 1000,
      concurrency,
      progress: (done, total, r) =>
        process.stderr.write(
          tty
            ? `\r\x1b[K${progressLine(done, total, r)}${done === total ? '\n' : ''}`
            : `${progressLine(done, total, r)}\n`,
        ),
    });
    const sig = interrupted();
    if (sig) {
      const kept = results.filter((r) => r?.ok).map((r) => r.name);
      throw new InputError(
        `interrupted (${sig}): ${
          out === undefined || kept.length === 0
            ? 'nothing collected is kept'
            : `${out} keeps the host(s) collected before: ${kept.join(', ')} (no links.txt)`
        }`,
      );
    }
    for (const r of results.filter((x) => !x.ok))
      process.stderr.write(`vifpath: ${e(`${r.label}: not collected: ${r.error}`)}\n`);
    for (const r of results.filter((x) => x.ok && x.missing.length))
      process.stderr.write(`vifpath: ${e(`${r.name}: not installed there: ${r.missing.join(', ')}`)}\n`);
    for (const r of results.filter((x) => x.ok))
      for (const what of r.skipped)
        process.stderr.write(`vifpath: ${e(`${r.name}: not collected: ${what}`)}\n`);
    if (results.every((r) => !r.ok)) {
      // Nothing was collected: collectCase removed what it made (a case folder holding only
      // failure logs would refuse the same command again), so the logs are said here.
      for (const r of results) {
        const log = r.log ?? [];
        const shown = log.slice(-LOG_LINES_SHOWN);
        process.stderr.write(
          `vifpath: ${e(`${r.label}: what vifpath-collect.log said${log.length > shown.length ? ` (its last ${shown.length} of ${log.length} lines)` : ''}:`)}\n${shown.map((l) => `  ${e(l)}\n`).join('')}`,
        );
      }
      throw new InputError(
        `no target could be collected${out !== undefined ? `: nothing written in ${out}` : ''}`,
        args.join(' '),
      );
    }
    ok = true;
    if (out === undefined && announceTemporary)
      process.stderr.write(
        'vifpath: evidence paths below are in a temporary case, removed at exit: --keep DIR keeps it\n',
      );
    return { dir, results, temporary: out === undefined };
  } finally {
    if (!given) for (const s of sources) await s.runner.close();
    if (!ok && out === undefined) removeTempDir(dir);
  }
}

export function dropTemporary(c: { dir: string; temporary: boolean }): void {
  if (c.temporary) removeTempDir(c.dir);
}
