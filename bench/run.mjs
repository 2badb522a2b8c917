// The benchmark: times ssm-lens's SIMD wasm kernels against their peers in
// one run and prints medians, ratios, GFLOP/s against a measured peak, and
// the peak wasm memory of each case. `node bench/run.mjs --json` prints
// the same as JSON. Build first: ./build.sh && bench/build.sh.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { instantiateWasm } from '../wasm/loader.mjs';
import { createModel } from '../wasm/index.mjs';
import { referenceAttention, referenceForward } from '../tests/reference.mjs';
import { browserTimings } from './browser.mjs';
import { benchInput, benchModel, sweepLengths } from './cases.mjs';

const SIMD_WASM = new URL('../wasm/ssm_lens.wasm', import.meta.url);
const SCALAR_WASM = new URL('./build/ssm_lens_scalar.wasm', import.meta.url);
const PEAK_WASM = new URL('./build/peak.wasm', import.meta.url);
const NATIVE = fileURLToPath(new URL('./build/native', import.meta.url));
const TORCH_SCRIPT = fileURLToPath(new URL('./torch_cases.py', import.meta.url));

const asJson = process.argv.includes('--json');
// --only TEXT runs the cases whose name contains TEXT (targets then report
// only what was measured).
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] ?? '' : '';
const log = (line) => { if (!asJson) process.stdout.write(`${line}\n`); };

/** Median milliseconds of fn over up to `runs` runs after one warm-up,
 * stopping early once `budgetMs` is spent. A call under 2 ms gets up to 101
 * runs, because one scheduler hiccup would otherwise move its median.
 * fn may be async. */
