// The lab's record of everything it created, written as it goes so `down` can remove all of it
// after a crash or a half-finished `up`.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
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
   * DHCP client messages (DISCOVER, REQUEST, ...) tcpdump saw on the DHCP port inside the qdhcp
   * namespace during this attempt: the ground truth for "the DISCOVER reached the tap".
   * null when tcpdump could not capture there (device down).
   */
  tapClientPackets: number | null;
  /** The capture file, relative to the lab directory. */
  tapPcap?: string;
  /** DHCP both ways on the VM's eth0 during this attempt. */
  vmPcap?: string;
}

/** A process the lab started: killed only while /proc still shows this start time and command line. */
export interface LabProcess {
  pid: number;
  /** /proc/<pid>/stat field 22 (clock ticks since boot): a reused pid has another. */
  startTime: number;
  /** /proc/<pid>/cmdline split at NUL, exactly. */
  cmdline: string[];
  what: string;
}

/** A late-port scenario's outcome: the VM port plugged after boot and what the lab's agent did with it. */
export interface LatePortOutcome {
  agentMonitor: 'ok' | 'deaf';
  /** The agent process (also in processes while it runs). */
  agentPid: number;
  /** The agent's output, relative to the lab directory. */
  agentLog: string;
  pluggedAt: string;
  /** The port's tag when the lab stopped waiting (null: untagged). */
  tag: number | null;
  /** Plug → tag visible, or null when no tag came within waitedMs. */
  bindMs: number | null;
  waitedMs: number;
}

export interface LabState {
  version: 2;
  prefix: string;
  /** Absolute. */
  dir: string;
  /** `up` created the directory itself (else it was there and empty): only then may `down` remove it. */
  createdDir: boolean;
  /** Paths relative to dir that the lab created (files, and directories it made fresh and owns whole). */
  files: string[];
  scenario: string;
  createdAt: string;
  /** Global names this lab created (network namespaces), recorded before each is created. */
  namespaces: string[];
  processes: LabProcess[];
  /** Set when every step of `up` finished. */
  ready: boolean;
  timings: { upMs?: number; firstLeaseMs?: number };
  renewals: Renewal[];
  /** Late-port scenarios only. */
  latePort?: LatePortOutcome;
}

export const STATE_FILE = 'state.json';
/** Held by `up` and `down` while they work on a directory. */
export const LOCK_FILE = 'lab.lock';
/** `vl` + 6 hex digits: unique per lab, and nothing Neutron or anyone else names a namespace. */
export const PREFIX = /^vl[0-9a-f]{6}$/;
/** A state file larger than this is not one the lab wrote. */
export const MAX_STATE_BYTES = 4 * 1024 * 1024;

/** state.json is there but is not a lab's record for this directory: nothing may be removed on its word. */
export class StateError extends Error {
  constructor(
    message: string,
    /** A prefix found in the text, to point at what may be left (never acted on). */
    readonly prefixHint?: string,
  ) {
    super(message);
  }
}

const isStr = (x: unknown): x is string => typeof x === 'string';

/** Relative, no `..`, no empty or absolute parts: a path inside dir. */
function insideRel(p: unknown): p is string {
  return (
    isStr(p) &&
    p !== '' &&
    !p.startsWith('/') &&
    p.split('/').every((x) => x !== '' && x !== '.' && x !== '..')
  );
}

/** Check every field `down` acts on; anything else makes the whole record untrusted. */
export function validateState(raw: unknown, dir: string): LabState {
  const fail = (why: string, prefix?: unknown): never => {
    throw new StateError(why, isStr(prefix) && PREFIX.test(prefix) ? prefix : undefined);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not a JSON object');
  const s = raw as Record<string, unknown>;
  if (s.version !== 2) fail(`version ${JSON.stringify(s.version)}, not 2`, s.prefix);
  if (!isStr(s.prefix) || !PREFIX.test(s.prefix))
    fail(`prefix ${JSON.stringify(s.prefix)} is not vl + 6 hex digits`);
  const prefix = s.prefix as string;
  if (s.dir !== dir) fail(`it belongs to ${JSON.stringify(s.dir)}, not ${dir}`, prefix);
  if (typeof s.createdDir !== 'boolean') fail('createdDir is not a boolean', prefix);
  if (!Array.isArray(s.files) || !s.files.every(insideRel))
    fail('files are not paths inside the directory', prefix);
  if (
    !Array.isArray(s.namespaces) ||
    !s.namespaces.every((n) => isStr(n) && n.startsWith(`${prefix}-`) && /^[A-Za-z0-9_.-]{1,64}$/.test(n))
  )
    fail(`namespaces are not all ${prefix}-…`, prefix);
  if (
    !Array.isArray(s.processes) ||
    !s.processes.every(
      (p) =>
        typeof p === 'object' &&
        p !== null &&
        Number.isInteger(p.pid) &&
        p.pid > 1 &&
        Number.isInteger(p.startTime) &&
        Array.isArray(p.cmdline) &&
        p.cmdline.length > 0 &&
        p.cmdline.every(isStr) &&
        isStr(p.what),
    )
  )
    fail('processes are not {pid, startTime, cmdline, what}', prefix);
  if (!isStr(s.scenario) || typeof s.ready !== 'boolean' || !Array.isArray(s.renewals))
    fail('scenario, ready or renewals missing', prefix);
  if (typeof s.timings !== 'object' || s.timings === null) fail('timings missing', prefix);
  return s as unknown as LabState;
}

/** The lab's record in `dir` (absolute), undefined when there is none; StateError when it cannot be trusted. */
export function readState(dir: string): LabState | undefined {
  const p = join(dir, STATE_FILE);
  if (!existsSync(p)) return undefined;
  const size = statSync(p).size;
  if (size > MAX_STATE_BYTES)
    throw new StateError(`${size} bytes, over the ${MAX_STATE_BYTES} a lab writes (MAX_STATE_BYTES)`);
  const text = readFileSync(p, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StateError(`not JSON (${(e as Error).message})`, /\b(vl[0-9a-f]{6})-/.exec(text)?.[1]);
  }
  return validateState(raw, dir);
}

export function writeState(s: LabState): void {
  const p = join(s.dir, STATE_FILE);
  writeFileSync(`${p}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(`${p}.tmp`, p);
}
