// The DHCP side of a case (a namespace's sockets: sockets.ts): offloads (`ethtool -k`),
// `iptables-save`, the Neutron DHCP agent's hosts file, dnsmasq's log and a DHCP client's output.
// Pure parsers: text in, typed value plus diagnostics out.
import type { AgentStop } from '../model/snapshot.ts';
import { diag, type Parsed, splitLines } from './diagnostics.ts';

export { parseSockets } from './sockets.ts';

export interface Offloads {
  device: string;
  txChecksum?: boolean;
  rxChecksum?: boolean;
  line: number;
}

export function parseEthtoolK(text: string): Parsed<Offloads> {
  const { lines, diagnostics } = splitLines(text);
  const head = /^Features for (\S+):$/.exec(lines[0] ?? '');
  const v: Offloads = { device: head?.[1] ?? '', line: 1 };
  if (!head && lines.length > 0)
    diagnostics.push(diag('corrupt', 1, 'not-ethtool', 'expected "Features for <dev>:"', lines[0]));
  lines.forEach((l, i) => {
    const m = /^(tx|rx)-checksumming: (on|off)/.exec(l);
    if (m) {
      if (m[1] === 'tx') {
        v.txChecksum = m[2] === 'on';
        v.line = i + 1;
      } else v.rxChecksum = m[2] === 'on';
    }
  });
  return { value: v, diagnostics };
}

export interface IptablesInfo {
  rules: number;
  /** A mangle rule that fills UDP checksums toward the DHCP client (Neutron adds it for veth ports). */
  checksumFill?: { line: number; text: string };
  /**
   * The filter table as it was saved: its chains (built-in ones with their policy) and its rules
   * in order, each as its `-A CHAIN ...` line. Absent when the output has no filter table.
   */
  filter?: IptablesFilterSave;
}

export interface IptablesFilterSave {
  chains: { name: string; policy?: string; line: number }[];
  rules: { chain: string; text: string; line: number }[];
}

export function parseIptablesSave(text: string): Parsed<IptablesInfo> {
  const { lines, diagnostics } = splitLines(text);
  const v: IptablesInfo = { rules: 0 };
  let table = '';
  lines.forEach((l, i) => {
    if (l.startsWith('*')) {
      table = l.slice(1).trim();
      if (table === 'filter') v.filter ??= { chains: [], rules: [] };
    }
    if (l.startsWith('-A ')) v.rules++;
    if (table === 'filter' && v.filter) {
      // `:CHAIN POLICY [packets:bytes]`, `-` for a user chain.
      const c = /^:(\S+) (\S+)/.exec(l);
      if (c) v.filter.chains.push({ name: c[1]!, ...(c[2] !== '-' ? { policy: c[2]! } : {}), line: i + 1 });
      const r = /^-A (\S+) /.exec(l);
      if (r) v.filter.rules.push({ chain: r[1]!, text: l, line: i + 1 });
    }
    if (/-j CHECKSUM\b.*--checksum-fill/.test(l) && /--dport 68\b/.test(l))
      v.checksumFill = { line: i + 1, text: l };
    else if (!/^(#|\*|:|-A |COMMIT)/.test(l) && l.trim() !== '')
      diagnostics.push(diag('corrupt', i + 1, 'not-iptables', 'not iptables-save output', l));
  });
  return { value: v, diagnostics };
}

export interface DhcpHostEntry {
  mac: string;
  ip?: string;
  name?: string;
  line: number;
}

/** dnsmasq --dhcp-hostsfile as the Neutron DHCP agent writes it: `mac,name,ip` (ip may be [v6]). */
export function parseDhcpHosts(text: string): Parsed<DhcpHostEntry[]> {
  const { lines, diagnostics } = splitLines(text);
  const out: DhcpHostEntry[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '' || l.startsWith('#')) return;
    const parts = l.split(',');
    const mac = parts[0]!.toLowerCase();
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac)) {
      diagnostics.push(diag('corrupt', i + 1, 'bad-host', 'expected "mac,name,ip"', l));
      return;
    }
    const ip = parts.find((p) => /^\d+\.\d+\.\d+\.\d+$/.test(p) || /^\[.*\]$/.test(p));
    const name = parts.find((p, k) => k > 0 && p !== ip && !p.startsWith('set:') && p !== '');
    out.push({ mac, ...(ip ? { ip } : {}), ...(name ? { name } : {}), line: i + 1 });
  });
  return { value: out, diagnostics };
}

