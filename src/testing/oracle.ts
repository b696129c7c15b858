// The real thing to compare with: load a generated case into a running ovs-vswitchd, read it back
// the way vifpath reads any case (ovs-vsctl list + dump-flows files), run `ovs-appctl
// ofproto/trace` and turn its "Datapath actions" into egress ports and VLANs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OvsInstance } from '../lab/ovs-instance.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { splitTopLevel } from '../openflow/text.ts';
import { readCase } from '../sources/case-dir.ts';
import { sosName } from '../sources/file-kinds.ts';
import type { GenCase } from './random-case.ts';

export async function loadCase(ovs: OvsInstance, c: GenCase): Promise<void> {
  const existing = (await ovs.vsctl('list-br')).split('\n').filter(Boolean);
  for (const br of existing) await ovs.vsctl('del-br', br);
  for (const b of c.bridges) {
    const args = OvsInstance.addBridgeArgs(b.name, 'fail_mode=secure', 'protocols=OpenFlow10,OpenFlow13');
    for (const p of b.ports) {
      args.push(
        '--',
        'add-port',
        b.name,
        p.name,
        ...p.vlanArgs,
        '--',
        'set',
        'interface',
        p.name,
        `ofport_request=${p.ofport}`,
      );
      if (p.patchPeer) args.push('type=patch', `options:peer=${p.patchPeer}`);
    }
    await ovs.vsctl(...args);
  }
  for (const b of c.bridges) {
    await ovs.ofctl('-O', 'OpenFlow13', 'del-flows', b.name);
    const dir = mkdtempSync(join(tmpdir(), 'vifpath-flows-'));
    const file = join(dir, 'flows');
    writeFileSync(file, `${b.flows.join('\n')}\n`);
    try {
      await ovs.ofctl('-O', 'OpenFlow13', 'add-flows', b.name, file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Collect the instance as a one-host case (host "h") and read it with vifpath's own reader. */
export async function snapshotOf(ovs: OvsInstance, bridges: string[]): Promise<Snapshot> {
  const dir = mkdtempSync(join(tmpdir(), 'vifpath-diffcase-'));
  const h = join(dir, 'h/sos_commands/openvswitch');
  mkdirSync(h, { recursive: true });
  const cmds = [
    ['ovs-vsctl', '-t', '5', 'list', 'bridge'],
    ['ovs-vsctl', '-t', '5', 'list', 'port'],
    ['ovs-vsctl', '-t', '5', 'list', 'interface'],
  ];
  for (const br of bridges) cmds.push(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', br]);
  try {
    for (const argv of cmds) writeFileSync(join(h, sosName(argv)), await ovs.ok(argv));
    return readCase(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** datapath port number → name, from `ovs-appctl dpif/show`. */
export async function dpPorts(ovs: OvsInstance): Promise<Map<number, string>> {
  const m = new Map<number, string>();
  for (const l of (await ovs.appctl('dpif/show')).split('\n')) {
    const r = /^\s+(\S+) \d+\/(\d+):/.exec(l);
    if (r) m.set(Number(r[2]), r[1]!);
  }
  return m;
}

export interface RealOutcome {
  /** `port/vlan` per output (vlan `-` when untagged), sorted. */
  outputs: string[];
  /** Datapath actions vifpath does not compare (ct, recirc, userspace...). */
  unsupported: string[];
  raw: string;
}

/** Egress points from ofproto/trace's "Datapath actions:" line, given the packet's initial VLANs. */
export function parseDatapathActions(
  text: string,
  initialVlans: number[],
  ports: Map<number, string>,
): RealOutcome {
  const line = text.split('\n').find((l) => l.startsWith('Datapath actions: ')) ?? '';
  const acts = line.slice('Datapath actions: '.length).trim();
  const stack = [...initialVlans];
  const outputs: string[] = [];
  const unsupported: string[] = [];
  if (text.includes('over max translation depth') || text.includes('over 4096 resubmit actions'))
    unsupported.push('translation depth');
  for (const a of acts === '' || acts === 'drop' ? [] : splitTopLevel(acts, ',')) {
    const push = /^push_vlan\(vid=(\d+),pcp=\d+\)$/.exec(a);
    if (push) stack.unshift(Number(push[1]));
    else if (a === 'pop_vlan') stack.shift();
    else if (/^\d+$/.test(a))
      outputs.push(`${ports.get(Number(a)) ?? `dp${a}`}/${stack.length ? stack[0] : '-'}`);
    else if (a.startsWith('set(')) continue;
    else unsupported.push(a);
  }
  return { outputs: outputs.sort(), unsupported, raw: line };
}
