// The page's model panel: the model source (seeded random, a file from
// this computer, or a file on this site), the variant (Δ = 1, A = 0, the
// s_A shift) and the model they give, built once per setting and cached.
import { modelFromFile, randomModel } from '../wasm/index.mjs';
import {
  InputError, hideMessage, isExpectedError, markInvalid, readNumber, setText, showError, showMessage,
} from './messages.mjs';
import { RANDOM_MODEL_RANGES, applyVariant, fetchModel, fileNameOf } from './models.mjs';
import { formatNumber } from './panels.mjs';

/** The number of built models kept; moving the s_A slider builds one per position. */
const CACHE_SIZE = 24;

const byId = (id) => document.getElementById(id);

export class ModelPanel {
  /** onChange(): called when a control or a finished load changes the model. */
  constructor({ onChange }) {
    this.onChange = onChange;
    this.controls = {
      sourceRandom: byId('source-random'),
      sourceFile: byId('source-file'),
      sourceUrl: byId('source-url'),
      randomFields: byId('random-fields'),
      random: {
        sA: byId('model-sA'), d: byId('model-d'), N: byId('model-N'),
        vocab: byId('model-vocab'), seed: byId('model-seed'),
      },
      file: byId('model-file'),
      url: byId('model-url'),
      loadUrl: byId('load-model-url'),
      stepSelective: byId('step-selective'),
      stepFixed: byId('step-fixed'),
      decayOn: byId('decay-on'),
      decayZero: byId('decay-zero'),
      linearAttention: byId('linear-attention'),
      selectiveSsm: byId('selective-ssm'),
      shift: byId('model-shift'),
      shiftValue: byId('model-shift-value'),
    };
    this.outputs = {
      summary: byId('model-summary'),
      status: byId('model-status'),
      error: byId('model-error'),
    };
    this.cache = new Map();
    // The last loaded file and URL model: { name, model } or { name, error }, or { name, pending } while loading.
    this.file = null;
    this.url = null;
    this.fileLoads = 0;
    this.listen();
    this.updateSourceFields();
    this.updateShiftText(null);
  }

