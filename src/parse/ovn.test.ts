// What the text of a case says of OVN (parse/ovn.ts): processes, log lines, ovn-nbctl outputs, the
// flows of OVN's logical pipeline. Real lines: hotsos's Sunbeam `ps auxfwww`, the study notes'
// ML2/OVN br-int dump (src/parse/fixtures/field/PROVENANCE.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
import { ovnFlowLine, parseOvnDbOutput, parseOvnLog, parseOvnProcesses } from './ovn.ts';

const FIELD = join(OWN_FIXTURES, 'field');
const PS = readFileSync(join(FIELD, 'hotsos-sunbeam/hypervisor/sos_commands/process/ps_auxfwww'), 'utf8');
const BR_INT = readFileSync(
  join(FIELD, 'study-notes-ovn-geneve/compute/ovs-ofctl_dump-flows_br-int'),
  'utf8',
);

describe('OVN daemons in a process listing', () => {
  it("Sunbeam's ps auxfwww: ovn-controller and the metadata agent (chassis), ovn-northd in a pod (central), once each", () => {
    const v = parseOvnProcesses(PS).value;
    expect(v.map((p) => [p.daemon, p.role])).toEqual([
      ['ovn-controller', 'chassis'],
      ['neutron-ovn-metadata-agent', 'chassis'],
      ['ovn-northd', 'central'],
    ]);
    const lines = PS.split('\n');
    for (const p of v) expect(lines[p.line - 1]!.trim()).toBe(p.text);
    expect(v[0]!.text).toMatch(/^root +2276 .* 0:06 ovn-controller unix:\/var\/snap\/openstack-hypervisor\//);
    // The title the agent gives itself (`neutron-ovn-metadata-agent (python3 …)`), not its wrapper
    // script (`python3 …/neutron-ovn-metadata-agent-service`).
    expect(v[1]!.text).toMatch(/\\_ neutron-ovn-metadata-agent \(python3 /);
  });
  it('the daemon must be the command: grep, tail, an editor on its log are not it', () => {
    const t = [
      'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND',
      'root        4242  0.0  0.0   6480  2304 pts/0    S+   10:00   0:00 grep ovn-controller',
      'root        4243  0.0  0.0   5516  1024 pts/1    S+   10:00   0:00 tail -f /var/log/ovn/ovn-controller.log',
      'root        4244  0.0  0.1  21748 10112 ?        Ss   09:00   0:01 /usr/sbin/neutron-openvswitch-agent --config-file /etc/neutron/neutron.conf',
    ].join('\n');
    expect(parseOvnProcesses(t).value).toEqual([]);
  });
  it('ps -elfL (STIME, TTY, TIME before the command) and a path to the binary', () => {
    const t =
      'F S UID          PID    PPID     LWP  C NLWP PRI  NI ADDR SZ WCHAN  STIME TTY          TIME CMD\n' +
      '5 S root        1234       1    1234  0    4  80   0 - 77173 do_pol 04:22 ?        00:00:06 /usr/bin/ovn-controller unix:/run/openvswitch/db.sock -vconsole:emer\n';
    expect(parseOvnProcesses(t).value).toMatchObject([{ daemon: 'ovn-controller', line: 2 }]);
  });
});

describe("a daemon's log, an ovn-nbctl output", () => {
  it("journalctl's `-- No entries --` is no line of the daemon's (sos ovn_host on Sunbeam)", () => {
    expect(parseOvnLog('-- No entries --\n').value).toBeUndefined();
    expect(
      parseOvnLog(
        '-- Logs begin at Mon 2024-06-03 10:00:00 UTC, end at Mon 2024-06-03 11:00:00 UTC. --\nJun 03 10:00:01 compute ovn-controller[1234]: ovs|00001|vlog|INFO|opened log file\n',
      ).value,
    ).toEqual({
      line: 2,
      text: 'Jun 03 10:00:01 compute ovn-controller[1234]: ovs|00001|vlog|INFO|opened log file',
    });
  });
  it('an ovn-nbctl that printed its error read no database', () => {
    expect(
      parseOvnDbOutput(
        'ovn-nbctl: unix:/var/run/ovn/ovnnb_db.sock: database connection failed (No such file or directory)\n',
      ).value,
    ).toBeUndefined();
    expect(parseOvnDbOutput('\n_uuid               : a1b1aede-42f0-49dd-acbd-d149ae11d461\n').value).toEqual({
      line: 2,
      text: '_uuid               : a1b1aede-42f0-49dd-acbd-d149ae11d461',
    });
  });
});

describe("OVN's logical pipeline in a flow dump", () => {
  it("the study notes' br-int: the VM's DHCPv4 flow (put_dhcp_opts) is preferred, its userdata cut", () => {
    const f = ovnFlowLine(BR_INT)!;
    expect(f.line).toBe(119);
    expect(BR_INT.split('\n')[118]).toContain('dl_src=fa:16:3e:1a:d0:3d,tp_src=68,tp_dst=67');
    expect(f.text).toBe(
      'cookie=0xf7e3ac2f, duration=6081.773s, table=30, n_packets=2, n_bytes=684, priority=100,conj_id=1828518725,udp,reg14=0x2,metadata=0x3,dl_src=fa:16:3e:1a:d0:3d,tp_src=68,tp_dst=67 actions=controller(userdata=00.00.00.02.00.00.00.00…,pause),resubmit(,31)',
    );
  });
  it('another pinctrl action when no DHCP flow is there; nothing in a Neutron OVS agent dump', () => {
    const noDhcp = BR_INT.split('\n')
      .filter((l) => !l.includes('userdata=00.00.00.02.'))
      .join('\n');
    expect(ovnFlowLine(noDhcp)?.text).toMatch(
      /metadata=0x3 .*controller\(userdata=00\.00\.00\.16\.00\.00\.00\.00…\)/,
    );
    // Neutron's agent sends to its controller with CONTROLLER:65535 (no userdata, no logical datapath).
    expect(
      ovnFlowLine(
        ' cookie=0x9d1e3a4c5b6f7a8b, duration=10.0s, table=77, n_packets=0, n_bytes=0, priority=101,udp,in_port=5,tp_src=68,tp_dst=67 actions=CONTROLLER:65535\n' +
          ' cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, priority=1 actions=controller(userdata=01.02)\n',
      ),
    ).toBeUndefined();
  });
});
