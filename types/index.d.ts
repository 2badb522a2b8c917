// Type declarations for ssm-lens: a selective state-space model (the core of
// Mamba) seen as causal attention, and the terms of its generalization bound.
// Shapes are row-major: "T×d" means T rows of d values.

/** Thrown for invalid arguments and numerical failures. */
export class SsmLensError extends Error {
  name: 'SsmLensError';
  /** 'argument', 'shape', 'nonfinite', 'overflow' or 'alloc'. */
  code: 'argument' | 'shape' | 'nonfinite' | 'overflow' | 'alloc';
  /** The step t where the failure happened, or -1. */
  step: number;
  /** The channel, column, tensor or readout row involved, or -1. */
  index: number;
}

/** Numeric arrays accepted for parameters and inputs. */
export type NumericArray = ArrayLike<number> | number[][];

/** An input: token ids (for a model with an embedding), a T×d nested
 * array, or a flat Float32Array/Float64Array of T·d values. */
export type Input = ArrayLike<number> | ArrayLike<ArrayLike<number>>;

/** A view of the attention matrix: a channel index 0..d-1, the mean over
 * channels, or the logit attribution c_t[s] = Σ_j W[k,j] α_j[t,s] u_j[s]. */
export type View = number | 'mean' | 'logit';

export interface Limits {
  readonly d: number;
  readonly N: number;
  readonly K: number;
  readonly vocab: number;
  readonly T: number;
  /** Maximum T for the full T×T matrix (1 GiB of float32). */
  readonly attentionT: number;
  /** Largest side of a pooled view. */
  readonly pooledSize: number;
  /** Largest vocabulary × d of an embedding. */
  readonly embeddingValues: number;
  /** Multiply-adds one call may need before it is refused. */
  readonly work: number;
  /** Exponentials one call of a plain kernel may need before it is refused. */
  readonly plainWork: number;
}
export const LIMITS: Limits;

export interface ForwardResult {
  T: number;
  d: number;
  /** Step sizes delta[t] = softplus(p + q·u[t]), length T. */
  delta: Float32Array;
  /** Outputs y, T×d. */
  y: Float32Array;
  /** y[T-1], length d. */
  y_last: Float32Array;
  /** W y[T-1], length K. */
  logits: Float32Array;
}

export interface PooledResult {
  T: number;
  size: number;
  mode: 'max' | 'mean';
  /** size×size cells; row t and column s fall in cell floor(t·size/T), floor(s·size/T). */
  values: Float32Array;
}

export type Kernel = 'simd' | 'plain';

/** A selective SSM block. Make one with createModel, modelFromStateDict,
 * modelFromSafetensors, modelFromFile or randomModel. */
export class Model {
  private constructor();
  readonly d: number;
  readonly N: number;
  readonly K: number;
  /** Vocabulary size of the embedding, 0 without one. */
  readonly vocab: number;
  /** d×N: row j is the diagonal of channel j's continuous state matrix. */
  readonly A: Float32Array;
  /** N×d. */
  readonly W_B: Float32Array;
  /** N×d. */
  readonly W_C: Float32Array;
  /** Length d. */
  readonly q: Float32Array;
  readonly p: number;
  /** K×d readout (the vector w when K = 1). */
  readonly W: Float32Array;
  /** vocab×d, or null. */
  readonly embedding: Float32Array | null;
  /** Where the parameters came from. */
  readonly source: string;
  /** The state-dict layout used by toStateDict: 'single-output' or 'K-class'. */
  readonly layout: 'single-output' | 'K-class';
  /** The spectral abscissa of A: its largest entry. */
  readonly sA: number;
  /** The readout as a vector when K = 1, else null. */
  readonly w: Float32Array | null;

  /** Runs the recurrent scan. */
  forward(input: Input, options?: { kernel?: Kernel }): ForwardResult;

  /** Returns the T×T attention matrix (row t = output step, column s =
   * input step, zero above the diagonal). For the logit view, k is the
   * readout row (default: 0 for one logit, else the predicted class). */
  attention(input: Input, view?: View, options?: { k?: number; kernel?: Kernel; out?: Float32Array }): Float32Array;

