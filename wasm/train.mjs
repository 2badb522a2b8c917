// Training of token models (embedding → selective SSM block → readout of the
// last step) in float64. The recipe is that of the public code of
// Honarpisheh et al. (NeurIPS 2025). It uses binary or multi-class
// cross-entropy plus a penalty on a collapsed output spread, Adam with
// weight decay, gradient clipping, learning-rate reduction on plateau and
// seeded mini-batches. Logits and gradients come from core/train.c.
import { FAULT_BYTES, throwStatus, withArena } from './core.mjs';
import { SsmLensError, checkNumber, describe } from './errors.mjs';
import { LIMITS, createModel, randomModel } from './model.mjs';
import { deriveSeed, mulberry32, shuffle } from './random.mjs';

/** The authors' training recipe (their public code); every field can be overridden. */
export const RECIPE = Object.freeze({
  epochs: 40,
  batchSize: 64,
  lr: 1e-2,
  weightDecay: 1e-5,
  clipNorm: 5,
  // Adam's defaults in PyTorch.
  betas: [0.9, 0.999],
  eps: 1e-8,
  // Penalty factor · max(0, minStd − std(sigmoid(logits))) over the batch.
  minStd: 0.1,
  penaltyFactor: 10,
  // ReduceLROnPlateau on the mean epoch loss: relative threshold, patience in epochs.
  plateauFactor: 0.9,
  plateauPatience: 5,
  plateauThreshold: 0.01,
});

/** Columns of the per-epoch log, as in the authors' logs plus lr. */
export const LOG_COLUMNS = Object.freeze([
  'epoch', 's_A', 'L_p', 'B_q', 'B_B', 'M_B', 'B_C', 'M_C', 'B_A', 'B_u', 'loss', 'lr',
]);

const TENSORS = ['embedding', 'A', 'W_B', 'W_C', 'q', 'p', 'W'];

/** Offsets and lengths of each tensor in the packed float64 parameter vector. */
export function parameterLayout({ vocab, d, N, K }) {
  const lengths = { embedding: vocab * d, A: d * N, W_B: N * d, W_C: N * d, q: d, p: 1, W: K * d };
  const offsets = {};
  let total = 0;
  for (const name of TENSORS) {
    offsets[name] = total;
    total += lengths[name];
  }
  return { vocab, d, N, K, offsets, lengths, count: total };
}

/** Packs a token model's parameters into one float64 vector. */
export function packParameters(model) {
  if (!model?.embedding) {
    throw new SsmLensError(`model: training needs a model with an embedding (token inputs), got ${model ? 'a model without one' : describe(model)}`);
  }
  const layout = parameterLayout(model);
  const params = new Float64Array(layout.count);
  for (const name of TENSORS) {
    if (name === 'p') params[layout.offsets.p] = model.p;
    else params.set(model[name], layout.offsets[name]);
  }
  return { layout, params };
}

/** Creates a Model (float32) from a packed float64 parameter vector. */
export function unpackParameters(layout, params, { source = 'trained' } = {}) {
  const slice = (name) => params.subarray(layout.offsets[name], layout.offsets[name] + layout.lengths[name]);
  return createModel({
    d: layout.d, N: layout.N, K: layout.K, vocab: layout.vocab,
    embedding: slice('embedding'), A: slice('A'), W_B: slice('W_B'), W_C: slice('W_C'),
    q: slice('q'), p: params[layout.offsets.p], W: slice('W'), source,
  });
}

/**
 * Checks a dataset split { tokens: Int32Array, offsets: Int32Array (count+1),
 * labels, count } against a vocabulary and a class count.
 */
