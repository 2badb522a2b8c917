// The npm package as a user gets it: packed, installed offline into an
// empty project, imported from Node, type-checked, bundled into a page
// with esbuild and run in Chromium, and its binary run from the shell.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'node_modules', '.bin');
const FIXTURE = fileURLToPath(new URL('../../shared/fixtures/authors-listops-T100-seed1/', import.meta.url));
const CHROMIUM = CHROMIUM_PATH;

const tools = ['tsc', 'esbuild'].filter((tool) => !existsSync(join(BIN, tool)));
const skip = tools.length ? `${tools.join(' and ')} not installed; run npm install` : false;

let work;
let project;

function npm(args, cwd) {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  assert.equal(result.status, 0, `npm ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

before(() => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'ssm-lens-package-'));
  // --ignore-scripts: the tests already built the module; prepack would rebuild it.
  const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT));
  const tarball = join(work, packed[0].filename);
  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'newcomer', private: true, type: 'module' }));
  // Zero runtime dependencies, so an offline install must succeed.
  npm(['install', '--offline', '--no-audit', '--no-fund', tarball], project);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('installed package imports and computes in Node', { skip }, () => {
  const script = `
    import { readFileSync } from 'node:fs';
    import { randomModel, modelFromFile, bound } from 'ssm-lens';
    const model = await randomModel({ sA: -0.1, seed: 1 });
    const tokens = [0, 1, 1, 0];
    const alpha = model.attention(tokens, 'logit');
    const row = alpha.subarray(12, 16).reduce((a, b) => a + b, 0);
    const fixture = await modelFromFile(readFileSync(${JSON.stringify(join(FIXTURE, 'model.safetensors'))}));
    console.log(JSON.stringify({ logit: model.forward(tokens).logits[0], row, S2: bound(model, { T: 100 }).S2, K: fixture.K }));
  `;
  writeFileSync(join(project, 'use.mjs'), script);
  const out = JSON.parse(execFileSync(process.execPath, ['use.mjs'], { cwd: project, encoding: 'utf8' }));
  assert.ok(Math.abs(out.logit - out.row) <= 1e-5 * Math.abs(out.logit) + 1e-6);
  assert.ok(out.S2 > 0);
  assert.equal(out.K, 10);
});

test('installed binary runs', { skip }, () => {
  const binary = join(project, 'node_modules', '.bin', 'ssm-lens');
  const result = spawnSync(binary, ['run', '--random', '--bits', '0110', '--json'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(Object.keys(JSON.parse(result.stdout)), ['logits', 'y_last', 'delta']);
  const help = spawnSync(binary, ['sweep', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Examples:/);

  // The experiment command runs its jobs in worker threads from the installed files.
  const experiment = spawnSync(binary, ['experiment', 'length', '--T', '10,20', '--seeds', '1', '--epochs', '1', '--train', '20', '--test', '10', '--jobs', '2', '--quiet', '--csv'], { encoding: 'utf8' });
  assert.equal(experiment.status, 0, experiment.stderr);
  assert.equal(experiment.stdout.trim().split('\n').length, 3);
});

test('type declarations check an example', { skip }, () => {
  const example = `
    import {
      randomModel, bound, sweep, SsmLensError, lengthExperiment, majorityTask, trainModel, type BoundTerms, type LogRow,
    } from 'ssm-lens';
    const model = await randomModel({ sA: -0.1, d: 4, N: 4 });
    const y: Float32Array = model.forward([0, 1, 1]).y;
    const alpha: Float32Array = model.attention([0, 1, 1], 'logit', { k: 0 });
    const terms: BoundTerms = bound(model, { T: 1000, m: 1000 });
    const s2: number | null = terms.S2;
    const points = sweep(model, { over: 'T', from: 1, to: 1e6 }).points.length;
    const pooled = model.attentionPooled([0, 1, 1], 0, { size: 2, mode: 'mean' }).values;
    try { model.forward([]); } catch (error) { if (error instanceof SsmLensError) console.log(error.code, error.step); }
    console.log(y.length, alpha.length, s2, points, pooled.length);
    const data = majorityTask({ T: 10, train: 20, test: 10 });
    const trained = await trainModel(data, { epochs: 1, onEpoch: (row: LogRow) => row.s_A });
    const experiment = await lengthExperiment({ T: '10', seeds: 1, epochs: 1, train: 20, test: 10 });
    const gap: number | null = experiment.summary.rows[0].gap.mean;
    console.log(trained.log.length, gap);
  `;
  writeFileSync(join(project, 'example.ts'), example);
  const tsc = spawnSync(join(BIN, 'tsc'), ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', 'example.ts'], { cwd: project, encoding: 'utf8' });
  assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);

  // A misuse the declarations must catch.
  writeFileSync(join(project, 'wrong.ts'), "import { randomModel } from 'ssm-lens';\nconst m = await randomModel();\nm.attention([0], 'median');\n");
  const wrong = spawnSync(join(BIN, 'tsc'), ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', 'wrong.ts'], { cwd: project, encoding: 'utf8' });
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stdout + wrong.stderr, /median/);
});

test('package sizes stay small', { skip }, (t) => {
  const wasm = statSync(join(project, 'node_modules', 'ssm-lens', 'wasm', 'ssm_lens.wasm')).size;
  const bundle = join(work, 'size.js');
  execFileSync(join(BIN, 'esbuild'), ['ssm-lens', '--bundle', '--minify', '--format=esm', '--platform=browser', `--outfile=${bundle}`, '--log-level=error'], { cwd: project });
  const javascript = statSync(bundle).size;
  t.diagnostic(`ssm_lens.wasm ${wasm} bytes, JavaScript ${javascript} bytes minified`);
  // The training kernels, the optimizer, the task generators and the
  // experiments take the module from 59 KB to 73 KB and the bundle from
  // 35 KB to 58 KB.
  assert.ok(wasm <= 80 * 1024, `wasm is ${wasm} bytes`);
  assert.ok(javascript <= 64 * 1024, `minified JavaScript is ${javascript} bytes`);
});

test('bundled page runs in Chromium', { skip: skip || (!existsSync(CHROMIUM) && `${CHROMIUM} not found`) }, async () => {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    assert.fail('playwright-core is not installed; run npm install');
  }
  const site = join(project, 'site');
  mkdirSync(site);
  writeFileSync(join(project, 'page.mjs'), `
    import { randomModel, bound } from 'ssm-lens';
    const model = await randomModel({ sA: -0.1, seed: 2 });
    const logits = model.forward([0, 1, 1, 0, 1]).logits;
    document.querySelector('#out').textContent = JSON.stringify({ logit: logits[0], C_F: bound(model, { T: 50 }).C_F });
  `);
  execFileSync(join(BIN, 'esbuild'), ['page.mjs', '--bundle', '--format=esm', '--platform=browser', `--outfile=${join(site, 'page.js')}`, '--log-level=error'], { cwd: project });
  // The loader looks for ssm_lens.wasm beside the bundle, as the README says.
  copyFileSync(join(project, 'node_modules', 'ssm-lens', 'wasm', 'ssm_lens.wasm'), join(site, 'ssm_lens.wasm'));
  writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>bundle</title><pre id="out"></pre><script type="module" src="page.js"></script>');

  const server = await startServer({ port: 0, root: site });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
    await page.waitForFunction(() => document.querySelector('#out').textContent.length > 0, null, { timeout: 20000 });
    const out = JSON.parse(await page.textContent('#out'));
    assert.deepEqual(errors, []);
    assert.ok(Number.isFinite(out.logit));
    assert.ok(out.C_F > 0);

    // The same numbers as Node computes from the source tree.
    const { randomModel } = await import('../wasm/index.mjs');
    const model = await randomModel({ sA: -0.1, seed: 2 });
    assert.equal(out.logit, model.forward([0, 1, 1, 0, 1]).logits[0]);
  } finally {
    await browser.close();
    server.close();
  }
});
