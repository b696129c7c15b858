// Each parser against real outputs: the seed's, the reference lab's and our own OVS 3.1 captures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWN_FIXTURES, read, SEED_CASE } from '../testing/fixtures.ts';
import { parseConfDb } from './conf-db.ts';
import { parseDumpFlows } from './dump-flows.ts';
import { parseFdbShow } from './fdb-show.ts';
import { parseIfconfig } from './ifconfig.ts';
import { agentConfigOf, parseIni } from './ini.ts';
import { parseIpAddr } from './ip-addr.ts';
import { parseIpNetns } from './ip-netns.ts';
import { parseOfctlShow } from './ovs-ofctl-show.ts';
import { parseVsctlShow } from './ovs-vsctl-show.ts';
import { monitorState, parseOvsdbMonitor } from './ovsdb-client-monitor.ts';
import { parseOvsdbDump, parseVsctlList } from './ovsdb-rows.ts';
import { parseDhcpLeases, parseDhcpOpts, parsePidFile } from './services.ts';

const OWN = join(OWN_FIXTURES, 'ovs31-neutron/sos_commands/openvswitch');
const OWN_NET = join(OWN_FIXTURES, 'ovs31-neutron/sos_commands/networking');
const REF = join(OWN_FIXTURES, 'reference');
const own = (f: string): string => read(join(OWN, f));
const seed = (f: string): string => read(join(SEED_CASE, f));

