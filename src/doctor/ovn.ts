// Hosts the case shows are OVN's (Host.ovn): vifpath models Neutron ML2/OVS (the OVS agent's local
// VLANs on br-int, a DHCP agent's dnsmasq in a qdhcp namespace), not OVN, whose ovn-controller
// answers DHCP itself (native DHCP: the put_dhcp_opts action, from the northbound DHCP_Options of
// the VM's subnet) with no DHCP agent and no qdhcp namespace. Such a host is not traced and no
// ML2/OVS verdict or fix is given for it: one finding per OVN host (`ovn-not-modelled`) says so, cites
// the lines that prove OVN, and gives the read-only commands that look at OVN's DHCP, spelled as
// they run there (a snap's `openstack-hypervisor.ovs-vsctl`). OVN itself is not simulated.
import { type Evidence, where } from '../model/evidence.ts';
import { chassisByNames, hostTool, isOvn, ovnCentral, ovnChassis, ovnControllerLog } from '../model/ovn.ts';
import { findVms, type VmPort } from '../model/roles.ts';
import type { Host, OvnSign, Snapshot } from '../model/snapshot.ts';
import { PUT_DHCP_OPTS, shortUserdata } from '../parse/ovn.ts';
import { operands, shellWord } from '../runner/runner.ts';
import type { EvidenceItem, Finding } from './finding.ts';

export interface OvnScope {
  /** Hosts the case shows OVN on (a chassis, or OVN's databases), in the case's order: each said. */
  hosts: Host[];
  /**
   * The case without its OVN chassis: what vifpath diagnoses as ML2/OVS. A host that only runs or
   * reads OVN's databases stays (its own OVS, if any, shows no ovn-controller).
   */
  modelled: Snapshot;
  /** VM ports on an OVN chassis (those --vm names, else all): not traced. */
  vms: VmPort[];
  /** VM ports on the other hosts (those --vm names, else all). */
  ml2Vms: VmPort[];
}

/**
 * Undefined when no host of the case shows OVN: the case is diagnosed as it always was. `mac`
 * (diagnose --mac): the VM's MAC where the case does not give it, for the one VM on OVN.
 */
export function ovnScope(s: Snapshot, vm?: string, mac?: string): OvnScope | undefined {
  const hosts = s.hosts.filter(isOvn);
  if (hosts.length === 0) return undefined;
  const chassis = new Set(hosts.filter((h) => ovnChassis(h)).map((h) => h.name));
  const modelled: Snapshot = {
    ...s,
    hosts: s.hosts.filter((h) => !chassis.has(h.name)),
    links: s.links.filter((l) => !chassis.has(l.a.host) && !chassis.has(l.b.host)),
  };
  const onOvn = findVms(s, vm).filter((v) => chassis.has(v.host.name));
  const vms = mac !== undefined && onOvn.length === 1 ? [{ ...onOvn[0]!, mac: mac.toLowerCase() }] : onOvn;
  const ml2Vms = findVms(modelled, vm);
  return { hosts, modelled, vms, ml2Vms };
}

/** One sign as evidence: what the line says, where. */
function signEvidence(x: OvnSign): EvidenceItem {
  return { text: x.text, file: x.from.file, ...(x.from.line ? { line: x.from.line } : {}) };
}

