// The stuck-port watchdog: for every VM port on every watched host, the time from its appearance
// to a usable VLAN tag, and an alert when it waits longer than the grace period (untagged, at the
// dead VLAN 4095, ofport -1, an interface error) or when a bound port loses its tag. The seed's
// failure — an L2 agent whose OVSDB monitor went deaf, leaving vif16.0 untagged with nothing said —
// becomes one line within the grace. What it has alerted is kept in a state file, so a restarted
// watch (kill -9 included) reconciles: a port still stuck is alerted again, marked as a repeat.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Replica } from '../ovsdb/cache.ts';
import type { SslFiles } from '../ovsdb/remote.ts';
import { type InterfaceRow, type PortRow, rowsOf } from '../ovsdb/vswitch.ts';
import { type EyesOptions, type EyesState, HostEyes } from './eyes.ts';
import { type DiagnoseTarget, nextSteps } from './next-steps.ts';
import { awaitsBinding } from './port-role.ts';

export type AlertKind =
  | 'stuck'
  | 'lost-tag'
  | 'bound'
  | 'gone'
  | 'nudge'
  | 'monitor-deaf'
  | 'monitor-ok'
  | 'monitor-down';

export interface Alert {
  kind: AlertKind;
  at: string;
  host: string;
  port?: string;
  ifaceId?: string | null;
  /** When the port started waiting (appeared, or lost its tag). */
  since?: string;
  /**
   * The port was already waiting when watch started: since is when watch first saw it, and the
   * wait began then or earlier (OVSDB keeps no creation time); waitingMs is a lower bound.
   */
  sinceAtLeast?: true;
  waitingMs?: number;
  waitingFor?: string[];
  /** The row values the alert rests on. */
  evidence?: Record<string, unknown>;
  /** Alerted before, by this watch or one that ran before it (state file). */
  repeat?: boolean;
  message: string;
  /** What to do (stuck, lost-tag): command lines with a comment each, read-only ones first. */
  next?: string[];
}

export interface WatchHost {
  name: string;
  remote: string;
  monitorRemote?: string;
  /** This host's grace (its agent's polling interval is known), else WatchOptions.graceMs. */
  graceMs?: number;
  /** The endpoint as a `vifpath diagnose` live target, when there is one (the alert's next step). */
  diagnose?: DiagnoseTarget;
}

export interface WatchOptions {
  graceMs: number;
  pollMs: number;
  probeMs?: number;
  canaryMs?: number;
  nudge?: boolean;
  nudgeIntervalMs?: number;
  stateFile?: string;
  ssl?: SslFiles;
  onAlert: (a: Alert) => void;
}

interface Track {
  host: string;
  portUuid: string;
  ifaceUuid: string | undefined;
  name: string;
  ifaceId: string | null;
  firstSeen: number;
  /** Waiting since (undefined: bound). */
  waitingSince: number | undefined;
  /** waitingSince is when watch started and first saw it already waiting: a lower bound. */
  sinceAtLeast: boolean;
  everBound: boolean;
  alerted: boolean;
  /** Alerted by an earlier run for the same waiting episode (state file). */
  alertedBefore: boolean;
  reasons: string[];
  evidence: Record<string, unknown>;
  timer?: NodeJS.Timeout;
  nudgeTimer?: NodeJS.Timeout;
}

interface SavedTrack {
  firstSeen: number;
  waitingSince: number | null;
  sinceAtLeast?: boolean;
  everBound: boolean;
  alerted: boolean;
}

/** Seconds: from the lab agent's milliseconds to the Neutron agent's 2 s loop and beyond. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/** Why a VM port is not usable yet; empty when it is bound. */
export function waitingFor(p: PortRow, i: InterfaceRow | undefined): string[] {
  const out: string[] = [];
  if (p.tag === null && (p.vlanMode === null || p.vlanMode === 'access') && p.trunks.length === 0)
    out.push('tag (untagged)');
  if (p.tag === 4095) out.push('a usable tag (4095 is the dead VLAN)');
  if (i?.ofport === -1) out.push('an ofport (-1: OVS could not open the device)');
  if (i?.error) out.push(`no interface error (${i.error})`);
  return out;
}

/**
 * lost-tag: a port bound before now waits for a usable tag again. A bound port that only waits for
 * its device (ofport -1, an interface error: what ovs-vswitchd writes just after a tagged port is
 * added) has not lost its tag: stuck.
 */
