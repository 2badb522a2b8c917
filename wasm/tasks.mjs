// Seeded data sets for training: the majority task and ListOps, generated as
// in the code of Honarpisheh et al., "Generalization Error Analysis for
// Selective State-Space Models Through the Lens of Attention" (NeurIPS 2025),
// github.com/Arya-Honarpisheh/gen_err_sel_ssm (training/load_datasets.py and
// dataset/listops/listops.py, a copy of the Long Range Arena generator).
//
// A split is { tokens, offsets, labels, count }: sequence i is
// tokens[offsets[i]..offsets[i + 1]) and its class is labels[i].
import { SsmLensError, checkNumber, describe } from './errors.mjs';
import { mulberry32, randomInteger, shuffle } from './random.mjs';

/** Token limit of one split: 2^28 int32 tokens are 1 GiB. */
const MAX_SPLIT_TOKENS = 2 ** 28;

const MAJORITY_VOCAB = Object.freeze(['0', '1']);
const MAJORITY_OPTIONS = ['T', 'train', 'test', 'seed', 'flip'];

// The vocabulary of the authors' ListOps loader. Their checkpoint's
// embedding has one row per entry, in this order.
const LISTOPS_VOCAB = Object.freeze([
  '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '[MIN', '[MAX', '[MED', '[SM', ']', '<pad>',
]);
const LISTOPS_OPTIONS = ['T', 'spread', 'train', 'test', 'seed', 'maxDepth', 'maxArgs', 'pad'];
const MIN = 10;
const MAX = 11;
const MED = 12;
const SUM_MOD = 13;
const CLOSE = 14;
const PAD = 15;
// Operator ids in the order of the Long Range Arena script's OPERATORS list.
const OPERATORS = [MIN, MAX, MED, SUM_MOD];

// VALUE_P of the Long Range Arena script: a node is a digit when its draw r
// is above this.
const VALUE_P = 0.25;

// A digit slot in a tree shape that the fill pass has not drawn yet.
const UNFILLED_DIGIT = -1;

// The rejection-sampling budget, counted in shape tokens generated (about
// 13 ns each in Node 20 on one core of an AMD EPYC). Measured with seed 0
// and the other options at their defaults, T = 1000 needs about 1.6·10^5 per
// kept sequence, T = 2000 about 7.5·10^5 and T = 2500 about 1.7·10^6, which
// is over budget.
const BASE_TOKEN_BUDGET = 2 ** 26;
const TOKEN_BUDGET_PER_SEQUENCE = 2 ** 20;
const BUDGET_CHECK_INTERVAL = 2 ** 22;
// Sampling stops when trees in the length range repeat earlier ones this
// many times per requested sequence. On average, drawing from N distinct
// sequences reaches it only when more than 99.9% of them are requested.
const DUPLICATES_PER_SEQUENCE = 8;
// mulberry32 has 2^32 states. Past them the draws, and so the trees, repeat.
// The margin covers the draws between two budget checks.
const MAX_DRAWS = 2 ** 32 - 2 ** 24;

/**
 * Generates the majority task: binary sequences of length T whose class is
 * 1 when more than half of the clean sequence is ones.
 *
 * For each sequence the number of ones k is uniform in 0..T, the k ones and
 * T − k zeros are shuffled, and the label is k > T/2. In the training split
 * only, each one then becomes a zero with probability `flip`, and labels
 * keep the clean count. Test sequences are clean.
 *
 * One mulberry32(seed) stream is consumed in this order: every training
 * sequence (k, then the shuffle), every test sequence, then the flips of the
 * training ones. So the clean sequences do not depend on `flip`, and flip = 0
 * returns the clean training set of any other flip with the same seed. The
 * test split does depend on `train`. The generator's state has period 2^32
 * and the token limits keep its use below 3·2^28 draws, so no state repeats.
 *
 * Options: T (1..10^6), train (1..10^6), test (0..10^6), seed (0..2^32 − 1),
 * flip (0..1). train·T and test·T may be at most 2^28 tokens each.
 * Returns { task: 'majority', vocab: ['0', '1'], classes: 2, T, train, test }
 * where train and test are splits { tokens, offsets, labels, count }.
 */
export function majorityTask(options = {}) {
  checkOptions('majorityTask', options, MAJORITY_OPTIONS);
  const { T, train = 1000, test = 1000, seed = 0, flip = 0.25 } = options;
  checkNumber('T', T, { min: 1, max: 1e6, integer: true });
  checkNumber('train', train, { min: 1, max: 1e6, integer: true });
  checkNumber('test', test, { min: 0, max: 1e6, integer: true });
  checkNumber('seed', seed, { min: 0, max: 2 ** 32 - 1, integer: true });
  checkNumber('flip', flip, { min: 0, max: 1 });
  checkSplitTokens('train', train, 'T', T);
  checkSplitTokens('test', test, 'T', T);

  const random = mulberry32(seed);
  const trainSplit = majoritySplit(random, T, train);
  const testSplit = majoritySplit(random, T, test);
  if (flip > 0) flipOnes(trainSplit.tokens, flip, random);

  return { task: 'majority', vocab: [...MAJORITY_VOCAB], classes: 2, T, train: trainSplit, test: testSplit };
}

/** Draws `count` clean majority sequences of length T from `random`. */
function majoritySplit(random, T, count) {
  const tokens = new Int32Array(count * T);
  const offsets = new Int32Array(count + 1);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const ones = randomInteger(random, 0, T);
    const sequence = tokens.subarray(i * T, (i + 1) * T);
    sequence.fill(1, 0, ones);
    shuffle(sequence, random);
    labels[i] = ones > T / 2 ? 1 : 0;
    offsets[i + 1] = (i + 1) * T;
  }
  return { tokens, offsets, labels, count };
}

/** Turns each 1 in `tokens` into 0 with probability `flip`, in place. */
function flipOnes(tokens, flip, random) {
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === 1 && random() < flip) tokens[i] = 0;
  }
}

