// Socket listings: what each covers, from the command in the file's name and the output's header.
// The outputs are real: captured on Debian 12 (iproute2 6.1.0 `ss`, net-tools 2.10 `netstat`), as
// root, in a network namespace with a veth `tapfix0` (10.0.0.2/24) and dnsmasq 2.89 started as the
// DHCP agent starts it (`--bind-interfaces --interface=tapfix0 --dhcp-range=10.0.0.10,10.0.0.50`):
// `ip netns exec NS ss -ltnp`, `ss -ulpn`, `ss -tulpn`, `ss -u`, `ss -6lun`, `ss -ul -f inet`,
// `ss -peaonmi`, `netstat -tlnp`, `netstat -ulnp`, `netstat -ul`, `netstat -un`, `netstat -W
// -neopa`; `netstat -tlnp` as a user (nobody) for its note. Trailing blanks kept as printed.
import { describe, expect, it } from 'vitest';
import { commandScope, coversUdp4Listeners, parseSockets, socketCommandOfName } from './sockets.ts';

const NS = 'ip_netns_exec_qdhcp-3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12_';
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

const SS_LTNP = lines(
  'State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess',
  'LISTEN 0      32          10.0.0.2:53        0.0.0.0:*    users:(("dnsmasq",pid=23352,fd=6))',
);
const SS_ULPN = lines(
  'State  Recv-Q Send-Q   Local Address:Port Peer Address:PortProcess                            ',
  'UNCONN 0      0             10.0.0.2:53        0.0.0.0:*    users:(("dnsmasq",pid=23352,fd=5))',
  'UNCONN 0      0      0.0.0.0%tapfix0:67        0.0.0.0:*    users:(("dnsmasq",pid=23352,fd=3))',
);
const SS_TULPN = lines(
  'Netid State  Recv-Q Send-Q   Local Address:Port Peer Address:PortProcess                            ',
  'udp   UNCONN 0      0             10.0.0.2:53        0.0.0.0:*    users:(("dnsmasq",pid=23352,fd=5))',
  'udp   UNCONN 0      0      0.0.0.0%tapfix0:67        0.0.0.0:*    users:(("dnsmasq",pid=23352,fd=3))',
  'tcp   LISTEN 0      32            10.0.0.2:53        0.0.0.0:*    users:(("dnsmasq",pid=23352,fd=6))',
);
// `ss -u`: connected UDP sockets only; one state asked for, so no State column either.
const SS_U = lines('Recv-Q Send-Q Local Address:Port Peer Address:PortProcess');
const SS_6LUN = lines(
  'State  Recv-Q Send-Q                       Local Address:Port Peer Address:PortProcess',
  'UNCONN 0      0      [fe80::8469:71ff:fe9d:e57e]%tapfix0:53           [::]:*          ',
);
const SS_4LUN = lines(
  'State  Recv-Q Send-Q   Local Address:Port Peer Address:PortProcess',
  'UNCONN 0      0             10.0.0.2:53        0.0.0.0:*          ',
  'UNCONN 0      0      0.0.0.0%tapfix0:67        0.0.0.0:*          ',
);
// `ss -lnup sport = :67`
const SS_SPORT_67 = lines(
  'State  Recv-Q Send-Q   Local Address:Port Peer Address:PortProcess',
  'UNCONN 0      0      0.0.0.0%tapfix0:67        0.0.0.0:*    users:(("dnsmasq",pid=23352,fd=3))',
);
// Without -n: service names.
const SS_UL_INET = lines(
  'State  Recv-Q Send-Q   Local Address:Port   Peer Address:PortProcess',
  'UNCONN 0      0             10.0.0.2:domain      0.0.0.0:*          ',
  'UNCONN 0      0      0.0.0.0%tapfix0:bootps      0.0.0.0:*          ',
);
// sos's per-namespace `ss -peaonmi`, stderr kept in the file (first, as this run wrote it).
const SS_PEAONMI = lines(
  'Failed to find cgroup2 mount',
  'Failed to find cgroup2 mount',
  'RTNETLINK answers: Invalid argument',
  'Netid State  Recv-Q Send-Q   Local Address:Port     Peer Address:PortProcess                                                                                                                            ',
  'nl    UNCONN 0      0                    0:23350                *     sk=0 cb=0 groups=0x00000550\t skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)                                                      ',
  'u_dgr UNCONN 0      0                    * 36636199            * 0    users:(("dnsmasq",pid=23352,fd=9)) skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0) <->                                            ',
  'udp   UNCONN 0      0             10.0.0.2:53            0.0.0.0:*    users:(("dnsmasq",pid=23352,fd=5)) ino:36636191 sk:380b cgroup:unreachable:1 <->',
  '\t skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)',
  'udp   UNCONN 0      0      0.0.0.0%tapfix0:67            0.0.0.0:*    users:(("dnsmasq",pid=23352,fd=3)) ino:36636188 sk:380c cgroup:unreachable:1 <->',
  '\t skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)',
  'tcp   LISTEN 0      32            10.0.0.2:53            0.0.0.0:*    users:(("dnsmasq",pid=23352,fd=6)) ino:36636192 sk:380a cgroup:unreachable:1 <->',
  '\t skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0) bbr cwnd:10',
);
const NETSTAT_TLNP = lines(
  'Active Internet connections (only servers)',
  'Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    ',
  'tcp        0      0 10.0.0.2:53             0.0.0.0:*               LISTEN      23352/dnsmasq       ',
);
const NETSTAT_ULNP = lines(
  'Active Internet connections (only servers)',
  'Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    ',
  'udp        0      0 10.0.0.2:53             0.0.0.0:*                           23352/dnsmasq       ',
  'udp        0      0 0.0.0.0:67              0.0.0.0:*                           23352/dnsmasq       ',
);
const NETSTAT_UL = lines(
  'Active Internet connections (only servers)',
  'Proto Recv-Q Send-Q Local Address           Foreign Address         State      ',
  'udp        0      0 10.0.0.2:domain         0.0.0.0:*                          ',
  'udp        0      0 0.0.0.0:bootps          0.0.0.0:*                          ',
  'udp6       0      0 fe80::8469:71ff::domain [::]:*                             ',
);
const NETSTAT_UN = lines(
  'Active Internet connections (w/o servers)',
  'Proto Recv-Q Send-Q Local Address           Foreign Address         State      ',
);
const NETSTAT_NEOPA = lines(
  'Active Internet connections (servers and established)',
  'Proto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name     Timer',
  'tcp        0      0 10.0.0.2:53             0.0.0.0:*               LISTEN      0          36636192   23352/dnsmasq        off (0.00/0/0)',
  'udp        0      0 10.0.0.2:53             0.0.0.0:*                           0          36636191   23352/dnsmasq        off (0.00/0/0)',
  'udp        0      0 0.0.0.0:67              0.0.0.0:*                           0          36636188   23352/dnsmasq        off (0.00/0/0)',
  'Active UNIX domain sockets (servers and established)',
  'Proto RefCnt Flags       Type       State         I-Node   PID/Program name     Path',
  'unix  2      [ ]         DGRAM                    36636199 23352/dnsmasq        ',
);
// As a user: netstat says it names no process it does not own.
const NETSTAT_TLNP_USER = lines(
  '(No info could be read for "-p": geteuid()=65534 but you should be root.)',
  'Active Internet connections (only servers)',
  'Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    ',
  'tcp        0      0 0.0.0.0:2024            0.0.0.0:*               LISTEN      -                   ',
);
// The field case study-notes-vxlan-network: `ss -ano -4`, no processes.
const SS_ANO_4 = lines(
  'Netid            State             Recv-Q            Send-Q                         Local Address:Port                       Peer Address:Port           Process',
  'udp              UNCONN            0                 0                                    0.0.0.0:67                              0.0.0.0:*',
  'tcp              LISTEN            0                 32                                 127.0.0.1:53                              0.0.0.0:*',
);

