// The typed AST of OpenFlow flow syntax as ovs-ofctl prints and accepts it.

/** The protocol a dump was taken in (`-O OpenFlow13`, or the reply header's `(OF1.3)`). */
export type OpenFlowVersion =
  | 'OpenFlow10'
  | 'OpenFlow11'
  | 'OpenFlow12'
  | 'OpenFlow13'
  | 'OpenFlow14'
  | 'OpenFlow15';

/** How an integer was written, so formatting gives back the same text. */
export interface IntFormat {
  hex: boolean;
  /** Hex digits written (0x0000 → 4, 0x3 → 1); 0 for decimal. */
  pad: number;
}

/** Integer value of a field up to 32 bits wide, optionally masked. */
export interface IntValue {
  t: 'int';
  v: number;
  m?: number;
  fmt: IntFormat;
  mfmt?: IntFormat;
}

/** Integer value of a field wider than 32 bits (metadata, tun_id, cookie, xreg, ct_label). */
export interface BigValue {
  t: 'big';
  v: bigint;
  m?: bigint;
  fmt: IntFormat;
  mfmt?: IntFormat;
}

export interface MacValue {
  t: 'mac';
  /** 48-bit address as a number (fits a double exactly). */
  v: number;
  m?: number;
}

export interface Ipv4Value {
  t: 'ipv4';
  v: number;
  /** Mask as a 32-bit unsigned number. */
  m?: number;
  /** Set when written as /len. */
  prefix?: number;
}

export interface Ipv6Value {
  t: 'ipv6';
  v: bigint;
  m?: bigint;
  prefix?: number;
}

/** Reserved OpenFlow port names ovs-ofctl accepts and prints. */
export type ReservedPort =
  | 'LOCAL'
  | 'IN_PORT'
  | 'NORMAL'
  | 'FLOOD'
  | 'ALL'
  | 'CONTROLLER'
  | 'ANY'
  | 'NONE'
  | 'TABLE';

export type PortRef =
  | { kind: 'number'; n: number }
  | { kind: 'reserved'; name: ReservedPort }
  /** A port written by name (`--names` output, or a flow typed by a user); resolved against the bridge. */
  | { kind: 'name'; name: string; quoted: boolean };

export interface PortValue {
  t: 'port';
  port: PortRef;
}

/** ct_state / tcp_flags written as +flag-flag; `numeric` when written as 0x../0x... */
export interface FlagsValue {
  t: 'flags';
  flags: { name: string; on: boolean }[];
}

/** Enumerated values such as nw_frag=later. */
export interface EnumValue {
  t: 'enum';
  v: string;
}

export type FieldValue =
  | IntValue
  | BigValue
  | MacValue
  | Ipv4Value
  | Ipv6Value
  | PortValue
  | FlagsValue
  | EnumValue;

export type MatchItem =
  /** `ip`, `udp`, `arp`...: a protocol shorthand, kept as written. */
  | { kind: 'shorthand'; name: string }
  /** `field=value[/mask]` with a known field. `name` is the spelling used (alias, NXM_ or OXM_ name). */
  | { kind: 'field'; field: string; name: string; value: FieldValue }
  /** A key the field table does not know: carried verbatim and reported, never dropped. */
  | { kind: 'unsupported'; text: string };

/** A reference to bits of a field: `NXM_NX_REG0[0..15]`, `reg0[]`, `OXM_OF_VLAN_VID[]`. */
export interface FieldRef {
  /** Canonical field name when the table knows it. */
  field?: string;
  /** As written. */
  name: string;
  /** Bit range; both undefined for the whole field (`[]`). */
  start?: number;
  end?: number;
  /** Written with a single bit index (`[3]`). */
  single?: boolean;
  /** Written without brackets (`->vlan_vid`, `zone=reg6`?): the whole field. */
  bare?: boolean;
}

export type CtArg =
  | { kind: 'flag'; name: 'commit' | 'force' }
  | { kind: 'zone'; zone: number | FieldRef }
  | { kind: 'table'; table: number }
  | { kind: 'alg'; alg: string }
  | { kind: 'nat'; text: string }
  | { kind: 'exec'; actions: Action[] }
  | { kind: 'other'; text: string };

export type LearnSpec =
  | { kind: 'kv'; key: string; value: string }
  | { kind: 'flag'; name: string }
  /** `NXM_OF_VLAN_TCI[0..11]` (match the packet's own value) or `dst=src|value`. */
  | { kind: 'match'; dst: FieldRef | string; src?: FieldRef | string }
  | { kind: 'load'; src: FieldRef | string; dst: FieldRef }
  | { kind: 'output'; src: FieldRef };

