// `ssm-lens experiment length|stability`: the length and stability
// experiments of Honarpisheh et al. (NeurIPS 2025), with training jobs
// spread over worker threads.
import {
  existsSync, mkdirSync, statSync, writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

import { SsmLensError, modelFromStateDict } from '../../wasm/index.mjs';
import {
  experimentJobs, runJobs, summarizeLength, summarizeStability,
} from '../../wasm/experiment.mjs';
import { LOG_COLUMNS } from '../../wasm/train.mjs';
import { UsageError, numberOption } from './input.mjs';
import { PALETTE, drawPanel } from './plot.mjs';
import { Raster, encodePng } from './png.mjs';
import {
  csvLine, formatNumber, toJson, write,
} from './output.mjs';

export const EXPERIMENT_HELP = `Usage: ssm-lens experiment length|stability [options]

  length      train at each T from s_A = 0; per T the train and test accuracy
              (mean ± std over seeds), their gap, the final s_A and the bound
              of each trained model
  stability   train at one T from each initial s_A; per s_A the final s_A,
              accuracy and whether s_A was driven to 0 or the run failed

Options:
  --task NAME         'majority' (default) or 'listops'
  --T GRID            lengths: 'from:to:step', a list or one number
                      (length: 25:400:25; stability: 250)
  --sA GRID           initial s_A (length: 0; stability: -0.1:0.1:0.02)
  --seeds S           a count n for seeds 0..n-1, or a list (length: 5; stability: 1)
  --d D, --N N        channels and states per channel (default 4, 4)
  --train M, --test M training and test sequences (default 1000, 1000)
  --epochs E          epochs (default 40)
  --batch B           batch size (default 64)
  --lr X              initial learning rate (default 0.01)
  --weight-decay X    Adam's L2 weight decay (default 1e-5)
  --flip P            majority: probability that a 1 in a training sequence
                      becomes 0 (default 0.25)
  --spread S          listops: lengths lie strictly between T - S and T + S
                      (default 5)
  --max-depth D       listops: the deepest nesting of operators (default 10)
  --max-args A        listops: the most arguments of one operator (default 10)
  --jobs J            worker threads (default: the number of CPUs); each
                      holds one job's data and model in memory
  --save DIR          write each trained model to DIR as safetensors
  --log-csv FILE      write every run's per-epoch log (norms, loss, lr) as CSV
  --png FILE          draw the paper's figure: accuracy, gap and log10 C_F
                      against T (length), or s_A and the loss against the
                      epoch (stability)
  --quiet             no progress lines on standard error
  --json              every run with its log and bound, and the summary
  --csv               the summary, one row per T (length) or per s_A (stability)
Examples:
  ssm-lens experiment length --task majority --T 25:400:25 --seeds 5
  ssm-lens experiment stability --task majority --T 250 --sA -0.1:0.1:0.02 --csv`;

// The options of the shared parser that the experiment command reads.
const SHARED = ['T', 'sA', 'd', 'N', 'json', 'csv', 'help', 'png'];

export const EXPERIMENT_OPTIONS = {
  task: { type: 'string' }, seeds: { type: 'string' }, train: { type: 'string' },
  test: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' },
  lr: { type: 'string' }, 'weight-decay': { type: 'string' }, flip: { type: 'string' },
  spread: { type: 'string' }, 'max-depth': { type: 'string' }, 'max-args': { type: 'string' },
  jobs: { type: 'string' }, save: { type: 'string' }, 'log-csv': { type: 'string' },
  png: { type: 'string' },
  quiet: { type: 'boolean' },
};

const APPLICABLE = new Set([...SHARED, ...Object.keys(EXPERIMENT_OPTIONS)]);

/** Writes a whole file, turning a failure into a usage error that names the option. */
function writeOutput(option, path, text) {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new UsageError(`${option}: cannot write '${path}' (${error.code ?? error.message})`);
  }
}

