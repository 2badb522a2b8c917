// The bound as an instrument: sweeps over T and s_A, the envelopes that
// show how tight each worst-case step is on real input, and the growth
// exponents of the paper's Table 1 measured on a model.
import {
  BOUND_INPUT_FIELDS, BOUND_TERM_FIELDS, FAULT_BYTES, withArena,
} from './core.mjs';
import {
  MAX_BOUND_T, assembleTerms, bound, rejectedInput, resolveBoundInput,
} from './bound.mjs';
import { SsmLensError, checkNumber, describe } from './errors.mjs';

const AXES = { T: 0, s_A: 1 };

/**
 * Returns `points` values from `from` to `to`, evenly spaced on a log
 * scale (linear when `log` is false). With `integer`, values are rounded
 * and each is at least one above the previous, so the grid keeps its
 * count unless the range contains fewer integers.
 */
export function spacedValues(from, to, points, { log = true, integer = false } = {}) {
  checkNumber('from', from, log ? { min: 0, open: true, max: Infinity } : {});
  checkNumber('to', to, log ? { min: 0, open: true, max: Infinity } : {});
  checkNumber('to', to, { min: from, max: Infinity });
  checkNumber('points', points, { min: 1, max: 1e6, integer: true });
  if (integer) {
    const available = Math.floor(to) - Math.ceil(from) + 1;
    if (available < 1) throw new SsmLensError(`no integer lies between from = ${from} and to = ${to}`);
    points = Math.min(points, available);
    from = Math.ceil(from);
    to = Math.floor(to);
  }
  const values = [];
  for (let i = 0; i < points; i++) {
    const fraction = points === 1 ? 0 : i / (points - 1);
    let value = log
      ? Math.exp(Math.log(from) + fraction * (Math.log(to) - Math.log(from)))
      : from + fraction * (to - from);
    if (i === points - 1 && points > 1) value = to;
    // Drop the rounding noise of the arithmetic, so that -0.1..0.1 gives
    // -0.05 and a log grid gives 10, not 10.000000000000002.
    value = Number(value.toPrecision(12));
    if (integer) {
      value = Math.round(value);
      if (i > 0) value = Math.max(value, values[i - 1] + 1);
    }
    values.push(value);
  }
  return values;
}

/**
 * Evaluates every bound term at each value of one quantity, in one call
 * into the core.
 *   over: 'T'    sequence lengths (integers, 1 ≤ T ≤ 1e15)
 *         's_A'  spectral abscissas: A is shifted so that its largest entry
 *                takes each value, as in the authors' experiments
 *   values: the grid; without it, `from`, `to` and `points` (default 50)
 *           give a log-spaced grid for T or a linear one for s_A
 * Other options are those of bound(); over 's_A' needs T (or sequences).
 * Returns { over, values, points }, where points[i] has the shape of a
 * bound() result for values[i]. Terms beyond the double range are null
 * and listed in points[i].overflow; their log10 stays finite.
 */
export function sweep(model, options = {}) {
  if (options == null || typeof options !== 'object') {
    throw new SsmLensError(`options must be an object, got ${describe(options)}`);
  }
  const { over } = options;
  if (!Object.hasOwn(AXES, over)) {
    throw new SsmLensError(`over must be 'T' or 's_A', got ${describe(over)}`);
  }
  const values = sweepValues(options);
  const resolved = resolveBoundInput(model, options, { requireT: over === 's_A' });
  let A_min = Infinity;
  for (const a of model.A) A_min = Math.min(A_min, a);

  const flat = withArena(model.exports, (arena) => {
    const base = arena.float64(BOUND_INPUT_FIELDS.map((name) => resolved.input[name]));
    const grid = arena.float64(values);
    const out = arena.alloc(values.length * BOUND_TERM_FIELDS.length * 8);
    const fault = arena.alloc(FAULT_BYTES);
    const status = model.exports.ssm_sweep_bound(base, A_min, AXES[over], grid, values.length, out, fault);
    if (status !== 0) {
      const { index } = arena.readFault(fault);
      if (index >= 0) {
        throw new SsmLensError(`values[${index}] = ${values[index]} (${over}) is out of range for the bound`);
      }
      throw rejectedInput(status, resolved.input);
    }
    return arena.readFloat64(out, values.length * BOUND_TERM_FIELDS.length);
  });

  const width = BOUND_TERM_FIELDS.length;
  const points = values.map((value, i) => {
    const input = { ...resolved.input };
    if (over === 'T') {
      input.T = value;
    } else {
      input.s_A = value;
      input.B_A = Math.max(Math.abs(A_min + value - resolved.input.s_A), Math.abs(value));
    }
    return assembleTerms(resolved, input, flat.subarray(i * width, (i + 1) * width));
  });
  return { over, values, points };
}

