// What the network parsers (ifconfig, ip addr in its forms) produce: one shape for all of them.

export interface ParsedAddress {
  family: 'inet' | 'inet6';
  address: string;
  prefixlen: number;
  line: number;
}

export interface ParsedNetDevice {
  name: string;
  /** `tap0@if5`: the peer after @ when printed. */
  peer?: string;
  index?: number;
  mac?: string;
  /** Interface flags as printed (UP, BROADCAST, LOWER_UP, RUNNING...). */
  flags: string[];
  /** Administratively up (flag UP). */
  up: boolean;
  /** Operational state (`state UP`, `operstate`) when printed. */
  operstate?: string;
  mtu?: number;
  addresses: ParsedAddress[];
  line: number;
  /**
   * A Linux bridge's own br_netfilter option as `ip -d link`/`ip -d address` print it in the
   * bridge's details (`bridge forward_delay ... nf_call_iptables 0|1 ...`; JSON: linkinfo.info_data),
   * with that line; absent for any other device, or without -d.
   */
  bridgeNfCallIptables?: { value: boolean; line: number };
}
