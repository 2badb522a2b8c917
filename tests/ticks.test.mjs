// Axis ticks (wasm/ticks.mjs), shared by the page's plots and the CLI's figures.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { linearTicks, niceLinearStep } from '../wasm/ticks.mjs';

test('ticks label zero as 0', () => {
  // lo carries float noise from a sum, as a plot's data range can.
  assert.deepEqual(linearTicks(2.7755575615628914e-17 - 0.1, 0.2, 0.1), [-0.1, 0, 0.1, 0.2]);
  assert.deepEqual(linearTicks(-0.05, 0.1, 0.05), [-0.05, 0, 0.05, 0.1]);
  assert.deepEqual(linearTicks(0.1, 0.35, 0.1), [0.1, 0.2, 0.3]);
});

test('nice steps are 1, 2 or 5 times a power of ten', () => {
  assert.equal(niceLinearStep(400, 4), 100);
  assert.equal(niceLinearStep(0.25, 6), 0.05);
  assert.equal(niceLinearStep(7, 2), 5);
});
