// Cases with several DHCP servers, made from real outputs: the reference healthy lab (dom0 + domu,
// src/parse/fixtures/reference/healthy) with more DHCP agents, as Neutron's
// dhcp_agents_per_network=2 or 3 makes them (one qdhcp-<net> namespace of the network on each of
// several nodes), and a node serving another network. Each server host is a copy of domu; one of
// another network has its namespace renamed to another network's id. A wired server hangs off
// dom0's xapi2 by its own guest vif (domu: vif2.1 port 2, the next: vif3.1 port 3, vif4.1 port 4),
// added to dom0's `ovs-vsctl show` and `ovs-ofctl show xapi2` as OVS prints them.
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { edit, REF, REF_LISTENING, REF_NS, REF_SS_ANO, refCase, refVmMac } from './case-edits.ts';
import { ROOT } from './fixtures.ts';

/** The network of the reference lab's DHCP server, and another one. */
export const REF_NET = REF_NS.slice('qdhcp-'.length);
export const OTHER_NET = '9a8b7c6d-4e5f-4a1b-8c2d-3e4f5a6b7c8d';

/** What a server's dnsmasq log shows of the VM (fa:16:3e:11:22:33). */
export type LogShows = 'answered' | 'silent' | 'deaf';

/**
 * Lines of a real dnsmasq 2.90 log (examples/vxlan-healthy, the overlay lab's network node: its
 * first run answers fa:16:3e:11:22:33 through ACK), its device renamed to the reference lab's DHCP
 * port; 'silent' cut after the DISCOVER (the server heard it and sent nothing), 'deaf' before it.
 */
export function dnsmasqLog(shows: LogShows): string {
  const all = readFileSync(join(ROOT, 'examples/vxlan-healthy/network/var/log/neutron/dnsmasq.log'), 'utf8')
    .replaceAll('tapd4a1b2c3-e5', 'tap5f1c9a2e-7b')
    .split('\n');
  const first = all.slice(
    0,
    all.findIndex((l, i) => i > 0 && /: started, version/.test(l)),
  );
  const disc = first.findIndex((l) => /DHCPDISCOVER\(/.test(l));
  const lines =
    shows === 'answered'
      ? first
      : shows === 'silent'
        ? first.slice(0, disc + 2)
        : first.filter((l) => !/^\S+ \S+ \S+ dnsmasq-dhcp\[\d+\]: \d+ /.test(l));
  return `${lines.join('\n')}\n`;
}

const SS = REF_SS_ANO;
const LISTENING = REF_LISTENING;

export interface AgentSpec {
  host: string;
  /** Another network's server (its namespace renamed to OTHER_NET). */
  other?: boolean;
  /** Wired to dom0's xapi2 (default true). */
  wired?: boolean;
  log?: LogShows;
}

/** Rename a word in every file (and file name) under a folder. */
function renameAll(dir: string, from: string, to: string): void {
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const f = join(e.parentPath, e.name);
    const t = readFileSync(f, 'latin1');
    if (t.includes(from)) writeFileSync(f, t.replaceAll(from, to), 'latin1');
  }
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }).reverse())
    if (e.name.includes(from))
      renameSync(join(e.parentPath, e.name), join(e.parentPath, e.name.replaceAll(from, to)));
}

/**
 * dom0 (the VM port vif16.0 with Neutron's attached-mac) and the DHCP servers `agents` (the first
 * is domu itself, on vif2.1); with `vm`, the VM's namespace vm16 wired to vif16.0, its dhclient
 * output cut where no OFFER came (dhclient's own `No DHCPOFFERS received.`).
 */
export function dhcpAgents(
  agents: AgentSpec[],
  opts: { vm?: 'bound' | 'no-offer'; change?: (d: string) => void } = {},
): string {
  const links: string[] = [];
  let port = 2;
  if (agents[0]?.host !== 'domu')
    throw new Error('the first agent is domu (the reference lab wires it to vif2.1)');
  return refCase('healthy', ['dom0', 'domu', ...(opts.vm ? ['vm16'] : [])], null, (d) => {
    refVmMac(d);
    const ovs = join(d, 'dom0/sos_commands/openvswitch');
    for (const a of agents) {
      if (a.host !== 'domu') cpSync(join(REF, 'healthy/domu'), join(d, a.host), { recursive: true });
      writeFileSync(join(d, a.host, 'sos_commands/networking', SS), LISTENING);
      if (a.other) renameAll(join(d, a.host), REF_NET, OTHER_NET);
      if (a.log) {
        mkdirSync(join(d, a.host, 'var/log/neutron'), { recursive: true });
        writeFileSync(join(d, a.host, 'var/log/neutron/dnsmasq.log'), dnsmasqLog(a.log));
      }
      if (a.wired === false) continue;
      const vif = `vif${port}.1`;
      links.push(`dom0:${vif} ${a.host}:eth1`);
      if (port > 2) {
        edit(
          join(ovs, 'ovs-vsctl_-t_5_show'),
          '        Port vif2.1\n            Interface vif2.1\n',
          `        Port vif2.1\n            Interface vif2.1\n        Port ${vif}\n            Interface ${vif}\n`,
        );
        for (const f of ['ovs-ofctl_show_xapi2', 'ovs-ofctl_-O_OpenFlow13_show_xapi2'])
          edit(
            join(ovs, f),
            ' LOCAL(xapi2)',
            ` ${port}(${vif}): addr:2a:d7:3b:cc:1a:0${port}\n     config:     0\n     state:      0\n LOCAL(xapi2)`,
          );
      }
      port++;
    }
    if (opts.vm) {
      links.push('dom0:vif16.0 vm16:eth0');
      if (opts.vm === 'no-offer') {
        const p = join(d, 'vm16/dhclient_-1_-v_eth0.txt');
        writeFileSync(p, `${readFileSync(p, 'utf8').split('DHCPOFFER')[0]}No DHCPOFFERS received.\n`);
      }
    }
    writeFileSync(join(d, 'links.txt'), `${links.join('\n')}\n`);
    opts.change?.(d);
  });
}
