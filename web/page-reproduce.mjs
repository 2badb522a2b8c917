// The page's Reproduce view: runs the length and stability experiments of
// Honarpisheh, Bozdag, Camps and Sznaier (NeurIPS 2025), as experimentJobs in
// wasm/experiment.mjs builds them, in Web Workers. It draws the results as
// they arrive and opens a trained model in the page's other views. Nothing
// trains and no worker starts until the user presses Run.
import {
  experimentJobs, parseGrid, parseSeeds, summarizeLength, summarizeStability,
} from '../wasm/index.mjs';
import { vacuousCapacity } from './bound-views.mjs';
import { downloadBlob, recordsToCsv } from './exports.mjs';
import { sharedScheduler } from './frame.mjs';
import {
  InputError, capitalizeFirst, hideMessage, markInvalid, readNumber, setText, showError, showMessage, withFullStop,
} from './messages.mjs';
import { formatNumber } from './panels.mjs';
import { LinePlot } from './plots.mjs';
import {
  MAX_WORKERS, STOP_TIMEOUT_MS, TrainingPool, defaultWorkerCount,
} from './reproduce-pool.mjs';
import { RunSummary } from './reproduce-summary.mjs';
import {
  RUN_COLUMNS, clearTable, formatSigned, lengthLegends, lengthPlotData, renderLegend, renderLengthTable,
  renderStabilityTable, runRecords, stabilityLegend, stabilityPlotData, syncChildren,
} from './reproduce-views.mjs';

/** The settings of `ssm-lens experiment` for each experiment, as the fields show them. */
const REPRODUCE_DEFAULTS = Object.freeze({
  length: { T: '25:400:25', sA: '0', seeds: '5' },
  stability: { T: '250', sA: '-0.1:0.1:0.02', seeds: '1' },
  shared: {
    task: 'majority', epochs: '40', d: '4', N: '4', train: '1000', test: '1000',
  },
});

/** The gap bound's confidence parameter δ in the runs' bounds (the default of bound()). */
const BOUND_DELTA = 0.05;

/**
 * The wait after a redraw of the results (table, plots, run list), as a
 * multiple of the time the redraw took. With 4, the redraws take at most
 * 20 % of the page's main thread when runs finish faster than it can draw.
 */
const RESULTS_REDRAW_FACTOR = 4;

/** How often the status line's elapsed time is redrawn while a run goes on without news from the workers. */
const ELAPSED_TICK_MS = 1000;

/**
 * The grid fields: the option name that parseGrid, parseSeeds and
 * experimentJobs put at the start of their messages, and the field's label,
 * which replaces it in the page.
 */
const GRID_FIELDS = {
  T: { option: 'T', label: 'T' },
  sA: { option: 'sA', label: 'Initial s_A' },
  seeds: { option: 'seeds', label: 'Seeds' },
};

/** Ranges of the number fields. */
const NUMBER_RANGES = {
  epochs: { name: 'Epochs', min: 1, max: 10000, integer: true },
  d: { name: 'd', min: 1, max: 64, integer: true },
  N: { name: 'N', min: 1, max: 64, integer: true },
  train: { name: 'Training sequences', min: 1, max: 1e6, integer: true },
  test: { name: 'Test sequences', min: 1, max: 1e6, integer: true },
  workers: { name: 'Workers', min: 1, max: MAX_WORKERS, integer: true },
};

const byId = (id) => document.getElementById(id);

/** Describes a job or run in a few words: "T = 50, seed 0" or "s_A(0) = −0.1, seed 0". */
function describeRun(run) {
  const sA0 = run.sA0 ?? run.sA;
  const start = run.kind === 'stability' ? `s_A(0) = ${formatSigned(sA0)}, ` : '';
  return `${start}T = ${run.T}, seed ${run.seed}`;
}

