// A host's name in a case, from what the host says it is: `hostname` printed live, or the
// sosreport's own hostname file. One rule for live targets and sosreports: the first label of the
// host name (`compute-0.example.org` → `compute-0`).
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { decodeText } from './walk.ts';

/** A host name as `hostname` prints it (RFC 1123 labels), first line only. */
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?$/;

/** The case name of a host name (its first label), or undefined when the text is no host name. */
export function shortHostName(text: string): string | undefined {
  const line = text.split('\n').find((l) => l.trim() !== '');
  const t = line?.trim();
  if (t === undefined || t.length > 253 || !HOSTNAME.test(t)) return undefined;
  return t.split('.')[0]!;
}

/**
 * Where sos writes the host name, most specific first: the host plugin's `hostname` output
 * (`hostname` at the archive root is its root symlink, and what `vifpath collect` writes), its
 * `hostname -f` and `hostnamectl status`, the general plugin's (older sos), the copied /etc/hostname.
 */
export const SOS_HOSTNAME_FILES = [
  'sos_commands/host/hostname',
  'hostname',
  'sos_commands/host/hostname_-f',
  'sos_commands/host/hostnamectl_status',
  'sos_commands/general/hostname',
  'etc/hostname',
];

/** The host name in one of those files (`hostnamectl status` says `Static hostname: NAME`). */
function nameIn(rel: string, text: string): string | undefined {
  if (rel.endsWith('hostnamectl_status')) {
    const m = /^\s*Static hostname:\s*(\S+)\s*$/m.exec(text);
    return m ? shortHostName(m[1]!) : undefined;
  }
  return shortHostName(text);
}

/** The sosreport tree in a folder: itself, or its one `sosreport-*` (or only) sub-folder. */
function sosTrees(root: string): string[] {
  const trees = [root];
  try {
    const subs = readdirSync(root).filter(
      (e) => !e.startsWith('.') && statSafe(join(root, e))?.isDirectory(),
    );
    for (const e of subs)
      if (statSafe(join(root, e, 'sos_commands'))?.isDirectory()) trees.push(join(root, e));
  } catch {
    // not a folder
  }
  return trees;
}

function statSafe(p: string): ReturnType<typeof statSync> | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/**
 * The host name a sosreport (tree, unpacked archive, or host folder) records, with the file that
 * says it; undefined when none of its hostname files holds a host name. A symbolic link (sos's
 * root symlink) is followed only inside the tree: a report never names a file of this machine.
 */
export function sosHostName(root: string): { name: string; file: string } | undefined {
  for (const tree of sosTrees(root))
    for (const rel of SOS_HOSTNAME_FILES) {
      const p = join(tree, rel);
      const st = statSafe(p);
      if (!st) continue;
      let real = p;
      if (st.isSymbolicLink()) {
        try {
          real = realpathSync(p);
        } catch {
          continue;
        }
        const inside = relative(realpathSync(tree), real);
        if (inside.startsWith(`..${sep}`) || inside === '..' || inside.startsWith(sep)) continue;
      }
      try {
        if (!statSync(real).isFile() || statSync(real).size > 4096) continue;
        const name = nameIn(rel, decodeText(readFileSync(real)));
        if (name) return { name, file: relative(root, p).split(sep).join('/') };
      } catch {
        // unreadable: try the next
      }
    }
  return undefined;
}
