#!/usr/bin/env node
// Entry point. The TypeScript sources run as they are: no build step to forget. Loading some 200
// modules through tsx's loader costs about 0.5 s on every command, so the first run after any
// change of src/ bundles them with esbuild (tsx's own compiler) into bin/.vifpath-cli.mjs, and
// later runs load that one file while it is newer than every source. Anything wrong with the
// bundle (an unwritable folder, esbuild missing) falls back to tsx: never a reason to fail.
import { readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// In bin/, like this file: modules find the project's files from their own folder's parent
// (src/paths.ts), which is the same folder for src/*/ and bin/.
const BUNDLE = join(ROOT, 'bin', '.vifpath-cli.mjs');

/** Newest modification time (ms) of the sources and the package's manifest. */
function newestSource() {
  let newest = statSync(join(ROOT, 'package.json')).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(?:ts|mjs|js|json)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, 'src'));
  return newest;
}

async function loadMain() {
  if (process.env.VIFPATH_NO_BUNDLE !== '1') {
    try {
      // Whole milliseconds: a file's time set from a Date keeps no more.
      const newest = Math.floor(newestSource());
      let built = -1;
      try {
        built = statSync(BUNDLE).mtimeMs;
      } catch {}
      if (built < newest) {
        const { build } = await import('esbuild');
        const tmp = `${BUNDLE}.${process.pid}.tmp`;
        try {
          await build({
            entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')],
            bundle: true,
            platform: 'node',
            format: 'esm',
            target: 'node20',
            packages: 'external',
            outfile: tmp,
            logLevel: 'silent',
          });
          // Dated as the sources it was made from: a source saved during the build is newer.
          utimesSync(tmp, new Date(), newest / 1000);
          renameSync(tmp, BUNDLE);
        } finally {
          rmSync(tmp, { force: true });
        }
      }
      return await import(pathToFileURL(BUNDLE).href);
    } catch {}
  }
  const { register } = await import('tsx/esm/api');
  register();
  return await import('../src/cli/main.ts');
}

// `vifpath ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { main } = await loadMain();
process.exitCode = await main(process.argv.slice(2));
