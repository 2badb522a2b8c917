// Reading the command line's inputs: model files, and sequences given as
// token ids, bits, text, a CSV or JSON file, or standard input.
import { readFileSync, statSync } from 'node:fs';

/** An invalid command line; the process exits with code 2. */
export class UsageError extends Error {}

// A state dict of the largest model (d = N = 4096) is well below this.
export const MAX_FILE_BYTES = 1 << 30;

/** Returns the number given as --name, or undefined when the option is absent. */
export function numberOption(values, name) {
  if (values[name] === undefined) return undefined;
  const text = values[name].trim();
  const value = Number(text);
  if (text === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${name} must be a number, got '${values[name]}'`);
  }
  return value;
}

/** Reads a file, rejecting devices, pipes and oversized files first. */
export function readInputFile(option, path) {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new UsageError(`${option}: cannot read '${path}' (${error.code ?? error.message})`);
  }
  if (!stats.isFile()) throw new UsageError(`${option}: '${path}' is not a regular file`);
  if (stats.size > MAX_FILE_BYTES) {
    throw new UsageError(`${option}: '${path}' has ${stats.size} bytes, above the limit of ${MAX_FILE_BYTES}`);
  }
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`${option}: cannot read '${path}' (${error.code ?? error.message})`);
  }
}

function parseBits(option, text) {
  if (!/^[01]+$/.test(text)) {
    throw new UsageError(`${option} must be a non-empty string of 0 and 1, got '${text}'`);
  }
  return Array.from(text, Number);
}

function parseTokens(option, text) {
  const parts = text.split(',').map((part) => part.trim());
  const tokens = parts.map(Number);
  const bad = parts.findIndex((part, i) => !/^\d+$/.test(part) || !Number.isSafeInteger(tokens[i]));
  if (bad >= 0) {
    throw new UsageError(`${option} must be comma-separated non-negative integers; item ${bad} is '${parts[bad]}'`);
  }
  return tokens;
}

/**
 * Maps each distinct character of text to a token id in order of first
 * appearance ('abca' is 0, 1, 2, 0). Returns { input, mapping }.
 */
export function textToTokens(text, vocab) {
  if (text.length === 0) throw new UsageError('--text must not be empty');
  const mapping = new Map();
  const tokens = [];
  for (const character of text) {
    if (!mapping.has(character)) mapping.set(character, mapping.size);
    tokens.push(mapping.get(character));
  }
  if (vocab !== undefined && mapping.size > vocab) {
    throw new UsageError(`--text has ${mapping.size} distinct characters, more than the model's vocabulary of ${vocab}; use a model with a larger vocabulary (for --random, --vocab ${mapping.size})`);
  }
  return { input: tokens, mapping: Object.fromEntries(mapping) };
}

/** Parses a T×d table: JSON (an array of rows) or CSV (one row per line). */
function parseTable(option, text) {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch (error) {
      throw new UsageError(`${option}: invalid JSON (${error.message})`);
    }
  }
  const rows = trimmed.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  return rows.map((line, r) => line.split(/[,\s]+/).filter((cell) => cell !== '').map((cell, c) => {
    const value = Number(cell);
    if (!Number.isFinite(value)) {
      throw new UsageError(`${option}: row ${r + 1}, column ${c + 1} is '${cell}', not a finite number`);
    }
    return value;
  }));
}

/**
 * Reads text from standard input, or from stdin's bytes when a test passes
 * them; a terminal gives no input.
 */
function readStandardInput() {
  if (process.stdin.isTTY) return null;
  try {
    return readFileSync(0, 'utf8');
  } catch (error) {
    if (error.code === 'EAGAIN' || error.code === 'EOF') return null;
    throw error;
  }
}

/**
 * Returns { input, mapping? } from --tokens, --bits, --text or --input, or
 * standard input when none is given and it is not a terminal. Standard
 * input may hold bits, comma-separated ids, or a T×d table as JSON or CSV.
 * required: throw when there is no input at all.
 */
export function readSequence(values, { vocab, required = true } = {}) {
  const given = ['tokens', 'bits', 'text', 'input'].filter((name) => values[name] !== undefined);
  if (given.length > 1) {
    throw new UsageError(`give one input, not ${given.map((name) => `--${name}`).join(' and ')}`);
  }
  const [option] = given;
  if (option === 'bits') return { input: parseBits('--bits', values.bits) };
  if (option === 'tokens') return { input: parseTokens('--tokens', values.tokens) };
  if (option === 'text') return textToTokens(values.text, vocab);
  if (option === 'input') return { input: parseTable('--input', readInputFile('--input', values.input).toString('utf8')) };

  const stdin = required ? readStandardInput() : null;
  if (stdin !== null && stdin.trim() !== '') {
    const text = stdin.trim();
    if (/^[01]+$/.test(text)) return { input: parseBits('standard input', text) };
    if (/^\d+(\s*,\s*\d+)*$/.test(text)) return { input: parseTokens('standard input', text) };
    return { input: parseTable('standard input', text) };
  }
  if (required) {
    throw new UsageError('an input is required: --tokens 0,1,1, --bits 0110, --text abc, --input FILE, or standard input');
  }
  return { input: null };
}
