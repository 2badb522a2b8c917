// Small multiples: the attention matrix of every channel as a thumbnail,
// each a button that shows its channel in the large heatmap.
import { colorOf, formatValue } from './heatmap.mjs';
import { sharedScheduler } from './frame.mjs';
import { element } from './panels.mjs';
import { subscript } from './readout.mjs';

/** The side of a thumbnail in CSS pixels. */
export const THUMBNAIL_SIZE = 88;

/**
 * A grid of channel thumbnails in container. onSelect(j) is called when
 * the button of channel j is pressed.
 */
export class SmallMultiples {
  constructor(container, { onSelect, scheduler = sharedScheduler }) {
    this.container = container;
    this.onSelect = onSelect;
    this.scheduler = scheduler;
    this.buttons = [];
    this.data = null;
    this.drawTask = () => this.draw();
  }

  /**
   * Shows one matrix per channel. channels: [{ values, size, rowStarts }]
   * (size×size cells, row-major; rowStarts as for Heatmap), scale
   * ('linear' or 'symlog'), signed (false for max |α|), selected (the
   * channel shown in the large heatmap, or null).
   */
  setData({ channels, scale, signed, selected }) {
    this.data = { channels, scale, signed, selected };
    if (this.buttons.length !== channels.length) this.buildButtons(channels.length);
    this.scheduler.request(this.drawTask, this.drawTask);
  }

  clear() {
    this.data = null;
    this.buildButtons(0);
  }

  buildButtons(count) {
    this.buttons = Array.from({ length: count }, (_, j) => {
      const canvas = element('canvas', { width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, 'aria-hidden': 'true' });
      const caption = element('span', { className: 'multiple-caption' });
      const button = element('button', { type: 'button', className: 'multiple', 'aria-pressed': 'false' }, canvas, caption);
      button.addEventListener('click', () => this.onSelect(j));
      return { button, canvas, caption };
    });
    this.container.replaceChildren(...this.buttons.map(({ button }) => button));
  }

  draw() {
    if (!this.data) return;
    const { channels, scale, signed, selected } = this.data;
    const ratio = window.devicePixelRatio || 1;
    const side = Math.round(THUMBNAIL_SIZE * ratio);
    channels.forEach((channel, j) => {
      const { button, canvas, caption } = this.buttons[j];
      const limit = largestMagnitude(channel);
      canvas.width = side;
      canvas.height = side;
      canvas.style.width = `${THUMBNAIL_SIZE}px`;
      canvas.style.height = `${THUMBNAIL_SIZE}px`;
      const cells = document.createElement('canvas');
      cells.width = channel.size;
      cells.height = channel.size;
      const cellsContext = cells.getContext('2d');
      const image = cellsContext.createImageData(channel.size, channel.size);
      const { size, values, rowStarts } = channel;
      for (let i = 0; i < size; i++) {
        const lastStep = rowStarts[i + 1] - 1;
        for (let c = 0; c < size; c++) {
          if (rowStarts[c] > lastStep) break;
          const [r, g, b] = colorOf(values[i * size + c], limit, { scale, signed });
          const offset = (i * size + c) * 4;
          image.data.set([r, g, b, 255], offset);
        }
      }
      cellsContext.putImageData(image, 0, 0);
      const context = canvas.getContext('2d');
      context.clearRect(0, 0, side, side);
      context.imageSmoothingEnabled = false;
      context.drawImage(cells, 0, 0, side, side);
      const scaleText = signed ? `±${formatValue(limit, 2)}` : `0 to ${formatValue(limit, 2)}`;
      caption.textContent = `α${subscript(j)}, ${scaleText}`;
      button.setAttribute('aria-label', `Channel ${j}, colour scale ${scaleText}: show it in the large heatmap`);
      button.setAttribute('aria-pressed', String(selected === j));
    });
  }
}

function largestMagnitude({ values, size, rowStarts }) {
  let limit = 0;
  for (let i = 0; i < size; i++) {
    const lastStep = rowStarts[i + 1] - 1;
    for (let c = 0; c < size && rowStarts[c] <= lastStep; c++) limit = Math.max(limit, Math.abs(values[i * size + c]));
  }
  return limit;
}
