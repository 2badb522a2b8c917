// The two experiments of Honarpisheh et al. (NeurIPS 2025), run as many
// independent training jobs:
//   length:    train at each T (s_A starts at 0) and compare the train–test
//              accuracy gap across T with the bound of each trained model;
//   stability: train at one T from several initial s_A and follow s_A per
//              epoch, to see whether training drives it down to 0 or fails.
// Jobs are plain objects and results are plain data, so that a worker
// thread or a Web Worker can run them (see runTrainingJob).
import { bound } from './bound.mjs';
import { SsmLensError, checkNumber, describe } from './errors.mjs';
import { taskData } from './tasks.mjs';
import { RECIPE, trainModel } from './train.mjs';

/** Defaults of both experiments: the authors' majority set-up. */
export const EXPERIMENT_DEFAULTS = Object.freeze({
  task: 'majority', d: 4, N: 4, train: 1000, test: 1000,
});

// The recipe fields a job may override.
const RECIPE_FIELDS = Object.keys(RECIPE);
// Task options passed through to the generators, by task.
const TASK_FIELDS = { majority: ['flip'], listops: ['spread', 'maxDepth', 'maxArgs', 'pad'] };
const ALL_TASK_FIELDS = Object.values(TASK_FIELDS).flat();
const EXPERIMENT_OPTIONS = new Set([
  ...Object.keys(EXPERIMENT_DEFAULTS), 'T', 'sA', 'seeds', 'keepModel', ...RECIPE_FIELDS, ...ALL_TASK_FIELDS,
]);
// More jobs than this is almost surely a mistyped grid.
const MAX_JOBS = 100000;

/**
 * A run fails when it diverges or when its final training accuracy is at
 * most this far above the share of the most frequent training label (what
 * always predicting that label scores: about 0.5 for majority).
 */
export const FAILED_MARGIN = 0.1;

/**
 * Parses a grid written as 'from:to:step' (inclusive), a comma-separated
 * list or one number. Values are rounded to 12 significant digits so that
 * '-0.1:0.1:0.02' gives 0 and 0.1 exactly.
 */
export function parseGrid(name, text) {
  if (typeof text === 'number') return [checkNumber(name, text)];
  if (Array.isArray(text)) return text.map((value) => checkNumber(name, value));
  if (typeof text !== 'string' || text.trim() === '') {
    throw new SsmLensError(`${name} must be 'from:to:step', a comma-separated list or a number, got ${describe(text)}`);
  }
  const parseOne = (part) => {
    const value = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(value)) {
      const where = part.trim() === text.trim() ? '' : ` in '${text}'`;
      throw new SsmLensError(`${name}: '${part}'${where} is not a number`);
    }
    return value;
  };
  if (text.includes(':')) {
    const parts = text.split(':');
    if (parts.length !== 3) {
      throw new SsmLensError(`${name} must be 'from:to:step' with three numbers, got '${text}'`);
    }
    const [from, to, step] = parts.map(parseOne);
    if (step <= 0) throw new SsmLensError(`${name}: the step must be positive, got ${step} in '${text}'`);
    if (to < from) throw new SsmLensError(`${name}: 'to' must not be below 'from', got '${text}'`);
    const count = Math.floor((to - from) / step + 1e-9) + 1;
    if (count > 10000) throw new SsmLensError(`${name}: '${text}' has ${count} values, more than 10000`);
    return Array.from({ length: count }, (_, i) => Number((from + i * step).toPrecision(12)));
  }
  return text.split(',').map(parseOne);
}

/** Seeds from a count n (0..n-1), given as one number, or a list of two or more. */
export function parseSeeds(seeds) {
  const values = parseGrid('seeds', seeds);
  if (values.length === 1) {
    const count = checkNumber('seeds', values[0], { min: 1, max: 1000, integer: true });
    return Array.from({ length: count }, (_, i) => i);
  }
  return values.map((seed) => checkNumber('seeds', seed, { min: 0, max: 2 ** 32 - 1, integer: true }));
}

