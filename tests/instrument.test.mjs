// Sweeps, envelopes and the measured Table 1 (wasm/instrument.mjs and
// core/sweep.c).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import {
  bound, createModel, envelopes, modelFromStateDict, randomModel, spacedValues, sweep, table1,
} from '../wasm/index.mjs';

const FIXTURES = new URL('../../shared/fixtures/', import.meta.url);
const skipFixtures = existsSync(FIXTURES) ? false : `fixtures not found at ${FIXTURES.pathname}`;
const CLI = fileURLToPath(new URL('../bin/ssm-lens.mjs', import.meta.url));

async function fixtureModel(name) {
  return modelFromStateDict(readFileSync(new URL(`${name}/model.json`, FIXTURES), 'utf8'));
}

/** Compares two bound() results term by term, log10 values included. */
function assertSameTerms(actual, expected, label) {
  for (const [name, value] of Object.entries(expected)) {
    if (name === 'log10') {
      for (const [key, log] of Object.entries(value)) {
        assert.ok(Object.is(actual.log10[key], log) || Math.abs(actual.log10[key] - log) <= 1e-12 * Math.abs(log), `${label}: log10.${key} ${actual.log10[key]} vs ${log}`);
      }
    } else if (typeof value === 'number') {
      const close = Object.is(actual[name], value) || Math.abs(actual[name] - value) <= 1e-12 * Math.abs(value);
      assert.ok(close, `${label}: ${name} ${actual[name]} vs ${value}`);
    } else {
      assert.deepEqual(actual[name], value, `${label}: ${name}`);
    }
  }
}

test('sweep over T equals single bound calls', async () => {
  const model = await randomModel({ d: 4, N: 4, sA: 0.02, seed: 6 });
  const options = { m: 500, delta: 0.1, c_l: 2, l_l: 3, B_u: 1.2 };
  const result = sweep(model, { ...options, over: 'T', from: 1, to: 1e9, points: 40 });
  assert.equal(result.values[0], 1);
  assert.equal(result.values[result.values.length - 1], 1e9);
  result.points.forEach((point, i) => {
    assertSameTerms(point, bound(model, { ...options, T: result.values[i] }), `T=${result.values[i]}`);
  });
});

test('sweep over s_A equals bound on a shifted A', async () => {
  const model = await randomModel({ d: 3, N: 5, sA: -0.05, vocab: 4, seed: 2 });
  const values = [-0.3, -0.1, 0, 0.04, 0.2, 3];
  const result = sweep(model, { over: 's_A', values, T: 400 });
  for (const [i, value] of values.entries()) {
    // Shift A so that its largest entry is the sweep value; keep the rest.
    const shift = value - model.sA;
    const shifted = await createModel({
      A: model.A.map((a) => a + shift), W_B: model.W_B, W_C: model.W_C, q: model.q, p: model.p,
      W: model.W, embedding: model.embedding, d: 3, N: 5, vocab: 4,
    });
    const expected = bound(shifted, { T: 400 });
    // The shifted float32 A differs from the exact shift by rounding only.
    for (const name of ['s_A', 'B_A', 'rho_A', 'C_F', 'lower_bound']) {
      const got = result.points[i][name];
      const want = expected[name];
      assert.ok(Math.abs(got - want) <= 1e-5 * Math.abs(want) + 1e-9, `s_A=${value}: ${name} ${got} vs ${want}`);
    }
    assert.equal(result.points[i].s_A, value);
  }
});

test('sweep rejects invalid grids by name', async () => {
  const model = await randomModel();
  assert.throws(() => sweep(model, { over: 'N', values: [1] }), /over must be 'T' or 's_A', got the string "N"/);
  assert.throws(() => sweep(model, { over: 'T', values: [1, 2.5] }), /values\[1\] \(T\) must be an integer/);
  assert.throws(() => sweep(model, { over: 'T', values: [0] }), /values\[0\] \(T\) must be an integer with 1 ≤/);
  assert.throws(() => sweep(model, { over: 'T', values: [] }), /values must not be empty/);
  assert.throws(() => sweep(model, { over: 's_A', values: [NaN], T: 5 }), /values\[0\] \(s_A\) must be a finite number/);
  assert.throws(() => sweep(model, { over: 's_A', values: [0] }), /T is missing/);
  assert.throws(() => sweep(model, { over: 'T' }), /give values, or from and to/);
  assert.throws(() => sweep(model, { over: 'T', from: 10, to: 5 }), /to must be a finite number with 10 ≤ to/);
});