type Row = [
  file: string,
  text: string,
  covers: boolean | RegExp,
  listeners: string[],
  pids: number[],
  processes?: boolean,
];
// covers: whether the listing shows every listening UDP socket of IPv4 (dnsmasq's :67); a RegExp:
// unknown, and why.
const TABLE: Row[] = [
  [`${NS}ss_-ltnp`, SS_LTNP, false, ['tcp 10.0.0.2:53 dnsmasq/23352'], [23352], true],
  [
    `${NS}ss_-ulpn`,
    SS_ULPN,
    true,
    ['udp 10.0.0.2:53 dnsmasq/23352', 'udp 0.0.0.0%tapfix0:67 dnsmasq/23352'],
    [23352, 23352],
    true,
  ],
  [
    `${NS}ss_-tulpn`,
    SS_TULPN,
    true,
    [
      'udp 10.0.0.2:53 dnsmasq/23352',
      'udp 0.0.0.0%tapfix0:67 dnsmasq/23352',
      'tcp 10.0.0.2:53 dnsmasq/23352',
    ],
    [23352, 23352, 23352],
    true,
  ],
  [`${NS}ss_-u`, SS_U, false, [], [], false],
  [`${NS}ss_-6lun`, SS_6LUN, false, ['udp [fe80::8469:71ff:fe9d:e57e]%tapfix0:53'], [], false],
  [`${NS}ss_-4lun`, SS_4LUN, true, ['udp 10.0.0.2:53', 'udp 0.0.0.0%tapfix0:67'], [], false],
  [`${NS}ss_-ul_-f_inet`, SS_UL_INET, true, ['udp 10.0.0.2:53', 'udp 0.0.0.0%tapfix0:67'], [], false],
  [
    `${NS}ss_-peaonmi`,
    SS_PEAONMI,
    true,
    [
      'udp 10.0.0.2:53 dnsmasq/23352',
      'udp 0.0.0.0%tapfix0:67 dnsmasq/23352',
      'tcp 10.0.0.2:53 dnsmasq/23352',
    ],
    [23352, 23352, 23352, 23352],
    true,
  ],
  [`${NS}ss_-ano_-4.txt`, SS_ANO_4, true, ['udp 0.0.0.0:67', 'tcp 127.0.0.1:53'], [], false],
  [`${NS}netstat_-tlnp`, NETSTAT_TLNP, false, ['tcp 10.0.0.2:53 dnsmasq/23352'], [23352], true],
  [
    `${NS}netstat_-ulnp`,
    NETSTAT_ULNP,
    true,
    ['udp 10.0.0.2:53 dnsmasq/23352', 'udp 0.0.0.0:67 dnsmasq/23352'],
    [23352, 23352],
    true,
  ],
  [
    `${NS}netstat_-ul`,
    NETSTAT_UL,
    true,
    ['udp 10.0.0.2:53', 'udp 0.0.0.0:67', 'udp fe80::8469:71ff::53'],
    [],
    false,
  ],
  [`${NS}netstat_-un`, NETSTAT_UN, false, [], [], false],
  [
    `${NS}netstat_-W_-neopa`,
    NETSTAT_NEOPA,
    true,
    ['tcp 10.0.0.2:53 dnsmasq/23352', 'udp 10.0.0.2:53 dnsmasq/23352', 'udp 0.0.0.0:67 dnsmasq/23352'],
    [23352, 23352, 23352, 23352],
    true,
  ],
  [`${NS}netstat_-tlnp`, NETSTAT_TLNP_USER, false, ['tcp 0.0.0.0:2024'], [], false],
  // The name and the header disagree: the name says one socket type, the header has a Netid column.
  [
    `${NS}ss_-ltnp`,
    SS_TULPN,
    /Netid column \(several socket types\) where `ss -ltnp` lists one/,
    [
      'udp 10.0.0.2:53 dnsmasq/23352',
      'udp 0.0.0.0%tapfix0:67 dnsmasq/23352',
      'tcp 10.0.0.2:53 dnsmasq/23352',
    ],
    [23352, 23352, 23352],
  ],
  [
    `${NS}netstat_-ulnp`,
    NETSTAT_UN,
    /header says it lists connected sockets where `netstat -ulnp` lists listening/,
    [],
    [],
  ],
  // A filter expression keeps what it keeps: `ss -lnup sport = :67` is sos's `ss_-lnup_sport_67`.
  [
    `${NS}ss_-lnup_sport_67`,
    SS_SPORT_67,
    /filters its sockets by an expression/,
    ['udp 0.0.0.0%tapfix0:67 dnsmasq/23352'],
    [23352],
  ],
  // No command in the name: which sockets it covers is unknown, what it shows is still read.
  [
    'sockets.txt',
    SS_TULPN,
    /its name does not say which ss command/,
    [
      'udp 10.0.0.2:53 dnsmasq/23352',
      'udp 0.0.0.0%tapfix0:67 dnsmasq/23352',
      'tcp 10.0.0.2:53 dnsmasq/23352',
    ],
    [23352, 23352, 23352],
  ],
  [
    `${NS}netstat_-W_-neopa`,
    'exec of "netstat" failed: No such file or directory\n',
    /no ss or netstat listing/,
    [],
    [],
  ],
];

