// What a host's iptables filter table does with one packet: a tunnel packet (UDP to the tunnel
// port, or GRE) from a peer's underlay address to this host's, or a VM's DHCP packet that a hybrid
// plug's Linux bridge (qbr) forwards between the VM's tap and the qvb veth (br_netfilter hands it
// to FORWARD with its bridge ports for physdev): the chain evaluated in order, as the kernel does.
// The first rule that matches decides; jumps into user chains are followed (and RETURN, goto, the
// built-in chain's policy); a rule with a match the table below does not decide for this packet
// (an interface, a module it does not know) may or may not match, so both ways are followed: the
// outcome is proven only when every way ends alike. The packet's conntrack state is one value for
// the whole walk: each state it can have is walked on its own (CONNTRACK_WORLDS). Pure: no I/O.
import type { Evidence } from '../../model/evidence.ts';

export interface TunnelPacket {
  proto: 'udp' | 'gre';
  /** The sender's address; undefined when the case does not know it. */
  src?: string;
  /** Its destination address; undefined when the case does not know it. */
  dst?: string;
  /** UDP destination port (4789 VXLAN, 6081 Geneve; 67/68 DHCP). */
  dport?: number;
  /** UDP source port when known (DHCP: 68 from the client, 67 from the server); undefined: a tunnel's hash port. */
  sport?: number;
  /** The destination is an address of this host (INPUT), not one it forwards to (FORWARD). */
  local: boolean;
  /**
   * A frame a Linux bridge forwards (br_netfilter: FORWARD sees it with `-i`/`-o` the bridge and
   * physdev the bridge ports it enters and leaves by); undefined: routed (a tunnel packet).
   */
  bridged?: { bridge: string; in: string; out?: string };
  /** Its conntrack state; undefined: any it can have (evaluateChain tries each of `states`). */
  state?: ConntrackState;
  /** The states it can have, one per walk; undefined: a tunnel packet's (worldsOf). */
  states?: readonly ConntrackState[];
}

/** Any packet the evaluator walks (a tunnel packet, or a bridged DHCP packet). */
export type FilterPacket = TunnelPacket;

/**
 * The conntrack states a well-formed tunnel packet (UDP to the tunnel port, or GRE) can have, one
 * per packet: NEW (no reply seen yet on its tuple) or ESTABLISHED (the peer's reply seen), and
 * UNTRACKED when the raw table exempts it (NOTRACK / CT --notrack, a table the model does not read).
 * Not INVALID: nf_conntrack_proto_udp's udp_error() marks only a truncated header, a bad length
 * or a bad checksum (a malformed packet), and GRE's tracker none that the tunnel sends. Not
 * RELATED: only an expectation (a conntrack helper's, none for 4789/6081/GRE keyed tunnels; helpers
 * are not assigned automatically since Linux 4.7) or an ICMP error makes a packet RELATED
 * (netfilter conntrack docs, conntrack-tools manual "Connection tracking states").
 */
export const CONNTRACK_WORLDS = ['NEW', 'ESTABLISHED', 'UNTRACKED'] as const;
export type ConntrackState = (typeof CONNTRACK_WORLDS)[number];

/**
 * The states a tunnel packet of `proto` can have. A UDP tunnel (VXLAN, Geneve) is never
 * ESTABLISHED: each end sends from a hash source port to the other's 4789/6081, so no packet is
 * ever the reply of another's tuple. GRE is tracked by addresses (and key), so the peer's own GRE
 * packets are replies.
 */
function worldsOf(p: TunnelPacket): readonly ConntrackState[] {
  return p.states ?? (p.proto === 'udp' ? ['NEW', 'UNTRACKED'] : CONNTRACK_WORLDS);
}

export interface FilterTable {
  chains: { name: string; policy?: string; from: Evidence }[];
  rules: { chain: string; text: string; from: Evidence }[];
}

export type FilterRule = FilterTable['rules'][number] & { index: number };

/** Where the packet's fate was decided: a rule (1-based `index` in its chain), or a chain's policy. */
export type Decider =
  | { kind: 'rule'; rule: FilterRule }
  | { kind: 'policy'; chain: string; policy: string; from: Evidence; last: InsertAt };

/** Where an ACCEPT would go to take the packet before what decided it. */
export interface InsertAt {
  chain: string;
  /** 1-based position; undefined: the chain's end (`-A`). */
  index?: number;
}

