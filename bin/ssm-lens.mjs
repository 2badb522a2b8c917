#!/usr/bin/env node
// ssm-lens command line: the forward pass, the attention matrix and the
// bound terms of a model for one input, without a browser.
import { once } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';

import {
  SsmLensError, TERMS, bound, modelFromStateDict, randomModel, sweep,
} from '../wasm/index.mjs';

const USAGE = `Usage: ssm-lens <command> [options]

Commands:
  run        forward pass: logits, the last output y[T-1] and the step sizes
  attention  the T×T attention matrix (row t = output step, column s = input step)
  bound      every term of the generalization bound
  sweep      every bound term over a grid of T or of s_A

Model (one of):
  --model FILE      PyTorch state dict as JSON (the authors' layouts)
  --random          seeded random model with the authors' initialization,
                    set by --sA (default 0), --d (4), --N (4), --vocab (2), --seed (0)

Input (one of; optional for sweep, where it sets B_u):
  --tokens 0,1,1    comma-separated token ids
  --bits 0110       one token id (0 or 1) per character

Options:
  --view V          attention: 'mean', 'logit' or a channel index (default mean)
  --class K         attention --view logit: the readout row (default: arg-max)
  --m M             bound: training samples (default 1000)
  --delta D         bound: confidence parameter in (0, 1) (default 0.05)
  --T T             bound: sequence length (default: the input's length)
  --B_u B           bound: input norm bound (default: from the input)
  --c_l C, --l_l L  bound: loss range and Lipschitz constant (default 1, 1)
  --eta E           bound: slack added to s_A (default 0)
  --norms KIND      bound: 'spectral' (default) or 'frobenius'
  --over AXIS       sweep: 'T' (log-spaced grid) or 's_A' (linear grid; A is
                    shifted so that its largest entry takes each value)
  --from X, --to Y  sweep: the grid's first and last value
  --points P        sweep: number of grid points (default 50)
  --json            print JSON instead of a table
  --csv             sweep: print CSV, one row per grid point
  -h, --help        print this help

Examples:
  ssm-lens run --model model.json --tokens 0,1,1 --json
  ssm-lens attention --random --sA -0.1 --bits 0110 --view logit
  ssm-lens bound --model model.json --tokens 0,1,1 --m 1000 --delta 0.05 --T 1000
  ssm-lens sweep --model model.json --over T --from 1 --to 1e6 --points 50 --csv
  ssm-lens sweep --model model.json --over s_A --from -0.1 --to 0.1 --points 21 --T 1000

Exit codes: 0 success, 1 numerical failure (such as overflow), 2 invalid usage.`;

const OPTIONS = {
  model: { type: 'string' }, random: { type: 'boolean' },
  sA: { type: 'string' }, d: { type: 'string' }, N: { type: 'string' },
  vocab: { type: 'string' }, seed: { type: 'string' },
  tokens: { type: 'string' }, bits: { type: 'string' },
  view: { type: 'string' }, class: { type: 'string' },
  m: { type: 'string' }, delta: { type: 'string' }, T: { type: 'string' },
  B_u: { type: 'string' }, c_l: { type: 'string' }, l_l: { type: 'string' },
  eta: { type: 'string' }, norms: { type: 'string' },
  over: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
  points: { type: 'string' },
  json: { type: 'boolean' }, csv: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
};

class UsageError extends Error {}

