// A command's file name that carries more than the command: sos's name rule (`_mangle_command`)
// turns `ovs-ofctl show br-int | grep 3e399bf2-31` into `ovs-ofctl_show_br-int_grep_3e399bf2-31`
// and `ovs-ofctl dump-flows xapi3 table=0` into `ovs-ofctl_dump-flows_xapi3_table_0`. The words
// after the bridge (or the record) are a filter, not part of its name: the file is an excerpt of
// the command's output for that bridge. Which reading holds is decided with the bridges the case
// knows (case-dir.ts): a bridge of the case so named is that bridge; else the words before the
// filter are.

/** What a name's filter residue says: the operand before it and the filter, as written. */
export interface FilteredName {
  /** The bridge (ofctl-show, dump-flows) or the record (ovs-vsctl list) before the filter. */
  before: string;
  /** The filter, its words as the command had them (`grep 3e399bf2-31`, `table=0`). */
  filter: string;
  /** `match`: a flow match after dump-flows (only the flows it matches); `pipe`: a shell filter. */
  how: 'pipe' | 'match';
  /**
   * The match is one table and nothing else (`table=N`): the file is that table's flows, all of
   * them (a per-table dump). 255 is OpenFlow's "all tables": ovs-ofctl then dumps every table.
   */
  table?: number;
}

// A shell filter the output was piped through (`| grep X`, `| head -20`): its `|` and spaces
// became `_`.
const PIPE =
  /^(.+?)_((?:grep|egrep|fgrep|zgrep|rg|head|tail|sort|uniq|awk|sed|cut|less|more|wc|column|tee)(?:_.*)?)$/;

// A flow match written after the bridge (`dump-flows br-int table=0`, `cookie=0x…`, `in_port=2`,
// `dl_vlan=5`, `reg5=0x3`): sos turned its `=`, `:`, `(` and `,` into `_`; a name typed by hand
// keeps them (`ovs-ofctl_dump-flows_br-int_table=0`).
const MATCH =
  /^(.+?)[_ ]((?:table|cookie|in_port|dl_vlan|dl_src|dl_dst|dl_type|vlan_tci|nw_src|nw_dst|nw_proto|tp_src|tp_dst|tun_id|priority|reg\d+|metadata|arp|ip|ipv6|udp|tcp|icmp|icmp6)(?:[_=:( ,].+)?)$/;

// One table and nothing else, as ovs-ofctl takes it (`table=N`, `table:N`, `table(N)`, decimal) or
// as sos's rule writes any of them (`table_N`); `table N` and `--table=N`, which ovs-ofctl refuses
// ("field table missing value", "unrecognized option"), only as a name typed for the command: the
// file's flows say whether it is one table's (readers.ts checks every flow's table).
const TABLE = /^(.+?)[_ ](?:--)?table(?:[=:_ ]|\()(\d{1,3})\)?$/;

/**
 * The filter residue after the operand of a per-bridge or per-record command, if its name has one.
 * `match` only for dump-flows (whose operands after the bridge are a flow match).
 */
export function filteredName(operand: string, dumpFlows: boolean): FilteredName | undefined {
  const p = PIPE.exec(operand);
  if (p) return { before: p[1]!, filter: words(p[2]!), how: 'pipe' };
  if (dumpFlows) {
    const t = TABLE.exec(operand);
    if (t && Number(t[2]) <= 255)
      return { before: t[1]!, filter: `table=${Number(t[2])}`, how: 'match', table: Number(t[2]) };
    const m = MATCH.exec(operand);
    if (m) return { before: m[1]!, filter: matchWords(m[2]!), how: 'match' };
  }
  return undefined;
}

/** `grep_3e399bf2-31` → `grep 3e399bf2-31` (the command's words, as far as the name keeps them). */
function words(s: string): string {
  return s.split('_').filter(Boolean).join(' ');
}

/** `table_0` → `table=0`, `in_port_2_dl_vlan_5` → `in_port=2,dl_vlan=5` (field=value pairs). */
function matchWords(s: string): string {
  const t = s.split(/[_=:(), ]/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < t.length; i++) {
    const field = /^(?:in|dl|nw|tp|tun|vlan)$/.test(t[i]!) && t[i + 1] ? `${t[i]}_${t[++i]}` : t[i]!;
    if (/^(?:arp|ip|ipv6|udp|tcp|icmp|icmp6)$/.test(field) || t[i + 1] === undefined) out.push(field);
    else out.push(`${field}=${t[++i]}`);
  }
  return out.join(',');
}