/**
 * Generates ListOps: nested MIN, MAX, MED (median, rounded down) and SM
 * (sum mod 10) expressions over the digits 0..9, labelled with their value.
 *
 * Trees come from the Long Range Arena grammar: a node at depth < maxDepth
 * draws r uniform in [0, 1) and is a digit when r > 0.25, and a node at
 * maxDepth is always a digit. Otherwise it has 2..maxArgs arguments, each a
 * node one level deeper, and an operator drawn after them. The root is at
 * depth 1. Tokens have no parentheses, as in the authors' loader, so
 * `[MAX 2 9 [MIN 4 7 ] 0 ]` is one sequence of length 9.
 *
 * Rejection sampling keeps trees whose length L satisfies
 * T − spread < L < T + spread and that differ from every tree kept before,
 * until train + test are kept. The first `train` form the training split.
 * The original script splits in Python set order instead, which is hash
 * order. One mulberry32(seed) stream drives all of it. Throws SsmLensError
 * when no tree can have such a length, when the sampling budget of
 * 2^26 + 2^20·(train + test) generated tokens runs out or is projected to,
 * or when the request needs more than the generator's 2^32 states.
 *
 * With pad = true (the authors' loader) each split is padded at the end
 * with '<pad>' (id 15) to the length of its longest sequence, so all its
 * sequences have one length. pad = false keeps each sequence's own length.
 *
 * Options: T (3..10^5), spread (1..10^5), train (1..10^6), test (0..10^6),
 * seed (0..2^32 − 1), maxDepth (1..64), maxArgs (2..64), pad (boolean).
 * train·(T + spread − 1) and test·(T + spread − 1) may be at most 2^28
 * tokens each.
 * Returns { task: 'listops', vocab, classes: 10, T, train, test } with the
 * vocabulary '0'..'9', '[MIN', '[MAX', '[MED', '[SM', ']', '<pad>' (ids 0..15).
 */
