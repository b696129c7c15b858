// The lab's emulated hosts as collection sources: the same collector that reads a real host over
// ssh reads them, with the lab's namespaces and file locations mapped to what the emulated host
// would show (`qdhcp-…` instead of the lab's prefixed namespace, /etc/openvswitch/conf.db, ...).
import { join } from 'node:path';
import { LocalRunner, NETNS } from '../runner/runner.ts';
import type { HostSource } from '../sources/collect.ts';
import type { Lab } from './lab.ts';
import { DOMU_DOMID, QDHCP, VM_DOMID } from './topology.ts';

export const LAB_SOURCE_HOSTS = ['dom0', 'domu', 'vm'] as const;
export type LabSourceHost = (typeof LAB_SOURCE_HOSTS)[number];

/** XenStore is not emulated: the lab says what `xenstore-read domid` would print in each guest. */
const domid = (id: number): Record<string, string> => ({ 'sos_commands/xen/xenstore-read_domid': `${id}\n` });

export function labSource(lab: Lab, host: LabSourceHost, name: string = host): HostSource {
  const runner = new LocalRunner(lab.wrap(host, []), `lab:${host}`);
  // The emulated host's own name (what it would print), not the machine's: `uname -n` in the
  // namespace answers with the machine's. `name` may be the operator's NAME= for the folder.
  const hostname = host;
  // Only the lab's own files: never this machine's conf.db, agent config, logs or DHCP files.
  if (host === 'vm')
    return {
      name,
      hostname,
      runner,
      ovs: false,
      namespaces: [],
      emulated: domid(VM_DOMID),
      mappedFilesOnly: true,
    };
  if (host === 'dom0')
    return {
      name,
      hostname,
      runner,
      namespaces: [],
      mappedFilesOnly: true,
      paths: { '/etc/openvswitch/conf.db': join(lab.dir, host, 'conf.db') },
    };
  return {
    name,
    hostname,
    runner,
    namespaces: [QDHCP],
    inNamespace: (ns) =>
      new LocalRunner(
        ns === QDHCP ? NETNS(lab.ns('qdhcp')) : NETNS(`${lab.state.prefix}-${ns}`),
        `lab:${ns}`,
      ),
    emulated: domid(DOMU_DOMID),
    mappedFilesOnly: true,
    paths: {
      '/etc/openvswitch/conf.db': join(lab.dir, host, 'conf.db'),
      '/var/lib/neutron/dhcp': join(lab.dir, 'neutron/dhcp'),
      '/var/log/neutron/dnsmasq.log': lab.dnsmasqLog(),
    },
  };
}
