// The OVS agent's exits at start, as operators published them (each line verbatim from where it
// says): the stop typed, the message without the log prefix.
import { describe, expect, it } from 'vitest';
import type { AgentStop } from '../model/snapshot.ts';
import { parseAgentLog } from './services.ts';

const ROWS: { from: string; line: string; stop: AgentStop; subject: string }[] = [
  {
    from: "Chinese Juno install notes §11.2, compute1's /var/log/neutron/openvswitch-agent.log (GitHub index file id 14667887019; src/doctor/fixtures/review11)",
    line: 'Bridge br-ex for physical network external does not exist. Agent terminated!',
    stop: { reason: 'bridge-missing', bridge: 'br-ex', physnet: 'external' },
    subject: 'Bridge br-ex for physical network external does not exist. Agent terminated!',
  },
  {
    from: 'Korean troubleshooting note on neutron-server memory (GitHub index file id 2792736952)',
    line: 'Bridge br-ex for physical network phynet2 does not exist. Agent terminated!',
    stop: { reason: 'bridge-missing', bridge: 'br-ex', physnet: 'phynet2' },
    subject: 'Bridge br-ex for physical network phynet2 does not exist. Agent terminated!',
  },
  {
    from: 'Compute node runbook §33 "Compute Node OVS/Nova Runtime Checks" (GitHub index file id 54622629100)',
    line: 'Bridge br-ex for physical network provider does not exist. Agent terminated!',
    stop: { reason: 'bridge-missing', bridge: 'br-ex', physnet: 'provider' },
    subject: 'Bridge br-ex for physical network provider does not exist. Agent terminated!',
  },
  {
    from: 'https://github.com/iesgn/openstack-debian-ansible/issues/8 (Icehouse, /var/log/neutron/ovs-agent.log)',
    line: '2014-06-13 07:22:33.421 4006 ERROR neutron.plugins.openvswitch.agent.ovs_neutron_agent [req-e1954c60-4f16-4b7e-b8a9-5ed8e95fc30b None] Failed to create OVS patch port. Cannot have tunneling enabled on this agent, since this version of OVS does not support tunnels or patch ports. Agent terminated!',
    stop: { reason: 'patch-port-failed' },
    subject:
      'Failed to create OVS patch port. Cannot have tunneling enabled on this agent, since this version of OVS does not support tunnels or patch ports. Agent terminated!',
  },
  {
    from: 'https://github.com/bilelmsekni/OpenStack-Grizzly-Install-Guide/issues/60 (Grizzly, quantum)',
    line: '2013-05-22 22:03:13    ERROR [quantum.plugins.openvswitch.agent.ovs_quantum_agent] Failed to create OVS patch port. Cannot have tunneling enabled on this agent, since this version of OVS does not support tunnels or patch ports. Agent terminated!',
    stop: { reason: 'patch-port-failed' },
    subject:
      'Failed to create OVS patch port. Cannot have tunneling enabled on this agent, since this version of OVS does not support tunnels or patch ports. Agent terminated!',
  },
  {
    from: 'CentOS install script comment (GitHub index file id 42545062082)',
    line: "ERROR neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent [-] Tunneling can't be enabled with invalid local_ip '10.0.1.1'. IP couldn't be found on this host's interfaces.",
    stop: { reason: 'local-ip-invalid', localIp: '10.0.1.1' },
    subject:
      "Tunneling can't be enabled with invalid local_ip '10.0.1.1'. IP couldn't be found on this host's interfaces.",
  },
  {
    from: 'https://github.com/openstack/puppet-neutron/pull/12 (Juno-era ML2 VLAN setup)',
    line: 'ERROR neutron.plugins.openvswitch.agent.ovs_neutron_agent [-] Tunneling cannot be enabled without a valid local_ip. Agent terminated!',
    stop: { reason: 'other', message: 'Tunneling cannot be enabled without a valid local_ip.' },
    subject: 'Tunneling cannot be enabled without a valid local_ip. Agent terminated!',
  },
  {
    from: 'Install script comment, Mitaka (GitHub index file id 81536481; the line after its "# ")',
    line: "2016-06-20 12:16:11.537 7736 ERROR neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent [req-d17e9f19-0a2c-4f86-ac89-7d078842e820 - - - - -] Parsing bridge_mappings failed: Invalid mapping: 'br-provider'. Agent terminated!",
    stop: { reason: 'other', message: "Parsing bridge_mappings failed: Invalid mapping: 'br-provider'." },
    subject: "Parsing bridge_mappings failed: Invalid mapping: 'br-provider'. Agent terminated!",
  },
];

