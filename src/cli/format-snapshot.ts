// Text rendering of a Snapshot for people: hosts, bridges, ports with tag or "no tag", flows with
// counters, namespaces with their devices and addresses, links, gaps and diagnostics.
import type { Fact } from '../model/evidence.ts';
import { where } from '../model/evidence.ts';
import type { Bridge, Host, Interface, Port, Snapshot } from '../model/snapshot.ts';
import { formatFlowRule } from '../openflow/flow.ts';
import type { Colors } from './colors.ts';

function tagText(p: Port): string {
  if (!p.tag.known) return 'tag unknown';
  const t = p.tag.value === null ? 'no tag' : `tag ${p.tag.value}`;
  const tr = p.trunks.known && p.trunks.value.length > 0 ? ` trunks [${p.trunks.value.join(',')}]` : '';
  const vm = p.vlanMode.known && p.vlanMode.value ? ` vlan_mode ${p.vlanMode.value}` : '';
  return `${t}${tr}${vm}`;
}

function factText<T>(f: Fact<T>, show: (v: T) => string): string {
  return f.known ? show(f.value) : '?';
}

function ifaceText(i: Interface): string {
  const parts: string[] = [];
  const type = i.type.known ? i.type.value || 'system' : 'type ?';
  parts.push(type);
  parts.push(`ofport ${factText(i.ofport, (v) => (v === null ? '[]' : String(v)))}`);
  if (i.options.known && i.options.value.peer) parts.push(`peer ${i.options.value.peer}`);
  if (i.externalIds.known && i.externalIds.value['iface-id'])
    parts.push(`iface-id ${i.externalIds.value['iface-id']}`);
  if (i.externalIds.known && i.externalIds.value['attached-mac'])
    parts.push(`mac ${i.externalIds.value['attached-mac']}`);
  if (i.error) parts.push(`error "${i.error.text}"`);
  if (i.ofctl && i.ofctl.config.length > 0)
    parts.push(`ofctl ${[...i.ofctl.config, ...i.ofctl.state].join(',')}`);
  return parts.join(', ');
}

function bridgeLines(b: Bridge, c: Colors): string[] {
  const out: string[] = [];
  const fm = factText(b.failMode, (v) => v ?? 'standalone (default)');
  const dp = b.datapathType.known && b.datapathType.value ? `, datapath ${b.datapathType.value}` : '';
  out.push(`  ${c.bold(`bridge ${b.name}`)}  fail_mode ${fm}${dp}`);
  for (const p of b.ports) {
    const tag = tagText(p);
    const tagc = p.tag.known && p.tag.value === null ? c.yellow(tag) : tag;
    const ifs = p.interfaces
      .map((i) => (i.name === p.name ? ifaceText(i) : `${i.name}: ${ifaceText(i)}`))
      .join('; ');
    out.push(`    port ${p.name.padEnd(16)} ${tagc.padEnd(10)}  ${ifs}`);
  }
  if (!b.flows.known) out.push(`    flows: ${c.dim(`not collected (${b.flows.why})`)}`);
  else {
    const f = b.flows.value;
    out.push(
      `    flows: ${f.entries.length} from ${f.file}${f.version ? ` (${f.version})` : ''}${f.complete ? '' : c.red(' INCOMPLETE')}`,
    );
    for (const e of f.entries) {
      const s = e.flow.stats;
      const counters = s.n_packets !== undefined ? `  n_packets=${s.n_packets} n_bytes=${s.n_bytes}` : '';
      out.push(`      table=${e.flow.table} ${formatFlowRule(e.flow)}${c.dim(counters)}`);
    }
  }
  return out;
}

function hostLines(h: Host, c: Colors): string[] {
  const out: string[] = [];
  out.push(c.bold(`host ${h.name}`) + (h.ovsVersion ? `  (Open vSwitch ${h.ovsVersion})` : ''));
  for (const b of h.bridges) out.push(...bridgeLines(b, c));
  if (h.unplacedInterfaces.length > 0) {
    out.push('  interfaces in OVSDB on no bridge the case shows:');
    out.push(
      `    ${h.unplacedInterfaces.map((i) => `${i.name} (ofport ${factText(i.ofport, (v) => (v === null ? '[]' : String(v)))})`).join(', ')}`,
    );
  }
  if (h.devices) {
    const devs = h.devices.map((d) => {
      const a = d.addresses.filter((x) => x.family === 'inet').map((x) => `${x.address}/${x.prefixlen}`);
      return `${d.name}${d.up ? '' : ' (down)'}${a.length ? ` ${a.join(' ')}` : ''}`;
    });
    out.push(`  devices: ${devs.join(', ')}`);
  }
  for (const ns of h.namespaces) {
    out.push(`  namespace ${ns.name}${ns.id !== undefined ? ` (id ${ns.id})` : ''}`);
    if (!ns.devices) out.push(`    ${c.dim('devices not collected')}`);
    else
      for (const d of ns.devices) {
        const addrs = d.addresses
          .filter((a) => a.family === 'inet')
          .map((a) => `${a.address}/${a.prefixlen}`);
        out.push(
          `    ${d.name.padEnd(16)} ${d.up ? 'UP  ' : 'DOWN'} ${d.mac ?? ''} ${addrs.join(' ')}`.trimEnd(),
        );
      }
  }
  for (const g of h.gaps) out.push(`  ${c.dim(`gap: ${g}`)}`);
  return out;
}

export function formatSnapshot(s: Snapshot, c: Colors): string {
  const out: string[] = [];
  const nfiles = s.hosts.reduce((n, h) => n + h.files.length, 0);
  out.push(`snapshot of ${s.source}: ${s.hosts.length} host(s), ${nfiles} file(s) read`);
  out.push('');
  for (const h of s.hosts) {
    out.push(...hostLines(h, c));
    out.push('');
  }
  if (s.links.length > 0) {
    out.push(c.bold('links'));
    for (const l of s.links)
      out.push(
        `  ${l.a.host}:${l.a.iface} <-> ${l.b.host}:${l.b.iface}  (${l.inferred ? 'inferred from domid, ' : ''}${where(l.from)})`,
      );
    out.push('');
  }
  if (s.diagnostics.length > 0) {
    out.push(c.bold('diagnostics'));
    for (const d of s.diagnostics)
      out.push(`  ${d.severity}: ${where({ file: d.file, line: d.line })}: ${d.message}`);
  }
  return out.join('\n').trimEnd();
}
