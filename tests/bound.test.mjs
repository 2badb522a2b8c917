// The bound's terms (core/bound.c): length sums against direct summation,
// the Rademacher sum against enumeration, and the closed forms of the rest.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bound, createModel, loadWasm, randomModel } from '../wasm/index.mjs';
import { compensatedSum, enumeratedAbsRademacherSum, softplus } from './reference.mjs';

const { exports: wasm } = await loadWasm();

/** Calls ssm_length_sums(log_rho, T) and returns { S1, log10_S1, S2, log10_S2 }. */
function lengthSums(logRho, T) {
  const out = wasm.malloc(32);
  try {
    const status = wasm.ssm_length_sums(logRho, T, out, out + 8, out + 16, out + 24);
    assert.equal(status, 0, `ssm_length_sums(${logRho}, ${T}) status`);
    const [S1, log10_S1, S2, log10_S2] = new Float64Array(wasm.memory.buffer, out, 4);
    return { S1, log10_S1, S2, log10_S2 };
  } finally {
    wasm.free(out);
  }
}

function relative(actual, expected) {
  return Math.abs(actual - expected) / Math.abs(expected);
}

test('length sums match direct summation', async (t) => {
  const rhos = [0.5, 0.9, 0.999, 1 - 1e-6, 1 - 1e-9, 1, 1 + 1e-9, 1 + 1e-6, 1.0001, 1.01, 1.3];
  const lengths = [1, 2, 3, 10, 1000, 100000, 1000000];
  let worst = 0;
  for (const rho of rhos) {
    const x = Math.log(rho);
    for (const T of lengths) {
      if (T * x > 600) continue; // beyond the double range; checked in log10 below
      const { S1, S2 } = lengthSums(x, T);
      const S1Direct = compensatedSum(T, (k) => Math.exp(k * x));
      const S2Direct = compensatedSum(T, (k) => k * Math.exp(k * x));
      assert.ok(relative(S1, S1Direct) < 1e-11, `S1(ρ=${rho}, T=${T}) = ${S1}, direct ${S1Direct}`);
      if (T > 1) assert.ok(relative(S2, S2Direct) < 1e-11, `S2(ρ=${rho}, T=${T}) = ${S2}, direct ${S2Direct}`);
      else assert.equal(S2, 0);
      worst = Math.max(worst, relative(S1, S1Direct), T > 1 ? relative(S2, S2Direct) : 0);
    }
  }
  t.diagnostic(`length sums vs compensated direct summation (T ≤ 1e6): worst relative error ${worst.toExponential(2)}`);
});

test('length sums at rho = 1 are T and T(T-1)/2', () => {
  for (const T of [1, 2, 7, 1e6, 1e9]) {
    const { S1, S2 } = lengthSums(0, T);
    assert.equal(S1, T);
    assert.equal(S2, (T * (T - 1)) / 2);
  }
});

test('length sums stay finite in log10 beyond the double range', () => {
  const x = Math.log(1.01);
  const T = 1e9;
  const { S1, log10_S1, S2, log10_S2 } = lengthSums(x, T);
  assert.equal(S1, Infinity);
  assert.equal(S2, Infinity);
  // S1 ≈ ρ^T / (ρ - 1) and S2 ≈ T ρ^T / (ρ - 1) when ρ^T is huge.
  const expected1 = (T * x - Math.log(Math.expm1(x))) / Math.LN10;
  const expected2 = (T * x + Math.log(T) - Math.log(Math.expm1(x))) / Math.LN10;
  assert.ok(relative(log10_S1, expected1) < 1e-12, `log10 S1 ${log10_S1}, expected ${expected1}`);
  assert.ok(Math.abs(log10_S2 - expected2) < 1e-6, `log10 S2 ${log10_S2}, expected ${expected2}`);
});

test('length sums converge for rho < 1 (length independence)', () => {
  const rho = 0.97;
  const limit2 = rho / (1 - rho) ** 2;
  const { S1, S2 } = lengthSums(Math.log(rho), 1e9);
  assert.ok(relative(S1, 1 / (1 - rho)) < 1e-12);
  assert.ok(relative(S2, limit2) < 1e-12);
});

