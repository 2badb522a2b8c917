// Draws a T×T attention matrix on a canvas: cells in a diverging colour map
// symmetric around 0, a colour bar with numbers, axis titles, step and token
// labels, and a read-out of the cell under the pointer or keyboard cursor.
// Steps are counted from 0, as in the API's arrays and error messages.

/**
 * The colour map: ColorBrewer RdBu with 11 classes, reversed so that blue is
 * negative, near-white is 0 and red is positive. ColorBrewer marks this
 * scheme colour-blind safe. A value v is placed at (v / limit + 1) / 2 along
 * the stops (limit = max |v|) and interpolated linearly in sRGB.
 */
export const COLOR_STOPS = Object.freeze([
  '#053061', '#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7',
  '#fddbc7', '#f4a582', '#d6604d', '#b2182b', '#67001f',
]);

const LUT_SIZE = 256;
const COLOR_LUT = buildColorLut();

const FONT_SIZE = 12;
const TITLE_BAND = FONT_SIZE + 10;
const MAX_PLOT_SIZE = 600;
const MIN_PLOT_SIZE = 240;
const COLOR_BAR_GAP = 16;
const COLOR_BAR_HEIGHT = 12;
const BOTTOM_BAND = COLOR_BAR_GAP + COLOR_BAR_HEIGHT + 6 + FONT_SIZE + 6;
const NICE_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000];

function parseHexColor(hex) {
  return [1, 3, 5].map((offset) => parseInt(hex.slice(offset, offset + 2), 16));
}

function buildColorLut() {
  const stops = COLOR_STOPS.map(parseHexColor);
  const lut = new Uint8ClampedArray(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const position = (i / (LUT_SIZE - 1)) * (stops.length - 1);
    const lower = Math.min(Math.floor(position), stops.length - 2);
    const fraction = position - lower;
    for (let channel = 0; channel < 3; channel++) {
      const from = stops[lower][channel];
      const to = stops[lower + 1][channel];
      lut[i * 3 + channel] = Math.round(from + (to - from) * fraction);
    }
  }
  return lut;
}

/** Returns the colour of value on the scale ±limit as [r, g, b] (0–255). */
export function colorOf(value, limit) {
  const index = lutIndex(value, limit);
  return [COLOR_LUT[index * 3], COLOR_LUT[index * 3 + 1], COLOR_LUT[index * 3 + 2]];
}

function lutIndex(value, limit) {
  const position = limit > 0 ? (value / limit + 1) / 2 : 0.5;
  return Math.round(Math.min(1, Math.max(0, position)) * (LUT_SIZE - 1));
}

/** Formats a number with `digits` significant digits and a real minus sign. */
export function formatValue(value, digits = 4) {
  if (value === 0) return '0';
  const text = Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6
    ? String(Number(value.toPrecision(digits)))
    : value.toExponential(digits - 1).replace('e+', 'e');
  return text.replace('-', '−');
}

function chooseTickStep(cellSize, minimumSpacing) {
  return NICE_STEPS.find((step) => step * cellSize >= minimumSpacing) ?? NICE_STEPS.at(-1);
}

/**
 * A heatmap on one canvas. The canvas fills the width of its parent. Redraws
 * requested within one animation frame are coalesced into one, and only
 * clear() draws at once. Call destroy() to remove every listener it added.
 */
export class Heatmap {
  /**
   * canvas: the <canvas> to draw on (focusable, for the arrow keys);
   * readout: an element whose text becomes the read-out of the cursor cell.
   */
  constructor(canvas, { readout }) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.readout = readout;
    this.cells = document.createElement('canvas');
    this.data = null;
    this.cursor = null;
    this.layout = null;
    this.frame = 0;
    this.hatch = null;
    this.listeners = [];

