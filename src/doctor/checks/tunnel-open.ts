// A tunnel port OVS could not open (its Interface error, or ofport -1): it has no OpenFlow port, so
// no flow sends anything by it. What OVS's error says of a tunnel. OVS creates tunnel devices itself
// (unlike a system port, no device must exist before add-port). "File exists" (EEXIST) for a tunnel
// is OVS refusing a second tunnel port with the configuration of one it already has
// (ofproto/tunnel.c tnl_port_add__: the match is the key, local and remote address, the datapath
// port, which the type and UDP destination port decide, and the packet mark), logging
// `<name>: attempting to add tunnel port with same config as port '<other>' (...)`.
import { neutronTunnelName, TUNNEL_TYPES, type TunnelConfig, tunnelConfig } from '../../dataplane/tunnel.ts';
import type { Bridge, Host, Interface } from '../../model/snapshot.ts';
import { shellWord } from '../../runner/runner.ts';
import type { EvidenceItem } from '../finding.ts';
import { evid } from './check.ts';
import { openFailure } from './structure.ts';

/** OVS's log line for a tunnel port refused for a duplicate configuration (ofproto/tunnel.c). */
export const SAME_CONFIG_LOG = 'attempting to add tunnel port with same config as port';

/** Whether an interface is a tunnel (by its type): OVS makes its device, nothing else must. */
export function isTunnelIface(i: Interface): boolean {
  return i.type.known && (TUNNEL_TYPES as readonly string[]).includes(i.type.value);
}

/** Whether OVS could not open the interface: its error, or ofport -1. */
export function failedToOpen(i: Interface): boolean {
  return i.error !== undefined || (i.ofport.known && i.ofport.value === -1);
}

function keyText(k: bigint | 'flow'): string {
  return k === 'flow' ? 'flow' : `0x${k.toString(16)}`;
}

/** What OVS matches tunnel ports on, in words: `vxlan 10.0.100.88 -> 10.0.100.77, key=flow, UDP 4789`. */
export function tunnelMatchText(c: TunnelConfig): string {
  return `${c.type} ${c.localIp ?? '(any)'} -> ${c.remoteIp ?? '?'}, key=${keyText(c.inKey)}${c.dstPort !== undefined ? `, UDP ${c.dstPort}` : ''}`;
}

function sameMatch(a: TunnelConfig, b: TunnelConfig): boolean {
  return (
    a.type === b.type &&
    a.remoteIp === b.remoteIp &&
    a.localIp === b.localIp &&
    a.inKey === b.inKey &&
    a.dstPort === b.dstPort
  );
}

export interface TunnelTwin {
  bridge: Bridge;
  iface: Interface;
  cfg: TunnelConfig;
}

/**
 * The tunnel ports of the host, on any bridge (OVS's tunnel table is one per ovs-vswitchd), that
 * OVS did open with the configuration of `i`: the port that holds it, when the case shows it.
 * Only for an interface whose type and options the case gives (a configuration read from a name
 * matches nothing).
 */
export function sameConfigPorts(h: Host, i: Interface): TunnelTwin[] {
  if (!i.type.known || !i.options.known) return [];
  const mine = tunnelConfig(h.name, i.name, i);
  if (!mine) return [];
  const out: TunnelTwin[] = [];
  for (const b of h.bridges)
    for (const p of b.ports)
      for (const x of p.interfaces) {
        if (x === i || failedToOpen(x) || !x.type.known || !x.options.known) continue;
        const c = tunnelConfig(h.name, x.name, x);
        if (c && sameMatch(mine, c)) out.push({ bridge: b, iface: x, cfg: c });
      }
  return out;
}

/** Why a tunnel port failed to open, what shows it, and what to run: for interface-error and tunnel-missing. */
export interface TunnelOpenFailure {
  /** Why (OVS's error for a tunnel, in words). */
  rootCause: string;
  /** Set when the reason is probable: what would confirm it. */
  confirm?: string;
  evidence: EvidenceItem[];
  fix: string[];
}

