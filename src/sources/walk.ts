// The case reader's file walk, bounded: files of one host folder in a sorted depth-first order,
// without a sosreport's proc/ and sys/ trees (tens of thousands of files vifpath never reads), with
// a cap on the files and the depth. A limit hit is a LimitError naming the folder, the limit and
// what to do (exit 2), or with --lenient a warning and the walk goes on with what it has.
// Symbolic links: one to a file whose real target stays inside the case (the case directory, or the
// sosreport's root) is followed; one to a folder (its files would be read as this folder's: `up ->
// ..` merged the other hosts into this one), out of the case, to nothing, in a loop, or to something
// that is no file or folder is not, and the walk says so, naming it (a warning). So is a FIFO, socket or
// device in the case: never opened (a FIFO would block). A
// sosreport's own links within its tree (its root's `hostname` -> sos_commands/host/hostname) are
// passed over as before: the file they name is read under its own name.

import { isAscii } from 'node:buffer';
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { LimitError } from '../errors/errors.ts';
import type { Diagnostic, FileDiagnostic } from '../model/diagnostic.ts';

/** Files in one host folder (a full sosreport without proc/ and sys/ holds some thousands). */
export const CASE_MAX_FILES = 200_000;
/** Folder levels below a host folder (a sosreport's deepest path vifpath reads is 6 below its root). */
export const CASE_MAX_DEPTH = 16;
/** One text output read whole (a dump of about a million flows; V8's strings end near 512 MiB). */
export const CASE_MAX_TEXT_BYTES = 256 * 1024 * 1024;
/** Trees of a sosreport's root that are never walked. */
const SOS_SKIPPED = new Set(['proc', 'sys']);
/** The files of those trees that are read (sos system plugin's copy of /proc/sys), each on its own. */
const SOS_PROC_FILES = ['proc/sys/net/bridge/bridge-nf-call-iptables'];

/** `rel` under `root` when it and every folder on the way is what it says (no symbolic link). */
function plainFile(root: string, rel: string): string | undefined {
  let p = root;
  const parts = rel.split('/');
  for (const [i, part] of parts.entries()) {
    p = join(p, part);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(p);
    } catch {
      return undefined;
    }
    if (i < parts.length - 1 ? !st.isDirectory() : !st.isFile()) return undefined;
  }
  return p;
}

export interface WalkLimits {
  files: number;
  depth: number;
}

function envLimit(name: string, dflt: number): number {
  const v = process.env[name];
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : dflt;
}

export function walkLimits(over: Partial<WalkLimits> = {}): WalkLimits {
  return {
    files: over.files ?? envLimit('VIFPATH_CASE_MAX_FILES', CASE_MAX_FILES),
    depth: over.depth ?? envLimit('VIFPATH_CASE_MAX_DEPTH', CASE_MAX_DEPTH),
  };
}

export interface WalkOptions {
  /** How the host folder is named in messages (relative to the case). */
  where: string;
  /**
   * Where a symbolic link may lead (the case directory; a sosreport's or archive's own root when it
   * is read on its own). Default: the host folder.
   */
  boundary?: string;
  lenient: boolean;
  limits?: Partial<WalkLimits>;
  diagnostics: FileDiagnostic[];
}