  /** Returns the attention matrix reduced to size×size cells without
   * forming it. mode 'max' keeps the largest |α| of a cell; 'mean' its mean. */
  attentionPooled(input: Input, view?: View, options?: { size?: number; mode?: 'max' | 'mean'; k?: number; kernel?: Kernel }): PooledResult;

  /** Converts an input to its embedded rows u (T×d). */
  toInput(input: Input): { u: Float32Array; T: number };

  /** The parameters as a PyTorch-style state dict. */
  toStateDict(): StateDict;

  /** The parameters as a safetensors file (F32). */
  toSafetensors(): Uint8Array;
}

export interface ModelParameters {
  /** d×N. */
  A: NumericArray;
  /** N×d. */
  W_B: NumericArray;
  /** N×d. */
  W_C: NumericArray;
  /** Length d. */
  q: NumericArray;
  p: number | ArrayLike<number>;
  /** Length d: one logit. */
  w?: NumericArray;
  /** K×d: K logits. */
  W?: NumericArray;
  /** vocab×d. */
  embedding?: NumericArray | null;
  d?: number;
  N?: number;
  K?: number;
  vocab?: number;
}

export interface StateDict {
  format?: string;
  tensors: Record<string, { shape: number[]; data: ArrayLike<number> }>;
}

export function createModel(params: ModelParameters): Promise<Model>;
/** From a state dict as JSON text or an object, in either of the authors'
 * layouts (SSM.ssm.* with SSM.w, or ssm.* with W). */
export function modelFromStateDict(stateDict: string | StateDict | Record<string, unknown>): Promise<Model>;
/** From a safetensors file; F32, F16 and BF16 read into float32. */
export function modelFromSafetensors(bytes: Uint8Array | ArrayBuffer): Promise<Model>;
/** From a model file's bytes: state-dict JSON or safetensors. */
export function modelFromFile(bytes: Uint8Array | ArrayBuffer): Promise<Model>;
/** A seeded random model with the authors' initialization: A = -10·U(0,1)
 * + s_A with column 0 set to s_A, the rest standard normal. */
export function randomModel(options?: { sA?: number; d?: number; N?: number; vocab?: number; K?: number; seed?: number }): Promise<Model>;

export interface SafetensorsFile {
  tensors: Record<string, { dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; data: Float32Array }>;
  metadata: Record<string, string>;
}
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsFile;
export function writeSafetensors(tensors: Record<string, { shape: number[]; data: ArrayLike<number> }>, metadata?: Record<string, unknown>): Uint8Array;

export interface BoundOptions {
  /** Inputs: B_u is their largest ‖u[t]‖₂ and T their longest length. */
  sequences?: Input[];
  /** Input norm bound. */
  B_u?: number;
  /** Sequence length, an integer in 1..1e15. */
  T?: number;
  /** Training samples (default 1000). */
  m?: number;
  /** Confidence parameter in (0, 1) (default 0.05). */
  delta?: number;
  /** Loss range (default 1). */
  c_l?: number;
  /** Lipschitz constant of the loss (default 1). */
  l_l?: number;
  /** Slack added to s_A (default 0). */
  eta?: number;
  /** Norms for B_B, B_C, B_w (default 'spectral'). */
  norms?: 'spectral' | 'frobenius';
}

/** Terms that can exceed the double range and also come as log10. */
export type LogTerm = 'rho_A' | 'rho_A_paper' | 'S1' | 'S2' | 'C_F' | 'C_F_linear_attention' | 'lower_bound' | 'lower_bound_paper';

export interface Norms {
  s_A: number; B_A: number; M_A: number; B_A_frobenius: number;
  B_B: number; B_B_frobenius: number; M_B: number;
  B_C: number; B_C_frobenius: number; M_C: number;
  B_w: number; B_w_frobenius: number; M_w: number;
  B_q: number; M_q: number; p: number;
}