describe('ovs-ofctl dump-flows', () => {
  it('reads the seed xapi3 dump: 3 flows with counters, OF1.0', () => {
    const r = parseDumpFlows(seed('dom0/ovs-ofctl_dump-flows_xapi3'));
    expect(r.diagnostics).toEqual([]);
    expect(r.value.version).toBe('OpenFlow10');
    expect(r.value.flows.map((f) => [f.line, f.flow.priority, f.flow.stats.n_packets])).toEqual([
      [2, 0, 42917],
      [3, 4, 31],
      [4, 2, 7],
    ]);
  });

  it('reads OF1.3, OF1.4, --no-stats and --names forms of the same bridge alike', () => {
    const forms = [
      'ovs-ofctl_dump-flows_br-int',
      'ovs-ofctl_-O_OpenFlow13_dump-flows_br-int',
      'ovs-ofctl_-O_OpenFlow13_dump-flows_br-int_--no-stats',
      'ovs-ofctl_-O_OpenFlow13_--names_dump-flows_br-int',
      'ovs-ofctl_dump-flows_br-int_--no-stats',
    ].map((f) => parseDumpFlows(own(f)));
    for (const r of forms) {
      expect(r.diagnostics).toEqual([]);
      expect(r.value.flows).toHaveLength(35);
    }
    expect(forms[1]!.value.version).toBe('OpenFlow13');
    expect(forms[2]!.value.header).toBeUndefined();
    const priorities = (k: number): number[] => forms[k]!.value.flows.map((f) => f.flow.priority);
    expect(priorities(2)).toEqual(priorities(1));
    const named = forms[3]!.value.flows[1]!.flow.match.find(
      (m) => m.kind === 'field' && m.field === 'in_port',
    );
    expect(named).toMatchObject({ value: { port: { kind: 'name', name: 'tapvm1' } } });
    const withFlags = forms[1]!.value.flows.find((f) => f.flow.idle_timeout === 300)!;
    expect(withFlags.flow).toMatchObject({ hard_timeout: 600, flags: ['send_flow_rem', 'reset_counts'] });
    const of14 = parseDumpFlows(own('ovs-ofctl_-O_OpenFlow14_dump-flows_br-phys'));
    expect(of14.value.flows[2]!.flow).toMatchObject({ importance: 3, flags: ['reset_counts'] });
  });

  it('reads a large dump split over several replies (flags=[more])', () => {
    const line = ' cookie=0x0, duration=1.5s, table=0, n_packets=0, n_bytes=0, priority=5 actions=NORMAL';
    const text = `OFPST_FLOW reply (OF1.3) (xid=0x2): flags=[more]\n${line}\n${line}\nOFPST_FLOW reply (OF1.3) (xid=0x2):\n${line}\n`;
    const r = parseDumpFlows(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.value.flows).toHaveLength(3);
    expect(r.value.version).toBe('OpenFlow13');
  });

  it('turns an OpenFlow13-only bridge error into OVS diagnostics, not corruption', () => {
    const r = parseDumpFlows(own('ovs-ofctl_dump-flows_br-of13'), { expectOutput: true });
    expect(r.value.flows).toEqual([]);
    expect(r.value.complete).toBe(false);
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.line])).toEqual([
      ['ovs', 'ovs-log', 1],
      ['ovs', 'ovs-error', 2],
    ]);
  });

  it('keeps flows before a decode error block and says the dump is incomplete', () => {
    const text = `NXST_FLOW reply (xid=0x4):\n cookie=0x0, duration=1.5s, table=0, n_packets=0, n_bytes=0, idle_age=1, priority=5 actions=NORMAL\n***decode error: OFPBAC_BAD_VENDOR_TYPE***\n00000000  00 00 00 30 00 00 00 00-00 00 00 00 00 00 00 00 |...0............|\n00000010  ff ff 00 10 00 00 23 20-00 26 00 00 00 00 00 00 |......# .&......|\n2026-11-25T10:00:00Z|00001|ofp_actions|INFO|OFPAT_SET_MPLS_TTL is deprecated in OpenFlow13 (use Set-Field)\n`;
    const r = parseDumpFlows(text);
    expect(r.value.flows).toHaveLength(1);
    expect(r.value.complete).toBe(false);
    // The block (error line, hex dump, OVS's log line) is one diagnostic naming its first line.
    expect(r.diagnostics.map((d) => [d.code, d.line, d.text])).toEqual([
      ['decode-error', 3, '***decode error: OFPBAC_BAD_VENDOR_TYPE***'],
    ]);
    expect(r.diagnostics[0]!.message).toContain('lines 3-6');
  });

  it('a decode error block with several hex and log lines is one diagnostic; the next reply is read', () => {
    const text = [
      'OFPST_FLOW reply (OF1.3) (xid=0x2): flags=[more]',
      ' cookie=0x0, duration=1.5s, table=0, n_packets=0, n_bytes=0, priority=5 actions=NORMAL',
      '***decode error: OFPBAC_BAD_EXPERIMENTER***',
      '00000000  04 13 00 58 00 00 00 02-00 01 00 00 00 00 00 00 |...X............|',
      '00000010  00 48 00 00 00 00 00 00-00 00 00 00 00 00 00 00 |.H..............|',
      '00000020  00 00 00 00 00 00 00 00-00 00 00 00 00 00 00 00 |................|',
      '2026-11-25T10:00:00Z|00001|ofp_actions|WARN|unknown Nicira action subtype 254',
      '2026-11-25T10:00:00Z|00002|ofp_actions|WARN|bad action at offset 0 (OFPBAC_BAD_EXPERIMENTER)',
      'OFPST_FLOW reply (OF1.3) (xid=0x2):',
      ' cookie=0x0, duration=1.5s, table=1, n_packets=0, n_bytes=0, priority=0 actions=drop',
      '',
    ].join('\n');
    const r = parseDumpFlows(text);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'ovs', code: 'decode-error', line: 3 });
    expect(r.diagnostics[0]!.message).toContain('lines 3-8');
    expect(r.value.flows.map((f) => f.line)).toEqual([2, 10]);
    expect(r.value.complete).toBe(false);
  });

  it('flags a truncated last flow and a garbage line with file lines', () => {
    const full = seed('dom0/ovs-ofctl_dump-flows_xapi3');
    const cut = full.slice(0, full.lastIndexOf('actions=') + 6);
    const r = parseDumpFlows(cut);
    // Cut inside a record: incomplete, not corrupt.
    expect(r.diagnostics.find((d) => d.code === 'truncated')).toMatchObject({ line: 4, severity: 'warning' });
    expect(r.value.complete).toBe(false);
    expect(r.value.flows).toHaveLength(2);
    const g = parseDumpFlows(`${full}this is not a flow\n`);
    expect(g.diagnostics).toEqual([
      expect.objectContaining({ severity: 'corrupt', line: 5, code: 'not-a-flow' }),
    ]);
    expect(parseDumpFlows('', { expectOutput: true }).diagnostics[0]).toMatchObject({
      code: 'empty',
      severity: 'corrupt',
    });
    expect(parseDumpFlows('').diagnostics).toEqual([]);
  });
});

