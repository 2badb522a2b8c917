// The ssm-lens page: reads the controls, runs the model on the input and
// shows its attention matrix, its prediction and its generalization bound.
// Every change schedules one update in the next animation frame; the views
// that take longer (thumbnails, plots, Table 1) follow in a later task.
// The whole state lives in the URL hash, so a link reproduces the picture.
import { AttentionFactors } from './factors.mjs';
import { downloadBlob, matrixToCsv } from './exports.mjs';
import { sharedScheduler } from './frame.mjs';
import {
  InputError, hideMessage, isExpectedError, showError, showMessage,
} from './messages.mjs';
import { AttentionPanel } from './page-attention.mjs';
import { BoundPanel } from './page-bound.mjs';
import { InputPanel } from './page-input.mjs';
import { ModelPanel } from './page-model.mjs';
import { renderPrediction } from './panels.mjs';
import { ReproducePanel } from './page-reproduce.mjs';
import {
  STATE_DEFAULTS, decodeState, encodeState, loadLastInput, saveLastInput,
} from './state.mjs';

/** Longer hashes are not written: browsers cap URLs at about 2 MB. */
const MAX_HASH_LENGTH = 1_000_000;
/**
 * The shortest time between two writes of the hash. Chromium ignores
 * history.replaceState calls beyond about 200 in 10 s, which dragging the
 * s_A slider would exceed, so writes in between are merged into one.
 */
const HASH_WRITE_INTERVAL_MS = 200;

const byId = (id) => document.getElementById(id);

/** Hash keys whose control is an <input type="number">, by control id. */
const NUMBER_FIELDS = {
  sA: 'model-sA', d: 'model-d', N: 'model-N', vocab: 'model-vocab', seed: 'model-seed', m: 'bound-m', confidence: 'bound-delta',
};

const outputs = {
  linkMessage: byId('link-message'),
  prediction: byId('prediction'),
  predictionMessage: byId('prediction-message'),
  shareLink: byId('share-link'),
  copyStatus: byId('copy-status'),
  exportError: byId('export-error'),
};

const page = {
  generation: 0,
  // The inputs of the last successful update, for the secondary views and the exports.
  last: null,
  secondaryTimer: 0,
  hashTimer: 0,
  lastHashWrite: -Infinity,
};

const scheduleUpdate = () => sharedScheduler.request(update, update);

const modelPanel = new ModelPanel({ onChange: scheduleUpdate });
const inputPanel = new InputPanel({
  onChange: scheduleUpdate,
  onRaiseVocabulary: (size) => {
    modelPanel.controls.random.vocab.value = String(size);
    scheduleUpdate();
  },
});
const attentionPanel = new AttentionPanel({ onChange: scheduleUpdate });
const boundPanel = new BoundPanel({ onChange: scheduleUpdate });
// The Reproduce view runs from its own controls; it only reaches the other panels through openTrainedModel.
new ReproducePanel({ onOpenModel: openTrainedModel });

// The update cycle -------------------------------------------------------------

function clearOutputs(reason) {
  page.last = null;
  attentionPanel.clear(reason);
  outputs.prediction.replaceChildren();
  showMessage(outputs.predictionMessage, reason);
  boundPanel.clear(reason);
}

/** Runs the forward pass and shows the logits; returns them, or null after an error. */
function updatePrediction(model, input) {
  try {
    const { logits } = model.forward(input.u);
    renderPrediction(outputs.prediction, logits, input.T);
    hideMessage(outputs.predictionMessage);
    return logits;
  } catch (error) {
    outputs.prediction.replaceChildren();
    showError(outputs.predictionMessage, error);
    return null;
  }
}

