// Draws an attention matrix on a canvas. The cells use a diverging colour
// map symmetric around 0 (linear or signed-log), with a colour bar that
// carries numbers, axis titles, and step and token labels. Optional bars of
// the logit attribution sit under the matrix, and a read-out shows the cell
// under the pointer or the keyboard cursor. A cell is one step, or a block
// of steps in the pooled overview of a long input. Steps count from 0, as
// in the API's arrays and error messages.
import { COLOR_LUT, COLOR_STOPS, LUT_SIZE } from '../wasm/colormap.mjs';
import { sharedScheduler } from './frame.mjs';

export { COLOR_STOPS };

/**
 * The signed-log scale is linear within limit·10^−3 of 0 and logarithmic
 * beyond, so it shows 3 decades below the largest |value|.
 */
export const SYMLOG_DECADES = 3;
const SYMLOG_THRESHOLD = 10 ** -SYMLOG_DECADES;
const SYMLOG_NORMALIZER = Math.log1p(1 / SYMLOG_THRESHOLD);

// The same colours as opaque RGBA pixels in the platform's byte order, for ImageData.
const COLOR_WORDS = buildColorWords();

const FONT_SIZE = 12;
const TITLE_BAND = FONT_SIZE + 10;
const MAX_PLOT_SIZE = 600;
const MIN_PLOT_SIZE = 160;
const BAND_GAP = 10;
const BAND_HEIGHT = 40;
const BAND_TEXT_HEIGHT = FONT_SIZE + 8;
const COLOR_BAR_GAP = 16;
const COLOR_BAR_HEIGHT = 12;
const COLOR_BAR_BAND = COLOR_BAR_GAP + COLOR_BAR_HEIGHT + 6 + FONT_SIZE + 6;
const MAX_LABEL_CHARACTERS = 6;
const NICE_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000,
  10000, 20000, 25000, 50000, 100000, 200000, 250000, 500000];

function buildColorWords() {
  const words = new Uint32Array(LUT_SIZE);
  const bytes = new Uint8Array(words.buffer);
  for (let i = 0; i < LUT_SIZE; i++) {
    bytes.set([COLOR_LUT[i * 3], COLOR_LUT[i * 3 + 1], COLOR_LUT[i * 3 + 2], 255], i * 4);
  }
  return words;
}

/**
 * Returns where value sits on a scale with the given limit, from −1 to 1:
 * value/limit on the linear scale; on the signed-log scale
 * sign(x)·ln(1 + |x|/c)/ln(1 + 1/c) with x = value/limit and c = 10^−3.
 */
export function scalePosition(value, limit, scale = 'linear') {
  if (!(limit > 0)) return 0;
  const x = Math.max(-1, Math.min(1, value / limit));
  if (scale !== 'symlog') return x;
  return (Math.sign(x) * Math.log1p(Math.abs(x) / SYMLOG_THRESHOLD)) / SYMLOG_NORMALIZER;
}

/** Returns the value at a scale position from −1 to 1: the inverse of scalePosition. */
export function valueAtPosition(position, limit, scale = 'linear') {
  if (scale !== 'symlog') return position * limit;
  return Math.sign(position) * limit * SYMLOG_THRESHOLD * Math.expm1(Math.abs(position) * SYMLOG_NORMALIZER);
}

function lutIndex(value, limit, scale, signed) {
  const position = scalePosition(value, limit, scale);
  // A signed map runs blue–white–red over ±limit; an unsigned one (max |α|) white–red over [0, limit].
  const fraction = signed ? (position + 1) / 2 : 0.5 + Math.max(0, position) / 2;
  return Math.round(fraction * (LUT_SIZE - 1));
}

/** Returns the colour of value on the scale ±limit as [r, g, b] (0–255). */
export function colorOf(value, limit, { scale = 'linear', signed = true } = {}) {
  const index = lutIndex(value, limit, scale, signed) * 3;
  return [COLOR_LUT[index], COLOR_LUT[index + 1], COLOR_LUT[index + 2]];
}

/** Formats a number with `digits` significant digits and a real minus sign. */
export function formatValue(value, digits = 4) {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  const text = Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6
    ? String(Number(value.toPrecision(digits)))
    : value.toExponential(digits - 1).replace('e+', 'e');
  return text.replaceAll('-', '−');
}