/**
 * Creates --save's directory and its missing parents. A directory whose
 * parent exists is made without { recursive: true }: on Node 20 a
 * recursive mkdir under /proc retries forever instead of failing.
 */
function createDirectory(path) {
  try {
    if (existsSync(path) && statSync(path).isDirectory()) return;
    mkdirSync(path, { recursive: !existsSync(dirname(resolve(path))) });
  } catch (error) {
    throw new UsageError(`--save: cannot create '${path}' (${error.code ?? error.message})`);
  }
}

function experimentOptions(values) {
  const options = {};
  if (values.task !== undefined) options.task = values.task;
  if (values.T !== undefined) options.T = values.T;
  if (values.sA !== undefined) options.sA = values.sA;
  if (values.seeds !== undefined) options.seeds = values.seeds;
  const numeric = {
    d: 'd', N: 'N', train: 'train', test: 'test', epochs: 'epochs', batch: 'batchSize',
    lr: 'lr', 'weight-decay': 'weightDecay', flip: 'flip',
    spread: 'spread', 'max-depth': 'maxDepth', 'max-args': 'maxArgs',
  };
  for (const [option, field] of Object.entries(numeric)) {
    const value = numberOption(values, option);
    if (value !== undefined) options[field] = value;
  }
  if (values.save !== undefined) options.keepModel = true;
  return options;
}

/** Creates a pool of worker threads that run training jobs. close() ends them. */
function workerRunner(size) {
  const url = new URL('./experiment-worker.mjs', import.meta.url);
  const idle = [];
  const workers = [];
  const waiting = [];

  const acquire = () => {
    if (idle.length) return Promise.resolve(idle.pop());
    if (workers.length < size) {
      const worker = new Worker(url);
      workers.push(worker);
      return Promise.resolve(worker);
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (worker) => {
    if (waiting.length) waiting.shift()(worker);
    else idle.push(worker);
  };

  const runJob = async (job) => {
    const worker = await acquire();
    try {
      const reply = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage(job);
      });
      worker.removeAllListeners('error');
      if (reply.error) {
        const ErrorType = reply.error.name === 'SsmLensError' ? SsmLensError : Error;
        throw new ErrorType(reply.error.message, { code: reply.error.code });
      }
      return reply.result;
    } finally {
      release(worker);
    }
  };
  const close = () => Promise.all(workers.map((worker) => worker.terminate()));
  return { runJob, close };
}

function describeRun(run) {
  const value = (accuracy) => (accuracy === null ? '—' : accuracy.toFixed(3));
  const accuracy = run.trainAccuracy === null
    ? 'no accuracy'
    : `train ${value(run.trainAccuracy)} test ${value(run.testAccuracy)}`;
  const diverged = run.diverged ? `, diverged at epoch ${run.diverged.epoch}` : '';
  return `T=${run.T} s_A0=${run.sA0} seed=${run.seed}: ${accuracy}, final s_A ${run.finalSA.toFixed(4)}${diverged} (${run.seconds.toFixed(1)} s)`;
}

function modelFileName(run) {
  return `${run.kind}-${run.task}-T${run.T}-sA${run.sA0}-seed${run.seed}.safetensors`;
}

async function saveModels(directory, runs) {
  for (const run of runs) {
    const model = await modelFromStateDict(run.stateDict);
    const path = join(directory, modelFileName(run));
    writeOutput('--save', path, model.toSafetensors());
    run.modelFile = path;
  }
}

function writeLogCsv(path, runs) {
  const lines = [csvLine(['T', 'sA0', 'seed', ...LOG_COLUMNS])];
  for (const run of runs) {
    for (const row of run.log) lines.push(csvLine([run.T, run.sA0, run.seed, ...LOG_COLUMNS.map((name) => row[name])]));
  }
  writeOutput('--log-csv', path, lines.join(''));
}

/** Formats mean ± sample std, or the mean alone for a single run. */
function plusMinus(stat, digits = 3) {
  if (stat.mean === null) return '—';
  return stat.std === null ? stat.mean.toFixed(digits) : `${stat.mean.toFixed(digits)} ± ${stat.std.toFixed(digits)}`;
}

