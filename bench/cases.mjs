// The benchmark's models and inputs, drawn exactly as bench/native.c and
// bench/torch_cases.py draw them, so that every peer does the same work.
import { seededRandom as uniformGenerator } from '../tests/reference.mjs';

/**
 * Parameters of a benchmark model: A = s_A - 10·U(0,1) with column 0 at
 * s_A, the weights uniform with unit variance, q scaled by 0.3, p = 0, one
 * logit. Values are rounded to float32 as the core stores them.
 */
export function benchModel(d, N, sA, seed) {
  const uniform = uniformGenerator(seed);
  const unit = () => (2 * uniform() - 1) * Math.sqrt(3);
  const A = Float32Array.from({ length: d * N }, (_, i) => (i % N === 0 ? sA : sA - 10 * uniform()));
  const W_B = Float32Array.from({ length: N * d }, unit);
  const W_C = Float32Array.from({ length: N * d }, unit);
  const q = Float32Array.from({ length: d }, () => unit() * 0.3);
  const W = Float32Array.from({ length: d }, unit);
  return { d, N, K: 1, A, W_B, W_C, q, p: 0, W };
}

/** Input rows uniform in [-1, 1), T×d. */
export function benchInput(T, d, seed) {
  const uniform = uniformGenerator(seed);
  return Float32Array.from({ length: T * d }, () => 2 * uniform() - 1);
}

/** Log-spaced integer lengths 1..1e9, as bench/native.c builds them. */
export function sweepLengths(count = 1000) {
  const values = [];
  for (let i = 0; i < count; i++) {
    let value = Math.round(Math.exp((Math.log(1e9) * i) / (count - 1)));
    if (i > 0 && value <= values[i - 1]) value = values[i - 1] + 1;
    values.push(value);
  }
  return values;
}
