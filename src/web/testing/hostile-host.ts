// A case whose host folder name holds ESC and RLO (the reviewer's finding): the seed with dom0's
// folder renamed, links.txt following. For the web tests that check names are shown escaped.
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEED } from './big-case.ts';

/** ESC starts a colour, RLO reverses what follows. */
export const HOSTILE_HOST = 'd\u001b[31mom0\u202e';
/** How the CLI prints it (escapeControl). */
export const HOSTILE_HOST_SHOWN = 'd\\x1b[31mom0\\u{202e}';

/** Writes the seed under `dir` (which must not exist) with dom0 named HOSTILE_HOST; returns dir. */
export function writeHostileHostCase(dir: string): string {
  cpSync(SEED, dir, { recursive: true });
  renameSync(join(dir, 'dom0'), join(dir, HOSTILE_HOST));
  const links = join(dir, 'links.txt');
  writeFileSync(links, readFileSync(links, 'utf8').replace('dom0:vif15.1', `${HOSTILE_HOST}:vif15.1`));
  return dir;
}

/** Raw characters escapeControl would show escaped; LF, CR and TAB (the markup's own) allowed. */
export const RAW_CONTROL =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** The raw ones in `s`, as U+XXXX, each once. */
export function rawControls(s: string): string[] {
  return [...new Set(s.match(RAW_CONTROL) ?? [])].map((c) => `U+${c.codePointAt(0)!.toString(16)}`);
}
