// The ssm-lens command line (bin/ssm-lens.mjs), run as a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';

import { colorOf } from '../wasm/colormap.mjs';

const CLI = fileURLToPath(new URL('../bin/ssm-lens.mjs', import.meta.url));
const FIXTURES = new URL('../../shared/fixtures/', import.meta.url);
const MAJORITY = fileURLToPath(new URL('authors-majority-T100-seed1/', FIXTURES));
const skip = existsSync(FIXTURES) ? false : `fixtures not found at ${FIXTURES.pathname}`;

function cli(...args) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const BOUND_KEYS = [
  's_A', 'B_u', 'B_A', 'M_A', 'B_B', 'M_B', 'B_C', 'M_C', 'B_w', 'M_w', 'B_q', 'M_q', 'p',
  'delta_min', 'M_delta', 'rho_A', 'rho_A_paper', 'S1', 'S2', 'C_F', 'gap_bound', 'vacuous',
  'C_F_linear_attention', 'lower_bound', 'lower_bound_paper',
  'B_B_frobenius', 'B_C_frobenius', 'B_w_frobenius',
];

test('cli run reproduces the fixture logits', { skip }, () => {
  const expected = JSON.parse(readFileSync(`${MAJORITY}expected.json`, 'utf8'));
  for (const c of expected.cases.slice(0, 5)) {
    const { code, stdout, stderr } = cli('run', '--model', `${MAJORITY}model.json`, '--tokens', c.tokens.join(','), '--json');
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout);
    assert.deepEqual(Object.keys(out), ['logits', 'y_last', 'delta']);
    assert.equal(out.delta.length, c.tokens.length);
    const error = Math.abs(out.logits[0] - c.logits[0]) / Math.abs(c.logits[0]);
    assert.ok(error <= 1e-4, `T=${c.tokens.length}: logit ${out.logits[0]}, PyTorch ${c.logits[0]}`);
  }
});

test('cli attention prints T rows that reproduce the logit', () => {
  const args = ['--random', '--sA', '-0.1', '--d', '3', '--N', '5', '--seed', '4', '--bits', '0110101'];
  const run = JSON.parse(cli('run', ...args, '--json').stdout);
  const { code, stdout, stderr } = cli('attention', ...args, '--view', 'logit', '--json');
  assert.equal(code, 0, stderr);
  const out = JSON.parse(stdout);
  assert.equal(out.T, 7);
  assert.equal(out.alpha.length, 7);
  assert.ok(out.alpha.every((row) => row.length === 7));
  const sum = out.alpha[6].reduce((a, v) => a + v, 0);
  assert.ok(Math.abs(sum - run.logits[0]) <= 1e-5 * Math.abs(run.logits[0]) + 1e-6, `Σ c = ${sum}, logit ${run.logits[0]}`);
  const channel = JSON.parse(cli('attention', ...args, '--view', '2', '--json').stdout);
  assert.equal(channel.view, '2');
});

test('cli bound reports every term', { skip }, () => {
  const { code, stdout, stderr } = cli('bound', '--model', `${MAJORITY}model.json`, '--tokens', '0,1,1', '--m', '1000', '--delta', '0.05', '--T', '1000', '--json');
  assert.equal(code, 0, stderr);
  const terms = JSON.parse(stdout);
  for (const key of BOUND_KEYS) assert.ok(key in terms, `missing key ${key}`);
  assert.equal(terms.T, 1000);
  assert.equal(terms.m, 1000);
  assert.equal(typeof terms.C_F, 'number');
  assert.equal(terms.vacuous, true);

  const table = cli('bound', '--model', `${MAJORITY}model.json`, '--tokens', '0,1,1');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /C_F\s+\S+\s+derived/);
  assert.match(table.stdout, /ρ_A \(paper\)\s+\S+\s+paper/);
});

test('cli bound marks terms beyond the double range', { skip }, () => {
  const { code, stdout } = cli('bound', '--model', `${MAJORITY}model.json`, '--tokens', '0,1', '--T', '1e9', '--json');
  assert.equal(code, 0);
  const terms = JSON.parse(stdout);
  assert.equal(terms.C_F, null);
  assert.ok(terms.overflow.includes('C_F'));
  assert.ok(terms.log10.C_F > 308);
  const table = cli('bound', '--model', `${MAJORITY}model.json`, '--tokens', '0,1', '--T', '1e9');
  assert.match(table.stdout, /C_F\s+10\^\d+\.\d+\s+derived/);
  assert.match(table.stdout, /note: S1, S2, C_F, lower_bound, lower_bound_paper exceed the double range/);
});

