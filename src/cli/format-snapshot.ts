// Text rendering of a Snapshot for people: hosts, bridges, ports with tag or "no tag", flows with
// counters, namespaces with their devices and addresses, links, gaps and diagnostics.
import type { Fact } from '../model/evidence.ts';
import { where } from '../model/evidence.ts';
import { chassisByNames } from '../model/ovn.ts';
import type { Bridge, Host, Interface, Port, Snapshot } from '../model/snapshot.ts';
import { formatFlowRule } from '../openflow/flow.ts';
import { escapeControl as e } from '../text/escape.ts';
import type { Colors } from './colors.ts';

function tagText(p: Port): string {
  if (!p.tag.known) return 'tag unknown';
  const t = p.tag.value === null ? 'no tag' : `tag ${p.tag.value}`;
  const tr = p.trunks.known && p.trunks.value.length > 0 ? ` trunks [${p.trunks.value.join(',')}]` : '';
  const vm = p.vlanMode.known && p.vlanMode.value ? ` vlan_mode ${e(p.vlanMode.value)}` : '';
  return `${t}${tr}${vm}`;
}

function factText<T>(f: Fact<T>, show: (v: T) => string): string {
  return f.known ? show(f.value) : '?';
}

function ifaceText(i: Interface): string {
  const parts: string[] = [];
  const type = i.type.known ? e(i.type.value) || 'system' : 'type ?';
  parts.push(type);
  parts.push(`ofport ${factText(i.ofport, (v) => (v === null ? '[]' : String(v)))}`);
  if (i.options.known && i.options.value.peer) parts.push(`peer ${e(i.options.value.peer)}`);
  if (i.externalIds.known && i.externalIds.value['iface-id'])
    parts.push(`iface-id ${e(i.externalIds.value['iface-id'])}`);
  if (i.externalIds.known && i.externalIds.value['attached-mac'])
    parts.push(`mac ${e(i.externalIds.value['attached-mac'])}`);
  if (i.error) parts.push(`error "${e(i.error.text)}"`);
  if (i.ofctl && i.ofctl.config.length > 0)
    parts.push(`ofctl ${e([...i.ofctl.config, ...i.ofctl.state].join(','))}`);
  return parts.join(', ');
}

function bridgeLines(b: Bridge, c: Colors): string[] {
  const out: string[] = [];
  const fm = factText(b.failMode, (v) => (v === null ? 'standalone (default)' : e(v)));
  const dp = b.datapathType.known && b.datapathType.value ? `, datapath ${e(b.datapathType.value)}` : '';
  out.push(`  ${c.bold(`bridge ${e(b.name)}`)}  fail_mode ${fm}${dp}`);
  for (const p of b.ports) {
    const tag = tagText(p);
    const tagc = p.tag.known && p.tag.value === null ? c.yellow(tag) : tag;
    const ifs = p.interfaces
      .map((i) => (i.name === p.name ? ifaceText(i) : `${e(i.name)}: ${ifaceText(i)}`))
      .join('; ');
    out.push(`    port ${e(p.name).padEnd(16)} ${tagc.padEnd(10)}  ${ifs}`);
  }
  if (!b.flows.known) out.push(`    flows: ${c.dim(`not collected (${e(b.flows.why)})`)}`);
  else {
    const f = b.flows.value;
    const tables = f.tables;
    if (tables) {
      // Per-table dumps merged: which tables are known, and that any other is not.
      const cut = tables.filter((t) => !t.complete).map((t) => t.table);
      out.push(
        `    flows: ${f.entries.length} of table${tables.length === 1 ? '' : 's'} ${tables.map((t) => t.table).join(', ')}${cut.length ? c.red(` (table${cut.length === 1 ? '' : 's'} ${cut.join(', ')} INCOMPLETE)`) : ''} from per-table dumps; ${c.red('other tables UNKNOWN')}`,
      );
      for (const t of tables)
        out.push(
          `      ${c.dim(`table ${t.table}: ${e(t.file)}${t.bridgeDump ? " (the bridge's dump, not whole)" : ''}`)}`,
        );
    } else
      out.push(
        `    flows: ${f.entries.length} from ${e(f.file)}${f.version ? ` (${e(f.version)})` : ''}${f.complete ? '' : c.red(' INCOMPLETE')}`,
      );
    for (const x of f.entries) {
      const s = x.flow.stats;
      const counters = s.n_packets !== undefined ? `  n_packets=${s.n_packets} n_bytes=${s.n_bytes}` : '';
      out.push(`      table=${x.flow.table} ${e(formatFlowRule(x.flow))}${c.dim(counters)}`);
    }
  }
  return out;
}

