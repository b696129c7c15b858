import { findExcerpt } from '../../model/snapshot.ts';
import { operands, shellWord } from '../../runner/runner.ts';
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { excerptGap } from './excerpt.ts';
import {
  addressesOf,
  optionsText,
  RESTART_AGENT,
  type TunnelIface,
  tunnelHopsOfFailedDiscovers,
  tunnelsOf,
} from './overlay-facts.ts';

export const tunnelEndpoints: Check = {
  id: 'tunnel-endpoints',
  title: "tunnel local_ip not on the host, or no receiving tunnel port for the sender's address",
  run(ctx) {
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const { n } of tunnelHopsOfFailedDiscovers(ctx)) {
      const d = n.children.find((c) => c.kind === 'drop');
      if (d?.kind !== 'drop') continue;
      const k = `${d.reason.code}\u0000${n.from.host}\u0000${n.from.port}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const h = ctx.snapshot.hosts.find((x) => x.name === n.from.host)!;
      const tp = tunnelsOf(h).find((x) => x.iface.name === n.from.port);
      const portEv = tp ? [evid(`${tp.iface.name}: ${optionsText(tp)}`, tp.from)] : [];
      const li = h.agentConfig?.localIp;
      const agentEv = li
        ? [evid(`local_ip = ${li.value}`, { file: h.agentConfig!.file, line: li.line })]
        : [];
      // The address, or the receiving port, may be in the part an excerpt leaves out.
      const rh = ctx.snapshot.hosts.find((x) => x.name === d.host);
      const cut =
        d.reason.code === 'tunnel-route'
          ? { on: h, x: findExcerpt(h, 'devices', null), q: `whether ${h.name} has ${n.from.local_ip}` }
          : d.reason.code === 'tunnel-port-not-found' && rh
            ? {
                on: rh,
                x: findExcerpt(rh, 'ovsdb'),
                q: `whether ${rh.name} has a port for ${n.from.local_ip}`,
              }
            : undefined;
      if (cut?.x) {
        out.push(excerptGap(cut.on, cut.x, `${d.host}:${d.bridge}`, d.reason.text, cut.q, portEv));
        continue;
      }
      if (d.reason.code === 'tunnel-route') {
        const addrs = addressesOf(ctx, h.name);
        const dev = h.devices?.find((x) => x.addresses.some((a) => addrs.includes(a.address)));
        out.push({
          code: 'tunnel-local-ip',
          severity: 'error',
          subject: `${h.name}:${n.from.bridge}:${n.from.port}`,
          message: `${n.from.port} sends from local_ip ${n.from.local_ip}, which ${h.name} does not have (${addrs.join(', ') || 'no address'}): OVS cannot route the tunnel and sends nothing to ${n.from.remote_ip}`,
          rootCause:
            li && li.value === n.from.local_ip
              ? `the OVS agent's local_ip (${li.value}) is not an address of ${h.name}: every tunnel it creates starts from it`
              : 'the tunnel port was created with a local_ip the host no longer has (address changed or moved)',
          evidence: [
            ...portEv,
            ...agentEv,
            ...(dev
              ? [
                  evid(
                    `${dev.name}: ${dev.addresses.map((a) => `${a.address}/${a.prefixlen}`).join(' ')}`,
                    dev.from,
                  ),
                ]
              : []),
          ],
          fix: [
            `# set [ovs] local_ip in ${h.agentConfig?.file ?? 'openvswitch_agent.ini'} to the host's underlay address (${addrs.join(' or ') || '?'}), then`,
            `${RESTART_AGENT}   # changes state, on ${h.name}: recreates its tunnels with that source (and the peers' tunnels towards it)`,
          ],
        });
      } else if (d.reason.code === 'tunnel-port-not-found') {
        const theirs = rh ? tunnelsOf(rh).filter((x) => x.cfg.type === n.from.type) : [];
        // The receiver has a tunnel back to the sender's address: not the addresses, but the UDP
        // port or the key is what keeps the packet out.
        const back = theirs.filter(
          (x) =>
            (x.cfg.remoteIp === n.from.local_ip || x.cfg.remoteIp === 'flow') &&
            (!x.cfg.localIp || x.cfg.localIp === 'flow' || x.cfg.localIp === n.from.remote_ip),
        );
        const udp = tp && back.find((x) => x.cfg.dstPort !== tp.cfg.dstPort);
        if (tp && udp) {
          out.push(dstPortMismatch(tp, udp));
          continue;
        }
        const keyed = back.find(
          (x) => x.cfg.inKey !== 'flow' && `0x${x.cfg.inKey.toString(16)}` !== n.from.key,
        );
        if (keyed) {
          out.push(
            keyOption(
              keyed,
              'in',
              n.from.key,
              `${n.from.host} sends the DISCOVER with ${n.from.type} key ${n.from.key}`,
              portEv,
            ),
          );
          continue;
        }
        out.push({
          code: 'tunnel-receiver-missing',
          severity: 'error',
          subject: `${d.host}:${d.bridge}`,
          message: `${n.from.host} sends ${n.from.type} key ${n.from.key} from ${n.from.local_ip} to ${n.from.remote_ip}, but ${d.host} has no ${n.from.type} port with remote_ip ${n.from.local_ip} (or flow): OVS drops it on arrival ("receive tunnel port not found" in ${d.host}'s ovs-vswitchd.log)`,
          rootCause: `${d.host}'s tunnel towards ${n.from.host} points at another address: the two agents disagree on ${n.from.host}'s local_ip`,
          evidence: [
            ...portEv,
            evid(`${d.host}'s ${n.from.type} ports:`),
            ...theirs.map((x) => evid(`${x.iface.name}: ${optionsText(x)}`, x.from)),
          ],
          fix: [
            `grep 'receive tunnel port not found' /var/log/openvswitch/ovs-vswitchd.log   # on ${d.host}: one line per packet`,
            `${RESTART_AGENT}   # changes state, on ${d.host} (after fixing local_ip on ${n.from.host} if it is the one that changed)`,
          ],
        });
      }
    }
    return out;
  },
};