export interface BoundTerms extends Norms {
  norms: 'spectral' | 'frobenius';
  B_u: number; m: number; delta: number; c_l: number; l_l: number; T: number; eta: number;
  delta_min: number; M_delta: number;
  /** null beyond the double range (see log10). */
  rho_A: number | null;
  rho_A_paper: number | null;
  S1: number | null; S2: number | null; C_F: number | null;
  /** null when the logarithm of the gap formula is not positive. */
  gap_bound: number | null;
  /** True when the bound is not below the loss range c_l, so it bounds nothing. */
  vacuous: boolean;
  C_F_linear_attention: number | null;
  E_abs_rademacher_sum: number;
  lower_bound: number | null;
  /** null for s_A <= -1. */
  lower_bound_paper: number | null;
  /** True when s_A + η ≥ 0 makes rho_A differ from the paper's formula. */
  rho_A_differs: boolean;
  log10: Record<LogTerm, number | null>;
  /** The terms whose value exceeds the double range and is null. */
  overflow: LogTerm[];
}

export function bound(model: Model, options?: BoundOptions): BoundTerms;
export function modelNorms(model: Model): Norms;

export interface TermInfo {
  symbol: string;
  provenance: 'paper' | 'derived' | 'code';
  formula: string;
  meaning: string;
}
export const TERMS: Readonly<Record<string, TermInfo>>;

export interface SweepResult {
  over: 'T' | 's_A';
  values: number[];
  points: BoundTerms[];
}
export function sweep(model: Model, options: BoundOptions & {
  over: 'T' | 's_A';
  values?: ArrayLike<number>;
  from?: number;
  to?: number;
  points?: number;
}): SweepResult;

export function spacedValues(from: number, to: number, points: number, options?: { log?: boolean; integer?: boolean }): number[];

export interface Envelopes {
  T: number;
  B_u: number;
  s_A: number;
  growth: number;
  delta: { min: number; max: number; mean: number; bound_min: number; bound_max: number };
  /** Per lag k, base-10 logarithms of the realized decay and its bounds. */
  decay: { log10: true; realized: Float64Array; bound: Float64Array; bound_paper: Float64Array };
  /** Per lag k, the largest |α_j[t, t−k]| and its bound. */
  alpha: { realized: Float64Array; bound: Float64Array };
}
export function envelopes(model: Model, input: Input, options?: Pick<BoundOptions, 'eta' | 'norms'>): Envelopes;

export interface Table1 {
  model: { s_A: number; eta: number; rho_A: number | null; T: number; d: number; B_u: number; regime: string };
  measured: {
    selective: {
      T: { local: number; asymptotic: number; rate_log10: number };
      d: { local: number; asymptotic: number };
      B_u: { local: number; asymptotic: number };
      B_u_full: { local: number; asymptotic: number };
    };
    linear_attention: { T: number; B_u: number };
  };
  paper: { model: string; T: string; d: string; B_u: string }[];
}
export function table1(model: Model, options?: BoundOptions): Table1;

/** Loads ssm_lens.wasm once; url defaults to the file beside the module. */
export function loadWasm(url?: URL | string): Promise<WebAssembly.Instance>;

// ---------- training and the paper's experiments ----------

/** Sequences of token ids, concatenated: sequence i is tokens[offsets[i]..offsets[i+1]). */
export interface Split {
  tokens: Int32Array;
  offsets: Int32Array;
  labels: Int32Array;
  count: number;
}
export interface TaskData {
  task: 'majority' | 'listops';
  vocab: string[];
  classes: number;
  T: number;
  train: Split;
  test: Split;
}
export function majorityTask(options: { T: number; train?: number; test?: number; seed?: number; flip?: number }): TaskData;
export function listopsTask(options: {
  T: number; spread?: number; train?: number; test?: number; seed?: number;
  maxDepth?: number; maxArgs?: number; pad?: boolean;
}): TaskData;
export function taskData(name: 'majority' | 'listops', options: { T: number; [option: string]: unknown }): TaskData;
export function listopsValue(tokens: ArrayLike<number>): number;
export function formatTokens(task: TaskData | 'majority' | 'listops', tokens: ArrayLike<number>): string;

export interface Recipe {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  clipNorm: number;
  betas: [number, number];
  eps: number;
  minStd: number;
  penaltyFactor: number;
  plateauFactor: number;
  plateauPatience: number;
  plateauThreshold: number;
}
export const RECIPE: Readonly<Recipe>;

