// Times the public API inside headless Chromium, where most users run it:
// a 1000-point bound sweep and the attention matrix. Returns medians in
// milliseconds, or { skipped } when Chromium or playwright-core is missing.
import { existsSync } from 'node:fs';

import { startServer } from '../scripts/serve.mjs';

const CHROMIUM = '/usr/bin/chromium';

/** Runs in the page: imports the library and times its calls. */
async function timeInPage() {
  const { randomModel, sweep } = await import('/wasm/index.mjs');
  const median = (fn, runs) => {
    fn();
    const times = [];
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      fn();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(runs / 2)];
  };
  const model = await randomModel({ sA: -0.05, d: 16, N: 16, vocab: 0, seed: 1 });
  const results = {};
  results.sweep_1000 = median(() => sweep(model, { over: 'T', from: 1, to: 1e9, points: 1000, B_u: 4 }), 21);
  for (const T of [512, 2048]) {
    const u = new Float32Array(T * 16).map((_, i) => Math.sin(i * 0.37));
    const out = new Float32Array(T * T);
    results[`attention_channel_${T}`] = median(() => model.attention(u, 0, { out }), 9);
  }
  return results;
}

export async function browserTimings() {
  if (!existsSync(CHROMIUM)) return { skipped: `${CHROMIUM} not found (Debian: apt-get install chromium)` };
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return { skipped: 'playwright-core not installed; run npm install' };
  }
  const server = await startServer({ port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/bench/browser.html`);
    const version = browser.version();
    return { chromium: version, ...(await page.evaluate(timeInPage)) };
  } finally {
    await browser.close();
    server.close();
  }
}
