// `vifpath serve` and `vifpath report`: argument handling and printing; the work is in src/web.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { givenMacPort } from '../doctor/context.ts';
import { unknownVm, unplacedNamed } from '../doctor/diagnose.ts';
import { VifpathError } from '../errors/errors.ts';
import { findVms } from '../model/roles.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { runUntilStopped } from '../runner/cleanup.ts';
import { readCaseAsync, runAsync } from '../sources/case-dir.ts';
import { InputError } from '../sources/errors.ts';
import { planCases } from '../sources/inputs.ts';
import { escapeControl as esc } from '../text/escape.ts';
import { buildReport } from '../web/report.ts';
import { type CaseSource, serve } from '../web/server.ts';
import {
  collectLive,
  dropTemporary,
  LINKS_HELP,
  type LiveOptions,
  liveArgs,
  liveNumbers,
  liveOptions,
} from './live.ts';
import { checkOutputFile, isSystemError, listenError, systemErrorLine } from './out-paths.ts';

/**
 * Case directories, read on demand one by one (sosreports, host folders and sos collect bundles
 * together are one case); or live targets collected now into one case.
 */
async function sources(
  args: readonly string[],
  o: LiveOptions & { lenient?: boolean; links?: string },
): Promise<CaseSource[]> {
  const lenient = o.lenient ?? false;
  const links = o.links !== undefined ? { links: o.links } : {};
  // Big dumps read as indexes: the page shows the flows traces look up (and says how many there are).
  // Archives are unpacked by tar as a tracked child the event loop waits on (runAsync), never by a
  // synchronous one: while that runs no signal handler can, and Ctrl-C left tar and its temp dir.
  if (!liveArgs(args))
    return planCases(args, { lenient, lazyFlows: true, ...links }).map((c) => ({
      name: c.name,
      load: () => runAsync(c.steps()),
    }));
  const c = await collectLive(args, o, undefined);
  let snap: Snapshot;
  try {
    snap = {
      ...(await readCaseAsync(c.dir, { lenient, lazyFlows: true, ...links })),
      source: args.join(' '),
    };
  } finally {
    dropTemporary(c);
  }
  return [{ name: args.join(' '), load: () => snap }];
}

/** The MAC of the VM's port where the case does not give it: diagnose --mac's meaning and checks. */
const MAC_HELP =
  "the VM's MAC where the case does not give it (as diagnose --mac; with several VMs, name it: --vm)";

/**
 * serve --vm, --mac: a name no case holds, or a MAC diagnose would refuse, is bad input now (the
 * page would only say so on first use). Cases are read once here and kept for the server; one that
 * cannot be read is left to its page.
 */
async function checkVm(src: CaseSource[], vm: string | undefined, mac: string | undefined): Promise<void> {
  let first: Snapshot | undefined;
  let found = vm === undefined;
  for (const [i, c] of src.entries()) {
    let snap: Snapshot;
    try {
      snap = await c.load();
    } catch {
      continue;
    }
    src[i] = { name: c.name, load: () => snap };
    // As diagnose: a MAC of one VM port, never against the attached-mac OVSDB gives it.
    if (mac !== undefined) givenMacPort(snap, mac, vm);
    // (A port an excerpt shows without its bridge is one: its page says what is unknown.)
    if (vm !== undefined && (findVms(snap, vm).length || unplacedNamed(snap, vm).length)) {
      // Without --mac the other cases wait for their pages.
      if (mac === undefined) return;
      found = true;
    }
    first ??= snap;
  }
  if (!found && first && vm !== undefined) throw unknownVm(first, vm);
}