test('cli exit codes: usage 2, overflow 1, help 0', { skip }, () => {
  const help = cli('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: ssm-lens <command>/);

  const usage = [
    [['frobnicate', '--random', '--bits', '01'], /unknown command 'frobnicate'/],
    [['run', '--random'], /an input is required/],
    [['run', '--bits', '01'], /a model is required/],
    [['run', '--random', '--bits', '012'], /--bits must be a non-empty string of 0 and 1, got '012'/],
    [['run', '--random', '--tokens', '0,,1'], /--tokens must be comma-separated non-negative integers; item 1 is ''/],
    [['run', '--random', '--tokens', '0,5'], /token ids must be integers in 0\.\.1/],
    [['run', '--random', '--d', 'four', '--bits', '01'], /--d must be a number, got 'four'/],
    [['run', '--model', '/nonexistent/model.json', '--bits', '01'], /--model: cannot read '\/nonexistent\/model.json' \(ENOENT\)/],
    [['run', '--random', '--bits', '01', '--bogus'], /Unknown option '--bogus'/],
    [['bound', '--random', '--bits', '01', '--delta', '2'], /delta must be a finite number with 0 < delta < 1, got 2/],
  ];
  for (const [args, pattern] of usage) {
    const result = cli(...args);
    assert.equal(result.code, 2, `${args.join(' ')}: exit ${result.code}, stderr ${result.stderr}`);
    assert.match(result.stderr, pattern);
    assert.equal(result.stdout, '');
  }

  const overflow = cli('run', '--model', `${MAJORITY}model.json`, '--bits', '01'.repeat(5000));
  assert.equal(overflow.code, 1);
  assert.match(overflow.stderr, /overflow: y at step t=\d+ \(channel \d+\) exceeds the float32 range/);
});

test('cli rejects devices, odd token syntax and a missing command', () => {
  const device = cli('run', '--model', '/dev/zero', '--bits', '0');
  assert.equal(device.code, 2);
  assert.match(device.stderr, /--model: '\/dev\/zero' is not a regular file/);
  const hex = cli('run', '--random', '--tokens', '0x1,1');
  assert.equal(hex.code, 2);
  assert.match(hex.stderr, /item 0 is '0x1'/);
  const none = cli();
  assert.equal(none.code, 2);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /Usage: ssm-lens <command>/);
});

test('cli attention streams a long matrix', () => {
  const bits = '01'.repeat(1500);
  const { code, stdout, stderr } = spawnSync(process.execPath, [CLI, 'attention', '--random', '--bits', bits, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(code ?? 0, 0, stderr);
  const out = JSON.parse(stdout);
  assert.equal(out.T, 3000);
  assert.equal(out.alpha.length, 3000);
  assert.equal(out.alpha[2999].length, 3000);
});

/** Decodes an 8-bit RGB PNG without interlace: { width, height, pixels }. */
function decodePng(bytes) {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  let width = 0;
  let height = 0;
  const data = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('ascii', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.equal(body[8], 8, 'bit depth');
      assert.equal(body[9], 2, 'RGB');
    }
    if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (1 + width * 3)], 0, 'filter type none');
    raw.copy(pixels, y * width * 3, y * (1 + width * 3) + 1, (y + 1) * (1 + width * 3));
  }
  return { width, height, pixels };
}

test('cli attention writes a PNG heatmap', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ssm-lens-png-')), 'alpha.png');
  const args = ['--random', '--sA', '-0.1', '--seed', '3', '--bits', '0110'];
  const result = cli('attention', ...args, '--view', 'mean', '--png', file);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, '');
  const { width, height, pixels } = decodePng(readFileSync(file));
  assert.ok(width > 128 && height > 128, `${width}×${height}`);
  const colours = new Set();
  for (let i = 0; i < pixels.length; i += 3) colours.add(`${pixels[i]},${pixels[i + 1]},${pixels[i + 2]}`);

  // Every entry on or below the diagonal appears in its colour, and the
  // colour bar reaches both ends of the map.
  const alpha = JSON.parse(cli('attention', ...args, '--view', 'mean', '--json').stdout).alpha;
  const limit = Math.max(...alpha.flat().map(Math.abs));
  for (let t = 0; t < 4; t++) {
    for (let s = 0; s <= t; s++) {
      assert.ok(colours.has(colorOf(alpha[t][s], limit).join(',')), `α[${t},${s}] = ${alpha[t][s]} is not drawn`);
    }
  }
  assert.ok(colours.has(colorOf(limit, limit).join(',')), 'colour bar top');
  assert.ok(colours.has(colorOf(-limit, limit).join(',')), 'colour bar bottom');
  assert.ok(colours.has('0,0,0'), 'black title text');

  const bad = cli('attention', ...args, '--png', '/nonexistent/dir/a.png');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--png: cannot write '\/nonexistent\/dir\/a.png' \(ENOENT\)/);
});