describe('ovs-vsctl show', () => {
  it('reads the seed excerpt (no UUID line, quoted names, old indentation)', () => {
    const r = parseVsctlShow(seed('dom0/ovs-vsctl_show'));
    expect(r.diagnostics).toEqual([]);
    const [b] = r.value.bridges;
    expect(b).toMatchObject({ name: 'xapi5', failMode: 'secure', line: 1 });
    expect(b!.ports.map((p) => [p.name, p.tag])).toEqual([
      ['xapi5', undefined],
      ['vif16.0', undefined],
      ['int-xapi3', undefined],
    ]);
    expect(b!.ports[2]!.interfaces[0]).toMatchObject({
      name: 'int-xapi3',
      type: 'patch',
      options: { peer: 'phy-xapi3' },
    });
  });

  it('reads tags, trunks, errors and types from real OVS 3.1 output', () => {
    const r = parseVsctlShow(own('ovs-vsctl_-t_5_show'));
    expect(r.diagnostics).toEqual([]);
    expect(r.value.uuid).toMatch(/^[0-9a-f-]{36}$/);
    const brInt = r.value.bridges.find((b) => b.name === 'br-int')!;
    const port = (n: string) => brInt.ports.find((p) => p.name === n)!;
    expect(port('pnative')).toMatchObject({ tag: 5, trunks: [5, 6] });
    expect(port('ptrunk')).toMatchObject({ trunks: [10, 20] });
    expect(port('tapdead').tag).toBe(4095);
    expect(port('vif99.0').interfaces[0]!.error).toBe(
      'could not open network device vif99.0 (No such device)',
    );
    expect(r.value.bridges.map((b) => b.name).sort()).toEqual(['br-int', 'br-of13', 'br-phys', 'br-tun']);
  });

  it('a line it refuses (read past with --lenient) cuts like an elision: the ports after it are on no bridge', () => {
    // The real hotsos show with br-ex and br-int's head replaced by a marker the reader does not know.
    const real = read(
      join(OWN_FIXTURES, 'field/hotsos-openstack/compute/sos_commands/openvswitch/ovs-vsctl_-t_5_show'),
    ).split('\n');
    const cut = [...real.slice(0, 37), '        [output truncated]', ...real.slice(47)].join('\n');
    const r = parseVsctlShow(cut);
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ severity: 'corrupt', line: 38 }));
    const brTun = r.value.bridges.find((b) => b.name === 'br-tun')!;
    expect(brTun.ports.map((p) => p.name)).toEqual([
      'vxlan-0a000085',
      'patch-int',
      'vxlan-0a000072',
      'br-tun',
    ]);
    expect(r.value.unplacedPorts?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['sg-189f4c40-9d', 'tap0e778df8-ca', 'patch-tun']),
    );
  });

  it('reads the reference lab Dom0 with both bridges', () => {
    const r = parseVsctlShow(read(join(REF, 'healthy/dom0/sos_commands/openvswitch/ovs-vsctl_-t_5_show')));
    expect(r.diagnostics).toEqual([]);
    expect(
      r.value.bridges.find((b) => b.name === 'xapi1')!.ports.find((p) => p.name === 'vif16.0')!.tag,
    ).toBe(1);
  });
});

