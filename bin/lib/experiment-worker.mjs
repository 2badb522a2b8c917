// Worker thread of `ssm-lens experiment`: runs one training job per message
// and posts back { result } or { error }.
import { parentPort } from 'node:worker_threads';

import { runTrainingJob } from '../../wasm/experiment.mjs';

parentPort.on('message', async (job) => {
  try {
    parentPort.postMessage({ result: await runTrainingJob(job) });
  } catch (error) {
    parentPort.postMessage({ error: { name: error.name, message: error.message, code: error.code, stack: error.stack } });
  }
});
