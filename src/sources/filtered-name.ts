// A command's file name that carries more than the command: sos's name rule (`_mangle_command`)
// turns `ovs-ofctl show br-int | grep 3e399bf2-31` into `ovs-ofctl_show_br-int_grep_3e399bf2-31`
// and `ovs-ofctl dump-flows xapi3 table=0` into `ovs-ofctl_dump-flows_xapi3_table_0`. The words
// after the bridge (or the record) are a filter, not part of its name: the file is an excerpt of
// the command's output for that bridge. Which reading holds is decided with the bridges the case
// knows (case-dir.ts): a bridge of the case so named is that bridge; else the words before the
// filter are.
//
// The grammar is compositional: the operand, then one or more filters in any order, each of them
// a flow match after dump-flows (`table=2`, `table_2`, `in_port=2`, `cookie=0x…`) or a shell
// filter the output was piped through (`grep 0x1b`, `grep -A1 tap…`, `head -20`):
// `ovs-ofctl dump-flows br-tun table=2 | grep 0x1b` saved as `…_br-tun_table=2_grep_0x1b` is table
// 2 of br-tun, filtered by `grep 0x1b`: an excerpt of that table.

/** What a name's filter residue says: the operand before it and the filter, as written. */
export interface FilteredName {
  /** The bridge (ofctl-show, dump-flows) or the record (ovs-vsctl list) before the filter. */
  before: string;
  /** The filter, its words as the command had them (`grep 3e399bf2-31`, `table=0`, `table=2 | grep 0x1b`). */
  filter: string;
  /** `match`: only flow matches after dump-flows (only the flows they match); `pipe`: a shell filter too. */
  how: 'pipe' | 'match';
  /**
   * The match names one table (`table=N`): the file is that table's flows (a per-table dump), all
   * of them unless `cut` says what else filtered them. 255 is OpenFlow's "all tables": ovs-ofctl
   * then dumps every table.
   */
  table?: number;
  /**
   * What leaves flows out (the filter without the table): the file is an excerpt, of its table
   * when `table` is set, else of the bridge (then the whole filter). Absent: one table, whole.
   */
  cut?: string;
}

// A shell filter the output was piped through (`| grep X`, `| head -20`): its `|` and spaces
// became `_` (sos) or were kept as spaces (a name typed by hand).
const PIPE =
  /(?:grep|egrep|fgrep|zgrep|rg|head|tail|sort|uniq|awk|sed|cut|less|more|wc|column|tee)(?=[_ ]|$)/y;
// Filters that need a pattern or a program: their first word after options is it, whatever it is
// (`grep table` is a grep for "table", not a table filter).
const PATTERN = /^(?:grep|egrep|fgrep|zgrep|rg|awk|sed)$/;

