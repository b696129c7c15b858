// Snapshots for table-driven tests, written as data: hosts, bridges, ports (with what is known of
// their tag), flows as dumped, namespaces, wires. Every fact gets a synthetic file:line so checks
// that cite evidence can be asserted on.
import { type Evidence, known, unknown } from '../model/evidence.ts';
import type {
  Bridge,
  Host,
  Interface,
  Link,
  Namespace,
  NetDevice,
  Port,
  Snapshot,
  VlanMode,
} from '../model/snapshot.ts';
import { parseFlow } from '../openflow/flow.ts';
import { parseSockets } from '../parse/sockets.ts';

export interface PortSpec {
  name: string;
  ofport: number;
  /** undefined: the case does not say (unknown); null: known to have no tag. */
  tag?: number | null;
  trunks?: number[];
  mode?: VlanMode;
  /** Interface type ('' system, internal, patch, vxlan...); undefined: unknown. */
  type?: string;
  peer?: string;
  options?: Record<string, string>;
  ids?: Record<string, string>;
}

export interface BridgeSpec {
  name: string;
  ports: PortSpec[];
  /** Flows as `ovs-ofctl dump-flows` prints them; undefined: no dump in the case. */
  flows?: string[];
  /** false: the dump was cut short. */
  complete?: boolean;
  failMode?: 'secure' | 'standalone' | null;
}

export interface DeviceSpec {
  name: string;
  up?: boolean;
  mac?: string;
  /** `10.0.0.2/24` */
  addresses?: string[];
}

export interface HostSpec {
  name: string;
  bridges?: BridgeSpec[];
  /** sockets: the text of a socket listing of the namespace (a real `ss -ulpn`, say), parsed as the case reader parses it. */
  namespaces?: { name: string; devices?: DeviceSpec[]; sockets?: { file: string; text: string } }[];
  devices?: DeviceSpec[];
}

const at = (file: string, line = 1): Evidence => ({ file, line });

function device(host: string, d: DeviceSpec, file: string): NetDevice {
  return {
    name: d.name,
    ...(d.mac ? { mac: d.mac } : {}),
    flags: d.up === false ? [] : ['UP', 'LOWER_UP'],
    up: d.up !== false,
    addresses: (d.addresses ?? []).map((a) => {
      const [address, len] = a.split('/');
      return {
        family: 'inet' as const,
        address: address!,
        prefixlen: Number(len ?? 32),
        from: at(`${host}/${file}`),
      };
    }),
    from: at(`${host}/${file}`),
  };
}

function port(host: string, b: string, p: PortSpec, line: number): Port {
  const f = at(`${host}/ovs-vsctl_-t_5_list_port`, line);
  const iface: Interface = {
    name: p.name,
    type: p.type === undefined ? unknown('not in the test case') : known(p.type, f),
    ofport: known(p.ofport, f),
    options: known({ ...(p.options ?? {}), ...(p.peer ? { peer: p.peer } : {}) }, f),
    externalIds: known(p.ids ?? {}, f),
    from: [f],
  };
  return {
    name: p.name,
    tag: p.tag === undefined ? unknown(`tag of ${b}:${p.name} not in the test case`) : known(p.tag, f),
    trunks: known(p.trunks ?? [], f),
    vlanMode: known(p.mode ?? null, f),
    externalIds: known({}, f),
    otherConfig: known({}, f),
    interfaces: [iface],
    from: [f],
  };
}

function bridge(host: string, b: BridgeSpec): Bridge {
  const file = `${host}/ovs-ofctl_dump-flows_${b.name}`;
  return {
    name: b.name,
    failMode:
      b.failMode === undefined
        ? unknown('not in the test case')
        : known(b.failMode, at(`${host}/ovs-vsctl_-t_5_show`)),
    datapathType: unknown('not in the test case'),
    protocols: unknown('not in the test case'),
    controllers: [],
    ports: b.ports.map((p, i) => port(host, b.name, p, i + 1)),
    flows:
      b.flows === undefined
        ? unknown('no flow dump in the test case')
        : known(
            {
              file,
              entries: b.flows.map((text, i) => ({ flow: parseFlow(text), text, from: at(file, i + 2) })),
              complete: b.complete ?? true,
              alternatives: [],
            },
            at(file),
          ),
    from: [at(`${host}/ovs-vsctl_-t_5_show`)],
  };
}

/** A namespace's sockets and listing from a socket listing's text, as host-builder.ts applySockets makes them. */
function sockets(
  host: string,
  l: { file: string; text: string },
): Pick<Namespace, 'sockets' | 'socketListings'> {
  const file = `${host}/${l.file}`;
  const v = parseSockets(l.text, l.file).value;
  const from = at(file, v.header ?? 0);
  return {
    sockets: v.listeners.map((x) => ({
      proto: x.proto,
      address: x.address,
      port: x.port,
      ...(x.process ? { process: x.process } : {}),
      ...(x.pid !== undefined ? { pid: x.pid } : {}),
      from: at(file, x.line),
    })),
    socketListings: [
      {
        file,
        ...(v.command ? { command: v.command } : {}),
        scope: 'value' in v.scope ? known(v.scope.value, from) : unknown(`${file}: ${v.scope.why}`),
        processes: v.processes.map((p) => ({ name: p.name, pid: p.pid, from: at(file, p.line) })),
        from,
      },
    ],
  };
}

export function buildSnapshot(hosts: HostSpec[], links: [string, string][] = []): Snapshot {
  const hs: Host[] = hosts.map((h) => ({
    name: h.name,
    bridges: (h.bridges ?? []).map((b) => bridge(h.name, b)),
    unplacedInterfaces: [],
    namespaces: (h.namespaces ?? []).map(
      (n): Namespace => ({
        name: n.name,
        ...(n.devices
          ? { devices: n.devices.map((d) => device(h.name, d, `ip_netns_exec_${n.name}_ip_-d_address_show`)) }
          : {}),
        ...(n.sockets ? sockets(h.name, n.sockets) : {}),
        from: [at(`${h.name}/ip_netns`)],
      }),
    ),
    ...(h.devices ? { devices: h.devices.map((d) => device(h.name, d, 'ip_-d_address')) } : {}),
    dhcpNetworks: [],
    ovn: unknown('not given in the test case'),
    files: [],
    ignored: [],
    gaps: [],
  }));
  const ls: Link[] = links.map(([a, b], i) => {
    const [ah, ai] = [a.slice(0, a.indexOf(':')), a.slice(a.indexOf(':') + 1)];
    const [bh, bi] = [b.slice(0, b.indexOf(':')), b.slice(b.indexOf(':') + 1)];
    return {
      a: { host: ah, iface: ai },
      b: { host: bh, iface: bi },
      from: at('links.txt', i + 1),
      inferred: false,
    };
  });
  return { source: 'test', hosts: hs, links: ls, diagnostics: [] };
}