async function update() {
  const generation = ++page.generation;
  let model;
  try {
    model = await modelPanel.currentModel();
  } catch (error) {
    if (generation !== page.generation) return;
    if (!isExpectedError(error)) throw error;
    modelPanel.showError(error);
    clearOutputs('No model: fix the settings under Model.');
    writeState();
    return;
  }
  // A newer update started while the model was being built; it draws instead.
  if (generation !== page.generation) return;
  writeState();
  if (!model) return;
  modelPanel.showSummary(model);
  attentionPanel.updateViewOptions(model);

  const input = inputPanel.read(model, { canRaiseVocabulary: modelPanel.source === 'random' });
  if (!input) {
    clearOutputs('No valid input: fix the input above.');
    return;
  }
  const factors = new AttentionFactors(model, input.u);
  const logits = updatePrediction(model, input);
  attentionPanel.update({ model, input, logits, factors });
  boundPanel.update(model, input);
  page.last = { model, input };
  scheduleSecondary(generation);
}

/** Runs the slower views after the frame that drew the heatmap, unless a newer update came first. */
function scheduleSecondary(generation) {
  clearTimeout(page.secondaryTimer);
  page.secondaryTimer = setTimeout(async () => {
    if (generation !== page.generation || !page.last) return;
    attentionPanel.updateMultiples(page.last);
    await boundPanel.updateSecondary(page.last);
  }, 0);
}

/**
 * Makes a model trained in the Reproduce view the page's model through the
 * model-file path (so the summary names the file), with input as the page's
 * input and bound ({ m, delta, norms, inputNorm }) as the bound settings.
 * The variant is reset, so the views show the model as trained.
 */
async function openTrainedModel({ file, input, bound }) {
  if (input !== null) inputPanel.applyState({ format: 'ids', input });
  boundPanel.applyState({
    m: String(bound.m), confidence: String(bound.delta), norms: bound.norms, inputNorm: bound.inputNorm,
  });
  modelPanel.setVariant({ step: 'selective', A: 'on', shift: '0' });
  try {
    // The file control then names the file, as if the user had chosen it.
    const transfer = new DataTransfer();
    transfer.items.add(file);
    modelPanel.controls.file.files = transfer.files;
  } catch {
    // Browsers without a DataTransfer constructor leave the control empty; the model summary still names the file.
  }
  document.getElementById('attention-title').scrollIntoView({ block: 'start' });
  await modelPanel.loadFile(file);
}

// State in the URL hash and in localStorage ------------------------------------

function readState() {
  return {
    ...inputPanel.readState(),
    ...modelPanel.readState(),
    ...attentionPanel.readState(),
    ...boundPanel.readState(),
  };
}

/**
 * Writes the state after the current frame, and at most once per
 * HASH_WRITE_INTERVAL_MS, so that the write stays off the path from a
 * keystroke to the redrawn heatmap.
 */
function writeState() {
  if (page.hashTimer) return;
  const wait = Math.max(0, page.lastHashWrite + HASH_WRITE_INTERVAL_MS - performance.now());
  page.hashTimer = setTimeout(() => {
    page.hashTimer = 0;
    writeStateNow();
  }, wait);
}

