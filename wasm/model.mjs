// Models: from parameters, from the authors' PyTorch state dicts, or from
// a seeded random initialization; and their forward pass and attention.
import { loadWasm } from './loader.mjs';
import {
  FAULT_BYTES, checkLayout, formatBytes, throwStatus, withArena, VIEW_LOGIT, VIEW_MEAN,
} from './core.mjs';
import { SsmLensError, checkNumber, describe, toFloat32 } from './errors.mjs';
import { mulberry32, normalSampler } from './random.mjs';
import { parseSafetensors, writeSafetensors } from './safetensors.mjs';

export const LIMITS = Object.freeze({
  d: 4096, N: 4096, K: 4096, vocab: 1 << 20, T: 1e9,
  // The full T×T matrix in float32 is 1 GiB at this length.
  attentionT: 16384,
  pooledSize: 2048,
  // Values in an embedding (vocab × d): 2^27 float32 values are 512 MiB.
  embeddingValues: 2 ** 27,
  // Multiply-adds (exponentials for the plain kernels) that one call may
  // need before it is refused; at the rates bench/run.mjs measures this is
  // tens of seconds of one core.
  work: 5e10,
  plainWork: 1e9,
});

// The authors' checkpoints: the majority model (one logit) and the ListOps
// model (K logits); both as PyTorch state-dict names.
const STATE_DICT_LAYOUTS = [
  {
    name: 'single-output',
    tensors: {
      embedding: 'embedding.weight', A: 'SSM.ssm.A', W_B: 'SSM.ssm.W_B', W_C: 'SSM.ssm.W_C',
      q: 'SSM.ssm.q_delta', p: 'SSM.ssm.p_delta', W: 'SSM.w',
    },
  },
  {
    name: 'K-class',
    tensors: {
      embedding: 'embedding.weight', A: 'ssm.A', W_B: 'ssm.W_B', W_C: 'ssm.W_C',
      q: 'ssm.q_delta', p: 'ssm.p_delta', W: 'W',
    },
  },
];

let wasmExports = null;

// Only this module's factories may construct a Model: the constructor does
// not check its parts, and unchecked lengths would read past them in wasm.
const FACTORY = Symbol('ssm-lens model factory');

async function ensureWasm() {
  if (!wasmExports) {
    const instance = await loadWasm();
    checkLayout(instance.exports);
    wasmExports = instance.exports;
  }
  return wasmExports;
}

/**
 * A selective SSM block: A (d×N), W_B and W_C (N×d), q (d), p, readout W
 * (K×d; K = 1 is the vector w) and an optional embedding (vocab×d).
 * Create it with createModel, modelFromStateDict or randomModel.
 */
export class Model {
  constructor(parts, exports, factory) {
    if (factory !== FACTORY) {
      throw new SsmLensError('use createModel, modelFromStateDict or randomModel to make a Model');
    }
    Object.assign(this, parts);
    this.exports = exports;
    Object.freeze(this);
  }

  /** The spectral abscissa of A: its largest entry. */
  get sA() {
    let largest = -Infinity;
    for (const a of this.A) largest = Math.max(largest, a);
    return largest;
  }

  /** The readout as a vector when K = 1, else null. */
  get w() {
    return this.K === 1 ? this.W : null;
  }

  /**
   * Runs the recurrent scan. input: token ids (needs an embedding), a T×d
   * nested array, or a flat Float32Array/Float64Array of T·d values.
   * Returns { T, d, delta (T), y (T×d row-major), y_last (d), logits (K) }.
   */
  forward(input, { kernel = 'simd' } = {}) {
    const { u, T } = this.toInput(input);
    const run = kernelFunction(this.exports, 'ssm_forward', kernel);
    checkMemory('the forward pass', T * (8 * this.d + 4), T);
    checkWork('the forward pass', T * this.d * this.N, kernel === 'plain' ? LIMITS.plainWork * 10 : LIMITS.work);
    return withArena(this.exports, (arena) => {
      const model = arena.model(this);
      const uPointer = arena.float32(u);
      const delta = arena.alloc(T * 4);
      const y = arena.alloc(T * this.d * 4);
      const logits = arena.alloc(this.K * 4);
      const fault = arena.alloc(FAULT_BYTES);
      const status = run(model, uPointer, T, delta, y, logits, fault);
      if (status !== 0) throwStatus(status, arena.readFault(fault), { model: this });
      const yValues = arena.readFloat32(y, T * this.d);
      return {
        T,
        d: this.d,
        delta: arena.readFloat32(delta, T),
        y: yValues,
        y_last: yValues.slice((T - 1) * this.d),
        logits: arena.readFloat32(logits, this.K),
      };
    });
  }

