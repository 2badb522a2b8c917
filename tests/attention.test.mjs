// The attention form (core/attention.c): it must reproduce the scan, agree
// with the float64 reference entry by entry, and its SIMD kernel must
// agree with the plain twin.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { randomModel } from '../wasm/index.mjs';
import { randomInput, referenceAttention } from './reference.mjs';

const SHAPES = [{ d: 1, N: 1 }, { d: 3, N: 5 }, { d: 4, N: 4 }, { d: 6, N: 16 }];

/** Largest |actual - expected| measured in units of the entry's magnitude
 * (the sum of the absolute values of its terms). */
function worstScaled(actual, expected, magnitude) {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const scale = magnitude[i] + 1e-30;
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / scale);
  }
  return worst;
}

test('attention reproduces the scan at every step and channel', async (t) => {
  let worst = 0;
  for (const { d, N } of SHAPES) {
    for (const sA of [-0.3, 0, 0.05]) {
      const model = await randomModel({ d, N, sA, vocab: 0, seed: 31 * d + N });
      const T = 70;
      const u = randomInput(T, d, d + N);
      const { y } = model.forward(u);
      for (let j = 0; j < d; j++) {
        const alpha = model.attention(u, j);
        for (let row = 0; row < T; row++) {
          let sum = 0;
          let magnitude = 0;
          for (let s = 0; s <= row; s++) {
            sum += alpha[row * T + s] * u[s * d + j];
            magnitude += Math.abs(alpha[row * T + s] * u[s * d + j]);
          }
          const error = Math.abs(sum - y[row * d + j]) / (magnitude + Math.abs(y[row * d + j]) + 1e-30);
          assert.ok(error < 1e-5, `d=${d} N=${N} s_A=${sA} channel ${j} t=${row}: Σ α u = ${sum}, y = ${y[row * d + j]}`);
          worst = Math.max(worst, error);
        }
      }
    }
  }
  t.diagnostic(`Σ_s α_j[t,s] u_j[s] vs y_j[t]: worst scaled difference ${worst.toExponential(2)}`);
});

test('attention is causal', async () => {
  const model = await randomModel({ d: 3, N: 4, vocab: 0, seed: 2 });
  const T = 40;
  const u = randomInput(T, 3, 9);
  for (const view of [0, 2, 'mean', 'logit']) {
    const alpha = model.attention(u, view);
    for (let row = 0; row < T; row++) {
      for (let s = row + 1; s < T; s++) assert.equal(alpha[row * T + s], 0, `view ${view}: α[${row},${s}] above the diagonal`);
    }
  }
});

test('attention matches the float64 reference for every view', async (t) => {
  const worst = { simd: 0, plain: 0 };
  for (const { d, N } of SHAPES) {
    const model = await randomModel({ d, N, sA: -0.05, K: 3, vocab: 0, seed: 5 * d + N });
    const T = 75; // above two anchor blocks of the SIMD kernel, and not a multiple of 4
    const u = randomInput(T, d, 4 * d + N, 2);
    for (const [view, k] of [[0, 0], [d - 1, 0], ['mean', 0], ['logit', 2]]) {
      const ref = referenceAttention(model, u, T, view, k);
      for (const kernel of ['simd', 'plain']) {
        const alpha = model.attention(u, view, { k, kernel });
        const error = worstScaled(alpha, ref.alpha, ref.magnitude);
        // plain: float64 then one float32 rounding; simd: float32 carried
        // between exact anchors.
        const limit = kernel === 'plain' ? 1.2e-7 : 1e-5;
        assert.ok(error < limit, `${kernel} d=${d} N=${N} view ${view}: scaled error ${error}`);
        worst[kernel] = Math.max(worst[kernel], error);
      }
    }
  }
  t.diagnostic(`attention vs float64 reference: worst scaled error SIMD ${worst.simd.toExponential(2)}, plain ${worst.plain.toExponential(2)}`);
});

