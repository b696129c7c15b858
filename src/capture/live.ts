// Live multi-point capture: tcpdump at several points at once (retrying a point until its
// interface exists, as the seed's author did for the new VM's vif), optionally while something
// triggers DHCP, then the exchanges correlated by xid across the points.
import { join } from 'node:path';
import { interrupted } from '../runner/cleanup.ts';
import { LocalRunner, type Runner } from '../runner/runner.ts';
import { analyze, type CaptureAnalysis } from './analyze.ts';
import { startTcpdump, type Tcpdump } from './tcpdump.ts';

export interface CapturePoint {
  /** How the point is named in the output (`dom0:vif16.0`). */
  name: string;
  /** Where tcpdump runs: the host (and namespace) of the point. */
  runner: Runner;
  dev: string;
}

export interface LiveOptions {
  /** Where the pcaps go (kept: they are evidence). */
  dir: string;
  /** How long to capture when nothing is triggered, and how long to keep retrying a point. */
  seconds: number;
  /** Runs once every point that can listen listens (e.g. the lab's renew). */
  during?: () => Promise<void>;
}

export async function captureLive(
  points: readonly CapturePoint[],
  opts: LiveOptions,
): Promise<CaptureAnalysis & { files: string[]; missed: string[] }> {
  const files = points.map((p) => join(opts.dir, `${p.name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.pcap`));
  const running: (Tcpdump | undefined)[] = points.map(() => undefined);
  const deadline = Date.now() + opts.seconds * 1000;
  let stopRetry = false;
  // First try every point; the ones whose interface is not there yet keep retrying in the background.
  const tryStart = async (i: number): Promise<void> => {
    const p = points[i]!;
    // A signal came: its cleanup ends the tcpdumps running; none is started after it.
    if (interrupted()) return;
    const t = await startTcpdump(p.runner, p.dev, files[i]!, {
      waitMs: 1000,
      toFile: p.runner instanceof LocalRunner,
      maxSeconds: opts.seconds + 60,
    });
    if (t.listening) running[i] = t;
    else await t.stop();
  };
  await Promise.all(points.map((_, i) => tryStart(i)));
  const retry = (async () => {
    while (!stopRetry && !interrupted() && Date.now() < deadline) {
      for (let i = 0; i < points.length; i++) if (!running[i]) await tryStart(i);
      if (running.every(Boolean)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  if (opts.during) await opts.during();
  else await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
  stopRetry = true;
  await retry;
  const inputs: { bytes: Uint8Array; file: string; point: string }[] = [];
  const missed: string[] = [];
  for (const [i, t] of running.entries()) {
    const bytes = t ? await t.stop() : null;
    if (bytes) inputs.push({ bytes, file: files[i]!, point: points[i]!.name });
    else missed.push(points[i]!.name);
  }
  return { ...analyze(inputs), points: points.map((p) => p.name), files: inputs.map((i) => i.file), missed };
}
