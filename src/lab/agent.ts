// The lab's L2 agent: what the Neutron OVS agent does for a VM port, small enough to read. It
// watches OVSDB through HostEyes (monitor + optional polling fallback, the canary), gives each
// network a local VLAN, installs the VLAN translation flows in both directions (integration bridge:
// segmentation id → local VLAN; physical bridge: local VLAN → segmentation id) and tags each new VM
// port with its network's local VLAN. On start it reconciles everything: a correctly tagged port
// keeps its tag (and lends it to its network), a wrong one is retagged. Not a Neutron replacement:
// networks come from a map, not from a Neutron server.
import type { Replica } from '../ovsdb/cache.ts';
import type { Operation } from '../ovsdb/client.ts';
import { rowsOf } from '../ovsdb/vswitch.ts';
import { DB, HostEyes } from '../watch/eyes.ts';
import { awaitsBinding } from '../watch/port-role.ts';

export interface NetworkMap {
  integrationBridge: string;
  physicalBridge: string;
  /** The patch port on the integration bridge toward the physical bridge, and its peer. */
  intPatch: string;
  phyPatch: string;
  /** network → segmentation id (the VLAN on the wire). */
  networks: Record<string, number>;
  /** iface-id → network; ports not listed belong to defaultNetwork. */
  ports?: Record<string, string>;
  defaultNetwork?: string;
}

export interface AgentOptions {
  remote: string;
  /** Where the agent's monitor connects (a StallProxy in the monitor-deaf scenario). */
  monitorRemote?: string;
  map: NetworkMap;
  /** Polling fallback: poll this often and act on what the poll sees while the monitor is deaf (0: none, like the seed's agent). */
  pollMs: number;
  canaryMs?: number;
  /** Runs `ovs-ofctl <args>` against the host's ovs-vswitchd; without it no flows are installed. */
  ofctl?: (args: string[]) => Promise<void>;
  log?: (line: string) => void;
}

export interface Binding {
  port: string;
  tag: number;
  network: string;
  /** How the agent learned of the port: its monitor, its polls (fallback), or the start reconcile. */
  via: 'monitor' | 'poll' | 'reconcile';
  at: number;
}

export class LabAgent {
  readonly eyes: HostEyes;
  readonly bindings: Binding[] = [];
  private readonly localVlan = new Map<string, number>();
  private readonly flowsDone = new Set<string>();
  /** Tags written that the view does not show yet: never written twice. */
  private readonly written = new Map<string, number>();
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;
  private stopped = false;

  constructor(readonly opts: AgentOptions) {
    this.eyes = new HostEyes({
      host: 'agent',
      remote: opts.remote,
      pollMs: opts.pollMs,
      resyncOnDeaf: false, // the fallback binds from the polls; the monitor is left as it is
      ...(opts.monitorRemote ? { monitorRemote: opts.monitorRemote } : {}),
      ...(opts.canaryMs ? { canaryMs: opts.canaryMs } : {}),
    });
  }

  private log(s: string): void {
    this.opts.log?.(`${new Date().toISOString()} agent: ${s}`);
  }

  async start(): Promise<void> {
    this.eyes.on('state', (s, d) => this.log(`monitor ${s}: ${d}`));
    this.eyes.on('view', () => this.kick());
    await this.eyes.start();
    await this.process('reconcile');
    this.started = true;
    this.kick();
  }