  /**
   * Returns the T×T attention matrix as a row-major Float32Array: row t is
   * the output step, column s the input step, zero above the diagonal.
   * view: a channel index j, 'mean' (mean over channels) or 'logit' (the
   * attribution c_t[s] = Σ_j W[k,j] α_j[t,s] u_j[s]; row T-1 sums to
   * logits[k]). options.k selects the readout row of the logit view
   * (default 0 for one logit, else the arg-max of the logits).
   * options.out, a Float32Array of T·T values, receives the matrix instead
   * of a new array, which saves an allocation when a page redraws.
   */
  attention(input, view = 'mean', { k, kernel = 'simd', out } = {}) {
    const { u, T } = this.toInput(input);
    const viewCode = this.viewCode(view);
    if (T > LIMITS.attentionT) {
      throw new SsmLensError(`input: the full attention matrix is limited to T ≤ ${LIMITS.attentionT} (1 GiB of float32), got T = ${T}; use attentionPooled() for longer inputs`, { code: 'shape' });
    }
    const lanes = viewCode >= 0 ? this.N : this.d * this.N;
    checkMemory('this view', T * T * 4 + T * lanes * 28, T);
    const entries = (T * (T + 1) / 2) * lanes;
    checkWork(`the ${view} view`, entries, kernel === 'plain' ? LIMITS.plainWork : LIMITS.work, 'a channel view, or attentionPooled()');
    if (out !== undefined && (!(out instanceof Float32Array) || out.length !== T * T)) {
      throw new SsmLensError(`out must be a Float32Array of T·T = ${T * T} values, got ${describe(out)}`);
    }
    let row = 0;
    if (viewCode === VIEW_LOGIT) row = this.logitRow(k, input);
    const run = kernelFunction(this.exports, 'ssm_attention', kernel);
    return withArena(this.exports, (arena) => {
      const model = arena.model(this);
      const uPointer = arena.float32(u);
      const alpha = arena.alloc(T * T * 4);
      const fault = arena.alloc(FAULT_BYTES);
      const status = run(model, uPointer, T, viewCode, row, alpha, fault);
      if (status !== 0) throwStatus(status, arena.readFault(fault), { model: this });
      if (!out) return arena.readFloat32(alpha, T * T);
      out.set(new Float32Array(this.exports.memory.buffer, alpha, T * T));
      return out;
    });
  }

  /**
   * Returns the attention matrix reduced to size×size cells without forming
   * it, for inputs too long to draw cell by cell: { T, size, mode, values }
   * with values a row-major Float32Array. Row t and column s fall in cell
   * floor(t·size/T) and floor(s·size/T). mode 'max' keeps the largest |α|
   * of each cell; 'mean' the mean, zeros above the diagonal included.
   * Options: size (default min(T, 512), at most 2048 and T), mode
   * (default 'max'), k and kernel as for attention().
   */
  attentionPooled(input, view = 'mean', { size, mode = 'max', k, kernel = 'simd' } = {}) {
    const { u, T } = this.toInput(input);
    const viewCode = this.viewCode(view);
    size ??= Math.min(T, 512);
    checkNumber('size', size, { min: 1, max: Math.min(T, LIMITS.pooledSize), integer: true });
    const modeCode = { max: 0, mean: 1 }[mode];
    if (mode !== 'max' && mode !== 'mean') {
      throw new SsmLensError(`mode must be 'max' or 'mean', got ${describe(mode)}`);
    }
    const lanes = viewCode >= 0 ? this.N : this.d * this.N;
    checkMemory('the pooled view', T * lanes * 28 + T * (this.d * 4 + 32 * 4 + 8) + size * size * 12, T);
    // The mean factors over lanes (T²M/64 products); the max needs every
    // entry in the worst case, when no lane decays.
    const entries = (T * (T + 1) / 2) * lanes;
    let work = mode === 'mean' ? entries / 32 : entries;
    if (kernel === 'plain') work = entries;
    const hint = mode === 'max' ? "mode 'mean', or a shorter input" : 'a shorter input';
    checkWork(`the pooled ${mode} view`, work, kernel === 'plain' ? LIMITS.plainWork : LIMITS.work, hint);
    let row = 0;
    if (viewCode === VIEW_LOGIT) row = this.logitRow(k, input);
    const run = kernelFunction(this.exports, 'ssm_attention_pooled', kernel);
    const values = withArena(this.exports, (arena) => {
      const model = arena.model(this);
      const uPointer = arena.float32(u);
      const pooled = arena.alloc(size * size * 4);
      const fault = arena.alloc(FAULT_BYTES);
      const status = run(model, uPointer, T, viewCode, row, size, modeCode, pooled, fault);
      if (status !== 0) throwStatus(status, arena.readFault(fault), { model: this });
      return arena.readFloat32(pooled, size * size);
    });
    return { T, size, mode, values };
  }

