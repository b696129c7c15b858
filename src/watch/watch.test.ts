// watch against a real ovsdb-server: stuck, bound and lost-tag ports, a deaf monitor caught by the
// poll and by the canary, an ovsdb-server kill -9 + restart, nudge seen by ovsdb-client monitor
// (the way Neutron's agent watches), ofport -1 and interface errors (set in the database, and made by
// a real ovs-vswitchd that cannot open a device), and the CLI: --once exit codes, --exec, --metrics,
// --nudge, bad endpoints, kill -9 of watch itself (the alert repeated, marked as a repeat).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/main.ts';
import { OvsInstance } from '../lab/ovs-instance.ts';
import { startVifpath } from '../testing/cli.ts';
import { ROOT } from '../testing/fixtures.ts';
import { TestOvsdbServer } from '../testing/ovsdb-server.ts';
import { awaitsBinding, isVmPort } from './port-role.ts';
import { StallProxy } from './stall-proxy.ts';
import { type Alert, alertLine, alertText, Watcher, type WatchOptions } from './watcher.ts';

const DIR = join(ROOT, 'tmp/watch-test');
const cleanups: (() => Promise<unknown> | unknown)[] = [];
let n = 0;

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

async function server(): Promise<TestOvsdbServer> {
  const s = await TestOvsdbServer.create(join(DIR, `db${++n}`));
  cleanups.push(() => s.stop());
  await s.vsctl('add-br', 'br-int');
  return s;
}

