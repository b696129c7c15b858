// OVS was not answering on a host when its outputs were collected: its OVS files hold the tools'
// errors in place of data. ovs-vsctl (ovsdb-client) could not reach ovsdb-server ("database
// connection failed", the socket absent or refusing), and every ovs-ofctl (ovs-appctl) found no
// bridge to talk to ("is not a bridge or a socket": ovs-vswitchd not running, or without those
// bridges). A gap on that host, never a fault of the path: what to look at is the services, and
// asking for the same outputs again before they run would only bring the same errors back.
import type { FileDiagnostic, Host, Snapshot } from '../../model/snapshot.ts';
import type { EvidenceItem, Finding } from '../finding.ts';

/** ovs-vsctl / ovsdb-client could not reach ovsdb-server. */
const DB_DOWN =
  /^(?:ovs-vsctl|ovsdb-client): .*(?:database connection failed|failed to connect|Connection refused)/;
/** ovs-ofctl / ovs-appctl could not reach ovs-vswitchd (or it has no such bridge). */
const SWITCH_DOWN =
  /^(?:ovs-ofctl: \S+ is not a bridge or a socket|ovs-ofctl: .*failed to connect to|ovs-appctl: cannot (?:read pidfile|connect to))/;
const OFCTL_FILE = /(?:^|[/.])ovs-ofctl_/;

export function ovsNotAnswering(s: Snapshot): Finding[] {
  const out: Finding[] = [];
  for (const h of s.hosts) {
    const mine = s.diagnostics.filter((d) => d.severity === 'ovs' && d.code === 'ovs-error' && ownFile(h, d));
    const db = mine.filter((d) => DB_DOWN.test(d.message));
    const sw = mine.filter((d) => SWITCH_DOWN.test(d.message));
    // ovs-vswitchd: only when no ovs-ofctl output of the host holds data (one bridge missing is
    // that bridge's absence, not the daemon's).
    const ofctlFiles = h.files.filter((f) => OFCTL_FILE.test(f));
    const swDown =
      sw.length > 0 && ofctlFiles.length > 0 && ofctlFiles.every((f) => sw.some((d) => d.file === f));
    if (db.length === 0 && !swDown) continue;
    const parts: string[] = [];
    if (db.length)
      parts.push(
        `ovs-vsctl could not reach ovsdb-server (${quote(db[0]!)}): ovsdb-server was not running, or not on that socket`,
      );
    if (swDown)
      parts.push(
        `ovs-ofctl found no bridge to talk to (${[...new Set(sw.map((d) => bridgeOf(d.message)).filter(Boolean))].join(', ') || 'every bridge'}: "is not a bridge or a socket"): ovs-vswitchd was not running, or had none of these bridges`,
      );
    const which =
      db.length && swDown ? 'ovsdb-server and ovs-vswitchd' : db.length ? 'ovsdb-server' : 'ovs-vswitchd';
    const evidence: EvidenceItem[] = [...db, ...(swDown ? sw : [])].map((d) => ({
      text: d.message,
      file: d.file,
      ...(d.line ? { line: d.line } : {}),
    }));
    out.push({
      code: 'ovs-not-answering',
      role: 'gap',
      severity: 'warning',
      subject: h.name,
      message: `OVS on ${h.name} was not answering when its outputs were collected: ${parts.join('; ')}. The case holds OVS's errors, not ${h.name}'s bridges, ports or flows, so no path through ${h.name} is known (and none is judged broken for it)`,
      evidence,
      fix: [
        `systemctl status openvswitch-switch ovsdb-server ovs-vswitchd   # on ${h.name}: ${db.length && swDown ? 'are' : 'is'} ${which} running? (RHEL and its kin: systemctl status openvswitch ovsdb-server ovs-vswitchd)`,
        `tail -n 50 /var/log/openvswitch/ovsdb-server.log /var/log/openvswitch/ovs-vswitchd.log   # on ${h.name}: why they stopped`,
        `# once OVS answers on ${h.name}, collect its OVS outputs again (sos report -o openvswitch, or vifpath collect): those in the case are its errors`,
      ],
    });
  }
  return out;
}

function ownFile(h: Host, d: FileDiagnostic): boolean {
  return h.files.includes(d.file);
}

function quote(d: FileDiagnostic): string {
  const m = /: ([^:]*\([^)]*\))\s*$/.exec(d.message);
  return `"${m ? m[1] : d.message}"`;
}

/** `ovs-ofctl: br-int is not a bridge or a socket` → br-int. */
function bridgeOf(message: string): string | undefined {
  return /^ovs-ofctl: (\S+) is not a bridge or a socket/.exec(message)?.[1];
}
