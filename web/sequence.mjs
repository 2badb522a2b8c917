// Parsing of the input field into what the API takes: token ids, or a T×d
// table of numbers. The four input formats:
//   ids    bits or token ids: "0110" is one token per digit, "3, 12, 7" one per field
//   chars  free text, one token per character
//   words  free text, one token per word (runs of non-space characters)
//   table  a T×d table of numbers: one row per line, numbers separated by
//          commas, spaces or tabs (a pasted CSV or spreadsheet range)
// Text formats map each distinct symbol to a token id in order of first
// appearance, so "hello" is h→0, e→1, l→2, o→3, and typing more text
// never changes the ids of the symbols already typed.

export const INPUT_FORMATS = Object.freeze(['ids', 'chars', 'words', 'table']);

/** The largest finite float32; a table value beyond it cannot be stored. */
const FLOAT32_MAX = 3.4028234663852886e38;

// A decimal number as JavaScript's Number() reads it, without the
// hexadecimal, binary and empty forms that Number() also accepts.
const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE_PATTERN = /^[+-]?(nan|inf|infinity)$/i;

/**
 * Parses the input field. Returns, for the token formats,
 * { kind: 'tokens', tokens, labels, mapping, separated }, where labels are
 * the symbol of each step (null for ids) and mapping lists
 * { symbol, id, count } in id order (null for ids); for a table,
 * { kind: 'table', values: Float32Array, rows, columns, header };
 * and { error } with a message for the page when the text is invalid.
 */
export function parseInput(format, text) {
  switch (format) {
    case 'ids': return parseSequence(text);
    case 'chars': return parseSymbols(Array.from(text), 'character');
    case 'words': return parseSymbols(text.split(/\s+/).filter((word) => word !== ''), 'word');
    case 'table': return parseTable(text);
    default: return { error: `Unknown input format ${quote(String(format))}: use ids, chars, words or table.` };
  }
}

/**
 * Parses bits or token ids. Digits without separators are one token each,
 * so "0110" is [0, 1, 1, 0]. Once the text contains a comma or whitespace,
 * each field between separators is one token id, so "3, 12 7" is
 * [3, 12, 7]. Ids are not checked against a vocabulary here.
 */
export function parseSequence(text) {
  const trimmed = text.trim();
  if (trimmed.replaceAll(',', '').trim() === '') {
    return { error: 'The sequence is empty: type at least one token id, for example 0110.' };
  }

  if (!/[\s,]/.test(trimmed)) {
    const position = trimmed.search(/[^0-9]/);
    if (position >= 0) {
      return { error: `Invalid character ${quote(trimmed[position])} at position ${position + 1}: use digits 0–9, or token ids separated by commas or spaces. To type free text, choose the format “characters” or “words”.` };
    }
    return { kind: 'tokens', tokens: Array.from(trimmed, Number), labels: null, mapping: null, separated: false };
  }

  const fields = trimmed.split(/[\s,]+/).filter((field) => field !== '');
  const tokens = [];
  for (const [index, field] of fields.entries()) {
    if (!/^[0-9]+$/.test(field)) {
      return { error: `Invalid token id ${quote(field)} at step ${index}: token ids are whole numbers 0, 1, 2, …` };
    }
    const token = Number(field);
    if (!Number.isSafeInteger(token)) {
      return { error: `Token id ${field} at step ${index} is too large.` };
    }
    tokens.push(token);
  }
  return { kind: 'tokens', tokens, labels: null, mapping: null, separated: true };
}

/** Maps symbols (characters or words) to token ids in order of first appearance. */
function parseSymbols(symbols, kind) {
  if (symbols.length === 0) {
    return { error: `The text is empty: type at least one ${kind}.` };
  }
  const ids = new Map();
  const counts = [];
  const tokens = new Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    let id = ids.get(symbols[i]);
    if (id === undefined) {
      id = ids.size;
      ids.set(symbols[i], id);
      counts.push(0);
    }
    counts[id]++;
    tokens[i] = id;
  }
  const labels = symbols.map(displaySymbol);
  const mapping = [...ids.keys()].map((symbol, id) => ({ symbol: displaySymbol(symbol), id, count: counts[id] }));
  return { kind: 'tokens', tokens, labels, mapping, separated: false };
}

/** Returns a visible stand-in for white space and control characters. */
export function displaySymbol(symbol) {
  const visible = { ' ': '␣', '\n': '↵', '\r': '␍', '\t': '⇥' };
  if (visible[symbol]) return visible[symbol];
  if (symbol.length === 1 && symbol.charCodeAt(0) < 0x20) {
    return `U+${symbol.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return symbol;
}

/**
 * Parses a T×d table: rows on lines (or separated by semicolons), numbers
 * separated by commas, spaces or tabs. A first line without any number is
 * taken as a header and skipped. A JSON array of rows is accepted too.
 */
export function parseTable(text) {
  const trimmed = text.trim();
  if (trimmed === '') {
    return { error: 'The table is empty: type one row of d numbers per line, for example 0.5, -1, 0, 2.' };
  }
  if (trimmed.startsWith('[')) return parseJsonTable(trimmed);

  const lines = trimmed.split(/\r?\n|;/).map((line) => line.trim()).filter((line) => line !== '');
  let header = null;
  const firstFields = splitFields(lines[0]);
  if (firstFields.every((field) => !NUMBER_PATTERN.test(field) && !NON_FINITE_PATTERN.test(field))) {
    header = firstFields;
    lines.shift();
    if (lines.length === 0) {
      return { error: 'The table has a header line but no rows of numbers.' };
    }
  }
  const rows = lines.map(splitFields);
  return checkRows(rows, header, header ? 2 : 1);
}

function splitFields(line) {
  return line.split(/[\s,]+/).filter((field) => field !== '');
}

function parseJsonTable(text) {
  let rows;
  try {
    rows = JSON.parse(text);
  } catch (error) {
    return { error: `The table is not valid JSON (${error.message}). Use one row of numbers per line, or a JSON array of rows.` };
  }
  if (!Array.isArray(rows) || rows.length === 0 || !rows.every(Array.isArray)) {
    return { error: 'A JSON table must be a non-empty array of rows, each an array of numbers: [[0.5, -1], [0, 2]].' };
  }
  return checkRows(rows.map((row) => row.map((value) => (typeof value === 'number' ? String(value) : JSON.stringify(value)))), null, 1);
}

/** Checks that every field is a finite number and every row has the same length. */
function checkRows(rows, header, firstLineNumber) {
  const columns = rows[0].length;
  const values = new Float32Array(rows.length * columns);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row.length !== columns) {
      return { error: `Row ${r + 1} has ${row.length} numbers, but row 1 has ${columns}: every row must have the same number of values (d, one per channel).`, line: r + firstLineNumber };
    }
    for (let c = 0; c < columns; c++) {
      const field = row[c];
      const where = `Row ${r + 1}, column ${c + 1}`;
      if (NON_FINITE_PATTERN.test(field)) {
        return { error: `${where} is ${field}: every value must be a finite number.` };
      }
      if (!NUMBER_PATTERN.test(field)) {
        return { error: `${where} is ${quote(field)}, not a number.` };
      }
      const value = Number(field);
      if (!(Math.abs(value) <= FLOAT32_MAX)) {
        return { error: `${where} is ${field}, beyond the float32 range (about 3.4e38).` };
      }
      values[r * columns + c] = value;
    }
  }
  return { kind: 'table', values, rows: rows.length, columns, header };
}

export function quote(text) {
  const excerpt = text.length > 20 ? `${text.slice(0, 20)}…` : text;
  return `“${excerpt}”`;
}
