// Who is who on a bridge: the VM ports and the DHCP servers (qdhcp namespaces) of a case.
// Below the dataplane and the doctor: the trace names its default targets with it, capture plans
// its points with it, diagnose checks them.
import type { Bridge, Host, Namespace, NetDevice, Port, Snapshot } from './snapshot.ts';

export interface VmPort {
  host: Host;
  bridge: Bridge;
  port: Port;
  mac?: string;
}

export interface DhcpServer {
  host: Host;
  ns: Namespace;
  device: NetDevice;
  /** The OVS port the server hangs off (the tap itself, or the tap end of a veth pair). */
  ovs?: { bridge: Bridge; port: Port };
  veth: boolean;
}

function ovsPortOf(h: Host, name: string): { bridge: Bridge; port: Port } | undefined {
  for (const b of h.bridges)
    for (const p of b.ports)
      if (p.name === name || p.interfaces.some((i) => i.name === name)) return { bridge: b, port: p };
  return undefined;
}

/** VM ports: XenServer vif<domid>.<n>, or ports carrying Neutron's attached-mac; not wires to other hosts of the case. */
export function findVms(s: Snapshot, filter?: string): VmPort[] {
  // Wires between two OVS ports are uplinks (DomU's eth1 as Dom0's vif15.1); a wire to a plain
  // device (a VM's eth0) leaves the VM port a VM port.
  const isOvsPort = (host: string, name: string): boolean =>
    s.hosts.some(
      (h) =>
        h.name === host &&
        h.bridges.some((b) =>
          b.ports.some((p) => p.name === name || p.interfaces.some((i) => i.name === name)),
        ),
    );
  const uplinks = s.links.filter((l) => isOvsPort(l.a.host, l.a.iface) && isOvsPort(l.b.host, l.b.iface));
  const wired = new Set(uplinks.flatMap((l) => [`${l.a.host}:${l.a.iface}`, `${l.b.host}:${l.b.iface}`]));
  const out: VmPort[] = [];
  for (const h of s.hosts) {
    const inNs = new Set(h.namespaces.flatMap((n) => (n.devices ?? []).map((d) => d.name)));
    for (const b of h.bridges)
      for (const p of b.ports) {
        const i = p.interfaces[0];
        const ids = i?.externalIds.known ? i.externalIds.value : {};
        const mac = ids['attached-mac'];
        const xen = /^vif\d+\.\d+$/.test(p.name);
        if (!xen && !mac) continue;
        if (
          wired.has(`${h.name}:${p.name}`) ||
          inNs.has(p.name) ||
          (/^tap/.test(p.name) && inNs.has(`ns-${p.name.slice(3)}`))
        )
          continue;
        if (filter && filter !== p.name && filter !== mac && filter !== ids['iface-id']) continue;
        out.push({ host: h, bridge: b, port: p, ...(mac ? { mac } : {}) });
      }
  }
  return out;
}

export function findServers(s: Snapshot): DhcpServer[] {
  const out: DhcpServer[] = [];
  for (const h of s.hosts)
    for (const ns of h.namespaces) {
      if (!ns.name.startsWith('qdhcp-')) continue;
      for (const d of ns.devices ?? []) {
        if (d.name === 'lo') continue;
        const veth = d.name.startsWith('ns-');
        const ovs = ovsPortOf(h, veth ? `tap${d.name.slice(3)}` : d.name);
        out.push({ host: h, ns, device: d, veth, ...(ovs ? { ovs } : {}) });
      }
    }
  return out;
}
