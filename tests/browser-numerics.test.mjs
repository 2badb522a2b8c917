// The fixtures computed in Chromium's WebAssembly must be bit-identical to
// the same computation in Node: both run the same module, and wasm's
// float semantics are deterministic (NaN payloads aside, which never reach
// a result here).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.mjs';

const CHROMIUM = CHROMIUM_PATH;
const FIXTURES = new URL('../../shared/fixtures/', import.meta.url);
const NAMES = ['authors-majority-T100-seed1', 'authors-listops-T100-seed1'];

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  chromium = null;
}
const skip = !existsSync(CHROMIUM) ? `${CHROMIUM} not found (Debian: apt-get install chromium)`
  : !chromium ? 'playwright-core not installed; run npm install'
    : !existsSync(FIXTURES) ? 'fixtures not found' : false;

/** Runs in both engines: every result as uint32 bit patterns. */
async function compute(modelBytes, cases, modulePath) {
  const { modelFromFile: load, sweep: sweepTerms } = await import(modulePath);
  const bits = (values) => Array.from(new Uint32Array(Float32Array.from(values).buffer));
  const doubleBits = (values) => Array.from(new Uint32Array(Float64Array.from(values).buffer));
  const model = await load(Uint8Array.from(modelBytes));
  const out = [];
  for (const tokens of cases) {
    const forward = model.forward(tokens);
    const short = tokens.slice(0, 300);
    out.push({
      logits: bits(forward.logits),
      y: bits(forward.y),
      delta: bits(forward.delta),
      alpha: bits(model.attention(short, 'logit')),
      pooled: bits(model.attentionPooled(tokens, 'mean', { size: Math.min(16, tokens.length), mode: 'mean' }).values),
    });
  }
  const points = sweepTerms(model, { over: 'T', from: 1, to: 1e9, points: 40 }).points;
  out.push({ sweep: doubleBits(points.map((point) => point.log10.C_F)) });
  return out;
}

test('fixtures are bit-identical in Node and Chromium', { skip, timeout: 120000 }, async () => {
  const server = await startServer({ port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/bench/browser.html`);
    for (const name of NAMES) {
      const modelBytes = Array.from(readFileSync(new URL(`${name}/model.safetensors`, FIXTURES)));
      const cases = JSON.parse(readFileSync(new URL(`${name}/expected.json`, FIXTURES), 'utf8')).cases.map((c) => c.tokens);
      const inBrowser = await page.evaluate(async ([bytes, tokens]) => {
        // The same function as in Node, passed as source.
        const run = new Function('return ' + tokens.source)();
        return run(bytes, tokens.cases, '/wasm/index.mjs');
      }, [modelBytes, { source: compute.toString(), cases }]);
      const inNode = await compute(modelBytes, cases, '../wasm/index.mjs');
      assert.equal(inBrowser.length, inNode.length);
      inNode.forEach((expected, i) => {
        for (const key of Object.keys(expected)) {
          assert.deepEqual(inBrowser[i][key], expected[key], `${name} case ${i}: ${key} differs between Chromium and Node`);
        }
      });
    }
  } finally {
    await browser.close();
    server.close();
  }
});
