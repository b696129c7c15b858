// Socket listings (`ss`, `netstat`): the listening sockets they show, the processes owning sockets,
// and which sockets the listing covers at all. A listener missing from a listing is evidence only
// where the listing covers it: `ss -ltnp` lists TCP only, `ss -u` without -l or -a lists no
// unconnected (listening) UDP socket, `ss -6` no IPv4 one, `ss -ulpn sport = :53` what its filter
// keeps. Which sockets it covers comes from the command's options, read from the file's name
// (sosreport's `ss_-peaonmi`, `netstat_-W_-neopa`; a pasted `ip netns exec X ss -ano -4.txt`),
// checked against the output's header (ss's Netid column, netstat's section line). Pure: text in.
import type { SocketScope } from '../model/snapshot.ts';
import { diag, type Parsed, splitLines } from './diagnostics.ts';

export type SocketTool = 'ss' | 'netstat';

export interface SocketCommand {
  tool: SocketTool;
  args: string[];
}

export interface Listener {
  proto: 'udp' | 'tcp';
  address: string;
  port: number;
  process?: string;
  pid?: number;
  line: number;
}

export interface SocketProcess {
  name: string;
  pid: number;
  line: number;
}

/** What the listing covers, or why that is not known. */
export type ScopeResult = { value: SocketScope } | { why: string };

export interface SocketListingText {
  /** The command the file's name says, as one would type it (`ss -peaonmi`). */
  command?: string;
  scope: ScopeResult;
  listeners: Listener[];
  /** Every process the listing shows owning a socket (any socket type), with the line. */
  processes: SocketProcess[];
  /** The listing's header line, when it has one. */
  header?: number;
}

/** The ss or netstat command a file's name says: sosreport's mangled name, or one with spaces. */
export function socketCommandOfName(baseName: string): SocketCommand | undefined {
  const name = baseName.replace(/\.(?:txt|out|log)$/i, '');
  const m = /(?:^|[_ ])(ss|netstat)(?:[_ ]+(.*))?$/.exec(name);
  if (!m) return undefined;
  const args = (m[2] ?? '').split(/[_ ]+/).filter((a) => a !== '');
  return { tool: m[1] as SocketTool, args };
}

export function commandText(c: SocketCommand): string {
  return [c.tool, ...c.args].join(' ');
}

/** What the options make the command list; `single` is the one socket type ss lists (no Netid column then). */
type Single = { single?: 'tcp' | 'udp' | 'other' };
type CommandScope = ({ scope: SocketScope; netid: boolean } | { why: string }) & Single;

// ss (iproute2 6.1): socket tables per type option; unix, packet and vsock are several tables each
// (which is what decides whether ss prints its Netid column: more than one table).
const SS_TABLES: Record<string, readonly string[]> = {
  tcp: ['tcp'],
  udp: ['udp'],
  raw: ['raw'],
  dccp: ['dccp'],
  sctp: ['sctp'],
  mptcp: ['mptcp'],
  unix: ['u_str', 'u_dgr', 'u_seq'],
  packet: ['p_raw', 'p_dgr'],
  netlink: ['nl'],
  vsock: ['v_str', 'v_dgr'],
  tipc: ['tipc'],
  xdp: ['xdp'],
};
const SS_INET = ['tcp', 'udp', 'raw', 'dccp', 'sctp', 'mptcp'];
const SS_ALL = Object.values(SS_TABLES).flat();
const SS_SHORT_TYPE: Record<string, string> = {
  t: 'tcp',
  u: 'udp',
  d: 'dccp',
  w: 'raw',
  x: 'unix',
  S: 'sctp',
  M: 'mptcp',
  '0': 'packet',
};
/** -A/--query names (unix_dgram etc. as their tables). */
function ssQuery(v: string): string[] | undefined {
  const one: Record<string, readonly string[]> = {
    ...SS_TABLES,
    all: SS_ALL,
    inet: SS_INET,
    unix_stream: ['u_str'],
    unix_dgram: ['u_dgr'],
    unix_seqpacket: ['u_seq'],
    packet_raw: ['p_raw'],
    packet_dgram: ['p_dgr'],
    vsock_stream: ['v_str'],
    vsock_dgram: ['v_dgr'],
  };
  const out: string[] = [];
  for (const q of v.split(',')) {
    const t = one[q];
    if (!t) return undefined;
    out.push(...t);
  }
  return out;
}
/** -f/--family names: the IP versions they select, or the tables of a non-IP family. */
const SS_FAMILY: Record<string, 4 | 6 | readonly string[]> = {
  inet: 4,
  inet6: 6,
  unix: SS_TABLES.unix!,
  link: SS_TABLES.packet!,
  packet: SS_TABLES.packet!,
  netlink: SS_TABLES.netlink!,
  vsock: SS_TABLES.vsock!,
  tipc: SS_TABLES.tipc!,
  xdp: SS_TABLES.xdp!,
};
/** Options that change how sockets are printed, not which. */
const SS_PRINT_SHORT = new Set('nroempiZzbKHOT'.split(''));
const SS_PRINT_LONG = new Set([
  'numeric',
  'resolve',
  'options',
  'extended',
  'memory',
  'info',
  'processes',
  'threads',
  'context',
  'contexts',
  'cgroup',
  'tos',
  'tipcinfo',
  'inet-sockopt',
  'bpf',
  'bpf-maps',
  'kill',
  'no-header',
  'oneline',
]);

