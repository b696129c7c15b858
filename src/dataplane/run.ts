// Trace entry point from user input: `host:port`, a preset or field list, an optional MAC.
import { findPort, type Snapshot } from '../model/snapshot.ts';
import { macOf, type Packet, PRESETS, parsePacketSpec, preset } from './packet.ts';
import { TraceInputError, type TraceResult, trace } from './trace.ts';
import { buildWorld, type World } from './world.ts';

const PLACEHOLDER_MAC = 0xfa163e000001;

export function traceCommand(s: Snapshot, from: string, packet: string, mac?: string): TraceResult {
  return runTrace(s, buildWorld(s), from, packet, mac);
}

/** The same, on a world built once (diagnose traces several packets). */
export function runTrace(s: Snapshot, w: World, from: string, packet: string, mac?: string): TraceResult {
  const i = from.indexOf(':');
  if (i <= 0) throw new TraceInputError(`--from "${from}": expected <host>:<port>, e.g. dom0:vif16.0`);
  const host = from.slice(0, i);
  const port = from.slice(i + 1);
  const h = s.hosts.find((x) => x.name === host);
  if (!h)
    throw new TraceInputError(
      `--from: no host "${host}" in the case (hosts: ${s.hosts.map((x) => x.name).join(', ')})`,
    );
  const [name, ...rest] = packet.split(',');
  let notes: string[] = [];
  let p: Packet;
  if ((PRESETS as readonly string[]).includes(name!)) {
    let m = mac ? macOf(mac) : undefined;
    if (m === undefined) {
      const ids = findPort(h, port)?.port.interfaces[0]?.externalIds;
      const attached = ids?.known ? ids.value['attached-mac'] : undefined;
      if (attached) m = macOf(attached);
      else {
        m = PLACEHOLDER_MAC;
        notes = [
          `the VM's MAC is not in the case (no attached-mac on ${port}); fa:16:3e:00:00:01 used (give --mac)`,
        ];
      }
    }
    p = parsePacketSpec(rest.join(','), preset(name!, m)).packet;
  } else {
    const parsed = parsePacketSpec(packet);
    p = parsed.packet;
  }
  const t = trace(w, host, port, p);
  t.assumptions.unshift(...notes);
  return t;
}