async function median(fn, { runs = 7, budgetMs = 3000 } = {}) {
  const warmStart = performance.now();
  await fn();
  if (performance.now() - warmStart < 2) runs = Math.max(runs, 101);
  const times = [];
  while (times.length < runs && (times.length === 0 || times.reduce((a, b) => a + b, 0) < budgetMs)) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Instantiates a core module afresh and returns helpers that allocate one case's buffers in it. */
async function coreCase(url) {
  const instance = await instantiateWasm(url);
  const { exports } = instance;
  const heap = () => exports.memory.buffer;
  const alloc = (bytes) => {
    const pointer = exports.malloc(bytes);
    if (pointer === 0) throw new Error(`benchmark: malloc(${bytes}) failed`);
    return pointer;
  };
  const float32 = (values) => {
    const pointer = alloc(values.length * 4);
    new Float32Array(heap(), pointer, values.length).set(values);
    return pointer;
  };
  const model = (m) => {
    const pointer = alloc(36);
    const fields = [float32(m.A), float32(m.W_B), float32(m.W_C), float32(m.q), float32(m.W)];
    new Int32Array(heap(), pointer, 9).set([m.d, m.N, m.K, ...fields.slice(0, 4), 0, fields[4]]);
    new Float32Array(heap(), pointer + 28, 1)[0] = m.p;
    return pointer;
  };
  return { exports, alloc, float32, model, memoryBytes: () => heap().byteLength };
}

const ATTENTION_LENGTHS = [512, 2048, 4096];
const SCAN_CASES = [[1000, 4], [1000, 16], [100000, 4], [100000, 16]];
const VIEW_LOGIT = -2;

/** Times one case on a core module: returns { ms, memory }. */
async function timeCore(url, kind, options) {
  const core = await coreCase(url);
  const { exports } = core;
  let run;
  if (kind === 'attention' || kind === 'pooled') {
    const model = benchModel(16, 16, -0.05, 1);
    const modelPointer = core.model(model);
    const u = core.float32(benchInput(options.T, 16, 2));
    const view = options.view === 'logit' ? VIEW_LOGIT : 0;
    if (kind === 'attention') {
      const alpha = core.alloc(options.T * options.T * 4);
      run = () => exports.ssm_attention(modelPointer, u, options.T, view, 0, alpha, 0);
    } else {
      const pooled = core.alloc(512 * 512 * 4);
      const mode = options.mode === 'max' ? 0 : 1;
      run = () => exports.ssm_attention_pooled(modelPointer, u, options.T, 0, 0, 512, mode, pooled, 0);
    }
  } else if (kind === 'scan') {
    const model = benchModel(16, options.N, -0.05, 3);
    const modelPointer = core.model(model);
    const u = core.float32(benchInput(options.T, 16, 4));
    const delta = core.alloc(options.T * 4);
    const y = core.alloc(options.T * 16 * 4);
    const logits = core.alloc(4);
    run = () => exports.ssm_forward(modelPointer, u, options.T, delta, y, logits, 0);
  } else {
    const model = benchModel(16, 16, -0.05, 1);
    const norms = core.alloc(16 * 8);
    exports.ssm_compute_norms(core.model(model), norms);
    const [sA, B_A, , , B_B, , , B_C, , , B_w, , , B_q, , p] = new Float64Array(exports.memory.buffer, norms, 16);
    const input = core.alloc(16 * 8);
    new Float64Array(exports.memory.buffer, input, 16).set([sA, B_A, B_B, B_C, B_w, B_q, p, 16, 16, 4, 1000, 0.05, 1, 1, 1, 0]);
    const values = core.alloc(1000 * 8);
    new Float64Array(exports.memory.buffer, values, 1000).set(sweepLengths());
    const terms = core.alloc(1000 * 21 * 8);
    run = () => exports.ssm_sweep_bound(input, sA - 10, 0, values, 1000, terms, 0);
  }
  const ms = await median(() => {
    const status = run();
    if (status !== 0) throw new Error(`benchmark: ${kind} returned status ${status}`);
  }, options.timing);
  return { ms, memory: core.memoryBytes() };
}

/** Loads tfjs-backend-wasm and returns a timer of the channel-0 attention matrix built from its own ops. */
async function tfjsPeer() {
  const require = createRequire(import.meta.url);
  let tf;
  try {
    tf = await import('@tensorflow/tfjs-core');
    const backend = await import('@tensorflow/tfjs-backend-wasm');
    const directory = require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]+$/, '');
    backend.setWasmPaths(directory);
    await tf.setBackend('wasm');
    await tf.ready();
  } catch (error) {
    return { skipped: `tfjs-backend-wasm unavailable (${error.message}); run npm install` };
  }
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const attention = async (T) => {
    const model = benchModel(16, 16, -0.05, 1);
    const u = tf.tensor2d(benchInput(T, 16, 2), [T, 16]);
    const q = tf.tensor2d(model.q, [16, 1]);
    const W_B = tf.tensor2d(model.W_B, [16, 16]);
    const W_C = tf.tensor2d(model.W_C, [16, 16]);
    const rates = Array.from(model.A.subarray(0, 16));
    // Each lane's T×T terms are freed as soon as they are added, so that
    // tfjs's memory contains only a few T×T tensors at a time.
    const run = () => {
      const [queries, keys, gap] = tf.tidy(() => {
        const delta = tf.reshape(tf.softplus(tf.matMul(u, q)), [T]);
        const lambda = tf.cumsum(delta);
        return [
          tf.matMul(u, W_C, false, true),
          tf.mul(tf.matMul(u, W_B, false, true), tf.reshape(delta, [T, 1])),
          tf.relu(tf.sub(tf.reshape(lambda, [T, 1]), tf.reshape(lambda, [1, T]))),
        ];
      });
      let sum = tf.zeros([T, T]);
      for (let n = 0; n < 16; n++) {
        const next = tf.tidy(() => {
          const outer = tf.matMul(tf.slice(queries, [0, n], [T, 1]), tf.slice(keys, [0, n], [T, 1]), false, true);
          return tf.add(sum, tf.mul(outer, tf.exp(tf.mul(gap, rates[n]))));
        });
        sum.dispose();
        sum = next;
      }
      const alpha = tf.linalg.bandPart(sum, -1, 0);
      alpha.dataSync();
      tf.dispose([queries, keys, gap, sum, alpha]);
    };
    const ms = await median(run, { runs: 5, budgetMs: 3000 });
    tf.dispose([u, q, W_B, W_C]);
    return ms;
  };
  return { simd, attention };
}

function torchPeer() {
  const python = ['/usr/bin/python3', 'python3'].find((candidate) => {
    const probe = spawnSync(candidate, ['-c', 'import torch'], { encoding: 'utf8' });
    return probe.status === 0;
  });
  if (!python) return { skipped: 'no python3 with torch importable (Debian: apt-get install python3-torch)' };
  const result = spawnSync(python, [TORCH_SCRIPT], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) return { skipped: `torch_cases.py failed: ${result.stderr.trim().split('\n').pop()}` };
  return JSON.parse(result.stdout);
}

function nativePeer() {
  if (!existsSync(NATIVE)) return { skipped: `${NATIVE} missing; run bench/build.sh` };
  const result = spawnSync(NATIVE, [], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) return { skipped: `native benchmark failed: ${result.stderr}` };
  return JSON.parse(result.stdout);
}

async function wasmPeak() {
  const instance = await instantiateWasm(PEAK_WASM);
  const iterations = 20000000;
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    instance.exports.peak_multiply_add(iterations);
    best = Math.min(best, performance.now() - start);
  }
  return (iterations * 64) / best / 1e6;
}