/** How a tunnel port's UDP destination port is set: its dst_port option, else OVS's default for the type. */
function udpWhy(t: TunnelIface): string {
  const o = t.iface.options.known ? t.iface.options.value : {};
  return o.dst_port !== undefined
    ? `options:dst_port="${o.dst_port}"`
    : `no dst_port option: OVS's default for ${t.cfg.type}`;
}

/** The agent's configuration file on the host: where the case's copy sits under etc/, else Neutron's usual place. */
function agentIni(t: TunnelIface): string {
  const m = /(?:^|\/)(etc\/neutron\/.+)$/.exec(t.host.agentConfig?.file ?? '');
  return m ? `/${m[1]}` : '/etc/neutron/plugins/ml2/openvswitch_agent.ini';
}

/**
 * The sender's tunnel sends to one UDP port, the receiver's tunnel back to it takes another:
 * nothing on the receiver takes the packet as a tunnel packet. OVS's defaults (ovs-vswitchd.conf.db
 * Interface type vxlan: 4789, stt: 7471, gtpu: 2152; lib/netdev-vport.c: geneve 6081); Neutron
 * writes options:dst_port from [agent] vxlan_udp_port only when it is not 4789.
 */
function dstPortMismatch(send: TunnelIface, recv: TunnelIface): Finding {
  const type = send.cfg.type;
  const sp = send.cfg.dstPort;
  const rp = recv.cfg.dstPort;
  const vx = type === 'vxlan';
  return {
    code: 'tunnel-dst-port-mismatch',
    severity: 'error',
    subject: `${send.host.name}:${send.bridge.name}:${send.iface.name}`,
    message: `${send.host.name}'s ${send.iface.name} sends ${type} to ${send.cfg.remoteIp} on UDP port ${sp ?? '?'} (${udpWhy(send)}), but ${recv.host.name}'s ${recv.iface.name}, its tunnel back to ${send.host.name}, takes UDP ${rp ?? '?'} (${udpWhy(recv)}): nothing on ${recv.host.name} receives UDP ${sp ?? '?'} as ${type}, so the DISCOVER is dropped on arrival (and the replies the other way too)`,
    rootCause: vx
      ? `the two hosts' OVS agents are configured with different VXLAN UDP ports ([agent] vxlan_udp_port; Neutron sets dst_port only when it is not 4789)`
      : `the two hosts' tunnel ports use different UDP destination ports`,
    confirm: vx
      ? `vxlan_udp_port in the [agent] section of ${send.host.name}'s and ${recv.host.name}'s OVS agent configuration`
      : `options:dst_port of both ports (\`ovs-vsctl list interface\`)`,
    evidence: [
      evid(`${send.iface.name} on ${send.host.name}: ${optionsText(send)}`, send.from),
      evid(`${recv.iface.name} on ${recv.host.name}: ${optionsText(recv)}`, recv.from),
    ],
    fix: vx
      ? [
          `grep -n vxlan_udp_port ${operands(agentIni(send))}   # on ${send.host.name}: its tunnels use UDP ${sp ?? '?'} (${udpWhy(send)})`,
          `grep -n vxlan_udp_port ${operands(agentIni(recv))}   # on ${recv.host.name}: its tunnels use UDP ${rp ?? '?'} (${udpWhy(recv)})`,
          `# set [agent] vxlan_udp_port to one value on both hosts (the case shows ${sp ?? '?'} on ${send.host.name} and ${rp ?? '?'} on ${recv.host.name}, not which is meant; unset is 4789), then`,
          `${RESTART_AGENT}   # changes state, on the host whose value changed: its tunnel ports take that dst_port`,
        ]
      : [
          `ovs-vsctl --columns=name,options list Interface ${shellWord(send.iface.name)}   # on ${send.host.name}`,
          `ovs-vsctl --columns=name,options list Interface ${shellWord(recv.iface.name)}   # on ${recv.host.name}`,
        ],
  };
}

