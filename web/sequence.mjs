// Parsing of the sequence field into token ids.

/**
 * Parses the text of the sequence field. Digits without separators are one
 * token each, so "0110" is [0, 1, 1, 0]. Once the text contains a comma or
 * whitespace, each field between separators is one token id, so "3, 12 7"
 * is [3, 12, 7]. Ids are not checked against a vocabulary here.
 * Returns { tokens, separated } or { error } with a message for the page.
 */
export function parseSequence(text) {
  const trimmed = text.trim();
  if (trimmed.replaceAll(',', '').trim() === '') {
    return { error: 'The sequence is empty: type at least one token id, for example 0110.' };
  }

  if (!/[\s,]/.test(trimmed)) {
    const position = trimmed.search(/[^0-9]/);
    if (position >= 0) {
      return { error: `Invalid character ${quote(trimmed[position])} at position ${position + 1}: use digits 0–9, or token ids separated by commas or spaces.` };
    }
    return { tokens: Array.from(trimmed, Number), separated: false };
  }

  const fields = trimmed.split(/[\s,]+/).filter((field) => field !== '');
  const tokens = [];
  for (const [index, field] of fields.entries()) {
    if (!/^[0-9]+$/.test(field)) {
      return { error: `Invalid token id ${quote(field)} at step ${index}: token ids are whole numbers 0, 1, 2, …` };
    }
    const token = Number(field);
    if (!Number.isSafeInteger(token)) {
      return { error: `Token id ${field} at step ${index} is too large.` };
    }
    tokens.push(token);
  }
  return { tokens, separated: true };
}

function quote(text) {
  const excerpt = text.length > 20 ? `${text.slice(0, 20)}…` : text;
  return `“${excerpt}”`;
}
