// A module Web Worker that trains the Reproduce view's jobs off the page's
// thread, one job at a time (web/reproduce-pool.mjs starts and feeds it).
//
// Messages from the page:
//   { type: 'run', id, job }   train job (an object from experimentJobs)
//   { type: 'stop' }           stop the job in progress after its current epoch
// Messages to the page:
//   { type: 'started', id }           the worker received the job and starts generating its data
//   { type: 'epoch', id, row }        one row of the job's per-epoch log
//   { type: 'result', id, result }    the runTrainingJob result (stopped: true after a stop)
//   { type: 'error', id, error }      { name, message, stack, expected } of a failed job
import { SsmLensError, runTrainingJob } from '../wasm/index.mjs';

let controller = null;

async function run({ id, job }) {
  controller = new AbortController();
  self.postMessage({ type: 'started', id });
  try {
    const result = await runTrainingJob(job, {
      signal: controller.signal,
      onEpoch: (row) => self.postMessage({ type: 'epoch', id, row }),
    });
    self.postMessage({ type: 'result', id, result });
  } catch (error) {
    // Plain fields, because an Error subclass loses its class in structured cloning.
    self.postMessage({
      type: 'error',
      id,
      error: {
        name: error?.name ?? 'Error',
        message: error?.message ?? String(error),
        stack: error?.stack ?? '',
        expected: error instanceof SsmLensError,
      },
    });
  } finally {
    controller = null;
  }
}

self.addEventListener('message', (event) => {
  const message = event.data;
  if (message?.type === 'stop') controller?.abort();
  else if (message?.type === 'run') run(message);
});