const FILTER_WHY = (c: SocketCommand, a: string): string =>
  `\`${commandText(c)}\` filters its sockets by an expression (${a}…): which it leaves out is not modelled`;

function ssScope(c: SocketCommand): CommandScope {
  const types: string[] = [];
  const families: (4 | 6)[] = [];
  const otherFamilies: string[] = [];
  let states: SocketScope['states'] = 'connected';
  let processes = false;
  let filter: string | undefined;
  const args = c.args;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const operand = (inline: string | undefined): string | undefined => inline ?? args[++i];
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      if (name === 'listening') states = 'listening';
      else if (name === 'all') states = 'all';
      else if (name === 'processes') processes = true;
      else if (name === 'ipv4') families.push(4);
      else if (name === 'ipv6') families.push(6);
      else if (SS_TABLES[name]) types.push(...SS_TABLES[name]!);
      else if (name === 'query' || name === 'socket') {
        const q = ssQuery(operand(inline) ?? '');
        if (!q) return { why: `\`${commandText(c)}\`: socket query ${args[i] ?? ''} not known` };
        types.push(...q);
      } else if (name === 'family') {
        const f = SS_FAMILY[operand(inline) ?? ''];
        if (f === undefined) return { why: `\`${commandText(c)}\`: family ${args[i] ?? ''} not known` };
        if (typeof f === 'number') families.push(f);
        else otherFamilies.push(...f);
      } else if (!SS_PRINT_LONG.has(name))
        return { why: `\`${commandText(c)}\`: what option ${a} does to the listing is not known` };
      continue;
    }
    if (!a.startsWith('-') || a === '-') {
      // The filter expression follows the options: the sockets it keeps are of the tables asked for.
      filter = a;
      break;
    }
    for (let k = 1; k < a.length; k++) {
      const o = a[k]!;
      const rest = a.slice(k + 1) || undefined;
      if (o === 'l') states = 'listening';
      else if (o === 'a') states = 'all';
      else if (o === 'p') processes = true;
      else if (o === '4') families.push(4);
      else if (o === '6') families.push(6);
      else if (SS_SHORT_TYPE[o]) types.push(...SS_TABLES[SS_SHORT_TYPE[o]!]!);
      else if (o === 'A' || o === 'f') {
        const v = operand(rest) ?? '';
        if (o === 'A') {
          const q = ssQuery(v);
          if (!q) return { why: `\`${commandText(c)}\`: socket query ${v} not known` };
          types.push(...q);
        } else {
          const f = SS_FAMILY[v];
          if (f === undefined) return { why: `\`${commandText(c)}\`: family ${v} not known` };
          if (typeof f === 'number') families.push(f);
          else otherFamilies.push(...f);
        }
        break;
      } else if (o === 'N')
        return { why: `\`${commandText(c)}\` lists the sockets of another namespace (-N)` };
      else if (o === 'F')
        return { why: `\`${commandText(c)}\` filters its sockets by a file's expression (-F)` };
      else if (!SS_PRINT_SHORT.has(o))
        return { why: `\`${commandText(c)}\`: what option -${o} does to the listing is not known` };
    }
  }
  // ss: a family without a type selects that family's tables; neither selects every table.
  const inetFamilies = [...new Set(families)].sort() as (4 | 6)[];
  const tables = new Set(
    types.length
      ? types
      : families.length || otherFamilies.length
        ? [...(families.length ? SS_INET : []), ...otherFamilies]
        : SS_ALL,
  );
  const ipVersions: (4 | 6)[] = families.length ? inetFamilies : otherFamilies.length ? [] : [4, 6];
  const protos = ipVersions.length ? (['tcp', 'udp'] as const).filter((p) => tables.has(p)) : [];
  const only = tables.size === 1 ? [...tables][0]! : undefined;
  const single: Single = only ? { single: only === 'tcp' || only === 'udp' ? only : 'other' } : {};
  if (filter !== undefined) return { why: FILTER_WHY(c, filter), ...single };
  return {
    scope: { protos: [...protos], families: ipVersions, states, processes },
    netid: tables.size > 1,
    ...single,
  };
}

