// The lab: the seed's XenServer Dom0 + devstack DomU + VM rebuilt on the distribution's Open
// vSwitch (userspace netdev datapath) in network namespaces, one private ovsdb-server +
// ovs-vswitchd per emulated host, with a real dnsmasq and a real dhclient. Healthy or broken
// on purpose (topology.ts), so every verdict vifpath gives can be checked against reality.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { dhcpSightings } from '../capture/analyze.ts';
import { startTcpdump } from '../capture/tcpdump.ts';
import { VifpathError } from '../errors/errors.ts';
import { projectPath } from '../paths.ts';
import { interrupted, onInterrupt } from '../runner/cleanup.ts';
import { exec, execOk } from '../runner/exec.ts';
import { LocalRunner, NETNS, vifpathLine } from '../runner/runner.ts';
import { escapeControl } from '../text/escape.ts';
import { OvsInstance } from './ovs-instance.ts';
import {
  type LabProcess,
  type LabState,
  LOCK_FILE,
  PREFIX,
  type Renewal,
  readState as readStateFile,
  STATE_FILE,
  StateError,
  writeState,
} from './state.ts';
import {
  DOMU_VIF,
  hosts,
  NET_ID,
  NS_DEV,
  PLUG_VM_PORT,
  QDHCP,
  type ScenarioSpec,
  scenario as scenarioByName,
  TAP,
  TAP_IP,
  TAP_MAC,
  VM_IP,
  VM_MAC,
  VM_VIF,
} from './topology.ts';

export const DEFAULT_DIR = '/run/vifpath-lab';
export type LabHost = 'dom0' | 'domu' | 'vm' | 'qdhcp';
export const LAB_HOSTS: readonly LabHost[] = ['dom0', 'domu', 'vm', 'qdhcp'];

export class LabError extends VifpathError {}

/** The vifpath entry point: the late-port scenarios run `vifpath agent` as a process of the lab. */
const VIFPATH_BIN = projectPath('bin', 'vifpath.mjs');
/** How long `up` waits for the agent to tag a late port (it takes milliseconds when its monitor works). */
export const LATE_PORT_WAIT_MS = 2000;
/** The agent's files, relative to the lab directory. */
const AGENT_DIR = 'agent';

/** The lab's record, or a LabError (exit 2) when state.json cannot be trusted: nothing is removed then. */
function readState(dir: string): LabState | undefined {
  try {
    return readStateFile(dir);
  } catch (e) {
    if (!(e instanceof StateError)) throw e;
    throw new LabError(
      `${join(dir, STATE_FILE)} is not a record this lab can trust (${e.message}): nothing was removed. ${manualCleanup(dir, e.prefixHint)}`,
    );
  }
}

/** The directory of a lab, absolute (a relative --dir is relative to where vifpath runs). */
export function labDir(dir = DEFAULT_DIR): string {
  return resolve(dir);
}

export interface UpOptions {
  dir?: string;
  scenario?: string;
  /** dhclient's `timeout` in seconds: a failing scenario costs about this much. */
  dhcpTimeout?: number;
}

function requireRoot(): void {
  if (process.getuid?.() !== 0)
    throw new LabError('the lab needs root (network namespaces, veth, OVS daemons): run it with sudo');
  for (const t of ['/usr/sbin/ovs-vswitchd', '/usr/sbin/dnsmasq', '/sbin/dhclient', '/usr/bin/ip'])
    if (!existsSync(t))
      throw new LabError(
        `${t} is missing: install openvswitch-switch dnsmasq-base isc-dhcp-client iproute2 (npm test does it as root)`,
      );
}

/** The live lab in `dir`: its state and the handles to reach each emulated host. */
export class Lab {
  private constructor(readonly state: LabState) {}

  static open(dir = DEFAULT_DIR): Lab {
    dir = labDir(dir);
    const s = readState(dir);
    if (!s)
      throw new LabError(
        `no lab in ${dir} (start one with \`${vifpathLine('lab up', [], dir === labDir(DEFAULT_DIR) ? [] : ['--dir', dir])}\`)`,
      );
    return new Lab(s);
  }

