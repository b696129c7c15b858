// Which port is the VM: said, not guessed. A port the case proves the DHCP server's (a dnsmasq log
// naming its device or its veth peer) is never the VM (roles.ts); a tap<id> taken for the VM by
// its name alone may be a veth DHCP port (ovs_use_veth names both alike), and that is said with
// what decides it; with no VM port at all, what the case does know (the DHCP server's ports, the
// MAC the client's output gives) is said, and how to find the VM's port.

import { dnsmasqServes } from '../../model/roles.ts';
import { dnsmasqEvents, type Snapshot } from '../../model/snapshot.ts';
import { shellWord } from '../../runner/runner.ts';
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';

/** The MACs the case's DHCP client outputs give (their `Listening on` lines). */
function clientMacs(s: Snapshot): string[] {
  return [...new Set(s.hosts.flatMap((h) => (h.dhcpClients ?? []).flatMap((c) => (c.mac ? [c.mac] : []))))];
}

/**
 * For the no-vm-port gap: the ports the case proves the DHCP server's, the MAC the client gives,
 * and the commands that find the VM's port by it.
 */
export function noVmDetail(s: Snapshot): { text: string; fix: string[] } {
  const served = s.hosts.flatMap((h) =>
    h.bridges.flatMap((b) =>
      b.ports.flatMap((p) => {
        const d = dnsmasqServes(s, p.name);
        return d
          ? [
              `${h.name}:${p.name} is the DHCP server's (dnsmasq serves on ${d.device}, ${d.from.file}:${d.from.line})`,
            ]
          : [];
      }),
    ),
  );
  const macs = clientMacs(s);
  // The MACs dnsmasq answered (its log's OFFER/ACK), the last answered first: the VM each is of
  // got an answer from the server; whether it reached the VM is on the VM's side.
  const answered = new Map<string, string | undefined>();
  for (const h of s.hosts)
    for (const e of dnsmasqEvents(h))
      if (e.mac && (e.type === 'DHCPOFFER' || e.type === 'DHCPACK')) {
        answered.delete(e.mac);
        answered.set(e.mac, e.ip);
      }
  const answeredMacs = [...answered]
    .reverse()
    .filter(([m]) => !macs.includes(m))
    .slice(0, 3);
  const text = [
    ...served,
    ...(macs.length
      ? [`the DHCP client's output gives the VM's MAC, ${macs.join(', ')}, which no port of the case carries`]
      : []),
    ...(answeredMacs.length
      ? [
          `dnsmasq's log shows answers to ${answeredMacs.map(([m, ip]) => `${m}${ip ? ` (${ip})` : ''}`).join(', ')}, whose port${answeredMacs.length > 1 ? 's are' : ' is'} not proven in the case`,
        ]
      : []),
  ].join('; ');
  return {
    text: text ? `; ${text}` : '',
    fix: [
      ...macs.map(
        (m) =>
          `ovs-vsctl --columns=name,external_ids find Interface ${shellWord(`external_ids:attached-mac="${m}"`)}   # on the compute node: the VM's port, by the MAC its client gives`,
      ),
      ...answeredMacs.flatMap(([m, ip]) => [
        `ovs-vsctl --columns=name,external_ids,ofport find Interface ${shellWord(`external_ids:attached-mac="${m}"`)}   # on the compute node: the port of the VM dnsmasq answered, by its MAC`,
        `openstack port show "$(openstack port list --mac-address ${shellWord(m)} -f value -c ID)" -c device_id -c binding_host_id   # the VM (device_id) ${m} is of, and its compute node`,
        `openstack console log show <device_id> | grep -iE 'dhcp|lease|udhcpc'   # the VM's own DHCP client: did it take ${ip ?? 'the address'}?`,
      ]),
    ],
  };
}

export const vmIdentity: Check = {
  id: 'vm-identity',
  title: 'which port is the VM',
  run(ctx) {
    // What settles it: a MAC from Neutron's anti-spoofing flows (the agent installs them for no
    // DHCP port: a network-owned port is trusted), or a port's MAC that is a DHCP client's (its
    // own output's, or one dnsmasq got DISCOVERs from): a DHCP server's port asks nothing.
    const macs = clientMacs(ctx.snapshot);
    const clients = new Set([
      ...macs,
      ...ctx.snapshot.hosts.flatMap((h) =>
        dnsmasqEvents(h).flatMap((e) => (e.type === 'DHCPDISCOVER' && e.mac ? [e.mac] : [])),
      ),
    ]);
    // Nova's own key settles it too (vm-uuid; vm-id in some deployments' records).
    const novaKey = (v: (typeof ctx.vms)[number]): boolean => {
      const ids = v.port.interfaces[0]?.externalIds;
      return ids?.known === true && Boolean(ids.value['vm-uuid'] || ids.value['vm-id']);
    };
    const byName = ctx.vms.filter(
      (v) => v.byName && !v.macFrom && !novaKey(v) && !(v.mac && clients.has(v.mac.toLowerCase())),
    );
    if (byName.length === 0) return [];
    const names = byName.map((v) => `${v.host.name}:${v.port.name}`);
    const noIds = byName.every((v) => !v.port.interfaces[0]?.externalIds.known);
    const hosts = [...new Set(byName.map((v) => v.host.name))];
    const one = byName.length === 1;
    return [
      {
        code: 'vm-port-by-name',
        role: 'gap',
        severity: 'info',
        subject: names.join(', '),
        message: `${names.join(', ')} ${one ? 'is' : 'are'} taken for the VM port by ${one ? 'its' : 'their'} name alone (tap<id>, no OVS internal port), ${noIds ? 'the case giving no external_ids' : "without Nova's vm-uuid in the external_ids"}: a DHCP port plugged as a veth pair (Neutron's ovs_use_veth) is named the same, so the case cannot tell whether ${one ? 'it is' : 'they are'} the VM${macs.length ? `; the VM's MAC is ${macs.join(', ')} (its DHCP client's output)` : ''}`,
        evidence: [],
        fix: hosts.map(
          (h) =>
            `ovs-vsctl --columns=name,external_ids list Interface ${byName
              .filter((v) => v.host.name === h)
              .map((v) => shellWord(v.port.name))
              .join(
                ' ',
              )}   # on ${h}: a VM's port has attached-mac and vm-uuid (Nova's); a DHCP port has no vm-uuid`,
        ),
      } satisfies Finding,
    ];
  },
};
