// The recurrent scan (core/scan.c) against the float64 reference, the SIMD
// kernel against its plain twin, and overflow reporting.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { randomModel } from '../wasm/index.mjs';
import { randomInput, referenceForward } from './reference.mjs';

// d and N cover widths below, at and off the SIMD lane counts.
const SHAPES = [
  { d: 1, N: 1 }, { d: 3, N: 3 }, { d: 4, N: 4 }, { d: 5, N: 7 }, { d: 16, N: 16 },
];
const LENGTHS = [1, 2, 17, 128];

/** Largest |actual - expected| / (|expected| + floor), where floor is a
 * small fraction of the array's scale for entries that cancel to ~0. */
function worstRelative(actual, expected) {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  const floor = 1e-9 * scale + 1e-300;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (Math.abs(expected[i]) + floor));
  }
  return worst;
}

test('scan matches the float64 reference', async (t) => {
  let worst = 0;
  for (const { d, N } of SHAPES) {
    for (const sA of [-0.5, 0, 0.05]) {
      const model = await randomModel({ d, N, sA, K: 2, vocab: 0, seed: d * 100 + N });
      for (const T of LENGTHS) {
        const u = randomInput(T, d, T + d, 1.5);
        const out = model.forward(u);
        const ref = referenceForward(model, u, T);
        const errors = {
          y: worstRelative(out.y, ref.y),
          delta: worstRelative(out.delta, ref.delta),
          logits: worstRelative(out.logits, ref.logits),
        };
        for (const [name, error] of Object.entries(errors)) {
          // Each output is rounded to float32 once: half an ulp is 6e-8.
          assert.ok(error < 1.2e-7, `${name}: d=${d} N=${N} s_A=${sA} T=${T} relative error ${error}`);
          worst = Math.max(worst, error);
        }
      }
    }
  }
  t.diagnostic(`scan vs float64 reference: worst relative error ${worst.toExponential(2)}`);
});

test('scan SIMD kernel equals its plain twin', async (t) => {
  let worst = 0;
  for (const { d, N } of SHAPES) {
    const model = await randomModel({ d, N, sA: -0.1, vocab: 0, seed: 7 });
    const u = randomInput(200, d, 11);
    const simd = model.forward(u, { kernel: 'simd' });
    const plain = model.forward(u, { kernel: 'plain' });
    const error = Math.max(worstRelative(simd.y, plain.y), worstRelative(simd.logits, plain.logits));
    assert.ok(error < 1.2e-7, `d=${d} N=${N}: SIMD differs from plain by ${error}`);
    worst = Math.max(worst, error);
  }
  t.diagnostic(`scan SIMD vs plain: worst relative difference ${worst.toExponential(2)}`);
});

test('scan with one step is the closed form', async () => {
  const model = await randomModel({ d: 3, N: 2, vocab: 0, seed: 3 });
  const u = randomInput(1, 3, 5);
  const out = model.forward(u);
  // h[0] = delta B u, so y_j[0] = delta u_j (C·B) with C = W_C u, B = W_B u.
  const dot = (row, matrix) => Array.from({ length: 2 }, (_, n) => [0, 1, 2].reduce((a, j) => a + matrix[n * 3 + j] * row[j], 0));
  const B = dot(u, model.W_B);
  const C = dot(u, model.W_C);
  const pre = model.p + [0, 1, 2].reduce((a, j) => a + model.q[j] * u[j], 0);
  const delta = Math.log1p(Math.exp(pre));
  for (let j = 0; j < 3; j++) {
    const expected = delta * u[j] * (C[0] * B[0] + C[1] * B[1]);
    assert.ok(Math.abs(out.y[j] - expected) <= 1e-6 * Math.abs(expected) + 1e-12, `y[${j}] = ${out.y[j]}, expected ${expected}`);
  }
});

test('scan overflow is reported with its step', async () => {
  const model = await randomModel({ d: 4, N: 4, sA: 0.5, vocab: 2, seed: 1 });
  const tokens = Array.from({ length: 5000 }, (_, t) => t % 2);
  for (const kernel of ['simd', 'plain']) {
    assert.throws(() => model.forward(tokens, { kernel }), (error) => {
      assert.equal(error.name, 'SsmLensError');
      assert.equal(error.code, 'overflow');
      assert.ok(error.step > 0 && error.step < 5000, `step ${error.step}`);
      assert.match(error.message, /overflow: y at step t=\d+ \(channel \d+\) exceeds the float32 range/);
      assert.match(error.message, /s_A = 0\.5000 > 0/);
      return true;
    });
  }
  // The prefix just before the reported step still computes finite values.
  let step;
  try {
    model.forward(tokens);
  } catch (error) {
    step = error.step;
  }
  const out = model.forward(tokens.slice(0, step));
  assert.ok(out.y.every(Number.isFinite));
});
