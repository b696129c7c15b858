// Shared reading of a trace's drop: the flow, its counters and where it was found.
import type { TraceResult } from '../../dataplane/trace.ts';
import { resolver, type World } from '../../dataplane/world.ts';
import { inPortCandidates } from '../../model/flows.ts';
import type { FlowEntry } from '../../model/snapshot.ts';
import { formatFieldValue } from '../../openflow/fields.ts';
import type { Flow, PortRef } from '../../openflow/types.ts';
import type { EvidenceItem } from '../finding.ts';
import { evid } from './check.ts';

export function dropEvidence(t: TraceResult, what: string): EvidenceItem[] {
  const d = t.drop;
  if (!d) return [];
  const where = `${d.host} ${d.bridge}${d.table !== null ? ` table ${d.table}` : ''}`;
  if (d.flow)
    return [
      evid(
        `${what} is dropped on ${where} by \`${d.flow}\`${d.n_packets !== undefined ? ` (n_packets=${d.n_packets})` : ''}`,
        d.entry?.from,
      ),
    ];
  return [evid(`${what} is dropped on ${where}: ${d.reason.text}`)];
}

export function dropText(t: TraceResult): string {
  const d = t.drop;
  if (!d) return 'is not delivered';
  return d.flow
    ? `dies on ${d.host} ${d.bridge} at \`${d.flow}\`${d.n_packets !== undefined ? ` (n_packets=${d.n_packets})` : ''}`
    : `dies on ${d.host} ${d.bridge}: ${d.reason.text}`;
}

/** What a flow's match says of the (outer) VLAN: nothing, no tag, one VLAN id, or what this cannot read. */
export type VlanMatch =
  | { kind: 'any' }
  | { kind: 'untagged' }
  | { kind: 'vid'; vid: number }
  | { kind: 'unreadable'; text: string };

const CFI = 0x1000;
const VID_CFI = 0x1fff;

/**
 * The VLAN a flow matches: dl_vlan (0xffff: no tag), vlan_vid (OFPVID_PRESENT 0x1000 | VID) and
 * vlan_tci (CFI 0x1000 | VID, PCP above) read as one VLAN id only when the mask fixes all 12 VID
 * bits and the CFI/present bit; a mask that fixes the bit clear is no tag; anything else (a partial
 * mask, two VLAN fields) is unreadable, never guessed.
 */
export function vlanMatchOf(f: Flow): VlanMatch {
  let out: VlanMatch = { kind: 'any' };
  for (const m of f.match) {
    if (m.kind !== 'field' || (m.field !== 'dl_vlan' && m.field !== 'vlan_vid' && m.field !== 'vlan_tci'))
      continue;
    const text = `${m.field}=${formatFieldValue(m.value)}`;
    let here: VlanMatch;
    if (m.value.t !== 'int') here = { kind: 'unreadable', text };
    else if (m.field === 'dl_vlan')
      here =
        m.value.m !== undefined
          ? { kind: 'unreadable', text }
          : m.value.v === 0xffff
            ? { kind: 'untagged' }
            : { kind: 'vid', vid: m.value.v & 0xfff };
    else {
      const mask = m.value.m ?? 0xffff;
      const v = m.value.v;
      if ((mask & CFI) !== 0 && (v & CFI) === 0)
        here = (v & mask) === 0 ? { kind: 'untagged' } : { kind: 'unreadable', text };
      else if ((mask & VID_CFI) === VID_CFI) here = { kind: 'vid', vid: v & 0xfff };
      else here = { kind: 'unreadable', text };
    }
    if (out.kind !== 'any') return { kind: 'unreadable', text: `${text} beside another VLAN match` };
    out = here;
  }
  return out;
}

/** The VLAN id a flow matches, if it matches exactly one (dl_vlan, vlan_vid or vlan_tci). */
export function vlanOf(f: Flow): number | undefined {
  const v = vlanMatchOf(f);
  return v.kind === 'vid' ? v.vid : undefined;
}

const DHCP_PORTS = new Set([67, 68]);
const L4_PORT_FIELDS = new Set(['tp_src', 'tp_dst', 'udp_src', 'udp_dst']);

