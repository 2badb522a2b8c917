// The error type of ssm-lens and the checks shared by the API modules.

/**
 * Thrown for invalid arguments and numerical failures.
 * `code` is one of 'argument', 'shape', 'nonfinite', 'overflow', 'alloc'.
 * `step` and `index` locate the failure where it has a position.
 */
export class SsmLensError extends Error {
  constructor(message, { code = 'argument', step = -1, index = -1 } = {}) {
    super(message);
    this.name = 'SsmLensError';
    this.code = code;
    this.step = step;
    this.index = index;
  }
}

export function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value instanceof DataView) return 'a DataView';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${value.length}`;
  if (typeof value === 'bigint') return `the BigInt ${value}n`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** Throws unless value is a finite number in [min, max]; returns it. */
export function checkNumber(name, value, { min = -Infinity, max = Infinity, integer = false, open = false } = {}) {
  const isNumber = typeof value === 'number' && Number.isFinite(value);
  const inRange = isNumber && (open ? value > min && value < max : value >= min && value <= max);
  if (!isNumber || !inRange || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a finite number';
    const lo = Number.isFinite(min) ? `${min} ${open ? '<' : '≤'} ` : '';
    const hi = Number.isFinite(max) ? ` ${open ? '<' : '≤'} ${max}` : '';
    const range = lo || hi ? ` with ${lo}${name}${hi}` : '';
    throw new SsmLensError(`${name} must be ${kind}${range}, got ${describe(value)}`);
  }
  return value;
}

/**
 * Flattens a typed array or a (nested) array into a Float32Array of the
 * expected shape, checking the count and that every value is finite.
 */
export function toFloat32(name, value, shape) {
  const count = shape.reduce((a, b) => a * b, 1);
  const shapeText = shape.join('×');
  let flat;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    flat = value;
  } else if (Array.isArray(value)) {
    const nested = Array.isArray(value[0]) || ArrayBuffer.isView(value[0]);
    if (nested && shape.length < 2) {
      throw new SsmLensError(`${name} must be a flat array of ${count} numbers, got nested arrays`);
    }
    flat = nested ? flattenRows(name, value, shape) : value;
  } else if (typeof value === 'number' && count === 1) {
    flat = [value];
  } else {
    throw new SsmLensError(`${name} must be a ${shapeText} array of numbers, got ${describe(value)}`);
  }
  if (flat.length !== count) {
    throw new SsmLensError(`${name} must be ${shapeText} (${count} values), got ${flat.length} values`);
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = flat[i];
    if (typeof v !== 'number' && typeof v !== 'bigint') {
      throw new SsmLensError(`${name} must contain numbers, got ${describe(v)} at flat index ${i}`);
    }
    const f = Number(v);
    if (!Number.isFinite(f)) {
      throw new SsmLensError(`${name} must be finite, got ${f} at flat index ${i}`, { code: 'nonfinite', index: i });
    }
    out[i] = f;
    if (!Number.isFinite(out[i])) {
      throw new SsmLensError(`${name} value ${f} at flat index ${i} exceeds the float32 range`, { code: 'nonfinite', index: i });
    }
  }
  return out;
}

/** Flattens rows of a 2-D shape; each row must be a flat array of numbers. */
function flattenRows(name, rows, shape) {
  const width = shape.slice(1).reduce((a, b) => a * b, 1);
  const flat = [];
  rows.forEach((row, r) => {
    if (!Array.isArray(row) && !(ArrayBuffer.isView(row) && !(row instanceof DataView))) {
      throw new SsmLensError(`${name} row ${r} must be an array of ${width} numbers, got ${describe(row)}`);
    }
    if (row.length !== width) {
      throw new SsmLensError(`${name} must be ${shape.join('×')}; row ${r} has ${row.length} values, expected ${width}`);
    }
    for (let i = 0; i < row.length; i++) {
      if (Array.isArray(row[i]) || ArrayBuffer.isView(row[i])) {
        throw new SsmLensError(`${name} must be ${shape.join('×')}; row ${r} contains a nested array at position ${i}`);
      }
      flat.push(row[i]);
    }
  });
  return flat;
}
