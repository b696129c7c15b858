// An `ovs-vsctl show` whose indentation a forum or a doc flattened: every line at one indentation,
// so indentation says nothing of the tree. ovs-vsctl prints each record's keys under it, and its
// keywords say which record a line is: a Bridge (or Manager) is at the top, a Port or Controller
// is the last Bridge's, an Interface the last Port's, and each key is of the one kind of record
// that has it (`tag`: a Port's, `type`/`options`: an Interface's, `fail_mode`: a Bridge's). The
// lines are given that indentation before the tree is read, line numbers kept; a key whose record
// the keywords do not determine (one no record of ovs-vsctl show prints, or an Interface's key
// with no Interface line since its Port's) is not read, said. Only a flattening that is whole is
// undone: lines at several indentations are read by their indentation (as ovs-vsctl printed them).
import { type Diagnostic, diag } from './diagnostics.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:\s+#.*)?$/;
const NODE = /^(Manager|Bridge|Controller|Port|Interface) \S/;
const KV = /^([a-z_]+):(?: |$)/;

/** The keys ovs-vsctl show prints, by the record that has them (its cmd_show tables). */
const OWNER: Record<string, 'root' | 'Bridge' | 'Port' | 'Interface' | 'target'> = {
  ovs_version: 'root',
  fail_mode: 'Bridge',
  datapath_type: 'Bridge',
  tag: 'Port',
  trunks: 'Port',
  vlan_mode: 'Port',
  type: 'Interface',
  options: 'Interface',
  error: 'Interface',
  is_connected: 'target',
};

const lead = (l: string): string => /^[ \t]*/.exec(l)![0];

/**
 * Whether the record lines (not the UUID line, comments or blanks) are all at one indentation
 * while holding a Port line and the Bridge or Interface line it nests with: then they are given
 * the indentation their keywords determine (in place) and the diagnostics say so. Else untouched.
 */
export function unflattenShow(lines: string[]): Diagnostic[] {
  const records: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t === '' || t.startsWith('#') || UUID.test(t)) continue;
    records.push(i);
  }
  if (records.length < 2) return [];
  const indent = lead(lines[records[0]!]!);
  if (records.some((i) => lead(lines[i]!) !== indent)) return [];
  const kinds = new Set(records.map((i) => NODE.exec(lines[i]!.trim())?.[1]));
  if (!kinds.has('Port') || !(kinds.has('Bridge') || kinds.has('Interface'))) return [];
  const out: Diagnostic[] = [
    diag(
      'warning',
      records[0]! + 1,
      'flattened',
      "indentation flattened (every line at one indentation: a paste): hierarchy taken from the keywords (a Port is the last Bridge's, an Interface the last Port's, a key its record's: tag a Port's, type and options an Interface's, fail_mode a Bridge's)",
    ),
  ];
  // The records a line may belong to: the last of each kind, while it is still open.
  let bridge = false;
  let port = false;
  let iface = false;
  let target: 'Manager' | 'Controller' | undefined;
  const unread: number[] = [];
  for (const i of records) {
    const t = lines[i]!.trim();
    const node = NODE.exec(t)?.[1];
    let depth: number | undefined;
    if (node === 'Manager' || node === 'Bridge') {
      depth = 1;
      bridge = node === 'Bridge';
      port = iface = false;
      target = node === 'Manager' ? 'Manager' : undefined;
    } else if (node === 'Controller' || node === 'Port') {
      depth = 2;
      port = node === 'Port';
      iface = false;
      target = node === 'Controller' ? 'Controller' : undefined;
    } else if (node === 'Interface') {
      depth = 3;
      iface = true;
      target = undefined;
    } else {
      const key = KV.exec(t)?.[1];
      const owner = key === undefined ? undefined : OWNER[key];
      if (key === undefined)
        depth = 0; // not a show line: its parser says so
      else if (owner === 'root') depth = 1;
      else if (owner === 'Bridge' && bridge) depth = 2;
      else if (owner === 'Port' && port) depth = 3;
      else if (owner === 'Interface' && iface) depth = 4;
      else if (owner === 'target' && target) depth = target === 'Manager' ? 2 : 3;
    }
    if (depth === undefined) {
      unread.push(i);
      lines[i] = '';
    } else lines[i] = `${' '.repeat(4 * depth)}${t}`;
  }
  if (unread.length > 0)
    out.push(
      diag(
        'warning',
        unread[0]! + 1,
        'flattened-unplaced',
        `${unread.length === 1 ? 'a key line' : `${unread.length} key lines, the first here,`} whose record the keywords do not determine (indentation flattened): not read`,
      ),
    );
  return out;
}
