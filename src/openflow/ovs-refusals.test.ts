// Flow text OVS would never print: what Open vSwitch 3.1.0 (Debian 12's) does with it, verified
// against the real ovs-ofctl on this machine (`ovs-ofctl parse-flow`, which prints the flow OVS
// would install; and `add-flow` then `dump-flows` on a dummy-datapath bridge, which agreed), and
// what the parser does with it. The rule: a line the parser reads means what OVS reads it as;
// text OVS refuses, and text it accepts only by reading it otherwise (a field given twice with
// different values: the last wins; a value wider than the field: its low bits; a field without
// the protocol it belongs to: left out), is a syntax
// error (a dump holding it is corrupt: exit 2 naming file and line, --lenient reads the rest).
// The same value twice, which OVS reads as once, is read as once. A well-formed action OVS does
// not know (`dr0p`) is an unsupported node, as ever: the trace reports it and proves nothing past it.
// The last describe runs the table against ovs-ofctl itself (npm test installs it; without it
// the suite fails), so the OVS column cannot drift from what OVS does.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { thrown } from '../testing/thrown.ts';
import { refWidth } from './actions.ts';
import { FlowSyntaxError } from './errors.ts';
import { FIELDS } from './fields.ts';
import { formatFlow, parseFlow } from './flow.ts';

/** What ovs-ofctl 3.1.0 does: installs (and prints) a flow, or refuses with a message. */
type Ovs = { prints: string } | { refuses: string };
/** What the parser does: reads the text as written ('reads'), or refuses it saying so. */
type Ours = 'reads' | RegExp;