export type FirewallOutcome =
  | { verdict: 'accept'; by: Decider[] }
  | { verdict: 'drop'; by: Decider[] }
  /** Some way ends in ACCEPT, another in DROP (or in what is not modelled): these rules decide which. */
  | { verdict: 'unknown'; unsure: { rule: FilterRule; why: string }[] };

type Tri = 'yes' | 'no' | 'maybe';
interface Opt {
  name: string;
  neg: boolean;
  args: string[];
}

/** iptables-save's words: `"..."` with `\"` and `\\` inside is one word (quoted: never an option). */
export function iptWords(text: string): { w: string; quoted: boolean }[] {
  const out: { w: string; quoted: boolean }[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text))
    out.push(
      m[1] !== undefined ? { w: m[1].replace(/\\(.)/g, '$1'), quoted: true } : { w: m[2]!, quoted: false },
    );
  return out;
}

/** A rule's matches (each option with its arguments, `!` applied) and its target. */
export function parseRule(text: string): { opts: Opt[]; target?: string; goto: boolean } {
  const ws = iptWords(text).slice(2); // -A CHAIN
  const opts: Opt[] = [];
  let neg = false;
  for (let i = 0; i < ws.length; i++) {
    const { w, quoted } = ws[i]!;
    if (!quoted && w === '!') {
      neg = true;
      continue;
    }
    if (!quoted && (w === '-j' || w === '--jump' || w === '-g' || w === '--goto'))
      return { opts, ...(ws[i + 1] ? { target: ws[i + 1]!.w } : {}), goto: w === '-g' || w === '--goto' };
    const args: string[] = [];
    while (i + 1 < ws.length && (ws[i + 1]!.quoted || !/^(-|!$)/.test(ws[i + 1]!.w))) args.push(ws[++i]!.w);
    opts.push({ name: w, neg, args });
    neg = false;
  }
  return { opts, goto: false };
}

function ipv4(s: string): number | undefined {
  const p = s.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
  return p.reduce((a, x) => ((a << 8) | Number(x)) >>> 0, 0);
}

/** `a.b.c.d[/nn|/m.m.m.m]` against an address; maybe when the address is unknown or the value unread. */
function inNet(net: string, addr: string | undefined): Tri {
  const [a, m] = net.split('/');
  const base = ipv4(a!);
  const mask =
    m === undefined
      ? 0xffffffff
      : /^\d+$/.test(m)
        ? Number(m) === 0
          ? 0
          : (~0 << (32 - Number(m))) >>> 0
        : ipv4(m);
  if (base === undefined || mask === undefined || (m !== undefined && /^\d+$/.test(m) && Number(m) > 32))
    return 'maybe';
  if (mask === 0) return 'yes';
  const x = addr === undefined ? undefined : ipv4(addr);
  if (x === undefined) return 'maybe';
  return (x & mask) >>> 0 === (base & mask) >>> 0 ? 'yes' : 'no';
}

/** `4789`, `4780:4790`, `:1024`, `1024:`, or a multiport list of those. */
function inPorts(list: string, port: number | undefined): Tri {
  if (port === undefined) return 'no';
  let out: Tri = 'no';
  for (const r of list.split(',')) {
    const m = /^(\d*)(?::(\d*))?$/.exec(r);
    if (!m) return 'maybe'; // a service name
    const lo = m[1] === '' ? 0 : Number(m[1]);
    const hi = m[2] === undefined ? lo : m[2] === '' ? 65535 : Number(m[2]);
    if (port >= lo && port <= hi) out = 'yes';
  }
  return out;
}

/** A source port list: the tunnel's UDP source port is a hash, unknown unless the list covers all. */
function allPorts(list: string): Tri | [Tri, string] {
  return list.split(',').some((r) => /^0*:(65535)?$/.test(r))
    ? 'yes'
    : ['maybe', "the tunnel's UDP source port is a hash of the inner packet"];
}

/** An address match; why, when it cannot say. */
function addr(net: string, a: string | undefined, whose: string): Tri | [Tri, string] {
  const r = inNet(net, a);
  if (r !== 'maybe') return r;
  return [
    'maybe',
    a === undefined ? `the ${whose} address is not known` : `${net} is not an address it reads`,
  ];
}

/** A device name against an iptables interface pattern (`+` at the end matches any suffix). */
function devIs(pattern: string, dev: string): Tri {
  return pattern.endsWith('+')
    ? dev.startsWith(pattern.slice(0, -1))
      ? 'yes'
      : 'no'
    : pattern === dev
      ? 'yes'
      : 'no';
}

