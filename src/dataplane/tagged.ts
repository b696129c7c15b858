// A frame that reaches its target's port tagged. NORMAL on a port without tag (a trunk of every
// VLAN) keeps the 802.1Q header, which is what OVS does; but an ordinary receiver (a guest's eth0,
// a DHCP tap) has no VLAN interface and ignores the frame. So "delivered" alone would say more
// than the trace proves: the printers and diagnose say how it arrives.
import { findPort, type Snapshot } from '../model/snapshot.ts';
import { endpointIs, type TraceResult } from './tree.ts';

export interface TaggedArrival {
  host: string;
  /** The OVS port the frame leaves by, tagged. */
  port: string;
  vlan: number;
  /** What the case says of the port's own tag: none, or not in the case (taken as none). */
  portTag: 'none' | 'unknown';
  /** A VM's device is behind it (its guest receives), else a namespace's or a host's. */
  guest: boolean;
}

/** Every output to one of the trace's targets that leaves tagged (one per port and VLAN). */
export function taggedArrivals(s: Snapshot, t: TraceResult): TaggedArrival[] {
  if (!t.target?.length) return [];
  const out: TaggedArrival[] = [];
  for (const o of t.outputs) {
    if (o.vlan === null || !t.target.some((x) => endpointIs(o, x))) continue;
    if (out.some((x) => x.host === o.host && x.port === o.port && x.vlan === o.vlan)) continue;
    const h = s.hosts.find((x) => x.name === o.host);
    const tag = h ? findPort(h, o.port)?.port.tag : undefined;
    out.push({
      host: o.host,
      port: o.port,
      vlan: o.vlan,
      portTag: tag?.known && tag.value === null ? 'none' : 'unknown',
      guest: o.endpoint.kind === 'vm',
    });
  }
  return out;
}

/** "reaches vif16.0 tagged VLAN 1 (the port has no tag: …)" (`host`: dom0:vif16.0); names as given: the caller escapes. */
export function taggedText(a: TaggedArrival, o: { host?: boolean } = {}): string {
  const why =
    a.portTag === 'none'
      ? 'the port has no tag'
      : "the case does not give the port's tag; the trace took it as none";
  return `reaches ${o.host ? `${a.host}:` : ''}${a.port} tagged VLAN ${a.vlan} (${why}: ${a.guest ? 'the guest' : 'the receiver'} sees an 802.1Q frame and ignores it unless it runs a VLAN interface)`;
}