const TABLE: [text: string, ovs: Ovs, ours: Ours][] = [
  // OVS prints these as they are; so does the parser.
  ['priority=2,in_port=2 actions=drop', { prints: 'priority=2,in_port=2 actions=drop' }, 'reads'],
  ['dl_vlan=4095 actions=drop', { prints: 'dl_vlan=4095 actions=drop' }, 'reads'],
  ['dl_vlan_pcp=7 actions=drop', { prints: 'dl_vlan_pcp=7 actions=drop' }, 'reads'],
  ['in_port=65279 actions=output:65279', { prints: 'in_port=65279 actions=output:65279' }, 'reads'],
  // OpenFlow 1.0's reserved range, still a number to OVS in a match (it warns, and prints it).
  ['in_port=65280 actions=drop', { prints: 'in_port=65280 actions=drop' }, 'reads'],
  ['reg0=0xffffffff actions=drop', { prints: 'reg0=0xffffffff actions=drop' }, 'reads'],
  ['ip,nw_tos=252 actions=drop', { prints: 'ip,nw_tos=252 actions=drop' }, 'reads'],
  ['ip,nw_ecn=3 actions=drop', { prints: 'ip,nw_ecn=3 actions=drop' }, 'reads'],
  ['dl_vlan=1,dl_vlan_pcp=3 actions=drop', { prints: 'dl_vlan=1,dl_vlan_pcp=3 actions=drop' }, 'reads'],
  ['actions=clone(drop),output:1', { prints: 'actions=clone(drop),output:1' }, 'reads'],
  ['actions=load:0x1->NXM_NX_REG0[31]', { prints: 'actions=load:0x1->NXM_NX_REG0[31]' }, 'reads'],
  ['actions=mod_nw_tos:252', { prints: 'actions=mod_nw_tos:252' }, 'reads'],
  // The same value twice: OVS prints it once; read as written, it means the same.
  ['priority=2,in_port=2,in_port=2 actions=drop', { prints: 'priority=2,in_port=2 actions=drop' }, 'reads'],
  ['ip,udp actions=drop', { prints: 'udp actions=drop' }, 'reads'],
  ['udp,nw_proto=17 actions=drop', { prints: 'udp actions=drop' }, 'reads'],
  ['ip,dl_type=0x0800 actions=drop', { prints: 'ip actions=drop' }, 'reads'],
  ['udp,tp_dst=67,udp_dst=67 actions=drop', { prints: 'udp,tp_dst=67 actions=drop' }, 'reads'],
  ['dl_vlan=1,vlan_tci=0x1001 actions=drop', { prints: 'dl_vlan=1,dl_vlan_pcp=0 actions=drop' }, 'reads'],
  ['ip,nw_tos=4,ip_dscp=1 actions=drop', { prints: 'ip,nw_tos=4 actions=drop' }, 'reads'],
  ['actions=drop,drop', { prints: 'actions=drop' }, 'reads'],
  // A field set twice with different values (or a shorthand and the field it sets): OVS keeps
  // the last, silently. Never printed; refused.
  [
    'priority=2,in_port=2,in_port=3 actions=drop',
    { prints: 'priority=2,in_port=3 actions=drop' },
    /in_port given twice/,
  ],
  ['udp,nw_proto=6 actions=drop', { prints: 'tcp actions=drop' }, /udp and nw_proto=6 set nw_proto/],
  ['udp,tcp actions=drop', { prints: 'tcp actions=drop' }, /set nw_proto/],
  ['ip,arp actions=drop', { prints: 'arp actions=drop' }, /ip and arp set dl_type/],
  ['udp,tp_dst=67,udp_dst=68 actions=drop', { prints: 'udp,tp_dst=68 actions=drop' }, /set the same bits/],
  ['dl_vlan=1,vlan_tci=0x1002 actions=drop', { prints: 'dl_vlan=2,dl_vlan_pcp=0 actions=drop' }, /same bits/],
  ['dl_vlan_pcp=3,vlan_pcp=4 actions=drop', { prints: 'dl_vlan_pcp=4 actions=drop' }, /same bits/],
  ['ip,nw_tos=4,ip_dscp=2 actions=drop', { prints: 'ip,nw_tos=8 actions=drop' }, /same bits/],
  [
    'ct_state=+trk,ct_state=+new actions=drop',
    { prints: 'ct_state=+new actions=drop' },
    /ct_state given twice/,
  ],
  ['reg0=0x1/0x1,reg0=0x2/0x2 actions=drop', { prints: 'reg0=0x2/0x2 actions=drop' }, /reg0 given twice/],
  // A value wider than the field (ovs-fields(7)) but within its bytes: OVS keeps the low bits.
  [
    'dl_vlan=5000 actions=drop',
    { prints: 'dl_vlan=904 actions=drop' },
    /dl_vlan: 5000 does not fit in 12 bits/,
  ],
  ['dl_vlan=4096 actions=drop', { prints: 'dl_vlan=0 actions=drop' }, /does not fit in 12 bits/],
  ['vlan_pcp=8 actions=drop', { prints: 'dl_vlan_pcp=0 actions=drop' }, /does not fit in 3 bits/],
  ['ip,ip_dscp=64 actions=drop', { prints: 'ip,nw_tos=0 actions=drop' }, /does not fit in 6 bits/],
  ['ip,nw_ecn=4 actions=drop', { prints: 'ip,nw_ecn=0 actions=drop' }, /does not fit in 2 bits/],
  ['ip,nw_tos=3 actions=drop', { prints: 'ip,nw_tos=0 actions=drop' }, /bits the field does not hold/],
  ['mpls,mpls_tc=8 actions=drop', { prints: 'mpls,mpls_tc=0 actions=drop' }, /does not fit in 3 bits/],
  // Port numbers OVS reads as reserved ports, and prints by name.
  ['in_port=65534 actions=drop', { prints: 'in_port=LOCAL actions=drop' }, /OVS reads it as LOCAL/],
  ['in_port=65527 actions=drop', { prints: 'in_port=UNSET actions=drop' }, /OVS reads it as UNSET/],
  ['in_port=4294967294 actions=drop', { prints: 'in_port=LOCAL actions=drop' }, /OVS reads it as LOCAL/],
  ['actions=output:4294967294', { prints: 'actions=LOCAL' }, /OVS reads it as LOCAL/],
  // A field without the protocol it belongs to: OVS leaves it out of the match (logging
  // "normalization changed ofp_match" at INFO), so the flow matches what the field would not.
  // Refused when the flow names no dl_type at all.
  ['tp_dst=67 actions=drop', { prints: 'actions=drop' }, /tp_dst=67 without the protocol it belongs to/],
  ['nw_src=1.2.3.4 actions=drop', { prints: 'actions=drop' }, /without the protocol/],
  ['nw_proto=17 actions=drop', { prints: 'actions=drop' }, /without the protocol/],
  ['icmp_type=8 actions=drop', { prints: 'actions=drop' }, /without the protocol/],
  ['arp_tpa=1.2.3.4 actions=drop', { prints: 'actions=drop' }, /without the protocol/],
  ['udp,tp_dst=67 actions=drop', { prints: 'udp,tp_dst=67 actions=drop' }, 'reads'],
  ['dl_type=0x0800,nw_src=1.2.3.4 actions=drop', { prints: 'ip,nw_src=1.2.3.4 actions=drop' }, 'reads'],
  [
    'packet_type=(1,0x800),nw_src=1.2.3.4 actions=drop',
    { prints: 'packet_type=(1,0x800),nw_src=1.2.3.4 actions=drop' },
    'reads',
  ],
  // A port or ICMP field (kept in tp_src/tp_dst) on a flow that is not IPv4/IPv6 with TCP, UDP,
  // SCTP or ICMP: OVS leaves it out too.
  ['ip,tp_dst=67 actions=drop', { prints: 'ip actions=drop' }, /tp_dst=67 on a flow of ip, not TCP/],
  ['ipv6,tp_dst=67 actions=drop', { prints: 'ipv6 actions=drop' }, /on a flow of ipv6/],
  ['dl_type=0x0800,tp_dst=67 actions=drop', { prints: 'ip actions=drop' }, /on a flow of ip,/],
  ['ip,udp_dst=67 actions=drop', { prints: 'ip actions=drop' }, /udp_dst=67 on a flow of ip/],
  ['ip,icmp_type=8 actions=drop', { prints: 'ip actions=drop' }, /icmp_type=8 on a flow of ip/],
  ['arp,tp_dst=1 actions=drop', { prints: 'arp actions=drop' }, /on a flow of dl_type=0x0806/],
  ['ip,nw_proto=47,tp_dst=1 actions=drop', { prints: 'ip,nw_proto=47 actions=drop' }, /of nw_proto=47/],
  ['ip,nw_proto=17,udp_dst=67 actions=drop', { prints: 'udp,tp_dst=67 actions=drop' }, 'reads'],
  ['udp6,tp_dst=547 actions=drop', { prints: 'udp6,tp_dst=547 actions=drop' }, 'reads'],
  ['ipv6,nw_proto=58,icmpv6_type=135 actions=drop', { prints: 'icmp6,icmp_type=135 actions=drop' }, 'reads'],
  // Refused by OVS.
  [
    'actions=drop,NORMAL',
    { refuses: '"drop" must not be accompanied by any other action' },
    /"drop" must not/,
  ],
  [
    'actions=NORMAL,drop',
    { refuses: '"drop" must not be accompanied by any other action' },
    /"drop" must not/,
  ],
  ['actions=goto_table:1,drop', { refuses: '"drop" must not be accompanied' }, /"drop" must not/],
  ['actions=clone(output:1,drop)', { refuses: '"drop" must not be accompanied' }, /"drop" must not/],
  ['in_port=65536 actions=drop', { refuses: '65536: invalid or unknown port for in_port' }, /OVS refuses it/],
  ['actions=output:65536', { refuses: '65536: output to unknown port' }, /OVS refuses it/],
  ['actions=output:65280', { refuses: 'OFPBAC_BAD_OUT_PORT' }, /OVS refuses output to it/],
  ['reg0=0x100000000 actions=drop', { refuses: 'value too large for 4-byte field reg0' }, /fit in 32 bits/],
  ['ip,nw_proto=256 actions=drop', { refuses: 'value too large for 1-byte field nw_proto' }, /fit in 8 bits/],
  ['tcp,tcp_flags=0x1000 actions=drop', { refuses: 'unknown TCP flag(s)' }, /fit in 12 bits/],
  ['actions=mod_vlan_vid:4096', { refuses: 'not a valid VLAN VID' }, /fit in 12 bits/],
  ['actions=mod_vlan_pcp:8', { refuses: 'not a valid VLAN PCP' }, /fit in 3 bits/],
  ['actions=mod_nw_tos:3', { refuses: 'not a valid TOS' }, /not a valid TOS/],
  [
    'actions=set_field:8->vlan_pcp',
    { refuses: '8 is not a valid value for field vlan_pcp' },
    /fit in 3 bits/,
  ],
  [
    'actions=load:0x10->NXM_NX_REG0[0..3]',
    { refuses: 'value 0x10 does not fit into 4 bits' },
    /4 bits it loads/,
  ],
  ['actions=load:0x1005->OXM_OF_VLAN_VID[]', { refuses: 'value 4101 does not fit into 12 bits' }, /12 bits/],
  ['actions=load:1->OXM_OF_VLAN_VID[0..12]', { refuses: 'field is only 12 bits wide' }, /exceeds the 12-bit/],
  ['actions=0x2', { refuses: 'unknown action 0x2' }, /not a port number/],
  [
    'actions=move:NXM_NX_REG0[]->NXM_NX_REG1[0..15]',
    { refuses: 'source field is 32 bits wide but destination is 16 bits wide' },
    /source is 32 bits wide, the destination 16/,
  ],
  [
    'actions=move:NXM_OF_ETH_SRC[]->NXM_NX_REG0[]',
    { refuses: 'source field is 48 bits wide but destination is 32 bits wide' },
    /48 bits wide, the destination 32/,
  ],
  [
    'actions=move:NXM_OF_IN_PORT[]->NXM_NX_REG1[]',
    { refuses: 'source field is 16 bits wide but destination is 32 bits wide' },
    /16 bits wide, the destination 32/,
  ],
  [
    'actions=move:NXM_OF_IN_PORT[]->NXM_NX_REG1[0..15]',
    { prints: 'actions=move:NXM_OF_IN_PORT[]->NXM_NX_REG1[0..15]' },
    'reads',
  ],
  [
    'actions=move:in_port[]->reg0[]',
    { refuses: 'source field is 16 bits wide but destination is 32 bits wide' },
    /16 bits wide, the destination 32/,
  ],
  [
    'actions=move:OXM_OF_IN_PORT[]->NXM_NX_REG0[]',
    { prints: 'actions=move:OXM_OF_IN_PORT[]->NXM_NX_REG0[]' },
    'reads',
  ],
  [
    'actions=move:NXM_NX_REG0[0..7]->NXM_NX_REG1[8..15]',
    { prints: 'actions=move:NXM_NX_REG0[0..7]->NXM_NX_REG1[8..15]' },
    'reads',
  ],
  [
    'actions=load:0x10000->NXM_OF_IN_PORT[]',
    { refuses: '0x10000->NXM_OF_IN_PORT[]: cannot parse integer value' },
    /16 bits it loads/,
  ],
  // OVS reads a hex number where a port goes as a port's name (none here: refused; on a bridge
  // with a port named `0x3` it is that port, which --names prints quoted: `in_port="0x3"`).
  ['in_port=0x3 actions=drop', { refuses: '0x3: invalid or unknown port for in_port' }, 'reads'],
  // A well-formed action OVS does not know: refused by OVS, an unsupported node here (by design).
  ['actions=dr0p', { refuses: 'unknown action dr0p' }, 'reads'],
];

