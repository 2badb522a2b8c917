// The terms of the generalization bound for a model and a set of inputs.
import {
  BOUND_INPUT_FIELDS, BOUND_TERM_FIELDS, NORM_FIELDS, throwStatus, withArena,
} from './core.mjs';
import { Model } from './model.mjs';
import { SsmLensError, checkNumber, describe } from './errors.mjs';

/**
 * Every reported term: its symbol, what it is, its formula and provenance.
 * 'paper' is stated in Honarpisheh et al. (NeurIPS 2025); 'code' is what
 * the authors' code does; 'derived' was rebuilt from the paper's lemmas.
 */
export const TERMS = Object.freeze({
  s_A: { symbol: 's_A', provenance: 'paper', formula: 'max Re λ(A_c) = max A[j,n]', meaning: 'spectral abscissa of A' },
  B_u: { symbol: 'B_u', provenance: 'paper', formula: 'max_t ‖u[t]‖₂', meaning: 'input norm bound (Assumption 3.1)' },
  B_A: { symbol: 'B_A', provenance: 'paper', formula: '‖A_c‖₂ = max |A[j,n]|', meaning: 'spectral norm of A_c (Assumption 3.4)' },
  M_A: { symbol: 'M_A', provenance: 'paper', formula: '‖A_c‖₂,₁ = Σ |A[j,n]|', meaning: 'column-sum norm of A_c (Assumption 3.4)' },
  B_B: { symbol: 'B_B', provenance: 'paper', formula: '‖W_B‖₂', meaning: 'spectral norm of W_B (Assumption 3.2)' },
  M_B: { symbol: 'M_B', provenance: 'paper', formula: '‖W_B‖₁,₁ = Σ |W_B|', meaning: 'entrywise L1 norm of W_B' },
  B_C: { symbol: 'B_C', provenance: 'paper', formula: '‖W_C‖₂', meaning: 'spectral norm of W_C (Assumption 3.2)' },
  M_C: { symbol: 'M_C', provenance: 'paper', formula: '‖W_C‖₁,₁ = Σ |W_C|', meaning: 'entrywise L1 norm of W_C' },
  B_w: { symbol: 'B_w', provenance: 'paper', formula: '‖w‖₂ (‖W‖₂ for K logits)', meaning: 'readout norm (Assumption 3.2)' },
  M_w: { symbol: 'M_w', provenance: 'paper', formula: '‖w‖₁ (Σ |W| for K logits)', meaning: 'readout L1 norm' },
  B_q: { symbol: 'B_q', provenance: 'paper', formula: '‖q‖₂', meaning: 'step-size weight norm (Assumption 3.2)' },
  M_q: { symbol: 'M_q', provenance: 'paper', formula: '‖q‖₁', meaning: 'step-size weight L1 norm' },
  p: { symbol: 'p', provenance: 'paper', formula: 'p', meaning: 'step-size bias (the authors log |p|)' },
  delta_min: { symbol: 'Δ_min', provenance: 'paper', formula: 'softplus(p − B_q B_u)', meaning: 'smallest admissible step size (Lemma E.4)' },
  M_delta: { symbol: 'M_Δ', provenance: 'paper', formula: 'softplus(p + B_q B_u)', meaning: 'largest admissible step size (Lemma E.4)' },
  rho_A: { symbol: 'ρ_A', provenance: 'derived', formula: 'exp((s_A+η)·Δ_min) if s_A+η < 0, else exp((s_A+η)·M_Δ)', meaning: 'per-step decay bound, valid for either sign of s_A' },
  rho_A_paper: { symbol: 'ρ_A (paper)', provenance: 'paper', formula: '(1 + e^(p − B_q B_u))^(s_A+η) = exp((s_A+η)·Δ_min)', meaning: 'the literal formula; it bounds the decay only when s_A+η < 0' },
  S1: { symbol: 'S₁', provenance: 'derived', formula: 'Σ_{t<T} ρ_A^t', meaning: 'first length sum' },
  S2: { symbol: 'S₂', provenance: 'derived', formula: 'Σ_{t<T} t ρ_A^t', meaning: 'second length sum; bounded in T when ρ_A < 1' },
  C_F: { symbol: 'C_F', provenance: 'derived', formula: 'M_Δ B_w B_B B_C B_A B_u³ S₂ [(M_Δ√(Nd))^(2/3) + (B_q B_u)^(2/3)]^(3/2)', meaning: 'capacity term (14), logarithmic factors dropped' },
  gap_bound: { symbol: 'gap', provenance: 'derived', formula: '(24 l_l C_F/√m)(1 + ln(c_l√m/(3 l_l C_F))) + 3 c_l √(ln(2/δ)/(2m))', meaning: 'generalization gap bound (13), holding with probability ≥ 1 − δ' },
  vacuous: { symbol: 'vacuous', provenance: 'derived', formula: 'c_l√m ≤ 3 l_l C_F or gap ≥ c_l', meaning: 'true when the bound says nothing beyond the loss range' },
  C_F_linear_attention: { symbol: 'C_F,LA', provenance: 'derived', formula: 'B_w B_B B_C B_u³ T', meaning: 'capacity of causal linear attention (Prop. 3.4), up to constants' },
  E_abs_rademacher_sum: { symbol: 'E|Σσ|', provenance: 'derived', formula: 'm·C(m−1, ⌊(m−1)/2⌋)/2^(m−1)', meaning: 'expected absolute sum of m Rademacher signs' },
  lower_bound: { symbol: 'Rad_m (exact)', provenance: 'derived', formula: 'B_w Σ_{k<T} e^(s_A k) · E|Σσ|/m', meaning: 'Rademacher complexity of the scalar sub-class of Theorem 4.1' },
  lower_bound_paper: { symbol: 'Rad_m (paper)', provenance: 'paper', formula: 'B_w ((1+s_A)^T − 1)/s_A · √(2/(πm)); B_w T √(2/(πm)) at s_A = 0', meaning: 'the relaxed form stated in Theorem 4.1' },
});

