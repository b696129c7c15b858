// `agent --pid-file`: a pid file another program owns is never overwritten, and vifpath removes at
// exit only the file it wrote and that still holds its own pid (review5: `echo 1 > init.pid; agent
// --pid-file init.pid` made init.pid the agent's pid and removed it at exit).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../sources/errors.ts';

/** What the process `pid` is: gone, a vifpath agent, or another program (its command line). */
export function pidOwner(pid: number): { kind: 'dead' } | { kind: 'agent' } | { kind: 'other'; cmd: string } {
  if (!Number.isSafeInteger(pid) || pid < 1) return { kind: 'dead' };
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    // No such process (or /proc says nothing of it): a stale file.
    return existsSync(`/proc/${pid}`) ? { kind: 'other', cmd: '?' } : { kind: 'dead' };
  }
  const argv = raw.split('\0').filter((a) => a !== '');
  // A zombie or kernel thread has an empty command line: alive, not ours.
  const i = argv.findIndex((a) => /^vifpath(?:\.mjs)?$/.test(basename(a)));
  if (i >= 0 && argv.slice(i + 1).find((a) => !a.startsWith('-')) === 'agent') return { kind: 'agent' };
  const cmd = argv.join(' ') || readComm(pid);
  return { kind: 'other', cmd };
}

function readComm(pid: number): string {
  try {
    return `[${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`;
  } catch {
    return '?';
  }
}

/**
 * Before any work: an existing --pid-file may be replaced only when it is one number naming a
 * process that is gone (stale) or a vifpath agent; anything else is exit 2 naming it.
 * (A file that is no pid file at all is refused by checkOutputFile.)
 */
export function checkPidFile(flag: string, path: string): void {
  if (!existsSync(path)) return;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return; // unreadable: checkOutputFile says why
  }
  const m = /^\s*(\d+)\s*$/.exec(text);
  if (!m) return;
  const pid = Number(m[1]);
  const who = pidOwner(pid);
  if (who.kind === 'other')
    throw new InputError(
      `${flag} ${path}: holds the pid ${pid} of a running process that is not a vifpath agent (${who.cmd.length > 80 ? `${who.cmd.slice(0, 77)}...` : who.cmd}): vifpath overwrites only a stale pid file or its own; give another file`,
    );
}

/** The pid file vifpath wrote, removed at exit only while it still holds this process's pid. */
export class PidFile {
  private written = false;
  constructor(
    readonly path: string,
    private readonly pid: number = process.pid,
  ) {}
  write(): void {
    writeFileSync(this.path, `${this.pid}\n`);
    this.written = true;
  }
  /** Whether the file was removed (false: never written by us, or another program's now). */
  remove(): boolean {
    if (!this.written) return false;
    this.written = false;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return false;
    }
    if (text.trim() !== String(this.pid)) return false;
    rmSync(this.path, { force: true });
    return true;
  }
}
