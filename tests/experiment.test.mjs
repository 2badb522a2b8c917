// The experiments (wasm/experiment.mjs) and `ssm-lens experiment`: grids,
// jobs, summaries, reduced runs, worker threads and saved models.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  SsmLensError, experimentJobs, lengthExperiment, modelFromFile, parseGrid, parseSeeds,
  runTrainingJob, stabilityExperiment, summarizeLength,
} from '../wasm/index.mjs';

const CLI = fileURLToPath(new URL('../bin/ssm-lens.mjs', import.meta.url));

function cli(args) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const SMALL = { T: '20,40', seeds: 1, epochs: 6, train: 300, test: 300 };

test('grids parse ranges, lists and numbers', () => {
  assert.deepEqual(parseGrid('T', '25:100:25'), [25, 50, 75, 100]);
  const sA = parseGrid('sA', '-0.1:0.1:0.02');
  assert.equal(sA.length, 11);
  assert.equal(sA[5], 0);
  assert.equal(sA[10], 0.1);
  assert.deepEqual(parseGrid('T', '10, 30'), [10, 30]);
  assert.deepEqual(parseGrid('T', 7), [7]);
  assert.deepEqual(parseSeeds(3), [0, 1, 2]);
  assert.deepEqual(parseSeeds('3'), [0, 1, 2]);
  assert.deepEqual(parseSeeds('4,9'), [4, 9]);
  assert.deepEqual(parseSeeds('3.0'), [0, 1, 2]);
  assert.throws(() => parseGrid('T', 'abc'), /T: 'abc' is not a number/);
  assert.throws(() => parseGrid('T', '10,x'), /T: 'x' in '10,x' is not a number/);
  assert.throws(() => parseGrid('T', '1:2'), /T must be 'from:to:step' with three numbers/);
  assert.throws(() => parseGrid('T', '5:1:1'), /'to' must not be below 'from'/);
  assert.throws(() => parseGrid('T', '1:5:0'), /the step must be positive/);
  assert.throws(() => parseGrid('T', '1:1e9:1'), /more than 10000/);
});

test('jobs cover every length, start and seed', () => {
  const length = experimentJobs('length', { T: '25:400:25', seeds: 5 });
  assert.equal(length.length, 80);
  assert.deepEqual(new Set(length.map((job) => job.T)).size, 16);
  assert.ok(length.every((job) => job.sA === 0 && job.d === 4 && job.N === 4 && job.train === 1000));
  const stability = experimentJobs('stability', {});
  assert.deepEqual(stability.map((job) => job.sA), parseGrid('sA', '-0.1:0.1:0.02'));
  assert.ok(stability.every((job) => job.T === 250));
  assert.throws(() => experimentJobs('stability', { T: '100,200' }), /runs at one T, got 2 values/);
  assert.throws(() => experimentJobs('length', { sA: '0,0.1' }), /starts every run at one s_A/);
  assert.throws(() => experimentJobs('width', {}), /experiment must be 'length' or 'stability'/);
  assert.throws(() => experimentJobs('length', { T: '0,10' }), SsmLensError);
  assert.throws(() => experimentJobs('length', { seeds: '0,0' }), /seeds lists 0 twice/);
  assert.throws(() => experimentJobs('length', { T: '1:10000:1', seeds: 20 }), /would run 200000 jobs/);
  assert.throws(() => experimentJobs('length', { task: 'listops', flip: 0.1 }), /flip applies to the majority task only, not to listops/);
  assert.throws(() => experimentJobs('length', { task: 'imdb' }), /task must be 'majority' or 'listops'/);
});

test('length summary: means, sample deviations and flatness', () => {
  const run = (T, train, test) => ({ T, trainAccuracy: train, testAccuracy: test, gap: train - test, finalSA: -0.01, bound: { log10_C_F: 3, gap_bound: 2, vacuous: 1 }, diverged: null });
  const { rows, flatness } = summarizeLength([run(10, 0.9, 0.8), run(10, 0.8, 0.8), run(20, 1, 0.7)]);
  assert.equal(rows.length, 2);
  assert.ok(Math.abs(rows[0].trainAccuracy.mean - 0.85) < 1e-12);
  assert.ok(Math.abs(rows[0].trainAccuracy.std - Math.sqrt(0.005)) < 1e-12);
  assert.equal(rows[1].trainAccuracy.std, null);
  assert.ok(Math.abs(flatness.meanGap - (0.05 + 0.3) / 2) < 1e-12);
  assert.ok(Math.abs(flatness.maxDeviation - 0.125) < 1e-12);
});

