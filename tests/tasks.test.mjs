// The seeded task generators (wasm/tasks.mjs): split layout, determinism,
// the majority recipe and its label noise, and ListOps labels checked by the
// independent stack evaluator listopsValue.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SsmLensError } from '../wasm/errors.mjs';
import {
  formatTokens, listopsTask, listopsValue, majorityTask, taskData,
} from '../wasm/tasks.mjs';

const LISTOPS_VOCAB = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '[MIN', '[MAX', '[MED', '[SM', ']', '<pad>'];
const PAD = 15;

// Rows of the authors' ListOps training file for T = 100 (github.com/
// Arya-Honarpisheh/gen_err_sel_ssm, dataset/listops/Tmin=95_Tmax=105_
// num_train_samples=1000_num_valid_samples=0_num_test_samples=1000/
// basic_train.tsv): the source with parentheses, and the target that the
// Long Range Arena script computed.
const AUTHORS_ROWS = [
  ['( ( ( ( ( ( ( ( ( ( [SM 0 ) 4 ) 7 ) 3 ) 0 ) 3 ) ( ( ( [SM 9 ) 5 ) ] ) ) ( ( ( ( ( ( ( ( [SM ( ( ( ( ( ( ( ( ( ( [MAX 4 ) 0 ) 5 ) ( ( ( ( ( [MED 1 ) ( ( ( ( [MED 6 ) 4 ) ( ( ( ( ( ( ( ( ( [MAX 9 ) ( ( ( ( ( ( ( [MAX ( ( ( [MIN 3 ) 4 ) ] ) ) ( ( ( ( ( ( ( ( [MAX 2 ) 0 ) 4 ) ( ( ( ( ( [MIN 5 ) 8 ) 8 ) 3 ) ] ) ) 1 ) ( ( ( ( ( ( ( ( ( ( ( [MAX 9 ) 5 ) 5 ) 3 ) 8 ) 9 ) 1 ) 0 ) 9 ) 0 ) ] ) ) ( ( ( ( ( ( ( ( [SM 5 ) 1 ) 2 ) 8 ) 3 ) 8 ) 7 ) ] ) ) ] ) ) 3 ) 3 ) 3 ) 0 ) ] ) ) 4 ) 5 ) 8 ) 9 ) 4 ) 0 ) ] ) ) ] ) ) 4 ) 0 ) ] ) ) 3 ) 9 ) 4 ) ( ( ( ( [MED 7 ) 2 ) 9 ) ] ) ) ( ( ( ( ( [MIN 7 ) 8 ) 9 ) 1 ) ] ) ) ] ) ) 7 ) 8 ) 5 ) 1 ) 9 ) 1 ) ] ) ) 1 ) ] )', 2],
  ['( ( ( ( [MAX 8 ) ( ( ( ( [MIN ( ( ( ( ( [MIN 4 ) ( ( ( ( ( ( ( ( ( [SM 2 ) 9 ) 4 ) 8 ) 7 ) 5 ) 9 ) 8 ) ] ) ) 8 ) ( ( ( ( ( ( ( ( ( [SM 6 ) 0 ) 1 ) 3 ) 8 ) ( ( ( ( ( ( ( ( ( ( ( [SM 3 ) 0 ) 1 ) 6 ) ( ( ( ( ( [MED 6 ) ( ( ( ( ( ( ( ( ( [SM 2 ) 6 ) 1 ) 1 ) 9 ) 8 ) 6 ) 2 ) ] ) ) 5 ) 0 ) ] ) ) 5 ) ( ( ( ( ( ( ( ( ( ( ( [MED 3 ) 4 ) 3 ) 0 ) 1 ) 8 ) 1 ) 3 ) ( ( ( [SM ( ( ( [SM 8 ) ( ( ( ( [MIN 6 ) 4 ) 5 ) ] ) ) ] ) ) 5 ) ] ) ) 0 ) ] ) ) 8 ) 5 ) 7 ) ] ) ) 9 ) 4 ) ] ) ) ] ) ) ( ( ( ( ( ( ( ( [SM 1 ) ( ( ( [MAX 0 ) 4 ) ] ) ) 7 ) ( ( ( ( ( [MAX 1 ) 8 ) 3 ) ( ( ( ( ( ( [MAX 2 ) 1 ) 1 ) 6 ) 3 ) ] ) ) ] ) ) 0 ) 3 ) 0 ) ] ) ) 7 ) ] ) ) 8 ) ] )', 8],
  ['( ( ( [MED ( ( ( ( [SM 4 ) 3 ) 4 ) ] ) ) ( ( ( ( ( [MED 5 ) 0 ) ( ( ( ( ( [MAX 8 ) ( ( ( ( ( ( ( ( ( ( [MED 8 ) 3 ) ( ( ( ( [MAX 3 ) ( ( ( ( ( ( ( ( ( [SM ( ( ( [SM 3 ) 7 ) ] ) ) 0 ) 4 ) ( ( ( ( ( ( ( ( [MED 0 ) 9 ) 4 ) 1 ) ( ( ( [MED 6 ) 1 ) ] ) ) ( ( ( ( ( ( [MED ( ( ( ( ( ( ( ( ( ( ( [MIN 0 ) 2 ) 2 ) 2 ) 1 ) 0 ) 0 ) 3 ) 5 ) 8 ) ] ) ) 4 ) ( ( ( ( ( ( ( ( [MIN 7 ) 1 ) 5 ) 5 ) 6 ) 7 ) 6 ) ] ) ) 7 ) ( ( ( ( ( ( ( [SM 4 ) 6 ) 5 ) 1 ) 1 ) 4 ) ] ) ) ] ) ) 5 ) ] ) ) 6 ) 1 ) 8 ) 9 ) ] ) ) 2 ) ] ) ) 2 ) 6 ) 8 ) 2 ) 3 ) 9 ) ] ) ) ( ( ( ( ( ( ( ( ( [SM 0 ) ( ( ( ( ( [MIN 5 ) 6 ) 7 ) 4 ) ] ) ) 2 ) 6 ) 5 ) 1 ) 8 ) 2 ) ] ) ) 1 ) ] ) ) 0 ) ] ) ) ] )', 1],
];

