// Training benchmark: the gradient of one batch and one epoch of the
// authors' recipe, with the SIMD kernels, their plain twins and PyTorch on
// one CPU thread (bench/torch_train.py, when python3 with torch imports).
// Prints median milliseconds and ratio = peer time / SIMD time.
// Usage: node bench/train.mjs [--json]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { instantiateWasm } from '../wasm/loader.mjs';

import { majorityTask, randomModel } from '../wasm/index.mjs';
import {
  batchLoss, packParameters, selectSequences, tokenGradient, tokenLogits, trainModel,
} from '../wasm/train.mjs';

const SCALAR_WASM = new URL('./build/ssm_lens_scalar.wasm', import.meta.url);
const TORCH_SCRIPT = fileURLToPath(new URL('./torch_train.py', import.meta.url));
const asJson = process.argv.includes('--json');
const log = (text) => { if (!asJson) process.stdout.write(`${text}\n`); };

async function median(fn, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Times logits, loss and gradient of one batch with the given kernel, in
 * this module or in `exports` (the same C built as scalar wasm).
 */
async function gradientBatch({ d, N, T, batch }, kernel, exports = null) {
  const data = majorityTask({ T, train: batch, test: 0, seed: 1 });
  const model = await randomModel({ d, N, vocab: 2, seed: 1 });
  const core = exports ?? model.exports;
  const { layout, params } = packParameters(model);
  const split = selectSequences(data.train, Array.from({ length: batch }, (_, i) => i));
  return median(() => {
    const logits = tokenLogits(core, layout, params, split, { kernel });
    const { dlogits } = batchLoss(core, logits, split.labels, 1);
    tokenGradient(core, layout, params, split, dlogits, { kernel });
  }, 9);
}

function torchPeer(T, batch, sequences) {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0) continue;
    const result = spawnSync(python, [TORCH_SCRIPT, String(T), String(batch), String(sequences)], { encoding: 'utf8' });
    if (result.status !== 0) return { skipped: `torch_train.py failed: ${result.stderr.trim().split('\n').pop()}` };
    return JSON.parse(result.stdout);
  }
  return { skipped: 'no python3 with torch importable (Debian: apt-get install python3-torch)' };
}

function printRow(name, row) {
  log(`\n${name}: SIMD ${row.simd.toFixed(2)} ms`);
  for (const peer of ['scalar', 'plain', 'torch', 'torch_estimate']) {
    if (row[peer] !== undefined) log(`  ${peer.padEnd(15)} ${row[peer].toFixed(2).padStart(11)} ms   ratio ${(row[peer] / row.simd).toFixed(1)}`);
  }
}

async function main() {
  log('ssm-lens training benchmark: median milliseconds; ratio = peer time / SIMD time');
  const T = 400;
  const torch = torchPeer(T, 64, 1000);
  log(torch.skipped ? `PyTorch: skipped: ${torch.skipped}` : `PyTorch ${torch.torch_version} on one thread`);
  const results = {};
  const scalar = existsSync(SCALAR_WASM) ? (await instantiateWasm(SCALAR_WASM)).exports : null;
  if (!scalar) log(`scalar wasm: skipped: ${fileURLToPath(SCALAR_WASM)} missing; run bench/build.sh`);

  const majority = { d: 4, N: 4, T, batch: 64 };
  results.gradient_batch_majority = {
    simd: await gradientBatch(majority, 'simd'),
    scalar: scalar ? await gradientBatch(majority, 'simd', scalar) : undefined,
    plain: await gradientBatch(majority, 'plain'),
    torch: torch.gradient_batch,
  };
  printRow('gradient of one batch (64 sequences, T = 400, d = N = 4)', results.gradient_batch_majority);

  const wide = { d: 16, N: 16, T, batch: 64 };
  results.gradient_batch_wide = {
    simd: await gradientBatch(wide, 'simd'),
    scalar: scalar ? await gradientBatch(wide, 'simd', scalar) : undefined,
    plain: await gradientBatch(wide, 'plain'),
  };
  printRow('gradient of one batch (64 sequences, T = 400, d = N = 16)', results.gradient_batch_wide);

  const data = majorityTask({ T, seed: 1 });
  const epoch = (kernel) => median(() => trainModel(data, { epochs: 1, seed: 1, kernel }), 3);
  results.epoch = { simd: await epoch('simd'), plain: await epoch('plain'), torch: torch.epoch };
  printRow('one epoch (1000 sequences, T = 400, batches of 64, Adam)', results.epoch);

  const run = await median(() => trainModel(data, { epochs: 40, seed: 1 }), 3);
  results.run = { simd: run };
  if (torch.epoch) results.run.torch_estimate = 40 * torch.epoch;
  printRow('one run of the length experiment (40 epochs; PyTorch estimated as 40 epochs)', results.run);
  if (asJson) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

await main();
