// The page's state as the URL hash, so that a link reproduces the picture,
// and the last input in localStorage, so that it survives a reload.
//
// The hash is a query string of control values, for example
//   #format=ids&input=0110&sA=-0.1&view=logit
// Keys equal to their default are left out, to keep links short. Values
// are strings, and the page validates them as it validates typed values,
// so a bad value in a link gets the same message next to its field.

/** Every key of the hash and its default value. */
export const STATE_DEFAULTS = Object.freeze({
  format: 'ids',
  input: '0110100110',
  source: 'random',
  modelUrl: '',
  sA: '0',
  d: '4',
  N: '4',
  vocab: '2',
  seed: '0',
  step: 'selective',
  A: 'on',
  shift: '0',
  view: 'mean',
  scale: 'linear',
  pool: 'mean',
  zoom: '',
  window: '128',
  m: '1000',
  confidence: '0.05',
  norms: 'spectral',
  inputNorm: 'vocabulary',
});

/** Keys whose value must be one of a list; the page's controls offer the same values. */
export const STATE_CHOICES = Object.freeze({
  format: ['ids', 'chars', 'words', 'table'],
  source: ['random', 'file', 'url'],
  step: ['selective', 'fixed'],
  A: ['on', 'zero'],
  scale: ['linear', 'symlog'],
  pool: ['mean', 'max'],
  window: ['64', '128', '256'],
  norms: ['spectral', 'frobenius'],
  inputNorm: ['vocabulary', 'sequence'],
});

const STORAGE_KEY = 'ssm-lens:last-input';

/**
 * Returns the hash (with its leading #) for a state object of strings.
 * Keys in always are written even when equal to their default: the page
 * restores the last session's input when a hash has no keys at all, so a
 * link must name its input.
 */
export function encodeState(state, { always = [] } = {}) {
  const parameters = new URLSearchParams();
  for (const [key, fallback] of Object.entries(STATE_DEFAULTS)) {
    const value = state[key];
    if (value === undefined || (value === fallback && !always.includes(key))) continue;
    parameters.set(key, value);
  }
  const text = parameters.toString();
  return text ? `#${text}` : '';
}

/**
 * Reads a hash into { state, problems }: state has every key of
 * STATE_DEFAULTS that the hash sets, as strings; problems lists messages
 * for unknown keys and for values outside STATE_CHOICES (those keys are
 * left out of state, so the default applies).
 */
export function decodeState(hash) {
  const parameters = new URLSearchParams(hash.replace(/^#/, ''));
  const state = {};
  const problems = [];
  for (const [key, value] of parameters) {
    if (!Object.hasOwn(STATE_DEFAULTS, key)) {
      problems.push(`The link sets ${quoteValue(key)}, which the page does not know; it was ignored.`);
      continue;
    }
    const choices = STATE_CHOICES[key];
    if (choices && !choices.includes(value)) {
      problems.push(`The link sets ${key} to ${quoteValue(value)}, which is not one of ${choices.join(', ')}; using ${STATE_DEFAULTS[key]}.`);
      continue;
    }
    state[key] = value;
  }
  return { state, problems };
}

function quoteValue(text) {
  return `“${text.length > 40 ? `${text.slice(0, 40)}…` : text}”`;
}

/** Saves the input format and text; storage that is full or disabled is skipped. */
export function saveLastInput(format, input) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ format, input }));
  } catch {
    // Private windows and full storage reject writes; the hash still keeps the input.
  }
}

/** Returns the saved { format, input }, or null when nothing valid is stored. */
export function loadLastInput() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    if (saved && STATE_CHOICES.format.includes(saved.format) && typeof saved.input === 'string') return saved;
  } catch {
    // Unreadable storage or text that is not JSON: start from the default input.
  }
  return null;
}