/** The largest T the bound accepts, as in the C core. */
export const MAX_BOUND_T = 1e15;

/* Where each field of the C struct ssm_bound_terms sits, and the terms
 * that also come as base-10 logarithms because they can overflow. */
const FIELD_INDEX = Object.fromEntries(BOUND_TERM_FIELDS.map((name, i) => [name, i]));
const LOG10_TERMS = [
  'rho_A', 'rho_A_paper', 'S1', 'S2', 'C_F', 'C_F_linear_attention', 'lower_bound', 'lower_bound_paper',
];


/** Returns the largest Euclidean row norm of u (T×d). */
function maxRowNorm(u, d) {
  let largest = 0;
  for (let offset = 0; offset < u.length; offset += d) {
    let sq = 0;
    for (let j = 0; j < d; j++) sq += u[offset + j] * u[offset + j];
    largest = Math.max(largest, Math.sqrt(sq));
  }
  return largest;
}

/** Returns the norms of the model's parameters (see TERMS), computed in float64. */
export function modelNorms(model) {
  checkModel(model);
  return withArena(model.exports, (arena) => {
    const pointer = arena.model(model);
    const out = arena.alloc(NORM_FIELDS.length * 8);
    const status = model.exports.ssm_compute_norms(pointer, out);
    if (status !== 0) throwStatus(status, { what: 0, step: -1, index: -1 });
    const values = arena.readFloat64(out, NORM_FIELDS.length);
    return Object.fromEntries(NORM_FIELDS.map((name, i) => [name, values[i]]));
  });
}

function checkModel(model) {
  if (!(model instanceof Model)) {
    throw new SsmLensError(`model must be a Model from createModel, modelFromStateDict or randomModel, got ${describe(model)}`);
  }
}

