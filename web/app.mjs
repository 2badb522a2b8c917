// The ssm-lens page: reads the controls, runs the model on the typed
// sequence and shows its attention matrix, its prediction and the terms of
// its generalization bound. Every input event schedules one update per
// animation frame.
import { SsmLensError, bound, modelFromStateDict, randomModel } from '../wasm/index.mjs';
import { Heatmap, formatValue } from './heatmap.mjs';
import { formatNumber, renderBoundTable, renderPrediction } from './panels.mjs';
import { parseSequence } from './sequence.mjs';

// Longer inputs get a message in place of the heatmap: the matrix has T² cells
// (4 MiB of float32 at T = 1024), recomputed on every keystroke.
const MAX_DRAWN_T = 1024;

// Ranges of the random-model controls. The library accepts larger models, but
// the mean view costs about T²·d·N operations on every update.
const RANDOM_MODEL_RANGES = {
  sA: { name: 's_A', min: -100, max: 100, integer: false },
  d: { name: 'd', min: 1, max: 64, integer: true },
  N: { name: 'N', min: 1, max: 64, integer: true },
  vocab: { name: 'The vocabulary size', min: 1, max: 4096, integer: true },
  seed: { name: 'The seed', min: 0, max: 2 ** 32 - 1, integer: true },
};

const MAX_RANDOM_LENGTH = 100000;

/** An invalid value in one of the page's own controls. */
class InputError extends Error {
  constructor(message, control = null) {
    super(message);
    this.name = 'InputError';
    this.control = control;
  }
}

const byId = (id) => document.getElementById(id);

const controls = {
  sequence: byId('sequence'),
  randomLength: byId('random-length'),
  fillRandom: byId('fill-random'),
  sourceRandom: byId('source-random'),
  sourceFile: byId('source-file'),
  randomFields: byId('random-fields'),
  random: {
    sA: byId('model-sA'), d: byId('model-d'), N: byId('model-N'),
    vocab: byId('model-vocab'), seed: byId('model-seed'),
  },
  modelFile: byId('model-file'),
  view: byId('view'),
  boundM: byId('bound-m'),
  boundDelta: byId('bound-delta'),
  boundNorms: byId('bound-norms'),
  boundInputNorm: byId('bound-input-norm'),
};

const outputs = {
  sequenceError: byId('sequence-error'),
  modelSummary: byId('model-summary'),
  modelError: byId('model-error'),
  viewHelp: byId('view-help'),
  heatmapMessage: byId('heatmap-message'),
  heatmapCaption: byId('heatmap-caption'),
  prediction: byId('prediction'),
  predictionMessage: byId('prediction-message'),
  boundSummary: byId('bound-summary'),
  boundVacuous: byId('bound-vacuous'),
  boundMessage: byId('bound-message'),
  boundTable: byId('bound-table'),
};

const heatmap = new Heatmap(byId('heatmap'), { readout: byId('heatmap-readout') });

const state = {
  randomModel: null,
  randomModelKey: '',
  fileModel: null,
  fileName: '',
  fileError: null,
  lastModel: null,
  generation: 0,
  frame: 0,
};

// Messages and errors ---------------------------------------------------------

function isExpectedError(error) {
  return error instanceof SsmLensError || error instanceof InputError;
}

/**
 * Returns message ending in a full stop. The first letter stays as it is,
 * because messages may start with a name such as d or a file name.
 */
