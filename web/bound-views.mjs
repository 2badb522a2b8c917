// The bound as pictures: the capacity term C_F and the length sum S₂
// against T for the current model and for s_A ∈ {−0.1, 0, +0.1}, and the
// realized envelopes against their bounds. Also Table 1 of Honarpisheh,
// Bozdag, Camps and Sznaier (NeurIPS 2025) beside this model's measured
// exponents. Tables are built with DOM calls, never innerHTML.
import { envelopes, sweep, table1 } from '../wasm/index.mjs';
import { formatValue } from './heatmap.mjs';
import { withSpectralAbscissa } from './models.mjs';
import { element, formatNumber } from './panels.mjs';
import { lineSample, powerOfTen } from './plots.mjs';

/** The s_A values that the length plots compare with the current model. */
export const COMPARED_SPECTRAL_ABSCISSAS = Object.freeze([-0.1, 0, 0.1]);

/** The T axis of the length plots: 2 to 10^6 (at T = 1, S₂ = C_F = 0 has no logarithm). */
export const LENGTH_RANGE = Object.freeze({ from: 2, to: 1e6, points: 121 });

/** Colours (CSS custom properties, Okabe–Ito hues) and dashes of the compared curves. */
const CURVE_STYLES = [
  { color: '--plot-current', dash: [], width: 2.5 },
  { color: '--plot-negative', dash: [7, 4], width: 2 },
  { color: '--plot-zero', dash: [2, 3], width: 2 },
  { color: '--plot-positive', dash: [10, 3, 2, 3], width: 2 },
];

/**
 * Returns the capacity C* at which the gap bound (13) reaches the loss
 * range c_l: the bound is vacuous for C_F ≥ C*. The gap bound
 *   (24 l_l C/√m)(1 + ln(c_l √m / (3 l_l C))) + 3 c_l √(ln(2/δ)/(2m))
 * increases with C up to C = c_l √m / (3 l_l), where it is already 8 c_l
 * or more, so C* is found by bisection below that point. Returns 0 when
 * the confidence term alone reaches c_l.
 */
export function vacuousCapacity({ m, delta, c_l, l_l }) {
  const rootM = Math.sqrt(m);
  const confidence = 3 * c_l * Math.sqrt(Math.log(2 / delta) / (2 * m));
  if (confidence >= c_l) return 0;
  const gap = (C) => ((24 * l_l * C) / rootM) * (1 + Math.log((c_l * rootM) / (3 * l_l * C))) + confidence;
  let low = Math.log((c_l * rootM) / (3 * l_l)) - 200;
  let high = Math.log((c_l * rootM) / (3 * l_l));
  for (let i = 0; i < 200; i++) {
    const middle = (low + high) / 2;
    if (gap(Math.exp(middle)) < c_l) low = middle;
    else high = middle;
  }
  return Math.exp((low + high) / 2);
}

/**
 * Sweeps T for the current model and for copies of it shifted to each
 * s_A of COMPARED_SPECTRAL_ABSCISSAS. options: the bound() options without
 * T (B_u must be set, so every curve uses the same input bound).
 * Returns [{ label, sA, style, T, log10C_F, log10S2, points }].
 */
export async function computeLengthCurves(model, options) {
  const variants = [{ label: 'this model', model }];
  for (const sA of COMPARED_SPECTRAL_ABSCISSAS) {
    variants.push({ label: `s_A = ${formatSigned(sA)}`, model: await withSpectralAbscissa(model, sA) });
  }
  return variants.map(({ label, model: variant }, index) => {
    const result = sweep(variant, { ...options, over: 'T', ...LENGTH_RANGE });
    return {
      label,
      sA: variant.sA,
      style: CURVE_STYLES[index],
      T: result.values,
      log10C_F: result.points.map((point) => point.log10.C_F ?? NaN),
      log10S2: result.points.map((point) => point.log10.S2 ?? NaN),
      points: result.points,
    };
  });
}

function formatSigned(value) {
  if (value === 0) return '0';
  return `${value > 0 ? '+' : '−'}${Math.abs(value)}`;
}

/**
 * Returns the y range (log10) for curves, from the smallest value to the
 * largest. The top is at most 10 decades above the largest value of the
 * curves with s_A ≤ 0, so a curve growing like ρ_A^T leaves through the
 * top instead of flattening the others. extra: log10 values to keep in range.
 */