/** Throws when a grid repeats a value: the repeated jobs would count twice in the summary. */
function checkDistinct(name, values) {
  const seen = new Set();
  for (const value of values) {
    if (seen.has(value)) throw new SsmLensError(`${name} lists ${value} twice; give each value once`);
    seen.add(value);
  }
}

/**
 * Builds the jobs of an experiment. kind: 'length' (one job per T and
 * seed) or 'stability' (one per initial s_A and seed, at one T).
 */
export function experimentJobs(kind, options = {}) {
  if (kind !== 'length' && kind !== 'stability') {
    throw new SsmLensError(`experiment must be 'length' or 'stability', got ${describe(kind)}`);
  }
  for (const key of Object.keys(options ?? {})) {
    if (!EXPERIMENT_OPTIONS.has(key)) {
      throw new SsmLensError(`unknown experiment option '${key}'; expected one of ${[...EXPERIMENT_OPTIONS].join(', ')}`);
    }
  }
  const settings = { ...EXPERIMENT_DEFAULTS, ...options };
  const lengths = parseGrid('T', settings.T ?? (kind === 'length' ? '25:400:25' : '250'));
  const sAs = parseGrid('sA', settings.sA ?? (kind === 'length' ? '0' : '-0.1:0.1:0.02'));
  const seeds = parseSeeds(settings.seeds ?? (kind === 'length' ? 5 : 1));
  for (const T of lengths) checkNumber('T', T, { min: 1, max: 1e5, integer: true });
  for (const sA of sAs) checkNumber('sA', sA, { min: -100, max: 100 });
  checkDistinct('T', lengths);
  checkDistinct('sA', sAs);
  checkDistinct('seeds', seeds);
  const count = lengths.length * sAs.length * seeds.length;
  if (count > MAX_JOBS) {
    throw new SsmLensError(`the experiment would run ${count} jobs (${lengths.length} T × ${sAs.length} s_A × ${seeds.length} seeds), more than ${MAX_JOBS}; use a coarser grid`);
  }
  if (!Object.hasOwn(TASK_FIELDS, settings.task)) {
    throw new SsmLensError(`task must be 'majority' or 'listops', got ${describe(settings.task)}`);
  }
  if (kind === 'stability' && lengths.length !== 1) {
    throw new SsmLensError(`the stability experiment runs at one T, got ${lengths.length} values (${lengths.join(', ')})`);
  }
  if (kind === 'length' && sAs.length !== 1) {
    throw new SsmLensError(`the length experiment starts every run at one s_A, got ${sAs.length} values`);
  }

  const recipe = {};
  for (const field of RECIPE_FIELDS) if (settings[field] !== undefined) recipe[field] = settings[field];
  const taskOptions = {};
  for (const field of ALL_TASK_FIELDS) {
    if (settings[field] === undefined) continue;
    if (!TASK_FIELDS[settings.task].includes(field)) {
      const owner = Object.keys(TASK_FIELDS).find((task) => TASK_FIELDS[task].includes(field));
      throw new SsmLensError(`${field} applies to the ${owner} task only, not to ${settings.task}`);
    }
    taskOptions[field] = settings[field];
  }

  const jobs = [];
  for (const T of lengths) {
    for (const sA of sAs) {
      for (const seed of seeds) {
        jobs.push({
          kind, task: settings.task, T, sA, seed, d: settings.d, N: settings.N,
          train: settings.train, test: settings.test, taskOptions, recipe,
          keepModel: Boolean(settings.keepModel),
        });
      }
    }
  }
  return jobs;
}

/** Classifies a stability run by where s_A went. */
function stabilityOutcome(sA0, finalSA, diverged) {
  if (diverged) return 'diverged';
  if (sA0 > 0) {
    if (finalSA <= 0) return 'driven to ≤ 0';
    return finalSA < sA0 ? 'decreased, still > 0' : 'did not decrease';
  }
  return finalSA <= 0 ? 'stayed ≤ 0' : 'rose above 0';
}

/**
 * Runs one training job: generates its data, trains, evaluates and
 * computes the bound's terms for the trained model. Returns plain data
 * (the trained model as a state dict when job.keepModel).
 * hooks: { onEpoch(row), signal }.
 */