/** Encodes ListOps text (without parentheses) as token ids. */
function encode(text) {
  return text.split(/\s+/).filter(Boolean).map((word) => {
    const id = LISTOPS_VOCAB.indexOf(word);
    assert.ok(id >= 0, `unknown ListOps word ${word}`);
    return id;
  });
}

/** Returns sequence i of a split. */
function sequenceAt(split, i) {
  return split.tokens.subarray(split.offsets[i], split.offsets[i + 1]);
}

/** Asserts the split layout: offsets, counts and array types. */
function assertSplitLayout(split, name) {
  assert.ok(split.tokens instanceof Int32Array, `${name}.tokens is an Int32Array`);
  assert.ok(split.offsets instanceof Int32Array, `${name}.offsets is an Int32Array`);
  assert.ok(split.labels instanceof Int32Array, `${name}.labels is an Int32Array`);
  assert.equal(split.offsets.length, split.count + 1, `${name}.offsets length`);
  assert.equal(split.labels.length, split.count, `${name}.labels length`);
  assert.equal(split.offsets[0], 0, `${name}.offsets[0]`);
  assert.equal(split.offsets[split.count], split.tokens.length, `${name} last offset`);
  for (let i = 0; i < split.count; i++) {
    assert.ok(split.offsets[i + 1] > split.offsets[i], `${name} sequence ${i} is not empty`);
  }
}

