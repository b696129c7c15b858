// Command line: argument parsing and printing only; the work is in the library.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, CommanderError } from 'commander';
import { analyze, describeExchange } from '../capture/analyze.ts';
import { captureLive } from '../capture/live.ts';
import { traceCommand } from '../dataplane/run.ts';
import { TraceInputError } from '../dataplane/trace.ts';
import { diagnose } from '../doctor/diagnose.ts';
import { LAB_HOSTS, Lab, LabError, type LabHost } from '../lab/lab.ts';
import { type Snapshot, toJson } from '../model/snapshot.ts';
import { FlowSyntaxError } from '../openflow/errors.ts';
import { addCaptures, readCase } from '../sources/case-dir.ts';
import { InputError } from '../sources/errors.ts';
import { colors } from './colors.ts';
import { formatDiagnosis } from './format-diagnosis.ts';
import { formatSnapshot } from './format-snapshot.ts';
import { formatTrace } from './format-trace.ts';
import { labCommands } from './lab-commands.ts';
import { collectLive, dropTemporary, type LiveOptions, liveArgs, liveOptions } from './live.ts';

/** Exit codes (design.md): 0 fine, 1 problem found / packet dropped, 2 bad input or usage. */
export const EXIT = { ok: 0, problem: 1, input: 2 } as const;

