// Line plots on a canvas with a log-scale y axis (and a log or linear x
// axis): the bound and S₂ against T, and the realized envelopes against
// their bounds. Values are passed as base-10 logarithms, so terms beyond
// the double range (which the API keeps only as log10) can be drawn.
// With yLog false the y axis is linear and takes plain values instead
// (accuracies, s_A and losses of the Reproduce view).
import { linearTicks, niceLinearStep } from '../wasm/ticks.mjs';
import { sharedScheduler } from './frame.mjs';

const FONT_SIZE = 12;
const MARGIN = { top: 12, right: 14, bottom: 38, left: 54 };
const SUPERSCRIPTS = { '-': '⁻', '.': '·' };
'0123456789'.split('').forEach((digit, i) => {
  SUPERSCRIPTS[digit] = '⁰¹²³⁴⁵⁶⁷⁸⁹'[i];
});

/** Formats 10^exponent as "10⁶" (exponent an integer). */
export function powerOfTen(exponent) {
  if (exponent === 0) return '1';
  if (exponent === 1) return '10';
  const digits = String(exponent).split('').map((character) => SUPERSCRIPTS[character] ?? character).join('');
  return `10${digits}`;
}

/**
 * A plot of several series on one canvas that fills its parent's width.
 * Series: { color (a CSS custom property name such as '--plot-1'), dash
 * (a line-dash array), width, x (values), y (log10 values, or plain values
 * on a linear y axis; NaN for a gap) }, and optionally alpha (the line's
 * opacity), points (true to mark every point with a dot) and lower, upper
 * (arrays beside y: a shaded band, for mean ± std). A point without a
 * finite neighbour is marked with a dot even without points, because a
 * line through one point draws nothing.
 */