export async function runTrainingJob(job, hooks = {}) {
  const started = Date.now();
  const data = taskData(job.task, {
    T: job.T, train: job.train, test: job.test, seed: job.seed, ...job.taskOptions,
  });
  const outcome = await trainModel(data, {
    ...job.recipe, d: job.d, N: job.N, sA: job.sA, seed: job.seed,
    onEpoch: hooks.onEpoch, signal: hooks.signal,
  });

  let longest = 0;
  for (let i = 0; i < data.train.count; i++) {
    longest = Math.max(longest, data.train.offsets[i + 1] - data.train.offsets[i]);
  }
  let terms = null;
  try {
    const all = bound(outcome.model, { T: longest, m: data.train.count });
    terms = {
      norms: all.norms, T: longest, m: data.train.count, s_A: all.s_A, B_u: all.B_u,
      rho_A: all.rho_A, log10_S2: all.log10.S2, C_F: all.C_F, log10_C_F: all.log10.C_F,
      gap_bound: all.gap_bound, vacuous: all.vacuous,
    };
  } catch (error) {
    if (!(error instanceof SsmLensError)) throw error;
    terms = { error: error.message };
  }

  const counts = new Map();
  for (const label of data.train.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  let chance = 0;
  for (const labelCount of counts.values()) chance = Math.max(chance, labelCount / data.train.count);

  const finalSA = outcome.log.at(-1).s_A;
  const trainAccuracy = outcome.train?.accuracy ?? null;
  const testAccuracy = outcome.test?.accuracy ?? null;
  return {
    kind: job.kind, task: job.task, T: job.T, seed: job.seed, sA0: job.sA, d: job.d, N: job.N,
    epochs: outcome.epochs, stopped: outcome.stopped, diverged: outcome.diverged,
    chance,
    failed: Boolean(outcome.diverged) || trainAccuracy === null || trainAccuracy <= chance + FAILED_MARGIN,
    // Against the logged start: s_A0 as the float32 model stores it.
    outcome: stabilityOutcome(outcome.log[0].s_A, finalSA, outcome.diverged),
    trainAccuracy, testAccuracy,
    gap: trainAccuracy === null || testAccuracy === null ? null : trainAccuracy - testAccuracy,
    trainLoss: outcome.train?.loss ?? null, testLoss: outcome.test?.loss ?? null,
    finalSA, log: outcome.log, bound: terms, seconds: (Date.now() - started) / 1000,
    // The first test sequence (or training sequence without a test split), for a view to show.
    sample: Array.from(firstSequence(data.test.count > 0 ? data.test : data.train)),
    vocab: data.vocab,
    stateDict: job.keepModel ? outcome.model.toStateDict() : undefined,
  };
}

function firstSequence(split) {
  return split.tokens.subarray(split.offsets[0], split.offsets[1]);
}

function meanAndStd(values) {
  const finite = values.filter((v) => v !== null && Number.isFinite(v));
  if (finite.length === 0) return { mean: null, std: null, n: 0 };
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  // Sample standard deviation, undefined (null) for a single run.
  const std = finite.length > 1
    ? Math.sqrt(finite.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (finite.length - 1))
    : null;
  return { mean, std, n: finite.length };
}

/**
 * Summarizes the length experiment per T. Each row has the mean and sample
 * standard deviation over seeds of the train and test accuracy, the gap and
 * the final s_A, the mean log10 C_F and gap bound, and the diverged runs.
 * `flatness` is the mean gap over all T and the largest distance of a T's
 * mean gap from it.
 */
export function summarizeLength(runs) {
  const lengths = [...new Set(runs.map((run) => run.T))].sort((a, b) => a - b);
  const rows = lengths.map((T) => {
    const group = runs.filter((run) => run.T === T);
    const pick = (field) => meanAndStd(group.map((run) => run[field]));
    const bounds = group.map((run) => run.bound ?? {});
    return {
      T, runs: group.length, diverged: group.filter((run) => run.diverged).length,
      trainAccuracy: pick('trainAccuracy'), testAccuracy: pick('testAccuracy'),
      gap: pick('gap'), finalSA: pick('finalSA'),
      log10_C_F: meanAndStd(bounds.map((b) => b.log10_C_F ?? null)),
      gap_bound: meanAndStd(bounds.map((b) => b.gap_bound ?? null)),
      vacuous: bounds.filter((b) => b.vacuous).length,
    };
  });
  return { rows, flatness: gapFlatness(rows) };
}

/**
 * Returns { meanGap, maxDeviation }: the mean over rows of each row's mean
 * gap, and the largest distance of a row's mean gap from it (both null
 * when no row has a gap).
 */
export function gapFlatness(rows) {
  const gaps = rows.map((row) => row.gap.mean).filter((g) => g !== null);
  if (gaps.length === 0) return { meanGap: null, maxDeviation: null };
  const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const maxDeviation = gaps.reduce((largest, g) => Math.max(largest, Math.abs(g - meanGap)), 0);
  return { meanGap, maxDeviation };
}

/** Per-initial-s_A rows of the stability experiment. */
export function summarizeStability(runs) {
  const starts = [...new Set(runs.map((run) => run.sA0))].sort((a, b) => a - b);
  return starts.map((sA0) => {
    const group = runs.filter((run) => run.sA0 === sA0);
    const outcomes = {};
    for (const run of group) outcomes[run.outcome] = (outcomes[run.outcome] ?? 0) + 1;
    return {
      sA0, runs: group.length,
      finalSA: meanAndStd(group.map((run) => run.finalSA)),
      trainAccuracy: meanAndStd(group.map((run) => run.trainAccuracy)),
      testAccuracy: meanAndStd(group.map((run) => run.testAccuracy)),
      failed: group.filter((run) => run.failed).length,
      outcomes,
      // s_A per epoch and loss per epoch of each run, for plots.
      curves: group.map((run) => ({
        seed: run.seed,
        sA: run.log.map((row) => row.s_A),
        loss: run.log.map((row) => row.loss),
      })),
    };
  });
}

/**
 * Runs every job with at most `concurrency` in flight. runJob(job) returns
 * a promise of a result (default: runTrainingJob in this thread).
 * onProgress({ done, total, job, result }) follows each finished job; an
 * aborted signal stops starting new jobs. Returns the results in job order.
 * When a job throws, no new job starts, and the error is rethrown once the
 * running ones end, with the finished results in error.completed.
 */
export async function runJobs(jobs, { runJob = runTrainingJob, concurrency = 1, onProgress, signal } = {}) {
  checkNumber('concurrency', concurrency, { min: 1, max: 256, integer: true });
  const results = new Array(jobs.length).fill(null);
  let next = 0;
  let done = 0;
  let failure = null;
  const worker = async () => {
    while (next < jobs.length && !signal?.aborted && !failure) {
      const index = next++;
      try {
        results[index] = await runJob(jobs[index]);
        done += 1;
        onProgress?.({ done, total: jobs.length, job: jobs[index], result: results[index] });
      } catch (error) {
        // A failing progress callback stops the run like a failing job.
        failure ??= error;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  const completed = results.filter((result) => result !== null);
  if (failure) {
    if (failure instanceof Error) failure.completed = completed;
    throw failure;
  }
  return completed;
}

/**
 * The length experiment: returns { planned, runs, summary } where planned
 * counts the jobs and summary is
 * summarizeLength(runs). options: task, T ('25:400:25'), seeds (5), sA (0),
 * d, N, train, test, the task's options and the recipe's fields; runner:
 * the options of runJobs.
 */
export async function lengthExperiment(options = {}, runner = {}) {
  const jobs = experimentJobs('length', options);
  const runs = await runJobs(jobs, runner);
  return { kind: 'length', planned: jobs.length, runs, summary: summarizeLength(runs) };
}

/**
 * The stability experiment: returns { planned, runs, summary } where summary
 * is summarizeStability(runs). options as lengthExperiment, with T (250)
 * one length and sA ('-0.1:0.1:0.02') the initial values.
 */
export async function stabilityExperiment(options = {}, runner = {}) {
  const jobs = experimentJobs('stability', options);
  const runs = await runJobs(jobs, runner);
  return { kind: 'stability', planned: jobs.length, runs, summary: summarizeStability(runs) };
}
