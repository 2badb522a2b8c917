// <ssm-lens-view>: the attention matrix and the bound of one model on one
// input, as a custom element for tutorial pages. One script tag loads it:
//   <script type="module" src="…/web/ssm-lens-view.mjs"></script>
//   <ssm-lens-view sequence="0110100110" s-a="-0.1" view="mean"></ssm-lens-view>
// Each element has its own model, input and read-out, so a page can hold
// several. Attributes (all optional):
//   sequence   the input, read in the given format (default 0110100110)
//   format     ids | chars | words | table, as on the page (default ids)
//   model      URL of a model file (state-dict JSON or safetensors), relative
//              to the page; without it a seeded random model is used:
//   s-a, d, n, vocab, seed   the random model's s_A, d, N, vocabulary, seed
//              (defaults 0, 4, 4, 2, 0)
//   step       selective | fixed (Δ = 1);  decay  on | zero (A = 0)
//   linear-attention   present: step fixed and A = 0, causal linear attention
//   shift      added to every entry of A (a number)
//   view       mean | logit | a channel index (default mean)
//   scale      linear | symlog (default linear)
//   size       the largest width in CSS pixels (default 360)
//   show       which parts, separated by spaces: attention, readout, bound,
//              plot (S₂ against T) (default "attention readout bound")
//   m          training samples for the bound (default 1000)
import { SsmLensError, bound, randomModel } from '../wasm/index.mjs';
import {
  COMPARED_SPECTRAL_ABSCISSAS, LENGTH_RANGE, computeLengthCurves, curveSeries, formatLog10, renderLegend, yRangeOf,
} from './bound-views.mjs';
import { AttentionFactors } from './factors.mjs';
import {
  Heatmap, pooledStarts, unitStarts,
} from './heatmap.mjs';
import { applyVariant, fetchModel } from './models.mjs';
import { element, formatNumber } from './panels.mjs';
import { LinePlot } from './plots.mjs';
import { describeCellFactors, valueSymbol } from './readout.mjs';
import { parseInput } from './sequence.mjs';

const FULL_MATRIX_MAX_T = 1024;
const OVERVIEW_SIZE = 256;
const DEFAULT_SHOW = 'attention readout bound';
const PARTS = ['attention', 'readout', 'bound', 'plot'];

const STYLE = `
:host {
  display: block;
  max-width: 100%;
  color-scheme: light dark;
  --background: #ffffff;
  --text: #1a1a1a;
  --muted: #555b63;
  --border: #c5cad1;
  --error-text: #8f1d1d;
  --error-background: #fdecec;
  --heatmap-text: #1a1a1a;
  --heatmap-muted: #555b63;
  --heatmap-hatch: #b4bac2;
  --heatmap-frame: #555b63;
  --heatmap-cursor: #000000;
  --heatmap-background: #ffffff;
  --plot-current: #1a1a1a;
  --plot-negative: #0072b2;
  --plot-zero: #009e73;
  --plot-positive: #d55e00;
  --plot-grid: #dde1e6;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  font-size: 0.9rem;
  line-height: 1.4;
  color: var(--text);
}
@media (prefers-color-scheme: dark) {
  :host {
    --background: #15171a;
    --text: #e8eaed;
    --muted: #a7adb5;
    --border: #3d434a;
    --error-text: #ffb4ab;
    --error-background: #3b1714;
    --heatmap-text: #e8eaed;
    --heatmap-muted: #a7adb5;
    --heatmap-hatch: #4a5058;
    --heatmap-frame: #a7adb5;
    --heatmap-cursor: #ffffff;
    --heatmap-background: #15171a;
    --plot-current: #e8eaed;
    --plot-negative: #56b4e9;
    --plot-zero: #2fc79a;
    --plot-positive: #f08a4b;
    --plot-grid: #30353b;
  }
}
[hidden] { display: none !important; }
.frame { max-width: 100%; }
canvas { display: block; max-width: 100%; }
canvas:focus-visible { outline: 3px solid #1f5fbf; outline-offset: 2px; }
p { margin: 0.35rem 0 0; }
.error { color: var(--error-text); background: var(--error-background); border: 1px solid currentColor; border-radius: 6px; padding: 0.4rem 0.6rem; font-weight: 600; overflow-wrap: anywhere; }
.status { color: var(--muted); }
.readout { min-height: 1.4em; font-variant-numeric: tabular-nums; }
.readout .readout-line { font-weight: 600; }
.readout .readout-factors { color: var(--muted); }
table.factors { border-collapse: collapse; margin-top: 0.3rem; font-size: 0.8rem; display: block; max-width: 100%; overflow-x: auto; }
table.factors caption { text-align: left; color: var(--muted); }
table.factors th, table.factors td { text-align: right; padding: 0.05rem 0.5rem 0.05rem 0; white-space: nowrap; border-top: 1px solid var(--border); }
table.factors thead th { color: var(--muted); border-top: none; }
.bound { font-variant-numeric: tabular-nums; }
.legend { list-style: none; padding: 0; margin: 0.3rem 0 0; font-size: 0.8rem; }
.legend li { display: flex; gap: 0.35rem; align-items: baseline; overflow-wrap: anywhere; }
.line-sample { flex: none; }
`;