  get dir(): string {
    return this.state.dir;
  }
  get spec(): ScenarioSpec {
    const s = scenarioByName(this.state.scenario);
    if (!s) throw new LabError(`unknown scenario ${this.state.scenario} in ${this.dir}`);
    return s;
  }
  ns(host: LabHost): string {
    return host === 'qdhcp' ? `${this.state.prefix}-${QDHCP}` : `${this.state.prefix}-${host}`;
  }
  ovs(host: 'dom0' | 'domu'): OvsInstance {
    return OvsInstance.attach({ dir: join(this.dir, host), netns: this.ns(host) });
  }
  /** argv that runs `argv` on an emulated host: its namespace, and its OVS for dom0/domu. */
  wrap(host: LabHost, argv: readonly string[]): string[] {
    if (host === 'dom0' || host === 'domu') return this.ovs(host).wrap(argv);
    return ['ip', 'netns', 'exec', this.ns(host), ...argv];
  }
  dhcpDir(): string {
    return join(this.dir, 'neutron/dhcp', NET_ID);
  }
  dnsmasqLog(): string {
    return join(this.dir, 'dnsmasq.log');
  }
  /** The DHCP port's device inside the qdhcp namespace. */
  dhcpDev(): string {
    return this.spec.vethDhcpPort ? NS_DEV : TAP;
  }

  save(): void {
    writeState(this.state);
  }