/** dnsmasq's lease file (--dhcp-leasefile): `<expiry> <mac> <ip> <hostname|*> <client-id|*>`. */
export interface DhcpLease {
  expiry: number;
  mac: string;
  ip: string;
  hostname?: string;
  line: number;
}

export function parseDhcpLeases(text: string): Parsed<DhcpLease[]> {
  const { lines, diagnostics } = splitLines(text);
  const out: DhcpLease[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '' || l.startsWith('duid ')) return; // the DHCPv6 server DUID line
    const m =
      /^(\d+) ((?:[0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}|\*|[0-9a-fA-F:-]+) (\S+) (\S+)(?: (\S+))?$/.exec(
        l.trim(),
      );
    if (!m) {
      diagnostics.push(diag('corrupt', i + 1, 'bad-lease', 'expected "expiry mac ip hostname client-id"', l));
      return;
    }
    out.push({
      expiry: Number(m[1]),
      mac: m[2]!.toLowerCase().replace(/-/g, ':'),
      ip: m[3]!,
      ...(m[4] !== '*' ? { hostname: m[4]! } : {}),
      line: i + 1,
    });
  });
  return { value: out, diagnostics };
}

/** The DHCP agent's opts file: `tag:<tag>,option:<name>,<value>` (or a number for the option). */
export interface DhcpOpt {
  tag?: string;
  option: string;
  value: string;
  line: number;
}

export function parseDhcpOpts(text: string): Parsed<DhcpOpt[]> {
  const { lines, diagnostics } = splitLines(text);
  const out: DhcpOpt[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '' || l.startsWith('#')) return;
    const parts = l.split(',');
    const tag = parts[0]?.startsWith('tag:') ? parts.shift()!.slice(4) : undefined;
    const opt = parts.shift();
    if (!opt || !/^(?:option6?:[\w-]+|\d+)$/.test(opt)) {
      diagnostics.push(diag('corrupt', i + 1, 'bad-opt', 'expected "tag:<tag>,option:<name>,<value>"', l));
      return;
    }
    out.push({
      ...(tag ? { tag } : {}),
      option: opt.replace(/^option6?:/, ''),
      value: parts.join(','),
      line: i + 1,
    });
  });
  return { value: out, diagnostics };
}

/** A pid file: one process id. */
export function parsePidFile(text: string): Parsed<number | undefined> {
  const { lines, diagnostics } = splitLines(text);
  const t = (lines[0] ?? '').trim();
  lines.forEach((l, i) => {
    if (i > 0 && l.trim() !== '')
      diagnostics.push(diag('corrupt', i + 1, 'bad-pid', 'a pid file holds one line', l));
  });
  if (!/^\d+$/.test(t)) {
    if (t !== '') diagnostics.push(diag('corrupt', 1, 'bad-pid', 'expected a process id', t));
    return { value: undefined, diagnostics };
  }
  return { value: Number(t), diagnostics };
}

export interface DhcpLogEvent {
  type: 'DHCPDISCOVER' | 'DHCPOFFER' | 'DHCPREQUEST' | 'DHCPACK' | 'DHCPNAK';
  iface: string;
  mac?: string;
  ip?: string;
  /** What dnsmasq said besides addresses: `no address available`, `ignored`, `no address configured`. */
  note?: string;
  /** The process that logged it (`dnsmasq-dhcp[11748]:`): `ip netns identify PID` names its namespace. */
  pid?: number;
  /** When, as the line's own stamp says (syslog `Jan  1 14:39:05`, ISO `2024-03-01T10:00:00…`). */
  time?: string;
  /** The line as logged (trimmed), quoted as evidence. */
  text: string;
  line: number;
}

