// net-tools `ifconfig`: the old layout (`tap0 Link encap:Ethernet  HWaddr ..`, `inet addr:`), as in
// the seed, and the newer one (`tap0: flags=4163<UP,...>  mtu 1500`, `inet 10.0.0.2  netmask ..`).
import { diag, hasCorrupt, type Parsed, splitLines } from './diagnostics.ts';
import type { ParsedNetDevice } from './net-types.ts';

const OLD_HEAD = /^(\S+?)\s+Link encap:(.*?)(?:\s+HWaddr ([0-9a-fA-F:]{17}))?\s*$/;
const NEW_HEAD = /^(\S+?): flags=\d+<([A-Z_,]*)>\s+mtu (\d+)/;
const OLD_INET = /inet addr:(\S+)(?:\s+Bcast:\S+)?\s+Mask:(\S+)/;
const OLD_INET6 = /inet6 addr: ?([0-9a-fA-F:]+)\/(\d+)/;
const NEW_INET = /^inet (\S+)\s+netmask (\S+)/;
const NEW_INET6 = /^inet6 (\S+)\s+prefixlen (\d+)/;
const OLD_FLAGS = /^((?:[A-Z]+ )*[A-Z]+)\s+MTU:(\d+)/;
const ETHER = /^ether ([0-9a-f:]{17})/;

function maskLen(mask: string): number {
  return mask
    .split('.')
    .map((b) => Number(b).toString(2).replace(/0/g, '').length)
    .reduce((a, b) => a + b, 0);
}

export function parseIfconfig(text: string): Parsed<ParsedNetDevice[]> {
  const { lines, diagnostics } = splitLines(text);
  const out: ParsedNetDevice[] = [];
  let dev: ParsedNetDevice | undefined;
  lines.forEach((l, i) => {
    const n = i + 1;
    if (l.trim() === '') {
      dev = undefined;
      return;
    }
    if (!/^\s/.test(l)) {
      let m = OLD_HEAD.exec(l);
      if (m) {
        dev = {
          name: m[1]!,
          flags: [],
          up: false,
          addresses: [],
          line: n,
          ...(m[3] ? { mac: m[3].toLowerCase() } : {}),
        };
        out.push(dev);
        return;
      }
      m = NEW_HEAD.exec(l);
      if (m) {
        const flags = m[2]!.split(',').filter(Boolean);
        dev = { name: m[1]!, flags, up: flags.includes('UP'), mtu: Number(m[3]), addresses: [], line: n };
        out.push(dev);
        return;
      }
      diagnostics.push(diag('corrupt', n, 'not-ifconfig', 'not an ifconfig interface line', l));
      dev = undefined;
      return;
    }
    if (!dev) {
      diagnostics.push(diag('corrupt', n, 'not-ifconfig', 'indented line outside an interface', l));
      return;
    }
    const t = l.trim();
    let m = OLD_INET.exec(t) ?? NEW_INET.exec(t);
    if (m) {
      dev.addresses.push({ family: 'inet', address: m[1]!, prefixlen: maskLen(m[2]!), line: n });
      return;
    }
    m = OLD_INET6.exec(t) ?? NEW_INET6.exec(t);
    if (m) {
      dev.addresses.push({ family: 'inet6', address: m[1]!, prefixlen: Number(m[2]), line: n });
      return;
    }
    m = OLD_FLAGS.exec(t);
    if (m) {
      dev.flags = m[1]!.split(' ');
      dev.up = dev.flags.includes('UP');
      dev.mtu = Number(m[2]);
      return;
    }
    m = ETHER.exec(t);
    if (m) dev.mac = m[1]!;
    // RX/TX counters and the rest carry nothing the diagnosis uses.
  });
  if (out.length === 0 && !hasCorrupt(diagnostics))
    diagnostics.push(diag('corrupt', 0, 'empty', 'no interfaces: ifconfig always lists at least lo'));
  return { value: out, diagnostics };
}
