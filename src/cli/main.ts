// Command line: argument parsing and printing only; the work is in the library.
import { Command, CommanderError } from 'commander';
import { traceJson } from '../dataplane/trace-json.ts';
import { diagnose } from '../doctor/diagnose.ts';
import { traceProven } from '../doctor/proof.ts';
import { VifpathError } from '../errors/errors.ts';
import { DEFAULT_DIR, LabError } from '../lab/lab.ts';
import { writeJson } from '../model/json-stream.ts';
import { type Snapshot, toJson } from '../model/snapshot.ts';
import { addCaptures, readCaseAsync } from '../sources/case-dir.ts';
import { InputError } from '../sources/errors.ts';
import { checkCaseFile, readInputsAsync } from '../sources/inputs.ts';
import { escapeControl as esc } from '../text/escape.ts';
import { captureCommands } from './capture-commands.ts';
import { colors } from './colors.ts';
import { EXIT, traceExit } from './exit.ts';
import { allVms, fleetVmCase } from './fleet-commands.ts';
import { formatDiagnosis } from './format-diagnosis.ts';
import { formatSnapshot } from './format-snapshot.ts';
import { formatTrace } from './format-trace.ts';
import { labCommands } from './lab-commands.ts';
import {
  collectLive,
  dropTemporary,
  LINKS_HELP,
  type LiveOptions,
  liveArgs,
  liveNumbers,
  liveOptions,
} from './live.ts';
import { checkOutputDir, isSystemError, systemErrorLine } from './out-paths.ts';
import { watchCommands } from './watch-commands.ts';
import { webCommands } from './web-commands.ts';

// For bin/vifpath.mjs: a stdout that fails stops what this process started (cleanup.ts).
export { stopAndExit } from '../runner/cleanup.ts';
export { EXIT };

/**
 * Case directories one by one; sosreports, host folders and sos collect bundles together as one
 * case (sources/inputs.ts); or all live targets collected into one case. `args`: the inputs that
 * name this case again (its own directory; all the inputs read together; --keep's directory).
 */
async function snapshots(
  args: readonly string[],
  o: LiveOptions & { lenient?: boolean; keep?: string; links?: string },
  /** Big dumps read as indexes (diagnose): see ReadOptions.lazyFlows. */
  lazyFlows = false,
): Promise<{ snap: Snapshot; args: readonly string[]; live: boolean }[]> {
  const links = { ...(o.links !== undefined ? { links: o.links } : {}), lazyFlows };
  if (!liveArgs(args)) {
    const snaps = await readInputsAsync(args, { lenient: o.lenient ?? false, ...links });
    return snaps.map((snap, i) => ({
      snap,
      args: snaps.length === args.length && snaps.length > 1 ? [args[i]!] : args,
      live: false,
    }));
  }
  if (o.keep !== undefined) checkOutputDir('--keep', o.keep, { empty: true });
  const c = await collectLive(args, o, o.keep);
  try {
    // What the hosts gave is read like any case; a command's own error text is a diagnostic.
    const snap = await readCaseAsync(c.dir, { lenient: o.lenient ?? false, ...links });
    return [
      {
        snap: { ...snap, source: o.keep ?? args.join(' ') },
        args: o.keep !== undefined ? [o.keep] : args,
        live: o.keep === undefined,
      },
    ];
  } finally {
    dropTemporary(c);
  }
}

/** `vifpath report` arguments that show what diagnose looked at: the case and the options that chose it. */
function reportArgs(
  c: { args: readonly string[]; live: boolean },
  o: LiveOptions & { vm?: string; mac?: string; links?: string; lenient?: boolean },
): { operands: string[]; options: string[] } {
  const options = [
    ...(o.vm !== undefined ? ['--vm', o.vm] : []),
    ...(o.mac !== undefined ? ['--mac', o.mac] : []),
    ...(o.links !== undefined ? ['--links', o.links] : []),
    ...(o.lenient ? ['--lenient'] : []),
    // Live targets collected again: reached the same way.
    ...(c.live && o.sshConfig !== undefined ? ['--ssh-config', o.sshConfig] : []),
    ...(c.live && o.identity !== undefined ? ['-i', o.identity] : []),
    ...(c.live && o.sudo ? ['--sudo'] : []),
    ...(c.live && o.labDir !== undefined && o.labDir !== DEFAULT_DIR ? ['--lab-dir', o.labDir] : []),
  ];
  return { operands: [...c.args], options };
}

/**
 * Several cases' documents: one per case, one a line (JSON Lines: `jq` reads them as it read one,
 * and each line parses alone). One case: its document as always (indented).
 */
function jsonDocument(value: unknown, many: boolean, out: (s: string) => void): void {
  writeJson(value, out, many ? 0 : 2);
  out('\n');
}

/**
 * An option that takes one value given twice (`--vm a --vm b`, `-o a.html -o b.html`) is a usage
 * error naming it, never "the last one wins" in silence. Options meant to repeat are variadic
 * (`--pcap`, `--point`, `--to`) and keep collecting. Checked while parsing: before any work.
 */