// netstat (net-tools 2.10): protocol and family options, -l/-a; -r, -i, -g, -M, -s print no socket table.
const NETSTAT_PROTO: Record<string, string> = {
  t: 'tcp',
  u: 'udp',
  U: 'udplite',
  S: 'sctp',
  w: 'raw',
  x: 'unix',
};
const NETSTAT_PRINT_SHORT = new Set('nNeopWTvcCFZ'.split(''));
const NETSTAT_PRINT_LONG = new Set([
  'numeric',
  'numeric-hosts',
  'numeric-ports',
  'numeric-users',
  'symbolic',
  'program',
  'extend',
  'timers',
  'wide',
  'notrim',
  'continuous',
  'verbose',
  'fib',
  'cache',
  'context',
]);
const NETSTAT_NO_TABLE = new Set(['r', 'i', 'I', 'g', 'M', 's', 'V', 'h']);
const NETSTAT_NO_TABLE_LONG = new Set([
  'route',
  'interfaces',
  'groups',
  'masquerade',
  'statistics',
  'version',
  'help',
]);

function netstatScope(c: SocketCommand): CommandScope {
  const protos = new Set<string>();
  const families = new Set<string>();
  let listening = false;
  let all = false;
  let processes = false;
  const args = c.args;
  const family = (v: string): void => {
    for (const f of v.split(',')) families.add(f);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      if (['tcp', 'udp', 'udplite', 'sctp', 'raw', 'unix'].includes(name)) protos.add(name);
      else if (name === 'inet' || name === 'inet6') family(name);
      else if (name === 'protocol') family(inline ?? args[++i] ?? '');
      else if (name === 'listening') listening = true;
      else if (name === 'all') all = true;
      else if (name === 'program') processes = true;
      else if (NETSTAT_NO_TABLE_LONG.has(name))
        return { why: `\`${commandText(c)}\` prints no socket table (--${name})` };
      else if (!NETSTAT_PRINT_LONG.has(name))
        return { why: `\`${commandText(c)}\`: what option ${a} does to the listing is not known` };
      continue;
    }
    if (!a.startsWith('-') || a === '-')
      return { why: `\`${commandText(c)}\`: netstat takes no operand (${a})` };
    for (let k = 1; k < a.length; k++) {
      const o = a[k]!;
      if (NETSTAT_PROTO[o]) protos.add(NETSTAT_PROTO[o]!);
      else if (o === '4') family('inet');
      else if (o === '6') family('inet6');
      else if (o === 'A') {
        family(a.slice(k + 1) || args[++i] || '');
        break;
      } else if (o === 'l') listening = true;
      else if (o === 'a') all = true;
      else if (o === 'p') {
        processes = true;
      } else if (NETSTAT_NO_TABLE.has(o))
        return { why: `\`${commandText(c)}\` prints no socket table (-${o})` };
      else if (!NETSTAT_PRINT_SHORT.has(o))
        return { why: `\`${commandText(c)}\`: what option -${o} does to the listing is not known` };
    }
  }
  // netstat: no protocol and no IP family lists every protocol of both; a family alone every
  // protocol of that family; protocols alone both families.
  const inet = ['inet', 'inet6'].filter((f) => families.has(f));
  const ipVersions: (4 | 6)[] = inet.length
    ? inet.map((f) => (f === 'inet' ? 4 : 6))
    : families.size && !protos.size
      ? []
      : [4, 6];
  const inetProtos = [...protos].filter((p) => p !== 'unix');
  const listed = inetProtos.length ? inetProtos : protos.size && !inet.length ? [] : ['tcp', 'udp'];
  const states: SocketScope['states'] = all ? 'all' : listening ? 'listening' : 'connected';
  return {
    scope: {
      protos: ipVersions.length ? (['tcp', 'udp'] as const).filter((p) => listed.includes(p)) : [],
      families: ipVersions,
      states,
      processes,
    },
    netid: false,
  };
}