test('E|Σσ| matches enumeration and the asymptote', (t) => {
  let worst = 0;
  for (let m = 1; m <= 20; m++) {
    const exact = wasm.ssm_expected_abs_rademacher_sum(m);
    const enumerated = enumeratedAbsRademacherSum(m);
    assert.ok(relative(exact, enumerated) < 1e-14, `m=${m}: ${exact}, enumeration ${enumerated}`);
    worst = Math.max(worst, relative(exact, enumerated));
  }
  t.diagnostic(`E|Σσ| vs enumeration, m ≤ 20: worst relative error ${worst.toExponential(2)}`);
  // E|S_m| ~ sqrt(2m/π) (1 + O(1/m)), across the switch to the series at m ≈ 2e5.
  for (const m of [1e3, 199999, 200001, 200002, 1e6, 1e9]) {
    const ratio = wasm.ssm_expected_abs_rademacher_sum(m) / Math.sqrt((2 * m) / Math.PI);
    assert.ok(Math.abs(ratio - 1) < 1 / m, `m=${m}: ratio to sqrt(2m/π) is ${ratio}`);
  }
  // The product and the series agree where they meet.
  const below = wasm.ssm_expected_abs_rademacher_sum(200001) / Math.sqrt(200001);
  const above = wasm.ssm_expected_abs_rademacher_sum(200003) / Math.sqrt(200003);
  assert.ok(Math.abs(below - above) < 1e-10);
});

async function scalarModel({ a, b = 1, c = 1, q = 0, p = 0, w = 1 }) {
  return createModel({ A: [[a]], W_B: [[b]], W_C: [[c]], q: [q], p, w: [w] });
}

test('bound terms follow their closed forms', async () => {
  const model = await randomModel({ d: 4, N: 3, sA: -0.2, seed: 9 });
  const terms = bound(model, { B_u: 1.5, T: 50, m: 500, delta: 0.1, c_l: 2, l_l: 0.5 });
  const reach = terms.B_q * terms.B_u;
  assert.ok(relative(terms.delta_min, softplus(terms.p - reach)) < 1e-14);
  assert.ok(relative(terms.M_delta, softplus(terms.p + reach)) < 1e-14);
  assert.ok(relative(terms.rho_A, Math.exp(-0.2 * terms.delta_min)) < 1e-6);
  assert.equal(terms.rho_A, terms.rho_A_paper);
  const S2 = compensatedSum(50, (k) => k * terms.rho_A ** k);
  assert.ok(relative(terms.S2, S2) < 1e-12);
  const bracket = (terms.M_delta * Math.sqrt(12)) ** (2 / 3) + reach ** (2 / 3);
  const capacity = terms.M_delta * terms.B_w * terms.B_B * terms.B_C * terms.B_A * terms.B_u ** 3 * S2 * bracket ** 1.5;
  assert.ok(relative(terms.C_F, capacity) < 1e-12, `C_F ${terms.C_F}, expected ${capacity}`);
  assert.ok(relative(terms.C_F_linear_attention, terms.B_w * terms.B_B * terms.B_C * 1.5 ** 3 * 50) < 1e-14);
  assert.ok(relative(10 ** terms.log10.C_F, terms.C_F) < 1e-12);
});

test('gap bound is the formula when defined, vacuous otherwise', async () => {
  // A tiny model makes C_F small enough for a meaningful bound.
  const model = await scalarModel({ a: -1, b: 0.1, c: 0.1, q: 0.1, p: 0, w: 0.1 });
  const terms = bound(model, { B_u: 1, T: 20, m: 1e8, delta: 0.05 });
  const C = terms.C_F;
  const expected = (24 * C / 1e4) * (1 + Math.log(1e4 / (3 * C))) + 3 * Math.sqrt(Math.log(40) / 2e8);
  assert.equal(terms.vacuous, false);
  assert.ok(relative(terms.gap_bound, expected) < 1e-12, `gap ${terms.gap_bound}, expected ${expected}`);
  assert.ok(terms.gap_bound < 1);

  // Few samples: the formula is defined but not below the loss range.
  const few = bound(model, { B_u: 1, T: 20, m: 1 });
  assert.ok(1 > 3 * few.C_F);
  assert.equal(few.vacuous, true);
  assert.ok(few.gap_bound >= 1, `gap ${few.gap_bound}`);

  // Large inputs: c_l √m ≤ 3 l_l C_F, the logarithm is not positive.
  const large = bound(model, { B_u: 100, T: 20, m: 1000 });
  assert.ok(Math.sqrt(1000) <= 3 * large.C_F);
  assert.equal(large.vacuous, true);
  assert.equal(large.gap_bound, null);
});

