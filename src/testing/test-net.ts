// A network namespace joined to this one by a veth pair, for tests that need TCP between a
// client here and a server "elsewhere" (ovsdb-server over tcp/ssl, sshd): traffic stays on a
// link the test created and is gone after teardown.
import { randomBytes } from 'node:crypto';
import { exec, execOk } from '../runner/exec.ts';

export interface TestNet {
  ns: string;
  /** Address on our side of the veth. */
  hostAddr: string;
  /** Address inside the namespace. */
  nsAddr: string;
  /** argv prefix that runs a command inside the namespace. */
  inNs: string[];
  teardown(): Promise<void>;
}

/** existingNs: join that namespace (owned by someone else, e.g. a lab host) instead of creating one. */
export async function createTestNet(existingNs?: string): Promise<TestNet> {
  const id = randomBytes(3).toString('hex');
  const ns = existingNs ?? `vptn${id}`;
  const a = `vpa${id}`;
  const b = `vpb${id}`;
  // A /30 from 100.64.0.0/10 (shared address space, never routed here), chosen per net.
  const n = Number.parseInt(id.slice(0, 4), 16) % 16384;
  const base = `100.${64 + (n >> 8)}.${n & 255}`;
  const hostAddr = `${base}.1`;
  const nsAddr = `${base}.2`;
  const teardown = async (): Promise<void> => {
    await exec(['ip', 'link', 'del', a]);
    if (!existingNs) await exec(['ip', 'netns', 'del', ns]);
  };
  try {
    if (!existingNs) await execOk(['ip', 'netns', 'add', ns]);
    await execOk(['ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    await execOk(['ip', 'link', 'set', b, 'netns', ns]);
    await execOk(['ip', 'addr', 'add', `${hostAddr}/30`, 'dev', a]);
    await execOk(['ip', 'link', 'set', a, 'up']);
    const inNs = ['ip', 'netns', 'exec', ns];
    await execOk([...inNs, 'ip', 'addr', 'add', `${nsAddr}/30`, 'dev', b]);
    await execOk([...inNs, 'ip', 'link', 'set', b, 'up']);
    await execOk([...inNs, 'ip', 'link', 'set', 'lo', 'up']);
    return { ns, hostAddr, nsAddr, inNs, teardown };
  } catch (e) {
    await teardown();
    throw e;
  }
}