function refuseRepeatedOptions(cmd: Command): void {
  for (const opt of cmd.options) {
    if (opt.variadic || opt.negate || !(opt.required || opt.optional)) continue;
    const parse = opt.parseArg;
    let seen: string | undefined;
    opt.argParser(<T>(value: string, previous: T): T => {
      const name = opt.long ?? opt.short ?? opt.flags;
      const said = opt.long && opt.short ? `${opt.short}/${opt.long}` : name;
      if (seen !== undefined)
        throw new InputError(`${said} given twice (${seen}, then ${value}): it takes one value`);
      seen = value;
      return parse ? parse(value, previous) : (value as T);
    });
  }
  for (const sub of cmd.commands) refuseRepeatedOptions(sub);
}

function program(out: (s: string) => void, setExit: (code: number) => void): Command {
  const p = new Command('vifpath')
    .description('why does this VM get no IP from DHCP on Open vSwitch + Neutron, and what fixes it')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: (s) => process.stderr.write(s) });
  liveOptions(
    p
      .command('snapshot')
      .description(
        'read a case directory, sosreport or live hosts and print what they tell: hosts, bridges, ports, flows, namespaces',
      )
      .argument(
        '<case...>',
        'case directories (each its own case); or sosreports (archives, trees), host folders and sos collect bundles (together one case, hosts named by their hostname files; NAME=PATH names one); or live targets (local, netns:NS, ssh://user@host, lab:HOST)',
      )
      .option('--json', 'print the Snapshot as JSON')
      .option('--lenient', 'report corrupt files as warnings and read the rest')
      .option('--keep <dir>', 'live targets: keep what was collected as a case directory here')
      .option('--links <file>', LINKS_HELP),
  ).action(
    async (
      cases: string[],
      o: LiveOptions & { json?: boolean; lenient?: boolean; keep?: string; links?: string },
    ) => {
      const all = await snapshots(cases, o);
      for (const { snap } of all) {
        // JSON piece by piece: a big snapshot's JSON is larger than one string may be.
        if (o.json) jsonDocument(snap, all.length > 1, out);
        else out(`${formatSnapshot(snap, colors(true))}\n`);
      }
    },
  );
  liveOptions(
    p
      .command('diagnose')
      .description('name the cause of a DHCP failure, with the evidence and the fix')
      .argument('<case...>', 'case directory or sosreport; or live targets that together form one case')
      .option('--vm <port|mac|iface-id>', 'only this VM port')
      .option(
        '--mac <mac>',
        "the VM's MAC where the case does not give it (as trace --mac; with several VMs, name it: --vm)",
      )
      .option('--all-vms', 'one line per VM (verdict, headline), the whole fleet, on every core')
      .option('--json', 'print the diagnosis as JSON')
      .option('--lenient', 'report corrupt files as warnings and read the rest')
      .option(
        '--exit-zero',
        'exit 0 even when a problem is found (for demos and scripts that read the output)',
      )
      .option('--pcap <host:file...>', 'packet captures taken on a host of the case (e.g. vm:eth0.pcap)')
      .option('--keep <dir>', 'live targets: keep what was collected as a case directory here')
      .option('--links <file>', LINKS_HELP),
  ).action(
    async (
      cases: string[],
      o: LiveOptions & {
        vm?: string;
        mac?: string;
        allVms?: boolean;
        json?: boolean;
        lenient?: boolean;
        exitZero?: boolean;
        pcap?: string[];
        keep?: string;
      },
    ) => {
      if (o.allVms) {
        if (o.vm !== undefined) throw new InputError('--all-vms and --vm exclude each other', '--all-vms');
        const read = async (): Promise<Snapshot[]> => (await snapshots(cases, o, true)).map((c) => c.snap);
        return allVms(cases, o, read, out, setExit);
      }
      let worst: number = EXIT.ok;
      // A fleet's case directory: read only the hosts the VM's paths need.
      const fleet = o.vm !== undefined ? await fleetVmCase(cases, o, o.vm) : undefined;
      const all = fleet ? [{ snap: fleet, args: cases, live: false }] : await snapshots(cases, o, true);
      for (const [i, c] of all.entries()) {
        const snap = c.snap;
        addCaptures(snap, o.pcap ?? []);
        const d = diagnose(snap, {
          ...(o.vm !== undefined ? { vm: o.vm } : {}),
          ...(o.mac !== undefined ? { mac: o.mac } : {}),
        });
        if (o.json) jsonDocument(d, all.length > 1, out);
        else {
          // Several cases: each begins with its name (the verdict line follows).
          if (all.length > 1)
            out(
              `${i ? '\n' : ''}${colors(true).bold(`== case ${i + 1}/${all.length}: ${esc(snap.source)}`)}\n`,
            );
          out(`${formatDiagnosis(d, colors(true), { report: reportArgs(c, o) })}\n`);
        }
        // The worst verdict of the cases decides: problem 1 over undecided 3 over healthy 0.
        if (!o.exitZero && d.verdict !== 'healthy')
          setExit(d.verdict === 'problem' || worst === EXIT.problem ? EXIT.problem : EXIT.undecided);
        if (d.verdict === 'problem') worst = EXIT.problem;
      }
    },
  );
  liveOptions(
    p
      .command('collect')
      .description(
        'run on live hosts what sosreport would, and write a case directory (sosreport-named files per host, links.txt)',
      )
      .argument(
        '<target...>',
        'local, netns:NS, ssh://[user@]host[:port], lab:HOST; name=target names the host folder; ?sudo',
      )
      .requiredOption('-o, --out <dir>', 'the case directory to write'),
  ).action(async (targets: string[], o: LiveOptions & { out: string }) => {
    liveNumbers(o);
    if (!liveArgs(targets))
      throw new InputError('collect reads live targets, not case directories', targets[0]);
    checkOutputDir('-o', o.out, { empty: true });
    const c = await collectLive(targets, o, o.out);
    const ok = c.results.filter((r) => r.ok).length;
    out(
      `collected ${ok}/${c.results.length} hosts into ${esc(o.out)}: ${c.results.map((r) => `${esc(r.name)} (${r.ok ? `${r.files} files` : 'failed'})`).join(', ')}\n`,
    );
    if (ok < c.results.length) setExit(EXIT.problem);
  });
  captureCommands(p, out, setExit);
  p.command('trace')
    .description('walk a packet through every flow table, NORMAL switch, patch port and host on its path')
    .argument('<case>', 'case directory or sosreport')
    .requiredOption('--from <host:port>', 'where the packet enters, e.g. dom0:vif16.0')
    .requiredOption(
      '--packet <fields|preset>',
      'dhcp-discover, dhcp-offer, ... or ofproto/trace fields (udp,dl_src=...,udp_dst=67)',
    )
    .option('--mac <mac>', "the VM's MAC for presets (default: the port's attached-mac)")
    .option(
      '--to <host:port|namespace...>',
      'where the packet should arrive (default for the DHCP presets: the DHCP servers for a DISCOVER, the VM port for an OFFER)',
    )
    .option('--any', 'no target: ask what ofproto/trace asks (does the packet leave on any port)')
    .option('--summary', 'print the path only (bridges, tables, decisions, ends), not every action')
    .option('--json', 'print the trace as JSON')
    .option('--lenient', 'report corrupt files as warnings and read the rest')
    .action(
      async (
        c: string,
        o: {
          from: string;
          packet: string;
          mac?: string;
          to?: string[];
          any?: boolean;
          summary?: boolean;
          json?: boolean;
          lenient?: boolean;
        },
      ) => {
        if (o.json && o.summary)
          throw new InputError(
            '--json and --summary exclude each other: --json prints the whole tree, --summary the path as text',
          );
        // --any asks whether the packet leaves on any port; --to whether it reaches these: one
        // answer each, so both together is a usage error (never one dropped in silence).
        if (o.any && o.to !== undefined) throw new InputError('--to and --any exclude each other');
        checkCaseFile(c);
        // Read as diagnose reads it (a sosreport's host named by its hostname file), so that the
        // host:port diagnose prints is one --from takes.
        const [s] = await readInputsAsync([c], { lenient: o.lenient ?? false, lazyFlows: true });
        if (!s) throw new InputError('trace: give one case', c);
        // As diagnose would say it (doctor/proof.ts): a drop that rests on what the case does not show is incomplete.
        const t = traceProven(s, {
          from: o.from,
          packet: o.packet,
          ...(o.mac !== undefined ? { mac: o.mac } : {}),
          ...(o.to ? { to: o.to } : {}),
          ...(o.any ? { targets: null } : {}),
        });
        out(
          `${o.json ? toJson(traceJson(t)) : formatTrace(t, colors(true), { summary: o.summary ?? false })}\n`,
        );
        setExit(traceExit(t));
      },
    );
  labCommands(p, out, setExit);
  watchCommands(p, out, setExit);
  webCommands(p, out, setExit);
  refuseRepeatedOptions(p);
  return p;
}

export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program(out, (c) => {
      code = c;
    }).parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; usage mistakes are exit 2.
      return e.exitCode === 0 ? EXIT.ok : EXIT.input;
    }
    if (e instanceof VifpathError) {
      process.stderr.write(`vifpath${e instanceof LabError ? ' lab' : ''}: ${e.oneLine()}\n`);
      return e.exit;
    }
    // What the system refused (a path that cannot be written, a port in use) that no check caught
    // first: one line naming the path, exit 2, not a stack trace.
    if (isSystemError(e)) {
      process.stderr.write(`vifpath: ${esc(systemErrorLine(e))}\n`);
      return EXIT.input;
    }
    throw e;
  }
}
