// BusyBox udhcpc, the DHCP client of cirros (the usual OpenStack test image): what one run says in
// the VM's console (`openstack console log show`) or its syslog, read as dhclient -v's output is
// (services.ts parseDhclient), into the same DhcpClientOutput. Two spellings (networking/udhcp/
// dhcpc.c): up to 1.24 `udhcpc (v1.20.1) started`, `Sending discover...`, `Sending select for
// 10.0.0.3...`, `Lease of 10.0.0.3 obtained, lease time 86400`, `No lease, failing`; from 1.25
// `udhcpc: started, v1.25.0`, `udhcpc: sending discover`, `udhcpc: sending select for 10.0.0.3`,
// `udhcpc: lease of …`, `udhcpc: no lease, failing`. udhcpc prints neither its MAC nor the
// server's address, and says no OFFER itself: a `select` (its REQUEST) follows each OFFER it took.
// Pure parser: text in, typed value plus diagnostics out. sources/file-kinds.ts takes such a text
// (by its banner and lines, under any name) for the VM's DHCP client output, as it does dhclient's.
import { type Parsed, splitLines } from './diagnostics.ts';
import type { DhcpClientOutput } from './services.ts';

/** A udhcpc line, bare, as syslog writes it (`udhcpc[812]: …`) or with its `udhcpc: ` prefix. */
export function udhcpcMessage(l: string): string {
  return l.replace(/^.*?\budhcpc(?:\[\d+\])?:\s*/, '');
}

/** Lines only udhcpc prints: its banner (either spelling), its DISCOVERs and REQUESTs, its verdicts. */
export const UDHCPC_LINE =
  /^(?:udhcpc \(v[\d.]+\) started|started, v[\d.]+$|[Ss]ending (?:discover|select for \S+?)(?:\.\.\.)?$|[Ll]ease of \S+ obtained, lease time \d+|[Nn]o lease, (?:failing|forking to background))/;

/**
 * One run of udhcpc: DISCOVERs sent, OFFERs taken (each `select`), the lease obtained, and the
 * lines that say so. `No lease, failing` without a select is `noOffers`: no OFFER reached it.
 */
export function parseUdhcpc(text: string): Parsed<DhcpClientOutput> {
  const { lines, diagnostics } = splitLines(text);
  const v: DhcpClientOutput = { discovers: 0, offers: 0, lease: null, answers: [], at: {} };
  lines.forEach((raw, i) => {
    const l = udhcpcMessage(raw.trim());
    const at = { line: i + 1, text: raw.trim() };
    if (/^[Ss]ending discover(?:\.\.\.)?$/.test(l)) {
      v.discovers++;
      v.at.firstDiscover ??= at;
      return;
    }
    if (/^[Ss]ending select for \S+?(?:\.\.\.)?$/.test(l)) {
      v.offers++;
      return;
    }
    const lease = /^[Ll]ease of (\d+\.\d+\.\d+\.\d+) obtained, lease time \d+/.exec(l);
    if (lease) {
      v.lease = lease[1]!;
      v.at.bound = at;
      return;
    }
    if (/^[Nn]o lease, (?:failing|forking to background)/.test(l) && v.offers === 0 && v.lease === null)
      v.at.noOffers = at;
  });
  return { value: v, diagnostics };
}

/** Is the text a udhcpc run's output (its banner, or two lines only it prints)? */
export function isUdhcpc(text: string): boolean {
  const msgs = text
    .split('\n')
    .slice(0, 200)
    .map((l) => udhcpcMessage(l.trim()));
  return msgs.some((l) => /^udhcpc \(v[\d.]+\) started|^started, v[\d.]+$/.test(l))
    ? msgs.filter((l) => UDHCPC_LINE.test(l)).length >= 2
    : false;
}
