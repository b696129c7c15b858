// Findings are data: a code, a role, a severity, the subject, what is wrong, the evidence that
// proves it (facts with file:line, flows with counters, trace nodes) and the fix as exact commands.

export interface EvidenceItem {
  text: string;
  file?: string;
  line?: number;
}

/**
 * cause: a proven fault (or its root cause); consequence: follows from a cause named elsewhere;
 * observation: true and relevant, not a fault by itself; gap: what the case does not say.
 */
export type FindingRole = 'cause' | 'consequence' | 'observation' | 'gap';

/** Every finding code diagnose can give (one check module owns each; adding one is a type change). */
export type FindingCode =
  | 'action-not-modelled'
  | 'agent-bridge-missing'
  | 'agent-stopped'
  | 'assumed-neutron-bridge'
  | 'contradicted'
  | 'dead-vlan'
  | 'dhcp-answer-foreign'
  | 'dhcp-client-answered'
  | 'dhcp-client-bad-checksums'
  | 'dhcp-client-runs-differ'
  | 'dhcp-drop-flow'
  | 'dhcp-lease-held'
  | 'dhcp-namespace-missing'
  | 'dhcp-not-listening'
  | 'dhcp-port-bridge-unknown'
  | 'dhcp-port-dead-vlan'
  | 'dhcp-port-down'
  | 'dhcp-port-not-on-bridge'
  | 'dhcp-port-untagged'
  | 'dhcp-port-vlan-mismatch'
  | 'dhcp-reply-checksum'
  | 'dhcp-server-not-in-case'
  | 'dhcp-server-not-traced'
  | 'dhcp-server-unproven'
  | 'discover-dropped'
  | 'drop-contradicted'
  | 'dnsmasq-answered'
  | 'dnsmasq-host-entry-unknown'
  | 'dnsmasq-listener-unknown'
  | 'dnsmasq-no-host-entry'
  | 'dnsmasq-not-answering'
  | 'dnsmasq-not-bound'
  | 'dnsmasq-not-running'
  | 'dnsmasq-refused'
  | 'dnsmasq-refused-untied'
  | 'excerpt-unknown'
  | 'hybrid-firewall-bypassed'
  | 'hybrid-firewall-drop'
  | 'hybrid-firewall-pass'
  | 'hybrid-firewall-unknown'
  | 'input-note'
  | 'interface-error'
  | 'vm-device-missing'
  | 'no-vm-port'
  | 'no-way-off-host'
  | 'offer-dropped'
  | 'offer-tagged'
  | 'offer-tagged-unknown'
  | 'ovn-not-modelled'
  | 'ovs-not-answering'
  | 'patch-peer-missing'
  | 'secure-bridge-no-flows'
  | 'stale-port'
  | 'tunnel-end-unknown'
  | 'tunnel-dst-port-mismatch'
  | 'tunnel-flood-missing'
  | 'tunnel-flood-port-unknown'
  | 'tunnel-key-network-unknown'
  | 'tunnel-key-option'
  | 'tunnel-key-unmapped'
  | 'tunnel-local-ip'
  | 'tunnel-network-type-unknown'
  | 'tunnel-port-failed'
  | 'tunnel-port-missing'
  | 'tunnel-receiver-missing'
  | 'tunnel-remote-unknown'
  | 'tunnel-types-empty'
  | 'tunnel-underlay-drop'
  | 'tunnel-underlay-unknown'
  | 'tunnel-vlan-map'
  | 'vlan-mismatch'
  | 'vm-mac-from-flow'
  | 'vm-port-by-name'
  | 'vm-port-hybrid'
  | 'vm-port-named'
  | 'vm-port-untagged'
  | 'wire-unknown';

export interface Finding {
  code: FindingCode;
  /** Defaults from the severity: error → cause, else observation. */
  role?: FindingRole;
  severity: 'error' | 'warning' | 'info';
  subject: string;
  message: string;
  evidence: EvidenceItem[];
  fix: string[];
  /** The root cause behind the direct one, when known. */
  rootCause?: string;
  /** The root cause is probable, not proven: what would confirm it. */
  confirm?: string;
}

export type Verdict = 'healthy' | 'problem' | 'undecided';

/** Per VM: where its DISCOVER and OFFER go, as the traces say. */
/**
 * One packet's path as the flows say it: the verdict, every end reached, where it dies (`drop`),
 * where the branch toward the target ends when no drop ends it (`stop`: `host bridge (entered by
 * port): why`), and what an incomplete verdict rests on (`undecided`, the trace's first).
 */
export interface PathVerdict {
  verdict: string;
  reached: string[];
  drop?: string;
  stop?: string;
  undecided?: string;
  /**
   * Delivered, but tagged where it arrives (a port without tag, a trunk, keeps the 802.1Q
   * header): how, said in place of a plain "delivered" (dataplane/tagged.ts).
   */
  tagged?: string;
}

export interface PathSummary {
  vm: string;
  discover: PathVerdict;
  offer?: PathVerdict;
}

export interface Diagnosis {
  /** The case directory or live target list. */
  case: string;
  verdict: Verdict;
  /** The best-proven cause and where it happens (problem), what is proven (healthy), or what is known and missing (undecided). */
  headline: string;
  findings: Finding[];
  paths: PathSummary[];
  /** What to collect (or where to capture) next, most useful first. */
  collectNext: string[];
  /** The packet captures read (the case's `<point>.pcap`, --pcap), each whatever it shows; absent: none. */
  captures?: CaptureRead[];
}

/** A packet capture diagnose read: where, what DHCP it holds, and what was taken from it. */
export interface CaptureRead {
  /** `host:iface`, the iface from the file's name (`vif16.0.pcap`, capture live's `host_iface.pcap`). */
  point: string;
  file: string;
  /** DHCP messages decoded from it (frames of other traffic are not counted). */
  dhcpMessages: number;
  /** UTC times of its first and last DHCP message. */
  from?: string;
  to?: string;
  /** The DHCP message types it holds. */
  messages: string[];
  /** The client MACs (chaddr) of those messages. */
  clients: string[];
  /** Where it was taken as the case places it (a VM's port, a DHCP server's device) and what of that VM it holds. */
  use: string[];
  /** The findings whose evidence cites it. */
  citedBy: string[];
}
