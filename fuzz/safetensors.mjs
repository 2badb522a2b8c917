// A mutation fuzzer for the safetensors reader (wasm/safetensors.mjs) and
// the model loader behind it. libFuzzer cannot reach JavaScript, and the
// JavaScript libFuzzer binding (Jazzer.js) does not load on this machine's
// glibc, so this is a plain random mutator without coverage feedback.
// Every input must either load or be rejected with an SsmLensError; any
// other exception is a bug and is saved to fuzz/crashes/.
// Usage: node fuzz/safetensors.mjs [--minutes N | --runs N] [--seed S]
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import {
  SsmLensError, modelFromFile, parseSafetensors, randomModel,
} from '../wasm/index.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const minutes = option('--minutes', 0);
const maxRuns = option('--runs', minutes > 0 ? Infinity : 2000);
let seed = option('--seed', 1) >>> 0;

function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let z = seed;
  z = Math.imul(z ^ (z >>> 15), z | 1);
  z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
  return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
}
const pick = (n) => Math.floor(random() * n);

const fixtures = fileURLToPath(new URL('../../shared/fixtures/', import.meta.url));
const seeds = [];
try {
  for (const name of readdirSync(fixtures)) seeds.push(readFileSync(`${fixtures}${name}/model.safetensors`));
} catch {
  // Without the fixtures, the library's own files are the seeds.
}
seeds.push((await randomModel({ d: 3, N: 2, K: 2, vocab: 3 })).toSafetensors());
const regressions = new URL('./regressions/', import.meta.url);
for (const name of readdirSync(regressions).filter((file) => file.startsWith('safetensors-'))) {
  seeds.push(readFileSync(new URL(name, regressions)));
}

/** Mutates bytes: flips, inserts, deletes, or rewrites part of the header. */
function mutate(original) {
  const bytes = Array.from(original);
  const edits = 1 + pick(4);
  for (let e = 0; e < edits; e++) {
    const at = pick(Math.max(1, bytes.length));
    switch (pick(6)) {
      case 0: bytes[at] ^= 1 << pick(8); break;
      case 1: bytes.splice(at, 0, pick(256)); break;
      case 2: bytes.splice(at, 1 + pick(8)); break;
      case 3: bytes[at] = [0x00, 0xff, 0x22, 0x5b, 0x5d, 0x7b, 0x7d, 0x2c, 0x30, 0x39, 0x2d][pick(11)]; break;
      case 4: { // rewrite a digit run inside the header, where shapes and offsets live
        const header = Number(new DataView(original.buffer, original.byteOffset).getBigUint64(0, true));
        const position = 8 + pick(Math.max(1, Math.min(header, bytes.length - 8)));
        bytes[position] = 0x30 + pick(10);
        break;
      }
      default: bytes.length = pick(bytes.length + 1);
    }
  }
  return Uint8Array.from(bytes);
}

const started = Date.now();
let runs = 0;
let loaded = 0;
let failures = 0;
while (runs < maxRuns && (minutes === 0 || Date.now() - started < minutes * 60000)) {
  const input = mutate(seeds[pick(seeds.length)]);
  runs++;
  try {
    parseSafetensors(input);
    await modelFromFile(input);
    loaded++;
  } catch (error) {
    if (!(error instanceof SsmLensError)) {
      failures++;
      mkdirSync(new URL('./crashes/', import.meta.url), { recursive: true });
      const file = new URL(`./crashes/safetensors-${runs}`, import.meta.url);
      writeFileSync(file, input);
      process.stderr.write(`safetensors fuzzer: ${error.name}: ${error.message} (input saved to ${fileURLToPath(file)})\n`);
    }
  }
}
process.stdout.write(`safetensors fuzzer: ${runs} runs in ${((Date.now() - started) / 1000).toFixed(1)} s, ${loaded} loaded, ${failures} unexpected errors\n`);
process.exitCode = failures === 0 ? 0 : 1;
