// The page's text panels: the table of bound terms and the prediction.
// Both are built with DOM calls, never innerHTML, because model files and
// their names come from the user.
import { TERMS } from '../wasm/index.mjs';
import { colorOf, formatValue } from './heatmap.mjs';

const SUPERSCRIPT_DIGITS = { '-': '⁻', '.': '·' };
'0123456789'.split('').forEach((digit, i) => {
  SUPERSCRIPT_DIGITS[digit] = '⁰¹²³⁴⁵⁶⁷⁸⁹'[i];
});

/** Creates an element with attributes and children (strings become text). */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    if (name === 'className') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children.filter((child) => child != null && child !== false));
  return node;
}

/**
 * Formats a number for reading: 4 significant digits, and m × 10ⁿ outside
 * [10⁻³, 10⁶). Returns a string.
 */
export function formatNumber(value) {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0 || (Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6)) return formatValue(value, 4);
  const [mantissa, exponent] = value.toExponential(3).split('e');
  const power = String(Number(exponent)).split('').map((c) => SUPERSCRIPT_DIGITS[c] ?? c).join('');
  return `${mantissa.replace('-', '−')} × 10${power}`;
}

/** Formats a base-10 logarithm as 10^x for a value beyond the double range. */
function formatPowerOfTen(log10) {
  return element('span', {}, '10', element('sup', {}, formatValue(log10, 5)));
}

/** Creates a <data> element: the formatted number as text, the exact value in its value attribute. */
function numberCell(value) {
  return element('data', { value: String(value) }, formatNumber(value));
}

function formatTermValue(name, result) {
  if (name === 'vacuous') {
    return result.vacuous
      ? element('strong', { className: 'vacuous' }, 'yes: the bound is vacuous')
      : 'no';
  }
  const value = result[name];
  if (value === null && result.overflow.includes(name)) {
    return element('span', {}, formatPowerOfTen(result.log10[name]), ' (beyond the double range)');
  }
  if (value === null && name === 'gap_bound') {
    return result.vacuous ? element('span', { className: 'vacuous' }, 'none: vacuous') : 'undefined';
  }
  if (value === null || value === undefined) return 'undefined';
  const cell = element('span', {}, numberCell(value));
  if (name === 'rho_A_paper' && result.rho_A_differs) {
    cell.append(element('span', { className: 'note' }, 'Differs from ρ_A here because s_A + η > 0; S₁, S₂ and C_F use ρ_A.'));
  }
  return cell;
}

/**
 * Fills tableBody with one row per term of TERMS: symbol and meaning,
 * value, formula and provenance. result is the object from bound(). When
 * the rows exist already, only the values that changed are replaced, so a
 * keystroke does not rebuild the whole table.
 */
export function renderBoundTable(tableBody, result) {
  const names = Object.keys(TERMS);
  const existing = tableBody.rows.length === names.length
    && names.every((name, i) => tableBody.rows[i].dataset.term === name);
  if (!existing) {
    tableBody.replaceChildren(...names.map((name) => {
      const term = TERMS[name];
      return element('tr', { 'data-term': name },
        element('th', { scope: 'row', 'data-label': 'Term' },
          element('span', { className: 'symbol' }, term.symbol),
          element('span', { className: 'meaning' }, term.meaning)),
        element('td', { className: 'value', 'data-label': 'Value' }),
        element('td', { className: 'formula', 'data-label': 'Formula' }, element('code', {}, term.formula)),
        element('td', { 'data-label': 'Source' },
          element('span', { className: `provenance provenance-${term.provenance}` }, term.provenance)));
    }));
  }
  names.forEach((name, i) => {
    const row = tableBody.rows[i];
    // Everything the value cell shows depends on these fields of the result.
    const key = JSON.stringify([result[name], result.overflow.includes(name) ? result.log10[name] : null, result.vacuous, result.rho_A_differs]);
    if (row.dataset.valueKey === key) return;
    row.dataset.valueKey = key;
    row.classList.toggle('is-vacuous', name === 'vacuous' && result.vacuous);
    row.cells[1].replaceChildren(formatTermValue(name, result));
  });
}

/**
 * Fills container with the logits of the last step: one number for a
 * single-output model, else one bar per class with the arg-max marked.
 */
export function renderPrediction(container, logits, T) {
  const stepText = `read out at the last step, t = ${T - 1}`;
  if (logits.length === 1) {
    container.replaceChildren(
      element('p', { className: 'logit' }, 'logit z = ', numberCell(logits[0])),
      element('p', { className: 'help' }, `The single output of the readout w · y[t], ${stepText}.`),
    );
    return;
  }

  const largest = logits.indexOf(Math.max(...logits));
  const scale = Math.max(...Array.from(logits, Math.abs)) || 1;
  const rows = Array.from(logits, (logit, k) => {
    // A fixed shade per sign, so that short bars stay visible next to the near-white middle of the map.
    const [r, g, b] = colorOf(Math.sign(logit) * 0.7, 1);
    const bar = element('span', { className: 'bar', 'aria-hidden': 'true' });
    bar.style.width = `${(Math.abs(logit) / scale) * 100}%`;
    bar.style.backgroundColor = `rgb(${r} ${g} ${b})`;
    return element('tr', { className: k === largest ? 'is-largest' : null },
      element('th', { scope: 'row' }, `k = ${k}`),
      element('td', { className: 'value' }, numberCell(logit), k === largest ? ' (largest)' : ''),
      element('td', { className: 'bar-cell' }, bar));
  });
  container.replaceChildren(
    element('p', { className: 'help' }, `${logits.length} logits W y[t], ${stepText}. The predicted class is k = ${largest}.`),
    element('table', { className: 'logits' },
      element('thead', {}, element('tr', {},
        element('th', { scope: 'col' }, 'class'),
        element('th', { scope: 'col' }, 'logit'),
        element('th', { scope: 'col' }, element('span', { className: 'visually-hidden' }, 'bar')))),
      element('tbody', {}, ...rows)),
  );
}
