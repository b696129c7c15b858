import { describe, expect, it } from 'vitest';
import { readCase } from '../sources/case-dir.ts';
import { labResult } from '../testing/lab-cases.ts';

describe('lab captures of this run', () => {
  it('checksum scenario: the OFFERs reach the VM with a bad UDP checksum, and diagnose cites the frames', () => {
    const r = labResult('checksum');
    const s = readCase(r.caseDir);
    const vm = s.hosts.find((h) => h.name === 'vm')!.captures!.find((c) => c.point === 'vm:eth0')!;
    const offers = vm.sightings.filter((x) => x.type === 'OFFER');
    expect(offers.length).toBeGreaterThan(0);
    expect(offers.every((o) => o.udpChecksum === 'bad')).toBe(true);
  });

  it('healthy scenario: the full exchange with good checksums', () => {
    const s = readCase(labResult('healthy').caseDir);
    const vm = s.hosts.find((h) => h.name === 'vm')!.captures!.find((c) => c.point === 'vm:eth0')!;
    expect(vm.sightings.map((x) => x.type)).toEqual(['DISCOVER', 'OFFER', 'REQUEST', 'ACK']);
    expect(vm.sightings.every((x) => x.udpChecksum === 'ok')).toBe(true);
  });
});