export function commandScope(c: SocketCommand): CommandScope {
  return c.tool === 'ss' ? ssScope(c) : netstatScope(c);
}

/** Whether a listing shows every listening UDP socket of IPv4: the one dnsmasq serves DHCP on. */
export function coversUdp4Listeners(s: SocketScope): boolean {
  return s.protos.includes('udp') && s.families.includes(4) && s.states !== 'connected';
}

/** What a scope leaves out of "listening UDP over IPv4", in words (empty when it covers it). */
export function scopeGap(s: SocketScope): string {
  const out: string[] = [];
  if (!s.protos.includes('udp'))
    out.push(
      s.protos.length
        ? `it lists ${s.protos.join(' and ').toUpperCase()} sockets only`
        : 'it lists no TCP or UDP socket',
    );
  if (!s.families.includes(4)) out.push('it lists no IPv4 socket');
  if (s.states === 'connected')
    out.push('it lists connected sockets only (neither -l nor -a): no listening one');
  return out.join('; ');
}

// ss's header: Netid when it lists several socket tables, State unless one state is asked for.
const SS_HEAD = /^(Netid\s+)?(State\s+)?Recv-Q\s+Send-Q\s+Local\s+Address:Port\s+Peer\s+Address:Port/;
const NETSTAT_SECTION = /^Active .+? \((only servers|servers and established|w\/o servers)\)/;
const NETSTAT_HEAD = /^Proto\s+Recv-Q\s+Send-Q\s+Local Address/;
const NETSTAT_STATES: Record<string, SocketScope['states']> = {
  'only servers': 'listening',
  'servers and established': 'all',
  'w/o servers': 'connected',
};
/** /etc/services names ss and netstat print without -n, for the ports that matter here. */
const SERVICES: Record<string, number> = { bootps: 67, bootpc: 68, domain: 53 };

function hostPort(s: string): { address: string; port: number } | undefined {
  const i = s.lastIndexOf(':');
  if (i <= 0) return undefined;
  const p = s.slice(i + 1);
  const port = /^\d+$/.test(p) ? Number(p) : SERVICES[p];
  return port === undefined ? undefined : { address: s.slice(0, i), port };
}

const SS_USER = /\("((?:[^"\\]|\\.)*)",pid=(\d+),/g;

// ss -H (--no-header): the rows alone. Read only when every row has ss's layout, one for the whole
// listing: [Netid] [State] Recv-Q Send-Q Local Peer [Process…], with a Netid or a State column to
// tell it from any other table of numbers (iproute2 ss.c: sock_state_print's names).
const SS_NETIDS = new Set([...SS_ALL, 'icmp6']);
const SS_STATES = new Set([
  'UNKNOWN',
  'ESTAB',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'UNCONN',
  'CLOSE-WAIT',
  'LAST-ACK',
  'LISTEN',
  'CLOSING',
]);
/** What ss writes on stderr before its rows (kept in the file by sos and by `2>&1` pastes). */
const SS_STDERR = /^(?:Failed to find cgroup2 mount|RTNETLINK answers: .+)$/;

