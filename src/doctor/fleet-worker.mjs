// A worker thread of `diagnose --all-vms` (doctor/fleet.ts): TypeScript runs through tsx here as
// in bin/vifpath.mjs; the work is in fleet-worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./fleet-worker.ts');