function hostLines(h: Host, c: Colors): string[] {
  const out: string[] = [];
  out.push(c.bold(`host ${e(h.name)}`) + (h.ovsVersion ? `  (Open vSwitch ${e(h.ovsVersion)})` : ''));
  // OVN (Host.ovn): what says so, first line; vifpath models ML2/OVS only.
  if (h.ovn.known && h.ovn.value) {
    const v = h.ovn.value;
    const first = v.chassis[0] ?? v.central[0]!;
    const role =
      v.chassis.length > 0
        ? chassisByNames(h)
          ? 'likely an OVN chassis, by port names'
          : 'an OVN chassis'
        : "OVN's databases";
    out.push(
      `  ${c.yellow(`${role} (not modelled)`)}: ${e(first.text.length > 100 ? `${first.text.slice(0, 99)}…` : first.text)} ${c.dim(`[${e(where(first.from))}]`)}`,
    );
  }
  if (h.snap) out.push(`  commands: the ${e(h.snap.name)} snap's (${e(h.snap.name)}.ovs-vsctl …)`);
  for (const b of h.bridges) for (const l of bridgeLines(b, c)) out.push(l);
  if (h.unplacedInterfaces.length > 0) {
    out.push('  interfaces in OVSDB on no bridge the case shows:');
    out.push(
      `    ${h.unplacedInterfaces.map((i) => `${e(i.name)} (ofport ${factText(i.ofport, (v) => (v === null ? '[]' : String(v)))})`).join(', ')}`,
    );
  }
  if (h.devices) {
    const devs = h.devices.map((d) => {
      const a = d.addresses.filter((x) => x.family === 'inet').map((x) => `${x.address}/${x.prefixlen}`);
      return `${e(d.name)}${d.up ? '' : ' (down)'}${a.length ? ` ${e(a.join(' '))}` : ''}`;
    });
    out.push(`  devices: ${devs.join(', ')}`);
  }
  // `ip link` shows no address: the names only, said so.
  const links = (l: NonNullable<typeof h.links>): string =>
    `${l.devices.map((d) => `${e(d.name)}${d.up ? '' : ' (down)'}`).join(', ')} ${c.dim(`(ip link, ${e(l.file)}: no addresses shown)`)}`;
  if (h.links) out.push(`  links: ${links(h.links)}`);
  for (const ns of h.namespaces) {
    out.push(`  namespace ${e(ns.name)}${ns.id !== undefined ? ` (id ${ns.id})` : ''}`);
    if (ns.links) out.push(`    links: ${links(ns.links)}`);
    if (!ns.devices) out.push(`    ${c.dim('devices not collected')}`);
    else
      for (const d of ns.devices) {
        const addrs = d.addresses
          .filter((a) => a.family === 'inet')
          .map((a) => `${a.address}/${a.prefixlen}`);
        out.push(
          `    ${e(d.name).padEnd(16)} ${d.up ? 'UP  ' : 'DOWN'} ${e(d.mac ?? '')} ${e(addrs.join(' '))}`.trimEnd(),
        );
      }
  }
  for (const g of h.gaps) out.push(`  ${c.dim(`gap: ${e(g)}`)}`);
  return out;
}

export function formatSnapshot(s: Snapshot, c: Colors): string {
  const out: string[] = [];
  const nfiles = s.hosts.reduce((n, h) => n + h.files.length, 0);
  out.push(`snapshot of ${e(s.source)}: ${s.hosts.length} host(s), ${nfiles} file(s) read`);
  out.push('');
  for (const h of s.hosts) {
    for (const l of hostLines(h, c)) out.push(l);
    out.push('');
  }
  if (s.links.length > 0) {
    out.push(c.bold('links'));
    for (const l of s.links)
      out.push(
        `  ${e(`${l.a.host}:${l.a.iface} <-> ${l.b.host}:${l.b.iface}`)}  (${l.inferred ? 'inferred from domid, ' : ''}${e(where(l.from))})`,
      );
    out.push('');
  }
  if (s.diagnostics.length > 0) {
    out.push(c.bold('diagnostics'));
    for (const d of s.diagnostics)
      out.push(`  ${d.severity}: ${e(where({ file: d.file, line: d.line }))}: ${e(d.message)}`);
  }
  return out.join('\n').trimEnd();
}
