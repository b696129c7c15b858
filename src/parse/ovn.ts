// What the case's text says of OVN (model/snapshot.ts OvnSign): the processes a `ps` listing shows,
// the first line of ovn-controller's or ovn-northd's log, the first flow of OVN's logical pipeline
// in a flow dump. Each is one line, quoted as evidence; nothing here is a verdict.
import { countLines, type Parsed } from './diagnostics.ts';

/** The OVN daemons a process listing may show, and what each says of the host. */
const DAEMONS: Readonly<Record<string, 'chassis' | 'central'>> = {
  // Programs the host's OVS from the southbound database.
  'ovn-controller': 'chassis',
  // Neutron ML2/OVN's metadata agent: runs beside ovn-controller on every chassis with VMs.
  'neutron-ovn-metadata-agent': 'chassis',
  // Translates the northbound database into the southbound one: an OVN central node.
  'ovn-northd': 'central',
};

export interface OvnProcess {
  daemon: string;
  role: 'chassis' | 'central';
  line: number;
  text: string;
}

// A time column (`0:06`, `12:34:56`, `1-02:03:04`, `04:22`): the command follows one of them, after
// the tree `ps f` draws (`\_`, `|`). The daemon must be the command itself, not an argument
// (`grep ovn-controller`, `tail -f …/ovn-controller.log`).
const TIME = /^(?:\d+-)?\d+:\d\d(?::\d\d)?(?:\.\d+)?$/;
const TREE = /^[|\\_]+$/;

/** The command's program: its base name; for an interpreter (`python3 /usr/bin/x`), its script's. */
function program(first: string, second: string | undefined): string {
  const base = (w: string): string => w.slice(w.lastIndexOf('/') + 1);
  const p = base(first);
  return /^python[\d.]*$/.test(p) && second ? base(second) : p;
}

/** The daemon of `known` a `ps` line runs, if any. */
function daemonOf(line: string, known: (p: string) => boolean): string | undefined {
  const w = line.trim().split(/\s+/);
  for (let i = 0; i < w.length - 1; i++) {
    if (!TIME.test(w[i]!)) continue;
    let j = i + 1;
    while (j < w.length && TREE.test(w[j]!)) j++;
    if (j >= w.length) continue;
    const p = program(w[j]!, w[j + 1]);
    if (known(p)) return p;
  }
  return undefined;
}

/**
 * The OVN daemons a process listing shows (`ps auxfwww`, `ps -elfL`, `ps alxwww`…), each once, at
 * the first line that runs it: a process title (`neutron-ovn-metadata-agent (python3 …)`) counts.
 */
export function parseOvnProcesses(text: string): Parsed<OvnProcess[]> {
  const out: OvnProcess[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const l = raw.replace(/\r$/, '');
    if (!/ovn/.test(l)) continue;
    const daemon = daemonOf(l, (p) => Object.hasOwn(DAEMONS, p));
    if (daemon === undefined || seen.has(daemon)) continue;
    seen.add(daemon);
    out.push({ daemon, role: DAEMONS[daemon]!, line: i + 1, text: l.trim() });
  }
  // ovn-controller first: it is what programs the host.
  const rank = Object.keys(DAEMONS);
  out.sort((a, b) => rank.indexOf(a.daemon) - rank.indexOf(b.daemon));
  return { value: out, diagnostics: [] };
}

/**
 * The first `ps` line running Neutron's Open vSwitch agent (ML2/OVS; devstack's q-agt runs the same
 * program): on such a host ports named like ovn-controller's tunnels are names only.
 */
export function parseOvsAgentProcess(text: string): Parsed<{ line: number; text: string } | undefined> {
  for (const [i, raw] of text.split('\n').entries()) {
    const l = raw.replace(/\r$/, '');
    if (!l.includes('neutron-openvswitch-agent')) continue;
    if (daemonOf(l, (p) => p === 'neutron-openvswitch-agent'))
      return { value: { line: i + 1, text: l.trim() }, diagnostics: [] };
  }
  return { value: undefined, diagnostics: [] };
}