const OTHER_PROTOCOLS = new Set(
  'tcp 6 icmp 1 esp 50 ah 51 sctp 132 udplite 136 icmpv6 ipv6-icmp 58 mh ipip 4 ipencap igmp 2 ospf 89 vrrp 112'.split(
    ' ',
  ),
);

/** What each option says of a tunnel packet, and why when it cannot say. */
const MATCHES: Record<string, (arg: string, p: TunnelPacket) => Tri | [Tri, string]> = {
  '-p': (a, p) => {
    const x = a.toLowerCase();
    if (x === 'all' || x === '0') return 'yes';
    if (x === 'udp' || x === '17') return p.proto === 'udp' ? 'yes' : 'no';
    if (x === 'gre' || x === '47') return p.proto === 'gre' ? 'yes' : 'no';
    return OTHER_PROTOCOLS.has(x) || /^\d+$/.test(x) ? 'no' : ['maybe', `protocol ${a} is not one it knows`];
  },
  '-s': (a, p) => addr(a, p.src, "sender's"),
  '-d': (a, p) => addr(a, p.dst, 'destination'),
  // A bridged frame's in and out devices are the bridge itself (br_netfilter). A peer's packets
  // never arrive on the loopback; which other device they arrive on, the case does not say.
  '-i': (a, p) =>
    p.bridged
      ? devIs(a, p.bridged.bridge)
      : a === '+'
        ? 'yes'
        : a === 'lo'
          ? 'no'
          : ['maybe', 'the device the tunnel traffic arrives on is not known'],
  '-o': (a, p) =>
    p.bridged
      ? devIs(a, p.bridged.bridge)
      : ['maybe', 'the device the tunnel traffic leaves by is not known'],
  '-m': () => 'yes', // loads a module; its options decide
  '--dport': (a, p) => inPorts(a, p.dport),
  '--dports': (a, p) => inPorts(a, p.dport),
  '--ports': (a, p) =>
    inPorts(a, p.dport) === 'yes' ? 'yes' : p.sport !== undefined ? inPorts(a, p.sport) : allPorts(a),
  '--sport': (a, p) => (p.sport !== undefined ? inPorts(a, p.sport) : allPorts(a)),
  '--sports': (a, p) => (p.sport !== undefined ? inPorts(a, p.sport) : allPorts(a)),
  '--comment': () => 'yes',
  '--dst-type': (a, p) =>
    p.local && a.split(',').includes('LOCAL')
      ? 'yes'
      : !p.local && a === 'LOCAL'
        ? 'no'
        : ['maybe', 'the address type is not modelled'],
  '--state': inState,
  '--ctstate': inState,
  // physdev (iptables-extensions(8)): a peer's tunnel packet comes in on the underlay NIC, routed to
  // this host (or by it), never bridged through a VM's device (tap/qvb/qvo): a VM's device never
  // matches; --physdev-is-bridged is set only for a packet the bridge forwards, never for one
  // delivered to this host (INPUT), nor --physdev-out; a bridge port under the underlay address, may be.
  // A frame a bridge forwards (FORWARD): its ports are known, it is bridged, it enters and leaves
  // by bridge ports (the out port unknown only when the caller does not give it).
  '--physdev-in': (a, p) =>
    p.bridged
      ? devIs(a, p.bridged.in)
      : VM_DEVICE.test(a)
        ? 'no'
        : ['maybe', 'the underlay NIC may be a bridge port'],
  '--physdev-out': (a, p) =>
    p.bridged
      ? p.bridged.out !== undefined
        ? devIs(a, p.bridged.out)
        : ['maybe', 'the bridge port it leaves by is not known']
      : p.local || VM_DEVICE.test(a)
        ? 'no'
        : ['maybe', 'the bridge port it leaves by is not known'],
  '--physdev-is-bridged': (_, p) =>
    p.bridged ? (p.local ? 'no' : 'yes') : p.local ? 'no' : ['maybe', 'whether it is bridged is not known'],
  '--physdev-is-out': (_, p) =>
    p.bridged ? (p.local ? 'no' : 'yes') : p.local ? 'no' : ['maybe', 'whether it is bridged is not known'],
  '--physdev-is-in': (_, p) => (p.bridged ? 'yes' : ['maybe', 'the underlay NIC may be a bridge port']),
};
/** Options that take no argument. */
const FLAGS = new Set(['--physdev-is-bridged', '--physdev-is-out', '--physdev-is-in']);
/** A VM's device as Neutron names it (tap, and the hybrid plug's veth pair qvb/qvo). */
const VM_DEVICE = /^(tap|qvb|qvo)[0-9a-f]/;