export function listopsTask(options = {}) {
  checkOptions('listopsTask', options, LISTOPS_OPTIONS);
  const {
    T, spread = 5, train = 1000, test = 1000, seed = 0, maxDepth = 10, maxArgs = 10, pad = true,
  } = options;
  checkNumber('T', T, { min: 3, max: 1e5, integer: true });
  checkNumber('spread', spread, { min: 1, max: 1e5, integer: true });
  checkNumber('train', train, { min: 1, max: 1e6, integer: true });
  checkNumber('test', test, { min: 0, max: 1e6, integer: true });
  checkNumber('seed', seed, { min: 0, max: 2 ** 32 - 1, integer: true });
  checkNumber('maxDepth', maxDepth, { min: 1, max: 64, integer: true });
  checkNumber('maxArgs', maxArgs, { min: 2, max: 64, integer: true });
  if (typeof pad !== 'boolean') {
    throw new SsmLensError(`pad must be true or false, got ${describe(pad)}`);
  }
  checkSplitTokens('train', train, '(T + spread − 1)', T + spread - 1);
  checkSplitTokens('test', test, '(T + spread − 1)', T + spread - 1);

  const settings = {
    T, spread, maxDepth, maxArgs, minLength: Math.max(1, T - spread + 1), maxLength: T + spread - 1,
  };
  checkLengthReachable(settings);

  const { sequences, labels } = sampleDistinctTrees(mulberry32(seed), settings, train + test);
  const padId = pad ? PAD : null;
  return {
    task: 'listops',
    vocab: [...LISTOPS_VOCAB],
    classes: 10,
    T,
    train: packSplit(sequences.slice(0, train), labels.slice(0, train), padId),
    test: packSplit(sequences.slice(train), labels.slice(train), padId),
  };
}

/**
 * Throws unless some tree can have a length in minLength..maxLength. A tree
 * is one digit (length 1) or an operator node of length at least 4, and no
 * tree is longer than the full tree with maxArgs arguments at every node.
 */
function checkLengthReachable({ T, spread, maxDepth, maxArgs, minLength, maxLength }) {
  let longest = 1;
  for (let depth = maxDepth - 1; depth >= 1; depth--) longest = 2 + maxArgs * longest;
  const digitFits = minLength <= 1;
  const nodeFits = maxDepth >= 2 && Math.max(minLength, 4) <= Math.min(maxLength, longest);
  if (!digitFits && !nodeFits) {
    const lengths = maxDepth === 1 ? 'length 1' : `length 1 or 4..${longest > 1e9 ? longest.toExponential(1) : longest}`;
    throw new SsmLensError(
      `listops: no tree has a length in ${minLength}..${maxLength} (T = ${T}, spread = ${spread}): `
      + `trees have ${lengths} when maxDepth = ${maxDepth} and maxArgs = ${maxArgs}; `
      + 'change T or spread, or raise maxDepth or maxArgs',
    );
  }
}

/**
 * Draws trees until `count` distinct ones have a length in the settings'
 * range. Returns { sequences (Int32Array each), labels (numbers) }.
 */
function sampleDistinctTrees(random, settings, count) {
  const sampler = createTreeSampler(random, settings.maxDepth, settings.maxArgs, settings.maxLength);
  const seen = new Set();
  const sequences = [];
  const labels = [];
  const budget = BASE_TOKEN_BUDGET + TOKEN_BUDGET_PER_SEQUENCE * count;
  const progress = { attempts: 0, inRange: 0, generated: 0 };
  let nextCheck = BASE_TOKEN_BUDGET;

  while (sequences.length < count) {
    progress.attempts++;
    const length = sampler.growShape();
    progress.generated += sampler.generated();
    if (length >= settings.minLength) {
      progress.inRange++;
      const label = sampler.fillTree();
      const sequence = sampler.tokens().slice(0, length);
      const key = sequenceKey(sequence);
      if (!seen.has(key)) {
        seen.add(key);
        sequences.push(sequence);
        labels.push(label);
      } else if (progress.inRange - sequences.length > DUPLICATES_PER_SEQUENCE * count) {
        throwSamplingFailure(settings, count, sequences.length, progress, budget, Infinity);
      }
    }
    if (progress.generated >= nextCheck && sequences.length < count) {
      checkBudget(settings, count, sequences.length, progress, budget);
      checkDraws(settings, count, sequences.length, sampler.draws());
      nextCheck = progress.generated + BUDGET_CHECK_INTERVAL;
    }
  }
  return { sequences, labels };
}

/**
 * Throws when the tokens generated so far, or the total projected from the
 * rate of distinct sequences so far, exceed the budget.
 */
