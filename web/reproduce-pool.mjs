// Runs a list of training jobs in module Web Workers (reproduce-worker.mjs),
// one job per worker at a time, in job order. The page's thread only
// receives messages, so the other views stay responsive while training.

/**
 * How long a stopped worker may take to finish its current epoch before it
 * is terminated. An epoch at T = 400 with 1000 sequences took about 17 ms in
 * a worker of Chromium 156 on a 2-core test machine, but a larger T or
 * training set can take seconds.
 */
export const STOP_TIMEOUT_MS = 1500;

/** The maximum number of workers the page starts, because each keeps its own wasm instance and training data. */
export const MAX_WORKERS = 8;

/** Returns the default number of workers: the logical cores, from 1 to 4. */
export function defaultWorkerCount() {
  const cores = Number(globalThis.navigator?.hardwareConcurrency) || 2;
  return Math.max(1, Math.min(4, cores));
}

/**
 * A run of jobs in workers. Hooks, each called with the job's index:
 *   onStart(index)            the job was sent to a worker
 *   onRunning(index)          the worker received it and is generating its data
 *   onEpoch(index, row)       one row of the job's per-epoch log (epoch 0 follows the data generation)
 *   onResult(index, result)   the job finished (result.stopped after stop())
 * `done` resolves, once every worker has ended, with
 * { stopped, error, failedIndex, unfinished }, where unfinished lists the
 * indices of the jobs without a complete result (stopped, or never started);
 * error is null or { name, message, stack, expected } of the job at
 * failedIndex (null when no job was running), and it ends the whole run.
 * `done` never rejects.
 */
export class TrainingPool {
  constructor(jobs, {
    workerCount = defaultWorkerCount(), onStart, onRunning, onEpoch, onResult,
    workerUrl = new URL('./reproduce-worker.mjs', import.meta.url),
  }) {
    this.jobs = jobs;
    this.hooks = {
      onStart, onRunning, onEpoch, onResult,
    };
    this.workerUrl = workerUrl;
    this.workerCount = Math.max(1, Math.min(workerCount, MAX_WORKERS, jobs.length));
    this.next = 0;
    this.finishedJobs = new Set();
    this.slots = [];
    this.stopping = false;
    this.error = null;
    this.failedIndex = null;
    this.ended = false;
    this.stopTimer = 0;
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** Starts the workers and hands each its first job. */
  start() {
    if (this.jobs.length === 0) {
      this.finish();
      return;
    }
    for (let i = 0; i < this.workerCount; i++) {
      const worker = new Worker(this.workerUrl, { type: 'module', name: `ssm-lens training ${i + 1}` });
      const slot = { worker, index: null };
      worker.addEventListener('message', (event) => this.receive(slot, event.data));
      worker.addEventListener('error', (event) => {
        // The worker script itself failed (for example its imports did not
        // load); preventDefault keeps the browser from reporting it as uncaught.
        event.preventDefault();
        this.fail({
          name: 'WorkerError',
          message: `the training worker failed to start or crashed: ${event.message || 'no message from the browser'}`,
          stack: '',
          expected: false,
        }, slot.index);
      });
      worker.addEventListener('messageerror', () => {
        this.fail({
          name: 'WorkerError', message: 'a message from the training worker could not be read', stack: '', expected: false,
        }, slot.index);
      });
      this.slots.push(slot);
      this.dispatch(slot);
    }
  }

  /** Sends slot's worker the next job, or leaves it idle; ends the run when every worker is idle. */
  dispatch(slot) {
    slot.index = null;
    if (!this.stopping && this.error === null && this.next < this.jobs.length) {
      slot.index = this.next++;
      slot.worker.postMessage({ type: 'run', id: slot.index, job: this.jobs[slot.index] });
      this.hooks.onStart?.(slot.index);
    }
    if (this.slots.every((other) => other.index === null)) this.finish();
  }

  receive(slot, message) {
    if (this.ended || message?.id !== slot.index) return;
    if (message.type === 'started') {
      this.hooks.onRunning?.(message.id);
    } else if (message.type === 'epoch') {
      this.hooks.onEpoch?.(message.id, message.row);
    } else if (message.type === 'result') {
      if (!message.result.stopped) this.finishedJobs.add(message.id);
      this.hooks.onResult?.(message.id, message.result);
      this.dispatch(slot);
    } else if (message.type === 'error') {
      this.fail(message.error, message.id);
    }
  }

  /**
   * Asks every busy worker to stop after its current epoch; a job stopped
   * that way still returns its result (with stopped: true). Workers that
   * have sent no result after STOP_TIMEOUT_MS are terminated, and their jobs
   * stay unfinished.
   */
  stop() {
    if (this.ended || this.stopping) return;
    this.stopping = true;
    for (const slot of this.slots) {
      if (slot.index !== null) slot.worker.postMessage({ type: 'stop' });
    }
    if (this.slots.every((slot) => slot.index === null)) {
      this.finish();
      return;
    }
    this.stopTimer = setTimeout(() => this.finish(), STOP_TIMEOUT_MS);
  }

  /** Ends the run after the job at index failed: the other jobs are terminated without results. */
  fail(error, index) {
    if (this.ended) return;
    this.error = error;
    this.failedIndex = index;
    this.finish();
  }

  finish() {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.stopTimer);
    for (const slot of this.slots) slot.worker.terminate();
    const unfinished = [];
    for (let index = 0; index < this.jobs.length; index++) {
      if (!this.finishedJobs.has(index)) unfinished.push(index);
    }
    // A stop that came after the last epoch of the last jobs stopped nothing.
    this.resolveDone({
      stopped: this.stopping && unfinished.length > 0, error: this.error, failedIndex: this.failedIndex, unfinished,
    });
  }
}
