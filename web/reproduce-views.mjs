// The Reproduce view's results as tables, plot data and CSV rows, built
// from summarizeLength and summarizeStability (wasm/experiment.mjs).
// Tables are built with DOM calls, never innerHTML. Every number cell is a
// <data> element whose value attribute is the exact mean.
import { formatValue } from './heatmap.mjs';
import { element, formatNumber } from './panels.mjs';
import { lineSample } from './plots.mjs';

const TRAIN_STYLE = { color: '--plot-negative', dash: [], width: 2 };
const TEST_STYLE = { color: '--plot-positive', dash: [7, 4], width: 2 };
const GAP_STYLE = { color: '--plot-current', dash: [], width: 2 };
const CAPACITY_STYLE = { color: '--plot-current', dash: [], width: 2 };
// The largest number of T values whose points the length plots mark with dots.
const MAX_DOTTED_POINTS = 200;
// Dash patterns of the stability curves, by rank of |s_A(0)| within its sign.
const STABILITY_DASHES = [[], [7, 4], [2, 3], [10, 3, 2, 3], [4, 2], [1, 2]];

/** Formats a signed number with a real minus sign and an explicit plus. */
export function formatSigned(value) {
  if (value === 0) return '0';
  return `${value > 0 ? '+' : ''}${formatValue(value)}`;
}

/**
 * Returns "mean ± std" for a { mean, std, n } summary, or '–' when no run
 * has a value. When runs (the runs of the row) is larger than n, the text
 * adds how many runs the mean covers, as in "0.38 (1 of 2 runs)", because
 * a diverged run can have no accuracy.
 */
function formatMeanStd({ mean, std, n }, format = formatNumber, runs = n) {
  if (n === 0 || mean === null) return '–';
  const text = n === 1 ? format(mean) : `${format(mean)} ± ${formatNumber(std)}`;
  return n < runs ? `${text} (${n} of ${runs} runs)` : text;
}

/** Creates a table cell with the mean ± std as text and the exact mean in a <data> element. */
function statisticCell(column, statistic, format, runs) {
  const text = formatMeanStd(statistic, format, runs);
  const content = statistic.n === 0 ? text : element('data', { value: String(statistic.mean) }, text);
  return element('td', { 'data-column': column }, content);
}

// The <tr> built for each summary row object. RunSummary keeps the object of
// a row whose runs did not change, so its element is reused, not rebuilt.
const rowElements = new WeakMap();

/**
 * Makes parent's children the nodes, in order, with the fewest DOM moves:
 * nodes that stay are not touched, so a table of thousands of rows that
 * gains one costs one insertion.
 */
export function syncChildren(parent, nodes) {
  const keep = new Set(nodes);
  for (const child of [...parent.children]) {
    if (!keep.has(child)) child.remove();
  }
  let current = parent.firstElementChild;
  for (const node of nodes) {
    if (node === current) current = current.nextElementSibling;
    else parent.insertBefore(node, current);
  }
}

/**
 * Fills table's head with titles and its body with a row per summary row,
 * built by buildRow unless built before. Each cell gets its column title
 * as data-label for the narrow-screen layout.
 */
function fillTable(table, titles, summaryRows, buildRow) {
  const head = titles.join('\n');
  if (table.dataset.columns !== head) {
    table.dataset.columns = head;
    table.tHead.replaceChildren(element('tr', {}, ...titles.map((title) => element('th', { scope: 'col' }, title))));
  }
  const rows = summaryRows.map((summaryRow) => {
    let row = rowElements.get(summaryRow);
    if (!row) {
      row = buildRow(summaryRow);
      Array.from(row.cells).forEach((cell, i) => cell.setAttribute('data-label', titles[i]));
      rowElements.set(summaryRow, row);
    }
    return row;
  });
  syncChildren(table.tBodies[0], rows);
}

/** Empties table's head and body. */
export function clearTable(table) {
  delete table.dataset.columns;
  table.tHead.replaceChildren();
  table.tBodies[0].replaceChildren();
}

/** Returns "1 of 5" style counts. */
function countOf(count, total) {
  return `${count} of ${total}`;
}