describe('socket listings: which sockets they cover, and what they show', () => {
  it.each(TABLE)('%s', (file, text, covers, listeners, pids, processes) => {
    const r = parseSockets(text, file);
    const v = r.value;
    expect(
      v.listeners.map((l) => `${l.proto} ${l.address}:${l.port}${l.process ? ` ${l.process}/${l.pid}` : ''}`),
    ).toEqual(listeners);
    expect(v.processes.map((p) => p.pid)).toEqual(pids);
    if (covers instanceof RegExp) {
      expect('why' in v.scope && v.scope.why).toMatch(covers);
      return;
    }
    expect(r.diagnostics).toEqual([]);
    if (!('value' in v.scope)) throw new Error(`unknown scope: ${v.scope.why}`);
    expect(coversUdp4Listeners(v.scope.value)).toBe(covers);
    expect(v.scope.value.processes).toBe(processes);
    // The header line is what the scope rests on.
    expect(text.split('\n')[v.header! - 1]).toMatch(/^(Netid|State|Recv-Q|Active)/);
  });
  it('a line of the output as evidence: the listener line, the header after stderr lines', () => {
    const v = parseSockets(SS_PEAONMI, `${NS}ss_-peaonmi`).value;
    expect(v.header).toBe(4);
    expect(v.listeners.find((l) => l.port === 67)!.line).toBe(9);
    expect(v.processes[0]).toEqual({ name: 'dnsmasq', pid: 23352, line: 6 });
  });
  it('text that is no listing: not-sockets, as before', () => {
    expect(parseSockets('hello\n', `${NS}ss_-ulpn`).diagnostics.map((d) => d.code)).toEqual(['not-sockets']);
  });
});

