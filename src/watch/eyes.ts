// One host's view of its Open_vSwitch tables, with its own eyes checked: a monitor (monitor_cond
// _since, reconnect + full resync, echo keepalive), and a read-only poll of the same tables on a
// second connection compared with the monitor's replica. A row the poll saw change that the monitor
// has still not reported one poll later means the monitor is deaf: the view then comes from the
// polls. It is trusted again only once it has reported a change by itself (an update notification,
// the canary's or any other) and agrees with the poll: its own resync returns the current rows, so
// agreeing after one proves nothing (review8 4.2: a monitor still deaf was called ok every round).
// Optionally a canary: a key written to Open_vSwitch external_ids at an interval that the monitor
// must report (the only write; removed on stop).
import { EventEmitter } from 'node:events';
import type { Replica, RowChange } from '../ovsdb/cache.ts';
import { type Monitor, type Operation, OvsdbClient } from '../ovsdb/client.ts';
import type { Datum, Row } from '../ovsdb/datum.ts';
import type { Json } from '../ovsdb/jsonrpc.ts';
import type { SslFiles } from '../ovsdb/remote.ts';

export const DB = 'Open_vSwitch';

/** What watch and the agent need; Interface statistics and the like stay out (they churn). */
export const COLUMNS: Record<string, string[]> = {
  Open_vSwitch: ['bridges', 'external_ids'],
  Bridge: ['name', 'ports'],
  Port: ['name', 'interfaces', 'tag', 'trunks', 'vlan_mode'],
  Interface: ['name', 'type', 'ofport', 'external_ids', 'error'],
};

export type EyesState = 'connecting' | 'ok' | 'deaf' | 'down';

export interface EyesOptions {
  host: string;
  /** Where polls, the canary and nudges go. */
  remote: string;
  /** Where the monitor connects (default: remote). The tests and the lab put a StallProxy here. */
  monitorRemote?: string;
  /** Poll interval (0: no polls, no deaf detection). */
  pollMs?: number;
  /** Echo keepalive on the monitor's connection. */
  probeMs?: number;
  /** Write the canary this often (undefined: no canary, nothing is ever written). */
  canaryMs?: number;
  canaryKey?: string;
  /** On deafness, drop the monitor's connection and resync from scratch (default true). */
  resyncOnDeaf?: boolean;
  ssl?: SslFiles;
}

interface EyesEvents {
  /** The view changed (monitor update, resync, or a poll while the monitor is not trusted). */
  view: [changes: RowChange[] | null];
  state: [state: EyesState, detail: string];
  canary: [rttMs: number];
}

function canonDatum(d: Datum | undefined): string {
  if (d === undefined || d === '' || d === 0 || d === false) return '';
  if (Array.isArray(d) && d[0] === 'set') {
    const xs = (d[1] as Json[]).map((a) => JSON.stringify(a)).sort();
    return xs.length === 0 ? '' : xs.length === 1 ? xs[0]! : `[${xs.join(',')}]`;
  }
  if (Array.isArray(d) && d[0] === 'map') {
    const xs = (d[1] as Json[]).map((p) => JSON.stringify(p)).sort();
    return xs.length === 0 ? '' : `{${xs.join(',')}}`;
  }
  return JSON.stringify(d);
}

