// The page's input panel: the input format, the text field, its message,
// the symbol-to-id mapping of text input, and the random fill.
import { SsmLensError } from '../wasm/index.mjs';
import {
  markInvalid, readNumber, setText, showError, withFullStop,
} from './messages.mjs';
import { element } from './panels.mjs';
import { INPUT_FORMATS, parseInput } from './sequence.mjs';

const MAX_RANDOM_LENGTH = 100000;
/** Mapping entries listed under the field; the rest are counted. */
const MAX_MAPPING_ITEMS = 120;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const WORDS = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'to', 'it', 'was', 'red', 'big', 'old', 'new'];

const FORMAT_TEXT = {
  ids: {
    label: 'Sequence of bits or token ids',
    help: 'Digits without separators are one token each: 0110 is 0, 1, 1, 0. For ids of 10 or more, '
      + 'separate the ids with commas or spaces: 3, 12, 7. Every id must be below the vocabulary size. The page updates as you type.',
  },
  chars: {
    label: 'Text (one token per character)',
    help: 'Each character, spaces included, is one token. Ids follow the order in which the characters first appear, as listed '
      + 'under the field, so the vocabulary must have at least as many tokens as there are distinct characters.',
  },
  words: {
    label: 'Text (one token per word)',
    help: 'Each run of characters between spaces or line breaks is one token. Ids follow the order in which the words first '
      + 'appear, as listed under the field, so the vocabulary must have at least as many tokens as there are distinct words.',
  },
  table: {
    label: 'Table of numbers, one row per step',
    help: 'One row u[t] per line, with d numbers (one per channel) separated by commas, spaces or tabs: paste a CSV file or a '
      + 'spreadsheet range. A first line of column names is skipped. The rows are the input u itself, so the embedding is not used.',
  },
};

const byId = (id) => document.getElementById(id);

export class InputPanel {
  /** onChange(): called when the input changes; onRaiseVocabulary(size): the button that fixes a too-small vocabulary. */
  constructor({ onChange, onRaiseVocabulary }) {
    this.onChange = onChange;
    this.onRaiseVocabulary = onRaiseVocabulary;
    this.controls = {
      formats: INPUT_FORMATS.map((format) => byId(`format-${format}`)),
      sequence: byId('sequence'),
      randomLength: byId('random-length'),
      fillRandom: byId('fill-random'),
    };
    this.outputs = {
      label: byId('sequence-label'),
      help: byId('sequence-help'),
      error: byId('sequence-error'),
      errorText: byId('sequence-error-text'),
      raiseVocabulary: byId('raise-vocabulary'),
      summary: byId('sequence-summary'),
      mapping: byId('token-mapping'),
      mappingList: byId('token-mapping-list'),
    };
    this.parsed = null;
    this.parsedKey = '';
    this.lastVocabulary = 2;
    this.lastD = 4;

    this.controls.sequence.addEventListener('input', onChange);
    for (const radio of this.controls.formats) {
      radio.addEventListener('change', () => {
        this.updateFormatText();
        onChange();
      });
    }
    this.controls.fillRandom.addEventListener('click', () => this.fillRandom());
    this.outputs.raiseVocabulary.addEventListener('click', () => {
      this.onRaiseVocabulary(Number(this.outputs.raiseVocabulary.dataset.size));
    });
    this.updateFormatText();
  }

  get format() {
    return this.controls.formats.find((radio) => radio.checked)?.value ?? 'ids';
  }

  get text() {
    return this.controls.sequence.value;
  }

  updateFormatText() {
    const text = FORMAT_TEXT[this.format];
    this.outputs.label.textContent = text.label;
    this.outputs.help.textContent = text.help;
  }

  /** Parses the field, reusing the last result while the text and format are unchanged. */
  parse() {
    const key = `${this.format}\u0000${this.text}`;
    if (key !== this.parsedKey) {
      this.parsed = parseInput(this.format, this.text);
      this.parsedKey = key;
    }
    return this.parsed;
  }