function waitFor<T>(f: () => T | undefined | false, what: string, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = f();
      if (v !== undefined && v !== false) resolve(v);
      else if (Date.now() - t0 > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

const NEUTRON = (id: string): string[] => [
  `external_ids:iface-id=${id}`,
  'external_ids:attached-mac=fa:16:3e:00:00:01',
  `external_ids:vm-uuid=vm-${id}`,
];

/** ovs-vsctl add-port with Neutron's keys; tag when given. */
function addVm(s: TestOvsdbServer, name: string, tag?: number, ext = NEUTRON(`id-${name}`)): Promise<string> {
  return s.vsctl(
    'add-port',
    'br-int',
    name,
    ...(tag !== undefined ? [`tag=${tag}`] : []),
    '--',
    'set',
    'interface',
    name,
    ...ext,
  );
}

async function watcher(
  hosts: ConstructorParameters<typeof Watcher>[0],
  o: Partial<WatchOptions> = {},
): Promise<{ w: Watcher; alerts: Alert[] }> {
  const alerts: Alert[] = [];
  const w = new Watcher(hosts, { graceMs: 300, pollMs: 0, onAlert: (a) => alerts.push(a), ...o });
  cleanups.push(() => w.stop());
  await w.start();
  return { w, alerts };
}

const find = (alerts: Alert[], kind: string, port?: string): Alert | undefined =>
  alerts.find((a) => a.kind === kind && (port === undefined || a.port === port));

describe('port role', () => {
  it.each([
    ['vif16.0', {}, true],
    ['vif0.1', {}, false],
    ['vif16.0x', {}, false],
    ['qvo3f1c9a2e-7b', { 'iface-id': 'x', 'attached-mac': 'm', 'vm-uuid': 'v' }, true],
    ['tap3f1c9a2e-7b', { 'iface-id': 'x', 'attached-mac': 'm', 'xs-vif-uuid': 'v' }, true],
    ['tap7b39ecad-81', { 'iface-id': 'x', 'attached-mac': 'm', 'iface-status': 'active' }, false],
    ['eth1', { 'vm-uuid': 'v' }, false],
  ])('%s %j → %s', (name, externalIds, vm) => {
    expect(isVmPort({ name, externalIds })).toBe(vm);
    expect(awaitsBinding({ name, externalIds })).toBe(vm && 'iface-id' in externalIds);
  });
});

describe('watch (library) against ovsdb-server', () => {
  it('alerts a stuck VM port after the grace, says when it is bound, and when a bound port loses its tag', async () => {
    const s = await server();
    await addVm(s, 'qvo-bound', 5);
    await s.vsctl(
      'add-port',
      'br-int',
      'tap-dhcp',
      '--',
      'set',
      'interface',
      'tap-dhcp',
      'external_ids:iface-id=d',
      'external_ids:attached-mac=m',
    );
    await s.vsctl('add-port', 'br-int', 'vif0.1');
    await s.vsctl('add-port', 'br-int', 'vif15.1'); // a guest's vif without Neutron's iface-id: a trunk, nobody's to tag
    const { w, alerts } = await watcher([{ name: 'h1', remote: s.remote }]);
    const t0 = Date.now();
    await addVm(s, 'vif7.0');
    const stuck = await waitFor(() => find(alerts, 'stuck', 'vif7.0'), 'stuck alert');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300); // never before the grace
    expect(stuck).toMatchObject({
      host: 'h1',
      ifaceId: 'id-vif7.0',
      waitingFor: ['tag (untagged)'],
      evidence: { bridge: 'br-int', tag: null },
    });
    expect(stuck.waitingMs).toBeGreaterThanOrEqual(300);
    expect(w.metrics()).toContain('vifpath_watch_ports{host="h1",state="stuck"} 1');
    await s.vsctl('set', 'port', 'vif7.0', 'tag=3');
    const bound = await waitFor(() => find(alerts, 'bound', 'vif7.0'), 'bound');
    expect(bound.evidence).toMatchObject({ tag: 3 });
    await s.vsctl('set', 'port', 'qvo-bound', 'tag=4095');
    const lost = await waitFor(() => find(alerts, 'lost-tag', 'qvo-bound'), 'lost-tag');
    expect(lost.waitingFor).toEqual(['a usable tag (4095 is the dead VLAN)']);
    // The DHCP tap (no VM id), Dom0's own vif0.1 and the iface-id-less vif15.1: never alerted.
    expect(alerts.filter((a) => ['tap-dhcp', 'vif0.1', 'vif15.1'].includes(a.port ?? ''))).toEqual([]);
    const m = w.metrics();
    expect(m).toContain('vifpath_watch_bind_latency_seconds_count 1');
    expect(m).toContain('vifpath_watch_ports{host="h1",state="seen"} 2');
  });

  it('a monitor that drops updates (echo still answered) is called deaf by the poll; the port is still alerted; its resync is no proof: ok only once it reports a change by itself', async () => {
    const s = await server();
    const proxy = await StallProxy.start(join(DIR, `proxy${++n}.sock`), s.sock);
    cleanups.push(() => proxy.close());
    const { w, alerts } = await watcher([{ name: 'h', remote: s.remote, monitorRemote: proxy.remote }], {
      pollMs: 150,
      graceMs: 400,
    });
    proxy.setMode('drop-updates');
    const t0 = Date.now();
    await addVm(s, 'vif9.0');
    const deaf = await waitFor(() => find(alerts, 'monitor-deaf'), 'monitor-deaf');
    const detectMs = Date.parse(deaf.at) - t0;
    expect(deaf.message).toMatch(
      /has not reported it; resyncing it \(ok again only once it reports a change by itself\)/,
    );
    // The port reached watch through the polls although the monitor never said a word of it.
    expect(proxy.dropped).toBeGreaterThan(0);
    const stuck = await waitFor(() => find(alerts, 'stuck', 'vif9.0'), 'stuck via polls');
    expect(stuck.waitingFor).toEqual(['tag (untagged)']);
    // Its own resync has run and the polls agree with the fresh replica: still deaf, and the
    // resync's reconnection was no "connection lost".
    const e = w.eyes.get('h')!;
    await waitFor(() => e.monitorClient!.reconnects >= 1, 'the resync');
    const polls = e.polls;
    await waitFor(() => e.polls >= polls + 3, 'three polls after the resync');
    const sinceDeaf = (): Alert[] => alerts.slice(alerts.indexOf(deaf) + 1);
    expect(sinceDeaf().filter((a) => a.kind.startsWith('monitor-'))).toEqual([]);
    expect(e.state).toBe('deaf');
    // Updates come through again, but nothing changed: nothing proves it yet.
    proxy.setMode('pass');
    const p2 = e.polls;
    await waitFor(() => e.polls >= p2 + 3, 'three polls with updates passing');
    expect(sinceDeaf().filter((a) => a.kind.startsWith('monitor-'))).toEqual([]);
    // The next change arrives as an update: that is the proof.
    await s.vsctl('set', 'port', 'vif9.0', 'tag=2');
    const ok = await waitFor(() => sinceDeaf().find((a) => a.kind === 'monitor-ok'), 'monitor-ok');
    expect(ok.message).toMatch(
      /^OVSDB monitor ok: monitor reported a change of (Port|Interface) \S+ by itself and agrees with the poll again$/,
    );
    await waitFor(() => find(alerts, 'bound', 'vif9.0'), 'bound');
    expect(sinceDeaf().filter((a) => a.kind === 'monitor-down' || a.kind === 'monitor-deaf')).toEqual([]);
    expect(e.deafEpisodes).toBe(1);
    console.log(`deaf monitor detected ${detectMs} ms after the missed change (poll 150 ms)`);
  });

  it('on a quiet system the canary catches a deaf monitor; DEAF holds through its resync and every canary round until a canary comes back as an update; its key is removed on stop', async () => {
    const s = await server();
    const proxy = await StallProxy.start(join(DIR, `proxy${++n}.sock`), s.sock);
    cleanups.push(() => proxy.close());
    const { w, alerts } = await watcher([{ name: 'q', remote: s.remote, monitorRemote: proxy.remote }], {
      canaryMs: 150,
      pollMs: 100,
    });
    const e = w.eyes.get('q')!;
    await waitFor(() => e.canaryRttMs !== undefined, 'a canary round trip');
    expect(w.metrics()).toMatch(/vifpath_watch_canary_rtt_seconds\{host="q"\} \d/);
    expect(await s.vsctl('get', 'Open_vSwitch', '.', 'external_ids')).toContain('vifpath-canary-');
    proxy.setMode('drop-updates');
    const deaf = await waitFor(() => find(alerts, 'monitor-deaf'), 'canary deafness');
    expect(deaf.message).toMatch(/canary .* never reported by the monitor; resyncing it/);
    // The review's flapping (DEAF, then 2 ms later OK "agrees with the poll again", every round):
    // three more canaries dropped, the resync done, polls agreeing with its replica — still DEAF.
    await waitFor(() => e.monitorClient!.reconnects >= 1, 'the resync');
    const dropped = proxy.dropped;
    await waitFor(() => proxy.dropped >= dropped + 3, 'three more canaries dropped');
    const sinceDeaf = (): Alert[] => alerts.slice(alerts.indexOf(deaf) + 1);
    expect(sinceDeaf()).toEqual([]);
    expect(e.state).toBe('deaf');
    expect(w.metrics()).toContain('vifpath_watch_monitor_state{host="q",state="deaf"} 1');
    proxy.setMode('pass');
    const ok = await waitFor(() => sinceDeaf().find((a) => a.kind === 'monitor-ok'), 'monitor-ok');
    expect(ok.message).toMatch(
      /^OVSDB monitor ok: monitor reported the canary vifpath-canary-\d+=\d+-\d+ by itself and agrees with the poll again$/,
    );
    expect(sinceDeaf().map((a) => a.kind)).toEqual(['monitor-ok']);
    await w.stop();
    expect(await s.vsctl('get', 'Open_vSwitch', '.', 'external_ids')).not.toContain('vifpath-canary');
  });

  it('since and how long: a port there before watch is "at least" (existed when watch started), one created while watching counts from its first sighting; the alert says what to do, names quoted', async () => {
    const s = await server();
    // Waiting before watch started: OVSDB keeps no creation time.
    await addVm(s, 'vif20.0');
    const tStart = Date.now();
    const diagnose = { operands: ['lab:dom0'], options: ['--lab-dir', '/tmp/my lab'] };
    const { w, alerts } = await watcher([{ name: 'h', remote: s.remote, diagnose }], { graceMs: 300 });
    const old = await waitFor(() => find(alerts, 'stuck', 'vif20.0'), 'stuck (there before watch)');
    expect(old.sinceAtLeast).toBe(true);
    expect(Date.parse(old.since!)).toBeGreaterThanOrEqual(tStart);
    expect(old.message).toMatch(
      /^stuck for at least \d+(\.\d)? m?s \(existed when watch started\), waiting for tag \(untagged\)$/,
    );
    expect(alertLine(old)).toContain(` since<=${old.since} stuck for at least `);
    // Created while watching: since is the monitor's first sighting of the new row.
    const tAdd = Date.now();
    await addVm(s, "vm port'21", undefined, NEUTRON("id 'x'"));
    const fresh = await waitFor(() => find(alerts, 'stuck', "vm port'21"), 'stuck (created while watching)');
    expect(fresh.sinceAtLeast).toBeUndefined();
    expect(Date.parse(fresh.since!)).toBeGreaterThanOrEqual(tAdd);
    expect(fresh.message).toMatch(
      /^stuck for \d+(\.\d)? m?s since it appeared, waiting for tag \(untagged\)$/,
    );
    expect(alertLine(fresh)).toContain(` since=${fresh.since} stuck for `);
    // What to do: read-only looks first, then what changes state; every name from OVSDB quoted.
    expect(fresh.next).toEqual([
      String.raw`vifpath diagnose lab:dom0 --lab-dir '/tmp/my lab' --vm 'vm port'\''21'   # read-only: the drop flow, the tag the flows expect, why, and the fix`,
      String.raw`ovs-vsctl --columns=name,tag,other_config list Port 'vm port'\''21'; ovs-vsctl get Interface 'vm port'\''21' external_ids   # read-only, on h: the agent writes net_uuid/segmentation_id in other_config when it binds a port; iface-id is what it asks the Neutron server about`,
      String.raw`grep 'id '\''x'\''' /var/log/neutron/openvswitch-agent.log   # read-only, on the host running neutron-openvswitch-agent: did its OVSDB monitor report the port, did fetching its details (RPC) fail?`,
      'systemctl restart neutron-openvswitch-agent   # changes state, on the host running neutron-openvswitch-agent: it reprocesses every port and tags this one (devstack: restart q-agt)',
      String.raw`# or now, on h (changes state): ovs-vsctl set Port 'vm port'\''21' tag=<the local VLAN diagnose derives from the flows: watch has no flows>`,
    ]);
    expect(alertText(fresh).split('\n')).toEqual([alertLine(fresh), ...fresh.next!.map((l) => `    ${l}`)]);
    // Bound: the same two ways of counting; only the wait with a known start is a bind latency.
    await s.vsctl('set', 'port', 'vif20.0', 'tag=3');
    await s.vsctl('set', 'port', "vm port'21", 'tag=3');
    const b20 = await waitFor(() => find(alerts, 'bound', 'vif20.0'), 'vif20.0 bound');
    const b21 = await waitFor(() => find(alerts, 'bound', "vm port'21"), 'vm port bound');
    expect(b20.message).toMatch(
      /^now bound \(tag 3\) after at least \d+(\.\d)? m?s \(existed when watch started\)$/,
    );
    expect(b21.message).toMatch(/^now bound \(tag 3\) after \d+(\.\d)? m?s since it appeared$/);
    expect(b20.next).toBeUndefined();
    expect(w.metrics()).toContain('vifpath_watch_bind_latency_seconds_count 1');
    // Losing the tag later is seen happen: counted from then, and the dead VLAN adds the binding look.
    await s.vsctl('set', 'port', 'vif20.0', 'tag=4095');
    const lost = await waitFor(() => find(alerts, 'lost-tag', 'vif20.0'), 'lost-tag');
    expect(lost.sinceAtLeast).toBeUndefined();
    expect(lost.message).toMatch(/^lost its tag for \d+(\.\d)? m?s, waiting for a usable tag/);
    expect(lost.next).toContain(
      'openstack port show -c binding_vif_type -c binding_host_id id-vif20.0   # read-only: binding_failed, or bound to a host other than h',
    );
  });

  it('survives ovsdb-server kill -9 + restart: a port added while it was down is alerted after the resync', async () => {
    const s = await server();
    const { alerts } = await watcher([{ name: 'r', remote: s.remote }], { pollMs: 200 });
    await addVm(s, 'vif3.0');
    await waitFor(() => find(alerts, 'stuck', 'vif3.0'), 'stuck before the restart');
    await s.kill();
    await waitFor(() => find(alerts, 'monitor-down'), 'monitor-down');
    await s.offlineTransact([
      {
        op: 'insert',
        table: 'Interface',
        row: { name: 'vif4.0', external_ids: ['map', [['iface-id', 'id-vif4.0']]] },
        'uuid-name': 'i',
      },
      {
        op: 'insert',
        table: 'Port',
        row: { name: 'vif4.0', interfaces: ['named-uuid', 'i'] },
        'uuid-name': 'p',
      },
      {
        op: 'mutate',
        table: 'Bridge',
        where: [['name', '==', 'br-int']],
        mutations: [['ports', 'insert', ['set', [['named-uuid', 'p']]]]],
      },
    ]);
    await s.start();
    await waitFor(() => find(alerts, 'stuck', 'vif4.0'), 'stuck after the restart');
    // vif3.0's alert stands (same waiting episode): not alerted twice by the same watch.
    expect(alerts.filter((a) => a.kind === 'stuck' && a.port === 'vif3.0')).toHaveLength(1);
  });

  it('--nudge touches the stuck Interface: a Neutron-style `ovsdb-client monitor Interface name,ofport,external_ids` reports it', async () => {
    const s = await server();
    const peer = spawn(
      'ovsdb-client',
      ['monitor', s.remote, 'Open_vSwitch', 'Interface', 'name,ofport,external_ids', '--format=json'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    cleanups.push(() => peer.kill('SIGKILL'));
    let seen = '';
    peer.stdout.on('data', (b: Buffer) => {
      seen += b.toString();
    });
    await waitFor(() => seen.length > 0, 'ovsdb-client monitor initial rows');
    const { alerts } = await watcher([{ name: 'n', remote: s.remote }], {
      nudge: true,
      nudgeIntervalMs: 60_000,
    });
    await addVm(s, 'vif5.0');
    const nudge = await waitFor(() => find(alerts, 'nudge', 'vif5.0'), 'nudge');
    expect(nudge.message).toMatch(/^nudged: set Interface external_ids:vifpath-nudge=/);
    await waitFor(() => seen.includes('vifpath-nudge'), 'the peer monitor reporting the nudge');
    // Rate limit: one nudge per port per interval.
    expect(alerts.filter((a) => a.kind === 'nudge')).toHaveLength(1);
  });
});

/** The alerts about one port, as kinds in order. */
const kindsOf = (alerts: Alert[], port: string): string[] =>
  alerts.filter((a) => a.port === port).map((a) => a.kind);

const OFPORT = 'an ofport (-1: OVS could not open the device)';

describe('watch: ofport -1 and interface errors', () => {
  it('a tagged port with ofport -1, and one with an interface error: each alerted once after the grace, then bound when cleared', async () => {
    const s = await server();
    const { alerts } = await watcher([{ name: 'e', remote: s.remote }], { graceMs: 300 });
    const err = 'could not open network device vif13.0 (No such device)';
    await s.vsctl(
      'add-port',
      'br-int',
      'vif12.0',
      'tag=1',
      '--',
      'set',
      'interface',
      'vif12.0',
      'ofport=-1',
      ...NEUTRON('id-12'),
    );
    await s.vsctl(
      'add-port',
      'br-int',
      'vif13.0',
      'tag=1',
      '--',
      'set',
      'interface',
      'vif13.0',
      `error="${err}"`,
      ...NEUTRON('id-13'),
    );
    const a12 = await waitFor(() => find(alerts, 'stuck', 'vif12.0'), 'vif12.0 stuck');
    const a13 = await waitFor(() => find(alerts, 'stuck', 'vif13.0'), 'vif13.0 stuck');
    expect(a12).toMatchObject({
      ifaceId: 'id-12',
      waitingFor: [OFPORT],
      evidence: { tag: 1, ofport: -1, error: null },
    });
    expect(a13).toMatchObject({
      ifaceId: 'id-13',
      waitingFor: [`no interface error (${err})`],
      evidence: { tag: 1, error: err },
    });
    await s.vsctl('set', 'interface', 'vif12.0', 'ofport=2');
    await s.vsctl('clear', 'interface', 'vif13.0', 'error');
    await waitFor(() => find(alerts, 'bound', 'vif12.0') && find(alerts, 'bound', 'vif13.0'), 'both bound');
    expect(kindsOf(alerts, 'vif12.0')).toEqual(['stuck', 'bound']);
    expect(kindsOf(alerts, 'vif13.0')).toEqual(['stuck', 'bound']);
  });

  it('cleared within the grace: seen waiting for them, never alerted', async () => {
    const s = await server();
    const { w, alerts } = await watcher([{ name: 'g', remote: s.remote }], { graceMs: 600_000 });
    await s.vsctl(
      'add-port',
      'br-int',
      'vif12.1',
      'tag=1',
      '--',
      'set',
      'interface',
      'vif12.1',
      'ofport=-1',
      ...NEUTRON('id-12'),
    );
    await s.vsctl(
      'add-port',
      'br-int',
      'vif13.1',
      'tag=1',
      '--',
      'set',
      'interface',
      'vif13.1',
      'error="boom"',
      ...NEUTRON('id-13'),
    );
    const waiting = await waitFor(() => {
      const all = w.waiting().all;
      return all.length === 2 && all;
    }, 'both waiting');
    expect(Object.fromEntries(waiting.map((a) => [a.port, a.waitingFor]))).toEqual({
      'vif12.1': [OFPORT],
      'vif13.1': ['no interface error (boom)'],
    });
    await s.vsctl('set', 'interface', 'vif12.1', 'ofport=3');
    await s.vsctl('clear', 'interface', 'vif13.1', 'error');
    await waitFor(() => w.waiting().all.length === 0, 'nothing waiting');
    expect(alerts.filter((a) => a.port !== undefined)).toEqual([]);
  });

  it('real ovs-vswitchd: a VM port whose device does not exist gets ofport -1 and an error from OVS; watch alerts both, once', async () => {
    const ovs = await OvsInstance.start({ dir: join(DIR, `ovs${++n}`), netns: `vpw${process.pid}` });
    cleanups.push(() => ovs.stop());
    await ovs.vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev');
    const { alerts } = await watcher([{ name: 'v', remote: `unix:${ovs.dbSock}` }], { graceMs: 300 });
    await ovs.vsctl(
      'add-port',
      'br-int',
      'vif17.0',
      'tag=1',
      '--',
      'set',
      'interface',
      'vif17.0',
      ...NEUTRON('id-17'),
    );
    const a = await waitFor(() => find(alerts, 'stuck', 'vif17.0'), 'vif17.0 stuck').catch(
      async (e: Error) => {
        throw new Error(
          `${e.message}: alerts ${JSON.stringify(alerts)}; ${await ovs.vsctl('--columns=name,ofport,error,external_ids', 'list', 'interface')}`,
        );
      },
    );
    expect(a.waitingFor?.[0]).toBe(OFPORT);
    expect(a.waitingFor?.[1]).toMatch(/^no interface error \(could not open network device vif17\.0/);
    expect(a.evidence).toMatchObject({ tag: 1, ofport: -1 });
    expect(kindsOf(alerts, 'vif17.0')).toEqual(['stuck']);
  });
});

function cli(args: string[]): {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
} {
  const { child, stdout, stderr } = startVifpath(args);
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exit;
  });
  return { child, out: stdout, err: stderr, exit };
}

describe('vifpath watch (CLI)', () => {
  it('bad endpoints: exit 2 with one line', async () => {
    const bad = ['bogus', 'tcp:host', 'lab:vm', 'ssh://root@dom0?sudo', 'unix:/nonexistent/db.sock'];
    for (const argv of [...bad.map((b) => ['watch', b, '--once']), ['agent', 'unix:/nonexistent/db.sock']]) {
      const err: string[] = [];
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
        err.push(String(s));
        return true;
      });
      try {
        expect(await main(argv, () => undefined)).toBe(2);
      } finally {
        spy.mockRestore();
      }
      expect(err.join('').trim().split('\n')).toHaveLength(1);
      expect(err.join('')).toMatch(/^vifpath: /);
    }
  });

  it('--once: exit 1 and the stuck port as JSON; exit 0 when every VM port is bound; --exec gets each alert on stdin', async () => {
    const s = await server();
    await addVm(s, 'vif6.0', 1);
    const ok: string[] = [];
    expect(await main(['watch', `dom0=${s.remote}`, '--once', '--grace', '0.2'], (x) => ok.push(x))).toBe(0);
    expect(ok.join('')).toMatch(/no stuck VM port on dom0/);
    await addVm(s, 'vif6.1');
    const hook = join(DIR, 'hook.jsonl');
    const out: string[] = [];
    const code = await main(
      ['watch', `dom0=${s.remote}`, '--once', '--grace', '0.2', '--json', '--exec', `cat >> '${hook}'`],
      (x) => out.push(x),
    );
    expect(code).toBe(1);
    const a = JSON.parse(out.join('').trim()) as Alert;
    expect(a).toMatchObject({ kind: 'stuck', host: 'dom0', port: 'vif6.1', ifaceId: 'id-vif6.1' });
    await waitFor(() => existsSync(hook) && readFileSync(hook, 'utf8').includes('\n'), 'the hook');
    expect(JSON.parse(readFileSync(hook, 'utf8'))).toEqual(a);
  });

  it('--once decides by the clock: a grace timer that runs late (time lost after watch read the clock) still exits 1', async () => {
    const s = await server();
    await addVm(s, 'vif23.0');
    // What a GC pause or a busy CPU does between reading the clock and arming the grace timer
    // (the ssh test once exited 0 so): this run's grace timers run 100 ms late.
    const real = globalThis.setTimeout;
    const spy = vi
      .spyOn(globalThis, 'setTimeout')
      .mockImplementation(((fn: () => void, ms?: number, ...rest: unknown[]) =>
        real(fn, String(fn).includes('this.fire') ? (ms ?? 0) + 100 : ms, ...rest)) as typeof setTimeout);
    const out: string[] = [];
    const code = await main(['watch', `h=${s.remote}`, '--once', '--grace', '0.2', '--json'], (x) =>
      out.push(x),
    ).finally(() => spy.mockRestore());
    expect({ code, out }).toMatchObject({ code: 1 });
    expect(JSON.parse(out.join('').trim())).toMatchObject({ kind: 'stuck', port: 'vif23.0' });
  });

  it('--metrics serves Prometheus text; SIGTERM: its canary key is removed, then it dies of the signal', async () => {
    const s = await server();
    await addVm(s, 'vif8.0');
    const r = cli([
      'watch',
      `h=${s.remote}`,
      '--grace',
      '0.1',
      '--metrics',
      '127.0.0.1:0',
      '--canary',
      '0.2',
    ]);
    const port = await waitFor(
      () => /metrics on http:\/\/127\.0\.0\.1:(\d+)/.exec(r.err())?.[1],
      'metrics address',
    );
    await waitFor(() => r.out().includes('STUCK h vif8.0'), 'stuck line');
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('vifpath_watch_ports{host="h",state="stuck"} 1');
    expect(text).toContain('vifpath_watch_monitor_state{host="h",state="ok"} 1');
    expect(text).toContain('# TYPE vifpath_watch_bind_latency_seconds histogram');
    // The first canary write comes --canary after the start.
    const t0 = Date.now();
    while (!(await s.vsctl('get', 'Open_vSwitch', '.', 'external_ids')).includes('vifpath-canary-')) {
      if (Date.now() - t0 > 20_000) throw new Error('timed out waiting for the canary key');
      await new Promise((res) => setTimeout(res, 20));
    }
    r.child.kill('SIGTERM');
    await r.exit;
    expect(r.child.signalCode).toBe('SIGTERM');
    expect(await s.vsctl('get', 'Open_vSwitch', '.', 'external_ids')).not.toContain('vifpath-canary');
  });

  it('--nudge: the stuck port is alerted, then nudged once (rate limit), and a Neutron-style monitor sees it; without the flag nothing is written', async () => {
    const s = await server();
    await addVm(s, 'vif18.0');
    const ext = async (): Promise<string> => s.vsctl('get', 'interface', 'vif18.0', 'external_ids');
    // Read-only without the flag: the stuck alert, and no key written.
    const plain = cli(['watch', `h=${s.remote}`, '--grace', '0.1', '--json']);
    await waitFor(() => plain.out().includes('"stuck"'), 'stuck without --nudge');
    plain.child.kill('SIGTERM');
    await plain.exit;
    expect(plain.child.signalCode).toBe('SIGTERM');
    expect(await ext()).not.toContain('vifpath-nudge');
    const peer = spawn(
      'ovsdb-client',
      ['monitor', s.remote, 'Open_vSwitch', 'Interface', 'name,ofport,external_ids', '--format=json'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    cleanups.push(() => peer.kill('SIGKILL'));
    let seen = '';
    peer.stdout.on('data', (b: Buffer) => {
      seen += b.toString();
    });
    await waitFor(() => seen.length > 0, 'ovsdb-client monitor initial rows');
    const r = cli([
      'watch',
      `h=${s.remote}`,
      '--grace',
      '0.1',
      '--json',
      '--nudge',
      '--nudge-interval',
      '600',
    ]);
    const lines = (): Alert[] =>
      r
        .out()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Alert);
    await waitFor(() => lines().some((a) => a.kind === 'nudge'), 'the nudge line');
    await waitFor(() => seen.includes('vifpath-nudge'), 'the peer monitor reporting the nudge');
    expect(await ext()).toContain('vifpath-nudge');
    r.child.kill('SIGTERM');
    await r.exit;
    expect(r.child.signalCode).toBe('SIGTERM');
    // The port's alerts, in order (the host's own monitor-ok line at start aside); nothing at stop.
    expect(lines().at(-1)?.kind).toBe('nudge');
    expect(
      lines()
        .filter((a) => a.port !== undefined)
        .map((a) => [a.kind, a.port]),
    ).toEqual([
      ['stuck', 'vif18.0'],
      ['nudge', 'vif18.0'],
    ]);
    expect(lines().at(-1)!.message).toMatch(/^nudged: set Interface external_ids:vifpath-nudge=/);
  });

  it('kill -9 of watch: the restarted watch alerts the still-stuck port again, marked as a repeat, and a port stuck meanwhile', async () => {
    const s = await server();
    const state = join(DIR, `state${++n}.json`);
    await addVm(s, 'vif10.0');
    const a = cli(['watch', `h=${s.remote}`, '--grace', '0.1', '--json', '--state', state]);
    await waitFor(() => a.out().includes('"vif10.0"'), 'first alert');
    a.child.kill('SIGKILL');
    await a.exit;
    await addVm(s, 'vif11.0'); // while no watch runs
    const b = cli(['watch', `h=${s.remote}`, '--grace', '0.1', '--json', '--state', state]);
    const lines = (): Alert[] =>
      b
        .out()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Alert);
    await waitFor(
      () => lines().some((x) => x.port === 'vif11.0') && lines().some((x) => x.port === 'vif10.0'),
      'both alerts',
    ).catch((e: Error) => {
      throw new Error(`${e.message}: watch printed ${JSON.stringify(b.out())} ${JSON.stringify(b.err())}`);
    });
    expect(lines().find((x) => x.port === 'vif10.0')).toMatchObject({ kind: 'stuck', repeat: true });
    expect(lines().find((x) => x.port === 'vif11.0')?.repeat).toBeUndefined();
    b.child.kill('SIGTERM');
    await b.exit;
    expect(b.child.signalCode).toBe('SIGTERM');
  });
});