/**
 * The first line of a daemon's log that is the daemon's own (journalctl's `-- No entries --` and
 * `-- Logs begin at …` are not): undefined when there is none.
 */
export function parseOvnLog(text: string): Parsed<{ line: number; text: string } | undefined> {
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const l = raw.replace(/\r$/, '').trim();
    if (l === '' || /^-- .* --$/.test(l) || /^-- (?:No entries|Logs begin at|Journal begins at)\b/.test(l))
      continue;
    return { value: { line: i + 1, text: l }, diagnostics: [] };
  }
  return { value: undefined, diagnostics: [] };
}

/**
 * The first line of an ovn-nbctl / ovn-sbctl output, unless the tool printed its error instead
 * (`ovn-nbctl: unix:/var/run/ovn/ovnnb_db.sock: database connection failed …`): no database was read.
 */
export function parseOvnDbOutput(text: string): Parsed<{ line: number; text: string } | undefined> {
  const first = parseOvnLog(text).value;
  if (!first || /^ovn-[ns]bctl: /.test(first.text)) return { value: undefined, diagnostics: [] };
  return { value: first, diagnostics: [] };
}

/** put_dhcp_opts's userdata: ACTION_OPCODE_PUT_DHCP_OPTS (2) and the header's padding (ovn/actions.h). */
export const PUT_DHCP_OPTS = 'controller(userdata=00.00.00.02.00.00.00.00';

/** A flow line with OVN's long userdata cut after its 8-byte header (the opcode): `userdata=00.00.00.02.00.00.00.00…`. */
export function shortUserdata(line: string): string {
  return line.replace(/(userdata=(?:[0-9a-f]{2}\.){7}[0-9a-f]{2})[0-9a-f.]+/g, '$1…');
}

/**
 * The first flow of OVN's logical pipeline in a dump: an action handing the packet to
 * ovn-controller with OVN's userdata (`controller(userdata=…)`: pinctrl, which answers DHCP, ARP,
 * ND…) on a flow matching a logical datapath (`metadata=`). Neutron's OVS agent writes neither.
 * The DHCPv4 one (put_dhcp_opts: ovn-controller builds the reply) when there is one. Searched in
 * the text as it is (a big dump is not parsed for it); the line quoted with its userdata cut.
 */
export function ovnFlowLine(text: string): { line: number; text: string } | undefined {
  const find = (needle: string): { line: number; text: string } | undefined => {
    let at = text.indexOf(needle);
    while (at >= 0) {
      const start = text.lastIndexOf('\n', at) + 1;
      const nl = text.indexOf('\n', at);
      const line = text.slice(start, nl < 0 ? text.length : nl).replace(/\r$/, '');
      if (/[ ,]metadata=0x[0-9a-f]+/.test(line))
        return { line: countLines(text, start), text: shortUserdata(line.trim()) };
      at = nl < 0 ? -1 : text.indexOf(needle, nl);
    }
    return undefined;
  };
  return find(PUT_DHCP_OPTS) ?? find('controller(userdata=');
}

/**
 * The first flow of a dump that Neutron's Open vSwitch agent writes on its integration bridge and
 * ovn-controller never does: a switch by NORMAL (ovn-controller outputs to ports explicitly and
 * replaces every flow of br-int), or the drop of the agent's dead VLAN 4095 (vlan_tci=0x0fff/0x1fff).
 * Searched in the text as it is, as ovnFlowLine.
 */
export function ovsAgentFlowLine(text: string): { line: number; text: string } | undefined {
  const m =
    /^.*(?:\bactions=(?:[^\n]*[,:])?NORMAL\b|\bvlan_tci=0x0fff\/0x1fff\b[^\n]*\bactions=drop\b).*$/m.exec(
      text,
    );
  return m ? { line: countLines(text, m.index), text: m[0].replace(/\r$/, '').trim() } : undefined;
}
