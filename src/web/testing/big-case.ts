// A generated case for the web tests and bench/web: the seed (Dom0 xapi5 → patch → xapi3 → wire
// → DomU br-int and its qdhcp namespace) with `ports` VM ports on xapi5, all tagged but the
// seed's vif16.0, plus optional extra ports with hostile names. Written as the files operators
// collect, read back with readCase like any case.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SEED = fileURLToPath(new URL('../../../examples/xenserver-seed', import.meta.url));

/** How ovs-vsctl show prints a name: bare when plain, else JSON-quoted. */
function shown(name: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(name) ? `"${name}"` : JSON.stringify(name);
}

export interface BigCaseOptions {
  ports: number;
  /** Extra ports on xapi5 with these names (hostile-name tests). */
  extraNames?: readonly string[];
}

/** Writes the case under `dir` (which must not exist) and returns the VM port under investigation. */
export function writeBigCase(dir: string, o: BigCaseOptions): { vm: string } {
  cpSync(SEED, dir, { recursive: true });
  const lines = [
    'Bridge "xapi5"',
    '    fail_mode: secure',
    '    Port "xapi5"',
    '        Interface "xapi5"',
    '            type: internal',
    '    Port "vif16.0"',
    '        Interface "vif16.0"',
    '    Port "int-xapi3"',
    '        Interface "int-xapi3"',
    '            type: patch',
    '            options: {peer="phy-xapi3"}',
  ];
  const names: string[] = [];
  for (let i = 0; i < o.ports - 1; i++) names.push(`vif${100 + i}.0`);
  for (const n of names)
    lines.push(`    Port ${shown(n)}`, '        tag: 1', `        Interface ${shown(n)}`);
  for (const n of o.extraNames ?? []) lines.push(`    Port ${shown(n)}`, `        Interface ${shown(n)}`);
  writeFileSync(join(dir, 'dom0', 'ovs-vsctl_show'), `${lines.join('\n')}\n`);
  // Their ofports, in the monitor's initial table (the seed's first block); hostile names stay
  // out: the table form cannot hold a name with spaces.
  const monitor = join(dir, 'dom0', 'ovsdb-client_monitor_Interface_name_ofport');
  const blocks = readFileSync(monitor, 'utf8').split('\n\n');
  // The table form is read by column position: rebuild the seed's initial table, widened to fit.
  const seedRows = blocks[0]!
    .split('\n')
    .slice(2)
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/) as [string, string, string, string]);
  const rows: [string, string, string, string][] = [
    ...seedRows,
    ...names.map((n, i): [string, string, string, string] => [
      `00000000-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`,
      'initial',
      shown(n),
      String(i + 10),
    ]),
  ];
  const w = [36, 7, Math.max(4, ...rows.map((r) => r[2].length)), 6];
  const line = (r: readonly string[]) => r.map((c, k) => c.padEnd(w[k]!)).join(' ');
  blocks[0] = [
    line(['row', 'action', 'name', 'ofport']),
    line(w.map((n) => '-'.repeat(n))),
    ...rows.map(line),
  ].join('\n');
  writeFileSync(monitor, blocks.join('\n\n'));
  return { vm: 'dom0:vif16.0' };
}
