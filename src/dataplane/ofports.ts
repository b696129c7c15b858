// Ports the case names without their OpenFlow port number. Pasted `ovs-vsctl show` and
// `ovs-ofctl dump-flows` outputs name every port but number none (`ovs-ofctl show <bridge>` does),
// and the trace world holds a port only with its number (flows match and output by number). A
// trace that starts at such a port, or sends the packet to one, cannot know what happens there:
// it is not followed, the branch is not proven, and the assumption names the command that gives
// the numbers. A port known to have no number (OVSDB `[]`, -1: OVS could not open the device, or
// absent from the bridge's `ovs-ofctl show` in the case, which lists every OpenFlow port) is a
// fact, not an unknown, unless that `ovs-ofctl show` is an excerpt.
import {
  type Bridge,
  excerptCut,
  findExcerpt,
  type Host,
  type Interface,
  type Port,
} from '../model/snapshot.ts';
import { operands } from '../runner/runner.ts';
import type { Assumption, Uncertainty } from './tree.ts';

export interface Unnumbered {
  bridge: Bridge;
  port: Port;
  iface: Interface;
  /** The bridge's host, when known (an excerpt of its `ovs-ofctl show` lists only some ports). */
  host?: Host;
}

const cache = new WeakMap<Bridge, Unnumbered[]>();

/**
 * Was the bridge's `ovs-ofctl show` read whole? It lists every OpenFlow port, LOCAL always; an
 * excerpt of it (a paste with `...`) may leave out a port that has a number.
 */
function ofctlShown(b: Bridge, h: Host | undefined): boolean {
  if (h && findExcerpt(h, 'ofctl-show', b.name)) return false;
  return b.ports.some((p) => p.interfaces.some((i) => i.ofctl));
}

/** An output a bridge's ports are known from that may leave some out: where, how, and what gives it whole. */
export interface PortsCut {
  file: string;
  /** How it is cut: `lines left out at line 4`, `filtered by \`grep tag\``, no LOCAL port. */
  cut: string;
  collect: string;
}

const OFPP_LOCAL = 65534;

/**
 * The outputs a bridge's ports are known from, when its port list may lack ports: its `ovs-ofctl
 * show` cut (an excerpt, or one without the LOCAL port, which a whole one always lists: a port
 * with a number may be left out), and a cut OVSDB output (`ovs-vsctl show`, whose ports then lack
 * their tags too) when the first is cut or absent. [] when the case lists every port.
 */
export function portsCut(b: Bridge | undefined, h: Host | undefined): PortsCut[] {
  if (!b || !h) return [];
  const out: PortsCut[] = [];
  const ofctl = findExcerpt(h, 'ofctl-show', b.name);
  const shown = b.ports.flatMap((p) => p.interfaces.filter((i) => i.ofctl));
  if (ofctl) out.push({ file: ofctl.file, cut: excerptCut(ofctl), collect: ofctl.collect });
  else if (shown.length && !shown.some((i) => i.ofport.known && i.ofport.value === OFPP_LOCAL))
    out.push({
      file: shown[0]!.ofctl!.from.file,
      cut: 'no LOCAL port, which a whole `ovs-ofctl show` always lists',
      collect: `ovs-ofctl show ${operands(b.name)}`,
    });
  // The cut OVSDB output that lists the bridge's ports (`ovs-vsctl show`) first, else any.
  const cuts = (h.excerpts ?? []).filter((x) => x.of === 'ovsdb');
  const ovsdb = cuts.find((x) => x.collect === 'ovs-vsctl show') ?? cuts[0];
  if (ovsdb && (out.length || !shown.length))
    out.push({ file: ovsdb.file, cut: excerptCut(ovsdb), collect: ovsdb.collect });
  return out;
}

