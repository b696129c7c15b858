// One tcpdump writing a pcap, started through an argv prefix (`ip netns exec <ns>`, a lab host):
// it is up when tcpdump says "listening on"; stopping it waits for the file to be complete.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Tcpdump {
  pid?: number;
  /** Listening (false when the interface did not exist or was down). */
  listening: boolean;
  /** Stop and return the capture, or null when tcpdump never listened. */
  stop(): Promise<Uint8Array | null>;
}

export const DHCP_FILTER = 'udp port 67 or udp port 68 or (vlan and (udp port 67 or udp port 68))';

export async function startTcpdump(
  prefix: readonly string[],
  dev: string,
  file: string,
  filter = DHCP_FILTER,
  waitMs = 5000,
): Promise<Tcpdump> {
  mkdirSync(dirname(file), { recursive: true });
  // --immediate-mode: without it packets wait in the kernel ring and are lost when tcpdump stops.
  const argv = [...prefix, 'tcpdump', '-i', dev, '-n', '-U', '--immediate-mode', '-w', file, filter];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = false;
  const closed = new Promise<void>((r) =>
    child.on('close', () => {
      exited = true;
      r();
    }),
  );
  child.on('error', () => undefined);
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const end = Date.now() + waitMs;
  while (!exited && !stderr.includes('listening on') && Date.now() < end)
    await new Promise((r) => setTimeout(r, 20));
  const listening = stderr.includes('listening on');
  return {
    ...(child.pid ? { pid: child.pid } : {}),
    listening,
    stop: async () => {
      if (!exited) {
        await new Promise((r) => setTimeout(r, 100));
        child.kill('SIGTERM');
      }
      await closed;
      return listening && existsSync(file) ? readFileSync(file) : null;
    },
  };
}