  static async up(opts: UpOptions = {}): Promise<Lab> {
    requireRoot();
    const dir = labDir(opts.dir);
    const spec = scenarioByName(opts.scenario ?? 'healthy');
    if (!spec) throw new LabError(`unknown scenario "${opts.scenario}" (see \`vifpath lab list\`)`);
    const emptyOrNew = (): void => {
      if (!existsSync(dir)) return;
      if (!statSync(dir).isDirectory()) throw new LabError(`${dir} exists and is not a directory`);
      if (existsSync(join(dir, STATE_FILE)))
        throw new LabError(
          `a lab already exists in ${dir}: \`${vifpathLine('lab down', [], ['--dir', dir])}\` first`,
        );
      const other = readdirSync(dir).filter((e) => e !== LOCK_FILE);
      if (other.length > 0)
        throw new LabError(
          `${dir} is not empty (${other.length} entries, e.g. ${other[0]}): the lab builds only in a new or empty directory, so that \`down\` removes exactly what it made`,
        );
    };
    emptyOrNew();
    const createdDir = !existsSync(dir);
    if (createdDir) mkdirSync(dir, { recursive: true });
    const release = takeLock(dir);
    const t0 = performance.now();
    let lab: Lab;
    try {
      emptyOrNew();
      lab = new Lab({
        version: 2,
        prefix: await uniquePrefix(),
        dir,
        createdDir,
        files: [STATE_FILE],
        scenario: spec.name,
        createdAt: new Date().toISOString(),
        namespaces: [],
        processes: [],
        ready: false,
        timings: {},
        renewals: [],
      });
      lab.save();
    } catch (e) {
      release();
      if (createdDir) rmdirSync(dir);
      throw e;
    }
    // Interrupted (Ctrl-C, kill): stop building, tear down what was built, say so, then die of the
    // signal. The hook says it: the signal's cleanup ends the process once its hooks are done,
    // before an error thrown from here would reach main's printing.
    let finished: () => void = () => {};
    const done = new Promise<void>((r) => {
      finished = r;
    });
    let said = '';
    const unhook = onInterrupt(async () => {
      lab.aborted = true;
      await done;
      if (said) process.stderr.write(`vifpath lab: ${escapeControl(said)}\n`);
    });
    let cut = false;
    try {
      await lab.build(spec, opts.dhcpTimeout ?? 6);
      // A signal during the last step (the boot DHCP: its dhclient ended by the signal's cleanup)
      // is no finished lab: torn down, never reported as up (review8 1.3).
      lab.step();
      lab.state.ready = true;
      lab.state.timings.upMs = Math.round(performance.now() - t0);
      lab.save();
    } catch (e) {
      cut = lab.aborted || interrupted() !== undefined;
      let left: string[];
      try {
        await teardown(lab.state);
        left = await builtLeft(lab.state);
      } catch (t) {
        left = [(t as Error).message];
      }
      release();
      if (createdDir && existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
      const line =
        left.length > 0
          ? `lab up ${cut ? 'interrupted' : `failed (${(e as Error).message})`}: the lab is left partly up (${left.slice(0, 5).join(', ')}${left.length > 5 ? ', …' : ''}): \`${vifpathLine('lab down', [], ['--dir', dir])}\``
          : cut
            ? `lab up interrupted: everything it built in ${dir} was removed`
            : undefined;
      if (cut) said = line!;
      else if (line) throw new LabError(line);
      else throw e;
    } finally {
      // Interrupted, the hook is running or about to: it is the one that speaks.
      if (!cut) unhook();
      release();
      finished();
    }
    // The signal's cleanup ends the process (its hook above said what happened): nothing more here.
    if (cut) await new Promise<never>(() => {});
    return lab;
  }

  /** Set by a signal: the build stops at its next step. */
  aborted = false;
  private step(): void {
    // interrupted(): set as the signal comes, before the hook that sets `aborted` runs (the
    // signal's cleanup ends the running commands first, and the build goes on meanwhile).
    if (this.aborted || interrupted() !== undefined) throw new LabError('interrupted');
  }
  /** Record a path (relative to the lab directory) before creating it. */
  private own(rel: string): string {
    if (!this.state.files.includes(rel)) {
      this.state.files.push(rel);
      this.save();
    }
    return join(this.dir, rel);
  }
  /** Record a process the lab started, by pid, start time and exact command line. */
  private recordProcess(pid: number, what: string): void {
    const id = procIdentity(pid);
    if (!id) return;
    this.state.processes = this.state.processes.filter((p) => p.pid !== pid);
    this.state.processes.push({ pid, ...id, what });
    this.save();
  }
  private forgetProcess(pid: number): void {
    this.state.processes = this.state.processes.filter((p) => p.pid !== pid);
  }

  private async addNs(host: LabHost): Promise<void> {
    this.step();
    const ns = this.ns(host);
    this.state.namespaces.push(ns);
    this.save();
    await execOk(['ip', 'netns', 'add', ns]);
    await execOk(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  }

  private in(host: LabHost, ...argv: string[]): Promise<unknown> {
    this.step();
    return execOk(['ip', 'netns', 'exec', this.ns(host), ...argv]);
  }

  private async build(spec: ScenarioSpec, dhcpTimeout: number): Promise<void> {
    // Namespaces first (recorded before creation), then the OVS daemons inside dom0 and domu.
    for (const h of LAB_HOSTS) await this.addNs(h);
    this.own('dom0');
    this.own('domu');
    this.step();
    const inst: Record<'dom0' | 'domu', OvsInstance> = {
      dom0: await OvsInstance.start({
        dir: join(this.dir, 'dom0'),
        netns: this.ns('dom0'),
        existingNetns: true,
      }),
      domu: await this.afterStep(() =>
        OvsInstance.start({
          dir: join(this.dir, 'domu'),
          netns: this.ns('domu'),
          existingNetns: true,
        }),
      ),
    };
    for (const h of ['dom0', 'domu'] as const) this.recordPids(join(this.dir, h, 'run'));
    // Wires: DomU eth1 is Dom0's vif15.1; the VM's eth0 is Dom0's vif16.0. Both ends are created
    // directly inside their namespaces, so no name is ever visible in the host's namespace.
    await veth(DOMU_VIF, this.ns('dom0'), 'eth1', this.ns('domu'));
    await veth(VM_VIF, this.ns('dom0'), 'eth0', this.ns('vm'));
    await this.in('vm', 'ip', 'link', 'set', 'eth0', 'address', VM_MAC);
    for (const [h, dev] of [
      ['dom0', DOMU_VIF],
      ['dom0', VM_VIF],
      ['domu', 'eth1'],
      ['vm', 'eth0'],
    ] as const)
      await this.in(h, 'ip', 'link', 'set', dev, 'up');
    if (spec.vethDhcpPort) {
      await veth(TAP, this.ns('domu'), NS_DEV, this.ns('qdhcp'));
      await this.in('domu', 'ip', 'link', 'set', TAP, 'up');
    }
    // Bridges, ports (numbers pinned to the seed's with ofport_request), flows.
    for (const hs of hosts(spec)) {
      const ovs = inst[hs.name];
      for (const b of hs.bridges) {
        await ovs.vsctl(...OvsInstance.addBridgeArgs(b.name, 'fail_mode=secure'));
        for (const p of b.ports) {
          this.step();
          const args = ['--', 'add-port', b.name, p.name];
          if (p.tag !== undefined) args.push(`tag=${p.tag}`);
          args.push('--', 'set', 'interface', p.name, `ofport_request=${p.ofport}`);
          if (p.type) args.push(`type=${p.type}`);
          if (p.peer) args.push(`options:peer=${p.peer}`);
          for (const [k, v] of Object.entries(p.externalIds ?? {})) args.push(`external_ids:${k}=${v}`);
          await ovs.vsctl(...args);
        }
        await ovs.ofctl('del-flows', b.name);
        for (const f of b.flows) await ovs.ofctl('add-flow', b.name, f);
      }
    }
    // The DHCP port: an internal port moved into the qdhcp namespace (or the veth end already there).
    const dev = this.dhcpDev();
    if (!spec.vethDhcpPort) {
      await waitFor(
        async () =>
          (await exec(['ip', 'netns', 'exec', this.ns('domu'), 'ip', 'link', 'show', TAP])).rc === 0,
        `${TAP} to appear`,
      );
      await this.in('domu', 'ip', 'link', 'set', TAP, 'netns', this.ns('qdhcp'));
    }
    await this.in('qdhcp', 'ip', 'link', 'set', dev, 'address', TAP_MAC);
    await this.in('qdhcp', 'ip', 'addr', 'add', `${TAP_IP}/24`, 'dev', dev);
    if (spec.tapUp) await this.in('qdhcp', 'ip', 'link', 'set', dev, 'up');
    // dnsmasq the way the Neutron DHCP agent runs it: static range, hosts file per network.
    this.own('neutron');
    mkdirSync(this.dhcpDir(), { recursive: true });
    writeFileSync(
      join(this.dhcpDir(), 'host'),
      `${VM_MAC},host-${VM_IP.replace(/\./g, '-')}.openstacklocal,${VM_IP}\n`,
    );
    writeFileSync(join(this.dhcpDir(), 'opts'), 'tag:tag0,option:router,10.0.0.1\n');
    writeFileSync(join(this.dhcpDir(), 'interface'), `${dev}\n`);
    writeFileSync(join(this.dhcpDir(), 'leases'), '');
    writeFileSync(this.own('dnsmasq.log'), '');
    if (spec.dnsmasq !== 'absent') await this.startDnsmasq(dev);
    if (spec.dnsmasq === 'crashed') {
      // SIGKILL: dnsmasq cannot remove its pid file, as after a crash or the OOM killer.
      const pid = Number(readFileSync(join(this.dhcpDir(), 'pid'), 'utf8').trim());
      process.kill(pid, 'SIGKILL');
      // Gone, or a zombie waiting for a parent that may never reap it (PID 1 in a container).
      const dead = (): boolean => {
        try {
          return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ''));
        } catch {
          return true;
        }
      };
      await waitFor(async () => dead(), 'dnsmasq to die');
    }
    if (spec.latePort) await this.plugLate(inst.dom0, spec.latePort.agentMonitor);
    // The VM boots and asks for a lease, like a cloud image.
    this.writeDhclientFiles(dhcpTimeout);
    const r = await this.renew();
    if (r.lease) this.state.timings.firstLeaseMs = r.durationMs;
  }