/** Essential floating-point operations of a case (exponentials excluded).
 * The pooled views skip or factor most of the dense work, so they get no
 * rate. */
function flops(kind, options) {
  if (kind === 'attention') {
    const lanes = options.view === 'logit' ? 256 : 16;
    return options.T * (options.T + 1) / 2 * lanes * 2;
  }
  if (kind === 'scan') return options.T * (2 * (2 * options.N + 1) * 16 + 5 * 16 * options.N);
  return null;
}

async function main() {
  for (const url of [SIMD_WASM, SCALAR_WASM, PEAK_WASM]) {
    if (!existsSync(url)) throw new Error(`benchmark: ${fileURLToPath(url)} missing; run ./build.sh && bench/build.sh`);
  }
  log('ssm-lens benchmark: median milliseconds; ratio = peer time / SIMD wasm time (above 1: SIMD wasm is faster)');
  // Start only the peers that the selected cases use.
  const wanted = (text) => only === '' || text.includes(only) || only.includes(text);
  const native = wanted('attention') || wanted('pooled') || wanted('scan') || wanted('sweep') ? nativePeer() : { skipped: 'not needed for --only' };
  const torch = wanted('attention_channel') || wanted('scan') ? torchPeer() : { skipped: 'not needed for --only' };
  const tfjs = wanted('attention_channel') ? await tfjsPeer() : { skipped: 'not needed for --only' };
  const peak = { wasm: await wasmPeak(), native: native.peak_gflops ?? null };
  log(`peak float32 multiply-add rate, one core: wasm SIMD ${peak.wasm.toFixed(1)} GFLOP/s, native ${peak.native?.toFixed(1) ?? 'n/a'} GFLOP/s`);
  if (native.skipped) log(`native: skipped: ${native.skipped}`);
  if (torch.skipped) log(`PyTorch: skipped: ${torch.skipped}`);
  else log(`PyTorch ${torch.torch_version} on one thread`);
  if (tfjs.skipped) log(`tfjs-backend-wasm: skipped: ${tfjs.skipped}`);
  else log(`tfjs-backend-wasm ${tfjs.simd ? 'with' : 'without'} SIMD`);

  const cases = [];
  for (const T of ATTENTION_LENGTHS) {
    cases.push({ name: `attention_channel_${T}`, kind: 'attention', options: { T, view: 0 } });
    cases.push({ name: `attention_logit_${T}`, kind: 'attention', options: { T, view: 'logit' } });
  }
  cases.push({ name: 'pooled_max_65536', kind: 'pooled', options: { T: 65536, mode: 'max', timing: { runs: 3, budgetMs: 1 } } });
  cases.push({ name: 'pooled_mean_65536', kind: 'pooled', options: { T: 65536, mode: 'mean', timing: { runs: 3, budgetMs: 1 } } });
  for (const [T, N] of SCAN_CASES) cases.push({ name: `scan_${T}_N${N}`, kind: 'scan', options: { T, N } });
  cases.push({ name: 'sweep_1000', kind: 'sweep', options: {} });

  const results = { peak, cases: {} };
  for (const { name, kind, options } of cases.filter((item) => item.name.includes(only))) {
    const row = {};
    const simd = await timeCore(SIMD_WASM, kind, options);
    row.simd = simd.ms;
    row.memory = { simd: simd.memory };
    const scalar = await timeCore(SCALAR_WASM, kind, { ...options, timing: { runs: 3, budgetMs: 1 } });
    row.scalar = scalar.ms;
    row.memory.scalar = scalar.memory;
    if (typeof native[name] === 'number') row.native = native[name];
    if (typeof torch[name] === 'number') row.torch = torch[name];

    if (kind === 'attention' && options.view === 0) {
      row.api = await apiAttention(options.T);
      row.js = await jsAttention(options.T);
      if (!tfjs.skipped) row.tfjs = await tfjs.attention(options.T);
    }
    if (kind === 'attention' && options.view === 'logit' && options.T === 512) {
      row.js = await jsAttention(options.T, 'logit');
    }
    if (kind === 'scan') row.js = await jsScan(options.T, options.N);

    const count = flops(kind, options);
    if (count) {
      row.gflops = { simd: count / row.simd / 1e6 };
      if (row.native) row.gflops.native = count / row.native / 1e6;
    }
    results.cases[name] = row;
    printRow(name, row);
  }
  if (['browser', 'sweep', 'attention'].some((name) => name.includes(only) || only.includes(name))) {
    results.browser = await browserTimings();
    if (results.browser.skipped) {
      log(`\nChromium: skipped: ${results.browser.skipped}`);
    } else {
      log(`\nIn Chromium ${results.browser.chromium}, through the public API (results copied out):`);
      log(`  1000-point bound sweep      ${results.browser.sweep_1000.toFixed(2)} ms`);
      log(`  attention T=512, one channel  ${results.browser.attention_channel_512.toFixed(2)} ms`);
      log(`  attention T=2048, one channel ${results.browser.attention_channel_2048.toFixed(2)} ms`);
      log(`  page: keystroke to redrawn heatmap, T=2048 ${results.browser.page_redraw_2048.toFixed(1)} ms (max ${results.browser.page_redraw_2048_max.toFixed(1)})`);
    }
  }
  results.targets = checkTargets(results.cases, results.browser);
  for (const target of results.targets) log(`${target.met ? 'met    ' : 'MISSED '} ${target.text}: ${target.value}`);
  if (asJson) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

/** Times the public API call, including the copy of the matrix out of wasm. */
async function apiAttention(T) {
  const model = await createModel(benchModel(16, 16, -0.05, 1));
  const u = benchInput(T, 16, 2);
  const out = new Float32Array(T * T);
  return median(() => model.attention(u, 0, { out }));
}

async function jsAttention(T, view = 0) {
  const model = benchModel(16, 16, -0.05, 1);
  const u = benchInput(T, 16, 2);
  return median(() => referenceAttention(model, u, T, view), { runs: 3, budgetMs: 1 });
}

async function jsScan(T, N) {
  const model = benchModel(16, N, -0.05, 3);
  const u = benchInput(T, 16, 4);
  return median(() => referenceForward(model, u, T), { runs: 3, budgetMs: 1 });
}

function printRow(name, row) {
  const peers = ['api', 'scalar', 'js', 'native', 'tfjs', 'torch'].filter((peer) => row[peer] !== undefined);
  const memory = `memory ${(row.memory.simd / 2 ** 20).toFixed(0)} MiB (scalar ${(row.memory.scalar / 2 ** 20).toFixed(0)} MiB)`;
  const rate = row.gflops ? `, ${row.gflops.simd.toFixed(1)} GFLOP/s${row.gflops.native ? ` (native ${row.gflops.native.toFixed(1)})` : ''}` : '';
  log(`\n${name}: SIMD wasm ${row.simd.toFixed(2)} ms${rate}, ${memory}`);
  for (const peer of peers) {
    log(`  ${peer.padEnd(7)} ${row[peer].toFixed(2).padStart(10)} ms   ratio ${(row[peer] / row.simd).toFixed(2)}`);
  }
}

function checkTargets(cases, browser = {}) {
  const missing = { simd: NaN, memory: { simd: NaN } };
  const attention = cases.attention_channel_4096 ?? missing;
  const scan = cases.scan_100000_N16 ?? missing;
  const pooled = cases.pooled_mean_65536 ?? missing;
  const ratio = (row, peer) => (row[peer] === undefined ? NaN : row[peer] / row.simd);
  const targets = [
    ['attention T=4096 one channel: ≥ 3× faster than scalar wasm', ratio(attention, 'scalar'), (r) => r >= 3],
    ['attention T=4096 one channel: ≥ 20× faster than plain JS', ratio(attention, 'js'), (r) => r >= 20],
    ['attention T=4096 one channel: ≥ 2× faster than tfjs-wasm', ratio(attention, 'tfjs'), (r) => r >= 2],
    ['attention T=4096 one channel: within 1.3× of native (native/SIMD ≥ 1/1.3)', ratio(attention, 'native'), (r) => r >= 1 / 1.3],
    ['scan T=1e5 d=16 N=16: ≥ 3× faster than scalar wasm', ratio(scan, 'scalar'), (r) => r >= 3],
    ['scan T=1e5 d=16 N=16: within 1.3× of native (native/SIMD ≥ 1/1.3)', ratio(scan, 'native'), (r) => r >= 1 / 1.3],
    ['pooled 512×512 mean view of T=65536 under 2 s', pooled.simd / 1000, (s) => s < 2],
    ['pooled view of T=65536 under 64 MiB of wasm memory', pooled.memory.simd / 2 ** 20, (mib) => mib < 64],
    ['1000-point bound sweep in Chromium under 5 ms', browser.sweep_1000 ?? NaN, (ms) => ms < 5],
    ['page redraws T=2048 within 50 ms of every keystroke in Chromium (slowest of 15)', browser.page_redraw_2048_max ?? NaN, (ms) => ms <= 50],
  ];
  return targets
    .filter(([, value]) => !Number.isNaN(value))
    .map(([text, value, test]) => ({ text, value: Number(value.toFixed(3)), met: test(value) }));
}

await main();