/**
 * Computes every term of the bound for a model.
 * options:
 *   sequences  inputs (token ids or T×d arrays); B_u is their largest
 *              ‖u[t]‖₂ and T their longest length unless given
 *   B_u        input norm bound; default for token models without
 *              sequences: the largest embedding row norm (every token
 *              admissible)
 *   T          sequence length (required when there are no sequences)
 *   m = 1000   training samples;  delta = 0.05  confidence parameter
 *   c_l = 1    loss range;        l_l = 1       Lipschitz constant of the loss
 *   eta = 0    slack added to s_A (0 is exact for a diagonal A)
 *   norms = 'spectral'  or 'frobenius' for B_B, B_C, B_w (the authors'
 *              logs use Frobenius norms; both give valid bounds)
 * Returns an object with every term of TERMS by name, the Frobenius norms
 * (B_B_frobenius, …), log10 values of the terms that can overflow in
 * `log10`, and `overflow`: the names whose value exceeds the double range
 * and is null (its log10 stays finite).
 */
export function bound(model, options = {}) {
  const resolved = resolveBoundInput(model, options);
  const values = withArena(model.exports, (arena) => {
    const inPointer = arena.float64(BOUND_INPUT_FIELDS.map((name) => resolved.input[name]));
    const outPointer = arena.alloc(BOUND_TERM_FIELDS.length * 8);
    const status = model.exports.ssm_compute_bound(inPointer, outPointer);
    if (status !== 0) throw rejectedInput(status, resolved.input);
    return arena.readFloat64(outPointer, BOUND_TERM_FIELDS.length);
  });
  return assembleTerms(resolved, resolved.input, values);
}

/** Returns the error for inputs that passed the checks here but not the core's. */
export function rejectedInput(status, input) {
  const values = BOUND_INPUT_FIELDS.map((name) => `${name} = ${input[name]}`).join(', ');
  return new SsmLensError(`bound: the core rejected its inputs (status ${status}): ${values}`);
}

/**
 * Checks the options of bound() and returns { input, norms, variant }:
 * input has every field of the C struct ssm_bound_input. T may stay
 * undefined when requireT is false (a sweep over T sets it per point).
 */
export function resolveBoundInput(model, options, { requireT = true } = {}) {
  checkModel(model);
  if (options == null || typeof options !== 'object') {
    throw new SsmLensError(`options must be an object, got ${describe(options)}`);
  }
  const {
    sequences, m = 1000, delta = 0.05, c_l = 1, l_l = 1, eta = 0, norms: variant = 'spectral',
  } = options;
  checkNumber('m', m, { min: 1, max: MAX_BOUND_T, integer: true });
  checkNumber('delta', delta, { min: 0, max: 1, open: true });
  checkNumber('c_l', c_l, { min: 0, max: 1e100, open: true });
  checkNumber('l_l', l_l, { min: 1e-100, max: 1e100 });
  // η only needs to be small and positive, so a large one adds nothing.
  checkNumber('eta', eta, { min: 0, max: 1e6 });
  if (variant !== 'spectral' && variant !== 'frobenius') {
    throw new SsmLensError(`norms must be 'spectral' or 'frobenius', got ${describe(variant)}`);
  }

  let { B_u, T } = options;
  if (sequences !== undefined) {
    if (!Array.isArray(sequences) || sequences.length === 0) {
      throw new SsmLensError(`sequences must be a non-empty array of inputs, got ${describe(sequences)}`);
    }
    let longest = 0;
    let largest = 0;
    for (const sequence of sequences) {
      const input = model.toInput(sequence);
      longest = Math.max(longest, input.T);
      largest = Math.max(largest, maxRowNorm(input.u, model.d));
    }
    // A bound for smaller B_u or T would not cover the given sequences.
    if (B_u !== undefined && B_u < largest) {
      throw new SsmLensError(`B_u = ${B_u} is below the largest ‖u[t]‖₂ = ${largest} of the given sequences; the bound would not hold for them`);
    }
    if (T !== undefined && T < longest) {
      throw new SsmLensError(`T = ${T} is below the longest given sequence (${longest} steps); the bound would not hold for it`);
    }
    B_u ??= largest;
    T ??= longest;
  }
  if (B_u === undefined && model.embedding) B_u = maxRowNorm(model.embedding, model.d);
  if (B_u === undefined) {
    throw new SsmLensError('B_u is missing: give options.B_u or options.sequences (this model has no embedding to take it from)');
  }
  checkNumber('B_u', B_u, { min: 0, max: 1e50 });
  if (T === undefined && requireT) {
    throw new SsmLensError('T is missing: give options.T or options.sequences');
  }
  if (T !== undefined) checkNumber('T', T, { min: 1, max: MAX_BOUND_T, integer: true });

  const norms = modelNorms(model);
  const chosen = (name) => (variant === 'frobenius' ? norms[`${name}_frobenius`] : norms[name]);
  const input = {
    s_A: norms.s_A, B_A: norms.B_A, B_B: chosen('B_B'), B_C: chosen('B_C'), B_w: chosen('B_w'),
    B_q: norms.B_q, p: norms.p, d: model.d, N: model.N, B_u, m, delta, c_l, l_l, T: T ?? 1, eta,
  };
  return { input, norms, variant };
}

