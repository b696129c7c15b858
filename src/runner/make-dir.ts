// mkdir -p that ends. Node's mkdirSync({ recursive: true }) retries forever where mkdir fails with
// ENOENT although the parent exists (a kernel filesystem: /proc, /sys): 100% CPU, no error. Here
// each missing folder is made once, parents first, and any failure is the system's error.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Returns the folders it made, outermost first (the first one is what to remove to undo it). */
export function makeDirs(path: string): string[] {
  const missing: string[] = [];
  for (let p = path; !existsSync(p) && dirname(p) !== p; p = dirname(p)) missing.push(p);
  const made: string[] = [];
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
      made.push(p);
    } catch (e) {
      // Made meanwhile by someone else (another host's worker): fine.
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
    }
  }
  return made;
}
