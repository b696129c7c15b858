// Typed rows of the Open_vSwitch database tables vifpath reads and the agent writes, decoded
// from a monitor's replica (or any RFC 7047 row). Absent columns read as their default.
import { intSet, mapOf, optInt, optString, type Row, setItems, uuidSet } from './datum.ts';

export interface OpenVSwitchRow {
  uuid: string;
  bridges: string[];
  managerOptions: string[];
  ovsVersion: string | null;
  externalIds: Record<string, string>;
}
export interface BridgeRow {
  uuid: string;
  name: string;
  ports: string[];
  controller: string[];
  failMode: string | null;
  datapathType: string;
  protocols: string[];
  externalIds: Record<string, string>;
  otherConfig: Record<string, string>;
}
export interface PortRow {
  uuid: string;
  name: string;
  interfaces: string[];
  tag: number | null;
  trunks: number[];
  vlanMode: string | null;
  externalIds: Record<string, string>;
  otherConfig: Record<string, string>;
}
export interface InterfaceRow {
  uuid: string;
  name: string;
  type: string;
  ofport: number | null;
  ofportRequest: number | null;
  options: Record<string, string>;
  externalIds: Record<string, string>;
  error: string | null;
  adminState: string | null;
  linkState: string | null;
  macInUse: string | null;
}
export interface ControllerRow {
  uuid: string;
  target: string;
  isConnected: boolean;
  role: string | null;
}
export interface ManagerRow {
  uuid: string;
  target: string;
  isConnected: boolean;
}

function str(r: Row, c: string): string {
  return optString(r[c]) ?? '';
}
function bool(r: Row, c: string): boolean {
  return setItems(r[c])[0] === true;
}
function strs(r: Row, c: string): string[] {
  return setItems(r[c]).map(String);
}

export const decode = {
  Open_vSwitch: (uuid: string, r: Row): OpenVSwitchRow => ({
    uuid,
    bridges: uuidSet(r.bridges),
    managerOptions: uuidSet(r.manager_options),
    ovsVersion: optString(r.ovs_version),
    externalIds: mapOf(r.external_ids),
  }),
  Bridge: (uuid: string, r: Row): BridgeRow => ({
    uuid,
    name: str(r, 'name'),
    ports: uuidSet(r.ports),
    controller: uuidSet(r.controller),
    failMode: optString(r.fail_mode),
    datapathType: str(r, 'datapath_type'),
    protocols: strs(r, 'protocols'),
    externalIds: mapOf(r.external_ids),
    otherConfig: mapOf(r.other_config),
  }),
  Port: (uuid: string, r: Row): PortRow => ({
    uuid,
    name: str(r, 'name'),
    interfaces: uuidSet(r.interfaces),
    tag: optInt(r.tag),
    trunks: intSet(r.trunks),
    vlanMode: optString(r.vlan_mode),
    externalIds: mapOf(r.external_ids),
    otherConfig: mapOf(r.other_config),
  }),
  Interface: (uuid: string, r: Row): InterfaceRow => ({
    uuid,
    name: str(r, 'name'),
    type: str(r, 'type'),
    ofport: optInt(r.ofport),
    ofportRequest: optInt(r.ofport_request),
    options: mapOf(r.options),
    externalIds: mapOf(r.external_ids),
    error: optString(r.error),
    adminState: optString(r.admin_state),
    linkState: optString(r.link_state),
    macInUse: optString(r.mac_in_use),
  }),
  Controller: (uuid: string, r: Row): ControllerRow => ({
    uuid,
    target: str(r, 'target'),
    isConnected: bool(r, 'is_connected'),
    role: optString(r.role),
  }),
  Manager: (uuid: string, r: Row): ManagerRow => ({
    uuid,
    target: str(r, 'target'),
    isConnected: bool(r, 'is_connected'),
  }),
} as const;

export type VswitchTable = keyof typeof decode;

/** All rows of one table in a replica, typed. */
export function rowsOf<T extends VswitchTable>(
  replica: Map<string, Map<string, Row>>,
  table: T,
): ReturnType<(typeof decode)[T]>[] {
  const f = decode[table] as (u: string, r: Row) => ReturnType<(typeof decode)[T]>;
  return [...(replica.get(table) ?? new Map<string, Row>())].map(([u, r]) => f(u, r));
}
