// The Reproduce view's summary of the finished runs, kept up to date as
// runs arrive. summarizeLength and summarizeStability (wasm/experiment.mjs)
// regroup every run on each call, which costs O(groups × runs): a grid of
// thousands of T values would spend most of each frame there. This class
// keeps the runs grouped and summarizes again only the groups that gained
// a run, with the same functions, so each row equals theirs.
import { gapFlatness, summarizeLength, summarizeStability } from '../wasm/index.mjs';

export class RunSummary {
  /** kind: 'length' (rows per T) or 'stability' (rows per initial s_A). */
  constructor(kind) {
    this.kind = kind;
    // Runs and summary row per key (T or s_A(0)), and the keys that gained a run since the last summary().
    this.groups = new Map();
    this.changed = new Set();
    this.cached = this.kind === 'length' ? { rows: [], flatness: gapFlatness([]) } : [];
  }

  add(result) {
    const key = this.kind === 'length' ? result.T : result.sA0;
    let group = this.groups.get(key);
    if (!group) {
      group = { runs: [], row: null };
      this.groups.set(key, group);
    }
    group.runs.push(result);
    this.changed.add(key);
  }

  /**
   * Returns what summarizeLength (for length) or summarizeStability (for
   * stability) returns for every added run. The row of a group that gained
   * no run since the last call is the same object as before, so a view can
   * keep the table row it built for it.
   */
  summary() {
    if (this.changed.size === 0) return this.cached;
    for (const key of this.changed) {
      const group = this.groups.get(key);
      group.row = this.kind === 'length' ? summarizeLength(group.runs).rows[0] : summarizeStability(group.runs)[0];
    }
    this.changed.clear();
    const rows = [...this.groups.keys()].sort((a, b) => a - b).map((key) => this.groups.get(key).row);
    this.cached = this.kind === 'length' ? { rows, flatness: gapFlatness(rows) } : rows;
    return this.cached;
  }
}
