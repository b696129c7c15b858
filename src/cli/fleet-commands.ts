// `diagnose --all-vms` and the fleet path of `diagnose --vm` (doctor/fleet.ts does the work):
// argument checks and printing only.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose } from '../doctor/diagnose.ts';
import type { Verdict } from '../doctor/finding.ts';
import {
  diagnoseFleet,
  FLEET_MIN_HOSTS,
  type FleetDiagnosis,
  fleetIndex,
  fleetVerdict,
  hostFolderCount,
  readHostsAsync,
  vmHosts,
  withServers,
} from '../doctor/fleet.ts';
import { findVms } from '../model/roles.ts';
import { type Snapshot, toJson } from '../model/snapshot.ts';
import { ARCHIVE, isSosTree } from '../sources/case-dir.ts';
import { isCollectBundle } from '../sources/inputs.ts';
import { escapeControl as e } from '../text/escape.ts';
import { EXIT } from './exit.ts';

/** The one case directory (a folder of host folders) the arguments name, if that is what they are. */
export function caseDirArg(args: readonly string[], o: { links?: string }): string | undefined {
  if (args.length !== 1 || o.links !== undefined) return undefined;
  const d = args[0]!;
  if (!existsSync(d) || !statSync(d).isDirectory() || isSosTree(d) || isCollectBundle(d)) return undefined;
  const subs = readdirSync(d).filter((x) => !x.startsWith('.'));
  return subs.some((x) => statSync(join(d, x)).isDirectory()) ? d : undefined;
}

/**
 * `diagnose --vm` on a fleet (a case directory of FLEET_MIN_HOSTS host folders or more): only the
 * hosts the VM's paths need are read. undefined: not a fleet, or no host mentions the VM (the
 * whole case is read, and diagnose says what it finds).
 */
export async function fleetVmCase(
  args: readonly string[],
  o: { links?: string; lenient?: boolean },
  vm: string,
): Promise<Snapshot | undefined> {
  const dir = caseDirArg(args, o);
  if (!dir || hostFolderCount(dir) < FLEET_MIN_HOSTS) return undefined;
  const ix = fleetIndex(dir);
  // host:port names its host: that host's group (another host's outputs may mention the port too).
  const colon = vm.indexOf(':');
  const named = ix.hosts.find(
    (h) =>
      colon > 0 &&
      h.name.replace(ARCHIVE, '') === vm.slice(0, colon) &&
      h.ovsdbText().includes(vm.slice(colon + 1).toLowerCase()),
  );
  const group = named && ix.groups.find((g) => g.includes(vm.slice(0, colon)));
  const hosts = group ? withServers(ix, group) : vmHosts(ix, vm);
  if (!hosts) return undefined;
  return {
    ...(await readHostsAsync(ix, hosts, o.lenient ? { lenient: true } : { lazyFlows: true })),
    source: dir,
  };
}

const exitOf = (v: Verdict): number =>
  v === 'problem' ? EXIT.problem : v === 'undecided' ? EXIT.undecided : EXIT.ok;

/** The line of one VM in `--all-vms` text output. */
function vmLine(v: FleetDiagnosis['vms'][number]): string {
  return `${v.verdict.toUpperCase().padEnd(9)} ${e(v.host)}:${e(v.vm)}  ${e(v.headline)}`;
}

/** `diagnose --all-vms`: one line per VM (or one JSON document), exit 0 / 1 / 3 over them all. */
export async function allVms(
  args: readonly string[],
  o: { links?: string; lenient?: boolean; json?: boolean; exitZero?: boolean },
  read: () => Promise<Snapshot[]>,
  out: (s: string) => void,
  setExit: (code: number) => void,
): Promise<void> {
  const dir = caseDirArg(args, o);
  let docs: FleetDiagnosis[];
  if (dir) {
    const tty = process.stderr.isTTY;
    let shown = -1;
    const d = await diagnoseFleet(dir, {
      ...(o.lenient ? { lenient: true } : {}),
      onProgress: (done, total, vms) => {
        // A line that rewrites itself on a terminal; else a line per tenth of the fleet.
        const tenth = Math.floor((done * 10) / total);
        if (tty) process.stderr.write(`\rdiagnosing: ${done}/${total} hosts, ${vms} VMs`);
        else if (tenth !== shown) process.stderr.write(`diagnosing: ${done}/${total} hosts, ${vms} VMs\n`);
        shown = tenth;
      },
    });
    if (tty) process.stderr.write('\n');
    docs = [d];
  } else {
    // Sosreports, bundles, live targets, several case directories: each case read whole, each of
    // its VMs diagnosed on it (named host:port, which names exactly that port).
    docs = [];
    for (const s of await read()) {
      const vms: FleetDiagnosis['vms'] = [];
      for (const vm of findVms(s)) {
        const r = diagnose(s, { vm: `${vm.host.name}:${vm.port.name}` });
        vms.push({ vm: vm.port.name, host: vm.host.name, verdict: r.verdict, headline: r.headline });
      }
      docs.push({ case: s.source, vms });
    }
  }
  // Several cases: one document per case, one a line (JSON Lines); in text, a header per case.
  const many = docs.length > 1;
  for (const [i, d] of docs.entries()) {
    if (o.json) out(`${many ? JSON.stringify(d) : toJson(d)}\n`);
    else {
      if (many) out(`${i ? '\n' : ''}== case ${i + 1}/${docs.length}: ${e(d.case)}\n`);
      for (const v of d.vms) out(`${vmLine(v)}\n`);
      const n = (v: Verdict): number => d.vms.filter((x) => x.verdict === v).length;
      out(
        `${d.vms.length} VMs: ${n('problem')} problem, ${n('undecided')} undecided, ${n('healthy')} healthy\n`,
      );
    }
  }
  if (!o.exitZero) setExit(exitOf(fleetVerdict({ case: '', vms: docs.flatMap((d) => d.vms) })));
}