  viewCode(view) {
    if (view === 'mean') return VIEW_MEAN;
    if (view === 'logit') return VIEW_LOGIT;
    if (Number.isInteger(view) && view >= 0 && view < this.d) return view;
    if (typeof view === 'string' && /^\d+$/.test(view) && Number(view) < this.d) return Number(view);
    throw new SsmLensError(`view must be 'mean', 'logit' or a channel index 0..${this.d - 1}, got ${describe(view)}`);
  }

  logitRow(k, input) {
    if (k === undefined) {
      if (this.K === 1) return 0;
      const { logits } = this.forward(input);
      return logits.indexOf(Math.max(...logits));
    }
    return checkNumber('k', k, { min: 0, max: this.K - 1, integer: true });
  }

  /** Converts an input to { u: Float32Array (T×d), T }. */
  toInput(input) {
    const arrayLike = Array.isArray(input) || (ArrayBuffer.isView(input) && !(input instanceof DataView));
    if (!arrayLike) {
      throw new SsmLensError(`input must be token ids, a T×d array or a Float32Array, got ${describe(input)}`);
    }
    if (input.length === 0) {
      throw new SsmLensError('input must have at least one step (T ≥ 1), got an empty sequence', { code: 'shape' });
    }
    const isFloatArray = input instanceof Float32Array || input instanceof Float64Array;
    if (isFloatArray || Array.isArray(input[0]) || ArrayBuffer.isView(input[0])) {
      const T = isFloatArray ? input.length / this.d : input.length;
      if (!Number.isInteger(T)) {
        throw new SsmLensError(`input must hold T×d values with d = ${this.d}, got ${input.length} values (not a multiple of ${this.d})`);
      }
      checkNumber('T', T, { min: 1, max: LIMITS.T, integer: true });
      checkMemory('the input', T * this.d * 4, T);
      return { u: toFloat32('input', input, [T, this.d]), T };
    }
    return { u: this.embed(input), T: input.length };
  }

  embed(tokens) {
    if (!this.embedding) {
      throw new SsmLensError(`input: this model has no embedding, so input must be a T×d array with d = ${this.d}, got token ids`);
    }
    const T = tokens.length;
    checkNumber('T', T, { min: 1, max: LIMITS.T, integer: true });
    checkMemory('the embedded input', T * this.d * 4, T);
    const u = new Float32Array(T * this.d);
    for (let t = 0; t < T; t++) {
      const token = tokens[t];
      if (!Number.isInteger(token) || token < 0 || token >= this.vocab) {
        throw new SsmLensError(`input: token ids must be integers in 0..${this.vocab - 1} (vocabulary size ${this.vocab}), got ${describe(token)} at step ${t}`);
      }
      u.set(this.embedding.subarray(token * this.d, (token + 1) * this.d), t * this.d);
    }
    return u;
  }

  /** Returns the parameters as a state dict in the authors' single-output or K-class layout. */
  toStateDict() {
    const layout = STATE_DICT_LAYOUTS.find((l) => l.name === this.layout) ?? STATE_DICT_LAYOUTS[this.K === 1 ? 0 : 1];
    const shapes = this.shapes();
    const tensors = {};
    for (const [part, tensorName] of Object.entries(layout.tensors)) {
      if (part === 'embedding' && !this.embedding) continue;
      const data = part === 'p' ? [this.p] : Array.from(this[part]);
      tensors[tensorName] = { shape: shapes[part], data };
    }
    return { format: 'pytorch-state-dict', tensors };
  }

