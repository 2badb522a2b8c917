// The ssm-lens command line (bin/ssm-lens.mjs), run as a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

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
  assert.match(table.stdout, /C_F\s+10\^\d+\.\d+ \(beyond double range\)/);
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
