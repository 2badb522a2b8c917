// The README's JavaScript example must run as written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const API = new URL('../wasm/index.mjs', import.meta.url).href;

test('README example runs and its two numbers agree', () => {
  const blocks = [...README.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]);
  assert.equal(blocks.length, 1, 'one JavaScript example');
  const source = blocks[0].replaceAll("from 'ssm-lens'", `from '${API}'`);
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const [first, second] = result.stdout.trim().split('\n');
  const [logit, rowSum] = first.split(' ').map(Number);
  assert.ok(Math.abs(logit - rowSum) <= 1e-5 * Math.abs(logit) + 1e-6, `logit ${logit}, row sum ${rowSum}`);
  const values = second.split(' ');
  assert.equal(values.length, 5);
  assert.ok(['true', 'false'].includes(values[4]));
});