export interface HeaderlessLayout {
  netid: boolean;
  state: boolean;
}

/**
 * Lines that are ss rows printed without a header (`ss -Hulpn`), and the columns they have; undefined
 * unless every line is one (ss's stderr before the first row, -e/-m/-i continuation lines and blank
 * lines aside) and they all have one layout, with a Netid or a State column.
 */
export function headerlessSsLayout(lines: readonly string[]): HeaderlessLayout | undefined {
  let layout: HeaderlessLayout | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === '') continue;
    if (layout && /^\s/.test(l)) continue;
    if (!layout && SS_STDERR.test(l)) continue;
    const t = l.split(/\s+/);
    let k = 0;
    const netid = SS_NETIDS.has(t[k]!);
    if (netid) k++;
    const state = SS_STATES.has(t[k]!);
    if (state) k++;
    if (!netid && !state) return undefined;
    if (!/^\d+$/.test(t[k] ?? '') || !/^\d+$/.test(t[k + 1] ?? '') || t.length < k + 4) return undefined;
    if (!layout) layout = { netid, state };
    else if (layout.netid !== netid || layout.state !== state) return undefined;
  }
  return layout;
}

/** Whether the command's options say it prints no header line (-H, --no-header). */
function noHeader(c: SocketCommand): boolean {
  for (const a of c.args) {
    if (a === '--no-header') return true;
    if (a.startsWith('--') || !a.startsWith('-')) continue;
    // Options that take an operand (-A, -f, -N, -F) end the cluster.
    const cluster = /^-([^AfNF]*)/.exec(a)![1]!;
    if (cluster.includes('H')) return true;
  }
  return false;
}

/**
 * A socket listing as ss or netstat printed it, read with the command its file's name says
 * (`baseName`), which decides which sockets it covers.
 */