  /**
   * Late-port scenarios: start the lab's L2 agent as a process of the lab (recorded like every other
   * one, so `down` stops it), its monitor straight to dom0's ovsdb-server or through a proxy that
   * drops every update (`deaf`); then plug vif16.0 untagged, as XAPI/Nova do after boot, and record
   * what the agent made of it within LATE_PORT_WAIT_MS.
   */
  private async plugLate(dom0: OvsInstance, monitor: 'ok' | 'deaf'): Promise<void> {
    this.step();
    const dir = this.own(AGENT_DIR);
    mkdirSync(dir, { recursive: true });
    const log = join(dir, 'agent.log');
    const pidFile = join(dir, 'agent.pid');
    const argv = [
      VIFPATH_BIN,
      'agent',
      'lab:dom0',
      '--lab-dir',
      this.dir,
      '--poll',
      '0',
      `--pid-file=${pidFile}`,
      ...(monitor === 'deaf' ? [`--deaf-monitor=${join(dir, 'monitor.sock')}`] : []),
    ];
    const fd = openSync(log, 'a');
    let pid: number | undefined;
    try {
      // Its own process group: it outlives `lab up` and a Ctrl-C in its terminal; `down` kills it.
      const child = spawn(process.execPath, argv, { detached: true, stdio: ['ignore', fd, fd] });
      child.on('error', () => undefined);
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(fd);
    }
    const logText = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    if (!pid) throw new LabError(`could not start the lab agent (${logText().trim() || 'no output'})`);
    // Recorded at once (libuv returns from spawn after the exec), and again once it runs.
    this.recordProcess(pid, 'agent');
    await waitFor(
      () => {
        if (!alive(pid)) throw new LabError(`the lab agent exited: ${logText().trim().split('\n').at(-1)}`);
        return / agent: started/.test(logText());
      },
      'the lab agent to start',
      30_000,
    );
    this.recordProcess(pid, 'agent');
    this.step();
    const pluggedAt = new Date().toISOString();
    const t0 = performance.now();
    await dom0.vsctl(...PLUG_VM_PORT);
    let tag: number | null = null;
    let bindMs: number | null = null;
    for (;;) {
      const t = (await dom0.vsctl('get', 'port', VM_VIF, 'tag')).trim();
      if (t !== '[]') {
        tag = Number(t);
        bindMs = Math.round(performance.now() - t0);
        break;
      }
      if (performance.now() - t0 >= LATE_PORT_WAIT_MS) break;
      this.step();
      await sleep(20);
    }
    this.state.latePort = {
      agentMonitor: monitor,
      agentPid: pid,
      agentLog: `${AGENT_DIR}/agent.log`,
      pluggedAt,
      tag,
      bindMs,
      waitedMs: Math.round(performance.now() - t0),
    };
    this.save();
  }