export function tunnelOpenFailure(h: Host, b: Bridge, i: Interface): TunnelOpenFailure {
  const on = `on ${h.name}`;
  const name = shellWord(i.name);
  const err = i.error?.text ?? '';
  const look = `ovs-vsctl --columns=name,type,options,ofport,error list Interface   # ${on}: every tunnel port with its options; OVS opens one per (type, remote_ip, local_ip, key, dst_port)`;
  const log = `grep ${shellWord(SAME_CONFIG_LOG)} /var/log/openvswitch/ovs-vswitchd.log   # ${on}: OVS names the port that holds the configuration`;
  if (/\(File exists\)\s*$/.test(err)) {
    const twins = sameConfigPorts(h, i);
    const cfg = tunnelConfig(h.name, i.name, i);
    if (twins.length > 0 && cfg) {
      const t = twins[0]!;
      const of = t.iface.ofport.known && t.iface.ofport.value !== null ? t.iface.ofport : undefined;
      const optsFrom = t.iface.options.known ? t.iface.options.from[0] : undefined;
      // Neutron names its tunnels <type>-<remote ip in hex>: the other one is not the agent's.
      const neutronName =
        cfg.remoteIp && cfg.remoteIp !== 'flow' ? neutronTunnelName(cfg.type, cfg.remoteIp) : undefined;
      const oursFailed = neutronName === i.name && neutronName !== t.iface.name;
      return {
        rootCause: `${t.iface.name}${t.bridge.name !== b.name ? ` (on ${t.bridge.name})` : ''} has the same tunnel configuration (${tunnelMatchText(cfg)})${of ? ` and holds OpenFlow port ${of.value}` : ''}: OVS opens one tunnel port per configuration and refuses a second ("File exists")`,
        evidence: [
          evid(
            `${t.iface.name}: type ${t.cfg.type}, options ${optionsOf(t.iface)}`,
            optsFrom ?? t.iface.from[0],
          ),
          ...(of
            ? [evid(`${t.iface.name} is OpenFlow port ${of.value} of ${t.bridge.name}`, of.from[0])]
            : []),
          evid(
            `${i.name}: type ${cfg.type}, options ${optionsOf(i)}`,
            i.options.known ? i.options.from[0] : undefined,
          ),
        ],
        fix: [
          `ovs-vsctl --columns=name,type,options,ofport,error list Interface ${shellWord(t.iface.name)} ${name}   # ${on}: the two ports with one tunnel configuration`,
          log,
          ...(oursFailed
            ? [
                `ovs-vsctl del-port ${shellWord(t.bridge.name)} ${shellWord(t.iface.name)}   # changes state, ${on}: only if ${t.iface.name} is not meant to be there (Neutron names its tunnel to ${cfg.remoteIp} ${i.name}); OVS then opens ${i.name} at its next reconfiguration`,
              ]
            : []),
        ],
      };
    }
    return {
      rootCause: `another tunnel port of ${h.name} has the same type, remote_ip, local_ip, key and dst_port: OVS opens one tunnel port per configuration and refuses a second ("File exists"); none the case shows has ${i.name}'s`,
      confirm: `OVS's log line "${i.name}: ${SAME_CONFIG_LOG} '<other>' (...)" in ovs-vswitchd.log, or a tunnel port with ${i.name}'s options in \`ovs-vsctl --columns=name,type,options list interface\``,
      evidence: [openFailure(i)],
      fix: [look, log],
    };
  }
  return {
    rootCause: `OVS could not add the ${i.type.known ? i.type.value : 'tunnel'} port (${err || 'ofport -1'}); OVS creates a tunnel's device itself (nothing must exist before add-port): its options, the kernel's tunnel support or the datapath refused it`,
    confirm: `the line for ${i.name} in ovs-vswitchd.log`,
    evidence: [openFailure(i)],
    fix: [
      `grep -F ${name} /var/log/openvswitch/ovs-vswitchd.log   # ${on}: why OVS refused the tunnel port`,
      look,
    ],
  };
}

function optionsOf(i: Interface): string {
  if (!i.options.known) return '?';
  const o = i.options.value;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${k}=${o[k]}`)
    .join(', ')}}`;
}
