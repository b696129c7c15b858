// A synthetic neutron-style br-int dump of any size, in ovs-ofctl's own spelling: firewall
// tables 0/23/24/60/71/72/73/82/94 for many ports, with ct, conjunctions, learn and masks.
// Deterministic for a given seed so benchmark runs compare like with like.

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s;
  };
}

const hex2 = (n: number): string => (n & 255).toString(16).padStart(2, '0');

/** Lines as `ovs-ofctl dump-flows` prints them; `stats` false gives the --no-stats form. */
export function neutronDump(nFlows: number, stats: boolean, seed = 1): string[] {
  const r = rng(seed);
  const out: string[] = [];
  let port = 0;
  while (out.length < nFlows) {
    port++;
    const ofport = port + 10;
    const mac = `fa:16:3e:${hex2(port >> 16)}:${hex2(port >> 8)}:${hex2(port)}`;
    const ip = `10.${(port >> 16) & 255}.${(port >> 8) & 255}.${port & 255}`;
    const vlan = (port % 4000) + 1;
    const rules: [number, number, string, string][] = [
      [0, 10, `arp,in_port=${ofport}`, 'resubmit(,24)'],
      [0, 10, `icmp6,in_port=${ofport},icmp_type=136`, 'resubmit(,24)'],
      // The provider VLAN: 12 bits, as OVS prints it (1001..4094, then from 1 again).
      [0, 3, `in_port=1,dl_vlan=${((vlan + 999) % 4094) + 1}`, `mod_vlan_vid:${vlan},resubmit(,60)`],
      [24, 2, `arp,in_port=${ofport},arp_spa=${ip}`, 'resubmit(,60)'],
      [
        60,
        100,
        `in_port=${ofport}`,
        `load:0x${ofport.toString(16)}->NXM_NX_REG5[],load:0x${vlan.toString(16)}->NXM_NX_REG6[],resubmit(,71)`,
      ],
      [71, 80, `udp,reg5=0x${ofport.toString(16)},in_port=${ofport},tp_src=68,tp_dst=67`, 'resubmit(,73)'],
      [
        71,
        65,
        `ip,reg5=0x${ofport.toString(16)},in_port=${ofport},dl_src=${mac},nw_src=${ip}`,
        'ct(table=72,zone=NXM_NX_REG6[0..15])',
      ],
      [72, 73, `ct_state=+new-est,ip,reg5=0x${ofport.toString(16)}`, `conjunction(${port},1/2)`],
      [
        72,
        73,
        `ct_state=+new-est,tcp,tp_dst=0x${(r() & 0xffe0).toString(16)}/0xffe0`,
        `conjunction(${port},2/2)`,
      ],
      [
        72,
        73,
        `conj_id=${port},ct_state=+new-est,ip,reg5=0x${ofport.toString(16)}`,
        `load:0x${port.toString(16)}->NXM_NX_REG7[],ct(commit,zone=NXM_NX_REG6[0..15],exec(load:0x1->NXM_NX_CT_MARK[])),resubmit(,73)`,
      ],
      [73, 90, `dl_vlan=${vlan},dl_dst=${mac}`, `strip_vlan,output:${ofport}`],
      [
        82,
        77,
        `ct_state=+est-rel-rpl,ip,reg5=0x${ofport.toString(16)},nw_src=${ip.replace(/\.\d+$/, '.0')}/24`,
        `output:${ofport}`,
      ],
      [94, 12, `reg6=0x${vlan.toString(16)},dl_dst=${mac}`, `output:${ofport}`],
      [
        94,
        10,
        `reg6=0x${vlan.toString(16)},dl_src=${mac},dl_dst=00:00:00:00:00:00/01:00:00:00:00:00`,
        `mod_vlan_vid:${vlan},output:1`,
      ],
    ];
    for (const [table, prio, match, actions] of rules) {
      if (out.length >= nFlows) break;
      if (stats) {
        const pk = r() % 100000;
        out.push(
          ` cookie=0x9bf3d60450c2ae94, duration=${(r() % 900000) / 1000}s, table=${table}, n_packets=${pk}, n_bytes=${pk * 98}, idle_age=${r() % 65535}, hard_age=65534, priority=${prio},${match} actions=${actions}`,
        );
      } else
        out.push(
          ` ${table === 0 ? '' : `table=${table}, `}cookie=0x9bf3d60450c2ae94, priority=${prio},${match} actions=${actions}`,
        );
    }
  }
  return out;
}