/** A log line's leading time stamp: syslog's (`Jan  1 14:39:05`) or an ISO one (journalctl -o short-iso, rsyslog). */
const LOG_TIME =
  /^\s*((?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d)|(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?))\s/;

/** dnsmasq's own log line (its log file, syslog, journalctl): `dnsmasq-dhcp[PID]: ... DHCPOFFER(dev) ...`. */
export const DNSMASQ_DHCP_LINE =
  /\bdnsmasq(?:-dhcp)?\[(\d+)\]: .*\b(DHCPDISCOVER|DHCPOFFER|DHCPREQUEST|DHCPACK|DHCPNAK)\(/;

const DHCP_TYPE = /(DHCPDISCOVER|DHCPOFFER|DHCPREQUEST|DHCPACK|DHCPNAK)\(([^)]+)\)\s*(.*)$/;
const MAC_WORD = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
const IP_WORD = /^\d+\.\d+\.\d+\.\d+$/;

/**
 * What dnsmasq logs after a DHCP packet's address and MAC when it does not answer it as asked
 * (rfc2131.c's messages): a refusal, a NAK's reason.
 */
export const DNSMASQ_DHCP_MESSAGES: readonly string[] = [
  'no address available',
  'no address configured',
  'no unique-id',
  'no leases left',
  'ignored',
  'disabled',
  'wrong address',
  'wrong network',
  'wrong server-ID',
  'lease not found',
  'unknown lease',
  'address not available',
  'address in use',
  'address reserved',
  'static lease available',
];

/** The words after `TYPE(dev)`: an address, a MAC, then a message dnsmasq prints, each optional. */
function knownDhcpLine(line: string): boolean {
  const m = DHCP_TYPE.exec(line);
  if (!m) return false;
  const w = m[3]!
    .trim()
    .split(/\s+/)
    .filter((x) => x !== '');
  let k = 0;
  if (IP_WORD.test(w[k] ?? '')) k++;
  if (MAC_WORD.test(w[k] ?? '')) k++;
  const rest = w.slice(k).join(' ');
  return rest === '' || DNSMASQ_DHCP_MESSAGES.includes(rest);
}

/** A line a log writes itself: a time stamp, `prog[pid]:`, or journalctl's `-- … --` marks. */
function logLine(l: string): boolean {
  return LOG_TIME.test(l) || /^\s*[\w./-]+\[\d+\]:/.test(l) || /^\s*-- /.test(l);
}

/** Lines one wrapped log line may be taken from (its first line and those after it). */
const MAX_LOG_WRAP = 4;

