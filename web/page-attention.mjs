// The page's attention panel: the view and scale controls and the heatmap.
// The heatmap shows every cell up to FULL_MATRIX_MAX_T, and a pooled
// overview with a zoom window beyond. The panel also draws the logit
// attribution as bars under the matrix, the hover read-out with its
// factors, and the thumbnails of every channel.
import { FactorOverflowError, fingerprint } from './factors.mjs';
import {
  Heatmap, formatValue, pooledStarts, unitStarts,
} from './heatmap.mjs';
import {
  hideMessage, setText, showError, showMessage,
} from './messages.mjs';
import { SmallMultiples, THUMBNAIL_SIZE } from './multiples.mjs';
import { describeCellFactors, subscript, valueSymbol } from './readout.mjs';

/** Inputs up to this length are drawn cell by cell; longer ones as a pooled overview. */
export const FULL_MATRIX_MAX_T = 1024;
/** Cells per side of the pooled overview. */
export const OVERVIEW_SIZE = 512;
/** The largest T·d·N for which the attribution bars are computed (T·d·N exponentials). */
const ATTRIBUTION_WORK_LIMIT = 3e7;
/** The largest work of all thumbnails together, in the API's multiply-adds. */
const MULTIPLES_WORK_LIMIT = 5e8;

const byId = (id) => document.getElementById(id);

export class AttentionPanel {
  constructor({ onChange }) {
    this.onChange = onChange;
    this.controls = {
      view: byId('view'),
      scale: byId('scale'),
      pool: byId('pool'),
      poolField: byId('pool-field'),
      window: byId('window'),
      windowField: byId('window-field'),
    };
    this.outputs = {
      viewHelp: byId('view-help'),
      message: byId('heatmap-message'),
      caption: byId('heatmap-caption'),
      zoomPanel: byId('zoom-panel'),
      zoomHelp: byId('zoom-help'),
      zoomMessage: byId('zoom-message'),
      zoomCaption: byId('zoom-caption'),
      multiplesDetails: byId('multiples-details'),
      multiplesMessage: byId('multiples-message'),
    };
    // The zoom window's first row and column, or null for the default (the last steps).
    this.zoom = null;
    this.buffer = null;
    // What the read-out needs: the current factors, view and readout row.
    this.context = null;
    // The matrix on show, for the CSV export.
    this.current = null;
    this.multiplesKey = '';

    this.heatmap = new Heatmap(byId('heatmap'), {
      readout: byId('heatmap-readout'),
      describeCell: (cell, data) => describeCellFactors(cell, data, this.context ?? {}),
      onActivate: (cell) => this.moveZoomTo(cell),
    });
    this.zoomHeatmap = new Heatmap(byId('zoom-heatmap'), {
      readout: byId('zoom-readout'),
      describeCell: (cell, data) => describeCellFactors(cell, data, this.context ?? {}),
      maxSize: 520,
    });
    this.multiples = new SmallMultiples(byId('multiples'), {
      onSelect: (j) => {
        this.controls.view.value = String(j);
        this.onChange();
        byId('heatmap').focus({ preventScroll: true });
        byId('attention-title').scrollIntoView({ block: 'nearest' });
      },
    });
    for (const control of [this.controls.view, this.controls.scale, this.controls.pool, this.controls.window]) {
      control.addEventListener('input', onChange);
    }
    this.outputs.multiplesDetails.addEventListener('toggle', onChange);
  }

  /** Rebuilds the view menu for d channels and K logits, keeping the chosen view when it still exists. */
  updateViewOptions(model) {
    const select = this.controls.view;
    const shape = `${model.d}×${model.K}`;
    if (select.dataset.shape === shape) return;
    const previous = select.dataset.wanted ?? select.value ?? 'mean';
    const options = [new Option('mean over channels', 'mean')];
    if (model.K === 1) {
      options.push(new Option('logit attribution', 'logit'));
    } else {
      options.push(new Option('logit attribution, predicted class', 'logit'));
      for (let k = 0; k < Math.min(model.K, 32); k++) options.push(new Option(`logit attribution, class ${k}`, `logit:${k}`));
    }
    for (let j = 0; j < model.d; j++) options.push(new Option(`channel ${j}`, String(j)));
    select.replaceChildren(...options);
    const found = options.some((option) => option.value === previous);
    select.value = found ? previous : 'mean';
    select.dataset.shape = shape;
    delete select.dataset.wanted;
  }