async function writeLength(summary, values) {
  const columns = ['T', 'runs', 'diverged', 'train_mean', 'train_std', 'test_mean', 'test_std',
    'gap_mean', 'gap_std', 'final_sA_mean', 'final_sA_std', 'log10_C_F_mean', 'gap_bound_mean', 'vacuous_runs'];
  if (values.csv) {
    await write(csvLine(columns));
    for (const row of summary.rows) {
      await write(csvLine([row.T, row.runs, row.diverged, row.trainAccuracy.mean, row.trainAccuracy.std,
        row.testAccuracy.mean, row.testAccuracy.std, row.gap.mean, row.gap.std, row.finalSA.mean,
        row.finalSA.std, row.log10_C_F.mean, row.gap_bound.mean, row.vacuous]));
    }
    return;
  }
  const lines = ['length experiment: accuracy over seeds (mean ± sample std), gap = train − test; the bound uses spectral norms',
    `${'T'.padStart(6)} ${'train'.padStart(15)} ${'test'.padStart(15)} ${'gap'.padStart(15)} ${'final s_A'.padStart(17)} ${'log10 C_F'.padStart(10)} ${'gap bound'.padStart(10)}`];
  for (const row of summary.rows) {
    const gapBound = row.vacuous === row.runs ? 'vacuous' : formatNumber(row.gap_bound.mean);
    lines.push(`${String(row.T).padStart(6)} ${plusMinus(row.trainAccuracy).padStart(15)} ${plusMinus(row.testAccuracy).padStart(15)} ${plusMinus(row.gap).padStart(15)} ${plusMinus(row.finalSA, 4).padStart(17)} ${(row.log10_C_F.mean === null ? '—' : row.log10_C_F.mean.toFixed(2)).padStart(10)} ${gapBound.padStart(10)}${row.diverged ? `  (${row.diverged} diverged)` : ''}`);
  }
  const { meanGap, maxDeviation } = summary.flatness;
  if (meanGap !== null) {
    lines.push(`mean gap over all T: ${meanGap.toFixed(4)}; largest distance of a T's mean gap from it: ${maxDeviation.toFixed(4)}`);
  }
  await write(`${lines.join('\n')}\n`);
}

async function writeStability(summary, values) {
  if (values.csv) {
    await write(csvLine(['sA0', 'runs', 'final_sA_mean', 'final_sA_std', 'train_mean', 'test_mean', 'failed', 'outcomes']));
    for (const row of summary) {
      const outcomes = Object.entries(row.outcomes).map(([name, count]) => `${name}: ${count}`).join('; ');
      await write(csvLine([row.sA0, row.runs, row.finalSA.mean, row.finalSA.std, row.trainAccuracy.mean,
        row.testAccuracy.mean, row.failed, outcomes]));
    }
    return;
  }
  const epochs = Math.max(...summary.map((row) => row.curves[0].sA.length - 1));
  const marks = [...new Set([0, 1, 2, 3, 4].map((i) => Math.round((i * epochs) / 4)))];
  const trajectoryLabel = `mean s_A at epochs ${marks.join('/')}`;
  const lines = ['stability experiment: where training took s_A from each initial value (failed: diverged, or training accuracy at most 0.1 above always predicting the most frequent label; a diverged run leaves the epoch means after it diverged)',
    `${'s_A0'.padStart(7)} ${'final s_A'.padStart(17)} ${'train'.padStart(7)} ${'test'.padStart(7)} ${'failed'.padStart(7)}  ${trajectoryLabel.padEnd(36)} outcome`];
  for (const row of summary) {
    const outcomes = Object.entries(row.outcomes).map(([name, count]) => (row.runs > 1 ? `${name} (${count})` : name)).join(', ');
    const accuracy = (stat) => (stat.mean === null ? '—' : stat.mean.toFixed(3));
    // The mean over seeds of s_A at five epochs, over the runs that reached them.
    const trajectory = marks.map((epoch) => {
      const values = row.curves.map((curve) => curve.sA[epoch]).filter((v) => v !== undefined);
      if (!values.length) return '—'.padStart(6);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      // Adding 0 turns -0 into 0, so that a mean that rounds to zero prints as 0.000.
      return (Number(mean.toFixed(3)) + 0).toFixed(3).padStart(6);
    }).join(' ');
    lines.push(`${String(row.sA0).padStart(7)} ${plusMinus(row.finalSA, 4).padStart(17)} ${accuracy(row.trainAccuracy).padStart(7)} ${accuracy(row.testAccuracy).padStart(7)} ${`${row.failed}/${row.runs}`.padStart(7)}  ${trajectory.padEnd(36)} ${outcomes}`);
  }
  await write(`${lines.join('\n')}\n`);
}