describe('flow text OVS 3.1.0 would not print', () => {
  it.each(TABLE)('%s', (text, _ovs, ours) => {
    if (ours === 'reads') {
      expect(formatFlow(parseFlow(text))).toBe(text);
      return;
    }
    const err = thrown(() => parseFlow(text), FlowSyntaxError, text);
    expect((err as Error).message).toMatch(ours);
  });

  it('reads a hex port as the name OVS reads it as, and an unknown action as unsupported', () => {
    expect(parseFlow('in_port=0x3 actions=drop').match[0]).toMatchObject({
      value: { t: 'port', port: { kind: 'name', name: '0x3', quoted: false } },
    });
    expect(parseFlow('actions=dr0p').actions).toEqual([{ type: 'unsupported', name: 'dr0p', text: 'dr0p' }]);
  });

  it('points at the second value of a field given twice', () => {
    try {
      parseFlow('priority=2,in_port=2,in_port=3 actions=drop');
      expect.unreachable();
    } catch (e) {
      expect((e as FlowSyntaxError).column).toBe(22);
    }
  });
});

const version = spawnSync('ovs-ofctl', ['--version'], { encoding: 'utf8' });
const ovs31 = version.status === 0 && /\b3\.1\.\d+/.test(version.stdout);

// Real OVS or a loud failure, never a skip (npm test installs Debian 12's openvswitch-switch).
describe('the table against the real ovs-ofctl 3.1 (parse-flow)', () => {
  it('ovs-ofctl 3.1 is installed', () => {
    expect(ovs31, `ovs-ofctl --version: ${version.stdout ?? ''}${version.error ?? ''}`).toBe(true);
  });
  // Every NXM/OXM spelling's width as refWidth counts it is the one OVS's move counts: a move of
  // the whole field into as many bits of xxreg0 is never refused for its width (it may be for
  // the field's prerequisites, which this flow does not give).
  it('counts the width of every field spelling as OVS does (move:NAME[]->xxreg0)', () => {
    const wrong: string[] = [];
    for (const [name, def] of FIELDS) {
      const w = refWidth({ name, field: def.name });
      if (w === undefined) continue;
      const r = spawnSync('ovs-ofctl', ['parse-flow', `actions=move:${name}[]->NXM_NX_XXREG0[0..${w - 1}]`], {
        encoding: 'utf8',
      });
      if (/bits wide/.test(r.stderr)) wrong.push(`${name} (${w}): ${r.stderr.trim()}`);
    }
    expect(wrong).toEqual([]);
  });
  it.each(TABLE)('%s', (text, ovs) => {
    const r = spawnSync('ovs-ofctl', ['parse-flow', text], { encoding: 'utf8' });
    if ('refuses' in ovs) {
      expect(r.status, r.stdout).not.toBe(0);
      expect(r.stderr).toContain(ovs.refuses);
    } else {
      expect(r.status, r.stderr).toBe(0);
      const added = r.stdout.split('\n').find((l) => l.includes(': ADD '));
      expect(added?.slice(added.indexOf(': ADD ') + 6)).toBe(ovs.prints);
    }
  });
});
