// `vifpath capture analyze|live`: argument handling and printing; the work is in src/capture.
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { analyzeFiles, describeExchange } from '../capture/analyze.ts';
import { type CapturePoint, captureLive } from '../capture/live.ts';
import { type CapturePlan, CapturePlanError, planCapture, pointName } from '../capture/plan.ts';
import { DEFAULT_DIR, LAB_HOSTS, Lab, type LabHost } from '../lab/lab.ts';
import { VM_VIF } from '../lab/topology.ts';
import { writeJson } from '../model/json-stream.ts';
import { toJson } from '../model/snapshot.ts';
import { LocalRunner, NETNS, type Runner, vifpathLine } from '../runner/runner.ts';
import { readCaseAsync } from '../sources/case-dir.ts';
import { type HostSource, namespaceRunner, SAFE_NAME } from '../sources/collect.ts';
import { InputError } from '../sources/errors.ts';
import { flowCounters } from '../sources/flow-counters.ts';
import { specialKind } from '../sources/walk.ts';
import { escapeControl as esc } from '../text/escape.ts';
import { EXIT, EXIT_PROBLEM } from './exit.ts';
import {
  collectLive,
  dropTemporary,
  type LiveOptions,
  liveArgs,
  liveNumbers,
  liveOptions,
  MAX_TIMEOUT_S,
  numberOption,
  sourcesFor,
} from './live.ts';
import { checkOutputDir } from './out-paths.ts';

interface LiveCaptureOptions extends LiveOptions {
  point?: string[];
  vm?: string;
  dhcpNs?: string;
  path?: boolean;
  lab?: string;
  renew?: boolean;
  seconds: string;
  out: string;
  json?: boolean;
}

export interface CounterChange {
  direction: string;
  host: string;
  bridge: string;
  table: number;
  rule: string;
  drops: boolean;
  before?: number;
  after?: number;
}

/** `--point host:iface` (the older form): this machine, a namespace, or a lab host. */
function explicitPoints(specs: readonly string[], lab: Lab | undefined): CapturePoint[] {
  return specs.map((spec) => {
    const i = spec.lastIndexOf(':');
    if (i <= 0) throw new InputError('a point is <host>:<iface>', spec);
    const host = spec.slice(0, i);
    const dev = spec.slice(i + 1);
    if (lab && !(LAB_HOSTS as readonly string[]).includes(host))
      throw new InputError(`not a lab host (${LAB_HOSTS.join(', ')})`, spec);
    // The namespace goes to `ip netns exec`, which takes no `--`: a name that could read as an
    // option (or that a shell would split) never reaches it. The same rule as collect's.
    if (!lab && host !== 'local' && !SAFE_NAME.test(host))
      throw new InputError(
        `--point: namespace ${JSON.stringify(host)} has characters outside [A-Za-z0-9_.-] or does not begin with a letter or digit: give local:<iface> or <netns>:<iface>`,
        spec,
      );
    if (!SAFE_NAME.test(dev))
      throw new InputError(
        `--point: interface ${JSON.stringify(dev)} has characters outside [A-Za-z0-9_.-] or does not begin with a letter or digit`,
        spec,
      );
    const runner = lab
      ? new LocalRunner(NETNS(lab.ns(host as LabHost)), spec)
      : host === 'local'
        ? new LocalRunner([], spec)
        : new LocalRunner(NETNS(host), spec);
    // A local interface that does not exist is a bad point, said before anything runs (exit 2),
    // never a capture of nothing reported afterwards. Lab and namespace points may appear while
    // capturing (a VM's vif at --renew): those are retried as before.
    if (!lab && host === 'local' && dev !== 'any' && !existsSync(join('/sys/class/net', dev)))
      throw new InputError(
        `--point: this host has no interface ${JSON.stringify(dev)} (ip link lists the ones it has)`,
        spec,
      );
    return { name: spec, runner, dev };
  });
}

function runnerOf(
  sources: readonly HostSource[],
  names: readonly string[],
  host: string,
  ns?: string,
): Runner | undefined {
  const i = names.indexOf(host);
  const src = sources[i];
  if (!src) return undefined;
  if (!ns) return src.runner;
  return namespaceRunner(src, ns);
}

async function counters(
  plan: CapturePlan,
  sources: readonly HostSource[],
  names: readonly string[],
): Promise<CounterChange[]> {
  const now = new Map<string, Map<string, number>>();
  for (const key of new Set(plan.flows.map((f) => `${f.host}\0${f.bridge}`))) {
    const [host, bridge] = key.split('\0') as [string, string];
    const r = runnerOf(sources, names, host);
    if (r) now.set(key, await flowCounters(r, bridge));
  }
  return plan.flows.map((f) => ({
    direction: f.direction,
    host: f.host,
    bridge: f.bridge,
    table: f.table,
    rule: f.rule,
    drops: f.drops,
    ...(f.n_packets !== undefined ? { before: f.n_packets } : {}),
    ...(now.get(`${f.host}\0${f.bridge}`)?.has(f.rule)
      ? { after: now.get(`${f.host}\0${f.bridge}`)!.get(f.rule)! }
      : {}),
  }));
}