export function parseDnsmasqLog(text: string): Parsed<DhcpLogEvent[]> {
  const { lines, diagnostics } = splitLines(text);
  const out: DhcpLogEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!;
    const n = i + 1;
    if (!DHCP_TYPE.test(l)) continue;
    // A DHCP line wrapped by a paste (a blog's code block, a forum): the lines right after it that
    // are no log line of their own (no time stamp, no `dnsmasq[pid]:`, no DHCP packet) are its
    // rest when, joined to it (at a blank a wrap lost, or none), it reads as a line dnsmasq logs;
    // else each is a fragment, not read. A blank line ends it (a wrap adds none).
    const more: number[] = [];
    for (let j = i + 1; j < lines.length && more.length < MAX_LOG_WRAP - 1; j++) {
      const b = lines[j]!;
      if (b.trim() === '' || logLine(b) || DHCP_TYPE.test(b)) break;
      more.push(j);
    }
    let taken = 0;
    for (let k = more.length; k >= 1 && taken === 0; k--) {
      const joined: string[] = [];
      for (let bits = 0; bits < 1 << k; bits++) {
        let c = l.trimEnd();
        for (let q = 0; q < k; q++) c += (bits & (1 << q) ? '' : ' ') + lines[more[q]!]!.trim();
        if (knownDhcpLine(c)) joined.push(c);
      }
      // One reading only: two (a blank lost or not) would be a guess.
      if (joined.length !== 1) continue;
      l = joined[0]!;
      taken = k;
      diagnostics.push(
        diag(
          'warning',
          n,
          'rejoined',
          `a log line wrapped over lines ${n}-${more[k - 1]! + 1} (a paste): rejoined`,
          l.trim(),
        ),
      );
    }
    for (const j of more.slice(taken))
      diagnostics.push(
        diag(
          'warning',
          j + 1,
          'fragment',
          `not a log line (no time stamp, no dnsmasq[pid]:) and no rest of line ${n} that dnsmasq would log: a fragment, not read`,
          lines[j],
        ),
      );
    const m = DHCP_TYPE.exec(l)!;
    const rest = m[3]!.trim().split(/\s+/);
    const mac = rest.find((w) => MAC_WORD.test(w));
    const ip = rest.find((w) => IP_WORD.test(w));
    const words = rest.filter((w) => w !== mac && w !== ip).join(' ');
    const note = DNSMASQ_DHCP_MESSAGES.includes(words)
      ? words
      : rest.filter((w) => w !== mac && w !== ip && /^[a-z]+$/.test(w)).join(' ');
    const pid = /\bdnsmasq(?:-dhcp)?\[(\d+)\]:/.exec(l)?.[1];
    const time = LOG_TIME.exec(l)?.[1];
    out.push({
      type: m[1] as DhcpLogEvent['type'],
      iface: m[2]!,
      ...(mac ? { mac: mac.toLowerCase() } : {}),
      ...(ip ? { ip } : {}),
      ...(note ? { note } : {}),
      ...(pid ? { pid: Number(pid) } : {}),
      ...(time ? { time } : {}),
      text: l.trim(),
      line: n,
    });
    i += taken;
  }
  return { value: out, diagnostics };
}

/** A dnsmasq process as a `ps` listing shows it: the devices it serves on and the network whose files it reads. */
export interface DnsmasqProcess {
  pid?: number;
  /** Its `--interface=` devices (`-i DEV` too), in order. */
  interfaces: string[];
  /** The Neutron network whose files it reads (`/var/lib/neutron/dhcp/<net>/…`), when it does. */
  net?: string;
  /** The namespace it was started in, when the line shows it (`ip netns exec <ns> dnsmasq …`, a rootwrap parent). */
  namespace?: string;
  text: string;
  line: number;
}

/**
 * A dnsmasq command line as Neutron's DHCP agent starts it, alone on its line (tree art of `ps f`
 * allowed before it): its `--interface=`, `--dhcp-hostsfile=` or per-network file under
 * /var/lib/neutron/dhcp (/var/lib/quantum/dhcp before Havana) makes it one.
 */
export const DNSMASQ_COMMAND =
  /^\s*(?:(?:\||\\_)\s+)*(?:\S*\/)?dnsmasq\s+(-(?=(?:.*\s)?(?:--interface=\S|--dhcp-hostsfile=\S|\S*\/var\/lib\/(?:neutron|quantum)\/dhcp\/)).*)$/;

/**
 * The dnsmasq processes of a `ps` listing (ps -ef, ps aux[f]ww, ps -elf, sos's process plugin; a
 * `| grep dnsmasq` of one): a line whose command is dnsmasq itself (after ps's time column or its
 * tree art `\_`; or alone, the ps columns cut from a paste, when Neutron's arguments make it one:
 * DNSMASQ_COMMAND), or `ip netns exec <ns> dnsmasq …` (Neutron's rootwrap parent, which names the
 * namespace). `grep dnsmasq` is no dnsmasq. A listing does not say which namespace a process runs
 * in: only the command line can.
 */
