// A remote host's OVSDB over ssh: the system ssh client forwards a local unix socket to the
// remote db.sock (`ssh -N -L local:remote`), so watch speaks RFC 7047 to it as to a local server
// (one ssh process per host; honours ~/.ssh/config, -F, -i). argv only; the host name is never
// read as an option (it follows `--`).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SshForward {
  /** unix:PATH of the local end. */
  remote: string;
  close(): Promise<void>;
}

export async function forwardOvsdb(
  to: { user?: string; host: string; port?: number },
  remoteSock: string,
  sshArgs: readonly string[] = [],
  timeoutMs = 15_000,
): Promise<SshForward> {
  const dir = mkdtempSync(join(tmpdir(), 'vifpath-ssh-'));
  const local = join(dir, 'db.sock');
  const child: ChildProcess = spawn(
    'ssh',
    [
      ...sshArgs,
      '-N',
      '-o',
      'BatchMode=yes',
      '-o',
      'ExitOnForwardFailure=yes',
      '-o',
      'ServerAliveInterval=5',
      '-L',
      `${local}:${remoteSock}`,
      ...(to.port ? ['-p', String(to.port)] : []),
      '--',
      to.user ? `${to.user}@${to.host}` : to.host,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  child.on('error', (e) => {
    exited = true;
    err += e.message;
  });
  const close = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const end = Date.now() + timeoutMs;
  while (!existsSync(local)) {
    if (exited || Date.now() > end) {
      await close();
      const why = err.trim().split('\n').at(-1) ?? '';
      throw new Error(
        `ssh to ${to.host}: ${exited ? `forwarding failed${why ? `: ${why}` : ''}` : `no forwarded socket within ${timeoutMs} ms`}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { remote: `unix:${local}`, close };
}
