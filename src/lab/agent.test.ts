// The lab L2 agent: reconcile on start (a correct port keeps its tag) against ovsdb-server, and
// the issue's two registered lab scenarios on the real lab (`Lab.up({scenario})`, what `vifpath
// lab up --scenario late-port|monitor-deaf` runs) with the VM's dhclient as the judge: late-port
// (the lab's agent process tags the VM port plugged after boot, the VM leases) and monitor-deaf
// (the agent's monitor silently loses updates: the port stays untagged, no lease, watch reports the
// stuck port while its own canary stays healthy; with the polling fallback an agent binds it by
// polling and the VM leases). `lab status --json` carries the outcome, `lab down` stops the agent.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import type { RowChange } from '../ovsdb/cache.ts';
import { OvsdbClient } from '../ovsdb/client.ts';
import { execOk } from '../runner/exec.ts';
import { ROOT } from '../testing/fixtures.ts';
import { TestOvsdbServer } from '../testing/ovsdb-server.ts';
import { StallProxy } from '../watch/stall-proxy.ts';
import { type Alert, Watcher } from '../watch/watcher.ts';
import { type AgentOptions, LabAgent, type NetworkMap } from './agent.ts';
import { down, Lab, leftovers } from './lab.ts';
import type { LabState } from './state.ts';
import { PLUG_VM_PORT, SEG_ID, VM_PORT_ID, VM_VIF } from './topology.ts';

function waitFor<T>(
  f: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  ms = 30_000,
): Promise<T> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = async (): Promise<void> => {
      const v = await f();
      if (v !== undefined && v !== false) resolve(v);
      else if (Date.now() - t0 > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(() => void tick(), 10);
    };
    void tick();
  });
}