/** Case directories one by one, or all live targets collected into one case. */
async function snapshots(
  args: readonly string[],
  o: LiveOptions & { lenient?: boolean; keep?: string },
): Promise<{ snap: Snapshot }[]> {
  if (!liveArgs(args)) return args.map((c) => ({ snap: readCase(c, { lenient: o.lenient ?? false }) }));
  const c = await collectLive(args, o, o.keep);
  try {
    // What the hosts gave is read like any case; a command's own error text is a diagnostic.
    const snap = readCase(c.dir, { lenient: o.lenient ?? false });
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
        'case directory, sosreport folder or archive; or live targets (local, netns:NS, ssh://user@host, lab:HOST)',
      )
      .option('--json', 'print the Snapshot as JSON')
      .option('--lenient', 'report corrupt files as warnings and read the rest')
      .option('--keep <dir>', 'live targets: keep what was collected as a case directory here'),
  ).action(async (cases: string[], o: LiveOptions & { json?: boolean; lenient?: boolean; keep?: string }) => {
    for (const { snap } of await snapshots(cases, o))
      out(`${o.json ? toJson(snap) : formatSnapshot(snap, colors(true))}\n`);
  });
  liveOptions(
    p
      .command('diagnose')
      .description('name the cause of a DHCP failure, with the evidence and the fix')
      .argument('<case...>', 'case directory or sosreport; or live targets that together form one case')
      .option('--vm <port|mac|iface-id>', 'only this VM port')
      .option('--json', 'print the diagnosis as JSON')
      .option('--lenient', 'report corrupt files as warnings and read the rest')
      .option(
        '--exit-zero',
        'exit 0 even when a problem is found (for demos and scripts that read the output)',
      )
      .option('--pcap <host:file...>', 'packet captures taken on a host of the case (e.g. vm:eth0.pcap)')
      .option('--keep <dir>', 'live targets: keep what was collected as a case directory here'),
  ).action(
    async (
      cases: string[],
      o: LiveOptions & {
        vm?: string;
        json?: boolean;
        lenient?: boolean;
        exitZero?: boolean;
        pcap?: string[];
        keep?: string;
      },
    ) => {
      for (const { snap } of await snapshots(cases, o)) {
        addCaptures(snap, o.pcap ?? []);
        const d = diagnose(snap, o.vm ? { vm: o.vm } : {});
        out(
          `${o.json ? toJson({ verdict: d.verdict, healthy: d.healthy, findings: d.findings, collect: d.collect }) : formatDiagnosis(d, colors(true))}\n`,
        );
        if (!d.healthy && !o.exitZero) setExit(EXIT.problem);
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
  const cap = p.command('capture').description('DHCP in packet captures (pcap, pcapng)');
  cap
    .command('analyze')
    .description(
      'per transaction id: which DHCP messages were seen at which capture point, VLAN, checksums, where it stops',
    )
    .argument('<file...>', 'capture files; name a point with point=file (default: the file name)')
    .option('--json', 'print the analysis as JSON')
    .action((files: string[], o: { json?: boolean }) => {
      const inputs = files.map((f) => {
        const eq = f.indexOf('=');
        const file = eq > 0 ? f.slice(eq + 1) : f;
        if (!existsSync(file)) throw new InputError('no such capture file', file);
        return {
          bytes: readFileSync(file),
          file,
          point: eq > 0 ? f.slice(0, eq) : basename(file).replace(/\.pcap(ng)?$/, ''),
        };
      });
      const a = analyze(inputs);
      const bad = a.diagnostics.find((d) => d.severity === 'corrupt');
      if (bad) throw new InputError(bad.message, bad.file, bad.line || undefined);
      if (o.json) out(`${toJson(a)}\n`);
      else {
        out(`${a.frames} frames in ${inputs.length} capture(s), ${a.exchanges.length} DHCP exchange(s)\n`);
        for (const e of a.exchanges) out(`${describeExchange(e, a.points).join('\n')}\n`);
        for (const d of a.diagnostics) out(`  ${d.severity}: ${d.file}:${d.line}: ${d.message}\n`);
      }
      if (a.exchanges.some((e) => !e.lease)) setExit(EXIT.problem);
    });
  cap
    .command('live')
    .description(
      'tcpdump at several points at once, retrying a point until its interface exists; say where the exchange stops',
    )
    .requiredOption(
      '--point <host:iface...>',
      'capture points: local:<iface>, <netns>:<iface>, or with --lab dom0|domu|vm|qdhcp:<iface>',
    )
    .option('--lab <dir>', 'points are hosts of the lab in this state directory')
    .option('--renew', 'with --lab: make the VM ask for a lease while capturing')
    .option('--seconds <n>', 'how long to capture (and to retry missing interfaces)', '10')
    .option('-o, --out <dir>', 'where to keep the pcaps', 'vifpath-capture')
    .option('--json', 'print the analysis as JSON')
    .action(
      async (o: {
        point: string[];
        lab?: string;
        renew?: boolean;
        seconds: string;
        out: string;
        json?: boolean;
      }) => {
        const lab = o.lab ? Lab.open(o.lab) : undefined;
        const points = o.point.map((spec) => {
          const i = spec.lastIndexOf(':');
          if (i <= 0) throw new InputError('a point is <host>:<iface>', spec);
          const host = spec.slice(0, i);
          const dev = spec.slice(i + 1);
          const prefix = lab
            ? ['ip', 'netns', 'exec', lab.ns(host as LabHost)]
            : host === 'local'
              ? []
              : ['ip', 'netns', 'exec', host];
          if (lab && !(LAB_HOSTS as readonly string[]).includes(host))
            throw new InputError(`not a lab host (${LAB_HOSTS.join(', ')})`, spec);
          return { name: spec, prefix, dev };
        });
        const a = await captureLive(points, {
          dir: o.out,
          seconds: Number(o.seconds),
          ...(lab && o.renew ? { during: async () => void (await lab.renew()) } : {}),
        });
        if (o.json) out(`${toJson(a)}\n`);
        else {
          out(
            `${a.frames} frames at ${a.files.length} point(s) (pcaps in ${o.out}), ${a.exchanges.length} DHCP exchange(s)\n`,
          );
          for (const m of a.missed)
            out(`  ${m}: could not capture (interface missing or down the whole time)\n`);
          for (const e of a.exchanges) out(`${describeExchange(e, a.points).join('\n')}\n`);
        }
        if (a.exchanges.length === 0 || a.exchanges.some((e) => !e.lease)) setExit(EXIT.problem);
      },
    );
  p.command('trace')
    .description('walk a packet through every flow table, NORMAL switch, patch port and host on its path')
    .argument('<case>', 'case directory or sosreport')
    .requiredOption('--from <host:port>', 'where the packet enters, e.g. dom0:vif16.0')
    .requiredOption(
      '--packet <fields|preset>',
      'dhcp-discover, dhcp-offer, ... or ofproto/trace fields (udp,dl_src=...,udp_dst=67)',
    )
    .option('--mac <mac>', "the VM's MAC for presets (default: the port's attached-mac)")
    .option('--json', 'print the trace as JSON')
    .option('--lenient', 'report corrupt files as warnings and read the rest')
    .action(
      (c: string, o: { from: string; packet: string; mac?: string; json?: boolean; lenient?: boolean }) => {
        const s = readCase(c, { lenient: o.lenient ?? false });
        const t = traceCommand(s, o.from, o.packet, o.mac);
        out(`${o.json ? toJson(t) : formatTrace(t, colors(true))}\n`);
        if (t.verdict !== 'delivered') setExit(EXIT.problem);
      },
    );
  labCommands(p, out, setExit);
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
    if (e instanceof LabError) {
      process.stderr.write(`vifpath lab: ${e.message}\n`);
      return EXIT.input;
    }
    if (e instanceof TraceInputError || e instanceof FlowSyntaxError) {
      process.stderr.write(`vifpath: ${e.message}\n`);
      return EXIT.input;
    }
    if (e instanceof InputError) {
      process.stderr.write(`vifpath: ${e.oneLine()}\n`);
      return EXIT.input;
    }
    throw e;
  }
}
