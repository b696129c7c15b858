// `vifpath serve` and `vifpath report`: argument handling and printing; the work is in src/web.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Snapshot } from '../model/snapshot.ts';
import { readCase } from '../sources/case-dir.ts';
import { InputError } from '../sources/errors.ts';
import { planCases } from '../sources/inputs.ts';
import { buildReport } from '../web/report.ts';
import { type CaseSource, serve } from '../web/server.ts';
import { collectLive, dropTemporary, LINKS_HELP, type LiveOptions, liveArgs, liveOptions } from './live.ts';

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
  if (!liveArgs(args)) return planCases(args, { lenient, ...links });
  const c = await collectLive(args, o, undefined);
  let snap: Snapshot;
  try {
    snap = { ...readCase(c.dir, { lenient, ...links }), source: args.join(' ') };
  } finally {
    dropTemporary(c);
  }
  return [{ name: args.join(' '), load: () => snap }];
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
      .option('--lenient', 'report corrupt files as warnings and read the rest'),
  ).action(
    async (
      cases: string[],
      o: LiveOptions & { port: string; listen?: string; vm?: string; lenient?: boolean; links?: string },
    ) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new InputError(`--port ${o.port}: not a port`);
      const running = await serve(await sources(cases, o), {
        port,
        ...(o.listen ? { host: o.listen, allowRemote: true } : {}),
        ...(o.vm ? { vm: o.vm } : {}),
      });
      out(`vifpath: serving ${cases.join(' ')} on ${running.url} (read-only; Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await running.close();
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
      .requiredOption('-o, --out <file>', 'the HTML file to write')
      .option('--links <file>', LINKS_HELP)
      .option('--vm <port|mac|iface-id>', 'the VM port to focus on')
      .option('--lenient', 'report corrupt files as warnings and read the rest'),
  ).action(
    async (
      cases: string[],
      o: LiveOptions & { out: string; vm?: string; lenient?: boolean; links?: string },
    ) => {
      const src = await sources(cases, o);
      if (src.length !== 1)
        throw new InputError('report: give one case (or the live targets of one case)', cases[1]);
      const html = buildReport(src[0]!.load(), o.vm ? { vm: o.vm } : {});
      writeFileSync(o.out, html);
      out(
        `vifpath: wrote ${o.out} (${Math.round(html.length / 1024)} KiB; open it in a browser, no server needed)\n`,
      );
    },
  );
}
