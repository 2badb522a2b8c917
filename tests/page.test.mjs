// Tests of the web page (web/) in headless Chromium, and of the static
// server that serves it (scripts/serve.mjs). The browser tests need
// playwright-core (a devDependency) and Debian's chromium package; without
// either they are skipped with a message saying what to install.
// Screenshots of the main views go to $ARTIFACTS_DIR (default tmp/artifacts/
// in the repository, which git ignores); with SSM_LENS_DOC_IMAGES=1 the
// ones shown in docs/page.md are also written to docs/images/.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/serve.mjs';
import { loadBrowserSetup, startBrowserSession } from './browser.mjs';
import {
  bound, createModel, randomModel,
} from '../wasm/index.mjs';

const DEFAULT_SEQUENCE = '0110100110';
const DEFAULT_MODEL = { sA: 0, d: 4, N: 4, vocab: 2, seed: 0 };

const browserSetup = await loadBrowserSetup();

/** Sends one GET with the path exactly as given (fetch would normalize `..`). */
function rawGet(port, path, method = 'GET') {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, method }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({
        status: response.statusCode,
        headers: response.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('static server', () => {
  let server;
  let port;

  before(async () => {
    server = await startServer({ port: 0 });
    port = server.address().port;
  });

  after(() => new Promise((resolve) => server.close(resolve)));

  test('listens on loopback only', () => {
    assert.equal(server.address().address, '127.0.0.1');
  });

  test('redirects / to /web/', async () => {
    const response = await rawGet(port, '/');
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, '/web/');
  });

  test('serves the page and modules with MIME types', async () => {
    const cases = [
      ['/web/', 'text/html'],
      ['/web/index.html', 'text/html'],
      ['/web/app.mjs', 'text/javascript'],
      ['/web/style.css', 'text/css'],
      ['/wasm/index.mjs', 'text/javascript'],
      ['/wasm/ssm_lens.wasm', 'application/wasm'],
      ['/package.json', 'application/json'],
    ];
    for (const [path, type] of cases) {
      const response = await rawGet(port, path);
      assert.equal(response.status, 200, `GET ${path}`);
      assert.equal(response.headers['content-type'].split(';')[0], type, `Content-Type of ${path}`);
    }
  });

  test('HEAD returns no body', async () => {
    const response = await rawGet(port, '/package.json', 'HEAD');
    assert.equal(response.status, 200);
    assert.equal(response.body, '');
    assert.ok(Number(response.headers['content-length']) > 0);
  });

  test('rejects other methods', async () => {
    const response = await rawGet(port, '/package.json', 'POST');
    assert.equal(response.status, 405);
    assert.equal(response.headers.allow, 'GET, HEAD');
  });

  test('rejects paths that leave the root', async () => {
    const paths = [
      '/../package.json',
      '/web/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/web/..%2f..%2fetc%2fpasswd',
      '/web/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/web/..%5c..%5cetc%5cpasswd',
      '/web/%252e%252e/package.json',
    ];
    for (const path of paths) {
      const response = await rawGet(port, path);
      assert.ok([403, 404].includes(response.status), `GET ${path} returned ${response.status}`);
      assert.doesNotMatch(response.body, /root:/, `GET ${path} leaked a file`);
    }
  });

  test('hides dotfiles and missing files', async () => {
    assert.equal((await rawGet(port, '/.git/config')).status, 404);
    assert.equal((await rawGet(port, '/.gitignore')).status, 404);
    assert.equal((await rawGet(port, '/web/missing.mjs')).status, 404);
    assert.equal((await rawGet(port, '/web/index.html/x')).status, 404);
  });

  test('rejects malformed percent-encoding', async () => {
    assert.equal((await rawGet(port, '/web/%E0%A4%A')).status, 400);
    assert.equal((await rawGet(port, '/web/%00')).status, 400);
  });

  test('redirects directories to a trailing slash', async () => {
    const response = await rawGet(port, '/web?view=logit');
    assert.equal(response.status, 301);
    assert.equal(response.headers.location, '/web/?view=logit');
  });

  test('never redirects to another host', async () => {
    const response = await rawGet(port, '//web');
    assert.equal(response.status, 301);
    assert.equal(response.headers.location, '/web/');
  });
});

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR ?? path.join(REPOSITORY, 'tmp', 'artifacts');
const DOC_IMAGES_DIR = path.join(REPOSITORY, 'docs', 'images');
const WRITE_DOC_IMAGES = process.env.SSM_LENS_DOC_IMAGES === '1';

/** Returns the URL hash that sets the page to settings (an object of hash keys and string values). */
function stateHash(settings) {
  return `#${new URLSearchParams(settings).toString()}`;
}

describe('web page', { skip: browserSetup.skip }, () => {
  let session;
  let browser;
  let pageUrl;

  before(async () => {
    session = await startBrowserSession(browserSetup.chromium);
    browser = session.browser;
    pageUrl = `${session.origin}/web/`;
    await mkdir(ARTIFACTS_DIR, { recursive: true });
  });

  after(async () => {
    await session?.close();
  });

  /**
   * Opens the page in a fresh context, runs body(page, context), then checks
   * that the page threw nothing, logged no console error and requested no
   * other host. options: viewport, colorScheme, hash (appended to the URL),
   * expectedConsoleErrors (patterns of console errors the test causes).
   */
  async function withPage(body, {
    viewport = { width: 1280, height: 900 }, colorScheme = 'light', hash = '', expectedConsoleErrors = [],
  } = {}) {
    const context = await browser.newContext({ viewport, colorScheme, acceptDownloads: true });
    const pageErrors = [];
    const consoleErrors = [];
    const foreignRequests = [];
    await context.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === '127.0.0.1' || hostname === 'localhost') return route.continue();
      foreignRequests.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      if (expectedConsoleErrors.some((pattern) => pattern.test(message.text()))) return;
      consoleErrors.push(message.text());
    });
    page.on('dialog', (dialog) => {
      pageErrors.push(`unexpected dialog: ${dialog.message()}`);
      dialog.dismiss();
    });
    try {
      await page.goto(pageUrl + hash);
      await waitForHeatmapOrMessage(page);
      await body(page, context);
    } finally {
      await context.close();
    }
    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
    assert.deepEqual(consoleErrors, [], 'console errors in the page');
    assert.deepEqual(foreignRequests, [], 'requests to hosts other than 127.0.0.1');
  }

  async function waitForHeatmapOrMessage(page) {
    await page.waitForFunction(() => document.getElementById('heatmap').dataset.plotRect
      || !document.getElementById('heatmap-message').hidden);
  }

  /**
   * Reads the plot area of a heatmap canvas: the number of coloured pixels
   * (not grey, white or transparent) and a hash of all its pixels. Returns
   * null when nothing is drawn.
   */
  function readPlot(page, id = 'heatmap') {
    return page.evaluate((canvasId) => {
      const canvas = document.getElementById(canvasId);
      if (!canvas.dataset.plotRect || canvas.width === 0) return null;
      const [x, y, width, height] = canvas.dataset.plotRect.split(',').map(Number);
      const pixels = canvas.getContext('2d').getImageData(x, y, width, height).data;
      let colored = 0;
      let hash = 2166136261;
      for (let i = 0; i < pixels.length; i += 4) {
        const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
        if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) colored++;
        hash = Math.imul(hash ^ ((r << 16) | (g << 8) | b), 16777619) >>> 0;
      }
      return { colored, hash, total: width * height };
    }, id);
  }

  /** Polls the plot until its hash differs from previousHash; returns the last reading after 5 s. */
  async function waitForPlotChange(page, previousHash, id = 'heatmap') {
    const deadline = Date.now() + 5000;
    for (;;) {
      const plot = await readPlot(page, id);
      if (plot && plot.hash !== previousHash) return plot;
      if (Date.now() > deadline) return plot;
      await page.waitForTimeout(50);
    }
  }

  /** Returns the number of pixels of a plain canvas (the line plots) that are not transparent. */
  function countDrawnPixels(page, id) {
    return page.evaluate((canvasId) => {
      const canvas = document.getElementById(canvasId);
      if (canvas.width === 0) return 0;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let drawn = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
      return drawn;
    }, id);
  }

  async function readTermValue(page, name) {
    const data = page.locator(`#bound-table tr[data-term="${name}"] data`);
    return Number(await data.getAttribute('value'));
  }

  /** Moves the pointer over cell (t, s) of a heatmap with T×T unit cells. */
  async function pointAtCell(page, t, s, T, id = 'heatmap') {
    await page.evaluate(([canvasId, fraction]) => {
      const canvas = document.getElementById(canvasId);
      const box = canvas.getBoundingClientRect();
      window.scrollBy(0, box.top + box.height * fraction - window.innerHeight / 2);
    }, [id, (t + 0.5) / T]);
    const rect = await page.getAttribute(`#${id}`, 'data-plot-rect');
    const ratio = await page.evaluate(() => window.devicePixelRatio);
    const [x, y, size] = rect.split(',').map((value) => Number(value) / ratio);
    const box = await page.locator(`#${id}`).boundingBox();
    const cell = size / T;
    await page.mouse.move(box.x + x + cell * (s + 0.5), box.y + y + cell * (t + 0.5));
  }

  /** Saves a screenshot of the viewport, or of selector, as ARTIFACTS_DIR/name.png. */
  async function saveScreenshot(page, name, { selector = null } = {}) {
    const target = selector ? page.locator(selector) : page;
    await target.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`) });
  }

  /** With SSM_LENS_DOC_IMAGES=1, saves a screenshot of selector (or the viewport) as docs/images/name.png. */
  async function saveDocImage(page, name, selector = null) {
    if (!WRITE_DOC_IMAGES) return;
    await mkdir(DOC_IMAGES_DIR, { recursive: true });
    const target = selector ? page.locator(selector) : page;
    await target.screenshot({ path: path.join(DOC_IMAGES_DIR, `${name}.png`) });
  }

  // Loading, typing and reading ---------------------------------------------------

  test('first load draws the default heatmap', async () => {
    await withPage(async (page) => {
      assert.equal(await page.inputValue('#sequence'), DEFAULT_SEQUENCE);
      assert.equal(await page.inputValue('#view'), 'mean');
      const plot = await readPlot(page);
      assert.ok(plot, 'the heatmap was not drawn');
      assert.ok(plot.colored > plot.total / 10, `only ${plot.colored} of ${plot.total} plot pixels are coloured`);
      assert.equal(await page.isVisible('#sequence-error'), false);
      assert.equal(await page.isVisible('#heatmap-message'), false);
      assert.match(await page.textContent('#heatmap-caption'), /last row, c\[9, s\]/);
      assert.match(await page.textContent('#sequence-summary'), /T = 10 steps, 2 distinct tokens/);
    });
  });

  test('heatmap changes as a sequence is typed', async () => {
    await withPage(async (page) => {
      const before = await readPlot(page);
      await page.fill('#sequence', '');
      await page.locator('#sequence').pressSequentially('1101001');
      const after = await waitForPlotChange(page, before.hash);
      assert.ok(after, 'the heatmap disappeared');
      assert.notEqual(after.hash, before.hash, 'the heatmap did not change');
      assert.ok(after.colored > 0, 'the new heatmap has no coloured pixels');
      assert.match(await page.textContent('#prediction'), /logit z = /);
      await page.waitForFunction(() => /input=1101001(&|$)/.test(window.location.hash));
    });
  });

  test('hover read-out equals the API value', async () => {
    const model = await randomModel(DEFAULT_MODEL);
    const tokens = Array.from(DEFAULT_SEQUENCE, Number);
    const T = tokens.length;
    for (const [view, symbol] of [['mean', 'ᾱ'], ['logit', 'c'], ['2', 'α₂']]) {
      const alpha = model.attention(tokens, view === '2' ? 2 : view);
      await withPage(async (page) => {
        await page.selectOption('#view', view);
        for (const [t, s] of [[3, 1], [9, 0], [6, 6]]) {
          await pointAtCell(page, t, s, T);
          const line = page.locator('#heatmap-readout .readout-line');
          await page.waitForFunction(([tt, ss]) => document.querySelector('#heatmap-readout .readout-line')?.textContent
            .startsWith(`t = ${tt} `) && document.querySelector('#heatmap-readout .readout-line').textContent.includes(`s = ${ss} `), [t, s]);
          assert.match(await line.textContent(), new RegExp(`^t = ${t} \\(token \\d\\), s = ${s} \\(token \\d\\): ${symbol} = `));
          const shown = Number(await page.getAttribute('#heatmap-readout .readout-value', 'value'));
          assert.equal(shown, alpha[t * T + s], `${view} view, cell (${t}, ${s})`);
          // The factors, recomputed in float64, must give the same value.
          const factors = await page.textContent('#heatmap-readout .readout-factors');
          const recomputed = Number(factors.match(/= (−?[\d.e−-]+), recomputed/)[1].replace(/−/g, '-'));
          assert.ok(Math.abs(recomputed - shown) <= 1e-4 * Math.abs(shown) + 1e-6, `recomputed ${recomputed}, shown ${shown}`);
          assert.ok(await page.locator('#heatmap-readout table.factors tbody tr').count() >= 4, 'one row per state (N = 4)');
        }
      });
    }
  });

  test('arrow keys move the read-out cell', async () => {
    await withPage(async (page) => {
      await page.focus('#heatmap');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction(() => /^t = 1 .*s = 1 /.test(document.getElementById('heatmap-readout').textContent));
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction(() => /s > t/.test(document.getElementById('heatmap-readout').textContent));
    });
  });

  test('view menu switches to logit and channels', async () => {
    await withPage(async (page) => {
      const mean = await readPlot(page);
      await page.selectOption('#view', 'logit');
      const logit = await waitForPlotChange(page, mean.hash);
      assert.notEqual(logit.hash, mean.hash);
      assert.match(await page.textContent('#heatmap-caption'), /Each row sums to that logit/);
      const options = await page.locator('#view option').evaluateAll((nodes) => nodes.map((node) => node.value));
      assert.deepEqual(options, ['mean', 'logit', '0', '1', '2', '3']);
      await page.selectOption('#view', '2');
      const channel = await waitForPlotChange(page, logit.hash);
      assert.notEqual(channel.hash, logit.hash);
    });
  });

  test('signed-log scale changes the colours', async () => {
    await withPage(async (page) => {
      const linear = await readPlot(page);
      await page.selectOption('#scale', 'symlog');
      const symlog = await waitForPlotChange(page, linear.hash);
      assert.notEqual(symlog.hash, linear.hash);
      assert.match(await page.textContent('#heatmap-caption'), /signed-log/);
    });
  });

  test('channel thumbnails select the view', async () => {
    await withPage(async (page) => {
      const buttons = page.locator('#multiples button');
      await buttons.first().waitFor();
      assert.equal(await buttons.count(), 4);
      assert.match(await buttons.nth(2).getAttribute('aria-label'), /^Channel 2, colour scale ±/);
      await buttons.nth(2).click();
      await page.waitForFunction(() => document.getElementById('view').value === '2');
      await page.waitForFunction(() => document.querySelectorAll('#multiples button')[2].getAttribute('aria-pressed') === 'true');
      assert.match(await page.textContent('#view-help'), /channel 2 alone/);
    });
  });

  // The bound ---------------------------------------------------------------------

  test('bound table shows S2 and C_F', async () => {
    const model = await randomModel(DEFAULT_MODEL);
    const expected = bound(model, { T: DEFAULT_SEQUENCE.length });
    await withPage(async (page) => {
      const S2 = await readTermValue(page, 'S2');
      const C_F = await readTermValue(page, 'C_F');
      assert.equal(S2, expected.S2);
      assert.equal(C_F, expected.C_F);
      assert.match(await page.textContent('#bound-table tr[data-term="S2"]'), /derived/);
      assert.match(await page.textContent('#bound-table tr[data-term="s_A"]'), /paper/);
      // A random model needs far more than m = 1000 samples, so the default bound is vacuous.
      assert.equal(expected.vacuous, true);
      assert.ok(await page.isVisible('#bound-vacuous'), 'the vacuous bound is not marked');
      assert.match(await page.textContent('#bound-table tr[data-term="vacuous"]'), /yes: the bound is vacuous/);
    });
  });

  test('s_A slider changes the bound table', async () => {
    const base = await randomModel(DEFAULT_MODEL);
    const shifted = await createModel({
      A: Float32Array.from(base.A, (a) => a + 0.1), W_B: base.W_B, W_C: base.W_C, q: base.q, p: base.p, w: base.W, embedding: base.embedding,
    });
    const expected = bound(shifted, { T: DEFAULT_SEQUENCE.length });
    await withPage(async (page) => {
      const before = await readTermValue(page, 'S2');
      const heatmapBefore = await readPlot(page);
      await page.focus('#model-shift');
      for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
      // Wait for the tenth step (s_A = 0.1): the ninth (0.09) can already exceed 0.09 in float32.
      await page.waitForFunction(() => Number(document.querySelector('#bound-table tr[data-term="s_A"] data')?.getAttribute('value')) > 0.095);
      assert.ok(Math.abs(await readTermValue(page, 's_A') - 0.1) < 1e-6);
      const after = await readTermValue(page, 'S2');
      assert.ok(after > before, `S2 went from ${before} to ${after}`);
      assert.ok(Math.abs(after - expected.S2) <= 1e-6 * expected.S2, `S2 ${after}, expected ${expected.S2}`);
      assert.match(await page.textContent('#model-shift-value'), /\+0\.10, so s_A = 0\.1/);
      const heatmapAfter = await waitForPlotChange(page, heatmapBefore.hash);
      assert.notEqual(heatmapAfter.hash, heatmapBefore.hash, 'the heatmap did not follow the slider');
      await page.waitForFunction(() => /shift=0\.1(&|$)/.test(window.location.hash));
    });
  });

  test('linear attention is one click away', async () => {
    await withPage(async (page) => {
      await page.click('#linear-attention');
      await page.waitForFunction(() => /Δ = 1, A = 0/.test(document.getElementById('model-summary').textContent));
      assert.equal(await page.isChecked('#step-fixed'), true);
      assert.equal(await page.isChecked('#decay-zero'), true);
      assert.equal(await readTermValue(page, 's_A'), 0);
      assert.equal(await readTermValue(page, 'B_A'), 0);
      // Δ = 1 everywhere: the smallest and largest admissible step are 1.
      assert.ok(Math.abs(await readTermValue(page, 'delta_min') - 1) < 1e-6);
      assert.match(await page.textContent('#bound-vacuous'), /Proposition 3\.4/);
      await saveScreenshot(page, 'page-linear-attention', { selector: '.attention' });
      await page.click('#selective-ssm');
      await page.waitForFunction(() => !/Δ = 1/.test(document.getElementById('model-summary').textContent));
    });
  });

  test('length plots, envelopes and Table 1 draw', async () => {
    await withPage(async (page) => {
      await page.waitForFunction(() => document.querySelectorAll('#plot-s2-legend li').length === 4);
      assert.ok(await countDrawnPixels(page, 'plot-capacity') > 1000, 'the C_F plot is empty');
      assert.ok(await countDrawnPixels(page, 'plot-s2') > 1000, 'the S2 plot is empty');
      const legend = await page.locator('#plot-s2-legend li').allTextContents();
      assert.match(legend[0], /^this model \(s_A = 0\)/);
      assert.match(legend[1], /^s_A = −0\.1: S₂ = /);
      assert.match(legend[3], /^s_A = \+0\.1: S₂ = [\d.]+ at T = 10$/);

      await page.click('#envelopes-details summary');
      await page.waitForFunction(() => document.querySelectorAll('#plot-alpha-legend li').length === 2);
      assert.ok(await countDrawnPixels(page, 'plot-decay') > 1000, 'the decay plot is empty');
      assert.match(await page.textContent('#envelopes-steps'), /Step sizes on this input: Δ\[t\] from/);

      await page.click('#table1-details summary');
      await page.waitForFunction(() => document.querySelectorAll('#table1 tbody tr').length === 5);
      const regime = await page.locator('#table1 tr.is-regime').textContent();
      assert.match(regime, /selective SSM, s_A ≥ 0/);
      assert.match(regime, /T\^\d/);
      await saveScreenshot(page, 'page-bound', { selector: '.bound' });
      await saveDocImage(page, 'bound-plots', '.bound .plots >> nth=0');
    });
  });

  // Input formats and bad input ---------------------------------------------------

  test('text input maps characters to ids', async () => {
    await withPage(async (page) => {
      await page.check('#format-chars');
      await page.fill('#sequence', 'hello');
      await page.locator('#sequence-error').waitFor({ state: 'visible' });
      assert.match(await page.textContent('#sequence-error'), /4 distinct characters, but the model’s vocabulary has 2 tokens/);
      await page.click('#raise-vocabulary');
      await page.locator('#sequence-error').waitFor({ state: 'hidden' });
      assert.equal(await page.inputValue('#model-vocab'), '4');
      const mapping = await page.locator('#token-mapping-list li').allTextContents();
      assert.deepEqual(mapping, ['h → 0', 'e → 1', 'l → 2 ×2', 'o → 3']);
      const plot = await waitForPlotChange(page, null);
      assert.ok(plot.colored > 0);
      await pointAtCell(page, 3, 2, 5);
      await page.waitForFunction(() => /^t = 3 \(token “l”\), s = 2 \(token “l”\)/.test(document.querySelector('#heatmap-readout .readout-line')?.textContent ?? ''));
    });
  });

  test('word input and its mapping', async () => {
    await withPage(async (page) => {
      await page.fill('#model-vocab', '8');
      await page.check('#format-words');
      await page.fill('#sequence', 'the cat sat on the mat');
      await page.waitForFunction(() => /T = 6 words, 5 distinct tokens/.test(document.getElementById('sequence-summary').textContent));
      assert.equal(await page.locator('#token-mapping-list li').count(), 5);
      assert.equal(await page.textContent('#token-mapping-list li:first-child'), 'the → 0 ×2');
    });
  });

  test('table input and its errors', async () => {
    await withPage(async (page) => {
      await page.check('#format-table');
      const error = page.locator('#sequence-error');
      const cases = [
        ['', /The table is empty/],
        ['1, 2, 3, 4\n5, 6, 7', /Row 2 has 3 numbers, but row 1 has 4/],
        ['1, 2, 3\n4, 5, 6', /The table has 3 columns, but the model has d = 4 channels/],
        ['1, 2, NaN, 4', /Row 1, column 3 is NaN: every value must be a finite number/],
        ['1, 2, x3, 4', /Row 1, column 3 is “x3”, not a number/],
        ['1, 2, 1e39, 4', /beyond the float32 range/],
      ];
      for (const [text, message] of cases) {
        await page.fill('#sequence', text);
        await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('sequence-error-text').textContent), message.source);
        assert.ok(await error.isVisible(), `no message for ${JSON.stringify(text)}`);
        assert.equal(await page.getAttribute('#sequence', 'aria-invalid'), 'true');
        assert.equal(await readPlot(page), null, `a heatmap is drawn for ${JSON.stringify(text)}`);
      }
      await page.fill('#sequence', 'u0, u1, u2, u3\n0.5, -1, 0, 2\n1, 1, 1, 1\n-0.25, 0.5, 2, 0');
      await error.waitFor({ state: 'hidden' });
      assert.match(await page.textContent('#sequence-summary'), /T = 3 rows of d = 4 numbers, after a header line/);
      assert.ok((await waitForPlotChange(page, null)).colored > 0);
      // A table is not drawn from the vocabulary, so B_u comes from it.
      assert.match(await page.textContent('#bound-summary'), /over this input \(a table input is not drawn from the vocabulary\)/);
    });
  });

  test('invalid token shows error, then recovers', async () => {
    await withPage(async (page) => {
      await page.fill('#sequence', '0120');
      const error = page.locator('#sequence-error');
      await error.waitFor({ state: 'visible' });
      assert.match(await error.textContent(), /got 2 at step 2/);
      assert.equal(await page.getAttribute('#sequence', 'aria-invalid'), 'true');
      assert.equal(await readPlot(page), null, 'a heatmap is drawn for an invalid sequence');
      assert.ok(await page.isVisible('#heatmap-message'));

      for (const [text, message] of [['abc', /Invalid character “a”/], ['   ', /The sequence is empty/], ['0110 1001', /one token per digit/]]) {
        await page.fill('#sequence', text);
        await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('sequence-error').textContent), message.source);
      }

      await page.fill('#sequence', '0110');
      await error.waitFor({ state: 'hidden' });
      const plot = await waitForPlotChange(page, null);
      assert.ok(plot, 'the heatmap did not come back');
      assert.ok(plot.colored > 0, 'the heatmap came back without coloured pixels');
      assert.equal(await page.getAttribute('#sequence', 'aria-invalid'), null);
      assert.ok(Number.isFinite(await readTermValue(page, 'S2')));
    });
  });

  test('bad settings show messages', async () => {
    await withPage(async (page) => {
      await page.fill('#model-d', '0');
      await page.locator('#model-error').waitFor({ state: 'visible' });
      assert.match(await page.textContent('#model-error'), /d must be an integer from 1 to 64/);
      await page.fill('#model-d', '1.5');
      await page.waitForFunction(() => /d must be an integer from 1 to 64, got 1\.5/.test(document.getElementById('model-error').textContent));
      await page.fill('#model-d', '');
      await page.waitForFunction(() => /d is empty: type an integer from 1 to 64/.test(document.getElementById('model-error').textContent));
      await page.fill('#model-d', '2');
      await page.locator('#model-error').waitFor({ state: 'hidden' });
      assert.equal(await page.locator('#view option').count(), 4, 'the view menu has mean, logit and 2 channels');

      await page.click('#bound-settings-summary, .bound details.settings summary >> nth=0');
      await page.fill('#bound-delta', '1');
      await page.waitForFunction(() => /δ must lie strictly between 0 and 1/.test(document.getElementById('bound-message').textContent));
      assert.equal(await page.getAttribute('#bound-delta', 'aria-invalid'), 'true');
      await page.fill('#bound-delta', '0.05');
      await page.locator('#bound-message').waitFor({ state: 'hidden' });

      await page.fill('#random-length', '-3');
      await page.click('#fill-random');
      await page.waitForFunction(() => /The length must be an integer from 1 to 100000, got -3/.test(document.getElementById('sequence-error').textContent));
    });
  });

  test('model files load, broken ones report', async () => {
    const model = await randomModel({ sA: -0.5, d: 3, N: 2, vocab: 5, K: 3, seed: 7 });
    const expected = model.forward([4, 3, 2, 1, 0]).logits;
    await withPage(async (page) => {
      await page.setInputFiles('#model-file', {
        name: 'k3.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(model.toStateDict())),
      });
      await page.waitForFunction(() => /3 logits/.test(document.getElementById('model-summary').textContent));
      assert.equal(await page.isChecked('#source-file'), true);
      assert.equal(await page.isDisabled('#model-seed'), true);
      await page.fill('#sequence', '4,3,2,1,0');
      // The default sequence also gives 3 rows, so wait for the last step of the new one (t = 4).
      await page.waitForFunction(() => /t = 4\b/.test(document.getElementById('prediction').textContent));
      assert.equal(await page.locator('#prediction tbody tr').count(), 3);
      const shownLogits = await page.locator('#prediction tbody data').evaluateAll((nodes) => nodes.map((node) => Number(node.value)));
      assert.deepEqual(shownLogits, Array.from(expected));
      const views = await page.locator('#view option').evaluateAll((nodes) => nodes.map((node) => node.value));
      assert.deepEqual(views, ['mean', 'logit', 'logit:0', 'logit:1', 'logit:2', '0', '1', '2']);

      await page.setInputFiles('#model-file', {
        name: 'k3.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(model.toSafetensors()),
      });
      await page.waitForFunction(() => /k3\.safetensors/.test(document.getElementById('model-summary').textContent));
      assert.deepEqual(await page.locator('#prediction tbody data').evaluateAll((nodes) => nodes.map((node) => Number(node.value))), Array.from(expected));

      await page.setInputFiles('#model-file', {
        name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"tensors": {'),
      });
      await page.locator('#model-error').waitFor({ state: 'visible' });
      assert.match(await page.textContent('#model-error'), /broken\.json: state dict: invalid JSON/);
      assert.equal(await readPlot(page), null);

      const withNaN = model.toStateDict();
      withNaN.tensors['ssm.A'].data[1] = 'NaN';
      await page.setInputFiles('#model-file', {
        name: 'nan.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(withNaN)),
      });
      await page.waitForFunction(() => /nan\.json: state dict: A must contain numbers/.test(document.getElementById('model-error').textContent));

      await page.check('#source-random');
      await page.locator('#model-error').waitFor({ state: 'hidden' });
      assert.match(await page.textContent('#model-summary'), /1 logit/);
    });
  });

  test('model path loads from this site only', async () => {
    const expected = JSON.parse(await readFile(path.join(REPOSITORY, 'web/examples/random-d4-n4.json'), 'utf8'));
    await withPage(async (page) => {
      await page.waitForFunction(() => /random-d4-n4\.json/.test(document.getElementById('model-summary').textContent));
      assert.equal(await page.isChecked('#source-url'), true);
      assert.ok(Math.abs(await readTermValue(page, 's_A') - Math.max(...expected.tensors['SSM.ssm.A'].data)) < 1e-6);

      await page.fill('#model-url', 'http://example.com/model.json');
      await page.click('#load-model-url');
      await page.waitForFunction(() => /points to another site/.test(document.getElementById('model-error').textContent));
      await page.fill('#model-url', 'examples/missing.json');
      await page.press('#model-url', 'Enter');
      await page.waitForFunction(() => /missing\.json: fetching the model .* failed with HTTP 404/.test(document.getElementById('model-error').textContent));
    }, {
      hash: stateHash({ format: 'ids', input: '0110', source: 'url', modelUrl: 'examples/random-d4-n4.json' }),
      // Chromium logs every failed fetch, here the missing file's 404.
      expectedConsoleErrors: [/status of 404/],
    });
  });

  // Long inputs -------------------------------------------------------------------

  test('long input shows overview and zoom', async () => {
    const model = await randomModel({ ...DEFAULT_MODEL, sA: -0.05 });
    const tokens = Array.from({ length: 1500 }, (_, i) => ((i * 7919) % 13 < 6 ? 1 : 0));
    const T = tokens.length;
    const alpha = model.attention(tokens, 'mean');
    await withPage(async (page) => {
      await page.waitForFunction(() => !document.getElementById('zoom-panel').hidden);
      assert.ok(await page.isVisible('#pool-field'), 'the pool mode is offered');
      assert.match(await page.textContent('#heatmap-caption'), /longer than T = 1024/);
      const overview = await readPlot(page);
      assert.ok(overview.colored > 0, 'the overview is empty');
      const zoom = await readPlot(page, 'zoom-heatmap');
      assert.ok(zoom.colored > 0, 'the zoom window is empty');
      assert.match(await page.textContent('#zoom-caption'), /Rows t = 1372–1499 and columns s = 1372–1499/);

      // The zoom window's cells come from the page's float64 factors; they must match the API.
      await pointAtCell(page, 100, 90, 128, 'zoom-heatmap');
      await page.waitForFunction(() => /^t = 1472 .*s = 1462 /.test(document.querySelector('#zoom-readout .readout-line')?.textContent ?? ''));
      const shown = Number(await page.getAttribute('#zoom-readout .readout-value', 'value'));
      const expected = alpha[1472 * T + 1462];
      assert.ok(Math.abs(shown - expected) <= 1e-5 * Math.abs(expected) + 1e-7, `zoom shows ${shown}, API ${expected}`);

      // Clicking the overview moves the window there.
      await page.locator('#heatmap').scrollIntoViewIfNeeded();
      const rect = (await page.getAttribute('#heatmap', 'data-plot-rect')).split(',').map(Number);
      const ratio = await page.evaluate(() => window.devicePixelRatio);
      const box = await page.locator('#heatmap').boundingBox();
      await page.mouse.click(box.x + rect[0] / ratio + (rect[2] / ratio) * 0.1, box.y + rect[1] / ratio + (rect[3] / ratio) * 0.5);
      await page.waitForFunction(() => /zoom=\d+%2C\d+/.test(window.location.hash));
      assert.doesNotMatch(await page.textContent('#zoom-caption'), /Rows t = 1372/);
      // Enter on the focused overview moves the window to the keyboard cursor, here the first cell.
      await page.mouse.move(0, 0);
      await page.focus('#heatmap');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /zoom=0%2C0(&|$)/.test(window.location.hash));
      await page.waitForFunction(() => /Rows t = 0–127 and columns s = 0–127/.test(document.getElementById('zoom-caption').textContent));
      await page.selectOption('#pool', 'max');
      await waitForPlotChange(page, overview.hash);
      await page.evaluate(() => document.activeElement.blur());
      await saveScreenshot(page, 'page-long-input', { selector: '.attention' });
      await saveDocImage(page, 'long-input', '.attention figure >> nth=0');
    }, { hash: stateHash({ format: 'ids', input: tokens.join(''), sA: '-0.05' }) });
  });

  test('overflow shows messages and 10^x terms', async () => {
    await withPage(async (page) => {
      await page.fill('#model-sA', '1');
      await page.fill('#random-length', '2000');
      await page.click('#fill-random');
      await page.locator('#prediction-message').waitFor({ state: 'visible' });
      assert.match(await page.textContent('#prediction-message'), /overflow/);
      await page.waitForFunction(() => /T = 2000 steps/.test(document.getElementById('bound-summary').textContent));
      const C_F = await page.textContent('#bound-table tr[data-term="C_F"] .value');
      assert.match(C_F, /^10\d+(\.\d+)? \(beyond the double range\)$/);

      await page.fill('#sequence', '01'.repeat(100));
      await page.locator('#heatmap-message').waitFor({ state: 'visible' });
      await page.waitForFunction(() => /overflow/.test(document.getElementById('heatmap-message').textContent));
      assert.equal(await readPlot(page), null, 'a heatmap is drawn for an overflowed matrix');
    });
  });

  // State, links and export -------------------------------------------------------

  test('link with a state hash reproduces the picture', async () => {
    let link;
    let picture;
    await withPage(async (page) => {
      await page.fill('#model-seed', '3');
      await page.fill('#sequence', '0111010');
      await page.selectOption('#view', 'logit');
      await page.selectOption('#scale', 'symlog');
      await page.check('#step-fixed');
      await page.waitForFunction(() => /scale=symlog/.test(window.location.hash) && /step=fixed/.test(window.location.hash));
      await page.waitForFunction(() => /Δ = 1/.test(document.getElementById('model-summary').textContent));
      await page.waitForTimeout(200);
      picture = await readPlot(page);
      link = await page.evaluate(() => window.location.href);
      assert.equal(await page.inputValue('#share-link'), link);
    });
    assert.match(link, /seed=3/);
    await withPage(async (page) => {
      assert.equal(await page.inputValue('#sequence'), '0111010');
      assert.equal(await page.inputValue('#model-seed'), '3');
      assert.equal(await page.inputValue('#view'), 'logit');
      assert.equal(await page.inputValue('#scale'), 'symlog');
      assert.equal(await page.isChecked('#step-fixed'), true);
      const reproduced = await waitForPlotChange(page, null);
      assert.equal(reproduced.hash, picture.hash, 'the link draws another picture');
      assert.equal(await page.isVisible('#link-message'), false);
    }, { hash: link.slice(link.indexOf('#')) });
  });

  test('copy link puts the state on the clipboard', async () => {
    await withPage(async (page, context) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write']);
      await page.fill('#sequence', '1011');
      await page.click('#copy-link');
      await page.waitForFunction(() => /Link copied/.test(document.getElementById('copy-status').textContent));
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      assert.equal(copied, await page.evaluate(() => window.location.href));
      assert.match(copied, /#format=ids&input=1011/);
    });
  });

  test('last input survives a reload', async () => {
    await withPage(async (page) => {
      await page.check('#format-chars');
      await page.fill('#model-vocab', '3');
      await page.fill('#sequence', 'abcab');
      await page.waitForFunction(() => /input=abcab/.test(window.location.hash));
      await page.goto(pageUrl);
      await waitForHeatmapOrMessage(page);
      assert.equal(await page.inputValue('#sequence'), 'abcab');
      assert.equal(await page.isChecked('#format-chars'), true);
    });
  });

  test('text from the hash is shown as text', async () => {
    const hostile = '<img src=x onerror="alert(1)"> <b>bold</b> <script>alert(2)</script>';
    await withPage(async (page) => {
      await page.waitForFunction(() => document.querySelectorAll('#token-mapping-list li').length > 0);
      assert.equal(await page.locator('img, b, main script').count(), 0, 'user text became HTML');
      assert.equal(await page.inputValue('#sequence'), hostile);
      const mapping = await page.locator('#token-mapping-list li .symbol').allTextContents();
      assert.ok(mapping.includes('<img'), `mapping: ${mapping.join(' ')}`);
      assert.match(await page.textContent('#link-message'), /The link sets “<b>x<\/b>”, which the page does not know/);
      assert.match(await page.textContent('#link-message'), /view to “<i>”|view “<i>”/);
    }, { hash: stateHash({ format: 'words', input: hostile, vocab: '16', '<b>x</b>': '1', view: '<i>' }) });
  });

  test('bad values in a link are reported', async () => {
    await withPage(async (page) => {
      const message = await page.textContent('#link-message');
      assert.match(message, /scale to “loud”, which is not one of linear, symlog; using linear/);
      assert.match(message, /s_A shift “9” is not a number from −1 to 1/);
      assert.match(message, /zoom “here” is not two step numbers/);
      assert.match(message, /The link sets d to “x”, which is not a number/);
      assert.match(await page.textContent('#model-error'), /d is empty/);
    }, { hash: stateHash({ format: 'ids', input: '0110', scale: 'loud', shift: '9', zoom: 'here', d: 'x' }) });
  });

  test('link made with a local file says so', async () => {
    await withPage(async (page) => {
      assert.match(await page.textContent('#link-message'), /a link cannot carry/);
      assert.match(await page.textContent('#model-error'), /No model file loaded yet/);
    }, { hash: stateHash({ format: 'ids', input: '0110', source: 'file' }) });
  });

  test('exports PNG, CSV and JSON', async () => {
    await withPage(async (page) => {
      const download = async (button) => {
        const [file] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
        return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) };
      };
      const png = await download('#export-png');
      assert.equal(png.name, 'ssm-lens-mean.png');
      assert.deepEqual([...png.bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');

      const csv = await download('#export-csv');
      assert.equal(csv.name, 'ssm-lens-alpha-mean-T10.csv');
      const lines = csv.bytes.toString('utf8').trim().split('\n');
      assert.equal(lines.length, 11);
      assert.equal(lines[0], 't\\s,0,1,2,3,4,5,6,7,8,9');
      const model = await randomModel(DEFAULT_MODEL);
      const alpha = model.attention(Array.from(DEFAULT_SEQUENCE, Number), 'mean');
      const row3 = lines[4].split(',').map(Number);
      assert.equal(row3[0], 3);
      assert.ok(Math.abs(row3[2] - alpha[3 * 10 + 1]) <= 1e-7 * Math.abs(alpha[3 * 10 + 1]));

      const json = await download('#export-json');
      assert.equal(json.name, 'ssm-lens-bound.json');
      const data = JSON.parse(json.bytes.toString('utf8'));
      assert.equal(data.terms.S2, bound(model, { T: 10 }).S2);
      assert.equal(data.model.d, 4);
    });
  });

  // Layout, accessibility and screenshots -------------------------------------------

  test('page fits a 360 px wide screen', async () => {
    for (const colorScheme of ['light', 'dark']) {
      await withPage(async (page) => {
        const widths = await page.evaluate(() => ({
          document: document.documentElement.scrollWidth,
          canvas: document.getElementById('heatmap').getBoundingClientRect().right,
        }));
        assert.ok(widths.document <= 360, `the page is ${widths.document} px wide`);
        assert.ok(widths.canvas <= 360, `the heatmap ends at ${widths.canvas} px`);
        const plot = await readPlot(page);
        assert.ok(plot, 'the heatmap was not drawn');
        assert.ok(plot.colored > 0, 'the heatmap has no coloured pixels');
        await page.waitForFunction(() => document.querySelectorAll('#plot-s2-legend li').length === 4);
        const plotWidth = await page.evaluate(() => document.getElementById('plot-s2').getBoundingClientRect().right);
        assert.ok(plotWidth <= 360, `the S2 plot ends at ${plotWidth} px`);
        await page.locator('.attention').scrollIntoViewIfNeeded();
        await saveScreenshot(page, `page-360-${colorScheme}`);
        if (colorScheme === 'dark') await saveDocImage(page, 'narrow-dark');
      }, { viewport: { width: 360, height: 740 }, colorScheme });
    }
  });

  test('desktop screenshots, light and dark', async () => {
    for (const colorScheme of ['light', 'dark']) {
      await withPage(async (page) => {
        await pointAtCell(page, 6, 2, 10);
        await page.waitForSelector('#heatmap-readout table.factors');
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(background, colorScheme === 'dark' ? 'rgb(21, 23, 26)' : 'rgb(255, 255, 255)');
        await saveScreenshot(page, `page-desktop-${colorScheme}`);
        if (colorScheme === 'light') {
          await saveScreenshot(page, 'page-attention', { selector: '.attention' });
          await saveDocImage(page, 'attention', '.attention figure >> nth=0');
        }
      }, { colorScheme });
    }
  });

  test('every control has a label', async () => {
    await withPage(async (page) => {
      const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea'))
        .filter((control) => control.labels.length === 0 && !control.getAttribute('aria-label'))
        .map((control) => control.id || control.outerHTML));
      assert.deepEqual(unlabelled, []);
      const unnamedButtons = await page.evaluate(() => Array.from(document.querySelectorAll('button'))
        .filter((button) => !button.hidden && button.textContent.trim() === '' && !button.getAttribute('aria-label'))
        .map((button) => button.id || button.outerHTML));
      assert.deepEqual(unnamedButtons, []);
    });
  });

  test('controls are reachable by keyboard', async () => {
    await withPage(async (page) => {
      const reached = new Set();
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press('Tab');
        reached.add(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName));
      }
      for (const id of ['sequence', 'fill-random', 'model-shift', 'linear-attention', 'copy-link', 'export-png', 'view', 'scale', 'heatmap']) {
        assert.ok(reached.has(id), `Tab never reaches #${id}`);
      }
    });
  });

  test('hostile inputs are refused and the page recovers', async () => {
    // Each entry: the format, the text typed, and where its message appears.
    const hostile = [
      ['chars', '<img src=x onerror="alert(1)"><script>alert(2)</script>', null],
      ['words', '"><svg onload=alert(3)> </textarea><b>x</b>', null],
      ['ids', '0,1,<b>2</b>', '#sequence-error'],
      ['ids', '1e999, NaN, -1', '#sequence-error'],
      ['ids', '9'.repeat(400), '#sequence-error'],
      ['table', '1 2 3 4\n1 2\nNaN 1 2 3', '#sequence-error'],
      ['table', 'Infinity 0 0 0', '#sequence-error'],
      ['ids', '', '#sequence-error'],
      ['ids', '01'.repeat(60000), null],
    ];
    await withPage(async (page) => {
      for (const [format, text, messageSelector] of hostile) {
        await page.check(`#format-${format}`);
        await page.fill('#sequence', text);
        if (messageSelector) {
          await page.locator(messageSelector).waitFor({ state: 'visible' });
          assert.ok((await page.textContent(messageSelector)).trim().length > 0, `no message for ${JSON.stringify(text.slice(0, 40))}`);
        } else {
          await waitForHeatmapOrMessage(page);
        }
        // Nothing the user typed became markup.
        assert.equal(await page.locator('main img, main svg[onload], main b, main script').count(), 0, `markup from ${JSON.stringify(text.slice(0, 40))}`);
      }

      // Truncated and corrupted model files.
      const model = await randomModel({ d: 2, N: 2, vocab: 2, seed: 3 });
      const bytes = Buffer.from(model.toSafetensors());
      const broken = [
        ['cut.safetensors', bytes.subarray(0, bytes.length - 7)],
        ['header.safetensors', Buffer.concat([Buffer.from([255, 255, 255, 255, 0, 0, 0, 0]), bytes.subarray(8)])],
        ['empty.json', Buffer.alloc(0)],
        ['markup.json', Buffer.from('{"tensors": {"<img src=x onerror=alert(4)>": 1}}')],
      ];
      for (const [name, buffer] of broken) {
        await page.setInputFiles('#model-file', { name, mimeType: 'application/octet-stream', buffer });
        await page.locator('#model-error').waitFor({ state: 'visible' });
        await page.waitForFunction((file) => document.getElementById('model-error').textContent.includes(file), name);
        assert.equal(await page.locator('main img').count(), 0, `markup from ${name}`);
      }

      // The page still works: a valid model and input draw a heatmap again.
      await page.check('#source-random');
      await page.locator('#model-error').waitFor({ state: 'hidden' });
      await page.check('#format-ids');
      await page.fill('#sequence', '0110101');
      await page.waitForFunction(() => document.getElementById('heatmap').dataset.plotRect
        && document.getElementById('sequence-error').hidden);
      assert.ok(await readPlot(page), 'the heatmap is drawn again');
    });
  });
});