/** `what (file:line)`: the sign that proves OVN, said short for a message (the evidence quotes it whole). */
function cite(x: OvnSign): string {
  const what = ((): string => {
    switch (x.kind) {
      case 'config': {
        const first = /^Open_vSwitch external_ids: ([^,"]+(?:"[^"]*")?)(,)?/.exec(x.text);
        return first ? `external_ids:${first[1]}${first[2] ? ', …' : ''}` : x.text;
      }
      case 'tunnel':
        return `its tunnel port ${/^Interface (\S+?):/.exec(x.text)?.[1] ?? ''}, named as ovn-controller names them`;
      case 'tunnel-names': {
        const m = /^(\S+) ports ([^:]+):/.exec(x.text);
        const names = m ? m[2]!.split(', ') : [];
        return `its ${m?.[1] ?? ''} ports ${names.slice(0, 2).join(', ')}${names.length > 2 ? `, … (${names.length})` : ''}, named as ovn-controller names its tunnels (a sign from names, not proof)`;
      }
      case 'flow':
        return x.text.includes(PUT_DHCP_OPTS)
          ? 'its flows answer DHCP through ovn-controller (put_dhcp_opts)'
          : "its flows are OVN's logical pipeline";
      case 'process':
        return `${/(ovn-controller|neutron-ovn-metadata-agent|ovn-northd)/.exec(x.text)?.[1] ?? 'an OVN daemon'} runs there`;
      case 'log':
        return "OVN's log";
      case 'db-output':
        return x.text.split(':')[0]!;
      default:
        return x.text.length > 100 ? `${x.text.slice(0, 99)}…` : x.text;
    }
  })();
  return `${what}, ${where(x.from)}`;
}

/** What confirms a chassis known by its port names: the ports' type, ovn-controller's settings. */
function confirmCommands(h: Host): string[] {
  const names = /^\S+ ports ([^:]+):/.exec(ovnChassis(h)!.chassis[0]!.text)?.[1] ?? 'the ovn-… ports';
  return [
    `${hostTool(h, 'ovs-vsctl')} show   # on ${h.name}: the type of ${names} (geneve or vxlan with key=flow: ovn-controller's tunnels, so OVN)`,
    `${hostTool(h, 'ovs-vsctl')} get Open_vSwitch . external_ids   # on ${h.name}: ovn-remote there means ovn-controller programs this OVS`,
  ];
}

/** The flow by which ovn-controller answers the VM's DHCPv4 (put_dhcp_opts, on its MAC), if the dump has it. */
function dhcpFlow(vm: VmPort): { text: string; from: Evidence } | undefined {
  if (!vm.mac || !vm.bridge.flows.known) return undefined;
  const mac = `dl_src=${vm.mac.toLowerCase()}`;
  const e = vm.bridge.flows.value.entries.find(
    (x) => x.text.includes(PUT_DHCP_OPTS) && x.text.toLowerCase().includes(mac),
  );
  return e ? { text: shortUserdata(e.text.trim()), from: e.from } : undefined;
}

/** What the rest of the case is, said once (in the first OVN finding), and what would settle it. */
function others(scope: OvnScope): { text: string; fix: string[] } {
  const rest = scope.modelled.hosts.filter((h) => !isOvn(h));
  if (rest.length === 0) return { text: '', fix: [] };
  const unknownOvn = rest.filter((h) => !h.ovn.known);
  const names = rest.map((h) => h.name).join(', ');
  const text = ` The other host${rest.length > 1 ? 's' : ''} of the case (${names}) show${rest.length > 1 ? '' : 's'} no OVN and ${rest.length > 1 ? 'are' : 'is'} diagnosed as ML2/OVS${
    unknownOvn.length
      ? `, but the case has no Open_vSwitch row for ${unknownOvn.map((h) => h.name).join(', ')}: if OVN programs ${unknownOvn.length > 1 ? 'them' : 'it'} too, that diagnosis does not hold`
      : ''
  }${scope.ml2Vms.length === 0 ? `; no VM port of the case is on ${rest.length > 1 ? 'them' : 'it'}` : ''}.`;
  const fix = unknownOvn.map(
    (h) =>
      `${hostTool(h, 'ovs-vsctl')} get Open_vSwitch . external_ids   # on ${h.name}: ovn-remote there means ovn-controller programs it (OVN), and its ML2/OVS diagnosis does not hold`,
  );
  return { text, fix };
}

/**
 * Where OVN's northbound and southbound databases are read: a host of the case that runs or reads
 * them (its sign says how the case knows), else said in words.
 */
function dbWhere(scope: OvnScope, prefer: Host): { host?: Host; text: string } {
  const central = ovnCentral(prefer) ? prefer : scope.hosts.find((h) => ovnCentral(h));
  const sign = central && ovnCentral(central)!.central[0]!;
  if (!central || !sign)
    return {
      text: "where OVN's databases are (an OVN central node: ovn-northd and the NB/SB ovsdb-servers)",
    };
  const at = where(sign.from);
  const text =
    sign.kind === 'process'
      ? `on ${central.name}, where ovn-northd runs (${at}; in its container, if it runs in one)`
      : sign.kind === 'db-output'
        ? `on ${central.name}, where the case's ${sign.text.split(':')[0]} was read (${at})`
        : `on ${central.name} (${at})`;
  return { host: central, text };
}

/**
 * A tool of OVN's databases (ovn-nbctl, ovn-sbctl, ovn-trace) as run where they are: a snap's only
 * when that snap serves the databases (MicroOVN ships ovn-nbctl; Sunbeam's hypervisor snap ships
 * ovn-trace but its databases run elsewhere).
 */
function dbTool(h: Host | undefined, tool: string): string {
  return hostTool(h, 'ovn-nbctl') === 'ovn-nbctl' ? tool : hostTool(h, tool);
}

/** The read-only commands that look at OVN's DHCP for a VM of the chassis (or any VM port there). */
function chassisCommands(h: Host, vm: VmPort | undefined, scope: OvnScope): string[] {
  const t = (tool: string): string => hostTool(h, tool);
  const on = `on ${h.name}`;
  const remote = ovnChassis(h)?.remote;
  const iface = vm?.port.interfaces[0];
  const ids = iface?.externalIds.known ? iface.externalIds.value : {};
  const portId = ids['iface-id'];
  const lport = portId ?? '<port-id>';
  const mac = vm?.mac ?? '<the-VM-MAC>';
  const db = dbWhere(scope, h);
  const nb = dbTool(db.host, 'ovn-nbctl');
  const out = [
    `${t('ovn-appctl')} -t ovn-controller connection-status   # ${on}: "connected" when ovn-controller talks to the southbound database${remote ? ` (ovn-remote ${remote})` : ''}`,
    vm
      ? `${t('ovs-vsctl')} --columns=name,ofport,external_ids list Interface ${shellWord(iface?.name ?? vm.port.name)}   # ${on}: iface-id (the Neutron port, OVN's logical port), attached-mac, and ovn-installed="true" once ovn-controller has bound it`
      : `${t('ovs-vsctl')} --columns=name,ofport,external_ids list Interface   # ${on}: each VM port's iface-id (its Neutron port, OVN's logical port) and ovn-installed="true" once ovn-controller has bound it`,
    `openstack port show -c network_id -c mac_address -c fixed_ips -c binding_host_id -c status ${operands(lport)}   # the VM's Neutron port: its network (OVN's logical switch neutron-<network_id>), address and binding`,
    `${nb} --columns=name,addresses,dhcpv4_options,up find Logical_Switch_Port name=${shellWord(lport)}   # ${db.text}: dhcpv4_options names the DHCP_Options row OVN answers with; empty, OVN does not answer this port`,
    `${nb} list DHCP_Options   # ${db.host ? `on ${db.host.name}` : 'same place'}: the subnet's row (cidr; options router, server_id, server_mac, lease_time)`,
    `${dbTool(db.host, 'ovn-trace')} --summary neutron-<network_id> ${shellWord(
      `inport == "${lport}" && eth.src == ${mac} && eth.dst == ff:ff:ff:ff:ff:ff && ip4.src == 0.0.0.0 && ip4.dst == 255.255.255.255 && udp.src == 68 && udp.dst == 67`,
    )}   # ${db.host ? `on ${db.host.name}` : 'with the southbound database'}: the DISCOVER's logical path, which should reach put_dhcp_opts and come back to its inport as the OFFER`,
  ];
  if (vm) {
    const ofport = iface?.ofport.known ? iface.ofport.value : null;
    const inPort = ofport !== null && ofport !== undefined && ofport > 0 ? String(ofport) : vm.port.name;
    out.push(
      `${t('ovs-appctl')} ofproto/trace ${shellWord(vm.bridge.name)} ${shellWord(
        `in_port=${inPort},dl_src=${mac},dl_dst=ff:ff:ff:ff:ff:ff,udp,nw_src=0.0.0.0,nw_dst=255.255.255.255,tp_src=68,tp_dst=67`,
      )}   # ${on}: the flows ovn-controller installed; the DISCOVER should end in controller(userdata=00.00.00.02…), put_dhcp_opts: ovn-controller answering it`,
    );
  }
  out.push(
    `grep ${portId ? operands(portId) : "-e 'Claiming lport' -e ovn-installed"} ${ovnControllerLog(h)}   # ${on} (ovn-controller's --log-file): 'Claiming lport …' and 'Setting lport … ovn-installed' once it bound the port`,
  );
  return out;
}

/**
 * One finding per OVN host of the case. A gap (warning) where it bears on the verdict: a VM of the
 * case on it, or no VM on the other hosts; else an observation (info): the VMs diagnosed are not
 * on it.
 */
export function ovnFindings(scope: OvnScope): Finding[] {
  const out: Finding[] = [];
  const rest = others(scope);
  for (const [i, h] of scope.hosts.entries()) {
    const chassis = ovnChassis(h);
    const central = ovnCentral(h);
    const vms = scope.vms.filter((v) => v.host === h);
    // VMs diagnosed as ML2/OVS on a host that runs OVN's databases: that diagnosis may not hold.
    const ml2Here = chassis ? [] : scope.ml2Vms.filter((v) => v.host === h);
    // Where the VMs of the case are: on it, or nowhere the case shows.
    const bears =
      vms.length > 0 || ml2Here.length > 0 || (scope.vms.length === 0 && scope.ml2Vms.length === 0);
    const vm = vms[0];
    const flow = vm && dhcpFlow(vm);
    const signs = [...(chassis?.chassis ?? []), ...(central?.central ?? [])];
    const first = signs[0]!;
    // A port taken as the VM's only because --vm names it is not called a VM port (vm-port-named).
    const recognised = vms.filter((v) => !v.named);
    const named = vms.filter((v) => v.named);
    const vmText = [
      ...(recognised.length
        ? [
            `${recognised.map((v) => v.port.name).join(', ')} ${recognised.length > 1 ? 'are VM ports' : 'is a VM port'} there, not traced`,
          ]
        : []),
      ...(named.length
        ? [
            `${named.map((v) => v.port.name).join(', ')}, taken as the VM port because you named it (by itself not recognised as one: ${named[0]!.named}), ${named.length > 1 ? 'are' : 'is'} there, not traced`,
          ]
        : []),
    ]
      .map((x) => `; ${x}`)
      .join('');
    const byNames = chassisByNames(h);
    const message = chassis
      ? `${h.name} ${byNames ? `looks like an OVN chassis (${cite(first)}; \`ovs-vsctl show\` confirms it)` : `is an OVN chassis: ovn-controller programs its OVS (${cite(first)})`}${central ? ", and OVN's databases are run or read there" : ''}. vifpath models Neutron ML2/OVS only (the OVS agent's VLAN tags on br-int, a DHCP agent's dnsmasq in a qdhcp namespace), so it traces nothing and gives no verdict here${vmText}. ${byNames ? 'If it is OVN, there is' : 'On OVN there is'} no DHCP agent and no qdhcp namespace to look for: ovn-controller answers the DISCOVER itself (OVN's native DHCP, from the northbound DHCP_Options of the VM's subnet)${flow ? `; the flow where it does so for ${vm!.port.name} is in the evidence, its counters say how many of the VM's requests reached it` : ''}.`
      : `${h.name} runs or reads OVN's databases (${cite(first)}): this deployment's Neutron is likely ML2/OVN, which vifpath does not model; its DHCP is answered by ovn-controller on each chassis (OVN's native DHCP), not by a DHCP agent. Nothing in the case shows ovn-controller programs ${h.name}'s own OVS${ml2Here.length ? `, so ${ml2Here.map((v) => v.port.name).join(', ')} ${ml2Here.length > 1 ? 'are' : 'is'} diagnosed as ML2/OVS: if ovn-controller does program it, that diagnosis does not hold` : ''}.`;
    out.push({
      code: 'ovn-not-modelled',
      role: bears ? 'gap' : 'observation',
      severity: bears ? 'warning' : 'info',
      subject: h.name,
      message: `${message}${i === 0 ? rest.text : ''}`,
      evidence: [
        ...signs.slice(0, 4).map(signEvidence),
        ...(flow && !signs.some((x) => x.from.file === flow.from.file && x.from.line === flow.from.line)
          ? [
              {
                text: flow.text,
                file: flow.from.file,
                ...(flow.from.line ? { line: flow.from.line } : {}),
              },
            ]
          : []),
      ],
      fix: [
        ...(byNames ? confirmCommands(h) : []),
        ...(chassis ? chassisCommands(h, vm, scope) : centralCommands(h)),
        ...(ml2Here.length
          ? [
              `${hostTool(h, 'ovs-vsctl')} get Open_vSwitch . external_ids   # on ${h.name}: ovn-remote there means ovn-controller programs it (OVN), and its ML2/OVS diagnosis does not hold`,
            ]
          : []),
        ...(i === 0 ? rest.fix : []),
      ],
    });
  }
  return out;
}