function formatSeconds(milliseconds) {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

/**
 * Returns a grid error message as the page shows it: a leading option name
 * (sA) becomes the field's label (Initial s_A), the first letter is upper
 * case and the message ends in a full stop.
 */
function describeGridError(message, field) {
  let text = String(message);
  const { option, label } = GRID_FIELDS[field];
  if (text.startsWith(`${option}:`) || text.startsWith(`${option} `)) text = label + text.slice(option.length);
  return withFullStop(capitalizeFirst(text));
}

/** Returns a run's train and test accuracy for the run list, or why it has none. */
function describeAccuracy(result) {
  const diverged = result.diverged ? ` (diverged in epoch ${result.diverged.epoch})` : '';
  if (result.trainAccuracy === null && result.testAccuracy === null) return `no accuracy${diverged}`;
  const format = (value) => (value === null ? '–' : formatNumber(value));
  return `train accuracy ${format(result.trainAccuracy)}, test ${format(result.testAccuracy)}${diverged}`;
}

/** Returns the sentence of the status line about the diverged runs among results, or ''. */
function describeDiverged(results) {
  const diverged = results.filter((result) => result.diverged);
  if (diverged.length === 0) return '';
  const withAccuracy = diverged.filter((result) => result.trainAccuracy !== null).length;
  const without = diverged.length - withAccuracy;
  const runs = (count) => `${count} ${count === 1 ? 'run' : 'runs'}`;
  let text = `${runs(diverged.length)} diverged (the logits, the gradient or a parameter left the float64 range)`;
  if (without === 0) text += `; ${withAccuracy === 1 ? 'its' : 'their'} accuracy is that of the last finite parameters.`;
  else if (withAccuracy === 0) text += `; ${without === 1 ? 'it has' : 'they have'} no accuracy, because the logits overflow with the last finite parameters too.`;
  else text += `; ${runs(withAccuracy)} of them show the accuracy of the last finite parameters, and ${runs(without)} none, because the logits overflow with those parameters too.`;
  return text;
}

export class ReproducePanel {
  /**
   * onOpenModel({ file, input, bound }): makes file (a state-dict JSON File)
   * the page's model, input (token ids as text, or null) its input and
   * bound ({ m, delta, norms, inputNorm }) the bound settings; returns a
   * promise that settles once loaded.
   */
  constructor({ onOpenModel }) {
    this.onOpenModel = onOpenModel;

    this.controls = {
      form: byId('reproduce-form'),
      kindLength: byId('reproduce-kind-length'),
      kindStability: byId('reproduce-kind-stability'),
      task: byId('reproduce-task'),
      T: byId('reproduce-T'),
      sA: byId('reproduce-sA'),
      seeds: byId('reproduce-seeds'),
      epochs: byId('reproduce-epochs'),
      d: byId('reproduce-d'),
      N: byId('reproduce-N'),
      train: byId('reproduce-train'),
      test: byId('reproduce-test'),
      workers: byId('reproduce-workers'),
      run: byId('reproduce-run'),
      stop: byId('reproduce-stop'),
      defaults: byId('reproduce-defaults'),
      runSelect: byId('reproduce-run-select'),
      open: byId('reproduce-open'),
      downloadModel: byId('reproduce-download-model'),
      csv: byId('reproduce-csv'),
      json: byId('reproduce-json'),
    };

    this.outputs = {
      error: byId('reproduce-error'),
      progress: byId('reproduce-progress'),
      status: byId('reproduce-status'),
      results: byId('reproduce-results'),
      lengthPlots: byId('reproduce-length-plots'),
      stabilityPlots: byId('reproduce-stability-plots'),
      accuracyLegend: byId('plot-reproduce-accuracy-legend'),
      gapLegend: byId('plot-reproduce-gap-legend'),
      capacityLegend: byId('plot-reproduce-capacity-legend'),
      stabilityLegend: byId('plot-reproduce-stability-legend'),
      table: byId('reproduce-table'),
      openStatus: byId('reproduce-open-status'),
      exportError: byId('reproduce-export-error'),
    };

    // The plots are created on the first run, so the page pays nothing for them before.
    this.plots = null;
    // The run on show (in progress or finished), see start().
    this.current = null;
    this.pool = null;
    // Whether a run finished since the last frame, so the table and plots need redrawing.
    this.resultsChanged = false;
    // Whether an epoch arrived since the last frame, so the live stability curves need redrawing.
    this.curvesChanged = false;
    this.renderTask = () => this.render();
    this.elapsedTimer = 0;
    // The earliest time (performance.now()) of the next redraw of the results, the timer that
    // requests it, and whether the time of the last redraw is being measured.
    this.nextResultsRedraw = 0;
    this.resultsTimer = 0;
    this.measuringRedraw = false;

    this.controls.workers.value = String(defaultWorkerCount());
    this.listen();
  }

  listen() {
    const c = this.controls;
    c.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.start();
    });
    c.stop.addEventListener('click', () => this.stop());
    c.defaults.addEventListener('click', () => this.applyDefaults({ all: true }));
    for (const radio of [c.kindLength, c.kindStability]) radio.addEventListener('change', () => this.applyDefaults({ all: false }));
    c.open.addEventListener('click', () => this.openSelected());
    c.downloadModel.addEventListener('click', () => this.runExport(() => this.modelDownload()));
    c.csv.addEventListener('click', () => this.runExport(() => this.csvDownload()));
    c.json.addEventListener('click', () => this.runExport(() => this.jsonDownload()));
  }

  get kind() {
    return this.controls.kindStability.checked ? 'stability' : 'length';
  }

  /** Sets the grid fields (and with all, every field) to the current experiment's defaults. */
  applyDefaults({ all }) {
    const c = this.controls;
    const values = { ...REPRODUCE_DEFAULTS[this.kind], ...(all ? REPRODUCE_DEFAULTS.shared : {}) };
    for (const [key, value] of Object.entries(values)) {
      c[key].value = value;
      markInvalid(c[key], false);
    }
    if (all) c.workers.value = String(defaultWorkerCount());
    hideMessage(this.outputs.error);
  }

  /** Parses the grid field (T, sA or seeds) with the API's parser; throws InputError that marks the field. */
  readGrid(field, parse) {
    const control = this.controls[field];
    try {
      return parse(control.value);
    } catch (error) {
      throw new InputError(describeGridError(error.message, field), control);
    }
  }

  /**
   * Reads and checks every field; returns { kind, options, workers } where
   * options are experimentJobs options. Throws InputError naming the field.
   */
  readSettings() {
    const c = this.controls;
    const kind = this.kind;
    // Each grid is parsed here first, so that an error marks its own field.
    this.readGrid('T', (text) => parseGrid(GRID_FIELDS.T.option, text));
    this.readGrid('sA', (text) => parseGrid(GRID_FIELDS.sA.option, text));
    this.readGrid('seeds', (text) => parseSeeds(text));
    const numbers = {};
    for (const [key, range] of Object.entries(NUMBER_RANGES)) numbers[key] = readNumber(c[key], range);
    const options = {
      task: c.task.value,
      T: c.T.value.trim(),
      sA: c.sA.value.trim(),
      seeds: c.seeds.value.trim(),
      epochs: numbers.epochs,
      d: numbers.d,
      N: numbers.N,
      train: numbers.train,
      test: numbers.test,
      keepModel: true,
    };
    return { kind, options, workers: numbers.workers };
  }

  /** Returns the jobs of the settings; throws InputError naming the field at fault. */
  buildJobs({ kind, options }) {
    try {
      return experimentJobs(kind, options);
    } catch (error) {
      // experimentJobs names the grid it rejects: T for the lengths, s_A or sA for the initial values.
      let field = null;
      if (/\bT\b/.test(error.message)) field = 'T';
      else if (/\bs_?A\b/.test(error.message)) field = 'sA';
      else if (/\bseeds\b/.test(error.message)) field = 'seeds';
      const message = field ? describeGridError(error.message, field) : withFullStop(capitalizeFirst(error.message));
      throw new InputError(message, field ? this.controls[field] : null);
    }
  }

  /**
   * Enables Stop or the settings and Run. A disabled control loses the
   * keyboard focus to <body>, so focus on a control that gets disabled
   * moves to Stop when a run starts and to Run when it ends.
   */
  setRunning(running) {
    const c = this.controls;
    const fields = [c.kindLength, c.kindStability, c.task, c.T, c.sA, c.seeds, c.epochs, c.d, c.N, c.train, c.test, c.workers, c.defaults, c.run];
    const focused = document.activeElement;
    const losesFocus = running ? fields.includes(focused) : focused === c.stop || focused === document.body || focused === null;
    for (const field of fields) field.disabled = running;
    c.stop.disabled = !running;
    if (losesFocus) (running ? c.stop : c.run).focus();
  }

  /** Reads the settings and starts a run in workers; shows a message next to the field at fault instead. */
  start() {
    if (this.pool) return;
    const c = this.controls;
    for (const control of [c.T, c.sA, c.seeds, c.epochs, c.d, c.N, c.train, c.test, c.workers]) markInvalid(control, false);
    hideMessage(this.outputs.error);
    let settings;
    let jobs;
    try {
      settings = this.readSettings();
      jobs = this.buildJobs(settings);
    } catch (error) {
      if (error.control) {
        markInvalid(error.control, true);
        error.control.focus();
      }
      showError(this.outputs.error, error);
      return;
    }

    this.current = {
      kind: settings.kind,
      options: settings.options,
      jobs,
      epochs: settings.options.epochs,
      results: new Array(jobs.length).fill(null),
      finishedCount: 0,
      summary: new RunSummary(settings.kind),
      // The jobs in progress, by job index: { running (the worker is generating
      // the data or training), rows (the per-epoch log so far) }.
      live: new Map(),
      stopped: [],
      stopRequested: false,
      // The jobs whose worker was terminated by the stop timeout: { job, rows }.
      terminated: [],
      started: performance.now(),
      finished: null,
      ended: null,
    };
    this.pool = new TrainingPool(jobs, {
      workerCount: settings.workers,
      onStart: (index) => {
        this.current.live.set(index, { running: false, rows: [] });
        this.requestRender();
      },
      onRunning: (index) => {
        const entry = this.current.live.get(index);
        if (entry) entry.running = true;
        this.requestRender();
      },
      onEpoch: (index, row) => {
        this.current.live.get(index)?.rows.push(row);
        this.requestRender({ curves: true });
      },
      onResult: (index, result) => this.receiveResult(index, result),
    });
    this.current.workers = this.pool.workerCount;
    clearTimeout(this.resultsTimer);
    this.resultsTimer = 0;
    this.nextResultsRedraw = 0;
    this.prepareResults();
    this.setRunning(true);
    this.pool.start();
    this.pool.done.then((ending) => this.end(ending));
    // Worker messages redraw the status line, but data generation and long epochs send none for seconds.
    clearInterval(this.elapsedTimer);
    this.elapsedTimer = setInterval(() => this.requestRender(), ELAPSED_TICK_MS);
    this.requestRender({ results: true });
  }

  receiveResult(index, result) {
    const run = this.current;
    run.live.delete(index);
    if (result.stopped) {
      run.stopped.push(result);
    } else {
      run.results[index] = result;
      run.finishedCount += 1;
      run.summary.add(result);
    }
    this.requestRender({ results: true, curves: true });
  }

  /** Stops the run after the current epoch of each worker; the finished runs stay shown. */
  stop() {
    if (!this.pool) return;
    this.current.stopRequested = true;
    this.pool.stop();
    this.requestRender();
  }

  end({
    stopped, error, failedIndex, unfinished,
  }) {
    const run = this.current;
    this.pool = null;
    clearInterval(this.elapsedTimer);
    run.ended = { stopped, error, unfinished };
    run.finished = performance.now();
    // The jobs still in progress had their worker terminated: by the stop timeout, or because another job failed.
    if (stopped && !error) {
      for (const [index, entry] of run.live) run.terminated.push({ job: run.jobs[index], rows: entry.rows });
    }
    run.live.clear();
    this.setRunning(false);
    if (error) {
      const job = failedIndex === null ? null : run.jobs[failedIndex];
      const where = job ? ` while training ${describeRun(job)}` : '';
      // An error the library does not expect is a bug: log its stack for the report.
      if (!error.expected) console.error(`ssm-lens training worker: ${error.stack || error.message}`);
      showMessage(this.outputs.error, withFullStop(`Training failed${where}: ${error.message}. The finished runs stay shown`));
    }
    this.requestRender({ results: true, curves: true });
  }

  // Drawing --------------------------------------------------------------------------

  /**
   * Redraws in the next animation frame: the progress always, the table,
   * the length plots and the run list with results, the stability plots
   * with curves. However many worker messages arrive before the frame, it
   * draws once.
   */
  requestRender({ results = false, curves = false } = {}) {
    if (results) this.resultsChanged = true;
    if (curves) this.curvesChanged = true;
    sharedScheduler.request(this.renderTask, this.renderTask);
  }

  /** Shows the results area for a new run: the plots of its experiment and an empty table. */
  prepareResults() {
    const kind = this.current.kind;
    this.outputs.results.hidden = false;
    this.outputs.lengthPlots.hidden = kind !== 'length';
    this.outputs.stabilityPlots.hidden = kind !== 'stability';
    this.ensurePlots();
    for (const plot of Object.values(this.plots)) plot.clear();
    for (const list of [this.outputs.accuracyLegend, this.outputs.gapLegend, this.outputs.capacityLegend, this.outputs.stabilityLegend]) {
      list.replaceChildren();
    }
    clearTable(this.outputs.table);
    this.controls.runSelect.replaceChildren();
    this.runOptions = new Map();
    setText(this.outputs.openStatus, '');
    hideMessage(this.outputs.exportError);
  }

  ensurePlots() {
    if (this.plots) return;
    const linear = { xLog: false, yLog: false };
    this.plots = {
      accuracy: new LinePlot(byId('plot-reproduce-accuracy'), { ...linear, xTitle: 'T (sequence length)', yTitle: 'accuracy' }),
      gap: new LinePlot(byId('plot-reproduce-gap'), { ...linear, xTitle: 'T (sequence length)', yTitle: 'train − test' }),
      capacity: new LinePlot(byId('plot-reproduce-capacity'), { xLog: false, xTitle: 'T (sequence length)', yTitle: 'C_F' }),
      sA: new LinePlot(byId('plot-reproduce-sA'), { ...linear, xTitle: 'epoch', yTitle: 's_A' }),
      loss: new LinePlot(byId('plot-reproduce-loss'), { xLog: false, xTitle: 'epoch', yTitle: 'training loss' }),
    };
  }

  /**
   * Redraws the progress, and the parts whose data changed since the last
   * frame. The summary is updated incrementally (RunSummary) and the table
   * and run list only gain the rows of new runs. The layout of a table of
   * thousands of rows and the painting of plots of thousands of points
   * still take long. So when a redraw took t ms up to the next frame, the
   * next waits RESULTS_REDRAW_FACTOR × t ms, however fast runs finish.
   */
  render() {
    const run = this.current;
    if (!run) return;
    this.renderProgress(run);

    // While the last redraw is measured, its measurement requests the next render. The final
    // redraw of an ended run is not deferred, so that it shows with the status line that ends it.
    if (!this.resultsChanged && !this.curvesChanged) return;
    if (this.measuringRedraw && !run.ended) return;
    const now = performance.now();
    if (now < this.nextResultsRedraw && !run.ended) {
      if (!this.resultsTimer) {
        this.resultsTimer = setTimeout(() => {
          this.resultsTimer = 0;
          this.requestRender();
        }, this.nextResultsRedraw - now);
      }
      return;
    }

    const { resultsChanged } = this;
    this.resultsChanged = false;
    this.curvesChanged = false;
    if (run.kind === 'stability') this.renderStabilityPlots(run);
    if (resultsChanged) {
      const summary = run.summary.summary();
      if (run.kind === 'length') {
        renderLengthTable(this.outputs.table, summary);
        if (run.finishedCount > 0) this.renderLengthPlots(summary, run.options.train);
      } else {
        renderStabilityTable(this.outputs.table, summary);
      }
      this.renderRunList(run);
    }

    // A callback requested in this frame runs in the next, after the browser laid out and painted this one.
    this.measuringRedraw = true;
    requestAnimationFrame(() => {
      this.measuringRedraw = false;
      const end = performance.now();
      this.nextResultsRedraw = end + RESULTS_REDRAW_FACTOR * (end - now);
      if (this.resultsChanged || this.curvesChanged) this.requestRender();
    });
  }

  renderProgress(run) {
    const total = run.jobs.length;
    const finishedRuns = run.finishedCount;
    let inFlight = 0;
    for (const { rows } of run.live.values()) inFlight += rows.length ? rows.at(-1).epoch / run.epochs : 0;
    // Stopped runs are left out of the results, so the bar, like the status line, does not count them as done.
    const progress = this.outputs.progress;
    progress.max = total;
    progress.value = Math.min(total, finishedRuns + inFlight);
    progress.setAttribute('aria-valuetext', `${finishedRuns} of ${total} runs done`);

    if (!run.ended) {
      const training = [...run.live.entries()].map(([index, { running, rows }]) => {
        let state = 'starting the worker';
        if (rows.length) state = `epoch ${rows.at(-1).epoch} of ${run.epochs}`;
        else if (running) state = 'generating data';
        return `${describeRun(run.jobs[index])} (${state})`;
      });
      const now = training.length ? `; in progress: ${training.join('; ')}` : '';
      const stopping = run.stopRequested ? `Stopping after the current epoch (a worker that takes longer than ${STOP_TIMEOUT_MS / 1000} s is terminated). ` : '';
      setText(this.outputs.status, `${stopping}${finishedRuns} of ${total} runs done${now}. ${formatSeconds(performance.now() - run.started)} so far with ${run.workers} ${run.workers === 1 ? 'worker' : 'workers'}.`);
      return;
    }
    const seconds = formatSeconds(run.finished - run.started);
    const { stopped, error } = run.ended;
    let text;
    if (error) text = `Failed after ${finishedRuns} of ${total} runs (${seconds}).`;
    else if (stopped) text = `Stopped after ${finishedRuns} of ${total} runs (${seconds}).`;
    else text = `Finished ${total} ${total === 1 ? 'run' : 'runs'} in ${seconds} with ${run.workers} ${run.workers === 1 ? 'worker' : 'workers'}.`;
    if (run.stopped.length) {
      const partial = run.stopped.map((result) => `${describeRun(result)} at epoch ${result.epochs}`);
      text += ` Stopped during training and left out: ${partial.join('; ')}.`;
    }
    if (run.terminated.length) {
      const cut = run.terminated.map(({ job, rows }) => `${describeRun(job)} ${rows.length ? `at epoch ${rows.at(-1).epoch}` : 'before its first epoch'}`);
      text += ` Terminated after the ${STOP_TIMEOUT_MS / 1000} s stop timeout and left out: ${cut.join('; ')}.`;
    }
    const diverged = describeDiverged(run.results.filter(Boolean));
    if (diverged) text += ` ${diverged}`;
    setText(this.outputs.status, text);
  }

  renderLengthPlots(summary, m) {
    const threshold = vacuousCapacity({ m, delta: BOUND_DELTA, c_l: 1, l_l: 1 });
    const data = lengthPlotData(summary, { vacuousLog10: threshold > 0 ? Math.log10(threshold) : null, m });
    this.plots.accuracy.setData(data.accuracy);
    this.plots.gap.setData(data.gap);
    this.plots.capacity.setData(data.capacity);
    const legends = lengthLegends(summary);
    renderLegend(this.outputs.accuracyLegend, legends.accuracy);
    renderLegend(this.outputs.gapLegend, legends.gap);
    renderLegend(this.outputs.capacityLegend, legends.capacity);
  }

  /** Draws the s_A and loss curves of the finished runs and of those in progress; a stopped run's curve is dropped. */
  renderStabilityPlots(run) {
    const curves = [];
    run.jobs.forEach((job, index) => {
      const result = run.results[index];
      const rows = result?.log ?? run.live.get(index)?.rows;
      if (!rows?.length) return;
      curves.push({
        sA0: job.sA, sA: rows.map((row) => row.s_A), loss: rows.map((row) => row.loss), divergedEpoch: result?.diverged?.epoch ?? null,
      });
    });
    if (curves.length === 0) {
      this.plots.sA.clear();
      this.plots.loss.clear();
      this.outputs.stabilityLegend.replaceChildren();
      return;
    }
    const data = stabilityPlotData(curves, run.epochs);
    this.plots.sA.setData(data.sA);
    this.plots.loss.setData(data.loss);
    renderLegend(this.outputs.stabilityLegend, stabilityLegend(data.starts, run.summary.summary()));
  }

  /**
   * Lists the finished runs in the model menu, in job order. Each run's
   * <option> is built once, so the selection stays and a new run costs one
   * insertion.
   */
  renderRunList(run) {
    const options = [];
    run.results.forEach((result, index) => {
      if (!result) return;
      let option = this.runOptions.get(index);
      if (!option) {
        option = document.createElement('option');
        option.value = String(index);
        option.textContent = `${describeRun(result)}: ${describeAccuracy(result)}, final s_A ${formatSigned(result.finalSA)}`;
        this.runOptions.set(index, option);
      }
      options.push(option);
    });
    syncChildren(this.controls.runSelect, options);
    const empty = options.length === 0;
    for (const button of [this.controls.open, this.controls.downloadModel, this.controls.csv, this.controls.json]) button.disabled = empty;
  }

  // Opening a trained model and downloads ---------------------------------------------

  /** Returns the selected finished run and its job, or throws InputError. */
  selectedRun() {
    const run = this.current;
    const index = Number(this.controls.runSelect.value);
    const result = run?.results[index];
    if (this.controls.runSelect.value === '' || !result) {
      throw new InputError('No finished run to open yet: press Run and wait for the first run to finish.', this.controls.runSelect);
    }
    return { result, job: run.jobs[index] };
  }

  /** Returns the file name of a run's model. */
  modelFileName(result) {
    const start = result.kind === 'stability' ? `-sA${result.sA0}` : '';
    return `ssm-lens-${result.kind}-${result.task}-T${result.T}${start}-seed${result.seed}.json`;
  }

  /**
   * Returns the run's first test sequence (result.sample, which the worker
   * returns) as { text (token ids as page input), length }, or null for a
   * result without one. Ids are written without separators when each is one
   * digit.
   */
  sampleInput(result) {
    if (!Array.isArray(result.sample) || result.sample.length === 0) return null;
    const vocabSize = Array.isArray(result.vocab) ? result.vocab.length : Infinity;
    return { text: result.sample.join(vocabSize <= 10 ? '' : ', '), length: result.sample.length };
  }

  /**
   * Opens the selected run's model in the page's views, with the run's first
   * test sequence as input and the bound settings of the run's bound
   * (runTrainingJob: spectral norms, δ = 0.05, m = the training sequences,
   * B_u over the vocabulary). The page's bound takes T from the input's
   * length, so the status message names both when it differs from the run's T.
   */
  async openSelected() {
    setText(this.outputs.openStatus, '');
    let selection;
    try {
      selection = this.selectedRun();
    } catch (error) {
      setText(this.outputs.openStatus, error.message);
      return;
    }
    const { result, job } = selection;
    const name = this.modelFileName(result);
    const file = new File([JSON.stringify(result.stateDict)], name, { type: 'application/json' });
    const sample = this.sampleInput(result);
    const runBound = result.bound?.error ? null : result.bound;
    const settings = {
      m: runBound?.m ?? job.train, delta: BOUND_DELTA, norms: runBound?.norms ?? 'spectral', inputNorm: 'vocabulary',
    };
    await this.onOpenModel({ file, input: sample?.text ?? null, bound: settings });

    const inputText = sample === null ? 'the input is unchanged' : `the input is its first test sequence (${sample.length} tokens)`;
    let text = `Opened ${name} under Model: ${inputText}, and the bound uses the run's settings `
      + `(m = ${settings.m}, δ = ${settings.delta}, ${settings.norms} norms, B_u over the vocabulary).`;
    if (runBound && sample?.length !== runBound.T) {
      const inputLength = sample ? `the input's length ${sample.length}` : 'the length of the page\'s input';
      text += ` The bound table's T is ${inputLength}, but the run's bound used T = ${runBound.T} (its longest training sequence), so their C_F can differ.`;
    }
    setText(this.outputs.openStatus, text);
  }

  modelDownload() {
    const { result } = this.selectedRun();
    return [new Blob([`${JSON.stringify(result.stateDict)}\n`], { type: 'application/json' }), this.modelFileName(result)];
  }

  finishedRuns() {
    const runs = this.current?.results.filter(Boolean) ?? [];
    if (runs.length === 0) throw new InputError('No finished runs to export yet: press Run and wait for the first run to finish.');
    return runs;
  }

  csvDownload() {
    const runs = this.finishedRuns();
    const csv = recordsToCsv(RUN_COLUMNS, runRecords(runs));
    return [new Blob([csv], { type: 'text/csv' }), `ssm-lens-${this.current.kind}-runs.csv`];
  }

  jsonDownload() {
    const runs = this.finishedRuns();
    const { kind, options, jobs } = this.current;
    const summary = kind === 'length' ? summarizeLength(runs) : summarizeStability(runs);
    const data = {
      experiment: kind,
      settings: { ...options, keepModel: undefined },
      jobs: jobs.length,
      finished: runs.length,
      // The models are left out to keep the file small; "Model as JSON" saves one.
      runs: runs.map(({ stateDict, ...rest }) => rest),
      summary,
    };
    return [new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' }), `ssm-lens-${kind}-results.json`];
  }

  /** Runs build() and downloads the [blob, fileName] it returns; shows its error below the buttons. */
  runExport(build) {
    hideMessage(this.outputs.exportError);
    try {
      const [blob, fileName] = build();
      downloadBlob(blob, fileName);
    } catch (error) {
      showError(this.outputs.exportError, error);
    }
  }
}
