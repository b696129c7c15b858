// DHCP seen in a packet capture: what the Snapshot keeps of a host's captures.

export type DhcpMessageType =
  | 'DISCOVER'
  | 'OFFER'
  | 'REQUEST'
  | 'DECLINE'
  | 'ACK'
  | 'NAK'
  | 'RELEASE'
  | 'INFORM';

export interface DhcpSighting {
  point: string;
  ts: number;
  type: DhcpMessageType | 'BOOTP';
  xid: number;
  clientMac: string;
  vlan: number | null;
  serverId?: string | undefined;
  offered?: string | undefined;
  udpChecksum: string;
  /** Frame number in its file. */
  frame: number;
  file: string;
  /** BOOTP `secs`: seconds since the client began; each retransmission its own (absent: not read). */
  secs?: number | undefined;
  /** Seen inside a VXLAN/GRE packet on the underlay: the tunnel type and its VNI / GRE key. */
  tunnel?: { type: 'vxlan' | 'gre' | 'geneve'; key: number; dst: string } | undefined;
}
