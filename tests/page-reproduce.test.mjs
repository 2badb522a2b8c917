// Tests of the page's Reproduce view (web/page-reproduce.mjs and the
// training Web Worker) in headless Chromium. Like tests/page.test.mjs they
// need playwright-core and Debian's chromium, and are skipped without them.
// The runs are small (T ≤ 50, 200 sequences, a few epochs), except the one
// that the stop test interrupts. With SSM_LENS_DOC_IMAGES=1 the screenshot
// in docs/page.md is also written to docs/images/reproduce.png.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadBrowserSetup, startBrowserSession } from './browser.mjs';
import {
  bound, experimentJobs, modelFromStateDict, runTrainingJob, taskData,
} from '../wasm/index.mjs';
import { RUN_COLUMNS } from '../web/reproduce-views.mjs';

const DOC_IMAGES_DIR = fileURLToPath(new URL('../docs/images/', import.meta.url));
const WRITE_DOC_IMAGES = process.env.SSM_LENS_DOC_IMAGES === '1';

const browserSetup = await loadBrowserSetup();

/**
 * Asserts that a value computed in Chromium equals Node's bit for bit:
 * training uses only the wasm core and the JavaScript operations that
 * round the same in every engine (+, −, ×, ÷, sqrt).
 */
function assertSame(actual, expected, message) {
  assert.equal(actual, expected, `${message}: ${actual} in Chromium, ${expected} in Node`);
}

/** The reduced length run of the tests, as experimentJobs options and as the page's field values. */
const SMALL_LENGTH = {
  options: {
    task: 'majority', T: '25,50', sA: '0', seeds: '1', epochs: 4, d: 4, N: 4, train: 200, test: 200,
  },
  fields: {
    T: '25,50', sA: '0', seeds: '1', epochs: '4', d: '4', N: '4', train: '200', test: '200', workers: '2',
  },
};

const SMALL_STABILITY = {
  options: {
    task: 'majority', T: '30', sA: '-0.1,0,0.1', seeds: '1', epochs: 3, d: 4, N: 4, train: 100, test: 100,
  },
  fields: {
    T: '30', sA: '-0.1,0,0.1', seeds: '1', epochs: '3', train: '100', test: '100', workers: '2',
  },
};

