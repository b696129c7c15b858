// Command line: argument parsing and printing only; the work is in the library.
import { Command, CommanderError } from 'commander';
import { LabError } from '../lab/lab.ts';
import { toJson } from '../model/snapshot.ts';
import { readCase } from '../sources/case-dir.ts';
import { InputError } from '../sources/errors.ts';
import { colors } from './colors.ts';
import { formatSnapshot } from './format-snapshot.ts';
import { labCommands } from './lab-commands.ts';

/** Exit codes (design.md): 0 fine, 1 problem found / packet dropped, 2 bad input or usage. */
export const EXIT = { ok: 0, problem: 1, input: 2 } as const;

function program(out: (s: string) => void, setExit: (code: number) => void): Command {
  const p = new Command('vifpath')
    .description('why does this VM get no IP from DHCP on Open vSwitch + Neutron, and what fixes it')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: (s) => process.stderr.write(s) });
  p.command('snapshot')
    .description(
      'read a case directory (or sosreport) and print what it tells: hosts, bridges, ports, flows, namespaces',
    )
    .argument('<case...>', 'case directory, sosreport folder or archive')
    .option('--json', 'print the Snapshot as JSON')
    .option('--lenient', 'report corrupt files as warnings and read the rest')
    .action((cases: string[], o: { json?: boolean; lenient?: boolean }) => {
      for (const c of cases) {
        const s = readCase(c, { lenient: o.lenient ?? false });
        out(`${o.json ? toJson(s) : formatSnapshot(s, colors(true))}\n`);
      }
    });
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
    if (e instanceof InputError) {
      process.stderr.write(`vifpath: ${e.oneLine()}\n`);
      return EXIT.input;
    }
    throw e;
  }
}
