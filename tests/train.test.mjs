// Training (core/train.c and wasm/train.mjs): gradients against central
// finite differences, logits against the float64 reference and the authors'
// fixtures, the loss, the optimizer pieces, and a short training run.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  SsmLensError, createModel, majorityTask, modelFromSafetensors, modelFromStateDict, modelNorms,
  randomModel,
} from '../wasm/index.mjs';
import {
  Adam, PlateauScheduler, batchLoss, clipGradient, logNorms, packParameters, parameterLayout,
  tokenGradient, tokenLogits, trainModel,
} from '../wasm/train.mjs';
import { referenceBatchLoss, referenceForward, seededRandom } from './reference.mjs';

const FIXTURES = new URL('../../shared/fixtures/', import.meta.url);
const skipFixtures = existsSync(FIXTURES) ? false : `fixtures not found at ${FIXTURES.pathname}`;

/** Builds a split from token lists, with all-zero labels. */
function splitOf(sequences, labels = sequences.map(() => 0)) {
  const offsets = new Int32Array(sequences.length + 1);
  sequences.forEach((sequence, i) => { offsets[i + 1] = offsets[i] + sequence.length; });
  return {
    tokens: Int32Array.from(sequences.flat()), offsets, labels: Int32Array.from(labels), count: sequences.length,
  };
}

function randomSequences(random, count, vocab, longest) {
  return Array.from({ length: count }, () => Array.from(
    { length: 1 + Math.floor(random() * longest) },
    () => Math.floor(random() * vocab),
  ));
}

/** Largest |a - b| / max(floor, |b|) over two arrays. */
function worstRelative(a, b, floor) {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(floor, Math.abs(b[i])));
  return worst;
}

const CASES = [
  { d: 3, N: 5, vocab: 4, K: 1, sA: -0.3, seed: 1 },
  { d: 4, N: 3, vocab: 6, K: 3, sA: 0.05, seed: 2 },
  { d: 2, N: 7, vocab: 3, K: 2, sA: 0, seed: 3 },
];

for (const c of CASES) {
  test(`gradient vs finite differences (d=${c.d} N=${c.N} K=${c.K} s_A=${c.sA})`, async (t) => {
    const model = await randomModel(c);
    const { layout, params } = packParameters(model);
    const random = seededRandom(c.seed);
    const split = splitOf(randomSequences(random, 5, c.vocab, 9));
    const weights = Float64Array.from({ length: split.count * c.K }, () => random() - 0.5);
    const objective = (values) => tokenLogits(model.exports, layout, values, split, { kernel: 'plain' })
      .reduce((sum, z, i) => sum + weights[i] * z, 0);

    // Central differences in float64: the truncation error is O(h²), the rounding O(1e-16 / h).
    const numeric = new Float64Array(params.length);
    for (let i = 0; i < params.length; i++) {
      const h = 1e-5 * Math.max(1, Math.abs(params[i]));
      const up = params.slice();
      const down = params.slice();
      up[i] += h;
      down[i] -= h;
      numeric[i] = (objective(up) - objective(down)) / (2 * h);
    }
    for (const kernel of ['simd', 'plain']) {
      const grad = tokenGradient(model.exports, layout, params, split, weights, { kernel });
      const worst = worstRelative(grad, numeric, 1e-2);
      t.diagnostic(`${kernel}: worst relative difference ${worst.toExponential(2)} over ${params.length} parameters`);
      assert.ok(worst < 1e-6, `${kernel} gradient differs from finite differences by ${worst}`);
    }
  });
}

test('SIMD and plain kernels agree', async (t) => {
  const model = await randomModel({ d: 5, N: 3, vocab: 7, K: 2, sA: -0.1, seed: 9 });
  const { layout, params } = packParameters(model);
  const random = seededRandom(4);
  const split = splitOf(randomSequences(random, 20, 7, 60));
  const weights = Float64Array.from({ length: split.count * 2 }, () => random() - 0.5);

  const logits = tokenLogits(model.exports, layout, params, split);
  const logitsPlain = tokenLogits(model.exports, layout, params, split, { kernel: 'plain' });
  const grad = tokenGradient(model.exports, layout, params, split, weights);
  const gradPlain = tokenGradient(model.exports, layout, params, split, weights, { kernel: 'plain' });
  const worstLogits = worstRelative(logits, logitsPlain, 1e-6);
  const worstGrad = worstRelative(grad, gradPlain, 1e-6);
  t.diagnostic(`logits ${worstLogits.toExponential(2)}, gradient ${worstGrad.toExponential(2)}`);
  assert.ok(worstLogits < 1e-12);
  assert.ok(worstGrad < 1e-10);
});