export function parseDnsmasqProcesses(text: string): Parsed<DnsmasqProcess[]> {
  const out: DnsmasqProcess[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const l = raw.replace(/\r$/, '');
    if (!/dnsmasq/.test(l)) continue;
    const ns = /\bip netns exec (\S+) (?:\S*\/)?dnsmasq\s+(-.*)$/.exec(l);
    // After ps's TIME column (00:00:00, 0:00, 1-02:03:04) and any tree art of `ps f` (|, \_).
    const own = /(?:^|\s)(?:\d+-)?(?:\d+:)?\d+:\d\d(?:\s+(?:\||\\_))*\s+(?:\S*\/)?dnsmasq\s+(-.*)$/.exec(l);
    // The command column alone (the ps columns cut from a paste): only with an argument Neutron's
    // DHCP agent gives it, so that no other line starting with `dnsmasq -` is taken for a process.
    const bare = ns || own ? undefined : DNSMASQ_COMMAND.exec(l);
    const args = (ns?.[2] ?? own?.[1] ?? bare?.[1])?.split(/\s+/);
    if (!args) continue;
    const interfaces: string[] = [];
    args.forEach((a, k) => {
      const m = /^--interface=(\S+)$/.exec(a);
      if (m) interfaces.push(m[1]!);
      else if (a === '-i' && args[k + 1]) interfaces.push(args[k + 1]!);
    });
    // Neutron's (quantum's before Havana) per-network files.
    const net = /\/var\/lib\/(?:neutron|quantum)\/dhcp\/([0-9a-f-]{36})\//.exec(l)?.[1];
    // ps -ef, ps aux: USER PID …; ps -elf: F S UID PID …. A numeric first column without a state
    // letter after it is ps alx's F UID PID or ps -ef's numeric UID PID: no pid is taken from it.
    const w = l.trim().split(/\s+/);
    const pid = !/^\d+$/.test(w[0] ?? '') ? w[1] : /^[A-Z]$/.test(w[1] ?? '') ? w[3] : undefined;
    out.push({
      // A rootwrap parent's pid is its own, not dnsmasq's.
      ...(!ns && pid && /^\d+$/.test(pid) ? { pid: Number(pid) } : {}),
      interfaces,
      ...(net ? { net } : {}),
      ...(ns ? { namespace: ns[1]! } : {}),
      text: l.trim(),
      line: i + 1,
    });
  }
  return { value: out, diagnostics: [] };
}

/** Where one of the client's messages is in its output (1-based line). */
export interface DhcpClientLine {
  line: number;
  text: string;
}

export interface DhcpClientOutput {
  discovers: number;
  offers: number;
  lease: string | null;
  /** Packets dropped for a bad UDP checksum, summed over dhclient's `N bad udp checksums in M packets` lines. */
  badChecksums?: number;
  /** The client's MAC and interface (`Listening on LPF/eth0/fa:16:3e:11:22:33`). */
  mac?: string;
  iface?: string;
  /**
   * The answers it took, each with the address it came from (`DHCPOFFER of 10.0.0.3 from 10.0.0.2`,
   * older dhclient `DHCPACK from 10.0.0.2 (xid=…)`): the packet's source, the server's address.
   */
  answers: DhcpClientAnswer[];
  /** The lines that say so: the first `Listening on`, the first bad-checksum count, `No DHCPOFFERS received`, `bound to`. */
  at: {
    listening?: DhcpClientLine;
    badChecksums?: DhcpClientLine;
    noOffers?: DhcpClientLine;
    bound?: DhcpClientLine;
    firstDiscover?: DhcpClientLine;
  };
}

/** An OFFER or ACK the client took, as its output says: the address offered and where it came from. */
export interface DhcpClientAnswer extends DhcpClientLine {
  type: 'DHCPOFFER' | 'DHCPACK';
  server: string;
  ip?: string;
}

/**
 * A dhclient line, bare or as syslog/journalctl writes it (`Nov 25 12:57:27 vm dhclient[812]: DHCPDISCOVER …`):
 * the message without the prefix.
 */
export function dhclientMessage(l: string): string {
  return l.replace(/^.*?\bdhclient\[\d+\]:\s*/, '');
}

/** Lines only ISC dhclient -v prints: its banner, its sockets, its DISCOVERs, its verdicts. */
export const DHCLIENT_LINE =
  /^(?:Internet Systems Consortium DHCP Client \S+|(?:Listening|Sending) on {1,3}(?:LPF|BPF|Socket|DLPI|NIT)\/|DHCPDISCOVER on \S+ to \S+ port \d+|No DHCPOFFERS received\.|bound to \S+ -- renewal in|\d+ bad udp checksums in \d+ packets$)/;

