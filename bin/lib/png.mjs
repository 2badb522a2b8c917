// Writes an attention matrix as a PNG heatmap with a colour bar, axis labels
// and a title, using only Node's own zlib: an RGB raster, a 5×7 bitmap font
// for the text, and the PNG chunks around it.
import { deflateSync } from 'node:zlib';

import { colorOf } from '../../wasm/colormap.mjs';

// 5×7 glyphs, one string of five '#'/'.' per row.
const GLYPHS = {
  0: ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  1: ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  2: ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  3: ['####.', '....#', '....#', '.###.', '....#', '....#', '####.'],
  4: ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  5: ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  6: ['.###.', '#....', '#....', '####.', '#...#', '#...#', '.###.'],
  7: ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  8: ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  9: ['.###.', '#...#', '#...#', '.####', '....#', '....#', '.###.'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  '+': ['.....', '..#..', '..#..', '#####', '..#..', '..#..', '.....'],
  '=': ['.....', '.....', '#####', '.....', '#####', '.....', '.....'],
  ',': ['.....', '.....', '.....', '.....', '.##..', '..#..', '.#...'],
  ':': ['.....', '.##..', '.##..', '.....', '.##..', '.##..', '.....'],
  ';': ['.....', '.##..', '.##..', '.....', '.##..', '..#..', '.#...'],
  '(': ['...#.', '..#..', '.#...', '.#...', '.#...', '..#..', '...#.'],
  ')': ['.#...', '..#..', '...#.', '...#.', '...#.', '..#..', '.#...'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  _: ['.....', '.....', '.....', '.....', '.....', '.....', '#####'],
  '/': ['.....', '....#', '...#.', '..#..', '.#...', '#....', '.....'],
  a: ['.....', '.....', '.###.', '....#', '.####', '#...#', '.####'],
  b: ['#....', '#....', '####.', '#...#', '#...#', '#...#', '####.'],
  c: ['.....', '.....', '.####', '#....', '#....', '#....', '.####'],
  d: ['....#', '....#', '.####', '#...#', '#...#', '#...#', '.####'],
  e: ['.....', '.....', '.###.', '#...#', '#####', '#....', '.###.'],
  f: ['..##.', '.#...', '.#...', '###..', '.#...', '.#...', '.#...'],
  g: ['.....', '.####', '#...#', '#...#', '.####', '....#', '.###.'],
  h: ['#....', '#....', '####.', '#...#', '#...#', '#...#', '#...#'],
  i: ['..#..', '.....', '.##..', '..#..', '..#..', '..#..', '.###.'],
  j: ['...#.', '.....', '..##.', '...#.', '...#.', '#..#.', '.##..'],
  k: ['#....', '#....', '#..#.', '#.#..', '##...', '#.#..', '#..#.'],
  l: ['.##..', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  m: ['.....', '.....', '##.#.', '#.#.#', '#.#.#', '#.#.#', '#.#.#'],
  n: ['.....', '.....', '####.', '#...#', '#...#', '#...#', '#...#'],
  o: ['.....', '.....', '.###.', '#...#', '#...#', '#...#', '.###.'],
  p: ['.....', '.....', '####.', '#...#', '####.', '#....', '#....'],
  q: ['.....', '.####', '#...#', '#...#', '.####', '....#', '....#'],
  r: ['.....', '.....', '#.##.', '##..#', '#....', '#....', '#....'],
  s: ['.....', '.....', '.####', '#....', '.###.', '....#', '####.'],
  t: ['.#...', '.#...', '###..', '.#...', '.#...', '.#..#', '..##.'],
  u: ['.....', '.....', '#...#', '#...#', '#...#', '#..##', '.##.#'],
  v: ['.....', '.....', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  w: ['.....', '.....', '#...#', '#...#', '#.#.#', '#.#.#', '.#.#.'],
  x: ['.....', '.....', '#...#', '.#.#.', '..#..', '.#.#.', '#...#'],
  y: ['.....', '#...#', '#...#', '#...#', '.####', '....#', '.###.'],
  z: ['.....', '.....', '#####', '...#.', '..#..', '.#...', '#####'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  C: ['.###.', '#...#', '#....', '#....', '#....', '#...#', '.###.'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  K: ['#...#', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
};

const SCALE = 2; // each font pixel as 2×2 image pixels
const CHAR_WIDTH = 6 * SCALE;
export const LINE_HEIGHT = 9 * SCALE;

/** A white RGB raster with drawing helpers. */
export class Raster {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 3).fill(255);
  }

  set(x, y, [r, g, b]) {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const at = (y * this.width + x) * 3;
    this.pixels[at] = r;
    this.pixels[at + 1] = g;
    this.pixels[at + 2] = b;
  }

  fill(x, y, width, height, color) {
    for (let row = y; row < y + height; row++) {
      for (let column = x; column < x + width; column++) this.set(column, row, color);
    }
  }

  /** Draws text with its top-left corner at (x, y); unknown characters as blanks. */
  text(x, y, text, color = [0, 0, 0]) {
    for (const [index, character] of Array.from(text).entries()) {
      const glyph = GLYPHS[character] ?? GLYPHS[character.toLowerCase()] ?? GLYPHS[' '];
      glyph.forEach((row, gy) => {
        for (let gx = 0; gx < 5; gx++) {
          if (row[gx] === '#') this.fill(x + index * CHAR_WIDTH + gx * SCALE, y + gy * SCALE, SCALE, SCALE, color);
        }
      });
    }
  }
}

export function textWidth(text) {
  return Array.from(text).length * CHAR_WIDTH;
}

export function formatTick(value) {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  return magnitude >= 1e-2 && magnitude < 1e4 ? String(Number(value.toPrecision(3))) : value.toExponential(1);
}

/**
 * Renders alpha (T×T, row-major) as RGB pixels: one square per entry when
 * T is small, otherwise the image's plot side in pixels, each pixel showing
 * the entry of largest |α| among those it covers (sign kept).
 */
export function renderHeatmap(alpha, T, { title = '' } = {}) {
  const cell = Math.max(1, Math.floor(512 / T));
  const side = Math.min(T * cell, 1024);
  const left = 4 * SCALE + textWidth(String(T - 1)) + LINE_HEIGHT + 8;
  // Three text lines above the plot: title, axis title, step numbers.
  const top = LINE_HEIGHT * 3 + 12;
  const barGap = 24;
  const barWidth = 16;
  const right = barGap + barWidth + 8 + textWidth('-0.00e+00') + 8;
  const bottom = LINE_HEIGHT + 10;
  const raster = new Raster(left + side + right, top + side + bottom);

  let limit = 0;
  for (const v of alpha) limit = Math.max(limit, Math.abs(v));

  // Plot: pixel (px, py) covers rows and columns [floor(p T / side), floor((p+1) T / side)).
  for (let py = 0; py < side; py++) {
    const rowFrom = Math.floor((py * T) / side);
    const rowTo = Math.max(rowFrom + 1, Math.floor(((py + 1) * T) / side));
    for (let px = 0; px < side; px++) {
      const columnFrom = Math.floor((px * T) / side);
      const columnTo = Math.max(columnFrom + 1, Math.floor(((px + 1) * T) / side));
      let value = 0;
      for (let t = rowFrom; t < rowTo; t++) {
        for (let s = columnFrom; s < columnTo; s++) {
          const v = alpha[t * T + s];
          if (Math.abs(v) > Math.abs(value)) value = v;
        }
      }
      const above = columnFrom > rowTo - 1;
      raster.set(left + px, top + py, above ? [235, 235, 235] : colorOf(value, limit));
    }
  }

  // Frame, title and axis labels with a few step numbers.
  const gray = [90, 90, 90];
  raster.fill(left - 1, top - 1, side + 2, 1, gray);
  raster.fill(left - 1, top + side, side + 2, 1, gray);
  raster.fill(left - 1, top - 1, 1, side + 2, gray);
  raster.fill(left + side, top - 1, 1, side + 2, gray);
  raster.text(left, 4, title);
  raster.text(left, LINE_HEIGHT + 6, 's (input step)', gray);
  raster.text(4, top + side + 8, 't (output step)', gray);
  const ticks = [...new Set([0, Math.round((T - 1) / 2), T - 1])];
  for (const step of ticks) {
    const offset = Math.floor(((step + 0.5) * side) / T);
    const label = String(step);
    raster.text(left + offset - textWidth(label) / 2, top - LINE_HEIGHT - 2, label, gray);
    raster.text(left - textWidth(label) - 6, top + offset - 7, label, gray);
  }

  // Colour bar from +limit (top) to -limit (bottom), with numbers.
  const barLeft = left + side + barGap;
  for (let y = 0; y < side; y++) {
    raster.fill(barLeft, top + y, barWidth, 1, colorOf(limit * (1 - (2 * y) / (side - 1 || 1)), limit));
  }
  for (const [fraction, value] of [[0, limit], [0.5, 0], [1, -limit]]) {
    const y = top + Math.round(fraction * (side - 1));
    raster.fill(barLeft + barWidth, y, 4, 1, gray);
    raster.text(barLeft + barWidth + 10, Math.min(Math.max(y - 7, 0), raster.height - 14), formatTick(value), gray);
  }
  return raster;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes a Raster as a PNG file (8-bit RGB, no interlace). */
export function encodePng(raster) {
  const { width, height, pixels } = raster;
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    rows[y * (1 + width * 3)] = 0; // filter type: none
    rows.set(pixels.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