/** The flow matches UDP to or from a DHCP port (67/68), by its parsed match. */
export function matchesDhcp(f: Flow): boolean {
  const udp = f.match.some(
    (m) =>
      (m.kind === 'shorthand' && (m.name === 'udp' || m.name === 'udp6')) ||
      (m.kind === 'field' && m.field === 'nw_proto' && m.value.t === 'int' && m.value.v === 17),
  );
  const port = f.match.some(
    (m) =>
      m.kind === 'field' &&
      L4_PORT_FIELDS.has(m.field) &&
      m.value.t === 'int' &&
      m.value.m === undefined &&
      DHCP_PORTS.has(m.value.v),
  );
  return udp && port;
}

/** `priority=N,in_port=P actions=drop`: Neutron's per-port drop (the only match is the port). */
export function isPortDrop(f: Flow): boolean {
  return (
    f.match.length === 1 &&
    inPortOf(f) !== undefined &&
    f.actions.length === 1 &&
    f.actions[0]!.type === 'drop'
  );
}

/** The in_port a flow matches, as dumped (a number or a port name). */
export function inPortOf(f: Flow): string | undefined {
  const m = f.match.find((x) => x.kind === 'field' && x.field === 'in_port');
  return m?.kind === 'field' ? formatFieldValue(m.value) : undefined;
}

/** The VLAN translation flows beside a trace's drop, and whether they are all this can read. */
export interface Translations {
  /** Flows of the dropping bridge on the drop's in_port that match one VLAN id, with it. */
  flows: { entry: FlowEntry; vlan: number }[];
  /**
   * A flow that may be on that in_port with a VLAN match this cannot read, or one naming an
   * in_port the bridge's ports do not resolve: the VLANs that port may bring in are not known.
   */
  unknown?: { entry: FlowEntry; why: string };
}

/**
 * The VLAN translation flows beside a trace's drop: flows of the dropping bridge that match the
 * same in_port as the dropping flow (a number or a name, both resolved to the OpenFlow port by
 * the bridge's ports) and a VLAN id (the VLANs that port may bring in).
 */
export function translations(w: World, t: TraceResult): Translations {
  const d = t.drop;
  const s = w.snapshot;
  const b = s.hosts.find((h) => h.name === d?.host)?.bridges.find((x) => x.name === d?.bridge);
  const rb = w.bridges.find((x) => x.host === d?.host && x.name === d?.bridge);
  if (!d?.entry || !b?.flows.known) return { flows: [] };
  const resolve = rb ? resolver(rb) : () => undefined;
  const portOf = (f: Flow): { ref?: PortRef; n?: number } => {
    const m = f.match.find((x) => x.kind === 'field' && x.field === 'in_port');
    if (m?.kind !== 'field') return {};
    const ref: PortRef | undefined =
      m.value.t === 'port'
        ? m.value.port
        : m.value.t === 'int'
          ? { kind: 'number', n: m.value.v }
          : undefined;
    const n = ref ? resolve(ref) : undefined;
    return { ...(ref ? { ref } : {}), ...(n !== undefined ? { n } : {}) };
  };
  const dropPort = portOf(d.entry.flow);
  const written = inPortOf(d.entry.flow);
  if (!dropPort.ref || written === undefined) return { flows: [] };
  const out: Translations = { flows: [] };
  // The index gives the lines with that decimal in_port and every line naming a port.
  const key = dropPort.n !== undefined ? String(dropPort.n) : written;
  for (const e of inPortCandidates(b.flows.value, [key])) {
    const p = portOf(e.flow);
    if (!p.ref) continue;
    const same =
      dropPort.n !== undefined && p.n !== undefined ? p.n === dropPort.n : inPortOf(e.flow) === written;
    const v = vlanMatchOf(e.flow);
    if (v.kind === 'any' || v.kind === 'untagged') continue;
    if (!same) {
      // A port name the bridge does not resolve may be the drop's port; so may a number no port
      // of the bridge has while some have no known number (dataplane/world.ts resolver).
      if (p.n === undefined && (p.ref.kind === 'name' || p.ref.kind === 'number') && !out.unknown)
        out.unknown = {
          entry: e,
          why:
            p.ref.kind === 'name'
              ? `its in_port ${p.ref.name} is no port the case gives this bridge`
              : `its in_port ${inPortOf(e.flow)} is a number the case gives no port of this bridge`,
        };
      continue;
    }
    if (v.kind === 'vid') out.flows.push({ entry: e, vlan: v.vid });
    else if (!out.unknown)
      out.unknown = { entry: e, why: `its VLAN match ${v.text} fixes no single VLAN id` };
  }
  return out;
}