const PANEL_WIDTH = 520;

/** Draws the length experiment's figure: accuracy, gap and log10 C_F against T. */
function lengthFigure({ rows, flatness }) {
  const point = (row, stat) => [row.T, row[stat].mean, row[stat].std ?? 0];
  const height = 460;
  const raster = new Raster(3 * PANEL_WIDTH, height);
  const box = (index) => ({ left: index * PANEL_WIDTH + 8, top: 8, width: PANEL_WIDTH - 16, height: height - 16 });
  drawPanel(raster, box(0), {
    title: 'accuracy against T', xTitle: 'T', yTitle: 'accuracy (mean, bars: sd over seeds)',
    series: [
      { label: 'train', color: PALETTE[0], points: rows.map((row) => point(row, 'trainAccuracy')) },
      { label: 'test', color: PALETTE[1], points: rows.map((row) => point(row, 'testAccuracy')) },
    ],
  });
  drawPanel(raster, box(1), {
    title: 'gap = train - test against T', xTitle: 'T', yTitle: 'gap (mean, bars: sd over seeds)',
    series: [{ label: 'gap; dashed: its mean over T', color: PALETTE[2], points: rows.map((row) => point(row, 'gap')) }],
    reference: flatness.meanGap,
  });
  drawPanel(raster, box(2), {
    title: 'log10 C_F of the trained models', xTitle: 'T', yTitle: 'log10 C_F (mean over seeds)',
    series: [{ label: 'log10 C_F', color: PALETTE[3], points: rows.map((row) => [row.T, row.log10_C_F.mean]) }],
  });
  return raster;
}

/** Draws the stability experiment's figure: s_A and log10 of the loss against the epoch, one line per initial s_A. */
function stabilityFigure(rows) {
  const height = 300 + rows.length * 20;
  const raster = new Raster(2 * PANEL_WIDTH, height);
  const box = (index) => ({ left: index * PANEL_WIDTH + 8, top: 8, width: PANEL_WIDTH - 16, height: height - 16 });
  // The mean over seeds at each epoch, over the runs that reached it.
  const meanCurve = (row, field, transform = (v) => v) => {
    const epochs = Math.max(...row.curves.map((curve) => curve[field].length));
    return Array.from({ length: epochs }, (_, epoch) => {
      const values = row.curves.map((curve) => curve[field][epoch]).filter((v) => v !== undefined && v !== null);
      return [epoch, values.length ? transform(values.reduce((a, b) => a + b, 0) / values.length) : null];
    });
  };
  const series = (field, transform) => rows.map((row, index) => ({
    label: `s_A0 = ${row.sA0}`, color: PALETTE[index % PALETTE.length], dash: index >= PALETTE.length ? 6 : 0,
    points: meanCurve(row, field, transform),
  }));
  drawPanel(raster, box(0), {
    title: 's_A against epoch', xTitle: 'epoch', yTitle: 's_A (dashed: 0)', series: series('sA'), reference: 0,
  });
  drawPanel(raster, box(1), {
    title: 'training loss against epoch', xTitle: 'epoch', yTitle: 'log10 of the mean epoch loss',
    series: series('loss', Math.log10),
  });
  return raster;
}

