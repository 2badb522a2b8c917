// Tests of the web page (web/) in headless Chromium, and of the static
// server that serves it (scripts/serve.mjs). The browser tests need
// playwright-core (a devDependency) and Debian's chromium package; without
// either they are skipped with a message saying what to install.
import assert from 'node:assert/strict';
import { access, constants } from 'node:fs/promises';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../scripts/serve.mjs';
import { bound, randomModel } from '../wasm/index.mjs';

const CHROMIUM_PATH = '/usr/bin/chromium';
const DEFAULT_SEQUENCE = '0110100110';
const DEFAULT_MODEL = { sA: 0, d: 4, N: 4, vocab: 2, seed: 0 };

/** Returns { chromium } from playwright-core, or { skip } with what to install. */
async function loadBrowserSetup() {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return { skip: 'playwright-core is not installed: run `npm install` (it is in devDependencies)' };
  }
  try {
    await access(CHROMIUM_PATH, constants.X_OK);
  } catch {
    return { skip: `${CHROMIUM_PATH} is missing: install Debian's chromium package (apt-get install -y chromium)` };
  }
  return { chromium };
}

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

describe('web page', { skip: browserSetup.skip }, () => {
  let server;
  let browser;
  let pageUrl;

  before(async () => {
    server = await startServer({ port: 0 });
    pageUrl = `http://127.0.0.1:${server.address().port}/web/`;
    browser = await browserSetup.chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server.close(resolve));
  });

  /**
   * Opens the page in a fresh context, runs body(page), then checks that the
   * page threw nothing, logged no console error and requested no other host.
   */
  async function withPage(body, { viewport = { width: 1280, height: 900 } } = {}) {
    const context = await browser.newContext({ viewport });
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
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    try {
      await page.goto(pageUrl);
      await waitForHeatmapOrMessage(page);
      await body(page);
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
   * Reads the plot area of the heatmap canvas: the number of coloured
   * pixels (not grey, white or transparent) and a hash of all its pixels.
   * Returns null when nothing is drawn.
   */
  function readPlot(page) {
    return page.evaluate(() => {
      const canvas = document.getElementById('heatmap');
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
    });
  }

  /** Polls the plot until its hash differs from previousHash; returns the last reading after 5 s. */
  async function waitForPlotChange(page, previousHash) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const plot = await readPlot(page);
      if (plot && plot.hash !== previousHash) return plot;
      if (Date.now() > deadline) return plot;
      await page.waitForTimeout(50);
    }
  }

  async function readTermValue(page, name) {
    const data = page.locator(`#bound-table tr[data-term="${name}"] data`);
    return Number(await data.getAttribute('value'));
  }

  test('first load draws the default heatmap', async () => {
    await withPage(async (page) => {
      assert.equal(await page.inputValue('#sequence'), DEFAULT_SEQUENCE);
      assert.equal(await page.inputValue('#view'), 'mean');
      const plot = await readPlot(page);
      assert.ok(plot, 'the heatmap was not drawn');
      assert.ok(plot.colored > plot.total / 10, `only ${plot.colored} of ${plot.total} plot pixels are coloured`);
      assert.equal(await page.isVisible('#sequence-error'), false);
      assert.equal(await page.isVisible('#heatmap-message'), false);
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
    });
  });

  test('bound table shows S2 and C_F', async () => {
    const model = await randomModel(DEFAULT_MODEL);
    const expected = bound(model, { T: DEFAULT_SEQUENCE.length });
    await withPage(async (page) => {
      const S2 = await readTermValue(page, 'S2');
      const C_F = await readTermValue(page, 'C_F');
      assert.ok(Number.isFinite(S2), `S2 is not a number: ${S2}`);
      assert.ok(Number.isFinite(C_F), `C_F is not a number: ${C_F}`);
      assert.equal(S2, expected.S2);
      assert.equal(C_F, expected.C_F);
      assert.match(await page.textContent('#bound-table tr[data-term="S2"]'), /derived/);
      assert.match(await page.textContent('#bound-table tr[data-term="s_A"]'), /paper/);
      // A random model needs far more than m = 1000 samples, so the default bound is vacuous.
      assert.equal(expected.vacuous, true);
      assert.ok(await page.isVisible('#bound-vacuous'), 'the vacuous bound is not marked');
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

      await page.fill('#sequence', 'abc');
      await page.waitForFunction(() => /Invalid character/.test(document.getElementById('sequence-error').textContent));

      await page.fill('#sequence', '0110');
      await error.waitFor({ state: 'hidden' });
      const plot = await waitForPlotChange(page, null);
      assert.ok(plot, 'the heatmap did not come back');
      assert.ok(plot.colored > 0, 'the heatmap came back without coloured pixels');
      assert.equal(await page.getAttribute('#sequence', 'aria-invalid'), null);
      assert.ok(Number.isFinite(await readTermValue(page, 'S2')));
    });
  });

  test('separated ids get a hint for digits', async () => {
    await withPage(async (page) => {
      await page.fill('#sequence', '0110 1001');
      await page.waitForFunction(() => /one token per digit/.test(document.getElementById('sequence-error').textContent));
    });
  });

  test('view menu switches to logit and channels', async () => {
    await withPage(async (page) => {
      const mean = await readPlot(page);
      await page.selectOption('#view', 'logit');
      const logit = await waitForPlotChange(page, mean.hash);
      assert.notEqual(logit.hash, mean.hash);
      assert.match(await page.textContent('#heatmap-caption'), /last row sums to/);
      const options = await page.locator('#view option').evaluateAll((nodes) => nodes.map((node) => node.value));
      assert.deepEqual(options, ['mean', 'logit', '0', '1', '2', '3']);
      await page.selectOption('#view', '2');
      const channel = await waitForPlotChange(page, logit.hash);
      assert.notEqual(channel.hash, logit.hash);
    });
  });

  test('model controls rebuild the model', async () => {
    await withPage(async (page) => {
      const before = await readPlot(page);
      await page.fill('#model-seed', '3');
      const after = await waitForPlotChange(page, before.hash);
      assert.notEqual(after.hash, before.hash);
      assert.match(await page.textContent('#model-summary'), /seed 3/);

      await page.fill('#model-d', '0');
      await page.locator('#model-error').waitFor({ state: 'visible' });
      assert.match(await page.textContent('#model-error'), /d must be an integer from 1 to 64/);
      await page.fill('#model-d', '2');
      await page.locator('#model-error').waitFor({ state: 'hidden' });
      const options = await page.locator('#view option').count();
      assert.equal(options, 4, 'the view menu has mean, logit and 2 channels');
    });
  });

  test('model file with K logits loads', async () => {
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

      await page.setInputFiles('#model-file', {
        name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"tensors": {'),
      });
      await page.locator('#model-error').waitFor({ state: 'visible' });
      assert.match(await page.textContent('#model-error'), /broken\.json: state dict: invalid JSON/);

      await page.check('#source-random');
      await page.locator('#model-error').waitFor({ state: 'hidden' });
      assert.match(await page.textContent('#model-summary'), /1 logit/);
    });
  });

  test('long sequence shows the limit message', async () => {
    await withPage(async (page) => {
      await page.fill('#random-length', '1100');
      await page.click('#fill-random');
      const message = page.locator('#heatmap-message');
      await message.waitFor({ state: 'visible' });
      assert.match(await message.textContent(), /T = 1100 steps/);
      assert.equal(await readPlot(page), null);
      await page.waitForFunction(() => /T = 1100 steps/.test(document.getElementById('bound-summary').textContent));
      assert.ok(Number.isFinite(await readTermValue(page, 'S2')));
    });
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

  test('hover and arrow keys read a cell', async () => {
    await withPage(async (page) => {
      const rect = await page.getAttribute('#heatmap', 'data-plot-rect');
      const ratio = await page.evaluate(() => window.devicePixelRatio);
      const [x, y, size] = rect.split(',').map((value) => Number(value) / ratio);
      const box = await page.locator('#heatmap').boundingBox();
      const cell = size / DEFAULT_SEQUENCE.length;
      await page.mouse.move(box.x + x + cell * 1.5, box.y + y + cell * 3.5);
      await page.waitForFunction(() => /^t = 3 .*s = 1 .*ᾱ = /.test(document.getElementById('heatmap-readout').textContent));

      await page.mouse.move(0, 0);
      await page.focus('#heatmap');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction(() => /^t = 1 .*s = 1 /.test(document.getElementById('heatmap-readout').textContent));
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction(() => /s > t/.test(document.getElementById('heatmap-readout').textContent));
    });
  });

  test('page fits a 360 px wide screen', async () => {
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
    }, { viewport: { width: 360, height: 740 } });
  });

  test('every control has a label', async () => {
    await withPage(async (page) => {
      const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea'))
        .filter((control) => control.labels.length === 0 && !control.getAttribute('aria-label'))
        .map((control) => control.id || control.outerHTML));
      assert.deepEqual(unlabelled, []);
    });
  });
});