test('spacedValues spans the range and rounds for T', () => {
  const values = spacedValues(1, 1e9, 1000, { integer: true });
  assert.equal(values.length, 1000);
  assert.equal(values[0], 1);
  assert.equal(values[values.length - 1], 1e9);
  for (let i = 1; i < values.length; i++) assert.ok(values[i] > values[i - 1]);
  assert.deepEqual(spacedValues(-0.1, 0.1, 3, { log: false }), [-0.1, 0, 0.1]);
  assert.deepEqual(spacedValues(1, 4, 10, { integer: true }), [1, 2, 3, 4]);
  assert.deepEqual(spacedValues(1, 100, 3), [1, 10, 100]);
  assert.deepEqual(spacedValues(7, 100, 1), [7]);
  assert.throws(() => spacedValues(5, 1, 3, { integer: true }), /to must be a finite number with 5 ≤ to/);
  assert.throws(() => spacedValues(1.5, 1.7, 3, { integer: true }), /no integer lies between from = 1.5 and to = 1.7/);
});

test('C_F doubling ratio: flat, quadratic, exponential', async () => {
  // s_A < 0: S2 converges, so C_F(2T)/C_F(T) → 1.
  const stable = await randomModel({ d: 4, N: 4, sA: -0.1, seed: 1 });
  const ratios = [1e2, 1e4, 1e6].map((T) => {
    const [a, b] = sweep(stable, { over: 'T', values: [T, 2 * T] }).points;
    return b.C_F / a.C_F;
  });
  assert.ok(ratios[0] > ratios[1], `ratios ${ratios}`);
  assert.ok(ratios[1] > ratios[2], `ratios ${ratios}`);
  assert.ok(Math.abs(ratios[2] - 1) < 1e-9, `ratio at T = 1e6: ${ratios[2]}`);

  // ρ_A = 1 exactly (s_A = 0, η = 0): S2 = T(T-1)/2, the ratio → 4.
  const flat = await randomModel({ d: 4, N: 4, sA: 0, seed: 1 });
  const [a, b] = sweep(flat, { over: 'T', values: [1e6, 2e6] }).points;
  assert.equal(a.rho_A, 1);
  assert.ok(Math.abs(b.C_F / a.C_F - 4) < 1e-5, `ratio ${b.C_F / a.C_F}`);

  // s_A > 0: ln C_F grows linearly in T with slope ln ρ_A.
  const growing = await randomModel({ d: 4, N: 4, sA: 0.05, seed: 1 });
  const points = sweep(growing, { over: 'T', values: [1e5, 2e5, 4e5] }).points;
  const slopes = [0, 1].map((i) => (points[i + 1].log10.C_F - points[i].log10.C_F) * Math.LN10 / (points[i + 1].T - points[i].T));
  const lnRho = Math.log(points[0].rho_A);
  for (const slope of slopes) assert.ok(Math.abs(slope - lnRho) < 1e-4 * lnRho, `slope ${slope}, ln ρ_A ${lnRho}`);
});

test('table1 exponents approach the paper', async (t) => {
  for (const sA of [-0.1, 0, 0.05]) {
    const model = await randomModel({ d: 4, N: 4, sA, seed: 8 });
    const { measured, model: info } = table1(model, { T: 500 });
    assert.ok(Math.abs(measured.selective.d.asymptotic - 0.5) < 0.05, `d exponent ${measured.selective.d.asymptotic}`);
    assert.ok(Math.abs(measured.selective.B_u.asymptotic - 4) < 0.05, `B_u exponent ${measured.selective.B_u.asymptotic}`);
    assert.ok(Math.abs(measured.linear_attention.T - 1) < 1e-9);
    assert.ok(Math.abs(measured.linear_attention.B_u - 3) < 1e-9);
    if (sA < 0) assert.ok(Math.abs(measured.selective.T.asymptotic) < 1e-6, `T exponent ${measured.selective.T.asymptotic}`);
    if (sA === 0) assert.ok(Math.abs(measured.selective.T.asymptotic - 2) < 1e-6, `T exponent ${measured.selective.T.asymptotic}`);
    if (sA > 0) {
      // C_F / ρ_A^T grows like T: exponent 1.
      assert.ok(Math.abs(measured.selective.T.asymptotic - 1) < 1e-3, `T exponent ${measured.selective.T.asymptotic}`);
      assert.ok(Math.abs(measured.selective.T.rate_log10 - Math.log10(info.rho_A)) < 1e-12);
    }
    t.diagnostic(`s_A=${sA}: d ${measured.selective.d.asymptotic.toFixed(4)}, B_u ${measured.selective.B_u.asymptotic.toFixed(4)}, T ${measured.selective.T.asymptotic.toFixed(4)} (${info.regime})`);
  }
});

/** Asserts realized ≤ bound; step sizes and decays are float64, α float32. */
function assertEnvelopes(result, label) {
  const { delta, decay, alpha } = result;
  const close = 1 + 1e-12;
  assert.ok(delta.min >= delta.bound_min / close, `${label}: min Δ ${delta.min} < Δ_min ${delta.bound_min}`);
  assert.ok(delta.max <= delta.bound_max * close, `${label}: max Δ ${delta.max} > M_Δ ${delta.bound_max}`);
  for (let k = 0; k < result.T; k++) {
    const tolerance = 1e-12 * (1 + Math.abs(decay.bound[k]));
    assert.ok(decay.realized[k] <= decay.bound[k] + tolerance, `${label}: lag ${k} decay 10^${decay.realized[k]} > 10^${decay.bound[k]}`);
    assert.ok(alpha.realized[k] <= alpha.bound[k] * (1 + 1e-5), `${label}: lag ${k} |α| ${alpha.realized[k]} > ${alpha.bound[k]}`);
  }
}

