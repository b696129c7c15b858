import { findExcerpt } from '../../model/snapshot.ts';
import type { Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { excerptGap } from './excerpt.ts';
import {
  addressesOf,
  optionsText,
  RESTART_AGENT,
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
