// `brctl show`: the host's Linux bridges and the interfaces enslaved to each (bridge-utils,
// brctl/brctl_cmd.c: a header, then per bridge `name<TAB>id<TAB>STP<TAB>first interface`, each
// further interface on its own line indented with tabs). Read for the hybrid plug (qbr<id> holding
// the VM's tap<id> and the veth end qvb<id>): a qbr without its tap says the VM's device is gone.
import { diag, type Parsed, splitLines } from './diagnostics.ts';

export interface BrctlBridge {
  name: string;
  line: number;
  interfaces: { name: string; line: number }[];
}

export interface BrctlShow {
  bridges: BrctlBridge[];
  /** Every line was read as brctl's (header, bridge, interface): the listing can prove an absence. */
  whole: boolean;
}

const HEADER = /^bridge name\s+bridge id\s+STP enabled\s+interfaces\s*$/;
// A bridge id is <priority>.<mac without colons>; STP enabled is yes or no.
const BRIDGE = /^(\S+)\s+([0-9a-f]{4}\.[0-9a-f]{12})\s+(yes|no)(?:\s+(\S+))?\s*$/;
const MEMBER = /^\s+(\S+)\s*$/;

export function parseBrctlShow(text: string): Parsed<BrctlShow> {
  const { lines, diagnostics } = splitLines(text);
  const bridges: BrctlBridge[] = [];
  let whole = true;
  let cur: BrctlBridge | undefined;
  lines.forEach((l, i) => {
    const n = i + 1;
    if (l.trim() === '' || HEADER.test(l)) return;
    const b = BRIDGE.exec(l);
    if (b) {
      cur = { name: b[1]!, line: n, interfaces: b[4] ? [{ name: b[4], line: n }] : [] };
      bridges.push(cur);
      return;
    }
    const m = MEMBER.exec(l);
    if (m && cur) {
      cur.interfaces.push({ name: m[1]!, line: n });
      return;
    }
    whole = false;
    diagnostics.push(diag('warning', n, 'not-brctl', 'not a `brctl show` line', l));
  });
  return { value: { bridges, whole }, diagnostics };
}
