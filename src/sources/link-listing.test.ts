// `ip link` output read as what it is, whatever its file is called: the devices it lists, never
// their addresses (it shows none, which says nothing of them). Real outputs only: the study notes'
// `ip -d link show` / `ip addr show` blocks (fixtures/field/PROVENANCE.md: study-notes-*, slawqo-*,
// 9506hqwy/openstack_study_notes and slawqo/kaplonskipl), the reference sosreports' ip_-s_-d_link
// and ip-link/ (fixtures/ip-link/PROVENANCE.md), saved under the names operators give a paste.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OWN_FIXTURES } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';
import { classify, sniff } from './file-kinds.ts';

const F = (f: string): string => join(OWN_FIXTURES, f);
const QDHCP = 'qdhcp-53f92676-e6e0-42fb-bde9-48dd2c2506b4';

describe('link output and address output told apart by content', () => {
  it.each([
    ['field/study-notes-flat/compute/ip_-d_link_show', 'ip-link'],
    ['field/study-notes-flat/controller/ip_-d_link_show', 'ip-link'],
    [`field/study-notes-flat/controller/ip_netns_exec_${QDHCP}_ip_-d_link_show`, 'ip-link'],
    ['field/study-notes-vxlan-network/controller/ip-d-link-show.txt', 'ip-link'],
    ['field/study-notes-vxlan-network/controller/ip-link-show-master-ovs-system.txt', 'ip-link'],
    ['field/study-notes-vlan/compute/ip_-d_link_show', 'ip-link'],
    ['field/study-notes-ovn-geneve/compute/ip_-d_link_show', 'ip-link'],
    ['field/hotsos-openstack/compute/sos_commands/networking/ip_-s_-d_link', 'ip-link'],
    ['reference/healthy/dom0/sos_commands/networking/ip_-s_-d_link', 'ip-link'],
    ['ip-link/qbrtest-nf1_ip_-j_-d_link.json', 'ip-link'],
    [`field/study-notes-flat/controller/ip_netns_exec_${QDHCP}_ip_addr_show`, 'ip-addr'],
    [
      'field/slawqo-where-is-my-packet-2/controller/ip_netns_exec_qdhcp-5d90176f-d6e4-461e-94c1-c0f44e7cc52b_ip_a',
      'ip-addr',
    ],
    [
      'field/study-notes-ovn-geneve/compute/ip_netns_exec_ovnmeta-bdf0edc2-bae8-4cc7-85b2-2cc4e82ab10f_ip_addr_show',
      'ip-addr',
    ],
  ])('%s is %s', (f, kind) => {
    expect(sniff(readFileSync(F(f), 'utf8'))?.kind).toBe(kind);
  });

  it.each([
    ['ip_-d_link_show', { kind: 'ip-link' }],
    [`ip_netns_exec_${QDHCP}_ip_-d_link_show`, { kind: 'ip-link', ns: QDHCP }],
    [`ip_netns_exec_${QDHCP}_ip_addr_show`, { kind: 'ip-addr', ns: QDHCP }],
  ])('by name: %s is %o', (name, kind) => {
    expect(classify(name)).toEqual(kind);
  });
});

describe('a case with link output under any name', () => {
  // Every case a test made (some make two), removed after it.
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  /** The flat network's controller outputs, each saved under the given name in host `ctl`. */
  const caseOf = (files: [string, string][]): ReturnType<typeof readCase> => {
    const dir = mkdtempSync(join(tmpdir(), 'vifpath-links-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'ctl'));
    for (const [from, to] of files)
      copyFileSync(F(`field/study-notes-flat/controller/${from}`), join(dir, 'ctl', to));
    return readCase(dir);
  };

  it.each([
    ['ip-link.txt', false],
    ['ip_-d_link_show.txt', false],
    ['links', false],
    ['ip_-d_link_show', true],
  ])(
    'root `ip -d link show` saved as %s: its devices listed (whole: %s), no address claimed',
    (name, whole) => {
      const h = caseOf([['ip_-d_link_show', name]]).hosts[0]!;
      expect(h.devices).toBeUndefined();
      expect(h.links).toMatchObject({ file: `ctl/${name}`, whole });
      expect(h.links!.devices.map((d) => d.name)).toEqual([
        'lo',
        'eth0',
        'eth1',
        'eth2',
        'eth3',
        'ovs-system',
        'br-provider',
        'br-mgmt',
        'br-int',
      ]);
      expect(h.links!.devices.find((d) => d.name === 'eth1')).toMatchObject({
        mac: '00:15:5d:bf:ba:54',
        up: true,
      });
    },
  );

  it.each([`ip_netns_exec_${QDHCP}_ip_-d_link_show`, `ip_netns_exec_${QDHCP}_ip_-d_link_show.txt`])(
    'the namespace’s %s: its devices, in it, without addresses; its ip addr gives those',
    (name) => {
      const only = caseOf([[`ip_netns_exec_${QDHCP}_ip_-d_link_show`, name]]).hosts[0]!;
      expect(only.links).toBeUndefined();
      const ns = only.namespaces.find((n) => n.name === QDHCP)!;
      expect(ns.devices).toBeUndefined();
      expect(ns.links!.devices.map((d) => d.name)).toEqual(['lo', 'tap183c56bb-b2']);
      const both = caseOf([
        [`ip_netns_exec_${QDHCP}_ip_-d_link_show`, name],
        [`ip_netns_exec_${QDHCP}_ip_addr_show`, `ip_netns_exec_${QDHCP}_ip_addr_show`],
      ]).hosts[0]!.namespaces[0]!;
      expect(
        both.devices!.find((d) => d.name === 'tap183c56bb-b2')!.addresses.map((a) => a.address),
      ).toContain('172.16.0.100');
    },
  );
});