export function webCommands(
  program: Command,
  out: (s: string) => void,
  _setExit: (code: number) => void,
): void {
  liveOptions(
    program
      .command('serve')
      .description(
        'show the case on a local web page: topology, diagnosis with evidence, the packet path, flow tables',
      )
      .argument(
        '<case...>',
        'case directories (each its own page); or sosreports, host folders and sos collect bundles (together one case); or live targets forming one case',
      )
      .option('--links <file>', LINKS_HELP)
      .option('--port <n>', 'TCP port (0: any free port)', '8018')
      .option(
        '--listen <addr>',
        'listen on this address instead of 127.0.0.1 (anyone who reaches it sees the whole case)',
      )
      .option('--vm <port|mac|iface-id>', 'the VM port to focus on')
      .option('--mac <mac>', MAC_HELP)
      .option('--lenient', 'report corrupt files as warnings and read the rest'),
  ).action(
    async (
      cases: string[],
      o: LiveOptions & {
        port: string;
        listen?: string;
        vm?: string;
        mac?: string;
        lenient?: boolean;
        links?: string;
      },
    ) => {
      liveNumbers(o);
      const port = /^\s*\d+\s*$/.test(o.port) ? Number(o.port) : Number.NaN;
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new InputError(`--port ${o.port}: not a port (0 to 65535; 0: any free port)`);
      const src = await sources(cases, o);
      if (o.vm !== undefined || o.mac !== undefined) await checkVm(src, o.vm, o.mac);
      const host = o.listen ?? '127.0.0.1';
      let running: Awaited<ReturnType<typeof serve>>;
      try {
        running = await serve(src, {
          port,
          ...(o.listen ? { host: o.listen, allowRemote: true } : {}),
          ...(o.vm !== undefined ? { vm: o.vm } : {}),
          ...(o.mac !== undefined ? { mac: o.mac } : {}),
        });
      } catch (e) {
        if (e instanceof VifpathError) throw e;
        throw listenError(e, { port: '--port', host: '--listen' }, host, port);
      }
      out(`vifpath: serving ${esc(cases.join(' '))} on ${running.url} (read-only; Ctrl-C stops)\n`);
      // Until a signal: then it closes, and dies of the signal (130/143) as watch and agent do.
      await runUntilStopped(() => running.close());
    },
  );
  liveOptions(
    program
      .command('report')
      .description(
        'write the page as one self-contained HTML file (works offline, no server): attach it to a ticket',
      )
      .argument(
        '<case...>',
        'case directory; or sosreports, host folders and sos collect bundles (together one case); or live targets forming one case',
      )
      .requiredOption('-o, --out <file>', 'the HTML file to write (-: write the page to stdout)')
      .option('--links <file>', LINKS_HELP)
      .option('--vm <port|mac|iface-id>', 'the VM port to focus on')
      .option('--mac <mac>', MAC_HELP)
      .option('--lenient', 'report corrupt files as warnings and read the rest'),
  ).action(
    async (
      cases: string[],
      o: LiveOptions & { out: string; vm?: string; mac?: string; lenient?: boolean; links?: string },
    ) => {
      // `-o -`: the page on stdout (`report CASE -o - | gzip > r.html.gz`), nothing else there.
      const toStdout = o.out === '-';
      // Before reading the case: a report that cannot be written is known now.
      if (!toStdout)
        checkOutputFile('-o', o.out, 'report.html', {
          what: 'a vifpath report',
          is: (head) => head.includes('<title>vifpath report</title>'),
        });
      const src = await sources(cases, o);
      if (src.length !== 1)
        throw new InputError('report: give one case (or the live targets of one case)', cases[1]);
      const html = buildReport(await src[0]!.load(), {
        ...(o.vm !== undefined ? { vm: o.vm } : {}),
        ...(o.mac !== undefined ? { mac: o.mac } : {}),
      });
      if (toStdout) {
        out(html);
        return;
      }
      try {
        writeFileSync(o.out, html);
      } catch (e) {
        if (!isSystemError(e)) throw e;
        throw new InputError(`-o ${o.out}: cannot write the report: ${systemErrorLine(e)}`);
      }
      out(
        `vifpath: wrote ${esc(o.out)} (${Math.round(html.length / 1024)} KiB; open it in a browser, no server needed)\n`,
      );
    },
  );
}
