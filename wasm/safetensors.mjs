// Reads and writes the safetensors format: an 8-byte little-endian header
// length n, n bytes of JSON describing each tensor (dtype, shape and byte
// offsets into the data that follows), then the tensors' bytes.
import { SsmLensError, describe } from './errors.mjs';

/** Bytes per element of the dtypes read; all are converted to float32. */
const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2 };

/** The largest header accepted, as in the reference implementation. */
export const MAX_HEADER_BYTES = 100_000_000;

function fail(message) {
  return new SsmLensError(`safetensors: ${message}`);
}

/** float16 bits to a number (subnormals, Infinity and NaN included). */
function halfToNumber(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Decodes one tensor's bytes to a Float32Array. */
function decode(dtype, bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / DTYPE_BYTES[dtype];
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') out[i] = view.getFloat32(i * 4, true);
    else if (dtype === 'F16') out[i] = halfToNumber(view.getUint16(i * 2, true));
    // bfloat16 is the upper half of a float32.
    else out[i] = new Float32Array(new Uint32Array([view.getUint16(i * 2, true) << 16]).buffer)[0];
  }
  return out;
}

/**
 * Parses a safetensors file into { tensors: { name: { dtype, shape, data } },
 * metadata }, with data as a Float32Array. Rejects, naming the tensor: a
 * header that is too large or not JSON, unknown dtypes, shapes that do not
 * match their byte counts, offsets outside the data, and overlapping or
 * missing bytes.
 */
export function parseSafetensors(bytes) {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) {
    throw fail(`expected the file's bytes as a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
  }
  if (bytes.byteLength < 8) throw fail(`the file has ${bytes.byteLength} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = Number(view.getBigUint64(0, true));
  if (headerBytes > MAX_HEADER_BYTES) throw fail(`the header length ${headerBytes} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  if (8 + headerBytes > bytes.byteLength) throw fail(`the header length ${headerBytes} runs past the end of the ${bytes.byteLength}-byte file`);

  let header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerBytes)));
  } catch (error) {
    throw fail(`the header is not valid UTF-8 JSON (${error.message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw fail('the header must be a JSON object');
  }

  const data = bytes.subarray(8 + headerBytes);
  const tensors = {};
  const spans = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (entry === null || typeof entry !== 'object') throw fail(`tensor '${name}' must be an object, got ${describe(entry)}`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!Object.hasOwn(DTYPE_BYTES, dtype)) {
      throw fail(`tensor '${name}' has dtype ${JSON.stringify(dtype)}; supported: F32, F16, BF16`);
    }
    if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets;
    if (begin > end || end > data.byteLength) {
      throw fail(`tensor '${name}' has data_offsets [${begin}, ${end}] outside the ${data.byteLength} data bytes`);
    }
    const expected = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw fail(`tensor '${name}' has shape [${shape}] of ${dtype} (${expected} bytes) but data_offsets [${begin}, ${end}] span ${end - begin} bytes`);
    }
    spans.push({ name, begin, end });
    tensors[name] = { dtype, shape, data: decode(dtype, data.subarray(begin, end)) };
  }

  // The data must be covered exactly once, in order.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  for (const span of spans) {
    if (span.begin < position) throw fail(`tensor '${span.name}' overlaps the tensor before it (bytes ${span.begin} to ${position})`);
    if (span.begin > position) throw fail(`bytes ${position} to ${span.begin} of the data belong to no tensor`);
    position = span.end;
  }
  if (position !== data.byteLength) throw fail(`bytes ${position} to ${data.byteLength} of the data belong to no tensor`);

  const metadata = header.__metadata__ ?? {};
  return { tensors, metadata };
}

/**
 * Writes tensors ({ name: { shape, data } }, data as numbers) as a
 * safetensors file of F32 tensors, in the given order; returns a Uint8Array.
 * metadata is an object of string values.
 */
export function writeSafetensors(tensors, metadata = {}) {
  const header = {};
  let offset = 0;
  const parts = [];
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    const values = Float32Array.from(data);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + values.byteLength] };
    parts.push(values);
    offset += values.byteLength;
  }
  if (Object.keys(metadata).length) header.__metadata__ = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)]));

  // Pad the header with spaces to a multiple of 8 bytes, so that the data
  // starts aligned, as the reference implementation does.
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const spaced = new Uint8Array(padded).fill(0x20);
    spaced.set(json);
    json = spaced;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let position = 8 + json.byteLength;
  for (const values of parts) {
    const little = new DataView(out.buffer, position, values.byteLength);
    values.forEach((v, i) => little.setFloat32(i * 4, v, true));
    position += values.byteLength;
  }
  return out;
}