test('envelopes hold where the input reaches B_u', async () => {
  // d = 1 with u aligned to q: the largest step equals M_Δ exactly.
  const model = await createModel({
    A: [[-0.5, -1]], W_B: [[1], [0.5]], W_C: [[1], [-0.5]], q: [2], p: 0, w: [1], embedding: [[1], [-1]],
  });
  for (const tokens of [[0, 1, 1, 0, 1], [0, 0, 0], [1, 1, 1, 1]]) {
    assertEnvelopes(envelopes(model, tokens), `tokens ${tokens}`);
  }
});

test('envelopes never exceed their bounds on random models', async () => {
  for (const sA of [-0.5, -0.05, 0, 0.05, 0.3]) {
    for (const seed of [1, 2, 3]) {
      const model = await randomModel({ d: 3, N: 4, sA, vocab: 5, seed });
      const tokens = Array.from({ length: 60 }, (_, t) => (t * 7 + seed) % 5);
      assertEnvelopes(envelopes(model, tokens), `s_A=${sA} seed=${seed}`);
    }
  }
});

test('envelopes on the fixtures, and the paper rho_A fails for s_A > 0', { skip: skipFixtures }, async (t) => {
  for (const name of ['authors-majority-T100-seed1', 'authors-listops-T100-seed1']) {
    const model = await fixtureModel(name);
    const expected = JSON.parse(readFileSync(new URL(`${name}/expected.json`, FIXTURES), 'utf8'));
    for (const c of expected.cases.filter((item) => item.tokens.length <= 400)) {
      const result = envelopes(model, c.tokens);
      assertEnvelopes(result, `${name} T=${c.tokens.length}`);
      if (result.s_A > 0 && result.T > 50) {
        // With s_A > 0 the decay grows, and Δ_min understates it.
        const violated = Array.from(result.decay.realized).some((v, k) => v > result.decay.bound_paper[k]);
        assert.ok(violated, `${name}: expected the paper's ρ_A to be exceeded`);
      }
    }
    t.diagnostic(`${name}: envelopes hold on ${expected.cases.length} cases`);
  }
});

test('cli sweep writes CSV and JSON', { skip: skipFixtures }, () => {
  const model = fileURLToPath(new URL('authors-majority-T100-seed1/model.json', FIXTURES));
  const csv = spawnSync(process.execPath, [CLI, 'sweep', '--model', model, '--over', 'T', '--from', '1', '--to', '1e6', '--points', '50', '--csv'], { encoding: 'utf8' });
  assert.equal(csv.status, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  const header = lines[0].split(',');
  assert.equal(lines.length, 51);
  assert.ok(header.includes('C_F'));
  assert.ok(header.includes('log10_C_F'));
  const last = lines[50].split(',');
  assert.equal(last[header.indexOf('T')], '1000000');
  assert.equal(last[header.indexOf('C_F')], '', 'C_F beyond the double range is empty');
  assert.ok(Number(last[header.indexOf('log10_C_F')]) > 308);

  const json = spawnSync(process.execPath, [CLI, 'sweep', '--model', model, '--over', 's_A', '--from', '-0.1', '--to', '0.1', '--points', '5', '--T', '1000', '--json'], { encoding: 'utf8' });
  assert.equal(json.status, 0, json.stderr);
  const result = JSON.parse(json.stdout);
  assert.deepEqual(result.values, [-0.1, -0.05, 0, 0.05, 0.1]);
  const s2 = result.points.map((point) => point.S2);
  for (let i = 1; i < s2.length; i++) assert.ok(s2[i] > s2[i - 1], 'S2 grows with s_A');

  const bad = spawnSync(process.execPath, [CLI, 'sweep', '--model', model, '--over', 'd', '--from', '1', '--to', '2'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--over must be 'T' or 's_A', got 'd'/);
});

test('sweep handles large models and rejects inherited names', async () => {
  const model = await randomModel({ d: 512, N: 512, vocab: 0, seed: 1 });
  const result = sweep(model, { over: 'T', from: 1, to: 100, points: 5, B_u: 1 });
  assert.equal(result.points.length, 5);
  assert.throws(() => sweep(model, { over: 'constructor', from: 1, to: 2, B_u: 1 }), /over must be 'T' or 's_A', got the string "constructor"/);
  assert.throws(() => model.attentionPooled(new Float32Array(512 * 4), 0, { mode: 'toString' }), /mode must be 'max' or 'mean', got the string "toString"/);
});
