// iproute2 addresses: `ip address show` / `ip -d address` (blocks), `ip -o addr` (one line per
// address, `\` joins continuation), `ip -j addr` (JSON). `ip -s -d link` has the same blocks
// without addresses (its RX/TX counter lines are passed over): read for a bridge's own options.
import { diag, hasCorrupt, type Parsed, splitLines, unreadable } from './diagnostics.ts';
import type { ParsedNetDevice } from './net-types.ts';

const HEAD = /^(\d+): ([^:@\s]+)(?:@(\S+?))?: <([A-Z_,-]*)> (.*)$/;
const LINK = /^link\/(\S+)(?: ([0-9a-f:]{17}))?/;
const INET = /^(inet6?) ([0-9a-fA-F.:]+)\/(\d+)/;
const ONELINE = /^(\d+): ([^:@\s]+)(?:@\S+)?\s+(inet6?) ([0-9a-fA-F.:]+)\/(\d+)/;
const BRIDGE_NF = /^bridge .*\bnf_call_iptables (\d+)\b/;
const ONELINE_LINK = /^(\d+): ([^:@\s]+)(?:@(\S+?))?: <([A-Z_,-]*)> (.*)$/;

function headInfo(dev: ParsedNetDevice, rest: string): void {
  const mtu = /\bmtu (\d+)/.exec(rest);
  if (mtu) dev.mtu = Number(mtu[1]);
  const st = /\bstate (\S+)/.exec(rest);
  if (st) dev.operstate = st[1]!;
}

export function parseIpAddr(text: string): Parsed<ParsedNetDevice[]> {
  if (text.trimStart().startsWith('[')) return parseIpAddrJson(text);
  const { lines, diagnostics } = splitLines(text);
  const out: ParsedNetDevice[] = [];
  const byName = new Map<string, ParsedNetDevice>();
  let dev: ParsedNetDevice | undefined;
  const get = (index: number, name: string, n: number): ParsedNetDevice => {
    let d = byName.get(name);
    if (!d) {
      d = { name, index, flags: [], up: false, addresses: [], line: n };
      byName.set(name, d);
      out.push(d);
    }
    return d;
  };
  lines.forEach((l, i) => {
    const n = i + 1;
    if (l.trim() === '') return;
    if (!/^\s/.test(l)) {
      // -o output has the address on the device line, or the link line with `\` continuations.
      const o = ONELINE.exec(l);
      if (o) {
        const d = get(Number(o[1]), o[2]!, n);
        d.addresses.push({
          family: o[3] as 'inet' | 'inet6',
          address: o[4]!,
          prefixlen: Number(o[5]),
          line: n,
        });
        dev = undefined;
        return;
      }
      const h = HEAD.exec(l) ?? ONELINE_LINK.exec(l);
      if (h) {
        dev = get(Number(h[1]), h[2]!, n);
        if (h[3]) dev.peer = h[3];
        dev.flags = h[4]!.split(',').filter(Boolean);
        dev.up = dev.flags.includes('UP');
        headInfo(dev, h[5]!);
        const lk = /link\/\S+ ([0-9a-f:]{17})/.exec(h[5]!);
        if (lk) dev.mac = lk[1]!;
        return;
      }
      diagnostics.push(unreadable(lines, i, text, 'not-ip-addr', 'not an ip address line'));
      return;
    }
    if (!dev) {
      diagnostics.push(diag('corrupt', n, 'not-ip-addr', 'indented line outside an interface', l));
      return;
    }
    const t = l.trim();
    const lk = LINK.exec(t);
    if (lk) {
      if (lk[2]) dev.mac = lk[2];
      return;
    }
    // -d: a bridge's details (`bridge forward_delay ... nf_call_iptables 1 ...`), not a port's
    // (`bridge_slave ...`).
    const nf = BRIDGE_NF.exec(t);
    if (nf) {
      dev.bridgeNfCallIptables = { value: nf[1] !== '0', line: n };
      return;
    }
    const a = INET.exec(t);
    if (a)
      dev.addresses.push({
        family: a[1] as 'inet' | 'inet6',
        address: a[2]!,
        prefixlen: Number(a[3]),
        line: n,
      });
    // valid_lft, -d details (veth, openvswitch, numtxqueues...) carry nothing we use.
  });
  if (out.length === 0 && !hasCorrupt(diagnostics))
    diagnostics.push(diag('corrupt', 0, 'empty', 'no interfaces: ip address always lists at least lo'));
  return { value: out, diagnostics };
}

interface JsonAddr {
  family?: unknown;
  local?: unknown;
  prefixlen?: unknown;
}

export function parseIpAddrJson(text: string): Parsed<ParsedNetDevice[]> {
  const pre = splitLines(text);
  if (hasCorrupt(pre.diagnostics)) return { value: [], diagnostics: pre.diagnostics };
  let arr: unknown;
  try {
    arr = JSON.parse(text);
  } catch (e) {
    return {
      value: [],
      diagnostics: [diag('corrupt', 1, 'bad-json', `not valid JSON: ${(e as Error).message}`)],
    };
  }
  if (!Array.isArray(arr))
    return {
      value: [],
      diagnostics: [diag('corrupt', 1, 'bad-json', 'expected a JSON array of interfaces')],
    };
  const diagnostics = pre.diagnostics;
  const out: ParsedNetDevice[] = [];
  for (const [k, x] of arr.entries()) {
    const o = x as Record<string, unknown>;
    if (typeof o?.ifname !== 'string') {
      diagnostics.push(diag('corrupt', 1, 'bad-json', `interface ${k + 1} has no ifname`));
      continue;
    }
    const flags = Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : [];
    const d: ParsedNetDevice = { name: o.ifname, flags, up: flags.includes('UP'), addresses: [], line: 1 };
    if (typeof o.ifindex === 'number') d.index = o.ifindex;
    if (typeof o.link === 'string') d.peer = o.link;
    if (typeof o.address === 'string') d.mac = o.address;
    const li = o.linkinfo as { info_kind?: unknown; info_data?: Record<string, unknown> } | undefined;
    if (li?.info_kind === 'bridge' && typeof li.info_data?.nf_call_iptables === 'number')
      d.bridgeNfCallIptables = { value: li.info_data.nf_call_iptables !== 0, line: 1 };
    if (typeof o.mtu === 'number') d.mtu = o.mtu;
    if (typeof o.operstate === 'string') d.operstate = o.operstate;
    for (const a of Array.isArray(o.addr_info) ? (o.addr_info as JsonAddr[]) : []) {
      if (
        (a.family === 'inet' || a.family === 'inet6') &&
        typeof a.local === 'string' &&
        typeof a.prefixlen === 'number'
      )
        d.addresses.push({ family: a.family, address: a.local, prefixlen: a.prefixlen, line: 1 });
    }
    out.push(d);
  }
  return { value: out, diagnostics };
}