test('cli reads text, files and standard input', () => {
  const text = spawnSync(process.execPath, [CLI, 'run', '--random', '--vocab', '3', '--text', 'abca', '--json'], { encoding: 'utf8' });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stderr, /--text mapping \{"a":0,"b":1,"c":2\}/);
  const ids = JSON.parse(cli('run', '--random', '--vocab', '3', '--tokens', '0,1,2,0', '--json').stdout);
  assert.deepEqual(JSON.parse(text.stdout), ids);

  const directory = mkdtempSync(join(tmpdir(), 'ssm-lens-input-'));
  const rows = [[0.5, -1, 0.25, 2], [1, 1, 0, -0.5], [0, 0.1, 0.2, 0.3]];
  writeFileSync(join(directory, 'u.csv'), `# t×d table\n${rows.map((row) => row.join(',')).join('\n')}\n`);
  writeFileSync(join(directory, 'u.json'), JSON.stringify(rows));
  const fromCsv = cli('run', '--random', '--input', join(directory, 'u.csv'), '--json');
  const fromJson = cli('run', '--random', '--input', join(directory, 'u.json'), '--json');
  assert.equal(fromCsv.code, 0, fromCsv.stderr);
  assert.equal(fromCsv.stdout, fromJson.stdout);
  const piped = spawnSync(process.execPath, [CLI, 'run', '--random', '--json'], { input: rows.map((row) => row.join(' ')).join('\n'), encoding: 'utf8' });
  assert.equal(piped.stdout, fromCsv.stdout);
  const bits = spawnSync(process.execPath, [CLI, 'run', '--random', '--json'], { input: '0110\n', encoding: 'utf8' });
  assert.equal(bits.stdout, cli('run', '--random', '--bits', '0110', '--json').stdout);

  writeFileSync(join(directory, 'bad.csv'), '1,2,3,4\n1,x,3,4\n');
  const bad = cli('run', '--random', '--input', join(directory, 'bad.csv'));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--input: row 2, column 2 is 'x', not a finite number/);
  const ragged = cli('run', '--random', '--input', join(directory, 'u.json'), '--d', '5');
  assert.equal(ragged.code, 2);
  assert.match(ragged.stderr, /input must be 3×5; row 0 has 4 values, expected 5/);
});

test('cli convert round-trips the fixture', { skip }, () => {
  const directory = mkdtempSync(join(tmpdir(), 'ssm-lens-convert-'));
  const binary = join(directory, 'model.safetensors');
  const json = join(directory, 'model.json');
  assert.equal(cli('convert', `${MAJORITY}model.json`, binary).code, 0);
  assert.equal(cli('convert', binary, json).code, 0);
  const original = cli('run', '--model', `${MAJORITY}model.json`, '--bits', '0110100', '--json').stdout;
  assert.equal(cli('run', '--model', binary, '--bits', '0110100', '--json').stdout, original);
  assert.equal(cli('run', '--model', json, '--bits', '0110100', '--json').stdout, original);
  const wrong = cli('convert', binary, join(directory, 'model.bin'));
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /convert: OUT must end in \.json or \.safetensors/);
  assert.equal(cli('convert', binary).code, 2);
});

test('cli csv outputs for run, attention and bound', { skip }, () => {
  const run = cli('run', '--model', `${MAJORITY}model.json`, '--bits', '011', '--csv').stdout.trim().split('\n');
  assert.equal(run[0], 't,delta,y_0,y_1,y_2,y_3');
  assert.equal(run.length, 4);
  const attention = cli('attention', '--model', `${MAJORITY}model.json`, '--bits', '011', '--csv').stdout.trim().split('\n');
  assert.equal(attention.length, 3);
  assert.deepEqual(attention[0].split(',').slice(1), ['0', '0']);
  const bound = cli('bound', '--model', `${MAJORITY}model.json`, '--bits', '011', '--csv').stdout.trim().split('\n');
  assert.equal(bound[0], 'name,symbol,value,log10,provenance,formula');
  assert.ok(bound.some((line) => line.startsWith('C_F,C_F,')));
});

test('cli bound needs no input when T is given', () => {
  const { code, stdout, stderr } = cli('bound', '--random', '--sA', '0.1', '--T', '1e6', '--csv');
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^name,symbol,value,log10,provenance,formula\n/);
  const missing = cli('bound', '--random');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /an input is required/);
});