function sweepValues(options) {
  const { over, values, from, to, points = 50 } = options;
  if (values !== undefined) {
    if (!Array.isArray(values) && !ArrayBuffer.isView(values)) {
      throw new SsmLensError(`values must be an array of numbers, got ${describe(values)}`);
    }
    const list = Array.from(values);
    if (list.length === 0) throw new SsmLensError('values must not be empty');
    list.forEach((value, i) => {
      if (over === 'T') checkNumber(`values[${i}] (T)`, value, { min: 1, max: MAX_BOUND_T, integer: true });
      else checkNumber(`values[${i}] (s_A)`, value, { min: -1e6, max: 1e6 });
    });
    return list;
  }
  if (from === undefined || to === undefined) {
    throw new SsmLensError(`give values, or from and to, for the sweep over ${over}`);
  }
  if (over === 'T') {
    checkNumber('from', from, { min: 1, max: MAX_BOUND_T });
    checkNumber('to', to, { min: from, max: MAX_BOUND_T });
    return spacedValues(from, to, points, { integer: true });
  }
  checkNumber('from', from, { min: -1e6, max: 1e6 });
  checkNumber('to', to, { min: from, max: 1e6 });
  return spacedValues(from, to, points, { log: false });
}

/**
 * Measures, on one input, how far each worst-case step of the bound is
 * from what the model does. Every realized value is at most its bound
 * (that is a theorem, so a violation is a bug):
 *   delta:  realized step sizes (min, max, mean) against delta_min and M_delta
 *   decay:  for each lag k, max_t log10 ‖exp(A_c (Λ[t] − Λ[t−k]))‖₂
 *           = s_A (Λ[t] − Λ[t−k]) / ln 10, against log10 ρ_A^k
 *           (and the paper's ρ_A, which fails for s_A > 0)
 *   alpha:  for each lag k, max over channels j and steps t of
 *           |α_j[t, t−k]|, against M_Δ B_B B_C B_u² ρ_A^k
 * B_u is this input's largest ‖u[t]‖₂. Options: eta, norms (see bound()).
 * Step sizes and decays are recomputed in float64, so they compare with
 * the float64 bounds without rounding; α comes from the float32 attention
 * (within about 1e-6 of each entry's magnitude). The α envelope needs the
 * full attention matrix of every channel, so T is limited as for
 * attention().
 */
export function envelopes(model, input, options = {}) {
  const { u, T } = model.toInput(input);
  const terms = bound(model, { ...options, sequences: [input], T, B_u: undefined });
  const delta = stepSizes(model, u, T);

  let minDelta = Infinity;
  let maxDelta = -Infinity;
  let sumDelta = 0;
  const Lambda = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    minDelta = Math.min(minDelta, delta[t]);
    maxDelta = Math.max(maxDelta, delta[t]);
    sumDelta += delta[t];
    Lambda[t] = sumDelta;
  }

  const growth = terms.s_A + terms.eta;
  const log10Rho = Math.log10(terms.rho_A);
  const log10RhoPaper = Math.log10(terms.rho_A_paper);
  const decay = {
    realized: new Float64Array(T),
    bound: new Float64Array(T),
    bound_paper: new Float64Array(T),
  };
  for (let k = 0; k < T; k++) {
    let largestGap = -Infinity;
    let smallestGap = Infinity;
    for (let t = k; t < T; t++) {
      const gap = Lambda[t] - Lambda[t - k] ;
      largestGap = Math.max(largestGap, gap);
      smallestGap = Math.min(smallestGap, gap);
    }
    // ‖exp(A_c g)‖₂ = exp(s_A g) for g ≥ 0, largest at the largest gap when
    // s_A ≥ 0 and at the smallest when s_A < 0.
    const gap = terms.s_A >= 0 ? largestGap : smallestGap;
    decay.realized[k] = (terms.s_A * gap) / Math.LN10;
    decay.bound[k] = k * log10Rho;
    decay.bound_paper[k] = k * log10RhoPaper;
  }

  const alphaRealized = new Float64Array(T);
  for (let j = 0; j < model.d; j++) {
    const alpha = model.attention(u, j);
    for (let t = 0; t < T; t++) {
      for (let s = 0; s <= t; s++) {
        const k = t - s;
        alphaRealized[k] = Math.max(alphaRealized[k], Math.abs(alpha[t * T + s]));
      }
    }
  }
  const scale = terms.M_delta * terms.B_B * terms.B_C * terms.B_u * terms.B_u;
  const alphaBound = Float64Array.from({ length: T }, (_, k) => scale * terms.rho_A ** k);

  return {
    T,
    B_u: terms.B_u,
    s_A: terms.s_A,
    growth,
    delta: {
      min: minDelta, max: maxDelta, mean: sumDelta / T,
      bound_min: terms.delta_min, bound_max: terms.M_delta,
    },
    decay: { log10: true, ...decay },
    alpha: { realized: alphaRealized, bound: alphaBound },
  };
}

