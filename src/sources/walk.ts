// The case reader's file walk, bounded: files of one host folder in a sorted depth-first order,
// never through a symbolic link (so never out of the case), without a sosreport's proc/ and sys/
// trees (tens of thousands of files vifpath never reads), with a cap on the files and the depth.
// A limit hit is a LimitError naming the folder, the limit and what to do (exit 2), or with
// --lenient a warning and the walk goes on with what it has.

import { isAscii } from 'node:buffer';
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
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
  const visit = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      warn('unreadable', `folder not read: ${(e as Error).message}`, shown(dir));
      return;
    }
    const sosRoot = names.includes('sos_commands');
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
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) {
        if (depth + 1 > lim.depth) {
          hit(
            `folder nested more than ${lim.depth} levels below the host folder (CASE_MAX_DEPTH; set VIFPATH_CASE_MAX_DEPTH to read it, or remove it from the case)`,
            shown(p),
          );
          continue;
        }
        visit(p, depth + 1);
      } else if (st.isFile()) {
        if (out.length >= lim.files) {
          full = true;
          hit(
            `more than ${lim.files} files in this host folder (CASE_MAX_FILES; a sosreport's proc/ and sys/ are not counted): give the host's sosreport or only the outputs vifpath reads, or set VIFPATH_CASE_MAX_FILES`,
            o.where,
          );
          return;
        }
        out.push(p);
      }
    }
  };
  visit(root, 0);
  return out;
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
