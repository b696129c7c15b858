// Where a command writes (report -o, collect -o, capture live -o, lab up --dir, lab collect, --keep,
// watch --state, agent --pid-file) and where it listens (serve --port/--listen, watch --metrics):
// checked before any work, and what the system still refuses later said on one line, exit 2 —
// never a stack trace.
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  statfsSync,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { VifpathError } from '../errors/errors.ts';
import { InputError } from '../sources/errors.ts';
import { specialKind } from '../sources/walk.ts';

/** The nearest folder of `path` that exists (itself when it does). */
function existingAncestor(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/**
 * Kernel pseudo-filesystems (linux/magic.h): no place for a case, a capture or a report. mkdir
 * there fails with ENOENT, and Node's mkdirSync({ recursive: true }) then retries forever (100%
 * CPU on `collect -o /proc/x`), so they are refused before anything is made.
 */
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0x1cd1, 'devpts'],
  [0x19800202, 'mqueue'],
  [0x42494e4d, 'binfmt_misc'],
  [0x6e736673, 'nsfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x43415d53, 'smackfs'],
  [0x958458f6, 'hugetlbfs'],
]);

/** The pseudo-filesystem `dir` is on, if it is on one. */
function pseudoFs(dir: string): string | undefined {
  try {
    return PSEUDO_FS.get(Number(statfsSync(dir).type) >>> 0);
  } catch {
    return undefined;
  }
}

function refusePseudoFs(flag: string, path: string, dir: string): void {
  const fs = pseudoFs(dir);
  if (fs !== undefined)
    throw new InputError(
      `${flag} ${path}: ${dir} is on ${fs}, a kernel filesystem, not one for files: write elsewhere`,
    );
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A file to write: not a folder, in a folder that exists and can be written. `example`: a file name
 * to suggest. `ours` says what vifpath writes there (`what`, and whether a file is one, from its
 * first 4 KiB or its path): a non-empty file that is not is never overwritten (vifpath replaces only what it wrote).
 */
export function checkOutputFile(
  flag: string,
  path: string,
  example: string,
  ours?: { what: string; is: (head: string, path: string) => boolean },
): void {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new InputError(`${flag} ${path} is a folder: give a file to write, e.g. ${join(path, example)}`);
  // A pipe or terminal the caller opened (`-o >(gzip > r.gz)` is /dev/fd/63, `-o /dev/stdout`): a
  // stream, written as given, wherever its name lives (/dev/fd is on proc). Any other FIFO, socket
  // or device is refused before it is opened (review5: `mkfifo fifo.html; report -o fifo.html`
  // waited for ever for a reader; a device is no file to replace).
  if (existsSync(path)) {
    const st = statSync(path);
    if (st.isFIFO() || st.isCharacterDevice() || st.isSocket() || st.isBlockDevice()) {
      if (!callersStream(path))
        throw new InputError(
          `${flag} ${path} is ${specialKind(st)}, not a regular file: vifpath writes only files (nothing was opened); give a file${flag === '-o' ? ' (or -o - for stdout)' : ''}`,
        );
      if (!writableFile(path)) throw new InputError(`${flag} ${path}: cannot be written (permission denied)`);
      return;
    }
  }
  if (ours && existsSync(path) && statSync(path).size > 0) {
    let head = '';
    try {
      const fd = openSync(path, 'r');
      try {
        const buf = Buffer.alloc(4096);
        head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
      } finally {
        closeSync(fd);
      }
    } catch {
      // Unreadable: not known to be ours.
    }
    if (!ours.is(head, path))
      throw new InputError(
        `${flag} ${path}: the file exists and is not ${ours.what}: vifpath overwrites only what it wrote; remove it or give another file`,
      );
  }
  const dir = dirname(path);
  if (!existsSync(dir)) {
    const up = existingAncestor(dir);
    throw new InputError(
      statSync(up).isDirectory()
        ? `${flag} ${path}: folder ${dir} does not exist: create it first (mkdir -p) or write elsewhere`
        : `${flag} ${path}: ${up} is a file, not a folder: write elsewhere`,
    );
  }
  if (!statSync(dir).isDirectory())
    throw new InputError(`${flag} ${path}: ${dir} is not a folder: write elsewhere`);
  refusePseudoFs(flag, path, dir);
  if (!writable(dir))
    throw new InputError(`${flag} ${path}: cannot write in ${dir} (permission denied): write elsewhere`);
  if (existsSync(path) && !writableFile(path))
    throw new InputError(
      `${flag} ${path}: the file exists and cannot be written (permission denied): write elsewhere`,
    );
}

/**
 * Whether `path` names one of this process's own open descriptors (/dev/stdout, /dev/stderr,
 * /dev/fd/N, /proc/self/fd/N): a stream the caller opened, through a symbolic link (lstat), never
 * a FIFO or device given by its own name.
 */
function callersStream(path: string): boolean {
  let p = path;
  for (let i = 0; i < 8; i++) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(p);
    } catch {
      return false;
    }
    if (!st.isSymbolicLink()) return false;
    const abs = resolve(p);
    if (/^\/(?:dev\/(?:fd\/\d+|stdout|stderr)|proc\/(?:self|thread-self|\d+)\/fd\/\d+)$/.test(abs)) {
      // /dev/stdout -> /proc/self/fd/1: ours when it ends at a descriptor of this process.
      if (/^\/proc\/\d+\//.test(abs) && !abs.startsWith(`/proc/${process.pid}/`)) return false;
      if (/\/fd\/\d+$/.test(abs)) return true;
    }
    p = resolve(dirname(abs), readlinkSync(abs));
  }
  return false;
}