describe('lab agent reconcile (ovsdb-server)', () => {
  const dir = join(ROOT, 'tmp/agent-test');
  let srv: TestOvsdbServer;
  beforeAll(async () => {
    srv = await TestOvsdbServer.create(dir);
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('keeps a correctly tagged port, retags a dead-VLAN one, tags a new one, installs both translation flows once', async () => {
    const ext = (id: string): string[] => [
      `external_ids:iface-id=${id}`,
      'external_ids:attached-mac=fa:16:3e:00:00:09',
      'external_ids:vm-uuid=v',
    ];
    await srv.vsctl('add-br', 'br-int', '--', 'add-br', 'br-eth1');
    await srv.vsctl('add-port', 'br-int', 'qvo-a', 'tag=7', '--', 'set', 'interface', 'qvo-a', ...ext('a'));
    await srv.vsctl(
      'add-port',
      'br-int',
      'qvo-b',
      'tag=4095',
      '--',
      'set',
      'interface',
      'qvo-b',
      ...ext('b'),
    );
    const watcher = await OvsdbClient.connect(srv.remote);
    const m = await watcher.monitor('Open_vSwitch', { Port: { columns: ['name', 'tag'] } });
    const changes: RowChange[] = [];
    m.on('change', (c) => changes.push(...c));
    const flows: string[][] = [];
    const map: NetworkMap = {
      integrationBridge: 'br-int',
      physicalBridge: 'br-eth1',
      intPatch: 'int-br-eth1',
      phyPatch: 'phy-br-eth1',
      networks: { net1: 1041 },
      defaultNetwork: 'net1',
    };
    const agent = new LabAgent({
      remote: srv.remote,
      map,
      pollMs: 0,
      ofctl: async (a) => void flows.push(a),
    });
    await agent.start();
    await agent.idle();
    expect(await srv.vsctl('get', 'port', 'qvo-b', 'tag')).toBe('7\n');
    await srv.vsctl('add-port', 'br-int', 'qvo-c', '--', 'set', 'interface', 'qvo-c', ...ext('c'));
    await waitFor(async () => (await srv.vsctl('get', 'port', 'qvo-c', 'tag')) === '7\n', 'qvo-c tagged');
    await waitFor(
      () => changes.some((c) => c.new?.name === 'qvo-c' && c.new.tag === 7),
      'the monitor seeing qvo-c tagged',
    );
    // qvo-a was right: the agent never wrote it.
    expect(changes.filter((c) => c.new?.name === 'qvo-a')).toEqual([]);
    expect(agent.bindings.map((b) => [b.port, b.tag, b.via])).toEqual([
      ['qvo-b', 7, 'reconcile'],
      ['qvo-c', 7, 'monitor'],
    ]);
    expect(flows).toEqual([
      ['add-flow', 'br-int', 'priority=3,in_port=int-br-eth1,dl_vlan=1041,actions=mod_vlan_vid:7,NORMAL'],
      ['add-flow', 'br-eth1', 'priority=4,in_port=phy-br-eth1,dl_vlan=7,actions=mod_vlan_vid:1041,NORMAL'],
    ]);
    await agent.stop();
    await watcher.close();
  });
});

describe('lab scenarios late-port and monitor-deaf (real OVS, dnsmasq, dhclient, the agent process; root)', () => {
  const dirOf = (s: string): string => join('/tmp', `vifpath-test-agent-${process.pid}-${s}`);
  const labs: Record<string, Lab> = {};
  const prefixes: Record<string, string> = {};
  const cleanups: (() => Promise<unknown>)[] = [];
  const map: NetworkMap = {
    integrationBridge: 'xapi5',
    physicalBridge: 'xapi3',
    intPatch: 'int-xapi3',
    phyPatch: 'phy-xapi3',
    networks: { tenant: SEG_ID },
    defaultNetwork: 'tenant',
  };
  const agentOpts = (lab: Lab, o: Partial<AgentOptions>): AgentOptions => ({
    remote: `unix:${lab.ovs('dom0').dbSock}`,
    map,
    pollMs: 0,
    ofctl: async (args) => void (await execOk(['ovs-ofctl', ...args], { env: lab.ovs('dom0').env })),
    ...o,
  });
  /** The VM port plugged again, untagged, the way the lab plugs it after boot. */
  const plug = (lab: Lab): Promise<string> => lab.ovs('dom0').vsctl(...PLUG_VM_PORT);
  const unplug = (lab: Lab): Promise<string> =>
    lab.ovs('dom0').vsctl('--if-exists', 'del-port', 'xapi5', VM_VIF);
  const tag = async (lab: Lab): Promise<string> =>
    (await lab.ovs('dom0').vsctl('get', 'port', VM_VIF, 'tag')).trim();
  /** What `vifpath lab status --json` says. */
  const status = async (dir: string): Promise<LabState & { expectLease: boolean }> => {
    const out: string[] = [];
    expect(await main(['lab', 'status', '--dir', dir, '--json'], (x) => out.push(x))).toBe(0);
    return JSON.parse(out.join(''));
  };
  const alive = (pid: number): boolean => {
    try {
      return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    // Both labs at once: each waits on its own DHCP client and agent more than on the CPU.
    await Promise.all(
      ['late-port', 'monitor-deaf'].map(async (s) => {
        const lab = await Lab.up({ dir: dirOf(s), scenario: s, dhcpTimeout: 2 });
        labs[s] = lab;
        prefixes[s] = lab.state.prefix;
      }),
    );
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    for (const s of ['late-port', 'monitor-deaf']) {
      await down(dirOf(s));
      expect(await leftovers(dirOf(s), prefixes[s])).toEqual([]);
    }
  });

  it('late-port: the lab agent tags vif16.0 plugged after boot, the VM leases; status --json says so; lab down stops the agent', async () => {
    const dir = dirOf('late-port');
    const st = await status(dir);
    expect(st).toMatchObject({
      scenario: 'late-port',
      ready: true,
      expectLease: true,
      latePort: { agentMonitor: 'ok', tag: 1 },
    });
    expect(st.latePort!.bindMs).toBeGreaterThanOrEqual(0);
    expect(st.renewals.map((r) => r.lease)).toEqual(['10.0.0.3']);
    const agent = st.processes.find((p) => p.what === 'agent')!;
    expect(agent.pid).toBe(st.latePort!.agentPid);
    expect(agent.cmdline).toContain('agent');
    expect(alive(agent.pid)).toBe(true);
    const log = readFileSync(join(dir, st.latePort!.agentLog), 'utf8');
    expect(log).toMatch(/ agent: bound vif16\.0 to tenant: tag 1 \(was untagged; via monitor\)/);
    console.log(`late-port: plug → tag ${st.latePort!.bindMs} ms; lease in ${st.renewals[0]!.durationMs} ms`);
    const out: string[] = [];
    expect(await main(['lab', 'down', '--dir', dir], (x) => out.push(x))).toBe(0);
    expect(out.join('')).toContain(`process ${agent.pid} (agent)`);
    expect(alive(agent.pid)).toBe(false);
  });

  it('monitor-deaf: the port stays untagged, no lease, watch alerts it with a healthy canary; the polling fallback binds it and the VM leases', async () => {
    const lab = labs['monitor-deaf']!;
    const st = await status(lab.dir);
    expect(st).toMatchObject({
      scenario: 'monitor-deaf',
      expectLease: false,
      latePort: { agentMonitor: 'deaf', tag: null, bindMs: null },
    });
    expect(st.renewals).toHaveLength(1);
    expect(st.renewals[0]).toMatchObject({ lease: null, dnsmasq: { discovers: 0 } });
    expect(st.renewals[0]!.discovers).toBeGreaterThan(0);
    expect(alive(st.latePort!.agentPid)).toBe(true);
    // The agent process is up and its monitor connected; it never heard of the port.
    const log = readFileSync(join(lab.dir, st.latePort!.agentLog), 'utf8');
    expect(log).toMatch(/ agent: started .*which drops every update/);
    expect(log).not.toMatch(/ bound /);
    expect(await tag(lab)).toBe('[]');

    const alerts: Alert[] = [];
    const w = new Watcher([{ name: 'dom0', remote: `unix:${lab.ovs('dom0').dbSock}` }], {
      graceMs: 1000,
      pollMs: 500,
      canaryMs: 250,
      onAlert: (a) => alerts.push(a),
    });
    cleanups.push(() => w.stop());
    await w.start();
    const stuck = await waitFor(
      () => alerts.find((a) => a.kind === 'stuck' && a.port === VM_VIF),
      'watch: stuck',
    );
    expect(stuck).toMatchObject({
      host: 'dom0',
      ifaceId: VM_PORT_ID,
      waitingFor: ['tag (untagged)'],
      evidence: { bridge: 'xapi5', tag: null, ofport: 2 },
    });
    // watch's own eyes are fine all along: canary round trips, never deaf.
    await waitFor(() => w.eyes.get('dom0')?.canaryRttMs !== undefined, 'a canary round trip');
    expect(alerts.filter((a) => a.kind === 'monitor-deaf')).toEqual([]);
    expect(await tag(lab)).toBe('[]');
    await w.stop();

    // The same deaf monitor, with the polling fallback: the poll sees the port, the agent binds it.
    await unplug(lab);
    const proxy = await StallProxy.start(
      join(lab.dir, 'agent', 'fallback-monitor.sock'),
      lab.ovs('dom0').dbSock,
    );
    cleanups.push(() => proxy.close());
    proxy.setMode('drop-updates');
    const fallback = new LabAgent(agentOpts(lab, { monitorRemote: proxy.remote, pollMs: 300 }));
    cleanups.push(() => fallback.stop());
    await fallback.start();
    const t1 = Date.now();
    await plug(lab);
    await waitFor(async () => (await tag(lab)) === '1', 'the fallback to tag the port');
    const fallbackMs = Date.now() - t1;
    expect(fallback.bindings.at(-1)).toMatchObject({ port: VM_VIF, tag: 1, via: 'poll' });
    expect(fallback.eyes.deafEpisodes).toBeGreaterThanOrEqual(1);
    expect(proxy.dropped).toBeGreaterThan(0);
    const r2 = await lab.renew();
    expect(r2.lease).toBe('10.0.0.3');
    console.log(
      `monitor-deaf: fallback (poll 300 ms) tagged it ${fallbackMs} ms after plug; lease in ${r2.durationMs} ms`,
    );
    await fallback.stop();
  });
});