/** dhclient -v output (the VM's console, or the lab's record). */
export function parseDhclient(text: string): Parsed<DhcpClientOutput> {
  const { lines, diagnostics } = splitLines(text);
  const v: DhcpClientOutput = { discovers: 0, offers: 0, lease: null, answers: [], at: {} };
  lines.forEach((raw, i) => {
    const l = dhclientMessage(raw.trimStart());
    const at = { line: i + 1, text: l.trim() };
    if (l.startsWith('DHCPDISCOVER')) {
      v.discovers++;
      v.at.firstDiscover ??= at;
    } else if (l.startsWith('DHCPOFFER')) v.offers++;
    const a = /^(DHCPOFFER|DHCPACK)(?: of (\d+\.\d+\.\d+\.\d+))? from (\d+\.\d+\.\d+\.\d+)\b/.exec(l);
    if (a)
      v.answers.push({
        type: a[1] as DhcpClientAnswer['type'],
        server: a[3]!,
        ...(a[2] ? { ip: a[2] } : {}),
        ...at,
      });
    const b = /^bound to (\S+)/.exec(l);
    if (b) {
      v.lease = b[1]!;
      v.at.bound = at;
    }
    // dhclient says it each time half or more of 5+ packets were bad, then counts anew (common/packet.c).
    const c = /(\d+) bad udp checksums in \d+ packets/.exec(l);
    if (c) {
      v.badChecksums = (v.badChecksums ?? 0) + Number(c[1]);
      v.at.badChecksums ??= at;
    }
    if (l.startsWith('No DHCPOFFERS received')) v.at.noOffers = at;
    const s = /^Listening on {1,3}\w+\/([^/\s]+)\/((?:[0-9a-f]{2}:){5}[0-9a-f]{2})\b/i.exec(l);
    if (s && !v.at.listening) {
      v.iface = s[1]!;
      v.mac = s[2]!.toLowerCase();
      v.at.listening = at;
    }
  });
  return { value: v, diagnostics };
}

export interface AgentLogEvent {
  kind:
    | 'processing'
    | 'updated'
    | 'not-on-bridge'
    | 'binding-failed'
    | 'local-vlan'
    | 'monitor-output'
    | 'agent-started'
    | 'agent-resync'
    | 'agent-stopped';
  /** The port id (Neutron port uuid); for monitor output, the text it names; for a start, resync or stop, the message without the log prefix. */
  subject: string;
  text: string;
  line: number;
  /** For agent-stopped: why, typed. */
  stop?: AgentStop;
}

// Messages of neutron's ovs_neutron_agent (ovs_neutron_agent.py) that tell whether a port was seen.
const AGENT_PATTERNS: [AgentLogEvent['kind'], RegExp][] = [
  ['processing', /Processing port:? ([0-9a-f-]{36})/],
  ['updated', /Port ([0-9a-f-]{36}) updated\. Details:/],
  ['not-on-bridge', /Port ([0-9a-f-]{36}) was not found on the integration bridge/],
  ['binding-failed', /Device ([0-9a-f-]{36}) not defined on plugin or binding failed/],
  ['local-vlan', /Assigning (\d+) as local vlan for net-id=([0-9a-f-]{36})/],
  ['monitor-output', /Output received from (?:ovsdb monitor|\[.*ovsdb-client.*\]): (.*)$/],
  // OVSNeutronAgent.daemon_loop's first line, once its set-up is done (Grizzly's ovs_quantum_agent to
  // 2024.2, INFO), and rpc_loop's on its first pass and each full resync: the agent runs. Right after
  // the log prefix's `] ` (or alone on a line), so that "OVN Neutron Agent initialized …" is not it.
  ['agent-started', /(?:^|\] )(Agent initialized successfully, now running\.*)/],
  ['agent-resync', /(?:^|\] )(Agent out of sync with plugin!)/],
];