  /** Returns { view, k }: view 'mean', 'logit' or a channel index; k the logit row (predicted class by default). */
  selectedView(model, logits) {
    const value = this.controls.view.value || 'mean';
    if (value === 'mean') return { view: 'mean', k: 0 };
    if (value.startsWith('logit')) {
      let k = 0;
      if (value.startsWith('logit:')) k = Number(value.slice(6));
      else if (logits && model.K > 1) k = logits.indexOf(Math.max(...logits));
      return { view: 'logit', k };
    }
    return { view: Number(value), k: 0 };
  }

  /** Blanks the panel and shows reason in place of the heatmap. */
  clear(reason) {
    this.heatmap.clear();
    this.zoomHeatmap.clear();
    this.outputs.zoomPanel.hidden = true;
    this.outputs.caption.textContent = '';
    showMessage(this.outputs.message, reason);
    this.multiples.clear();
    this.multiplesKey = '';
    this.current = null;
    this.context = null;
  }

  /**
   * Shows the attention of model on input (from InputPanel.read) in the
   * chosen view. logits: the forward pass's logits, or null after an
   * overflow; factors: an AttentionFactors for the input.
   */
  update({ model, input, logits, factors }) {
    const { view, k } = this.selectedView(model, logits);
    const { T } = input;
    const scale = this.controls.scale.value;
    this.context = { factors, view, k };
    this.updateViewHelp(view, model, k);
    const pooled = T > FULL_MATRIX_MAX_T;
    this.controls.poolField.hidden = !pooled;
    this.controls.windowField.hidden = !pooled;
    this.outputs.zoomPanel.hidden = !pooled;
    const labels = input.labels ?? (input.tokens ? input.tokens.map(String) : null);

    let attribution = null;
    let attributionNote = '';
    try {
      attribution = this.attributionRow(model, input, factors, view, k);
    } catch (error) {
      if (!(error instanceof FactorOverflowError)) throw error;
      attributionNote = ' The attribution bars are left out because the last row overflows.';
    }
    if (!attribution && !attributionNote) {
      attributionNote = ` The attribution bars are left out: they need T·d·N = ${formatValue(T * model.d * model.N, 2)} exponentials, above ${formatValue(ATTRIBUTION_WORK_LIMIT, 1)}.`;
    }
    const bandText = attribution ? this.describeAttribution(attribution, logits, model, k) : '';

    try {
      if (pooled) this.showPooled({ model, input, view, k, scale, attribution, bandText, factors });
      else this.showFull({ model, input, view, k, scale, attribution, bandText, labels });
    } catch (error) {
      this.heatmap.clear();
      this.zoomHeatmap.clear();
      this.outputs.zoomPanel.hidden = true;
      this.outputs.caption.textContent = '';
      this.current = null;
      showError(this.outputs.message, error);
      return;
    }
    hideMessage(this.outputs.message);
    setText(this.outputs.caption, this.describeView(view, model, k, scale, pooled) + (attribution
      ? ` The bars under the matrix are the last row, c[${T - 1}, s]: how much each input step adds to the logit${model.K > 1 ? ` of class ${k}` : ''}; they sum to it.`
      : '') + attributionNote);
  }

  /** Returns row T−1 of the logit attribution, or null when it would cost too many exponentials. */
  attributionRow(model, input, factors, view, k) {
    const { T } = input;
    if (T * model.d * model.N > ATTRIBUTION_WORK_LIMIT) return null;
    return factors.attributionRow(k);
  }

  describeAttribution(row, logits, model, k) {
    let sum = 0;
    for (const value of row) sum += value;
    const logitName = model.K === 1 ? 'z' : `z${subscript(k)}`;
    const logit = logits ? ` = ${logitName} = ${formatValue(logits[k], 5)}` : '';
    const predicted = model.K > 1 && logits ? `, predicted class ${logits.indexOf(Math.max(...logits))}` : '';
    return `Σ = ${formatValue(sum, 5)}${logit}${predicted}`;
  }

  showFull({ model, input, view, k, scale, attribution, bandText, labels }) {
    const { T } = input;
    if (this.buffer?.length !== T * T) this.buffer = new Float32Array(T * T);
    const values = model.attention(input.u, view, { k, out: this.buffer });
    const starts = unitStarts(0, T);
    this.heatmap.setData({
      values, rowStarts: starts, colStarts: starts, rowLabels: labels, colLabels: labels,
      valueName: valueSymbol(view), scale,
      band: attribution ? { values: attribution, name: 'c', text: bandText } : null,
    });
    this.zoomHeatmap.clear();
    this.current = { values, rowStarts: starts, colStarts: starts, view, k, pooled: false, T };
  }

