// The page's bound panel: the settings, the table of terms with the
// "vacuous" marking, the plots of C_F and S₂ against T, the realized
// envelopes, and Table 1 of Honarpisheh, Bozdag, Camps and Sznaier
// (NeurIPS 2025), the paper whose bound this is.
import { bound } from '../wasm/index.mjs';
import {
  ENVELOPE_WORK_LIMIT, LENGTH_RANGE, computeEnvelopes, computeLengthCurves, curveSeries, describeStepSizes,
  describeTable1, renderLegend, renderSeriesLegend, renderTable1, seriesRange, vacuousCapacity, yRangeOf,
} from './bound-views.mjs';
import { fingerprint } from './factors.mjs';
import { formatValue } from './heatmap.mjs';
import {
  InputError, hideMessage, markInvalid, readNumber, setText, showError, showMessage,
} from './messages.mjs';
import { formatNumber, renderBoundTable } from './panels.mjs';
import { LinePlot } from './plots.mjs';

const byId = (id) => document.getElementById(id);

export class BoundPanel {
  constructor({ onChange }) {
    this.onChange = onChange;
    this.controls = {
      m: byId('bound-m'),
      delta: byId('bound-delta'),
      norms: byId('bound-norms'),
      inputNorm: byId('bound-input-norm'),
    };
    this.outputs = {
      summary: byId('bound-summary'),
      vacuous: byId('bound-vacuous'),
      message: byId('bound-message'),
      table: byId('bound-table'),
      lengthMessage: byId('length-message'),
      capacityLegend: byId('plot-capacity-legend'),
      s2Legend: byId('plot-s2-legend'),
      envelopesDetails: byId('envelopes-details'),
      envelopesSteps: byId('envelopes-steps'),
      envelopesMessage: byId('envelopes-message'),
      decayLegend: byId('plot-decay-legend'),
      alphaLegend: byId('plot-alpha-legend'),
      table1Details: byId('table1-details'),
      table1: byId('table1'),
      table1Caption: byId('table1-caption'),
      table1Message: byId('table1-message'),
    };
    this.plots = {
      capacity: new LinePlot(byId('plot-capacity'), { xTitle: 'T (sequence length)', yTitle: 'C_F' }),
      s2: new LinePlot(byId('plot-s2'), { xTitle: 'T (sequence length)', yTitle: 'S₂' }),
      decay: new LinePlot(byId('plot-decay'), { xTitle: 'lag k = t − s', yTitle: 'decay', xLog: false }),
      alpha: new LinePlot(byId('plot-alpha'), { xTitle: 'lag k = t − s', yTitle: '|α|', xLog: false }),
    };
    // The result on show, for the JSON export, and the keys of what the secondary views last drew.
    this.result = null;
    this.options = null;
    this.keys = { length: '', envelopes: '', table1: '' };

    for (const control of Object.values(this.controls)) control.addEventListener('input', onChange);
    this.outputs.envelopesDetails.addEventListener('toggle', onChange);
    this.outputs.table1Details.addEventListener('toggle', onChange);
  }

  /**
   * Returns the bound() options for model and input. B_u comes from this
   * input when the settings ask for it, and always for a table input or a
   * model without embedding (the vocabulary then bounds nothing).
   */
  readOptions(model, input) {
    const m = readNumber(this.controls.m, { name: 'm', min: 1, max: 1e15, integer: true });
    const delta = readNumber(this.controls.delta, { name: 'δ', min: 0, max: 1, integer: false });
    if (delta === 0 || delta === 1) {
      throw new InputError(`δ must lie strictly between 0 and 1, got ${delta}.`, this.controls.delta);
    }
    const options = { m, delta, norms: this.controls.norms.value };
    const fromSequence = this.controls.inputNorm.value === 'sequence' || input.table || !model.embedding;
    if (fromSequence) options.sequences = [input.u];
    else options.T = input.T;
    return { options, fromSequence };
  }

  clear(reason) {
    this.outputs.table.tBodies[0].replaceChildren();
    this.outputs.table.hidden = true;
    this.outputs.summary.textContent = '';
    hideMessage(this.outputs.vacuous);
    showMessage(this.outputs.message, reason);
    this.result = null;
  }

