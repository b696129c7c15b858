// Random bridges, ports, flows and packets for differential tests against a real ovs-vswitchd:
// two bridges joined by a patch pair (half the cases a chain of three), ports with every VLAN mode, flow tables with masks,
// overlapping priorities, VLAN push/pop/mod, resubmit chains and goto_table. Deterministic per seed.

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export interface GenPort {
  name: string;
  ofport: number;
  /** ovs-vsctl arguments for the Port row (tag=, trunks=, vlan_mode=). */
  vlanArgs: string[];
  patchPeer?: string;
}

export interface GenBridge {
  name: string;
  ports: GenPort[];
  /** As `ovs-ofctl -O OpenFlow13 add-flows` takes them. */
  flows: string[];
}

export interface GenCase {
  seed: number;
  bridges: GenBridge[];
}

export interface GenPacket {
  bridge: string;
  inPort: string;
  /** ofproto/trace flow fields without in_port. */
  fields: string;
}

const VLANS = [10, 20, 30];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function vlanArgs(r: () => number): string[] {
  const subset = (): number[] => VLANS.filter(() => r() < 0.5);
  switch (Math.floor(r() * 6)) {
    case 0:
      return [];
    case 1:
      return [`tag=${pick(r, VLANS)}`];
    case 2: {
      const t = subset();
      return t.length ? [`trunks=${t.join(',')}`] : [];
    }
    case 3: {
      const t = subset();
      return [
        `tag=${pick(r, VLANS)}`,
        ...(t.length ? [`trunks=${t.join(',')}`] : []),
        'vlan_mode=native-untagged',
      ];
    }
    case 4: {
      const t = subset();
      return [
        `tag=${pick(r, VLANS)}`,
        ...(t.length ? [`trunks=${t.join(',')}`] : []),
        'vlan_mode=native-tagged',
      ];
    }
    default:
      return [`tag=${pick(r, [...VLANS, 4095])}`];
  }
}

const MACS = ['00:00:00:00:00:01', '00:00:00:00:00:02', 'fa:16:3e:11:22:33', 'ff:ff:ff:ff:ff:ff'];

type VlanState = 'tagged' | 'untagged' | 'any';

function match(r: () => number, ports: GenPort[]): { text: string; vlan: VlanState } {
  const parts: string[] = [];
  let vlan: VlanState = 'any';
  if (r() < 0.6) parts.push(`in_port=${pick(r, ports).name}`);
  const v = r();
  if (v < 0.2) {
    parts.push(`dl_vlan=${pick(r, VLANS)}`);
    vlan = 'tagged';
  } else if (v < 0.3) {
    parts.push('vlan_tci=0x0000/0x1fff');
    vlan = 'untagged';
  } else if (v < 0.4) {
    parts.push('vlan_tci=0x1000/0x1000');
    vlan = 'tagged';
  }
  if (r() < 0.2) parts.push(`dl_dst=${pick(r, MACS)}`);
  if (r() < 0.1) parts.push('dl_dst=01:00:00:00:00:00/01:00:00:00:00:00');
  const l = r();
  if (l < 0.25) parts.push('udp', ...(r() < 0.5 ? [`tp_dst=${pick(r, [67, 68, 53])}`] : []));
  else if (l < 0.35) parts.push('tcp', ...(r() < 0.5 ? ['tp_dst=0x40/0xffc0'] : []));
  else if (l < 0.45) parts.push('ip', `nw_src=10.0.${pick(r, [0, 1])}.0/24`);
  if (r() < 0.15) parts.push(`reg0=${pick(r, [0, 1, 2])}`);
  return { text: parts.join(','), vlan };
}

/**
 * OpenFlow 1.3 actions. VLAN actions only where the tag state is known (push on untagged frames,
 * set/pop on tagged ones): OVS 3.1 dumps cannot tell an OF1.0 mod_vlan_vid from a push (see
 * reference/trace-notes.md §4), and the simulator reports those as assumptions, not as facts.
 */
