// Reproduced by review: `capture live --point local:nosuchif0 --seconds 2 -o cap5` captured for
// two seconds and said "0 frames … could not capture", exit 1: a problem proven, from nothing. Now
// a local interface that does not exist is bad input said before anything runs (exit 2, the folder
// not made), and a capture that saw no DHCP exchange is undecided (exit 3), said so.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runVifpath, scratchDir } from '../testing/cli.ts';
import { ROOT } from '../testing/fixtures.ts';

const T = scratchDir('vifpath-capexit-');
const run = (args: readonly string[]) => runVifpath(args, { timeoutMs: 60_000 });
const SLL = join(ROOT, 'src/capture/fixtures/vm-any-sll.pcap');

describe('capture live: a point that names nothing, a capture that sees nothing', () => {
  it('local:nosuchif0: exit 2 before capturing, naming it', () => {
    const r = run(['capture', 'live', '--point', 'local:nosuchif0', '--seconds', '2', '-o', join(T, 'cap5')]);
    expect(r.status, r.stdout).toBe(2);
    expect(r.stderr.trimEnd()).toBe(
      'vifpath: local:nosuchif0: --point: this host has no interface "nosuchif0" (ip link lists the ones it has)',
    );
    expect(existsSync(join(T, 'cap5'))).toBe(false);
  });

  it('one good point and one bad: still refused', () => {
    const r = run([
      'capture',
      'live',
      '--point',
      'local:lo',
      'local:nosuchif0',
      '--seconds',
      '1',
      '-o',
      join(T, 'cap6'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no interface "nosuchif0"/);
  });

  it('an interface that exists and carries no DHCP: undecided, exit 3', () => {
    const r = run(['capture', 'live', '--point', 'local:lo', '--seconds', '1', '-o', join(T, 'cap7')]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toContain('0 DHCP exchange(s)');
    expect(r.stdout).toContain(
      'undecided: no DHCP exchange was seen: nothing proves a problem or its absence',
    );
  });

  it('a namespace point never seen: retried as before, then undecided (exit 3), the point named', () => {
    const r = run([
      'capture',
      'live',
      '--point',
      'vifpathnons0:eth0',
      '--seconds',
      '1',
      '-o',
      join(T, 'cap8'),
    ]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toContain('vifpathnons0:eth0: could not capture');
    expect(r.stdout).toContain('1 of 1 point(s) could not capture');
  });
});

/**
 * A real capture: tcpdump on lo with a filter for one UDP port. With `send` datagrams: sent once
 * tcpdump listens, and tcpdump ends by itself once it has written them (-c); with none: stopped by
 * SIGINT, which writes the file's header alone.
 */
async function tcpdumpLo(file: string, send: number): Promise<void> {
  const rx = createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const port = rx.address().port;
  const count = send > 0 ? ['-c', String(send)] : [];
  const td = spawn('tcpdump', ['-i', 'lo', '-U', '-n', ...count, '-w', file, 'udp', 'port', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const ended = new Promise<number | null>((r) => td.on('close', (c) => r(c)));
  await new Promise<void>((resolve, reject) => {
    td.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on')) resolve();
    });
    td.on('close', () => reject(new Error(`tcpdump: ${err}`)));
  });
  const tx = createSocket('udp4');
  for (let i = 0; i < send; i++) tx.send(`not dhcp ${i}\n`, port, '127.0.0.1');
  if (send === 0) td.kill('SIGINT');
  const rc = await ended;
  tx.close();
  rx.close();
  if (rc !== 0) throw new Error(`tcpdump exited ${rc}: ${err}`);
}

describe('capture analyze: captures with no DHCP in them', () => {
  // Was: '3 frames in 2 capture(s), 0 DHCP exchange(s)', exit 0, as if all were well.
  let udp: string;
  let empty: string;
  let bad: string;
  beforeAll(async () => {
    udp = join(T, 'udp.pcap');
    empty = join(T, 'empty.pcap');
    bad = join(T, 'bad.pcap');
    await tcpdumpLo(udp, 3);
    await tcpdumpLo(empty, 0);
    writeFileSync(bad, 'garbage, not a capture\n');
  });

  // [what, exit, files (UDP, EMPTY: the captures above), the undecided line's middle or null]
  const rows: [string, number, string[], string | null][] = [
    ['UDP but no DHCP', 3, ['UDP'], 'no DHCP packet in UDP'],
    ['and a capture of nothing', 3, ['UDP', 'EMPTY'], 'no DHCP packet in UDP, EMPTY'],
    ['named points: the files are named', 3, ['qdhcp=UDP', 'vm=EMPTY'], 'no DHCP packet in UDP, EMPTY'],
    ['with a capture holding an exchange with its lease', 0, [SLL, 'UDP'], null],
  ];
  const real = (x: string): string => x.replace('UDP', udp).replace('EMPTY', empty);
  it.each(rows)('%s: exit %s', (_, code, files, line) => {
    const r = run(['capture', 'analyze', ...files.map(real)]);
    expect(r.status, r.stderr).toBe(code);
    const undecided = r.stdout.split('\n').filter((l) => l.startsWith('undecided:'));
    expect(undecided).toEqual(
      line ? [`undecided: ${real(line)}: nothing proves a problem or its absence`] : [],
    );
  });

  it('the frames are counted as before; --json: the same exit, the JSON alone', () => {
    const t = run(['capture', 'analyze', udp, empty]);
    expect(t.stdout).toContain('3 frames in 2 capture(s), 0 DHCP exchange(s)');
    const j = run(['capture', 'analyze', '--json', udp]);
    expect(j.status).toBe(3);
    expect(JSON.parse(j.stdout)).toMatchObject({ exchanges: [], frames: 3 });
  });

  it('a file that cannot be read is still bad input (exit 2), not undecided', () => {
    const r = run(['capture', 'analyze', udp, bad]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^vifpath: ${bad}: unknown capture file magic`));
  });
});
