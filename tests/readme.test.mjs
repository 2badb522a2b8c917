// The README's examples must run as written: the JavaScript example, and
// every command of the command-line block, with the authors' fixture as
// model.json and model.safetensors.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const API = new URL('../wasm/index.mjs', import.meta.url).href;
const CLI = fileURLToPath(new URL('../bin/ssm-lens.mjs', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../shared/fixtures/authors-majority-T100-seed1/', import.meta.url));

test('README example runs and its two numbers agree', () => {
  const blocks = [...README.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]);
  assert.equal(blocks.length, 1, 'one JavaScript example');
  const source = blocks[0].replaceAll("from 'ssm-lens'", `from '${API}'`);
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const [first, second, third] = result.stdout.trim().split('\n');
  const [logit, rowSum] = first.split(' ').map(Number);
  assert.ok(Math.abs(logit - rowSum) <= 1e-5 * Math.abs(logit) + 1e-6, `logit ${logit}, row sum ${rowSum}`);
  const values = second.split(' ');
  assert.equal(values.length, 5);
  assert.ok(['true', 'false'].includes(values[4]));
  // The training lines: accuracies that beat chance (0.5), a finite s_A and C_F.
  const [train, test, sA, capacity] = third.split(' ').map(Number);
  assert.ok(train > 0.7, `train accuracy ${train}`);
  assert.ok(train <= 1, `train accuracy ${train}`);
  assert.ok(test > 0.7, `test accuracy ${test}`);
  assert.ok(test <= 1, `test accuracy ${test}`);
  assert.ok(Number.isFinite(sA));
  assert.ok(capacity > 0);
});

test('README command-line examples run', { skip: existsSync(FIXTURE) ? false : 'fixtures not found' }, () => {
  const block = README.match(/## Command line\n\n```sh\n([\s\S]*?)```/);
  assert.ok(block, 'a command-line block');
  const directory = mkdtempSync(join(tmpdir(), 'ssm-lens-readme-'));
  copyFileSync(join(FIXTURE, 'model.json'), join(directory, 'model.json'));
  copyFileSync(join(FIXTURE, 'model.safetensors'), join(directory, 'model.safetensors'));
  const lines = block[1].trim().split('\n');
  assert.ok(lines.length >= 6);
  for (const line of lines) {
    // 'echo X | ssm-lens ...' feeds X on standard input.
    const piped = line.match(/^echo (\S+) \| (.*)$/);
    const command = (piped ? piped[2] : line).split(/\s+/);
    assert.equal(command[0], 'ssm-lens', line);
    const result = spawnSync(process.execPath, [CLI, ...command.slice(1)], { cwd: directory, encoding: 'utf8', input: piped ? `${piped[1]}\n` : '' });
    assert.equal(result.status, 0, `${line}\n${result.stderr}`);
  }
  assert.ok(existsSync(join(directory, 'alpha.png')));
  assert.deepEqual(execFileSync(process.execPath, [CLI, 'run', '--model', 'model.safetensors', '--bits', '01', '--json'], { cwd: directory, encoding: 'utf8' }),
    execFileSync(process.execPath, [CLI, 'run', '--model', 'model.json', '--bits', '01', '--json'], { cwd: directory, encoding: 'utf8' }));
});

test("README's experiment commands run (reduced)", () => {
  const block = README.match(/## Reproducing the paper's experiments\n\n```sh\n([\s\S]*?)```/);
  assert.ok(block, 'an experiment block');
  const lines = block[1].trim().split('\n');
  assert.deepEqual(lines.map((line) => line.split(/\s+/).slice(0, 4).join(' ')), [
    'node bin/ssm-lens.mjs experiment length', 'node bin/ssm-lens.mjs experiment stability',
  ]);
  for (const line of lines) {
    // The same options with fewer epochs and sequences; the full runs take about 20 s and 2 s.
    const args = line.split(/\s+/).slice(2);
    const result = spawnSync(process.execPath, [CLI, ...args, '--seeds', '1', '--epochs', '1', '--train', '40', '--test', '20', '--quiet', '--csv'], { encoding: 'utf8' });
    assert.equal(result.status, 0, `${line}\n${result.stderr}`);
    const rows = result.stdout.trim().split('\n').length - 1;
    assert.equal(rows, args.includes('length') ? 16 : 11, line);
  }
});
