// The overlay checks on a real published two-node VXLAN lab (doctor/fixtures/yeasy-vxlan, see its
// PROVENANCE.md), each row one edit a reviewer made to it: what diagnose says, and what it must not
// say. An unknown OpenFlow port number is never a missing flood entry; a tunnel port OVS could not
// open is the cause, with what its error means for a tunnel; a UDP port or a fixed key that keeps
// two tunnels apart is named, not blamed on local_ip or on the segmentation id; a missing flood flow
// is said with its table; OVS not answering on a host is a gap on that host, with the services to
// look at.
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCase } from '../../sources/case-dir.ts';
import { cleanupCases, edit, tmpCase } from '../../testing/case-edits.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { diagnose } from '../diagnose.ts';
import type { Diagnosis, Finding } from '../finding.ts';

afterAll(cleanupCases);

const FIX = join(ROOT, 'src/doctor/fixtures/yeasy-vxlan');
const OVS = 'sos_commands/openvswitch';
const VM = 'qvoc4493802-43';
const C_VSCTL = join('compute', OVS, 'ovs-vsctl_-t_5_show');
const C_OFSHOW_TUN = join('compute', OVS, 'ovs-ofctl_show_br-tun');
const C_TUN_FLOWS = join('compute', OVS, 'ovs-ofctl_dump-flows_br-tun');
const OPTS =
  'options: {df_default="true", in_key=flow, local_ip="10.0.100.88", out_key=flow, remote_ip="10.0.100.77"}';
const FLOOD =
  ' cookie=0x0, duration=50.94s, table=22, n_packets=11, n_bytes=1334, idle_age=29, dl_vlan=1 actions=strip_vlan,set_tunnel:0x3e9,output:2\n';

function yeasy(change?: (d: string) => void): Diagnosis {
  const d = tmpCase();
  cpSync(FIX, d, { recursive: true });
  change?.(d);
  return diagnose(readCase(d), { vm: VM });
}

const codes = (x: Diagnosis): string[] => x.findings.map((f) => f.code);
const one = (x: Diagnosis, code: string): Finding => {
  const f = x.findings.filter((g) => g.code === code);
  expect(f, `${code} in ${codes(x).join(', ')}`).toHaveLength(1);
  return f[0]!;
};
const text = (x: Diagnosis): string => JSON.stringify(x);