test('reduced length experiment beats chance and bounds each model', async (t) => {
  const result = await lengthExperiment(SMALL);
  assert.equal(result.runs.length, 2);
  for (const run of result.runs) {
    t.diagnostic(`T=${run.T}: train ${run.trainAccuracy}, test ${run.testAccuracy}, log10 C_F ${run.bound.log10_C_F?.toFixed(2)}, ${run.seconds} s`);
    // Chance is 0.5; with 300 test sequences its standard deviation is 0.029.
    assert.ok(run.testAccuracy > 0.65, `T=${run.T}: test accuracy ${run.testAccuracy}`);
    assert.equal(run.log.length, 7);
    assert.equal(run.bound.T, run.T);
    assert.equal(run.bound.m, 300);
    // The bound is computed on the float32 model, the log on the float64 parameters.
    assert.ok(Math.abs(run.bound.s_A - run.finalSA) <= 1e-6, `bound s_A ${run.bound.s_A}, logged ${run.finalSA}`);
    assert.ok(Number.isFinite(run.bound.log10_C_F));
  }
  assert.deepEqual(result.summary.rows.map((row) => row.T), [20, 40]);
});

test('reduced stability experiment classifies each start', async () => {
  const result = await stabilityExperiment({ T: 30, sA: '-0.05,0.1', seeds: 1, epochs: 4, train: 200, test: 100 });
  const [negative, positive] = result.summary;
  assert.equal(negative.sA0, -0.05);
  assert.equal(positive.sA0, 0.1);
  for (const row of result.summary) {
    assert.equal(row.curves[0].sA.length, 5);
    assert.equal(row.curves[0].sA[0], row.sA0 === 0.1 ? Math.fround(0.1) : Math.fround(-0.05));
  }
  const run = result.runs[1];
  const expected = run.diverged ? 'diverged'
    : run.finalSA <= 0 ? 'driven to ≤ 0'
      : run.finalSA < 0.1 ? 'decreased, still > 0' : 'did not decrease';
  assert.equal(run.outcome, expected);
});

test('CLI experiment in worker threads equals the API in this thread', async () => {
  const args = ['experiment', 'length', '--T', '20,40', '--seeds', '1', '--epochs', '6', '--train', '300', '--test', '300', '--jobs', '2', '--quiet', '--json'];
  const { status, stdout, stderr } = cli(args);
  assert.equal(status, 0, stderr);
  const output = JSON.parse(stdout);
  assert.equal(output.runs.length, 2);
  const jobs = experimentJobs('length', SMALL);
  for (const [i, job] of jobs.entries()) {
    const local = await runTrainingJob(job);
    assert.equal(output.runs[i].trainAccuracy, local.trainAccuracy);
    assert.equal(output.runs[i].testAccuracy, local.testAccuracy);
    assert.deepEqual(output.runs[i].log.map((row) => row.s_A), local.log.map((row) => row.s_A));
  }
});

