// Line plots as PNG rasters for `ssm-lens experiment --png`: accuracy and
// gap against T, and s_A and the loss against the epoch, as in the figures
// of Honarpisheh et al. (NeurIPS 2025).
import { linearTicks, niceLinearStep } from '../../wasm/ticks.mjs';
import {
  LINE_HEIGHT, formatTick, textWidth,
} from './png.mjs';

const GRAY = [90, 90, 90];
const GRID = [225, 225, 225];
// Colour-blind-safe hues (Okabe–Ito), cycled for more series.
export const PALETTE = [
  [0, 114, 178], [213, 94, 0], [0, 158, 115], [204, 121, 167], [86, 180, 233],
  [230, 159, 0], [0, 0, 0], [240, 228, 66],
];

/** Returns about `count` round tick values covering [lo, hi]. */
function ticks(lo, hi, count = 6) {
  return linearTicks(lo, hi, niceLinearStep(hi - lo, count));
}

/** Draws a straight line of width 2 from (x0, y0) to (x1, y1); every `dash` pixels on, then off, when dash > 0. */
function line(raster, x0, y0, x1, y1, color, dash = 0) {
  const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  for (let i = 0; i <= steps; i++) {
    if (dash > 0 && Math.floor(i / dash) % 2 === 1) continue;
    const x = Math.round(x0 + ((x1 - x0) * i) / steps);
    const y = Math.round(y0 + ((y1 - y0) * i) / steps);
    raster.fill(x, y, 2, 2, color);
  }
}

/**
 * Draws one panel of line series into raster at (left, top), size
 * width×height including its title, y title (above the plot), axis labels
 * and legend. series: [{ label, color, points:
 * [[x, y, spread?]], dash? }], where spread draws an error bar of ± spread.
 * Points with a null or non-finite y are skipped.
 */
export function drawPanel(raster, { left, top, width, height }, { title, xTitle, yTitle, series, reference = null }) {
  const finite = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const plotLeft = left + textWidth('-0.000') + 14;
  const plotTop = top + 2 * LINE_HEIGHT + 12;
  const legendHeight = series.length * (LINE_HEIGHT + 2);
  const plotWidth = width - (plotLeft - left) - 10;
  const plotHeight = height - (plotTop - top) - 2 * LINE_HEIGHT - 16 - legendHeight;
  raster.text(plotLeft, top, title);
  raster.text(plotLeft, top + LINE_HEIGHT + 4, yTitle, GRAY);
  if (finite.length === 0 || plotWidth < 40 || plotHeight < 40) {
    raster.text(plotLeft, plotTop + 10, 'no finite values to plot', GRAY);
    return;
  }

  let [xLo, xHi] = [Math.min(...finite.map((p) => p[0])), Math.max(...finite.map((p) => p[0]))];
  const spreads = finite.map(([, y, spread]) => [y - (spread ?? 0), y + (spread ?? 0)]);
  let yLo = Math.min(...spreads.map((p) => p[0]), reference ?? Infinity);
  let yHi = Math.max(...spreads.map((p) => p[1]), reference ?? -Infinity);
  if (xHi === xLo) [xLo, xHi] = [xLo - 1, xHi + 1];
  if (yHi === yLo) [yLo, yHi] = [yLo - 1, yHi + 1];
  const pad = (yHi - yLo) * 0.05;
  [yLo, yHi] = [yLo - pad, yHi + pad];
  const toX = (x) => plotLeft + ((x - xLo) / (xHi - xLo)) * plotWidth;
  const toY = (y) => plotTop + (1 - (y - yLo) / (yHi - yLo)) * plotHeight;

  // Grid and tick labels.
  for (const y of ticks(yLo, yHi)) {
    const py = Math.round(toY(y));
    raster.fill(plotLeft, py, plotWidth, 1, GRID);
    const label = formatTick(y);
    raster.text(plotLeft - textWidth(label) - 6, py - 7, label, GRAY);
  }
  for (const x of ticks(xLo, xHi)) {
    const px = Math.round(toX(x));
    raster.fill(px, plotTop, 1, plotHeight, GRID);
    const label = formatTick(x);
    raster.text(px - textWidth(label) / 2, plotTop + plotHeight + 6, label, GRAY);
  }
  raster.fill(plotLeft, plotTop + plotHeight, plotWidth, 1, GRAY);
  raster.fill(plotLeft, plotTop, 1, plotHeight, GRAY);
  raster.text(plotLeft + plotWidth / 2 - textWidth(xTitle) / 2, plotTop + plotHeight + LINE_HEIGHT + 8, xTitle, GRAY);
  if (reference !== null) line(raster, plotLeft, toY(reference), plotLeft + plotWidth, toY(reference), GRAY, 4);

  // Series: lines between consecutive finite points, error bars, point markers.
  for (const { color, points, dash = 0 } of series) {
    const finitePoints = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    for (let i = 1; i < finitePoints.length; i++) {
      line(raster, toX(finitePoints[i - 1][0]), toY(finitePoints[i - 1][1]), toX(finitePoints[i][0]), toY(finitePoints[i][1]), color, dash);
    }
    for (const [x, y, spread] of finitePoints) {
      if (spread > 0) line(raster, toX(x), toY(y - spread), toX(x), toY(y + spread), color);
      // Markers only where there are few points (per T), not on per-epoch curves; a lone point always gets one.
      if (finitePoints.length <= 30) raster.fill(Math.round(toX(x)) - 2, Math.round(toY(y)) - 2, 5, 5, color);
    }
  }

  // Legend below the axis title.
  series.forEach(({ label, color, dash = 0 }, index) => {
    const y = plotTop + plotHeight + 2 * LINE_HEIGHT + 14 + index * (LINE_HEIGHT + 2);
    line(raster, plotLeft, y + 7, plotLeft + 24, y + 7, color, dash);
    raster.text(plotLeft + 32, y, label, GRAY);
  });
}