/**
 * Builds the result object of bound() from the C terms (values, in the
 * order of BOUND_TERM_FIELDS) computed for one input. A sweep passes the
 * point's input, whose s_A, B_A or T differ from the model's.
 */
export function assembleTerms({ norms, variant }, input, values) {
  // One object literal with a fixed key order: a sweep builds a thousand of
  // these, and V8 then shares one shape among them.
  const I = FIELD_INDEX;
  const overflow = [];
  for (const name of LOG10_TERMS) {
    if (values[I[name]] === Infinity) overflow.push(name);
  }
  return {
    norms: variant,
    s_A: input.s_A,
    B_A: input.B_A,
    M_A: norms.M_A,
    B_A_frobenius: norms.B_A_frobenius,
    B_B: input.B_B,
    B_B_frobenius: norms.B_B_frobenius,
    M_B: norms.M_B,
    B_C: input.B_C,
    B_C_frobenius: norms.B_C_frobenius,
    M_C: norms.M_C,
    B_w: input.B_w,
    B_w_frobenius: norms.B_w_frobenius,
    M_w: norms.M_w,
    B_q: norms.B_q,
    M_q: norms.M_q,
    p: norms.p,
    B_u: input.B_u,
    m: input.m,
    delta: input.delta,
    c_l: input.c_l,
    l_l: input.l_l,
    T: input.T,
    eta: input.eta,
    delta_min: values[I.delta_min],
    M_delta: values[I.M_delta],
    rho_A: finiteOrNull(values[I.rho_A]),
    rho_A_paper: finiteOrNull(values[I.rho_A_paper]),
    S1: finiteOrNull(values[I.S1]),
    S2: finiteOrNull(values[I.S2]),
    C_F: finiteOrNull(values[I.C_F]),
    gap_bound: finiteOrNull(values[I.gap_bound]),
    vacuous: values[I.vacuous] === 1,
    C_F_linear_attention: finiteOrNull(values[I.C_F_linear_attention]),
    E_abs_rademacher_sum: values[I.E_abs_rademacher_sum],
    lower_bound: finiteOrNull(values[I.lower_bound]),
    lower_bound_paper: finiteOrNull(values[I.lower_bound_paper]),
    rho_A_differs: values[I.log10_rho_A] !== values[I.log10_rho_A_paper],
    log10: {
      rho_A: numberOrNull(values[I.log10_rho_A]),
      rho_A_paper: numberOrNull(values[I.log10_rho_A_paper]),
      S1: numberOrNull(values[I.log10_S1]),
      S2: numberOrNull(values[I.log10_S2]),
      C_F: numberOrNull(values[I.log10_C_F]),
      C_F_linear_attention: numberOrNull(values[I.log10_C_F_linear_attention]),
      lower_bound: numberOrNull(values[I.log10_lower_bound]),
      lower_bound_paper: numberOrNull(values[I.log10_lower_bound_paper]),
    },
    overflow,
  };
}

/** null for NaN and +Infinity (a term beyond the double range). */
function finiteOrNull(value) {
  return Number.isNaN(value) || value === Infinity ? null : value;
}

/** null for NaN; a log10 of 0 stays -Infinity. */
function numberOrNull(value) {
  return Number.isNaN(value) ? null : value;
}
