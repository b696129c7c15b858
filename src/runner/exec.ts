// Running a command is data: {argv, rc, stdout, stderr, durationMs}. argv arrays only; nothing
// ever goes through a shell. Each command runs in its own process group, recorded (cleanup.ts):
// ended with whatever it started (sudo's command, timeout's, tar's gzip) on a timeout, and when
// vifpath ends, also by a signal sent to vifpath alone.
import { killGroup, spawnTracked } from './cleanup.ts';

export interface ExecResult {
  argv: string[];
  rc: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Set when stdout + stderr passed `maxOutputBytes`: the command was killed, the output cut there. */
  overflow?: number;
}

export interface ExecOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  input?: string;
  cwd?: string;
  /**
   * Kill the command once stdout and stderr together pass this many bytes and say so in the
   * result (`overflow`): one runaway command (a 600 MB dump) must not take the heap with it.
   */
  maxOutputBytes?: number;
}

export function exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('exec: empty argv'));
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawnTracked([cmd, ...args], {
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    // Our own timer, not spawn's `timeout`: Node clears that one on 'exit' only, and a command that
    // is not installed (ENOENT) never exits, so its timer kept the process alive for the whole
    // timeout after the work was done (`collect local` idled 30 s on a missing xenstore-read).
    const timer = opts.timeoutMs ? setTimeout(() => killGroup(child, 'SIGKILL'), opts.timeoutMs) : undefined;
    const done = (): void => clearTimeout(timer);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const cap = opts.maxOutputBytes ?? Number.POSITIVE_INFINITY;
    let bytes = 0;
    let overflow = false;
    const take = (into: Buffer[]) => (b: Buffer) => {
      if (overflow) return;
      const room = cap - bytes;
      bytes += b.length;
      if (b.length <= room) {
        into.push(b);
        return;
      }
      into.push(b.subarray(0, Math.max(0, room)));
      overflow = true;
      killGroup(child, 'SIGKILL');
    };
    child.stdout?.on('data', take(out));
    child.stderr?.on('data', take(err));
    child.on('error', (e: NodeJS.ErrnoException) => {
      done();
      // Not installed: report it the way a shell would (127), so callers treat every host alike.
      if (e.code === 'ENOENT')
        resolve({
          argv: [...argv],
          rc: 127,
          signal: null,
          stdout: '',
          stderr: `${cmd}: command not found\n`,
          durationMs: performance.now() - start,
        });
      else reject(e);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    child.on('close', (rc, signal) => {
      done();
      resolve({
        argv: [...argv],
        rc,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        durationMs: performance.now() - start,
        ...(overflow ? { overflow: cap } : {}),
      });
    });
  });
}

/** Like exec, but a non-zero exit is an error carrying the command and its stderr. */
export async function execOk(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const r = await exec(argv, opts);
  if (r.rc !== 0)
    throw new Error(`${argv.join(' ')} exited ${r.rc ?? r.signal}: ${r.stderr.trim().slice(0, 500)}`);
  return r;
}