export class LinePlot {
  /**
   * canvas: the <canvas>; xTitle, yTitle: axis titles; xLog: log-scale x axis;
   * yLog: log-scale y axis (y values given as log10); height: CSS pixels;
   * scheduler: a FrameScheduler.
   */
  constructor(canvas, {
    xTitle, yTitle, xLog = true, yLog = true, height = 220, scheduler = sharedScheduler,
  }) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.options = { xTitle, yTitle, xLog, yLog, height };
    this.scheduler = scheduler;
    this.data = null;
    this.drawTask = () => this.draw();
    this.resizeObserver = new ResizeObserver(() => this.requestDraw());
    this.resizeObserver.observe(canvas.parentElement);
    this.colorSchemeQuery = window.matchMedia('(prefers-color-scheme: dark)');
    this.onColorScheme = () => this.requestDraw();
    this.colorSchemeQuery.addEventListener('change', this.onColorScheme);
  }

  /**
   * Shows series. Options beside series:
   *   xRange   [lo, hi] in data units
   *   yRange   [lo, hi] as log10 values (plain values with yLog false); series beyond it are clipped
   *   shade    { from, to (log10 y), label } drawn as a hatched band (the vacuous region)
   *   lines    [{ y (log10), label }] horizontal reference lines
   *   marker   { x, label } a vertical line (the current T)
   *   note     text written in the plot's top left corner
   */
  setData(data) {
    this.data = data;
    this.requestDraw();
  }

  clear() {
    this.data = null;
    this.requestDraw();
  }

  requestDraw() {
    this.scheduler.request(this.drawTask, this.drawTask);
  }

  draw() {
    const width = this.canvas.parentElement?.clientWidth ?? 0;
    const { height } = this.options;
    if (!this.data || width === 0) {
      this.canvas.width = 0;
      this.canvas.height = 0;
      this.canvas.style.height = '0px';
      return;
    }
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const context = this.context;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);

    const style = getComputedStyle(this.canvas);
    const color = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    const theme = {
      font: `${FONT_SIZE}px ${style.fontFamily || 'sans-serif'}`,
      text: color('--heatmap-text', '#1a1a1a'),
      muted: color('--heatmap-muted', '#5c5c5c'),
      grid: color('--plot-grid', '#d8dce1'),
      frame: color('--heatmap-frame', '#5c5c5c'),
      shade: color('--plot-shade', 'rgba(200, 120, 0, 0.15)'),
      color,
    };
    context.font = theme.font;

    const plot = {
      x: MARGIN.left,
      y: MARGIN.top,
      width: Math.max(10, width - MARGIN.left - MARGIN.right),
      height: Math.max(10, height - MARGIN.top - MARGIN.bottom),
    };
    const { xLog } = this.options;
    const [xLo, xHi] = this.data.xRange.map((x) => (xLog ? Math.log10(x) : x));
    const [yLo, yHi] = this.data.yRange;
    const toX = (x) => plot.x + (((xLog ? Math.log10(x) : x) - xLo) / (xHi - xLo || 1)) * plot.width;
    const toY = (y) => plot.y + plot.height - ((y - yLo) / (yHi - yLo || 1)) * plot.height;

    this.drawShade(theme, plot, toY);
    this.drawGrid(theme, plot, { xLo, xHi, yLo, yHi, toX, toY });
    context.save();
    context.beginPath();
    context.rect(plot.x, plot.y, plot.width, plot.height);
    context.clip();
    for (const line of this.data.lines ?? []) this.drawReferenceLine(theme, plot, line, toY);
    for (const series of this.data.series) this.drawSeries(theme, series, toX, toY);
    context.restore();
    this.drawMarker(theme, plot, toX);
    this.drawNote(theme, plot);
    context.strokeStyle = theme.frame;
    context.lineWidth = 1;
    context.strokeRect(plot.x - 0.5, plot.y - 0.5, plot.width + 1, plot.height + 1);
  }

  drawShade(theme, plot, toY) {
    const { shade } = this.data;
    if (!shade) return;
    const context = this.context;
    const top = Math.max(plot.y, toY(shade.to));
    const bottom = Math.min(plot.y + plot.height, toY(shade.from));
    if (bottom <= top) return;
    context.save();
    context.fillStyle = theme.shade;
    context.fillRect(plot.x, top, plot.width, bottom - top);
    context.fillStyle = theme.muted;
    context.textAlign = 'right';
    context.textBaseline = 'top';
    if (bottom - top > FONT_SIZE + 4) context.fillText(shade.label, plot.x + plot.width - 4, top + 3);
    context.restore();
  }

  drawGrid(theme, plot, { xLo, xHi, yLo, yHi, toX, toY }) {
    const context = this.context;
    const {
      xLog, yLog, xTitle, yTitle,
    } = this.options;
    context.save();
    context.strokeStyle = theme.grid;
    context.fillStyle = theme.muted;
    context.lineWidth = 1;

    const yTicks = [];
    if (yLog) {
      // y: every decade, thinned to about one label per 22 pixels.
      const decades = Math.max(1, yHi - yLo);
      const yEvery = Math.max(1, Math.ceil(decades / Math.max(1, plot.height / 22)));
      for (let exponent = Math.ceil(yLo / yEvery) * yEvery; exponent <= yHi; exponent += yEvery) {
        yTicks.push([exponent, powerOfTen(exponent)]);
      }
    } else {
      const step = niceLinearStep(yHi - yLo, Math.max(2, Math.floor(plot.height / 36)));
      for (const value of linearTicks(yLo, yHi, step)) {
        yTicks.push([value, String(value).replace('-', '−')]);
      }
    }
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    for (const [value, label] of yTicks) {
      const y = Math.round(toY(value)) + 0.5;
      context.beginPath();
      context.moveTo(plot.x, y);
      context.lineTo(plot.x + plot.width, y);
      context.stroke();
      context.fillText(label, plot.x - 5, y);
    }

    // x: decades on a log axis, nice numbers on a linear one.
    context.textAlign = 'center';
    context.textBaseline = 'top';
    const labelY = plot.y + plot.height + 4;
    const ticks = [];
    if (xLog) {
      const xEvery = Math.max(1, Math.ceil((xHi - xLo) / Math.max(1, plot.width / 48)));
      for (let exponent = Math.ceil(xLo / xEvery) * xEvery; exponent <= xHi + 1e-9; exponent += xEvery) {
        ticks.push([10 ** exponent, powerOfTen(exponent)]);
      }
    } else {
      const step = niceLinearStep(xHi - xLo, Math.max(2, Math.floor(plot.width / 60)));
      for (const value of linearTicks(xLo, xHi, step)) {
        ticks.push([value, String(value).replace('-', '−')]);
      }
    }
    for (const [value, label] of ticks) {
      const x = Math.round(toX(value)) + 0.5;
      context.beginPath();
      context.moveTo(x, plot.y);
      context.lineTo(x, plot.y + plot.height);
      context.stroke();
      context.fillText(label, x, labelY);
    }

    context.fillStyle = theme.text;
    context.fillText(xTitle, plot.x + plot.width / 2, labelY + FONT_SIZE + 5);
    context.save();
    context.translate(11, plot.y + plot.height / 2);
    context.rotate(-Math.PI / 2);
    context.textBaseline = 'middle';
    context.fillText(yTitle, 0, 0);
    context.restore();
    context.restore();
  }

  drawReferenceLine(theme, plot, line, toY) {
    const context = this.context;
    const y = toY(line.y);
    context.save();
    context.strokeStyle = theme.text;
    context.setLineDash([2, 3]);
    context.beginPath();
    context.moveTo(plot.x, y);
    context.lineTo(plot.x + plot.width, y);
    context.stroke();
    context.fillStyle = theme.text;
    context.textAlign = 'left';
    context.textBaseline = 'bottom';
    context.fillText(line.label, plot.x + 4, y - 2);
    context.restore();
  }

  drawSeries(theme, series, toX, toY) {
    const context = this.context;
    const [lo, hi] = this.data.yRange;
    // Points far beyond the axis are pulled in, so the canvas never gets huge coordinates.
    const clampedY = (y) => toY(Math.max(lo - (hi - lo), Math.min(hi + (hi - lo), y)));
    const color = theme.color(series.color, theme.text);
    context.save();
    if (series.lower && series.upper) this.drawBand(series, color, toX, clampedY);
    context.globalAlpha = series.alpha ?? 1;
    context.strokeStyle = color;
    context.fillStyle = color;
    context.lineWidth = series.width ?? 2;
    context.setLineDash(series.dash ?? []);
    context.lineJoin = 'round';
    context.beginPath();
    let drawing = false;
    for (let i = 0; i < series.x.length; i++) {
      const y = series.y[i];
      if (!Number.isFinite(y)) {
        drawing = false;
        continue;
      }
      const px = toX(series.x[i]);
      const py = clampedY(y);
      if (drawing) context.lineTo(px, py);
      else context.moveTo(px, py);
      drawing = true;
    }
    context.stroke();
    for (let i = 0; i < series.x.length; i++) {
      if (!Number.isFinite(series.y[i])) continue;
      const isolated = !Number.isFinite(series.y[i - 1]) && !Number.isFinite(series.y[i + 1]);
      if (!series.points && !isolated) continue;
      // An isolated point gets a larger dot, because it may sit on the plot's edge (epoch 0), half clipped.
      const radius = isolated ? Math.max(4, (series.width ?? 2) + 2) : 3;
      context.beginPath();
      context.arc(toX(series.x[i]), clampedY(series.y[i]), radius, 0, 2 * Math.PI);
      context.fill();
    }
    context.restore();
  }

  /** Fills the band between series.lower and series.upper, over the points where both are finite. */
  drawBand(series, color, toX, clampedY) {
    const indices = [];
    for (let i = 0; i < series.x.length; i++) {
      if (Number.isFinite(series.lower[i]) && Number.isFinite(series.upper[i])) indices.push(i);
    }
    if (indices.length === 0) return;

    const context = this.context;
    context.save();
    context.globalAlpha = 0.18;
    context.fillStyle = color;
    context.beginPath();
    indices.forEach((i, k) => {
      const x = toX(series.x[i]);
      const y = clampedY(series.upper[i]);
      if (k === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
    for (const i of [...indices].reverse()) context.lineTo(toX(series.x[i]), clampedY(series.lower[i]));
    context.closePath();
    context.fill();

    // A band of one point is a vertical error bar.
    if (indices.length === 1) {
      const [i] = indices;
      context.globalAlpha = 0.6;
      context.strokeStyle = color;
      context.lineWidth = 1.5;
      context.beginPath();
      context.moveTo(toX(series.x[i]), clampedY(series.upper[i]));
      context.lineTo(toX(series.x[i]), clampedY(series.lower[i]));
      context.stroke();
    }
    context.restore();
  }

  drawNote(theme, plot) {
    const { note } = this.data;
    if (!note) return;
    const context = this.context;
    context.save();
    context.fillStyle = theme.text;
    context.textAlign = 'left';
    context.textBaseline = 'top';
    context.fillText(note, plot.x + 4, plot.y + 3, plot.width - 8);
    context.restore();
  }

  drawMarker(theme, plot, toX) {
    const { marker } = this.data;
    if (!marker) return;
    const x = toX(marker.x);
    if (x < plot.x || x > plot.x + plot.width) return;
    const context = this.context;
    context.save();
    context.strokeStyle = theme.muted;
    context.setLineDash([4, 3]);
    context.beginPath();
    context.moveTo(x, plot.y);
    context.lineTo(x, plot.y + plot.height);
    context.stroke();
    context.fillStyle = theme.muted;
    context.textBaseline = 'top';
    context.textAlign = x > plot.x + plot.width - 60 ? 'right' : 'left';
    context.fillText(marker.label, x + (context.textAlign === 'left' ? 3 : -3), plot.y + 2);
    context.restore();
  }

  destroy() {
    this.scheduler.cancel(this.drawTask);
    this.resizeObserver.disconnect();
    this.colorSchemeQuery.removeEventListener('change', this.onColorScheme);
    this.data = null;
  }
}

/** Returns an inline SVG line in a plot's colour, dash, width and opacity, for legends. */
export function lineSample({
  color, dash = [], width = 2, alpha = 1,
}) {
  const namespace = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(namespace, 'svg');
  svg.setAttribute('width', '36');
  svg.setAttribute('height', '10');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('line-sample');
  const line = document.createElementNS(namespace, 'line');
  line.setAttribute('x1', '1');
  line.setAttribute('y1', '5');
  line.setAttribute('x2', '35');
  line.setAttribute('y2', '5');
  line.setAttribute('stroke', `var(${color})`);
  line.setAttribute('stroke-width', String(width));
  line.setAttribute('stroke-opacity', String(alpha));
  if (dash.length) line.setAttribute('stroke-dasharray', dash.join(' '));
  svg.append(line);
  return svg;
}
