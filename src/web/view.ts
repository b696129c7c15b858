// What the page draws, derived from the Snapshot and the diagnosis (never from printed text):
// the topology graph (hosts as groups; bridges; ports with their tag; patch pairs; wires between
// hosts; tunnels; namespaces with their devices; VMs), per-bridge flow tables with counters, and
// which graph elements each finding concerns. Served as GET /api/view and inlined in the report.

import { givenMacPort } from '../doctor/context.ts';
import type { Finding } from '../doctor/finding.ts';
import type { Evidence, Fact } from '../model/evidence.ts';
import { findServers, findVms } from '../model/roles.ts';
import type { BridgeFlows, FlowEntry, Host, Port, Snapshot } from '../model/snapshot.ts';
import { formatFlowRule } from '../openflow/flow.ts';
import type { DiagnosisJson } from './adapt.ts';

export type NodeKind = 'host' | 'bridge' | 'port' | 'namespace' | 'device' | 'vm' | 'remote';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  parent?: string;
  host: string;
  bridge?: string;
  name: string;
  /** Shown on the graph: the name, then the tag ("tag 1", "no tag", "tag ?"), addresses... */
  label: string;
  /** Port VLAN: a number, null for no tag, undefined when the case does not say. */
  tag?: number | null;
  tagText?: string;
  trunks?: number[];
  type?: string;
  /** MAC, iface-id, attached-mac, addresses: what search matches besides the name. */
  keys: string[];
  from?: Evidence[];
}

export interface GraphEdge {
  id: string;
  kind: 'member' | 'patch' | 'wire' | 'tunnel' | 'attach';
  source: string;
  target: string;
  label?: string;
}

export interface FlowRow {
  table: number;
  priority: number;
  rule: string;
  n_packets: number | null;
  line: number;
}

export interface BridgeFlowsView {
  host: string;
  bridge: string;
  file: string | null;
  complete: boolean;
  /** Why there are no flows (no dump in the case). */
  why?: string;
  rows: FlowRow[];
  /** A big dump read as an index: how many flows it has (`rows` are those traces looked up). */
  total?: number;
}

export interface VmRef {
  host: string;
  bridge: string;
  port: string;
  id: string;
  mac?: string;
}

export interface View {
  case: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  flows: Record<string, BridgeFlowsView>;
  vms: VmRef[];
  /** The VM port under investigation (`host:port`): the one the first error concerns, else the first VM. */
  focus: string | null;
  /** The OVS port (`host:port`) each DHCP server hangs off: where an OFFER enters. */
  servers: string[];
  /** Graph node ids per finding, in the order of diagnosis.findings. */
  findingTargets: string[][];
  diagnostics: { file: string; line: number; message: string }[];
}

function factValue<T>(f: Fact<T> | undefined): T | undefined {
  return f?.known ? f.value : undefined;
}

export function tagText(p: Port): { tag?: number | null; text: string } {
  if (!p.tag.known) return { text: 'tag ?' };
  return p.tag.value === null
    ? { tag: null, text: 'no tag' }
    : { tag: p.tag.value, text: `tag ${p.tag.value}` };
}

/** Stable, selector-free ids: the page looks elements up by key, never by name in a selector. */
export function nodeKey(kind: NodeKind, host: string, ...rest: string[]): string {
  return [kind, host, ...rest].join('\u0000');
}

const flowRow = (e: FlowEntry): FlowRow => ({
  table: e.flow.table ?? 0,
  priority: e.flow.priority ?? 32768,
  rule: formatFlowRule(e.flow),
  n_packets: e.flow.stats.n_packets ?? null,
  line: e.from.line,
});

/**
 * A bridge's flows for the page. A big dump read as an index: the flows traces looked up, as of
 * when the view is sent (the report's traces run after the view is built), and how many it has.
 */
function flowsView(host: string, bridge: string, fl: BridgeFlows): BridgeFlowsView {
  const v: BridgeFlowsView = { host, bridge, file: fl.file, complete: fl.complete, rows: [] };
  const lookup = fl.lookup;
  if (!lookup) {
    v.rows = fl.entries.map(flowRow);
    return v;
  }
  v.total = lookup.count;
  Object.defineProperty(v, 'rows', { enumerable: true, get: () => lookup.seen().map(flowRow) });
  return v;
}