  /** Computes the bound for model and input and shows its table; returns the result or null. */
  update(model, input) {
    for (const control of [this.controls.m, this.controls.delta]) markInvalid(control, false);
    try {
      const { options, fromSequence } = this.readOptions(model, input);
      const result = bound(model, options);
      renderBoundTable(this.outputs.table.tBodies[0], result);
      this.outputs.table.hidden = false;
      let source = fromSequence ? 'this input' : 'every token of the vocabulary';
      if (fromSequence && this.controls.inputNorm.value !== 'sequence') {
        source += input.table ? ' (a table input is not drawn from the vocabulary)' : ' (the model has no embedding)';
      }
      setText(this.outputs.summary, `For T = ${result.T} steps, B_u = ${formatNumber(result.B_u)} (the largest ‖u[t]‖₂ over ${source}), `
        + `m = ${result.m}, δ = ${result.delta}, c_l = ${result.c_l}, l_l = ${result.l_l}, ${result.norms} norms.`);
      const notes = [];
      if (result.B_A === 0) notes.push(describeZeroDecay(result));
      if (result.vacuous) notes.push(describeVacuous(result));
      if (notes.length) showMessage(this.outputs.vacuous, notes.join(' '));
      else hideMessage(this.outputs.vacuous);
      hideMessage(this.outputs.message);
      this.result = result;
      this.options = { m: options.m, delta: options.delta, norms: options.norms, B_u: result.B_u };
      return result;
    } catch (error) {
      if (error.control) markInvalid(error.control, true);
      this.clear('');
      showError(this.outputs.message, error);
      return null;
    }
  }

  /**
   * Draws the views that take longer than the table: the length plots
   * always, the envelopes and Table 1 when their sections are open. Each
   * is redrawn only when its inputs changed. Returns a promise.
   */
  async updateSecondary({ model, input }) {
    if (!this.result) return;
    const { options, result } = this;
    const modelKey = `${model.source}|${model.sA}|${model.d}|${model.N}|${model.K}|${model.p}`;
    const optionsKey = `${modelKey}|${options.m}|${options.delta}|${options.norms}|${options.B_u}`;

    if (optionsKey !== this.keys.length) {
      this.keys.length = optionsKey;
      await this.updateLengthPlots(model, options, result.T);
    } else {
      // Only the marker of the current T moved.
      this.moveLengthMarkers(result.T);
    }

    if (this.outputs.envelopesDetails.open) {
      const key = `${optionsKey}|${input.T}|${fingerprint(input.u)}`;
      if (key !== this.keys.envelopes) {
        this.keys.envelopes = key;
        this.updateEnvelopes(model, input, options);
      }
    }
    if (this.outputs.table1Details.open) {
      const key = `${optionsKey}|${result.T}`;
      if (key !== this.keys.table1) {
        this.keys.table1 = key;
        this.updateTable1(model, { ...options, T: result.T });
      }
    }
  }

  async updateLengthPlots(model, options, T) {
    try {
      this.curves = await computeLengthCurves(model, options);
    } catch (error) {
      this.keys.length = '';
      this.plots.capacity.clear();
      this.plots.s2.clear();
      showError(this.outputs.lengthMessage, error);
      return;
    }
    hideMessage(this.outputs.lengthMessage);
    const threshold = vacuousCapacity({ m: options.m, delta: options.delta, c_l: 1, l_l: 1 });
    const thresholdLog = threshold > 0 ? Math.log10(threshold) : -Infinity;
    const capacityRange = yRangeOf(this.curves, 'log10C_F', [thresholdLog]);
    this.lengthData = {
      capacity: {
        series: curveSeries(this.curves, 'log10C_F'),
        xRange: [LENGTH_RANGE.from, LENGTH_RANGE.to],
        yRange: capacityRange,
        shade: { from: Number.isFinite(thresholdLog) ? thresholdLog : capacityRange[0], to: capacityRange[1], label: `vacuous at m = ${formatNumber(options.m)}` },
        lines: Number.isFinite(thresholdLog) ? [{ y: thresholdLog, label: `C_F = ${formatNumber(threshold)}` }] : [],
      },
      s2: {
        series: curveSeries(this.curves, 'log10S2'),
        xRange: [LENGTH_RANGE.from, LENGTH_RANGE.to],
        yRange: yRangeOf(this.curves, 'log10S2'),
      },
    };
    this.moveLengthMarkers(T);
  }

  moveLengthMarkers(T) {
    if (!this.lengthData) return;
    const marker = { x: Math.max(LENGTH_RANGE.from, T), label: `T = ${T}` };
    this.plots.capacity.setData({ ...this.lengthData.capacity, marker });
    this.plots.s2.setData({ ...this.lengthData.s2, marker });
    renderLegend(this.outputs.capacityLegend, this.curves, 'log10C_F', 'C_F', Math.max(LENGTH_RANGE.from, T));
    renderLegend(this.outputs.s2Legend, this.curves, 'log10S2', 'S₂', Math.max(LENGTH_RANGE.from, T));
  }