  private async startDnsmasq(dev: string): Promise<void> {
    const d = this.dhcpDir();
    await this.in(
      'qdhcp',
      'dnsmasq',
      '--no-hosts',
      '--no-resolv',
      '--strict-order',
      '--bind-interfaces',
      `--interface=${dev}`,
      '--except-interface=lo',
      `--pid-file=${join(d, 'pid')}`,
      `--dhcp-hostsfile=${join(d, 'host')}`,
      `--dhcp-optsfile=${join(d, 'opts')}`,
      `--dhcp-leasefile=${join(d, 'leases')}`,
      '--dhcp-range=set:tag0,10.0.0.0,static,86400s',
      '--dhcp-lease-max=256',
      '--conf-file=',
      '--domain=openstacklocal',
      '--log-dhcp',
      `--log-facility=${this.dnsmasqLog()}`,
      // It would drop to nobody, who cannot read its files under a private (0700) --dir.
      '--user=root',
    );
    await waitFor(
      async () => existsSync(join(d, 'pid')) && readFileSync(join(d, 'pid'), 'utf8').trim() !== '',
      'dnsmasq pid file',
    );
    this.recordProcess(Number(readFileSync(join(d, 'pid'), 'utf8').trim()), 'dnsmasq');
  }

  private writeDhclientFiles(timeout: number): void {
    const vm = this.own('vm');
    mkdirSync(vm, { recursive: true });
    // Short timeouts: a failing scenario costs `timeout` seconds, not minutes.
    writeFileSync(
      join(vm, 'dhclient.conf'),
      `timeout ${timeout};\nretry 60;\ninitial-interval 1;\nrequest subnet-mask, broadcast-address, routers, domain-name-servers, domain-name, interface-mtu;\n`,
    );
    // Our own dhclient-script: logs and sets the address; the stock one rewrites the host's /etc.
    const script = join(vm, 'dhclient-script');
    writeFileSync(
      script,
      '#!/bin/sh\necho "$(date +%T.%N) reason=$reason iface=$interface new_ip=$new_ip_address server=$new_dhcp_server_identifier" >> "$(dirname "$0")/script.log"\ncase "$reason" in BOUND|RENEW|REBIND|REBOOT) ip addr add "$new_ip_address/24" dev "$interface" 2>/dev/null ;; esac\nexit 0\n',
    );
    chmodSync(script, 0o755);
  }