test('bound is monotone in T and flat for s_A < 0', async () => {
  const model = await randomModel({ d: 4, N: 4, sA: -0.5, seed: 3 });
  let previous = 0;
  const values = [];
  for (const T of [1, 10, 100, 1e3, 1e4, 1e6, 1e9]) {
    const { C_F } = bound(model, { B_u: 1, T });
    assert.ok(C_F >= previous, `C_F(T=${T}) = ${C_F} fell below ${previous}`);
    previous = C_F;
    values.push(C_F);
  }
  // S2 converges, so C_F(1e9) / C_F(1e6) → 1.
  assert.ok(relative(values[6], values[5]) < 1e-9);
});

test('bound growth at s_A = 0 and s_A > 0', async () => {
  // A = [0, -1]: s_A = 0 exactly, while B_A = 1 keeps C_F non-zero.
  const flat = await createModel({ A: [[0, -1]], W_B: [[1], [1]], W_C: [[1], [1]], q: [0], p: 0, w: [1] });
  const r = bound(flat, { B_u: 1, T: 2e6 }).C_F / bound(flat, { B_u: 1, T: 1e6 }).C_F;
  assert.ok(Math.abs(r - 4) < 1e-5, `C_F(2T)/C_F(T) = ${r}`);

  const growing = await scalarModel({ a: 0.1 });
  const terms = bound(growing, { B_u: 1, T: 1e6 });
  assert.deepEqual(terms.overflow.sort(), ['C_F', 'S1', 'S2', 'lower_bound', 'lower_bound_paper']);
  assert.equal(terms.C_F, null);
  assert.ok(Number.isFinite(terms.log10.C_F));
  assert.ok(terms.log10.C_F > 308);
  assert.equal(terms.vacuous, true);
  // S2 ≈ T ρ^T / (ρ - 1) here, so log10 S2 gains 1000 log10 ρ_A + log10((T+1000)/T).
  const next = bound(growing, { B_u: 1, T: 1e6 + 1000 });
  const gain = next.log10.S2 - terms.log10.S2;
  const expected = 1000 * Math.log10(terms.rho_A) + Math.log10((1e6 + 1000) / 1e6);
  assert.ok(Math.abs(gain - expected) < 1e-8, `log10 S2 gained ${gain}, expected ${expected}`);
});

test('lower bound is exact for the scalar sub-class', async () => {
  const model = await scalarModel({ a: 0.05, w: 2 });
  const terms = bound(model, { B_u: 1, T: 40, m: 10 });
  const sA = Math.fround(0.05); // A is stored as float32
  const x = compensatedSum(40, (k) => Math.exp(sA * k));
  const expected = 2 * x * enumeratedAbsRademacherSum(10) / 10;
  assert.ok(relative(terms.lower_bound, expected) < 1e-12, `lower bound ${terms.lower_bound}, expected ${expected}`);
  const paper = 2 * (((1 + sA) ** 40 - 1) / sA) * Math.sqrt(2 / (Math.PI * 10));
  assert.ok(relative(terms.lower_bound_paper, paper) < 1e-12);

  const zero = bound(await scalarModel({ a: 0, w: 2 }), { B_u: 1, T: 40, m: 10 });
  assert.ok(relative(zero.lower_bound_paper, 2 * 40 * Math.sqrt(2 / (Math.PI * 10))) < 1e-12);
});