export function parseSockets(text: string, baseName = ''): Parsed<SocketListingText> {
  const { lines, diagnostics } = splitLines(text);
  const cmd = socketCommandOfName(baseName);
  const cs = cmd ? commandScope(cmd) : undefined;
  const listeners: Listener[] = [];
  const processes: SocketProcess[] = [];
  let tool: SocketTool | undefined;
  let header: number | undefined;
  let netid = false;
  let hasState = false;
  let states: SocketScope['states'] | undefined;
  // ss -H: no header line, read when its rows say so unambiguously.
  const headerless = headerlessSsLayout(lines);
  if (headerless) {
    tool = 'ss';
    netid = headerless.netid;
    hasState = headerless.state;
  }
  lines.forEach((l, i) => {
    const n = i + 1;
    if (tool === undefined && n <= 10) {
      const s = SS_HEAD.exec(l);
      if (s) {
        tool = 'ss';
        header = n;
        netid = s[1] !== undefined;
        hasState = s[2] !== undefined;
        return;
      }
      if (NETSTAT_SECTION.test(l) || NETSTAT_HEAD.test(l)) {
        tool = 'netstat';
        header = n;
      }
    }
    if (tool === 'ss') {
      for (const m of l.matchAll(SS_USER)) processes.push({ name: m[1]!, pid: Number(m[2]), line: n });
      if (/^\s/.test(l)) return; // -e/-m/-i continuation line
      const t = l.trim().split(/\s+/);
      let k = 0;
      const type = netid ? t[k++] : cs?.single;
      const state = hasState ? t[k++] : undefined;
      if (!/^\d+$/.test(t[k] ?? '') || !/^\d+$/.test(t[k + 1] ?? '')) return;
      const at = hostPort(t[k + 2] ?? '');
      const proto =
        type === 'tcp' && state === 'LISTEN'
          ? 'tcp'
          : type === 'udp' && state === 'UNCONN'
            ? 'udp'
            : undefined;
      if (!at || !proto) return;
      const own = [...l.matchAll(SS_USER)][0];
      listeners.push({
        proto,
        ...at,
        ...(own ? { process: own[1]!, pid: Number(own[2]) } : {}),
        line: n,
      });
      return;
    }
    if (tool === 'netstat') {
      const sec = NETSTAT_SECTION.exec(l);
      if (sec) {
        states ??= NETSTAT_STATES[sec[1]!];
        return;
      }
      const t = l.trim().split(/\s+/);
      const own = t
        .slice(1)
        .map((x) => /^(\d+)\/(\S+)$/.exec(x))
        .find((m) => m !== null);
      if (own && /^(?:tcp|udp|udpl|raw|sctp|unix)6?$/.test(t[0]!))
        processes.push({ name: own[2]!, pid: Number(own[1]), line: n });
      const p = /^(tcp|udp)6?$/.exec(t[0] ?? '');
      if (!p || !/^\d+$/.test(t[1] ?? '') || !/^\d+$/.test(t[2] ?? '')) return;
      const at = hostPort(t[3] ?? '');
      const state = /^[A-Z][A-Z0-9_]*$/.test(t[5] ?? '') ? t[5] : '';
      const proto =
        p[1] === 'tcp' ? (state === 'LISTEN' ? 'tcp' : undefined) : state === '' ? 'udp' : undefined;
      if (!at || !proto) return;
      listeners.push({
        proto,
        ...at,
        ...(own ? { process: own[2]!, pid: Number(own[1]) } : {}),
        line: n,
      });
    }
  });
  // netstat run without root names no process it does not own, and says so.
  const hidden = /^\((?:Not all processes could be identified|No info could be read for "-p")/m.test(text);
  if (lines.length > 0 && tool === undefined)
    diagnostics.push(diag('corrupt', 1, 'not-sockets', 'not netstat or ss output', lines[0]));
  const scope = listingScope(cmd, cs, { tool, netid, states, hidden, headerless: !!headerless });
  return {
    value: {
      ...(cmd ? { command: commandText(cmd) } : {}),
      scope,
      listeners,
      processes,
      ...(header !== undefined ? { header } : {}),
    },
    diagnostics,
  };
}

/** The command's scope, checked against what the output itself says. */
function listingScope(
  cmd: SocketCommand | undefined,
  cs: CommandScope | undefined,
  seen: {
    tool?: SocketTool;
    netid: boolean;
    states?: SocketScope['states'];
    hidden: boolean;
    headerless: boolean;
  },
): ScopeResult {
  if (!seen.tool)
    return {
      why: 'it holds no ss or netstat listing (no header line: the command failed, or the file is something else)',
    };
  if (!cmd || !cs)
    return {
      why: `its name does not say which ${seen.tool} command printed it, and the command's options decide which sockets it lists`,
    };
  const c = commandText(cmd);
  if (cmd.tool !== seen.tool) return { why: `its name says \`${c}\`, its content is ${seen.tool} output` };
  // A listing without its header is whole only when the command prints none: else its first lines
  // may be lost (a paste cut at the top), and with them a listener.
  if (seen.tool === 'ss' && seen.headerless !== noHeader(cmd))
    return {
      why: seen.headerless
        ? `it has no header line where \`${c}\` prints one: its first lines may be missing`
        : `it has a header line where \`${c}\` prints none (-H): another command printed it`,
    };
  if ('why' in cs) return cs;
  const head = seen.headerless ? 'its rows have' : 'its header has';
  if (seen.tool === 'ss' && seen.netid !== cs.netid)
    return {
      why: seen.netid
        ? `${head} a Netid column (several socket types) where \`${c}\` lists one`
        : `${head} no Netid column (one socket type) where \`${c}\` lists several`,
    };
  if (seen.states && seen.states !== cs.scope.states)
    return {
      why: `its header says it lists ${seen.states} sockets where \`${c}\` lists ${cs.scope.states} ones`,
    };
  // netstat run without root shows no process it does not own.
  return { value: seen.hidden ? { ...cs.scope, processes: false } : cs.scope };
}