test('attention SIMD kernel equals its plain twin on long inputs', async (t) => {
  const model = await randomModel({ d: 4, N: 16, sA: 0, vocab: 0, seed: 12 });
  const T = 300;
  const u = randomInput(T, 4, 77);
  let worst = 0;
  for (const view of [1, 'mean', 'logit']) {
    const simd = model.attention(u, view);
    const plain = model.attention(u, view, { kernel: 'plain' });
    const ref = referenceAttention(model, u, T, view);
    const error = worstScaled(simd, plain, ref.magnitude);
    assert.ok(error < 1e-5, `view ${view}: SIMD differs from plain by ${error} of the entry magnitude`);
    worst = Math.max(worst, error);
  }
  t.diagnostic(`attention SIMD vs plain, T=${T}: worst scaled difference ${worst.toExponential(2)}`);
});

test('attention mean view is the mean of the channel views', async () => {
  const model = await randomModel({ d: 5, N: 3, vocab: 0, seed: 8 });
  const T = 33;
  const u = randomInput(T, 5, 3);
  const mean = model.attention(u, 'mean');
  const channels = Array.from({ length: 5 }, (_, j) => model.attention(u, j));
  for (let i = 0; i < T * T; i++) {
    const average = channels.reduce((a, alpha) => a + alpha[i], 0) / 5;
    const scale = channels.reduce((a, alpha) => a + Math.abs(alpha[i]), 0) / 5;
    assert.ok(Math.abs(mean[i] - average) <= 1e-5 * scale + 1e-30, `entry ${i}: mean ${mean[i]}, average ${average}`);
  }
});

test('logit attribution sums to the logit', async (t) => {
  let worst = 0;
  for (const seed of [1, 2, 3]) {
    const model = await randomModel({ d: 4, N: 4, sA: -0.1, K: 3, vocab: 5, seed });
    const tokens = Array.from({ length: 60 }, (_, i) => (i * seed * 7 + 3) % 5);
    const { y, logits } = model.forward(tokens);
    const T = tokens.length;
    for (let k = 0; k < 3; k++) {
      const c = model.attention(tokens, 'logit', { k });
      for (const row of [0, 17, T - 1]) {
        let sum = 0;
        let magnitude = 0;
        for (let s = 0; s <= row; s++) {
          sum += c[row * T + s];
          magnitude += Math.abs(c[row * T + s]);
        }
        // Row t sums to W[k]·y[t]; the last row to the logit itself.
        let expected = 0;
        for (let j = 0; j < 4; j++) expected += model.W[k * 4 + j] * y[row * 4 + j];
        if (row === T - 1) assert.ok(Math.abs(expected - logits[k]) <= 1e-6 * Math.abs(logits[k]) + 1e-7);
        const error = Math.abs(sum - expected) / (magnitude + 1e-30);
        assert.ok(error < 1e-5, `seed ${seed} k=${k} t=${row}: Σ c = ${sum}, W[k]·y[t] = ${expected}`);
        worst = Math.max(worst, error);
      }
    }
  }
  t.diagnostic(`Σ_s c[s] vs logit: worst scaled difference ${worst.toExponential(2)}`);
});

test('logit view defaults to the predicted class', async () => {
  const model = await randomModel({ d: 4, N: 4, K: 4, vocab: 3, seed: 21 });
  const tokens = [0, 1, 2, 2, 1, 0, 1];
  const { logits } = model.forward(tokens);
  const predicted = logits.indexOf(Math.max(...logits));
  assert.deepEqual(model.attention(tokens, 'logit'), model.attention(tokens, 'logit', { k: predicted }));
});

test('attention overflow is reported, never Infinity', async () => {
  const model = await randomModel({ d: 2, N: 2, sA: 2, vocab: 2, seed: 4 });
  const tokens = Array.from({ length: 800 }, (_, t) => t % 2);
  for (const kernel of ['simd', 'plain']) {
    assert.throws(() => model.attention(tokens, 'mean', { kernel }), (error) => {
      assert.equal(error.code, 'overflow');
      assert.match(error.message, /overflow: alpha\[\d+, \d+\] exceeds the float32 range/);
      return true;
    });
  }
});

test('attention fills a given output array', async () => {
  const model = await randomModel({ d: 3, N: 4, vocab: 2, seed: 6 });
  const tokens = [0, 1, 1, 0, 1];
  const out = new Float32Array(25).fill(7);
  const result = model.attention(tokens, 'mean', { out });
  assert.equal(result, out);
  assert.deepEqual(out, model.attention(tokens, 'mean'));
  assert.throws(() => model.attention(tokens, 'mean', { out: new Float32Array(24) }), /out must be a Float32Array of T·T = 25 values, got a Float32Array of length 24/);
});
