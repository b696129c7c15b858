// `vifpath lab collect <dir>`: write a case directory from a running lab, the way sosreport would
// lay it out on each emulated host, plus what diagnose needs to tell the scenarios apart (per
// namespace addresses, routes, iptables, sockets, offloads; the Neutron DHCP files; dnsmasq's
// log). Namespaces are written under the names the emulated host would show (the lab's unique
// prefix removed).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sosName } from '../sources/file-kinds.ts';
import { exec } from '../sources/runner/exec.ts';
import type { Lab, LabHost } from './lab.ts';
import { DOMU_DOMID, DOMU_VIF, NET_ID, QDHCP, VM_VIF } from './topology.ts';

async function save(lab: Lab, host: LabHost, argv: string[], file: string): Promise<void> {
  const r = await exec(lab.wrap(host, argv), { timeoutMs: 30_000 });
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, r.stdout + r.stderr);
}

async function collectOvs(lab: Lab, host: 'dom0' | 'domu', root: string): Promise<void> {
  const ovsDir = join(root, 'sos_commands/openvswitch');
  const cmd = (argv: string[]): Promise<void> => save(lab, host, argv, join(ovsDir, sosName(argv)));
  await cmd(['ovs-vsctl', '-t', '5', 'show']);
  await cmd(['ovs-vsctl', '-t', '5', 'list-br']);
  for (const t of ['bridge', 'port', 'interface', 'Open_vSwitch'])
    await cmd(['ovs-vsctl', '-t', '5', 'list', t]);
  const bridges = (await exec(lab.wrap(host, ['ovs-vsctl', 'list-br']))).stdout.split('\n').filter(Boolean);
  for (const br of bridges) {
    await cmd(['ovs-ofctl', 'show', br]);
    await cmd(['ovs-ofctl', 'dump-flows', br]);
    await cmd(['ovs-ofctl', '-O', 'OpenFlow13', 'show', br]);
    await cmd(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', br]);
    await cmd(['ovs-ofctl', 'dump-ports', br]);
    await cmd(['ovs-appctl', 'fdb/show', br]);
  }
  await cmd(['ovs-appctl', 'dpif/show']);
  await cmd(['ovs-appctl', 'dpctl/dump-flows', '-m']);
  const db = join(lab.dir, host, 'conf.db');
  mkdirSync(join(root, 'etc/openvswitch'), { recursive: true });
  if (existsSync(db)) copyFileSync(db, join(root, 'etc/openvswitch/conf.db'));
}

async function collectNet(lab: Lab, host: LabHost, root: string): Promise<void> {
  const net = join(root, 'sos_commands/networking');
  for (const argv of [
    ['ip', '-d', 'address'],
    ['ip', '-s', '-d', 'link'],
    ['ip', 'route', 'show', 'table', 'all'],
  ])
    await save(lab, host, argv, join(net, sosName(argv)));
}

export async function collect(lab: Lab, out: string): Promise<string[]> {
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  for (const host of ['dom0', 'domu'] as const) {
    const root = join(out, host);
    await collectOvs(lab, host, root);
    await collectNet(lab, host, root);
  }
  // DomU's namespaces as `ip netns` there would list them, and sos ≥ 4.3's per-namespace files.
  const domu = join(out, 'domu');
  writeFileSync(join(domu, 'sos_commands/networking/ip_netns'), `${QDHCP}\n`);
  const nsDir = join(domu, 'sos_commands/networking/namespaces', QDHCP);
  const dev = lab.dhcpDev();
  for (const argv of [
    ['ip', '-d', 'address', 'show'],
    ['ip', 'route', 'show', 'table', 'all'],
    ['iptables-save'],
    ['netstat', '-W', '-neopa'],
    ['ss', '-peaonmi'],
    ['ethtool', '-k', dev],
  ]) {
    if (argv[0] === 'netstat' && !existsSync('/bin/netstat') && !existsSync('/usr/bin/netstat')) continue;
    await save(lab, 'qdhcp', argv, join(nsDir, sosName(['ip', 'netns', 'exec', QDHCP, ...argv])));
  }
  // The Neutron DHCP agent's per-network files and dnsmasq's log.
  const dhcp = join(domu, 'var/lib/neutron/dhcp', NET_ID);
  mkdirSync(dhcp, { recursive: true });
  for (const f of readdirSync(lab.dhcpDir())) copyFileSync(join(lab.dhcpDir(), f), join(dhcp, f));
  mkdirSync(join(domu, 'var/log/neutron'), { recursive: true });
  copyFileSync(lab.dnsmasqLog(), join(domu, 'var/log/neutron/dnsmasq.log'));
  writeFileSync(join(domu, 'xenstore-read_domid'), `${DOMU_DOMID}\n`);
  // The VM: its addresses and what its DHCP client printed.
  const vm = join(out, 'vm');
  await collectNet(lab, 'vm', vm);
  const last = lab.state.renewals.at(-1);
  if (last) writeFileSync(join(vm, 'dhclient_-1_-v_eth0'), `${last.output.join('\n')}\n`);
  // The last attempt's captures, where tcpdump ran (name: the interface it listened on).
  if (last?.vmPcap) {
    mkdirSync(join(vm, 'capture'), { recursive: true });
    copyFileSync(join(lab.dir, last.vmPcap), join(vm, 'capture/eth0.pcap'));
  }
  if (last?.tapPcap) {
    mkdirSync(join(domu, 'capture'), { recursive: true });
    copyFileSync(join(lab.dir, last.tapPcap), join(domu, 'capture', `${dev}.pcap`));
  }
  const leases = join(lab.dir, 'vm/dhclient.leases');
  if (existsSync(leases)) writeFileSync(join(vm, 'dhclient.leases'), readFileSync(leases));
  writeFileSync(
    join(out, 'links.txt'),
    `# written by vifpath lab collect (scenario ${lab.state.scenario})\ndom0:${DOMU_VIF} domu:eth1\ndom0:${VM_VIF} vm:eth0\n`,
  );
  // Ground truth for tests: what really happened, kept beside the evidence.
  writeFileSync(
    join(out, 'lab.json'),
    `${JSON.stringify({ scenario: lab.state.scenario, renewals: lab.state.renewals }, null, 2)}\n`,
  );
  written.push(out);
  return written;
}