  /** Returns the parameters as a safetensors file (F32), in the layout of
   * toStateDict(). */
  toSafetensors() {
    return writeSafetensors(this.toStateDict().tensors, { format: 'pt', source: 'ssm-lens' });
  }

  shapes() {
    return {
      embedding: [this.vocab, this.d], A: [this.d, this.N], W_B: [this.N, this.d],
      W_C: [this.N, this.d], q: [this.d], p: [1],
      W: this.layout === 'single-output' ? [this.d] : [this.K, this.d],
    };
  }
}

/** Throws unless a call's WebAssembly memory stays under 3 GiB. */
function checkMemory(what, bytes, T) {
  if (bytes > 3 * 2 ** 30) {
    throw new SsmLensError(`input: ${what} of T = ${T} needs about ${formatBytes(bytes)} of WebAssembly memory, above the 3 GiB limit`, { code: 'shape' });
  }
}

/** Throws unless a call's work stays within its budget (see LIMITS.work). */
function checkWork(what, work, budget, alternative) {
  if (work > budget) {
    const instead = alternative ? `; use ${alternative}` : '';
    throw new SsmLensError(`input: ${what} needs about ${work.toExponential(1)} operations, above the limit of ${budget.toExponential(0)}${instead}`, { code: 'shape' });
  }
}

function kernelFunction(exports, name, kernel) {
  if (kernel === 'simd') return exports[name];
  if (kernel === 'plain') return exports[`${name}_plain`];
  throw new SsmLensError(`kernel must be 'simd' or 'plain', got ${describe(kernel)}`);
}

function lengthOf(value) {
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return value.length;
  return typeof value === 'number' ? 1 : 0;
}

/** Infers d, N, K and the vocabulary from the parameters' lengths. */
function inferSizes(params) {
  const d = lengthOf(params.q);
  if (d < 1) throw new SsmLensError(`q must be a vector of length d ≥ 1, got ${describe(params.q)}`);
  const rows = (value) => (Array.isArray(value) && Array.isArray(value[0]) ? value.length : null);
  const flatLength = (value) => (Array.isArray(value) ? value.flat(Infinity).length : lengthOf(value));
  const readout = params.W ?? params.w;
  if (readout === undefined) throw new SsmLensError('W (K×d) or w (d) is missing');
  return {
    d,
    N: params.N ?? rows(params.W_B) ?? flatLength(params.A) / d,
    K: params.K ?? (params.w !== undefined ? 1 : (rows(readout) ?? flatLength(readout) / d)),
    vocab: params.embedding == null ? 0 : (params.vocab ?? rows(params.embedding) ?? flatLength(params.embedding) / d),
  };
}

/**
 * Creates a model from parameters given as typed or nested arrays:
 * { A: d×N, W_B: N×d, W_C: N×d, q: d, p: number, w: d or W: K×d,
 *   embedding?: vocab×d }. Sizes are inferred from q (d), W_B or A (N) and
 * the readout (K); give d, N, K explicitly to make flat arrays unambiguous.
 */
export async function createModel(params) {
  const exports = await ensureWasm();
  if (params == null || typeof params !== 'object') {
    throw new SsmLensError(`parameters must be an object with A, W_B, W_C, q, p and w or W, got ${describe(params)}`);
  }
  for (const name of ['A', 'W_B', 'W_C', 'q', 'p']) {
    if (params[name] === undefined) throw new SsmLensError(`parameter ${name} is missing`);
  }
  const { d, N, K, vocab } = inferSizes(params);
  checkNumber('d', d, { min: 1, max: LIMITS.d, integer: true });
  checkNumber('N', N, { min: 1, max: LIMITS.N, integer: true });
  checkNumber('K', K, { min: 1, max: LIMITS.K, integer: true });
  if (params.embedding != null) {
    checkNumber('vocab', vocab, { min: 1, max: LIMITS.vocab, integer: true });
    if (vocab * d > LIMITS.embeddingValues) {
      throw new SsmLensError(`embedding: vocab × d = ${vocab} × ${d} values is above the limit of ${LIMITS.embeddingValues} (512 MiB of float32)`, { code: 'shape' });
    }
  }

  const p = toFloat32('p', params.p, [1])[0];
  const readout = params.W ?? params.w;
  return new Model({
    d, N, K, vocab,
    A: toFloat32('A', params.A, [d, N]),
    W_B: toFloat32('W_B', params.W_B, [N, d]),
    W_C: toFloat32('W_C', params.W_C, [N, d]),
    q: toFloat32('q', params.q, [d]),
    p,
    W: toFloat32(params.W !== undefined ? 'W' : 'w', readout, [K, d]),
    embedding: params.embedding == null ? null : toFloat32('embedding', params.embedding, [vocab, d]),
    source: params.source ?? 'parameters',
    layout: params.layout ?? (K === 1 ? 'single-output' : 'K-class'),
  }, exports, FACTORY);
}

