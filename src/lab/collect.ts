// `vifpath lab collect <dir>`: a case directory from a running lab, written by the collector that
// reads real hosts (each emulated host as a source, lab/targets.ts), plus what only the lab knows:
// the VM's dhclient output and lease, the last renewal's captures, the wires (links.txt) and the
// ground truth (lab.json) the tests compare verdicts with.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectHost } from '../sources/collect.ts';
import { type Lab, LabError } from './lab.ts';
import { LAB_SOURCE_HOSTS, labSource } from './targets.ts';
import { DOMU_VIF, VM_VIF } from './topology.ts';

export async function collect(lab: Lab, out: string): Promise<string[]> {
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  // The same collector as for real hosts (sources/collect.ts), the lab's locations mapped.
  for (const host of LAB_SOURCE_HOSTS) {
    const r = await collectHost(labSource(lab, host), join(out, host));
    if (!r.ok) throw new LabError(`collecting ${host}: ${r.error}`);
  }
  const domu = join(out, 'domu');
  const dev = lab.dhcpDev();
  // The VM: its addresses and what its DHCP client printed.
  const vm = join(out, 'vm');
  const last = lab.state.renewals.at(-1);
  if (last) writeFileSync(join(vm, 'dhclient_-1_-v_eth0'), `${last.output.join('\n')}\n`);
  // The last attempt's captures, where tcpdump ran (name: the interface it listened on).
  if (last?.vmPcap) {
    mkdirSync(join(vm, 'capture'), { recursive: true });
    copyFileSync(join(lab.dir, last.vmPcap), join(vm, 'capture/eth0.pcap'));
  }
  if (last?.tapPcap) {
    mkdirSync(join(domu, 'capture'), { recursive: true });
    copyFileSync(join(lab.dir, last.tapPcap), join(domu, 'capture', `${dev}.pcap`));
  }
  const leases = join(lab.dir, 'vm/dhclient.leases');
  if (existsSync(leases)) writeFileSync(join(vm, 'dhclient.leases'), readFileSync(leases));
  writeFileSync(
    join(out, 'links.txt'),
    `# written by vifpath lab collect (scenario ${lab.state.scenario})\ndom0:${DOMU_VIF} domu:eth1\ndom0:${VM_VIF} vm:eth0\n`,
  );
  // Ground truth for tests: what really happened, kept beside the evidence.
  writeFileSync(
    join(out, 'lab.json'),
    `${JSON.stringify({ scenario: lab.state.scenario, renewals: lab.state.renewals }, null, 2)}\n`,
  );
  written.push(out);
  return written;
}