function kindOf(t: { everBound: boolean; reasons: string[] }): 'stuck' | 'lost-tag' {
  return t.everBound && t.reasons.some((r) => r.startsWith('tag ') || r.startsWith('a usable tag'))
    ? 'lost-tag'
    : 'stuck';
}

export class Watcher {
  readonly eyes = new Map<string, HostEyes>();
  private readonly tracks = new Map<string, Track>();
  private saved: Record<string, SavedTrack> = {};
  private readonly latencies: number[] = [];
  private readonly alertCounts = new Map<string, number>();
  private saveTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Hosts evaluated once: a port first seen in a host's first view was there before watch. */
  private readonly looked = new Set<string>();

  constructor(
    readonly hosts: readonly WatchHost[],
    readonly opts: WatchOptions,
  ) {
    if (opts.stateFile && existsSync(opts.stateFile)) {
      try {
        this.saved =
          (JSON.parse(readFileSync(opts.stateFile, 'utf8')) as { ports?: Record<string, SavedTrack> })
            .ports ?? {};
      } catch {
        this.saved = {}; // torn by a kill -9 mid-write is impossible (rename), but never fatal
      }
    }
  }

  /** Connect to every host (throws on the first that cannot be reached) and start watching. */
  async start(): Promise<void> {
    for (const h of this.hosts) {
      const o: EyesOptions = {
        host: h.name,
        remote: h.remote,
        pollMs: this.opts.pollMs,
        ...(h.monitorRemote ? { monitorRemote: h.monitorRemote } : {}),
        ...(this.opts.probeMs ? { probeMs: this.opts.probeMs } : {}),
        ...(this.opts.canaryMs ? { canaryMs: this.opts.canaryMs } : {}),
        ...(this.opts.ssl ? { ssl: this.opts.ssl } : {}),
      };
      const e = new HostEyes(o);
      this.eyes.set(h.name, e);
      // A burst of updates is evaluated once, not once per row.
      let queued = false;
      e.on('view', () => {
        if (queued) return;
        queued = true;
        setImmediate(() => {
          queued = false;
          this.evaluate(h);
        });
      });
      e.on('state', (s, detail) => this.onState(h.name, s, detail));
      await e.start();
      this.evaluate(h);
    }
  }

  private onState(host: string, s: EyesState, detail: string): void {
    // Stopping closes the monitor itself: that is no alert (nor an --exec hook run).
    if (s === 'connecting' || this.stopped) return;
    const kind: AlertKind = s === 'deaf' ? 'monitor-deaf' : s === 'down' ? 'monitor-down' : 'monitor-ok';
    this.emit({
      kind,
      at: new Date().toISOString(),
      host,
      message:
        s === 'deaf'
          ? `OVSDB monitor is deaf: ${detail}; watching by polling`
          : s === 'down'
            ? `OVSDB monitor: ${detail}`
            : `OVSDB monitor ok: ${detail}`,
    });
  }

  private emit(a: Alert): void {
    const k = `${a.host}\u0000${a.kind}`;
    this.alertCounts.set(k, (this.alertCounts.get(k) ?? 0) + 1);
    this.opts.onAlert(a);
  }

  private graceOf(h: WatchHost): number {
    return h.graceMs ?? this.opts.graceMs;
  }