/** The interfaces of a bridge (of host h) whose OpenFlow port number the case does not give. */
export function unnumbered(b: Bridge | undefined, h?: Host): Unnumbered[] {
  if (!b || ofctlShown(b, h)) return [];
  let l = cache.get(b);
  if (!l) {
    l = [];
    for (const port of b.ports)
      for (const iface of port.interfaces)
        if (!iface.ofport.known) l.push({ bridge: b, port, iface, ...(h ? { host: h } : {}) });
    cache.set(b, l);
  }
  return l;
}

export function isUnnumbered(u: Unnumbered): boolean {
  return unnumbered(u.bridge, u.host).some((x) => x.iface === u.iface);
}

/** Why a port the world does not hold has no OpenFlow port, when the case says so. */
export function noOpenFlowPort(u: Unnumbered): string {
  const o = u.iface.ofport;
  if (!o.known) return `\`ovs-ofctl show ${u.bridge.name}\` in the case does not list it`;
  return o.value === null
    ? 'OVSDB ofport is [], none assigned'
    : `ofport ${o.value}: OVS could not open the device`;
}

/** An interface (or single-interface port) of the host by name, whatever its ofport. */
export function findInterface(h: Host | undefined, name: string): Unnumbered | undefined {
  for (const bridge of h?.bridges ?? [])
    for (const port of bridge.ports)
      for (const iface of port.interfaces)
        if (iface.name === name || (port.name === name && port.interfaces.length === 1))
          return { bridge, port, iface, ...(h ? { host: h } : {}) };
  return undefined;
}

/** The command that gives a bridge's OpenFlow port numbers. */
export function ofportRemedy(host: string, bridge: string): string {
  return `ovs-ofctl show ${operands(bridge)}   # on ${host}: the OpenFlow port numbers`;
}

function names(l: readonly string[]): string {
  return l.length > 6 ? `${l.slice(0, 6).join(', ')}, … (${l.length})` : l.join(', ');
}

/** What the trace did not follow, said once per bridge and ports. */
export function ofportAssumption(host: string, bridge: string, ports: readonly string[]): Assumption {
  return {
    code: 'ofport-unknown',
    text: `${host}:${bridge}: the case gives no OpenFlow port number for ${names(ports)} (\`ovs-vsctl show\` and \`dump-flows\` do not give ${ports.length === 1 ? 'it' : 'them'}); the trace does not follow the packet through ${ports.length === 1 ? 'it' : 'them'}`,
    remedy: ofportRemedy(host, bridge),
  };
}

export function ofportUncertainty(text: string, remedy?: string): Uncertainty {
  return { code: 'ofport-unknown', text, ...(remedy ? { remedy } : {}) };
}

/** The interface's own error (a device OVS could not open), for messages. */
export function ifaceError(i: Interface): string {
  return i.error ? ` (OVSDB error: ${i.error.text})` : '';
}

export { names as portList };

/**
 * A port the case knows only by its name in a bridge's flows (`in_port="qvo899ffb14-e4"`, or an
 * output to it, as ovs-ofctl prints ports with --names, OVS ≥ 2.8 by default): that name proves a
 * port of that bridge, not its OpenFlow port number. The first flow naming it, with its file and
 * line; undefined when no flow of the host names it (or two bridges' flows do).
 */
export function namedInFlows(
  h: Host | undefined,
  name: string,
): { bridge: Bridge; from: { file: string; line: number } } | undefined {
  const hits: { bridge: Bridge; from: { file: string; line: number } }[] = [];
  for (const bridge of h?.bridges ?? []) {
    const f = bridge.flows.known ? bridge.flows.value : undefined;
    if (!f) continue;
    const names = (ref: unknown): boolean => {
      const r = ref as { kind?: string; name?: string } | undefined;
      return r?.kind === 'name' && r.name === name;
    };
    const e = f.entries.find(
      (x) =>
        x.flow.match.some((m) => 'value' in m && m.value.t === 'port' && names(m.value.port)) ||
        x.flow.actions.some((a) => 'port' in a && names((a as { port?: unknown }).port)),
    );
    if (e) hits.push({ bridge, from: { file: e.from.file, line: e.from.line } });
  }
  return hits.length === 1 ? hits[0] : undefined;
}
