// Tests of <ssm-lens-view> (web/ssm-lens-view.mjs) and of the tutorial
// page that uses it, in headless Chromium. Like tests/page.test.mjs they
// need playwright-core and Debian's chromium, and are skipped without them.
// Screenshots go to $ARTIFACTS_DIR (default tmp/artifacts/ in the repository).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadBrowserSetup, startBrowserSession } from './browser.mjs';
import { randomModel } from '../wasm/index.mjs';

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR ?? path.join(REPOSITORY, 'tmp', 'artifacts');

const browserSetup = await loadBrowserSetup();

/** Returns a page that embeds body the way a tutorial author does, with one script tag. */
function embeddingPage(body) {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <link rel="icon" href="data:,">
  <script type="module" src="/web/ssm-lens-view.mjs"></script>
</head>
<body>${body}</body>
</html>`;
}

describe('<ssm-lens-view>', { skip: browserSetup.skip }, () => {
  let session;
  let browser;
  let origin;

  before(async () => {
    session = await startBrowserSession(browserSetup.chromium);
    browser = session.browser;
    origin = session.origin;
    await mkdir(ARTIFACTS_DIR, { recursive: true });
  });

  after(async () => {
    await session?.close();
  });

  /**
   * Opens path (or, with html, a page served at /embed-test.html) in a
   * fresh context, runs body(page), then checks that the page threw
   * nothing, logged no console error (but expectedConsoleErrors, patterns
   * of errors the test causes) and requested no other host.
   */
  async function withPage(body, {
    html = null, pagePath = '/embed-test.html', viewport = { width: 1000, height: 900 }, colorScheme = 'light', expectedConsoleErrors = [],
  } = {}) {
    const context = await browser.newContext({ viewport, colorScheme });
    const pageErrors = [];
    const consoleErrors = [];
    const foreignRequests = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname !== '127.0.0.1') {
        foreignRequests.push(url.href);
        return route.abort();
      }
      if (html !== null && url.pathname === '/embed-test.html') {
        return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
      }
      return route.continue();
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      if (expectedConsoleErrors.some((pattern) => pattern.test(message.text()))) return;
      consoleErrors.push(message.text());
    });
    try {
      await page.goto(origin + pagePath);
      await body(page);
    } finally {
      await context.close();
    }
    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
    assert.deepEqual(consoleErrors, [], 'console errors in the page');
    assert.deepEqual(foreignRequests, [], 'requests to hosts other than 127.0.0.1');
  }

  /** Waits until every <ssm-lens-view> that shows its matrix has drawn it, or shows an error. */
  function waitForElements(page) {
    return page.waitForFunction(() => Array.from(document.querySelectorAll('ssm-lens-view')).every((view) => {
      const root = view.shadowRoot;
      if (!root) return false;
      const error = root.querySelector('.error');
      if (error && !error.hidden) return true;
      const box = root.querySelector('.heatmap-box');
      return box.hidden || Boolean(root.querySelector('canvas').dataset.plotRect);
    }));
  }

  /** Reads the matrix pixels of the index-th element: a hash and the count of coloured pixels. */
  function readElementPlot(page, index) {
    return page.evaluate((i) => {
      const canvas = document.querySelectorAll('ssm-lens-view')[i].shadowRoot.querySelector('canvas');
      if (!canvas.dataset.plotRect) return null;
      const [x, y, width, height] = canvas.dataset.plotRect.split(',').map(Number);
      const pixels = canvas.getContext('2d').getImageData(x, y, width, height).data;
      let colored = 0;
      let hash = 2166136261;
      for (let p = 0; p < pixels.length; p += 4) {
        const [r, g, b, a] = [pixels[p], pixels[p + 1], pixels[p + 2], pixels[p + 3]];
        if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) colored++;
        hash = Math.imul(hash ^ ((r << 16) | (g << 8) | b), 16777619) >>> 0;
      }
      return { colored, hash };
    }, index);
  }

  test('renders twice on one page, independently', async () => {
    const html = embeddingPage(`
      <ssm-lens-view id="stable" sequence="0110100110" s-a="-0.1"></ssm-lens-view>
      <ssm-lens-view id="unstable" sequence="0110100110" s-a="0.1" view="1" show="attention bound"></ssm-lens-view>`);
    await withPage(async (page) => {
      await waitForElements(page);
      const first = await readElementPlot(page, 0);
      const second = await readElementPlot(page, 1);
      assert.ok(first?.colored > 0, 'the first element drew nothing');
      assert.ok(second?.colored > 0, 'the second element drew nothing');
      assert.notEqual(first.hash, second.hash, 'two different models drew the same picture');
      const bounds = await page.evaluate(() => Array.from(document.querySelectorAll('ssm-lens-view'), (view) => view.shadowRoot.querySelector('.bound').textContent));
      assert.match(bounds[0], /^s_A = −0\.1, ρ_A = [\d.]+, S₂ = [\d.]+ at T = 10\. S₂ levels off at/);
      assert.match(bounds[1], /^s_A = 0\.1, .*S₂ grows like T ρ_A\^T/);

      // Changing one element's attribute redraws that element only.
      await page.evaluate(() => document.getElementById('stable').setAttribute('view', 'logit'));
      await page.waitForFunction((previous) => {
        const canvas = document.getElementById('stable').shadowRoot.querySelector('canvas');
        const [x, y, width, height] = canvas.dataset.plotRect.split(',').map(Number);
        const pixels = canvas.getContext('2d').getImageData(x, y, width, height).data;
        let hash = 2166136261;
        for (let p = 0; p < pixels.length; p += 4) hash = Math.imul(hash ^ ((pixels[p] << 16) | (pixels[p + 1] << 8) | pixels[p + 2]), 16777619) >>> 0;
        return hash !== previous;
      }, first.hash);
      assert.deepEqual(await readElementPlot(page, 1), second, 'the other element changed');
      await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'element-two-views.png') });
    }, { html });
  });

  test('hover read-out equals the API value', async () => {
    const model = await randomModel({ sA: -0.1, d: 4, N: 4, vocab: 2, seed: 0 });
    const tokens = [0, 1, 1, 0, 1, 0, 0, 1];
    const alpha = model.attention(tokens, 'mean');
    const html = embeddingPage('<ssm-lens-view sequence="01101001" s-a="-0.1" size="400"></ssm-lens-view>');
    await withPage(async (page) => {
      await waitForElements(page);
      const geometry = await page.evaluate(() => {
        const canvas = document.querySelector('ssm-lens-view').shadowRoot.querySelector('canvas');
        const box = canvas.getBoundingClientRect();
        return { left: box.left, top: box.top, rect: canvas.dataset.plotRect.split(',').map(Number), ratio: window.devicePixelRatio };
      });
      const [x, y, size] = geometry.rect.map((value) => value / geometry.ratio);
      const cell = size / tokens.length;
      await page.mouse.move(geometry.left + x + cell * 2.5, geometry.top + y + cell * 5.5);
      await page.waitForFunction(() => document.querySelector('ssm-lens-view').shadowRoot.querySelector('.readout-value'));
      const readout = await page.evaluate(() => {
        const root = document.querySelector('ssm-lens-view').shadowRoot;
        return { line: root.querySelector('.readout-line').textContent, value: Number(root.querySelector('.readout-value').getAttribute('value')) };
      });
      assert.match(readout.line, /^t = 5 \(token 0\), s = 2 \(token 1\): ᾱ = /);
      assert.equal(readout.value, alpha[5 * tokens.length + 2]);
    }, { html });
  });

  test('bad attributes show a message inside', async () => {
    const html = embeddingPage(`
      <ssm-lens-view sequence="0120" s-a="-0.1"></ssm-lens-view>
      <ssm-lens-view sequence="0110" d="zero"></ssm-lens-view>
      <ssm-lens-view sequence="0110" view="7"></ssm-lens-view>
      <ssm-lens-view sequence="" format="chars"></ssm-lens-view>
      <ssm-lens-view sequence="0110" model="missing-model.json"></ssm-lens-view>
      <ssm-lens-view sequence="0110" show="attention sparkles"></ssm-lens-view>
      <ssm-lens-view sequence="0110"></ssm-lens-view>`);
    await withPage(async (page) => {
      await page.waitForFunction(() => {
        const views = document.querySelectorAll('ssm-lens-view');
        return Array.from(views).slice(0, 6).every((view) => !view.shadowRoot.querySelector('.error').hidden);
      });
      const messages = await page.evaluate(() => Array.from(document.querySelectorAll('ssm-lens-view'), (view) => view.shadowRoot.querySelector('.error').textContent));
      assert.match(messages[0], /^ssm-lens-view: input: token ids must be integers in 0\.\.1 .*got 2 at step 2\.$/);
      assert.match(messages[1], /attribute d="zero" must be an integer from 1 to 64/);
      assert.match(messages[2], /attribute view="7" must be a channel index below d = 4/);
      assert.match(messages[3], /sequence: The text is empty/);
      assert.match(messages[4], /fetching the model http:\/\/127\.0\.0\.1:\d+\/missing-model\.json failed with HTTP 404/);
      assert.match(messages[5], /attribute show contains “sparkles”/);
      // The last element is valid and drew, whatever its neighbours did.
      await page.waitForFunction(() => document.querySelectorAll('ssm-lens-view')[6].shadowRoot.querySelector('canvas').dataset.plotRect);
      assert.equal(messages[6], '');
    }, { html, expectedConsoleErrors: [/status of 404/] });
  });

  test('tutorial page renders every view', async () => {
    await withPage(async (page) => {
      await waitForElements(page);
      const views = await page.evaluate(() => Array.from(document.querySelectorAll('ssm-lens-view'), (view) => {
        const root = view.shadowRoot;
        return {
          drawn: Boolean(root.querySelector('canvas').dataset.plotRect),
          attention: !root.querySelector('.heatmap-box').hidden,
          error: root.querySelector('.error').hidden ? '' : root.querySelector('.error').textContent,
          bound: root.querySelector('.bound').hidden ? null : root.querySelector('.bound').textContent,
        };
      }));
      assert.ok(views.length >= 6, `only ${views.length} views`);
      for (const [index, view] of views.entries()) {
        assert.equal(view.error, '', `view ${index} shows an error`);
        if (view.attention) assert.ok(view.drawn, `view ${index} drew no matrix`);
      }
      assert.ok(views.some((view) => /levels off/.test(view.bound ?? '')), 'no view shows length independence');
      assert.ok(views.some((view) => /grows like T ρ_A\^T/.test(view.bound ?? '')), 'no view shows the growth for s_A > 0');
      assert.ok(views.some((view) => /Proposition 3\.4/.test(view.bound ?? '')), 'no view shows the linear-attention case');
      await page.waitForFunction(() => Array.from(document.querySelectorAll('ssm-lens-view')).some((view) => view.shadowRoot.querySelectorAll('.legend li').length === 4));
      await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'tutorial.png'), fullPage: true });
    }, { pagePath: '/web/examples/tutorial.html' });
  });

  test('tutorial fits a 360 px wide screen', async () => {
    for (const colorScheme of ['light', 'dark']) {
      await withPage(async (page) => {
        await waitForElements(page);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 360, `the tutorial is ${width} px wide`);
        const widest = await page.evaluate(() => Math.max(...Array.from(document.querySelectorAll('ssm-lens-view'),
          (view) => view.shadowRoot.querySelector('canvas').getBoundingClientRect().right)));
        assert.ok(widest <= 360, `a heatmap ends at ${widest} px`);
        await page.screenshot({ path: path.join(ARTIFACTS_DIR, `tutorial-360-${colorScheme}.png`) });
      }, { pagePath: '/web/examples/tutorial.html', viewport: { width: 360, height: 740 }, colorScheme });
    }
  });

  test('removing a view leaves the page working', async () => {
    const html = embeddingPage('<ssm-lens-view id="a" sequence="0110"></ssm-lens-view><ssm-lens-view id="b" sequence="1001"></ssm-lens-view>');
    await withPage(async (page) => {
      await waitForElements(page);
      await page.evaluate(() => document.getElementById('a').remove());
      await page.setViewportSize({ width: 600, height: 700 });
      await page.evaluate(() => document.getElementById('b').setAttribute('sequence', '10011'));
      await page.waitForFunction(() => /T = 5/.test(document.getElementById('b').shadowRoot.querySelector('.bound').textContent));
    }, { html });
  });
});
