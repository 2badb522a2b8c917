// Calls into ssm_lens.wasm: copies arguments into wasm memory, runs one
// exported function and copies the results out. Every call allocates what
// it needs and frees it before returning, so no wasm memory outlives a call.
import { SsmLensError } from './errors.mjs';

// Byte sizes of the C structs in wasm32; checked against the module.
const MODEL_BYTES = 36;
export const FAULT_BYTES = 12;
export const NORM_FIELDS = [
  's_A', 'B_A', 'M_A', 'B_A_frobenius', 'B_B', 'B_B_frobenius', 'M_B',
  'B_C', 'B_C_frobenius', 'M_C', 'B_w', 'B_w_frobenius', 'M_w', 'B_q', 'M_q', 'p',
];
export const BOUND_INPUT_FIELDS = [
  's_A', 'B_A', 'B_B', 'B_C', 'B_w', 'B_q', 'p', 'd', 'N',
  'B_u', 'm', 'delta', 'c_l', 'l_l', 'T', 'eta',
];
export const BOUND_TERM_FIELDS = [
  'delta_min', 'M_delta', 'rho_A', 'log10_rho_A', 'rho_A_paper', 'log10_rho_A_paper',
  'S1', 'log10_S1', 'S2', 'log10_S2',
  'C_F', 'log10_C_F', 'gap_bound', 'vacuous', 'C_F_linear_attention',
  'log10_C_F_linear_attention', 'E_abs_rademacher_sum', 'lower_bound', 'log10_lower_bound',
  'lower_bound_paper', 'log10_lower_bound_paper',
];

const STATUS_CODES = ['ok', 'shape', 'nonfinite', 'overflow', 'alloc', 'argument'];
const MODEL_TENSORS = ['A', 'W_B', 'W_C', 'q', 'p', 'W'];
export const VIEW_MEAN = -1;
export const VIEW_LOGIT = -2;

/** Throws unless the module's struct sizes match the offsets used here. */
export function checkLayout(exports) {
  const expected = [MODEL_BYTES, NORM_FIELDS.length * 8, BOUND_INPUT_FIELDS.length * 8,
    BOUND_TERM_FIELDS.length * 8, FAULT_BYTES];
  expected.forEach((bytes, which) => {
    const actual = exports.ssm_struct_size(which);
    if (actual !== bytes) {
      throw new Error(`ssm-lens: ssm_lens.wasm does not match this JavaScript (struct ${which} is ${actual} bytes, expected ${bytes}); rebuild with ./build.sh`);
    }
  });
}

/** Allocations of one call, freed together. */
class Arena {
  constructor(exports) {
    this.exports = exports;
    this.pointers = [];
  }

  alloc(bytes) {
    // wasm32 addresses are unsigned 32-bit; malloc takes and returns them as
    // i32, so sizes of 2 GiB and more must not wrap, and pointers above
    // 2 GiB come back negative until made unsigned.
    if (bytes > MAX_ALLOCATION) {
      throw new SsmLensError(`out of WebAssembly memory: ${formatBytes(bytes)} requested, more than the 4 GiB that wasm32 can address`, { code: 'alloc' });
    }
    const pointer = this.exports.malloc(Math.max(8, bytes)) >>> 0;
    if (pointer === 0) {
      throw new SsmLensError(`out of WebAssembly memory: could not allocate ${formatBytes(bytes)}`, { code: 'alloc' });
    }
    this.pointers.push(pointer);
    return pointer;
  }

  float32(values) {
    const pointer = this.alloc(values.length * 4);
    new Float32Array(this.exports.memory.buffer, pointer, values.length).set(values);
    return pointer;
  }

  float64(values) {
    const pointer = this.alloc(values.length * 8);
    new Float64Array(this.exports.memory.buffer, pointer, values.length).set(values);
    return pointer;
  }

  model(model) {
    const pointer = this.alloc(MODEL_BYTES);
    const fields = [
      this.float32(model.A), this.float32(model.W_B), this.float32(model.W_C),
      this.float32(model.q), 0, this.float32(model.W),
    ];
    const ints = new Int32Array(this.exports.memory.buffer, pointer, 9);
    ints.set([model.d, model.N, model.K, fields[0], fields[1], fields[2], fields[3], 0, fields[5]]);
    new Float32Array(this.exports.memory.buffer, pointer + 28, 1)[0] = model.p;
    return pointer;
  }

  int32(values) {
    const pointer = this.alloc(values.length * 4);
    new Int32Array(this.exports.memory.buffer, pointer, values.length).set(values);
    return pointer;
  }

  readFloat32(pointer, count) {
    return new Float32Array(this.exports.memory.buffer, pointer, count).slice();
  }

  readFloat64(pointer, count) {
    return new Float64Array(this.exports.memory.buffer, pointer, count).slice();
  }

  readFault(pointer) {
    const [what, step, index] = new Int32Array(this.exports.memory.buffer, pointer, 3);
    return { what, step, index };
  }

  release() {
    for (const pointer of this.pointers) this.exports.free(pointer);
    this.pointers = [];
  }
}

/** The largest single allocation tried: just under the 4 GiB of wasm32. */
const MAX_ALLOCATION = 2 ** 32 - 2 ** 26;

export function withArena(exports, body) {
  const arena = new Arena(exports);
  try {
    return body(arena);
  } finally {
    arena.release();
  }
}

export function formatBytes(bytes) {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

const FAULT_KINDS = [
  'none', 'parameter', 'input', 'delta', 'y', 'logits', 'alpha', 'size', 'option', 'cell', 'sweep',
];
const SIZE_NAMES = ['d', 'N', 'K', 'T'];

/**
 * Turns a non-zero status of the core into an SsmLensError whose message
 * names what failed and where, from the fault the core wrote.
 */
export function throwStatus(status, fault, { model } = {}) {
  const code = STATUS_CODES[status] ?? 'argument';
  const { step, index } = fault;
  const kind = FAULT_KINDS[fault.what] ?? 'none';
  let message;
  if (code === 'overflow') {
    const where = {
      delta: `the step size delta at step t=${step}`,
      y: `y at step t=${step} (channel ${index})`,
      logits: `logit ${index}`,
      alpha: `alpha[${step}, ${index}]`,
      cell: `the pooled cell starting at row ${step}, column ${index}`,
    }[kind] ?? 'a result';
    message = `overflow: ${where} exceeds the float32 range (about 3.4e38)`;
    if (kind === 'delta') {
      message += '; softplus(p + q·u[t]) is too large, so check the scale of q, p and the input';
    } else if (model && model.sA > 0) {
      message += `; with s_A = ${model.sA.toPrecision(4)} > 0 the state grows like e^(s_A·Λ[t]), so shorten the input or lower s_A`;
    }
  } else if (code === 'nonfinite') {
    message = kind === 'input'
      ? `input contains NaN or Infinity at step t=${step}, channel ${index}`
      : `parameter ${MODEL_TENSORS[index] ?? index} contains NaN or Infinity at flat index ${step}`;
  } else if (code === 'shape') {
    message = `size ${SIZE_NAMES[index] ?? ''} is out of range (d, N, K ≤ 4096, 1 ≤ T ≤ 1e9)`;
  } else if (code === 'alloc') {
    message = 'out of WebAssembly memory';
  } else {
    message = `invalid argument to the ssm-lens core (${kind}${index >= 0 ? ` ${index}` : ''}, status ${status})`;
  }
  throw new SsmLensError(message, { code, step, index });
}