describe('which sockets a command lists, from its options', () => {
  const scope = (name: string) => {
    const c = socketCommandOfName(name);
    if (!c) return 'no command';
    const s = commandScope(c);
    return 'why' in s ? s.why : { ...s.scope, netid: s.netid };
  };
  it.each([
    // sosreport's names
    [
      'ss_-peaonmi',
      { protos: ['tcp', 'udp'], families: [4, 6], states: 'all', processes: true, netid: true },
    ],
    [
      'netstat_-W_-neopa',
      { protos: ['tcp', 'udp'], families: [4, 6], states: 'all', processes: true, netid: false },
    ],
    ['ss_-ltnp', { protos: ['tcp'], families: [4, 6], states: 'listening', processes: true, netid: false }],
    ['ss_-xl', { protos: [], families: [4, 6], states: 'listening', processes: false, netid: true }],
    [
      'ss_-A_inet_-l',
      { protos: ['tcp', 'udp'], families: [4, 6], states: 'listening', processes: false, netid: true },
    ],
    [
      'ss_--udp_--listening_--processes',
      { protos: ['udp'], families: [4, 6], states: 'listening', processes: true, netid: false },
    ],
    ['ss_-la', { protos: ['tcp', 'udp'], families: [4, 6], states: 'all', processes: false, netid: true }],
    ['ss_-f_unix_-a', { protos: [], families: [], states: 'all', processes: false, netid: true }],
    ['netstat_-x', { protos: [], families: [4, 6], states: 'connected', processes: false, netid: false }],
    [
      'netstat_-A_inet6_-l',
      { protos: ['tcp', 'udp'], families: [6], states: 'listening', processes: false, netid: false },
    ],
    [
      'netstat_-4lun',
      { protos: ['udp'], families: [4], states: 'listening', processes: false, netid: false },
    ],
    [
      'netstat_-la',
      { protos: ['tcp', 'udp'], families: [4, 6], states: 'all', processes: false, netid: false },
    ],
    // pasted under the command line
    [
      'ip netns exec qdhcp-x ss -ano -4.txt',
      { protos: ['tcp', 'udp'], families: [4], states: 'all', processes: false, netid: true },
    ],
  ])('%s', (name, want) => {
    expect(scope(name)).toEqual(want);
  });
  it.each([
    ['netstat_-s', /prints no socket table/],
    ['netstat_-i', /prints no socket table/],
    ['ss_-s', /option -s/],
    ['ss_-N_other_-l', /another namespace/],
    ['ss_-l_state_listening', /filters its sockets by an expression/],
    ['ss_-A_bogus', /socket query bogus not known/],
    ['notes.txt', /no command/],
  ])('%s: unknown', (name, why) => {
    expect(scope(name)).toMatch(why);
  });
});