function checkSplit(name, split, vocab, classes, { allowEmpty = false, labelled = true } = {}) {
  if (split == null || !(split.tokens instanceof Int32Array) || !(split.offsets instanceof Int32Array)) {
    throw new SsmLensError(`${name} must be { tokens: Int32Array, offsets: Int32Array, labels, count }, got ${describe(split)}`);
  }
  const { tokens, offsets, labels, count } = split;
  checkNumber(`${name}.count`, count, { min: allowEmpty ? 0 : 1, max: 2 ** 31 - 2, integer: true });
  if (offsets.length !== count + 1 || offsets[0] !== 0 || offsets[count] !== tokens.length) {
    throw new SsmLensError(`${name}.offsets must have count + 1 = ${count + 1} entries from 0 to tokens.length = ${tokens.length}, got ${offsets.length} entries from ${offsets[0]} to ${offsets[offsets.length - 1]}`);
  }
  for (let i = 0; i < count; i++) {
    if (offsets[i + 1] <= offsets[i]) {
      throw new SsmLensError(`${name}: sequence ${i} is empty or its offsets decrease (${offsets[i]} to ${offsets[i + 1]}); every sequence needs at least one token`);
    }
  }
  for (let t = 0; t < tokens.length; t++) {
    if (tokens[t] < 0 || tokens[t] >= vocab) {
      throw new SsmLensError(`${name}.tokens must be in 0..${vocab - 1} (vocabulary size ${vocab}), got ${tokens[t]} at position ${t}`);
    }
  }
  if (!labelled) return;
  if (labels == null || labels.length !== count) {
    throw new SsmLensError(`${name}.labels must have count = ${count} entries, got ${describe(labels)}`);
  }
  const top = classes === 1 ? 1 : classes - 1;
  for (let i = 0; i < count; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] > top) {
      throw new SsmLensError(`${name}.labels must be integers in 0..${top}, got ${describe(labels[i])} at ${i}`);
    }
  }
}

/** Copies the sequences listed in `indices` into a new split. */
export function selectSequences(split, indices) {
  let total = 0;
  for (const i of indices) total += split.offsets[i + 1] - split.offsets[i];
  const tokens = new Int32Array(total);
  const offsets = new Int32Array(indices.length + 1);
  const labels = new Int32Array(indices.length);
  let at = 0;
  indices.forEach((i, position) => {
    const start = split.offsets[i];
    const end = split.offsets[i + 1];
    tokens.set(split.tokens.subarray(start, end), at);
    at += end - start;
    offsets[position + 1] = at;
    labels[position] = split.labels[i];
  });
  return { tokens, offsets, labels, count: indices.length };
}

function kernelName(base, kernel) {
  if (kernel === 'simd') return base;
  if (kernel === 'plain') return `${base}_plain`;
  throw new SsmLensError(`kernel must be 'simd' or 'plain', got ${describe(kernel)}`);
}

/** Checks a layout, its parameter vector and an unlabelled split before a kernel call. */
function checkCall(layout, params, split) {
  const expected = layout && parameterLayout(layout);
  if (!expected || !Number.isInteger(expected.count) || expected.count !== layout.count) {
    throw new SsmLensError(`layout must come from parameterLayout or packParameters, got ${describe(layout)}`);
  }
  for (const name of ['vocab', 'd', 'N', 'K']) {
    checkNumber(`layout.${name}`, layout[name], { min: 1, max: name === 'vocab' ? LIMITS.vocab : 4096, integer: true });
  }
  if (!(params instanceof Float64Array) || params.length !== layout.count) {
    throw new SsmLensError(`params must be a Float64Array of ${layout.count} values (the packed layout), got ${describe(params)}`);
  }
  checkSplit('split', split, layout.vocab, 0, { labelled: false });
}

function checkBatchMemory(layout, split) {
  let longest = 0;
  for (let i = 0; i < split.count; i++) longest = Math.max(longest, split.offsets[i + 1] - split.offsets[i]);
  // In float64, an upper bound for both kernels: the states of the longest
  // sequence (the plain twin keeps 2 + 2N more per step), and the per-token
  // tables (4 of V×d×N, 3 of V×N and 2 of V).
  const M = layout.d * layout.N;
  const perToken = 4 * M + 3 * layout.N + 2;
  const bytes = 8 * (longest * (M + 2 * layout.N + 2) + layout.vocab * perToken) + 4 * split.tokens.length;
  if (bytes > 3 * 2 ** 30) {
    throw new SsmLensError(`batch: its longest sequence (${longest} tokens) with d·N = ${layout.d * layout.N} states needs about ${(bytes / 2 ** 30).toFixed(1)} GiB of WebAssembly memory, above the 3 GiB limit; use shorter sequences or fewer states`, { code: 'shape' });
  }
}