/** `--state`/`--ctstate` LIST against the packet's state; maybe when the state is any. */
function inState(list: string, p: TunnelPacket): Tri | [Tri, string] {
  if (p.state === undefined) return ['maybe', 'its conntrack state is not in the case'];
  const ss = list.toUpperCase().split(',');
  if (ss.includes(p.state)) return 'yes';
  // SNAT/DNAT: whether the packet was NATed, which the case does not say.
  return ss.some((x) => x === 'SNAT' || x === 'DNAT') ? ['maybe', 'whether it was NATed is not known'] : 'no';
}
const ALIASES: Record<string, string> = {
  '--protocol': '-p',
  '--source': '-s',
  '--src': '-s',
  '--destination': '-d',
  '--dst': '-d',
  '--in-interface': '-i',
  '--out-interface': '-o',
  '--match': '-m',
  '--destination-port': '--dport',
  '--source-port': '--sport',
  '--destination-ports': '--dports',
  '--source-ports': '--sports',
};

/** Whether a rule's matches take the packet: all must (`!` inverts one); why, when that is not known. */
export function ruleMatches(opts: readonly Opt[], p: TunnelPacket): [Tri, string?] {
  let out: [Tri, string?] = ['yes'];
  for (const o of opts) {
    const name = ALIASES[o.name] ?? o.name;
    const f = MATCHES[name];
    const r =
      f && o.args.length === (FLAGS.has(name) ? 0 : 1)
        ? f(o.args[0] ?? '', p)
        : (['maybe', `${o.name} is not modelled`] as const);
    const [t, why] = typeof r === 'string' ? [r] : r;
    const v: Tri = t === 'maybe' || !o.neg ? t : t === 'yes' ? 'no' : 'yes';
    if (v === 'no') return ['no'];
    if (v === 'maybe' && out[0] === 'yes')
      out = ['maybe', `${o.neg ? '! ' : ''}${o.name} ${o.args.join(' ')}: ${why}`];
  }
  return out;
}

const TERMINAL = new Set(['ACCEPT', 'DROP', 'REJECT']);
/** Targets that note, mark or log the packet and go on to the next rule. */
const GOES_ON = new Set(['LOG', 'NFLOG', 'ULOG', 'AUDIT', 'MARK', 'CONNMARK', 'TRACE', 'SET']);
const MAX_DEPTH = 16;
const MAX_ENDS = 256;

type End =
  | { v: 'ACCEPT' | 'DROP' | 'REJECT'; by: Decider }
  | { v: 'return'; at: InsertAt }
  | { v: 'unknown'; rule: FilterRule; why: string };

/**
 * Every way `chain` of `t` can end for packet `p`: the verdict and what decided it. A packet whose
 * conntrack state is not given has one state all along the chain: each state it can have
 * (CONNTRACK_WORLDS) is one world with its own path; the verdict is decided when every world ends
 * alike. When they differ, the state tests are what decide: they are named (state left open).
 */
export function evaluateChain(t: FilterTable, chain: string, p: TunnelPacket): FirewallOutcome {
  if (p.state !== undefined) return evaluateOne(t, chain, p);
  const worlds = worldsOf(p).map((state) => evaluateOne(t, chain, { ...p, state }));
  for (const v of ['accept', 'drop'] as const)
    if (worlds.every((w) => w.verdict === v)) {
      const by = worlds.flatMap((w) => (w.verdict === v ? w.by : []));
      return { verdict: v, by: by.filter((d, i) => by.findIndex((e) => sameDecider(d, e)) === i) };
    }
  // Every world open alike (a rule other than a state test decides): those rules, not the state tests.
  if (worlds.every((w) => w.verdict === 'unknown')) {
    const unsure = worlds.flatMap((w) => (w.verdict === 'unknown' ? w.unsure : []));
    return {
      verdict: 'unknown',
      unsure: unsure.filter(
        (u, i) =>
          unsure.findIndex((v) => v.rule.chain === u.rule.chain && v.rule.index === u.rule.index) === i,
      ),
    };
  }
  const open = evaluateOne(t, chain, p);
  return open.verdict === 'unknown'
    ? open
    : { verdict: 'unknown', unsure: worlds.flatMap((w) => (w.verdict === 'unknown' ? w.unsure : [])) };
}

function sameDecider(a: Decider, b: Decider): boolean {
  if (a.kind === 'rule' || b.kind === 'rule')
    return (
      a.kind === 'rule' && b.kind === 'rule' && a.rule.chain === b.rule.chain && a.rule.index === b.rule.index
    );
  return a.chain === b.chain && a.last.chain === b.last.chain && a.last.index === b.last.index;
}