/** One row of the per-epoch log; epoch 0 is the initial model (loss null). */
export interface LogRow {
  epoch: number;
  s_A: number; L_p: number; B_q: number; B_B: number; M_B: number;
  B_C: number; M_C: number; B_A: number; B_u: number;
  loss: number | null;
  lr: number;
}
export const LOG_COLUMNS: readonly string[];

export interface Divergence { epoch: number; batch: number | null; message: string }

/** Options of trainModel: the recipe's fields, and where training starts. */
export interface TrainOptions extends Partial<Recipe> {
  /** A model with an embedding to start from; otherwise randomModel({ d, N, sA, seed }). */
  model?: Model;
  d?: number;
  N?: number;
  /** The initial spectral abscissa of a random start (default 0). */
  sA?: number;
  /** Seeds the random start and the shuffling (default 0). */
  seed?: number;
  kernel?: Kernel;
  /** Called after each epoch (and once for epoch 0, the initial model). */
  onEpoch?: (row: LogRow) => void;
  /** Training stops after the current epoch once it is aborted. */
  signal?: AbortSignal;
}
export interface TrainOutcome {
  model: Model;
  log: LogRow[];
  epochs: number;
  stopped: boolean;
  diverged: Divergence | null;
  train: { accuracy: number; loss: number } | null;
  test: { accuracy: number; loss: number } | null;
  seconds: number;
}
export function trainModel(data: Pick<TaskData, 'train' | 'test' | 'classes'> & { vocab?: string[] | number }, options?: TrainOptions): Promise<TrainOutcome>;

export interface ParameterLayout {
  vocab: number; d: number; N: number; K: number;
  offsets: Record<'embedding' | 'A' | 'W_B' | 'W_C' | 'q' | 'p' | 'W', number>;
  lengths: Record<'embedding' | 'A' | 'W_B' | 'W_C' | 'q' | 'p' | 'W', number>;
  count: number;
}
export function parameterLayout(sizes: { vocab: number; d: number; N: number; K: number }): ParameterLayout;
export function packParameters(model: Model): { layout: ParameterLayout; params: Float64Array };
export function unpackParameters(layout: ParameterLayout, params: Float64Array, options?: { source?: string }): Promise<Model>;
export function tokenLogits(exports: WebAssembly.Exports, layout: ParameterLayout, params: Float64Array, split: Split, options?: { kernel?: Kernel }): Float64Array;
export function tokenGradient(exports: WebAssembly.Exports, layout: ParameterLayout, params: Float64Array, split: Split, dlogits: Float64Array, options?: { kernel?: Kernel }): Float64Array;
export function batchLoss(exports: WebAssembly.Exports, logits: Float64Array, labels: ArrayLike<number>, K: number, options?: { minStd?: number; penaltyFactor?: number }): { loss: number; dlogits: Float64Array; correct: number };
export function evaluate(exports: WebAssembly.Exports, layout: ParameterLayout, params: Float64Array, split: Split, options?: { kernel?: Kernel }): { accuracy: number; loss: number };
export function logNorms(layout: ParameterLayout, params: Float64Array): Omit<LogRow, 'epoch' | 'loss' | 'lr'>;

