#!/usr/bin/env node
// ssm-lens command line: the forward pass, the attention matrix, the bound
// terms and sweeps of a model, and model file conversion, without a browser.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import {
  SsmLensError, TERMS, bound, modelFromFile, randomModel, sweep,
} from '../wasm/index.mjs';
import { EXPERIMENT_HELP, EXPERIMENT_OPTIONS, commandExperiment } from './lib/experiment.mjs';
import {
  UsageError, numberOption, readInputFile, readSequence,
} from './lib/input.mjs';
import {
  csvLine, formatNumber, toJson, write,
} from './lib/output.mjs';
import { encodePng, renderHeatmap } from './lib/png.mjs';

const MODEL_HELP = `Model (one of):
  --model FILE      a state dict as JSON or a safetensors file, in either of
                    the authors' layouts (one logit: SSM.ssm.*, SSM.w; K
                    logits: ssm.*, W)
  --random          a seeded random model with the authors' initialization,
                    set by --sA (default 0), --d (4), --N (4), --vocab (2),
                    --K (1), --seed (0)`;

const INPUT_HELP = `Input (one of):
  --tokens 0,1,1    comma-separated token ids
  --bits 0110       one token id (0 or 1) per character
  --text abca       one token id per distinct character, in order of first
                    appearance (a=0, b=1, c=2); the mapping is printed
  --input FILE      a T×d table of numbers, as CSV or as JSON rows
  standard input    bits, token ids, or a CSV or JSON table, when none of
                    the above is given`;

const COMMANDS = {
  run: {
    summary: 'forward pass: logits, the last output y[T-1] and the step sizes',
    help: `Options:
  --json            {"logits", "y_last", "delta"}
  --csv             one row per step: t, delta, y_0 .. y_{d-1}
Examples:
  ssm-lens run --model model.json --tokens 0,1,1 --json
  echo 0110 | ssm-lens run --random --csv`,
  },
  attention: {
    summary: 'the T×T attention matrix (row t = output step, column s = input step)',
    help: `Options:
  --view V          'mean' (default), 'logit', or a channel index 0..d-1
  --class K         --view logit: the readout row (default: the predicted one)
  --json            {"T", "view", "alpha": T rows}
  --csv             T lines of T values
  --png FILE        write a heatmap with a colour bar and axis labels
Examples:
  ssm-lens attention --random --sA -0.1 --bits 0110 --view logit
  ssm-lens attention --model model.safetensors --tokens 0,1,1,0 --png alpha.png`,
  },
  bound: {
    summary: 'every term of the generalization bound',
    help: `Options:
  --m M             training samples (default 1000)
  --delta D         confidence parameter in (0, 1) (default 0.05)
  --T T             sequence length (default: the input's length)
  --B_u B           input norm bound (default: from the input; without an
                    input, the largest embedding row norm)
  --c_l C, --l_l L  loss range and Lipschitz constant (default 1, 1)
  --eta E           slack added to s_A (default 0)
  --norms KIND      'spectral' (default) or 'frobenius'
  --json            every term by name
  --csv             one row per term: name, symbol, value, log10, provenance
Examples:
  ssm-lens bound --model model.json --tokens 0,1,1 --m 1000 --delta 0.05 --T 1000
  ssm-lens bound --random --sA 0.1 --T 1e6 --csv`,
  },
  sweep: {
    summary: 'every bound term over a grid of T or of s_A',
    help: `Options:
  --over AXIS       'T' (log-spaced integer grid) or 's_A' (linear grid; A is
                    shifted so that its largest entry takes each value)
  --from X, --to Y  the grid's first and last value
  --points P        grid points (default 50)
  the options of bound, except --T for --over T
  --json            {"over", "values", "points"}
  --csv             one row per grid point
Examples:
  ssm-lens sweep --model model.json --over T --from 1 --to 1e6 --points 50 --csv
  ssm-lens sweep --model model.json --over s_A --from -0.1 --to 0.1 --points 21 --T 1000`,
  },
  experiment: {
    summary: "train, evaluate and bound models in the paper's length and stability experiments",
    help: EXPERIMENT_HELP,
  },
  convert: {
    summary: 'convert a model file between state-dict JSON and safetensors',
    help: `Usage: ssm-lens convert IN OUT
  The format of OUT follows its extension: .json or .safetensors.
Examples:
  ssm-lens convert model.json model.safetensors
  ssm-lens convert model.safetensors model.json`,
  },
};

const USAGE = `Usage: ssm-lens <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(10)} ${summary}`).join('\n')}

${MODEL_HELP}

${INPUT_HELP}