  private kick(): void {
    if (!this.started || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.process(this.eyes.state === 'ok' ? 'monitor' : 'poll').catch((e: Error) =>
          this.log(`error: ${e.message}`),
        );
      } while (this.again && !this.stopped);
      this.running = undefined;
    })();
  }

  /** Wait until every change seen so far is processed. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private networkOf(ifaceId: string | undefined): string | undefined {
    const m = this.opts.map;
    return (ifaceId ? m.ports?.[ifaceId] : undefined) ?? m.defaultNetwork;
  }

  private allocate(net: string): number {
    const have = this.localVlan.get(net);
    if (have !== undefined) return have;
    const used = new Set(this.localVlan.values());
    let v = 1;
    while (used.has(v)) v++;
    this.localVlan.set(net, v);
    return v;
  }

  private async flows(net: string, local: number): Promise<void> {
    const key = `${net}/${local}`;
    if (this.flowsDone.has(key) || !this.opts.ofctl) return;
    const m = this.opts.map;
    const seg = m.networks[net]!;
    await this.opts.ofctl([
      'add-flow',
      m.integrationBridge,
      `priority=3,in_port=${m.intPatch},dl_vlan=${seg},actions=mod_vlan_vid:${local},NORMAL`,
    ]);
    await this.opts.ofctl([
      'add-flow',
      m.physicalBridge,
      `priority=4,in_port=${m.phyPatch},dl_vlan=${local},actions=mod_vlan_vid:${seg},NORMAL`,
    ]);
    this.flowsDone.add(key);
    this.log(`flows for ${net}: segmentation id ${seg} <-> local VLAN ${local}`);
  }

  private vmPorts(
    view: Replica,
  ): { uuid: string; name: string; tag: number | null; net: string | undefined }[] {
    const ifaces = new Map(rowsOf(view, 'Interface').map((i) => [i.uuid, i]));
    const br = rowsOf(view, 'Bridge').find((b) => b.name === this.opts.map.integrationBridge);
    const onBridge = new Set(br?.ports ?? []);
    const out: { uuid: string; name: string; tag: number | null; net: string | undefined }[] = [];
    for (const p of rowsOf(view, 'Port')) {
      if (!onBridge.has(p.uuid)) continue;
      const i = p.interfaces.map((u) => ifaces.get(u)).find(Boolean);
      if (!awaitsBinding({ name: i?.name ?? p.name, externalIds: i?.externalIds ?? {} })) continue;
      out.push({ uuid: p.uuid, name: p.name, tag: p.tag, net: this.networkOf(i?.externalIds['iface-id']) });
    }
    return out;
  }

  private async process(via: Binding['via']): Promise<void> {
    const ports = this.vmPorts(this.eyes.view());
    if (via === 'reconcile')
      // A port already tagged within range lends its tag to its network: never retag a correct port.
      for (const p of ports)
        if (p.net && p.tag !== null && p.tag >= 1 && p.tag <= 4094 && !this.localVlan.has(p.net)) {
          if (![...this.localVlan.values()].includes(p.tag)) this.localVlan.set(p.net, p.tag);
        }
    const updates: { uuid: string; name: string; tag: number | null; local: number; net: string }[] = [];
    for (const p of ports) {
      if (!p.net || this.opts.map.networks[p.net] === undefined) continue;
      const local = this.allocate(p.net);
      await this.flows(p.net, local);
      if (p.tag === local) {
        this.written.delete(p.uuid);
        continue;
      }
      if (this.written.get(p.uuid) === local) continue;
      updates.push({ uuid: p.uuid, name: p.name, tag: p.tag, local, net: p.net });
    }
    if (updates.length === 0) return;
    // Every port of this pass in one transaction (a burst of new ports costs one round trip).
    await this.eyes.pollClient!.transact(
      DB,
      ...updates.map(
        (u): Operation => ({
          op: 'update',
          table: 'Port',
          where: [['_uuid', '==', ['uuid', u.uuid]]],
          row: { tag: u.local },
        }),
      ),
    );
    const at = Date.now();
    for (const u of updates) {
      this.written.set(u.uuid, u.local);
      this.bindings.push({ port: u.name, tag: u.local, network: u.net, via, at });
      this.log(`bound ${u.name} to ${u.net}: tag ${u.local} (was ${u.tag ?? 'untagged'}; via ${via})`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
    await this.eyes.stop();
  }
}
