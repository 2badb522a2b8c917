// The vector exp of the SIMD kernels (core/vexp.h) against Math.exp.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadWasm } from '../wasm/index.mjs';
import { seededRandom } from './reference.mjs';

const { exports: wasm } = await loadWasm();

/** Runs ssm_exp_vector on xs and returns the results. */
function vectorExp(xs) {
  const bytes = xs.length * 8;
  const input = wasm.malloc(bytes);
  const output = wasm.malloc(bytes);
  try {
    new Float64Array(wasm.memory.buffer, input, xs.length).set(xs);
    wasm.ssm_exp_vector(input, output, xs.length);
    return new Float64Array(wasm.memory.buffer, output, xs.length).slice();
  } finally {
    wasm.free(input);
    wasm.free(output);
  }
}

/** Distance in units in the last place between two positive doubles. */
function ulps(a, b) {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Number(view.getBigInt64(0) - view.getBigInt64(8));
}

test('vector exp is within 2 ulp of Math.exp', (t) => {
  const random = seededRandom(17);
  const xs = [];
  // Dense near 0, where the decays of the scan live, and across the range.
  for (let i = 0; i < 20000; i++) xs.push(-20 * random());
  for (let i = 0; i < 20000; i++) xs.push(-708 + 1417 * random());
  xs.push(0, -0, 1e-300, -1e-300, 1, -1, Math.LN2, -Math.LN2, 708.9, -707.9, 0.5, -0.5);
  const ys = vectorExp(Float64Array.from(xs));
  let worst = 0;
  xs.forEach((x, i) => {
    const error = Math.abs(ulps(ys[i], Math.exp(x)));
    assert.ok(error <= 2, `exp(${x}) = ${ys[i]}, Math.exp gives ${Math.exp(x)} (${error} ulp)`);
    worst = Math.max(worst, error);
  });
  t.diagnostic(`vector exp vs Math.exp on ${xs.length} points: worst ${worst} ulp`);
});

test('vector exp saturates outside its range', () => {
  const ys = vectorExp(Float64Array.from([-709, -1000, -Infinity, 710, 1000, Infinity]));
  assert.deepEqual(Array.from(ys.subarray(0, 3)), [0, 0, 0]);
  assert.deepEqual(Array.from(ys.subarray(3)), [Infinity, Infinity, Infinity]);
});