describe('ovs-ofctl show', () => {
  it('reads OF1.0 and OF1.3 layouts alike, with LOCAL and link state', () => {
    const a = parseOfctlShow(own('ovs-ofctl_show_br-int'));
    const b = parseOfctlShow(own('ovs-ofctl_-O_OpenFlow13_show_br-int'));
    expect(a.diagnostics).toEqual([]);
    expect(b.diagnostics).toEqual([]);
    expect(a.value.version).toBe('OpenFlow10');
    expect(b.value.version).toBe('OpenFlow13');
    expect(a.value.ports.map((p) => [p.ofport, p.name])).toEqual(
      b.value.ports.map((p) => [p.ofport, p.name]),
    );
    expect(a.value.ports.find((p) => p.ofport === 'LOCAL')!.name).toBe('br-int');
    // Names are cut to 15 bytes by OpenFlow.
    expect(a.value.ports.find((p) => p.ofport === 7)!.name).toBe('a-very-long-por');
  });

  it('reads the seed br-int with its uneven indentation and PORT_DOWN tap', () => {
    const r = parseOfctlShow(seed('domu/ovs-ofctl_show_br-int'));
    expect(r.diagnostics).toEqual([]);
    expect(r.value.dpid).toBe('0000ba78580d604a');
    expect(r.value.ports.find((p) => p.name === 'tap7b39ecad-81')).toMatchObject({
      ofport: 2,
      config: ['PORT_DOWN'],
      state: ['LINK_DOWN'],
    });
  });
});

describe('OVSDB rows: ovs-vsctl list (text, json), ovsdb-client dump (table, list), conf.db', () => {
  const byName = (rows: { row: Record<string, unknown> }[]) =>
    Object.fromEntries(rows.map((r) => [r.row.name, r.row]));

  it('text and JSON list give the same Port rows', () => {
    const text = parseVsctlList(own('ovs-vsctl_-t_5_list_port'), 'Port');
    const json = parseVsctlList(own('ovs-vsctl_--format_json_list_Port'), 'Port');
    expect(text.diagnostics).toEqual([]);
    expect(json.diagnostics).toEqual([]);
    expect(text.value.length).toBe(json.value.length);
    const t = byName(text.value);
    const j = byName(json.value);
    for (const name of Object.keys(j))
      for (const col of ['tag', 'trunks', 'vlan_mode'])
        expect(t[name]![col], `${name}.${col}`).toEqual(j[name]![col]);
    expect(j.pnative!.vlan_mode).toBe('native-untagged');
  });

  it('ovsdb-client dump in table and list format agree with ovs-vsctl list', () => {
    const tab = parseOvsdbDump(own('ovsdb-client_dump'));
    const lst = parseOvsdbDump(own('ovsdb-client_-f_list_dump'));
    expect(tab.diagnostics).toEqual([]);
    expect(lst.diagnostics).toEqual([]);
    const ports = (rows: typeof tab.value) => byName(rows.filter((r) => r.table === 'Port'));
    const list = byName(parseVsctlList(own('ovs-vsctl_-t_5_list_port'), 'Port').value);
    for (const src of [ports(tab.value), ports(lst.value)]) {
      expect(Object.keys(src).sort()).toEqual(Object.keys(list).sort());
      for (const n of Object.keys(list)) expect(src[n]!.tag, n).toEqual(list[n]!.tag);
    }
  });

  it('conf.db replays to the same ports, tags and ofports', () => {
    const r = parseConfDb(readFileSync(join(OWN_FIXTURES, 'ovs31-neutron/etc/openvswitch/conf.db')));
    expect(r.diagnostics).toEqual([]);
    expect(r.value.schemaName).toBe('Open_vSwitch');
    const ports = [...r.value.tables.get('Port')!.values()];
    const list = byName(parseVsctlList(own('ovs-vsctl_-t_5_list_port'), 'Port').value);
    expect(ports.map((p) => p.name).sort()).toEqual(Object.keys(list).sort());
    const tapdead = ports.find((p) => p.name === 'tapdead')!;
    expect(tapdead.tag).toBe(4095);
    const ifaces = [...r.value.tables.get('Interface')!.values()];
    expect(ifaces.find((i) => i.name === 'tapvm1')!.ofport).toBe(1);
  });

  it('conf.db: a flipped byte fails its SHA-1, a cut file is truncated', () => {
    const db = readFileSync(join(OWN_FIXTURES, 'ovs31-neutron/etc/openvswitch/conf.db'));
    const flipped = Buffer.from(db);
    flipped[db.length - 10] = flipped[db.length - 10]! ^ 1;
    expect(parseConfDb(flipped).diagnostics[0]).toMatchObject({ severity: 'corrupt', code: 'bad-sha1' });
    // Cut inside its last record: incomplete (the database before that transaction), not corrupt.
    const cut = parseConfDb(db.subarray(0, db.length - 7));
    expect(cut.diagnostics[0]).toMatchObject({ severity: 'warning', code: 'truncated' });
    expect(cut.value.records).toBe(parseConfDb(db).value.records - 1);
  });
});