/**
 * Returns the logits (count×K, Float64Array) of every sequence of a split
 * for packed float64 parameters.
 */
export function tokenLogits(exports, layout, params, split, { kernel = 'simd' } = {}) {
  const run = exports[kernelName('ssm_token_logits', kernel)];
  checkCall(layout, params, split);
  checkBatchMemory(layout, split);
  return callLogits(run, exports, layout, params, split);
}

/** Runs a logits kernel on arguments already checked (trainModel checks its data once). */
function callLogits(run, exports, layout, params, split) {
  return withArena(exports, (arena) => {
    const paramsPointer = arena.float64(params);
    const tokens = arena.int32(split.tokens);
    const offsets = arena.int32(split.offsets);
    const logits = arena.alloc(split.count * layout.K * 8);
    const fault = arena.alloc(FAULT_BYTES);
    const status = run(paramsPointer, layout.vocab, layout.d, layout.N, layout.K,
      tokens, offsets, split.count, logits, fault);
    if (status !== 0) throwTrainingStatus(status, arena.readFault(fault), layout);
    return arena.readFloat64(logits, split.count * layout.K);
  });
}

/**
 * Returns the gradient (packed layout, Float64Array) of Σ_i dlogits_i ·
 * logits_i with respect to the parameters, by backpropagation through
 * the scan.
 */
export function tokenGradient(exports, layout, params, split, dlogits, { kernel = 'simd' } = {}) {
  const run = exports[kernelName('ssm_token_backward', kernel)];
  checkCall(layout, params, split);
  if (!(dlogits instanceof Float64Array) || dlogits.length !== split.count * layout.K) {
    throw new SsmLensError(`dlogits must be a Float64Array of count × K = ${split.count * layout.K} values, got ${describe(dlogits)}`);
  }
  const bad = dlogits.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) throw new SsmLensError(`dlogits contains NaN or Infinity at index ${bad}`, { code: 'nonfinite' });
  checkBatchMemory(layout, split);
  return callGradient(run, exports, layout, params, split, dlogits);
}

/** Runs a backward kernel on arguments already checked. */
function callGradient(run, exports, layout, params, split, dlogits) {
  return withArena(exports, (arena) => {
    const paramsPointer = arena.float64(params);
    const tokens = arena.int32(split.tokens);
    const offsets = arena.int32(split.offsets);
    const dlogitsPointer = arena.float64(dlogits);
    const grad = arena.alloc(layout.count * 8);
    const fault = arena.alloc(FAULT_BYTES);
    const status = run(paramsPointer, layout.vocab, layout.d, layout.N, layout.K,
      tokens, offsets, split.count, dlogitsPointer, grad, fault);
    if (status !== 0) throwTrainingStatus(status, arena.readFault(fault), layout);
    return arena.readFloat64(grad, layout.count);
  });
}

function throwTrainingStatus(status, fault, layout) {
  if (fault.what === 1) {
    // Parameter faults carry the packed position; name the tensor and its entry.
    const name = TENSORS.find((tensor) => fault.step < layout.offsets[tensor] + layout.lengths[tensor]) ?? 'W';
    const entry = fault.step - layout.offsets[name];
    const problem = status === 3 ? 'has a gradient beyond the float64 range' : 'contains NaN or Infinity';
    throw new SsmLensError(`parameter ${name} ${problem} at flat index ${entry}`, { code: status === 3 ? 'overflow' : 'nonfinite' });
  }
  if (fault.what === 5) {
    throw new SsmLensError(`overflow: the logits of sequence ${fault.step} exceed the float64 range; with s_A > 0 the state grows like e^(s_A·Λ[t])`, { code: 'overflow', step: fault.step });
  }
  throwStatus(status, fault);
}

