// Formatting the command line's results: readable tables, JSON and CSV.
import { once } from 'node:events';

/** Writes text to stdout, waiting while its buffer is full. */
export async function write(text) {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** JSON with typed arrays as arrays; Infinity and NaN, which JSON cannot
 * hold, become null. */
export function toJson(value) {
  return JSON.stringify(value, (key, v) => {
    if (ArrayBuffer.isView(v)) return Array.from(v, (x) => (Number.isFinite(x) ? x : null));
    if (typeof v === 'number' && !Number.isFinite(v)) return null;
    return v;
  });
}

/** One CSV cell: empty for null, undefined, NaN and ±Infinity; quoted when needed. */
export function csvCell(value) {
  if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(cells) {
  return `${cells.map(csvCell).join(',')}\n`;
}

export function formatNumber(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value !== 'number') return String(value);
  if (value === 0 || (Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6)) return String(Number(value.toPrecision(6)));
  return value.toExponential(5);
}