/** Returns label shortened to MAX_LABEL_CHARACTERS characters, for the axes. */
function shortLabel(label) {
  const characters = Array.from(label);
  return characters.length > MAX_LABEL_CHARACTERS
    ? `${characters.slice(0, MAX_LABEL_CHARACTERS - 1).join('')}…`
    : label;
}

/** Returns cell starts [first, first+1, …, first+count] for cells of one step each. */
export function unitStarts(first, count) {
  return Int32Array.from({ length: count + 1 }, (_, i) => first + i);
}

/** Returns the starts of size pooled cells over T steps, as the API pools them: cell i begins at ceil(i·T/size). */
export function pooledStarts(T, size) {
  return Int32Array.from({ length: size + 1 }, (_, i) => Math.ceil((i * T) / size));
}

/** Returns the cell that contains step, given the cell starts (binary search). */
function cellOf(starts, step) {
  let low = 0;
  let high = starts.length - 2;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle] <= step) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * A heatmap on one canvas, which fills the width of its parent. Draws go
 * through a FrameScheduler, so there is at most one per animation frame.
 * Call destroy() to remove every listener it added.
 */
export class Heatmap {
  /**
   * canvas: the <canvas> to draw on (focusable, for the arrow keys).
   * readout: an element that shows the cursor cell; describeCell(cell)
   *   may return a Node or text for it (default: the cell's value).
   * onActivate(cell): called on a click, Enter or Space on a cell.
   * maxSize: the largest plot side in CSS pixels.
   * fitHeight: keep the plot within the window height.
   */
  constructor(canvas, {
    readout = null, describeCell = null, onActivate = null, scheduler = sharedScheduler,
    maxSize = MAX_PLOT_SIZE, fitHeight = true, emptyHint = null,
  } = {}) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.readout = readout;
    this.describeCell = describeCell;
    this.onActivate = onActivate;
    this.scheduler = scheduler;
    this.maxSize = maxSize;
    this.fitHeight = fitHeight;
    this.emptyHint = emptyHint
      ?? 'Point at a cell, or focus the matrix and use the arrow keys, to read its value.';
    this.cells = document.createElement('canvas');
    this.image = null;
    this.words = null;
    this.data = null;
    this.cursor = null;
    this.layout = null;
    this.hatch = null;
    this.listeners = [];
    this.drawTask = () => this.draw();

