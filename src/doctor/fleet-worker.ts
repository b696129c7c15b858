// One worker of `diagnose --all-vms`: takes chunks of host groups, reads and diagnoses them, replies
// with one result per VM and asks for more (doctor/fleet.ts hands them out).
import { parentPort, workerData } from 'node:worker_threads';
import { VifpathError } from '../errors/errors.ts';
import { diagnoseGroups, type FleetReply, type FleetRequest, indexFromPlain } from './fleet.ts';

const ix = indexFromPlain(workerData.index);
const port = parentPort!;
port.on('message', (m: FleetRequest) => {
  if ('done' in m) {
    port.close();
    return;
  }
  let reply: FleetReply;
  try {
    reply = { results: diagnoseGroups(ix, m.chunk, workerData.read), hosts: m.chunk.flat().length };
  } catch (e) {
    // Bad input (a corrupt file, a limit) keeps its exit code, file and line across the thread.
    reply =
      e instanceof VifpathError
        ? {
            error: e.message,
            exit: e.exit,
            ...(e.file ? { file: e.file } : {}),
            ...(e.line ? { line: e.line } : {}),
          }
        : { error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(reply);
});
