import { nodesOf } from '../../dataplane/tree.ts';
// The DHCP server's side: the qdhcp namespace, its port and whether frames can reach it.

import { reachedServer } from '../context.ts';
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';

export const dhcpPort: Check = {
  id: 'dhcp-port',
  title: 'DHCP namespace and port',
  run(ctx) {
    const out: Finding[] = [];
    if (ctx.servers.length === 0) {
      const nss = ctx.snapshot.hosts.flatMap((h) => h.namespaces.map((n) => `${h.name}:${n.name}`));
      const netnsFiles = ctx.snapshot.hosts.flatMap((h) =>
        h.files.filter((f) => /(?:^|\/)ip_netns(?:_list)?$/.test(f)).map((file) => ({ host: h.name, file })),
      );
      out.push({
        code: 'dhcp-namespace-missing',
        severity: nss.some((n) => n.includes(':qdhcp-')) ? 'warning' : 'error',
        subject: 'DHCP server',
        message: nss.some((n) => n.includes(':qdhcp-'))
          ? 'a qdhcp namespace is listed but its devices are not in the case'
          : 'no qdhcp namespace in the case: the DHCP agent has no server for this network here (or the network node was not collected)',
        evidence: nss.length
          ? [evid(`namespaces seen: ${nss.join(', ')}`)]
          : netnsFiles.length
            ? netnsFiles.map((f) =>
                evid(`\`ip netns\` lists no namespace on ${f.host}`, { file: f.file, line: 0 }),
              )
            : [evid('no `ip netns` output in the case')],
        fix: [
          '# on the network node:',
          'ip netns',
          'ip netns exec qdhcp-<network-id> ip -d address show',
          'openstack network agent list --agent-type dhcp',
        ],
      });
      return out;
    }
    for (const srv of ctx.servers) {
      const subject = `${srv.host.name}:${srv.ns.name}:${srv.device.name}`;
      if (!srv.device.up)
        out.push({
          code: 'dhcp-port-down',
          severity: 'error',
          subject,
          message: `the DHCP port ${srv.device.name} is DOWN inside ${srv.ns.name}: frames switched to it are never received`,
          rootCause: 'the DHCP agent did not (re)plug its port, or someone set it down',
          evidence: [evid(`${srv.device.name} is not UP`, srv.device.from)],
          fix: [
            `ip netns exec ${srv.ns.name} ip link set ${srv.device.name} up`,
            'systemctl restart neutron-dhcp-agent',
          ],
        });
      if (!srv.ovs)
        out.push({
          code: 'dhcp-port-not-on-bridge',
          severity: 'error',
          subject,
          message: `${srv.device.name} is in ${srv.ns.name} but no OVS bridge of ${srv.host.name} has its port`,
          evidence: [evid(`${srv.device.name} in ${srv.ns.name}`, srv.device.from)],
          fix: [
            `ovs-vsctl show   # on ${srv.host.name}: is the tap on br-int?`,
            'systemctl restart neutron-dhcp-agent',
          ],
        });
      else if (srv.ovs.port.tag.known && srv.ovs.port.tag.value !== null) {
        // Frames for the network reach the DHCP port's bridge in one VLAN; is the port in it?
        const tag = srv.ovs.port.tag.value;
        for (const vm of ctx.vms) {
          const t = ctx.discover.get(vm);
          if (!t || reachedServer(ctx, vm)) continue;
          const seen = new Set<number>();
          for (const n of nodesOf(t.tree, 'normal'))
            if (n.host === srv.host.name && n.bridge === srv.ovs.bridge.name && n.vlan !== undefined)
              seen.add(n.vlan);
          if (seen.size === 0 || seen.has(tag)) continue;
          out.push({
            code: 'dhcp-port-vlan-mismatch',
            severity: 'error',
            subject,
            message: `the DISCOVER from ${vm.port.name} reaches ${srv.ovs.bridge.name} in VLAN ${[...seen].join(', ')}, but the DHCP port ${srv.ovs.port.name} is tagged ${tag}`,
            rootCause:
              "the DHCP port's local VLAN and the translation flows of the network disagree (stale tag after an agent restart, or two agents)",
            evidence: [
              evid(`port ${srv.ovs.port.name} tag ${tag}`, srv.ovs.port.tag.from[0]),
              evid(`NORMAL on ${srv.ovs.bridge.name} switched the frame in VLAN ${[...seen].join(', ')}`),
            ],
            fix: [
              'systemctl restart neutron-openvswitch-agent neutron-dhcp-agent   # both re-derive the local VLAN of the network',
            ],
          });
        }
      } else if (srv.ovs.port.tag.known && srv.ovs.port.tag.value === null)
        out.push({
          code: 'dhcp-port-untagged',
          severity: 'error',
          subject,
          message: `the DHCP port ${srv.ovs.port.name} has no VLAN tag on ${srv.ovs.bridge.name}`,
          evidence: [evid(`port ${srv.ovs.port.name} has no tag`, srv.ovs.port.tag.from[0])],
          fix: [
            `ovs-vsctl set Port ${srv.ovs.port.name} tag=<local VLAN>`,
            'systemctl restart neutron-openvswitch-agent',
          ],
        });
    }
    return out;
  },
};