/**
 * A tunnel port whose options fix the key (key=, in_key= or out_key= a number, not `flow`): OVS
 * then ignores the key the flows set (set_tunnel, set_field tun_id) on output and takes only that
 * key on input (ovs-vswitchd.conf.db: "key: shorthand to set in_key and out_key at the same time";
 * out_key "flow": the key set by set_tunnel; a number: packets sent have that key). Neutron creates
 * its tunnels with in_key=flow and out_key=flow: the flows carry the network's key.
 */
export function keyOption(
  t: TunnelIface,
  dir: 'in' | 'out',
  flowKey: string,
  says: string,
  seen: Finding['evidence'],
): Finding {
  const o = t.iface.options.known ? t.iface.options.value : {};
  const opt =
    dir === 'in' ? (o.in_key !== undefined ? 'in_key' : 'key') : o.out_key !== undefined ? 'out_key' : 'key';
  const val = o[opt] ?? '?';
  const k = dir === 'in' ? t.cfg.inKey : t.cfg.outKey;
  const fixed = k === 'flow' ? '?' : `0x${k.toString(16)}`;
  const name = shellWord(t.iface.name);
  return {
    code: 'tunnel-key-option',
    severity: 'error',
    subject: `${t.host.name}:${t.bridge.name}:${t.iface.name}`,
    message:
      dir === 'out'
        ? `${t.host.name}'s ${t.iface.name} has options ${opt}=${val}, so OVS sends every packet on it with key ${fixed}, whatever key the flows set (${flowKey})${opt === 'key' || t.cfg.inKey !== 'flow' ? `, and takes only key ${t.cfg.inKey === 'flow' ? '?' : `0x${t.cfg.inKey.toString(16)}`} in (the replies with ${flowKey} are dropped too)` : ''}: ${says}`
        : `${says}, but ${t.host.name}'s ${t.iface.name} has options ${opt}=${val}: it takes only packets with key ${fixed}, and OVS drops the others ("receive tunnel port not found")`,
    rootCause: `${t.iface.name}'s key is fixed by its ${opt} option${opt === 'key' ? ' (key sets in_key and out_key at once)' : ''}, where Neutron's agent creates its tunnels with in_key=flow and out_key=flow (the flows give each network its key)`,
    evidence: [evid(`${t.iface.name} on ${t.host.name}: ${optionsText(t)}`, t.from), ...seen],
    fix: [
      `ovs-vsctl --columns=name,options list Interface ${name}   # on ${t.host.name}: ${opt}=${val} fixes the key`,
      `ovs-vsctl remove Interface ${name} options ${opt} -- set Interface ${name} options:in_key=flow options:out_key=flow   # changes state, on ${t.host.name}: the key from the flows, as Neutron creates its tunnels`,
    ],
  };
}
