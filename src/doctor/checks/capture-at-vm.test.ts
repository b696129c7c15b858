// A capture at the VM's port against the flows that drop its DISCOVER. Was (review3: the seed with
// a real lab capture saved as dom0/vif16.0.pcap, DISCOVER, OFFER, REQUEST, ACK of fa:16:3e:11:22:33,
// lease 10.0.0.3): PROBLEM '… its DISCOVER dies on dom0 xapi3 …', exit 1, the capture nowhere in the
// JSON. Now: the exchange answered at the VM's port is drop-contradicted (undecided, both again,
// together); DISCOVERs with no answer are evidence of the drop; another MAC's capture decides
// nothing; every capture read is in `captures`. Real captures only: src/capture/fixtures (the
// lab's healthy renew, README there; the rxremote VM's unanswered DISCOVERs, overlay/README.md) and
// the reference lab's seed failure before and after the tag was set (reference/seed-failure/README.md).
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addCaptures, readCase } from '../../sources/case-dir.ts';
import { cleanupCases, REF, REF_LINKS, refCase, refVmMac, seedCase } from '../../testing/case-edits.ts';
import { ROOT } from '../../testing/fixtures.ts';
import { diagnose } from '../diagnose.ts';

afterAll(cleanupCases);

const CAP = join(ROOT, 'src/capture/fixtures');
/** DISCOVER, OFFER, REQUEST, ACK of fa:16:3e:11:22:33 (10.0.0.3 from 10.0.0.2): /tmp/review3/good.pcap is this file. */
const ANSWERED = join(CAP, 'qdhcp-any-sll2.pcap');
/** Six DISCOVERs of fa:16:3e:11:22:33, no answer. */
const UNANSWERED = join(CAP, 'overlay/vxlan-rxremote-vm1.pcap');
const MAC = 'fa:16:3e:11:22:33';
const DROP = { file: 'dom0/ovs-ofctl_dump-flows_xapi3', line: 4 };

function seedWith(pcap: string): string {
  return seedCase((d) => cpSync(pcap, join(d, 'dom0/vif16.0.pcap')));
}