    const draw = () => this.requestDraw();
    this.listen(canvas, 'pointermove', (event) => this.moveCursorToPointer(event));
    this.listen(canvas, 'pointerdown', (event) => this.moveCursorToPointer(event));
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
   * Shows a matrix. values: Float32Array of T×T, row-major (row t = output
   * step, column s = input step); tokens: the token id of each step, or
   * null; valueName: the symbol in the read-out and on the colour bar.
   * Returns the colour scale limit max |value| (0 for an all-zero matrix).
   */
  setData({ values, T, tokens = null, valueName = 'α' }) {
    let limit = 0;
    for (let t = 0; t < T; t++) {
      for (let s = 0; s <= t; s++) {
        const magnitude = Math.abs(values[t * T + s]);
        if (magnitude > limit) limit = magnitude;
      }
    }
    this.renderCells(values, T, limit);
    this.data = { values, T, tokens, valueName, limit };
    if (this.cursor) {
      this.cursor.t = Math.min(this.cursor.t, T - 1);
      this.cursor.s = Math.min(this.cursor.s, T - 1);
    }
    this.requestDraw();
    return limit;
  }

  /** Removes the matrix and blanks the canvas at once, so a stale matrix is never shown beside an error. */
  clear() {
    this.data = null;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.draw();
  }

  /** Paints each cell as one pixel of an off-screen T×T canvas; s > t stays transparent. */
  renderCells(values, T, limit) {
    this.cells.width = T;
    this.cells.height = T;
    const cellsContext = this.cells.getContext('2d');
    const image = cellsContext.createImageData(T, T);
    const pixels = image.data;
    for (let t = 0; t < T; t++) {
      for (let s = 0; s <= t; s++) {
        const offset = (t * T + s) * 4;
        const index = lutIndex(values[t * T + s], limit) * 3;
        pixels[offset] = COLOR_LUT[index];
        pixels[offset + 1] = COLOR_LUT[index + 1];
        pixels[offset + 2] = COLOR_LUT[index + 2];
        pixels[offset + 3] = 255;
      }
    }
    cellsContext.putImageData(image, 0, 0);
  }