function numberOption(values, name) {
  if (values[name] === undefined) return undefined;
  const text = values[name].trim();
  const value = Number(text);
  if (text === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${name} must be a number, got '${values[name]}'`);
  }
  return value;
}

function parseInput(values) {
  if (values.tokens !== undefined && values.bits !== undefined) {
    throw new UsageError('give either --tokens or --bits, not both');
  }
  if (values.bits !== undefined) {
    if (!/^[01]+$/.test(values.bits)) {
      throw new UsageError(`--bits must be a non-empty string of 0 and 1, got '${values.bits}'`);
    }
    return Array.from(values.bits, Number);
  }
  if (values.tokens !== undefined) {
    const parts = values.tokens.split(',').map((part) => part.trim());
    const tokens = parts.map(Number);
    const bad = parts.findIndex((part, i) => !/^\d+$/.test(part) || !Number.isSafeInteger(tokens[i]));
    if (bad >= 0) {
      throw new UsageError(`--tokens must be comma-separated non-negative integers; item ${bad} is '${parts[bad]}'`);
    }
    return tokens;
  }
  throw new UsageError('an input is required: --tokens 0,1,1 or --bits 0110');
}

async function loadModel(values) {
  if (values.model !== undefined && values.random) {
    throw new UsageError('give either --model FILE or --random, not both');
  }
  if (values.model !== undefined) {
    return modelFromStateDict(readModelFile(values.model));
  }
  if (values.random) {
    const settings = {};
    for (const name of ['sA', 'd', 'N', 'vocab', 'seed']) {
      const value = numberOption(values, name);
      if (value !== undefined) settings[name] = value;
    }
    return randomModel(settings);
  }
  throw new UsageError('a model is required: --model FILE or --random');
}

// A state dict JSON of the largest model (d = N = 4096) is well below this.
const MAX_MODEL_FILE_BYTES = 1 << 30;

/** Reads a model file, rejecting devices, pipes and oversized files first. */
function readModelFile(path) {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new UsageError(`--model: cannot read '${path}' (${error.code ?? error.message})`);
  }
  if (!stats.isFile()) {
    throw new UsageError(`--model: '${path}' is not a regular file`);
  }
  if (stats.size > MAX_MODEL_FILE_BYTES) {
    throw new UsageError(`--model: '${path}' has ${stats.size} bytes, above the limit of ${MAX_MODEL_FILE_BYTES}`);
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--model: cannot read '${path}' (${error.code ?? error.message})`);
  }
}

/** JSON numbers only: Infinity and NaN have no JSON form and become null. */
function toJson(value) {
  return JSON.stringify(value, (key, v) => {
    if (ArrayBuffer.isView(v)) return Array.from(v, (x) => (Number.isFinite(x) ? x : null));
    if (typeof v === 'number' && !Number.isFinite(v)) return null;
    return v;
  });
}

function formatNumber(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'number') return String(value);
  if (value === 0 || (Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6)) return String(Number(value.toPrecision(6)));
  return value.toExponential(5);
}

