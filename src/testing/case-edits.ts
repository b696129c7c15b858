// Cases for doctor tests, made from real outputs: the seed example and the reference lab captures
// (shared/reference/fixtures), copied to a temporary folder and changed the way a fault or an
// operator would change them. Each test file removes its folders (cleanupCases in afterAll).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Check } from '../doctor/checks/check.ts';
import { buildContext } from '../doctor/context.ts';
import type { Finding } from '../doctor/finding.ts';
import { readCase } from '../sources/case-dir.ts';
import { OWN_FIXTURES, SEED_CASE } from './fixtures.ts';

const made: string[] = [];

export function cleanupCases(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function tmpCase(): string {
  const d = mkdtempSync(join(tmpdir(), 'vifpath-case-'));
  made.push(d);
  return d;
}

/** Replace text in a file of a case; throws when nothing changed (the fixture moved under the test). */
export function edit(f: string, from: string | RegExp, to: string): void {
  const t = readFileSync(f, 'utf8');
  const n = t.replace(from, to);
  if (n === t) throw new Error(`case edit did not apply to ${f}: ${from}`);
  writeFileSync(f, n);
}

/** The seed example, optionally changed. */
export function seedCase(change?: (d: string) => void): string {
  const d = tmpCase();
  cpSync(SEED_CASE, d, { recursive: true });
  change?.(d);
  return d;
}

export function tagSeedVif16(d: string, tag: number): void {
  edit(join(d, 'dom0/ovs-vsctl_show'), '    Port "vif16.0"\n', `    Port "vif16.0"\n        tag: ${tag}\n`);
}

export const REF = join(OWN_FIXTURES, 'reference');
export const REF_NS = 'qdhcp-5f1c9a2e-7b3d-4c8e-9a61-0d2b4e6f8a10';
export const REF_LINKS = 'dom0:vif2.1 domu:eth1\n';
/** A real `ss -ulpn` of the reference lab's DHCP namespace with dnsmasq running (src/parse/fixtures/dnsmasq-ss/PROVENANCE.md). */
export const REF_SS_FILE = `ip_netns_exec_${REF_NS}_ss_-ulpn`;
export const REF_SS = join(OWN_FIXTURES, 'dnsmasq-ss', REF_SS_FILE);

/** Show the reference lab's dnsmasq at work: its namespace's listening sockets, in the DomU's sosreport. */
export function refServerListening(d: string, host = 'domu'): void {
  cpSync(REF_SS, join(d, host, 'sos_commands/networking', REF_SS_FILE));
}

/** A reference lab capture (sosreport trees): the hosts asked for, and links.txt when given. */
export function refCase(
  scenario: string,
  hosts: string[],
  links: string | null,
  change?: (d: string) => void,
): string {
  const d = tmpCase();
  for (const h of hosts) cpSync(join(REF, scenario, h), join(d, h), { recursive: true });
  if (links) writeFileSync(join(d, 'links.txt'), links);
  change?.(d);
  return d;
}

/** Give the reference lab's VM port (dom0 vif16.0) Neutron's attached-mac, as Nova would have. */
export function refVmMac(d: string, mac = 'fa:16:3e:11:22:33'): void {
  const f = join(d, 'dom0/sos_commands/openvswitch/ovs-vsctl_-t_5_list_interface');
  const records = readFileSync(f, 'utf8').split('\n\n');
  const i = records.findIndex((r) => /^name\s+: vif16\.0$/m.test(r));
  if (i < 0) throw new Error(`no vif16.0 record in ${f}`);
  records[i] = records[i]!.replace(
    /^external_ids\s+: \{\}$/m,
    `external_ids        : {attached-mac="${mac}"}`,
  );
  writeFileSync(f, records.join('\n\n'));
}

/** One check alone on a case directory: its findings. */
export function runCheck(c: Check, dir: string): Finding[] {
  return c.run(buildContext(readCase(dir)));
}

/** The reference DHCP namespace's `ss -ano -4` file name, and a listing with dnsmasq's udp :67 listener. */
export const REF_SS_ANO = `ip_netns_exec_${REF_NS}_ss_-ano_-4`;
export const REF_LISTENING = [
  'Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
  'udp   UNCONN 0      0      10.0.0.2:53        0.0.0.0:*',
  'udp   UNCONN 0      0      0.0.0.0:67         0.0.0.0:*',
  'tcp   LISTEN 0      32     10.0.0.2:53        0.0.0.0:*',
  '',
].join('\n');

/** `ovs-ofctl show` as OVS prints it, for a case whose source gives the ports but not this output. */
export function ofctlShow(ports: [number | 'LOCAL', string][]): string {
  return [
    'OFPT_FEATURES_REPLY (xid=0x2): dpid:0000aabbccddeeff',
    'n_tables:254, n_buffers:0',
    ...ports.map(
      ([n, name]) => ` ${n}(${name}): addr:aa:bb:cc:dd:ee:01\n     config:     0\n     state:      0`,
    ),
    'OFPT_GET_CONFIG_REPLY (xid=0x4): frags=normal miss_send_len=0',
    '',
  ].join('\n');
}