// `ss -H` (--no-header), as operators paste it: captured like the outputs above (iproute2 6.1.0, as
// root, dnsmasq 2.89 in a namespace with tapfix0 10.0.0.2/24 and its fe80:: address), stderr kept
// (2>&1) where ss wrote some. Columns are narrower than with the header; the layout is the same.
const SS_H_LUNP = lines(
  'UNCONN 0      0                                 10.0.0.2:53 0.0.0.0:* users:(("dnsmasq",pid=10980,fd=6))',
  'UNCONN 0      0                          0.0.0.0%tapfix0:67 0.0.0.0:* users:(("dnsmasq",pid=10980,fd=4))',
  'UNCONN 0      0      [fe80::50b5:91ff:fe95:347e]%tapfix0:53    [::]:* users:(("dnsmasq",pid=10980,fd=11))',
);
const SS_H_TULPN = lines(
  'udp UNCONN 0      0                                 10.0.0.2:53 0.0.0.0:* users:(("dnsmasq",pid=10980,fd=6)) ',
  'udp UNCONN 0      0                          0.0.0.0%tapfix0:67 0.0.0.0:* users:(("dnsmasq",pid=10980,fd=4)) ',
  'udp UNCONN 0      0      [fe80::50b5:91ff:fe95:347e]%tapfix0:53    [::]:* users:(("dnsmasq",pid=10980,fd=11))',
  'tcp LISTEN 0      32                                10.0.0.2:53 0.0.0.0:* users:(("dnsmasq",pid=10980,fd=7)) ',
  'tcp LISTEN 0      32     [fe80::50b5:91ff:fe95:347e]%tapfix0:53    [::]:* users:(("dnsmasq",pid=10980,fd=12))',
);
const SS_H_LTNP = lines(
  'LISTEN 0      32                                10.0.0.2:53 0.0.0.0:* users:(("dnsmasq",pid=10980,fd=7))',
  'LISTEN 0      32     [fe80::50b5:91ff:fe95:347e]%tapfix0:53    [::]:* users:(("dnsmasq",pid=10980,fd=12))',
);
const SS_H_ANO4 = lines(
  'RTNETLINK answers: Invalid argument',
  'udp UNCONN 0      0             10.0.0.2:53 0.0.0.0:*',
  'udp UNCONN 0      0      0.0.0.0%tapfix0:67 0.0.0.0:*',
  'tcp LISTEN 0      32            10.0.0.2:53 0.0.0.0:*',
);
// `ss -Hpeaonmi`: cgroup2 complaints first, -m's continuation lines (a tab) after each inet row.
const SS_H_PEAONMI = lines(
  'Failed to find cgroup2 mount',
  'Failed to find cgroup2 mount',
  'nl    UNCONN 0      0                                       16:0               *  sk=0 cb=0 groups=0x00000000\t skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)                                                                          ',
  'u_dgr UNCONN 0      0                                        * 47010548       * 0 users:(("dnsmasq",pid=10980,fd=10)) skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0) <->                                                               ',
  'udp   UNCONN 0      0                                 10.0.0.2:53       0.0.0.0:* users:(("dnsmasq",pid=10980,fd=6)) ino:47010540 sk:432a cgroup:unreachable:1 <->',
  '\t skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)                    ',
  'udp   UNCONN 0      0                          0.0.0.0%tapfix0:67       0.0.0.0:* users:(("dnsmasq",pid=10980,fd=4)) ino:47010537 sk:432b cgroup:unreachable:1 <->',
  '\t skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)                    ',
  'tcp   LISTEN 0      32                                10.0.0.2:53       0.0.0.0:* users:(("dnsmasq",pid=10980,fd=7)) ino:47010541 sk:432c cgroup:unreachable:1 <->',
  '\t skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0) bbr cwnd:10         ',
);
const H_UDP = [
  'udp 10.0.0.2:53 dnsmasq/10980',
  'udp 0.0.0.0%tapfix0:67 dnsmasq/10980',
  'udp [fe80::50b5:91ff:fe95:347e]%tapfix0:53 dnsmasq/10980',
];
const H_TCP = ['tcp 10.0.0.2:53 dnsmasq/10980', 'tcp [fe80::50b5:91ff:fe95:347e]%tapfix0:53 dnsmasq/10980'];
const PASTED = 'ip netns exec qdhcp-3c9e1f7a-2b4d-4e8f-9a1c-7d5e6f8a0b12';