/** Options of the experiments; grids are 'from:to:step', a comma-separated list, a number or an array. */
export interface ExperimentOptions extends Partial<Recipe> {
  task?: 'majority' | 'listops';
  /** Lengths (default '25:400:25' for length, '250' for stability). */
  T?: string | number | number[];
  /** Initial s_A (default '0' for length, '-0.1:0.1:0.02' for stability). */
  sA?: string | number | number[];
  /** A count n for seeds 0..n-1, or a list (default 5 for length, 1 for stability). */
  seeds?: string | number | number[];
  d?: number;
  N?: number;
  train?: number;
  test?: number;
  flip?: number;
  spread?: number;
  maxDepth?: number;
  maxArgs?: number;
  pad?: boolean;
  keepModel?: boolean;
}
export interface TrainingJob {
  kind: 'length' | 'stability';
  task: 'majority' | 'listops';
  T: number; sA: number; seed: number; d: number; N: number; train: number; test: number;
  taskOptions: Record<string, unknown>;
  recipe: Partial<Recipe>;
  keepModel: boolean;
}
export interface RunBound {
  norms?: 'spectral' | 'frobenius';
  T?: number; m?: number; s_A?: number; B_u?: number; rho_A?: number | null;
  log10_S2?: number; C_F?: number | null; log10_C_F?: number; gap_bound?: number | null; vacuous?: boolean;
  error?: string;
}
export interface RunResult {
  kind: 'length' | 'stability';
  task: 'majority' | 'listops';
  T: number; seed: number; sA0: number; d: number; N: number;
  epochs: number; stopped: boolean; diverged: Divergence | null;
  chance: number;
  failed: boolean;
  outcome: string;
  trainAccuracy: number | null; testAccuracy: number | null; gap: number | null;
  trainLoss: number | null; testLoss: number | null;
  finalSA: number;
  log: LogRow[];
  bound: RunBound;
  seconds: number;
  /** The first test sequence (the first training one without a test split). */
  sample: number[];
  vocab: string[];
  stateDict?: StateDict;
}
export interface Statistic { mean: number | null; std: number | null; n: number }
/** One T of the length experiment; diverged and vacuous count runs. */
export interface LengthRow {
  T: number; runs: number; diverged: number;
  trainAccuracy: Statistic; testAccuracy: Statistic; gap: Statistic; finalSA: Statistic;
  log10_C_F: Statistic; gap_bound: Statistic; vacuous: number;
}
export interface LengthSummary { rows: LengthRow[]; flatness: { meanGap: number | null; maxDeviation: number | null } }
export interface StabilityRow {
  sA0: number; runs: number; finalSA: Statistic; trainAccuracy: Statistic; testAccuracy: Statistic;
  failed: number; outcomes: Record<string, number>;
  curves: { seed: number; sA: number[]; loss: (number | null)[] }[];
}
export interface Runner {
  runJob?: (job: TrainingJob) => Promise<RunResult>;
  concurrency?: number;
  onProgress?: (progress: { done: number; total: number; job: TrainingJob; result: RunResult }) => void;
  signal?: AbortSignal;
}
export const EXPERIMENT_DEFAULTS: Readonly<{ task: 'majority'; d: number; N: number; train: number; test: number }>;
export const FAILED_MARGIN: number;
export function parseGrid(name: string, text: string | number | number[]): number[];
export function parseSeeds(seeds: string | number | number[]): number[];
export function experimentJobs(kind: 'length' | 'stability', options?: ExperimentOptions): TrainingJob[];
export function runTrainingJob(job: TrainingJob, hooks?: { onEpoch?: (row: LogRow) => void; signal?: AbortSignal }): Promise<RunResult>;
export function runJobs(jobs: TrainingJob[], runner?: Runner): Promise<RunResult[]>;
export function summarizeLength(runs: RunResult[]): LengthSummary;
export function gapFlatness(rows: LengthRow[]): LengthSummary['flatness'];
export function summarizeStability(runs: RunResult[]): StabilityRow[];
export function lengthExperiment(options?: ExperimentOptions, runner?: Runner): Promise<{ kind: 'length'; planned: number; runs: RunResult[]; summary: LengthSummary }>;
export function stabilityExperiment(options?: ExperimentOptions, runner?: Runner): Promise<{ kind: 'stability'; planned: number; runs: RunResult[]; summary: StabilityRow[] }>;
/** Adam with L2 weight decay added to the gradient, as torch.optim.Adam. */
export class Adam {
  constructor(count: number, options: { lr: number; betas: [number, number]; eps: number; weightDecay: number });
  lr: number;
  update(params: Float64Array, grad: Float64Array): void;
}
/** ReduceLROnPlateau (mode min, relative threshold), as in PyTorch. */
export class PlateauScheduler {
  constructor(options: { factor: number; patience: number; threshold: number; eps?: number });
  step(loss: number, lr: number): number;
}
export function clipGradient(grad: Float64Array, maxNorm: number): number;