/**
 * Fills table with the length experiment's rows. Each T gets the runs and
 * the mean ± sample std over seeds of the train and test accuracy, the gap
 * and the final s_A. The bound of the trained models follows: the mean
 * log10 C_F and the gap bound, or how many runs have a vacuous bound.
 */
export function renderLengthTable(table, summary) {
  const titles = ['T', 'Runs', 'Train accuracy', 'Test accuracy', 'Gap (train − test)', 'Final s_A', 'log₁₀ C_F', 'Gap bound'];
  fillTable(table, titles, summary.rows, (row) => {
    const runs = row.diverged ? `${row.runs} (${row.diverged} diverged)` : String(row.runs);
    let gapBound;
    if (row.vacuous === row.runs) gapBound = element('span', { className: 'vacuous' }, `vacuous (${countOf(row.vacuous, row.runs)})`);
    else if (row.vacuous > 0) gapBound = element('span', {}, formatMeanStd(row.gap_bound, formatNumber, row.runs), element('span', { className: 'vacuous' }, `, vacuous in ${countOf(row.vacuous, row.runs)}`));
    else gapBound = formatMeanStd(row.gap_bound, formatNumber, row.runs);
    return element('tr', { 'data-t': row.T },
      element('th', { scope: 'row' }, String(row.T)),
      element('td', { 'data-column': 'runs' }, runs),
      statisticCell('trainAccuracy', row.trainAccuracy, formatNumber, row.runs),
      statisticCell('testAccuracy', row.testAccuracy, formatNumber, row.runs),
      statisticCell('gap', row.gap, formatSigned, row.runs),
      statisticCell('finalSA', row.finalSA, formatSigned, row.runs),
      statisticCell('log10_C_F', row.log10_C_F, formatNumber, row.runs),
      element('td', { 'data-column': 'gapBound' }, gapBound));
  });
}

/**
 * Fills table with the stability experiment's rows: per initial s_A the
 * final s_A and accuracies (mean ± sample std over seeds), the failed runs
 * and the outcomes.
 */
export function renderStabilityTable(table, summary) {
  const titles = ['Initial s_A', 'Runs', 'Final s_A', 'Train accuracy', 'Test accuracy', 'Failed', 'Outcome'];
  fillTable(table, titles, summary, (row) => {
    const outcomes = Object.entries(row.outcomes)
      .map(([name, count]) => (row.runs === 1 ? name : `${name} (${count})`)).join(', ');
    return element('tr', { 'data-sa0': row.sA0 },
      element('th', { scope: 'row' }, formatSigned(row.sA0)),
      element('td', { 'data-column': 'runs' }, String(row.runs)),
      statisticCell('finalSA', row.finalSA, formatSigned, row.runs),
      statisticCell('trainAccuracy', row.trainAccuracy, formatNumber, row.runs),
      statisticCell('testAccuracy', row.testAccuracy, formatNumber, row.runs),
      element('td', { 'data-column': 'failed', className: row.failed ? 'vacuous' : null }, countOf(row.failed, row.runs)),
      element('td', { 'data-column': 'outcome' }, outcomes));
  });
}

/** Returns [lo, hi] padded by a tenth of the span; a single value gets ±pad. */
function paddedRange(values, { pad = 1, floor = -Infinity, ceiling = Infinity } = {}) {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  const margin = hi > lo ? (hi - lo) / 10 : pad;
  lo = Math.max(floor, lo - margin);
  hi = Math.min(ceiling, hi + margin);
  return hi > lo ? [lo, hi] : [lo - pad, hi + pad];
}

/** Returns the whole decades around a set of log10 values, at least one decade wide. */
function decadeRange(values) {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  const lo = Math.floor(Math.min(...finite));
  return [lo, Math.max(Math.ceil(Math.max(...finite)), lo + 1)];
}

const meanOf = (statistic) => (statistic.n > 0 ? statistic.mean : NaN);
const lowerOf = (statistic) => (statistic.n > 0 ? statistic.mean - statistic.std : NaN);
const upperOf = (statistic) => (statistic.n > 0 ? statistic.mean + statistic.std : NaN);