export function buildView(s: Snapshot, d: DiagnosisJson, opts: { vm?: string; mac?: string } = {}): View {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const byKey = new Map<string, string>();
  const add = (key: string, n: Omit<GraphNode, 'id'>): string => {
    const have = byKey.get(key);
    if (have) return have;
    const id = `n${nodes.length}`;
    byKey.set(key, id);
    nodes.push({ id, ...n });
    return id;
  };
  const edge = (kind: GraphEdge['kind'], source: string, target: string, label?: string): void => {
    edges.push({ id: `e${edges.length}`, kind, source, target, ...(label ? { label } : {}) });
  };
  const flows: Record<string, BridgeFlowsView> = {};
  /** OVS port or interface name → port node id, per host. */
  const portIds = new Map<string, string>();
  const deviceOf = (h: string, name: string): string | undefined =>
    portIds.get(`${h}\u0000${name}`) ?? byKey.get(nodeKey('device', h, name));

  for (const h of s.hosts) {
    const hostId = add(nodeKey('host', h.name), {
      kind: 'host',
      host: h.name,
      name: h.name,
      label: h.name,
      keys: [],
    });
    for (const b of h.bridges) {
      const fm = factValue(b.failMode);
      const bid = add(nodeKey('bridge', h.name, b.name), {
        kind: 'bridge',
        parent: hostId,
        host: h.name,
        bridge: b.name,
        name: b.name,
        label: `${b.name}${fm ? ` (${fm})` : ''}`,
        keys: b.dpid ? [b.dpid] : [],
        from: b.from,
      });
      const fl = factValue(b.flows);
      flows[bid] = fl
        ? flowsView(h.name, b.name, fl)
        : {
            host: h.name,
            bridge: b.name,
            file: null,
            complete: false,
            why: b.flows.known ? '' : b.flows.why,
            rows: [],
          };
      for (const p of b.ports) {
        const i = p.interfaces[0];
        const type = factValue(i?.type) ?? '';
        const ids = factValue(i?.externalIds) ?? {};
        const t = tagText(p);
        const trunks = factValue(p.trunks) ?? [];
        const extra = type && type !== 'internal' && type !== 'system' ? ` ${type}` : '';
        const label = `${p.name}\n${t.text}${trunks.length ? ` trunks ${trunks.join(',')}` : ''}${extra}`;
        const keys = [
          i?.mac,
          ids['attached-mac'],
          ids['iface-id'],
          ...(p.interfaces.map((x) => x.name) ?? []),
        ]
          .filter((x): x is string => !!x && x !== p.name)
          .map((x) => x.toLowerCase());
        const pid = add(nodeKey('port', h.name, b.name, p.name), {
          kind: 'port',
          parent: hostId,
          host: h.name,
          bridge: b.name,
          name: p.name,
          label,
          ...(t.tag !== undefined ? { tag: t.tag } : {}),
          tagText: t.text,
          ...(trunks.length ? { trunks } : {}),
          ...(type ? { type } : {}),
          keys,
          from: p.from,
        });
        portIds.set(`${h.name}\u0000${p.name}`, pid);
        for (const x of p.interfaces) portIds.set(`${h.name}\u0000${x.name}`, pid);
        edge('member', bid, pid);
      }
    }
    for (const ns of h.namespaces) {
      const devs = (ns.devices ?? []).filter((x) => x.name !== 'lo');
      const addrs = devs.flatMap((x) =>
        x.addresses.filter((a) => a.family === 'inet').map((a) => `${x.name} ${a.address}/${a.prefixlen}`),
      );
      const nsId = add(nodeKey('namespace', h.name, ns.name), {
        kind: 'namespace',
        parent: hostId,
        host: h.name,
        name: ns.name,
        label: [ns.name, ...(ns.devices ? addrs : ['(devices not collected)'])].join('\n'),
        keys: devs.flatMap((x) =>
          [x.name, x.mac ?? '', ...x.addresses.map((a) => a.address)].filter(Boolean),
        ),
        from: ns.from,
      });
      for (const dev of devs) {
        // The tap itself moved into the namespace, or Neutron's veth pair tap<id> ↔ ns-<id>.
        const ovs =
          portIds.get(`${h.name}\u0000${dev.name}`) ??
          (dev.name.startsWith('ns-') ? portIds.get(`${h.name}\u0000tap${dev.name.slice(3)}`) : undefined);
        if (ovs) edge('attach', ovs, nsId, dev.up ? undefined : `${dev.name} DOWN`);
      }
    }
  }
  // VMs: a node beside each VM port.
  // The one --vm names (by name, host:port, MAC or iface-id): a VM even when only named so.
  const named = opts.vm !== undefined ? findVms(s, opts.vm) : [];
  const vmPorts = [...findVms(s), ...named.filter((v) => v.named)];
  // --mac: the MAC of the one VM port it is of, where the case gives none.
  const given = opts.mac !== undefined ? givenMacPort(s, opts.mac, opts.vm) : undefined;
  const vms: VmRef[] = [];
  for (const found of vmPorts) {
    const vm = given?.from === `${found.host.name}:${found.port.name}` ? { ...found, mac: given.mac } : found;
    const pid = portIds.get(`${vm.host.name}\u0000${vm.port.name}`);
    if (!pid) continue;
    const dom = /^vif(\d+)\./.exec(vm.port.name)?.[1];
    const vid = add(nodeKey('vm', vm.host.name, vm.port.name), {
      kind: 'vm',
      parent: byKey.get(nodeKey('host', vm.host.name))!,
      host: vm.host.name,
      name: `VM ${vm.port.name}`,
      label: `VM${dom ? ` (domid ${dom})` : ''}${vm.mac ? `\n${vm.mac}` : ''}`,
      keys: vm.mac ? [vm.mac.toLowerCase()] : [],
    });
    edge('attach', vid, pid);
    vms.push({
      host: vm.host.name,
      bridge: vm.bridge.name,
      port: vm.port.name,
      id: pid,
      ...(vm.mac ? { mac: vm.mac } : {}),
    });
  }
  const hostIdOf = (h: string): string =>
    byKey.get(nodeKey('host', h)) ??
    add(nodeKey('host', h), { kind: 'host', host: h, name: h, label: `${h} (not collected)`, keys: [] });
  const endOf = (h: string, iface: string): string =>
    deviceOf(h, iface) ??
    add(nodeKey('device', h, iface), {
      kind: 'device',
      parent: hostIdOf(h),
      host: h,
      name: iface,
      label: iface,
      keys: [],
    });
  for (const l of s.links) {
    edge(
      'wire',
      endOf(l.a.host, l.a.iface),
      endOf(l.b.host, l.b.iface),
      l.inferred ? 'wire (inferred)' : 'wire',
    );
  }
  // Patch pairs and tunnels, from interface options.
  const localIps = new Map<string, Host>();
  for (const h of s.hosts)
    for (const b of h.bridges)
      for (const p of b.ports)
        for (const i of p.interfaces) {
          const o = factValue(i.options);
          if (o?.local_ip) localIps.set(o.local_ip, h);
        }
  for (const h of s.hosts) {
    for (const d of [...(h.devices ?? []), ...h.namespaces.flatMap((n) => n.devices ?? [])])
      for (const a of d.addresses) if (!localIps.has(a.address)) localIps.set(a.address, h);
  }
  const seenPatch = new Set<string>();
  for (const h of s.hosts)
    for (const b of h.bridges)
      for (const p of b.ports)
        for (const i of p.interfaces) {
          const o = factValue(i.options) ?? {};
          const type = factValue(i.type) ?? '';
          const me = portIds.get(`${h.name}\u0000${p.name}`)!;
          if (o.peer) {
            const peer = portIds.get(`${h.name}\u0000${o.peer}`);
            const key = [me, peer ?? o.peer].sort().join('|');
            if (seenPatch.has(key)) continue;
            seenPatch.add(key);
            edge('patch', me, peer ?? endOf(h.name, o.peer), 'patch');
          } else if (o.remote_ip) {
            const far = localIps.get(o.remote_ip);
            const target =
              far && far.name !== h.name
                ? hostIdOf(far.name)
                : add(nodeKey('remote', h.name, o.remote_ip), {
                    kind: 'remote',
                    host: h.name,
                    name: o.remote_ip,
                    label: `${o.remote_ip} (not in the case)`,
                    keys: [o.remote_ip],
                  });
            edge('tunnel', me, target, `${type || 'tunnel'} ${o.remote_ip}${o.key ? ` key ${o.key}` : ''}`);
          }
        }

  const findingTargets = d.findings.map((f) => targetsOf(f, s, byKey));
  const errorVm = d.findings.find((f) => f.severity === 'error')?.subject;
  const wanted = opts.vm
    ? vms.find((v) => named.some((n) => n.host.name === v.host && n.port.name === v.port))
    : (vms.find((v) => errorVm !== undefined && (errorVm.endsWith(`:${v.port}`) || errorVm === v.port)) ??
      vms[0]);
  return {
    case: s.source,
    nodes,
    edges,
    flows,
    vms,
    focus: wanted ? `${wanted.host}:${wanted.port}` : null,
    servers: [
      ...new Set(findServers(s).flatMap((x) => (x.ovs ? [`${x.host.name}:${x.ovs.port.name}`] : []))),
    ],
    findingTargets,
    diagnostics: s.diagnostics.map((x) => ({
      file: x.file,
      line: x.line ?? 0,
      message: x.message,
    })),
  };
}