  showPooled({ model, input, view, k, scale, attribution, bandText, factors }) {
    const { T } = input;
    const size = Math.min(OVERVIEW_SIZE, T);
    const mode = this.controls.pool.value;
    const { values } = model.attentionPooled(input.u, view, { size, mode, k });
    const starts = pooledStarts(T, size);
    const width = Math.min(Number(this.controls.window.value), T);
    const origin = this.zoomOrigin(T, width);
    const band = attribution ? { values: sumPerCell(attribution, starts), name: 'c', text: `${bandText} (bars: sum per cell)` } : null;
    const symbol = valueSymbol(view);
    this.heatmap.setData({
      values, rowStarts: starts, colStarts: starts, valueName: mode === 'max' ? `|${symbol}|` : symbol,
      signed: mode === 'mean', scale, band,
      outline: { t0: origin.t0, t1: origin.t0 + width, s0: origin.s0, s1: origin.s0 + width },
    });
    this.current = { values, rowStarts: starts, colStarts: starts, view, k, pooled: true, T, mode };

    // The zoom window: one cell per step, computed from the factors in float64.
    const labels = input.labels ?? (input.tokens ? input.tokens.map(String) : null);
    const { t0, s0 } = origin;
    try {
      const windowValues = factors.window(view, k, t0, t0 + width, s0, s0 + width);
      this.zoomHeatmap.setData({
        values: windowValues,
        rowStarts: unitStarts(t0, width),
        colStarts: unitStarts(s0, width),
        rowLabels: labels ? labels.slice(t0, t0 + width) : null,
        colLabels: labels ? labels.slice(s0, s0 + width) : null,
        valueName: symbol,
        scale,
        band: attribution ? { values: attribution.slice(s0, s0 + width), name: 'c', text: 'the same bars, one per step' } : null,
      });
      hideMessage(this.outputs.zoomMessage);
    } catch (error) {
      this.zoomHeatmap.clear();
      showError(this.outputs.zoomMessage, error);
    }
    setText(this.outputs.zoomHelp, 'Click a cell of the overview, or focus it and press Enter, to move this window there. '
      + 'Point at a cell here to read its factors.');
    setText(this.outputs.zoomCaption, `Rows t = ${t0}–${t0 + width - 1} and columns s = ${s0}–${s0 + width - 1}, one cell per step, `
      + 'outlined on the overview. The page computes these cells in float64 from the model’s factors; they agree with the API’s float32 values to about five significant digits.');
  }

  /** Returns the zoom window's first row and column, clamped so that the window fits in the matrix. */
  zoomOrigin(T, width) {
    const clamp = (value) => Math.max(0, Math.min(T - width, value));
    if (!this.zoom) return { t0: T - width, s0: T - width };
    return { t0: clamp(this.zoom.t0), s0: clamp(this.zoom.s0) };
  }

  /** Centres the zoom window on an overview cell. */
  moveZoomTo(cell) {
    if (!this.current?.pooled) return;
    const width = Math.min(Number(this.controls.window.value), this.current.T);
    this.zoom = {
      t0: Math.round((cell.t0 + cell.t1) / 2 - width / 2),
      s0: Math.round((cell.s0 + cell.s1) / 2 - width / 2),
    };
    Object.assign(this.zoom, this.zoomOrigin(this.current.T, width));
    this.onChange();
  }

  updateViewHelp(view, model, k) {
    let help;
    if (view === 'mean') help = 'The mean over channels of the attention weights αⱼ[t,s]: how strongly each input step feeds each output step.';
    else if (view === 'logit') help = `How much each input step adds to the logit${model.K > 1 ? ` of class ${k}` : ''}: the sum of row t is the logit the readout would give at step t.`;
    else help = `The attention weights of channel ${view} alone.`;
    setText(this.outputs.viewHelp, help);
  }

  describeView(view, model, k, scale, pooled) {
    let text;
    if (view === 'mean') {
      text = `ᾱ[t,s] = (1/d) Σⱼ αⱼ[t,s], the mean over the d = ${model.d} channels of the weight with which input u[s] enters output y[t].`;
    } else if (view === 'logit') {
      const logitName = model.K === 1 ? 'the logit' : `logit k = ${k}`;
      text = `c[t,s] = Σⱼ Wₖⱼ αⱼ[t,s] uⱼ[s], the contribution of input step s to ${logitName} read out at step t. Each row sums to that logit.`;
    } else {
      const j = subscript(view);
      text = `α${j}[t,s] = Δ[s] Σₙ C[t]ₙ exp(A${j}ₙ (Λ[t] − Λ[s])) B[s]ₙ, the weight of input u${j}[s] in output y${j}[t] for channel ${view}.`;
    }
    const scaleText = scale === 'symlog'
      ? 'The colour scale is signed-log: linear within 10⁻³ of the largest |value|, logarithmic beyond, so three decades are visible.'
      : 'The colour scale is linear.';
    const poolText = pooled
      ? ` This input is longer than T = ${FULL_MATRIX_MAX_T}, so each cell of the overview covers a block of steps and shows `
        + `${this.controls.pool.value === 'max' ? 'the largest |value| in it (white to red)' : 'the mean value in it, zeros above the diagonal included'}.`
      : '';
    return `${text} Blue is negative, red positive, near-white 0. ${scaleText}${poolText} `
      + 'Hatched cells (s > t) are zero because the model is causal. Steps count from 0.';
  }