export function captureCommands(p: Command, out: (s: string) => void, setExit: (code: number) => void): void {
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
        const st = statSync(file);
        // Said for what it is (review5: /dev/zero, a FIFO were "a folder?"); never opened.
        if (!st.isFile()) throw new InputError(`${specialKind(st)}: not a capture file`, file);
        return {
          path: file,
          file,
          point: eq > 0 ? f.slice(0, eq) : basename(file).replace(/\.pcap(ng)?$/, ''),
        };
      });
      // Read piece by piece into per-xid summaries; the JSON is written piece by piece too.
      const a = analyzeFiles(inputs);
      const bad = a.diagnostics.find((d) => d.severity === 'corrupt');
      if (bad) throw new InputError(bad.message, bad.file, bad.line || undefined);
      if (o.json) {
        writeJson(a, out);
        out('\n');
      } else {
        out(`${a.frames} frames in ${inputs.length} capture(s), ${a.exchanges.length} DHCP exchange(s)\n`);
        for (const e of a.exchanges) out(`${describeExchange(e, a.points).join('\n')}\n`);
        for (const d of a.diagnostics) out(`  ${d.severity}: ${esc(`${d.file}:${d.line}: ${d.message}`)}\n`);
      }
      // As capture live: an exchange without its lease is a problem proven (1); captures holding no
      // DHCP at all prove nothing either way (the wrong interface, the wrong moment): undecided (3).
      if (a.exchanges.some((e) => !e.lease)) setExit(EXIT_PROBLEM);
      else if (a.exchanges.length === 0) {
        if (!o.json)
          out(
            `undecided: no DHCP packet in ${esc(inputs.map((i) => i.file).join(', '))}: nothing proves a problem or its absence\n`,
          );
        setExit(EXIT.undecided);
      }
    });
  liveOptions(
    cap
      .command('live')
      .description(
        "tcpdump at several points at once (the VM's vif, the DHCP tap, the wires between), retrying a point until its interface exists; say where the exchange stops and which flows counted it",
      )
      .argument('[target...]', 'with --vm: the hosts (local, netns:NS, ssh://user@host, lab:HOST)')
      .option(
        '--vm <[host:]port|mac|iface-id>',
        "capture where this VM's DHCP goes: its port, the DHCP server, (--path) every wire",
      )
      .option('--dhcp-ns <qdhcp-…>', 'with --vm: the DHCP namespace to capture in (default: the one found)')
      .option('--path', 'with --vm: also both ends of every wire the DISCOVER crosses')
      .option(
        '--point <host:iface...>',
        'explicit points: local:<iface>, <netns>:<iface>, or with --lab dom0|domu|vm|qdhcp:<iface>',
      )
      .option('--lab <dir>', 'with --point: points are hosts of the lab in this state directory')
      .option('--renew', 'a lab is involved: make its VM ask for a lease while capturing')
      .option(
        '--seconds <n>',
        `how long to capture (and to retry missing interfaces), 1 to ${MAX_TIMEOUT_S}`,
        '10',
      )
      .option('-o, --out <dir>', 'where to keep the pcaps', 'vifpath-capture'),
  )
    .option('--json', 'print the analysis as JSON')
    .action(async (targets: string[], o: LiveCaptureOptions) => {
      // --lab alone names a lab but not what to capture in it: both ways, with its own names.
      if (o.vm === undefined && !o.point && o.lab !== undefined) {
        const lab = Lab.open(o.lab);
        throw new InputError(
          `--lab names the lab, not what to capture in it: give --point on its hosts (${LAB_HOSTS.join('|')}:<iface>), e.g. \`${vifpathLine('capture', [], ['live', '--lab', o.lab, ...(o.renew ? ['--renew'] : []), '--point', 'vm:eth0', `dom0:${VM_VIF}`, `qdhcp:${lab.dhcpDev()}`])}\`; or follow the VM, which also counts the flows on its path: \`${vifpathLine('capture', [], ['live', '--vm', VM_VIF, 'lab:dom0', 'lab:domu', '--lab-dir', o.lab, '--path', ...(o.renew ? ['--renew'] : [])])}\``,
        );
      }
      if ((o.vm === undefined) === !o.point)
        throw new InputError(
          'give either --vm (with targets) or --point (with --lab <dir>: points on the hosts of that lab)',
        );
      // Numbers before anything runs: `--seconds abc` used to capture for no time and report 0 frames.
      const seconds = numberOption('--seconds', o.seconds, { min: 1, max: MAX_TIMEOUT_S });
      liveNumbers(o);
      checkOutputDir('-o', o.out, { empty: true });
      let points: CapturePoint[];
      let lab: Lab | undefined;
      let plan: CapturePlan | undefined;
      let sources: HostSource[] = [];
      let names: string[] = [];
      if (o.point) {
        lab = o.lab ? Lab.open(o.lab) : undefined;
        points = explicitPoints(o.point, lab);
      } else {
        if (targets.length === 0 || !liveArgs(targets))
          throw new InputError(
            '--vm needs the live hosts to look at (e.g. lab:dom0 lab:domu, ssh://root@dom0)',
          );
        sources = sourcesFor(targets, o);
        if (targets.some((t) => /(?:^|=)lab:/.test(t))) lab = Lab.open(o.labDir ?? DEFAULT_DIR);
        const c = await collectLive(targets, o, undefined, sources, false);
        names = c.results.map((r) => r.name);
        try {
          plan = planCapture(await readCaseAsync(c.dir, { lenient: true }), o.vm!, {
            ...(o.dhcpNs ? { dhcpNs: o.dhcpNs } : {}),
            path: o.path ?? false,
          });
        } catch (e) {
          if (e instanceof CapturePlanError) throw new InputError(e.message);
          throw e;
        } finally {
          dropTemporary(c);
        }
        points = [];
        for (const pt of plan.points) {
          // Names from the hosts' own outputs: never handed to `ip netns exec` or tcpdump -i when
          // they could read as an option.
          const unsafe = [pt.ns, pt.dev].find((x) => x !== undefined && !SAFE_NAME.test(x));
          if (unsafe !== undefined) {
            plan.notes.push(
              `${pointName(pt)} (${pt.why}): ${JSON.stringify(unsafe)} has characters outside [A-Za-z0-9_.-]; capture it by hand, not captured`,
            );
            continue;
          }
          const runner = runnerOf(sources, names, pt.host, pt.ns);
          if (runner) points.push({ name: pointName(pt), runner, dev: pt.dev });
          else
            plan.notes.push(
              `${pointName(pt)} (${pt.why}): host ${pt.host} is not among the targets, not captured`,
            );
        }
      }
      try {
        const a = await captureLive(points, {
          dir: o.out,
          seconds,
          ...(lab && o.renew ? { during: async () => void (await lab.renew()) } : {}),
        });
        const flows = plan ? await counters(plan, sources, names) : [];
        if (o.json) out(`${toJson({ ...a, ...(plan ? { plan, flows } : {}) })}\n`);
        else {
          for (const n of plan?.notes ?? []) out(`note: ${n}\n`);
          out(
            `${a.frames} frames at ${a.files.length} point(s) (pcaps in ${esc(o.out)}), ${a.exchanges.length} DHCP exchange(s)\n`,
          );
          for (const m of a.missed)
            out(`  ${esc(m)}: could not capture (interface missing or down the whole time)\n`);
          for (const e of a.exchanges) out(`${describeExchange(e, a.points).join('\n')}\n`);
          // Where the DISCOVERs died, by the flow that counted them during the capture.
          for (const f of flows)
            if (f.drops && f.before !== undefined && f.after !== undefined && f.after > f.before)
              out(
                `the ${f.direction} stops at ${f.host} ${f.bridge} table ${f.table}: \`${f.rule}\` counted +${f.after - f.before} packets during the capture\n`,
              );
          if (flows.length) {
            out('flows on the path (n_packets when collected → after the capture):\n');
            for (const f of flows) {
              const delta =
                f.before !== undefined && f.after !== undefined ? ` (+${f.after - f.before})` : '';
              out(
                `  ${f.direction.padEnd(8)} ${f.host} ${f.bridge} table ${f.table}: ${f.rule}  ${f.before ?? '?'} → ${f.after ?? '?'}${delta}\n`,
              );
            }
          }
        }
        // An exchange seen without its lease is a problem proven (1); nothing seen at all proves
        // nothing (no client asked, or every point missed): undecided (3), never "a problem".
        if (a.exchanges.some((e) => !e.lease)) setExit(EXIT_PROBLEM);
        else if (a.exchanges.length === 0) {
          if (!o.json)
            out(
              `undecided: no DHCP exchange was seen${a.missed.length ? `, and ${a.missed.length} of ${points.length} point(s) could not capture` : ''}: nothing proves a problem or its absence\n`,
            );
          setExit(EXIT.undecided);
        }
      } finally {
        for (const s of sources) await s.runner.close();
      }
    });
}