test('spectral norms are exact on known matrices', async () => {
  // W_B = diag(3, -4) padded: singular values 4 and 3. W_C has rank one:
  // its spectral norm equals its Frobenius norm.
  const model = await createModel({
    A: [[-1, -2], [-1, -3], [-2, -1]], W_B: [[3, 0, 0], [0, -4, 0]], W_C: [[1, 2, 2], [2, 4, 4]],
    q: [0, 0, 0], p: 0, W: [[1, 0, 0], [0, 2, 0]],
  });
  const terms = bound(model, { B_u: 1, T: 1 });
  assert.ok(relative(terms.B_B, 4) < 1e-14);
  assert.ok(relative(terms.B_B_frobenius, 5) < 1e-14);
  assert.ok(relative(terms.B_C, Math.sqrt(45)) < 1e-14);
  assert.ok(relative(terms.B_w, 2) < 1e-14);
  assert.equal(terms.M_A, 10);
  assert.equal(terms.B_A, 3);
  assert.equal(terms.s_A, -1);
  const frobenius = bound(model, { B_u: 1, T: 1, norms: 'frobenius' });
  assert.equal(frobenius.B_B, frobenius.B_B_frobenius);
});

test('B_u and T come from the sequences', async () => {
  const model = await randomModel({ d: 3, N: 2, vocab: 4, seed: 5 });
  const terms = bound(model, { sequences: [[0, 1], [2, 2, 2, 1]] });
  assert.equal(terms.T, 4);
  const rowNorm = (token) => Math.hypot(...model.embedding.subarray(token * 3, token * 3 + 3));
  assert.ok(relative(terms.B_u, Math.max(rowNorm(0), rowNorm(1), rowNorm(2))) < 1e-7);
  const everyToken = bound(model, { T: 4 });
  assert.ok(relative(everyToken.B_u, Math.max(...[0, 1, 2, 3].map(rowNorm))) < 1e-7);
});

test('rho_A beyond the double range is null with its log10', async () => {
  const model = await scalarModel({ a: 10, q: 1 });
  const terms = bound(model, { T: 100, B_u: 100 });
  assert.equal(terms.rho_A, null);
  assert.ok(terms.overflow.includes('rho_A'));
  assert.ok(Number.isFinite(terms.log10.rho_A));
  assert.ok(Math.abs(terms.log10.rho_A - (Math.fround(10) * terms.M_delta) / Math.LN10) < 1e-9 * terms.log10.rho_A);
});

test('huge B_u keeps C_F in log10', async () => {
  // With q ≠ 0, M_Δ grows like B_q B_u, so C_F is about B_w B_B B_C B_u^5 = 1e90 · 1e225.
  const model = await scalarModel({ a: -1, q: 1, b: 1e30, c: 1e30, w: 1e30 });
  const terms = bound(model, { T: 100, B_u: 1e45 });
  assert.equal(terms.C_F, null);
  assert.ok(terms.overflow.includes('C_F'));
  assert.ok(Number.isFinite(terms.log10.C_F));
  assert.ok(terms.log10.C_F > 310);
  assert.ok(Number.isFinite(terms.log10.C_F_linear_attention));
  assert.throws(() => bound(model, { T: 100, B_u: 1e60 }), /B_u must be a finite number with 0 ≤ B_u ≤ 1e\+50, got 1e\+60/);
});

test('bound rejects B_u or T below the given sequences', async () => {
  const model = await randomModel({ d: 3, N: 2, vocab: 4, seed: 5 });
  assert.throws(() => bound(model, { sequences: [[0, 1, 1, 1]], B_u: 0.001 }), /B_u = 0\.001 is below the largest ‖u\[t\]‖₂ = [\d.]+ of the given sequences/);
  assert.throws(() => bound(model, { sequences: [[0, 1, 1, 1]], T: 2 }), /T = 2 is below the longest given sequence \(4 steps\)/);
  assert.throws(() => bound(model, { T: 10, eta: 1e308 }), /eta must be a finite number with 0 ≤ eta ≤ 1000000, got 1e\+308/);
  assert.throws(() => bound(model, { T: 10, c_l: 1e308 }), /c_l must be a finite number with 0 < c_l < 1e\+100/);
});