/** Writes the controls' state into the hash (without a history entry), the share field and localStorage. */
function writeStateNow() {
  page.lastHashWrite = performance.now();
  const state = readState();
  let hash = encodeState(state, { always: ['format', 'input'] });
  const tooLong = 'The input is too long for a link';
  let note = '';
  if (hash.length > MAX_HASH_LENGTH) {
    hash = encodeState({ ...state, input: STATE_DEFAULTS.input }, { always: ['format'] });
    note = `${tooLong} (${state.input.length} characters), so the link keeps every setting but the input.`;
  }
  if (hash !== window.location.hash) {
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${hash}`);
  }
  if (outputs.shareLink.value !== window.location.href) outputs.shareLink.value = window.location.href;
  if (note) outputs.copyStatus.textContent = note;
  else if (outputs.copyStatus.textContent.startsWith(tooLong)) outputs.copyStatus.textContent = '';
  saveLastInput(state.format, state.input);
}

/** Sets every control from a hash; the first load falls back to the last session's input. */
function applyHash(hash, { firstLoad }) {
  const { state: fromHash, problems } = decodeState(hash);
  let saved = {};
  if (firstLoad && Object.keys(fromHash).length === 0) saved = loadLastInput() ?? {};
  const state = { ...STATE_DEFAULTS, ...saved, ...fromHash };
  if (state.source === 'file') {
    problems.push('This link was made with a model file from the sender’s computer, which a link cannot carry: choose the file under Model.');
  }
  inputPanel.applyState(state);
  modelPanel.applyState(state);
  const shift = Number(state.shift);
  if (!Number.isFinite(shift) || shift < -1 || shift > 1) {
    problems.push(`The link's s_A shift “${state.shift}” is not a number from −1 to 1; the slider shows ${modelPanel.controls.shift.value}.`);
  }
  problems.push(...attentionPanel.applyState(state));
  boundPanel.applyState(state);
  // A number field drops text that is not a number, so name the dropped value instead of reporting only an empty field.
  for (const [key, control] of Object.entries(NUMBER_FIELDS)) {
    const value = state[key];
    if (byId(control).value !== value) problems.push(`The link sets ${key} to “${value}”, which is not a number; the field is left empty.`);
  }
  if (problems.length) showMessage(outputs.linkMessage, problems.join(' '));
  else hideMessage(outputs.linkMessage);
}

// Share and export --------------------------------------------------------------

async function copyLink() {
  // A write may be waiting for its interval; the copied link must be the current state.
  clearTimeout(page.hashTimer);
  page.hashTimer = 0;
  writeStateNow();
  try {
    await navigator.clipboard.writeText(window.location.href);
    outputs.copyStatus.textContent = 'Link copied. Anyone who opens it sees this view.';
  } catch {
    // Without clipboard permission, select the link so that Ctrl+C copies it.
    outputs.shareLink.focus();
    outputs.shareLink.select();
    outputs.copyStatus.textContent = 'The browser did not allow copying: the link is selected, press Ctrl+C (⌘C) to copy it.';
  }
}

function viewName(view, k) {
  if (view === 'logit') return `logit${k ? `-${k}` : ''}`;
  return view === 'mean' ? 'mean' : `channel-${view}`;
}

/** Runs an export and shows its error next to the buttons. */
async function runExport(build) {
  hideMessage(outputs.exportError);
  try {
    if (!page.last || !attentionPanel.current) {
      throw new InputError('Nothing to export yet: the page shows no matrix. Fix the input or the model first.');
    }
    const [blob, fileName] = await build();
    downloadBlob(blob, fileName);
  } catch (error) {
    showError(outputs.exportError, error);
  }
}

byId('copy-link').addEventListener('click', copyLink);
byId('export-png').addEventListener('click', () => runExport(async () => {
  const { view, k } = attentionPanel.current;
  return [await attentionPanel.heatmap.toPngBlob(), `ssm-lens-${viewName(view, k)}.png`];
}));
byId('export-csv').addEventListener('click', () => runExport(async () => {
  const { view, k, pooled, T } = attentionPanel.current;
  const csv = matrixToCsv(attentionPanel.current);
  const suffix = pooled ? `-pooled-${attentionPanel.current.rowStarts.length - 1}` : '';
  return [new Blob([csv], { type: 'text/csv' }), `ssm-lens-alpha-${viewName(view, k)}-T${T}${suffix}.csv`];
}));
byId('export-json').addEventListener('click', () => runExport(async () => {
  const data = boundPanel.exportData(page.last.model);
  if (!data) throw new InputError('No bound to export: fix the bound settings first.');
  return [new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' }), 'ssm-lens-bound.json'];
}));

window.addEventListener('hashchange', () => {
  // A link to a section (#model-title) only scrolls; put the state back into the hash.
  const target = window.location.hash.slice(1);
  if (target && !target.includes('=') && document.getElementById(decodeURIComponent(target))) {
    writeStateNow();
    return;
  }
  applyHash(window.location.hash, { firstLoad: false });
  scheduleUpdate();
});

applyHash(window.location.hash, { firstLoad: true });
scheduleUpdate();