function actions(
  r: () => number,
  ports: GenPort[],
  table: number,
  maxTable: number,
  vlan0: VlanState,
): string {
  const out: string[] = [];
  let vlan = vlan0;
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const a = r();
    if (a < 0.1 && vlan === 'tagged') out.push(`set_field:${4096 + pick(r, VLANS)}->vlan_vid`);
    else if (a < 0.18 && vlan === 'tagged') {
      out.push('pop_vlan');
      vlan = 'untagged';
    } else if (a < 0.26 && vlan === 'untagged') {
      out.push(`push_vlan:0x8100,set_field:${4096 + pick(r, VLANS)}->vlan_vid`);
      vlan = 'tagged';
    } else if (a < 0.34) out.push(`load:${pick(r, [0, 1, 2])}->NXM_NX_REG0[]`);
    else if (a < 0.48 && table < maxTable)
      out.push(`resubmit(,${table + 1 + Math.floor(r() * (maxTable - table))})`);
    else if (a < 0.62)
      out.push(
        `output:${
          pick(
            r,
            ports.filter((p) => !p.patchPeer),
          ).name
        }`,
      );
    else if (a < 0.66) out.push('IN_PORT');
    else if (a < 0.7) out.push('FLOOD');
    else if (a < 0.72) out.push('LOCAL');
    else out.push('NORMAL');
  }
  if (r() < 0.1 && table < maxTable) out.push(`goto_table:${table + 1}`);
  return out.join(',');
}

export function randomCase(seed: number): GenCase {
  const r = rng(seed);
  const mk = (br: string, prefix: string, n: number, patches: [string, string][]): GenBridge => {
    const ports: GenPort[] = [];
    for (let i = 1; i <= n; i++) ports.push({ name: `${prefix}${i}`, ofport: i, vlanArgs: vlanArgs(r) });
    for (const [patch, peer] of patches)
      ports.push({
        name: patch,
        ofport: ports.length + 1,
        vlanArgs: r() < 0.6 ? [] : vlanArgs(r),
        patchPeer: peer,
      });
    return { name: br, ports, flows: [] };
  };
  // Half the cases chain a third bridge behind brb: floods cross two patch pairs.
  const chain = r() < 0.5;
  const a = mk('bra', 'a', 3 + Math.floor(r() * 2), [['pa', 'pb']]);
  const b = mk(
    'brb',
    'b',
    2 + Math.floor(r() * 2),
    chain
      ? [
          ['pb', 'pa'],
          ['pbc', 'pcb'],
        ]
      : [['pb', 'pa']],
  );
  const bridges = chain ? [a, b, mk('brc', 'c', 2, [['pcb', 'pbc']])] : [a, b];
  for (const br of bridges) {
    const maxTable = 1 + Math.floor(r() * 3);
    const used = new Set<string>();
    for (let t = 0; t <= maxTable; t++) {
      const n = t === 0 ? 3 + Math.floor(r() * 5) : 1 + Math.floor(r() * 3);
      for (let k = 0; k < n; k++) {
        // Priorities unique per table: equal-priority overlaps are undefined in OpenFlow (and reported, not compared).
        let prio = 0;
        do prio = 1 + Math.floor(r() * 200);
        while (used.has(`${t}/${prio}`));
        used.add(`${t}/${prio}`);
        const m = match(r, br.ports);
        br.flows.push(
          `table=${t},priority=${prio}${m.text ? `,${m.text}` : ''},actions=${actions(r, br.ports, t, maxTable, m.vlan)}`,
        );
      }
      if (r() < 0.7) br.flows.push(`table=${t},priority=0,actions=${t === 0 ? 'NORMAL' : 'drop'}`);
    }
  }
  return { seed, bridges };
}

export function randomPackets(seed: number, c: GenCase, n: number): GenPacket[] {
  const r = rng(seed ^ 0x5bd1e995);
  const out: GenPacket[] = [];
  for (let i = 0; i < n; i++) {
    const br = pick(r, c.bridges);
    const port = pick(
      r,
      br.ports.filter((p) => !p.patchPeer),
    );
    const f: string[] = [];
    const l = r();
    if (l < 0.5)
      f.push(
        'udp',
        `udp_src=${pick(r, [68, 67, 1000])}`,
        `udp_dst=${pick(r, [67, 68, 53])}`,
        `nw_src=10.0.${pick(r, [0, 1])}.${1 + Math.floor(r() * 9)}`,
      );
    else if (l < 0.7) f.push('tcp', `tcp_dst=${pick(r, [22, 80, 0x50])}`);
    else if (l < 0.8) f.push('arp');
    const v = r();
    if (v < 0.55) f.push(`dl_vlan=${pick(r, [...VLANS, 99, 0])}`);
    f.push(`dl_src=${pick(r, MACS.slice(0, 3))}`, `dl_dst=${pick(r, MACS)}`);
    out.push({ bridge: br.name, inPort: port.name, fields: f.join(',') });
  }
  return out;
}