function checkBudget(settings, count, distinct, progress, budget) {
  const projected = distinct === 0 ? Infinity : (progress.generated * count) / distinct;
  if (projected <= budget && progress.generated < budget) return;
  throwSamplingFailure(settings, count, distinct, progress, budget, projected);
}

/** Throws when the draws so far come close to the generator's 2^32 states. */
function checkDraws(settings, count, distinct, draws) {
  if (draws <= MAX_DRAWS) return;
  throw new SsmLensError(
    `listops: could not generate ${count} distinct sequences with T = ${settings.T}: after ${draws} random draws `
    + `only ${distinct} were found, and further draws would repeat the 2^32 states of the seeded generator `
    + '(mulberry32); request fewer sequences or lower T',
  );
}

/** Throws the error that ends sampling, with the counts so far and what to change. */
function throwSamplingFailure(settings, count, distinct, progress, budget, projected) {
  const { T, spread, maxDepth, maxArgs, minLength, maxLength } = settings;
  const found = `after ${progress.attempts} trees (${progress.generated} tokens generated), `
    + `${progress.inRange} had a length in ${minLength}..${maxLength} and ${distinct} of those were distinct`;
  // Mostly repeats means the range contains few distinct sequences.
  // Otherwise trees in the range are too rare.
  let advice;
  if (progress.inRange > 2 * distinct) {
    advice = 'too few distinct sequences have these lengths, so raise T or spread, or request fewer sequences';
  } else {
    const rate = distinct === 0
      ? 'no tree so far had such a length'
      : `at this rate the request needs about ${projected.toExponential(1)} generated tokens, over the budget of ${budget.toExponential(1)}`;
    advice = `trees this long are rare under these settings (${rate}); lower T, raise spread, `
      + 'or change maxDepth or maxArgs (both change the distribution of trees)';
  }
  const sequencesText = count === 1 ? '1 distinct sequence' : `${count} distinct sequences`;
  throw new SsmLensError(
    `listops: could not generate ${sequencesText} with T = ${T}, spread = ${spread}, `
    + `maxDepth = ${maxDepth}, maxArgs = ${maxArgs}: ${found}; ${advice}`,
  );
}

/**
 * Returns a sampler of tree shapes in two passes. growShape() draws the
 * shape (which nodes are digits, and each operator's argument count) and
 * stops as soon as the tree cannot end within maxLength tokens. fillTree()
 * then draws the digits and operators of an accepted shape and evaluates the
 * tree. Digits and operators do not change the length, so drawing them only
 * for accepted shapes leaves the distribution of accepted trees unchanged.
 */
function createTreeSampler(random, maxDepth, maxArgs, maxLength) {
  // The shape in prefix order: UNFILLED_DIGIT, an argument count at an
  // operator's slot, CLOSE at its closing bracket. fillTree() overwrites
  // the first two kinds with token ids.
  const slots = new Int32Array(maxLength + 1);
  let position = 0;
  let draws = 0;
  // Tokens that open operators still need: one closing bracket each, and at
  // least one token for each argument not yet started.
  let pending = 0;
  let cursor = 0;

  function draw() {
    draws++;
    return random();
  }

  function growNode(depth) {
    const r = depth < maxDepth ? draw() : 1;
    if (r > VALUE_P) {
      slots[position++] = UNFILLED_DIGIT;
      return position + pending <= maxLength;
    }
    const argumentCount = randomInteger(draw, 2, maxArgs);
    slots[position++] = argumentCount;
    pending += argumentCount + 1;
    if (position + pending > maxLength) return false;
    for (let i = 0; i < argumentCount; i++) {
      pending--;
      if (!growNode(depth + 1)) return false;
    }
    pending--;
    slots[position++] = CLOSE;
    return true;
  }

  function fillNode() {
    const slot = cursor++;
    if (slots[slot] === UNFILLED_DIGIT) {
      slots[slot] = randomInteger(draw, 0, 9);
      return slots[slot];
    }
    const values = [];
    const argumentCount = slots[slot];
    for (let i = 0; i < argumentCount; i++) values.push(fillNode());
    cursor++; // the closing bracket
    const operator = OPERATORS[randomInteger(draw, 0, OPERATORS.length - 1)];
    slots[slot] = operator;
    return operatorValue(operator, values);
  }

  return {
    /** Draws a shape; returns its length, or −1 when it is too long. */
    growShape() {
      position = 0;
      pending = 0;
      return growNode(1) ? position : -1;
    },
    /** The number of slots the last growShape() wrote. */
    generated: () => position,
    /** Fills the last accepted shape with tokens; returns the tree's value. */
    fillTree() {
      cursor = 0;
      return fillNode();
    },
    tokens: () => slots,
    /** The number of random draws so far. */
    draws: () => draws,
  };
}