/**
 * Computes the authors' loss of one batch: mean binary cross-entropy with
 * logits (K = 1) or mean cross-entropy (K > 1), plus factor · max(0,
 * minStd − s) where s is the sample standard deviation of sigmoid(logits)
 * over all of the batch's logits. Returns { loss, dlogits, correct }. The
 * core computes it (ssm_batch_loss), so that its exp and log round the same
 * in every JavaScript engine.
 */
export function batchLoss(exports, logits, labels, K, { minStd = RECIPE.minStd, penaltyFactor = RECIPE.penaltyFactor } = {}) {
  checkNumber('K', K, { min: 1, max: LIMITS.K, integer: true });
  checkNumber('minStd', minStd, { min: 0, max: 1 });
  checkNumber('penaltyFactor', penaltyFactor, { min: 0, max: 1e6 });
  if (labels == null || typeof labels.length !== 'number' || labels.length < 1) {
    throw new SsmLensError(`labels must be a non-empty array of class indices, got ${describe(labels)}`);
  }
  const count = labels.length;
  if (logits == null || logits.length !== count * K) {
    throw new SsmLensError(`logits must have labels.length × K = ${count * K} values, got ${describe(logits)}`);
  }
  const top = K === 1 ? 1 : K - 1;
  for (let i = 0; i < count; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] > top) {
      throw new SsmLensError(`labels must be integers in 0..${top}, got ${describe(labels[i])} at ${i}`);
    }
  }
  const bad = Array.prototype.findIndex.call(logits, (value) => !Number.isFinite(value));
  if (bad >= 0) throw new SsmLensError(`logits contains NaN or Infinity at index ${bad}`, { code: 'nonfinite' });

  return withArena(exports, (arena) => {
    const logitsPointer = arena.float64(logits);
    const labelsPointer = arena.int32(labels);
    const lossPointer = arena.alloc(8);
    const correctPointer = arena.alloc(4);
    const dlogits = arena.alloc(logits.length * 8);
    const fault = arena.alloc(FAULT_BYTES);
    const status = exports.ssm_batch_loss(logitsPointer, labelsPointer, count, K, minStd, penaltyFactor,
      lossPointer, correctPointer, dlogits, fault);
    if (status !== 0) throwStatus(status, arena.readFault(fault));
    return {
      loss: arena.readFloat64(lossPointer, 1)[0],
      dlogits: arena.readFloat64(dlogits, logits.length),
      correct: new Int32Array(exports.memory.buffer, correctPointer, 1)[0],
    };
  });
}

/** Norms logged each epoch, from float64 parameters, as the authors log them. */
export function logNorms(layout, params) {
  const view = (name) => params.subarray(layout.offsets[name], layout.offsets[name] + layout.lengths[name]);
  const frobenius = (values) => Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  const absSum = (values) => values.reduce((sum, v) => sum + Math.abs(v), 0);
  const A = view('A');
  let s_A = -Infinity;
  let B_A = 0;
  for (const a of A) {
    s_A = Math.max(s_A, a);
    B_A = Math.max(B_A, Math.abs(a));
  }
  const embedding = view('embedding');
  let B_u = 0;
  for (let v = 0; v < layout.vocab; v++) {
    B_u = Math.max(B_u, frobenius(embedding.subarray(v * layout.d, (v + 1) * layout.d)));
  }
  return {
    s_A,
    L_p: Math.abs(params[layout.offsets.p]),
    B_q: frobenius(view('q')),
    B_B: frobenius(view('W_B')),
    M_B: absSum(view('W_B')),
    B_C: frobenius(view('W_C')),
    M_C: absSum(view('W_C')),
    B_A,
    B_u,
  };
}