/**
 * Creates a model from a PyTorch state dict exported as JSON: either
 * { tensors: { name: { shape, data } } } (the format of the authors'
 * converted checkpoints) or { name: nested array }. Both of the authors'
 * layouts are recognized: SSM.ssm.* with SSM.w (one logit), and ssm.*
 * with W (K logits). Missing, unknown or mis-shaped tensors are errors
 * that name the tensor.
 */
export async function modelFromStateDict(stateDict) {
  if (typeof stateDict === 'string') {
    try {
      stateDict = JSON.parse(stateDict);
    } catch (error) {
      throw new SsmLensError(`state dict: invalid JSON (${error.message})`);
    }
  }
  if (stateDict == null || typeof stateDict !== 'object') {
    throw new SsmLensError(`state dict must be an object, got ${describe(stateDict)}`);
  }
  const tensors = stateDict.tensors ?? stateDict;
  const names = Object.keys(tensors);
  const layout = STATE_DICT_LAYOUTS.find((l) => names.includes(l.tensors.A));
  if (!layout) {
    const expected = STATE_DICT_LAYOUTS.map((l) => `'${l.tensors.A}'`).join(' or ');
    throw new SsmLensError(`state dict: tensor ${expected} is missing; found ${names.length ? names.map((n) => `'${n}'`).join(', ') : 'no tensors'}`);
  }
  const known = new Set(Object.values(layout.tensors));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new SsmLensError(`state dict: unknown tensor ${unknown.map((n) => `'${n}'`).join(', ')} for the ${layout.name} layout (expected ${[...known].join(', ')})`);
  }

  const read = (part) => {
    const name = layout.tensors[part];
    const tensor = tensors[name];
    if (tensor === undefined) {
      if (part === 'embedding') return null;
      throw new SsmLensError(`state dict: tensor '${name}' is missing`);
    }
    if (Array.isArray(tensor) || typeof tensor === 'number') {
      return { shape: shapeOfNested(name, tensor), data: Array.isArray(tensor) ? tensor.flat(Infinity) : [tensor] };
    }
    if (tensor === null || typeof tensor !== 'object' || !Array.isArray(tensor.shape) ||
        !(Array.isArray(tensor.data) || ArrayBuffer.isView(tensor.data))) {
      throw new SsmLensError(`state dict: tensor '${name}' must be a nested array or an object with 'shape' and 'data' arrays, got ${describe(tensor)}`);
    }
    if (!tensor.shape.every((n) => Number.isInteger(n) && n >= 0)) {
      throw new SsmLensError(`state dict: tensor '${name}' has an invalid shape [${tensor.shape.map((n) => JSON.stringify(n))}]; expected non-negative integers`);
    }
    return tensor;
  };

  const A = read('A');
  if (A.shape.length !== 2) {
    throw new SsmLensError(`state dict: tensor '${layout.tensors.A}' must be d×N, got shape [${A.shape}]`);
  }
  const [d, N] = A.shape;
  const W = read('W');
  const K = layout.name === 'single-output' ? 1 : W.shape[0];
  const embedding = read('embedding');
  const vocab = embedding ? embedding.shape[0] : 0;
  const expected = {
    A: [d, N], W_B: [N, d], W_C: [N, d], q: [d], p: [1],
    W: layout.name === 'single-output' ? [d] : [K, d], embedding: [vocab, d],
  };
  const sizes = `d = ${d} and N = ${N} from '${layout.tensors.A}'`;
  const params = { d, N, K, vocab, source: `state dict (${layout.name})`, layout: layout.name };
  for (const part of Object.keys(expected)) {
    const loaded = { A, W };
    const tensor = loaded[part] ?? read(part);
    if (tensor === null) continue;
    const name = layout.tensors[part];
    // A scalar p may come with shape [] as well as [1].
    const shape = part === 'p' && tensor.shape.length === 0 ? [1] : tensor.shape;
    if (shape.length !== expected[part].length || shape.some((n, i) => n !== expected[part][i])) {
      throw new SsmLensError(`state dict: tensor '${name}' must have shape [${expected[part]}] (${sizes}), got [${tensor.shape}]`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (tensor.data.length !== count) {
      throw new SsmLensError(`state dict: tensor '${name}' has shape [${tensor.shape}] (${count} values) but contains ${tensor.data.length} values`);
    }
    params[part] = tensor.data;
  }
  // Pass the sizes explicitly so that each tensor is checked against them.
  params.K = K;
  params.embedding = params.embedding ?? null;
  try {
    return await createModel(params);
  } catch (error) {
    if (error instanceof SsmLensError) error.message = `state dict: ${error.message}`;
    throw error;
  }
}

/** Returns the shape of a nested array and throws on ragged or mixed nesting. */
/**
 * Creates a model from a safetensors file (a Uint8Array or ArrayBuffer) in
 * either of the authors' layouts. F32, F16 and BF16 tensors are read into
 * float32.
 */
export async function modelFromSafetensors(bytes) {
  const { tensors } = parseSafetensors(bytes);
  try {
    return await modelFromStateDict({ tensors });
  } catch (error) {
    if (error instanceof SsmLensError) error.message = error.message.replace(/^state dict: /, 'safetensors: ');
    throw error;
  }
}

/**
 * Creates a model from a model file's bytes, whichever of the two formats
 * it is: a state dict as JSON (it starts with '{') or safetensors.
 */
export async function modelFromFile(bytes) {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) {
    throw new SsmLensError(`model file must be a Uint8Array or ArrayBuffer of its bytes, got ${describe(bytes)}`);
  }
  let first = 0;
  while (first < bytes.length && [0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf].includes(bytes[first])) first++;
  if (bytes[first] === 0x7b) {
    return modelFromStateDict(new TextDecoder().decode(bytes));
  }
  return modelFromSafetensors(bytes);
}