function evaluateOne(t: FilterTable, chain: string, p: TunnelPacket): FirewallOutcome {
  const byChain = new Map<string, FilterRule[]>();
  const parsed = new Map<FilterRule, ReturnType<typeof parseRule>>();
  for (const r of t.rules) {
    const list = byChain.get(r.chain) ?? [];
    const fr = { ...r, index: list.length + 1 };
    list.push(fr);
    parsed.set(fr, parseRule(r.text));
    byChain.set(r.chain, list);
  }
  const declared = new Map(t.chains.map((c) => [c.name, c]));
  const unsure = new Map<FilterRule, string>();
  const memo = new Map<string, End[]>();

  const walk = (c: string, from: number, stack: readonly string[]): End[] => {
    const key = `${c}\u0000${from}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const rules = byChain.get(c) ?? [];
    let out: End[] = [{ v: 'return', at: { chain: c } }];
    for (let i = from; i < rules.length; i++) {
      const r = rules[i]!;
      const pr = parsed.get(r)!;
      const [m, why] = ruleMatches(pr.opts, p);
      if (m === 'no') continue;
      const target = pr.target;
      const next = (): End[] => walk(c, i + 1, stack);
      let taken: End[];
      if (target === undefined || GOES_ON.has(target)) taken = m === 'yes' ? next() : [];
      else if (TERMINAL.has(target)) taken = [{ v: target as 'ACCEPT', by: { kind: 'rule', rule: r } }];
      else if (target === 'RETURN') taken = [{ v: 'return', at: { chain: c, index: r.index } }];
      else if (
        declared.has(target) &&
        !declared.get(target)!.policy &&
        !stack.includes(target) &&
        stack.length < MAX_DEPTH
      ) {
        const sub = walk(target, 0, [...stack, target]);
        // A goto's RETURN returns from this chain too; a jump's goes on after the rule.
        taken = pr.goto ? sub : sub.flatMap((e) => (e.v === 'return' ? next() : [e]));
      } else taken = [{ v: 'unknown', rule: r, why: `target ${target} is not modelled` }];
      if (m === 'maybe' && taken.length > 0) unsure.set(r, why!);
      out = m === 'yes' ? taken : dedupe([...taken, ...next()]);
      break;
    }
    if (out.length > MAX_ENDS)
      out = [{ v: 'unknown', rule: rules[from]!, why: 'too many ways through the chain' }];
    memo.set(key, out);
    return out;
  };

  const top = declared.get(chain);
  const ends = walk(chain, 0, [chain]).map((e): End => {
    if (e.v !== 'return') return e;
    if (!top?.policy || !TERMINAL.has(top.policy))
      return {
        v: 'unknown',
        rule: { chain, text: `:${chain} (no policy)`, from: top?.from ?? { file: '', line: 0 }, index: 0 },
        why: 'the chain has no policy in the save',
      };
    return {
      v: top.policy as 'ACCEPT',
      by: { kind: 'policy', chain, policy: top.policy, from: top.from, last: e.at },
    };
  });
  for (const e of ends) if (e.v === 'unknown') unsure.set(e.rule, e.why);
  const decided = ends.filter(
    (e): e is Extract<End, { by: Decider }> => e.v !== 'unknown' && e.v !== 'return',
  );
  if (decided.length === ends.length && decided.every((e) => e.v === 'ACCEPT'))
    return { verdict: 'accept', by: decided.map((e) => e.by) };
  if (decided.length === ends.length && decided.every((e) => e.v !== 'ACCEPT'))
    return { verdict: 'drop', by: decided.map((e) => e.by) };
  return { verdict: 'unknown', unsure: [...unsure].map(([rule, why]) => ({ rule, why })) };
}

function dedupe(ends: End[]): End[] {
  const seen = new Set<string>();
  return ends.filter((e) => {
    const k =
      e.v === 'return'
        ? `r${e.at.chain}\u0000${e.at.index}`
        : e.v === 'unknown'
          ? `u${e.rule.chain}\u0000${e.rule.index}`
          : e.by.kind === 'rule'
            ? `${e.v}${e.by.rule.chain}\u0000${e.by.rule.index}`
            : `${e.v}p${e.by.last.chain}\u0000${e.by.last.index}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Where an ACCEPT for the packet goes so that it comes before what dropped it. */
export function insertAt(d: Decider): InsertAt {
  return d.kind === 'rule' ? { chain: d.rule.chain, index: d.rule.index } : d.last;
}
