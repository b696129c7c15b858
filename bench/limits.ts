// Issue 19's size reproductions at full size, through the CLI under /usr/bin/time -v: exit code,
// the one line on stderr, peak RSS and wall time for each. The tests run the same cases with the
// limits set low; this is the check that the real sizes neither crash nor need gigabytes.
//   npm run bench:limits                 every case (writes ~2.2 GB under the temporary folder)
//   npm run bench:limits -- snapshot-125k capture-1g
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture, writePcap } from '../src/capture/pcap.ts';
import { ROOT } from '../src/testing/fixtures.ts';
import { neutronDump } from './neutron-dump.ts';

const VSCTL_SHOW =
  '0f5b6d5e-1111-2222-3333-444455556666\n    Bridge br-int\n        Port br-int\n            Interface br-int\n                type: internal\n    ovs_version: "3.1.0"\n';

function flowCase(dir: string, n: number): string {
  const c = join(dir, `flows-${n}`);
  mkdirSync(join(c, 'h'), { recursive: true });
  writeFileSync(join(c, 'h', 'ovs-vsctl_-t_5_show'), VSCTL_SHOW);
  const fd = openSync(join(c, 'h', 'ovs-ofctl_dump-flows_br-int'), 'w');
  writeSync(fd, 'NXST_FLOW reply (xid=0x4):\n');
  for (const l of neutronDump(n, true)) writeSync(fd, `${l}\n`);
  closeSync(fd);
  return c;
}

/** `n` real DHCP frames with xids cycling over `xids` values, written in slices. */
function pcapFile(dir: string, n: number, xids: number): string {
  const ref = join(ROOT, 'src/parse/fixtures/reference/healthy/pcap');
  const samples = [
    ...readCapture(readFileSync(join(ref, 'vm16-eth0-dhcp.pcap'))).value,
    ...readCapture(readFileSync(join(ref, 'domu-eth1-vlan1041.pcap'))).value,
  ];
  const file = join(dir, `dhcp-${n}-${xids}.pcap`);
  const fd = openSync(file, 'w');
  for (let start = 0; start < n; start += 100_000) {
    const frames = [];
    for (let i = start; i < Math.min(n, start + 100_000); i++) {
      const data = Uint8Array.from(samples[i % samples.length]!.data);
      const off = data[12] === 0x81 ? 18 + 20 + 8 + 4 : 14 + 20 + 8 + 4;
      new DataView(data.buffer).setUint32(off, i % xids, false);
      frames.push({ ts: 1_700_000_000 + i / 1000, data });
    }
    const b = writePcap(frames);
    writeSync(fd, start === 0 ? b : b.subarray(24));
  }
  closeSync(fd);
  return file;
}

function confDbCase(dir: string, name: string, txn: (fd: number) => number): string {
  const c = join(dir, name);
  mkdirSync(join(c, 'h', 'etc', 'openvswitch'), { recursive: true });
  writeFileSync(join(c, 'h', 'ovs-vsctl_-t_5_show'), VSCTL_SHOW);
  const record = (body: Buffer): Buffer =>
    Buffer.concat([
      Buffer.from(`OVSDB JSON ${body.length} ${createHash('sha1').update(body).digest('hex')}\n`),
      body,
    ]);
  const schema = Buffer.from(
    `${JSON.stringify({ name: 'Open_vSwitch', version: '8.3.0', tables: { Interface: { columns: { name: { type: 'string' } } } } })}\n`,
  );
  const fd = openSync(join(c, 'h', 'etc', 'openvswitch', 'conf.db'), 'w');
  writeSync(fd, record(schema));
  txn(fd);
  closeSync(fd);
  return c;
}

/** A transaction whose only row holds a `size`-byte string: as a column value, or as the row itself. */
function bigRecord(size: number, asRow: boolean): (fd: number) => number {
  return (fd) => {
    const head = asRow ? '{"Interface":{"u1":"' : '{"Interface":{"u1":{"name":"';
    const tail = asRow ? '"}}\n' : '"}}}\n';
    const chunk = Buffer.alloc(1 << 20, 'x');
    const h = createHash('sha1').update(head);
    for (let i = 0; i < size / chunk.length; i++) h.update(chunk);
    h.update(tail);
    writeSync(fd, `OVSDB JSON ${head.length + size + tail.length} ${h.digest('hex')}\n${head}`);
    for (let i = 0; i < size / chunk.length; i++) writeSync(fd, chunk);
    return writeSync(fd, tail);
  };
}

function sosWithProc(dir: string, files: number): string {
  const c = join(dir, 'sos-proc');
  const root = join(c, 'h');
  mkdirSync(join(root, 'sos_commands', 'openvswitch'), { recursive: true });
  writeFileSync(join(root, 'sos_commands', 'openvswitch', 'ovs-vsctl_-t_5_show'), VSCTL_SHOW);
  for (let i = 0; i < files; i++) {
    const d = join(root, i % 2 ? 'proc' : 'sys', String(Math.floor(i / 1000)));
    if (i % 1000 < 2) mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${i}`), 'x\n');
  }
  return c;
}

interface Case {
  name: string;
  what: string;
  argv: (dir: string) => string[];
}

const CASES: Case[] = [
  {
    name: 'snapshot-125k',
    what: 'snapshot of a bridge with 125,000 flows',
    argv: (d) => ['snapshot', flowCase(d, 125_000)],
  },
  {
    name: 'snapshot-json-200k',
    what: 'snapshot --json of 200,000 flows (to /dev/null)',
    argv: (d) => ['snapshot', '--json', flowCase(d, 200_000)],
  },
  {
    name: 'capture-125k',
    what: 'capture analyze, 125,000 DHCP frames, one xid each',
    argv: (d) => ['capture', 'analyze', pcapFile(d, 125_000, 125_000)],
  },
  {
    name: 'capture-1g',
    what: 'capture analyze, 1.1 GB: 3,000,000 DHCP frames over 1,000 xids',
    argv: (d) => ['capture', 'analyze', pcapFile(d, 3_000_000, 1000)],
  },
  {
    name: 'confdb-500m',
    what: 'conf.db with a 500 MB record',
    argv: (d) => ['snapshot', confDbCase(d, 'confdb-500m', bigRecord(500 << 20, false))],
  },
  {
    name: 'confdb-row',
    what: 'conf.db whose row is a 50 MB string',
    argv: (d) => ['snapshot', confDbCase(d, 'confdb-row', bigRecord(50 << 20, true))],
  },
  {
    name: 'sos-proc-100k',
    what: 'sosreport with 100,000 files under proc/ and sys/',
    argv: (d) => ['snapshot', sosWithProc(d, 100_000)],
  },
];

const only = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'vifpath-limits-'));
try {
  for (const c of CASES) {
    if (only.length && !only.includes(c.name)) continue;
    const argv = c.argv(dir);
    const r = spawnSync('/usr/bin/time', ['-v', 'node', join(ROOT, 'bin/vifpath.mjs'), ...argv], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 1 << 26,
    });
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
    const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/.exec(r.stderr)?.[1];
    const code = /Exit status: (\d+)/.exec(r.stderr)?.[1] ?? '0';
    const first = r.stderr.split('\n').find((l) => l.trim() && !/^\s/.test(l) && !l.startsWith('Command'));
    console.log(
      `${c.name.padEnd(20)} exit ${code}  peak RSS ${Math.round(Number(rss) / 1024)} MB  ${wall}  ${c.what}${first ? `\n${' '.repeat(22)}${first.slice(0, 220)}` : ''}`,
    );
    rmSync(join(dir), { recursive: true, force: true });
    mkdirSync(dir);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
