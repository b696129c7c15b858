#!/usr/bin/env node
// Entry point: registers tsx so the TypeScript sources run as they are (no build step to forget).
import { register } from 'tsx/esm/api';

register();
// `vifpath ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