  /** Re-read a host's view: new ports, bound ports, ports waiting, ports gone. */
  private evaluate(h: WatchHost): void {
    if (this.stopped) return;
    const e = this.eyes.get(h.name);
    if (!e) return;
    const view: Replica = e.view();
    const ifaces = new Map(rowsOf(view, 'Interface').map((i) => [i.uuid, i]));
    const bridgeOf = new Map<string, string>();
    for (const b of rowsOf(view, 'Bridge')) for (const p of b.ports) bridgeOf.set(p, b.name);
    const now = Date.now();
    const seen = new Set<string>();
    // The first view is the rows as watch found them; later ones show a port as it is created (the
    // monitor's insert, or the poll that first has it): that sighting is its appearance.
    const atStart = !this.looked.has(h.name);
    this.looked.add(h.name);
    for (const p of rowsOf(view, 'Port')) {
      const i = p.interfaces.map((u) => ifaces.get(u)).find(Boolean);
      if (!awaitsBinding({ name: i?.name ?? p.name, externalIds: i?.externalIds ?? {} })) continue;
      const key = `${h.name}/${p.uuid}`;
      seen.add(key);
      let t = this.tracks.get(key);
      if (!t) {
        const s = this.saved[key];
        t = {
          host: h.name,
          portUuid: p.uuid,
          ifaceUuid: i?.uuid,
          name: p.name,
          ifaceId: i?.externalIds['iface-id'] ?? null,
          firstSeen: s?.firstSeen ?? now,
          waitingSince: s?.waitingSince ?? undefined,
          sinceAtLeast: s?.sinceAtLeast ?? false,
          everBound: s?.everBound ?? false,
          alerted: false,
          alertedBefore: s?.alerted ?? false,
          reasons: [],
          evidence: {},
        };
        this.tracks.set(key, t);
      }
      t.ifaceUuid = i?.uuid;
      t.ifaceId = i?.externalIds['iface-id'] ?? null;
      t.reasons = waitingFor(p, i);
      t.evidence = {
        bridge: bridgeOf.get(p.uuid) ?? null,
        tag: p.tag,
        trunks: p.trunks,
        vlan_mode: p.vlanMode,
        ofport: i?.ofport ?? null,
        error: i?.error ?? null,
        external_ids: i?.externalIds ?? {},
      };
      if (t.reasons.length === 0) {
        if (t.waitingSince !== undefined) {
          // Appearance → tag: a wait that began before watch has no known start.
          if (!t.everBound && !t.sinceAtLeast) this.latencies.push(now - t.waitingSince);
          if (t.alerted || t.alertedBefore)
            this.emit(this.portAlert(t, 'bound', now, `now bound (tag ${p.tag}) after ${waited(t, now)}`));
          t.waitingSince = undefined;
          this.clearTimers(t);
          t.alerted = false;
          t.alertedBefore = false;
        }
        t.everBound = true;
        t.sinceAtLeast = false;
      } else if (t.waitingSince === undefined || !t.timer) {
        if (t.waitingSince === undefined) {
          t.waitingSince = now;
          // Already waiting in the first view (nothing saved says since when): OVSDB does not say.
          t.sinceAtLeast = atStart;
        }
        if (!t.alerted) {
          const due = t.waitingSince + this.graceOf(h) - now;
          t.timer = setTimeout(() => this.fire(t!), Math.max(0, due));
        }
      }
    }
    for (const [key, t] of this.tracks)
      if (t.host === h.name && !seen.has(key)) {
        this.clearTimers(t);
        this.tracks.delete(key);
        if (t.alerted) this.emit(this.portAlert(t, 'gone', now, 'port deleted while waiting'));
      }
    this.scheduleSave();
  }

  private clearTimers(t: Track): void {
    clearTimeout(t.timer);
    clearInterval(t.nudgeTimer);
    t.timer = undefined;
    t.nudgeTimer = undefined;
  }

  private portAlert(t: Track, kind: AlertKind, now: number, message: string): Alert {
    return {
      kind,
      at: new Date(now).toISOString(),
      host: t.host,
      port: t.name,
      ifaceId: t.ifaceId,
      ...(t.waitingSince !== undefined
        ? {
            since: new Date(t.waitingSince).toISOString(),
            ...(t.sinceAtLeast ? { sinceAtLeast: true as const } : {}),
            waitingMs: now - t.waitingSince,
          }
        : {}),
      ...(kind === 'stuck' || kind === 'lost-tag' ? { waitingFor: t.reasons } : {}),
      evidence: t.evidence,
      ...(t.alertedBefore ? { repeat: true } : {}),
      message,
      ...(kind === 'stuck' || kind === 'lost-tag'
        ? {
            next: nextSteps({
              host: t.host,
              port: t.name,
              ifaceId: t.ifaceId,
              reasons: t.reasons,
              ...(this.hostOf(t)?.diagnose ? { diagnose: this.hostOf(t)!.diagnose! } : {}),
            }),
          }
        : {}),
    };
  }

  private hostOf(t: Track): WatchHost | undefined {
    return this.hosts.find((h) => h.name === t.host);
  }