export type Action =
  | { type: 'output'; port: PortRef; bare: boolean }
  | { type: 'output_reg'; src: FieldRef }
  | { type: 'normal' }
  | { type: 'flood' }
  | { type: 'all' }
  | { type: 'local' }
  | { type: 'in_port' }
  | { type: 'drop' }
  | { type: 'controller'; text: string; maxLen?: number; args?: string[] }
  /** `spelling` when printed the OpenFlow 1.1 way (`set_vlan_vid:2` in an `-O OpenFlow11` dump). */
  | { type: 'mod_vlan_vid'; vid: number; spelling?: 'set_vlan_vid' }
  | { type: 'mod_vlan_pcp'; pcp: number; spelling?: 'set_vlan_pcp' }
  | { type: 'strip_vlan' }
  | { type: 'pop_vlan' }
  | { type: 'push_vlan'; ethertype: number }
  | { type: 'set_field'; value: FieldValue; dst: FieldRef }
  | { type: 'load'; value: bigint; hex: boolean; dst: FieldRef }
  | { type: 'move'; src: FieldRef; dst: FieldRef }
  | { type: 'resubmit'; port?: PortRef; table?: number; ct: boolean; paren: boolean }
  | { type: 'goto_table'; table: number }
  | { type: 'ct'; args: CtArg[] }
  | { type: 'learn'; specs: LearnSpec[]; text: string }
  | { type: 'conjunction'; id: number; clause: number; nClauses: number }
  | { type: 'note'; hex: string }
  | { type: 'mod_dl_src'; mac: number }
  | { type: 'mod_dl_dst'; mac: number }
  | { type: 'mod_nw_src'; ip: number }
  | { type: 'mod_nw_dst'; ip: number }
  | { type: 'mod_nw_tos'; tos: number }
  | { type: 'mod_tp_src'; port: number }
  | { type: 'mod_tp_dst'; port: number }
  /** `dec_ttl` or `dec_ttl(id,...)`: the controller ids to notify when the TTL runs out. */
  | { type: 'dec_ttl'; ids?: number[] }
  /** `check_pkt_larger(len)->dst`: sets the 1-bit dst when the packet is longer than len. */
  | { type: 'check_pkt_larger'; len: number; dst: FieldRef }
  /** Runs its actions on a copy of the packet; the original continues unchanged. */
  | { type: 'clone'; actions: Action[] }
  | { type: 'ct_clear' }
  | { type: 'group'; group: number }
  | { type: 'meter'; meter: number }
  /** `output(port=P,max_len=N)`: output truncated to N bytes. */
  | { type: 'output_trunc'; port: PortRef; maxLen: number }
  /** sample(...), fin_timeout(...), bundle(...), bundle_load(...), multipath(...), encap(...), decap(...):
   * parsed into their arguments (as printed) but not simulated. */
  | { type: 'args'; name: ArgsActionName; args: string[]; dst?: FieldRef }
  | { type: 'push_mpls'; ethertype: number }
  | { type: 'pop_mpls'; ethertype: number }
  /** set_mpls_label / set_mpls_tc / set_mpls_ttl; `paren` when printed as `set_mpls_ttl(10)`. */
  | { type: 'set_mpls'; field: 'label' | 'tc' | 'ttl'; value: number; paren: boolean }
  | { type: 'dec_mpls_ttl' }
  /** set_tunnel:ID (32-bit form) or set_tunnel64:ID. */
  | { type: 'set_tunnel'; id: bigint; wide: boolean }
  | { type: 'mod_nw_ecn'; ecn: number }
  | { type: 'mod_nw_ttl'; ttl: number }
  | { type: 'delete_field'; field: FieldRef }
  | { type: 'write_metadata'; value: BigValue }
  /** push:ref / pop:ref on the field stack. */
  | { type: 'stack'; op: 'push' | 'pop'; ref: FieldRef }
  /** write_actions(...) (OpenFlow 1.1+ action set). */
  | { type: 'write_actions'; actions: Action[] }
  | { type: 'clear_actions' }
  | { type: 'exit' }
  | { type: 'debug'; name: 'debug_recirc' | 'debug_slow' }
  | { type: 'enqueue'; port: PortRef; queue: number; paren: boolean }
  | { type: 'set_queue'; queue: number }
  | { type: 'pop_queue' }
  /** Syntax the table does not model: kept verbatim; the simulator reports it. */
  | { type: 'unsupported'; name: string; text: string };

export type ActionType = Action['type'];

export type ArgsActionName =
  | 'sample'
  | 'fin_timeout'
  | 'bundle'
  | 'bundle_load'
  | 'multipath'
  | 'encap'
  | 'decap';

/** Flags ovs-ofctl prints between the statistics and the match. */
export type FlowFlag =
  | 'send_flow_rem'
  | 'check_overlap'
  | 'reset_counts'
  | 'no_packet_counts'
  | 'no_byte_counts';

export interface FlowStats {
  /** Seconds, and how many decimals were printed (277625.02s vs 47.220s). */
  duration?: number;
  durationDigits?: number;
  n_packets?: number;
  n_bytes?: number;
  idle_age?: number;
  hard_age?: number;
}

/** One flow: as `ovs-ofctl dump-flows` prints it, or as a user would `add-flow` it. */
export interface Flow {
  cookie?: BigValue;
  table: number;
  /** `table=` was written (dumps with stats always print it; --no-stats only when ≠ 0). */
  tableShown: boolean;
  priority: number;
  /** Absent priority means OpenFlow's default 32768. */
  priorityShown: boolean;
  stats: FlowStats;
  idle_timeout?: number;
  hard_timeout?: number;
  importance?: number;
  flags: FlowFlag[];
  match: MatchItem[];
  actions: Action[];
}

export const DEFAULT_PRIORITY = 32768;