/** A host that runs OVN's databases (no chassis): what to read there. */
function centralCommands(h: Host): string[] {
  const nb = dbTool(h, 'ovn-nbctl');
  const sb = dbTool(h, 'ovn-sbctl');
  return [
    `${nb} --columns=name,addresses,dhcpv4_options,up find Logical_Switch_Port name=<port-id>   # on ${h.name}: dhcpv4_options names the DHCP_Options row OVN answers the VM's port with`,
    `${nb} list DHCP_Options   # on ${h.name}: the subnet's row (cidr; options router, server_id, server_mac, lease_time)`,
    `${sb} --columns=logical_port,chassis,up find Port_Binding logical_port=<port-id>   # on ${h.name}: the chassis that bound the VM's port: its ovn-controller answers the VM's DHCP`,
  ];
}

/** The headline when no VM of the case is diagnosed as ML2/OVS. */
export function ovnHeadline(scope: OvnScope): string {
  const chassis = scope.hosts.filter((h) => ovnChassis(h));
  const first = chassis[0] ?? scope.hosts[0]!;
  const sign = (ovnChassis(first)?.chassis ?? ovnCentral(first)?.central ?? [])[0]!;
  // Every chassis known by its port names alone: said as likely, and what confirms it asked for.
  const byNames = chassis.length > 0 && chassis.every(chassisByNames);
  const what =
    scope.vms.length > 0
      ? `${hostNames(scope.vms.map((v) => `${v.host.name}:${v.port.name}`))} ${scope.vms.length > 1 ? 'are' : 'is'} ${byNames ? `likely on OVN (${first.name} looks like an OVN chassis: ${cite(sign)})` : `on OVN (${first.name} is an OVN chassis: ${cite(sign)})`}`
      : chassis.length > 0
        ? `${hostNames(chassis.map((h) => h.name))} ${chassis.length > 1 ? `${byNames ? 'look like' : 'are'} OVN chassis` : `${byNames ? 'looks like' : 'is'} an OVN chassis`} (${chassis.length > 1 ? `${first.name}: ` : ''}${cite(sign)})`
        : `the case shows OVN's databases on ${hostNames(scope.hosts.map((h) => h.name))} (${cite(sign)})`;
  const confirm = byNames
    ? `; collect \`${hostTool(first, 'ovs-vsctl')} show\` on ${hostNames(chassis.map((h) => h.name))} to confirm`
    : '';
  return `${what}: vifpath models Neutron ML2/OVS only and gives no verdict there; on OVN, ovn-controller answers DHCP itself (native DHCP from the subnet's DHCP_Options), with no DHCP agent or qdhcp namespace: see ovn-not-modelled for ovn-trace and ovn-nbctl${confirm}`;
}