  /**
   * Reads the input for model. Returns { u (Float32Array T×d), T, tokens,
   * labels, table } or null after showing the error next to the field.
   * canRaiseVocabulary: offer the button that enlarges the random model's vocabulary.
   */
  read(model, { canRaiseVocabulary }) {
    this.lastVocabulary = model.vocab || this.lastVocabulary;
    this.lastD = model.d;
    const parsed = this.parse();
    if (parsed.error) return this.fail(parsed.error);

    if (parsed.kind === 'table') {
      this.showMapping(null);
      if (parsed.columns !== model.d) {
        return this.fail(`The table has ${parsed.columns} ${parsed.columns === 1 ? 'column' : 'columns'}, but the model has d = ${model.d} channels: every row needs ${model.d} numbers.`);
      }
      try {
        const { u, T } = model.toInput(parsed.values);
        const rows = T === 1 ? 'row' : 'rows';
        return this.succeed({ u, T, tokens: null, labels: null, table: true }, `T = ${T} ${rows} of d = ${model.d} numbers${parsed.header ? ', after a header line' : ''}.`);
      } catch (error) {
        return this.fail(apiMessage(error));
      }
    }

    this.showMapping(parsed.mapping);
    const { tokens } = parsed;
    if (!model.embedding) {
      return this.fail(`This model has no embedding, so it cannot read token ids: choose the format “Table of numbers” and give d = ${model.d} numbers per row.`);
    }
    let largest = 0;
    for (const token of tokens) largest = Math.max(largest, token);
    if (largest >= model.vocab) {
      let message;
      if (parsed.mapping) {
        const kind = this.format === 'chars' ? 'characters' : 'words';
        message = `The text has ${parsed.mapping.length} distinct ${kind}, but the model’s vocabulary has ${model.vocab} tokens (ids 0 to ${model.vocab - 1}). `
          + `Raise the vocabulary size to at least ${parsed.mapping.length}, or use fewer distinct ${kind}.`;
      } else {
        const step = tokens.findIndex((token) => token >= model.vocab);
        message = `Token ids must be integers in 0..${model.vocab - 1} (vocabulary size ${model.vocab}), got ${tokens[step]} at step ${step}.`;
        if (parsed.separated && largest >= 10 && model.vocab <= 10) {
          message += ' Separators make each field one id: to read one token per digit, remove the commas and spaces.';
        }
      }
      return this.fail(message, canRaiseVocabulary && largest < 4096 ? largest + 1 : null);
    }
    let input;
    try {
      input = model.toInput(tokens);
    } catch (error) {
      return this.fail(apiMessage(error));
    }
    const T = tokens.length;
    const distinct = parsed.mapping ? parsed.mapping.length : new Set(tokens).size;
    const unit = { ids: 'step', chars: 'character', words: 'word' }[this.format] + (T === 1 ? '' : 's');
    const labels = parsed.labels ?? null;
    return this.succeed({ u: input.u, T, tokens, labels, table: false }, `T = ${T} ${unit}, ${distinct} distinct ${distinct === 1 ? 'token' : 'tokens'}.`);
  }

  succeed(input, summary) {
    markInvalid(this.controls.sequence, false);
    this.outputs.error.hidden = true;
    setText(this.outputs.summary, summary);
    return input;
  }

  /** Shows message next to the field; size, when given, offers to set the vocabulary to it. */
  fail(message, size = null) {
    markInvalid(this.controls.sequence, true);
    this.outputs.errorText.textContent = withFullStop(message);
    this.outputs.error.hidden = false;
    this.outputs.summary.textContent = '';
    const button = this.outputs.raiseVocabulary;
    button.hidden = size === null;
    if (size !== null) {
      button.textContent = `Set the vocabulary size to ${size}`;
      button.dataset.size = String(size);
    }
    return null;
  }

  showMapping(mapping) {
    this.outputs.mapping.hidden = !mapping;
    if (!mapping) {
      this.outputs.mappingList.replaceChildren();
      return;
    }
    const items = mapping.slice(0, MAX_MAPPING_ITEMS).map(({ symbol, id, count }) => element('li', {},
      element('span', { className: 'symbol' }, symbol), ` → ${id}`,
      count > 1 ? element('span', { className: 'count' }, ` ×${count}`) : null));
    if (mapping.length > MAX_MAPPING_ITEMS) items.push(element('li', {}, `and ${mapping.length - MAX_MAPPING_ITEMS} more`));
    this.outputs.mappingList.replaceChildren(...items);
  }

  /** Fills the field with a random input of the chosen length in the current format. */
  fillRandom() {
    let length;
    try {
      length = readNumber(this.controls.randomLength, { name: 'The length', min: 1, max: MAX_RANDOM_LENGTH, integer: true });
    } catch (error) {
      markInvalid(this.controls.randomLength, true);
      this.outputs.error.hidden = false;
      this.outputs.raiseVocabulary.hidden = true;
      showError(this.outputs.errorText, error);
      return;
    }
    markInvalid(this.controls.randomLength, false);
    const vocab = this.lastVocabulary;
    const pick = (count) => Math.floor(Math.random() * count);
    let text;
    if (this.format === 'chars') {
      const letters = LETTERS.slice(0, Math.min(vocab, LETTERS.length));
      text = Array.from({ length }, () => letters[pick(letters.length)]).join('');
    } else if (this.format === 'words') {
      const words = WORDS.slice(0, Math.min(vocab, WORDS.length));
      text = Array.from({ length }, () => words[pick(words.length)]).join(' ');
    } else if (this.format === 'table') {
      const row = () => Array.from({ length: this.lastD }, () => (Math.random() * 2 - 1).toFixed(3)).join(', ');
      text = Array.from({ length }, row).join('\n');
    } else {
      text = Array.from({ length }, () => pick(vocab)).join(vocab <= 10 ? '' : ', ');
    }
    this.controls.sequence.value = text;
    this.onChange();
  }

  readState() {
    return { format: this.format, input: this.text };
  }

  applyState({ format, input }) {
    for (const radio of this.controls.formats) radio.checked = radio.value === format;
    this.controls.sequence.value = input;
    this.updateFormatText();
  }
}

/** Returns an API error's message for the input field, without the API's 'input: ' prefix. */
function apiMessage(error) {
  if (!(error instanceof SsmLensError)) throw error;
  return error.message.replace(/^input: (\w)/, (match, letter) => letter.toUpperCase());
}
