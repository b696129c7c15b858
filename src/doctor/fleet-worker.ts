// One worker of `diagnose --all-vms`: takes chunks of host groups, reads and diagnoses them, replies
// with one result per VM and asks for more (doctor/fleet.ts hands them out).
import { parentPort, workerData } from 'node:worker_threads';
import { VifpathError } from '../errors/errors.ts';
import { reportChildren, setTempBase } from '../runner/cleanup.ts';
import { diagnoseGroupsAsync, type FleetReply, type FleetRequest, indexFromPlain } from './fleet.ts';

const ix = indexFromPlain(workerData.index);
const port = parentPort!;
// Signals reach the main thread only: it records the tar this thread runs, and made the folder
// archives are unpacked into, so that both go however the process ends.
setTempBase(workerData.tempBase);
reportChildren((child, running) => port.postMessage({ child, running } satisfies FleetReply));
port.on('message', async (m: FleetRequest) => {
  if ('done' in m) {
    port.close();
    return;
  }
  let reply: FleetReply;
  try {
    reply = {
      results: await diagnoseGroupsAsync(ix, m.chunk, workerData.read),
      hosts: m.chunk.flat().length,
    };
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
