// The diverging colour map of ssm-lens's heatmaps, shared by the page and
// the command line's PNG output. No DOM: it maps numbers to RGB.

/**
 * ColorBrewer RdBu with 11 classes, reversed so that blue is negative,
 * near-white is 0 and red is positive; ColorBrewer marks it colour-blind
 * safe. A value v sits at (v / limit + 1) / 2 along the stops and is
 * interpolated linearly in sRGB.
 */
export const COLOR_STOPS = Object.freeze([
  '#053061', '#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7',
  '#fddbc7', '#f4a582', '#d6604d', '#b2182b', '#67001f',
]);

/** Entries of the lookup table; entry i is the colour at i / (LUT_SIZE - 1). */
export const LUT_SIZE = 256;
/** LUT_SIZE colours as consecutive r, g, b bytes. */
export const COLOR_LUT = buildLut();
const LUT = COLOR_LUT;

function buildLut() {
  const stops = COLOR_STOPS.map((hex) => [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16)));
  const lut = new Uint8Array(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const position = (i / (LUT_SIZE - 1)) * (stops.length - 1);
    const lower = Math.min(Math.floor(position), stops.length - 2);
    const fraction = position - lower;
    for (let channel = 0; channel < 3; channel++) {
      const from = stops[lower][channel];
      lut[i * 3 + channel] = Math.round(from + (stops[lower + 1][channel] - from) * fraction);
    }
  }
  return lut;
}

/** Returns the colour of value on the scale ±limit as [r, g, b] (0–255). */
export function colorOf(value, limit) {
  const position = limit > 0 ? (value / limit + 1) / 2 : 0.5;
  const index = Math.round(Math.min(1, Math.max(0, position)) * (LUT_SIZE - 1));
  return [LUT[index * 3], LUT[index * 3 + 1], LUT[index * 3 + 2]];
}
