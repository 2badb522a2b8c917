// Building models (wasm/model.mjs): parameters, state dicts, the seeded
// initialization, and the errors that misuse must raise.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  Model, SsmLensError, bound, createModel, modelFromStateDict, randomModel,
} from '../wasm/index.mjs';

const FIXTURE = new URL('../../shared/fixtures/authors-majority-T100-seed1/model.json', import.meta.url);
const skipFixture = existsSync(FIXTURE) ? false : `fixture not found at ${FIXTURE.pathname}`;

function params(overrides = {}) {
  return {
    A: [[-1, -2], [-0.5, -3], [-1, -1]], // d = 3, N = 2
    W_B: [[1, 0, 0.5], [0, 1, -1]],
    W_C: [[0.5, 0.5, 0], [1, -1, 0]],
    q: [0.1, -0.2, 0.3],
    p: 0.5,
    w: [1, -1, 0.5],
    ...overrides,
  };
}

/** Asserts that body throws an SsmLensError whose message matches pattern. */
function assertError(body, pattern, code) {
  assert.throws(body, (error) => {
    assert.ok(error instanceof SsmLensError, `expected SsmLensError, got ${error}`);
    assert.match(error.message, pattern);
    if (code) assert.equal(error.code, code);
    return true;
  });
}

async function assertRejects(promise, pattern) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof SsmLensError, `expected SsmLensError, got ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test('createModel accepts nested and typed arrays alike', async () => {
  const nested = await createModel(params());
  const typed = await createModel({
    ...params(),
    A: new Float32Array([-1, -2, -0.5, -3, -1, -1]),
    W_B: new Float64Array([1, 0, 0.5, 0, 1, -1]),
  });
  assert.equal(nested.d, 3);
  assert.equal(nested.N, 2);
  assert.equal(nested.K, 1);
  const u = [[0.1, 0.2, 0.3], [1, 0, -1]];
  assert.deepEqual(nested.forward(u).y, typed.forward(u).y);
  assert.deepEqual(nested.forward(u).y, nested.forward(new Float32Array(u.flat())).y);
});

test('createModel rejects wrong lengths and shapes by name', async () => {
  await assertRejects(createModel(params({ W_B: [[1, 0, 0.5], [0, 1]] })), /W_B must be 2×3; row 1 has 2 values, expected 3/);
  await assertRejects(createModel(params({ W_C: new Float32Array(5) })), /W_C must be 2×3 \(6 values\), got 5 values/);
  await assertRejects(createModel(params({ q: [] })), /q must be a vector of length d ≥ 1/);
  await assertRejects(createModel(params({ A: undefined })), /parameter A is missing/);
  await assertRejects(createModel(params({ w: undefined })), /W \(K×d\) or w \(d\) is missing/);
  await assertRejects(createModel(params({ w: [1, 2] })), /w must be 1×3 \(3 values\), got 2 values/);
  await assertRejects(createModel(params({ W_B: 'abc' })), /W_B must be a 2×3 array of numbers, got the string "abc"/);
  await assertRejects(createModel(null), /parameters must be an object/);
});

test('createModel rejects NaN and Infinity by name', async () => {
  await assertRejects(createModel(params({ p: NaN })), /p must be finite, got NaN/);
  await assertRejects(createModel(params({ A: [[-1, -2], [-0.5, Infinity], [-1, -1]] })), /A must be finite, got Infinity at flat index 3/);
  await assertRejects(createModel(params({ q: [0.1, 1e39, 0] })), /q value 1e\+39 at flat index 1 exceeds the float32 range/);
});

test('forward rejects bad inputs with the expected shape', async () => {
  const model = await createModel(params());
  assertError(() => model.forward([]), /input must have at least one step \(T ≥ 1\)/, 'shape');
  assertError(() => model.forward([[1, 2]]), /input must be 1×3; row 0 has 2 values, expected 3/);
  assertError(() => model.forward(new Float32Array(7)), /input must hold T×d values with d = 3, got 7 values/);
  assertError(() => model.forward([[1, NaN, 0]]), /input must be finite, got NaN at flat index 1/, 'nonfinite');
  assertError(() => model.forward([[1, Infinity, 0]]), /input must be finite, got Infinity/, 'nonfinite');
  assertError(() => model.forward([0, 1]), /this model has no embedding, so input must be a T×d array with d = 3/);
  assertError(() => model.forward('0110'), /input must be token ids, a T×d array or a Float32Array, got the string/);
  assertError(() => model.forward([[1, 2, 3]], { kernel: 'fast' }), /kernel must be 'simd' or 'plain'/);
});

test('token inputs are checked against the vocabulary', async () => {
  const model = await randomModel({ vocab: 3 });
  assertError(() => model.forward([0, 3]), /token ids must be integers in 0\.\.2 \(vocabulary size 3\), got 3 at step 1/);
  assertError(() => model.forward([0, 1.5]), /got 1\.5 at step 1/);
  assertError(() => model.forward([-1]), /got -1 at step 0/);
});

test('attention rejects unknown views and oversized inputs', async () => {
  const model = await randomModel({ d: 4, K: 2 });
  assertError(() => model.attention([0, 1], 4), /view must be 'mean', 'logit' or a channel index 0\.\.3, got 4/);
  assertError(() => model.attention([0, 1], 'max'), /view must be .* got the string "max"/);
  assertError(() => model.attention([0, 1], 'logit', { k: 2 }), /k must be an integer with 0 ≤ k ≤ 1, got 2/);
  const long = new Array(20000).fill(0);
  assertError(() => model.attention(long, 'mean'), /full attention matrix is limited to T ≤ 16384 .* got T = 20000/, 'shape');
});

test('bound rejects invalid options by name', async () => {
  const model = await randomModel();
  assertError(() => bound(model, { T: 0 }), /T must be an integer with 1 ≤ T ≤ 1000000000000000, got 0/);
  assertError(() => bound(model, { T: 10, delta: 1 }), /delta must be a finite number with 0 < delta < 1, got 1/);
  assertError(() => bound(model, { T: 10, m: 0 }), /m must be an integer with 1 ≤ m/);
  assertError(() => bound(model, { T: 10, B_u: NaN }), /B_u must be a finite number with 0 ≤ B_u ≤ 1e\+50, got NaN/);
  assertError(() => bound(model, { T: 10, norms: 'max' }), /norms must be 'spectral' or 'frobenius'/);
  assertError(() => bound(model, {}), /T is missing: give options\.T or options\.sequences/);
  assertError(() => bound({}, { T: 1 }), /model must be a Model/);
  const noEmbedding = await createModel(params());
  assertError(() => bound(noEmbedding, { T: 5 }), /B_u is missing/);
});

test('randomModel follows the authors initialization', async () => {
  for (const sA of [-0.1, 0, 0.1]) {
    const model = await randomModel({ sA, d: 8, N: 6, vocab: 5, seed: 42 });
    assert.equal(model.sA, Math.fround(sA));
    for (let j = 0; j < 8; j++) {
      assert.equal(model.A[j * 6], Math.fround(sA), `A[${j},0] is s_A`);
      for (let n = 1; n < 6; n++) {
        const a = model.A[j * 6 + n];
        assert.ok(a <= Math.fround(sA), `A[${j},${n}] = ${a} is above s_A`);
        assert.ok(a >= sA - 10, `A[${j},${n}] = ${a} is below s_A - 10`);
      }
    }
    assert.equal(model.embedding.length, 5 * 8);
  }
  const a = await randomModel({ seed: 1 });
  const b = await randomModel({ seed: 1 });
  const c = await randomModel({ seed: 2 });
  assert.deepEqual(a.W_B, b.W_B);
  assert.notDeepEqual(a.W_B, c.W_B);
  await assertRejects(randomModel({ d: 0 }), /d must be an integer with 1 ≤ d ≤ 4096, got 0/);
  await assertRejects(randomModel({ seed: -1 }), /seed must be an integer/);
});

test('randomModel draws standard normal weights', async () => {
  const model = await randomModel({ d: 64, N: 64, vocab: 0, seed: 3 });
  const values = Array.from(model.W_B);
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  // 4096 draws: the standard errors are 0.016 for the mean and 0.022 for the variance.
  assert.ok(Math.abs(mean) < 0.07, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.1, `variance ${variance}`);
});

test('state dict errors name the tensor', { skip: skipFixture }, async () => {
  const original = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  const edit = (change) => {
    const copy = structuredClone(original);
    change(copy.tensors);
    return copy;
  };
  await assertRejects(modelFromStateDict(edit((t) => { delete t['SSM.ssm.W_C']; })), /tensor 'SSM\.ssm\.W_C' is missing/);
  await assertRejects(modelFromStateDict(edit((t) => { t['SSM.extra'] = { shape: [1], data: [0] }; })), /unknown tensor 'SSM\.extra'/);
  await assertRejects(modelFromStateDict(edit((t) => { t['SSM.ssm.W_B'].shape = [4, 3]; })), /tensor 'SSM\.ssm\.W_B' must have shape \[4,4\] \(d = 4 and N = 4 from 'SSM\.ssm\.A'\), got \[4,3\]/);
  await assertRejects(modelFromStateDict(edit((t) => { t['SSM.ssm.q_delta'].data = [1, 2, 3]; })), /tensor 'SSM\.ssm\.q_delta' has shape \[4\] \(4 values\) but contains 3 values/);
  await assertRejects(modelFromStateDict(edit((t) => { t['SSM.ssm.A'].data[5] = null; })), /A must contain numbers, got null at flat index 5/);
  await assertRejects(modelFromStateDict(edit((t) => { delete t['SSM.ssm.A']; })), /tensor 'SSM\.ssm\.A' or 'ssm\.A' is missing/);
  await assertRejects(modelFromStateDict('{"tensors": '), /state dict: invalid JSON/);
});

test('state dict round trip keeps the parameters', { skip: skipFixture }, async () => {
  const model = await modelFromStateDict(readFileSync(FIXTURE, 'utf8'));
  const copy = await modelFromStateDict(model.toStateDict());
  for (const name of ['A', 'W_B', 'W_C', 'q', 'W', 'embedding']) assert.deepEqual(copy[name], model[name], name);
  assert.equal(copy.p, model.p);
  const kClass = await randomModel({ K: 3, vocab: 4 });
  const kCopy = await modelFromStateDict(JSON.stringify(kClass.toStateDict()));
  assert.equal(kCopy.K, 3);
  assert.deepEqual(kCopy.W, kClass.W);
});

test('forward reports a step size beyond float32', async () => {
  const model = await createModel({ A: [[-1]], W_B: [[1e-30]], W_C: [[1e-30]], q: [3e38], p: 0, w: [1] });
  for (const kernel of ['simd', 'plain']) {
    assertError(() => model.forward(new Float32Array([10, 10, 10]), { kernel }), /overflow: the step size delta at step t=0 exceeds the float32 range/, 'overflow');
  }
  assertError(() => model.attention(new Float32Array([10, 10]), 0), /overflow: the step size delta at step t=0/, 'overflow');
});

test('forward reports a logit beyond float32 by name', async () => {
  const model = await createModel({ A: [[-1]], W_B: [[3]], W_C: [[3]], q: [0], p: 0, w: [3e38] });
  assertError(() => model.forward(new Float32Array([2, 2])), /overflow: logit 0 exceeds the float32 range/, 'overflow');
});

test('input shapes: typed rows, nesting, odd objects', async () => {
  const model = await createModel(params());
  const rows = [new Float32Array([0.1, 0.2, 0.3]), new Float64Array([1, 0, -1])];
  assert.deepEqual(model.forward(rows).y, model.forward([[0.1, 0.2, 0.3], [1, 0, -1]]).y);
  assertError(() => model.forward([[[1, 2, 3]], [[4, 5, 6]]]), /input must be 2×3; row 0 has 1 values, expected 3/);
  assertError(() => model.forward([[1, [2], 3]]), /input must be 1×3; row 0 contains a nested array at position 1/);
  assertError(() => model.forward(new DataView(new ArrayBuffer(12))), /input must be token ids, a T×d array or a Float32Array, got a DataView/);
  assertError(() => model.forward(new Map()), /input must be token ids/);
  const tokenModel = await randomModel({ vocab: 3 });
  assertError(() => tokenModel.forward([0, 1n]), /got the BigInt 1n at step 1/);
});

test('inputs beyond the memory and work limits fail early', async () => {
  const model = await randomModel({ d: 16, N: 4, vocab: 2 });
  const started = performance.now();
  assertError(() => model.forward(new Uint8Array(60_000_000)), /input: the embedded input of T = 60000000 needs about 3\.6 GiB of WebAssembly memory, above the 3 GiB limit/, 'shape');
  const wide = await randomModel({ d: 64, N: 64, vocab: 2 });
  assertError(() => wide.attention(new Uint8Array(8192), 'mean'), /input: the mean view needs about 1\.4e\+11 operations, above the limit of 5e\+10; use a channel view, or attentionPooled\(\)/, 'shape');
  assertError(() => wide.attention(new Uint8Array(2000), 'mean', { kernel: 'plain' }), /above the limit of 1e\+9/, 'shape');
  assert.ok(performance.now() - started < 5000, 'the checks run before any work');
});

test('models come only from the factories', async () => {
  const model = await randomModel();
  assert.throws(() => new Model({ d: 4, N: 4, K: 1, A: new Float32Array(1) }, model.exports), /use createModel, modelFromStateDict or randomModel to make a Model/);
  assert.ok(model instanceof Model);
  await assertRejects(randomModel({ d: 4096, vocab: 2 ** 20 }), /vocab × d = 1048576 × 4096 values is above the embedding limit/);
});

test('state dict rejects null, ragged and odd tensors', { skip: skipFixture }, async () => {
  const original = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  const edit = (change) => {
    const copy = structuredClone(original);
    change(copy.tensors);
    return copy;
  };
  await assertRejects(modelFromStateDict(edit((t) => { t['SSM.ssm.W_C'] = null; })), /tensor 'SSM\.ssm\.W_C' must be a nested array or an object with 'shape' and 'data' arrays, got null/);
  await assertRejects(modelFromStateDict(edit((t) => { t['SSM.ssm.W_B'].shape = ['4', '4']; })), /tensor 'SSM\.ssm\.W_B' has an invalid shape \["4","4"\]/);
  const nested = {};
  for (const [name, tensor] of Object.entries(original.tensors)) {
    const [rows, columns] = tensor.shape;
    nested[name] = tensor.shape.length === 2
      ? Array.from({ length: rows }, (_, r) => tensor.data.slice(r * columns, (r + 1) * columns))
      : tensor.data;
  }
  const fromNested = await modelFromStateDict(nested);
  assert.deepEqual(fromNested.A, (await modelFromStateDict(original)).A);
  const ragged = { ...nested, 'SSM.ssm.A': [nested['SSM.ssm.A'][0].concat(nested['SSM.ssm.A'][1].slice(0, 2)), nested['SSM.ssm.A'][1].slice(2), ...nested['SSM.ssm.A'].slice(2)] };
  await assertRejects(modelFromStateDict(ragged), /tensor 'SSM\.ssm\.A' is ragged: item 1 has shape \[2\], item 0 has \[6\]/);
  const scalarP = edit((t) => { t['SSM.ssm.p_delta'] = { shape: [], data: t['SSM.ssm.p_delta'].data }; });
  assert.equal((await modelFromStateDict(scalarP)).p, Math.fround(original.tensors['SSM.ssm.p_delta'].data[0]));
});

test('state dict keeps the K-class layout for one class', async () => {
  const model = await randomModel({ K: 1, vocab: 2 });
  const dict = model.toStateDict();
  assert.ok('SSM.ssm.A' in dict.tensors);
  const kClass = { tensors: {} };
  for (const [name, tensor] of Object.entries(dict.tensors)) {
    const renamed = name === 'SSM.w' ? 'W' : name.replace('SSM.ssm.', 'ssm.');
    kClass.tensors[renamed] = renamed === 'W' ? { shape: [1, 4], data: tensor.data } : tensor;
  }
  const loaded = await modelFromStateDict(kClass);
  assert.equal(loaded.K, 1);
  assert.ok('ssm.A' in loaded.toStateDict().tensors);
  assert.deepEqual(loaded.toStateDict().tensors.W.shape, [1, 4]);
});