describe('parseAgentLog: the agent exiting at start', () => {
  it.each(ROWS)('$from', ({ line, stop, subject }) => {
    const r = parseAgentLog(`${line}\n`);
    expect(r.value).toEqual([{ kind: 'agent-stopped', subject, text: line, line: 1, stop }]);
    expect(r.diagnostics).toEqual([]);
  });

  it('each line its own event, with its line number (two real lines of the table, one log)', () => {
    const r = parseAgentLog(`${ROWS[6]!.line}\n\n${ROWS[0]!.line}\n`);
    expect(r.value.map((e) => [e.stop?.reason, e.line])).toEqual([
      ['other', 1],
      ['bridge-missing', 3],
    ]);
  });

  it('a long line of anything else is read at once: nothing in it, no regex backtracking over it', () => {
    // The fuzz run's input 298 (an ethtool output with a long run of blanks, any file can be named
    // as the agent's log) hung the catch-all's lazy `(\S.*?)\s+agent terminated` for minutes.
    const long = `${'x '.repeat(150_000)}${' '.repeat(300_000)}y`;
    expect(parseAgentLog(`${long}\n`).value).toEqual([]);
    expect(parseAgentLog(`${long} Agent terminated!\n`).value[0]?.stop?.reason).toBe('other');
    // "terminated" glued to the word before it is no such line.
    expect(parseAgentLog('xAgent terminated!\n').value).toEqual([]);
  });
});

// The agent running: the start line of OVSNeutronAgent.daemon_loop and rpc_loop's resync line
// (ovs_neutron_agent.py, LOG.info texts), as a log holds them. A stop before either is history.
const RUNNING: { from: string; line: string; kind: string; subject: string }[] = [
  {
    from: "review12 control /tmp/review12/_ctl-healthy-agentlog, compute1's openvswitch-agent.log line 3",
    line: '2026-11-29 10:05:02.456 1301 INFO neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent [-] Agent initialized successfully, now running...',
    kind: 'agent-started',
    subject: 'Agent initialized successfully, now running...',
  },
  {
    from: "ovs_neutron_agent.py rpc_loop's LOG.info text behind the same review12 prefix",
    line: '2026-11-29 10:05:03.001 1301 INFO neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent [-] Agent out of sync with plugin!',
    kind: 'agent-resync',
    subject: 'Agent out of sync with plugin!',
  },
];

describe('parseAgentLog: the agent running', () => {
  it.each(RUNNING)('$from', ({ line, kind, subject }) => {
    expect(parseAgentLog(`${line}\n`).value).toEqual([{ kind, subject, text: line, line: 1 }]);
  });

  it("the OVN agent's start line (neutron/agent/ovn/ovn_neutron_agent.py's LOG.info text) is not the OVS agent's", () => {
    const line =
      '2026-11-29 10:05:02.456 1301 INFO neutron.agent.ovn.ovn_neutron_agent [-] OVN Neutron Agent initialized successfully, now running... ';
    expect(parseAgentLog(`${line}\n`).value).toEqual([]);
  });

  it("the review12 control's whole log: the stop at line 1, the start at line 3, nothing else", () => {
    const log = [
      '2026-11-29 10:00:01.123 1234 ERROR neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent [-] Bridge br-ex for physical network external does not exist. Agent terminated!',
      '2026-11-29 10:05:01.456 1301 INFO neutron.common.config [-] Logging enabled!',
      RUNNING[0]!.line,
      '2026-11-29 10:05:03.456 1301 INFO neutron.agent.securitygroups_rpc [-] Preparing filters for devices set()',
    ].join('\n');
    expect(parseAgentLog(`${log}\n`).value.map((e) => [e.kind, e.line])).toEqual([
      ['agent-stopped', 1],
      ['agent-started', 3],
    ]);
  });
});
