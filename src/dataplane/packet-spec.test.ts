// --packet as ofproto/trace's flow string: every value checked against its field's width (never
// cut to fit), one value per field, one protocol, in_port left to --from. Tables of the strings a
// reviewer typed; the CLI and the web API read them through traceCommand, so both refuse alike.
import { describe, expect, it } from 'vitest';
import { FlowSyntaxError } from '../openflow/errors.ts';
import { readCase } from '../sources/case-dir.ts';
import { parsePacketSpec, preset } from './packet.ts';
import { traceCommand } from './run.ts';
import { TraceInputError } from './trace.ts';

const SEED = new URL('../../examples/xenserver-seed', import.meta.url).pathname;

describe('parsePacketSpec refuses what ovs-ofctl would, naming it', () => {
  const refused: [string, RegExp][] = [
    ['dl_vlan=99999', /dl_vlan: 99999 does not fit in 12 bits/],
    ['dl_vlan=4096', /dl_vlan: 4096 does not fit in 12 bits \(0\.\.4095, or 0xffff for no VLAN\)/],
    ['dl_vlan=-1', /dl_vlan: "-1" is not a number/],
    ['dl_vlan=0x1000', /does not fit in 12 bits/],
    ['dl_vlan=5,dl_vlan_pcp=8', /dl_vlan_pcp: 8 does not fit in 3 bits/],
    ['vlan_pcp=-3', /vlan_pcp: "-3" is not a number/],
    ['vlan_vid=0x2000', /vlan_vid: 0x2000 does not fit in 13 bits/],
    ['vlan_vid=5', /vlan_vid: 5 lacks OFPVID_PRESENT \(0x1000\).*dl_vlan=5 or vlan_vid=0x1005/],
    ['udp,tp_dst=70000', /tp_dst: 70000 does not fit in 16 bits/],
    ['udp,udp_src=65536', /udp_src: 65536 does not fit in 16 bits/],
    ['ip,nw_ttl=999', /nw_ttl: 999 does not fit in 8 bits/],
    ['ip,nw_proto=256', /nw_proto: 256 does not fit in 8 bits/],
    ['dl_type=0x10000', /dl_type: 0x10000 does not fit in 16 bits/],
    ['reg0=0x100000000', /reg0: 0x100000000 does not fit in 32 bits/],
    ['ip,nw_src=10.0.0.256', /nw_src/],
    ['dl_src=00:00:00:00:00:00:01', /dl_src/],
    // one field, two values; overlapping fields that disagree
    ['dl_vlan=1,dl_vlan=2', /"dl_vlan=1" and "dl_vlan=2" disagree \(both set dl_vlan\)/],
    ['udp,tp_dst=67,udp_dst=68', /"tp_dst=67" and "udp_dst=68" disagree/],
    ['vlan_tci=0x1005,dl_vlan=6', /"vlan_tci=0x1005" and "dl_vlan=6" disagree/],
    ['vlan_tci=0,dl_vlan_pcp=3', /"vlan_tci=0" and "dl_vlan_pcp=3" disagree/],
    ['dl_vlan=0xffff,dl_vlan=5', /"dl_vlan=0xffff" and "dl_vlan=5" disagree/],
    ['ip,nw_tos=4,ip_dscp=2', /"nw_tos=4" and "ip_dscp=2" disagree/],
    [
      'dl_src=fa:16:3e:00:00:01,eth_src=fa:16:3e:00:00:02',
      /"dl_src=fa:16:3e:00:00:01" and "eth_src=fa:16:3e:00:00:02"/,
    ],
    ['in_port=1,in_port=2', /"in_port=1" and "in_port=2" disagree/],
    // two protocols
    ['udp,tcp', /two protocols, "udp" and "tcp"/],
    ['arp,udp', /two protocols, "arp" and "udp"/],
    ['udp6,udp', /two protocols, "udp6" and "udp"/],
    ['udp,nw_proto=6', /"udp" and "nw_proto=6" disagree \(both set nw_proto\)/],
    ['arp,dl_type=0x0800', /"arp" and "dl_type=0x0800" disagree \(both set dl_type\)/],
  ];
  it.each(refused)('%s', (text, why) => {
    expect(() => parsePacketSpec(text)).toThrow(FlowSyntaxError);
    expect(() => parsePacketSpec(text)).toThrow(why);
  });

  const kept: [
    string,
    Partial<{ vid: number | null; pcp: number; dl_type: number; nw_proto: number; tp_dst: number }>,
  ][] = [
    ['dl_vlan=4095', { vid: 4095 }],
    ['dl_vlan=0', { vid: 0 }],
    ['dl_vlan=0xffff', { vid: null }],
    ['vlan_vid=0x1005', { vid: 5 }],
    ['vlan_vid=0', { vid: null }],
    ['dl_vlan_pcp=3', { vid: 0, pcp: 3 }],
    ['dl_vlan=5,dl_vlan=5', { vid: 5 }],
    ['dl_vlan=5,vlan_tci=0x1005', { vid: 5 }],
    ['udp,udp', { dl_type: 0x800, nw_proto: 17 }],
    ['ip,udp,nw_proto=17', { dl_type: 0x800, nw_proto: 17 }],
    ['udp,tp_dst=67,udp_dst=67', { tp_dst: 67 }],
    ['udp,tp_dst=65535', { tp_dst: 65535 }],
  ];
  it.each(kept)('%s is one packet', (text, want) => {
    const p = parsePacketSpec(text).packet;
    if ('vid' in want) expect(p.vlans[0]?.vid ?? null).toBe(want.vid);
    if (want.pcp !== undefined) expect(p.vlans[0]?.pcp).toBe(want.pcp);
    if (want.dl_type !== undefined) expect(p.dl_type).toBe(want.dl_type);
    if (want.nw_proto !== undefined) expect(p.nw_proto).toBe(want.nw_proto);
    if (want.tp_dst !== undefined) expect(p.tp_dst).toBe(want.tp_dst);
  });

  it("a preset's own values are the base, not a first answer the user's fields contradict", () => {
    const base = preset('dhcp-discover', 0xfa163e000001);
    const p = parsePacketSpec('udp,udp_dst=1067,dl_vlan=7', base, 'dhcp-discover').packet;
    expect(p.tp_dst).toBe(1067);
    expect(p.vlans[0]?.vid).toBe(7);
    expect(() => parsePacketSpec('arp', base, 'dhcp-discover')).toThrow(
      /two protocols, "dhcp-discover" and "arp"/,
    );
  });
});

describe('trace: --packet against --from', () => {
  const snap = readCase(SEED);
  const from = 'dom0:vif15.1';
  const refused: [string, RegExp][] = [
    ['dl_vlan=99999', /does not fit in 12 bits/],
    ['in_port=5', /--packet in_port=5: the packet enters where --from says \(dom0:vif15\.1\)/],
    ['dhcp-discover,in_port=vif16.0', /--packet in_port=vif16\.0: the packet enters where --from says/],
    ['dhcp-discover,udp_dst=1,udp_dst=2', /disagree/],
    ['dhcp-discover,tcp', /two protocols, "dhcp-discover" and "tcp"/],
    ['dhcp-offer,nw_proto=6', /"dhcp-offer" and "nw_proto=6" disagree/],
  ];
  it.each(refused)('%s', (packet, why) => {
    let err: unknown;
    try {
      traceCommand(snap, { from, packet });
    } catch (e) {
      err = e;
    }
    expect(err instanceof FlowSyntaxError || err instanceof TraceInputError).toBe(true);
    expect(String((err as Error).message)).toMatch(why);
  });
});