// Read as with the header: the same listeners, the same scope from the command.
const HEADERLESS: Row[] = [
  [`${PASTED} ss -Hlunp.txt`, SS_H_LUNP, true, H_UDP, [10980, 10980, 10980], true],
  [`${NS}ss_-Hulpn`, SS_H_LUNP, true, H_UDP, [10980, 10980, 10980], true],
  [`${PASTED} ss --no-header -ulpn.txt`, SS_H_LUNP, true, H_UDP, [10980, 10980, 10980], true],
  [
    `${PASTED} ss -Htulpn.txt`,
    SS_H_TULPN,
    true,
    [...H_UDP, ...H_TCP],
    [10980, 10980, 10980, 10980, 10980],
    true,
  ],
  [`${PASTED} ss -Hltnp.txt`, SS_H_LTNP, false, H_TCP, [10980, 10980], true],
  [
    `${PASTED} ss -Hano4.txt`,
    SS_H_ANO4,
    true,
    ['udp 10.0.0.2:53', 'udp 0.0.0.0%tapfix0:67', 'tcp 10.0.0.2:53'],
    [],
    false,
  ],
  [
    `${NS}ss_-Hpeaonmi`,
    SS_H_PEAONMI,
    true,
    [
      'udp 10.0.0.2:53 dnsmasq/10980',
      'udp 0.0.0.0%tapfix0:67 dnsmasq/10980',
      'tcp 10.0.0.2:53 dnsmasq/10980',
    ],
    [10980, 10980, 10980, 10980],
    true,
  ],
];
// Unknown: what the rows show is still read, which sockets the listing covers is not claimed.
const HEADERLESS_UNKNOWN: [file: string, text: string, why: RegExp, listeners: string[]][] = [
  // The name's command prints a header: the paste may have lost its top lines (and a listener).
  [`${PASTED} ss -ulpn.txt`, SS_H_LUNP, /no header line where `ss -ulpn` prints one/, H_UDP],
  // The name says -H, the content has a header: another command printed it.
  [
    `${PASTED} ss -Hulpn.txt`,
    SS_ULPN,
    /a header line where `ss -Hulpn` prints none/,
    ['udp 10.0.0.2:53 dnsmasq/23352', 'udp 0.0.0.0%tapfix0:67 dnsmasq/23352'],
  ],
  // Rows with a Netid column under a command that lists one socket type.
  [
    `${PASTED} ss -Hulpn.txt`,
    SS_H_TULPN,
    /its rows have a Netid column .* `ss -Hulpn` lists one/,
    [...H_UDP, ...H_TCP],
  ],
  // No command: without a Netid column, nothing says which protocol a row is (as with the header).
  ['sockets.txt', SS_H_LUNP, /its name does not say which ss command/, []],
  ['sockets.txt', SS_H_TULPN, /its name does not say which ss command/, [...H_UDP, ...H_TCP]],
  // Empty: `ss -Hulpn` with nothing listening, or a command that printed nothing at all.
  [`${PASTED} ss -Hulpn.txt`, '', /no ss or netstat listing/, []],
];