/** delta[t] = softplus(p + q·u[t]) in float64. */
function stepSizes(model, u, T) {
  const delta = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let pre = model.p;
    for (let j = 0; j < model.d; j++) pre += model.q[j] * u[t * model.d + j];
    delta[t] = pre > 0 ? pre + Math.log1p(Math.exp(-pre)) : Math.log1p(Math.exp(pre));
  }
  return delta;
}

/**
 * The paper's Table 1 beside the exponents measured on this model's bound.
 * Each measured exponent is the slope of log C_F against log x between two
 * values of x: `local` at the model's own value (x₀ and 2x₀) and
 * `asymptotic` far out (10^4 x₀ and 10^5 x₀ for d and B_u; T = 10^8 and
 * 10^9 for T). For s_A + η > 0, C_F grows like T ρ_A^T: the T column then
 * reports the exponent of C_F / ρ_A^T and the rate log10 ρ_A per step.
 * The paper's table holds M_Δ and ρ_A fixed when B_u varies
 * (`B_u` column); `B_u_full` lets them follow B_u as the formulas do.
 */
export function table1(model, options = {}) {
  const base = bound(model, { ...options, T: options.T ?? 1000 });
  const exports = model.exports;
  const capacityLog10 = (terms, changes = {}) => {
    const v = { ...terms, ...changes };
    return exports.ssm_capacity_log10(v.M_delta, v.log10S2, v.B_w, v.B_B, v.B_C, v.B_A, v.B_u, v.B_q, v.N, v.d);
  };
  const fixed = { ...base, log10S2: base.log10.S2, N: model.N, d: model.d };
  const slope = (y1, y2, x1, x2) => (y2 - y1) / (Math.log10(x2) - Math.log10(x1));

  const dExponent = (factor) => slope(
    capacityLog10(fixed, { d: model.d * factor }), capacityLog10(fixed, { d: model.d * factor * 2 }),
    factor, factor * 2,
  );
  const dAsymptotic = slope(
    capacityLog10(fixed, { d: model.d * 1e4 }), capacityLog10(fixed, { d: model.d * 1e5 }), 1e4, 1e5,
  );
  const B_u0 = base.B_u > 0 ? base.B_u : 1;
  const buFixed = (x) => capacityLog10(fixed, { B_u: x });
  const buFull = (x) => bound(model, { ...options, T: base.T, B_u: x }).log10.C_F;
  const buSlope = (f, lo, hi) => slope(f(B_u0 * lo), f(B_u0 * hi), lo, hi);

  const tLog10 = (T) => bound(model, { ...options, B_u: base.B_u, T }).log10.C_F;
  const growing = base.s_A + base.eta > 0;
  const tExponent = (T1, T2) => {
    const rate = growing ? Math.log10(base.rho_A) : 0;
    return slope(tLog10(T1) - rate * T1, tLog10(T2) - rate * T2, T1, T2);
  };
  const linear = (changes) => bound(model, { ...options, B_u: base.B_u, T: base.T, ...changes }).log10.C_F_linear_attention;

  let regime = 'ρ_A = 1';
  if (base.s_A + base.eta < 0) regime = 's_A < 0';
  if (growing) regime = 's_A > 0';
  return {
    model: { s_A: base.s_A, eta: base.eta, rho_A: base.rho_A, T: base.T, d: model.d, B_u: base.B_u, regime },
    measured: {
      selective: {
        T: { local: tExponent(base.T, 2 * base.T), asymptotic: tExponent(1e8, 1e9), rate_log10: growing ? Math.log10(base.rho_A) : 0 },
        d: { local: dExponent(1), asymptotic: dAsymptotic },
        B_u: { local: buSlope(buFixed, 1, 2), asymptotic: buSlope(buFixed, 1e4, 1e5) },
        B_u_full: { local: buSlope(buFull, 1, 2), asymptotic: buSlope(buFull, 1e3, 1e4) },
      },
      linear_attention: {
        T: slope(linear({ T: base.T }), linear({ T: 2 * base.T }), base.T, 2 * base.T),
        B_u: slope(linear({ B_u: B_u0 }), linear({ B_u: 2 * B_u0 }), 1, 2),
      },
    },
    paper: [
      { model: 'selective SSM, s_A < 0', T: '1', d: 'd^(1/2)', B_u: 'B_u^4' },
      { model: 'selective SSM, s_A ≥ 0', T: 'T ρ_A^T', d: 'd^(1/2)', B_u: 'B_u^4' },
      { model: 'linear attention (Prop. 3.4)', T: 'T', d: '1', B_u: 'B_u^3' },
      { model: 'softmax attention (Trauger & Tewari 2024)', T: '1', d: '1', B_u: 'B_u^3' },
      { model: 'vanilla RNN, ‖A‖ < 1 / = 1 / > 1', T: '1 / T / T', d: 'd / d / d^(3/2)', B_u: 'B_u' },
    ],
  };
}
