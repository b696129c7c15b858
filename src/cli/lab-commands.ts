// `vifpath lab ...`: argument handling and printing for the lab; the work is in src/lab.
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { collect } from '../lab/collect.ts';
import { DEFAULT_DIR, down, LAB_HOSTS, Lab, LabError, type LabHost, labDir, leftovers } from '../lab/lab.ts';
import type { LatePortOutcome, Renewal } from '../lab/state.ts';
import { SCENARIOS } from '../lab/topology.ts';
import { OVERLAY_HOSTS, OVERLAY_SCENARIOS, OverlayLab, type OverlayScenario } from '../lab/vxlan.ts';
import { escapeControl as e } from '../text/escape.ts';
import { numberOption } from './live.ts';
import { checkOutputDir } from './out-paths.ts';

/** dhclient gives up after this many seconds at most. */
const MAX_DHCP_TIMEOUT_S = 600;

function renewalLine(r: Renewal): string {
  const got = r.lease ? `lease ${r.lease}` : 'NO lease';
  return `${got} after ${(r.durationMs / 1000).toFixed(2)} s (dhclient rc ${r.rc}, ${r.discovers} DISCOVER sent; dnsmasq logged ${r.dnsmasq.discovers} DISCOVER, ${r.dnsmasq.offers} OFFER, ${r.dnsmasq.acks} ACK)`;
}

function latePortLine(p: LatePortOutcome): string {
  const got =
    p.tag !== null
      ? `tagged ${p.tag} by the agent ${p.bindMs} ms after the plug`
      : `still UNTAGGED ${(p.waitedMs / 1000).toFixed(2)} s after the plug`;
  return `vif16.0 plugged after boot at ${p.pluggedAt}: ${got} (agent pid ${p.agentPid}, monitor ${p.agentMonitor === 'deaf' ? 'deaf: every update dropped' : 'ok'}, no polling fallback; log ${p.agentLog})`;
}