describe('an unknown OpenFlow port number is no missing flood entry (compute without ovs-ofctl show br-tun)', () => {
  it('undecided, asking for the port numbers on compute, never tunnel-flood-missing', () => {
    const x = yeasy((d) => rmSync(join(d, C_OFSHOW_TUN)));
    expect(x.verdict).toBe('undecided');
    expect(codes(x)).not.toContain('tunnel-flood-missing');
    expect(x.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const g = one(x, 'tunnel-flood-port-unknown');
    expect(g.role).toBe('gap');
    expect(g.message).toBe(
      "compute's flood flow for VLAN 1 (br-tun table 22) outputs to port 2, and the case does not give the OpenFlow port number of vxlan-0a00644d, the tunnel to network: whether the DISCOVER enters that tunnel is unknown",
    );
    expect(g.evidence[0]).toEqual({
      text: 'dl_vlan=1 actions=strip_vlan,set_tunnel:0x3e9,output:2 (n_packets=11)',
      file: C_TUN_FLOWS,
      line: 13,
    });
    expect(g.fix).toEqual([
      'ovs-ofctl show br-tun   # on compute: the OpenFlow port numbers (is vxlan-0a00644d port 2?)',
      'ovs-vsctl --columns=name,ofport list Interface vxlan-0a00644d   # on compute: its OpenFlow port number',
    ]);
    expect(x.collectNext.some((c) => c.includes('ovs-ofctl show br-tun'))).toBe(true);
    // compute's tunnel end is its tunnel's local_ip, ofport or not: the tunnel joins the hosts.
    expect(codes(x)).not.toContain('tunnel-end-unknown');
    expect(text(x)).not.toContain("compute's tunnel end is not in the case");
    expect(x.paths[0]!.discover.verdict).toBe('incomplete');
    // The headline: the step the DISCOVER rests on and what settles it (was 'leaves what the case
    // shows (compute bridge br-int LOCAL port; …)'). The patch is crossed (patch-int held by its
    // name); br-tun's table 0 matches in_port by number, which stops it (was: the patch itself).
    expect(x.headline).toBe(
      "the DISCOVER from compute:qvoc4493802-43 is not followed to its end: compute:br-tun table 0: the flow `priority=1,in_port=1 actions=resubmit(,2)` (compute/sos_commands/openvswitch/ovs-ofctl_dump-flows_br-tun:2) matches in_port by number, and the case does not give patch-int's: whether it matches the packet is not known; collect `ovs-ofctl show br-tun   # on compute: the OpenFlow port numbers`",
    );
  });

  it('with the port numbers known, a flood flow to another number still proves the entry missing', () => {
    const x = yeasy((d) =>
      edit(join(d, C_TUN_FLOWS), 'set_tunnel:0x3e9,output:2\n', 'set_tunnel:0x3e9,output:3\n'),
    );
    expect(x.verdict).toBe('problem');
    expect(one(x, 'tunnel-flood-missing').message).toBe(
      "compute's flood flow for VLAN 1 (br-tun table 22) does not output to vxlan-0a00644d, the tunnel to network: broadcasts such as the DISCOVER never reach the DHCP server",
    );
  });
});

describe('a tunnel port OVS could not open', () => {
  const ERR = 'error: "could not add network device vxlan-0a00644d to ofproto (File exists)"';
  /** compute's tunnel with OVS's error, and no port 2 in ovs-ofctl show br-tun (as OVS shows it). */
  const failed = (d: string): void => {
    edit(join(d, C_VSCTL), `${OPTS}\n`, `${OPTS}\n                ${ERR}\n`);
    edit(join(d, C_OFSHOW_TUN), /^ 2\(vxlan-0a00644d\):[^\n]*\n(?: {5}[^\n]*\n){3}/m, '');
  };

  it('is the cause, with its error line; for "File exists" OVS\'s duplicate-configuration rule, probable when the case shows no twin', () => {
    const x = yeasy(failed);
    expect(x.verdict).toBe('problem');
    expect(codes(x)).not.toContain('tunnel-flood-missing');
    const f = one(x, 'tunnel-port-failed');
    expect(x.headline.startsWith(f.message)).toBe(true);
    expect(f.message).toBe(
      'compute\'s tunnel to network, vxlan-0a00644d, failed to open ("could not add network device vxlan-0a00644d to ofproto (File exists)"): OVS gave it no OpenFlow port, so nothing leaves compute by it (the flood flow for VLAN 1 outputs to port 2): the DISCOVER of qvoc4493802-43 never reaches the DHCP server qdhcp-1f3e4a2b-6c7d-4e8f-9a0b-1c2d3e4f5a6b',
    );
    expect(f.evidence[0]).toEqual({
      text: 'error "could not add network device vxlan-0a00644d to ofproto (File exists)"',
      file: C_VSCTL,
      line: 23,
    });
    expect(f.rootCause).toContain(
      'another tunnel port of compute has the same type, remote_ip, local_ip, key and dst_port',
    );
    expect(f.confirm).toContain(
      "vxlan-0a00644d: attempting to add tunnel port with same config as port '<other>'",
    );
    expect(x.headline).toContain('probable root cause: another tunnel port');
    expect(f.fix).toEqual([
      'ovs-vsctl --columns=name,type,options,ofport,error list Interface   # on compute: every tunnel port with its options; OVS opens one per (type, remote_ip, local_ip, key, dst_port)',
      "grep 'attempting to add tunnel port with same config as port' /var/log/openvswitch/ovs-vswitchd.log   # on compute: OVS names the port that holds the configuration",
    ]);
    // OVS makes a tunnel's device itself: nobody is told to create one.
    const ie = one(x, 'interface-error');
    for (const line of ie.fix) {
      expect(line).not.toMatch(/ip link show/);
      expect(line).not.toMatch(/must exist before/);
    }
  });

  it('names the port that holds the configuration when the case shows it (vxlan-1, ofport 2)', () => {
    const x = yeasy((d) => {
      edit(
        join(d, C_VSCTL),
        '        Port "vxlan-0a00644d"\n',
        `        Port "vxlan-1"\n            Interface "vxlan-1"\n                type: vxlan\n                ${OPTS}\n        Port "vxlan-0a00644d"\n`,
      );
      edit(
        join(d, C_VSCTL),
        `${OPTS}\n        Port patch-int`,
        `${OPTS}\n                ${ERR}\n        Port patch-int`,
      );
      edit(join(d, C_OFSHOW_TUN), ' 2(vxlan-0a00644d):', ' 2(vxlan-1):');
    });
    // vxlan-1 carries the DISCOVER: the failed twin is no cause on the path.
    expect(x.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const ie = one(x, 'interface-error');
    expect(ie.rootCause).toBe(
      'vxlan-1 has the same tunnel configuration (vxlan 10.0.100.88 -> 10.0.100.77, key=flow, UDP 4789) and holds OpenFlow port 2: OVS opens one tunnel port per configuration and refuses a second ("File exists")',
    );
    expect(ie.confirm).toBeUndefined();
    expect(ie.evidence).toEqual([
      {
        text: 'error "could not add network device vxlan-0a00644d to ofproto (File exists)"',
        file: C_VSCTL,
        line: 27,
      },
      {
        text: 'vxlan-1: type vxlan, options {df_default=true, in_key=flow, local_ip=10.0.100.88, out_key=flow, remote_ip=10.0.100.77}',
        file: C_VSCTL,
        line: 20,
      },
      { text: 'vxlan-1 is OpenFlow port 2 of br-tun', file: C_OFSHOW_TUN, line: 9 },
      {
        text: 'vxlan-0a00644d: type vxlan, options {df_default=true, in_key=flow, local_ip=10.0.100.88, out_key=flow, remote_ip=10.0.100.77}',
        file: C_VSCTL,
        line: 24,
      },
    ]);
    expect(ie.fix).toEqual([
      'ovs-vsctl --columns=name,type,options,ofport,error list Interface vxlan-1 vxlan-0a00644d   # on compute: the two ports with one tunnel configuration',
      "grep 'attempting to add tunnel port with same config as port' /var/log/openvswitch/ovs-vswitchd.log   # on compute: OVS names the port that holds the configuration",
      'ovs-vsctl del-port br-tun vxlan-1   # changes state, on compute: only if vxlan-1 is not meant to be there (Neutron names its tunnel to 10.0.100.77 vxlan-0a00644d); OVS then opens vxlan-0a00644d at its next reconfiguration',
    ]);
  });
});

describe('two tunnels kept apart by their options', () => {
  it('different UDP destination ports: named with both ports, not "the agents disagree on local_ip"', () => {
    const x = yeasy((d) =>
      edit(join(d, C_VSCTL), 'df_default="true", in_key', 'df_default="true", dst_port="8472", in_key'),
    );
    expect(x.verdict).toBe('problem');
    expect(codes(x)).not.toContain('tunnel-receiver-missing');
    expect(text(x)).not.toContain('disagree on compute');
    const f = one(x, 'tunnel-dst-port-mismatch');
    expect(x.headline.startsWith(f.message)).toBe(true);
    expect(f.message).toBe(
      `compute's vxlan-0a00644d sends vxlan to 10.0.100.77 on UDP port 8472 (options:dst_port="8472"), but network's vxlan-0a006458, its tunnel back to compute, takes UDP 4789 (no dst_port option: OVS's default for vxlan): nothing on network receives UDP 8472 as vxlan, so the DISCOVER is dropped on arrival (and the replies the other way too)`,
    );
    expect(f.evidence).toEqual([
      {
        text: 'vxlan-0a00644d on compute: remote_ip=10.0.100.77, local_ip=10.0.100.88, in_key=flow, out_key=flow, dst_port=8472',
        file: C_VSCTL,
        line: 20,
      },
      {
        text: 'vxlan-0a006458 on network: remote_ip=10.0.100.88, local_ip=10.0.100.77, in_key=flow, out_key=flow',
        file: join('network', OVS, 'ovs-vsctl_-t_5_show'),
        line: 32,
      },
    ]);
    expect(f.confirm).toContain('vxlan_udp_port');
    expect(f.fix.slice(0, 3)).toEqual([
      `grep -n vxlan_udp_port /etc/neutron/plugins/ml2/openvswitch_agent.ini   # on compute: its tunnels use UDP 8472 (options:dst_port="8472")`,
      `grep -n vxlan_udp_port /etc/neutron/plugins/ml2/openvswitch_agent.ini   # on network: its tunnels use UDP 4789 (no dst_port option: OVS's default for vxlan)`,
      '# set [agent] vxlan_udp_port to one value on both hosts (the case shows 8472 on compute and 4789 on network, not which is meant; unset is 4789), then',
    ]);
    expect(x.paths[0]!.discover.verdict).toBe('dropped');
    expect(x.paths[0]!.discover.drop).toContain('takes UDP 4789');
  });

  it('the same UDP port on both ends is no mismatch', () => {
    const x = yeasy((d) => {
      edit(join(d, C_VSCTL), 'df_default="true", in_key', 'df_default="true", dst_port="8472", in_key');
      edit(
        join(d, 'network', OVS, 'ovs-vsctl_-t_5_show'),
        'df_default="true", in_key',
        'df_default="true", dst_port="8472", in_key',
      );
    });
    expect(codes(x)).not.toContain('tunnel-dst-port-mismatch');
    expect(x.paths[0]!.discover.verdict).toBe('delivered');
  });

  it('a fixed key (options key=5000): the option, not the segmentation id', () => {
    const x = yeasy((d) =>
      edit(
        join(d, C_VSCTL),
        OPTS,
        'options: {df_default="true", key="5000", local_ip="10.0.100.88", remote_ip="10.0.100.77"}',
      ),
    );
    expect(x.verdict).toBe('problem');
    expect(codes(x)).not.toContain('tunnel-key-unmapped');
    expect(text(x)).not.toContain('disagree on the segmentation id');
    const f = one(x, 'tunnel-key-option');
    expect(x.headline.startsWith(f.message)).toBe(true);
    expect(f.message).toBe(
      "compute's vxlan-0a00644d has options key=5000, so OVS sends every packet on it with key 0x1388, whatever key the flows set (0x3e9), and takes only key 0x1388 in (the replies with 0x3e9 are dropped too): network br-tun table 4 maps only 0x3e9, so the DISCOVER, sent with 0x1388, is dropped on arrival",
    );
    expect(f.evidence[0]).toEqual({
      text: 'vxlan-0a00644d on compute: remote_ip=10.0.100.77, local_ip=10.0.100.88, key=5000',
      file: C_VSCTL,
      line: 20,
    });
    expect(f.fix).toEqual([
      'ovs-vsctl --columns=name,options list Interface vxlan-0a00644d   # on compute: key=5000 fixes the key',
      'ovs-vsctl remove Interface vxlan-0a00644d options key -- set Interface vxlan-0a00644d options:in_key=flow options:out_key=flow   # changes state, on compute: the key from the flows, as Neutron creates its tunnels',
    ]);
  });
});

describe('the receiver fixes the key (network: in_key=5000)', () => {
  it("the option on the receiving port, not a missing port for compute's address", () => {
    const x = yeasy((d) =>
      edit(
        join(d, 'network', OVS, 'ovs-vsctl_-t_5_show'),
        'in_key=flow, local_ip="10.0.100.77"',
        'in_key="5000", local_ip="10.0.100.77"',
      ),
    );
    expect(codes(x)).not.toContain('tunnel-receiver-missing');
    const f = one(x, 'tunnel-key-option');
    expect(f.subject).toBe('network:br-tun:vxlan-0a006458');
    expect(f.message).toBe(
      'compute sends the DISCOVER with vxlan key 0x3e9, but network\'s vxlan-0a006458 has options in_key=5000: it takes only packets with key 0x1388, and OVS drops the others ("receive tunnel port not found")',
    );
    expect(f.fix[1]).toBe(
      'ovs-vsctl remove Interface vxlan-0a006458 options in_key -- set Interface vxlan-0a006458 options:in_key=flow options:out_key=flow   # changes state, on network: the key from the flows, as Neutron creates its tunnels',
    );
  });
});

describe('no flood flow for the VLAN in table 22 at all', () => {
  it('tunnel-flood-missing says so, with the table, and the headline names it', () => {
    const x = yeasy((d) => edit(join(d, C_TUN_FLOWS), FLOOD, ''));
    expect(x.verdict).toBe('problem');
    const f = one(x, 'tunnel-flood-missing');
    expect(x.headline.startsWith(f.message)).toBe(true);
    expect(f.message).toBe(
      "compute's br-tun table 22 has no flood flow for VLAN 1 (qvoc4493802-43's local VLAN): the DISCOVER, a broadcast, never enters vxlan-0a00644d, the tunnel to network: it dies in table 22 at `priority=0 actions=drop` (n_packets=10)",
    );
    expect(f.evidence.slice(0, 2)).toEqual([
      { text: `compute's br-tun table 22: no flood flow for any VLAN in ${C_TUN_FLOWS}` },
      { text: 'table 22: priority=0 actions=drop (n_packets=10)', file: C_TUN_FLOWS, line: 13 },
    ]);
  });

  it('the flows of other VLANs in table 22 are its evidence', () => {
    const x = yeasy((d) =>
      edit(
        join(d, C_TUN_FLOWS),
        'dl_vlan=1 actions=strip_vlan,set_tunnel:0x3e9',
        'dl_vlan=2 actions=strip_vlan,set_tunnel:0x3ea',
      ),
    );
    const f = one(x, 'tunnel-flood-missing');
    expect(f.evidence[0]).toEqual({
      text: 'table 22 floods VLAN 2: dl_vlan=2 actions=strip_vlan,set_tunnel:0x3ea,output:2 (n_packets=11)',
      file: C_TUN_FLOWS,
      line: 13,
    });
  });
});

describe('a drop no check names', () => {
  it('the headline says the table it dies in', () => {
    const x = yeasy((d) =>
      edit(
        join(d, C_TUN_FLOWS),
        'dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=resubmit(,22)',
        'dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=drop',
      ),
    );
    expect(x.headline).toBe(
      'the DISCOVER from qvoc4493802-43 does not reach a DHCP server: it dies on compute br-tun table 2 at `priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=drop` (n_packets=22)',
    );
  });
});

describe('collect next', () => {
  it('asks one underlay capture for both hosts, whichever way the paths cross', () => {
    const x = yeasy();
    const dumps = x.collectNext.filter((c) => c.startsWith('tcpdump -ni <underlay iface> udp port 4789'));
    expect(dumps).toEqual(['tcpdump -ni <underlay iface> udp port 4789   # on compute and network']);
  });
  it('asks the MAC table of each bridge NORMAL switched on, naming host and bridge (never a bare <bridge>)', () => {
    const x = yeasy();
    expect(x.collectNext.filter((c) => c.includes('fdb/show'))).toEqual([
      'ovs-appctl fdb/show br-int   # on compute',
      'ovs-appctl fdb/show br-int   # on network',
    ]);
  });
});

describe('OVS not answering on a host when its outputs were collected', () => {
  const DB =
    'ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed (No such file or directory)\n';
  const down = (d: string, bridges = ['br-int', 'br-tun']): void => {
    writeFileSync(join(d, C_VSCTL), DB);
    for (const b of bridges)
      for (const c of ['show', 'dump-flows'])
        writeFileSync(
          join(d, 'compute', OVS, `ovs-ofctl_${c}_${b}`),
          `ovs-ofctl: ${b} is not a bridge or a socket\n`,
        );
  };

  it('a gap on that host citing the lines, the services to look at (read-only), not the same outputs again', () => {
    const x = diagnose(
      readCase(
        (() => {
          const d = tmpCase();
          cpSync(FIX, d, { recursive: true });
          down(d);
          return d;
        })(),
      ),
    );
    expect(x.verdict).toBe('undecided');
    const g = one(x, 'ovs-not-answering');
    expect(g.role).toBe('gap');
    expect(g.subject).toBe('compute');
    expect(g.message).toContain(
      'OVS on compute was not answering when its outputs were collected: ovs-vsctl could not reach ovsdb-server ("database connection failed (No such file or directory)")',
    );
    expect(g.message).toContain(
      'ovs-ofctl found no bridge to talk to (br-int, br-tun: "is not a bridge or a socket")',
    );
    expect(g.evidence[0]).toEqual({ text: DB.trim(), file: C_VSCTL, line: 1 });
    expect(g.evidence).toContainEqual({
      text: 'ovs-ofctl: br-tun is not a bridge or a socket',
      file: join('compute', OVS, 'ovs-ofctl_dump-flows_br-tun'),
      line: 1,
    });
    expect(g.fix[0]).toBe(
      'systemctl status openvswitch-switch ovsdb-server ovs-vswitchd   # on compute: are ovsdb-server and ovs-vswitchd running? (RHEL and its kin: systemctl status openvswitch ovsdb-server ovs-vswitchd)',
    );
    for (const line of g.fix) expect(line).not.toContain('changes state');
    expect(g.fix.some((l) => /^ovs-(vsctl|ofctl) /.test(l))).toBe(false);
    // Not asked again for the outputs that hold those errors (was 'compute: bridge br-int:
    // fail_mode unknown (collect `ovs-vsctl show`)').
    expect(x.collectNext.filter((c) => c.startsWith('compute: ') && c.includes('`ovs-'))).toEqual([]);
    expect(x.collectNext).toContain(g.fix[0]);
    expect(x.headline).toBe(
      "no VM port is proven in the case, so no DHCP path can be traced; OVS was not answering on compute when the outputs were collected (its files hold OVS's errors): collect `systemctl status openvswitch-switch ovsdb-server ovs-vswitchd` there",
    );
  });

  it('--vm naming a port of that host: undecided (the case cannot tell), not bad input', () => {
    const d = tmpCase();
    cpSync(FIX, d, { recursive: true });
    down(d);
    const x = diagnose(readCase(d), { vm: VM });
    expect(x.verdict).toBe('undecided');
    expect(codes(x)).toContain('ovs-not-answering');
  });

  it('only ovsdb-server down (vifpath collect on a host without OVS running): asked about that one daemon', () => {
    const d = tmpCase();
    cpSync(FIX, d, { recursive: true });
    down(d, []);
    const g = one(diagnose(readCase(d)), 'ovs-not-answering');
    expect(g.fix[0]).toBe(
      'systemctl status openvswitch-switch ovsdb-server ovs-vswitchd   # on compute: is ovsdb-server running? (RHEL and its kin: systemctl status openvswitch ovsdb-server ovs-vswitchd)',
    );
  });

  it('one bridge missing while the others answer is that bridge, not OVS', () => {
    const d = tmpCase();
    cpSync(FIX, d, { recursive: true });
    for (const c of ['show', 'dump-flows'])
      writeFileSync(
        join(d, 'compute', OVS, `ovs-ofctl_${c}_br-tun`),
        'ovs-ofctl: br-tun is not a bridge or a socket\n',
      );
    const x = diagnose(readCase(d), { vm: VM });
    expect(codes(x)).not.toContain('ovs-not-answering');
  });
});
