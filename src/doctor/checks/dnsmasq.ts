// dnsmasq itself: running (a udp :67 listener in the namespace) and knowing the VM's MAC.
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';

export const dnsmasq: Check = {
  id: 'dnsmasq',
  title: 'dnsmasq running with a host entry for the VM',
  run(ctx) {
    const out: Finding[] = [];
    for (const srv of ctx.servers) {
      const socks = srv.ns.sockets;
      if (socks && !socks.some((l) => l.proto === 'udp' && l.port === 67)) {
        // The agent's pid file for this network: present means dnsmasq was started and died.
        const net = srv.host.dhcpNetworks.find((n) => `qdhcp-${n.net}` === srv.ns.name);
        const pid = net?.pid;
        out.push({
          code: 'dnsmasq-not-running',
          severity: 'error',
          subject: `${srv.host.name}:${srv.ns.name}`,
          message: `nothing listens on udp port 67 in ${srv.ns.name}: dnsmasq is not running`,
          rootCause: pid
            ? `the DHCP agent started dnsmasq (pid ${pid.pid}) but it died and was not restarted: its pid file is stale`
            : 'the DHCP agent did not start (or lost) dnsmasq for this network',
          evidence: [
            evid(`${socks.length} listening sockets, none on udp :67`, socks[0]?.from ?? srv.ns.from[0]),
            ...(pid
              ? [
                  evid(
                    `the agent's pid file names dnsmasq pid ${pid.pid}, which has no socket here`,
                    pid.from,
                  ),
                ]
              : []),
          ],
          fix: [
            'grep -i dnsmasq /var/log/neutron/dhcp-agent.log | tail',
            'systemctl restart neutron-dhcp-agent',
          ],
        });
      }
    }
    for (const vm of ctx.vms) {
      if (!vm.mac) continue;
      // A lease for the VM's MAC: dnsmasq answered it up to ACK at least once. Not a fault by
      // itself, but it moves the suspicion to the way back (or to the client) when the VM has no IP.
      for (const h of ctx.snapshot.hosts)
        for (const net of h.dhcpNetworks)
          for (const l of net.leases ?? [])
            if (l.mac === vm.mac.toLowerCase())
              out.push({
                code: 'dhcp-lease-held',
                severity: 'info',
                subject: `${h.name}:${net.net}`,
                message: `dnsmasq leased ${l.ip} to ${vm.mac} (${vm.port.name}), ${l.expiry === 0 ? 'with no expiry' : `valid until ${new Date(l.expiry * 1000).toISOString()}`}: it has answered this VM through ACK`,
                evidence: [evid(`${l.expiry} ${l.mac} ${l.ip}`, l.from)],
                fix: [],
              });
      for (const h of ctx.snapshot.hosts)
        for (const net of h.dhcpNetworks) {
          if (!net.hosts || net.hosts.some((e) => e.mac === vm.mac!.toLowerCase())) continue;
          out.push({
            code: 'dnsmasq-no-host-entry',
            severity: 'error',
            subject: `${h.name}:${net.net}`,
            message: `dnsmasq's hosts file for network ${net.net} has no entry for ${vm.mac} (${vm.port.name}): it will not answer that MAC`,
            rootCause: 'the DHCP agent has not synced the port (RPC from neutron-server missed or failed)',
            evidence: [
              evid(
                `${net.hosts.length} entries, none for ${vm.mac}`,
                net.hosts[0]?.from ?? { file: net.files[0]!, line: 0 },
              ),
            ],
            fix: [
              'systemctl restart neutron-dhcp-agent   # resyncs every network',
              `grep ${vm.mac} /var/lib/neutron/dhcp/${net.net}/host`,
            ],
          });
        }
    }
    return out;
  },
};
