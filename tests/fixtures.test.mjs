// The authors' two trained checkpoints, read from ../shared/fixtures: the
// library must reproduce their PyTorch forward pass and logged norms.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { bound, modelFromStateDict, modelNorms } from '../wasm/index.mjs';

const FIXTURES = new URL('../../shared/fixtures/', import.meta.url);
const NAMES = ['authors-majority-T100-seed1', 'authors-listops-T100-seed1'];
const missing = !existsSync(FIXTURES);
const skip = missing ? `fixtures not found at ${FIXTURES.pathname}` : false;

function load(name) {
  const read = (file) => JSON.parse(readFileSync(new URL(`${name}/${file}`, FIXTURES), 'utf8'));
  return { stateDict: read('model.json'), expected: read('expected.json') };
}

function worstRelative(actual, expected) {
  let worst = 0;
  expected.forEach((value, i) => {
    worst = Math.max(worst, Math.abs(actual[i] - value) / Math.abs(value));
  });
  return worst;
}

for (const name of NAMES) {
  test(`${name}: logits, y[T] and step sizes`, { skip }, async (t) => {
    const { stateDict, expected } = load(name);
    const model = await modelFromStateDict(stateDict);
    const worst = { logits: 0, y_last: 0, delta: 0 };
    for (const c of expected.cases) {
      for (const kernel of ['simd', 'plain']) {
        const out = model.forward(c.tokens, { kernel });
        const errors = {
          logits: worstRelative(out.logits, c.logits),
          y_last: worstRelative(out.y_last, c.y_last),
          delta: worstRelative(out.delta, c.delta_first8),
        };
        for (const [key, error] of Object.entries(errors)) {
          assert.ok(error <= 1e-4, `${kernel}, T=${c.tokens.length}: ${key} relative error ${error}`);
          worst[key] = Math.max(worst[key], error);
        }
      }
    }
    t.diagnostic(`worst relative error vs PyTorch: logits ${worst.logits.toExponential(2)}, y[T] ${worst.y_last.toExponential(2)}, delta ${worst.delta.toExponential(2)}`);
  });

  test(`${name}: logged norms`, { skip }, async (t) => {
    const { stateDict, expected } = load(name);
    const model = await modelFromStateDict(stateDict);
    const logged = expected.logged_norms_last_epoch;
    const norms = modelNorms(model);
    // The authors log Frobenius norms for W_B, W_C and q, entrywise L1 for
    // M_B and M_C, max|A| for B_A and |p| as L_p.
    const pairs = {
      s_A: norms.s_A, L_p: Math.abs(norms.p), B_q: norms.B_q, B_B: norms.B_B_frobenius,
      M_B: norms.M_B, B_C: norms.B_C_frobenius, M_C: norms.M_C, B_A: norms.B_A,
    };
    let worst = 0;
    for (const [key, value] of Object.entries(pairs)) {
      const error = Math.abs(value - logged[key]) / Math.abs(logged[key]);
      assert.ok(error <= 1e-5, `${key}: computed ${value}, logged ${logged[key]}`);
      worst = Math.max(worst, error);
    }
    // A spectral norm never exceeds the Frobenius norm.
    assert.ok(norms.B_B <= norms.B_B_frobenius, `B_B ${norms.B_B} > ${norms.B_B_frobenius}`);
    assert.ok(norms.B_C <= norms.B_C_frobenius, `B_C ${norms.B_C} > ${norms.B_C_frobenius}`);
    t.diagnostic(`worst relative error vs logged norms: ${worst.toExponential(2)}`);
  });
}

test('majority model at T = 1000 gives its real value, overflow beyond', { skip }, async () => {
  const { stateDict, expected } = load('authors-majority-T100-seed1');
  const model = await modelFromStateDict(stateDict);
  const long = expected.cases.find((c) => c.tokens.length === 1000);
  assert.ok(long, 'the fixture has a case with T = 1000');
  const { logits } = model.forward(long.tokens);
  assert.ok(logits[0] < -4e4, `logit ${logits[0]}`);
  assert.ok(logits[0] > -6e4, `logit ${logits[0]}`);

  // s_A ≈ +0.09 keeps growing: ten copies of the sequence leave float32.
  const tokens = Array.from({ length: 10 }, () => long.tokens).flat();
  assert.throws(() => model.forward(tokens), (error) => error.code === 'overflow' && error.step > 1000);
  assert.throws(() => model.attention(tokens.slice(0, 9000), 'logit'), (error) => error.code === 'overflow');
});

test('majority model bound uses M_delta for rho_A because s_A > 0', { skip }, async () => {
  const { stateDict } = load('authors-majority-T100-seed1');
  const model = await modelFromStateDict(stateDict);
  const terms = bound(model, { T: 100 });
  assert.ok(terms.s_A > 0);
  assert.ok(terms.rho_A_differs);
  const close = (a, b) => Math.abs(a - b) <= 1e-14 * Math.abs(b);
  assert.ok(close(terms.rho_A, Math.exp(terms.s_A * terms.M_delta)), `rho_A ${terms.rho_A}`);
  assert.ok(close(terms.rho_A_paper, Math.exp(terms.s_A * terms.delta_min)), `rho_A_paper ${terms.rho_A_paper}`);
  assert.ok(terms.rho_A > terms.rho_A_paper);
});