function writableFile(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A folder to write into: a folder or nothing yet (made with its parents), never a file. `empty`:
 * vifpath writes its own files there (collect's case directory, capture's pcaps, --keep), so an
 * existing folder must be empty: nothing vifpath did not make is overwritten or mixed in.
 */
export function checkOutputDir(flag: string, path: string, opts: { empty?: boolean } = {}): void {
  if (existsSync(path)) {
    if (!statSync(path).isDirectory())
      throw new InputError(
        `${flag} ${path} is a file, not a folder: give a folder to write into (it is made when missing)`,
      );
    refusePseudoFs(flag, path, path);
    if (opts.empty && readdirSync(path).length > 0)
      throw new InputError(
        `${flag} ${path}: the folder exists and is not empty: choose a new one (nothing is overwritten)`,
      );
    if (!writable(path))
      throw new InputError(`${flag} ${path}: cannot write in this folder (permission denied)`);
    return;
  }
  const up = existingAncestor(path);
  if (!statSync(up).isDirectory())
    throw new InputError(`${flag} ${path}: ${up} is a file, not a folder: write elsewhere`);
  refusePseudoFs(flag, path, up);
  if (!writable(up)) throw new InputError(`${flag} ${path}: cannot create it in ${up} (permission denied)`);
}

/** A Node system error (fs, net, child_process): code, syscall, path, address, port. */
interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

export function isSystemError(e: unknown): e is SystemError {
  return (
    e instanceof Error &&
    typeof (e as SystemError).code === 'string' &&
    /^E[A-Z0-9]+$/.test((e as SystemError).code) &&
    (typeof (e as SystemError).syscall === 'string' || typeof (e as SystemError).path === 'string')
  );
}

const WHAT: Record<string, string> = {
  EISDIR: 'is a folder, a file was expected',
  ENOTDIR: 'a part of the path is not a folder',
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files (raise ulimit -n)',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
};

/** Why a server could not listen on host:port, and what to do: one line. */
export function listenError(
  e: unknown,
  flag: { port: string; host: string },
  host: string,
  port: number,
): VifpathError {
  const code = isSystemError(e) ? e.code : '';
  const at = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new InputError(
        `cannot listen on ${at}: the port is in use: choose another with ${flag.port} N, or ${flag.port} 0 for any free port`,
      );
    case 'EACCES':
    case 'EPERM':
      return new InputError(
        port < 1024
          ? `cannot listen on ${at}: ports below 1024 need root: choose ${flag.port} 1024 or higher (${flag.port} 0: any free port)`
          : `cannot listen on ${at}: permission denied: choose another ${flag.port}`,
      );
    case 'EADDRNOTAVAIL':
      return new InputError(
        `cannot listen on ${at}: ${host} is not an address of this machine: give ${flag.host} one of its addresses (ip -br address), or 127.0.0.1`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new InputError(
        `cannot listen on ${at}: no such host or address "${host}": give ${flag.host} an IP address of this machine`,
      );
    default:
      return new InputError(`cannot listen on ${at}: ${(e as Error)?.message ?? String(e)}`);
  }
}

/** One line for a system error nothing caught before main: the path (or address) and what failed. */
export function systemErrorLine(e: SystemError): string {
  const what = WHAT[e.code] ?? e.message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+ '.*'$/, '');
  if (e.path)
    return `${e.path}${e.dest ? ` -> ${e.dest}` : ''}: ${what} (${e.code}, ${e.syscall ?? 'system call'})`;
  if (e.address !== undefined)
    return `${e.address}${e.port !== undefined ? `:${e.port}` : ''}: ${what} (${e.code})`;
  return `${e.syscall ?? 'system call'}: ${what} (${e.code})`;
}