/** Runs `ssm-lens experiment KIND`. */
export async function commandExperiment(rest, values) {
  const [kind, ...extra] = rest;
  if (kind !== 'length' && kind !== 'stability') {
    throw new UsageError(`experiment needs 'length' or 'stability', got ${kind === undefined ? 'nothing' : `'${kind}'`}`);
  }
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (values.json && values.csv) throw new UsageError('give either --json or --csv, not both');
  for (const name of Object.keys(values)) {
    if (!APPLICABLE.has(name)) throw new UsageError(`--${name} does not apply to experiment; see 'ssm-lens experiment --help'`);
  }

  let jobs;
  try {
    jobs = experimentJobs(kind, experimentOptions(values));
  } catch (error) {
    throw renameFields(error);
  }
  // Output paths are checked before training, so that a typo does not lose the runs.
  if (values.save !== undefined) createDirectory(values.save);
  if (values['log-csv'] !== undefined) writeOutput('--log-csv', values['log-csv'], '');
  if (values.png !== undefined) writeOutput('--png', values.png, '');
  const cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
  const size = numberOption(values, 'jobs') ?? cores;
  if (!Number.isInteger(size) || size < 1 || size > 256) {
    throw new UsageError(`--jobs must be an integer in 1..256, got '${values.jobs}'`);
  }
  const pool = workerRunner(Math.min(size, jobs.length));
  const started = Date.now();
  let runs;
  let failure = null;
  try {
    runs = await runJobs(jobs, {
      runJob: pool.runJob,
      concurrency: Math.min(size, jobs.length),
      onProgress: ({ done, total, result }) => {
        if (!values.quiet) process.stderr.write(`[${done}/${total}] ${describeRun(result)}\n`);
      },
    });
  } catch (error) {
    // The finished runs are still printed; the error follows them.
    if (!error.completed?.length) throw renameFields(error);
    failure = error;
    runs = error.completed;
  } finally {
    await pool.close();
  }
  const seconds = (Date.now() - started) / 1000;
  if (!values.quiet) process.stderr.write(`ssm-lens: ${runs.length} runs in ${seconds.toFixed(1)} s with ${Math.min(size, jobs.length)} worker threads\n`);

  if (values.save !== undefined) await saveModels(values.save, runs);
  if (values['log-csv'] !== undefined) writeLogCsv(values['log-csv'], runs);
  const summary = kind === 'length' ? summarizeLength(runs) : summarizeStability(runs);
  if (values.png !== undefined) {
    const raster = kind === 'length' ? lengthFigure(summary) : stabilityFigure(summary);
    writeOutput('--png', values.png, encodePng(raster));
    if (!values.quiet) process.stderr.write(`ssm-lens: wrote ${values.png} (${raster.width}×${raster.height} pixels)\n`);
  }
  if (values.json) {
    for (const run of runs) delete run.stateDict;
    await write(`${toJson({ kind, seconds, runs, summary })}\n`);
  } else if (kind === 'length') {
    await writeLength(summary, values);
  } else {
    await writeStability(summary, values);
  }
  if (failure) {
    process.stderr.write(`ssm-lens: stopped after ${runs.length} of ${jobs.length} runs; the results above cover those runs only\n`);
    throw renameFields(failure);
  }
}

// API option names and the command-line options that set them.
const OPTION_NAMES = {
  batchSize: '--batch', weightDecay: '--weight-decay', spread: '--spread', maxDepth: '--max-depth', maxArgs: '--max-args',
};

/** Rewrites API option names in an error message as the command-line options that set them. */
function renameFields(error) {
  if (error instanceof SsmLensError) {
    for (const [field, option] of Object.entries(OPTION_NAMES)) {
      error.message = error.message.replaceAll(new RegExp(`\\b${field}\\b`, 'g'), option);
    }
  }
  return error;
}
