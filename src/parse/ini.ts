// oslo.config ini files (neutron.conf, openvswitch_agent.ini, ml2_conf.ini): sections, `key = value`,
// `#`/`;` comments. Values keep their text; the caller interprets them.
import { diag, type Parsed, splitLines } from './diagnostics.ts';

export interface IniValue {
  value: string;
  line: number;
}

export type Ini = Record<string, Record<string, IniValue>>;

export function parseIni(text: string): Parsed<Ini> {
  const { lines, diagnostics } = splitLines(text);
  const out: Ini = {};
  let section = 'DEFAULT';
  lines.forEach((l, i) => {
    const t = l.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return;
    const s = /^\[([^\]]+)\]$/.exec(t);
    if (s) {
      section = s[1]!;
      out[section] ??= {};
      return;
    }
    const kv = /^([A-Za-z0-9_.-]+)\s*[=:]\s*(.*)$/.exec(t);
    if (!kv) {
      // oslo allows continuation lines indented under a key: keep them with the previous value.
      diagnostics.push(diag('warning', i + 1, 'ini-line', 'not a "key = value" line', l));
      return;
    }
    out[section] ??= {};
    out[section]![kv[1]!] = { value: kv[2]!.trim(), line: i + 1 };
  });
  return { value: out, diagnostics };
}

/** What the Neutron OVS agent's configuration says about port detection and physnets. */
export interface AgentConfig {
  bridgeMappings?: { value: Record<string, string>; line: number };
  minimizePolling?: { value: boolean; line: number };
  pollingInterval?: { value: number; line: number };
  integrationBridge?: { value: string; line: number };
  /** [ovs] local_ip: the underlay address the host's tunnels start from. */
  localIp?: { value: string; line: number };
  /** [agent] tunnel_types (vxlan, gre, geneve); an empty list means no tunnels. */
  tunnelTypes?: { value: string[]; line: number };
  l2Population?: { value: boolean; line: number };
  arpResponder?: { value: boolean; line: number };
  /**
   * [ovs] of_listen_address / of_listen_port: where the agent's native OpenFlow controller listens
   * (Neutron's defaults 127.0.0.1 and 6633), the target it sets on its bridges.
   */
  ofListenAddress?: { value: string; line: number };
  ofListenPort?: { value: number; line: number };
}

export function agentConfigOf(ini: Ini): AgentConfig {
  const c: AgentConfig = {};
  const get = (sections: string[], key: string): IniValue | undefined => {
    for (const s of sections) if (ini[s]?.[key]) return ini[s]![key];
    return undefined;
  };
  const bm = get(['ovs', 'OVS'], 'bridge_mappings');
  if (bm)
    c.bridgeMappings = {
      value: Object.fromEntries(
        bm.value
          .split(',')
          .map((p) => p.trim().split(':'))
          .filter((p) => p.length === 2) as [string, string][],
      ),
      line: bm.line,
    };
  const mp = get(['agent', 'AGENT'], 'minimize_polling');
  if (mp) c.minimizePolling = { value: /^(true|1|yes|on)$/i.test(mp.value), line: mp.line };
  const pi = get(['agent', 'AGENT'], 'polling_interval');
  if (pi && /^\d+$/.test(pi.value)) c.pollingInterval = { value: Number(pi.value), line: pi.line };
  const ib = get(['ovs', 'OVS'], 'integration_bridge');
  if (ib) c.integrationBridge = { value: ib.value, line: ib.line };
  const li = get(['ovs', 'OVS'], 'local_ip');
  if (li?.value) c.localIp = { value: li.value, line: li.line };
  const tt = get(['agent', 'AGENT'], 'tunnel_types');
  if (tt)
    c.tunnelTypes = {
      value: tt.value
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
      line: tt.line,
    };
  const bool = (v: IniValue): { value: boolean; line: number } => ({
    value: /^(true|1|yes|on)$/i.test(v.value),
    line: v.line,
  });
  const l2 = get(['agent', 'AGENT'], 'l2_population');
  if (l2) c.l2Population = bool(l2);
  const ar = get(['agent', 'AGENT'], 'arp_responder');
  if (ar) c.arpResponder = bool(ar);
  const ola = get(['ovs', 'OVS'], 'of_listen_address');
  if (ola?.value) c.ofListenAddress = { value: ola.value, line: ola.line };
  const olp = get(['ovs', 'OVS'], 'of_listen_port');
  if (olp && /^\d+$/.test(olp.value)) c.ofListenPort = { value: Number(olp.value), line: olp.line };
  return c;
}