/** Adam with L2 weight decay added to the gradient, as torch.optim.Adam does. */
export class Adam {
  constructor(count, { lr, betas, eps, weightDecay }) {
    this.lr = lr;
    this.betas = betas;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.m = new Float64Array(count);
    this.v = new Float64Array(count);
    this.step = 0;
    // beta1^step and beta2^step as running products: only +, ×, ÷ and sqrt
    // are used, which round the same in every JavaScript engine.
    this.power1 = 1;
    this.power2 = 1;
  }

  update(params, grad) {
    const [beta1, beta2] = this.betas;
    this.step += 1;
    this.power1 *= beta1;
    this.power2 *= beta2;
    const correction1 = 1 - this.power1;
    const correction2 = 1 - this.power2;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i] + this.weightDecay * params[i];
      this.m[i] = beta1 * this.m[i] + (1 - beta1) * g;
      this.v[i] = beta2 * this.v[i] + (1 - beta2) * g * g;
      const denominator = Math.sqrt(this.v[i]) / Math.sqrt(correction2) + this.eps;
      params[i] -= (this.lr / correction1) * (this.m[i] / denominator);
    }
  }
}

/** ReduceLROnPlateau (mode min, relative threshold), as in PyTorch. */
export class PlateauScheduler {
  constructor({ factor, patience, threshold, eps = 1e-8 }) {
    this.eps = eps;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.best = Infinity;
    this.badEpochs = 0;
  }

  /** Returns the learning rate to use after an epoch with mean loss `loss`. */
  step(loss, lr) {
    if (loss < this.best * (1 - this.threshold)) {
      this.best = loss;
      this.badEpochs = 0;
    } else {
      this.badEpochs += 1;
    }
    if (this.badEpochs > this.patience) {
      this.badEpochs = 0;
      // PyTorch skips a reduction smaller than eps.
      if (lr - lr * this.factor > this.eps) return lr * this.factor;
    }
    return lr;
  }
}

/** Scales grad in place so that its Euclidean norm is at most maxNorm; returns the norm before. */
export function clipGradient(grad, maxNorm) {
  // Scaled by the largest entry, so that squares of entries up to the
  // float64 limit do not overflow the sum.
  let largest = 0;
  for (const g of grad) largest = Math.max(largest, Math.abs(g));
  let squares = 0;
  if (largest > 0 && Number.isFinite(largest)) {
    for (const g of grad) {
      const ratio = g / largest;
      squares += ratio * ratio;
    }
  }
  const norm = largest === 0 ? 0 : largest * Math.sqrt(squares);
  if (!Number.isFinite(norm)) {
    throw new SsmLensError(`the gradient norm exceeds the float64 range (largest entry ${largest})`, { code: 'overflow' });
  }
  // torch.nn.utils.clip_grad_norm_ scales by maxNorm / (norm + 1e-6).
  const scale = maxNorm / (norm + 1e-6);
  if (scale < 1) {
    for (let i = 0; i < grad.length; i++) grad[i] *= scale;
  }
  return norm;
}

/** True for the errors that mean training diverged, not that a call was invalid. */
function isDivergence(error) {
  return error instanceof SsmLensError && (error.code === 'overflow' || error.code === 'nonfinite');
}

/**
 * Lets pending messages (a stop request in a worker) run between epochs.
 * Browsers clamp nested setTimeout calls to 4 ms, so they get a
 * MessageChannel round trip, which is not clamped.
 */
