// safetensors files (wasm/safetensors.mjs): the fixtures in both formats,
// other dtypes, and every malformed header the parser must reject.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  modelFromFile, modelFromSafetensors, parseSafetensors, randomModel, writeSafetensors,
} from '../wasm/index.mjs';

const FIXTURES = new URL('../../shared/fixtures/', import.meta.url);
const skip = existsSync(FIXTURES) ? false : `fixtures not found at ${FIXTURES.pathname}`;
const PARTS = ['A', 'W_B', 'W_C', 'q', 'W', 'embedding'];

/** Builds a safetensors file from a header object and raw data bytes. */
function rawFile(header, data = new Uint8Array(0)) {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function assertRejectsSafetensors(bytes, pattern) {
  assert.throws(() => parseSafetensors(bytes), (error) => {
    assert.equal(error.name, 'SsmLensError');
    assert.match(error.message, pattern);
    return true;
  });
}

for (const name of ['authors-majority-T100-seed1', 'authors-listops-T100-seed1']) {
  test(`${name}: JSON and safetensors agree`, { skip }, async () => {
    const json = await modelFromFile(readFileSync(new URL(`${name}/model.json`, FIXTURES)));
    const binary = await modelFromFile(readFileSync(new URL(`${name}/model.safetensors`, FIXTURES)));
    for (const part of PARTS) assert.deepEqual(binary[part], json[part], part);
    assert.equal(binary.p, json.p);
    assert.equal(binary.layout, json.layout);
    const expected = JSON.parse(readFileSync(new URL(`${name}/expected.json`, FIXTURES), 'utf8'));
    for (const c of expected.cases) {
      assert.deepEqual(binary.forward(c.tokens).logits, json.forward(c.tokens).logits);
    }
  });
}

test('safetensors written by the library read back exactly', async () => {
  for (const K of [1, 3]) {
    const model = await randomModel({ d: 5, N: 3, K, vocab: 7, seed: K });
    const bytes = model.toSafetensors();
    const headerBytes = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(headerBytes % 8, 0, 'the data starts 8-byte aligned');
    const copy = await modelFromSafetensors(bytes);
    for (const part of PARTS) assert.deepEqual(copy[part], model[part], part);
    assert.equal(copy.p, model.p);
    assert.equal(parseSafetensors(bytes).metadata.format, 'pt');
  }
});

test('safetensors reads F16 and BF16 into float32', () => {
  // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 2^-24 = 0x0001 (subnormal), 65504 = 0x7bff.
  // BF16: 1.0 = 0x3f80, -0.5 = 0xbf00, 3.140625 = 0x4049.
  const data = new Uint8Array(14);
  const view = new DataView(data.buffer);
  [0x3c00, 0xc000, 0x0001, 0x7bff].forEach((bits, i) => view.setUint16(i * 2, bits, true));
  [0x3f80, 0xbf00, 0x4049].forEach((bits, i) => view.setUint16(8 + i * 2, bits, true));
  const { tensors } = parseSafetensors(rawFile({
    half: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
    brain: { dtype: 'BF16', shape: [3], data_offsets: [8, 14] },
  }, data));
  assert.deepEqual(Array.from(tensors.half.data), [1, -2, 2 ** -24, 65504]);
  assert.deepEqual(Array.from(tensors.brain.data), [1, -0.5, 3.140625]);
});

test('safetensors rejects malformed headers by name', () => {
  const four = new Uint8Array(16);
  const tensor = (offsets, shape = [4], dtype = 'F32') => ({ dtype, shape, data_offsets: offsets });
  assertRejectsSafetensors(new Uint8Array(4), /fewer than the 8-byte header length/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 200_000_000n, true);
  assertRejectsSafetensors(huge, /header length 200000000 exceeds the limit of 100000000 bytes/);
  const past = new Uint8Array(16);
  new DataView(past.buffer).setBigUint64(0, 100n, true);
  assertRejectsSafetensors(past, /header length 100 runs past the end of the 16-byte file/);
  const notJson = rawFile({});
  notJson.set(new TextEncoder().encode('{x'), 8);
  assertRejectsSafetensors(notJson, /the header is not valid UTF-8 JSON/);
  assertRejectsSafetensors(rawFile([1, 2]), /the header must be a JSON object/);
  assertRejectsSafetensors(rawFile({ a: tensor([0, 16], [4], 'I64') }, four), /tensor 'a' has dtype "I64"; supported: F32, F16, BF16/);
  assertRejectsSafetensors(rawFile({ a: tensor([0, 16], [-4]) }, four), /tensor 'a' has an invalid shape \[-4\]/);
  assertRejectsSafetensors(rawFile({ a: tensor([0, 32]) }, four), /tensor 'a' has data_offsets \[0, 32\] outside the 16 data bytes/);
  assertRejectsSafetensors(rawFile({ a: tensor([8, 4]) }, four), /tensor 'a' has data_offsets \[8, 4\] outside/);
  assertRejectsSafetensors(rawFile({ a: tensor([0, 16], [5]) }, four), /tensor 'a' has shape \[5\] of F32 \(20 bytes\) but data_offsets \[0, 16\] span 16 bytes/);
  assertRejectsSafetensors(rawFile({ a: tensor([0, 8], [2]), b: tensor([4, 12], [2]) }, four), /tensor 'b' overlaps the tensor before it/);
  assertRejectsSafetensors(rawFile({ a: tensor([0, 4], [1]), b: tensor([8, 16], [2]) }, four), /bytes 4 to 8 of the data belong to no tensor/);
  assertRejectsSafetensors(rawFile({ a: tensor([0, 8], [2]) }, four), /bytes 8 to 16 of the data belong to no tensor/);
  assertRejectsSafetensors(rawFile({ a: null }), /tensor 'a' must be an object, got null/);
  assertRejectsSafetensors(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, four), /tensor 'a' has invalid data_offsets \[0\]/);
  assert.throws(() => parseSafetensors('abc'), /expected the file's bytes as a Uint8Array or ArrayBuffer, got the string/);
});

test('safetensors models name missing, extra and mis-shaped tensors', { skip }, async () => {
  const { tensors } = parseSafetensors(readFileSync(new URL('authors-majority-T100-seed1/model.safetensors', FIXTURES)));
  const without = { ...tensors };
  delete without['SSM.ssm.W_C'];
  await assert.rejects(modelFromSafetensors(writeSafetensors(without)), /safetensors: tensor 'SSM\.ssm\.W_C' is missing/);
  await assert.rejects(modelFromSafetensors(writeSafetensors({ ...tensors, extra: { shape: [1], data: [0] } })), /safetensors: unknown tensor 'extra'/);
  const reshaped = { ...tensors, 'SSM.ssm.W_B': { shape: [2, 8], data: tensors['SSM.ssm.W_B'].data } };
  await assert.rejects(modelFromSafetensors(writeSafetensors(reshaped)), /safetensors: tensor 'SSM\.ssm\.W_B' must have shape \[4,4\] \(d = 4 and N = 4 from 'SSM\.ssm\.A'\), got \[2,8\]/);
  const nan = { ...tensors, 'SSM.ssm.A': { shape: [4, 4], data: Array.from(tensors['SSM.ssm.A'].data, (v, i) => (i === 3 ? NaN : v)) } };
  await assert.rejects(modelFromSafetensors(writeSafetensors(nan)), /A must be finite, got NaN at flat index 3/);
});
