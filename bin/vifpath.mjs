#!/usr/bin/env node
// Entry point. The TypeScript sources run as they are: no build step to forget. Loading some 200
// modules through tsx's loader costs about 0.5 s on every command, so the first run after any
// change of src/ bundles them with esbuild (tsx's own compiler) into bin/.vifpath-cli.mjs, and
// later runs load that one file while its first line names the sources it was made from (a hash
// of their content: file times lie after `cp -p`, `rsync -a` or `tar x`). Anything wrong with the
// bundle (an unwritable folder, esbuild missing) falls back to tsx: never a reason to fail.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// In bin/, like this file: modules find the project's files from their own folder's parent
// (src/paths.ts), which is the same folder for src/*/ and bin/.
const BUNDLE = join(ROOT, 'bin', '.vifpath-cli.mjs');
const MARK = '// vifpath-bundle of ';

/** Hash of what the bundle is made of: every source file (not tests, fixtures, goldens) and package.json. */
function sourceHash() {
  const h = createHash('sha1');
  const walk = (dir, rel) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'fixtures' && e.name !== 'golden') walk(p, `${rel}/${e.name}`);
      } else if (/\.(?:ts|mjs|js|json)$/.test(e.name) && !e.name.endsWith('.test.ts')) {
        h.update(`${rel}/${e.name}\0`);
        h.update(readFileSync(p));
        h.update('\0');
      }
    }
  };
  walk(join(ROOT, 'src'), 'src');
  h.update(readFileSync(join(ROOT, 'package.json')));
  return h.digest('hex');
}

/** The hash on the bundle's first line, or '' when there is no bundle. */
function bundleHash() {
  let fd;
  try {
    fd = openSync(BUNDLE, 'r');
    const buf = Buffer.alloc(MARK.length + 40);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.toString('utf8', 0, n);
    return head.startsWith(MARK) ? head.slice(MARK.length) : '';
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function loadMain() {
  if (process.env.VIFPATH_NO_BUNDLE !== '1') {
    try {
      const hash = sourceHash();
      if (bundleHash() !== hash) {
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
            banner: { js: `${MARK}${hash}` },
            logLevel: 'silent',
          });
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

// `vifpath ... | head` closes the pipe early: that is not an error (quiet, the exit code so far).
// Any other failure to write stdout (`> /dev/full`: ENOSPC, a quota, EIO) is one line, exit 2, never
// a stack trace. Either way a command that started something (a child, a watch's monitor, a lab being
// built) stops as on Ctrl-C, undoing what it made, then exits with that code, not of a SIGTERM.
let stopAndExit = () => false;
const WRITE_ERRORS = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  EROFS: 'read-only file system',
  EBADF: 'stdout is closed',
  EAGAIN: 'stdout is non-blocking and full',
};
let outFailed = false;
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') {
    const code = process.exitCode ?? 0;
    if (!stopAndExit(code, 'the output closed')) process.exit(code);
    return;
  }
  if (outFailed) return;
  outFailed = true;
  const why =
    WRITE_ERRORS[e.code] ??
    String(e.message)
      .replace(/^[A-Z0-9_]+: /, '')
      .replace(/, write$/, '');
  process.stderr.write(`vifpath: cannot write the output: ${why}${e.code ? ` (${e.code})` : ''}\n`);
  process.exitCode = 2;
  stopAndExit(2, 'the output failed');
});
const { main, stopAndExit: stopper } = await loadMain();
stopAndExit = stopper;
const code = await main(process.argv.slice(2));
process.exitCode = outFailed ? 2 : code;