export function labCommands(
  program: Command,
  out: (s: string) => void,
  setExit: (code: number) => void,
): void {
  const lab = program
    .command('lab')
    .description('reproduce the seed system on real Open vSwitch in network namespaces (needs root)');
  const dirOpt = ['--dir <path>', 'state directory of this lab', DEFAULT_DIR] as const;

  lab
    .command('list')
    .description('the scenarios')
    .option('--json', 'as JSON')
    .action((o: { json?: boolean }) => {
      if (o.json) out(`${JSON.stringify(SCENARIOS, null, 2)}\n`);
      else
        for (const s of SCENARIOS)
          out(`${s.name.padEnd(18)} ${s.expectLease ? 'lease   ' : 'no lease'}  ${s.description}\n`);
      if (!o.json)
        out(
          `--topology vxlan|gre|geneve (compute1, compute2, network; ../shared/reference/ovs-tunnels.md): ${OVERLAY_SCENARIOS.join(', ')}\n`,
        );
    });

  lab
    .command('up')
    .description('build the lab for a scenario; the VM asks for a lease as it boots')
    .option('--scenario <name>', 'which scenario (see `lab list`)', 'healthy')
    .option(
      '--topology <name>',
      'seed (XenServer), or vxlan / gre / geneve (Neutron overlay between three hosts)',
      'seed',
    )
    .option(...dirOpt)
    .option('--dhcp-timeout <s>', "dhclient's timeout in seconds", '6')
    .action(async (o: { scenario: string; topology: string; dir: string; dhcpTimeout: string }) => {
      checkOutputDir('--dir', o.dir);
      if (o.topology === 'vxlan' || o.topology === 'gre' || o.topology === 'geneve') {
        const l = await OverlayLab.up({
          dir: o.dir,
          type: o.topology,
          scenario: o.scenario as OverlayScenario,
        });
        out(
          `lab ${l.prefix} up in ${((l.upMs ?? 0) / 1000).toFixed(2)} s: ${l.type} overlay, scenario ${l.scenario}\n`,
        );
        const r = await l.lease('vm1');
        out(`vm1 DHCP: ${r.ok ? `lease ${r.address}` : 'NO lease'} after ${(r.ms / 1000).toFixed(2)} s\n`);
        return;
      }
      if (o.topology !== 'seed')
        throw new LabError(`unknown topology "${o.topology}": seed, vxlan, gre or geneve`);
      const dhcpTimeout = numberOption('--dhcp-timeout', o.dhcpTimeout, {
        min: 1,
        max: MAX_DHCP_TIMEOUT_S,
        integer: true,
      });
      const l = await Lab.up({ dir: o.dir, scenario: o.scenario, dhcpTimeout });
      out(
        `lab ${l.state.prefix} up in ${((l.state.timings.upMs ?? 0) / 1000).toFixed(2)} s: scenario ${l.state.scenario} (${l.spec.description})\n`,
      );
      if (l.state.latePort) out(`${latePortLine(l.state.latePort)}\n`);
      const r = l.state.renewals.at(-1);
      if (r) out(`VM DHCP at boot: ${renewalLine(r)}\n`);
    });

  lab
    .command('down')
    .description('remove every process, namespace and file of the lab (also after a crash)')
    .option(...dirOpt)
    .action(async (o: { dir: string }) => {
      if (OverlayLab.isOverlay(o.dir)) {
        const l = OverlayLab.attach(o.dir);
        await l.down();
        out(`removed overlay lab ${l.prefix} (namespaces ${l.prefix}-*, its OVS instances and files)\n`);
        return;
      }
      const r = await down(o.dir);
      out(
        r.removed.length
          ? `removed ${r.removed.length}: ${e(r.removed.join(', '))}\n`
          : `nothing of a lab in ${e(labDir(o.dir))}\n`,
      );
      if (r.kept.length)
        out(
          `kept (not made by the lab): ${e(r.kept.slice(0, 20).join(', '))}${r.kept.length > 20 ? ', …' : ''}\n`,
        );
      const left = await leftovers(o.dir);
      if (left.length) {
        out(`still present: ${e(left.join(', '))}\n`);
        setExit(1);
      }
    });

  lab
    .command('status')
    .description('scenario, timings and every DHCP attempt of the VM')
    .option(...dirOpt)
    .option('--json', 'machine-readable')
    .action((o: { dir: string; json?: boolean }) => {
      if (OverlayLab.isOverlay(o.dir)) {
        const l = OverlayLab.attach(o.dir);
        const st = {
          prefix: l.prefix,
          type: l.type,
          scenario: l.scenario,
          upMs: l.upMs,
          namespaces: Object.fromEntries(
            [...OVERLAY_HOSTS, 'underlay', 'qdhcp', 'vm1', 'vm2'].map((h) => [h, l.ns(h)]),
          ),
        };
        out(
          o.json
            ? `${JSON.stringify(st, null, 2)}\n`
            : `overlay lab ${l.prefix} in ${l.dir}: ${l.type}, scenario ${l.scenario}\n`,
        );
        return;
      }
      const l = Lab.open(o.dir);
      if (o.json) {
        out(
          `${JSON.stringify({ ...l.state, namespaces: Object.fromEntries(LAB_HOSTS.map((h) => [h, l.ns(h)])), expectLease: l.spec.expectLease }, null, 2)}\n`,
        );
        return;
      }
      out(
        `lab ${l.state.prefix} in ${l.dir}: scenario ${l.state.scenario}${l.state.ready ? '' : ' (NOT fully built)'}\n`,
      );
      out(`  ${l.spec.description}\n`);
      for (const h of LAB_HOSTS) out(`  ${h.padEnd(6)} namespace ${l.ns(h)}\n`);
      if (l.state.latePort) out(`  ${latePortLine(l.state.latePort)}\n`);
      for (const [i, r] of l.state.renewals.entries())
        out(`  DHCP #${i + 1} at ${r.startedAt}: ${renewalLine(r)}\n`);
    });

  lab
    .command('renew')
    .description('make the VM ask for a lease again (like `ifup eth0`) and report the outcome')
    .option(...dirOpt)
    .action(async (o: { dir: string }) => {
      if (OverlayLab.isOverlay(o.dir)) {
        const r = await OverlayLab.attach(o.dir).lease('vm1');
        out(`vm1 DHCP: ${r.ok ? `lease ${r.address}` : 'NO lease'} after ${(r.ms / 1000).toFixed(2)} s\n`);
        for (const line of r.output.trimEnd().split('\n')) out(`  ${line}\n`);
        return;
      }
      const l = Lab.open(o.dir);
      const r = await l.renew();
      out(`${renewalLine(r)}\n`);
      for (const line of r.output) out(`  ${line}\n`);
    });

  lab
    .command('collect')
    .description('write a case directory (sosreport-named files per host + links.txt) from the running lab')
    .argument('<case-dir>')
    .option(...dirOpt)
    .action(async (caseDir: string, o: { dir: string }) => {
      // Like collect -o and capture live -o: an earlier case or the operator's files are never
      // overwritten nor mixed with the lab's (review8 1.2).
      checkOutputDir('the case folder', caseDir, { empty: true });
      if (OverlayLab.isOverlay(o.dir)) {
        const l = OverlayLab.attach(o.dir);
        await l.collect(caseDir);
        out(
          `case written to ${e(caseDir)} (hosts compute1, compute2, network, underlay, vm1, vm2; ${l.type}, scenario ${l.scenario})\n`,
        );
        return;
      }
      const l = Lab.open(o.dir);
      await collect(l, caseDir);
      out(`case written to ${e(caseDir)} (hosts dom0, domu, vm; scenario ${l.state.scenario})\n`);
    });

  lab
    .command('exec')
    .description('run a command on one emulated host: its namespace, and its own OVS for dom0/domu')
    .argument('<host>', LAB_HOSTS.join('|'))
    .argument('<command...>')
    .option(...dirOpt)
    .action(async (host: string, command: string[], o: { dir: string }) => {
      if (!(LAB_HOSTS as readonly string[]).includes(host))
        throw new LabError(`unknown host "${host}": one of ${LAB_HOSTS.join(', ')}`);
      const argv = Lab.open(o.dir).wrap(host as LabHost, command);
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
        child.on('error', reject);
        child.on('close', (c) => resolve(c ?? 1));
      });
      setExit(code);
    });
}