/** Asserts that `fn` throws an SsmLensError whose message matches `pattern`. */
function assertRejects(fn, pattern) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof SsmLensError, `expected SsmLensError, got ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
}

function countOnes(sequence) {
  let ones = 0;
  for (const token of sequence) ones += token;
  return ones;
}

test('majority splits have the documented layout', () => {
  const T = 37;
  const data = majorityTask({ T, train: 50, test: 40, seed: 5 });
  assert.equal(data.task, 'majority');
  assert.deepEqual(data.vocab, ['0', '1']);
  assert.equal(data.classes, 2);
  assert.equal(data.T, T);
  assert.equal(data.train.count, 50);
  assert.equal(data.test.count, 40);
  for (const [name, split] of [['train', data.train], ['test', data.test]]) {
    assertSplitLayout(split, name);
    assert.equal(split.tokens.length, split.count * T, `${name} token count`);
    for (let i = 0; i <= split.count; i++) assert.equal(split.offsets[i], i * T, `${name}.offsets[${i}]`);
    assert.ok(split.tokens.every((token) => token === 0 || token === 1), `${name} tokens are 0 or 1`);
    assert.ok(split.labels.every((label) => label === 0 || label === 1), `${name} labels are 0 or 1`);
  }
});

test('majority is deterministic per seed', () => {
  const first = majorityTask({ T: 20, train: 100, test: 100, seed: 11 });
  const again = majorityTask({ T: 20, train: 100, test: 100, seed: 11 });
  const other = majorityTask({ T: 20, train: 100, test: 100, seed: 12 });
  assert.deepEqual(again, first);
  assert.notDeepEqual(other.train.tokens, first.train.tokens);
  assert.notDeepEqual(other.test.tokens, first.test.tokens);
});

test('majority test labels count the ones', () => {
  for (const T of [1, 10, 11]) {
    const data = majorityTask({ T, train: 1, test: 500, seed: T });
    for (let i = 0; i < data.test.count; i++) {
      const ones = countOnes(sequenceAt(data.test, i));
      assert.equal(data.test.labels[i], ones > T / 2 ? 1 : 0, `T = ${T}, sequence ${i} with ${ones} ones`);
    }
  }
});

test('majority count of ones is uniform', () => {
  // Pearson's chi-square over k = 0..T. The 0.999 quantile for 10 degrees
  // of freedom is 29.59.
  const T = 10;
  const data = majorityTask({ T, train: 4000, test: 4000, seed: 2, flip: 0 });
  for (const [name, split] of [['train', data.train], ['test', data.test]]) {
    const observed = new Array(T + 1).fill(0);
    for (let i = 0; i < split.count; i++) observed[countOnes(sequenceAt(split, i))]++;
    const expected = split.count / (T + 1);
    const chiSquare = observed.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    assert.ok(chiSquare < 29.59, `${name}: chi-square ${chiSquare.toFixed(2)} for counts ${observed}`);
  }
});

test('majority mean count of ones is T/2', () => {
  // k uniform on 0..T has variance ((T + 1)^2 − 1)/12. The test allows 5
  // standard errors of the mean.
  const T = 300;
  const count = 2000;
  const data = majorityTask({ T, train: 1, test: count, seed: 9 });
  let sum = 0;
  for (let i = 0; i < count; i++) sum += countOnes(sequenceAt(data.test, i));
  const mean = sum / count;
  const standardError = Math.sqrt(((T + 1) ** 2 - 1) / 12 / count);
  assert.ok(Math.abs(mean - T / 2) < 5 * standardError, `mean ${mean}, expected ${T / 2} ± ${5 * standardError}`);
});

test('majority flips only training ones', () => {
  const options = { T: 100, train: 1000, test: 300, seed: 4 };
  const clean = majorityTask({ ...options, flip: 0 });
  const noisy = majorityTask({ ...options, flip: 0.25 });

  assert.deepEqual(noisy.test, clean.test, 'the test split does not depend on flip');
  assert.deepEqual(noisy.train.labels, clean.train.labels, 'labels keep the clean count');
  assert.deepEqual(noisy.train.offsets, clean.train.offsets);

  let ones = 0;
  let removed = 0;
  for (let i = 0; i < clean.train.tokens.length; i++) {
    assert.ok(noisy.train.tokens[i] <= clean.train.tokens[i], `token ${i} became a one`);
    ones += clean.train.tokens[i];
    removed += clean.train.tokens[i] - noisy.train.tokens[i];
  }
  const rate = removed / ones;
  const standardError = Math.sqrt(0.25 * 0.75 / ones);
  assert.ok(Math.abs(rate - 0.25) < 5 * standardError, `flip rate ${rate} over ${ones} ones`);

  for (let i = 0; i < clean.train.count; i++) {
    const cleanOnes = countOnes(sequenceAt(clean.train, i));
    assert.equal(clean.train.labels[i], cleanOnes > 50 ? 1 : 0, `clean training sequence ${i}`);
  }
});

test('majority flip = 1 clears every training one', () => {
  const data = majorityTask({ T: 30, train: 50, test: 50, seed: 1, flip: 1 });
  assert.ok(data.train.tokens.every((token) => token === 0));
  assert.ok(data.train.labels.some((label) => label === 1), 'labels still count the clean ones');
  assert.ok(data.test.tokens.some((token) => token === 1), 'the test split is clean');
});

test('majority allows an empty test split', () => {
  const data = majorityTask({ T: 8, train: 3, test: 0 });
  assertSplitLayout(data.test, 'test');
  assert.equal(data.test.count, 0);
  assert.equal(data.test.tokens.length, 0);
});

test('majority rejects bad arguments', () => {
  const cases = [
    [{ T: 0 }, /^T must be an integer/],
    [{ T: 1.5 }, /^T must be an integer/],
    [{ T: 1e6 + 1 }, /^T must be an integer/],
    [{}, /^T must be an integer.*got undefined/],
    [{ T: 10, train: 0 }, /^train must be an integer/],
    [{ T: 10, test: -1 }, /^test must be an integer/],
    [{ T: 10, flip: 1.5 }, /^flip must be a finite number/],
    [{ T: 10, flip: Number.NaN }, /^flip must be a finite number/],
    [{ T: 10, seed: -1 }, /^seed must be an integer/],
    [{ T: 10, seed: 2 ** 32 }, /^seed must be an integer/],
    [{ T: 1e6, train: 1000 }, /^train × T = 1000 × 1000000 tokens exceeds the split limit of 2\^28/],
    [{ T: 1e6, train: 1, test: 1000 }, /^test × T/],
    [{ T: 10, flips: 0.1 }, /unknown option 'flips'; expected T, train, test, seed, flip/],
  ];
  for (const [options, pattern] of cases) assertRejects(() => majorityTask(options), pattern);
  assertRejects(() => majorityTask(null), /options must be an object, got null/);
});

test('listopsValue computes known answers', () => {
  const cases = [
    ['7', 7],
    ['[MED 1 2 3 4 ]', 2],
    ['[MED 9 0 ]', 4],
    ['[MED 3 1 2 ]', 2],
    ['[MED 8 1 9 9 ]', 8],
    ['[SM 9 9 ]', 8],
    ['[SM 0 0 0 ]', 0],
    ['[MIN 5 3 7 ]', 3],
    ['[MAX 2 9 [MIN 4 7 ] 0 ]', 9],
    ['[MIN 5 [MAX 1 3 ] 7 ]', 3],
    ['[SM [MAX 5 8 ] [MED 1 9 9 ] [MIN 4 6 ] ]', 1],
    ['[MED [SM 5 5 ] [MAX 1 [MIN 9 8 ] ] 4 6 ]', 5],
    ['[MAX 1 2 ] <pad> <pad> <pad>', 2],
  ];
  for (const [text, value] of cases) {
    assert.equal(listopsValue(encode(text)), value, text);
    assert.equal(listopsValue(Int32Array.from(encode(text))), value, `${text} as an Int32Array`);
  }
});

test('listopsValue matches the authors\' targets', () => {
  for (const [source, target] of AUTHORS_ROWS) {
    const tokens = encode(source.replace(/[()]/g, ''));
    assert.ok(tokens.length > 95, `length ${tokens.length}`);
    assert.ok(tokens.length < 105, `length ${tokens.length}`);
    assert.equal(listopsValue(tokens), target, source.slice(0, 40));
  }
});

test('listopsValue rejects malformed sequences', () => {
  const cases = [
    [[16], /^tokens\[0\] must be a ListOps token id 0..15, got 16/],
    [[11, 1, -1, 14], /^tokens\[2\] must be a ListOps token id/],
    [[11, 1, 1.5, 14], /^tokens\[2\] must be a ListOps token id/],
    [encode('[MAX 1 <pad> 2 ]'), /^tokens\[3\] is '2' after the '<pad>' at position 2/],
    [encode(']'), /^tokens\[0\] is a '\]' that closes no operator/],
    [encode('[MAX 1 [MIN 2 ]'), /^the '\[MAX' at position 0 is not closed/],
    [encode('[MAX [MIN ] 3 ]'), /^the '\[MIN' at position 1 has no arguments/],
    [encode('1 2'), /exactly one expression, got 2/],
    [[], /exactly one expression, got 0/],
    [[PAD, PAD], /exactly one expression, got 0/],
  ];
  for (const [tokens, pattern] of cases) assertRejects(() => listopsValue(tokens), pattern);
  assertRejects(() => listopsValue('[MAX 1 2 ]'), /^tokens must be an array or typed array/);
});

test('listops labels equal listopsValue', () => {
  const T = 30;
  const spread = 5;
  const data = listopsTask({ T, spread, train: 250, test: 150, seed: 3, pad: false });
  assert.equal(data.task, 'listops');
  assert.deepEqual(data.vocab, LISTOPS_VOCAB);
  assert.equal(data.classes, 10);
  assert.equal(data.T, T);
  assert.equal(data.train.count, 250);
  assert.equal(data.test.count, 150);

  const seen = new Set();
  const labelCounts = new Array(10).fill(0);
  for (const [name, split] of [['train', data.train], ['test', data.test]]) {
    assertSplitLayout(split, name);
    for (let i = 0; i < split.count; i++) {
      const sequence = sequenceAt(split, i);
      const text = formatTokens(data, sequence);
      assert.ok(sequence.length > T - spread, `${name} ${i}: length ${sequence.length}`);
      assert.ok(sequence.length < T + spread, `${name} ${i}: length ${sequence.length}`);
      assert.ok(sequence.every((token) => token >= 0 && token < PAD), `${name} ${i}: ids 0..14 without pads`);
      assert.equal(split.labels[i], listopsValue(sequence), `${name} ${i}: ${text}`);
      assert.ok(!seen.has(text), `${name} ${i} repeats an earlier sequence: ${text}`);
      seen.add(text);
      labelCounts[split.labels[i]]++;
    }
  }
  assert.ok(labelCounts.every((n) => n > 0), `every class occurs: ${labelCounts}`);
});

test('listops sequences are distinct at short lengths', () => {
  // Lengths 4..6 allow 400 + 4000 + 40 000 sequences, so without the
  // distinctness check 1000 draws would repeat many.
  const data = listopsTask({ T: 5, spread: 2, train: 600, test: 400, seed: 2, pad: false });
  const seen = new Set();
  for (const split of [data.train, data.test]) {
    for (let i = 0; i < split.count; i++) seen.add(formatTokens('listops', sequenceAt(split, i)));
  }
  assert.equal(seen.size, 1000);
});

test('listops trees follow maxDepth and maxArgs', () => {
  // With maxDepth = 3 and maxArgs = 3 a tree is at most 17 tokens long.
  const data = listopsTask({ T: 10, spread: 3, train: 200, test: 0, seed: 8, maxDepth: 3, maxArgs: 3, pad: false });
  for (let i = 0; i < data.train.count; i++) {
    const sequence = sequenceAt(data.train, i);
    const open = []; // argument counts of the open operators
    let deepest = 1;
    for (const token of sequence) {
      if (token >= 10 && token <= 13) {
        if (open.length > 0) open[open.length - 1]++;
        open.push(0);
        deepest = Math.max(deepest, open.length);
      } else if (token === 14) {
        const argumentCount = open.pop();
        assert.ok(argumentCount >= 2, `sequence ${i}: an operator with ${argumentCount} arguments`);
        assert.ok(argumentCount <= 3, `sequence ${i}: an operator with ${argumentCount} arguments`);
      } else {
        if (open.length > 0) open[open.length - 1]++;
        deepest = Math.max(deepest, open.length + 1);
      }
    }
    assert.ok(deepest <= 3, `sequence ${i} reaches depth ${deepest}`);
  }
});

test('listops pads each split at the end', () => {
  const options = { T: 25, spread: 4, train: 120, test: 80, seed: 6 };
  const padded = listopsTask(options);
  const unpadded = listopsTask({ ...options, pad: false });
  for (const name of ['train', 'test']) {
    const split = padded[name];
    const reference = unpadded[name];
    assertSplitLayout(split, name);
    assert.deepEqual(split.labels, reference.labels, `${name} labels do not depend on pad`);
    let longest = 0;
    for (let i = 0; i < reference.count; i++) longest = Math.max(longest, sequenceAt(reference, i).length);
    for (let i = 0; i < split.count; i++) {
      const row = sequenceAt(split, i);
      const content = sequenceAt(reference, i);
      assert.equal(row.length, longest, `${name} ${i}: padded to the longest sequence of the split`);
      assert.deepEqual(row.subarray(0, content.length), content, `${name} ${i}: content before the pads`);
      assert.ok(row.subarray(content.length).every((token) => token === PAD), `${name} ${i}: only pads after the content`);
      assert.equal(listopsValue(row), split.labels[i], `${name} ${i}: value with pads`);
    }
  }
});

test('listops is deterministic per seed', () => {
  const options = { T: 20, train: 60, test: 40 };
  const first = listopsTask({ ...options, seed: 21 });
  const again = listopsTask({ ...options, seed: 21 });
  const other = listopsTask({ ...options, seed: 22 });
  assert.deepEqual(again, first);
  assert.notDeepEqual(other.train.tokens, first.train.tokens);
  assert.notDeepEqual(other.test.tokens, first.test.tokens);
});

test('listops rejects bad arguments', () => {
  const cases = [
    [{ T: 2 }, /^T must be an integer with 3 ≤ T ≤ 100000, got 2/],
    [{ T: 1e5 + 1 }, /^T must be an integer/],
    [{ T: 20, spread: 0 }, /^spread must be an integer/],
    [{ T: 20, spread: 2.5 }, /^spread must be an integer/],
    [{ T: 20, train: 0 }, /^train must be an integer/],
    [{ T: 20, test: 1e6 + 1 }, /^test must be an integer/],
    [{ T: 20, seed: 0.5 }, /^seed must be an integer/],
    [{ T: 20, maxDepth: 0 }, /^maxDepth must be an integer/],
    [{ T: 20, maxDepth: 65 }, /^maxDepth must be an integer/],
    [{ T: 20, maxArgs: 1 }, /^maxArgs must be an integer/],
    [{ T: 20, maxArgs: 65 }, /^maxArgs must be an integer/],
    [{ T: 20, pad: 'yes' }, /^pad must be true or false, got the string "yes"/],
    [{ T: 1e5, train: 1e4 }, /^train × \(T \+ spread − 1\) = 10000 × 100004 tokens exceeds the split limit/],
    [{ T: 20, max_depth: 5 }, /unknown option 'max_depth'/],
  ];
  for (const [options, pattern] of cases) assertRejects(() => listopsTask(options), pattern);
});

test('listops rejects unreachable lengths', () => {
  assertRejects(() => listopsTask({ T: 3, spread: 1 }), /no tree has a length in 3..3 \(T = 3, spread = 1\)/);
  assertRejects(() => listopsTask({ T: 10, maxDepth: 1 }), /trees have length 1 when maxDepth = 1/);
  assertRejects(() => listopsTask({ T: 60, maxDepth: 4, maxArgs: 3 }), /length 1 or 4..53 when maxDepth = 4 and maxArgs = 3/);
});

test('listops stops when lengths repeat or are rare', () => {
  // Length 4 is '[OP d d ]': 4 · 10 · 10 = 400 distinct sequences.
  assertRejects(
    () => listopsTask({ T: 4, spread: 1, train: 300, test: 200 }),
    /could not generate 500 distinct sequences .* 400 of those were distinct; too few distinct sequences/,
  );
  assert.equal(listopsTask({ T: 4, spread: 1, train: 300, test: 0 }).train.count, 300);

  // Only nearly full trees reach 51..53 tokens when maxDepth = 4 and maxArgs = 3.
  assertRejects(
    () => listopsTask({ T: 52, spread: 2, train: 1, test: 0, maxDepth: 4, maxArgs: 3 }),
    /T = 52, spread = 2, maxDepth = 4, maxArgs = 3: .*trees this long are rare/,
  );
});

test('taskData dispatches by name', () => {
  assert.deepEqual(taskData('majority', { T: 9, train: 5, test: 5, seed: 1 }), majorityTask({ T: 9, train: 5, test: 5, seed: 1 }));
  assert.deepEqual(taskData('listops', { T: 12, train: 5, test: 5, seed: 1 }), listopsTask({ T: 12, train: 5, test: 5, seed: 1 }));
  assertRejects(() => taskData('imdb', { T: 10 }), /^task name must be 'majority' or 'listops', got the string "imdb"/);
});

test('formatTokens writes the vocabulary entries', () => {
  assert.equal(formatTokens('listops', encode('[MAX 2 9 [MIN 4 7 ] 0 ] <pad>')), '[MAX 2 9 [MIN 4 7 ] 0 ] <pad>');
  assert.equal(formatTokens('majority', [0, 1, 1]), '0 1 1');
  const data = majorityTask({ T: 4, train: 1, test: 0, flip: 0 });
  assert.match(formatTokens(data, data.train.tokens), /^[01]( [01]){3}$/);
  assertRejects(() => formatTokens('majority', [2]), /^tokens\[0\] must be a token id 0..1, got 2/);
  assertRejects(() => formatTokens('imdb', [0]), /^task must be a task object with a vocab array/);
});