/** Returns the element's settings from its attributes, or throws SsmLensError naming the bad one. */
function readAttributes(host) {
  const number = (name, fallback, { integer = false, min = -Infinity, max = Infinity } = {}) => {
    const text = host.getAttribute(name);
    if (text === null || text.trim() === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      throw new SsmLensError(`attribute ${name}="${text}" must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
    }
    return value;
  };
  const choice = (name, choices, fallback) => {
    const value = host.getAttribute(name) ?? fallback;
    if (!choices.includes(value)) {
      throw new SsmLensError(`attribute ${name}="${value}" must be one of ${choices.join(', ')}`);
    }
    return value;
  };
  const linear = host.hasAttribute('linear-attention');
  const show = new Set((host.getAttribute('show') ?? DEFAULT_SHOW).split(/\s+/).filter(Boolean));
  for (const part of show) {
    if (!PARTS.includes(part)) throw new SsmLensError(`attribute show contains “${part}”; use ${PARTS.join(', ')}`);
  }
  const view = host.getAttribute('view') ?? 'mean';
  if (!/^(mean|logit|\d+)$/.test(view)) {
    throw new SsmLensError(`attribute view="${view}" must be mean, logit or a channel index`);
  }
  return {
    sequence: host.getAttribute('sequence') ?? '0110100110',
    format: choice('format', ['ids', 'chars', 'words', 'table'], 'ids'),
    modelUrl: host.getAttribute('model'),
    random: {
      sA: number('s-a', 0, { min: -100, max: 100 }),
      d: number('d', 4, { integer: true, min: 1, max: 64 }),
      N: number('n', 4, { integer: true, min: 1, max: 64 }),
      vocab: number('vocab', 2, { integer: true, min: 1, max: 4096 }),
      seed: number('seed', 0, { integer: true, min: 0, max: 2 ** 32 - 1 }),
    },
    variant: {
      step: linear ? 'fixed' : choice('step', ['selective', 'fixed'], 'selective'),
      A: linear ? 'zero' : choice('decay', ['on', 'zero'], 'on'),
      shift: number('shift', 0, { min: -100, max: 100 }),
    },
    view: /^\d+$/.test(view) ? Number(view) : view,
    scale: choice('scale', ['linear', 'symlog'], 'linear'),
    size: number('size', 360, { min: 120, max: 2000 }),
    show,
    m: number('m', 1000, { integer: true, min: 1, max: 1e15 }),
  };
}

export class SsmLensView extends HTMLElement {
  static get observedAttributes() {
    return ['sequence', 'format', 'model', 's-a', 'd', 'n', 'vocab', 'seed', 'step', 'decay', 'linear-attention',
      'shift', 'view', 'scale', 'size', 'show', 'm'];
  }

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.parts = {
      frame: element('div', { className: 'frame', part: 'frame' }),
      box: element('div', { className: 'heatmap-box' }),
      canvas: element('canvas', { tabindex: '0', role: 'img', part: 'heatmap' }),
      readout: element('div', { className: 'readout', 'aria-live': 'polite', part: 'readout' }),
      bound: element('p', { className: 'bound', part: 'bound' }),
      plotBox: element('div', { className: 'plot-box' }),
      plotCanvas: element('canvas', { role: 'img', part: 'plot' }),
      legend: element('ul', { className: 'legend' }),
      status: element('p', { className: 'status', role: 'status' }),
      error: element('p', { className: 'error', role: 'alert', hidden: true, part: 'error' }),
    };
    const p = this.parts;
    p.box.append(p.canvas);
    p.plotBox.append(p.plotCanvas);
    p.frame.append(p.box, p.readout, p.bound, p.plotBox, p.legend, p.status, p.error);
    root.append(style, p.frame);
    this.generation = 0;
    this.modelKey = '';
    this.modelPromise = null;
    this.context = null;
    this.renderTask = () => this.render();
  }

  connectedCallback() {
    if (!this.heatmap) {
      this.heatmap = new Heatmap(this.parts.canvas, {
        readout: this.parts.readout,
        describeCell: (cell, data) => describeCellFactors(cell, data, this.context ?? {}),
        fitHeight: false,
      });
      this.plot = new LinePlot(this.parts.plotCanvas, { xTitle: 'T', yTitle: 'S₂', height: 200 });
    }
    this.scheduleRender();
  }

  disconnectedCallback() {
    this.heatmap?.destroy();
    this.plot?.destroy();
    this.heatmap = null;
    this.plot = null;
  }

  attributeChangedCallback() {
    if (this.isConnected) this.scheduleRender();
  }

  scheduleRender() {
    // Attribute changes in one task (a script setting several) coalesce into one render.
    if (this.renderPending) return;
    this.renderPending = true;
    queueMicrotask(() => {
      this.renderPending = false;
      this.render();
    });
  }

  /** Returns the model for the settings, built once per distinct setting. */
  model(settings) {
    const key = JSON.stringify([settings.modelUrl, settings.random, settings.variant]);
    if (key !== this.modelKey) {
      this.modelKey = key;
      const base = settings.modelUrl ? fetchModel(settings.modelUrl, document.baseURI) : randomModel(settings.random);
      this.modelPromise = base.then((model) => applyVariant(model, settings.variant));
      this.modelPromise.catch(() => {
        // A failed load is tried again on the next render.
        if (this.modelKey === key) this.modelKey = '';
      });
    }
    return this.modelPromise;
  }

  async render() {
    if (!this.heatmap) return;
    const generation = ++this.generation;
    const p = this.parts;
    let settings;
    let model;
    try {
      settings = readAttributes(this);
      p.frame.style.width = `${settings.size}px`;
      this.heatmap.maxSize = settings.size;
      if (settings.modelUrl) p.status.textContent = 'Loading the model …';
      model = await this.model(settings);
      if (generation !== this.generation) return;
      p.status.textContent = '';
      this.input = this.show(model, settings);
      p.error.hidden = true;
    } catch (error) {
      if (generation !== this.generation) return;
      if (!(error instanceof SsmLensError)) throw error;
      this.heatmap.clear();
      this.plot.clear();
      p.readout.textContent = '';
      p.bound.textContent = '';
      p.legend.replaceChildren();
      p.status.textContent = '';
      p.error.textContent = `ssm-lens-view: ${error.message}.`;
      p.error.hidden = false;
      return;
    }
    if (settings.show.has('plot')) await this.showPlot(model, settings, generation);
  }

  /** Draws the attention and the bound line and returns the input { u, T }; throws SsmLensError for a bad input. */
  show(model, settings) {
    const p = this.parts;
    const parsed = parseInput(settings.format, settings.sequence);
    if (parsed.error) throw new SsmLensError(`sequence: ${parsed.error.replace(/\.$/, '')}`);
    const { u, T } = model.toInput(parsed.kind === 'table' ? parsed.values : parsed.tokens);
    const labels = parsed.labels ?? (parsed.tokens ? parsed.tokens.map(String) : null);
    const view = settings.view;
    if (typeof view === 'number' && view >= model.d) {
      throw new SsmLensError(`attribute view="${view}" must be a channel index below d = ${model.d}`);
    }
    const factors = new AttentionFactors(model, u);
    // The logit view explains the predicted class, as on the page.
    let k = 0;
    if (view === 'logit' && model.K > 1) {
      const { logits } = model.forward(u);
      k = logits.indexOf(Math.max(...logits));
    }
    this.context = { factors, view, k };
    const showAttention = settings.show.has('attention');
    p.box.hidden = !showAttention;
    p.readout.hidden = !showAttention || !settings.show.has('readout');
    this.heatmap.readout = p.readout.hidden ? null : p.readout;
    let viewName = `channel ${view}`;
    if (view === 'mean') viewName = 'the mean over channels';
    if (view === 'logit') viewName = 'the logit attribution';
    p.canvas.setAttribute('aria-label', `Attention matrix of ${viewName} for T = ${T} steps: rows are output steps t, columns input steps s`);

    if (showAttention) {
      if (T <= FULL_MATRIX_MAX_T) {
        const values = model.attention(u, view, { k });
        const starts = unitStarts(0, T);
        this.heatmap.setData({
          values, rowStarts: starts, colStarts: starts, rowLabels: labels, colLabels: labels,
          valueName: valueSymbol(view), scale: settings.scale,
        });
      } else {
        const size = Math.min(OVERVIEW_SIZE, T);
        const { values } = model.attentionPooled(u, view, { size, mode: 'mean', k });
        const starts = pooledStarts(T, size);
        this.heatmap.setData({ values, rowStarts: starts, colStarts: starts, valueName: valueSymbol(view), scale: settings.scale });
      }
    } else {
      this.heatmap.clear();
    }

    p.bound.hidden = !settings.show.has('bound');
    if (!p.bound.hidden) p.bound.textContent = describeBound(model, u, T, settings.m);
    p.plotBox.hidden = !settings.show.has('plot');
    p.legend.hidden = p.plotBox.hidden;
    return { u, T };
  }

  async showPlot(model, settings, generation) {
    const p = this.parts;
    // Every curve uses this input's B_u, so they differ only in s_A.
    const { B_u } = bound(model, { sequences: [this.input.u] });
    const curves = await computeLengthCurves(model, { B_u, m: settings.m });
    if (generation !== this.generation) return;
    this.plot.setData({
      series: curveSeries(curves, 'log10S2'),
      xRange: [LENGTH_RANGE.from, LENGTH_RANGE.to],
      yRange: yRangeOf(curves, 'log10S2'),
    });
    renderLegend(p.legend, curves, 'log10S2', 'S₂', LENGTH_RANGE.to);
    p.plotCanvas.setAttribute('aria-label', `S₂ against T from ${LENGTH_RANGE.from} to ${formatNumber(LENGTH_RANGE.to)} for this model and for s_A = ${COMPARED_SPECTRAL_ABSCISSAS.join(', ')}`);
  }
}

/**
 * Describes the bound in one sentence: ρ_A, S₂ at this T and for long
 * inputs, and whether the bound is vacuous.
 */
function describeBound(model, u, T, m) {
  const here = bound(model, { sequences: [u], m });
  const rho = here.rho_A ?? 10 ** here.log10.rho_A;
  let trend;
  if (here.B_A === 0) {
    // The capacity term (14) has the factor B_A = ‖A_c‖₂, so it is 0 and bounds nothing when A = 0.
    const later = bound(model, { sequences: [u], T: 10 * T, m });
    return `s_A = 0 and A = 0, so nothing decays. The paper's Proposition 3.4 gives this case the capacity C_F,LA = `
      + `${formatLog10(here.log10.C_F_linear_attention)} at T = ${T} and ${formatLog10(later.log10.C_F_linear_attention)} at T = ${10 * T}: linear in T.`;
  }
  if (rho < 1) {
    const far = bound(model, { sequences: [u], T: 1e15, m });
    trend = `S₂ levels off at ${formatNumber(far.S2)} as T grows: the bound does not depend on the length`;
  } else if (rho === 1) {
    trend = 'S₂ = T(T−1)/2 grows without limit as T grows';
  } else {
    const later = bound(model, { sequences: [u], T: Math.max(T, 1000), m });
    trend = `S₂ grows like T ρ_A^T, to ${formatLog10(later.log10.S2)} at T = ${later.T}: the bound depends on the length`;
  }
  const verdict = here.vacuous ? `at m = ${formatNumber(m)} the bound is vacuous` : `the gap bound is ${formatNumber(here.gap_bound)}`;
  return `s_A = ${formatNumber(model.sA)}, ρ_A = ${formatNumber(rho)}, S₂ = ${formatLog10(here.log10.S2)} at T = ${T}. ${trend}; ${verdict}.`;
}

if (!customElements.get('ssm-lens-view')) customElements.define('ssm-lens-view', SsmLensView);
