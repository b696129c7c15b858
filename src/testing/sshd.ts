// A private sshd inside a test namespace (reached over the test's veth), with throwaway keys:
// the far end of the ssh runner in tests. Optional environment for the sessions (SetEnv), so a
// "remote host" can be a private OVS instance that plain ovs-* commands reach.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execOk } from '../runner/exec.ts';
import { createTestNet, type TestNet } from './test-net.ts';

export interface TestSshd {
  net: TestNet;
  dir: string;
  /** ssh client config for -F: key, no host-key prompts. */
  clientConfig: string;
  target(user?: string): string;
  stop(): Promise<void>;
}

export async function startSshd(
  dir: string,
  opts: { ns?: string; env?: Record<string, string> } = {},
): Promise<TestSshd> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true }); // privilege separation directory sshd insists on
  const net = await createTestNet(opts.ns);
  const hostKey = join(dir, 'host_key');
  const userKey = join(dir, 'user_key');
  await execOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await execOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', userKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${userKey}.pub`));
  const pid = join(dir, 'sshd.pid');
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `ListenAddress ${net.nsAddr}:22`,
      `HostKey ${hostKey}`,
      `PidFile ${pid}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'MaxSessions 50',
      'MaxStartups 50',
      'LogLevel ERROR',
      // Sessions whose client vanished with the test's link end by themselves.
      'ClientAliveInterval 5',
      'ClientAliveCountMax 2',
      // HOME elsewhere: root's own ~/.bashrc here (bash reads it for ssh commands) is slow and not ours.
      `SetEnv HOME=${dir} ${env.join(' ')}`.trimEnd(),
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'ssh_config'),
    [
      'Host *',
      `  IdentityFile ${userKey}`,
      '  IdentitiesOnly yes',
      '  UserKnownHostsFile /dev/null',
      '  StrictHostKeyChecking no',
      '  LogLevel ERROR',
      '',
    ].join('\n'),
  );
  // A private mount namespace with an empty /run/netns: a remote host does not see this machine's
  // other namespaces (other labs, other tests). The script is constant; sshd's argv follows it.
  await execOk([
    ...net.inNs,
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    'mount -t tmpfs vifpath-empty /run/netns && exec "$0" "$@"',
    '/usr/sbin/sshd',
    '-f',
    join(dir, 'sshd_config'),
    '-E',
    join(dir, 'sshd.log'),
  ]);
  const stop = async (): Promise<void> => {
    try {
      const listener = Number(readFileSync(pid, 'utf8').trim());
      // The sessions first (children of the listener), or they outlive it.
      for (const child of childrenOf(listener)) killQuietly(child);
      killQuietly(listener);
    } catch {
      // not running
    }
    await net.teardown();
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    net,
    dir,
    clientConfig: join(dir, 'ssh_config'),
    target: (user = 'root') => `ssh://${user}@${net.nsAddr}`,
    stop,
  };
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e), ...childrenOf(Number(e)));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
