// Messages next to the page's fields, and the reading of number controls.
// Every message is set as text, never as HTML, because it may quote the
// user's input or a value from a link.
import { SsmLensError } from '../wasm/index.mjs';

/** An invalid value in one of the page's own controls; control is the field to mark. */
export class InputError extends Error {
  constructor(message, control = null) {
    super(message);
    this.name = 'InputError';
    this.control = control;
  }
}

/** Returns whether error is one the page expects and explains (invalid input or a numerical failure). */
export function isExpectedError(error) {
  return error instanceof SsmLensError || error instanceof InputError || error?.name === 'FactorOverflowError';
}

/**
 * Returns message ending in a full stop. The first letter stays as it is,
 * because messages may start with a name such as d or a file name
 * (capitalizeFirst is for messages that start with an ordinary word).
 */
export function withFullStop(message) {
  const text = String(message).trim();
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Returns text with its first letter in upper case. */
export function capitalizeFirst(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Shows error's message in element; an error the page does not expect is also logged with its stack. */
export function showError(element, error) {
  if (!isExpectedError(error)) console.error(error);
  showMessage(element, withFullStop(error?.message ?? String(error)));
}

/** Sets element's text unless it is already that text, so that unchanged panels do not invalidate the layout. */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

export function showMessage(element, text) {
  element.textContent = text;
  element.hidden = false;
}

export function hideMessage(element) {
  if (element.hidden && element.textContent === '') return;
  element.textContent = '';
  element.hidden = true;
}

export function markInvalid(control, invalid) {
  if (invalid) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

/**
 * Reads a number control; throws InputError naming the value and its range.
 * An <input type="number"> holding text that is not a number (1e, --5 or
 * 1e999) reports an empty value with validity.badInput set, so that case
 * gets its own message instead of "is empty".
 */
export function readNumber(control, { name, min, max, integer }) {
  const text = control.value.trim();
  const value = Number(text);
  const kind = integer ? 'an integer' : 'a number';
  if (control.validity?.badInput) {
    throw new InputError(`${name} is not a number: type ${kind} from ${min} to ${max}.`, control);
  }
  if (text === '') {
    throw new InputError(`${name} is empty: type ${kind} from ${min} to ${max}.`, control);
  }
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new InputError(`${name} must be ${kind} from ${min} to ${max}, got ${text}.`, control);
  }
  return value;
}