  listen() {
    const c = this.controls;
    for (const control of Object.values(c.random)) control.addEventListener('input', this.onChange);
    for (const control of [c.sourceRandom, c.sourceFile, c.sourceUrl]) {
      control.addEventListener('change', () => {
        this.updateSourceFields();
        this.onChange();
      });
    }
    for (const control of [c.stepSelective, c.stepFixed, c.decayOn, c.decayZero]) control.addEventListener('change', this.onChange);
    c.shift.addEventListener('input', this.onChange);
    c.file.addEventListener('change', () => {
      const [file] = c.file.files;
      if (file) this.loadFile(file);
    });
    c.loadUrl.addEventListener('click', () => this.loadUrl(c.url.value));
    c.url.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.loadUrl(c.url.value);
      }
    });
    c.linearAttention.addEventListener('click', () => this.setVariant({ step: 'fixed', A: 'zero', shift: '0' }));
    c.selectiveSsm.addEventListener('click', () => this.setVariant({ step: 'selective', A: 'on', shift: '0' }));
  }

  /** Sets the variant controls (values as in the URL hash) and updates the page. */
  setVariant({ step, A, shift }) {
    const c = this.controls;
    c.stepFixed.checked = step === 'fixed';
    c.stepSelective.checked = step !== 'fixed';
    c.decayZero.checked = A === 'zero';
    c.decayOn.checked = A !== 'zero';
    c.shift.value = shift;
    this.onChange();
  }

  updateSourceFields() {
    const c = this.controls;
    c.randomFields.disabled = !c.sourceRandom.checked;
  }

  get source() {
    const c = this.controls;
    if (c.sourceFile.checked) return 'file';
    if (c.sourceUrl.checked) return 'url';
    return 'random';
  }

  /** Returns the variant controls as { step, A, shift }, with shift a number. */
  readVariant() {
    const c = this.controls;
    const shift = Number(c.shift.value);
    return {
      step: c.stepFixed.checked ? 'fixed' : 'selective',
      A: c.decayZero.checked ? 'zero' : 'on',
      shift: Number.isFinite(shift) ? Number(shift.toFixed(2)) : 0,
    };
  }

  readRandomSettings() {
    const settings = {};
    for (const [key, range] of Object.entries(RANDOM_MODEL_RANGES)) {
      settings[key] = readNumber(this.controls.random[key], range);
    }
    return settings;
  }

  /** Reads a chosen file and makes it the model source. */
  async loadFile(file) {
    const load = ++this.fileLoads;
    this.file = { name: file.name, pending: true, id: load };
    this.controls.sourceFile.checked = true;
    this.updateSourceFields();
    this.onChange();
    let result;
    try {
      result = { name: file.name, model: await modelFromFile(new Uint8Array(await file.arrayBuffer())), id: load };
    } catch (error) {
      if (!isExpectedError(error)) console.error(error);
      result = { name: file.name, error: new InputError(`${file.name}: ${error.message}`, this.controls.file), id: load };
    }
    // A file chosen later replaces this one, even if this one finishes last.
    if (load === this.fileLoads) {
      this.file = result;
      this.onChange();
    }
  }

  /**
   * Fetches the model at path (relative to the page) and makes it the
   * source. Only files on this page's own site are loaded, so a link
   * cannot make the page request another host.
   */
  async loadUrl(path) {
    const c = this.controls;
    c.url.value = path;
    c.sourceUrl.checked = true;
    this.updateSourceFields();
    const text = path.trim();
    let resolved = null;
    try {
      resolved = new URL(text, document.baseURI);
    } catch {
      // Reported below.
    }
    if (text === '') {
      this.url = { name: '', error: new InputError('The model path is empty: type the path of a model file on this site, for example examples/random-d4-n4.json.', c.url) };
    } else if (!resolved || resolved.origin !== window.location.origin) {
      this.url = { name: text, error: new InputError(`The model path “${text}” points to another site; the page loads model files only from its own site (${window.location.origin}).`, c.url) };
    } else {
      const load = { name: text, href: resolved.href, pending: true };
      this.url = load;
      this.onChange();
      try {
        load.model = await fetchModel(resolved.href);
      } catch (error) {
        if (!isExpectedError(error)) console.error(error);
        load.error = new InputError(`${fileNameOf(text)}: ${error.message}`, c.url);
      }
      load.pending = false;
      if (this.url !== load) return;
    }
    this.onChange();
  }

  /**
   * Returns the chosen model with its variant applied, or null while a
   * file or URL is still loading. Throws InputError for invalid settings
   * and the load's error for a file that failed.
   */
  async currentModel() {
    const c = this.controls;
    for (const control of [...Object.values(c.random), c.file, c.url]) markInvalid(control, false);
    let baseKey;
    let buildBase;
    if (this.source === 'random') {
      const settings = this.readRandomSettings();
      baseKey = `random:${JSON.stringify(settings)}`;
      buildBase = () => randomModel(settings);
    } else {
      const load = this.source === 'file' ? this.file : this.url;
      if (!load) {
        throw this.source === 'file'
          ? new InputError('No model file loaded yet: choose a state-dict JSON or safetensors file.', c.file)
          : new InputError('No model loaded yet: type the path of a model file on this site and press Load.', c.url);
      }
      if (load.pending) {
        showMessage(this.outputs.status, `Loading ${load.name} …`);
        return null;
      }
      if (load.error) throw load.error;
      baseKey = `${this.source}:${load.id ?? load.href}`;
      buildBase = async () => load.model;
    }
    hideMessage(this.outputs.status);

    const variant = this.readVariant();
    const base = await this.cached(baseKey, buildBase);
    const key = `${baseKey}|${variant.step}|${variant.A}|${variant.shift}`;
    const model = await this.cached(key, () => applyVariant(base, variant));
    this.updateShiftText(base, variant);
    return model;
  }

  /** Returns the cached result of build() under key, building it on first use. */
  async cached(key, build) {
    let promise = this.cache.get(key);
    if (promise) {
      // Move to the end: the least recently used entry goes first.
      this.cache.delete(key);
    } else {
      promise = build();
      promise.catch(() => this.cache.delete(key));
    }
    this.cache.set(key, promise);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value);
    return promise;
  }

  updateShiftText(base, variant = this.readVariant()) {
    const { shift } = variant;
    const shiftText = `${shift > 0 ? '+' : shift < 0 ? '−' : ''}${Math.abs(shift).toFixed(2)}`;
    if (!base) {
      setText(this.controls.shiftValue, shiftText);
      return;
    }
    const from = variant.A === 'zero' ? 0 : base.sA;
    setText(this.controls.shiftValue, `${shiftText}, so s_A = ${formatNumber(from + shift)}`);
    this.controls.shift.setAttribute('aria-valuetext', `${shiftText}, s_A = ${formatNumber(from + shift)}`);
  }

  /** Shows the model's sizes, s_A and source. */
  showSummary(model) {
    const logits = model.K === 1 ? '1 logit' : `${model.K} logits`;
    const vocabulary = model.embedding ? `vocabulary of ${model.vocab} tokens` : 'no embedding (input as a T×d table)';
    const origin = this.source === 'random' ? '' : `${(this.source === 'file' ? this.file : this.url).name}, `;
    setText(this.outputs.summary, `d = ${model.d}, N = ${model.N}, ${logits}, ${vocabulary}, `
      + `s_A = ${formatNumber(model.sA)}. Source: ${origin}${model.source}.`);
    hideMessage(this.outputs.error);
  }

  /** Shows a model error next to the controls and marks the control at fault. */
  showError(error) {
    if (error.control) markInvalid(error.control, true);
    this.outputs.summary.textContent = '';
    hideMessage(this.outputs.status);
    showError(this.outputs.error, error);
  }

  /** Returns the controls' values for the URL hash (see state.mjs). */
  readState() {
    const c = this.controls;
    const variant = this.readVariant();
    return {
      source: this.source,
      modelUrl: c.url.value.trim(),
      sA: c.random.sA.value,
      d: c.random.d.value,
      N: c.random.N.value,
      vocab: c.random.vocab.value,
      seed: c.random.seed.value,
      step: variant.step,
      A: variant.A,
      shift: String(variant.shift),
    };
  }

  /** Sets the controls from hash values (strings); starts loading a model URL. */
  applyState(state) {
    const c = this.controls;
    for (const key of Object.keys(c.random)) c.random[key].value = state[key];
    c.stepFixed.checked = state.step === 'fixed';
    c.stepSelective.checked = state.step !== 'fixed';
    c.decayZero.checked = state.A === 'zero';
    c.decayOn.checked = state.A !== 'zero';
    c.shift.value = state.shift;
    c.url.value = state.modelUrl;
    c.sourceRandom.checked = state.source === 'random';
    c.sourceFile.checked = state.source === 'file';
    c.sourceUrl.checked = state.source === 'url';
    this.updateSourceFields();
    if (state.source === 'url' && (this.url?.name !== state.modelUrl.trim())) this.loadUrl(state.modelUrl);
  }
}