Run 'ssm-lens <command> --help' for a command's options and examples.
Exit codes: 0 success, 1 numerical failure (such as overflow), 2 invalid usage.`;

const OPTIONS = {
  model: { type: 'string' }, random: { type: 'boolean' },
  sA: { type: 'string' }, d: { type: 'string' }, N: { type: 'string' }, K: { type: 'string' },
  vocab: { type: 'string' }, seed: { type: 'string' },
  tokens: { type: 'string' }, bits: { type: 'string' }, text: { type: 'string' }, input: { type: 'string' },
  view: { type: 'string' }, class: { type: 'string' }, png: { type: 'string' },
  m: { type: 'string' }, delta: { type: 'string' }, T: { type: 'string' },
  B_u: { type: 'string' }, c_l: { type: 'string' }, l_l: { type: 'string' },
  eta: { type: 'string' }, norms: { type: 'string' },
  over: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
  points: { type: 'string' },
  json: { type: 'boolean' }, csv: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  ...EXPERIMENT_OPTIONS,
};

async function loadModel(values) {
  if (values.model !== undefined && values.random) {
    throw new UsageError('give either --model FILE or --random, not both');
  }
  if (values.model !== undefined) return modelFromFile(readInputFile('--model', values.model));
  if (values.random) {
    const settings = {};
    for (const name of ['sA', 'd', 'N', 'K', 'vocab', 'seed']) {
      const value = numberOption(values, name);
      if (value !== undefined) settings[name] = value;
    }
    return randomModel(settings);
  }
  throw new UsageError('a model is required: --model FILE or --random');
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

async function commandRun(model, { input }, values) {
  const result = model.forward(input);
  if (values.json) {
    await write(`${toJson({ logits: result.logits, y_last: result.y_last, delta: result.delta })}\n`);
  } else if (values.csv) {
    await write(csvLine(['t', 'delta', ...Array.from({ length: result.d }, (_, j) => `y_${j}`)]));
    for (let t = 0; t < result.T; t++) {
      await write(csvLine([t, result.delta[t], ...result.y.subarray(t * result.d, (t + 1) * result.d)]));
    }
  } else {
    await write([
      `T = ${result.T}, d = ${result.d}`,
      `logits  ${Array.from(result.logits, formatNumber).join('  ')}`,
      `y[T-1]  ${Array.from(result.y_last, formatNumber).join('  ')}`,
      `delta   ${Array.from(result.delta.slice(0, 16), formatNumber).join('  ')}${result.T > 16 ? '  …' : ''}`,
    ].join('\n').concat('\n'));
  }
}

/** Writes the matrix row by row: a whole T = 16384 matrix as one string
 * would exceed the largest string V8 can build. */
async function commandAttention(model, { input }, values) {
  const view = values.view ?? 'mean';
  const k = numberOption(values, 'class');
  const alpha = model.attention(input, /^\d+$/.test(view) ? Number(view) : view, { k });
  const T = alpha.length === 0 ? 0 : Math.round(Math.sqrt(alpha.length));
  if (values.png !== undefined) {
    const raster = renderHeatmap(alpha, T, { title: `alpha, view ${view}, T = ${T}` });
    try {
      writeFileSync(values.png, encodePng(raster));
    } catch (error) {
      throw new UsageError(`--png: cannot write '${values.png}' (${error.code ?? error.message})`);
    }
    process.stderr.write(`ssm-lens: wrote ${values.png} (${raster.width}×${raster.height} pixels)\n`);
    if (!values.json && !values.csv) return;
  }
  if (values.json) {
    await write(`{"T":${T},"view":${JSON.stringify(view)},"alpha":[`);
    for (let t = 0; t < T; t++) await write(`${t > 0 ? ',' : ''}${toJson(alpha.subarray(t * T, (t + 1) * T))}`);
    await write(']}\n');
  } else if (values.csv) {
    for (let t = 0; t < T; t++) await write(csvLine(alpha.subarray(t * T, (t + 1) * T)));
  } else {
    await write(`attention view ${view}, T = ${T} (row t = output step, column s = input step)\n`);
    for (let t = 0; t < T; t++) {
      const row = Array.from(alpha.subarray(t * T, t * T + t + 1), (v) => v.toExponential(3).padStart(11));
      await write(`t=${String(t).padEnd(4)} ${row.join(' ')}\n`);
    }
  }
}

async function commandBound(model, { input }, values) {
  const terms = bound(model, boundOptions(input, values));
  if (values.json) {
    await write(`${toJson(terms)}\n`);
    return;
  }
  if (values.csv) {
    await write(csvLine(['name', 'symbol', 'value', 'log10', 'provenance', 'formula']));
    for (const [name, info] of Object.entries(TERMS)) {
      await write(csvLine([name, info.symbol, terms[name], terms.log10[name], info.provenance, info.formula]));
    }
    return;
  }
  const lines = [`bound terms (norms: ${terms.norms}; m = ${terms.m}, δ = ${terms.delta}, T = ${terms.T}, c_l = ${terms.c_l}, l_l = ${terms.l_l}, η = ${terms.eta})`];
  for (const [name, info] of Object.entries(TERMS)) {
    let value = formatNumber(terms[name]);
    if (terms.overflow.includes(name)) value = `10^${terms.log10[name].toFixed(3)}`;
    if (name === 'gap_bound' && terms.vacuous) value = `${value} vacuous`;
    lines.push(`${info.symbol.padEnd(15)} ${value.padEnd(20)} ${info.provenance.padEnd(8)} ${info.formula}`);
  }
  if (terms.overflow.length) lines.push(`note: ${terms.overflow.join(', ')} exceed the double range and are shown as powers of 10`);
  if (terms.vacuous) {
    const reason = terms.gap_bound === null ? `c_l √m ≤ 3 l_l C_F, so the logarithm in the gap formula is not positive` : `the gap bound is not below c_l = ${terms.c_l}`;
    lines.push(`note: the bound is vacuous: ${reason}`);
  }
  if (terms.rho_A_differs) {
    lines.push("note: s_A + η ≥ 0, so ρ_A uses M_Δ; the paper's ρ_A (with Δ_min) does not bound the decay here");
  }
  await write(`${lines.join('\n')}\n`);
}

const SWEEP_COLUMNS = [
  'T', 's_A', 'B_A', 'B_u', 'delta_min', 'M_delta', 'rho_A', 'rho_A_paper', 'S1', 'S2', 'C_F',
  'gap_bound', 'vacuous', 'C_F_linear_attention', 'lower_bound', 'lower_bound_paper',
];
const LOG10_COLUMNS = ['rho_A', 'S1', 'S2', 'C_F', 'C_F_linear_attention', 'lower_bound', 'lower_bound_paper'];

async function commandSweep(model, { input }, values) {
  const { over } = values;
  if (over !== 'T' && over !== 's_A') {
    throw new UsageError(`--over must be 'T' or 's_A', got '${over ?? ''}'`);
  }
  const from = numberOption(values, 'from');
  const to = numberOption(values, 'to');
  if (from === undefined || to === undefined) throw new UsageError('sweep needs --from and --to');
  const options = { ...boundOptions(input, values), over, from, to };
  const points = numberOption(values, 'points');
  if (points !== undefined) options.points = points;
  if (over === 'T') delete options.T;
  const result = sweep(model, options);

  if (values.json) {
    await write(`${toJson(result)}\n`);
    return;
  }
  if (values.csv) {
    await write(csvLine([...SWEEP_COLUMNS, ...LOG10_COLUMNS.map((name) => `log10_${name}`)]));
    for (const point of result.points) {
      await write(csvLine([...SWEEP_COLUMNS.map((name) => point[name]), ...LOG10_COLUMNS.map((name) => point.log10[name])]));
    }
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
  await write(`${lines.join('\n')}\n`);
}

async function commandConvert(positionals) {
  if (positionals.length !== 2) {
    throw new UsageError(`convert needs IN and OUT, got ${positionals.length} file name${positionals.length === 1 ? '' : 's'}`);
  }
  const [from, to] = positionals;
  const format = to.endsWith('.safetensors') ? 'safetensors' : to.endsWith('.json') ? 'json' : null;
  if (!format) throw new UsageError(`convert: OUT must end in .json or .safetensors, got '${to}'`);
  const model = await modelFromFile(readInputFile('convert', from));
  const bytes = format === 'json' ? `${JSON.stringify(model.toStateDict())}\n` : model.toSafetensors();
  try {
    writeFileSync(to, bytes);
  } catch (error) {
    throw new UsageError(`convert: cannot write '${to}' (${error.code ?? error.message})`);
  }
  process.stderr.write(`ssm-lens: wrote ${to} (${format}, ${model.layout} layout, d = ${model.d}, N = ${model.N}, K = ${model.K})\n`);
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

const RUNNERS = {
  run: commandRun, attention: commandAttention, bound: commandBound, sweep: commandSweep,
};

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (command === undefined) {
    if (values.help) {
      await write(`${USAGE}\n`);
      return 0;
    }
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    throw new UsageError(`unknown command '${command}'; expected ${Object.keys(COMMANDS).join(', ')}`);
  }
  if (values.help) {
    const shared = command === 'convert' || command === 'experiment' ? '' : `\n\n${MODEL_HELP}\n\n${INPUT_HELP}`;
    await write(`ssm-lens ${command}: ${COMMANDS[command].summary}\n\n${COMMANDS[command].help}${shared}\n`);
    return 0;
  }
  if (command === 'convert') {
    await commandConvert(rest);
    return 0;
  }
  if (command === 'experiment') {
    await commandExperiment(rest, values);
    return 0;
  }
  if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
  if (values.json && values.csv) throw new UsageError('give either --json or --csv, not both');

  const model = await loadModel(values);
  // bound needs an input only for its length; with --T it takes B_u from the embedding or --B_u.
  const required = command === 'run' || command === 'attention' || (command === 'bound' && values.T === undefined);
  const sequence = readSequence(values, { vocab: model.vocab || undefined, required });
  if (sequence.mapping) process.stderr.write(`ssm-lens: --text mapping ${JSON.stringify(sequence.mapping)}\n`);
  await RUNNERS[command](model, sequence, values);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error?.code === 'EPIPE') {
    // The reader of standard output closed it (as `| head` does); nothing more to write.
    process.exitCode = 0;
  } else if (error instanceof UsageError) {
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
