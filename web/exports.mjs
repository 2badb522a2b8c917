// Downloads of what the page shows: the heatmap as PNG, the attention
// matrix as CSV, the bound's terms as JSON and the Reproduce view's runs as
// CSV and JSON. Everything is built in the browser; nothing is sent anywhere.

/** Saves blob as a file named fileName through a temporary link. */
export function downloadBlob(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started once click() returns; a later revoke keeps slow browsers safe.
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * Returns a matrix as CSV: a header row of column steps, then one row per
 * output step t. Cells of several steps (the pooled overview) are named by
 * their step range "first-last". Numbers keep float32 precision (9 digits).
 */
export function matrixToCsv({ values, rowStarts, colStarts }) {
  const size = rowStarts.length - 1;
  const rangeName = (starts, i) => (starts[i + 1] - starts[i] === 1 ? String(starts[i]) : `${starts[i]}-${starts[i + 1] - 1}`);
  const lines = [['t\\s', ...Array.from({ length: size }, (_, j) => rangeName(colStarts, j))].join(',')];
  for (let i = 0; i < size; i++) {
    const row = [rangeName(rowStarts, i)];
    for (let j = 0; j < size; j++) row.push(formatCsvNumber(values[i * size + j]));
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

function formatCsvNumber(value) {
  return value === 0 ? '0' : String(Number(value.toPrecision(9)));
}

/**
 * Returns records (arrays of values) under a header as CSV (RFC 4180):
 * fields with a comma, a quote or a line break are quoted, numbers keep
 * every digit, and null or undefined become empty fields.
 */
export function recordsToCsv(header, records) {
  const field = (value) => {
    if (value === null || value === undefined) return '';
    const text = String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [header, ...records].map((record) => record.map(field).join(','));
  return `${lines.join('\n')}\n`;
}