test('token logits equal the float64 reference scan', async () => {
  const model = await randomModel({ d: 4, N: 4, vocab: 5, K: 3, sA: -0.05, seed: 11 });
  const { layout, params } = packParameters(model);
  const sequences = randomSequences(seededRandom(5), 8, 5, 40);
  const logits = tokenLogits(model.exports, layout, params, splitOf(sequences));
  sequences.forEach((sequence, i) => {
    const u = new Float64Array(sequence.length * model.d);
    sequence.forEach((token, s) => u.set(model.embedding.subarray(token * model.d, (token + 1) * model.d), s * model.d));
    const expected = referenceForward(model, u, sequence.length).logits;
    const worst = worstRelative(logits.subarray(i * 3, i * 3 + 3), expected, 1e-9);
    assert.ok(worst < 1e-12, `sequence ${i}: ${worst}`);
  });
});

for (const name of ['authors-majority-T100-seed1', 'authors-listops-T100-seed1']) {
  test(`token logits reproduce ${name}`, { skip: skipFixtures }, async (t) => {
    const read = (file) => JSON.parse(readFileSync(new URL(`${name}/${file}`, FIXTURES), 'utf8'));
    const model = await modelFromStateDict(read('model.json'));
    const { cases } = read('expected.json');
    const { layout, params } = packParameters(model);
    const logits = tokenLogits(model.exports, layout, params, splitOf(cases.map((c) => c.tokens)));
    const expected = cases.flatMap((c) => c.logits);
    const worst = worstRelative(logits, expected, 0);
    t.diagnostic(`worst relative difference from the authors' PyTorch logits: ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-4);
  });
}

let exports;
const wasm = async () => {
  exports ??= (await randomModel()).exports;
  return exports;
};

for (const K of [1, 3]) {
  test(`loss gradient vs finite differences (K=${K})`, async () => {
    const core = await wasm();
    const random = seededRandom(20 + K);
    const count = 6;
    // Logits close together, so that the spread penalty is active.
    const logits = Float64Array.from({ length: count * K }, () => 0.05 * (random() - 0.5));
    const labels = Array.from({ length: count }, (_, i) => (K === 1 ? i % 2 : i % K));
    const { dlogits, loss } = batchLoss(core, logits, labels, K);
    const unpenalized = batchLoss(core, logits, labels, K, { penaltyFactor: 0 }).loss;
    assert.ok(loss > unpenalized + 0.5, 'the spread penalty should be active for nearly equal logits');
    for (let i = 0; i < logits.length; i++) {
      const up = logits.slice();
      const down = logits.slice();
      up[i] += 1e-6;
      down[i] -= 1e-6;
      const numeric = (batchLoss(core, up, labels, K).loss - batchLoss(core, down, labels, K).loss) / 2e-6;
      assert.ok(Math.abs(numeric - dlogits[i]) < 1e-7, `logit ${i}: ${dlogits[i]} vs ${numeric}`);
    }
  });
}

test('loss equals the plain reference', async () => {
  const core = await wasm();
  const random = seededRandom(31);
  for (const [K, spread] of [[1, 0.05], [1, 4], [4, 0.1], [4, 6], [10, 2]]) {
    const count = 9;
    const logits = Float64Array.from({ length: count * K }, () => spread * (random() - 0.5));
    const labels = Array.from({ length: count }, () => Math.floor(random() * (K === 1 ? 2 : K)));
    const actual = batchLoss(core, logits, labels, K);
    const expected = referenceBatchLoss(logits, labels, K);
    assert.ok(Math.abs(actual.loss - expected.loss) <= 1e-13 * Math.abs(expected.loss), `K=${K}: ${actual.loss} vs ${expected.loss}`);
    assert.equal(actual.correct, expected.correct);
    let worst = 0;
    for (let i = 0; i < logits.length; i++) worst = Math.max(worst, Math.abs(actual.dlogits[i] - expected.dlogits[i]));
    assert.ok(worst < 1e-15, `K=${K}: dlogits differ by ${worst}`);
  }
});

test('loss values follow their definitions', async () => {
  const core = await wasm();
  // Binary cross-entropy: -ln σ(z) for label 1, -ln(1 - σ(z)) for label 0; spread large, so no penalty.
  const { loss, correct } = batchLoss(core, Float64Array.of(3, -2), [1, 1], 1);
  const sigmoid = (z) => 1 / (1 + Math.exp(-z));
  assert.ok(Math.abs(loss - (-Math.log(sigmoid(3)) - Math.log(sigmoid(-2))) / 2) < 1e-15);
  assert.equal(correct, 1);

  // Penalty: 10 · (0.1 − s) with s the sample standard deviation of σ(z).
  const z = Float64Array.of(0, 0.1, 0.2);
  const s = [0, 0.1, 0.2].map(sigmoid);
  const mean = (s[0] + s[1] + s[2]) / 3;
  const std = Math.sqrt(s.reduce((sum, v) => sum + (v - mean) ** 2, 0) / 2);
  const withPenalty = batchLoss(core, z, [0, 0, 0], 1).loss;
  const without = batchLoss(core, z, [0, 0, 0], 1, { penaltyFactor: 0 }).loss;
  assert.ok(Math.abs(withPenalty - without - 10 * (0.1 - std)) < 1e-15);

  // Large logits stay finite.
  assert.ok(Number.isFinite(batchLoss(core, Float64Array.of(800, -800), [0, 1], 1).loss));
  assert.ok(Number.isFinite(batchLoss(core, Float64Array.of(800, -800, 0, 5), [1, 0], 2).loss));
});

test('Adam first step and weight decay', () => {
  const params = Float64Array.of(1, -2, 0.5);
  const grad = Float64Array.of(0.3, -4, 0);
  const adam = new Adam(3, { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  adam.update(params, grad);
  // After one step m̂ = g and v̂ = g², so each parameter moves by lr · g / (|g| + eps).
  assert.ok(Math.abs(params[0] - (1 - 0.01 * 0.3 / (0.3 + 1e-8))) < 1e-15);
  assert.ok(Math.abs(params[1] - (-2 + 0.01 * 4 / (4 + 1e-8))) < 1e-15);
  assert.equal(params[2], 0.5);

  // Weight decay enters the gradient: a zero gradient still moves the parameter toward 0.
  const decayed = Float64Array.of(2);
  new Adam(1, { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1 }).update(decayed, Float64Array.of(0));
  assert.ok(Math.abs(decayed[0] - (2 - 0.01 * 0.2 / (0.2 + 1e-8))) < 1e-15);
});

test('gradient clipping and plateau schedule', () => {
  const grad = Float64Array.of(30, 40);
  assert.equal(clipGradient(grad, 5), 50);
  assert.ok(Math.abs(Math.hypot(grad[0], grad[1]) - 5 * 50 / (50 + 1e-6)) < 1e-12);
  const small = Float64Array.of(0.3, 0.4);
  clipGradient(small, 5);
  assert.deepEqual(Array.from(small), [0.3, 0.4]);

  const scheduler = new PlateauScheduler({ factor: 0.9, patience: 2, threshold: 0.01 });
  const rates = [];
  let lr = 1;
  // 1 improves; 0.995 is within the 1% threshold, so it is no improvement.
  for (const loss of [1, 0.995, 0.995, 0.995, 0.5, 0.5, 0.5, 0.5]) {
    lr = scheduler.step(loss, lr);
    rates.push(Number(lr.toFixed(6)));
  }
  assert.deepEqual(rates, [1, 1, 1, 0.9, 0.9, 0.9, 0.9, 0.81]);
});

test('short majority training beats chance and logs the final norms', async (t) => {
  const data = majorityTask({ T: 30, train: 300, test: 300, seed: 1 });
  const epochs = [];
  const outcome = await trainModel(data, { d: 4, N: 4, seed: 1, epochs: 8, onEpoch: (row) => epochs.push(row.epoch) });
  t.diagnostic(`train ${outcome.train.accuracy}, test ${outcome.test.accuracy}, ${outcome.seconds} s`);
  assert.deepEqual(epochs, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  // Chance is 0.5; with 300 test sequences its standard deviation is 0.029.
  assert.ok(outcome.test.accuracy > 0.65, `test accuracy ${outcome.test.accuracy}`);
  assert.ok(outcome.train.accuracy > 0.65, `train accuracy ${outcome.train.accuracy}`);
  assert.equal(outcome.diverged, null);

  const last = outcome.log.at(-1);
  const norms = modelNorms(outcome.model);
  const close = (a, b, name) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${name}: log ${a}, model ${b}`);
  close(last.s_A, norms.s_A, 's_A');
  close(last.B_A, norms.B_A, 'B_A');
  close(last.B_B, norms.B_B_frobenius, 'B_B');
  close(last.M_B, norms.M_B, 'M_B');
  close(last.B_C, norms.B_C_frobenius, 'B_C');
  close(last.M_C, norms.M_C, 'M_C');
  close(last.B_q, norms.B_q, 'B_q');
  close(last.L_p, Math.abs(norms.p), 'L_p');
  let B_u = 0;
  for (let v = 0; v < outcome.model.vocab; v++) {
    B_u = Math.max(B_u, Math.hypot(...outcome.model.embedding.subarray(v * 4, v * 4 + 4)));
  }
  close(last.B_u, B_u, 'B_u');
  assert.ok(last.loss < outcome.log[1].loss, 'the epoch loss should fall');
});

test('trained model saves and reloads', async () => {
  const data = majorityTask({ T: 20, train: 100, test: 50, seed: 2 });
  const { model } = await trainModel(data, { seed: 2, epochs: 2 });
  const reloaded = await modelFromSafetensors(model.toSafetensors());
  const tokens = Array.from(data.test.tokens.subarray(0, 20));
  assert.deepEqual(reloaded.forward(tokens).logits, model.forward(tokens).logits);
  // The float32 model and the float64 training logits agree to float32 rounding.
  const { layout, params } = packParameters(model);
  const logit64 = tokenLogits(model.exports, layout, params, splitOf([tokens]))[0];
  const logit32 = model.forward(tokens).logits[0];
  assert.ok(Math.abs(logit64 - logit32) <= 1e-5 * Math.max(1, Math.abs(logit64)));
});

test('training is deterministic for a seed', async () => {
  const data = majorityTask({ T: 15, train: 100, test: 50, seed: 3 });
  const first = await trainModel(data, { seed: 3, epochs: 3 });
  const second = await trainModel(data, { seed: 3, epochs: 3 });
  assert.deepEqual(first.log, second.log);
  const other = await trainModel(data, { seed: 4, epochs: 3 });
  assert.notDeepEqual(first.log.at(-1), other.log.at(-1));
});

test('overflow during training is reported as divergence', async () => {
  const data = majorityTask({ T: 400, train: 64, test: 64, seed: 5 });
  const outcome = await trainModel(data, { sA: 10, seed: 5, epochs: 3 });
  // e^(s_A Λ) with Λ of about 0.7 T passes the float64 range (e^709) here.
  assert.ok(outcome.diverged, 'a model with s_A = 10 at T = 400 should overflow float64');
  assert.equal(outcome.train, null);
  assert.match(outcome.diverged.message, /overflow/);
  for (const row of outcome.log) assert.ok(Number.isFinite(row.s_A));
});

test('abort stops after the current epoch', async () => {
  const data = majorityTask({ T: 20, train: 100, test: 50, seed: 6 });
  const controller = new AbortController();
  const outcome = await trainModel(data, {
    seed: 6, epochs: 20, signal: controller.signal, onEpoch: (row) => { if (row.epoch === 2) controller.abort(); },
  });
  assert.equal(outcome.stopped, true);
  assert.equal(outcome.epochs, 2);
  assert.ok(outcome.test.accuracy >= 0);
});

test('invalid training inputs are rejected by name', async () => {
  const data = majorityTask({ T: 10, train: 20, test: 20, seed: 7 });
  const bad = (mutate) => {
    const copy = structuredClone(data);
    mutate(copy);
    return copy;
  };
  await assert.rejects(trainModel(bad((c) => { c.train.tokens[3] = 2; })), (e) => e instanceof SsmLensError && /data\.train\.tokens.*0\.\.1.*got 2 at position 3/.test(e.message));
  await assert.rejects(trainModel(bad((c) => { c.test.labels[0] = 5; })), /data\.test\.labels must be integers in 0\.\.1, got 5/);
  await assert.rejects(trainModel(bad((c) => { c.train.offsets[1] = 0; })), /data\.train: sequence 0 is empty/);
  await assert.rejects(trainModel(bad((c) => { c.classes = 1; })), /data\.classes/);
  await assert.rejects(trainModel(data, { epochs: -1 }), /epochs/);
  await assert.rejects(trainModel(data, { lr: Number.NaN }), /lr/);
  await assert.rejects(trainModel(data, { betas: [0.9] }), /betas/);
  await assert.rejects(trainModel(data, { kernel: 'fast' }), /kernel must be 'simd' or 'plain'/);

  const noEmbedding = await createModel({ A: [[-1]], W_B: [[1]], W_C: [[1]], q: [0], p: 0, w: [1] });
  await assert.rejects(trainModel(data, { model: noEmbedding }), /needs a model with an embedding/);
  const threeClasses = await randomModel({ vocab: 2, K: 3 });
  await assert.rejects(trainModel(data, { model: threeClasses }), /needs K = 1 readout rows, got K = 3/);

  const model = await randomModel({ vocab: 2 });
  const { layout, params } = packParameters(model);
  params[layout.offsets.W_C + 2] = Number.NaN;
  assert.throws(() => tokenLogits(model.exports, layout, params, splitOf([[0, 1]])), /parameter W_C contains NaN or Infinity at flat index 2/);
});

test('clipping survives huge gradients', () => {
  const grad = Float64Array.of(1e200, 1e200);
  const norm = clipGradient(grad, 5);
  assert.ok(Math.abs(norm / (Math.SQRT2 * 1e200) - 1) < 1e-15);
  assert.ok(Math.abs(Math.hypot(grad[0], grad[1]) - 5) < 1e-12);
  assert.equal(grad[0], grad[1]);
  assert.throws(() => clipGradient(Float64Array.of(Infinity, 1), 5), /gradient norm exceeds the float64 range/);
});

test('plateau schedule skips reductions below eps', () => {
  const scheduler = new PlateauScheduler({ factor: 0.9, patience: 0, threshold: 0.01 });
  assert.equal(scheduler.step(1, 1e-8), 1e-8);
  assert.equal(scheduler.step(1, 1e-8), 1e-8);
  assert.equal(scheduler.step(1, 1), 0.9);
});

test('log norms of wide models', () => {
  const layout = parameterLayout({ vocab: 2, d: 512, N: 300, K: 1 });
  const params = new Float64Array(layout.count);
  params[layout.offsets.A + 7] = -3;
  params[layout.offsets.A + 9] = 0.25;
  const norms = logNorms(layout, params);
  assert.equal(norms.s_A, 0.25);
  assert.equal(norms.B_A, 3);
});

test('kernel calls check their arguments', async () => {
  const model = await randomModel({ vocab: 2 });
  const { layout, params } = packParameters(model);
  const split = splitOf([[0, 1]]);
  const call = (p = params, s = split, l = layout) => tokenLogits(model.exports, l, p, s);
  assert.throws(() => call(params.subarray(1)), /params must be a Float64Array of \d+ values/);
  assert.throws(() => call(params, split, { ...layout, K: 3 }), /layout must come from parameterLayout/);
  assert.throws(() => call(params, { ...split, offsets: Int32Array.of(0, 3) }), /split\.offsets must have count \+ 1 = 2 entries from 0 to tokens\.length = 2/);
  assert.throws(() => call(params, { ...split, tokens: Int32Array.of(0, 2) }), /split\.tokens must be in 0\.\.1/);
  assert.throws(() => tokenGradient(model.exports, layout, params, split, Float64Array.of(Number.NaN)), /dlogits contains NaN or Infinity at index 0/);
  assert.throws(() => tokenGradient(model.exports, layout, params, split, [1]), /dlogits must be a Float64Array of count × K = 1 values/);
  assert.throws(() => batchLoss(model.exports, Float64Array.of(1, 2, 3), Int32Array.of(5, 0, 1), 1), /labels must be integers in 0\.\.1, got 5 at 0/);
  assert.throws(() => batchLoss(model.exports, Float64Array.of(1, 2), [0], 3), /logits must have labels\.length × K = 3 values/);
  assert.throws(() => batchLoss(model.exports, Float64Array.of(Number.NaN), [0], 1), /logits contains NaN/);
  const data = majorityTask({ T: 5, train: 10, test: 5 });
  await assert.rejects(trainModel(data, { batch: 3 }), /trainModel: unknown option 'batch'; expected one of epochs, batchSize/);
  await assert.rejects(trainModel(data, { onEpoch: 3 }), /onEpoch must be a function/);
  await assert.rejects(trainModel(data, { signal: {} }), /signal must be an AbortSignal/);
});