function shapeOfNested(name, value) {
  if (!Array.isArray(value)) return [];
  const inner = value.map((item) => shapeOfNested(name, item));
  const first = JSON.stringify(inner[0] ?? []);
  inner.forEach((shape, i) => {
    if (JSON.stringify(shape) !== first) {
      throw new SsmLensError(`state dict: tensor '${name}' is ragged: item ${i} has shape [${shape}], item 0 has [${inner[0]}]`);
    }
  });
  return [value.length, ...(inner[0] ?? [])];
}

/**
 * Creates a seeded random model with the authors' initialization:
 * A = -10·U(0,1) + s_A with column 0 set to s_A (so the spectral abscissa
 * is exactly s_A), W_B, W_C, q, p, w and the embedding standard normal.
 * Options: { sA = 0, d = 4, N = 4, vocab = 2 (0 for no embedding), K = 1, seed = 0 }.
 */
export async function randomModel({ sA = 0, d = 4, N = 4, vocab = 2, K = 1, seed = 0 } = {}) {
  checkNumber('sA', sA, { min: -100, max: 100 });
  checkNumber('d', d, { min: 1, max: LIMITS.d, integer: true });
  checkNumber('N', N, { min: 1, max: LIMITS.N, integer: true });
  checkNumber('K', K, { min: 1, max: LIMITS.K, integer: true });
  checkNumber('vocab', vocab, { min: 0, max: LIMITS.vocab, integer: true });
  checkNumber('seed', seed, { min: 0, max: 2 ** 32 - 1, integer: true });
  if (vocab * d > LIMITS.embeddingValues) {
    throw new SsmLensError(`vocab × d = ${vocab} × ${d} values is above the embedding limit of ${LIMITS.embeddingValues} (512 MiB of float32)`, { code: 'shape' });
  }

  const random = mulberry32(seed);
  const normal = normalSampler(random);
  const normals = (count) => Float32Array.from({ length: count }, normal);

  const A = new Float32Array(d * N);
  for (let j = 0; j < d; j++) {
    for (let n = 0; n < N; n++) A[j * N + n] = n === 0 ? sA : -10 * random() + sA;
  }
  return createModel({
    d, N, K, vocab,
    A, W_B: normals(N * d), W_C: normals(N * d), q: normals(d), p: normal(),
    W: normals(K * d),
    embedding: vocab > 0 ? normals(vocab * d) : null,
    source: `random (seed ${seed}, s_A ${sA})`,
  });
}