  updateEnvelopes(model, input, options) {
    const work = input.T * input.T * model.d * model.N;
    if (work > ENVELOPE_WORK_LIMIT) {
      this.plots.decay.clear();
      this.plots.alpha.clear();
      this.outputs.envelopesSteps.textContent = '';
      this.outputs.decayLegend.replaceChildren();
      this.outputs.alphaLegend.replaceChildren();
      showMessage(this.outputs.envelopesMessage, `The envelopes need every channel's full attention matrix: T²·d·N = ${formatValue(work, 2)} `
        + `at T = ${input.T}, above the page's limit of ${formatValue(ENVELOPE_WORK_LIMIT, 1)}. Shorten the input to see them.`);
      return;
    }
    let envelopes;
    try {
      envelopes = computeEnvelopes(model, input.u, { norms: options.norms });
    } catch (error) {
      this.keys.envelopes = '';
      this.plots.decay.clear();
      this.plots.alpha.clear();
      showError(this.outputs.envelopesMessage, error);
      return;
    }
    hideMessage(this.outputs.envelopesMessage);
    const xRange = [0, Math.max(1, envelopes.result.T - 1)];
    this.plots.decay.setData({ series: envelopes.decay.series, xRange, yRange: seriesRange(envelopes.decay.series) });
    this.plots.alpha.setData({ series: envelopes.alpha.series, xRange, yRange: seriesRange(envelopes.alpha.series) });
    renderSeriesLegend(this.outputs.decayLegend, envelopes.decay.series);
    renderSeriesLegend(this.outputs.alphaLegend, envelopes.alpha.series);
    this.outputs.envelopesSteps.textContent = describeStepSizes(envelopes.result);
  }

  updateTable1(model, options) {
    try {
      const result = renderTable1(this.outputs.table1.tBodies[0], model, options);
      this.outputs.table1Caption.textContent = describeTable1(result);
      hideMessage(this.outputs.table1Message);
    } catch (error) {
      this.keys.table1 = '';
      this.outputs.table1.tBodies[0].replaceChildren();
      showError(this.outputs.table1Message, error);
    }
  }

  /** Returns the bound and its settings for the JSON export. */
  exportData(model) {
    if (!this.result) return null;
    return {
      model: { d: model.d, N: model.N, K: model.K, vocab: model.vocab, s_A: model.sA, source: model.source },
      terms: this.result,
    };
  }

  readState() {
    return {
      m: this.controls.m.value,
      confidence: this.controls.delta.value,
      norms: this.controls.norms.value,
      inputNorm: this.controls.inputNorm.value,
    };
  }

  applyState(state) {
    this.controls.m.value = state.m;
    this.controls.delta.value = state.confidence;
    this.controls.norms.value = state.norms;
    this.controls.inputNorm.value = state.inputNorm;
  }
}

function describeVacuous(result) {
  const loss = `the loss range c_l = ${formatNumber(result.c_l)}`;
  if (result.gap_bound === null) {
    return `The bound is vacuous: c_l √m = ${formatNumber(result.c_l * Math.sqrt(result.m))} is not larger than `
      + `3 l_l C_F = ${formatCapacity(result, 3 * result.l_l)}, so the bound says nothing beyond ${loss}. `
      + 'A larger m, or a smaller C_F (smaller norms, or a shorter T when ρ_A ≥ 1), makes it informative.';
  }
  return `The bound is vacuous: the gap bound ${formatNumber(result.gap_bound)} is not below ${loss}.`;
}

/**
 * Explains C_F = 0 for A = 0: the capacity term (14) has the factor
 * B_A = ‖A_c‖₂, so it vanishes, and the case falls under the linear-attention
 * result instead.
 */
function describeZeroDecay(result) {
  return 'With A = 0 the capacity term C_F has the factor B_A = ‖A_c‖₂ = 0, so C_F = 0 and the gap bound keeps only its confidence term. '
    + `This case is covered by the paper's Proposition 3.4 instead (when also Δ = 1, it is linear attention): C_F,LA = ${formatCapacityOf(result, 'C_F_linear_attention')}, linear in T.`;
}

function formatCapacityOf(result, name) {
  if (result[name] !== null) return formatNumber(result[name]);
  return `10^${formatValue(result.log10[name], 5)}`;
}

function formatCapacity(result, factor) {
  if (result.C_F !== null) return formatNumber(factor * result.C_F);
  return `10^${formatValue(result.log10.C_F + Math.log10(factor), 5)}`;
}

