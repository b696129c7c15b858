// Two dnsmasq logs on one host both count: each is kept with its own file, and what they show
// together is what dnsmasq did (was: the last one read replaced the earlier one, its lines lost).
// examples/vxlan-healthy's network node log (collected from the lab, dnsmasq 2.90), its lines
// split in two files as two pastes of it would be: the DISCOVER in dnsmasq.log, dnsmasq's answers
// (OFFER, REQUEST, ACK) in dnsmasq-2.log, which is read first (by name).
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dnsmasqEvents } from '../model/snapshot.ts';
import { readCase } from '../sources/case-dir.ts';
import { cleanupCases, tmpCase } from '../testing/case-edits.ts';
import { ROOT } from '../testing/fixtures.ts';
import { diagnose } from './diagnose.ts';

afterAll(cleanupCases);

const NS = 'qdhcp-3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12';
const SS = `network/sos_commands/networking/namespaces/${NS}/ip_netns_exec_${NS}_ss_-peaonmi`;
const LOG = 'network/var/log/neutron/dnsmasq.log';
const LOG2 = 'network/var/log/neutron/dnsmasq-2.log';

/** vxlan-healthy without its namespace's socket listing (only the log shows the server at work), its log in two. */
function split(): string {
  const d = tmpCase();
  cpSync(join(ROOT, 'examples/vxlan-healthy'), d, { recursive: true });
  rmSync(join(d, SS));
  const lines = readFileSync(join(d, LOG), 'utf8').split('\n');
  // Lines 1-10: start-up and the DISCOVER; 11-: the OFFER, the REQUEST and the ACK.
  expect(lines[8]).toMatch(/DHCPDISCOVER\(tapd4a1b2c3-e5\) fa:16:3e:11:22:33/);
  expect(lines[10]).toMatch(/DHCPOFFER\(tapd4a1b2c3-e5\) 10\.0\.0\.3/);
  writeFileSync(join(d, LOG), `${lines.slice(0, 10).join('\n')}\n`);
  writeFileSync(join(d, LOG2), lines.slice(10).join('\n'));
  return d;
}

describe('two dnsmasq logs on one host', () => {
  const d = split();

  it('both are kept, each line with its own file and line', () => {
    const h = readCase(d).hosts.find((x) => x.name === 'network')!;
    expect(h.dnsmasqLogs?.map((l) => [l.file, l.events.map((e) => e.type)])).toEqual([
      [LOG2, ['DHCPOFFER', 'DHCPREQUEST', 'DHCPACK']],
      [LOG, ['DHCPDISCOVER']],
    ]);
    expect(dnsmasqEvents(h).map((e) => `${e.type} ${e.from.file}:${e.from.line}`)).toEqual([
      `DHCPOFFER ${LOG2}:1`,
      `DHCPREQUEST ${LOG2}:17`,
      `DHCPACK ${LOG2}:19`,
      `DHCPDISCOVER ${LOG}:9`,
    ]);
  });

  it('the answers of one and the DISCOVER of the other make one server at work: healthy', () => {
    // Was: PROBLEM, dnsmasq-not-answering ('received 1 DISCOVER(s) from fa:16:3e:11:22:33 and
    // answered none'): only dnsmasq.log, the last read, was left.
    const r = diagnose(readCase(d));
    expect(r.verdict, r.headline).toBe('healthy');
    const codes = r.findings.map((f) => f.code);
    expect(codes).not.toContain('dnsmasq-not-answering');
    expect(codes).not.toContain('dhcp-server-unproven');
    const answered = r.findings.find((f) => f.code === 'dnsmasq-answered');
    expect(answered?.evidence.map((e) => `${e.file}:${e.line}`)).toEqual([`${LOG2}:1`, `${LOG2}:19`]);
  });

  it('the other log an excerpt without answers: what it leaves out may answer, a gap, not a fault', () => {
    // dnsmasq-2.log pasted as a ticket cuts it: its DHCP lines left out (`...`), the options kept.
    // Was (only the last log read was asked whether it is cut): dnsmasq-not-answering.
    const e = tmpCase();
    cpSync(d, e, { recursive: true });
    const kept = readFileSync(join(e, LOG2), 'utf8').split('\n').slice(1, 7);
    expect(kept.join('\n')).not.toMatch(/DHCP(OFFER|ACK)\(/);
    writeFileSync(join(e, LOG2), ['...', ...kept, ''].join('\n'));
    // Without vm1's dhclient output, whose OFFER from 10.0.0.2 shows the server at work.
    rmSync(join(e, 'vm1/dhclient_-1_-v_eth0'));
    const r = diagnose(readCase(e));
    const codes = r.findings.map((f) => f.code);
    expect(codes).not.toContain('dnsmasq-not-answering');
    const gap = r.findings.find(
      (f) => f.code === 'excerpt-unknown' && f.subject === 'network:tapd4a1b2c3-e5',
    );
    expect(gap?.message).toContain(
      "dnsmasq's log on network shows 1 DISCOVER(s) from fa:16:3e:11:22:33 and no answer",
    );
    expect(r.verdict, r.headline).toBe('undecided');
  });

  it('the DISCOVER alone (the answers not collected) is still a server that does not answer', () => {
    const e = tmpCase();
    cpSync(d, e, { recursive: true });
    rmSync(join(e, LOG2));
    const r = diagnose(readCase(e));
    expect(r.verdict, r.headline).toBe('problem');
    const f = r.findings.find((x) => x.code === 'dnsmasq-not-answering');
    expect(f?.evidence.map((x) => `${x.file}:${x.line}`)).toEqual([`${LOG}:9`]);
  });
});