  private fire(t: Track): void {
    if (
      this.stopped ||
      t.waitingSince === undefined ||
      t.alerted ||
      !this.tracks.has(`${t.host}/${t.portUuid}`)
    )
      return;
    const now = Date.now();
    const kind: AlertKind = kindOf(t);
    t.alerted = true;
    // Saved before it is printed: a kill -9 in between makes the next run repeat it (marked as a
    // repeat), never lose it.
    this.saveNow();
    this.emit(
      this.portAlert(
        t,
        kind,
        now,
        `${kind === 'stuck' ? 'stuck' : 'lost its tag'} for ${waited(t, now)}, waiting for ${t.reasons.join(', ')}`,
      ),
    );
    if (this.opts.nudge) {
      void this.nudge(t);
      t.nudgeTimer = setInterval(() => void this.nudge(t), this.opts.nudgeIntervalMs ?? 60_000);
    }
  }

  /** Touch the stuck port's Interface external_ids: the agent's own monitor reports it, and it looks again. */
  private async nudge(t: Track): Promise<void> {
    const e = this.eyes.get(t.host);
    if (!e || !t.ifaceUuid || t.waitingSince === undefined || this.stopped) return;
    const at = new Date().toISOString();
    try {
      await e.touchInterface(t.ifaceUuid, 'vifpath-nudge', at);
      this.emit(
        this.portAlert(t, 'nudge', Date.now(), `nudged: set Interface external_ids:vifpath-nudge=${at}`),
      );
    } catch (err) {
      this.emit(this.portAlert(t, 'nudge', Date.now(), `nudge failed: ${(err as Error).message}`));
    }
  }

  /** VM ports waiting right now: [alerted ones, all of them]. */
  waiting(): { alerted: Alert[]; all: Alert[] } {
    const now = Date.now();
    const all = [...this.tracks.values()].filter((t) => t.waitingSince !== undefined);
    const mk = (t: Track): Alert =>
      this.portAlert(t, kindOf(t), now, `waiting ${waited(t, now)} for ${t.reasons.join(', ')}`);
    return { alerted: all.filter((t) => t.alerted).map(mk), all: all.map(mk) };
  }

  /**
   * Alert now every waiting port whose grace has passed, its timer run or not: --once decides by
   * the clock. (Its wait ends a few ms after the last port is due, but a grace timer is armed after
   * the clock was read: time lost in between — GC, a busy CPU — made the timer run after --once had
   * looked, and a stuck port exited 0.)
   */
  fireDue(now = Date.now()): void {
    for (const [key, t] of this.tracks) {
      if (t.waitingSince === undefined || t.alerted) continue;
      const h = this.hosts.find((x) => x.name === t.host);
      if (h && t.waitingSince + this.graceOf(h) <= now && this.tracks.get(key) === t) this.fire(t);
    }
  }

  /** The latest moment a currently waiting port becomes due (for --once). */
  lastDue(): number {
    let due = 0;
    for (const t of this.tracks.values()) {
      if (t.waitingSince === undefined) continue;
      const h = this.hosts.find((x) => x.name === t.host)!;
      due = Math.max(due, t.waitingSince + this.graceOf(h));
    }
    return due;
  }