/**
 * Returns the LinePlot data of the length experiment, three plots against T.
 *   accuracy: train and test accuracy with mean ± std bands.
 *   gap: the gap with its mean ± std band, and its mean over T as a line.
 *   capacity: log10 C_F of the trained models, with the vacuous region shaded.
 * vacuousLog10 is log10 of the C_F at which the gap bound becomes vacuous at m.
 */
export function lengthPlotData(summary, { vacuousLog10 = null, m = null } = {}) {
  const T = summary.rows.map((row) => row.T);
  const xRange = T.length > 1 ? [T[0], T.at(-1)] : [T[0] - 1, T[0] + 1];
  // Dots at thousands of T values would only thicken the line and slow the drawing.
  const points = T.length <= MAX_DOTTED_POINTS;
  const seriesOf = (key, style) => ({
    ...style,
    points,
    x: T,
    y: summary.rows.map((row) => meanOf(row[key])),
    lower: summary.rows.map((row) => lowerOf(row[key])),
    upper: summary.rows.map((row) => upperOf(row[key])),
  });

  const accuracySeries = [seriesOf('trainAccuracy', TRAIN_STYLE), seriesOf('testAccuracy', TEST_STYLE)];
  const accuracyValues = accuracySeries.flatMap((series) => [...series.lower, ...series.upper]);
  const gapSeries = seriesOf('gap', GAP_STYLE);
  const { meanGap } = summary.flatness;
  const gapRange = paddedRange([...gapSeries.lower, ...gapSeries.upper, 0], { pad: 0.05 });

  const capacitySeries = { ...CAPACITY_STYLE, points, x: T, y: summary.rows.map((row) => meanOf(row.log10_C_F)) };
  const capacityValues = capacitySeries.y.filter(Number.isFinite);
  const hasThreshold = Number.isFinite(vacuousLog10);
  const capacityLo = Math.floor(Math.min(...capacityValues, hasThreshold ? vacuousLog10 : Infinity) - 0.5);
  const capacityHi = Math.ceil(Math.max(...capacityValues, hasThreshold ? vacuousLog10 : -Infinity) + 0.5);
  const capacityRange = capacityValues.length ? [capacityLo, Math.max(capacityHi, capacityLo + 1)] : [0, 1];
  return {
    accuracy: {
      series: accuracySeries,
      xRange,
      yRange: paddedRange(accuracyValues, { pad: 0.05, floor: 0, ceiling: 1 }),
    },
    gap: {
      series: [gapSeries],
      xRange,
      yRange: gapRange,
      lines: meanGap === null ? [] : [{ y: meanGap, label: `mean gap ${formatSigned(meanGap)}` }],
    },
    capacity: {
      series: [capacitySeries],
      xRange,
      yRange: capacityRange,
      shade: hasThreshold ? { from: vacuousLog10, to: capacityRange[1], label: `gap bound vacuous at m = ${m}` } : null,
      lines: hasThreshold ? [{ y: vacuousLog10, label: `C_F = ${formatNumber(10 ** vacuousLog10)}` }] : [],
    },
  };
}

/** Returns the plot style of the curves that start at sA0, among all initial values starts. */
function stabilityStyle(sA0, starts) {
  const sameSign = starts.filter((value) => Math.sign(value) === Math.sign(sA0)).map(Math.abs).sort((a, b) => a - b);
  const rank = sameSign.indexOf(Math.abs(sA0));
  let color = '--plot-zero';
  if (sA0 < 0) color = '--plot-negative';
  else if (sA0 > 0) color = '--plot-positive';
  // Curves further from 0 are drawn more opaque, so the sign picks the hue and |s_A(0)| the strength.
  const alpha = sameSign.length > 1 ? 0.45 + (0.55 * rank) / (sameSign.length - 1) : 1;
  return {
    color, alpha, dash: STABILITY_DASHES[rank % STABILITY_DASHES.length], width: 2,
  };
}

/**
 * Returns the LinePlot data of the stability experiment: s_A against the
 * epoch (one line per run, styled by its initial s_A, with s_A = 0 as a
 * reference line) and the training loss against the epoch (as log10). curves:
 * [{ sA0, sA: [per epoch], loss: [per epoch], divergedEpoch }], finished and
 * in progress, where divergedEpoch is the epoch in which a finished run
 * diverged (or null). A run that diverged in epoch 1 has only its initial
 * s_A (a point, which the plot marks) and no loss, which the loss plot's
 * note names. epochs: the length of the x axis.
 */
