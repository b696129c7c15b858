// `ovs-ofctl show <br>` (OF1.0: ports inline after `actions:`; OF1.3+: ports in a separate
// OFPST_PORT_DESC reply) and `ovs-ofctl dump-ports-desc <br>`. Names here are cut to 15 bytes and
// lose non-ASCII (reference/parse-notes.md): map ports by number against OVSDB data.
import {
  type Diagnostic,
  diag,
  hasCorrupt,
  ovsMessage,
  type Parsed,
  splitLines,
  unreadable,
} from './diagnostics.ts';

export interface OfctlPort {
  /** OpenFlow port number, or 'LOCAL' for the bridge's own port. */
  ofport: number | 'LOCAL';
  name: string;
  addr: string;
  config: string[];
  state: string[];
  current?: string[];
  speedMbps?: number;
  line: number;
}

export interface OfctlShow {
  dpid?: string;
  /** e.g. OpenFlow10, OpenFlow13 (from the reply header). */
  version?: string;
  nTables?: number;
  ports: OfctlPort[];
}

const FEATURES = /^OFPT_FEATURES_REPLY(?: \(OF1\.(\d)\))? \(xid=0x[0-9a-f]+\): dpid:([0-9a-f]{16})$/;
const PORT_DESC = /^OFPST_PORT_DESC reply(?: \(OF1\.(\d)\))? \(xid=0x[0-9a-f]+\):$/;
const PORT = /^(\d+|LOCAL)\((.*)\): addr:([0-9a-f]{2}(?::[0-9a-f]{2}){5})$/;
const PROP = /^(config|state|current|advertised|supported|peer):\s*(.*)$/;
const SPEED = /^speed: (\d+) Mbps now, (\d+) Mbps max$/;
const IGNORED = /^(n_tables:|capabilities:|actions:|OFPT_GET_CONFIG_REPLY)/;
/**
 * The words of the `capabilities:` and `actions:` header fields (ofp-print: OF1.0's action names
 * in capitals before OVS 2.0, in lower case since), whatever the OpenFlow version.
 */
const HEADER_WORDS = new Set(
  [
    'FLOW_STATS TABLE_STATS PORT_STATS STP IP_REASM QUEUE_STATS ARP_MATCH_IP GROUP_STATS PORT_BLOCKED BUNDLES FLOW_MONITORING',
    'OUTPUT SET_VLAN_VID SET_VLAN_PCP STRIP_VLAN SET_DL_SRC SET_DL_DST SET_NW_SRC SET_NW_DST SET_NW_TOS SET_NW_ECN SET_TP_SRC SET_TP_DST ENQUEUE',
    'COPY_TTL_OUT COPY_TTL_IN SET_MPLS_LABEL SET_MPLS_TC SET_MPLS_TTL DEC_MPLS_TTL PUSH_VLAN POP_VLAN PUSH_MPLS POP_MPLS SET_QUEUE GROUP SET_NW_TTL DEC_NW_TTL',
    'output enqueue set_vlan_vid set_vlan_pcp strip_vlan mod_dl_src mod_dl_dst mod_nw_src mod_nw_dst mod_nw_tos mod_tp_src mod_tp_dst',
  ].flatMap((l) => l.split(' ')),
);
/** A line of those words only: the rest of a header field a paste wrapped (`ARP_MATCH_IP`). */
const headerWords = (t: string): boolean => t.split(/\s+/).every((w) => HEADER_WORDS.has(w));

export function parseOfctlShow(text: string): Parsed<OfctlShow> {
  const { lines, diagnostics } = splitLines(text);
  const show: OfctlShow = { ports: [] };
  if (hasCorrupt(diagnostics)) return { value: show, diagnostics };
  let port: OfctlPort | undefined;
  let data = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const n = i + 1;
    const t = raw.trim();
    if (t === '') continue;
    let m = FEATURES.exec(t);
    if (m) {
      data = true;
      show.dpid = m[2]!;
      show.version = m[1] ? `OpenFlow1${m[1]}` : 'OpenFlow10';
      continue;
    }
    if (PORT_DESC.test(t)) {
      data = true;
      continue;
    }
    if (IGNORED.test(t)) {
      const nt = /^n_tables:(\d+)/.exec(t);
      if (nt) show.nTables = Number(nt[1]);
      // A header field wrapped by a doc or a forum (its words go on at the next lines): lines of
      // its words only are the field's, header text vifpath does not use. Said once per field; a
      // blank line ends it (a wrap adds none).
      const field = /^(capabilities|actions):/.exec(t)?.[1];
      let j = i + 1;
      while (field && j < lines.length && headerWords(lines[j]!.trim())) j++;
      if (j > i + 1) {
        diagnostics.push(
          diag(
            'warning',
            n,
            'rejoined',
            `the ${field}: header field wrapped over lines ${n}-${j} (a paste): read as one field (header text, not used)`,
          ),
        );
        i = j - 1;
      }
      continue;
    }
    m = PORT.exec(t);
    if (m) {
      data = true;
      port = {
        ofport: m[1] === 'LOCAL' ? 'LOCAL' : Number(m[1]),
        name: m[2]!,
        addr: m[3]!,
        config: [],
        state: [],
        line: n,
      };
      show.ports.push(port);
      continue;
    }
    m = PROP.exec(t);
    if (m && port) {
      const words = m[2]!.split(/\s+/).filter((w) => w !== '' && w !== '0');
      if (m[1] === 'config') port.config = words;
      else if (m[1] === 'state') port.state = words;
      else if (m[1] === 'current') port.current = words;
      continue;
    }
    m = SPEED.exec(t);
    if (m && port) {
      port.speedMbps = Number(m[1]);
      continue;
    }
    const om = ovsMessage(t, n);
    if (om) {
      diagnostics.push(om);
      continue;
    }
    diagnostics.push(unreadable(lines, i, text, 'not-ofctl-show', 'not an ovs-ofctl show line'));
  }
  if (!data && !diagnostics.some((d) => d.severity === 'ovs'))
    diagnostics.push(
      diag('corrupt', 0, 'empty', 'no OFPT_FEATURES_REPLY or port list: not ovs-ofctl show output'),
    );
  return { value: show, diagnostics };
}

export type { Diagnostic };
