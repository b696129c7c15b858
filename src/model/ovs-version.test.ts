// The ovs-ofctl form a host's OVS takes: `-O` came in OVS 1.10 (an older ovs-ofctl refuses it).
// Versions as real outputs show them (each row says where); the case readers' version sources.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { classify } from '../sources/file-kinds.ts';
import { beforeOpenFlowOption, dumpFlowsCommand } from './ovs-version.ts';

const ROOT = join(import.meta.dirname, '../..');
const OLD = join(ROOT, 'src/sources/fixtures/ovs-old');

describe('which OVS is older than 1.10', () => {
  it.each([
    // sources/fixtures/ovs-old (fuel-docs, Ubuntu 12.04)
    ['1.4.0+build0', true],
    // doctor/fixtures/esxi-flat-havana, sources/fixtures/field-wraps/forum-havana-gre
    ['1.10.0', false],
    ['1.10.2', false],
    // field/hotsos-openstack, field/study-notes-*, review10 kiosk
    ['2.13.3', false],
    ['3.3.1', false],
    ['"3.3.0"', false],
    // nothing known: no guess
    [undefined, false],
    ['', false],
  ])('%s: %s', (v, old) => {
    expect(beforeOpenFlowOption(v)).toBe(old);
  });

  it.each([
    [{ ovsVersion: '1.4.0+build0' }, 'ovs-ofctl dump-flows br-int'],
    [{ ovsVersion: '1.10.2' }, 'ovs-ofctl -O OpenFlow13 dump-flows br-int'],
    [{}, 'ovs-ofctl -O OpenFlow13 dump-flows br-int'],
  ])('%o: %s', (h, cmd) => {
    expect(dumpFlowsCommand(h, 'br-int')).toBe(cmd);
  });
  it('operands quoted, a table kept', () => {
    expect(dumpFlowsCommand({ ovsVersion: '1.4.0+build0' }, '-br x', 'table=0')).toBe(
      "ovs-ofctl dump-flows -- '-br x' table=0",
    );
  });
});

describe('the version a case shows', () => {
  it.each([
    ['ovs-vswitchd_--version', { kind: 'ovs-version' }],
    ['ovs-vsctl_-t_5_--version', { kind: 'ovs-version' }],
    ['openstack-hypervisor.ovs-vsctl_-t_5_--version', { kind: 'ovs-version' }],
    ['ovs-vsctl_-t_5_get_Open_vSwitch_._ovs_version', { kind: 'ovs-version' }],
  ])('%s is read as %o', (name, kind) => {
    expect(classify(name)).toEqual(kind);
  });

  it("ovs-vsctl show's ovs_version line (fuel-docs, 1.4.0+build0)", () => {
    expect(readCase(join(OLD, 'fuel-ha-neutron')).hosts[0]!.ovsVersion).toBe('1.4.0+build0');
  });

  it("ovs-vswitchd --version (this machine's), the host's only version: read, and the -O form kept for it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'vifpath-ovsver-'));
    try {
      mkdirSync(join(dir, 'h'));
      copyFileSync(join(OLD, 'ovs-vswitchd_--version'), join(dir, 'h/ovs-vswitchd_--version'));
      const h = readCase(dir).hosts[0]!;
      expect(h.ovsVersion).toBe(
        /\(Open vSwitch\) (\S+)/.exec(readFileSync(join(OLD, 'ovs-vswitchd_--version'), 'utf8'))![1],
      );
      expect(dumpFlowsCommand(h, 'br-int')).toBe('ovs-ofctl -O OpenFlow13 dump-flows br-int');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
