// Kernel parameters as `sysctl` prints them (`sysctl -a`, sos kernel plugin's sos_commands/kernel/
// sysctl_-a, or `sysctl KEY...`): `key = value` lines; and the bare value of one parameter (its
// /proc/sys file, or `sysctl -n KEY`). Only what vifpath uses is kept: the net.bridge keys
// (br_netfilter's: whether a Linux bridge hands the frames it forwards to iptables), which keys
// sysctl said do not exist, and which top-level families the listing shows (a whole `sysctl -a`
// shows kernel, net and vm: what a key missing from it proves rests on that). Pure: no I/O.
import { diag, type Parsed, splitLines } from './diagnostics.ts';

export interface SysctlListing {
  /** The net.bridge.* keys it lists, each with its value as printed and its line. */
  bridge: { key: string; value: string; line: number }[];
  /** Keys sysctl could not stat (`sysctl: cannot stat /proc/sys/...: No such file or directory`): absent from the kernel. */
  missing: { key: string; line: number }[];
  /** The top-level families of the keys it lists (kernel, net, vm, fs...), sorted. */
  families: string[];
  /** How many `key = value` lines. */
  keys: number;
}

const KEY_LINE = /^([A-Za-z0-9_][\w-]*(?:[./][\w:@+-]+)*) = ?(.*)$/;
const CANNOT_STAT = /^sysctl: cannot stat \/proc\/sys\/(\S+): No such file or directory$/;

/** The sysctl name of a /proc/sys path (`net/bridge/x` → `net.bridge.x`). */
export function sysctlKey(procPath: string): string {
  return procPath.replace(/^\/?(?:proc\/sys\/)?/, '').replaceAll('/', '.');
}

export function parseSysctl(text: string): Parsed<SysctlListing> {
  const { lines, diagnostics } = splitLines(text);
  const v: SysctlListing = { bridge: [], missing: [], families: [], keys: 0 };
  const families = new Set<string>();
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    const gone = CANNOT_STAT.exec(l);
    if (gone) {
      v.missing.push({ key: sysctlKey(gone[1]!), line: i + 1 });
      return;
    }
    // sysctl's other notes on stderr (sos keeps it): `sysctl: permission denied on key ...`,
    // `sysctl: reading key "net.ipv6.conf.all.stable_secret"`: about other keys.
    if (l.startsWith('sysctl: ')) return;
    const m = KEY_LINE.exec(l);
    if (!m) {
      diagnostics.push(diag('corrupt', i + 1, 'not-sysctl', 'expected "key = value"', l));
      return;
    }
    // sysctl -a prints a multi-line value (dev.cdrom.info) as several lines of the same key.
    const key = m[1]!.replaceAll('/', '.');
    v.keys++;
    families.add(key.split('.')[0]!);
    if (key.startsWith('net.bridge.')) v.bridge.push({ key, value: m[2]!.trim(), line: i + 1 });
  });
  v.families = [...families].sort();
  return { value: v, diagnostics };
}

/** The bare value of `key` (its /proc/sys file, `sysctl -n KEY`), read as a listing of that one key. */
export function parseSysctlValue(text: string, key: string): Parsed<SysctlListing> {
  const { lines, diagnostics } = splitLines(text);
  const v: SysctlListing = { bridge: [], missing: [], families: [], keys: 0 };
  const at = lines.findIndex((l) => l.trim() !== '');
  if (at < 0) return { value: v, diagnostics };
  const l = lines[at]!;
  const gone = CANNOT_STAT.exec(l);
  if (gone) v.missing.push({ key: sysctlKey(gone[1]!), line: at + 1 });
  else if (/^-?\d+$/.test(l.trim())) {
    v.keys = 1;
    v.families = [key.split('.')[0]!];
    if (key.startsWith('net.bridge.')) v.bridge.push({ key, value: l.trim(), line: at + 1 });
  } else diagnostics.push(diag('corrupt', at + 1, 'not-sysctl', `expected the value of ${key}`, l));
  for (let i = at + 1; i < lines.length; i++)
    if (lines[i]!.trim() !== '')
      diagnostics.push(diag('corrupt', i + 1, 'not-sysctl', `expected only the value of ${key}`, lines[i]));
  return { value: v, diagnostics };
}