describe('ss -H: rows without a header line', () => {
  const show = (text: string, file: string) => {
    const v = parseSockets(text, file).value;
    return v.listeners.map(
      (l) => `${l.proto} ${l.address}:${l.port}${l.process ? ` ${l.process}/${l.pid}` : ''}`,
    );
  };
  it.each(HEADERLESS)('%s', (file, text, covers, listeners, pids, processes) => {
    const r = parseSockets(text, file);
    expect(r.diagnostics).toEqual([]);
    expect(show(text, file)).toEqual(listeners);
    expect(r.value.processes.map((p) => p.pid)).toEqual(pids);
    expect(r.value.header).toBeUndefined();
    const s = r.value.scope;
    if (!('value' in s)) throw new Error(`unknown scope: ${s.why}`);
    expect(coversUdp4Listeners(s.value)).toBe(covers);
    expect(s.value.processes).toBe(processes);
  });
  it('the same listeners, on their own lines, as the listing with its header', () => {
    const h = parseSockets(SS_H_LUNP, `${PASTED} ss -Hlunp.txt`).value;
    const w = parseSockets(SS_ULPN, `${NS}ss_-ulpn`).value;
    expect(h.listeners.map((l) => l.line)).toEqual([1, 2, 3]);
    expect(w.listeners.map((l) => l.line)).toEqual([2, 3]);
    expect(h.scope).toEqual(w.scope);
  });
  it.each(HEADERLESS_UNKNOWN)('%s: unknown (%s)', (file, text, why, listeners) => {
    const v = parseSockets(text, file).value;
    expect(show(text, file)).toEqual(listeners);
    expect('why' in v.scope && v.scope.why).toMatch(why);
  });
  it.each([
    // a line that is no ss row (a note, a shell prompt) among the rows
    ['a note among the rows', `# dhcp node\n${SS_H_LUNP}`],
    ['a prompt before the rows', `[root@net1 ~]# ss -Hlunp\n${SS_H_LUNP}`],
    // two layouts: rows of two commands pasted together
    ['two layouts', `${SS_H_LUNP}${SS_H_TULPN}`],
    // numbers only: no Netid or State column to say it is ss
    ['queues and addresses only', '0      0      10.0.0.2:40000 10.0.0.5:53\n'],
    // ss's stderr after a row is not ss's layout
    ['stderr between rows', `${SS_H_LUNP}Failed to find cgroup2 mount\n${SS_H_LUNP}`],
  ])('%s: not read as ss output', (_what, text) => {
    const r = parseSockets(text, `${PASTED} ss -Hlunp.txt`);
    expect(r.value.listeners).toEqual([]);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['not-sockets']);
    expect('why' in r.value.scope && r.value.scope.why).toMatch(/no ss or netstat listing/);
  });
});
