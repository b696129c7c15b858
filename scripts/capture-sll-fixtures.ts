// Captures `tcpdump -i any` writes (Linux cooked headers) from a real DHCP exchange in the lab:
// SLL2 (tcpdump 4.99's default for `any`) inside the qdhcp namespace and SLL (`-y LINUX_SLL`) in
// the VM, while the VM renews. Run as root: node --import tsx scripts/capture-sll-fixtures.ts
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { down, Lab } from '../src/lab/lab.ts';
import { exec } from '../src/runner/exec.ts';
import { LocalRunner, NETNS } from '../src/runner/runner.ts';

const dir = '/tmp/vifpath-sll-fixtures';
const out = join(import.meta.dirname, '../src/capture/fixtures');
await down(dir);
const lab = await Lab.up({ dir, scenario: 'healthy', dhcpTimeout: 3 });
try {
  const start = (host: 'qdhcp' | 'vm', extra: string[], file: string) =>
    new LocalRunner(NETNS(lab.ns(host))).start([
      'tcpdump',
      '-i',
      'any',
      ...extra,
      '-n',
      '-U',
      '--immediate-mode',
      '-w',
      file,
      'udp port 67 or udp port 68',
    ]);
  const a = start('qdhcp', [], join(dir, 'qdhcp-any-sll2.pcap'));
  const b = start('vm', ['-y', 'LINUX_SLL'], join(dir, 'vm-any-sll.pcap'));
  await new Promise((r) => setTimeout(r, 1500));
  const r = await lab.renew();
  await new Promise((r) => setTimeout(r, 300));
  for (const c of [a, b]) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  console.log(`renewal: lease ${r.lease}`);
  for (const f of ['qdhcp-any-sll2.pcap', 'vm-any-sll.pcap']) copyFileSync(join(dir, f), join(out, f));
  const version = (await exec(['tcpdump', '--version'])).stdout.split('\n').slice(0, 2).join(', ');
  writeFileSync(
    join(out, 'README.md'),
    `# Linux cooked captures (\`tcpdump -i any\`)

Captured ${new Date().toISOString().slice(0, 10)} by \`node --import tsx scripts/capture-sll-fixtures.ts\` (as root) in the lab's
healthy scenario while the VM renewed its lease (${r.lease}); ${version}.

- \`qdhcp-any-sll2.pcap\`: \`tcpdump -i any\` inside the qdhcp namespace (LINKTYPE_LINUX_SLL2, 276).
- \`vm-any-sll.pcap\`: \`tcpdump -i any -y LINUX_SLL\` inside the VM (LINKTYPE_LINUX_SLL, 113).
`,
  );
} finally {
  await down(dir);
}
