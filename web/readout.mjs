// The hover read-out of one attention entry: t, s, the value the API
// returned, and its factors Δ[s], C[t]·B[s] per state and the decay per
// state, recomputed in float64 (see factors.mjs). Built with DOM calls,
// because token labels come from the user's text.
import { describeCellText, formatValue } from './heatmap.mjs';
import { element } from './panels.mjs';

/** The number of states, or channels, listed in the read-out's tables. */
const MAX_LISTED = 8;

const SUBSCRIPT_DIGITS = '₀₁₂₃₄₅₆₇₈₉';

export function subscript(number) {
  return String(number).split('').map((digit) => SUBSCRIPT_DIGITS[digit] ?? digit).join('');
}

/** Returns the symbol of the viewed value: ᾱ for the mean, c for the logit view, αⱼ for channel j. */
export function valueSymbol(view) {
  if (view === 'mean') return 'ᾱ';
  if (view === 'logit') return 'c';
  return `α${subscript(view)}`;
}

function quoteLabel(label) {
  return /^\d+$/.test(label) ? label : `“${label}”`;
}

/**
 * Returns the read-out of a cell as a DocumentFragment. cell and data come
 * from Heatmap, and data.valueName is the symbol. factors is an
 * AttentionFactors for the input. view and k are the attention view and
 * the readout row of the logit view. Cells of several steps (the pooled
 * overview) get their ranges and value only.
 */
export function describeCellFactors(cell, data, { factors, view, k }) {
  const fragment = document.createDocumentFragment();
  if (!data.unitCells || cell.masked || !factors) {
    fragment.append(element('p', { className: 'readout-line' }, describeCellText(cell, data)));
    return fragment;
  }

  const t = cell.t0;
  const s = cell.s0;
  const labelOf = (labels, index) => (labels ? ` (token ${quoteLabel(labels[index])})` : '');
  const symbol = data.valueName;
  fragment.append(element('p', { className: 'readout-line' },
    `t = ${t}${labelOf(data.rowLabels, cell.i)}, s = ${s}${labelOf(data.colLabels, cell.j)}: ${symbol} = `,
    element('data', { className: 'readout-value', value: String(cell.value) }, formatValue(cell.value, 5))));

  const breakdown = factors.cell(view, t, s, k);
  const decayName = typeof view === 'number'
    ? `exp(A${subscript(view)}ₙ (Λ[t] − Λ[s]))`
    : 'mean over j of exp(Aⱼₙ (Λ[t] − Λ[s]))';
  fragment.append(element('p', { className: 'readout-factors' },
    `Δ[s] = ${formatValue(breakdown.delta_s, 5)}, Λ[t] − Λ[s] = ${formatValue(breakdown.gap, 5)}. `,
    view === 'logit'
      ? `c[t,s] = Σⱼ W[${k},j] uⱼ[s] αⱼ[t,s] = ${formatValue(breakdown.value, 6)}, recomputed in float64 from the factors below.`
      : `${symbol}[t,s] = Δ[s] Σₙ C[t]ₙ B[s]ₙ · decayₙ = ${formatValue(breakdown.value, 6)}, recomputed in float64 from the factors below.`));

  fragment.append(statesTable(breakdown.states, decayName));
  if (breakdown.channels) fragment.append(channelsTable(breakdown.channels, k));
  return fragment;
}

function statesTable(states, decayName) {
  const listed = states.slice(0, MAX_LISTED);
  const rows = listed.map(({ n, CB, decay }) => element('tr', {},
    element('th', { scope: 'row' }, `n = ${n}`),
    element('td', {}, formatValue(CB, 4)),
    element('td', {}, formatValue(decay, 4)),
    element('td', {}, formatValue(CB * decay, 4))));
  const table = element('table', { className: 'factors' },
    element('caption', {}, 'Per state n: the query–key product and the decay'),
    element('thead', {}, element('tr', {},
      element('th', { scope: 'col' }, 'state'),
      element('th', { scope: 'col' }, 'C[t]ₙ·B[s]ₙ'),
      element('th', { scope: 'col' }, `decay: ${decayName}`),
      element('th', { scope: 'col' }, 'product'))),
    element('tbody', {}, ...rows));
  if (states.length > MAX_LISTED) {
    table.append(element('tfoot', {}, element('tr', {},
      element('td', { colspan: 4 }, `and ${states.length - MAX_LISTED} more states, included in the value above`))));
  }
  return table;
}

function channelsTable(channels, k) {
  const listed = channels.slice(0, MAX_LISTED);
  const rows = listed.map(({ j, w, u, alpha }) => element('tr', {},
    element('th', { scope: 'row' }, `j = ${j}`),
    element('td', {}, formatValue(w, 4)),
    element('td', {}, formatValue(u, 4)),
    element('td', {}, formatValue(alpha, 4)),
    element('td', {}, formatValue(w * u * alpha, 4))));
  const table = element('table', { className: 'factors' },
    element('caption', {}, 'Per channel j: the readout weight, the input and the attention weight'),
    element('thead', {}, element('tr', {},
      element('th', { scope: 'col' }, 'channel'),
      element('th', { scope: 'col' }, `W[${k},j]`),
      element('th', { scope: 'col' }, 'uⱼ[s]'),
      element('th', { scope: 'col' }, 'αⱼ[t,s]'),
      element('th', { scope: 'col' }, 'product'))),
    element('tbody', {}, ...rows));
  if (channels.length > MAX_LISTED) {
    table.append(element('tfoot', {}, element('tr', {},
      element('td', { colspan: 5 }, `and ${channels.length - MAX_LISTED} more channels, included in the value above`))));
  }
  return table;
}
