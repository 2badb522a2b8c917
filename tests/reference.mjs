// Float64 reference implementations written plainly from the definitions,
// independent of the C core: the tests compare the library against these.

export function softplus(x) {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Step size, B[t] and C[t] of one input row, straight from the definition. */
function project(model, u, t) {
  const { d, N } = model;
  let pre = model.p;
  for (let j = 0; j < d; j++) pre += model.q[j] * u[t * d + j];
  const B = new Float64Array(N);
  const C = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < d; j++) {
      B[n] += model.W_B[n * d + j] * u[t * d + j];
      C[n] += model.W_C[n * d + j] * u[t * d + j];
    }
  }
  return { delta: softplus(pre), B, C };
}

/** The recurrent scan: returns { delta (T), y (T×d), logits (K) } in float64. */
export function referenceForward(model, u, T) {
  const { d, N, K } = model;
  const h = new Float64Array(d * N);
  const delta = new Float64Array(T);
  const y = new Float64Array(T * d);
  for (let t = 0; t < T; t++) {
    const step = project(model, u, t);
    delta[t] = step.delta;
    for (let j = 0; j < d; j++) {
      for (let n = 0; n < N; n++) {
        const a = Math.exp(step.delta * model.A[j * N + n]);
        h[j * N + n] = a * h[j * N + n] + step.delta * step.B[n] * u[t * d + j];
        y[t * d + j] += step.C[n] * h[j * N + n];
      }
    }
  }
  const logits = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < d; j++) logits[k] += model.W[k * d + j] * y[(T - 1) * d + j];
  }
  return { delta, y, logits };
}

/**
 * alpha[t,s] for a view ('mean', 'logit' or channel j) by the unrolled
 * formula, and magnitude[t,s]: the same sum with every term's absolute
 * value, the scale against which rounding errors are judged.
 */
export function referenceAttention(model, u, T, view, k = 0) {
  const { d, N } = model;
  const steps = Array.from({ length: T }, (_, t) => project(model, u, t));
  const Lambda = new Float64Array(T);
  let sum = 0;
  steps.forEach((step, t) => {
    sum += step.delta;
    Lambda[t] = sum;
  });
  const channels = typeof view === 'number' ? [view] : Array.from({ length: d }, (_, j) => j);
  const alpha = new Float64Array(T * T);
  const magnitude = new Float64Array(T * T);
  for (let t = 0; t < T; t++) {
    for (let s = 0; s <= t; s++) {
      for (const j of channels) {
        let weight = 1;
        if (view === 'mean') weight = 1 / d;
        if (view === 'logit') weight = model.W[k * d + j] * u[s * d + j];
        for (let n = 0; n < N; n++) {
          const decay = Math.exp(model.A[j * N + n] * (Lambda[t] - Lambda[s]));
          const term = weight * steps[s].delta * steps[t].C[n] * decay * steps[s].B[n];
          alpha[t * T + s] += term;
          magnitude[t * T + s] += Math.abs(term);
        }
      }
    }
  }
  return { alpha, magnitude };
}

/** Neumaier-compensated sum of f(t) for t = 0..T-1. */
export function compensatedSum(T, f) {
  let sum = 0;
  let compensation = 0;
  for (let t = 0; t < T; t++) {
    const term = f(t);
    const next = sum + term;
    compensation += Math.abs(sum) >= Math.abs(term) ? (sum - next) + term : (term - next) + sum;
    sum = next;
  }
  return sum + compensation;
}

/** E|σ₁+…+σ_m| by enumerating all 2^m sign patterns. */
export function enumeratedAbsRademacherSum(m) {
  let total = 0;
  for (let mask = 0; mask < 2 ** m; mask++) {
    let ones = 0;
    for (let bit = mask; bit; bit >>>= 1) ones += bit & 1;
    total += Math.abs(2 * ones - m);
  }
  return total / 2 ** m;
}

/** A seeded uniform generator for test inputs (mulberry32). */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random T×d input rows in [-scale, scale) as a Float32Array. */
export function randomInput(T, d, seed, scale = 1) {
  const random = seededRandom(seed);
  return Float32Array.from({ length: T * d }, () => scale * (2 * random() - 1));
}

function sigmoid(z) {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Computes the training loss of one batch from its definition: mean binary
 * cross-entropy (K = 1) or cross-entropy (K > 1) plus
 * factor · max(0, minStd − s), s the sample standard deviation of
 * sigmoid(logits). Returns { loss, dlogits, correct }.
 */
export function referenceBatchLoss(logits, labels, K, minStd = 0.1, factor = 10) {
  const count = labels.length;
  const dlogits = new Float64Array(logits.length);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < count; i++) {
    const row = Array.from(logits.slice(i * K, (i + 1) * K));
    if (K === 1) {
      const p = sigmoid(row[0]);
      loss -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
      dlogits[i] = (p - labels[i]) / count;
      correct += (row[0] > 0 ? 1 : 0) === labels[i] ? 1 : 0;
    } else {
      const exps = row.map(Math.exp);
      const sum = exps.reduce((a, b) => a + b, 0);
      loss -= Math.log(exps[labels[i]] / sum);
      exps.forEach((e, k) => { dlogits[i * K + k] = (e / sum - (k === labels[i] ? 1 : 0)) / count; });
      correct += row.indexOf(Math.max(...row)) === labels[i] ? 1 : 0;
    }
  }
  loss /= count;
  const n = logits.length;
  if (n >= 2 && factor > 0) {
    const s = Array.from(logits, sigmoid);
    const mean = s.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(s.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1));
    if (std < minStd) {
      loss += factor * (minStd - std);
      for (let i = 0; i < n; i++) dlogits[i] -= factor * ((s[i] - mean) / ((n - 1) * std)) * s[i] * (1 - s[i]);
    }
  }
  return { loss, dlogits, correct };
}
