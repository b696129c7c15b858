// The DHCP probes diagnose and capture trace, as Packet values built from the case's facts (the
// VM's MAC, the server's MAC and address), never as text to be parsed again.
import type { DhcpServer, VmPort } from '../model/roles.ts';
import { parseIpv4Only } from '../openflow/values.ts';
import { macOf, type Packet, preset } from './packet.ts';
import { nodesOf, type TargetSpec, type TraceResult } from './tree.ts';

/** fa:16:3e:00:00:01: the placeholder a preset uses when the case has no MAC for the VM. */
export const PLACEHOLDER_MAC = 0xfa163e000001;

export function discoverProbe(vm: VmPort): Packet {
  return preset('dhcp-discover', vm.mac ? macOf(vm.mac) : PLACEHOLDER_MAC);
}

export function offerProbe(vm: VmPort, srv: DhcpServer): Packet {
  const ip = srv.device.addresses.find((a) => a.family === 'inet')?.address;
  const p = preset('dhcp-offer', vm.mac ? macOf(vm.mac) : PLACEHOLDER_MAC);
  if (srv.device.mac) p.dl_src = macOf(srv.device.mac);
  if (ip) p.nw_src = parseIpv4Only(ip, 'ip');
  return p;
}

export function serverTargets(servers: readonly DhcpServer[]): TargetSpec[] {
  return servers.map((s) => ({ host: s.host.name, name: s.ns.name }));
}

export function vmTarget(vm: VmPort): TargetSpec[] {
  return [{ host: vm.host.name, name: vm.port.name }];
}

/** Every flow a trace matched, with the bridge it sits on, in path order. */
export function matchedFlows(t: TraceResult): {
  host: string;
  bridge: string;
  table: number;
  entry: NonNullable<ReturnType<typeof nodesOf<'table'>>[number]['flow']>;
  rule: string;
}[] {
  return nodesOf(t.tree, 'table').flatMap((n) =>
    n.flow
      ? [{ host: n.host, bridge: n.bridge, table: n.table, entry: n.flow, rule: n.rule ?? n.flow.text }]
      : [],
  );
}

/** Every wire a trace crossed. */
export function wiresCrossed(
  t: TraceResult,
): { from: { host: string; iface: string }; to: { host: string; iface: string } }[] {
  return nodesOf(t.tree, 'wire').map((w) => ({ from: w.from, to: w.to }));
}