  /** Ask for a lease again (like `ifup eth0` in the VM) and record the outcome. */
  async renew(): Promise<Renewal> {
    const vm = join(this.dir, 'vm');
    await this.stopDhclient();
    await this.in('vm', 'ip', 'addr', 'flush', 'dev', 'eth0');
    rmSync(join(vm, 'dhclient.leases'), { force: true });
    const logStart = existsSync(this.dnsmasqLog()) ? statSync(this.dnsmasqLog()).size : 0;
    // Datapath flows cached before a flow-table change are revalidated asynchronously; a DHCP
    // attempt right after a change could still hit them. Purge them so it sees the tables as they are.
    for (const h of ['dom0', 'domu'] as const)
      await execOk(this.wrap(h, ['ovs-appctl', 'revalidator/purge']));
    this.step();
    this.own('captures');
    const capName = `captures/renew-${this.state.renewals.length + 1}-${this.dhcpDev()}.pcap`;
    const cap = await this.startCapture(join(this.dir, capName));
    // The VM's side too (both directions): where OFFERs arrive, after the datapath, so their
    // checksums are what the client really gets.
    const vmCapName = `captures/renew-${this.state.renewals.length + 1}-vm-eth0.pcap`;
    const vmCap = await this.startCapture(
      join(this.dir, vmCapName),
      'vm',
      'eth0',
      'udp port 67 or udp port 68',
    );
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const r = await exec(
      [
        'ip',
        'netns',
        'exec',
        this.ns('vm'),
        'dhclient',
        '-1',
        '-v',
        '-cf',
        join(vm, 'dhclient.conf'),
        '-sf',
        join(vm, 'dhclient-script'),
        '-pf',
        join(vm, 'dhclient.pid'),
        '-lf',
        join(vm, 'dhclient.leases'),
        'eth0',
      ],
      { timeoutMs: 120_000 },
    );
    const durationMs = Math.round(performance.now() - t0);
    const tapBytes = await cap.stop();
    const tapClientPackets = tapBytes === null ? null : clientMessages(tapBytes, capName);
    const vmPackets = await vmCap.stop();
    // A dhclient ended by a signal's cleanup (rc null) is no DHCP outcome: nothing is recorded.
    if (this.aborted || interrupted() !== undefined)
      throw new LabError('interrupted: the DHCP attempt was cut short, no outcome recorded');
    const output = (r.stdout + r.stderr)
      .split('\n')
      .filter((l) => l.trim() !== '' && !/^(Internet Systems|Copyright|All rights|For info)/.test(l));
    const bound = output.map((l) => /^bound to (\S+)/.exec(l)).find(Boolean);
    if (bound && existsSync(join(vm, 'dhclient.pid')))
      this.recordProcess(Number(readFileSync(join(vm, 'dhclient.pid'), 'utf8').trim()), 'dhclient');
    const log = existsSync(this.dnsmasqLog()) ? readFileSync(this.dnsmasqLog(), 'utf8').slice(logStart) : '';
    const count = (re: RegExp): number => log.split('\n').filter((l) => re.test(l)).length;
    const renewal: Renewal = {
      startedAt,
      durationMs,
      lease: bound ? bound[1]! : null,
      rc: r.rc,
      output,
      discovers: output.filter((l) => l.startsWith('DHCPDISCOVER')).length,
      dnsmasq: { discovers: count(/DHCPDISCOVER\(/), offers: count(/DHCPOFFER\(/), acks: count(/DHCPACK\(/) },
      tapClientPackets,
      ...(tapClientPackets !== null ? { tapPcap: capName } : {}),
      ...(vmPackets !== null ? { vmPcap: vmCapName } : {}),
    };
    this.state.renewals.push(renewal);
    this.save();
    return renewal;
  }

  /**
   * tcpdump on one lab host (by default the DHCP port, both ways: the DISCOVERs that arrive and the
   * OFFERs dnsmasq sends); returns what it captured (null: it could not listen).
   */
  private async startCapture(
    file: string,
    host: LabHost = 'qdhcp',
    dev = this.dhcpDev(),
    filter = 'udp port 67 or udp port 68',
  ): Promise<{ stop: () => Promise<Uint8Array | null> }> {
    const t = await startTcpdump(new LocalRunner(NETNS(this.ns(host))), dev, file, { filter, toFile: true });
    if (t.pid) this.recordProcess(t.pid, 'tcpdump');
    return {
      stop: async () => {
        const bytes = await t.stop();
        if (t.pid) this.forgetProcess(t.pid);
        return bytes ?? null;
      },
    };
  }

  private async stopDhclient(): Promise<void> {
    for (const p of this.state.processes.filter((x) => x.what === 'dhclient')) {
      killRecorded(p);
      this.forgetProcess(p.pid);
    }
    rmSync(join(this.dir, 'vm', 'dhclient.pid'), { force: true });
  }

  private recordPids(runDir: string): void {
    for (const d of ['ovsdb-server', 'ovs-vswitchd']) {
      const f = join(runDir, `${d}.pid`);
      if (existsSync(f)) this.recordProcess(Number(readFileSync(f, 'utf8').trim()), d);
    }
  }

  private async afterStep<T>(f: () => Promise<T>): Promise<T> {
    this.step();
    return f();
  }
}

/** The client's DHCP messages in a capture (what reached the server's port), not the replies. */
function clientMessages(bytes: Uint8Array, file: string): number {
  const client = new Set(['DISCOVER', 'REQUEST', 'DECLINE', 'RELEASE', 'INFORM']);
  return dhcpSightings(bytes, file, 'qdhcp').sightings.filter((s) => client.has(s.type)).length;
}

/** A veth pair whose ends are created directly inside their namespaces (never in the host's). */
function veth(a: string, nsA: string, b: string, nsB: string): Promise<unknown> {
  return execOk([
    'ip',
    'link',
    'add',
    'name',
    a,
    'netns',
    nsA,
    'type',
    'veth',
    'peer',
    'name',
    b,
    'netns',
    nsB,
  ]);
}

async function waitFor(cond: () => Promise<boolean> | boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new LabError(`timed out after ${ms} ms waiting for ${what}`);
}

/** A process as /proc shows it now: start time (clock ticks since boot) and exact argv. */
function procIdentity(pid: number): { startTime: number; cmdline: string[] } | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTime = Number(rest[22 - 3]);
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return undefined; // a zombie or a kernel thread
    return { startTime, cmdline: raw.replace(/\0$/, '').split('\0') };
  } catch {
    return undefined;
  }
}

/** The recorded process is still the one the lab started: same start time, same exact command line. */
function isRecorded(p: LabProcess): boolean {
  const id = procIdentity(p.pid);
  return (
    id !== undefined &&
    id.startTime === p.startTime &&
    id.cmdline.length === p.cmdline.length &&
    id.cmdline.every((a, i) => a === p.cmdline[i])
  );
}

function killRecorded(p: LabProcess): boolean {
  if (!isRecorded(p)) return false;
  try {
    process.kill(p.pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/**
 * Daemons whose pid file is in the lab's own tree but that were not recorded yet (`up` killed
 * between starting one and recording it): taken only when one argv word is exactly the path that
 * makes it this lab's (its database, socket or pid file), never by substring.
 */
function unrecordedDaemons(s: LabState): LabProcess[] {
  const d = s.dir;
  const marks: [string, string, string][] = [];
  for (const h of ['dom0', 'domu'])
    if (s.files.includes(h))
      marks.push(
        [join(d, h, 'run/ovsdb-server.pid'), join(d, h, 'conf.db'), 'ovsdb-server'],
        [join(d, h, 'run/ovs-vswitchd.pid'), `unix:${join(d, h, 'run/db.sock')}`, 'ovs-vswitchd'],
      );
  if (s.files.includes('neutron')) {
    const pf = join(d, 'neutron/dhcp', NET_ID, 'pid');
    marks.push([pf, `--pid-file=${pf}`, 'dnsmasq']);
  }
  if (s.files.includes('vm'))
    marks.push([join(d, 'vm/dhclient.pid'), join(d, 'vm/dhclient.pid'), 'dhclient']);
  if (s.files.includes(AGENT_DIR)) {
    const pf = join(d, AGENT_DIR, 'agent.pid');
    marks.push([pf, `--pid-file=${pf}`, 'agent']);
  }
  const out: LabProcess[] = [];
  for (const [file, word, what] of marks) {
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8').trim());
    const id = procIdentity(pid);
    if (id?.cmdline.includes(word) && !s.processes.some((p) => p.pid === pid)) out.push({ pid, ...id, what });
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // Zombies (the container's init may not reap) count as gone.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function netnsList(): Promise<string[]> {
  return (await exec(['ip', 'netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** A prefix no namespace on this machine uses yet. */
async function uniquePrefix(): Promise<string> {
  const names = await netnsList();
  for (;;) {
    const p = `vl${randomBytes(3).toString('hex')}`;
    if (!names.some((n) => n.startsWith(`${p}-`))) return p;
  }
}

/**
 * Exclusive right to work on `dir` (up, down): a lock file holding our pid and start time. A lock
 * whose holder is gone (killed mid-`up`) is taken over.
 */
function takeLock(dir: string): () => void {
  const p = join(dir, LOCK_FILE);
  const me = JSON.stringify({ pid: process.pid, startTime: procIdentity(process.pid)?.startTime ?? 0 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(p, me, { flag: 'wx' });
      return () => {
        if (existsSync(p) && readFileSync(p, 'utf8') === me) rmSync(p, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: { pid?: unknown; startTime?: unknown } = {};
      try {
        holder = JSON.parse(readFileSync(p, 'utf8'));
      } catch {
        // unreadable: treat as stale
      }
      const id = typeof holder.pid === 'number' ? procIdentity(holder.pid) : undefined;
      if (id && id.startTime === holder.startTime)
        throw new LabError(
          `another \`vifpath lab\` (pid ${holder.pid}) is working on ${dir}: wait for it to finish`,
        );
      rmSync(p, { force: true });
    }
  }
  throw new LabError(`could not lock ${dir}`);
}

/** Shell commands for what looks like a lab in `dir`, when its record cannot be trusted (never run). */
function manualCleanup(dir: string, prefix: string | undefined): string {
  const cmds: string[] = [];
  // The prefix comes from the record that cannot be trusted: it may be another, live lab's. Its
  // namespaces are named for the operator to check, never handed over as commands to run.
  if (prefix && PREFIX.test(prefix)) {
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    const named = list
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith(`${prefix}-`));
    if (named.length > 0)
      cmds.push(
        `the record names the prefix ${prefix}, and these namespaces have it: ${named.join(', ')}; delete one (ip netns del NAME) only once you know it is this lab's, not another lab's (vifpath lab status --dir <its folder>)`,
      );
  }
  const probe: LabState = {
    version: 2,
    prefix: prefix ?? 'vl000000',
    dir,
    createdDir: false,
    files: ['dom0', 'domu', 'neutron', 'vm', AGENT_DIR],
    scenario: '',
    createdAt: '',
    namespaces: [],
    processes: [],
    ready: false,
    timings: {},
    renewals: [],
  };
  for (const p of unrecordedDaemons(probe)) cmds.push(`kill ${p.pid}  # ${p.what}`);
  cmds.push(`look at ${dir} and remove it yourself`);
  return `To clean up by hand: ${cmds.join('; then ')}`;
}

/** Remove exactly what the record lists: its processes (still the same ones), namespaces, files. */
async function teardown(s: LabState): Promise<string[]> {
  const removed: string[] = [];
  const procs = [...s.processes, ...unrecordedDaemons(s)];
  for (const p of procs) if (killRecorded(p)) removed.push(`process ${p.pid} (${p.what})`);
  for (const p of procs) for (let i = 0; i < 200 && alive(p.pid) && isRecorded(p); i++) await sleep(10);
  const list = await netnsList();
  for (const ns of s.namespaces) {
    if (!list.includes(ns)) continue;
    // Deleting a namespace destroys the veth ends in it, and their peers elsewhere.
    const r = await exec(['ip', 'netns', 'del', ns]);
    if (r.rc === 0) removed.push(`namespace ${ns}`);
  }
  for (const rel of [...s.files].reverse()) {
    if (rel === STATE_FILE) continue;
    const p = join(s.dir, rel);
    if (!existsSync(p)) continue;
    rmSync(p, { recursive: true, force: true });
    removed.push(`${rel}`);
  }
  // The record last: a teardown cut short can be run again. Its temporary copy too: an `up`
  // killed while saving the record leaves it (writeState writes it, then renames it).
  rmSync(join(s.dir, `${STATE_FILE}.tmp`), { force: true });
  rmSync(join(s.dir, STATE_FILE), { force: true });
  return removed;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Everything of the lab in `dir` that still exists: for `down` and for tests. */
export async function leftovers(dir: string, prefix?: string): Promise<string[]> {
  dir = labDir(dir);
  const out: string[] = [];
  let s: LabState | undefined;
  try {
    s = readStateFile(dir);
  } catch {
    s = undefined;
  }
  const pre = prefix ?? s?.prefix;
  if (pre) for (const n of await netnsList()) if (n.startsWith(`${pre}-`)) out.push(`namespace ${n}`);
  if (s) out.push(...recordedLeft(s));
  if (existsSync(dir) && (s?.createdDir ?? true)) out.push(`directory ${dir}`);
  return [...new Set(out)];
}

/** What a record lists that still exists: its processes (the same ones) and files. */
function recordedLeft(s: LabState): string[] {
  const out: string[] = [];
  for (const p of [...s.processes, ...unrecordedDaemons(s)])
    if (alive(p.pid) && isRecorded(p)) out.push(`process ${p.pid} (${p.what})`);
  for (const rel of s.files) if (existsSync(join(s.dir, rel))) out.push(`file ${join(s.dir, rel)}`);
  return out;
}

/** What `up` built that a teardown left (read before the record went: `s` is the record in memory). */
async function builtLeft(s: LabState): Promise<string[]> {
  const list = await netnsList();
  const ns = s.namespaces.filter((n) => list.includes(n)).map((n) => `namespace ${n}`);
  return [...ns, ...recordedLeft(s).filter((x) => x !== `file ${join(s.dir, STATE_FILE)}`)];
}

/**
 * Remove every process (by pid, start time and exact command line), namespace and file the lab in
 * `dir` recorded; the directory itself only when `up` created it and it is empty then. Works on a
 * half-built or crashed lab. A record it cannot trust: exit 2, nothing removed.
 */
export async function down(dirArg = DEFAULT_DIR): Promise<{ removed: string[]; kept: string[] }> {
  requireRoot();
  const dir = labDir(dirArg);
  if (!existsSync(dir)) return { removed: [], kept: [] };
  const release = takeLock(dir);
  try {
    const s = readState(dir);
    if (!s) return { removed: [], kept: readdirSync(dir).filter((e) => e !== LOCK_FILE) };
    const removed = await teardown(s);
    release();
    const kept = readdirSync(dir);
    if (s.createdDir && kept.length === 0) {
      rmdirSync(dir);
      removed.push(`directory ${dir}`);
    }
    return { removed, kept };
  } finally {
    release();
  }
}
