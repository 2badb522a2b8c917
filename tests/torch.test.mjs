// Training steps against PyTorch (tests/torch_step.py, float64): logits,
// the loss with the spread penalty, backpropagation, gradient clipping and
// Adam with weight decay must give the same parameters after every step.
// Skipped when no python3 can import torch (Debian: python3-torch).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { majorityTask, randomModel } from '../wasm/index.mjs';
import {
  Adam, RECIPE, batchLoss, clipGradient, packParameters, selectSequences, tokenGradient, tokenLogits,
} from '../wasm/train.mjs';

const SCRIPT = fileURLToPath(new URL('./torch_step.py', import.meta.url));

function findPython() {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) return python;
  }
  return null;
}

const python = findPython();
const skip = python ? false : 'no python3 can import torch (Debian: apt-get install python3-torch)';

// s_A > 0 gives large gradients, so clipping acts; a tiny readout gives
// nearly equal outputs, so the spread penalty acts.
const CASES = [
  { name: 'clipping', sA: 0.05, readoutScale: 1, K: 1 },
  { name: 'spread penalty', sA: -0.5, readoutScale: 1e-3, K: 1 },
  { name: 'cross-entropy, 3 classes', sA: -0.2, readoutScale: 0.05, K: 3 },
];

for (const c of CASES) {
  test(`training steps equal PyTorch float64 (${c.name})`, { skip, timeout: 120_000 }, async (t) => {
    const T = 30;
    const batchSize = 16;
    const steps = 6;
    const model = await randomModel({ d: 3, N: 4, vocab: 2, K: c.K, sA: c.sA, seed: 12 });
    const { layout, params } = packParameters(model);
    for (let i = 0; i < layout.lengths.W; i++) params[layout.offsets.W + i] *= c.readoutScale;
    const data = majorityTask({ T, train: batchSize * steps, test: 0, seed: 12 });
    // Three classes from the ones count: few, about half, many.
    if (c.K === 3) {
      for (let i = 0; i < data.train.count; i++) {
        let ones = 0;
        for (let t = data.train.offsets[i]; t < data.train.offsets[i + 1]; t++) ones += data.train.tokens[t];
        data.train.labels[i] = ones < T / 3 ? 0 : ones < (2 * T) / 3 ? 1 : 2;
      }
    }
    const batches = Array.from({ length: steps }, (_, i) => selectSequences(data.train, Array.from({ length: batchSize }, (_, k) => i * batchSize + k)));

    const slice = (name) => Array.from(params.subarray(layout.offsets[name], layout.offsets[name] + layout.lengths[name]));
    const rows = (values, columns) => Array.from({ length: values.length / columns }, (_, r) => values.slice(r * columns, (r + 1) * columns));
    const job = {
      params: {
        embedding: rows(slice('embedding'), layout.d), A: rows(slice('A'), layout.N), W_B: rows(slice('W_B'), layout.d),
        W_C: rows(slice('W_C'), layout.d), q: slice('q'), p: slice('p'),
        w: c.K === 1 ? slice('W') : rows(slice('W'), layout.d),
      },
      batches: batches.map((batch) => ({ tokens: rows(Array.from(batch.tokens), T), labels: Array.from(batch.labels) })),
      recipe: RECIPE,
    };
    const result = spawnSync(python, [SCRIPT], { input: JSON.stringify(job), encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(result.status, 0, result.stderr);
    const reference = JSON.parse(result.stdout);

    const adam = new Adam(layout.count, RECIPE);
    let clipped = 0;
    let penalized = 0;
    for (const [index, batch] of batches.entries()) {
      const logits = tokenLogits(model.exports, layout, params, batch);
      const { loss, dlogits } = batchLoss(model.exports, logits, batch.labels, c.K);
      penalized += batchLoss(model.exports, logits, batch.labels, c.K, { penaltyFactor: 0 }).loss < loss ? 1 : 0;
      const grad = tokenGradient(model.exports, layout, params, batch, dlogits);
      clipped += clipGradient(grad, RECIPE.clipNorm) > RECIPE.clipNorm ? 1 : 0;
      adam.update(params, grad);

      const expected = reference.steps[index];
      assert.ok(Math.abs(loss - expected.loss) <= 1e-10 * Math.abs(expected.loss), `step ${index}: loss ${loss} vs ${expected.loss}`);
      let worst = 0;
      for (let i = 0; i < params.length; i++) {
        worst = Math.max(worst, Math.abs(params[i] - expected.params[i]) / Math.max(1e-3, Math.abs(expected.params[i])));
      }
      assert.ok(worst < 1e-9, `step ${index}: parameters differ by ${worst} relative`);
      if (index === steps - 1) t.diagnostic(`PyTorch ${reference.torch_version}: after ${steps} steps the parameters agree to ${worst.toExponential(2)} relative`);
    }
    t.diagnostic(`${clipped} of ${steps} steps clipped, ${penalized} with the spread penalty active`);
    if (c.name === 'clipping') assert.ok(clipped > 0, 'the case should exercise clipping');
    else assert.ok(penalized > 0, 'the case should exercise the spread penalty');
  });
}
