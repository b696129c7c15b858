// Where the project's own files are, for code that reads them at run time (the web page's assets,
// the fleet's worker, the CLI's entry point). Found from this module's folder's parent, which is
// the project root both here (src/) and in the bundle bin/vifpath.mjs loads (bin/.vifpath-cli.mjs):
// `import.meta.url` of any other module names the bundle's folder once bundled.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A path inside the project: `projectPath('src', 'web', 'assets')`. */
export const projectPath = (...parts: string[]): string => join(ROOT, ...parts);
