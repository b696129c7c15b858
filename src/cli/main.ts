// Command line: argument parsing and printing only; the work is in the library.
import { Command, CommanderError } from 'commander';
import { traceCommand } from '../dataplane/run.ts';
import { traceJson } from '../dataplane/trace-json.ts';
import { diagnose } from '../doctor/diagnose.ts';
import { VifpathError } from '../errors/errors.ts';
import { LabError } from '../lab/lab.ts';
import { writeJson } from '../model/json-stream.ts';
import { type Snapshot, toJson } from '../model/snapshot.ts';
import { addCaptures, readCase } from '../sources/case-dir.ts';
import { InputError } from '../sources/errors.ts';
import { readInputs } from '../sources/inputs.ts';
import { captureCommands } from './capture-commands.ts';
import { colors } from './colors.ts';
import { EXIT } from './exit.ts';
import { allVms, fleetVmCase } from './fleet-commands.ts';
import { formatDiagnosis } from './format-diagnosis.ts';
import { formatSnapshot } from './format-snapshot.ts';
import { formatTrace } from './format-trace.ts';
import { labCommands } from './lab-commands.ts';
import { collectLive, dropTemporary, LINKS_HELP, type LiveOptions, liveArgs, liveOptions } from './live.ts';
import { watchCommands } from './watch-commands.ts';
import { webCommands } from './web-commands.ts';

export { EXIT };

/**
 * Case directories one by one; sosreports, host folders and sos collect bundles together as one
 * case (sources/inputs.ts); or all live targets collected into one case.
 */
async function snapshots(
  args: readonly string[],
  o: LiveOptions & { lenient?: boolean; keep?: string; links?: string },
): Promise<{ snap: Snapshot }[]> {
  const links = o.links !== undefined ? { links: o.links } : {};
  if (!liveArgs(args))
    return readInputs(args, { lenient: o.lenient ?? false, ...links }).map((snap) => ({ snap }));
  const c = await collectLive(args, o, o.keep);
  try {
    // What the hosts gave is read like any case; a command's own error text is a diagnostic.
    const snap = readCase(c.dir, { lenient: o.lenient ?? false, ...links });
    return [{ snap: { ...snap, source: o.keep ?? args.join(' ') } }];
  } finally {
    dropTemporary(c);
  }
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
      for (const { snap } of await snapshots(cases, o)) {
        // JSON piece by piece: a big snapshot's JSON is larger than one string may be.
        if (o.json) writeJson(snap, out);
        else out(formatSnapshot(snap, colors(true)));
        out('\n');
      }
    },
  );
  liveOptions(
    p
      .command('diagnose')
      .description('name the cause of a DHCP failure, with the evidence and the fix')
      .argument('<case...>', 'case directory or sosreport; or live targets that together form one case')
      .option('--vm <port|mac|iface-id>', 'only this VM port')
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
        allVms?: boolean;
        json?: boolean;
        lenient?: boolean;
        exitZero?: boolean;
        pcap?: string[];
        keep?: string;
      },
    ) => {
      if (o.allVms) {
        if (o.vm) throw new InputError('--all-vms and --vm exclude each other', '--all-vms');
        const read = async (): Promise<Snapshot[]> => (await snapshots(cases, o)).map((c) => c.snap);
        return allVms(cases, o, read, out, setExit);
      }
      let worst: number = EXIT.ok;
      // A fleet's case directory: read only the hosts the VM's paths need.
      const fleet = o.vm ? fleetVmCase(cases, o, o.vm) : undefined;
      for (const { snap } of fleet ? [{ snap: fleet }] : await snapshots(cases, o)) {
        addCaptures(snap, o.pcap ?? []);
        const d = diagnose(snap, o.vm ? { vm: o.vm } : {});
        out(`${o.json ? toJson(d) : formatDiagnosis(d, colors(true))}\n`);
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
    if (!liveArgs(targets))
      throw new InputError('collect reads live targets, not case directories', targets[0]);
    const c = await collectLive(targets, o, o.out);
    const ok = c.results.filter((r) => r.ok).length;
    out(
      `collected ${ok}/${c.results.length} hosts into ${o.out}: ${c.results.map((r) => `${r.name} (${r.ok ? `${r.files} files` : 'failed'})`).join(', ')}\n`,
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
      (
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
        const s = readCase(c, { lenient: o.lenient ?? false });
        const t = traceCommand(s, {
          from: o.from,
          packet: o.packet,
          ...(o.mac ? { mac: o.mac } : {}),
          ...(o.to ? { to: o.to } : {}),
          ...(o.any ? { targets: null } : {}),
        });
        out(
          `${o.json ? toJson(traceJson(t)) : formatTrace(t, colors(true), { summary: o.summary ?? false })}\n`,
        );
        setExit(
          t.verdict === 'delivered' ? EXIT.ok : t.verdict === 'dropped' ? EXIT.problem : EXIT.undecided,
        );
      },
    );
  labCommands(p, out, setExit);
  watchCommands(p, out, setExit);
  webCommands(p, out, setExit);
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
    throw e;
  }
}
