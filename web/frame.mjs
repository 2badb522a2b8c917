// One animation frame for all drawing: every canvas and panel requests its
// redraw from the scheduler, which runs each request once in the next
// frame, however often it was requested.

/**
 * Coalesces redraw requests into one requestAnimationFrame callback. A task
 * requested again before the frame runs replaces the pending one, so each
 * key runs at most once per frame. Tasks requested while the frame runs
 * (a page update that requests its heatmap's draw) run in the same frame,
 * up to 8 rounds deep.
 */
export class FrameScheduler {
  constructor() {
    this.tasks = new Map();
    this.frame = 0;
  }

  /** Runs task in the next animation frame, once per key. */
  request(key, task) {
    this.tasks.set(key, task);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  /** Drops the pending task of key, if any. */
  cancel(key) {
    this.tasks.delete(key);
  }

  /**
   * Runs the pending tasks. A task may return a promise, which is awaited
   * before the next task: a promise that settles within microtasks (a model
   * built from the loaded wasm module) still finishes inside this frame,
   * because the browser runs microtasks before it paints.
   */
  async flush() {
    this.frame = 0;
    // Each round runs the tasks present at its start; tasks added by a round
    // run in the next round. The limit stops a task that keeps requesting itself.
    for (let round = 0; round < 8 && this.tasks.size > 0; round++) {
      const tasks = [...this.tasks.values()];
      this.tasks.clear();
      for (const task of tasks) {
        try {
          await task();
        } catch (error) {
          // A failing task must not keep the others from drawing; the error
          // still reaches the console and the page's error handlers.
          reportError(error);
        }
      }
    }
    if (this.tasks.size > 0 && !this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }
}

/** The scheduler that the page and every <ssm-lens-view> share. */
export const sharedScheduler = new FrameScheduler();