function printRun(result) {
  const lines = [
    `T = ${result.T}, d = ${result.d}`,
    `logits  ${Array.from(result.logits, formatNumber).join('  ')}`,
    `y[T-1]  ${Array.from(result.y_last, formatNumber).join('  ')}`,
    `delta   ${Array.from(result.delta.slice(0, 16), formatNumber).join('  ')}${result.T > 16 ? '  …' : ''}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Writes the matrix row by row, waiting whenever stdout's buffer is full:
 * a whole T = 16384 matrix as one string would exceed the largest string
 * V8 can build. */
async function printAttention(T, view, alpha, asJson) {
  const write = async (text) => {
    if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  };
  if (asJson) {
    await write(`{"T":${T},"view":${JSON.stringify(String(view))},"alpha":[`);
    for (let t = 0; t < T; t++) {
      await write(`${t > 0 ? ',' : ''}${toJson(alpha.subarray(t * T, (t + 1) * T))}`);
    }
    await write(']}\n');
    return;
  }
  await write(`attention view ${view}, T = ${T} (row t = output step, column s = input step)\n`);
  for (let t = 0; t < T; t++) {
    const row = Array.from(alpha.subarray(t * T, t * T + t + 1), (v) => v.toExponential(3).padStart(11));
    await write(`t=${String(t).padEnd(4)} ${row.join(' ')}\n`);
  }
}

function printBound(terms) {
  const lines = [`bound terms (norms: ${terms.norms}; m = ${terms.m}, δ = ${terms.delta}, T = ${terms.T}, c_l = ${terms.c_l}, l_l = ${terms.l_l}, η = ${terms.eta})`];
  for (const [name, info] of Object.entries(TERMS)) {
    let value = formatNumber(terms[name]);
    if (terms.overflow.includes(name)) value = `10^${terms.log10[name].toFixed(3)} (beyond double range)`;
    if (name === 'gap_bound' && terms.vacuous) value = `${value} (vacuous: not below c_l = ${terms.c_l})`;
    lines.push(`${info.symbol.padEnd(15)} ${value.padEnd(26)} ${info.provenance.padEnd(8)} ${info.formula}`);
  }
  if (terms.rho_A_differs) {
    lines.push('note: s_A + η ≥ 0, so ρ_A uses M_Δ; the paper\'s ρ_A (with Δ_min) does not bound the decay here');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function boundOptions(input, values) {
  const options = input ? { sequences: [input] } : {};
  for (const name of ['m', 'delta', 'T', 'B_u', 'c_l', 'l_l', 'eta']) {
    const value = numberOption(values, name);
    if (value !== undefined) options[name] = value;
  }
  if (values.norms !== undefined) options.norms = values.norms;
  return options;
}

const SWEEP_COLUMNS = [
  'T', 's_A', 'B_A', 'B_u', 'delta_min', 'M_delta', 'rho_A', 'rho_A_paper', 'S1', 'S2', 'C_F',
  'gap_bound', 'vacuous', 'C_F_linear_attention', 'lower_bound', 'lower_bound_paper',
];
const LOG10_COLUMNS = ['S1', 'S2', 'C_F', 'C_F_linear_attention', 'lower_bound', 'lower_bound_paper'];

function runSweep(model, input, values) {
  const over = values.over;
  if (over !== 'T' && over !== 's_A') {
    throw new UsageError(`--over must be 'T' or 's_A', got '${over ?? ''}'`);
  }
  const from = numberOption(values, 'from');
  const to = numberOption(values, 'to');
  if (from === undefined || to === undefined) {
    throw new UsageError('sweep needs --from and --to');
  }
  const options = { ...boundOptions(input, values), over, from, to };
  const points = numberOption(values, 'points');
  if (points !== undefined) options.points = points;
  if (over === 'T') delete options.T;
  const result = sweep(model, options);

  if (values.json) {
    process.stdout.write(`${toJson(result)}\n`);
    return;
  }
  const header = [...SWEEP_COLUMNS, ...LOG10_COLUMNS.map((name) => `log10_${name}`)];
  const rows = result.points.map((point) => [
    ...SWEEP_COLUMNS.map((name) => point[name]),
    ...LOG10_COLUMNS.map((name) => point.log10[name]),
  ]);
  if (values.csv) {
    const cell = (v) => (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : String(v));
    const lines = [header.join(','), ...rows.map((row) => row.map(cell).join(','))];
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  const shown = [over, 'rho_A', 'S2', 'C_F', 'gap_bound', 'lower_bound'];
  const lines = [`sweep over ${over}: ${result.points.length} points (terms beyond the double range as 10^x)`];
  lines.push(shown.map((name) => name.padStart(14)).join(' '));
  for (const point of result.points) {
    const cells = shown.map((name) => {
      if (point.overflow.includes(name)) return `10^${point.log10[name].toFixed(1)}`;
      if (name === 'gap_bound' && point.vacuous) return 'vacuous';
      return formatNumber(point[name]);
    });
    lines.push(cells.map((cell) => cell.padStart(14)).join(' '));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Joins '--sA -0.1' into '--sA=-0.1': parseArgs would read -0.1 as an option. */
function joinNegativeValues(argv) {
  const args = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    const next = argv[i + 1];
    if (OPTIONS[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      args.push(`${argv[i]}=${next}`);
      i++;
    } else {
      args.push(argv[i]);
    }
  }
  return args;
}

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const [command, ...extra] = positionals;
  if (!['run', 'attention', 'bound', 'sweep'].includes(command)) {
    throw new UsageError(`unknown command '${command}'; expected run, attention, bound or sweep`);
  }
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (values.json && values.csv) throw new UsageError('give either --json or --csv, not both');

  const hasInput = values.tokens !== undefined || values.bits !== undefined;
  const input = command === 'sweep' && !hasInput ? null : parseInput(values);
  const model = await loadModel(values);

  if (command === 'sweep') {
    runSweep(model, input, values);
    return 0;
  }

  if (command === 'run') {
    const result = model.forward(input);
    if (values.json) {
      process.stdout.write(`${toJson({ logits: result.logits, y_last: result.y_last, delta: result.delta })}\n`);
    } else {
      printRun(result);
    }
    return 0;
  }

  if (command === 'attention') {
    const view = values.view ?? 'mean';
    const k = numberOption(values, 'class');
    const alpha = model.attention(input, /^\d+$/.test(view) ? Number(view) : view, { k });
    await printAttention(input.length, view, alpha, values.json);
    return 0;
  }

  const terms = bound(model, boundOptions(input, values));
  if (values.json) {
    process.stdout.write(`${toJson(terms)}\n`);
  } else {
    printBound(terms);
  }
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`ssm-lens: ${error.message}\nRun 'ssm-lens --help' for usage.\n`);
    process.exitCode = 2;
  } else if (error instanceof SsmLensError) {
    process.stderr.write(`ssm-lens: ${error.message}\n`);
    process.exitCode = ['overflow', 'nonfinite', 'alloc'].includes(error.code) ? 1 : 2;
  } else {
    process.stderr.write(`ssm-lens: ${error.stack ?? error}\n`);
    process.exitCode = 1;
  }
}
