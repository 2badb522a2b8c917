// The factors of the attention entries, recomputed in float64 from the
// model's parameters. The API returns α but not its factors, and it returns
// the full matrix only up to T = 16384, so the page computes here:
//   - the hover read-out: Δ[s], C[t]·B[s] per state and the decay per state;
//   - the cells of a zoom window into the pooled overview of a long input;
//   - the last row of the logit attribution, for the bar under the matrix.
//
// Symbols (steps count from 0, as in the API):
//   Δ[t] = softplus(p + q·u[t]),  Λ[t] = Δ[0] + … + Δ[t]
//   B[s] = W_B u[s],  C[t] = W_C u[t]                  (N values each)
//   α_j[t,s] = Δ[s] Σ_n C[t]_n exp(A[j,n] (Λ[t] − Λ[s])) B[s]_n      (s ≤ t)
//   ᾱ[t,s] = (1/d) Σ_j α_j[t,s],   c[t,s] = Σ_j W[k,j] α_j[t,s] u_j[s]

/** The largest finite float32, above which the API reports an overflow. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** An attention entry beyond the float32 range, with the cell it happened in. */
export class FactorOverflowError extends Error {
  constructor(t, s) {
    super(`overflow: α[${t}, ${s}] exceeds the float32 range (about 3.4e38); with s_A > 0 the weights grow like e^(s_A·(Λ[t] − Λ[s])), so shorten the input or lower s_A`);
    this.name = 'FactorOverflowError';
    this.t = t;
    this.s = s;
  }
}