  /** Prometheus text exposition. */
  metrics(): string {
    const lines: string[] = [];
    const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    lines.push('# HELP vifpath_watch_ports VM ports by host and state.', '# TYPE vifpath_watch_ports gauge');
    for (const h of this.hosts) {
      const ts = [...this.tracks.values()].filter((t) => t.host === h.name);
      const n = {
        seen: ts.length,
        bound: ts.filter((t) => t.waitingSince === undefined).length,
        stuck: ts.filter((t) => t.alerted).length,
      };
      for (const [s, v] of Object.entries(n))
        lines.push(`vifpath_watch_ports{host="${esc(h.name)}",state="${s}"} ${v}`);
    }
    lines.push(
      "# HELP vifpath_watch_monitor_state 1 for the state each host's OVSDB monitor is in.",
      '# TYPE vifpath_watch_monitor_state gauge',
    );
    for (const h of this.hosts) {
      const st = this.eyes.get(h.name)?.state ?? 'connecting';
      for (const s of ['ok', 'deaf', 'down', 'connecting'])
        lines.push(`vifpath_watch_monitor_state{host="${esc(h.name)}",state="${s}"} ${st === s ? 1 : 0}`);
    }
    lines.push(
      '# HELP vifpath_watch_canary_rtt_seconds Last canary round trip (write → monitor report).',
      '# TYPE vifpath_watch_canary_rtt_seconds gauge',
    );
    for (const h of this.hosts) {
      const r = this.eyes.get(h.name)?.canaryRttMs;
      if (r !== undefined) lines.push(`vifpath_watch_canary_rtt_seconds{host="${esc(h.name)}"} ${r / 1000}`);
    }
    lines.push(
      '# HELP vifpath_watch_alerts_total Alerts by host and kind.',
      '# TYPE vifpath_watch_alerts_total counter',
    );
    for (const [k, v] of this.alertCounts) {
      const [host, kind] = k.split('\u0000');
      lines.push(`vifpath_watch_alerts_total{host="${esc(host!)}",kind="${kind}"} ${v}`);
    }
    lines.push(
      '# HELP vifpath_watch_bind_latency_seconds VM port appearance → usable tag.',
      '# TYPE vifpath_watch_bind_latency_seconds histogram',
    );
    for (const b of LATENCY_BUCKETS)
      lines.push(
        `vifpath_watch_bind_latency_seconds_bucket{le="${b}"} ${this.latencies.filter((x) => x / 1000 <= b).length}`,
      );
    lines.push(`vifpath_watch_bind_latency_seconds_bucket{le="+Inf"} ${this.latencies.length}`);
    lines.push(`vifpath_watch_bind_latency_seconds_sum ${this.latencies.reduce((a, b) => a + b, 0) / 1000}`);
    lines.push(`vifpath_watch_bind_latency_seconds_count ${this.latencies.length}`);
    return `${lines.join('\n')}\n`;
  }

  /** Appearance → tag latencies seen so far (ms), for the bench. */
  bindLatencies(): readonly number[] {
    return this.latencies;
  }

  private scheduleSave(): void {
    if (!this.opts.stateFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.saveNow(), 200);
  }

  private saveNow(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const f = this.opts.stateFile;
    if (!f) return;
    const ports: Record<string, SavedTrack> = {};
    for (const [k, t] of this.tracks)
      ports[k] = {
        firstSeen: t.firstSeen,
        waitingSince: t.waitingSince ?? null,
        ...(t.sinceAtLeast ? { sinceAtLeast: true } : {}),
        everBound: t.everBound,
        alerted: t.alerted || t.alertedBefore,
      };
    // Hosts this run does not watch keep what an earlier run saved.
    for (const [k, s] of Object.entries(this.saved))
      if (!this.hosts.some((h) => k.startsWith(`${h.name}/`))) ports[k] = s;
    writeFileSync(`${f}.tmp`, `${JSON.stringify({ version: 1, ports })}\n`);
    renameSync(`${f}.tmp`, f);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.tracks.values()) this.clearTimers(t);
    this.saveNow();
    await Promise.all([...this.eyes.values()].map((e) => e.stop()));
  }
}

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** How long a port has waited, said as a lower bound when it was waiting before watch started. */
function waited(t: Track, now: number): string {
  const ms = fmtMs(now - (t.waitingSince ?? now));
  return t.sinceAtLeast
    ? `at least ${ms} (existed when watch started)`
    : t.everBound
      ? ms
      : `${ms} since it appeared`;
}

/** One alert as one text line. */
export function alertLine(a: Alert): string {
  const parts = [a.at, a.kind.toUpperCase(), a.host];
  if (a.port !== undefined) parts.push(a.port);
  if (a.ifaceId) parts.push(`iface-id=${a.ifaceId}`);
  if (a.since) parts.push(a.sinceAtLeast ? `since<=${a.since}` : `since=${a.since}`);
  if (a.repeat) parts.push('(repeat)');
  parts.push(a.message);
  if (a.evidence) {
    const ev = a.evidence as { bridge?: string | null; tag?: unknown; ofport?: unknown; error?: unknown };
    parts.push(
      `[bridge=${ev.bridge ?? '?'} tag=${JSON.stringify(ev.tag)} ofport=${JSON.stringify(ev.ofport)} error=${JSON.stringify(ev.error)}]`,
    );
  }
  return parts
    .join(' ')
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The alert line, then its next steps indented below it, one pastable command line each. */
export function alertText(a: Alert): string {
  return [alertLine(a), ...(a.next ?? []).map((l) => `    ${l}`)].join('\n');
}
