// The lab L2 agent: reconcile on start (a correct port keeps its tag) against ovsdb-server, and
// the two lab scenarios on the real lab with the VM's dhclient as the judge:
// late-port (a VM port created after boot is tagged by the agent, the VM leases) and
// monitor-deaf (the agent's monitor silently loses updates: the port stays untagged, no lease,
// watch reports the stuck port while its own canary stays healthy; with the polling fallback the
// agent binds it by polling and the VM leases).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowChange } from '../ovsdb/cache.ts';
import { OvsdbClient } from '../ovsdb/client.ts';
import { execOk } from '../runner/exec.ts';
import { ROOT } from '../testing/fixtures.ts';
import { TestOvsdbServer } from '../testing/ovsdb-server.ts';
import { StallProxy } from '../watch/stall-proxy.ts';
import { type Alert, Watcher } from '../watch/watcher.ts';
import { type AgentOptions, LabAgent, type NetworkMap } from './agent.ts';
import { down, Lab, leftovers } from './lab.ts';
import { SEG_ID, VM_MAC, VM_PORT_ID, VM_VIF } from './topology.ts';

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

describe('lab scenarios late-port and monitor-deaf (real OVS, dnsmasq, dhclient; root)', () => {
  const dir = join('/tmp', `vifpath-test-agent-${process.pid}`);
  let lab: Lab;
  let prefix: string | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  const map: NetworkMap = {
    integrationBridge: 'xapi5',
    physicalBridge: 'xapi3',
    intPatch: 'int-xapi3',
    phyPatch: 'phy-xapi3',
    networks: { tenant: SEG_ID },
    defaultNetwork: 'tenant',
  };
  const agentOpts = (o: Partial<AgentOptions>): AgentOptions => ({
    remote: `unix:${lab.ovs('dom0').dbSock}`,
    map,
    pollMs: 0,
    ofctl: async (args) => void (await execOk(['ovs-ofctl', ...args], { env: lab.ovs('dom0').env })),
    ...o,
  });
  /** The VM port appears after boot, untagged, the way Nova/XAPI plug it. */
  const plug = (): Promise<string> =>
    lab
      .ovs('dom0')
      .vsctl(
        'add-port',
        'xapi5',
        VM_VIF,
        '--',
        'set',
        'interface',
        VM_VIF,
        'ofport_request=2',
        `external_ids:iface-id=${VM_PORT_ID}`,
        `external_ids:attached-mac=${VM_MAC}`,
        'external_ids:xs-vif-uuid=0f3a2c1e-0000-4000-8000-000000000016',
      );
  const unplug = (): Promise<string> => lab.ovs('dom0').vsctl('--if-exists', 'del-port', 'xapi5', VM_VIF);
  const tag = async (): Promise<string> => (await lab.ovs('dom0').vsctl('get', 'port', VM_VIF, 'tag')).trim();

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    lab = await Lab.up({ dir, scenario: 'healthy', dhcpTimeout: 2 });
    prefix = lab.state.prefix;
    await unplug(); // boot without the VM's port: it comes later
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await down(dir);
    expect(await leftovers(dir, prefix)).toEqual([]);
  });

  it('late-port: the agent tags a VM port created after boot and the VM leases', async () => {
    const agent = new LabAgent(agentOpts({}));
    cleanups.push(() => agent.stop());
    await agent.start();
    const t0 = Date.now();
    await plug();
    await waitFor(async () => (await tag()) === '1', 'the agent to tag the port');
    const bindMs = Date.now() - t0;
    expect(agent.bindings.at(-1)).toMatchObject({ port: VM_VIF, tag: 1, via: 'monitor' });
    const r = await lab.renew();
    expect(r.lease).toBe('10.0.0.3');
    console.log(
      `late-port: plug → tag visible ${bindMs} ms (incl. ovs-vsctl round trips); dhclient lease in ${r.durationMs} ms`,
    );
    await agent.stop();
    await unplug();
  });

  it('monitor-deaf: the port stays untagged, no lease, watch alerts it with a healthy canary; the polling fallback binds it and the VM leases', async () => {
    const proxy = await StallProxy.start(join(dir, 'agent-monitor.sock'), lab.ovs('dom0').dbSock);
    cleanups.push(() => proxy.close());
    const alerts: Alert[] = [];
    const w = new Watcher([{ name: 'dom0', remote: `unix:${lab.ovs('dom0').dbSock}` }], {
      graceMs: 1000,
      pollMs: 500,
      canaryMs: 250,
      onAlert: (a) => alerts.push(a),
    });
    cleanups.push(() => w.stop());
    await w.start();
    // The seed's agent: a monitor that silently stops delivering, and no polling fallback.
    const deaf = new LabAgent(agentOpts({ monitorRemote: proxy.remote, pollMs: 0 }));
    await deaf.start();
    proxy.setMode('drop-updates');
    const t0 = Date.now();
    await plug();
    const stuck = await waitFor(
      () => alerts.find((a) => a.kind === 'stuck' && a.port === VM_VIF),
      'watch: stuck',
    );
    const alertMs = Date.parse(stuck.at) - t0;
    expect(stuck).toMatchObject({
      host: 'dom0',
      ifaceId: VM_PORT_ID,
      waitingFor: ['tag (untagged)'],
      evidence: { bridge: 'xapi5', tag: null, ofport: 2 },
    });
    expect(await tag()).toBe('[]');
    expect(deaf.bindings).toEqual([]);
    const r = await lab.renew();
    expect(r.lease).toBeNull();
    expect(r.discovers).toBeGreaterThan(0);
    // watch's own eyes were fine all along: canary round trips, never deaf.
    expect(w.eyes.get('dom0')?.canaryRttMs).toBeDefined();
    expect(alerts.filter((a) => a.kind === 'monitor-deaf')).toEqual([]);
    await deaf.stop();

    // The same deaf monitor, with the polling fallback: the poll sees the port, the agent binds it.
    await unplug();
    const fallback = new LabAgent(agentOpts({ monitorRemote: proxy.remote, pollMs: 300 }));
    cleanups.push(() => fallback.stop());
    await fallback.start();
    const t1 = Date.now();
    await plug();
    await waitFor(async () => (await tag()) === '1', 'the fallback to tag the port');
    const fallbackMs = Date.now() - t1;
    expect(fallback.bindings.at(-1)).toMatchObject({ port: VM_VIF, tag: 1, via: 'poll' });
    expect(fallback.eyes.deafEpisodes).toBeGreaterThanOrEqual(1);
    const r2 = await lab.renew();
    expect(r2.lease).toBe('10.0.0.3');
    console.log(
      `monitor-deaf: watch alerted the stuck port ${alertMs} ms after plug (grace 1000 ms); fallback (poll 300 ms) tagged it ${fallbackMs} ms after plug; lease in ${r2.durationMs} ms`,
    );
  });
});
