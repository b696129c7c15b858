// The lab's record of everything it created, written as it goes so `down` can remove all of it
// after a crash or a half-finished `up`.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Renewal {
  startedAt: string;
  durationMs: number;
  /** The address the VM was bound to, or null when it got none. */
  lease: string | null;
  rc: number | null;
  /** dhclient's own output (-v), as printed. */
  output: string[];
  discovers: number;
  /** What dnsmasq logged during this attempt. */
  dnsmasq: { discovers: number; offers: number; acks: number };
  /**
   * DHCP client packets (udp dst port 67) tcpdump saw on the DHCP port inside the qdhcp
   * namespace during this attempt: the ground truth for "the DISCOVER reached the tap".
   * null when tcpdump could not capture there (device down).
   */
  tapClientPackets: number | null;
  /** The capture file, relative to the lab directory. */
  tapPcap?: string;
  /** DHCP both ways on the VM's eth0 during this attempt. */
  vmPcap?: string;
}

export interface LabState {
  version: 1;
  prefix: string;
  dir: string;
  scenario: string;
  createdAt: string;
  /** Global names this lab created (network namespaces), in creation order. */
  namespaces: string[];
  /** pid → what it is; checked against /proc/<pid>/cmdline before any kill. */
  pids: Record<string, string>;
  /** Set when every step of `up` finished. */
  ready: boolean;
  timings: { upMs?: number; firstLeaseMs?: number };
  renewals: Renewal[];
}

export const STATE_FILE = 'state.json';

export function readState(dir: string): LabState | undefined {
  const p = join(dir, STATE_FILE);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as LabState;
}

export function writeState(s: LabState): void {
  mkdirSync(s.dir, { recursive: true });
  const p = join(s.dir, STATE_FILE);
  writeFileSync(`${p}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(`${p}.tmp`, p);
}
