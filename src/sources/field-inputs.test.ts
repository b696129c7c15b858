// What the field writes, read as a case: other tools' errors inside collected files, snap-packaged
// sos names, pasted outputs with any name, and folders with nothing readable.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBridge, findPort } from '../model/snapshot.ts';
import { SEED_CASE } from '../testing/fixtures.ts';
import { thrown } from '../testing/thrown.ts';
import { readCase } from './case-dir.ts';
import { InputError } from './errors.ts';

const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'vifpath-field-'));
  tmp.push(d);
  return d;
}
function put(dir: string, rel: string, text: string): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

const NS = 'qdhcp-7b39ecad-8e33-4ad2-9d6c-7e8e5f1d2a11';

describe("another tool's error text is a diagnostic, never exit 2", () => {
  it.each([
    [
      `ip_netns_exec_${NS}_netstat_-W_-neopa`,
      'exec of "netstat" failed: No such file or directory\n',
      'exec-failed',
    ],
    // netstat -s lists no sockets: not read, so its error is no news either
    [`ip_netns_exec_${NS}_netstat_-s`, 'exec of "netstat" failed: No such file or directory\n', undefined],
    [`ip_netns_exec_${NS}_ss_-peaonmi`, 'bash: ss: command not found\n', 'command-not-found'],
    [
      `ip_netns_exec_${NS}_iptables-save`,
      'iptables-save v1.8.7 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n',
      'permission-denied',
    ],
    [
      `ip_netns_exec_${NS}_ip_-d_address_show`,
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\nError: Peer netns reference is invalid.\n',
      'iproute2-error',
    ],
    [
      `ip_netns_exec_${NS}_ethtool_-k_tap7b39ecad-81`,
      'Cannot get device feature names: Operation not supported\n',
      undefined,
    ],
  ])('%s', (name, text, code) => {
    const d = scratch();
    cpSync(SEED_CASE, d, { recursive: true });
    put(d, `domu/sos_commands/networking/namespaces/${NS}/${name}`, text);
    const s = readCase(d);
    const mine = s.diagnostics.filter((x) => x.file.endsWith(name));
    expect(mine.filter((x) => x.severity === 'corrupt')).toEqual([]);
    if (code)
      expect(mine).toContainEqual(
        expect.objectContaining({ severity: 'tool', code, line: expect.any(Number) }),
      );
    expect(findPort(s.hosts.find((h) => h.name === 'dom0')!, 'vif16.0')!.port.tag.known).toBe(true);
  });

  it('the output before an iproute2 error is kept', () => {
    const d = scratch();
    cpSync(SEED_CASE, d, { recursive: true });
    put(
      d,
      `domu/ip_netns_exec_${NS}_ip_-d_address_show`,
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\nError: Peer netns reference is invalid.\n',
    );
    const s = readCase(d);
    const ns = s.hosts.find((h) => h.name === 'domu')!.namespaces.find((n) => n.name === NS)!;
    expect(ns.devices?.map((x) => x.name)).toContain('lo');
    expect(s.diagnostics).toContainEqual(
      expect.objectContaining({ severity: 'tool', code: 'iproute2-error', line: 4 }),
    );
  });
});

describe('snap-packaged OVS (sos openvswitch plugin: openstack-hypervisor. prefix)', () => {
  it('reads a sosreport tree whose OVS files carry the snap prefix', () => {
    const d = scratch();
    const host = join(d, 'compute1');
    const ovs = join(host, 'sos_commands/openvswitch');
    mkdirSync(ovs, { recursive: true });
    writeFileSync(join(host, 'sos_commands', '.keep'), '');
    for (const [from, to] of [
      ['ovs-vsctl_show', 'openstack-hypervisor.ovs-vsctl_-t_5_show'],
      ['ovs-ofctl_dump-flows_xapi3', 'openstack-hypervisor.ovs-ofctl_dump-flows_xapi3'],
      ['ovs-ofctl_show_xapi3', 'openstack-hypervisor.ovs-ofctl_show_xapi3'],
    ] as const)
      writeFileSync(join(ovs, to), readFileSync(join(SEED_CASE, 'dom0', from)));
    const s = readCase(d);
    const h = s.hosts[0]!;
    expect(h.bridges.map((b) => b.name).sort()).toEqual(['xapi3', 'xapi5']);
    const x3 = findBridge(h, 'xapi3')!;
    expect(x3.flows.known && x3.flows.value.entries.length).toBeGreaterThan(0);
  });
});

describe('pasted outputs with any name', () => {
  it('vsctl-show.txt + flows-xapi3.txt + ofctl-show.txt read like the sos names', () => {
    const d = scratch();
    const h = join(d, 'dom0');
    mkdirSync(h);
    writeFileSync(join(h, 'vsctl-show.txt'), readFileSync(join(SEED_CASE, 'dom0/ovs-vsctl_show')));
    writeFileSync(
      join(h, 'flows-xapi3.txt'),
      readFileSync(join(SEED_CASE, 'dom0/ovs-ofctl_dump-flows_xapi3')),
    );
    writeFileSync(
      join(h, 'ofctl-show-xapi3.txt'),
      readFileSync(join(SEED_CASE, 'dom0/ovs-ofctl_show_xapi3')),
    );
    writeFileSync(join(h, 'notes.txt'), 'the VM was started at 10:02\n');
    const s = readCase(d);
    const dom0 = s.hosts[0]!;
    expect(findPort(dom0, 'vif16.0')!.port.tag).toMatchObject({ known: true, value: null });
    const x3 = findBridge(dom0, 'xapi3')!;
    expect(x3.flows.known && x3.flows.value.file).toBe('dom0/flows-xapi3.txt');
    expect(dom0.ignored).toEqual(['dom0/notes.txt']);
  });

  it('a dump whose name names no bridge stays unplaced, and says so', () => {
    const d = scratch();
    const h = join(d, 'dom0');
    mkdirSync(h);
    writeFileSync(join(h, 'vsctl-show.txt'), readFileSync(join(SEED_CASE, 'dom0/ovs-vsctl_show')));
    writeFileSync(join(h, 'flows.txt'), readFileSync(join(SEED_CASE, 'dom0/ovs-ofctl_dump-flows_xapi3')));
    const s = readCase(d);
    expect(s.diagnostics).toContainEqual(
      expect.objectContaining({ file: 'dom0/flows.txt', code: 'bridge-unknown' }),
    );
  });
});

describe('nothing readable', () => {
  it('a folder of files none of which vifpath reads is exit 2, naming it and what was expected', () => {
    const d = scratch();
    put(d, 'host1/readme.md', '# nothing here\n');
    put(d, 'host1/sos_commands/openvswitch/ovs-appctl_coverage.show', 'Event coverage\n');
    const err = thrown(() => readCase(d), InputError);
    expect((err as InputError).message).toMatch(/^nothing readable in .* \(expected .*ovs-vsctl_-t_5_show/);
  });
  it('beside readable hosts, such a folder is a warning and not a host', () => {
    const d = scratch();
    cpSync(SEED_CASE, d, { recursive: true });
    put(d, 'traces/1-dom0-xapi3.txt', 'Flow: in_port=2\nbridge("xapi3")\n');
    const s = readCase(d);
    expect(s.hosts.map((h) => h.name)).not.toContain('traces');
    expect(s.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'nothing-readable', file: 'traces' }),
    );
  });
});