// The messages ovs_neutron_agent.py logs right before it exits at start (sys.exit(1) or
// SystemExit(1)), the same text from Juno (2014.2) to 2024.2; the specific ones before main()'s
// catch-all "%s Agent terminated!" (lower-case "agent terminated!" since 2023), which also ends the
// first two. Juno's "Invalid tunnel type" went through that catch-all as a tuple: `other`.
const STOP_PATTERNS: [RegExp, (m: RegExpExecArray) => AgentStop][] = [
  [
    /Bridge (\S+) for physical network (\S+) does not exist\. Agent terminated!/,
    (m) => ({ reason: 'bridge-missing', bridge: m[1]!, physnet: m[2]! }),
  ],
  [
    /Failed to create OVS patch port\. Cannot have tunneling enabled on this agent, since this version of OVS does not support tunnels or patch ports\. Agent terminated!/,
    () => ({ reason: 'patch-port-failed' }),
  ],
  [
    /Tunneling can't be enabled with invalid local_ip '([^']*)'\. IP couldn't be found on this host's interfaces\./,
    (m) => ({ reason: 'local-ip-invalid', localIp: m[1]! }),
  ],
  [
    /Invalid tunnel type specified: ([^\s(),']+)\s*$/,
    (m) => ({ reason: 'tunnel-type-invalid', tunnelType: m[1]! }),
  ],
];

/** Where `[Aa]gent terminated` starts in l, or -1 (two searches: linear on any line). */
function terminatedAt(l: string): number {
  const a = l.indexOf('Agent terminated');
  const b = l.indexOf('agent terminated');
  return a < 0 ? b : b < 0 ? a : Math.min(a, b);
}

// Neutron's (oslo.log) prefix `<date> <time> <pid> <LEVEL> <logger> [<request>] ` (quantum's:
// `<date> <time> <LEVEL> [<logger>] `), dropped from a stop's message.
const NEUTRON_PREFIX = /^.*?\b(?:ERROR|CRITICAL|WARNING)\s+(?:\S+\s+)?\[[^\]]*\]\s+/;

function agentStop(l: string): { stop: AgentStop; message: string } | undefined {
  // The patterns only on a line that says the agent stopped: found by plain searches first, as a
  // regex scanning every line of a long file for them backtracks quadratically over a long line.
  const at = terminatedAt(l);
  if (
    at < 0 &&
    !l.includes("Tunneling can't be enabled with invalid local_ip") &&
    !l.includes('Invalid tunnel type specified: ')
  )
    return undefined;
  for (const [re, make] of STOP_PATTERNS) {
    const m = re.exec(l);
    if (m) return { stop: make(m), message: l.slice(m.index) };
  }
  // The catch-all "%s Agent terminated!" (or "… agent terminated after N initialization attempts!").
  if (at <= 0 || !/\s/.test(l[at - 1]!)) return undefined;
  const rest = l.slice(at + 'agent terminated'.length);
  if (!rest.startsWith('!') && !/^ after \d+ initialization attempts!/.test(rest)) return undefined;
  const message = l.slice(0, at).trim().replace(NEUTRON_PREFIX, '');
  if (message === '') return undefined;
  return { stop: { reason: 'other', message }, message: l.replace(NEUTRON_PREFIX, '') };
}

/** The Neutron OVS agent's log: the lines that say which ports it processed or could not, and why it exited at start. */
export function parseAgentLog(text: string): Parsed<AgentLogEvent[]> {
  const { lines, diagnostics } = splitLines(text);
  const out: AgentLogEvent[] = [];
  const cut = (l: string) => (l.length > 300 ? `${l.slice(0, 300)}…` : l);
  lines.forEach((l, i) => {
    for (const [kind, re] of AGENT_PATTERNS) {
      const m = re.exec(l);
      if (m) {
        out.push({ kind, subject: m[1]!, text: cut(l), line: i + 1 });
        return;
      }
    }
    const s = agentStop(l);
    if (s)
      out.push({ kind: 'agent-stopped', subject: cut(s.message), text: cut(l), line: i + 1, stop: s.stop });
  });
  return { value: out, diagnostics };
}
