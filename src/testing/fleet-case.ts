// A generated fleet in the plain "folder of host folders" layout (what `sos collect` gives once its
// sosreports are unpacked side by side, or an Ansible run of `vifpath collect local` on every host):
// `units` copies of the reference lab (a compute Dom0 with one VM port, vif16.0, wired to a DomU
// network node holding the qdhcp namespace and dnsmasq), each VM with its own MAC, every flow dump
// padded with generated flows that share nothing (bench/big-case.ts's firewall shape, on ports no
// trace enters), and a few units broken on purpose the way operators meet it: the VM port untagged,
// at the dead VLAN 4095, or its MAC missing from dnsmasq's host file.
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firewallDump } from '../../bench/big-case.ts';
import { REF_SS, REF_SS_FILE } from './case-edits.ts';
import { OWN_FIXTURES } from './fixtures.ts';

const REF = join(OWN_FIXTURES, 'reference', 'healthy');
const REF_MAC = 'fa:16:3e:11:22:33';
/** The reference lab's network (its qdhcp namespace). */
const NET = '5f1c9a2e-7b3d-4c8e-9a61-0d2b4e6f8a10';

export type Breakage = 'untagged' | 'dead-vlan' | 'no-host-entry';

export interface FleetOptions {
  /** Compute + network node pairs (the fleet has twice as many hosts). */
  units: number;
  /** Generated flows appended to each flow dump (4 dumps per host). */
  flowsPerDump?: number;
  /** Unit index (0-based) → how it is broken. */
  broken?: ReadonlyMap<number, Breakage>;
}

export interface FleetVm {
  host: string;
  port: string;
  mac: string;
  broken?: Breakage;
}

const pad = (i: number): string => String(i + 1).padStart(4, '0');
const hex2 = (n: number): string => (n & 255).toString(16).padStart(2, '0');

export const computeName = (i: number): string => `c${pad(i)}`;
export const networkName = (i: number): string => `n${pad(i)}`;
export const unitMac = (i: number): string => `fa:16:3e:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

function edit(f: string, from: string | RegExp, to: string): void {
  const t = readFileSync(f, 'utf8');
  const n = t.replace(from, to);
  if (n === t) throw new Error(`fleet edit did not apply to ${f}: ${from}`);
  writeFileSync(f, n);
}

/** Writes the fleet into `dir` (a new or empty folder) and returns its VMs. */
export function writeFleet(dir: string, o: FleetOptions): FleetVm[] {
  const vms: FleetVm[] = [];
  const links: string[] = [];
  const extra = o.flowsPerDump ? `${firewallDump(o.flowsPerDump, true).join('\n')}\n` : '';
  for (let i = 0; i < o.units; i++) {
    const c = join(dir, computeName(i));
    const n = join(dir, networkName(i));
    cpSync(join(REF, 'dom0'), c, { recursive: true });
    cpSync(join(REF, 'domu'), n, { recursive: true });
    const mac = unitMac(i);
    for (const f of [...files(c), ...files(n)]) {
      const t = readFileSync(f, 'utf8');
      let u = t.replaceAll(REF_MAC, mac);
      if (extra && /dump-flows_[^.]+$/.test(f) && !f.includes('dpctl')) u += extra;
      if (u !== t) writeFileSync(f, u);
    }
    // The binding Nova writes (attached-mac), so the VM is known by its MAC.
    const ifaces = join(c, 'sos_commands/openvswitch/ovs-vsctl_-t_5_list_interface');
    const records = readFileSync(ifaces, 'utf8').split('\n\n');
    const r = records.findIndex((x) => /^name\s+: vif16\.0$/m.test(x));
    records[r] = records[r]!.replace(
      /^external_ids\s+: \{\}$/m,
      `external_ids        : {attached-mac="${mac}"}`,
    );
    writeFileSync(ifaces, records.join('\n\n'));
    const broken = o.broken?.get(i);
    const show = join(c, 'sos_commands/openvswitch/ovs-vsctl_-t_5_show');
    const ports = join(c, 'sos_commands/openvswitch/ovs-vsctl_-t_5_list_port');
    if (broken === 'untagged') {
      edit(show, '        Port vif16.0\n            tag: 1\n', '        Port vif16.0\n');
      edit(ports, /(name\s+: vif16\.0[\s\S]*?\ntag\s+: )1\n/, '$1[]\n');
    } else if (broken === 'dead-vlan') {
      edit(
        show,
        '        Port vif16.0\n            tag: 1\n',
        '        Port vif16.0\n            tag: 4095\n',
      );
      edit(ports, /(name\s+: vif16\.0[\s\S]*?\ntag\s+: )1\n/, '$14095\n');
    }
    // The DHCP agent's hosts file for the network, where the agent keeps it: the VM's entry, or
    // (broken) only the DHCP port's own.
    const hostsDir = join(n, 'var/lib/neutron/dhcp', NET);
    mkdirSync(hostsDir, { recursive: true });
    writeFileSync(
      join(hostsDir, 'host'),
      `fa:16:3e:e3:46:c1,host-10-0-0-2.openstacklocal,10.0.0.2\n${broken === 'no-host-entry' ? '' : `${mac},host-10-0-0-3.openstacklocal,10.0.0.3\n`}`,
    );
    // dnsmasq at work in the network node's namespace (a real `ss -ulpn`: dnsmasq-ss/PROVENANCE.md).
    cpSync(REF_SS, join(n, 'sos_commands/networking', REF_SS_FILE));
    links.push(`${computeName(i)}:vif2.1 ${networkName(i)}:eth1`);
    vms.push({ host: computeName(i), port: 'vif16.0', mac, ...(broken ? { broken } : {}) });
  }
  writeFileSync(join(dir, 'links.txt'), `${links.join('\n')}\n`);
  return vms;
}