/**
 * Returns the value of an operator on digit values, computed from a count
 * of each digit. listopsValue computes the same values by sorting, so the
 * tests can check one against the other.
 */
function operatorValue(operator, values) {
  const digitCounts = new Int32Array(10);
  for (const value of values) digitCounts[value]++;
  const smallest = digitCounts.findIndex((n) => n > 0);
  const largest = 9 - [...digitCounts].reverse().findIndex((n) => n > 0);
  switch (operator) {
    case MIN:
      return smallest;
    case MAX:
      return largest;
    case SUM_MOD:
      return digitCounts.reduce((sum, n, digit) => sum + n * digit, 0) % 10;
    default: {
      // MED is int(np.median(values)): the mean of the two middle values for
      // an even count, rounded down because the values are not negative.
      const lower = digitAtRank(digitCounts, Math.floor((values.length - 1) / 2));
      const upper = digitAtRank(digitCounts, Math.floor(values.length / 2));
      return Math.floor((lower + upper) / 2);
    }
  }
}

/** Returns the digit at 0-based `rank` in the sorted values that `digitCounts` counts. */
function digitAtRank(digitCounts, rank) {
  let below = 0;
  for (let digit = 0; digit < 10; digit++) {
    below += digitCounts[digit];
    if (rank < below) return digit;
  }
  throw new SsmLensError(`rank ${rank} is outside the ${below} counted values`);
}

/** Returns a string that identifies a token sequence, for the set of seen trees. */
function sequenceKey(sequence) {
  const CHUNK = 8192;
  const parts = [];
  for (let start = 0; start < sequence.length; start += CHUNK) {
    parts.push(String.fromCharCode.apply(null, sequence.subarray(start, start + CHUNK)));
  }
  return parts.join('');
}

/**
 * Concatenates sequences into a split. With a pad id, every sequence is
 * padded at the end to the longest one.
 */
function packSplit(sequences, labels, padId) {
  const count = sequences.length;
  const offsets = new Int32Array(count + 1);
  let tokens;
  if (padId === null) {
    for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i] + sequences[i].length;
    tokens = new Int32Array(offsets[count]);
    sequences.forEach((sequence, i) => tokens.set(sequence, offsets[i]));
  } else {
    const width = sequences.reduce((longest, sequence) => Math.max(longest, sequence.length), 0);
    tokens = new Int32Array(count * width).fill(padId);
    sequences.forEach((sequence, i) => {
      tokens.set(sequence, i * width);
      offsets[i + 1] = (i + 1) * width;
    });
  }
  return { tokens, offsets, labels: Int32Array.from(labels), count };
}

/**
 * Evaluates a ListOps token id sequence with an explicit stack and returns
 * its value (0..9). Trailing '<pad>' tokens (id 15) are ignored. Throws
 * SsmLensError for an unknown id, a pad before another token, an unmatched
 * or missing ']', an operator without arguments, or anything other than
 * exactly one expression.
 */
