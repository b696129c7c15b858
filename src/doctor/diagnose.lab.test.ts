// diagnose on the cases the lab global setup collected from real OVS, one per scenario.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colors } from '../cli/colors.ts';
import { formatDiagnosis } from '../cli/format-diagnosis.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, tmpCase } from '../testing/case-edits.ts';
import { labResult } from '../testing/lab-cases.ts';
import { diagnose } from './diagnose.ts';

afterAll(cleanupCases);

describe('the DHCP port in another VLAN than the network', () => {
  it('is named, with the tag and the VLAN the frame arrives in', () => {
    const dir = tmpCase();
    cpSync(labResult('healthy').caseDir, dir, { recursive: true });
    const f = join(dir, 'domu/sos_commands/openvswitch/ovs-vsctl_-t_5_list_port');
    const text = readFileSync(f, 'utf8');
    // Retag the DHCP port's row: the record that names tap7b39ecad-81.
    const records = text
      .split('\n\n')
      .map((r) =>
        r.includes('name                : tap7b39ecad-81')
          ? r.replace(/^tag\s+: 1$/m, 'tag                 : 2')
          : r,
      );
    writeFileSync(f, records.join('\n\n'));
    const d = diagnose(readCase(dir));
    expect(d.verdict).toBe('problem');
    const m = d.findings.find((x) => x.code === 'dhcp-port-vlan-mismatch')!;
    expect(m.message).toBe(
      'the DISCOVER from vif16.0 reaches br-int in VLAN 1, but the DHCP port tap7b39ecad-81 is tagged 2',
    );
  });
});

const EXPECTED: Record<string, string | null> = {
  healthy: null,
  'seed-missing-tag': 'vm-port-untagged',
  'dead-vlan': 'dead-vlan',
  'vlan-mismatch': 'vlan-mismatch',
  'dnsmasq-down': 'dnsmasq-not-running',
  'dhcp-tap-down': 'dhcp-port-down',
  checksum: 'dhcp-reply-checksum',
  'sg-drop': 'dhcp-drop-flow',
};

describe.each(Object.entries(EXPECTED))('lab scenario %s', (name, code) => {
  it(code ? `is diagnosed as ${code}` : 'is diagnosed healthy', () => {
    const r = labResult(name);
    expect(r.ok).toBe(true);
    const d = diagnose(readCase(r.caseDir));
    if (code === null) {
      expect(d.verdict).toBe('healthy');
      expect(d.findings.filter((f) => f.severity === 'error')).toEqual([]);
      // dnsmasq's lease file shows it answered the VM through ACK.
      expect(d.findings.find((f) => f.code === 'dhcp-lease-held')?.message).toMatch(
        /lease file holds 10\.0\.0\.3 for fa:16:3e:11:22:33/,
      );
      expect(d.headline).toMatch(/^the DHCP DISCOVER from vif16\.0 reaches qdhcp-49a623fd/);
    } else {
      expect(d.verdict).toBe('problem');
      expect(d.findings[0]!.code).toBe(code);
      expect(d.findings[0]!.evidence.length).toBeGreaterThan(0);
      expect(d.findings[0]!.fix.length).toBeGreaterThan(0);
      if (name === 'dnsmasq-down') {
        // dnsmasq was killed: the agent's pid file names a process that has no socket.
        expect(d.findings[0]!.rootCause).toMatch(/pid \d+\) but it died/);
        expect(d.findings[0]!.evidence.some((e) => e.file?.endsWith('/pid') && e.line === 1)).toBe(true);
      }
    }
  });
});

// diagnose's paths say how the OFFER arrives where it leaves vif16.0 tagged. Was: "OFFER back
// delivered" for the seed-missing-tag lab, whose OFFER leaves the untagged vif16.0 tagged VLAN 1.
describe('the way back in the paths', () => {
  it.each([
    [
      'seed-missing-tag',
      'OFFER back reaches vif16.0 tagged VLAN 1 (the port has no tag, so NORMAL sends the frame tagged, as on a trunk: the guest sees an 802.1Q frame and ignores it unless it runs a VLAN interface)',
    ],
    ['healthy', 'OFFER back delivered'],
  ])('%s: %s', (name, line) => {
    const d = diagnose(readCase(labResult(name).caseDir));
    expect(d.paths[0]!.offer!.verdict).toBe('delivered');
    const offer = formatDiagnosis(d, colors(false))
      .split('\n')
      .find((l) => l.includes('OFFER back'));
    expect(offer?.trim()).toBe(line);
  });
});

// A healthy case's dnsmasq-answered says nothing is left to look at once the flows carry the OFFER
// back, and counts what it cites. Was: "…(DHCPOFFER, DHCPACK, DHCPOFFER, DHCPACK): the server side
// works, look at the way back and the client" under HEALTHY, with 3 log lines cited.
describe('dnsmasq-answered', () => {
  it('healthy lab: the way back is proven, and every answer listed is cited', () => {
    const d = diagnose(readCase(labResult('healthy').caseDir));
    expect(d.verdict).toBe('healthy');
    const f = d.findings.find((x) => x.code === 'dnsmasq-answered')!;
    expect(f.message).toBe(
      "dnsmasq's log on domu shows it answered fa:16:3e:11:22:33 (DHCPOFFER, DHCPACK): the server side works, and the flows carry the OFFER back to vif16.0",
    );
    expect(f.evidence.map((e) => e.text.split('(')[0])).toEqual(['DHCPOFFER', 'DHCPACK']);
  });

  it('healthy lab renewed: 4 answers, the last 3 cited, and the message says so', () => {
    const dir = tmpCase();
    cpSync(labResult('healthy').caseDir, dir, { recursive: true });
    // A renewal as dnsmasq logs it: the boot exchange's lines again, after the first.
    const log = join(dir, 'domu/var/log/neutron/dnsmasq.log');
    const text = readFileSync(log, 'utf8');
    const exchange = text.split('\n').filter((l) => /DHCP(DISCOVER|OFFER|REQUEST|ACK)\(/.test(l));
    expect(exchange.length).toBe(4);
    writeFileSync(log, `${text}${exchange.join('\n')}\n`);
    const d = diagnose(readCase(dir));
    const f = d.findings.find((x) => x.code === 'dnsmasq-answered')!;
    expect(f.message).toBe(
      "dnsmasq's log on domu shows it answered fa:16:3e:11:22:33 (4 answers: 2 DHCPOFFER, 2 DHCPACK; the last 3 cited): the server side works, and the flows carry the OFFER back to vif16.0",
    );
    expect(f.evidence.map((e) => e.text.split('(')[0])).toEqual(['DHCPACK', 'DHCPOFFER', 'DHCPACK']);
  });

  it('seed-missing-tag: nothing answered, no dnsmasq-answered', () => {
    const d = diagnose(readCase(labResult('seed-missing-tag').caseDir));
    expect(d.findings.filter((x) => x.code === 'dnsmasq-answered')).toEqual([]);
  });
});