export function yRangeOf(curves, key, extra = []) {
  let low = Infinity;
  let high = -Infinity;
  let boundedHigh = -Infinity;
  for (const curve of curves) {
    for (const value of curve[key]) {
      if (!Number.isFinite(value)) continue;
      low = Math.min(low, value);
      high = Math.max(high, value);
      if (curve.sA <= 0) boundedHigh = Math.max(boundedHigh, value);
    }
  }
  for (const value of extra) {
    if (!Number.isFinite(value)) continue;
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  if (!Number.isFinite(low)) return [0, 1];
  const top = Number.isFinite(boundedHigh) ? Math.min(high, Math.max(boundedHigh, ...extra.filter(Number.isFinite)) + 10) : high;
  return [Math.floor(low), Math.max(Math.ceil(top), Math.floor(low) + 1)];
}

/** Returns the value of a log10 quantity as text, 10^x beyond the double range. */
export function formatLog10(log10) {
  if (log10 === null || Number.isNaN(log10)) return 'undefined';
  if (log10 === -Infinity) return '0';
  if (log10 < 300) return formatNumber(10 ** log10);
  return `10^${formatValue(log10, 5)}`;
}

/**
 * Fills list with one legend entry per curve: a line sample in the
 * curve's style and its value at T (the first sweep point at or above T).
 */
export function renderLegend(list, curves, key, symbol, T) {
  const items = curves.map((curve) => {
    let index = curve.T.findIndex((value) => value >= T);
    if (index < 0) index = curve.T.length - 1;
    const sample = lineSample(curve.style);
    const value = formatLog10(curve[key][index]);
    return element('li', {}, sample, `${curve.label}`,
      curve.label === 'this model' ? ` (s_A = ${formatNumber(curve.sA)})` : '',
      `: ${symbol} = ${value} at T = ${curve.T[index]}`);
  });
  list.replaceChildren(...items);
}


/** Returns plot series for the length curves of one quantity (key: 'log10C_F' or 'log10S2'). */
export function curveSeries(curves, key) {
  return curves.map((curve) => ({ ...curve.style, x: curve.T, y: curve[key] }));
}

/**
 * The largest T·T·d·N for which the envelopes are computed: they need
 * the full attention matrix of every channel.
 */
export const ENVELOPE_WORK_LIMIT = 2e8;

/**
 * Computes the envelopes of one input and returns plot data:
 * { result, decay: { x, series }, alpha: { x, series } } with log10 values.
 */
export function computeEnvelopes(model, u, options) {
  const result = envelopes(model, u, options);
  const lags = Float64Array.from({ length: result.T }, (_, k) => k);
  const log10 = (values) => Float64Array.from(values, (value) => (value > 0 ? Math.log10(value) : NaN));
  return {
    result,
    decay: {
      x: lags,
      series: [
        { color: '--plot-current', dash: [], width: 2.5, x: lags, y: result.decay.realized, label: 'realized: max over t of log₁₀ ‖exp(A_c (Λ[t] − Λ[t−k]))‖₂' },
        { color: '--plot-negative', dash: [7, 4], width: 2, x: lags, y: result.decay.bound, label: 'bound: k log₁₀ ρ_A' },
        { color: '--plot-positive', dash: [10, 3, 2, 3], width: 2, x: lags, y: result.decay.bound_paper, label: 'the paper’s ρ_A: k log₁₀ ρ_A (paper)' },
      ],
    },
    alpha: {
      x: lags,
      series: [
        { color: '--plot-current', dash: [], width: 2.5, x: lags, y: log10(result.alpha.realized), label: 'realized: max over j and t of |α_j[t, t−k]|' },
        { color: '--plot-negative', dash: [7, 4], width: 2, x: lags, y: log10(result.alpha.bound), label: 'bound: M_Δ B_B B_C B_u² ρ_A^k' },
      ],
    },
  };
}

/** Returns the y range of a set of log10 series. */
export function seriesRange(series) {
  let low = Infinity;
  let high = -Infinity;
  for (const { y } of series) {
    for (const value of y) {
      if (!Number.isFinite(value)) continue;
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
  }
  if (!Number.isFinite(low)) return [0, 1];
  return [Math.floor(low), Math.max(Math.ceil(high), Math.floor(low) + 1)];
}

/** Fills list with a legend entry per envelope series. */
export function renderSeriesLegend(list, series) {
  list.replaceChildren(...series.map((item) => element('li', {}, lineSample(item), item.label)));
}

/** Describes the realized step sizes against Δ_min and M_Δ in one sentence. */
export function describeStepSizes({ delta }) {
  return `Step sizes on this input: Δ[t] from ${formatNumber(delta.min)} to ${formatNumber(delta.max)} `
    + `(mean ${formatNumber(delta.mean)}), inside the bound's range Δ_min = ${formatNumber(delta.bound_min)} `
    + `to M_Δ = ${formatNumber(delta.bound_max)} over every input with ‖u[t]‖₂ ≤ B_u.`;
}

/** Returns 'T^0.50' style text for a measured exponent of variable. */
function exponentText(variable, exponent) {
  if (exponent === null || !Number.isFinite(exponent)) return 'undefined';
  return `${variable}^${formatValue(Math.abs(exponent) < 5e-4 ? 0 : exponent, 3)}`;
}

function measuredCell(variable, measurement, note = '') {
  return element('td', { 'data-label': `${variable}: this model` },
    element('span', { className: 'exponent' }, exponentText(variable, measurement.local)), ' here, ',
    element('span', { className: 'exponent' }, exponentText(variable, measurement.asymptotic)), ' far out', note);
}

/**
 * Fills tableBody with the paper's Table 1 (one row per model class) and
 * this model's measured exponents, in the row of its regime and in the
 * linear-attention row. options: the bound() options; their T is the
 * model's own value x₀ of the "here" column.
 */
export function renderTable1(tableBody, model, options) {
  const result = table1(model, options);
  const { selective, linear_attention: linear } = result.measured;
  const regimeRow = result.model.regime === 's_A < 0' ? 0 : 1;
  const rows = result.paper.map((paper, index) => {
    const cells = [element('th', { scope: 'row', 'data-label': 'Model' }, paper.model)];
    const measuredT = index === regimeRow;
    const dash = (variable) => element('td', { 'data-label': `${variable}: this model`, className: 'not-measured' }, '—');
    cells.push(element('td', { 'data-label': 'T: paper' }, paper.T));
    if (measuredT) {
      const rate = selective.T.rate_log10 > 0
        ? ` (after dividing C_F by ρ_A^T, which grows by 10^${formatValue(selective.T.rate_log10, 3)} per step)`
        : '';
      cells.push(measuredCell('T', selective.T, rate));
    } else if (index === 2) {
      cells.push(element('td', { 'data-label': 'T: this model' }, element('span', { className: 'exponent' }, exponentText('T', linear.T))));
    } else {
      cells.push(dash('T'));
    }
    cells.push(element('td', { 'data-label': 'd: paper' }, paper.d));
    cells.push(index === regimeRow ? measuredCell('d', selective.d) : dash('d'));
    cells.push(element('td', { 'data-label': 'B_u: paper' }, paper.B_u));
    if (index === regimeRow) {
      cells.push(measuredCell('B_u', selective.B_u, ` (${exponentText('B_u', selective.B_u_full.local)} when M_Δ and ρ_A follow B_u)`));
    } else if (index === 2) {
      cells.push(element('td', { 'data-label': 'B_u: this model' }, element('span', { className: 'exponent' }, exponentText('B_u', linear.B_u))));
    } else {
      cells.push(dash('B_u'));
    }
    return element('tr', { className: index === regimeRow ? 'is-regime' : null }, ...cells);
  });
  tableBody.replaceChildren(...rows);
  return result;
}

/** Describes where the measured exponents of Table 1 come from. */
export function describeTable1(result) {
  const { T, regime, s_A } = result.model;
  return `This model has s_A = ${formatNumber(s_A)} (regime ${regime}). “Here” is the slope of log C_F between x₀ and 2x₀ at this model's own value `
    + `(T = ${T}); “far out” between 10⁴x₀ and 10⁵x₀ (T from ${powerOfTen(8)} to ${powerOfTen(9)}). The paper's table holds M_Δ and ρ_A fixed when B_u varies.`;
}
