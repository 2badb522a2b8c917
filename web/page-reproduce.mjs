// The page's Reproduce view: runs the length and stability experiments of
// Honarpisheh, Bozdag, Camps and Sznaier (NeurIPS 2025), as experimentJobs in
// wasm/experiment.mjs builds them, in Web Workers. It draws the results as
// they arrive and opens a trained model in the page's other views. Nothing
// trains and no worker starts until the user presses Run.
import {
  experimentJobs, parseGrid, parseSeeds, summarizeLength, summarizeStability, taskData,
} from '../wasm/index.mjs';
import { vacuousCapacity } from './bound-views.mjs';
import { downloadBlob, recordsToCsv } from './exports.mjs';
import { sharedScheduler } from './frame.mjs';
import {
  InputError, hideMessage, markInvalid, readNumber, setText, showError, showMessage, withFullStop,
} from './messages.mjs';
import { formatNumber } from './panels.mjs';
import { LinePlot } from './plots.mjs';
import { MAX_WORKERS, TrainingPool, defaultWorkerCount } from './reproduce-pool.mjs';
import {
  RUN_COLUMNS, formatSigned, lengthLegends, lengthPlotData, renderLegend, renderLengthTable,
  renderStabilityTable, runRecords, stabilityLegend, stabilityPlotData,
} from './reproduce-views.mjs';

/** The settings of `ssm-lens experiment` for each experiment, as the fields show them. */
export const REPRODUCE_DEFAULTS = Object.freeze({
  length: { T: '25:400:25', sA: '0', seeds: '5' },
  stability: { T: '250', sA: '-0.1:0.1:0.02', seeds: '1' },
  shared: {
    task: 'majority', epochs: '40', d: '4', N: '4', train: '1000', test: '1000',
  },
});

/** The gap bound's confidence parameter δ in the runs' bounds (the default of bound()). */
const BOUND_DELTA = 0.05;

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

export class ReproducePanel {
  /**
   * onOpenModel({ file, input, m }): makes file (a state-dict JSON File) the
   * page's model, input (token ids as text, or null) its input and m the
   * bound's training samples; returns a promise that settles once loaded.
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
    this.renderTask = () => this.render();
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

  /** Parses a grid field with the API's parser; throws InputError that marks the field. */
  readGrid(control, parse) {
    try {
      return parse(control.value);
    } catch (error) {
      throw new InputError(withFullStop(error.message), control);
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
    this.readGrid(c.T, (text) => parseGrid('T', text));
    this.readGrid(c.sA, (text) => parseGrid('sA', text));
    this.readGrid(c.seeds, (text) => parseSeeds(text));
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
      let control = null;
      if (/\bT\b/.test(error.message)) control = this.controls.T;
      else if (/\bs_?A\b/.test(error.message)) control = this.controls.sA;
      else if (/\bseeds\b/.test(error.message)) control = this.controls.seeds;
      throw new InputError(withFullStop(error.message), control);
    }
  }

