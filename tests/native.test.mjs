// The C core built natively under AddressSanitizer and
// UndefinedBehaviorSanitizer (tests/native/run.sh): any sanitizer report or
// failed check fails this test.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const SCRIPT = fileURLToPath(new URL('./native/run.sh', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../shared/fixtures', import.meta.url));
const hasClang = spawnSync('clang', ['--version']).status === 0;
const hasSimde = existsSync('/usr/include/simde/wasm/simd128.h');
const skip = !hasClang ? 'clang not found (Debian: apt-get install clang)'
  : !hasSimde ? 'SIMDe not found (Debian: apt-get install libsimde-dev)'
    : !existsSync(FIXTURES) ? `fixtures not found at ${FIXTURES}` : false;

test('native core passes under ASan and UBSan', { skip, timeout: 300000 }, (t) => {
  const result = spawnSync('sh', [SCRIPT, FIXTURES], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /runtime error|AddressSanitizer|LeakSanitizer/);
  const summary = result.stdout.match(/native check: (\d+) passed, (\d+) failed/);
  assert.ok(summary, result.stdout);
  assert.equal(Number(summary[2]), 0);
  t.diagnostic(summary[0]);
});
