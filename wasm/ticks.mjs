// Round tick values for linear plot axes, shared by the page's plots and
// the command line's PNG figures.

/**
 * Returns the multiples of step in [lo, hi], each computed as index × step
 * and rounded to 6 significant digits, so that float noise neither shows in
 * a label (0.30000000000000004) nor turns 0 into 2.8e-17.
 */
export function linearTicks(lo, hi, step) {
  const values = [];
  for (let index = Math.ceil(lo / step - 1e-9); index * step <= hi + step * 1e-9; index++) {
    values.push(index === 0 ? 0 : Number((index * step).toPrecision(6)));
  }
  return values;
}

/** Returns a round step (1, 2 or 5 times a power of 10) that splits span into about count parts. */
export function niceLinearStep(span, count) {
  const raw = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const factor = [1, 2, 5, 10].find((candidate) => normalized <= candidate) ?? 10;
  return factor * magnitude;
}