    const draw = () => this.requestDraw();
    this.listen(canvas, 'pointermove', (event) => this.moveCursorToPointer(event));
    this.listen(canvas, 'pointerdown', (event) => this.moveCursorToPointer(event));
    this.listen(canvas, 'click', (event) => this.activatePointer(event));
    this.listen(canvas, 'pointerleave', () => this.clearPointerCursor());
    this.listen(canvas, 'keydown', (event) => this.handleKey(event));
    this.listen(canvas, 'focus', () => this.showKeyboardCursor());
    this.listen(canvas, 'blur', () => this.clearKeyboardCursor());
    this.listen(window, 'resize', draw);
    this.listen(window.matchMedia('(prefers-color-scheme: dark)'), 'change', draw);
    this.resizeObserver = new ResizeObserver(draw);
    this.resizeObserver.observe(canvas.parentElement);
  }

  listen(target, type, handler) {
    target.addEventListener(type, handler);
    this.listeners.push([target, type, handler]);
  }

  /**
   * Shows a matrix of cells. Options:
   *   values     Float32Array of size×size cell values, row-major (row = output step t)
   *   rowStarts, colStarts   Int32Array(size + 1): the first step of each cell
   *              (unitStarts for one step per cell, pooledStarts for the overview)
   *   rowLabels, colLabels   a token label per cell, or null (only unit cells show them)
   *   valueName  the symbol on the colour bar and in the read-out
   *   signed     false for values that are never negative (max |α|): the map runs white–red
   *   scale      'linear' or 'symlog'
   *   band       { values (one per column), name, text } drawn as bars under the matrix, or null
   *   outline    { t0, t1, s0, s1 } steps outlined on the matrix (the zoom window), or null
   * Returns the colour scale limit max |value| (0 for an all-zero matrix).
   */
  setData({
    values, rowStarts, colStarts, rowLabels = null, colLabels = null, valueName = 'α',
    signed = true, scale = 'linear', band = null, outline = null,
  }) {
    const size = rowStarts.length - 1;
    let limit = 0;
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        if (colStarts[j] > rowStarts[i + 1] - 1) break;
        const magnitude = Math.abs(values[i * size + j]);
        if (magnitude > limit) limit = magnitude;
      }
    }
    const unitCells = rowStarts[size] - rowStarts[0] === size && colStarts[size] - colStarts[0] === size;
    this.data = {
      values, size, rowStarts, colStarts, rowLabels, colLabels, valueName, signed, scale, band, outline, limit, unitCells,
    };
    this.renderCells();
    if (this.cursor) {
      this.cursor.i = Math.min(this.cursor.i, size - 1);
      this.cursor.j = Math.min(this.cursor.j, size - 1);
    }
    this.requestDraw();
    return limit;
  }

  /** Removes the matrix and blanks the canvas at once, so a stale matrix is never shown beside an error. */
  clear() {
    this.data = null;
    this.scheduler.cancel(this.drawTask);
    this.draw();
  }

  /**
   * Paints each cell as one pixel of an off-screen size×size canvas; cells
   * wholly above the diagonal stay transparent. The pixels are written as
   * 32-bit words from a table of the 256 map colours, and the image buffer
   * is kept between calls of the same size, because this runs on every
   * keystroke.
   */
  renderCells() {
    const { values, size, rowStarts, colStarts, limit, scale, signed } = this.data;
    if (this.cells.width !== size || this.cells.height !== size || !this.image) {
      this.cells.width = size;
      this.cells.height = size;
      this.image = this.cells.getContext('2d').createImageData(size, size);
      this.words = new Uint32Array(this.image.data.buffer);
    }
    const words = this.words;
    words.fill(0);
    const linear = scale !== 'symlog' && limit > 0;
    // Linear scale: index = round((v/limit + 1)/2 · 255) (signed) or round((0.5 + max(0, v/limit)/2) · 255).
    const slope = linear ? (LUT_SIZE - 1) / (2 * limit) : 0;
    const offset = (LUT_SIZE - 1) / 2;
    for (let i = 0; i < size; i++) {
      const lastStep = rowStarts[i + 1] - 1;
      const row = i * size;
      for (let j = 0; j < size; j++) {
        if (colStarts[j] > lastStep) break;
        const value = values[row + j];
        let index;
        if (linear) {
          let clamped = Math.min(limit, Math.max(-limit, value));
          if (!signed && clamped < 0) clamped = 0;
          index = Math.round(offset + clamped * slope);
        } else {
          index = lutIndex(value, limit, scale, signed);
        }
        words[row + j] = COLOR_WORDS[index];
      }
    }
    this.cells.getContext('2d').putImageData(this.image, 0, 0);
  }

  /** Schedules one draw for the next animation frame; repeated calls coalesce. */
  requestDraw() {
    this.scheduler.request(this.drawTask, this.drawTask);
  }

  draw() {
    const width = this.canvas.parentElement?.clientWidth ?? 0;
    if (!this.data || width === 0) {
      this.layout = null;
      this.canvas.width = 0;
      this.canvas.height = 0;
      this.canvas.style.height = '0px';
      delete this.canvas.dataset.plotRect;
      this.updateReadout();
      return;
    }

    const theme = this.readTheme();
    const context = this.context;
    context.font = theme.font;
    const layout = this.computeLayout(width);
    this.layout = layout;

    // Size the backing store in device pixels, so lines and text stay sharp on high-density screens.
    const ratio = window.devicePixelRatio || 1;
    const deviceWidth = Math.round(layout.width * ratio);
    const deviceHeight = Math.round(layout.height * ratio);
    if (this.canvas.width !== deviceWidth || this.canvas.height !== deviceHeight) {
      this.canvas.width = deviceWidth;
      this.canvas.height = deviceHeight;
    }
    this.canvas.style.width = `${layout.width}px`;
    this.canvas.style.height = `${layout.height}px`;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, layout.width, layout.height);
    context.font = theme.font;

    this.drawCells(layout, theme, ratio);
    this.drawAxes(layout, theme);
    this.drawOutline(layout, theme);
    this.drawBand(layout, theme);
    this.drawColorBar(layout, theme);
    this.drawCursor(layout, theme);
    this.updateReadout();

    // The plot's rectangle in device pixels, for tests and tools that read the canvas.
    const plotRect = [layout.plotX, layout.plotY, layout.plotSize, layout.plotSize]
      .map((value) => Math.round(value * ratio)).join(',');
    if (this.canvas.dataset.plotRect !== plotRect) this.canvas.dataset.plotRect = plotRect;
    this.canvas.dispatchEvent(new CustomEvent('ssm-lens-draw', { detail: { time: performance.now() } }));
  }

  readTheme() {
    const style = getComputedStyle(this.canvas);
    const variable = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    return {
      font: `${FONT_SIZE}px ${style.fontFamily || 'sans-serif'}`,
      text: variable('--heatmap-text', '#1a1a1a'),
      muted: variable('--heatmap-muted', '#5c5c5c'),
      hatch: variable('--heatmap-hatch', '#b0b0b0'),
      frame: variable('--heatmap-frame', '#5c5c5c'),
      cursor: variable('--heatmap-cursor', '#000000'),
      background: variable('--heatmap-background', '#ffffff'),
    };
  }

  /**
   * Places the plot, labels, band and colour bar for the available width
   * (CSS pixels). Token labels are shown only for cells of one step that
   * are wide enough for them.
   */
  computeLayout(width) {
    const { size, rowStarts, colLabels, unitCells, band } = this.data;
    const context = this.context;
    const lastStep = rowStarts[size] - 1;
    const indexWidth = context.measureText(String(lastStep)).width;
    const labels = unitCells && colLabels ? colLabels.map(shortLabel) : null;
    let labelWidth = 0;
    if (labels) {
      for (const label of new Set(labels)) labelWidth = Math.max(labelWidth, context.measureText(label).width);
    }
    const cornerWidth = context.measureText('token').width;
    const right = Math.max(8, indexWidth / 2 + 2);
    const bottom = (band ? BAND_GAP + BAND_HEIGHT + BAND_TEXT_HEIGHT : 0) + COLOR_BAR_BAND;

    for (const withLabels of labels ? [true, false] : [false]) {
      const labelBandLeft = withLabels ? labelWidth + 8 : 0;
      const labelBandTop = withLabels ? FONT_SIZE + 6 : 0;
      // With token labels, the corner left of the column labels must fit the word 'token'.
      const left = Math.max(TITLE_BAND + indexWidth + 8 + labelBandLeft, withLabels ? cornerWidth + 10 : 0);
      const top = TITLE_BAND + FONT_SIZE + 6 + labelBandTop;
      // Keep the plot, band and colour bar within one screen height where the width allows.
      const heightLimit = this.fitHeight
        ? Math.max(MIN_PLOT_SIZE, window.innerHeight - top - bottom - 40)
        : Infinity;
      const plotSize = Math.max(0, Math.min(width - left - right, this.maxSize, heightLimit));
      const cellSize = plotSize / size;
      const labelsFit = cellSize >= Math.max(FONT_SIZE + 2, labelWidth + 4);
      if (withLabels && !labelsFit) continue;
      return {
        width: Math.min(width, left + plotSize + right),
        height: top + plotSize + bottom,
        plotX: left,
        plotY: top,
        plotSize,
        cellSize,
        withLabels,
        labels,
        labelBandLeft,
        labelBandTop,
        tickStep: this.chooseTickStep(plotSize, Math.max(indexWidth + 10, FONT_SIZE + 4)),
      };
    }
    throw new Error('unreachable: the layout without token labels always fits');
  }

  /** Returns the smallest nice number of steps between axis numbers that leaves minimumSpacing pixels. */
  chooseTickStep(plotSize, minimumSpacing) {
    const { rowStarts, size } = this.data;
    const pixelsPerStep = plotSize / (rowStarts[size] - rowStarts[0]);
    return NICE_STEPS.find((step) => step * pixelsPerStep >= minimumSpacing) ?? NICE_STEPS.at(-1);
  }

  /** Returns the offset in pixels of the middle of step within the plot, given the cell starts. */
  stepCenter(starts, step, cellSize) {
    const cell = cellOf(starts, step);
    const width = starts[cell + 1] - starts[cell];
    return (cell + (step - starts[cell] + 0.5) / width) * cellSize;
  }

  /** Returns the offset in pixels of the first edge of step within the plot. */
  stepEdge(starts, step, cellSize) {
    if (step >= starts.at(-1)) return (starts.length - 1) * cellSize;
    const cell = cellOf(starts, step);
    const width = starts[cell + 1] - starts[cell];
    return (cell + (step - starts[cell]) / width) * cellSize;
  }

  /** Hatches the whole plot, then draws the cells over it, so only cells above the diagonal stay hatched. */
  drawCells(layout, theme, ratio) {
    const context = this.context;
    const { plotX, plotY, plotSize } = layout;
    context.save();
    context.fillStyle = this.hatchPattern(theme.hatch, ratio);
    context.fillRect(plotX, plotY, plotSize, plotSize);
    context.imageSmoothingEnabled = false;
    context.drawImage(this.cells, plotX, plotY, plotSize, plotSize);
    context.strokeStyle = theme.frame;
    context.lineWidth = 1;
    context.strokeRect(plotX - 0.5, plotY - 0.5, plotSize + 1, plotSize + 1);
    context.restore();
  }

  hatchPattern(color, ratio) {
    if (this.hatch?.color === color && this.hatch.ratio === ratio) return this.hatch.pattern;
    const tile = document.createElement('canvas');
    const size = Math.round(6 * ratio);
    tile.width = size;
    tile.height = size;
    const tileContext = tile.getContext('2d');
    tileContext.strokeStyle = color;
    tileContext.lineWidth = ratio;
    tileContext.beginPath();
    tileContext.moveTo(0, size);
    tileContext.lineTo(size, 0);
    tileContext.stroke();
    const pattern = this.context.createPattern(tile, 'repeat');
    // The tile is in device pixels while the context is scaled by ratio.
    pattern.setTransform(new DOMMatrix().scale(1 / ratio));
    this.hatch = { color, ratio, pattern };
    return pattern;
  }

  drawAxes(layout, theme) {
    const context = this.context;
    const { rowStarts, colStarts, size } = this.data;
    const { plotX, plotY, plotSize, cellSize, tickStep, labelBandLeft, labelBandTop } = layout;
    context.save();

    // Axis titles: columns s on top, rows t on the left.
    context.fillStyle = theme.text;
    context.textAlign = 'center';
    context.textBaseline = 'middle';
    context.fillText('s — input step', plotX + plotSize / 2, TITLE_BAND / 2);
    context.save();
    context.translate(TITLE_BAND / 2, plotY + plotSize / 2);
    context.rotate(-Math.PI / 2);
    context.fillText('t — output step', 0, 0);
    context.restore();

    // Step numbers at multiples of tickStep, at the middle of their step.
    const columnIndexY = plotY - labelBandTop - 4 - FONT_SIZE / 2;
    const rowIndexX = plotX - labelBandLeft - 6;
    context.fillStyle = theme.muted;
    const drawTicks = (starts, drawOne) => {
      const first = Math.ceil(starts[0] / tickStep) * tickStep;
      for (let step = first; step < starts[size]; step += tickStep) drawOne(step, this.stepCenter(starts, step, cellSize));
    };
    context.textAlign = 'center';
    drawTicks(colStarts, (step, offset) => context.fillText(String(step), plotX + offset, columnIndexY));
    context.textAlign = 'right';
    drawTicks(rowStarts, (step, offset) => context.fillText(String(step), rowIndexX, plotY + offset));

    if (layout.withLabels) {
      const columnLabelY = plotY - 4 - FONT_SIZE / 2;
      const rowLabels = this.data.rowLabels.map(shortLabel);
      context.fillStyle = theme.text;
      for (let i = 0; i < size; i++) {
        const center = (i + 0.5) * cellSize;
        context.textAlign = 'center';
        context.fillText(layout.labels[i], plotX + center, columnLabelY);
        context.textAlign = 'right';
        context.fillText(rowLabels[i], plotX - 6, plotY + center);
      }
      // Name the two label rows in the free top-left corner.
      context.textAlign = 'right';
      context.fillStyle = theme.text;
      context.fillText('token', plotX - 6, columnLabelY);
      context.fillStyle = theme.muted;
      context.fillText('step', plotX - 6, columnIndexY);
    }
    context.restore();
  }

  /** Outlines the zoom window on the overview. */
  drawOutline(layout, theme) {
    const { outline: zoom, rowStarts, colStarts } = this.data;
    if (!zoom) return;
    const { plotX, plotY, cellSize } = layout;
    const x0 = this.stepEdge(colStarts, zoom.s0, cellSize);
    const x1 = this.stepEdge(colStarts, zoom.s1, cellSize);
    const y0 = this.stepEdge(rowStarts, zoom.t0, cellSize);
    const y1 = this.stepEdge(rowStarts, zoom.t1, cellSize);
    const context = this.context;
    context.save();
    context.lineWidth = 2;
    context.setLineDash([5, 3]);
    context.strokeStyle = theme.cursor;
    context.strokeRect(plotX + x0, plotY + y0, Math.max(2, x1 - x0), Math.max(2, y1 - y0));
    context.restore();
  }

  /** Draws the band values as bars under the matrix, one per column, and the band's text under them. */
  drawBand(layout, theme) {
    const { band, size } = this.data;
    if (!band) return;
    const context = this.context;
    const { plotX, plotY, plotSize, cellSize } = layout;
    const top = plotY + plotSize + BAND_GAP;
    const middle = top + BAND_HEIGHT / 2;
    let largest = 0;
    for (const value of band.values) largest = Math.max(largest, Math.abs(value));

    // The frame and the zero line.
    context.save();
    context.strokeStyle = theme.frame;
    context.lineWidth = 1;
    context.strokeRect(plotX - 0.5, top - 0.5, plotSize + 1, BAND_HEIGHT + 1);
    context.beginPath();
    context.moveTo(plotX, middle);
    context.lineTo(plotX + plotSize, middle);
    context.stroke();

    // One bar per column, up for positive values and down for negative ones.
    if (largest > 0) {
      // Fixed shades per sign, so that short bars stay visible (the map is near-white around 0).
      const [positive, negative] = [0.7, -0.7].map((value) => `rgb(${colorOf(value, 1).join(' ')})`);
      const gap = cellSize >= 4 ? 1 : 0;
      for (let j = 0; j < size; j++) {
        const value = band.values[j];
        if (value === 0) continue;
        const height = (Math.abs(value) / largest) * (BAND_HEIGHT / 2 - 1);
        context.fillStyle = value > 0 ? positive : negative;
        const x = plotX + j * cellSize;
        context.fillRect(x, value > 0 ? middle - height : middle, Math.max(cellSize - gap, 0.5), Math.max(height, 0.5));
      }
    }

    // The band's name on the left, its text under the bars.
    context.fillStyle = theme.text;
    context.textBaseline = 'middle';
    context.textAlign = 'right';
    context.fillText(band.name, plotX - 6, middle);
    context.textAlign = 'left';
    context.fillText(band.text, plotX, top + BAND_HEIGHT + BAND_TEXT_HEIGHT / 2 + 2, layout.width - plotX);
    context.restore();
  }

  drawColorBar(layout, theme) {
    const context = this.context;
    const { limit, valueName, scale, signed, band } = this.data;
    const x = layout.plotX;
    const y = layout.plotY + layout.plotSize + (band ? BAND_GAP + BAND_HEIGHT + BAND_TEXT_HEIGHT : 0) + COLOR_BAR_GAP;
    const width = layout.plotSize;
    context.save();

    // The bar shows the map at even spacing; the tick labels carry the scale.
    const gradient = context.createLinearGradient(x, 0, x + width, 0);
    const stops = signed ? COLOR_STOPS : COLOR_STOPS.slice((COLOR_STOPS.length - 1) / 2);
    stops.forEach((color, i) => gradient.addColorStop(i / (stops.length - 1), color));
    context.fillStyle = gradient;
    context.fillRect(x, y, width, COLOR_BAR_HEIGHT);
    context.strokeStyle = theme.frame;
    context.strokeRect(x - 0.5, y - 0.5, width + 1, COLOR_BAR_HEIGHT + 1);

    context.fillStyle = theme.text;
    context.textBaseline = 'middle';
    context.textAlign = 'right';
    context.fillText(valueName, x - 6, y + COLOR_BAR_HEIGHT / 2);

    // Tick values: the ends, 0 and, while the labels do not touch, values in between.
    const fractionOf = (value) => {
      const position = scalePosition(value, limit, scale);
      return signed ? (position + 1) / 2 : position;
    };
    const candidates = scale === 'symlog'
      ? [1, 0.1, 0.01, 0.001].map((factor) => factor * limit)
      : [1, 0.5].map((factor) => factor * limit);
    const ticks = [limit, 0, ...(signed ? [-limit] : [])];
    // A label's extent: the end labels align inwards, the others are centred on their tick.
    const extent = (value) => {
      const at = fractionOf(value) * width;
      const labelWidth = context.measureText(formatValue(value, 3)).width;
      if (at <= 0) return [at, at + labelWidth];
      if (at >= width) return [at - labelWidth, at];
      return [at - labelWidth / 2, at + labelWidth / 2];
    };
    for (const value of candidates.slice(1)) {
      const extra = signed ? [value, -value] : [value];
      const extents = [...ticks, ...extra].map(extent).sort((a, b) => a[0] - b[0]);
      const fits = extents.every((range, i) => i === 0 || range[0] - extents[i - 1][1] >= 8);
      if (!fits) break;
      ticks.push(...extra);
    }

    const labelY = y + COLOR_BAR_HEIGHT + 6 + FONT_SIZE / 2;
    context.strokeStyle = theme.text;
    for (const value of ticks) {
      const fraction = fractionOf(value);
      const tickX = x + fraction * width;
      context.beginPath();
      context.moveTo(tickX, y + COLOR_BAR_HEIGHT);
      context.lineTo(tickX, y + COLOR_BAR_HEIGHT + 4);
      context.stroke();
      // The end labels align inwards so they are never clipped.
      context.textAlign = 'center';
      if (fraction <= 0) context.textAlign = 'left';
      if (fraction >= 1) context.textAlign = 'right';
      context.fillText(formatValue(value, 3), tickX, labelY);
    }
    context.restore();
  }

  drawCursor(layout, theme) {
    if (!this.cursor) return;
    const { plotX, plotY, cellSize } = layout;
    const context = this.context;
    const x = plotX + this.cursor.j * cellSize;
    const y = plotY + this.cursor.i * cellSize;
    const size = Math.max(cellSize, 3);
    context.save();
    context.lineWidth = 2;
    context.strokeStyle = theme.cursor;
    context.strokeRect(x - 1, y - 1, size + 2, size + 2);
    context.restore();
  }

  /**
   * Returns the cursor's cell: { i, j, t0, t1, s0, s1, value, masked },
   * with steps t0 ≤ t < t1 and s0 ≤ s < s1; masked when every s > every t.
   */
  cellAt(i, j) {
    const { values, size, rowStarts, colStarts } = this.data;
    const cell = {
      i, j, t0: rowStarts[i], t1: rowStarts[i + 1], s0: colStarts[j], s1: colStarts[j + 1], value: values[i * size + j],
    };
    cell.masked = cell.s0 > cell.t1 - 1;
    return cell;
  }

  updateReadout() {
    if (!this.readout) return;
    if (!this.data || !this.cursor) {
      const text = this.data ? this.emptyHint : '';
      // Unchanged text is not written again, so a redraw does not invalidate the page's layout.
      if (this.readout.textContent !== text) this.readout.textContent = text;
      return;
    }
    const cell = this.cellAt(this.cursor.i, this.cursor.j);
    const description = this.describeCell ? this.describeCell(cell, this.data) : describeCellText(cell, this.data);
    this.readout.replaceChildren(description);
  }

  moveCursorToPointer(event) {
    if (!this.data || !this.layout) return;
    const cell = this.cellAtPointer(event);
    if (!cell) {
      this.clearPointerCursor();
      return;
    }
    if (this.cursor?.i === cell.i && this.cursor.j === cell.j) return;
    this.cursor = { i: cell.i, j: cell.j, source: 'pointer' };
    this.requestDraw();
  }

  cellAtPointer(event) {
    const { plotX, plotY, plotSize, cellSize } = this.layout;
    const x = event.offsetX - plotX;
    const y = event.offsetY - plotY;
    if (x < 0 || y < 0 || x >= plotSize || y >= plotSize) return null;
    const last = this.data.size - 1;
    return { i: Math.min(last, Math.floor(y / cellSize)), j: Math.min(last, Math.floor(x / cellSize)) };
  }

  activatePointer(event) {
    if (!this.data || !this.layout || !this.onActivate) return;
    const cell = this.cellAtPointer(event);
    if (cell) this.onActivate(this.cellAt(cell.i, cell.j));
  }

  clearPointerCursor() {
    if (this.cursor?.source !== 'pointer') return;
    this.cursor = null;
    this.requestDraw();
  }

  showKeyboardCursor() {
    if (!this.data || this.cursor) return;
    this.cursor = { i: 0, j: 0, source: 'keyboard' };
    this.requestDraw();
  }

  clearKeyboardCursor() {
    if (this.cursor?.source !== 'keyboard') return;
    this.cursor = null;
    this.requestDraw();
  }

  /**
   * Arrow keys move the cursor by one cell, Page Up/Down by ten rows,
   * Home/End to column 0 or the diagonal; Enter or Space activates the cell.
   */
  handleKey(event) {
    if (!this.data) return;
    const last = this.data.size - 1;
    const { i, j } = this.cursor ?? { i: 0, j: 0 };
    if ((event.key === 'Enter' || event.key === ' ') && this.onActivate) {
      event.preventDefault();
      this.onActivate(this.cellAt(i, j));
      return;
    }
    const moves = {
      ArrowUp: [i - 1, j], ArrowDown: [i + 1, j], ArrowLeft: [i, j - 1], ArrowRight: [i, j + 1],
      PageUp: [i - 10, j], PageDown: [i + 10, j], Home: [i, 0], End: [i, i],
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const clamp = (value) => Math.min(last, Math.max(0, value));
    this.cursor = { i: clamp(move[0]), j: clamp(move[1]), source: 'keyboard' };
    this.requestDraw();
  }

  /** Returns the canvas as a PNG Blob on an opaque background (the page's background colour). */
  toPngBlob() {
    const copy = document.createElement('canvas');
    copy.width = this.canvas.width;
    copy.height = this.canvas.height;
    const context = copy.getContext('2d');
    context.fillStyle = this.readTheme().background;
    context.fillRect(0, 0, copy.width, copy.height);
    context.drawImage(this.canvas, 0, 0);
    return new Promise((resolve, reject) => {
      copy.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode the PNG'))), 'image/png');
    });
  }

  /** Cancels a pending draw and removes every listener and observer. */
  destroy() {
    this.scheduler.cancel(this.drawTask);
    for (const [target, type, handler] of this.listeners) target.removeEventListener(type, handler);
    this.listeners = [];
    this.resizeObserver.disconnect();
    this.data = null;
  }
}

/** Returns 't = 3 (token 1), s = 1 (token 0): α = 0.1234' for a cell, or the ranges of a pooled cell. */
export function describeCellText(cell, data) {
  const { rowLabels, colLabels, valueName, unitCells, signed } = data;
  if (unitCells) {
    const labelOf = (labels, index) => (labels ? ` (token ${labels[index]})` : '');
    const where = `t = ${cell.t0}${labelOf(rowLabels, cell.i)}, s = ${cell.s0}${labelOf(colLabels, cell.j)}`;
    return cell.masked
      ? `${where}: ${valueName} = 0, because an output never depends on a later input (s > t)`
      : `${where}: ${valueName} = ${formatValue(cell.value, 5)}`;
  }
  const range = (first, end) => (end - first === 1 ? `${first}` : `${first}–${end - 1}`);
  const where = `t = ${range(cell.t0, cell.t1)}, s = ${range(cell.s0, cell.s1)}`;
  if (cell.masked) return `${where}: every s > t, so ${valueName} = 0 in this cell`;
  const kind = signed ? 'mean' : 'largest';
  return `${where}: ${kind} ${valueName} = ${formatValue(cell.value, 5)} over this cell`;
}