describe('ovsdb-client monitor', () => {
  it('reads the seed: initial rows, then vif17.0 inserted and numbered', () => {
    const r = parseOvsdbMonitor(seed('dom0/ovsdb-client_monitor_Interface_name_ofport'));
    expect(r.diagnostics).toEqual([]);
    expect(r.value.columns).toEqual(['name', 'ofport']);
    const last = r.value.events.slice(-2);
    expect(last).toEqual([
      {
        uuid: '249c424a-4c9a-47b4-991a-bded9ec63ada',
        action: 'insert',
        row: { name: 'vif17.0', ofport: ['set', []] },
        line: 19,
      },
      {
        uuid: '249c424a-4c9a-47b4-991a-bded9ec63ada',
        action: 'modify',
        row: { name: 'vif17.0', ofport: 3 },
        old: { ofport: ['set', []] },
        line: 23,
      },
    ]);
    expect(monitorState(r.value.events).get('38a0dd37-173f-421c-9aba-3e03a5b8c900')!.row).toEqual({
      name: 'vif16.0',
      ofport: 2,
    });
  });

  it('text and JSON monitors of real OVS describe the same updates', () => {
    const t = parseOvsdbMonitor(own('ovsdb-client_monitor_Interface_name_ofport'));
    const j = parseOvsdbMonitor(own('ovsdb-client_--format_json_monitor_Interface_name_ofport'));
    expect(t.diagnostics.map((d) => d.code)).toEqual(['ovs-log']);
    expect(j.diagnostics.map((d) => d.code)).toEqual(['ovs-log']);
    const strip = (es: typeof t.value.events) =>
      es.filter((e) => e.action !== 'initial').map((e) => [e.action, e.row.name]);
    expect(strip(t.value.events)).toEqual([
      ['insert', 'vif17.0'],
      ['modify', 'vif17.0'],
      ['delete', 'vif17.0'],
    ]);
    expect(strip(j.value.events).map((e) => e[0])).toEqual(['insert', 'modify', 'delete']);
    const p = parseOvsdbMonitor(own('ovsdb-client_monitor_Port_name_tag_trunks'));
    const mods = p.value.events.filter((e) => e.action === 'modify');
    expect(mods.map((m) => [m.old, m.row.tag, m.row.trunks])).toEqual([
      [{ tag: 1 }, 4095, ['set', []]],
      [{ tag: 4095, trunks: ['set', []] }, 2, ['set', [1, 2]]],
    ]);
  });
});

describe('agent configuration (ini)', () => {
  it('reads bridge_mappings, minimize_polling and polling_interval with their lines', () => {
    const r = parseIni(
      '# comment\n[DEFAULT]\ndebug = True\n\n[agent]\nminimize_polling = False\npolling_interval = 5\n[ovs]\nbridge_mappings = physnet1:br-eth1,physnet2:br-ex\n',
    );
    expect(r.diagnostics).toEqual([]);
    expect(agentConfigOf(r.value)).toEqual({
      minimizePolling: { value: false, line: 6 },
      pollingInterval: { value: 5, line: 7 },
      bridgeMappings: { value: { physnet1: 'br-eth1', physnet2: 'br-ex' }, line: 9 },
    });
  });
  it("reads of_listen_address and of_listen_port (where the agent's own OpenFlow controller listens)", () => {
    const r = parseIni(
      '[ovs]\nof_listen_address = 192.168.50.20\nof_listen_port = 6653\nof_interface = native\n',
    );
    expect(agentConfigOf(r.value)).toEqual({
      ofListenAddress: { value: '192.168.50.20', line: 2 },
      ofListenPort: { value: 6653, line: 3 },
    });
  });
});

