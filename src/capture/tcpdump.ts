// One tcpdump on some host (a Runner: local, a namespace, a lab host, ssh), writing pcap to its
// stdout, which lands in a local file: the same for every kind of host. It is up when tcpdump
// says "listening on"; stopping it waits for the stream to end.
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { killGroup } from '../runner/cleanup.ts';
import { makeDirs } from '../runner/make-dir.ts';
import type { Runner } from '../runner/runner.ts';

export interface Tcpdump {
  pid?: number;
  /** Listening (false when the interface did not exist or was down). */
  listening: boolean;
  /** Why it is not listening (tcpdump's own words). */
  error?: string;
  /** Stop and return the capture, or null when tcpdump never listened. */
  stop(): Promise<Uint8Array | null>;
}

/**
 * DHCP, also inside VXLAN/Geneve (UDP 4789/6081: inner Ethernet at udp[16], IPv4 with a 20-byte
 * header) and GRE with a key (Ethernet at 8 bytes past the outer IP header), so an underlay point
 * keeps only the tunnelled DHCP. The vlan clause comes last: after `vlan`, pcap-filter shifts every
 * offset that follows.
 */
export const DHCP_FILTER =
  'udp port 67 or udp port 68' +
  ' or ((udp dst port 4789 or udp dst port 6081) and udp[28:2] = 0x0800 and udp[39] = 17 and (udp[52:2] = 67 or udp[52:2] = 68))' +
  ' or (ip proto 47 and ip[((ip[0] & 0xf) << 2) + 2:2] = 0x6558 and ip[((ip[0] & 0xf) << 2) + 31] = 17 and (ip[((ip[0] & 0xf) << 2) + 44:2] = 67 or ip[((ip[0] & 0xf) << 2) + 44:2] = 68))' +
  ' or (vlan and (udp port 67 or udp port 68))';

export interface TcpdumpOptions {
  filter?: string;
  /** How long to wait for "listening on". */
  waitMs?: number;
  /** tcpdump ends by itself after this long, even if the link to it (ssh) is gone. */
  maxSeconds?: number;
  /**
   * The runner shares this filesystem (local, namespace, lab): tcpdump writes the file itself and
   * runs without the `timeout` wrapper, so its own pid and command line (with the file) are what
   * a crash cleanup finds. Otherwise the pcap streams back over the runner's stdout.
   */
  toFile?: boolean;
}

export async function startTcpdump(
  runner: Runner,
  dev: string,
  file: string,
  opts: TcpdumpOptions = {},
): Promise<Tcpdump> {
  makeDirs(dirname(file));
  // --immediate-mode: without it packets wait in the kernel ring and are lost when tcpdump stops.
  // -U with -w -: every packet is flushed down the pipe as it is captured.
  const tcpdump = ['tcpdump', '-i', dev, '-n', '-U', '--immediate-mode', '-w', opts.toFile ? file : '-'];
  // `--`: the filter is an operand, never an option, whatever it begins with.
  const argv = opts.toFile
    ? [...tcpdump, '--', opts.filter ?? DHCP_FILTER]
    : ['timeout', '--', String(opts.maxSeconds ?? 600), ...tcpdump, '--', opts.filter ?? DHCP_FILTER];
  const child = runner.start(argv);
  let flushed: Promise<void> = Promise.resolve();
  if (!opts.toFile) {
    const sink = createWriteStream(file);
    child.stdout?.pipe(sink);
    flushed = new Promise<void>((r) => sink.on('close', () => r()));
  }
  let stderr = '';
  let exited = false;
  const closed = new Promise<void>((r) =>
    child.on('close', () => {
      exited = true;
      r();
    }),
  );
  child.on('error', () => undefined);
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const end = Date.now() + (opts.waitMs ?? 5000);
  while (!exited && !stderr.includes('listening on') && Date.now() < end)
    await new Promise((r) => setTimeout(r, 20));
  const listening = stderr.includes('listening on');
  const error = listening ? undefined : stderr.trim().split('\n').pop() || 'tcpdump did not start listening';
  return {
    ...(child.pid ? { pid: child.pid } : {}),
    listening,
    ...(error ? { error } : {}),
    stop: async () => {
      if (!exited) {
        await new Promise((r) => setTimeout(r, 100));
        killGroup(child, 'SIGTERM');
      }
      await closed;
      await flushed;
      return listening && existsSync(file) ? readFileSync(file) : null;
    },
  };
}