  setRunning(running) {
    const c = this.controls;
    const fields = [c.kindLength, c.kindStability, c.task, c.T, c.sA, c.seeds, c.epochs, c.d, c.N, c.train, c.test, c.workers, c.defaults, c.run];
    for (const field of fields) field.disabled = running;
    c.stop.disabled = !running;
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
      // Per-epoch logs of the jobs in progress, by job index.
      live: new Map(),
      stopped: [],
      started: performance.now(),
      finished: null,
      ended: null,
    };
    this.pool = new TrainingPool(jobs, {
      workerCount: settings.workers,
      onStart: (index) => {
        this.current.live.set(index, []);
        this.requestRender();
      },
      onEpoch: (index, row) => {
        this.current.live.get(index)?.push(row);
        this.requestRender();
      },
      onResult: (index, result) => this.receiveResult(index, result),
    });
    this.current.workers = this.pool.workerCount;
    this.prepareResults();
    this.setRunning(true);
    this.pool.start();
    this.pool.done.then((ending) => this.end(ending));
    this.requestRender({ results: true });
  }

  receiveResult(index, result) {
    const run = this.current;
    run.live.delete(index);
    if (result.stopped) run.stopped.push(result);
    else run.results[index] = result;
    this.requestRender({ results: true });
  }

  /** Stops the run after the current epoch of each worker; the finished runs stay shown. */
  stop() {
    if (!this.pool) return;
    setText(this.outputs.status, 'Stopping after the current epoch …');
    this.pool.stop();
  }

  end({
    stopped, error, failedIndex, unfinished,
  }) {
    const run = this.current;
    this.pool = null;
    run.ended = { stopped, error, unfinished };
    run.finished = performance.now();
    run.live.clear();
    this.setRunning(false);
    if (error) {
      const job = failedIndex === null ? null : run.jobs[failedIndex];
      const where = job ? ` while training ${describeRun(job)}` : '';
      // An error the library does not expect is a bug: log its stack for the report.
      if (!error.expected) console.error(`ssm-lens training worker: ${error.stack || error.message}`);
      showMessage(this.outputs.error, withFullStop(`Training failed${where}: ${error.message}. The finished runs stay shown`));
    }
    this.requestRender({ results: true });
  }

  // Drawing --------------------------------------------------------------------------

  requestRender({ results = false } = {}) {
    if (results) this.resultsChanged = true;
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
    this.outputs.table.tHead.replaceChildren();
    this.outputs.table.tBodies[0].replaceChildren();
    this.controls.runSelect.replaceChildren();
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

  /** Redraws the progress every frame with news, and the table, plots and run list when a run finished. */
  render() {
    const run = this.current;
    if (!run) return;
    this.renderProgress(run);
    if (run.kind === 'stability') this.renderStabilityPlots(run);
    if (!this.resultsChanged) return;
    this.resultsChanged = false;
    const finished = run.results.filter(Boolean);
    if (run.kind === 'length') {
      const summary = summarizeLength(finished);
      renderLengthTable(this.outputs.table, summary);
      if (finished.length) this.renderLengthPlots(summary, run.options.train);
    } else {
      renderStabilityTable(this.outputs.table, summarizeStability(finished));
    }
    this.renderRunList(run);
  }

  renderProgress(run) {
    const total = run.jobs.length;
    const done = run.results.filter(Boolean).length + run.stopped.length;
    let inFlight = 0;
    for (const rows of run.live.values()) inFlight += rows.length ? rows.at(-1).epoch / run.epochs : 0;
    const progress = this.outputs.progress;
    progress.max = total;
    progress.value = Math.min(total, done + inFlight);
    progress.setAttribute('aria-valuetext', `${done} of ${total} runs done`);

    const finishedRuns = run.results.filter(Boolean).length;
    if (!run.ended) {
      const training = [...run.live.entries()].map(([index, rows]) => {
        const epoch = rows.length ? rows.at(-1).epoch : 0;
        return `${describeRun(run.jobs[index])} (epoch ${epoch} of ${run.epochs})`;
      });
      const now = training.length ? `; training ${training.join('; ')}` : '';
      setText(this.outputs.status, `${finishedRuns} of ${total} runs done${now}. ${formatSeconds(performance.now() - run.started)} so far with ${run.workers} ${run.workers === 1 ? 'worker' : 'workers'}.`);
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
    const diverged = run.results.filter((result) => result?.diverged).length;
    if (diverged) text += ` ${diverged} ${diverged === 1 ? 'run' : 'runs'} diverged (a parameter became NaN or Infinity); their accuracy is that of the last finite parameters.`;
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

  renderStabilityPlots(run) {
    const curves = [];
    run.jobs.forEach((job, index) => {
      const rows = run.results[index]?.log ?? run.live.get(index);
      if (!rows?.length) return;
      curves.push({ sA0: job.sA, sA: rows.map((row) => row.s_A), loss: rows.map((row) => row.loss) });
    });
    if (curves.length === 0) return;
    const data = stabilityPlotData(curves, run.epochs);
    this.plots.sA.setData(data.sA);
    this.plots.loss.setData(data.loss);
    renderLegend(this.outputs.stabilityLegend, stabilityLegend(data.starts, summarizeStability(run.results.filter(Boolean))));
  }

  /** Lists the finished runs in the model menu, keeping the selected run while it is listed. */
  renderRunList(run) {
    const select = this.controls.runSelect;
    const selected = select.value;
    const options = [];
    run.results.forEach((result, index) => {
      if (!result) return;
      const accuracy = `train accuracy ${formatNumber(result.trainAccuracy)}, test ${formatNumber(result.testAccuracy)}`;
      const option = document.createElement('option');
      option.value = String(index);
      option.textContent = `${describeRun(result)}: ${accuracy}, final s_A ${formatSigned(result.finalSA)}`;
      options.push(option);
    });
    select.replaceChildren(...options);
    if (options.some((option) => option.value === selected)) select.value = selected;
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
   * Returns the first test sequence of job's task as { text (token ids as
   * page input), length }, or null when it cannot be generated. It is
   * regenerated from the job's seed, so it is a sequence the run was tested on.
   */
  sampleInput(job) {
    try {
      const data = taskData(job.task, {
        T: job.T, train: job.train, test: job.test, seed: job.seed, ...job.taskOptions,
      });
      const { tokens, offsets } = data.test;
      const sequence = Array.from(tokens.subarray(offsets[0], offsets[1]));
      return { text: sequence.join(data.vocab.length <= 10 ? '' : ', '), length: sequence.length };
    } catch {
      // The model still opens; the input stays as it is.
      return null;
    }
  }

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
    const sample = this.sampleInput(job);
    await this.onOpenModel({ file, input: sample?.text ?? null, m: job.train });
    const inputText = sample === null ? 'the input is unchanged' : `the input is its first test sequence (${sample.length} tokens)`;
    setText(this.outputs.openStatus, `Opened ${name} under Model: ${inputText}, and the bound uses m = ${job.train}.`);
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