describe('ovs-appctl fdb/show', () => {
  it('reads port, VLAN, MAC and age', () => {
    const r = parseFdbShow(
      read(join(REF, 'healthy/dom0/sos_commands/openvswitch/ovs-appctl_fdb.show_xapi2')),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toEqual([
      { port: 2, vlan: 1041, mac: 'fa:16:3e:aa:bb:cc', age: 18, line: 2 },
      { port: 1, vlan: 1041, mac: 'fa:16:3e:11:22:33', age: 16, line: 3 },
      { port: 2, vlan: 0, mac: 'fe:4b:cf:76:d8:d0', age: 14, line: 4 },
    ]);
    expect(parseFdbShow(' port  VLAN  MAC                Age\ngarbage\n').diagnostics[0]).toMatchObject({
      severity: 'corrupt',
      line: 2,
    });
  });
});

describe('namespaces and addresses', () => {
  it('ip netns with and without ids', () => {
    expect(parseIpNetns(seed('domu/ip_netns')).value.map((n) => n.name)).toEqual([
      'qrouter-17bdbe51-93df-4bd8-93fd-bb399ed3d4c1',
      'qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7',
    ]);
    expect(parseIpNetns('qdhcp-5f1c9a2e (id: 3)\novsref-dom0 (id: 0)\n').value).toEqual([
      { name: 'qdhcp-5f1c9a2e', id: 3, line: 1 },
      { name: 'ovsref-dom0', id: 0, line: 2 },
    ]);
    expect(parseIpNetns(read(join(REF, 'healthy/ip_netns'))).value).toHaveLength(5);
  });

  it('old net-tools ifconfig of the seed: tap with 10.0.0.2/24', () => {
    const r = parseIfconfig(seed('domu/ip_netns_exec_qdhcp-49a623fd-c168-4f27-ad82-946bfb6df3d7_ifconfig'));
    expect(r.diagnostics).toEqual([]);
    expect(r.value[1]).toMatchObject({
      name: 'tap7b39ecad-81',
      mac: 'fa:16:3e:e3:46:c1',
      up: true,
      mtu: 1500,
      addresses: [
        { family: 'inet', address: '10.0.0.2', prefixlen: 24, line: 11 },
        { family: 'inet6', address: 'fe80::f816:3eff:fee3:46c1', prefixlen: 64, line: 12 },
        { family: 'inet6', address: 'fdff:631:9696:0:f816:3eff:fee3:46c1', prefixlen: 64, line: 13 },
      ],
    });
  });

  it('new net-tools ifconfig', () => {
    const r = parseIfconfig(
      'tap1: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1450\n        inet 10.0.0.2  netmask 255.255.255.0  broadcast 10.0.0.255\n        inet6 fe80::1  prefixlen 64  scopeid 0x20<link>\n        ether fa:16:3e:aa:bb:cc  txqueuelen 1000  (Ethernet)\n',
    );
    expect(r.value[0]).toMatchObject({
      name: 'tap1',
      up: true,
      mtu: 1450,
      mac: 'fa:16:3e:aa:bb:cc',
      addresses: [{ address: '10.0.0.2', prefixlen: 24 }, { address: 'fe80::1' }],
    });
  });

  it('ip address in block, -d, -o and -j forms agree', () => {
    const forms = ['ip_address_show', 'ip_-d_address', 'ip_-o_addr', 'ip_-j_addr'].map((f) =>
      parseIpAddr(read(join(OWN_NET, f))),
    );
    const summary = (k: number) =>
      forms[k]!.value.map((d) => [
        d.name,
        d.addresses.map((a) => `${a.address}/${a.prefixlen}`).sort(),
      ]).sort();
    for (let k = 0; k < forms.length; k++) expect(forms[k]!.diagnostics, String(k)).toEqual([]);
    expect(summary(1)).toEqual(summary(0));
    expect(summary(3)).toEqual(summary(0));
    // -o prints only devices with addresses.
    for (const [name, addrs] of summary(2)) expect(summary(0)).toContainEqual([name, addrs]);
    const ref = parseIpAddr(
      read(
        join(
          REF,
          'healthy/domu/sos_commands/networking/ip_netns_exec_qdhcp-5f1c9a2e-7b3d-4c8e-9a61-0d2b4e6f8a10_ip_address_show',
        ),
      ),
    );
    expect(ref.value.find((d) => d.name === 'tap5f1c9a2e-7b')!.addresses[0]).toMatchObject({
      address: '10.0.0.2',
      prefixlen: 24,
    });
  });
});

describe('the DHCP agent files dnsmasq reads and writes (lab fixture)', () => {
  const dir = join(OWN_FIXTURES, 'lab-dhcp/var/lib/neutron/dhcp/49a623fd-c168-4f27-ad82-946bfb6df3d7');
  it('leases: expiry, MAC, address, hostname; the DUID line of DHCPv6 skipped', () => {
    const r = parseDhcpLeases(`${read(join(dir, 'leases'))}duid 00:01:00:01:2c:aa\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toEqual([
      { expiry: 1795711408, mac: 'fa:16:3e:11:22:33', ip: '10.0.0.3', hostname: 'host-10-0-0-3', line: 1 },
    ]);
    expect(parseDhcpLeases('garbage\n').diagnostics[0]).toMatchObject({ severity: 'corrupt', line: 1 });
  });
  it('opts: tag, option name or number, value', () => {
    expect(parseDhcpOpts(read(join(dir, 'opts'))).value).toEqual([
      { tag: 'tag0', option: 'router', value: '10.0.0.1', line: 1 },
    ]);
    expect(parseDhcpOpts('tag:subnet-1,3,10.0.0.1\noption:dns-server,10.0.0.2,10.0.0.3\n').value).toEqual([
      { tag: 'subnet-1', option: '3', value: '10.0.0.1', line: 1 },
      { option: 'dns-server', value: '10.0.0.2,10.0.0.3', line: 2 },
    ]);
  });
  it('pid file', () => {
    expect(parsePidFile(read(join(dir, 'pid'))).value).toBe(27348);
    expect(parsePidFile('').value).toBeUndefined();
    expect(parsePidFile('abc\n').diagnostics.map((d) => d.code)).toEqual(['bad-pid']);
  });
});

describe('dump-flows: cut in the middle of a record (real strings)', () => {
  const head =
    'NXST_FLOW reply (xid=0x4):\n cookie=0x0, duration=5.1s, table=0, n_packets=0, n_bytes=0, idle_age=5, priority=0 actions=NORMAL\n';
  it.each([
    ' cookie=0x0, table=0, priority=3,in_port=1,dl_vlan=1 actions=mod_vlan_vid:2,load:0x2->NXM_NX',
    ' cookie=0x0, table=0, priority=3,in_port=1 actions=clone(output:1',
    ' cookie=0x0, table=0, priority=3,in_port=1 actions=resubm',
    ' cookie=0x0, table=0, priority=3,in_port=1 act',
  ])('%s', (last) => {
    const r = parseDumpFlows(`${head}${last}`);
    expect(r.value.complete).toBe(false);
    expect(r.value.flows).toHaveLength(1);
    expect(r.diagnostics.filter((d) => d.severity === 'corrupt')).toEqual([]);
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ code: 'truncated', line: 3 }));
  });
  it('the same broken record with its newline is corrupt (not a cut)', () => {
    const r = parseDumpFlows(`${head} priority=3 actions=load:0x2->NXM_NX\n`);
    expect(r.diagnostics).toContainEqual(
      expect.objectContaining({ severity: 'corrupt', code: 'bad-flow', line: 3 }),
    );
  });
  it('valid actions ovs-ofctl prints never cost the dump', () => {
    const r = parseDumpFlows(
      `${head} priority=5,ip actions=dec_ttl(1,2,3),check_pkt_larger(100)->NXM_NX_REG0[10],frobnicate(1),NORMAL\n`,
    );
    // The one the simulator does not model is a warning at its line, never a cost to the dump.
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.line, d.message])).toEqual([
      [
        'warning',
        'unsupported',
        3,
        'action frobnicate(1) is not modelled: a trace through such a flow lists it and proves nothing past it',
      ],
    ]);
    expect(r.value.complete).toBe(true);
    expect(r.value.flows[1]!.flow.actions.map((a) => a.type)).toEqual([
      'dec_ttl',
      'check_pkt_larger',
      'unsupported',
      'normal',
    ]);
  });
});