/** Regular files under `root`, sorted by name at each level, directories entered where they sort. */
export function walkHost(root: string, o: WalkOptions): string[] {
  const lim = walkLimits(o.limits);
  const out: string[] = [];
  let full = false;
  const warn = (code: string, message: string, file = o.where): void => {
    o.diagnostics.push({ file, line: 0, severity: 'warning', code, message });
  };
  const hit = (message: string, file: string): void => {
    if (!o.lenient) throw new LimitError(`${message} (use --lenient to read the rest)`, file);
    warn('limit', `${message}; read what came before it`, file);
  };
  const shown = (dir: string): string => join(o.where, relative(root, dir)) || o.where;
  const real = (p: string): string | undefined => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  };
  const within = (base: string, p: string): boolean =>
    p === base || p.startsWith(base.endsWith(sep) ? base : base + sep);
  const boundary = real(o.boundary ?? root) ?? resolve(o.boundary ?? root);
  // Folders read (real paths): a link to one already read, or to its own ancestor, is not walked again.
  const dirs = new Set<string>();
  // A file reached both by a link and by its own name is read once, under the link's name (what
  // the operator called it: a dump-flows link names its bridge); two regular files (hard links) stay two.
  const byInode = new Map<string, { at: number; link: boolean }>();
  const add = (p: string, key: string, link: boolean): void => {
    const seen = byInode.get(key);
    if (seen?.link && !link) return;
    if (seen && !seen.link && link) {
      out[seen.at] = p;
      seen.link = true;
      return;
    }
    if (out.length >= lim.files) {
      full = true;
      hit(
        `more than ${lim.files} files in this host folder (CASE_MAX_FILES; a sosreport's proc/ and sys/ are not counted): give the host's sosreport or only the outputs vifpath reads, or set VIFPATH_CASE_MAX_FILES`,
        o.where,
      );
      return;
    }
    if (!seen) byInode.set(key, { at: out.length, link });
    out.push(p);
  };
  const visit = (dir: string, depth: number, sosBase: string | undefined): void => {
    const here = real(dir);
    if (here !== undefined) {
      if (dirs.has(here)) return;
      dirs.add(here);
    }
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      warn('unreadable', `folder not read: ${(e as Error).message}`, shown(dir));
      return;
    }
    const sosRoot = names.includes('sos_commands');
    if (sosRoot && here !== undefined) sosBase = here;
    for (const name of names) {
      if (full) return;
      if (sosRoot && SOS_SKIPPED.has(name)) {
        for (const f of SOS_PROC_FILES) {
          const q = f.startsWith(`${name}/`) && out.length < lim.files ? plainFile(dir, f) : undefined;
          if (q) out.push(q);
        }
        continue;
      }
      const p = join(dir, name);
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(p);
      } catch {
        continue; // gone since it was listed
      }
      const link = st.isSymbolicLink();
      if (link) {
        let to = '';
        try {
          to = readlinkSync(p);
        } catch {}
        let target: string;
        try {
          target = realpathSync(p);
        } catch (e) {
          // A link that leads back to itself (a -> b -> a, self -> self) is no missing file: say so.
          if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
            warn('symlink-loop', `symlink loop (ELOOP, to ${to}): not read`, shown(p));
            continue;
          }
          // A sosreport's own link to an output it did not collect (hotsos: hostname -> sos_commands/host/hostname).
          if (sosBase !== undefined && within(sosBase, resolve(dir, to))) continue;
          warn('symlink-dangling', `symlink to nothing (${to}): not read`, shown(p));
          continue;
        }
        if (!within(boundary, target)) {
          warn('symlink-out', `symlink to outside the case not followed (${to})`, shown(p));
          continue;
        }
        // A sosreport's own link within its tree: what it names is read under its own name.
        if (sosBase !== undefined && within(sosBase, target)) continue;
        try {
          st = statSync(p);
        } catch {
          continue;
        }
        if (!st.isDirectory() && !st.isFile()) {
          warn(
            'symlink-special',
            `symlink to something that is no file or folder (${to}): not read`,
            shown(p),
          );
          continue;
        }
        // A link to a folder is never walked: `up -> ..` would read the other hosts' outputs as
        // this host's. What it names is read where it is (its own host's folder), not here.
        if (st.isDirectory()) {
          warn(
            'symlink-dir',
            `symlink to a folder (${to}): not followed (its files would be read as this folder's); copy them here if they are this host's`,
            shown(p),
          );
          continue;
        }
      }
      if (st.isDirectory()) {
        if (depth + 1 > lim.depth) {
          hit(
            `folder nested more than ${lim.depth} levels below the host folder (CASE_MAX_DEPTH; set VIFPATH_CASE_MAX_DEPTH to read it, or remove it from the case)`,
            shown(p),
          );
          continue;
        }
        visit(p, depth + 1, sosBase);
      } else if (st.isFile()) {
        add(p, `${st.dev}:${st.ino}`, link);
        if (full) return;
      } else {
        // Never opened (a FIFO would block the read for ever): named, so nothing is skipped in silence.
        warn('special-file', `${specialKind(st)}, not a file: not read`, shown(p));
      }
    }
  };
  visit(root, 0, undefined);
  return out;
}

/** What a path that is no regular file, folder or link is, in words ("a FIFO (named pipe)"). */
export function specialKind(st: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** Whether `p` (a symbolic link or not) resolves inside `dir`: what the case reader may follow. */
export function resolvesInside(dir: string, p: string): boolean {
  try {
    const base = realpathSync(dir);
    const real = realpathSync(p);
    return real === base || real.startsWith(base.endsWith(sep) ? base : base + sep);
  } catch {
    return false;
  }
}

/**
 * A file's bytes as text, every reader's: without a leading UTF-8 byte order mark (an editor on
 * Windows saves one; it is no character of the output, and a parser would take it for part of the
 * first line).
 */
export function decodeText(buf: Buffer): string {
  // Most outputs are ASCII, and copying bytes is faster than decoding UTF-8 (a 40 MB dump: 40 ms, not 150).
  if (isAscii(buf)) return buf.toString('latin1');
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  return (bom ? buf.subarray(3) : buf).toString('utf8');
}

/**
 * A text file of the case, read whole when it is within CASE_MAX_TEXT_BYTES; a bigger one is a
 * LimitError naming it (exit 2) or, with --lenient, a warning and nothing read.
 */
export function readText(path: string, rel: string, lenient: boolean, warn: (d: Diagnostic) => void): string {
  const max = envLimit('VIFPATH_CASE_MAX_TEXT_BYTES', CASE_MAX_TEXT_BYTES);
  const size = statSync(path).size;
  if (size <= max) {
    return decodeText(readFileSync(path));
  }
  const what = `${size} bytes, over the ${max}-byte limit on one text file (CASE_MAX_TEXT_BYTES; set VIFPATH_CASE_MAX_TEXT_BYTES to read it)`;
  if (!lenient) throw new LimitError(`${what} (use --lenient to read the rest)`, rel);
  warn({ severity: 'warning', line: 0, code: 'limit', message: `${what}: not read` });
  return '';
}
