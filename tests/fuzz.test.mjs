// Replays the saved fuzzing corpus and every input that once broke a
// harness (fuzz/run.sh --replay): the libFuzzer harnesses of the kernels
// and the bound under ASan and UBSan, and the safetensors mutation fuzzer
// for a fixed number of runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const SCRIPT = fileURLToPath(new URL('../fuzz/run.sh', import.meta.url));
const hasClang = spawnSync('clang', ['--version']).status === 0;
const skip = !hasClang ? 'clang not found (Debian: apt-get install clang libclang-rt-14-dev)'
  : !existsSync('/usr/include/simde/wasm/simd128.h') ? 'SIMDe not found (Debian: apt-get install libsimde-dev)' : false;

test('fuzz corpus replays cleanly', { skip, timeout: 300000 }, (t) => {
  const result = spawnSync('sh', [SCRIPT, '--replay'], { encoding: 'utf8' });
  const output = `${result.stdout}\n${result.stderr}`;
  assert.equal(result.status, 0, output);
  assert.doesNotMatch(output, /contract broken|runtime error|ERROR: AddressSanitizer|deadly signal/);
  const replays = [...output.matchAll(/Done (\d+) runs/g)].map((match) => Number(match[1]));
  assert.equal(replays.length, 3, 'the kernels, bound and training harnesses replayed their corpus');
  assert.ok(replays.every((runs) => runs > 0), `runs ${replays}`);
  const safetensors = output.match(/safetensors fuzzer: (\d+) runs .* (\d+) unexpected errors/);
  assert.ok(safetensors, output);
  assert.equal(Number(safetensors[2]), 0);
  t.diagnostic(`replayed ${replays.join(' and ')} corpus inputs; ${safetensors[0]}`);
});
