// Seeded random numbers shared by the random models, the task generators and
// training, so that every seeded run repeats exactly in Node and browsers.

/** Returns mulberry32, a small seeded generator of uniform numbers in [0, 1). */
export function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Returns the seed of an independent stream for `seed`, so that data,
 * initialization and shuffling drawn for one seed do not share draws
 * (murmur3's 32-bit finalizer of seed + stream · golden ratio).
 */
export function deriveSeed(seed, stream) {
  let z = (seed + Math.imul(stream, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Returns a sampler of standard normal numbers drawn from `random`. */
export function normalSampler(random) {
  return () => {
    // Box–Muller; 1 - random() lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    return radius * Math.cos(2 * Math.PI * random());
  };
}

/** Returns an integer drawn uniformly from lo..hi inclusive. */
export function randomInteger(random, lo, hi) {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** Shuffles `values` in place (Fisher–Yates) and returns it. */
export function shuffle(values, random) {
  for (let i = values.length - 1; i > 0; i--) {
    const k = Math.floor(random() * (i + 1));
    const swap = values[i];
    values[i] = values[k];
    values[k] = swap;
  }
  return values;
}
