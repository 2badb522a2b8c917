// Pooled views (core/pooled.c): against the full matrix pooled in
// JavaScript, and the SIMD kernel against its plain twin.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { randomModel } from '../wasm/index.mjs';
import { randomInput } from './reference.mjs';

/** Pools a full T×T matrix into size×size cells, as the core defines them. */
function poolInJs(alpha, T, size, mode) {
  const out = new Float64Array(size * size);
  const counts = new Float64Array(size * size);
  for (let t = 0; t < T; t++) {
    const I = Math.floor((t * size) / T);
    for (let s = 0; s < T; s++) {
      const cell = I * size + Math.floor((s * size) / T);
      const v = alpha[t * T + s];
      if (mode === 'max') out[cell] = Math.max(out[cell], Math.abs(v));
      else out[cell] += v;
      counts[cell] += 1;
    }
  }
  if (mode === 'mean') for (let i = 0; i < out.length; i++) out[i] /= counts[i];
  return out;
}

/** Largest difference relative to the largest |value| of expected. */
function worstRelative(actual, expected) {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / (scale + 1e-30);
}

test('pooled views match the pooled full matrix', async (t) => {
  let worst = 0;
  for (const [T, size] of [[1, 1], [7, 7], [50, 7], [97, 13], [300, 64], [300, 300]]) {
    const model = await randomModel({ d: 3, N: 5, sA: -0.05, K: 2, vocab: 0, seed: T });
    const u = randomInput(T, 3, size);
    for (const view of [1, 'mean', 'logit']) {
      const full = model.attention(u, view, { kernel: 'plain', k: 1 });
      for (const mode of ['max', 'mean']) {
        const expected = poolInJs(full, T, size, mode);
        for (const kernel of ['simd', 'plain']) {
          const pooled = model.attentionPooled(u, view, { size, mode, kernel, k: 1 });
          assert.equal(pooled.values.length, size * size);
          const error = worstRelative(pooled.values, expected);
          assert.ok(error < 1e-5, `T=${T} size=${size} view ${view} ${mode} ${kernel}: relative error ${error}`);
          worst = Math.max(worst, error);
        }
      }
    }
  }
  t.diagnostic(`pooled vs JS pooling of the full matrix: worst relative error ${worst.toExponential(2)}`);
});

test('pooled max skips only negligible columns', async () => {
  // Fast decay: after a few hundred steps old columns fall below FLT_MIN,
  // which the SIMD kernel skips; the result must not change.
  const model = await randomModel({ d: 2, N: 4, sA: -3, vocab: 0, seed: 4 });
  const T = 2000;
  const u = randomInput(T, 2, 9, 3);
  const simd = model.attentionPooled(u, 0, { size: 100, mode: 'max' });
  const plain = model.attentionPooled(u, 0, { size: 100, mode: 'max', kernel: 'plain' });
  const error = worstRelative(simd.values, plain.values);
  assert.ok(error < 1e-5, `relative error ${error}`);
  assert.equal(simd.values[99 * 100], 0, 'the oldest cell of the last row underflows to 0');
});

test('pooled view of a long input stays finite', async () => {
  const model = await randomModel({ d: 4, N: 8, sA: -0.05, vocab: 3, seed: 2 });
  const tokens = Array.from({ length: 20000 }, (_, i) => (i * 7) % 3);
  for (const mode of ['max', 'mean']) {
    const { values, size, T } = model.attentionPooled(tokens, 'mean', { mode, size: 256 });
    assert.equal(T, 20000);
    assert.equal(size, 256);
    assert.ok(values.every(Number.isFinite));
    assert.ok(values.some((v) => v !== 0));
  }
});

test('pooled view rejects invalid options', async () => {
  const model = await randomModel({ d: 2, N: 2, seed: 1 });
  assert.throws(() => model.attentionPooled([0, 1, 1], 'mean', { size: 4 }), /size must be an integer with 1 ≤ size ≤ 3, got 4/);
  assert.throws(() => model.attentionPooled([0, 1, 1], 'mean', { size: 0 }), /size must be an integer/);
  assert.throws(() => model.attentionPooled([0, 1, 1], 'mean', { mode: 'median' }), /mode must be 'max' or 'mean', got the string "median"/);
  assert.throws(() => model.attentionPooled([0, 1, 1], 5), /view must be/);
});

test('pooled overflow is reported', async () => {
  const model = await randomModel({ d: 2, N: 2, sA: 2, vocab: 2, seed: 4 });
  const tokens = Array.from({ length: 3000 }, (_, t) => t % 2);
  for (const mode of ['max', 'mean']) {
    for (const kernel of ['simd', 'plain']) {
      assert.throws(() => model.attentionPooled(tokens, 'mean', { mode, kernel, size: 30 }), (error) => error.code === 'overflow', `${mode} ${kernel}`);
    }
  }
});