function softplus(x) {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * The factors of one model on one input. model: a Model from the API;
 * u: the input as a Float32Array of T×d values (model.toInput(input).u).
 * B and C are computed per step on first use and cached.
 */
export class AttentionFactors {
  constructor(model, u) {
    const { d, N } = model;
    this.model = model;
    this.u = u;
    this.T = u.length / d;
    this.delta = new Float64Array(this.T);
    this.Lambda = new Float64Array(this.T);
    let sum = 0;
    for (let t = 0; t < this.T; t++) {
      let pre = model.p;
      for (let j = 0; j < d; j++) pre += model.q[j] * u[t * d + j];
      this.delta[t] = softplus(pre);
      sum += this.delta[t];
      this.Lambda[t] = sum;
    }
    this.B = new Float64Array(this.T * N);
    this.C = new Float64Array(this.T * N);
    this.projected = new Uint8Array(this.T);
  }

  /** Fills B[t] and C[t] if they are not cached yet. */
  project(t) {
    if (this.projected[t]) return;
    const { d, N, W_B, W_C } = this.model;
    const offset = t * d;
    for (let n = 0; n < N; n++) {
      let b = 0;
      let c = 0;
      for (let j = 0; j < d; j++) {
        b += W_B[n * d + j] * this.u[offset + j];
        c += W_C[n * d + j] * this.u[offset + j];
      }
      this.B[t * N + n] = b;
      this.C[t * N + n] = c;
    }
    this.projected[t] = 1;
  }

  /** Returns the readout row k of the logit view: W[k, ·] (d values). */
  readoutRow(k) {
    const { d } = this.model;
    return this.model.W.subarray(k * d, (k + 1) * d);
  }

  /**
   * Returns the factors of entry (t, s) for a view ('mean', 'logit' or a
   * channel index; k is the readout row of the logit view):
   * { t, s, delta_s, gap, value, states: [{ n, CB, decay }], channels }
   * where decay is exp(A[j,n]·gap) for a channel and its mean over the
   * channels for the other views, and channels (logit view only) lists
   * { j, w, u, alpha } with value = Σ_j w·u·alpha.
   */
  cell(view, t, s, k = 0) {
    const { d, N, A } = this.model;
    this.project(t);
    this.project(s);
    const gap = this.Lambda[t] - this.Lambda[s];
    const delta_s = this.delta[s];
    const states = [];
    for (let n = 0; n < N; n++) {
      const CB = this.C[t * N + n] * this.B[s * N + n];
      let decay;
      if (typeof view === 'number') {
        decay = Math.exp(A[view * N + n] * gap);
      } else {
        decay = 0;
        for (let j = 0; j < d; j++) decay += Math.exp(A[j * N + n] * gap);
        decay /= d;
      }
      states.push({ n, CB, decay });
    }

    let value = 0;
    let channels = null;
    if (view === 'logit') {
      const w = this.readoutRow(k);
      channels = [];
      for (let j = 0; j < d; j++) {
        let alpha = 0;
        for (let n = 0; n < N; n++) alpha += states[n].CB * Math.exp(A[j * N + n] * gap);
        alpha *= delta_s;
        const u_j = this.u[s * d + j];
        channels.push({ j, w: w[j], u: u_j, alpha });
        value += w[j] * u_j * alpha;
      }
    } else {
      for (const state of states) value += state.CB * state.decay;
      value *= delta_s;
    }
    return { t, s, delta_s, gap, value, states, channels };
  }

  /**
   * Returns the entries of rows t0..t1−1 and columns s0..s1−1 of a view as
   * a row-major Float32Array ((t1−t0) × (s1−s0)); entries with s > t are 0.
   * Throws FactorOverflowError for an entry beyond the float32 range.
   */
  window(view, k, t0, t1, s0, s1) {
    const { d, N, A } = this.model;
    const rows = t1 - t0;
    const cols = s1 - s0;
    const out = new Float32Array(rows * cols);
    const w = view === 'logit' ? this.readoutRow(k) : null;
    // Per column: the weight that multiplies α_j in this view (1/d for the mean).
    const channelWeights = new Float64Array(cols * d);
    for (let c = 0; c < cols; c++) {
      const s = s0 + c;
      this.project(s);
      for (let j = 0; j < d; j++) {
        if (view === 'logit') channelWeights[c * d + j] = w[j] * this.u[s * d + j];
        else if (view === 'mean') channelWeights[c * d + j] = 1 / d;
        else channelWeights[c * d + j] = j === view ? 1 : 0;
      }
    }
    const firstChannel = typeof view === 'number' ? view : 0;
    const lastChannel = typeof view === 'number' ? view + 1 : d;

    for (let r = 0; r < rows; r++) {
      const t = t0 + r;
      this.project(t);
      for (let c = 0; c < cols; c++) {
        const s = s0 + c;
        if (s > t) break;
        const gap = this.Lambda[t] - this.Lambda[s];
        let value = 0;
        for (let j = firstChannel; j < lastChannel; j++) {
          let alpha = 0;
          for (let n = 0; n < N; n++) {
            alpha += this.C[t * N + n] * this.B[s * N + n] * Math.exp(A[j * N + n] * gap);
          }
          value += channelWeights[c * d + j] * alpha;
        }
        value *= this.delta[s];
        if (!(Math.abs(value) <= FLOAT32_MAX)) throw new FactorOverflowError(t, s);
        out[r * cols + c] = value;
      }
    }
    return out;
  }

  /**
   * Returns row T−1 of the logit attribution, c[T−1, s] for s = 0..T−1,
   * as a Float64Array; its sum is the logit k. Costs T·d·N exponentials.
   */
  attributionRow(k = 0) {
    const { d, N, A } = this.model;
    const T = this.T;
    const last = T - 1;
    this.project(last);
    const w = this.readoutRow(k);
    const row = new Float64Array(T);
    for (let s = 0; s < T; s++) {
      this.project(s);
      const gap = this.Lambda[last] - this.Lambda[s];
      let value = 0;
      for (let j = 0; j < d; j++) {
        const weight = w[j] * this.u[s * d + j];
        if (weight === 0) continue;
        let alpha = 0;
        for (let n = 0; n < N; n++) {
          alpha += this.C[last * N + n] * this.B[s * N + n] * Math.exp(A[j * N + n] * gap);
        }
        value += weight * alpha;
      }
      value *= this.delta[s];
      if (!(Math.abs(value) <= FLOAT32_MAX)) throw new FactorOverflowError(last, s);
      row[s] = value;
    }
    return row;
  }
}

/**
 * Returns a 32-bit FNV-1a hash of a Float32Array's bits, so that views
 * computed from an input are rebuilt only when the input changed.
 */
export function fingerprint(values) {
  let hash = 2166136261;
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < words.length; i++) hash = Math.imul(hash ^ words[i], 16777619) >>> 0;
  return hash;
}