// A flow match written after the bridge (`dump-flows br-int table=0`, `cookie=0x…`, `in_port=2`,
// `dl_vlan=5`, `reg5=0x3`): sos turned its `=`, `:`, `(` and `,` into `_`; a name typed by hand
// keeps them (`ovs-ofctl_dump-flows_br-int_table=0`). `--table=N`/`--table N`, which ovs-ofctl
// refuses, only as a name typed for the command (readers.ts checks every flow's table).
const FIELD =
  /(?:--)?(?:table|cookie|in_port|dl_vlan|dl_src|dl_dst|dl_type|vlan_tci|nw_src|nw_dst|nw_proto|tp_src|tp_dst|tun_id|priority|reg\d+|metadata|arp|ip|ipv6|udp|tcp|icmp|icmp6)(?=[_=:( ,]|$)/y;

// One table, as ovs-ofctl takes it (`table=N`, `table:N`, `table(N)`, decimal) or as sos's rule
// writes any of them (`table_N`), after matchWords.
const TABLE = /^table=(\d{1,3})$/;

interface Segment {
  how: 'pipe' | 'match';
  /** The segment's words as the command had them. */
  words: string;
}

/**
 * The filter residue after the operand of a per-bridge or per-record command, if its name has one.
 * Flow matches only for dump-flows (whose operands after the bridge are a flow match).
 */
export function filteredName(operand: string, dumpFlows: boolean): FilteredName | undefined {
  // The shortest operand the rest of the name parses after, as filters only.
  for (let i = 1; i < operand.length; i++) {
    if (operand[i] !== '_' && operand[i] !== ' ') continue;
    const before = operand.slice(0, i);
    if (!/[^_ ]/.test(before)) continue;
    const segs = segments(operand, i + 1, dumpFlows);
    if (segs) return compose(before, segs);
  }
  return undefined;
}

/** The rest of the name from `at`, as a sequence of filters; undefined if any word is none. */
function segments(s: string, at: number, dumpFlows: boolean): Segment[] | undefined {
  // Word starts and ends (separated by runs of `_` and spaces).
  const words: { start: number; end: number }[] = [];
  for (const m of s.slice(at).matchAll(/[^_ ]+/g))
    words.push({ start: at + m.index!, end: at + m.index! + m[0].length });
  if (words.length === 0) return undefined;
  const text = (w: { start: number; end: number }): string => s.slice(w.start, w.end);
  const startsPipe = (j: number): boolean => {
    PIPE.lastIndex = words[j]!.start;
    return PIPE.test(s);
  };
  const startsField = (j: number): boolean => {
    FIELD.lastIndex = words[j]!.start;
    return FIELD.test(s);
  };
  const startsTable = (j: number): boolean => {
    if (!startsField(j)) return false;
    const t = text(words[j]!);
    const next = words[j + 1] && text(words[j + 1]!);
    return (
      /^(?:--)?table(?:[=:(]\d{1,3}\)?)$/.test(t) ||
      (/^(?:--)?table$/.test(t) && next !== undefined && /^\d{1,3}\)?$/.test(next))
    );
  };
  const out: Segment[] = [];
  let i = 0;
  while (i < words.length) {
    let j = i + 1;
    if (startsPipe(i)) {
      const cmd = text(words[i]!);
      while (j < words.length && text(words[j]!).startsWith('-')) j++;
      if (PATTERN.test(cmd)) {
        if (j === words.length) return undefined;
        j++;
      }
      // Its arguments run to the next filter: another pipe, or (after dump-flows) a table.
      while (j < words.length && !startsPipe(j) && !(dumpFlows && startsTable(j))) j++;
      out.push({
        how: 'pipe',
        words: s
          .slice(words[i]!.start, words[j - 1]!.end)
          .split(/[_ ]+/)
          .join(' '),
      });
    } else if (dumpFlows && startsField(i)) {
      // A flow match runs to the next pipe.
      while (j < words.length && !startsPipe(j)) j++;
      out.push({ how: 'match', words: matchWords(s.slice(words[i]!.start, words[j - 1]!.end)) });
    } else return undefined;
    i = j;
  }
  return out;
}

/** The filters read together: which table, if one, and what else leaves flows out. */
function compose(before: string, segs: readonly Segment[]): FilteredName {
  // A flow match is dump-flows' own operand, before any pipe, whatever order the name has.
  const ordered = [...segs.filter((x) => x.how === 'match'), ...segs.filter((x) => x.how === 'pipe')];
  const filter = ordered.map((x) => x.words).join(' | ');
  const how = segs.some((x) => x.how === 'pipe') ? 'pipe' : 'match';
  // The match's fields: one `table=N` among them is the table, the rest filter it.
  const tables: number[] = [];
  const rest: string[] = [];
  for (const x of ordered) {
    if (x.how === 'pipe') {
      rest.push(x.words);
      continue;
    }
    const other: string[] = [];
    for (const f of x.words.split(',')) {
      const t = TABLE.exec(f);
      if (t && Number(t[1]) <= 255) tables.push(Number(t[1]));
      else other.push(f);
    }
    if (other.length) rest.push(other.join(','));
  }
  const cut = rest.length ? rest.join(' | ') : undefined;
  // One table named once; `table=255` (every table) only alone: the whole dump.
  const table = tables.length === 1 && (tables[0] !== 255 || cut === undefined) ? tables[0] : undefined;
  if (table !== undefined) return { before, filter, how, table, ...(cut !== undefined ? { cut } : {}) };
  return { before, filter, how, cut: filter };
}

/** `table_0` → `table=0`, `in_port_2_dl_vlan_5` → `in_port=2,dl_vlan=5` (field=value pairs). */
function matchWords(s: string): string {
  const t = s.split(/[_=:(), ]/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < t.length; i++) {
    // `--table N` (typed for ovs-ofctl, which has no such option) is the table it names.
    const field =
      /^(?:in|dl|nw|tp|tun|vlan)$/.test(t[i]!) && t[i + 1]
        ? `${t[i]}_${t[++i]}`
        : t[i]!.replace(/^--table$/, 'table');
    if (/^(?:arp|ip|ipv6|udp|tcp|icmp|icmp6)$/.test(field) || t[i + 1] === undefined) out.push(field);
    else out.push(`${field}=${t[++i]}`);
  }
  return out.join(',');
}
