// Times the public API inside headless Chromium, where most users run it:
// a 1000-point bound sweep and the attention matrix; and the web page's
// redraw after a keystroke at T = 2048. Returns medians in milliseconds,
// or { skipped } when Chromium or playwright-core is missing.
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

const KEYSTROKE_T = 2048;
const KEYSTROKES = 15;

/**
 * Times the page (web/index.html) from a keystroke to the redrawn heatmap:
 * the sequence field contains T − 1 bits, a typed '1' makes it T = 2048, and
 * the time runs from the keydown event's timestamp to the end of the
 * animation frame in which the heatmap redraws (its 'ssm-lens-draw' event,
 * then a posted message that runs after the frame's layout and paint). That
 * includes the wait for the frame, the model's forward pass, the pooled
 * overview, the bound table, the drawing and the page's layout and paint.
 * Backspace restores T − 1 between keystrokes. Returns { median, max } in
 * milliseconds.
 */
async function timeKeystrokeRedraw(browser, origin) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const bits = Array.from({ length: KEYSTROKE_T - 1 }, (_, i) => ((i * 7919) % 13 < 6 ? '1' : '0')).join('');
  await page.goto(`${origin}/web/#format=ids&input=${bits}`);
  await page.waitForFunction(() => document.getElementById('heatmap').dataset.plotRect);
  // Let the first load's slower views (plots, thumbnails) finish.
  await page.waitForTimeout(1500);
  const times = [];
  for (let i = 0; i < KEYSTROKES; i++) {
    await page.focus('#sequence');
    await page.evaluate(() => {
      const field = document.getElementById('sequence');
      field.setSelectionRange(field.value.length, field.value.length);
      window.keystrokeTiming = { keydown: null, drawn: null };
      field.addEventListener('keydown', (event) => { window.keystrokeTiming.keydown = event.timeStamp; }, { once: true });
      // The draw runs in an animation frame. A message posted from it is handled
      // after that frame's style, layout and paint, so the time includes them.
      document.getElementById('heatmap').addEventListener('ssm-lens-draw', () => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => { window.keystrokeTiming.drawn = performance.now(); };
        channel.port2.postMessage(null);
      }, { once: true });
    });
    await page.keyboard.press('1');
    await page.waitForFunction(() => window.keystrokeTiming.drawn !== null);
    times.push(await page.evaluate(() => window.keystrokeTiming.drawn - window.keystrokeTiming.keydown));
    const length = await page.evaluate(() => document.getElementById('sequence').value.length);
    if (length !== KEYSTROKE_T) throw new Error(`benchmark: the sequence has ${length} steps, expected ${KEYSTROKE_T}`);
    await page.keyboard.press('Backspace');
    await page.waitForTimeout(300);
  }
  await page.close();
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], max: times.at(-1) };
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
    const origin = `http://127.0.0.1:${server.address().port}`;
    const page = await browser.newPage();
    await page.goto(`${origin}/bench/browser.html`);
    const version = browser.version();
    const api = await page.evaluate(timeInPage);
    await page.close();
    const redraw = await timeKeystrokeRedraw(browser, origin);
    return { chromium: version, ...api, page_redraw_2048: redraw.median, page_redraw_2048_max: redraw.max };
  } finally {
    await browser.close();
    server.close();
  }
}
