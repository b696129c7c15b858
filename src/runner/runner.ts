// Where a command runs: this machine, a namespace on it, with sudo, or another host over the
// system's ssh client. Every runner takes an argv array. Only ssh needs a command line (the remote
// sshd hands it to the login shell), so argv is quoted word by word there and nowhere else.
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onInterrupt, removeTempDir, spawnTracked, tempDir } from './cleanup.ts';
import { type ExecOptions, type ExecResult, exec } from './exec.ts';

export interface Runner {
  /** How to reach the host, for messages (`ssh://root@dom0`, `local`, `netns:qdhcp-…`). */
  readonly label: string;
  run(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Start a long-running command (tcpdump) with stdout and stderr as pipes, in its own process
   * group (stop it with cleanup.ts's killGroup), ended with vifpath however vifpath ends.
   */
  start(argv: readonly string[]): ChildProcess;
  /** The same host, with `prefix` put in front of every command (`ip netns exec NS`, `sudo -n --`). */
  within(prefix: readonly string[], label: string): Runner;
  close(): Promise<void>;
}

/** POSIX shell quoting of one word: safe characters bare, everything else in single quotes. */
function posixWord(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_./:=@%+,-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * What a printed line cannot show as itself: the characters escapeControl (text/escape.ts) makes
 * visible, so that the line printed is the line pasted.
 */
const INVISIBLE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const C_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\', "'": "\\'" };
const UTF8 = new TextEncoder();

/**
 * One word of a suggested command line, quoted for the shell the operator pastes it into: safe
 * characters bare, printable names in POSIX single quotes (`'vm port'`), and a name holding a
 * control or invisible character (ESC, a bidi override, a zero-width space, a newline) in bash's
 * ANSI-C quotes with that character escaped: `$'vif16.0\xe2\x80\xae'`. Single quotes would keep the
 * character raw, which text output then shows escaped (`'vif16.0\u{202e}'`): pasted, the shell
 * would take that backslash text literally and name a port that does not exist. The escapes are
 * the name's UTF-8 bytes (`\xHH`), not `\uHHHH`, which bash leaves as text in a C locale.
 * Only for lines printed to a person; argv handed to a shell (ssh) is remoteCommand's.
 */
export function shellWord(s: string): string {
  if (!INVISIBLE.test(s)) return posixWord(s);
  let out = "$'";
  for (const ch of s) {
    const named = C_ESCAPES[ch];
    if (named) out += named;
    else if (INVISIBLE.test(ch))
      for (const b of UTF8.encode(ch)) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

/**
 * The data operands of a suggested command line, quoted, after `--` when one of them starts with
 * `-`: quoting keeps a name one word for the shell, but a tool that reads options anywhere on its
 * line (ovs-ofctl, grep, openstack) would still take `-n` for an option. For tools that stop at
 * their first operand (ovs-vsctl, ovs-appctl) or take the name as an option's value, shellWord.
 */
export function operands(...words: string[]): string {
  const q = words.map(shellWord).join(' ');
  return words.some((w) => w.startsWith('-')) ? `-- ${q}` : q;
}

/**
 * A suggested `vifpath <sub>` line, every word quoted (shellWord): the operands (case paths,
 * sosreports, targets) first, as the operator gave them, then the options; when an operand starts
 * with `-` (a case folder named `-mycase`), which vifpath would read as an option, the options go
 * first and the operands after `--`.
 */
export function vifpathLine(
  sub: string,
  operandWords: readonly string[],
  optionWords: readonly string[] = [],
): string {
  const ops = operandWords.map(shellWord);
  const opts = optionWords.map(shellWord);
  const words = operandWords.some((w) => w.startsWith('-')) ? [...opts, '--', ...ops] : [...ops, ...opts];
  return ['vifpath', sub, ...words].join(' ');
}

/**
 * The command line sshd will hand to the remote shell for this argv: POSIX quotes only (the remote
 * login shell may be dash, which has no `$'…'`; single quotes pass every byte as it is).
 */
export function remoteCommand(argv: readonly string[]): string {
  return argv.map(posixWord).join(' ');
}

export const NETNS = (ns: string): string[] => ['ip', 'netns', 'exec', ns];
export const SUDO = ['sudo', '-n', '--'];

export class LocalRunner implements Runner {
  constructor(
    private readonly prefix: readonly string[] = [],
    readonly label = 'local',
  ) {}
  run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return exec([...this.prefix, ...argv], opts).then((r) => ({ ...r, argv: [...argv] }));
  }
  start(argv: readonly string[]): ChildProcess {
    const full = [...this.prefix, ...argv];
    return spawnTracked(full, { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  within(prefix: readonly string[], label: string): Runner {
    return new LocalRunner([...this.prefix, ...prefix], label);
  }
  async close(): Promise<void> {}
}

export interface SshDestination {
  user?: string;
  host: string;
  port?: number;
}

/**
 * ssh with one master connection per host (ControlMaster), so a collection of a hundred commands
 * pays for one handshake. BatchMode: never prompt; a host that wants a password fails fast.
 */
export class SshRunner implements Runner {
  private readonly shared: { closed: boolean; controlDir?: string; unhook?: () => void };
  constructor(
    readonly dest: SshDestination,
    private readonly sshArgs: readonly string[] = [],
    private readonly prefix: readonly string[] = [],
    readonly label = `ssh://${dest.user ? `${dest.user}@` : ''}${dest.host}${dest.port ? `:${dest.port}` : ''}`,
    shared?: { closed: boolean; controlDir?: string; unhook?: () => void },
  ) {
    this.shared = shared ?? { closed: false };
  }

  /**
   * The master connection's socket folder, made on first use (a runner built for a target list
   * that fails to parse further on never makes one) and removed by close, at exit or on a signal.
   */
  private get controlDir(): string {
    if (this.shared.controlDir === undefined) {
      // A unix socket path holds 108 bytes; ssh adds the 40-character %C and a 17-character
      // temporary suffix: a long TMPDIR would make every ssh fail, so then /tmp it is.
      this.shared.controlDir = tempDir('vifpath-ssh-', tmpdir().length > 30 ? '/tmp' : tmpdir());
      // Ctrl-C: end the master connection too, or it outlives us by ControlPersist.
      this.shared.unhook = onInterrupt(() => this.close());
    }
    return this.shared.controlDir;
  }

  /** The ssh argv for a remote command (exported for tests: what exactly leaves this machine). */
  sshArgv(argv: readonly string[], mux = true): string[] {
    return [
      'ssh',
      '-o',
      'BatchMode=yes',
      ...(mux
        ? [
            '-o',
            'ControlMaster=auto',
            '-o',
            `ControlPath=${join(this.controlDir, '%C')}`,
            '-o',
            'ControlPersist=60',
          ]
        : ['-o', 'ControlMaster=no', '-o', 'ControlPath=none']),
      '-o',
      'ConnectTimeout=10',
      ...(this.dest.port ? ['-p', String(this.dest.port)] : []),
      ...this.sshArgs,
      ...(this.dest.user ? ['-l', this.dest.user] : []),
      '--',
      this.dest.host,
      remoteCommand([...this.prefix, ...argv]),
    ];
  }

  run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return exec(this.sshArgv(argv), opts).then((r) => ({ ...r, argv: [...argv] }));
  }

  /**
   * Its own connection, not the shared master: through the master, our pipes would be handed to
   * the master process and stay open after we stop the client, so the stream would never end.
   */
  start(argv: readonly string[]): ChildProcess {
    const a = this.sshArgv(argv, false);
    return spawnTracked(a, { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  within(prefix: readonly string[], label: string): Runner {
    return new SshRunner(this.dest, this.sshArgs, [...this.prefix, ...prefix], label, this.shared);
  }

  async close(): Promise<void> {
    if (this.shared.closed) return;
    this.shared.closed = true;
    const dir = this.shared.controlDir;
    if (dir === undefined) return;
    this.shared.unhook?.();
    await exec(
      [
        'ssh',
        '-o',
        `ControlPath=${join(dir, '%C')}`,
        ...(this.dest.port ? ['-p', String(this.dest.port)] : []),
        ...this.sshArgs,
        ...(this.dest.user ? ['-l', this.dest.user] : []),
        '-O',
        'exit',
        '--',
        this.dest.host,
      ],
      { timeoutMs: 5000 },
    );
    removeTempDir(dir);
  }
}

/** ssh exits 255 for its own failures (unreachable, refused, authentication). */
export function isTransportFailure(r: ExecResult, runner: Runner): boolean {
  return runner instanceof SshRunner && r.rc === 255;
}

/** The command itself is not installed on the host (shell 127, or spawn ENOENT locally). */
export function isMissingCommand(r: ExecResult): boolean {
  return r.rc === 127 || (r.rc === 255 && /No such file or directory/.test(r.stderr) && r.stdout === '');
}