function yieldToEventLoop() {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Accuracy and mean loss (without the penalty) of a model on a split.
 */
export function evaluate(exports, layout, params, split, { kernel = 'simd' } = {}) {
  checkSplit('split', split, layout.vocab, layout.K === 1 ? 2 : layout.K);
  const logits = tokenLogits(exports, layout, params, split, { kernel });
  const { loss, correct } = batchLoss(exports, logits, split.labels, layout.K, { penaltyFactor: 0 });
  return { accuracy: correct / split.count, loss };
}

const TRAIN_OPTIONS = new Set([...Object.keys(RECIPE), 'model', 'd', 'N', 'sA', 'seed', 'onEpoch', 'signal', 'kernel']);

function resolveRecipe(options) {
  const recipe = { ...RECIPE, ...options };
  checkNumber('epochs', recipe.epochs, { min: 0, max: 1e5, integer: true });
  checkNumber('batchSize', recipe.batchSize, { min: 1, max: 1e6, integer: true });
  checkNumber('lr', recipe.lr, { min: 0, max: 10 });
  checkNumber('weightDecay', recipe.weightDecay, { min: 0, max: 10 });
  checkNumber('clipNorm', recipe.clipNorm, { min: 0, max: 1e10, open: true });
  checkNumber('minStd', recipe.minStd, { min: 0, max: 1 });
  checkNumber('penaltyFactor', recipe.penaltyFactor, { min: 0, max: 1e6 });
  checkNumber('plateauFactor', recipe.plateauFactor, { min: 0, max: 1, open: true });
  checkNumber('plateauPatience', recipe.plateauPatience, { min: 0, max: 1e5, integer: true });
  checkNumber('plateauThreshold', recipe.plateauThreshold, { min: 0, max: 1 });
  checkNumber('eps', recipe.eps, { min: 0, max: 1, open: true });
  if (!Array.isArray(recipe.betas) || recipe.betas.length !== 2 || recipe.betas.some((b) => !(b >= 0 && b < 1))) {
    throw new SsmLensError(`betas must be two numbers in [0, 1), got ${describe(recipe.betas)}`);
  }
  return recipe;
}

/**
 * Trains a token model on data.train and evaluates it on data.train and
 * data.test. data: { train, test, classes, vocab? } as made by
 * majorityTask or listopsTask (classes 2 trains one logit with binary
 * cross-entropy; more trains K = classes logits).
 * options: the fields of RECIPE, and
 *   model     a Model to start from (with an embedding), or else
 *   d, N, sA  for randomModel with the authors' initialization, seeded
 *             from seed (which also seeds the shuffling)
 *   onEpoch(row)     called after each epoch with the log row
 *   signal           an AbortSignal; training stops after the current epoch
 *   kernel           'simd' (default) or 'plain'
 * Returns { model, log, epochs, stopped, diverged, train, test, seconds }:
 * log rows have LOG_COLUMNS (epoch 0 is the initial model, with loss null);
 * diverged is null or { epoch, batch, message } when the logits or the
 * gradient overflowed, and model is then the last finite one.
 */
export async function trainModel(data, options = {}) {
  const started = Date.now();
  if (options == null || typeof options !== 'object') {
    throw new SsmLensError(`options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!TRAIN_OPTIONS.has(key)) {
      throw new SsmLensError(`trainModel: unknown option '${key}'; expected one of ${[...TRAIN_OPTIONS].join(', ')}`);
    }
  }
  if (options.onEpoch !== undefined && typeof options.onEpoch !== 'function') {
    throw new SsmLensError(`onEpoch must be a function, got ${describe(options.onEpoch)}`);
  }
  if (options.signal !== undefined && typeof options.signal?.aborted !== 'boolean') {
    throw new SsmLensError(`signal must be an AbortSignal, got ${describe(options.signal)}`);
  }
  if (options.seed !== undefined) checkNumber('seed', options.seed, { min: 0, max: 2 ** 32 - 1, integer: true });
  const recipe = resolveRecipe(options);
  const { classes } = data ?? {};
  checkNumber('data.classes', classes, { min: 2, max: LIMITS.K, integer: true });
  const K = classes === 2 ? 1 : classes;
  const vocabSize = Array.isArray(data.vocab) ? data.vocab.length : data.vocab;

  // The initialization and, from its seed, the shuffling draw from streams
  // of their own, so that a task generated with the same seed shares no draws.
  const initSeed = deriveSeed(options.seed ?? 0, 1);
  let initial = options.model;
  if (!initial) {
    const { d = 4, N = 4, sA = 0 } = options;
    if (!Array.isArray(data.vocab) && !Number.isInteger(data.vocab)) {
      throw new SsmLensError(`data.vocab must be the task's vocabulary (an array) or its size, got ${describe(data.vocab)}`);
    }
    initial = await randomModel({ d, N, sA, seed: initSeed, vocab: vocabSize, K });
  }
  const { layout, params } = packParameters(initial);
  if (layout.K !== K) {
    throw new SsmLensError(`model: the task has ${classes} classes, so the model needs K = ${K} readout rows, got K = ${layout.K}`);
  }
  checkSplit('data.train', data.train, layout.vocab, classes);
  checkSplit('data.test', data.test, layout.vocab, classes, { allowEmpty: true });
  // Every batch is a subset of the training split, so checking the split once
  // covers the kernel calls of the loop, which skip the per-call checks.
  checkBatchMemory(layout, data.train);
  const exports = initial.exports;
  const kernel = options.kernel ?? 'simd';
  const runLogits = exports[kernelName('ssm_token_logits', kernel)];
  const runBackward = exports[kernelName('ssm_token_backward', kernel)];

  const optimizer = new Adam(layout.count, recipe);
  const scheduler = new PlateauScheduler({
    factor: recipe.plateauFactor, patience: recipe.plateauPatience, threshold: recipe.plateauThreshold,
  });
  // The shuffling stream is separate from the model's and the data's seeds.
  const random = mulberry32(deriveSeed(initSeed, 2));
  const order = Array.from({ length: data.train.count }, (_, i) => i);

  const log = [{ epoch: 0, ...logNorms(layout, params), loss: null, lr: optimizer.lr }];
  options.onEpoch?.(log[0]);
  let diverged = null;
  let stopped = false;
  let lastFinite = params.slice();

  for (let epoch = 1; epoch <= recipe.epochs && !diverged; epoch++) {
    if (options.signal?.aborted) {
      stopped = true;
      break;
    }
    shuffle(order, random);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += recipe.batchSize) {
      const batch = selectSequences(data.train, order.slice(start, start + recipe.batchSize));
      try {
        const logits = callLogits(runLogits, exports, layout, params, batch);
        const { loss, dlogits } = batchLoss(exports, logits, batch.labels, K, recipe);
        const grad = callGradient(runBackward, exports, layout, params, batch, dlogits);
        clipGradient(grad, recipe.clipNorm);
        optimizer.update(params, grad);
        if (!params.every(Number.isFinite)) {
          throw new SsmLensError('a parameter became NaN or Infinity after the optimizer step', { code: 'nonfinite' });
        }
        lossSum += loss;
        batches += 1;
      } catch (error) {
        if (!isDivergence(error)) throw error;
        diverged = { epoch, batch: batches, message: error.message };
        break;
      }
    }
    if (diverged) break;

    lastFinite = params.slice();
    const loss = lossSum / batches;
    const row = { epoch, ...logNorms(layout, params), loss, lr: optimizer.lr };
    log.push(row);
    optimizer.lr = scheduler.step(loss, optimizer.lr);
    options.onEpoch?.(row);
    await yieldToEventLoop();
  }

  const model = await unpackParameters(layout, lastFinite, { source: 'trained with ssm-lens' });
  const outcome = { model, log, epochs: log.length - 1, stopped, diverged, train: null, test: null };
  try {
    outcome.train = evaluate(exports, layout, lastFinite, data.train, { kernel });
    if (data.test.count > 0) outcome.test = evaluate(exports, layout, lastFinite, data.test, { kernel });
  } catch (error) {
    if (!isDivergence(error)) throw error;
    // A model whose logits overflow on its own data has no accuracy to report.
    outcome.diverged ??= { epoch: outcome.epochs, batch: null, message: error.message };
  }
  outcome.seconds = (Date.now() - started) / 1000;
  return outcome;
}
