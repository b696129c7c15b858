// The ovs-ofctl command line a host's OVS takes. `-O` (choose the OpenFlow version) came in OVS
// 1.10; an older ovs-ofctl refuses it, so a host whose version the case shows older is asked in
// its own form (OpenFlow 1.0, its only one). An unknown version keeps the -O form: no guess.
import { operands } from '../runner/runner.ts';
import type { Host } from './snapshot.ts';

/** Whether a version string (`1.4.0+build0`, `2.17.9`, `"3.3.0"`) is known older than 1.10. */
export function beforeOpenFlowOption(version: string | undefined): boolean {
  const m = /^"?(\d+)\.(\d+)(?:[.+~-]|"?$)/.exec(version?.trim() ?? '');
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major < 1 || (major === 1 && minor < 10);
}

/** `ovs-ofctl` with the OpenFlow 1.3 option where the host's ovs-ofctl has it. */
export function ofctl(h: Pick<Host, 'ovsVersion'> | undefined): string {
  return beforeOpenFlowOption(h?.ovsVersion) ? 'ovs-ofctl' : 'ovs-ofctl -O OpenFlow13';
}

/** `ovs-ofctl [-O OpenFlow13] dump-flows <bridge> [more]`, each operand quoted. */
export function dumpFlowsCommand(
  h: Pick<Host, 'ovsVersion'> | undefined,
  bridge: string,
  ...more: string[]
): string {
  return `${ofctl(h)} dump-flows ${operands(bridge, ...more)}`;
}
