// `vifpath report`: the page as one self-contained HTML file (scripts, styles and data inlined;
// nothing fetched when opened), with the DISCOVER of every VM port traced beforehand, since a
// file has no server to trace on demand.
import { TraceInputError } from '../dataplane/trace.ts';
import { givenMacPort } from '../doctor/context.ts';
import { traceProven } from '../doctor/proof.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { type DiagnosisJson, type TraceJson, traceJson } from './adapt.ts';
import { reportPage } from './page.ts';
import { loadCase } from './server.ts';
import type { View } from './view.ts';

export interface ReportData {
  view: View;
  diagnosis: DiagnosisJson;
  /**
   * `"<host>:<port> dhcp-discover"` → that trace; `"<server host:port> dhcp-offer <vm host:port>"` →
   * the OFFER from that DHCP server's port to the VM under investigation.
   */
  traces: Record<string, TraceJson>;
  generated: string;
}

/** At most this many VM ports get a precomputed trace (the one under investigation always does). */
export const REPORT_TRACES = 200;

export function reportData(snap: Snapshot, o: { vm?: string; mac?: string; now?: Date } = {}): ReportData {
  const { view, diagnosis } = loadCase(snap, o.vm, o.mac);
  // --mac: the VM port it gives the MAC of is traced with it (as diagnose traced it).
  const given = o.mac !== undefined ? givenMacPort(snap, o.mac, o.vm) : undefined;
  const froms = [
    ...new Set([...(view.focus ? [view.focus] : []), ...view.vms.map((v) => `${v.host}:${v.port}`)]),
  ].slice(0, REPORT_TRACES);
  const traces: Record<string, TraceJson> = {};
  for (const from of froms)
    try {
      traces[`${from} dhcp-discover`] = traceJson(
        traceProven(snap, {
          from,
          packet: 'dhcp-discover',
          ...(given?.from === from ? { mac: given.mac } : {}),
        }),
      );
    } catch (e) {
      // A VM port OVS gave no OpenFlow port (ofport -1, or absent from `ovs-ofctl show`) cannot
      // be traced: the page says the report holds no trace of it, the diagnosis says why. One whose
      // number the case does not give (pasted `ovs-vsctl show`) has its undecided trace.
      if (!(e instanceof TraceInputError)) throw e;
    }
  // The way back to the VM under investigation, from each DHCP server (a reply goes to one VM:
  // the page's OFFER preset asks for it by --to, as the CLI does).
  if (view.focus)
    for (const from of view.servers)
      try {
        traces[`${from} dhcp-offer ${view.focus}`] = traceJson(
          traceProven(snap, {
            from,
            packet: 'dhcp-offer',
            to: [view.focus],
            ...(given?.from === view.focus ? { mac: given.mac } : {}),
          }),
        );
      } catch (e) {
        if (!(e instanceof TraceInputError)) throw e;
      }
  return { view, diagnosis, traces, generated: (o.now ?? new Date()).toISOString() };
}

export function buildReport(snap: Snapshot, o: { vm?: string; mac?: string; now?: Date } = {}): string {
  return reportPage(reportData(snap, o));
}