/**
 * What an ML2/OVS headline adds of the OVN hosts (`; …`), when they bear on it: VMs of the case
 * on an OVN chassis, or OVN hosts said as a gap (no ML2/OVS VM, or one on a host that reads OVN's
 * databases). Empty when they do not.
 */
export function ovnAlso(scope: OvnScope, findings: readonly Finding[]): string {
  if (scope.vms.length)
    return `; ${hostNames(scope.vms.map((v) => `${v.host.name}:${v.port.name}`))} ${scope.vms.length > 1 ? 'are' : 'is'} on OVN, not modelled (ovn-not-modelled)`;
  if (scope.ml2Vms.length > 0 && !findings.some((f) => f.role === 'gap')) return '';
  const chassisHosts = scope.hosts.filter((h) => ovnChassis(h));
  const chassis = chassisHosts.map((h) => h.name);
  const central = scope.hosts.filter((h) => !ovnChassis(h)).map((h) => h.name);
  const byNames = chassisHosts.length > 0 && chassisHosts.every(chassisByNames);
  const said = [
    ...(chassis.length
      ? [
          `${hostNames(chassis)} ${chassis.length > 1 ? `${byNames ? 'look like' : 'are'} OVN chassis` : `${byNames ? 'looks like' : 'is'} an OVN chassis`}${byNames ? ' by port names' : ''}, not modelled`,
        ]
      : []),
    ...(central.length
      ? [`${hostNames(central)} ${central.length > 1 ? 'read' : 'reads'} OVN's databases`]
      : []),
  ];
  return `; ${said.join(', and ')} (ovn-not-modelled)`;
}

/** Up to three names, then how many more. */
export function hostNames(xs: readonly string[]): string {
  return xs.length <= 3 ? xs.join(', ') : `${xs.slice(0, 3).join(', ')} and ${xs.length - 3} more`;
}