/** The graph elements a finding concerns: its subject (`host:bridge:port`, `host:name`) and the bridges its evidence quotes flows of. */
function targetsOf(f: Finding, s: Snapshot, byKey: Map<string, string>): string[] {
  const out = new Set<string>();
  const parts = f.subject.split(':');
  const host = s.hosts.find((h) => h.name === parts[0]);
  if (host) {
    const rest = parts.slice(1);
    const names = rest.length ? rest : [];
    if (names.length === 0) {
      const id = byKey.get(nodeKey('host', host.name));
      if (id) out.add(id);
    }
    for (const b of host.bridges) {
      if (names.includes(b.name)) out.add(byKey.get(nodeKey('bridge', host.name, b.name))!);
      for (const p of b.ports)
        if (names.includes(p.name) && (names.length === 1 || names.includes(b.name)))
          out.add(byKey.get(nodeKey('port', host.name, b.name, p.name))!);
    }
    for (const ns of host.namespaces)
      if (names.includes(ns.name) || (ns.devices ?? []).some((x) => names.includes(x.name)))
        out.add(byKey.get(nodeKey('namespace', host.name, ns.name))!);
  }
  for (const e of f.evidence) {
    if (!e.file) continue;
    const m = /^([^/]+)\/.*dump-flows_(.+)$/.exec(e.file);
    if (!m) continue;
    const id = byKey.get(nodeKey('bridge', m[1]!, m[2]!));
    if (id) out.add(id);
  }
  return [...out].filter(Boolean);
}