  /** Draws every channel's thumbnail, when the "All channels" section is open and its inputs changed. */
  updateMultiples({ model, input }) {
    if (!this.outputs.multiplesDetails.open) return;
    const { T } = input;
    const scale = this.controls.scale.value;
    const mode = this.controls.pool.value;
    const pooled = T > THUMBNAIL_SIZE;
    const selected = this.selectedView(model, null).view;

    // Only the selection changed: redraw the same thumbnails with another one pressed.
    const key = [model.source, model.sA, model.d, model.N, T, input.u.length, scale, pooled ? mode : 'full', fingerprint(input.u)].join('|');
    const signed = !pooled || mode === 'mean';
    if (key === this.multiplesKey) {
      this.multiples.setData({ ...this.multiples.data, selected: typeof selected === 'number' ? selected : null });
      return;
    }

    const lanes = model.N;
    const work = model.d * (T * (T + 1) / 2) * lanes / (pooled && mode === 'mean' ? 32 : 1);
    if (work > MULTIPLES_WORK_LIMIT) {
      this.multiples.clear();
      this.multiplesKey = '';
      showMessage(this.outputs.multiplesMessage, `The thumbnails of all ${model.d} channels need about ${formatValue(work, 2)} operations at T = ${T}; `
        + `they are drawn up to ${formatValue(MULTIPLES_WORK_LIMIT, 1)}. Choose a channel in the View menu instead, or overview cells “mean”.`);
      return;
    }

    const channels = [];
    try {
      for (let j = 0; j < model.d; j++) {
        if (pooled) {
          const result = model.attentionPooled(input.u, j, { size: THUMBNAIL_SIZE, mode });
          channels.push({ values: result.values, size: THUMBNAIL_SIZE, rowStarts: pooledStarts(T, THUMBNAIL_SIZE) });
        } else {
          channels.push({ values: model.attention(input.u, j), size: T, rowStarts: unitStarts(0, T) });
        }
      }
    } catch (error) {
      this.multiples.clear();
      this.multiplesKey = '';
      showError(this.outputs.multiplesMessage, error);
      return;
    }

    hideMessage(this.outputs.multiplesMessage);
    this.multiplesKey = key;
    this.multiples.setData({ channels, scale, signed, selected: typeof selected === 'number' ? selected : null });
  }

  /** Returns the controls' values for the URL hash. */
  readState() {
    return {
      view: this.controls.view.value || this.controls.view.dataset.wanted || 'mean',
      scale: this.controls.scale.value,
      pool: this.controls.pool.value,
      window: this.controls.window.value,
      zoom: this.zoom ? `${this.zoom.t0},${this.zoom.s0}` : '',
    };
  }

  /** Sets the controls from hash values; returns messages for values that cannot apply. */
  applyState(state) {
    const problems = [];
    // The view menu is built once the model is known; keep the wanted view until then.
    this.controls.view.dataset.wanted = state.view;
    delete this.controls.view.dataset.shape;
    this.controls.scale.value = state.scale;
    this.controls.pool.value = state.pool;
    this.controls.window.value = state.window;
    this.zoom = null;
    if (state.zoom) {
      const match = /^(\d+),(\d+)$/.exec(state.zoom);
      if (match) this.zoom = { t0: Number(match[1]), s0: Number(match[2]) };
      else problems.push(`The link's zoom “${state.zoom}” is not two step numbers such as 100,40; the window starts at the last steps.`);
    }
    if (!/^(mean|logit|logit:\d+|\d+)$/.test(state.view)) {
      problems.push(`The link's view “${state.view}” is not mean, logit or a channel number; showing the mean.`);
      this.controls.view.dataset.wanted = 'mean';
    }
    return problems;
  }
}

/** Returns the sum of row over each cell's steps. */
function sumPerCell(row, starts) {
  const size = starts.length - 1;
  const sums = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    for (let s = starts[i]; s < starts[i + 1]; s++) sums[i] += row[s];
  }
  return sums;
}