export function stabilityPlotData(curves, epochs) {
  const starts = [...new Set(curves.map((curve) => curve.sA0))].sort((a, b) => a - b);
  const xRange = [0, Math.max(1, epochs)];
  const sASeries = curves.map((curve) => ({
    ...stabilityStyle(curve.sA0, starts), x: curve.sA.map((_, epoch) => epoch), y: curve.sA,
  }));
  // The loss is drawn on a log axis, because one unstable epoch can exceed the others by orders of magnitude.
  const lossSeries = curves.map((curve) => ({
    ...stabilityStyle(curve.sA0, starts),
    x: curve.loss.map((_, epoch) => epoch),
    y: curve.loss.map((value) => (value === null || !(value > 0) ? NaN : Math.log10(value))),
  }));
  const noLoss = curves.filter((curve) => curve.divergedEpoch && !curve.loss.some((value) => value > 0));
  const note = noLoss.length === 0 ? null
    : `No loss to draw for ${[...new Set(noLoss.map((curve) => `s_A(0) = ${formatSigned(curve.sA0)} (diverged in epoch ${curve.divergedEpoch})`))].join(', ')}`;
  return {
    starts,
    sA: {
      series: sASeries,
      xRange,
      yRange: paddedRange([...sASeries.flatMap((series) => series.y), 0], { pad: 0.05 }),
      lines: [{ y: 0, label: 's_A = 0' }],
    },
    loss: {
      series: lossSeries,
      xRange,
      yRange: decadeRange(lossSeries.flatMap((series) => series.y)),
      note,
    },
  };
}


/** Fills list with legend entries: [{ style, text }]. */
export function renderLegend(list, entries) {
  list.replaceChildren(...entries.map(({ style, text }) => element('li', {}, lineSample(style), text)));
}

/** Returns the legend entries of the length plots. */
export function lengthLegends(summary) {
  const { meanGap, maxDeviation } = summary.flatness;
  return {
    accuracy: [
      { style: TRAIN_STYLE, text: 'train accuracy, mean ± std over seeds' },
      { style: TEST_STYLE, text: 'test accuracy, mean ± std over seeds' },
    ],
    gap: [{
      style: GAP_STYLE,
      text: meanGap === null
        ? 'gap, mean ± std over seeds'
        : `gap, mean ± std over seeds; mean over T ${formatSigned(meanGap)}, largest distance from it ${formatNumber(maxDeviation)}`,
    }],
    capacity: [{ style: CAPACITY_STYLE, text: 'log₁₀ C_F of the trained models, mean over seeds' }],
  };
}

/** Returns the legend entries of the stability plots: one per initial s_A, with its finished runs' outcome. */
export function stabilityLegend(starts, summary) {
  return starts.map((sA0) => {
    const row = summary.find((item) => item.sA0 === sA0);
    let text = `s_A(0) = ${formatSigned(sA0)}`;
    if (row) text += `: final s_A ${formatMeanStd(row.finalSA, formatSigned)}, ${Object.keys(row.outcomes).join(', ')}`;
    else text += ': training';
    return { style: stabilityStyle(sA0, starts), text };
  });
}

/** The columns of the per-run CSV, in order. */
export const RUN_COLUMNS = Object.freeze([
  'kind', 'task', 'T', 'seed', 'sA0', 'd', 'N', 'epochs', 'trainAccuracy', 'testAccuracy', 'gap',
  'trainLoss', 'testLoss', 'finalSA', 'failed', 'outcome', 'diverged', 'log10_C_F', 'gap_bound', 'vacuous', 'seconds',
]);

/** Returns one CSV record (as an array of values) per run, in the order of RUN_COLUMNS. */
export function runRecords(runs) {
  return runs.map((run) => RUN_COLUMNS.map((column) => {
    if (column === 'diverged') return run.diverged ? `epoch ${run.diverged.epoch}: ${run.diverged.message}` : '';
    if (column === 'log10_C_F' || column === 'gap_bound' || column === 'vacuous') return run.bound?.[column] ?? '';
    return run[column] ?? '';
  }));
}