test('CLI experiment CSV, saved models and per-epoch log', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'ssm-lens-experiment-'));
  try {
    const logFile = join(directory, 'log.csv');
    const { status, stdout, stderr } = cli(['experiment', 'stability', '--T', '20', '--sA', '-0.05,0.05', '--epochs', '3', '--train', '100', '--test', '50', '--csv', '--save', directory, '--log-csv', logFile]);
    assert.equal(status, 0, stderr);
    assert.match(stderr, /\[2\/2\] T=20/);
    const lines = stdout.trim().split('\n');
    assert.equal(lines[0], 'sA0,runs,final_sA_mean,final_sA_std,train_mean,test_mean,failed,outcomes');
    assert.equal(lines.length, 3);

    const log = readFileSync(logFile, 'utf8').trim().split('\n');
    assert.equal(log[0], 'T,sA0,seed,epoch,s_A,L_p,B_q,B_B,M_B,B_C,M_C,B_A,B_u,loss,lr');
    assert.equal(log.length, 1 + 2 * 4);

    const saved = readdirSync(directory).filter((name) => name.endsWith('.safetensors')).sort();
    assert.deepEqual(saved, ['stability-majority-T20-sA-0.05-seed0.safetensors', 'stability-majority-T20-sA0.05-seed0.safetensors']);
    // A saved model loads into the other commands and the API.
    const path = join(directory, saved[1]);
    const run = cli(['run', '--model', path, '--bits', '0110', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const model = await modelFromFile(readFileSync(path));
    assert.deepEqual(JSON.parse(run.stdout).logits, Array.from(model.forward([0, 1, 1, 0]).logits));
    const lastRow = log.at(-1).split(',');
    assert.ok(Math.abs(Number(lastRow[4]) - model.sA) <= 1e-6, `logged s_A ${lastRow[4]}, saved model ${model.sA}`);
    assert.equal(cli(['bound', '--model', path, '--bits', '0110']).status, 0);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('CLI experiment rejects bad options', () => {
  const missing = cli(['experiment']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /experiment needs 'length' or 'stability', got nothing/);
  const grid = cli(['experiment', 'length', '--T', 'abc']);
  assert.equal(grid.status, 2);
  assert.match(grid.stderr, /T: 'abc' is not a number/);
  const jobs = cli(['experiment', 'length', '--T', '10', '--jobs', '0']);
  assert.equal(jobs.status, 2);
  assert.match(jobs.stderr, /--jobs must be an integer in 1\.\.256, got '0'/);
  const unknown = cli(['experiment', 'length', '--T', '10', '--model', 'x.json']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--model does not apply to experiment/);
  // A bad output path is reported before any training.
  const file = join(tmpdir(), `ssm-lens-not-a-directory-${process.pid}`);
  writeFileSync(file, '');
  try {
    const save = cli(['experiment', 'length', '--T', '10', '--seeds', '1', '--save', file]);
    assert.equal(save.status, 2);
    assert.match(save.stderr, /--save: cannot create/);
    assert.doesNotMatch(save.stderr, /\[1\/1\]/);
  } finally {
    rmSync(file);
  }
  const both = cli(['experiment', 'length', '--json', '--csv']);
  assert.equal(both.status, 2);
  const help = cli(['experiment', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /ssm-lens experiment length --task majority --T 25:400:25 --seeds 5/);
});

test('CLI experiment keeps finished runs when a job fails', () => {
  // T = 3 has too few distinct ListOps sequences, so its job fails after T = 50 finished.
  const { status, stdout, stderr } = cli(['experiment', 'length', '--task', 'listops', '--T', '50,3', '--seeds', '1', '--epochs', '1', '--train', '100', '--test', '20', '--jobs', '1', '--quiet', '--csv']);
  assert.equal(status, 2);
  assert.equal(stdout.trim().split('\n').length, 2);
  assert.match(stdout, /\n50,1,0,/);
  assert.match(stderr, /stopped after 1 of 2 runs/);
  assert.match(stderr, /too few distinct sequences/);
  const batch = cli(['experiment', 'length', '--T', '10', '--batch', '0']);
  assert.match(batch.stderr, /--batch must be an integer/);
});

test('CLI experiment draws its figure as PNG', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ssm-lens-figure-'));
  try {
    for (const [kind, panels] of [['length', 3], ['stability', 2]]) {
      const file = join(directory, `${kind}.png`);
      const { status, stderr } = cli(['experiment', kind, '--T', kind === 'length' ? '10,20' : '10', '--sA', kind === 'length' ? '0' : '-0.1,0.1', '--seeds', '1', '--epochs', '2', '--train', '40', '--test', '20', '--png', file]);
      assert.equal(status, 0, stderr);
      const bytes = readFileSync(file);
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      // IHDR: width and height, big-endian, after the signature and the chunk header.
      assert.equal(bytes.readUInt32BE(16), panels * 520);
      assert.ok(bytes.readUInt32BE(20) >= 300);
      assert.match(stderr, new RegExp(`wrote ${file.replaceAll('/', '\\/')}`));
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('CLI experiment without a test split and with ListOps options', () => {
  const noTest = cli(['experiment', 'stability', '--T', '10', '--sA', '0', '--epochs', '2', '--train', '50', '--test', '0']);
  assert.equal(noTest.status, 0, noTest.stderr);
  assert.match(noTest.stderr, /\[1\/1\] T=10 s_A0=0 seed=0: train [0-9.]+ test —/);
  const listops = cli(['experiment', 'length', '--task', 'listops', '--T', '50', '--spread', '3', '--max-depth', '6', '--max-args', '4', '--seeds', '1', '--epochs', '1', '--train', '60', '--test', '20', '--quiet', '--csv']);
  assert.equal(listops.status, 0, listops.stderr);
  assert.match(listops.stdout, /\n50,1,0,/);
  assert.throws(() => experimentJobs('length', { epoch: 3 }), /unknown experiment option 'epoch'/);
});