function withFullStop(message) {
  const text = message.trim();
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Shows error's message in element; an error that is not an input error is also logged with its stack. */
function showError(element, error) {
  if (!isExpectedError(error)) console.error(error);
  showMessage(element, withFullStop(error.message ?? String(error)));
}

function showMessage(element, text) {
  element.textContent = text;
  element.hidden = false;
}

function hideMessage(element) {
  element.textContent = '';
  element.hidden = true;
}

function markInvalid(control, invalid) {
  if (invalid) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

// Reading the controls -----------------------------------------------------

/** Reads a number control; throws InputError naming the value and its range. */
function readNumber(control, { name, min, max, integer }) {
  const text = control.value.trim();
  const value = Number(text);
  const kind = integer ? 'an integer' : 'a number';
  if (text === '') {
    throw new InputError(`${name} is empty: type ${kind} from ${min} to ${max}.`, control);
  }
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new InputError(`${name} must be ${kind} from ${min} to ${max}, got ${text}.`, control);
  }
  return value;
}

function readRandomSettings() {
  const settings = {};
  for (const [key, range] of Object.entries(RANDOM_MODEL_RANGES)) {
    settings[key] = readNumber(controls.random[key], range);
  }
  return settings;
}

/** Returns the model chosen on the page, creating a random one only when its settings changed. */
async function currentModel() {
  if (controls.sourceFile.checked) {
    if (state.fileError) throw state.fileError;
    if (!state.fileModel) throw new InputError('No model file loaded yet: choose a state-dict JSON file.', controls.modelFile);
    return state.fileModel;
  }
  const settings = readRandomSettings();
  const key = JSON.stringify(settings);
  if (key !== state.randomModelKey) {
    state.randomModel = await randomModel(settings);
    state.randomModelKey = key;
  }
  return state.randomModel;
}

function selectedView() {
  const value = controls.view.value;
  return value === 'mean' || value === 'logit' ? value : Number(value);
}

// Describing the model and the view -----------------------------------------

function showModelSummary(model) {
  const origin = controls.sourceFile.checked ? `${state.fileName}, ${model.source}` : model.source;
  const logits = model.K === 1 ? '1 logit' : `${model.K} logits`;
  outputs.modelSummary.textContent = `d = ${model.d}, N = ${model.N}, ${logits}, vocabulary of ${model.vocab} tokens, `
    + `s_A = ${formatNumber(model.sA)}. Source: ${origin}.`;
}

/** Rebuilds the view menu for d channels, keeping the chosen view when it still exists. */
function updateViewOptions(model) {
  const select = controls.view;
  if (Number(select.dataset.channels) === model.d) return;
  const previous = select.value || 'mean';
  const options = [
    new Option('mean over channels', 'mean'),
    new Option('logit attribution', 'logit'),
  ];
  for (let j = 0; j < model.d; j++) options.push(new Option(`channel ${j}`, String(j)));
  select.replaceChildren(...options);
  select.value = options.some((option) => option.value === previous) ? previous : 'mean';
  select.dataset.channels = String(model.d);
}

const SUBSCRIPT_DIGITS = '₀₁₂₃₄₅₆₇₈₉';

function subscript(number) {
  return String(number).split('').map((digit) => SUBSCRIPT_DIGITS[digit]).join('');
}

/** Returns the symbol of the viewed value, for the colour bar and the read-out. */
function valueSymbol(view) {
  if (view === 'mean') return 'ᾱ';
  if (view === 'logit') return 'c';
  return `α${subscript(view)}`;
}

function describeView(view, model, k) {
  if (view === 'mean') {
    return `ᾱ[t,s] = (1/d) Σⱼ αⱼ[t,s], the mean over the d = ${model.d} channels of the weight with which input u[s] enters output y[t].`;
  }
  if (view === 'logit') {
    const logitName = model.K === 1 ? 'the logit' : `logit k = ${k} (the largest)`;
    return `c[t,s] = Σⱼ Wₖⱼ αⱼ[t,s] uⱼ[s], the contribution of input step s to ${logitName} read out at step t. Each row sums to that logit.`;
  }
  return `α${subscript(view)}[t,s] = Δ[s] Σₙ C[t]ₙ exp(A${subscript(view)}ₙ (Λ[t] − Λ[s])) B[s]ₙ, the weight of input u${subscript(view)}[s] in output y${subscript(view)}[t] for channel ${view}.`;
}

function updateViewHelp(view) {
  const help = {
    mean: 'The mean over channels of the attention weights αⱼ[t,s]: how strongly each input step feeds each output step.',
    logit: 'How much each input step adds to the logit: the sum of row t is the logit the readout would give at step t.',
  };
  outputs.viewHelp.textContent = help[view]
    ?? `The attention weights of channel ${view} alone.`;
}

// The three panels ---------------------------------------------------------

function clearOutputs(reason) {
  heatmap.clear();
  outputs.heatmapCaption.textContent = '';
  showMessage(outputs.heatmapMessage, reason);
  outputs.prediction.replaceChildren();
  showMessage(outputs.predictionMessage, reason);
  outputs.boundTable.tBodies[0].replaceChildren();
  outputs.boundTable.hidden = true;
  outputs.boundSummary.textContent = '';
  hideMessage(outputs.boundVacuous);
  showMessage(outputs.boundMessage, reason);
}

/** Runs the forward pass and shows the logits; returns them, or null after an error. */
function updatePrediction(model, tokens) {
  try {
    const { logits } = model.forward(tokens);
    renderPrediction(outputs.prediction, logits, tokens.length);
    hideMessage(outputs.predictionMessage);
    return logits;
  } catch (error) {
    outputs.prediction.replaceChildren();
    showError(outputs.predictionMessage, error);
    return null;
  }
}

function updateAttention(model, tokens, logits) {
  const T = tokens.length;
  const view = selectedView();
  updateViewHelp(view);
  if (T > MAX_DRAWN_T) {
    heatmap.clear();
    outputs.heatmapCaption.textContent = '';
    showMessage(outputs.heatmapMessage, `This sequence has T = ${T} steps. The page draws the attention matrix only up to T = ${MAX_DRAWN_T}, because the full matrix has T² = ${T * T} cells. Shorten the sequence to see it; the prediction and the bound below use the whole sequence.`);
    return;
  }

  // For K logits, explain the predicted class; without logits the API picks the arg-max itself.
  const k = logits && logits.length > 1 ? logits.indexOf(Math.max(...logits)) : undefined;
  try {
    const values = model.attention(tokens, view, { k });
    const limit = heatmap.setData({ values, T, tokens, valueName: valueSymbol(view) });
    hideMessage(outputs.heatmapMessage);
    let caption = `${describeView(view, model, k ?? 0)} Blue is negative, red positive, near-white 0; `
      + `the colour scale runs symmetrically to ±${formatValue(limit, 4)}, the largest |value|. `
      + 'Hatched cells (s > t) are zero because the model is causal. Steps count from 0.';
    if (view === 'logit') {
      let lastRowSum = 0;
      for (let s = 0; s < T; s++) lastRowSum += values[(T - 1) * T + s];
      caption += ` The last row sums to ${formatValue(lastRowSum, 5)}`;
      caption += logits ? `; the model’s logit is ${formatValue(logits[k ?? 0], 5)}.` : '.';
    }
    outputs.heatmapCaption.textContent = caption;
  } catch (error) {
    heatmap.clear();
    outputs.heatmapCaption.textContent = '';
    showError(outputs.heatmapMessage, error);
  }
}

function readBoundOptions(tokens) {
  const m = readNumber(controls.boundM, { name: 'm', min: 1, max: 1e15, integer: true });
  const delta = readNumber(controls.boundDelta, { name: 'δ', min: 0, max: 1, integer: false });
  if (delta === 0 || delta === 1) {
    throw new InputError(`δ must lie strictly between 0 and 1, got ${delta}.`, controls.boundDelta);
  }
  const options = { m, delta, norms: controls.boundNorms.value };
  // B_u bounds every admissible input: by default any token may appear, so it is the largest embedding row norm.
  if (controls.boundInputNorm.value === 'sequence') options.sequences = [tokens];
  else options.T = tokens.length;
  return options;
}

function describeVacuous(result) {
  const loss = `the loss range c_l = ${formatNumber(result.c_l)}`;
  if (result.gap_bound === null) {
    return `The bound is vacuous: c_l √m = ${formatNumber(result.c_l * Math.sqrt(result.m))} is not larger than `
      + `3 l_l C_F = ${formatC_F(result, 3 * result.l_l)}, so the bound says nothing beyond ${loss}. `
      + 'A larger m, or a smaller C_F (smaller norms, or a shorter T when ρ_A ≥ 1), makes it informative.';
  }
  return `The bound is vacuous: the gap bound ${formatNumber(result.gap_bound)} is not below ${loss}.`;
}

function formatC_F(result, factor) {
  if (result.C_F !== null) return formatNumber(factor * result.C_F);
  return `10^${formatValue(result.log10.C_F + Math.log10(factor), 5)}`;
}

function updateBound(model, tokens) {
  for (const control of [controls.boundM, controls.boundDelta]) markInvalid(control, false);
  try {
    const result = bound(model, readBoundOptions(tokens));
    renderBoundTable(outputs.boundTable.tBodies[0], result);
    outputs.boundTable.hidden = false;
    const source = controls.boundInputNorm.value === 'sequence' ? 'this sequence' : 'every token of the vocabulary';
    outputs.boundSummary.textContent = `For T = ${result.T} steps, B_u = ${formatNumber(result.B_u)} (the largest ‖u[t]‖₂ over ${source}), `
      + `m = ${result.m}, δ = ${result.delta}, c_l = ${result.c_l}, l_l = ${result.l_l}, ${result.norms} norms.`;
    if (result.vacuous) showMessage(outputs.boundVacuous, describeVacuous(result));
    else hideMessage(outputs.boundVacuous);
    hideMessage(outputs.boundMessage);
  } catch (error) {
    if (error.control) markInvalid(error.control, true);
    outputs.boundTable.tBodies[0].replaceChildren();
    outputs.boundTable.hidden = true;
    outputs.boundSummary.textContent = '';
    hideMessage(outputs.boundVacuous);
    showError(outputs.boundMessage, error);
  }
}

// The update cycle ------------------------------------------------------------

/** Schedules one update for the next animation frame; repeated calls coalesce. */
function scheduleUpdate() {
  if (state.frame) return;
  state.frame = requestAnimationFrame(() => {
    state.frame = 0;
    update().catch((error) => {
      // Only a bug in this page gets here: every expected error is shown where it arises.
      console.error(error);
      clearOutputs(`The page failed unexpectedly: ${error.message}`);
    });
  });
}

async function update() {
  const generation = ++state.generation;
  for (const control of Object.values(controls.random)) markInvalid(control, false);
  markInvalid(controls.modelFile, false);

  let model;
  try {
    model = await currentModel();
  } catch (error) {
    if (generation !== state.generation) return;
    if (error.control) markInvalid(error.control, true);
    outputs.modelSummary.textContent = '';
    showError(outputs.modelError, error);
    clearOutputs('No model: fix the model settings above.');
    return;
  }
  // A newer update started while the model was being created; it will draw instead.
  if (generation !== state.generation) return;
  hideMessage(outputs.modelError);
  state.lastModel = model;
  showModelSummary(model);
  updateViewOptions(model);

  const tokens = readTokens(model);
  if (!tokens) return;

  const logits = updatePrediction(model, tokens);
  updateAttention(model, tokens, logits);
  updateBound(model, tokens);
}

/** Parses the sequence field and checks the ids against the model; shows the error and returns null if invalid. */
function readTokens(model) {
  const parsed = parseSequence(controls.sequence.value);
  let message = parsed.error;
  if (!message) {
    try {
      model.toInput(parsed.tokens);
    } catch (error) {
      if (!(error instanceof SsmLensError)) throw error;
      // After the 'input: ' prefix the API's messages start with a word ("token ids must …"), so capitalize it.
      message = withFullStop(error.message.replace(/^input: (\w)/, (match, letter) => letter.toUpperCase()));
      const hasMultiDigitId = parsed.separated && parsed.tokens.some((token) => token >= 10);
      if (hasMultiDigitId && model.vocab <= 10) {
        message += ' Separators make each field one id: to read one token per digit, remove the commas and spaces.';
      }
    }
  }
  markInvalid(controls.sequence, Boolean(message));
  if (message) {
    showMessage(outputs.sequenceError, message);
    clearOutputs('No valid sequence: fix the sequence above.');
    return null;
  }
  hideMessage(outputs.sequenceError);
  return parsed.tokens;
}

// Events --------------------------------------------------------------------

async function loadModelFile(file) {
  state.fileModel = null;
  state.fileError = null;
  state.fileName = file.name;
  try {
    state.fileModel = await modelFromStateDict(await file.text());
  } catch (error) {
    if (!isExpectedError(error)) console.error(error);
    state.fileError = new InputError(`${file.name}: ${error.message}`, controls.modelFile);
  }
  controls.sourceFile.checked = true;
  updateSourceFields();
  scheduleUpdate();
}

function updateSourceFields() {
  controls.randomFields.disabled = !controls.sourceRandom.checked;
}

function fillRandomSequence() {
  let length;
  try {
    length = readNumber(controls.randomLength, { name: 'The length', min: 1, max: MAX_RANDOM_LENGTH, integer: true });
  } catch (error) {
    markInvalid(controls.randomLength, true);
    showError(outputs.sequenceError, error);
    return;
  }
  markInvalid(controls.randomLength, false);
  const vocab = state.lastModel?.vocab || 2;
  const tokens = Array.from({ length }, () => Math.floor(Math.random() * vocab));
  controls.sequence.value = tokens.join(vocab <= 10 ? '' : ', ');
  scheduleUpdate();
}

function handleSourceChange() {
  updateSourceFields();
  scheduleUpdate();
}

const updatingControls = [
  controls.sequence, controls.view, controls.boundM, controls.boundDelta,
  controls.boundNorms, controls.boundInputNorm, ...Object.values(controls.random),
];
for (const control of updatingControls) control.addEventListener('input', scheduleUpdate);
controls.sourceRandom.addEventListener('change', handleSourceChange);
controls.sourceFile.addEventListener('change', handleSourceChange);
controls.fillRandom.addEventListener('click', fillRandomSequence);
controls.modelFile.addEventListener('change', () => {
  const [file] = controls.modelFile.files;
  if (file) loadModelFile(file);
});

updateSourceFields();
scheduleUpdate();