/** A row's monitored columns, comparable whatever the notation (update2 omits defaults). */
export function canonRow(table: string, r: Row | undefined): string {
  if (!r) return '<absent>';
  return (COLUMNS[table] ?? Object.keys(r)).map((c) => canonDatum(r[c])).join('\u0000');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class HostEyes extends EventEmitter<EyesEvents> {
  state: EyesState = 'connecting';
  monitorClient: OvsdbClient | undefined;
  pollClient: OvsdbClient | undefined;
  monitor: Monitor | undefined;
  /** The last poll's rows. */
  polled: Replica | undefined;
  /** Counters for metrics and the bench. */
  polls = 0;
  deafEpisodes = 0;
  canaryRttMs: number | undefined;
  /** When the current deaf episode began, and when the change the monitor missed was first seen. */
  deafSince: number | undefined;
  private readonly versions = new Map<string, number>();
  private pending = new Map<string, { version: number; since: number }>();
  private timers: NodeJS.Timeout[] = [];
  private confirm: NodeJS.Timeout | undefined;
  private stopped = false;
  private polling = false;
  private canarySeq = 0;
  private canaryOut: { value: string; sentAt: number } | undefined;
  /** Found deaf and not yet proven to hear again: stays so across resyncs and reconnections. */
  private suspect = false;
  /** What the current monitor reported by itself since the last resync (undefined: nothing yet). */
  private heard: string | undefined;
  /** A resync of our own is under way: its disconnect is no lost connection; attempts seen. */
  private ownResync: number | undefined;

  constructor(readonly opts: EyesOptions) {
    super();
  }

  get canaryKey(): string {
    return this.opts.canaryKey ?? `vifpath-canary-${process.pid}`;
  }

  /** The rows to act on: the monitor's replica, or the last poll's while the monitor is not trusted. */
  view(): Replica {
    if (this.state !== 'ok' && this.polled) return this.polled;
    return this.monitor?.rows ?? new Map();
  }

  /** Connect both links and start the monitor; throws when the server cannot be reached. */
  async start(): Promise<void> {
    const o = this.opts;
    const common = {
      reconnect: true,
      minBackoffMs: 100,
      maxBackoffMs: 1000,
      ...(o.ssl ? { ssl: o.ssl } : {}),
    };
    this.monitorClient = await OvsdbClient.connect(o.monitorRemote ?? o.remote, {
      ...common,
      probeIntervalMs: o.probeMs ?? 5000,
    });
    const mc = this.monitorClient;
    mc.on('disconnect', () => {
      if (this.ownResync === undefined) this.setState('down', 'monitor connection lost; reconnecting');
    });
    mc.on('reconnecting', () => {
      // The first attempt is our resync's; a second one means it could not reconnect: that is down.
      if (this.ownResync !== undefined && ++this.ownResync > 1) {
        this.ownResync = undefined;
        this.setState('down', 'monitor connection lost: its resync could not reconnect; reconnecting');
      }
    });
    mc.on('resync', () => {
      this.ownResync = undefined;
      this.versions.clear();
      this.pending.clear();
      this.heard = undefined;
      // The resync's reply is the rows as they are: it says nothing of whether updates come through.
      if (this.suspect)
        this.setState(
          'deaf',
          `monitor reconnected (reconnect ${mc.reconnects}) but not yet proven to hear updates`,
        );
      else this.setState('ok', `monitor resynced (reconnect ${mc.reconnects})`);
      this.emit('view', null);
    });
    const reqs = Object.fromEntries(Object.entries(COLUMNS).map(([t, columns]) => [t, { columns }]));
    this.monitor = await mc.monitor(DB, reqs);
    this.monitor.on('change', (changes) => this.onMonitor(changes));
    this.monitor.on('update', (changes) => this.onUpdate(changes));
    this.pollClient = await OvsdbClient.connect(o.remote, { ...common, requestTimeoutMs: 10_000 });
    this.setState('ok', 'monitor started');
    if (o.pollMs) this.every(o.pollMs, () => this.poll());
    if (o.canaryMs) this.every(o.canaryMs, () => this.canary());
  }

  private every(ms: number, f: () => Promise<void>): void {
    const t = setInterval(() => {
      f().catch(() => undefined);
    }, ms);
    this.timers.push(t);
  }

  private setState(s: EyesState, detail: string): void {
    if (s === this.state) return;
    if (s === 'deaf' && this.deafSince === undefined) {
      this.deafEpisodes++;
      this.deafSince = Date.now();
    } else if (s === 'ok') {
      this.deafSince = undefined;
      this.suspect = false;
    }
    this.state = s;
    this.emit('state', s, detail);
  }

  /** Every change to the replica: from an update, or from a resync. */
  private onMonitor(changes: RowChange[]): void {
    for (const c of changes) {
      const k = `${c.table}/${c.uuid}`;
      this.versions.set(k, (this.versions.get(k) ?? 0) + 1);
    }
    if (this.state === 'ok') this.emit('view', changes);
  }

  /** An update the server sent by itself: the canary comes back here only, never from a resync. */
  private onUpdate(changes: RowChange[]): void {
    let what: string | undefined;
    for (const c of changes) {
      if (c.table === 'Open_vSwitch' && c.new && this.canaryOut) {
        const v = canonDatum(c.new.external_ids);
        if (v.includes(JSON.stringify([this.canaryKey, this.canaryOut.value]))) {
          what = `the canary ${this.canaryKey}=${this.canaryOut.value}`;
          this.canaryRttMs = Date.now() - this.canaryOut.sentAt;
          this.canaryOut = undefined;
          this.emit('canary', this.canaryRttMs);
        }
      }
    }
    const c = changes[0];
    this.heard ??= what ?? (c ? `a change of ${c.table} ${c.uuid}` : 'an update');
    if (!this.suspect || this.state === 'down') return;
    // Proven to hear: ok once the poll agrees too (at once when there is no poll to ask).
    if (this.opts.pollMs) this.poll().catch(() => undefined);
    else {
      this.setState('ok', `monitor reported ${this.heard} by itself again`);
      this.emit('view', null);
    }
  }

  /** Found deaf: say so once, go on from the polls, and resync the monitor (once per episode). */
  private becomeDeaf(detail: string): void {
    if (this.state === 'deaf') return;
    this.suspect = true;
    this.heard = undefined;
    const resync = (this.opts.resyncOnDeaf ?? true) && this.monitorClient?.isConnected;
    this.setState(
      'deaf',
      `${detail}${resync ? '; resyncing it (ok again only once it reports a change by itself)' : ''}`,
    );
    if (resync) {
      this.ownResync = 0;
      this.monitorClient!.resyncNow();
    }
    this.emit('view', null);
  }

  /** Read the monitored tables once (read-only), on the poll connection. */
  async select(): Promise<Replica> {
    const c = this.pollClient;
    if (!c) throw new Error('no poll connection');
    const tables = Object.keys(COLUMNS);
    const r = await c.transact(
      DB,
      ...tables.map(
        (table): Operation => ({ op: 'select', table, where: [], columns: ['_uuid', ...COLUMNS[table]!] }),
      ),
    );
    const out: Replica = new Map();
    tables.forEach((t, i) => {
      const rows = new Map<string, Row>();
      for (const row of r[i]?.rows ?? []) {
        const { _uuid, ...rest } = row as Record<string, Json>;
        rows.set((_uuid as [string, string])[1], rest as Row);
      }
      out.set(t, rows);
    });
    return out;
  }

  /** One poll: compare with the monitor's replica; a difference that outlives a poll is deafness. */
  async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const polled = await this.select();
      this.polls++;
      this.polled = polled;
      const replica = this.monitor?.rows ?? new Map();
      const now = Date.now();
      const next = new Map<string, { version: number; since: number }>();
      let deaf: string | undefined;
      for (const t of Object.keys(COLUMNS)) {
        const a = polled.get(t) ?? new Map<string, Row>();
        const b = replica.get(t) ?? new Map<string, Row>();
        for (const uuid of new Set([...a.keys(), ...b.keys()])) {
          if (t === 'Open_vSwitch') continue; // the canary's own key changes there
          if (canonRow(t, a.get(uuid)) === canonRow(t, b.get(uuid))) continue;
          const k = `${t}/${uuid}`;
          const version = this.versions.get(k) ?? 0;
          const before = this.pending.get(k);
          if (before && before.version === version) {
            deaf ??= `${t} ${uuid} changed ${now - before.since} ms ago (seen by poll) and the monitor has not reported it`;
            next.set(k, before);
          } else next.set(k, { version, since: now });
        }
      }
      // A new difference is checked again after half an interval: deafness is told within 1.5 polls.
      if (!deaf && [...next.values()].some((p) => p.since === now) && !this.confirm)
        this.confirm = setTimeout(
          () => {
            this.confirm = undefined;
            this.poll().catch(() => undefined);
          },
          Math.max(1, Math.floor((this.opts.pollMs ?? 0) / 2)),
        );
      this.pending = next;
      if (this.state === 'down') {
        this.emit('view', null);
        return;
      }
      const was = this.state;
      if (deaf && this.state !== 'deaf') this.becomeDeaf(deaf);
      else if (!deaf && next.size === 0 && this.state === 'deaf' && this.heard !== undefined)
        this.setState('ok', `monitor reported ${this.heard} by itself and agrees with the poll again`);
      // Not trusted: the view is this poll. Trusted again: it is the monitor's replica, read once.
      if (this.state !== 'ok' || was !== 'ok') this.emit('view', null);
    } finally {
      this.polling = false;
    }
  }

  private async canary(): Promise<void> {
    if (this.stopped || !this.pollClient) return;
    if (this.canaryOut && this.state === 'ok')
      this.becomeDeaf(
        `canary ${this.canaryKey}=${this.canaryOut.value} written ${Date.now() - this.canaryOut.sentAt} ms ago, never reported by the monitor`,
      );
    const value = `${process.pid}-${++this.canarySeq}`;
    this.canaryOut = { value, sentAt: Date.now() };
    await this.writeCanary(value);
  }

  private writeCanary(value: string | null): Promise<unknown> {
    const key = this.canaryKey;
    return this.pollClient!.transact(DB, {
      op: 'mutate',
      table: 'Open_vSwitch',
      where: [],
      mutations: [
        ['external_ids', 'delete', ['set', [key]]],
        ...(value === null
          ? []
          : [['external_ids', 'insert', ['map', [[key, value]]]] as [string, string, Json]]),
      ],
    });
  }

  /** Touch an Interface's external_ids (what --nudge does): a change every monitor of it reports. */
  async touchInterface(uuid: string, key: string, value: string): Promise<void> {
    await this.pollClient!.transact(DB, {
      op: 'mutate',
      table: 'Interface',
      where: [['_uuid', '==', ['uuid', uuid]]],
      mutations: [
        ['external_ids', 'delete', ['set', [key]]],
        ['external_ids', 'insert', ['map', [[key, value]]]],
      ],
    });
  }

  /** Stop timers, remove the canary key (when one was written), close both links. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.confirm);
    while (this.polling) await sleep(5);
    if (this.opts.canaryMs && this.pollClient?.isConnected)
      await this.writeCanary(null).catch(() => undefined);
    await this.pollClient?.close();
    await this.monitorClient?.close();
  }
}