describe('Reproduce view', { skip: browserSetup.skip }, () => {
  let session;
  let browser;
  let pageUrl;
  // runTrainingJob results of the small runs in Node, in job order.
  let lengthRuns;
  let stabilityRuns;

  before(async () => {
    session = await startBrowserSession(browserSetup.chromium);
    browser = session.browser;
    pageUrl = `${session.origin}/web/`;
    lengthRuns = [];
    for (const job of experimentJobs('length', { ...SMALL_LENGTH.options, keepModel: true })) lengthRuns.push(await runTrainingJob(job));
    stabilityRuns = [];
    for (const job of experimentJobs('stability', SMALL_STABILITY.options)) stabilityRuns.push(await runTrainingJob(job));
  });

  after(async () => {
    await session?.close();
  });

  /**
   * Opens the page in a fresh context, runs body(page, context), then checks
   * that the page threw nothing, logged no console error (but those matching
   * a pattern of expectedConsoleErrors) and requested no other host.
   */
  async function withPage(body, { expectedConsoleErrors = [] } = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const pageErrors = [];
    const consoleErrors = [];
    const foreignRequests = [];
    await context.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === '127.0.0.1') return route.continue();
      foreignRequests.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const recordError = (text) => {
      if (!expectedConsoleErrors.some((pattern) => pattern.test(text))) consoleErrors.push(text);
    };
    page.on('console', (message) => {
      if (message.type() === 'error') recordError(message.text());
    });
    page.on('worker', (worker) => {
      worker.on('console', (message) => {
        if (message.type() === 'error') recordError(`worker: ${message.text()}`);
      });
    });
    try {
      await page.goto(pageUrl);
      await page.waitForFunction(() => document.getElementById('heatmap').dataset.plotRect);
      await body(page, context);
    } finally {
      await context.close();
    }
    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
    assert.deepEqual(consoleErrors, [], 'console errors in the page');
    assert.deepEqual(foreignRequests, [], 'requests to hosts other than 127.0.0.1');
  }

  /** Chooses the experiment, then fills the fields (keys as in the ids reproduce-KEY). */
  async function fillSettings(page, kind, fields) {
    await page.check(`#reproduce-kind-${kind}`);
    for (const [key, value] of Object.entries(fields)) await page.fill(`#reproduce-${key}`, value);
  }

  /** Waits until the run has ended: the Run button is enabled again and the status starts with how it ended. */
  async function waitForRunEnd(page, timeout = 30000) {
    await page.waitForFunction(() => !document.getElementById('reproduce-run').disabled
      && /^(Finished|Stopped|Failed)/.test(document.getElementById('reproduce-status').textContent), null, { timeout });
  }

  /** Returns the exact value of column in the table row with data attribute key = value. */
  async function readCell(page, key, value, column) {
    const data = page.locator(`#reproduce-table tr[data-${key}="${value}"] td[data-column="${column}"] data`);
    return Number(await data.getAttribute('value'));
  }

  /** Returns the number of pixels of a canvas that are not transparent. */
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

  /** Returns the number of pixels of a canvas drawn in the colour of the CSS custom property (within 8 per channel). */
  function countColorPixels(page, id, property) {
    return page.evaluate(([canvasId, name]) => {
      const canvas = document.getElementById(canvasId);
      if (canvas.width === 0) return 0;
      const probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
      probe.fillStyle = getComputedStyle(canvas).getPropertyValue(name).trim();
      probe.fillRect(0, 0, 1, 1);
      const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const close = Math.abs(pixels[i] - r) <= 8 && Math.abs(pixels[i + 1] - g) <= 8 && Math.abs(pixels[i + 2] - b) <= 8;
        if (close && pixels[i + 3] > 200) count++;
      }
      return count;
    }, [id, property]);
  }

  /** Waits until the page has no Web Worker left; fails after 2 s. Playwright drops a worker on its close event, which follows terminate(). */
  async function assertNoWorkers(page, message) {
    const deadline = Date.now() + 2000;
    while (page.workers().length > 0 && Date.now() < deadline) await page.waitForTimeout(50);
    assert.equal(page.workers().length, 0, message);
  }

  /** Polls the heatmap until its pixels differ from previousHash; returns the last hash after 5 s. */
  async function waitForHeatmapChange(page, previousHash) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const hash = await heatmapHash(page);
      if ((hash !== null && hash !== previousHash) || Date.now() > deadline) return hash;
      await page.waitForTimeout(50);
    }
  }

  /** Returns a hash of the heatmap's pixels, or null when nothing is drawn. */
  function heatmapHash(page) {
    return page.evaluate(() => {
      const canvas = document.getElementById('heatmap');
      if (!canvas.dataset.plotRect || canvas.width === 0) return null;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let hash = 2166136261;
      for (let i = 0; i < pixels.length; i += 4) hash = Math.imul(hash ^ ((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]), 16777619) >>> 0;
      return hash;
    });
  }

  test('nothing trains before Run', async () => {
    await withPage(async (page) => {
      assert.equal(await page.isVisible('#reproduce-results'), false);
      assert.equal(await page.inputValue('#reproduce-T'), '25:400:25');
      assert.equal(await page.inputValue('#reproduce-seeds'), '5');
      assert.equal(await page.inputValue('#reproduce-epochs'), '40');
      assert.equal(page.workers().length, 0, 'a worker started before Run');
      await page.check('#reproduce-kind-stability');
      assert.equal(await page.inputValue('#reproduce-T'), '250');
      assert.equal(await page.inputValue('#reproduce-sA'), '-0.1:0.1:0.02');
      assert.equal(await page.inputValue('#reproduce-seeds'), '1');
    });
  });

  test('length run equals Node results', async () => {
    await withPage(async (page) => {
      await fillSettings(page, 'length', SMALL_LENGTH.fields);
      await page.click('#reproduce-run');
      await waitForRunEnd(page);

      assert.match(await page.textContent('#reproduce-status'), /^Finished 2 runs in [\d.]+ s with 2 workers\./);
      const progress = await page.evaluate(() => {
        const bar = document.getElementById('reproduce-progress');
        return { value: bar.value, max: bar.max };
      });
      assert.equal(progress.max, 2);
      assert.equal(progress.value, 2);

      const rows = await page.locator('#reproduce-table tbody tr').evaluateAll((nodes) => nodes.map((node) => node.dataset.t));
      assert.deepEqual(rows, ['25', '50']);
      for (const run of lengthRuns) {
        const train = await readCell(page, 't', run.T, 'trainAccuracy');
        const testAccuracy = await readCell(page, 't', run.T, 'testAccuracy');
        assert.ok(train >= 0, `train accuracy ${train} at T = ${run.T}`);
        assert.ok(train <= 1, `train accuracy ${train} at T = ${run.T}`);
        assert.ok(testAccuracy >= 0, `test accuracy ${testAccuracy} at T = ${run.T}`);
        assert.ok(testAccuracy <= 1, `test accuracy ${testAccuracy} at T = ${run.T}`);
        // The same job in Node and in Chromium's worker: the accuracies are counts of
        // correct signs.
        assert.equal(train, run.trainAccuracy, `train accuracy at T = ${run.T}`);
        assert.equal(testAccuracy, run.testAccuracy, `test accuracy at T = ${run.T}`);
        assert.equal(await readCell(page, 't', run.T, 'gap'), run.gap, `gap at T = ${run.T}`);
        assertSame(await readCell(page, 't', run.T, 'finalSA'), run.finalSA, `final s_A at T = ${run.T}`);
        assertSame(await readCell(page, 't', run.T, 'log10_C_F'), run.bound.log10_C_F, `log10 C_F at T = ${run.T}`);
      }

      for (const id of ['plot-reproduce-accuracy', 'plot-reproduce-gap', 'plot-reproduce-capacity']) {
        assert.ok(await countDrawnPixels(page, id) > 1000, `${id} is empty`);
      }
      assert.equal(await page.locator('#plot-reproduce-accuracy-legend li').count(), 2);
      assert.equal(await page.locator('#reproduce-run-select option').count(), 2);
      await assertNoWorkers(page, 'the workers were not terminated after the run');
    });
  });

  test('downloads runs as CSV and JSON', async () => {
    await withPage(async (page) => {
      await fillSettings(page, 'length', SMALL_LENGTH.fields);
      await page.click('#reproduce-run');
      await waitForRunEnd(page);

      const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#reproduce-csv')]);
      assert.equal(csvDownload.suggestedFilename(), 'ssm-lens-length-runs.csv');
      const lines = (await readFile(await csvDownload.path(), 'utf8')).trimEnd().split('\n');
      assert.equal(lines[0], RUN_COLUMNS.join(','));
      assert.equal(lines.length, 3, 'a header and one line per run');
      const trainColumn = RUN_COLUMNS.indexOf('trainAccuracy');
      assert.equal(Number(lines[1].split(',')[trainColumn]), lengthRuns[0].trainAccuracy);

      const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.click('#reproduce-json')]);
      assert.equal(jsonDownload.suggestedFilename(), 'ssm-lens-length-results.json');
      const data = JSON.parse(await readFile(await jsonDownload.path(), 'utf8'));
      assert.equal(data.experiment, 'length');
      assert.equal(data.finished, 2);
      assert.equal(data.runs.length, 2);
      assert.equal(data.runs[1].testAccuracy, lengthRuns[1].testAccuracy);
      assert.equal(data.runs[0].stateDict, undefined, 'the JSON results carry no models');
      assert.deepEqual(data.summary.rows.map((row) => row.T), [25, 50]);
    });
  });

  test('stability run draws s_A curves', async () => {
    await withPage(async (page) => {
      await fillSettings(page, 'stability', SMALL_STABILITY.fields);
      await page.click('#reproduce-run');
      await waitForRunEnd(page);

      assert.match(await page.textContent('#reproduce-status'), /^Finished 3 runs/);
      const starts = await page.locator('#reproduce-table tbody tr').evaluateAll((nodes) => nodes.map((node) => node.dataset.sa0));
      assert.deepEqual(starts, ['-0.1', '0', '0.1']);
      for (const run of stabilityRuns) {
        assertSame(await readCell(page, 'sa0', run.sA0, 'finalSA'), run.finalSA, `final s_A from s_A(0) = ${run.sA0}`);
        const outcome = await page.textContent(`#reproduce-table tr[data-sa0="${run.sA0}"] td[data-column="outcome"]`);
        assert.equal(outcome, run.outcome);
      }
      assert.equal(await page.isVisible('#reproduce-length-plots'), false);
      assert.ok(await countDrawnPixels(page, 'plot-reproduce-sA') > 1000, 'the s_A plot is empty');
      assert.ok(await countDrawnPixels(page, 'plot-reproduce-loss') > 1000, 'the loss plot is empty');
      assert.equal(await page.locator('#plot-reproduce-stability-legend li').count(), 3);
    });
  });

  test('doc image of a stability run', { skip: !WRITE_DOC_IMAGES && 'set SSM_LENS_DOC_IMAGES=1 to write docs/images/reproduce.png' }, async () => {
    await withPage(async (page) => {
      // The stability experiment's settings with 300 sequences per split, so that it takes a few seconds.
      await fillSettings(page, 'stability', { train: '300', test: '300' });
      await page.click('#reproduce-run');
      await waitForRunEnd(page);
      assert.match(await page.textContent('#reproduce-status'), /^Finished 11 runs/);
      await mkdir(DOC_IMAGES_DIR, { recursive: true });
      await page.locator('#reproduce-stability-plots').screenshot({ path: path.join(DOC_IMAGES_DIR, 'reproduce.png') });
    });
  });

  test('stop button ends a long run', async () => {
    await withPage(async (page) => {
      // 7 lengths × 5 seeds of 40 epochs on 1000 sequences: about 10 s or more on two cores.
      await fillSettings(page, 'length', {
        T: '100:400:50', seeds: '5', epochs: '40', train: '1000', test: '1000', workers: '2',
      });
      // Run by keyboard: the focus moves from the disabled Run button to Stop.
      await page.focus('#reproduce-run');
      await page.keyboard.press('Enter');
      assert.equal(await page.isEnabled('#reproduce-stop'), true);
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'reproduce-stop', 'focus after Run');
      // Wait for the first finished run, so that there are partial results to keep.
      await page.locator('#reproduce-table tbody tr').first().waitFor({ timeout: 20000 });
      const started = Date.now();
      await page.click('#reproduce-stop');
      await waitForRunEnd(page, 5000);
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 2000, `stopping took ${elapsed} ms`);

      const status = await page.textContent('#reproduce-status');
      assert.match(status, /^Stopped after \d+ of 35 runs/);
      const finished = Number(status.match(/^Stopped after (\d+)/)[1]);
      const progress = await page.evaluate(() => {
        const bar = document.getElementById('reproduce-progress');
        return { value: bar.value, text: bar.getAttribute('aria-valuetext') };
      });
      assert.ok(finished >= 1, `${finished} runs finished before stop`);
      assert.ok(finished < 35, `${finished} runs finished before stop`);
      // The stopped runs are left out, so the bar counts the finished runs only, as the status line does.
      assert.equal(progress.value, finished, 'progress bar after stop');
      assert.equal(progress.text, `${finished} of 35 runs done`);
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'reproduce-run', 'focus after the run ended');
      assert.ok(await page.locator('#reproduce-table tbody tr').count() >= 1, 'the finished runs disappeared');
      assert.equal(await page.isEnabled('#reproduce-stop'), false);
      await assertNoWorkers(page, 'a worker is still running after stop');

      // The page stays usable: the heatmap follows the input, and a new run finishes.
      const before = await heatmapHash(page);
      await page.fill('#sequence', '1101001');
      assert.notEqual(await waitForHeatmapChange(page, before), before, 'the heatmap did not follow the input');
      await fillSettings(page, 'length', { T: '25', seeds: '1', epochs: '2', train: '100', test: '100' });
      await page.click('#reproduce-run');
      await waitForRunEnd(page);
      assert.match(await page.textContent('#reproduce-status'), /^Finished 1 run in/);
    });
  });

  test('bad settings name their field', async () => {
    const cases = [
      { kind: 'length', fields: { T: 'abc' }, field: 'T', message: /T: 'abc' is not a number/ },
      { kind: 'length', fields: { T: '25:400:0' }, field: 'T', message: /T: the step must be positive/ },
      { kind: 'length', fields: { sA: '-0.1,0' }, field: 'sA', message: /one s_A, got 2 values/ },
      { kind: 'length', fields: { seeds: 'x' }, field: 'seeds', message: /^Seeds: 'x'/ },
      { kind: 'length', fields: { sA: 'x' }, field: 'sA', message: /^Initial s_A: 'x' is not a number\.$/ },
      { kind: 'stability', fields: { T: '100,200' }, field: 'T', message: /^The stability experiment runs at one T, got 2 values/ },
      { kind: 'length', fields: { epochs: '0' }, field: 'epochs', message: /Epochs must be an integer from 1 to 10000, got 0/ },
      { kind: 'length', fields: { train: '' }, field: 'train', message: /Training sequences is empty/ },
    ];
    await withPage(async (page) => {
      for (const { kind, fields, field, message } of cases) {
        await page.click('#reproduce-defaults');
        await fillSettings(page, kind, fields);
        await page.click('#reproduce-run');
        const error = page.locator('#reproduce-error');
        assert.equal(await error.isVisible(), true, `no message for ${JSON.stringify(fields)}`);
        assert.match(await error.textContent(), message);
        assert.equal(await page.getAttribute(`#reproduce-${field}`, 'aria-invalid'), 'true', `${field} is not marked`);
        assert.equal(await page.isEnabled('#reproduce-run'), true);
        assert.equal(page.workers().length, 0, 'a worker started for invalid settings');
      }
      // A number field holding text that is not a number reports an empty value, with validity.badInput set.
      for (const text of ['1e', '--5', '1e999']) {
        await page.click('#reproduce-defaults');
        await page.fill('#reproduce-epochs', '');
        await page.focus('#reproduce-epochs');
        await page.keyboard.type(text);
        await page.click('#reproduce-run');
        assert.match(await page.textContent('#reproduce-error'), /^Epochs is not a number: type an integer from 1 to 10000\.$/, `message for ${text}`);
        assert.equal(await page.getAttribute('#reproduce-epochs', 'aria-invalid'), 'true');
      }
      // A valid run clears the message and the mark.
      await page.click('#reproduce-defaults');
      await fillSettings(page, 'length', { T: '25', seeds: '1', epochs: '1', train: '50', test: '50' });
      await page.click('#reproduce-run');
      await waitForRunEnd(page);
      assert.equal(await page.isVisible('#reproduce-error'), false);
      assert.equal(await page.getAttribute('#reproduce-train', 'aria-invalid'), null);
    });
  });

  test('failed job shows a message', async () => {
    await withPage(async (page) => {
      // Valid fields, but train × T exceeds the task generator's limit of 2^28 tokens, which the worker reports.
      await fillSettings(page, 'length', {
        T: '100000', seeds: '1', epochs: '2', train: '1000000', test: '10', workers: '1',
      });
      await page.click('#reproduce-run');
      await waitForRunEnd(page);
      const error = page.locator('#reproduce-error');
      assert.equal(await error.isVisible(), true, 'the worker error is not shown');
      assert.match(await error.textContent(), /^Training failed while training T = 100000, seed 0: train × T = /);
      assert.match(await page.textContent('#reproduce-status'), /^Failed after 0 of 1 runs/);
      assert.equal(await page.isEnabled('#reproduce-run'), true);
      await assertNoWorkers(page, 'a worker is still running after the error');
    });
  });

  test('worker that fails to load shows a message', async () => {
    await withPage(async (page, context) => {
      await context.route('**/web/reproduce-worker.mjs', (route) => route.fulfill({ status: 404, body: 'missing' }));
      await fillSettings(page, 'length', { T: '25', seeds: '1', epochs: '1', train: '50', test: '50' });
      await page.click('#reproduce-run');
      await waitForRunEnd(page);
      assert.match(await page.textContent('#reproduce-error'), /the training worker failed to start or crashed/);
      assert.match(await page.textContent('#reproduce-status'), /^Failed after 0 of 1 runs/);
    }, { expectedConsoleErrors: [/404/, /the training worker failed to start/] });
  });

  test('open in the views loads the model', async () => {
    const run = lengthRuns[0];
    const job = experimentJobs('length', SMALL_LENGTH.options)[0];
    const data = taskData(job.task, {
      T: job.T, train: job.train, test: job.test, seed: job.seed,
    });
    const firstTest = Array.from(data.test.tokens.subarray(data.test.offsets[0], data.test.offsets[1])).join('');
    const model = await modelFromStateDict(run.stateDict);
    const expected = bound(model, { T: job.T, m: job.train });

    await withPage(async (page) => {
      await fillSettings(page, 'length', SMALL_LENGTH.fields);
      await page.click('#reproduce-run');
      await waitForRunEnd(page);
      // Bound settings unlike the run's, which Open must replace.
      await page.evaluate(() => {
        const set = (id, value) => {
          const control = document.getElementById(id);
          control.value = value;
          control.dispatchEvent(new Event('input', { bubbles: true }));
        };
        set('bound-norms', 'frobenius');
        set('bound-delta', '0.2');
        set('bound-input-norm', 'sequence');
        set('bound-m', '7');
      });
      const before = await heatmapHash(page);

      await page.selectOption('#reproduce-run-select', '0');
      await page.click('#reproduce-open');
      const fileName = 'ssm-lens-length-majority-T25-seed0.json';
      await page.waitForFunction((name) => document.getElementById('model-summary').textContent.includes(name), fileName);
      await page.waitForFunction(() => document.getElementById('heatmap').dataset.plotRect
        && document.getElementById('sequence-summary').textContent.includes('T = 25'));

      assert.equal(await page.isChecked('#source-file'), true);
      assert.equal(await page.evaluate(() => document.getElementById('model-file').files[0]?.name), fileName);
      assert.match(await page.textContent('#model-summary'), /d = 4, N = 4, 1 logit, vocabulary of 2 tokens/);
      assert.equal(await page.inputValue('#sequence'), firstTest);
      assert.equal(await page.inputValue('#bound-m'), String(job.train));
      assert.equal(await page.inputValue('#bound-delta'), '0.05');
      assert.equal(await page.inputValue('#bound-norms'), 'spectral');
      assert.equal(await page.inputValue('#bound-input-norm'), 'vocabulary');
      assert.notEqual(await waitForHeatmapChange(page, before), before, 'the heatmap did not redraw');
      const openStatus = await page.textContent('#reproduce-open-status');
      assert.match(openStatus, new RegExp(`^Opened ${fileName.replaceAll('.', '\\.')}`));
      assert.match(openStatus, /m = 200, δ = 0\.05, spectral norms, B_u over the vocabulary/);
      assert.doesNotMatch(openStatus, /C_F can differ/, 'a majority run has T = its input length');

      // The bound table shows the trained model's terms: the run's T, m and C_F.
      await page.waitForFunction((name) => document.getElementById('model-summary').textContent.includes(name)
        && document.querySelector('#bound-table tr[data-term="C_F"] data'), fileName);
      const shownCapacity = Number(await page.getAttribute('#bound-table tr[data-term="C_F"] data', 'value'));
      assertSame(shownCapacity, expected.C_F, 'C_F in the bound table');
      assert.equal(expected.C_F, run.bound.C_F, 'the loaded model has the run\'s bound');
    });
  });

  test('diverged runs show no accuracy', async () => {
    await withPage(async (page) => {
      // s_A(0) = 5 at T = 50 overflows in the first batch, and the initial parameters overflow in evaluation too.
      await fillSettings(page, 'stability', {
        T: '50', sA: '5', seeds: '1', epochs: '2', train: '50', test: '50', workers: '1',
      });
      await page.click('#reproduce-run');
      await waitForRunEnd(page);

      const status = await page.textContent('#reproduce-status');
      assert.match(status, /1 run diverged \(the logits, the gradient or a parameter left the float64 range\); it has no accuracy/);
      const option = await page.textContent('#reproduce-run-select option');
      assert.match(option, /: no accuracy \(diverged in epoch 1\), final s_A \+5$/);
      for (const text of [status, option, await page.textContent('#reproduce-table')]) assert.doesNotMatch(text, /\bnull\b/);
      // Its curve is the single point s_A = 5 at epoch 0, drawn as a dot.
      assert.ok(await countColorPixels(page, 'plot-reproduce-sA', '--plot-positive') >= 20, 'no dot for the diverged run');

      // A row whose mean covers only some of its runs names how many.
      const cells = await page.evaluate(async () => {
        const { renderStabilityTable } = await import('./reproduce-views.mjs');
        const table = document.createElement('table');
        table.append(document.createElement('thead'), document.createElement('tbody'));
        const none = { mean: null, std: null, n: 0 };
        renderStabilityTable(table, [{
          sA0: 0.1,
          runs: 2,
          finalSA: { mean: 0.2, std: 0.1, n: 2 },
          trainAccuracy: { mean: 0.38, std: null, n: 1 },
          testAccuracy: none,
          failed: 1,
          outcomes: { diverged: 1, 'rose above 0': 1 },
        }]);
        const text = (column) => table.querySelector(`td[data-column="${column}"]`).textContent;
        return { train: text('trainAccuracy'), test: text('testAccuracy'), finalSA: text('finalSA') };
      });
      assert.equal(cells.train, '0.38 (1 of 2 runs)');
      assert.equal(cells.test, '–');
      assert.match(cells.finalSA, /^\+0\.2 ± 0\.1$/);
    });
  });

  test('stop before a result clears the curves', async () => {
    await withPage(async (page) => {
      await fillSettings(page, 'stability', {
        T: '250', sA: '-0.1', seeds: '1', epochs: '40', train: '1000', test: '1000', workers: '1',
      });
      await page.click('#reproduce-run');
      await page.waitForFunction(() => /epoch [1-9]\d* of 40/.test(document.getElementById('reproduce-status').textContent));
      await page.click('#reproduce-stop');
      await waitForRunEnd(page, 5000);

      assert.match(await page.textContent('#reproduce-status'), /^Stopped after 0 of 1 runs .* Stopped during training and left out: s_A\(0\) = −0\.1, T = 250, seed 0 at epoch \d+\.$/);
      assert.equal(await page.locator('#plot-reproduce-stability-legend li').count(), 0, 'the legend still lists the stopped run');
      assert.equal(await countDrawnPixels(page, 'plot-reproduce-sA'), 0, 'the stopped run\'s curve is still drawn');
      assert.equal(await page.evaluate(() => document.getElementById('reproduce-progress').getAttribute('aria-valuetext')), '0 of 1 runs done');
    });
  });

  test('stop timeout names the terminated run', async () => {
    await withPage(async (page) => {
      // Generating 10⁸ tokens for each split takes seconds, with no message from the worker.
      await fillSettings(page, 'length', {
        T: '20000', seeds: '1', epochs: '1', train: '5000', test: '5000', workers: '1',
      });
      await page.click('#reproduce-run');
      await page.waitForFunction(() => /T = 20000, seed 0 \(generating data\)/.test(document.getElementById('reproduce-status').textContent));
      // The elapsed time is redrawn without news from the worker.
      const first = await page.textContent('#reproduce-status');
      await page.waitForTimeout(1200);
      assert.notEqual(await page.textContent('#reproduce-status'), first, 'the status line did not change in 1.2 s');

      await page.click('#reproduce-stop');
      await waitForRunEnd(page, 5000);
      assert.match(await page.textContent('#reproduce-status'),
        /^Stopped after 0 of 1 runs \([\d.]+ s\)\. Terminated after the 1\.5 s stop timeout and left out: T = 20000, seed 0 (before its first epoch|at epoch 0)\.$/);
      await assertNoWorkers(page, 'the worker was not terminated');
    });
  });
});