  /** Schedules one draw for the next animation frame; repeated calls coalesce. */
  requestDraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  draw() {
    const width = this.canvas.parentElement.clientWidth;
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
    this.drawColorBar(layout, theme);
    this.drawCursor(layout, theme);
    this.updateReadout();

    // The plot's rectangle in device pixels, for tests and tools that read the canvas.
    this.canvas.dataset.plotRect = [layout.plotX, layout.plotY, layout.plotSize, layout.plotSize]
      .map((value) => Math.round(value * ratio)).join(',');
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
    };
  }

  /**
   * Places the plot, labels and colour bar for the available width (CSS
   * pixels). Token labels are shown only when each cell is wide enough.
   */
  computeLayout(width) {
    const { T, tokens } = this.data;
    const context = this.context;
    const indexWidth = context.measureText(String(T - 1)).width;
    let tokenWidth = 0;
    if (tokens) {
      for (const token of new Set(tokens)) tokenWidth = Math.max(tokenWidth, context.measureText(String(token)).width);
    }
    const cornerWidth = context.measureText('token').width;
    const right = Math.max(8, indexWidth / 2 + 2);

    for (const withTokens of tokens ? [true, false] : [false]) {
      const tokenBandLeft = withTokens ? tokenWidth + 8 : 0;
      const tokenBandTop = withTokens ? FONT_SIZE + 6 : 0;
      // With token labels, the corner left of the column labels must fit the word 'token'.
      const left = Math.max(TITLE_BAND + indexWidth + 8 + tokenBandLeft, withTokens ? cornerWidth + 10 : 0);
      const top = TITLE_BAND + FONT_SIZE + 6 + tokenBandTop;
      // Keep the plot and its colour bar within one screen height where the width allows.
      const heightLimit = Math.max(MIN_PLOT_SIZE, window.innerHeight - top - BOTTOM_BAND - 40);
      const plotSize = Math.max(0, Math.min(width - left - right, MAX_PLOT_SIZE, heightLimit));
      const cellSize = plotSize / T;
      const tokensFit = cellSize >= Math.max(FONT_SIZE + 2, tokenWidth + 4);
      if (withTokens && !tokensFit) continue;
      return {
        width: Math.min(width, left + plotSize + right),
        height: top + plotSize + BOTTOM_BAND,
        plotX: left,
        plotY: top,
        plotSize,
        cellSize,
        withTokens,
        tokenBandLeft,
        tokenBandTop,
        tickStep: chooseTickStep(cellSize, Math.max(indexWidth + 10, FONT_SIZE + 4)),
      };
    }
    throw new Error('unreachable: the layout without token labels always fits');
  }

  /** Hatches the whole plot, then draws the cells over it, so only s > t stays hatched. */
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
    const { T, tokens } = this.data;
    const { plotX, plotY, plotSize, cellSize, tickStep, tokenBandLeft, tokenBandTop } = layout;
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

    // Step numbers every tickStep cells.
    const columnIndexY = plotY - tokenBandTop - 4 - FONT_SIZE / 2;
    const rowIndexX = plotX - tokenBandLeft - 6;
    context.fillStyle = theme.muted;
    for (let step = 0; step < T; step += tickStep) {
      const center = (step + 0.5) * cellSize;
      context.textAlign = 'center';
      context.fillText(String(step), plotX + center, columnIndexY);
      context.textAlign = 'right';
      context.fillText(String(step), rowIndexX, plotY + center);
    }

    if (layout.withTokens) {
      const columnTokenY = plotY - 4 - FONT_SIZE / 2;
      context.fillStyle = theme.text;
      for (let step = 0; step < T; step++) {
        const center = (step + 0.5) * cellSize;
        context.textAlign = 'center';
        context.fillText(String(tokens[step]), plotX + center, columnTokenY);
        context.textAlign = 'right';
        context.fillText(String(tokens[step]), plotX - 6, plotY + center);
      }
      // Name the two label rows in the free top-left corner.
      context.textAlign = 'right';
      context.fillStyle = theme.text;
      context.fillText('token', plotX - 6, columnTokenY);
      context.fillStyle = theme.muted;
      context.fillText('step', plotX - 6, columnIndexY);
    }
    context.restore();
  }

  drawColorBar(layout, theme) {
    const context = this.context;
    const { limit, valueName } = this.data;
    const x = layout.plotX;
    const y = layout.plotY + layout.plotSize + COLOR_BAR_GAP;
    const width = layout.plotSize;
    context.save();

    const gradient = context.createLinearGradient(x, 0, x + width, 0);
    COLOR_STOPS.forEach((color, i) => gradient.addColorStop(i / (COLOR_STOPS.length - 1), color));
    context.fillStyle = gradient;
    context.fillRect(x, y, width, COLOR_BAR_HEIGHT);
    context.strokeStyle = theme.frame;
    context.strokeRect(x - 0.5, y - 0.5, width + 1, COLOR_BAR_HEIGHT + 1);

    context.fillStyle = theme.text;
    context.textBaseline = 'middle';
    context.textAlign = 'right';
    context.fillText(valueName, x - 6, y + COLOR_BAR_HEIGHT / 2);

    // Ticks at −limit, −limit/2, 0, limit/2, limit, or only the ends and 0 when five labels
    // would touch. The end labels align inwards so they are never clipped.
    const labelY = y + COLOR_BAR_HEIGHT + 6 + FONT_SIZE / 2;
    const labelOf = (fraction) => formatValue((2 * fraction - 1) * limit, 3);
    const widestLabel = Math.max(...[0, 0.25].map((fraction) => context.measureText(labelOf(fraction)).width));
    const fractions = width / 4 >= 1.5 * widestLabel + 8 ? [0, 0.25, 0.5, 0.75, 1] : [0, 0.5, 1];
    context.strokeStyle = theme.text;
    for (const fraction of fractions) {
      const tickX = x + fraction * width;
      context.beginPath();
      context.moveTo(tickX, y + COLOR_BAR_HEIGHT);
      context.lineTo(tickX, y + COLOR_BAR_HEIGHT + 4);
      context.stroke();
      context.textAlign = 'center';
      if (fraction === 0) context.textAlign = 'left';
      if (fraction === 1) context.textAlign = 'right';
      context.fillText(labelOf(fraction), tickX, labelY);
    }
    context.restore();
  }

  drawCursor(layout, theme) {
    if (!this.cursor) return;
    const { plotX, plotY, cellSize } = layout;
    const context = this.context;
    const x = plotX + this.cursor.s * cellSize;
    const y = plotY + this.cursor.t * cellSize;
    const size = Math.max(cellSize, 3);
    context.save();
    context.lineWidth = 2;
    context.strokeStyle = theme.cursor;
    context.strokeRect(x - 1, y - 1, size + 2, size + 2);
    context.restore();
  }

  updateReadout() {
    if (!this.readout) return;
    if (!this.data || !this.cursor) {
      this.readout.textContent = this.data
        ? 'Point at a cell, or focus the matrix and use the arrow keys, to read its value.'
        : '';
      return;
    }
    const { values, T, tokens, valueName } = this.data;
    const { t, s } = this.cursor;
    const tokenOf = (step) => (tokens ? ` (token ${tokens[step]})` : '');
    const where = `t = ${t}${tokenOf(t)}, s = ${s}${tokenOf(s)}`;
    this.readout.textContent = s > t
      ? `${where}: ${valueName} = 0, because an output never depends on a later input (s > t)`
      : `${where}: ${valueName} = ${formatValue(values[t * T + s], 5)}`;
  }

  moveCursorToPointer(event) {
    if (!this.data || !this.layout) return;
    const { plotX, plotY, plotSize, cellSize } = this.layout;
    const x = event.offsetX - plotX;
    const y = event.offsetY - plotY;
    if (x < 0 || y < 0 || x >= plotSize || y >= plotSize) {
      this.clearPointerCursor();
      return;
    }
    const s = Math.min(this.data.T - 1, Math.floor(x / cellSize));
    const t = Math.min(this.data.T - 1, Math.floor(y / cellSize));
    if (this.cursor?.t === t && this.cursor.s === s) return;
    this.cursor = { t, s, source: 'pointer' };
    this.requestDraw();
  }

  clearPointerCursor() {
    if (this.cursor?.source !== 'pointer') return;
    this.cursor = null;
    this.requestDraw();
  }

  showKeyboardCursor() {
    if (!this.data || this.cursor) return;
    this.cursor = { t: 0, s: 0, source: 'keyboard' };
    this.requestDraw();
  }

  clearKeyboardCursor() {
    if (this.cursor?.source !== 'keyboard') return;
    this.cursor = null;
    this.requestDraw();
  }

  /** Arrow keys move the cursor by one cell, Page Up/Down by ten rows, Home/End to column 0 or the diagonal. */
  handleKey(event) {
    if (!this.data) return;
    const last = this.data.T - 1;
    const { t, s } = this.cursor ?? { t: 0, s: 0 };
    const moves = {
      ArrowUp: [t - 1, s], ArrowDown: [t + 1, s], ArrowLeft: [t, s - 1], ArrowRight: [t, s + 1],
      PageUp: [t - 10, s], PageDown: [t + 10, s], Home: [t, 0], End: [t, t],
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const clamp = (value) => Math.min(last, Math.max(0, value));
    this.cursor = { t: clamp(move[0]), s: clamp(move[1]), source: 'keyboard' };
    this.requestDraw();
  }

  /** Cancels a pending draw and removes every listener and observer. */
  destroy() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    for (const [target, type, handler] of this.listeners) target.removeEventListener(type, handler);
    this.listeners = [];
    this.resizeObserver.disconnect();
    this.data = null;
  }
}