describe('a capture at the VM port against a DISCOVER the flows drop (the seed)', () => {
  it('the exchange answered there: drop-contradicted, undecided, the frames and the drop flow cited', () => {
    const d = diagnose(readCase(seedWith(ANSWERED)), { mac: MAC });
    expect(d.verdict).toBe('undecided');
    expect(d.headline).toMatch(
      /^the flows say vif16\.0's DISCOVER dies on dom0 xapi3 at `priority=2,in_port=2 actions=drop`/,
    );
    expect(d.headline).toContain('the capture at dom0:vif16.0 (dom0/vif16.0.pcap, frames 2, 4)');
    expect(d.headline).toContain(
      'taken at different moments (the capture at 2026-11-25T17:08:55.554Z–17:08:55.557Z',
    );
    expect(d.headline).toMatch(
      /take both again, together: `vifpath capture live .*--vm vif16\.0.*` and, during it, `vifpath collect /,
    );
    const c = d.findings.find((f) => f.code === 'drop-contradicted')!;
    expect(c).toMatchObject({ role: 'gap', severity: 'warning', subject: 'dom0:vif16.0' });
    expect(c.evidence).toContainEqual({
      text: `dom0:vif16.0: frame 4, 2026-11-25T17:08:55.557Z: ACK of 10.0.0.3 to ${MAC} from server 10.0.0.2 (xid 0x165f8512)`,
      file: 'dom0/vif16.0.pcap',
      line: 4,
    });
    expect(c.evidence.find((e) => e.file === DROP.file)).toMatchObject({ line: DROP.line });
    expect(c.evidence.find((e) => e.file === DROP.file)!.text).toContain('n_packets=7; idle_age=65534');
    // The cause the flows alone gave is kept, as what the dump shows, no longer a proven fault.
    const u = d.findings.find((f) => f.code === 'vm-port-untagged')!;
    expect(u).toMatchObject({ severity: 'warning', role: 'observation' });
    expect(u.message).toContain('as the flow dump shows it');
    expect(u.fix[0]).toMatch(/^# only if the dump and a capture taken together still show it/);
    expect(d.findings.some((f) => f.severity === 'error')).toBe(false);
    expect(d.collectNext[1]).toMatch(/^vifpath capture live /);
    expect(d.captures).toEqual([
      {
        point: 'dom0:vif16.0',
        file: 'dom0/vif16.0.pcap',
        dhcpMessages: 4,
        from: '2026-11-25T17:08:55.554Z',
        to: '2026-11-25T17:08:55.557Z',
        messages: ['DISCOVER', 'OFFER', 'REQUEST', 'ACK'],
        clients: [MAC],
        use: [`at the VM port dom0:vif16.0 of its MAC ${MAC}: DISCOVER x1, OFFER x1, REQUEST x1, ACK x1`],
        citedBy: ['drop-contradicted'],
      },
    ]);
  });

  it('given with --pcap dom0:<file>: the same, the file as given', () => {
    const s = readCase(seedCase());
    addCaptures(s, [`dom0:${join(seedWith(ANSWERED), 'dom0/vif16.0.pcap')}`]);
    const d = diagnose(s, { mac: MAC });
    expect(d.verdict).toBe('undecided');
    expect(d.findings.find((f) => f.code === 'drop-contradicted')!.evidence[0]!.file).toMatch(
      /\/dom0\/vif16\.0\.pcap$/,
    );
    expect(d.captures?.[0]?.citedBy).toEqual(['drop-contradicted']);
  });

  it("without the VM's MAC: the answer there is said as the VM's if its client is the VM", () => {
    const d = diagnose(readCase(seedWith(ANSWERED)));
    expect(d.verdict).toBe('undecided');
    expect(d.headline).toContain(`the case does not give vif16.0's MAC, so this holds if it is the VM's`);
  });

  it('DISCOVERs only, no answer: evidence of the drop, the verdict the problem', () => {
    const d = diagnose(readCase(seedWith(UNANSWERED)), { mac: MAC });
    expect(d.verdict).toBe('problem');
    expect(d.findings.some((f) => f.code === 'drop-contradicted')).toBe(false);
    const u = d.findings[0]!;
    expect(u).toMatchObject({ code: 'vm-port-untagged', severity: 'error' });
    expect(u.evidence.at(-1)).toEqual({
      text: `the capture at dom0:vif16.0 (dom0/vif16.0.pcap) shows DISCOVER x6 from ${MAC} at vif16.0 (frames 1–6, 2026-11-29T08:11:34.273Z–08:11:45.300Z) and no OFFER or ACK to it: the VM asks and no answer comes back, as the drop says`,
      file: 'dom0/vif16.0.pcap',
      line: 1,
    });
    expect(d.captures?.[0]).toMatchObject({ dhcpMessages: 6, citedBy: ['vm-port-untagged'] });
  });

  it("another MAC's exchange: no contradiction, the problem stands, the capture reported", () => {
    const d = diagnose(readCase(seedWith(ANSWERED)), { mac: 'fa:16:3e:44:55:66' });
    expect(d.verdict).toBe('problem');
    expect(d.findings.map((f) => f.code)).toEqual(['vm-port-untagged']);
    expect(d.findings[0]!.evidence.some((e) => e.file?.endsWith('.pcap'))).toBe(false);
    expect(d.captures).toMatchObject([
      {
        point: 'dom0:vif16.0',
        clients: [MAC],
        use: [
          `at the VM port dom0:vif16.0 no DHCP of its MAC fa:16:3e:44:55:66 (only of ${MAC}): nothing of this VM`,
        ],
        citedBy: [],
      },
    ]);
  });

  it('a capture named after no port: reported, placed nowhere, nothing taken from it', () => {
    const d = diagnose(readCase(seedCase((dir) => cpSync(ANSWERED, join(dir, 'dom0/good.pcap')))), {
      mac: MAC,
    });
    expect(d.verdict).toBe('problem');
    expect(d.captures?.[0]?.use[0]).toMatch(/^not at a VM port or DHCP server of the case/);
  });
});

describe("the reference lab's seed failure: its own captures at the VM's eth0 (the wire from vif16.0)", () => {
  const LINKS = `${REF_LINKS}dom0:vif16.0 vm16:eth0\n`;
  const withCap = (pcap: string): string =>
    refCase('seed-failure', ['dom0', 'domu', 'vm16'], LINKS, (d) => {
      refVmMac(d);
      cpSync(join(REF, 'seed-failure', pcap), join(d, 'vm16/eth0.pcap'));
    });

  it('the capture after the fix (tag set): the exchange answered, undecided', () => {
    const d = diagnose(readCase(withCap('fix-by-setting-tag/vm16-eth0-dhcp.pcap')));
    expect(d.verdict).toBe('undecided');
    expect(d.headline).toMatch(
      /DISCOVER dies on dom0 xapi2 at `priority=2,in_port=1 actions=drop` \(n_packets=15\), but the capture at vm16:eth0 \(vm16\/eth0\.pcap, frames 2, 4\) shows fa:16:3e:11:22:33 answered there \(OFFER, ACK of 10\.0\.0\.3 from 10\.0\.0\.2\)/,
    );
    expect(d.captures?.[0]?.use[0]).toMatch(
      /^at vm16:eth0, the far end of the VM port dom0:vif16\.0's wire,/,
    );
  });

  it('the capture of the failure itself: seven DISCOVERs, no answer, evidence of the problem', () => {
    const d = diagnose(readCase(withCap('pcap/vm16-eth0-dhcp-only.pcap')));
    expect(d.verdict).toBe('problem');
    expect(d.findings[0]!.evidence.at(-1)!.text).toMatch(
      /^the capture at vm16:eth0 \(vm16\/eth0\.pcap\) shows DISCOVER x7 from fa:16:3e:11:22:33 at eth0 \(frames 1–7, /,
    );
  });
});