export function listopsValue(tokens) {
  checkTokenArray('tokens', tokens);
  const operators = []; // [operator id, its position, index of its first value]
  const values = [];
  let padAt = -1;

  for (let i = 0; i < tokens.length; i++) {
    const id = tokens[i];
    if (!Number.isInteger(id) || id < 0 || id >= LISTOPS_VOCAB.length) {
      throw new SsmLensError(`tokens[${i}] must be a ListOps token id 0..${LISTOPS_VOCAB.length - 1}, got ${describe(id)}`);
    }
    if (id === PAD) {
      if (padAt < 0) padAt = i;
      continue;
    }
    if (padAt >= 0) {
      throw new SsmLensError(`tokens[${i}] is '${LISTOPS_VOCAB[id]}' after the '<pad>' at position ${padAt}; pads may only end a sequence`);
    }

    if (id <= 9) {
      values.push(id);
    } else if (id !== CLOSE) {
      operators.push([id, i, values.length]);
    } else {
      if (operators.length === 0) {
        throw new SsmLensError(`tokens[${i}] is a ']' that closes no operator`);
      }
      const [operator, start, first] = operators.pop();
      const args = values.splice(first);
      if (args.length === 0) {
        throw new SsmLensError(`the '${LISTOPS_VOCAB[operator]}' at position ${start} has no arguments`);
      }
      values.push(applyOperator(operator, args));
    }
  }

  if (operators.length > 0) {
    const [operator, start] = operators[operators.length - 1];
    throw new SsmLensError(`the '${LISTOPS_VOCAB[operator]}' at position ${start} is not closed by a ']'`);
  }
  if (values.length !== 1) {
    throw new SsmLensError(`tokens must contain exactly one expression, got ${values.length}`);
  }
  return values[0];
}

/** Applies a ListOps operator to its argument values by sorting them. */
function applyOperator(operator, args) {
  const sorted = [...args].sort((a, b) => a - b);
  switch (operator) {
    case MIN:
      return sorted[0];
    case MAX:
      return sorted[sorted.length - 1];
    case MED: {
      const middle = sorted.length >> 1;
      return sorted.length % 2 === 1 ? sorted[middle] : Math.floor((sorted[middle - 1] + sorted[middle]) / 2);
    }
    default:
      return sorted.reduce((sum, value) => sum + value, 0) % 10;
  }
}

/**
 * Returns the text of a token id sequence, the vocabulary entries joined by
 * spaces, pads included. `task` is a task object from majorityTask,
 * listopsTask or taskData, or the name 'majority' or 'listops'.
 */
export function formatTokens(task, tokens) {
  let vocab;
  if (task === 'majority') vocab = MAJORITY_VOCAB;
  else if (task === 'listops') vocab = LISTOPS_VOCAB;
  else if (task !== null && typeof task === 'object' && Array.isArray(task.vocab)) vocab = task.vocab;
  else {
    throw new SsmLensError(`task must be a task object with a vocab array or the name 'majority' or 'listops', got ${describe(task)}`);
  }
  checkTokenArray('tokens', tokens);
  const words = [];
  for (let i = 0; i < tokens.length; i++) {
    const id = tokens[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocab.length) {
      throw new SsmLensError(`tokens[${i}] must be a token id 0..${vocab.length - 1}, got ${describe(id)}`);
    }
    words.push(vocab[id]);
  }
  return words.join(' ');
}

/**
 * Generates the task `name` ('majority' or 'listops') with `options`, as
 * majorityTask or listopsTask does.
 */
export function taskData(name, options = {}) {
  if (name === 'majority') return majorityTask(options);
  if (name === 'listops') return listopsTask(options);
  throw new SsmLensError(`task name must be 'majority' or 'listops', got ${describe(name)}`);
}

/** Throws unless `options` is a plain object with only the `allowed` keys. */
function checkOptions(functionName, options, allowed) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new SsmLensError(`${functionName} options must be an object, got ${describe(options)}`);
  }
  const unknown = Object.keys(options).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new SsmLensError(`${functionName}: unknown option ${unknown.map((key) => `'${key}'`).join(', ')}; expected ${allowed.join(', ')}`);
  }
}

/** Throws when `count` sequences of up to `length` tokens exceed MAX_SPLIT_TOKENS. */
function checkSplitTokens(countName, count, lengthName, length) {
  if (count * length > MAX_SPLIT_TOKENS) {
    throw new SsmLensError(
      `${countName} × ${lengthName} = ${count} × ${length} tokens exceeds the split limit of 2^28 `
      + `(${MAX_SPLIT_TOKENS}); lower ${countName} or T`,
    );
  }
}

function checkTokenArray(name, tokens) {
  const isArray = Array.isArray(tokens) || (ArrayBuffer.isView(tokens) && !(tokens instanceof DataView));
  if (!isArray) {
    throw new SsmLensError(`${name} must be an array or typed array of token ids, got ${describe(tokens)}`);
  }
}
